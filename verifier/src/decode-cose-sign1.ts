// Check 1, decode: the document must be a COSE_Sign1 (RFC 9052, 4.2), untagged or with tag 18,
// whose protected header is exactly {1: -35} (ES384, RFC 9053 2.1), whose signature is the
// 96-byte r || s of P-384, and whose payload is one CBOR map (AWS attestation_process.md, 3.1).
import { decodeCbor } from './cbor/decode-cbor.ts';
import { CborMap, CborTagged, describeCbor, type CborValue } from './cbor/types.ts';
import { CborMalformedError, CoseMalformedError, PayloadNotMapError, SignatureMalformedError, UnsupportedAlgorithmError } from './errors.ts';

const COSE_SIGN1_TAG = 18;
const ALG = 1;
const ES384 = -35;
const ES384_SIGNATURE_LENGTH = 96;
/** AWS attestation_process.md 3.1: the payload is bstr .size (1..16384). */
const MAX_PAYLOAD_LENGTH = 16384;

export interface CoseSign1 {
  /** The protected header's bytes exactly as signed. */
  protectedHeader: Uint8Array;
  /** The payload's bytes exactly as signed. */
  payload: Uint8Array;
  /** r || s, 48 bytes each. */
  signature: Uint8Array;
  /** The payload decoded: the attestation document's top-level map. */
  fields: CborMap;
  tagged: boolean;
}

function decodeProtectedHeader(bytes: Uint8Array): void {
  let header: CborValue;
  try {
    header = decodeCbor(bytes);
  } catch (error) {
    if (error instanceof CborMalformedError) throw new UnsupportedAlgorithmError(`undecodable bytes ${Buffer.from(bytes.subarray(0, 16)).toString('hex')}`);
    throw error;
  }
  if (!(header instanceof CborMap) || header.entries.size !== 1 || header.entries.get(ALG) !== ES384) {
    const shown = header instanceof CborMap ? `{${[...header.entries].map(([key, value]) => `${key}: ${String(value)}`).join(', ')}}` : describeCbor(header);
    throw new UnsupportedAlgorithmError(shown);
  }
}

export function decodeCoseSign1(document: Uint8Array): CoseSign1 {
  let outer = decodeCbor(document);
  let tagged = false;
  if (outer instanceof CborTagged) {
    if (outer.tag !== COSE_SIGN1_TAG) throw new CoseMalformedError('untagged or tag 18', `tag ${outer.tag}`);
    outer = outer.value;
    tagged = true;
  }
  if (!Array.isArray(outer) || outer.length !== 4) throw new CoseMalformedError('an array of 4 items', describeCbor(outer as CborValue));
  const [protectedHeader, unprotected, payload, signature] = outer as readonly CborValue[];
  if (!(protectedHeader instanceof Uint8Array)) throw new CoseMalformedError('protected header as a byte string', describeCbor(protectedHeader));
  if (!(unprotected instanceof CborMap)) throw new CoseMalformedError('unprotected header as a map', describeCbor(unprotected));
  if (!(payload instanceof Uint8Array)) throw new CoseMalformedError('payload as a byte string', describeCbor(payload));
  if (!(signature instanceof Uint8Array)) throw new CoseMalformedError('signature as a byte string', describeCbor(signature));
  decodeProtectedHeader(protectedHeader);
  if (signature.length !== ES384_SIGNATURE_LENGTH) throw new SignatureMalformedError(signature.length);
  if (payload.length === 0 || payload.length > MAX_PAYLOAD_LENGTH) {
    throw new CoseMalformedError(`payload of 1..${MAX_PAYLOAD_LENGTH} bytes`, `${payload.length} bytes`);
  }
  const fields = decodeCbor(payload);
  if (!(fields instanceof CborMap)) throw new PayloadNotMapError(describeCbor(fields));
  return { protectedHeader, payload, signature, fields, tagged };
}
