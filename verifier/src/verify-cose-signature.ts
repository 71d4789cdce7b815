// Check 4, signature: the COSE_Sign1 signature must be a valid ES384 signature (RFC 9053, 2.1)
// by the signing certificate's P-384 key over the Sig_structure (RFC 9052, 4.4). High-S values
// are accepted, as ECDSA allows and as real Nitro documents need.
import { verify, type KeyObject } from 'node:crypto';
import { SignatureInvalidError } from './errors.ts';
import { encodeSigStructure } from './sig-structure.ts';

export function verifyCoseSignature(protectedHeader: Uint8Array, payload: Uint8Array, signature: Uint8Array, key: KeyObject): void {
  let valid = false;
  try {
    valid = verify('sha384', encodeSigStructure(protectedHeader, payload), { key, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    valid = false;
  }
  if (!valid) throw new SignatureInvalidError();
}
