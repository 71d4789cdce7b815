import { expect } from 'chai';
import { authenticityGate, DEFAULT_SCORE, invalidReason, proofScore, volumeFactor, type ScoreInputs } from './score.ts';

const good: ScoreInputs = {
  durationSeconds: 30,
  speechSeconds: 25,
  speechRatio: 0.83,
  loudnessLufs: -20,
  quality: 0.9,
  uniqueness: 1,
  authenticity: 0.9,
  ownership: 1,
};

describe('audio/score: the proof-of-contribution formula', () => {
  it('multiplies quality, uniqueness, ownership, the authenticity gate and the volume factor', () => {
    const p = proofScore(good);
    expect(p.valid).to.equal(true);
    expect(p.score).to.be.closeTo(0.9 * volumeFactor(25), 1e-12);
    expect(proofScore({ ...good, uniqueness: 0 }).score).to.equal(0);
    expect(proofScore({ ...good, ownership: 0 }).score).to.equal(0);
    expect(proofScore({ ...good, authenticity: 0.15 }).score).to.equal(0);
    expect(proofScore({ ...good, authenticity: 0.4 }).score).to.be.closeTo(p.score / 2, 1e-12);
    expect(proofScore({ ...good, uniqueness: 0.5 }).score).to.be.closeTo(p.score / 2, 1e-12);
  });

  it('pays speech seconds linearly less one deduction per file, so pieces never earn more than the whole', () => {
    const t = DEFAULT_SCORE;
    expect(volumeFactor(t.minSpeechSeconds)).to.equal(0);
    expect(volumeFactor(t.volumeCapSeconds)).to.equal(1);
    expect(volumeFactor(t.maxDurationSeconds)).to.be.at.most(1);
    // Ten 6 s pieces against the same minute whole.
    expect(10 * volumeFactor(6)).to.be.lessThan(volumeFactor(60));
    const random = (() => {
      let x = 12345;
      return () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    })();
    for (let trial = 0; trial < 200; trial += 1) {
      // A valid whole has at most maxDurationSeconds of speech: 12 x 45 s stays below it.
      const pieces = Array.from({ length: 1 + Math.floor(random() * 12) }, () => random() * 45);
      const whole = pieces.reduce((a, b) => a + b, 0);
      const sum = pieces.reduce((a, s) => a + volumeFactor(s), 0);
      expect(sum).to.be.at.most(volumeFactor(whole) + 1e-12);
    }
  });

  it('is invalid, and 0, for too short, too long, silent and speechless files', () => {
    expect(invalidReason({ ...good, durationSeconds: 0.5 })).to.equal('too-short');
    expect(invalidReason({ ...good, durationSeconds: 601 })).to.equal('too-long');
    expect(invalidReason({ ...good, loudnessLufs: Number.NEGATIVE_INFINITY })).to.equal('silent');
    expect(invalidReason({ ...good, speechSeconds: 0.9 })).to.equal('no-speech');
    expect(invalidReason({ ...good, speechSeconds: 2, durationSeconds: 60, speechRatio: 2 / 60 })).to.equal('no-speech');
    const bad = proofScore({ ...good, speechSeconds: 0 });
    expect(bad.valid).to.equal(false);
    expect(bad.score).to.equal(0);
    expect(bad.invalidReason).to.equal('no-speech');
    // Sub-scores are still reported (computed, never left at 0).
    expect(bad.quality).to.equal(0.9);
  });

  it('clamps every field to [0, 1]', () => {
    const p = proofScore({ ...good, quality: 1.5, authenticity: -1, ownership: 2 });
    for (const v of [p.score, p.quality, p.authenticity, p.ownership, p.uniqueness]) expect(v).to.be.within(0, 1);
    expect(authenticityGate(1)).to.equal(1);
    expect(authenticityGate(0)).to.equal(0);
  });
});
