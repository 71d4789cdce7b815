import { expect } from 'chai';
import { decodeCbor } from './cbor/decode-cbor.ts';
import { CborMapEntries, encodeCbor, type Encodable } from './cbor/encode-cbor.ts';
import type { CborMap } from './cbor/types.ts';
import { decodeCoseSign1 } from './decode-cose-sign1.ts';
import { parseAttestationDocument } from './parse-attestation-document.ts';
import { codeOf, readVector } from './testing/fixtures.ts';

const pcrs = (count: number, length = 48): CborMapEntries => new CborMapEntries(Array.from({ length: count }, (_, index) => [index, new Uint8Array(length)] as const));

function base(): [string, Encodable][] {
  return [
    ['module_id', 'i-0-enc0'],
    ['digest', 'SHA384'],
    ['timestamp', 1700000000000],
    ['pcrs', pcrs(16)],
    ['certificate', new Uint8Array(600)],
    ['cabundle', [new Uint8Array(500), new Uint8Array(600)]],
    ['public_key', null],
    ['user_data', null],
    ['nonce', null],
  ];
}

function parse(entries: [Encodable, Encodable][]) {
  return parseAttestationDocument(decodeCbor(encodeCbor(new CborMapEntries(entries))) as CborMap);
}

function withField(name: string, value: Encodable | typeof REMOVE): [Encodable, Encodable][] {
  const entries = base().filter(([key]) => key !== name || value !== REMOVE);
  return entries.map(([key, item]) => [key, key === name ? (value as Encodable) : item]);
}
const REMOVE = Symbol('remove');

describe('parseAttestationDocument', () => {
  it('reads every field of a real document', () => {
    const document = parseAttestationDocument(decodeCoseSign1(readVector('yawn-valid.cbor')).fields);
    expect(document.moduleId).to.equal('i-0bee92034f3d60691-enc01943c5eaab3ad6a');
    expect(document.timestamp).to.equal(1736179625472);
    expect(document.pcrs.size).to.equal(16);
    expect(document.caBundle).to.have.length(4);
    expect(document.publicKey).to.have.length(294);
    expect(document.userData).to.equal(null);
    expect(document.nonce).to.equal(null);
  });

  it('accepts 17 PCRs, 32/48/64-byte values, absent and present optional fields', () => {
    expect(parse(withField('pcrs', pcrs(17))).pcrs.size).to.equal(17);
    expect(parse(withField('pcrs', pcrs(1, 32))).pcrs.get(0)).to.have.length(32);
    expect(parse(withField('pcrs', pcrs(1, 64))).pcrs.get(0)).to.have.length(64);
    const withoutOptional = base().filter(([key]) => !['public_key', 'user_data', 'nonce'].includes(key));
    expect(parse(withoutOptional).nonce).to.equal(null);
    expect(parse(withField('nonce', new Uint8Array(0))).nonce).to.have.length(0);
    expect(parse(withField('user_data', new Uint8Array(1024))).userData).to.have.length(1024);
  });

  it('refuses unknown fields, including non-text keys', () => {
    expect(codeOf(() => parse([...base(), ['extra', 1]]))).to.equal('ATTESTATION_UNKNOWN_FIELD');
    expect(codeOf(() => parse([...base(), [1, 1]]))).to.equal('ATTESTATION_UNKNOWN_FIELD');
  });

  for (const field of ['module_id', 'digest', 'timestamp', 'pcrs', 'certificate', 'cabundle']) {
    it(`refuses a document without ${field}`, () => {
      expect(codeOf(() => parse(withField(field, REMOVE)))).to.equal('ATTESTATION_MISSING_FIELD');
    });
  }

  it('refuses a digest other than "SHA384"', () => {
    expect(codeOf(() => parse(withField('digest', 'SHA256')))).to.equal('ATTESTATION_DIGEST_UNSUPPORTED');
    expect(codeOf(() => parse(withField('digest', 'sha384')))).to.equal('ATTESTATION_DIGEST_UNSUPPORTED');
    expect(codeOf(() => parse(withField('digest', 384)))).to.equal('ATTESTATION_FIELD_INVALID');
  });

  const invalid: [string, Encodable][] = [
    ['module_id', ''],
    ['module_id', Uint8Array.of(1)],
    ['timestamp', 0],
    ['timestamp', -5],
    ['timestamp', '1700000000000'],
    ['timestamp', 2n ** 60n],
    ['certificate', new Uint8Array(0)],
    ['certificate', new Uint8Array(1025)],
    ['certificate', 'der'],
    ['cabundle', []],
    ['cabundle', new Uint8Array(10)],
    ['cabundle', [new Uint8Array(10), 'x']],
    ['cabundle', Array.from({ length: 17 }, () => new Uint8Array(1))],
    ['public_key', new Uint8Array(0)],
    ['public_key', new Uint8Array(1025)],
    ['user_data', new Uint8Array(1025)],
    ['user_data', 'data'],
    ['nonce', new Uint8Array(1025)],
    ['nonce', 7],
  ];
  for (const [field, value] of invalid) {
    it(`refuses ${field} = ${value instanceof Uint8Array ? `${value.length} bytes` : Array.isArray(value) ? `array(${value.length})` : String(value)}`, () => {
      expect(codeOf(() => parse(withField(field, value)))).to.equal('ATTESTATION_FIELD_INVALID');
    });
  }

  const badPcrs: [string, Encodable][] = [
    ['a PCR of 47 bytes', pcrs(1, 47)],
    ['a PCR of 0 bytes', pcrs(1, 0)],
    ['index 32', new CborMapEntries([[32, new Uint8Array(48)]])],
    ['index -1', new CborMapEntries([[-1, new Uint8Array(48)]])],
    ['a text index', new CborMapEntries([['0', new Uint8Array(48)]])],
    ['a text value', new CborMapEntries([[0, 'ab']])],
    ['no PCRs', new CborMapEntries([])],
    ['an array', [new Uint8Array(48)]],
  ];
  for (const [name, value] of badPcrs) {
    it(`refuses pcrs with ${name}`, () => {
      expect(codeOf(() => parse(withField('pcrs', value)))).to.equal('ATTESTATION_PCR_INVALID');
    });
  }
});
