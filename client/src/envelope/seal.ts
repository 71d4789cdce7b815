// The contributor side of the envelope (wire/src/envelope.ts): encrypts a recording on the
// device under a fresh file key, seals that key to the attested dataset key and signs the
// manifest with the contributor's wallet, so the host only ever sees ciphertext.
import { createHash, randomBytes as nodeRandomBytes } from 'node:crypto';
import sodium from 'libsodium-wrappers';
import { bytesToHex, type Address, type Hex, type LocalAccount } from 'viem';
import {
  AudataError,
  DATASET_KEY_BYTES,
  DEFAULT_CHUNK_LOG2,
  ENVELOPE_VERSION,
  FILE_KEY_BYTES,
  MAX_CHUNK_LOG2,
  MIN_CHUNK_LOG2,
  manifestDomain,
  manifestTypes,
  streamPreamble,
  type ContributionManifest,
  type EnvelopeHeader,
} from '@audata/wire';

export class SealInputError extends AudataError {
  override name = 'SealInputError';
  constructor(message: string, hint: string) {
    super('SEAL_INPUT_INVALID', message, { hint });
  }
}

export interface SealContributionParams {
  /** The recording, in pieces of any size. */
  audio: AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
  /** Receives the ciphertext stream in order; awaited, so a slow sink applies backpressure. */
  write: (chunk: Uint8Array) => void | Promise<void>;
  /** The X25519 dataset public key, taken from a verified attestation document. */
  datasetKey: Uint8Array;
  /** The contributor's wallet; its signature makes it the owner of record. */
  account: Pick<LocalAccount, 'address' | 'signTypedData'>;
  /** The EIP-712 domain the manifest is bound to: this chain's ContributionRegistry. */
  chainId: number;
  registry: Address;
  /** keccak256 of the consent and license text. */
  termsHash: Hex;
  language: string;
  now?: () => Date;
  randomBytes?: (length: number) => Uint8Array;
  chunkLog2?: number;
}

/**
 * Streams `audio` through secretstream into `write` and returns the signed header. The
 * manifest commits to the SHA-256 of everything written, so it is signed last.
 */
export async function sealContribution(params: SealContributionParams): Promise<EnvelopeHeader> {
  const { datasetKey, account } = params;
  const random = params.randomBytes ?? ((n: number) => new Uint8Array(nodeRandomBytes(n)));
  const chunkLog2 = params.chunkLog2 ?? DEFAULT_CHUNK_LOG2;
  if (datasetKey.length !== DATASET_KEY_BYTES) {
    throw new SealInputError(`The dataset key is ${datasetKey.length} bytes, expected ${DATASET_KEY_BYTES}.`, 'Pass the X25519 key from the verified attestation document.');
  }
  if (!Number.isInteger(chunkLog2) || chunkLog2 < MIN_CHUNK_LOG2 || chunkLog2 > MAX_CHUNK_LOG2) {
    throw new SealInputError(`chunkLog2 is ${chunkLog2}, expected ${MIN_CHUNK_LOG2}..${MAX_CHUNK_LOG2}.`, 'Leave it unset for 64 KiB chunks.');
  }
  await sodium.ready;
  const fileKey = random(FILE_KEY_BYTES);
  const nonce = random(32);
  if (fileKey.length !== FILE_KEY_BYTES || nonce.length !== 32) throw new SealInputError('randomBytes returned the wrong length.', 'Return exactly the bytes asked for.');
  const chunkSize = 1 << chunkLog2;
  const preamble = streamPreamble(chunkLog2);
  const hash = createHash('sha256');
  let length = 0;
  const emit = async (bytes: Uint8Array) => {
    hash.update(bytes);
    length += bytes.length;
    await params.write(bytes);
  };
  try {
    const { state, header } = sodium.crypto_secretstream_xchacha20poly1305_init_push(fileKey);
    await emit(preamble);
    await emit(header);
    // One chunk is held back so the last one can carry TAG_FINAL even when the input ends on a boundary.
    const pending = new Uint8Array(chunkSize);
    let filled = 0;
    let held: Uint8Array | undefined;
    for await (const piece of params.audio) {
      let offset = 0;
      while (offset < piece.length) {
        const take = Math.min(chunkSize - filled, piece.length - offset);
        pending.set(piece.subarray(offset, offset + take), filled);
        filled += take;
        offset += take;
        if (filled === chunkSize) {
          if (held !== undefined) {
            await emit(sodium.crypto_secretstream_xchacha20poly1305_push(state, held, preamble, sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE));
            sodium.memzero(held);
          }
          held = pending.slice();
          filled = 0;
        }
      }
    }
    let last: Uint8Array = pending.subarray(0, filled);
    if (held !== undefined) {
      if (filled > 0) {
        await emit(sodium.crypto_secretstream_xchacha20poly1305_push(state, held, preamble, sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE));
        sodium.memzero(held);
      } else {
        last = held;
      }
    }
    await emit(sodium.crypto_secretstream_xchacha20poly1305_push(state, last, preamble, sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL));
    sodium.memzero(pending);
    if (held !== undefined) sodium.memzero(held);

    const sealed = sodium.crypto_box_seal(fileKey, datasetKey);
    const manifest: ContributionManifest = {
      ciphertextSha256: `0x${hash.digest('hex')}`,
      sealedKeySha256: `0x${createHash('sha256').update(sealed).digest('hex')}`,
      datasetKey: bytesToHex(datasetKey),
      termsHash: params.termsHash,
      language: params.language,
      createdAt: BigInt(Math.floor((params.now ?? (() => new Date()))().getTime() / 1000)),
      nonce: bytesToHex(nonce),
    };
    const signature = await account.signTypedData({
      domain: manifestDomain(params.chainId, params.registry),
      types: manifestTypes,
      primaryType: 'ContributionManifest',
      message: manifest,
    });
    return { version: ENVELOPE_VERSION, manifest, signature, contributor: account.address, sealedKey: bytesToHex(sealed), ciphertextLength: length };
  } finally {
    sodium.memzero(fileKey);
  }
}
