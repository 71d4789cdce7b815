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

  it('gives diminishing returns on speech seconds, capped at 1', () => {
    expect(volumeFactor(0)).to.equal(DEFAULT_SCORE.volumeFloor);
    const gains = [0, 10, 20, 30, 40, 50, 60].map((s) => volumeFactor(s)); // equal steps
    for (let i = 1; i < gains.length; i += 1) {
      expect(gains[i]).to.be.greaterThan(gains[i - 1]!);
      if (i > 1) expect(gains[i]! - gains[i - 1]!).to.be.lessThan(gains[i - 1]! - gains[i - 2]!);
    }
    expect(volumeFactor(3600)).to.be.at.most(1);
    // An hour of speech is worth barely more than a minute of it.
    expect(volumeFactor(3600) / volumeFactor(60)).to.be.lessThan(1.02);
  });

  it('is invalid, and 0, for too short, too long, silent and speechless files', () => {
    expect(invalidReason({ ...good, durationSeconds: 0.5 })).to.equal('too-short');
    expect(invalidReason({ ...good, durationSeconds: 3601 })).to.equal('too-long');
    expect(invalidReason({ ...good, loudnessLufs: Number.NEGATIVE_INFINITY })).to.equal('silent');
    expect(invalidReason({ ...good, speechSeconds: 0.2 })).to.equal('no-speech');
    expect(invalidReason({ ...good, speechSeconds: 1, durationSeconds: 60, speechRatio: 1 / 60 })).to.equal('no-speech');
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
