import { expect } from 'chai';
import { CborMalformedError, DuplicateKeyError } from '../errors.ts';
import { codeOf } from '../testing/fixtures.ts';
import { decodeCbor } from './decode-cbor.ts';
import { CborMapEntries, encodeCbor } from './encode-cbor.ts';
import { CborMap, CborTagged } from './types.ts';

const hex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'));

describe('decodeCbor', () => {
  it('round-trips what the encoder writes', () => {
    const value = [1, -1, 23, 24, 255, 256, 65535, 65536, 2 ** 32, Number.MAX_SAFE_INTEGER, 'text', Uint8Array.of(1, 2), null, true, false, new CborTagged(18, [])];
    const decoded = decodeCbor(encodeCbor(value)) as unknown[];
    expect(decoded.slice(0, 12)).to.deep.equal(value.slice(0, 12));
    expect(decoded.slice(12, 15)).to.deep.equal([null, true, false]);
    expect(decoded[15]).to.be.instanceOf(CborTagged);
  });

  it('returns integers above 2^53 - 1 as bigint', () => {
    expect(decodeCbor(hex('1b0020000000000000'))).to.equal(2n ** 53n);
    expect(decodeCbor(hex('3b001fffffffffffff'))).to.equal(-(2n ** 53n));
  });

  it('reads definite and indefinite maps and remembers which', () => {
    const definite = decodeCbor(encodeCbor(new CborMapEntries([['a', 1]]))) as CborMap;
    const indefinite = decodeCbor(encodeCbor(new CborMapEntries([['a', 1], [2, 'b']], true))) as CborMap;
    expect(definite.indefinite).to.equal(false);
    expect(indefinite.indefinite).to.equal(true);
    expect([...indefinite.entries]).to.deep.equal([['a', 1], [2, 'b']]);
    expect(decodeCbor(hex('9f0102ff'))).to.deep.equal([1, 2]);
  });

  it('refuses repeated map keys', () => {
    expect(() => decodeCbor(encodeCbor(new CborMapEntries([['a', 1], ['a', 2]])))).to.throw(DuplicateKeyError);
    expect(codeOf(() => decodeCbor(encodeCbor(new CborMapEntries([[1, 1], [1, 2]], true))))).to.equal('ATTESTATION_DUPLICATE_KEY');
  });

  const malformed: [string, string][] = [
    ['empty input', ''],
    ['trailing bytes', '0100'],
    ['truncated head', '19ff'],
    ['truncated byte string', '45010203'],
    ['declared length beyond the input', '5bffffffffffffffff00'],
    ['huge array count', '9bffffffffffffffff'],
    ['reserved additional information', '1c'],
    ['indefinite byte string', '5f41aaff'],
    ['indefinite text string', '7f6161ff'],
    ['float', 'fb3ff0000000000000'],
    ['half float', 'f93c00'],
    ['simple value 16', 'f0'],
    ['break alone', 'ff'],
    ['break in a definite array', '82ff'],
    ['break in a definite map', 'a1ff'],
    ['unterminated indefinite map', 'bf0102'],
    ['byte-string map key', 'a14101 02'.replace(' ', '')],
    ['invalid UTF-8', '62c328'],
    ['nesting too deep', '81'.repeat(40) + '00'],
  ];
  for (const [name, bytes] of malformed) {
    it(`refuses ${name} with a typed error`, () => {
      expect(() => decodeCbor(hex(bytes))).to.throw(CborMalformedError);
    });
  }
});
