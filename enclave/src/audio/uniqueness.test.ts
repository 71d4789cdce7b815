import { expect } from 'chai';
import { fingerprint, type Fingerprint } from './fingerprint.ts';
import { logMelSpectrogram } from './logmel.ts';
import { FingerprintDuplicateIdError, FingerprintIndexCorruptError, FingerprintIndexVersionError } from './score-errors.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeAudio } from './decode/index.ts';
import { fixtureNames, readFixture, SPEECH_FIXTURES } from './score-fixtures.ts';
import { FingerprintIndex } from './uniqueness.ts';

const fp = (s: Float32Array) => fingerprint(logMelSpectrogram(s, { nMels: 80 }));

describe('audio/uniqueness: fingerprint index with atomic check-and-insert', () => {
  const distinct = [...fixtureNames('ast-'), ...fixtureNames('alsa-'), ...fixtureNames('espeak-')];
  const fps = new Map<string, Fingerprint>();
  before(() => {
    for (const n of [...distinct, ...fixtureNames('copy-')]) fps.set(n, fp(readFixture(n)));
  });
  const loaded = () => {
    const index = new FingerprintIndex();
    for (const n of distinct) expect(index.checkAndInsert(n, fps.get(n)!).inserted, n).to.equal(true);
    return index;
  };

  it('passes every distinct recording (no false match) and catches every near copy', () => {
    const index = new FingerprintIndex();
    for (const n of distinct) {
      const r = index.checkAndInsert(n, fps.get(n)!);
      expect(r.uniqueness, `${n} matched ${r.match?.fileId}`).to.equal(1);
    }
    expect(index.size).to.equal(distinct.length);
    for (const n of fixtureNames('copy-')) {
      const r = index.checkAndInsert(`again-${n}`, fps.get(n)!);
      expect(r.uniqueness, n).to.equal(0);
      expect(r.inserted).to.equal(false);
      expect(r.match!.fileId).to.equal(n.replace(/^copy-[a-z0-9]+-/, ''));
    }
    const original = readFixture('ast-demo-nogo.wav');
    const variants: Record<string, Float32Array> = {
      exact: original,
      'gain -12 dB': original.map((v) => v * 0.25),
      'gain +12 dB': original.map((v) => Math.max(-1, Math.min(1, v * 4))),
      'cut 1.5 s at both ends': original.subarray(24000 + 37, original.length - 24000),
    };
    for (const [what, s] of Object.entries(variants)) {
      const r = index.checkAndInsert(`variant ${what}`, fp(s));
      expect(r.uniqueness, what).to.equal(0);
      expect(r.match!.fileId).to.equal('ast-demo-nogo.wav');
      expect(r.match!.bitErrorRate).to.be.lessThan(0.2);
    }
    expect(index.size).to.equal(distinct.length);
  });

  it('catches an Ogg Opus voice note of an indexed file, decoded by the pipeline\'s decoder', async () => {
    const index = loaded();
    const note = await decodeAudio(new Uint8Array(readFileSync(join(SPEECH_FIXTURES, 'copy-opus16k-ast-dir-nomore.opus'))));
    expect(note.codec).to.equal('ogg-opus');
    const r = index.checkAndInsert('voice note', fp(note.samples));
    expect(r.uniqueness).to.equal(0);
    expect(r.match!.fileId).to.equal('ast-dir-nomore.wav');
  });

  it('scores a file half made of an earlier one by the part that is new', () => {
    const index = new FingerprintIndex();
    const old = readFixture('ast-vm-sorry.wav');
    index.checkAndInsert('old', fp(old));
    const fresh = readFixture('ast-dir-nomore.wav');
    const both = new Float32Array(old.length + fresh.length);
    both.set(fresh);
    both.set(old, fresh.length);
    const r = index.checkAndInsert('both', fp(both));
    expect(r.match!.fileId).to.equal('old');
    expect(r.uniqueness).to.be.within(0.35, 0.65);
    expect(r.inserted).to.equal(true);
  });

  it('lets only one of two concurrent submissions of the same audio pass', async () => {
    const index = loaded();
    const s = fps.get('copy-opus16k-ast-vm-sorry.wav')!;
    const fresh = new FingerprintIndex();
    const submit = async (id: string) => {
      await new Promise((r) => setTimeout(r, 1)); // both are in flight before either checks
      return fresh.checkAndInsert(id, s);
    };
    const [a, b] = await Promise.all([submit('a'), submit('b')]);
    expect([a.uniqueness, b.uniqueness].sort()).to.deep.equal([0, 1]);
    expect(index.checkAndInsert('c', s).uniqueness).to.equal(0);
  });

  it('refuses a file id it already holds', () => {
    const index = new FingerprintIndex();
    index.checkAndInsert('x', fps.get('ast-vm-sorry.wav')!);
    try {
      index.checkAndInsert('x', fps.get('ast-dir-nomore.wav')!);
      expect.fail('duplicate id accepted');
    } catch (error) {
      expect(error).to.be.instanceOf(FingerprintDuplicateIdError);
      expect((error as FingerprintDuplicateIdError).code).to.equal('FINGERPRINT_DUPLICATE_ID');
    }
  });

  it('round-trips through bytes and still catches copies', () => {
    const bytes = loaded().serialize();
    const again = FingerprintIndex.deserialize(bytes);
    expect(again.size).to.equal(distinct.length);
    expect(again.serialize()).to.deep.equal(bytes);
    expect(again.checkAndInsert('copy', fps.get('copy-opus16k-ast-demo-nogo.wav')!).match!.fileId).to.equal('ast-demo-nogo.wav');
    expect(FingerprintIndex.deserialize(new FingerprintIndex().serialize()).size).to.equal(0);
  });

  it('refuses corrupt bytes with typed errors and without allocating from lying sizes', () => {
    const good = loaded().serialize();
    const expectCode = (bytes: Uint8Array, code: string) => {
      try {
        FingerprintIndex.deserialize(bytes);
        expect.fail(`accepted (${code})`);
      } catch (error) {
        expect(error).to.be.instanceOf(code === 'FINGERPRINT_INDEX_VERSION' ? FingerprintIndexVersionError : FingerprintIndexCorruptError);
        expect((error as FingerprintIndexCorruptError).code).to.equal(code);
      }
    };
    const edit = (f: (b: Uint8Array, v: DataView) => void) => {
      const b = good.slice();
      f(b, new DataView(b.buffer));
      return b;
    };
    expectCode(good.subarray(0, 5), 'FINGERPRINT_INDEX_CORRUPT');
    expectCode(edit((b) => (b[0] = 0x42)), 'FINGERPRINT_INDEX_CORRUPT');
    expectCode(edit((b) => (b[4] = 9)), 'FINGERPRINT_INDEX_VERSION');
    expectCode(edit((_, v) => v.setUint32(5, 0xffffffff, true)), 'FINGERPRINT_INDEX_CORRUPT');
    expectCode(edit((_, v) => v.setUint16(9, 0, true)), 'FINGERPRINT_INDEX_CORRUPT');
    expectCode(edit((_, v) => v.setUint16(9, 60000, true)), 'FINGERPRINT_INDEX_CORRUPT');
    const idLen = new DataView(good.buffer).getUint16(9, true);
    expectCode(edit((_, v) => v.setUint32(9 + 2 + idLen + 2, 0x3fffff, true)), 'FINGERPRINT_INDEX_CORRUPT');
    expectCode(edit((b) => (b[11] = 0xff)), 'FINGERPRINT_INDEX_CORRUPT');
    expectCode(good.subarray(0, good.length - 1), 'FINGERPRINT_INDEX_CORRUPT');
    expectCode(new Uint8Array([...good, 0]), 'FINGERPRINT_INDEX_CORRUPT');
    // Two files under one id.
    const one = new FingerprintIndex();
    one.checkAndInsert('same', fps.get('ast-vm-sorry.wav')!);
    const rec = one.serialize().subarray(9);
    const twice = new Uint8Array(9 + 2 * rec.length);
    twice.set(one.serialize().subarray(0, 9));
    new DataView(twice.buffer).setUint32(5, 2, true);
    twice.set(rec, 9);
    twice.set(rec, 9 + rec.length);
    expectCode(twice, 'FINGERPRINT_INDEX_CORRUPT');
  });
});
