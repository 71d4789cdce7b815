import { expect } from 'chai';
import { CborMapEntries, encodeCbor, type Encodable } from './cbor/encode-cbor.ts';
import { CborTagged } from './cbor/types.ts';
import { decodeCoseSign1 } from './decode-cose-sign1.ts';
import { ES384_PROTECTED_HEADER } from './dev/index.ts';
import { codeOf, devDocument, readVector } from './testing/fixtures.ts';

const payload = encodeCbor(new CborMapEntries([['module_id', 'x']]));
const signature = new Uint8Array(96);
const sign1 = (items: Encodable[]): Uint8Array => encodeCbor(items);

describe('decodeCoseSign1', () => {
  it('reads a real untagged document', () => {
    const cose = decodeCoseSign1(readVector('evervault-valid.cbor'));
    expect(cose.tagged).to.equal(false);
    expect(cose.signature).to.have.length(96);
    expect(cose.fields.entries.get('digest')).to.equal('SHA384');
  });

  it('reads tag 18 and an indefinite-length payload map', () => {
    const cose = decodeCoseSign1(devDocument({}, { tagged: true, indefiniteMap: true }));
    expect(cose.tagged).to.equal(true);
    expect(cose.fields.indefinite).to.equal(true);
  });

  it('refuses another tag', () => {
    const document = encodeCbor(new CborTagged(98, [ES384_PROTECTED_HEADER, new Map(), payload, signature]));
    expect(codeOf(() => decodeCoseSign1(document))).to.equal('ATTESTATION_COSE_MALFORMED');
  });

  it('refuses something other than a 4-item array', () => {
    expect(codeOf(() => decodeCoseSign1(sign1([ES384_PROTECTED_HEADER, new Map(), payload])))).to.equal('ATTESTATION_COSE_MALFORMED');
    expect(codeOf(() => decodeCoseSign1(encodeCbor(new Map([[1, 2]]))))).to.equal('ATTESTATION_COSE_MALFORMED');
  });

  it('refuses wrongly typed members', () => {
    expect(codeOf(() => decodeCoseSign1(sign1([new Map([[1, -35]]), new Map(), payload, signature])))).to.equal('ATTESTATION_COSE_MALFORMED');
    expect(codeOf(() => decodeCoseSign1(sign1([ES384_PROTECTED_HEADER, [], payload, signature])))).to.equal('ATTESTATION_COSE_MALFORMED');
    expect(codeOf(() => decodeCoseSign1(sign1([ES384_PROTECTED_HEADER, new Map(), null, signature])))).to.equal('ATTESTATION_COSE_MALFORMED');
    expect(codeOf(() => decodeCoseSign1(sign1([ES384_PROTECTED_HEADER, new Map(), payload, 'sig'])))).to.equal('ATTESTATION_COSE_MALFORMED');
    expect(codeOf(() => decodeCoseSign1(sign1([ES384_PROTECTED_HEADER, new Map(), new Uint8Array(0), signature])))).to.equal('ATTESTATION_COSE_MALFORMED');
    expect(codeOf(() => decodeCoseSign1(sign1([ES384_PROTECTED_HEADER, new Map(), new Uint8Array(16385), signature])))).to.equal('ATTESTATION_COSE_MALFORMED');
  });

  it('refuses any protected header but exactly {1: -35}', () => {
    for (const header of [
      new Map([[1, -7]]), // ES256
      new Map([[1, -36]]), // ES512
      new Map<number, Encodable>([[1, -35], [4, Uint8Array.of(1)]]), // an extra kid
      new Map(),
      [1, -35],
    ] as Encodable[]) {
      expect(codeOf(() => decodeCoseSign1(sign1([encodeCbor(header), new Map(), payload, signature])))).to.equal('ATTESTATION_UNSUPPORTED_ALGORITHM');
    }
    expect(codeOf(() => decodeCoseSign1(sign1([Uint8Array.of(0xa1, 0x01), new Map(), payload, signature])))).to.equal('ATTESTATION_UNSUPPORTED_ALGORITHM');
  });

  it('refuses a signature that is not 96 bytes', () => {
    for (const length of [0, 64, 95, 97, 104]) {
      expect(codeOf(() => decodeCoseSign1(sign1([ES384_PROTECTED_HEADER, new Map(), payload, new Uint8Array(length)])))).to.equal('ATTESTATION_SIGNATURE_MALFORMED');
    }
  });

  it('refuses a payload that is not a map', () => {
    for (const body of [[1, 2], 'text', 7] as Encodable[]) {
      expect(codeOf(() => decodeCoseSign1(sign1([ES384_PROTECTED_HEADER, new Map(), encodeCbor(body), signature])))).to.equal('ATTESTATION_PAYLOAD_NOT_MAP');
    }
  });

  it('refuses a payload with trailing bytes or repeated keys', () => {
    const trailing = new Uint8Array([...payload, 0x00]);
    expect(codeOf(() => decodeCoseSign1(sign1([ES384_PROTECTED_HEADER, new Map(), trailing, signature])))).to.equal('ATTESTATION_CBOR_MALFORMED');
    const repeated = encodeCbor(new CborMapEntries([['nonce', null], ['nonce', null]]));
    expect(codeOf(() => decodeCoseSign1(sign1([ES384_PROTECTED_HEADER, new Map(), repeated, signature])))).to.equal('ATTESTATION_DUPLICATE_KEY');
  });

  it('refuses trailing bytes after a real document and every truncation of it', () => {
    const document = readVector('yawn-valid.cbor');
    expect(codeOf(() => decodeCoseSign1(new Uint8Array([...document, 0xf6])))).to.equal('ATTESTATION_CBOR_MALFORMED');
    for (let length = 0; length < document.length; length += 97) {
      expect(codeOf(() => decodeCoseSign1(document.subarray(0, length)))).to.equal('ATTESTATION_CBOR_MALFORMED');
    }
    expect(codeOf(() => decodeCoseSign1(document.subarray(0, document.length - 1)))).to.equal('ATTESTATION_CBOR_MALFORMED');
  });
});
