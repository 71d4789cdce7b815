// Check 2, structure: every field of the attestation document has the type and size AWS's
// attestation_process.md (3.2.2) and the NSM API's CDDL define; unknown fields are refused.
import { CborMap, describeCbor, type CborValue } from './cbor/types.ts';
import { DigestUnsupportedError, FieldInvalidError, MissingFieldError, PcrInvalidError, UnknownFieldError } from './errors.ts';

export interface AttestationDocument {
  moduleId: string;
  digest: 'SHA384';
  /** Milliseconds since the Unix epoch. */
  timestamp: number;
  pcrs: Map<number, Uint8Array>;
  /** DER of the signing (leaf) certificate. */
  certificate: Uint8Array;
  /** DER certificates, root first (AWS attestation_process.md, 3.2.3). */
  caBundle: Uint8Array[];
  publicKey: Uint8Array | null;
  userData: Uint8Array | null;
  nonce: Uint8Array | null;
}

const KNOWN_FIELDS = new Set(['module_id', 'digest', 'timestamp', 'pcrs', 'certificate', 'cabundle', 'public_key', 'user_data', 'nonce']);
const PCR_LENGTHS = new Set([32, 48, 64]);
const MAX_PCRS = 32;
const MAX_MODULE_ID_LENGTH = 1024;
const MAX_CERT_LENGTH = 1024;
/**
 * The NSM API's CDDL types public_key, user_data and nonce as `bytes .size (0..1024)`; the
 * prose of attestation_process.md says 512 for user_data and nonce. The CDDL is followed so
 * that no document the NSM can produce is refused.
 */
const MAX_USER_DATA_LENGTH = 1024;
/** No document needs more; bounds the work an attacker can ask of the chain check. */
const MAX_CABUNDLE_LENGTH = 16;

function required(fields: CborMap, name: string): CborValue {
  if (!fields.entries.has(name)) throw new MissingFieldError(name);
  return fields.entries.get(name);
}

function bytesField(name: string, value: CborValue, min: number, max: number): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new FieldInvalidError(name, `a byte string of ${min}..${max} bytes`, describeCbor(value));
  if (value.length < min || value.length > max) throw new FieldInvalidError(name, `a byte string of ${min}..${max} bytes`, `${value.length} bytes`);
  return value;
}

/**
 * Optional byte-string fields. AWS's text says no field may be null, but the NSM writes
 * absent public_key, user_data and nonce as null (every real document does), so null is
 * read as absent.
 */
function optionalBytes(fields: CborMap, name: string, min: number, max: number): Uint8Array | null {
  const value = fields.entries.get(name);
  if (value === undefined || value === null) return null;
  return bytesField(name, value, min, max);
}

function parsePcrs(value: CborValue): Map<number, Uint8Array> {
  if (!(value instanceof CborMap)) throw new PcrInvalidError('a map of PCR index to value', describeCbor(value));
  if (value.entries.size < 1 || value.entries.size > MAX_PCRS) throw new PcrInvalidError(`1..${MAX_PCRS} PCRs`, `${value.entries.size}`);
  const pcrs = new Map<number, Uint8Array>();
  for (const [index, pcr] of value.entries) {
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= MAX_PCRS) {
      throw new PcrInvalidError(`an index in 0..${MAX_PCRS - 1}`, JSON.stringify(index));
    }
    if (!(pcr instanceof Uint8Array) || !PCR_LENGTHS.has(pcr.length)) {
      throw new PcrInvalidError(`PCR${index} of 32, 48 or 64 bytes`, pcr instanceof Uint8Array ? `${pcr.length} bytes` : describeCbor(pcr));
    }
    pcrs.set(index, pcr);
  }
  return pcrs;
}

export function parseAttestationDocument(fields: CborMap): AttestationDocument {
  for (const key of fields.entries.keys()) {
    if (typeof key !== 'string' || !KNOWN_FIELDS.has(key)) throw new UnknownFieldError(JSON.stringify(key));
  }
  const moduleId = required(fields, 'module_id');
  if (typeof moduleId !== 'string' || moduleId.length === 0 || moduleId.length > MAX_MODULE_ID_LENGTH) {
    throw new FieldInvalidError('module_id', 'a non-empty text string', typeof moduleId === 'string' ? `${moduleId.length} characters` : describeCbor(moduleId));
  }
  const digest = required(fields, 'digest');
  if (typeof digest !== 'string') throw new FieldInvalidError('digest', 'a text string', describeCbor(digest));
  if (digest !== 'SHA384') throw new DigestUnsupportedError(digest);
  const timestamp = required(fields, 'timestamp');
  if (typeof timestamp !== 'number' || !Number.isSafeInteger(timestamp) || timestamp <= 0) {
    throw new FieldInvalidError('timestamp', 'an unsigned integer of milliseconds above 0', typeof timestamp === 'number' || typeof timestamp === 'bigint' ? String(timestamp) : describeCbor(timestamp));
  }
  const pcrs = parsePcrs(required(fields, 'pcrs'));
  const certificate = bytesField('certificate', required(fields, 'certificate'), 1, MAX_CERT_LENGTH);
  const bundle = required(fields, 'cabundle');
  if (!Array.isArray(bundle) || bundle.length === 0 || bundle.length > MAX_CABUNDLE_LENGTH) {
    throw new FieldInvalidError('cabundle', `an array of 1..${MAX_CABUNDLE_LENGTH} certificates`, describeCbor(bundle as CborValue));
  }
  const caBundle = (bundle as readonly CborValue[]).map((entry, index) => bytesField(`cabundle[${index}]`, entry, 1, MAX_CERT_LENGTH));
  return {
    moduleId,
    digest,
    timestamp,
    pcrs,
    certificate,
    caBundle,
    publicKey: optionalBytes(fields, 'public_key', 1, MAX_USER_DATA_LENGTH),
    userData: optionalBytes(fields, 'user_data', 0, MAX_USER_DATA_LENGTH),
    nonce: optionalBytes(fields, 'nonce', 0, MAX_USER_DATA_LENGTH),
  };
}
