import { expect } from 'chai';
import { decodeOid, decodeTime, derChildren, DerError, readDer } from './der.ts';

const hex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'));
const time = (tag: number, text: string): Uint8Array => new Uint8Array([tag, text.length, ...Buffer.from(text, 'latin1')]);

describe('DER reader', () => {
  it('reads short and long lengths and children that fill their parent', () => {
    const element = readDer(hex('3006020101020102'), 0);
    expect(element).to.deep.equal({ tag: 0x30, start: 0, contentStart: 2, end: 8 });
    expect(derChildren(hex('3006020101020102'), element).map((child) => child.start)).to.deep.equal([2, 5]);
    const long = new Uint8Array([0x04, 0x81, 0x80, ...new Uint8Array(128)]);
    expect(readDer(long, 0).end).to.equal(131);
  });

  it('refuses overruns, indefinite lengths, huge lengths and multi-byte tags', () => {
    for (const bytes of ['3005020101', '3080', '3084ffffffff', '1f0100', '30', '3003020201']) {
      expect(() => {
        const element = readDer(hex(bytes), 0);
        derChildren(hex(bytes), element);
      }, bytes).to.throw(DerError);
    }
  });

  it('decodes object identifiers', () => {
    expect(decodeOid(hex('2a8648ce3d040303'))).to.equal('1.2.840.10045.4.3.3');
    expect(decodeOid(hex('551d13'))).to.equal('2.5.29.19');
    expect(() => decodeOid(hex('2a86'))).to.throw(DerError);
    expect(() => decodeOid(new Uint8Array(0))).to.throw(DerError);
  });

  it('decodes UTCTime and GeneralizedTime as RFC 5280 requires', () => {
    const utc = time(0x17, '491028142805Z');
    expect(decodeTime(utc, readDer(utc, 0)).toISOString()).to.equal('2049-10-28T14:28:05.000Z');
    const old = time(0x17, '500101000000Z');
    expect(decodeTime(old, readDer(old, 0)).toISOString()).to.equal('1950-01-01T00:00:00.000Z');
    const general = time(0x18, '20550101000000Z');
    expect(decodeTime(general, readDer(general, 0)).toISOString()).to.equal('2055-01-01T00:00:00.000Z');
    for (const bad of [time(0x17, '490230000000Z'), time(0x17, '4910281428Z'), time(0x17, '491028142805+'), time(0x18, '491028142805Z'), time(0x18, '00490101000000Z'), time(0x17, '49102814280aZ')]) {
      expect(() => decodeTime(bad, readDer(bad, 0))).to.throw(DerError);
    }
  });
});
