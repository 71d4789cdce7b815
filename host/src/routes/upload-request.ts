// Reads the parts of a contribution upload that travel in headers (the manifest, its
// signature and the sealed file key) and refuses malformed ones before a byte of the body
// is read. Shape only: whether the signature is the owner's is the enclave's call.
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Hex } from 'viem';
import type { ContributionManifest } from '@audata/wire';
import { HttpError, InvalidRequestError, preview } from '../errors.ts';

export const MANIFEST_HEADER = 'audata-manifest';
export const SIGNATURE_HEADER = 'audata-manifest-signature';
export const SEALED_KEY_HEADER = 'audata-sealed-key';

/** Caps on what a header may hold, well above the real sizes (about 600 and 110 characters). */
const MAX_MANIFEST_CHARS = 4096;
const MAX_SEALED_KEY_BYTES = 1024;
const UINT64_MAX = 2n ** 64n - 1n;

export interface UploadRequest {
  manifest: ContributionManifest;
  signature: Hex;
  sealedKey: Uint8Array;
}

export class SealedKeyMismatchError extends HttpError {
  override name = 'SealedKeyMismatchError';
  constructor(expected: string, received: string) {
    super(400, 'HOST_SEALED_KEY_MISMATCH', `The sealed key's SHA-256 is ${received}, the manifest says ${expected}.`, {
      details: { expected, received },
      hint: 'Send the sealed key the manifest was signed over.',
    });
  }
}

function single(headers: IncomingHttpHeaders, name: string): string {
  const value = headers[name];
  if (typeof value !== 'string' || value.length === 0) throw new InvalidRequestError(`header ${name}`, 'one non-empty value', value === undefined ? 'nothing' : 'several values');
  return value;
}

function base64(field: string, value: string, maxChars: number): Buffer {
  if (value.length > maxChars) throw new InvalidRequestError(field, `at most ${maxChars} characters`, `${value.length}`);
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(value)) throw new InvalidRequestError(field, 'base64 or base64url', preview(value, 40));
  return Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

const bytes32 = /^0x[0-9a-f]{64}$/;

/** Checks a decoded manifest object field by field against the EIP-712 ContributionManifest. */
export function parseManifest(raw: unknown): ContributionManifest {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new InvalidRequestError('manifest', 'a JSON object', typeof raw);
  const fields = raw as Record<string, unknown>;
  const expectedKeys = ['ciphertextSha256', 'sealedKeySha256', 'datasetKey', 'termsHash', 'language', 'createdAt', 'nonce'];
  const extra = Object.keys(fields).filter((key) => !expectedKeys.includes(key));
  if (extra.length > 0) throw new InvalidRequestError('manifest', `only the fields ${expectedKeys.join(', ')}`, `also ${preview(extra.join(', '), 60)}`);
  const hex = (name: string): Hex => {
    const value = fields[name];
    if (typeof value !== 'string' || !bytes32.test(value)) {
      throw new InvalidRequestError(`manifest.${name}`, '0x and 64 lower-case hex digits', typeof value === 'string' ? preview(value, 70) : typeof value);
    }
    return value as Hex;
  };
  const language = fields['language'];
  // BCP 47 shape (RFC 5646): a 2-8 letter primary subtag, then 1-8 alphanumeric subtags.
  if (typeof language !== 'string' || language.length > 35 || !/^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/.test(language)) {
    throw new InvalidRequestError('manifest.language', 'a BCP 47 tag such as "en" or "pt-BR"', typeof language === 'string' ? preview(language, 40) : typeof language);
  }
  const createdAt = fields['createdAt'];
  if (typeof createdAt !== 'string' || !/^(0|[1-9][0-9]{0,19})$/.test(createdAt) || BigInt(createdAt) > UINT64_MAX) {
    throw new InvalidRequestError('manifest.createdAt', 'unix seconds as a decimal string (uint64)', typeof createdAt === 'string' ? preview(createdAt, 30) : typeof createdAt);
  }
  return {
    ciphertextSha256: hex('ciphertextSha256'),
    sealedKeySha256: hex('sealedKeySha256'),
    datasetKey: hex('datasetKey'),
    termsHash: hex('termsHash'),
    language,
    createdAt: BigInt(createdAt),
    nonce: hex('nonce'),
  };
}

export function parseUploadRequest(headers: IncomingHttpHeaders): UploadRequest {
  const manifestText = base64(`header ${MANIFEST_HEADER}`, single(headers, MANIFEST_HEADER), MAX_MANIFEST_CHARS).toString('utf8');
  let raw: unknown;
  try {
    raw = JSON.parse(manifestText);
  } catch {
    throw new InvalidRequestError(`header ${MANIFEST_HEADER}`, 'base64 of a JSON object', 'text that is not JSON');
  }
  const manifest = parseManifest(raw);

  const signature = single(headers, SIGNATURE_HEADER);
  // 65-byte secp256k1 signature (r, s, v) as viem's signTypedData returns it.
  if (!/^0x[0-9a-fA-F]{130}$/.test(signature)) throw new InvalidRequestError(`header ${SIGNATURE_HEADER}`, '0x and 130 hex digits', preview(signature, 40));

  const sealedKey = base64(`header ${SEALED_KEY_HEADER}`, single(headers, SEALED_KEY_HEADER), Math.ceil((MAX_SEALED_KEY_BYTES * 4) / 3) + 4);
  if (sealedKey.length === 0 || sealedKey.length > MAX_SEALED_KEY_BYTES) {
    throw new InvalidRequestError(`header ${SEALED_KEY_HEADER}`, `1..${MAX_SEALED_KEY_BYTES} bytes`, `${sealedKey.length}`);
  }
  const sealedSha = `0x${createHash('sha256').update(sealedKey).digest('hex')}`;
  if (sealedSha !== manifest.sealedKeySha256) throw new SealedKeyMismatchError(manifest.sealedKeySha256, sealedSha);
  return { manifest, signature: signature.toLowerCase() as Hex, sealedKey: new Uint8Array(sealedKey) };
}

/** The manifest as it travels in the header: base64url of JSON with createdAt as a string. */
export function encodeManifestHeader(manifest: ContributionManifest): string {
  return Buffer.from(JSON.stringify({ ...manifest, createdAt: manifest.createdAt.toString() })).toString('base64url');
}
