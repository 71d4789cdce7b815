// The bytes a COSE_Sign1 signature covers (RFC 9052, 4.4): the Sig_structure
// ["Signature1", body_protected, external_aad, payload], here with an empty external_aad.
import { encodeCbor } from './cbor/encode-cbor.ts';

const EMPTY = new Uint8Array(0);

export function encodeSigStructure(protectedHeader: Uint8Array, payload: Uint8Array): Uint8Array {
  return encodeCbor(['Signature1', protectedHeader, EMPTY, payload]);
}
