import { expect } from 'chai';
import { CborMapEntries, encodeCbor } from './encode-cbor.ts';
import { CborTagged } from './types.ts';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

describe('encodeCbor', () => {
  it('writes heads in their shortest form (RFC 8949, 4.2.1)', () => {
    expect(hex(encodeCbor(0))).to.equal('00');
    expect(hex(encodeCbor(23))).to.equal('17');
    expect(hex(encodeCbor(24))).to.equal('1818');
    expect(hex(encodeCbor(256))).to.equal('190100');
    expect(hex(encodeCbor(65536))).to.equal('1a00010000');
    expect(hex(encodeCbor(1665651482136))).to.equal('1b00000183d0909e18');
    expect(hex(encodeCbor(-35))).to.equal('3822');
    expect(hex(encodeCbor(2n ** 64n - 1n))).to.equal('1bffffffffffffffff');
  });

  it('writes the Nitro protected header, tags, maps in the order given and indefinite maps', () => {
    expect(hex(encodeCbor(new Map([[1, -35]])))).to.equal('a1013822');
    expect(hex(encodeCbor(new CborTagged(18, [])))).to.equal('d280');
    expect(hex(encodeCbor(new CborMapEntries([['b', 1], ['a', 2]])))).to.equal('a2616201616102');
    expect(hex(encodeCbor(new CborMapEntries([[1, null]], true)))).to.equal('bf01f6ff');
  });

  it('refuses what it cannot encode exactly', () => {
    expect(() => encodeCbor(1.5)).to.throw(RangeError);
    expect(() => encodeCbor(2n ** 64n)).to.throw(RangeError);
    expect(() => encodeCbor({} as never)).to.throw(TypeError);
  });
});
