// The contribution envelope: how a recording travels from a contributor's device to the
// enclave, so that the client that seals it and the enclave that opens it agree byte for byte.
//
// An envelope has two parts:
//
// 1. The **header**, a small JSON object (`EnvelopeHeader`) the host stores beside the blob:
//    `{ version: 1, manifest, signature, contributor, sealedKey, ciphertextLength }`.
//    `manifest` is the EIP-712 ContributionManifest (wire/src/eip712.ts) with bytes as 0x-hex
//    and `createdAt` as a decimal string; `signature` is the contributor wallet's 65-byte
//    EIP-712 signature over it; `contributor` is the address the client *claims* signed it,
//    used only to tell "signed by another wallet" apart from "no signature": the enclave
//    takes the contributor from the recovered signer and refuses the envelope when the two
//    differ. `sealedKey` is `crypto_box_seal(fileKey, datasetPublicKey)` (80 bytes, hex).
//
// 2. The **ciphertext stream** (version 1), whose SHA-256 is the manifest's ciphertextSha256:
//
//    | offset | size | field                                                       |
//    |--------|------|-------------------------------------------------------------|
//    | 0      | 4    | magic `AUDS` (0x41 0x55 0x44 0x53)                          |
//    | 4      | 1    | stream version, 1                                           |
//    | 5      | 1    | log2 of the plaintext chunk size, 12..20 (16 = 64 KiB)      |
//    | 6      | 2    | reserved, zero                                              |
//    | 8      | 24   | libsodium secretstream XChaCha20-Poly1305 header            |
//    | 32     | ...  | chunks                                                      |
//
//    Every chunk is `crypto_secretstream_xchacha20poly1305_push` of one plaintext chunk with
//    the 8-byte preamble as additional data (so the version and chunk size are authenticated
//    under the file key, not only by the manifest hash). Every chunk but the last holds exactly
//    `chunkSize` plaintext bytes (`chunkSize + 17` ciphertext bytes) and carries TAG_MESSAGE;
//    the last holds 0..chunkSize bytes and carries TAG_FINAL. A stream without a TAG_FINAL
//    chunk is truncated; bytes after it are invalid. The file key is 32 random bytes, fresh
//    for every file (libsodium secretstream: https://doc.libsodium.org/secret-key_cryptography/secretstream).
import type { Address, Hex } from 'viem';
import type { ContributionManifest } from './eip712.ts';

export const ENVELOPE_VERSION = 1;
export const STREAM_MAGIC = new Uint8Array([0x41, 0x55, 0x44, 0x53]);
export const STREAM_VERSION = 1;
export const STREAM_PREAMBLE_BYTES = 8;
export const SECRETSTREAM_HEADER_BYTES = 24;
/** Poly1305 tag (16) plus the encrypted tag byte (1) added to every chunk. */
export const SECRETSTREAM_CHUNK_OVERHEAD = 17;
export const STREAM_HEADER_BYTES = STREAM_PREAMBLE_BYTES + SECRETSTREAM_HEADER_BYTES;
export const DEFAULT_CHUNK_LOG2 = 16;
export const MIN_CHUNK_LOG2 = 12;
export const MAX_CHUNK_LOG2 = 20;
/** crypto_box_seal output for a 32-byte file key: ephemeral public key (32) + MAC (16) + key (32). */
export const SEALED_KEY_BYTES = 80;
export const FILE_KEY_BYTES = 32;
export const DATASET_KEY_BYTES = 32;

/** The header the host stores and forwards with each ciphertext; every field is checked in the enclave. */
export interface EnvelopeHeader {
  version: typeof ENVELOPE_VERSION;
  manifest: ContributionManifest;
  signature: Hex;
  contributor: Address;
  sealedKey: Hex;
  /** Byte length of the ciphertext stream; lets the enclave size its plaintext buffer once. */
  ciphertextLength: number;
}

/** The 8-byte preamble of a version-1 stream with the given chunk size. */
export function streamPreamble(chunkLog2: number): Uint8Array {
  return new Uint8Array([...STREAM_MAGIC, STREAM_VERSION, chunkLog2, 0, 0]);
}

/**
 * Plaintext bytes a version-1 stream of `ciphertextLength` bytes carries, or undefined when no
 * valid stream has that length (fewer bytes than the headers and one final chunk, or a last
 * chunk shorter than its overhead).
 */
export function plaintextLengthOf(ciphertextLength: number, chunkLog2: number): number | undefined {
  const body = ciphertextLength - STREAM_HEADER_BYTES;
  if (!Number.isSafeInteger(ciphertextLength) || body < SECRETSTREAM_CHUNK_OVERHEAD) return undefined;
  const full = (1 << chunkLog2) + SECRETSTREAM_CHUNK_OVERHEAD;
  const chunks = Math.max(1, Math.ceil(body / full));
  const last = body - (chunks - 1) * full;
  if (last < SECRETSTREAM_CHUNK_OVERHEAD) return undefined;
  return body - chunks * SECRETSTREAM_CHUNK_OVERHEAD;
}

/** Ciphertext stream bytes for `plaintextLength` bytes of audio (the final chunk may be empty). */
export function ciphertextLengthOf(plaintextLength: number, chunkLog2: number): number {
  const chunkSize = 1 << chunkLog2;
  const chunks = Math.floor(plaintextLength / chunkSize) + (plaintextLength % chunkSize === 0 && plaintextLength > 0 ? 0 : 1);
  return STREAM_HEADER_BYTES + plaintextLength + chunks * SECRETSTREAM_CHUNK_OVERHEAD;
}

/** The manifest as JSON carries it: bigint as a decimal string. */
export interface ManifestJson {
  ciphertextSha256: Hex;
  sealedKeySha256: Hex;
  datasetKey: Hex;
  termsHash: Hex;
  language: string;
  createdAt: string;
  nonce: Hex;
}

export interface EnvelopeHeaderJson extends Omit<EnvelopeHeader, 'manifest'> {
  manifest: ManifestJson;
}

export function envelopeHeaderToJson(header: EnvelopeHeader): EnvelopeHeaderJson {
  return { ...header, manifest: { ...header.manifest, createdAt: header.manifest.createdAt.toString() } };
}

/** Why a header was refused: the field and what was wrong with it. */
export interface HeaderProblem {
  field: string;
  problem: string;
}

const hexOf = (bytes: number) => new RegExp(`^0x[0-9a-fA-F]{${bytes * 2}}$`);
const BYTES32 = hexOf(32);
const ADDRESS = hexOf(20);
const SIGNATURE = hexOf(65);
const SEALED = hexOf(SEALED_KEY_BYTES);
/** BCP 47 shape only (letters, digits, hyphens); the enclave does not need the registry. */
const LANGUAGE = /^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8}){0,4}$/;
/** The largest stream a header may declare: about 8 hours of 16 kHz 16-bit mono, plus overhead. */
export const MAX_CIPHERTEXT_BYTES = 1 << 30;

/**
 * Parses an untrusted header (e.g. from JSON) into an EnvelopeHeader, or returns the first
 * problem found. Shapes only: signatures, hashes and keys are checked by whoever opens it.
 */
export function parseEnvelopeHeader(value: unknown): { ok: true; header: EnvelopeHeader } | { ok: false; problem: HeaderProblem } {
  const fail = (field: string, problem: string) => ({ ok: false as const, problem: { field, problem } });
  if (!isRecord(value)) return fail('header', 'is not an object');
  if (value.version !== ENVELOPE_VERSION) return fail('version', `is ${JSON.stringify(value.version)}, expected ${ENVELOPE_VERSION}`);
  const m = value.manifest;
  if (!isRecord(m)) return fail('manifest', 'is not an object');
  for (const field of ['ciphertextSha256', 'sealedKeySha256', 'datasetKey', 'termsHash', 'nonce'] as const) {
    if (typeof m[field] !== 'string' || !BYTES32.test(m[field])) return fail(`manifest.${field}`, 'is not 32 bytes of 0x-hex');
  }
  if (typeof m.language !== 'string' || !LANGUAGE.test(m.language)) return fail('manifest.language', 'is not a BCP 47 tag');
  let createdAt: bigint;
  if (typeof m.createdAt === 'string' && /^[0-9]{1,20}$/.test(m.createdAt)) createdAt = BigInt(m.createdAt);
  else if (typeof m.createdAt === 'bigint') createdAt = m.createdAt;
  else return fail('manifest.createdAt', 'is not a decimal string of Unix seconds');
  if (createdAt >= 1n << 64n) return fail('manifest.createdAt', 'does not fit uint64');
  if (typeof value.signature !== 'string' || !SIGNATURE.test(value.signature)) return fail('signature', 'is not 65 bytes of 0x-hex');
  if (typeof value.contributor !== 'string' || !ADDRESS.test(value.contributor)) return fail('contributor', 'is not a 20-byte address');
  if (typeof value.sealedKey !== 'string' || !SEALED.test(value.sealedKey)) return fail('sealedKey', `is not ${SEALED_KEY_BYTES} bytes of 0x-hex`);
  const length = value.ciphertextLength;
  if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < STREAM_HEADER_BYTES + SECRETSTREAM_CHUNK_OVERHEAD || length > MAX_CIPHERTEXT_BYTES) {
    return fail('ciphertextLength', `is not an integer in ${STREAM_HEADER_BYTES + SECRETSTREAM_CHUNK_OVERHEAD}..${MAX_CIPHERTEXT_BYTES}`);
  }
  return {
    ok: true,
    header: {
      version: ENVELOPE_VERSION,
      manifest: {
        ciphertextSha256: m.ciphertextSha256 as Hex,
        sealedKeySha256: m.sealedKeySha256 as Hex,
        datasetKey: m.datasetKey as Hex,
        termsHash: m.termsHash as Hex,
        language: m.language,
        createdAt,
        nonce: m.nonce as Hex,
      },
      signature: value.signature as Hex,
      contributor: value.contributor as Address,
      sealedKey: value.sealedKey as Hex,
      ciphertextLength: length,
    },
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
