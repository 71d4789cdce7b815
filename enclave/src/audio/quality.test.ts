import { expect } from 'chai';
import { logMelSpectrogram } from './logmel.ts';
import { clippingFraction, effectiveBandwidth, melBandEdges, qualityScore, samplePeakDbfs } from './quality.ts';
import { readFixture, sine, whiteNoise } from './score-fixtures.ts';

const mel = (s: Float32Array) => logMelSpectrogram(s, { nMels: 80 });

describe('audio/quality: peak, clipping, bandwidth and the quality sub-score', () => {
  it('measures sample peak in dBFS and the clipped fraction', () => {
    expect(samplePeakDbfs(sine(16000, 440, 0.5))).to.be.closeTo(-6.02, 0.01);
    expect(samplePeakDbfs(new Float32Array(10))).to.equal(Number.NEGATIVE_INFINITY);
    const clipped = sine(16000, 440, 2).map((v) => Math.max(-1, Math.min(1, v)));
    expect(clippingFraction(clipped)).to.be.within(0.6, 0.7); // |2 sin| >= 1 two thirds of the time
    expect(clippingFraction(sine(16000, 440, 0.9))).to.equal(0);
  });

  it('finds the band edge of telephone-band, wideband and band-limited noise', () => {
    // Asterisk prompts were recorded at 8 kHz: nothing above 4 kHz.
    expect(effectiveBandwidth(mel(readFixture('ast-demo-nogo.wav')))).to.be.within(3500, 4300);
    // The alsa clips were recorded at 48 kHz: speech energy reaches the 8 kHz top.
    expect(effectiveBandwidth(mel(readFixture('alsa-Front_Left.wav')))).to.be.greaterThan(6000);
    expect(effectiveBandwidth(mel(whiteNoise(32000, 0.1)))).to.be.greaterThan(7500);
    // A 1 kHz tone: the band holding it, give or take its neighbours' leakage.
    expect(effectiveBandwidth(mel(sine(32000, 1000, 0.5)), 30)).to.be.within(900, 1300);
    expect(melBandEdges(80)[81]).to.be.closeTo(8000, 1e-6);
  });

  it('folds the metrics into one score where any single bad aspect pulls it down', () => {
    const good = { snrDb: 40, loudnessLufs: -20, clippingFraction: 0, bandwidthHz: 8000, speechRatio: 0.8 };
    expect(qualityScore(good).score).to.equal(1);
    const telephone = qualityScore({ ...good, bandwidthHz: 3900 }).score;
    const noisy = qualityScore({ ...good, snrDb: 12 }).score;
    expect(telephone).to.be.within(0.8, 0.95);
    expect(noisy).to.be.within(0.5, 0.8);
    expect(qualityScore({ ...good, snrDb: 3 }).score).to.equal(0);
    expect(qualityScore({ ...good, clippingFraction: 0.02 }).score).to.equal(0);
    expect(qualityScore({ ...good, loudnessLufs: Number.NEGATIVE_INFINITY }).score).to.equal(0);
    expect(qualityScore({ ...good, loudnessLufs: -45 }).score).to.be.within(0.7, 0.95);
    expect(qualityScore({ ...good, loudnessLufs: 0 }).score).to.be.within(0.7, 0.95);
    expect(qualityScore({ ...good, speechRatio: 0.1 }).factors.speechRatio).to.be.closeTo(0.2, 1e-9);
  });
});
