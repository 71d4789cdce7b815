// Opens a contribution envelope (wire/src/envelope.ts) inside the enclave. The plaintext is
// released to the caller only after the manifest signature, the seal, every chunk's tag, the
// final tag and the ciphertext hash have all checked out, so no stage can act on audio the
// contributor did not sign.
import { createHash, timingSafeEqual } from 'node:crypto';
import sodium from 'libsodium-wrappers';
import { bytesToHex, hashTypedData, hexToBytes, isAddressEqual, recoverTypedDataAddress, type Address, type Hex } from 'viem';
import {
  ENVELOPE_VERSION,
  FILE_KEY_BYTES,
  MAX_CHUNK_LOG2,
  MIN_CHUNK_LOG2,
  SECRETSTREAM_CHUNK_OVERHEAD,
  SECRETSTREAM_HEADER_BYTES,
  STREAM_MAGIC,
  STREAM_PREAMBLE_BYTES,
  STREAM_VERSION,
  manifestDomain,
  manifestTypes,
  parseEnvelopeHeader,
  plaintextLengthOf,
  type ContributionManifest,
  type EnvelopeHeader,
} from '@audata/wire';
import {
  EnvelopeCiphertextHashMismatchError,
  EnvelopeCiphertextInvalidError,
  EnvelopeError,
  EnvelopeHeaderInvalidError,
  EnvelopeLengthMismatchError,
  EnvelopeManifestSignatureInvalidError,
  EnvelopeReplayedError,
  EnvelopeSealInvalidError,
  EnvelopeSealedKeyHashMismatchError,
  EnvelopeTooLargeError,
  EnvelopeTruncatedError,
  EnvelopeVersionUnsupportedError,
  EnvelopeWrongDatasetKeyError,
} from './errors.ts';
import { ByteReader } from './byte-reader.ts';

/** Manifest hashes already opened. A `Set<Hex>` will do; a durable one survives restarts. */
export interface ManifestLedger {
  has(manifestHash: Hex): boolean;
  add(manifestHash: Hex): void;
  delete(manifestHash: Hex): void;
}

export interface OpenEnvelopeParams {
  /** The header as the host forwarded it: untrusted, parsed and checked here. */
  header: unknown;
  /** The ciphertext stream, in pieces of any size. */
  ciphertext: AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
  dataset: { publicKey: Uint8Array; secretKey: Uint8Array };
  /** The manifest's EIP-712 domain: this enclave's chain and ContributionRegistry, never the host's say. */
  chainId: number;
  registry: Address;
  ledger: ManifestLedger;
  /** Plaintext bytes this enclave will hold for one file. */
  maxPlaintextBytes?: number;
}

export interface OpenedContribution {
  /** The manifest's recovered signer: the owner of record. */
  contributor: Address;
  manifest: ContributionManifest;
  manifestHash: Hex;
  /** The recording, authenticated. The caller should `sodium.memzero` it when done. */
  audio: Uint8Array;
}

/** About 8 hours of 16 kHz 16-bit mono. */
export const DEFAULT_MAX_PLAINTEXT_BYTES = 1 << 29;

/**
 * Checks, in order: header shape and version; manifest signature (the contributor is whoever
 * signed); replay; dataset key; sealed-key hash; the seal. Then one pass over the stream
 * hashes every byte and decrypts into a buffer sized once from the declared length; that
 * buffer is returned only when the stream was complete, every tag verified and its hash is
 * the signed one. A failure found mid-stream is held until the hash is known, so a changed
 * byte is reported as a hash mismatch (the host's doing) and only a signed-but-broken stream
 * as invalid ciphertext (the contributor's).
 */
export async function openEnvelope(params: OpenEnvelopeParams): Promise<OpenedContribution> {
  const header = checkHeader(params.header);
  const { manifest } = header;
  const domain = manifestDomain(params.chainId, params.registry);
  const typed = { domain, types: manifestTypes, primaryType: 'ContributionManifest', message: manifest } as const;
  const manifestHash = hashTypedData(typed);
  let signer: Address;
  try {
    signer = await recoverTypedDataAddress({ ...typed, signature: header.signature });
  } catch {
    throw new EnvelopeManifestSignatureInvalidError(header.contributor, 'no address (malformed signature)');
  }
  if (!isAddressEqual(signer, header.contributor)) throw new EnvelopeManifestSignatureInvalidError(header.contributor, signer);

  if (params.ledger.has(manifestHash)) throw new EnvelopeReplayedError(manifestHash);
  // Reserved now so two concurrent opens of one manifest cannot both pass; released on failure
  // so a damaged upload can be retried with the right bytes.
  params.ledger.add(manifestHash);
  try {
    await sodium.ready;
    const ours = bytesToHex(params.dataset.publicKey);
    if (manifest.datasetKey.toLowerCase() !== ours.toLowerCase()) throw new EnvelopeWrongDatasetKeyError(ours, manifest.datasetKey);
    const sealed = hexToBytes(header.sealedKey);
    const sealedHash = sha256Hex(sealed);
    if (sealedHash !== manifest.sealedKeySha256.toLowerCase()) throw new EnvelopeSealedKeyHashMismatchError(manifest.sealedKeySha256, sealedHash);
    let fileKey: Uint8Array;
    try {
      fileKey = sodium.crypto_box_seal_open(sealed, params.dataset.publicKey, params.dataset.secretKey);
    } catch {
      throw new EnvelopeSealInvalidError('authentication failed');
    }
    if (fileKey.length !== FILE_KEY_BYTES) {
      sodium.memzero(fileKey);
      throw new EnvelopeSealInvalidError(`the sealed key is ${fileKey.length} bytes, expected ${FILE_KEY_BYTES}`);
    }
    try {
      const audio = await decryptStream(params.ciphertext, fileKey, header, params.maxPlaintextBytes ?? DEFAULT_MAX_PLAINTEXT_BYTES);
      return { contributor: signer, manifest, manifestHash, audio };
    } finally {
      sodium.memzero(fileKey);
    }
  } catch (error) {
    params.ledger.delete(manifestHash);
    throw error;
  }
}

function checkHeader(value: unknown): EnvelopeHeader {
  if (typeof value === 'object' && value !== null && 'version' in value && value.version !== ENVELOPE_VERSION) {
    throw new EnvelopeVersionUnsupportedError('header', String(value.version));
  }
  const parsed = parseEnvelopeHeader(value);
  if (!parsed.ok) throw new EnvelopeHeaderInvalidError(parsed.problem.field, parsed.problem.problem);
  return parsed.header;
}

async function decryptStream(source: OpenEnvelopeParams['ciphertext'], fileKey: Uint8Array, header: EnvelopeHeader, maxPlaintextBytes: number): Promise<Uint8Array> {
  const declared = header.ciphertextLength;
  const expectedHash = header.manifest.ciphertextSha256.toLowerCase();
  const reader = new ByteReader(source);
  const hash = createHash('sha256');
  let total = 0;
  let deferred: EnvelopeError | undefined;
  let out: Uint8Array | undefined;
  const take = async (n: number) => {
    const bytes = await reader.read(n);
    hash.update(bytes);
    total += bytes.length;
    if (total > declared) throw new EnvelopeLengthMismatchError(declared, total);
    return bytes;
  };
  try {
    const preamble = await take(STREAM_PREAMBLE_BYTES);
    const chunkLog2 = preamble[5] ?? 0;
    if (preamble.length < STREAM_PREAMBLE_BYTES || !STREAM_MAGIC.every((b, i) => preamble[i] === b)) {
      deferred = new EnvelopeCiphertextInvalidError('the stream does not start with the AUDS magic');
    } else if (preamble[4] !== STREAM_VERSION) {
      deferred = new EnvelopeVersionUnsupportedError('stream', String(preamble[4]));
    } else if (chunkLog2 < MIN_CHUNK_LOG2 || chunkLog2 > MAX_CHUNK_LOG2 || preamble[6] !== 0 || preamble[7] !== 0) {
      deferred = new EnvelopeCiphertextInvalidError(`the preamble declares chunk size 2^${chunkLog2} or sets reserved bytes`);
    }
    const plaintextLength = deferred === undefined ? plaintextLengthOf(declared, chunkLog2) : undefined;
    if (deferred === undefined && plaintextLength === undefined) deferred = new EnvelopeCiphertextInvalidError(`no stream with 2^${chunkLog2}-byte chunks is ${declared} bytes long`);
    if (plaintextLength !== undefined && plaintextLength > maxPlaintextBytes) throw new EnvelopeTooLargeError(maxPlaintextBytes, plaintextLength);
    if (plaintextLength !== undefined) out = new Uint8Array(plaintextLength);

    const streamHeader = await take(SECRETSTREAM_HEADER_BYTES);
    const state = deferred === undefined && streamHeader.length === SECRETSTREAM_HEADER_BYTES ? sodium.crypto_secretstream_xchacha20poly1305_init_pull(streamHeader, fileKey) : undefined;
    const chunkSize = 1 << chunkLog2;
    const blockSize = chunkSize + SECRETSTREAM_CHUNK_OVERHEAD;
    let offset = 0;
    let final = false;
    for (;;) {
      const block = await take(deferred === undefined ? blockSize : 1 << 16);
      if (block.length === 0) break;
      if (deferred !== undefined || state === undefined || out === undefined) continue;
      if (final) {
        deferred = new EnvelopeCiphertextInvalidError('bytes follow the final chunk');
        continue;
      }
      const opened = sodium.crypto_secretstream_xchacha20poly1305_pull(state, block, preamble);
      if (opened === false) {
        deferred = new EnvelopeCiphertextInvalidError(`chunk at byte ${total - block.length} fails authentication`);
        continue;
      }
      const { message, tag } = opened;
      if (tag === sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL) final = true;
      else if (tag !== sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE || message.length !== chunkSize) {
        deferred = new EnvelopeCiphertextInvalidError(`chunk at byte ${total - block.length} has tag ${tag} and ${message.length} bytes`);
      }
      if (deferred === undefined && offset + message.length <= out.length) out.set(message, offset);
      else deferred ??= new EnvelopeCiphertextInvalidError('the chunks hold more than the declared length allows');
      offset += message.length;
      sodium.memzero(message);
    }
    if (total < declared) throw new EnvelopeTruncatedError('the stream ended before its declared length', declared, total);
    const received = `0x${hash.digest('hex')}`;
    if (!timingSafeEqual(Buffer.from(received), Buffer.from(expectedHash))) throw new EnvelopeCiphertextHashMismatchError(expectedHash, received);
    if (deferred !== undefined) throw deferred;
    if (!final || out === undefined) throw new EnvelopeTruncatedError('the stream has no final chunk', declared, total);
    if (offset !== out.length) throw new EnvelopeCiphertextInvalidError(`the chunks hold ${offset} bytes, the length implies ${out.length}`);
    return out;
  } catch (error) {
    if (out !== undefined) sodium.memzero(out);
    throw error;
  }
}

function sha256Hex(bytes: Uint8Array): Hex {
  return `0x${createHash('sha256').update(bytes).digest('hex')}`;
}
