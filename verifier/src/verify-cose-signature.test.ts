import { sign } from 'node:crypto';
import { expect } from 'chai';
import { decodeCoseSign1 } from './decode-cose-sign1.ts';
import { encodeSigStructure } from './sig-structure.ts';
import { codeOf, devDocument, testLeaf } from './testing/fixtures.ts';
import { verifyCoseSignature } from './verify-cose-signature.ts';

/** Order of the P-384 group (SEC 2, 2.5.1). */
const N = BigInt('0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973');
const toBytes = (value: bigint): Uint8Array => new Uint8Array(Buffer.from(value.toString(16).padStart(96, '0'), 'hex'));

describe('verifyCoseSignature', () => {
  const cose = decodeCoseSign1(devDocument());
  const key = testLeaf().publicKey;

  it('accepts the signature over the Sig_structure', () => {
    expect(() => verifyCoseSignature(cose.protectedHeader, cose.payload, cose.signature, key)).not.to.throw();
  });

  it('accepts both the low-S and the high-S form of a signature', () => {
    const signature = new Uint8Array(sign('sha384', encodeSigStructure(cose.protectedHeader, cose.payload), { key: testLeaf().privateKey, dsaEncoding: 'ieee-p1363' }));
    const s = BigInt(`0x${Buffer.from(signature.subarray(48)).toString('hex')}`);
    const flipped = new Uint8Array([...signature.subarray(0, 48), ...toBytes(N - s)]);
    expect(() => verifyCoseSignature(cose.protectedHeader, cose.payload, signature, key)).not.to.throw();
    expect(() => verifyCoseSignature(cose.protectedHeader, cose.payload, flipped, key)).not.to.throw();
  });

  it('refuses a changed payload, protected header or signature', () => {
    const payload = cose.payload.slice();
    payload[payload.length - 1] = payload[payload.length - 1]! ^ 1;
    const signature = cose.signature.slice();
    signature[10] = signature[10]! ^ 1;
    expect(codeOf(() => verifyCoseSignature(cose.protectedHeader, payload, cose.signature, key))).to.equal('ATTESTATION_SIGNATURE_INVALID');
    expect(codeOf(() => verifyCoseSignature(Uint8Array.of(0xa1, 0x01, 0x38, 0x23), cose.payload, cose.signature, key))).to.equal('ATTESTATION_SIGNATURE_INVALID');
    expect(codeOf(() => verifyCoseSignature(cose.protectedHeader, cose.payload, signature, key))).to.equal('ATTESTATION_SIGNATURE_INVALID');
    expect(codeOf(() => verifyCoseSignature(cose.protectedHeader, cose.payload, new Uint8Array(96), key))).to.equal('ATTESTATION_SIGNATURE_INVALID');
  });
});
