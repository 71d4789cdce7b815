import { expect } from 'chai';
import { scoreRecording, PIPELINE_VERSION, type ScoreResult } from './pipeline.ts';
import { concat, fixtureNames, readFixture, whiteNoise } from './score-fixtures.ts';
import { volumeFactor } from './score.ts';
import { FingerprintIndex } from './uniqueness.ts';
import { SILERO_VAD_SHA256, SileroVad } from './vad.ts';

function addNoise(s: Float32Array, snrDb: number, seed: number): Float32Array {
  const n = whiteNoise(s.length, 1, seed);
  let es = 0;
  let en = 0;
  for (let i = 0; i < s.length; i += 1) {
    es += s[i]! * s[i]!;
    en += n[i]! * n[i]!;
  }
  const g = Math.sqrt(es / en / 10 ** (snrDb / 10));
  return s.map((v, i) => v + g * n[i]!);
}

describe('audio/pipeline: scoreRecording end to end', () => {
  let vad: SileroVad;
  before(async () => {
    vad = await SileroVad.load();
  });
  after(async () => vad.release());
  const score = (s: Float32Array, id: string, index: FingerprintIndex | null = new FingerprintIndex()) =>
    scoreRecording(s, { vad, index, fileId: id, ownership: 1 });

  const real = concat([readFixture('ast-demo-nogo.wav'), readFixture('ast-vm-newpassword.wav')]);

  it('pins real, noisy, synthetic and silent audio in range and in order', async () => {
    const r = await score(real, 'real');
    const noisy = await score(addNoise(real, 10, 4), 'noisy');
    const synthetic = await score(concat([readFixture('espeak-1.wav'), readFixture('espeak-3.wav')]), 'tts');
    const silence = await score(new Float32Array(16000 * 5), 'silence');
    const noise = await score(whiteNoise(16000 * 5, 0.05, 8), 'noise');
    const short = await score(real.subarray(0, 8000), 'short');
    const empty = await score(new Float32Array(0), 'empty');

    expect(r.valid).to.equal(true);
    // Linear volume: 12 s of speech is 11/599 of a full file; per speech second, quality x gate.
    const rate = (x: ScoreResult) => x.score / volumeFactor(x.attributes.speechSeconds);
    expect(r.score).to.be.within(0.01, 0.03);
    expect(rate(r)).to.be.within(0.75, 0.95);
    expect(r.quality).to.be.within(0.8, 0.95); // 8 kHz telephone band costs it some
    expect(r.authenticity).to.be.greaterThan(0.75);
    expect(r.uniqueness).to.equal(1);
    expect(noisy.valid).to.equal(true);
    expect(noisy.quality).to.be.within(0.3, 0.75);
    expect(rate(noisy)).to.be.within(0.15, rate(r) - 0.1);
    expect(noisy.score).to.be.lessThan(r.score);
    expect(synthetic.valid).to.equal(true);
    expect(synthetic.authenticity).to.be.lessThan(0.25);
    expect(synthetic.score).to.be.lessThan(noisy.score);
    expect(synthetic.score).to.equal(0);
    const higherVoice = await score(readFixture('espeak-4-female.wav'), 'tts-f');
    expect(higherVoice.score).to.be.lessThan(0.1);
    for (const [what, bad, reason] of [
      ['silence', silence, 'silent'],
      ['noise', noise, 'no-speech'],
      ['short', short, 'too-short'],
      ['empty', empty, 'too-short'],
    ] as [string, ScoreResult, string][]) {
      expect(bad.valid, what).to.equal(false);
      expect(bad.score, what).to.equal(0);
      expect(bad.attributes.invalidReason, what).to.equal(reason);
    }
  });

  it('pays no more for a recording cut into pieces, nor for padding it with silence or noise', async function () {
    this.timeout(60_000);
    const parts = fixtureNames('ast-').map(readFixture);
    const whole = concat(parts);
    const alone = async (s: Float32Array) => (await scoreRecording(s, { vad, index: null, ownership: 1 })).score;
    const wholeScore = await alone(whole);
    expect(wholeScore).to.be.greaterThan(0);
    // Cut where the prompts meet, and blindly (mid-word) into 2, 3 and 5 equal pieces.
    const cuts: Float32Array[][] = [parts];
    for (const n of [2, 3, 5]) {
      const len = Math.ceil(whole.length / n);
      cuts.push(Array.from({ length: n }, (_, k) => whole.subarray(k * len, Math.min(whole.length, (k + 1) * len))));
    }
    for (const pieces of cuts) {
      let sum = 0;
      for (const p of pieces) sum += await alone(p);
      // The VAD pads each segment and a cut adds segment ends: 1 % covers that, while the
      // per-file deduction (1 s of speech per piece) is what makes the pieces earn less.
      expect(sum, `${pieces.length} pieces`).to.be.at.most(wholeScore * 1.01);
    }
    const silence = new Float32Array(16000 * 10);
    for (const padded of [
      concat([whole, silence]),
      concat([silence, whole, silence]),
      concat([whiteNoise(16000 * 10, 0.003, 5), whole, whiteNoise(16000 * 10, 0.003, 6)]),
      concat([whole, whiteNoise(16000 * 10, 0.05, 9)]),
      whole.map((v, i) => v + 0.002 * Math.sin(i * 0.37)), // a hum under the speech
    ]) {
      expect(await alone(padded)).to.be.at.most(wholeScore * 1.01);
    }
  });

  it('scores a replay 0 and does not index it; an invalid file is never indexed', async () => {
    const index = new FingerprintIndex();
    const first = await score(real, 'first', index);
    expect(first.metadata.indexedAs).to.equal('first');
    const again = await score(real.map((v) => v * 0.5), 'again', index);
    expect(again.valid).to.equal(true);
    expect(again.uniqueness).to.equal(0);
    expect(again.score).to.equal(0);
    expect(again.attributes.duplicateOf!.fileId).to.equal('first');
    expect(again.metadata.indexedAs).to.equal(null);
    await score(new Float32Array(16000 * 2), 'silent', index);
    expect(index.size).to.equal(1);
  });

  it('reports the proof shape, attributes, metadata and per-stage timings', async () => {
    const r = await scoreRecording(real, { vad, index: null, ownership: 1 });
    expect(Object.keys(r).sort()).to.deep.equal(
      ['attributes', 'authenticity', 'metadata', 'ownership', 'quality', 'score', 'timings', 'uniqueness', 'valid'].sort(),
    );
    expect(r.metadata.pipelineVersion).to.equal(PIPELINE_VERSION);
    expect(r.metadata.vadModelSha256).to.equal(SILERO_VAD_SHA256);
    expect(r.metadata.uniquenessChecked).to.equal(false);
    expect(r.attributes.durationSeconds).to.be.closeTo(real.length / 16000, 1e-9);
    expect(r.attributes.bandwidthHz).to.be.within(3500, 4300);
    expect(r.attributes.loudnessLufs).to.be.within(-24, -16);
    expect(Object.values(r.timings).every((t) => t >= 0)).to.equal(true);
    expect(JSON.parse(JSON.stringify(r.metadata))).to.deep.equal(r.metadata); // JSON-safe for detailsHash
    expect((await scoreRecording(real, { vad, index: null, ownership: 0 })).score).to.equal(0);
  });

  it('needs a file id to check against an index', async () => {
    try {
      await scoreRecording(real, { vad, index: new FingerprintIndex(), ownership: 1 });
      expect.fail('scored without a file id');
    } catch (error) {
      expect(error).to.be.instanceOf(TypeError);
    }
  });
});
