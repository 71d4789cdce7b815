import { expect } from 'chai';
import { alignedBitErrorRate, fingerprint, popcount32 } from './fingerprint.ts';
import { logMelSpectrogram } from './logmel.ts';
import { fixtureNames, readFixture, whiteNoise } from './score-fixtures.ts';

const fp = (s: Float32Array) => fingerprint(logMelSpectrogram(s, { nMels: 80 }));

function bestBer(a: ReturnType<typeof fp>, b: ReturnType<typeof fp>, minCompared = 25) {
  let best = 1;
  for (let off = -a.words.length; off < b.words.length; off += 1) {
    const r = alignedBitErrorRate(a, b, off);
    if (r.compared >= minCompared && r.ber < best) best = r.ber;
  }
  return best;
}

describe('audio/fingerprint: Haitsma-Kalker style sub-fingerprints on the log-mel', () => {
  const original = readFixture('ast-demo-nogo.wav');
  const ref = fp(original);

  it('makes 50 words per second and masks silence', () => {
    expect(ref.hopSeconds).to.equal(0.02);
    expect(ref.words.length).to.be.closeTo((original.length / 16000) * 50, 10);
    const silent = fp(new Float32Array(32000));
    expect(silent.mask.every((m) => m === 0)).to.equal(true);
  });

  it('survives Opus at 16 kbit/s, resampling, gain and trimming (BER well under 0.35)', () => {
    expect(bestBer(fp(readFixture('copy-opus16k-ast-demo-nogo.wav')), ref)).to.be.lessThan(0.2);
    expect(bestBer(fp(readFixture('copy-resampled11k-ast-demo-nogo.wav')), ref)).to.be.lessThan(0.1);
    for (const db of [-12, 12]) {
      const g = 10 ** (db / 20);
      // +12 dB clips the loudest peaks: that is part of what must be survived.
      const scaled = original.map((v) => Math.max(-1, Math.min(1, v * g)));
      expect(bestBer(fp(scaled), ref), `${db} dB`).to.be.lessThan(0.1);
    }
    // Cut 1.2345 s at the start and 1 s at the end: an offset that is no multiple of the hop.
    const trimmed = original.subarray(19752, original.length - 16000);
    expect(bestBer(fp(trimmed), ref)).to.be.lessThan(0.15);
    const noise = whiteNoise(original.length, 0.01, 9);
    const noisy = original.map((v, i) => v + noise[i]!);
    expect(bestBer(fp(noisy), ref)).to.be.lessThan(0.3);
  });

  it('keeps distinct recordings apart, even the same speaker saying nearly the same words', () => {
    const names = [...fixtureNames('ast-'), ...fixtureNames('alsa-'), ...fixtureNames('espeak-')];
    const fps = names.map((n) => fp(readFixture(n)));
    let min = 1;
    for (let i = 0; i < fps.length; i += 1) for (let j = i + 1; j < fps.length; j += 1) min = Math.min(min, bestBer(fps[i]!, fps[j]!));
    expect(min).to.be.greaterThan(0.38);
  });

  it('counts bits', () => {
    expect(popcount32(0)).to.equal(0);
    expect(popcount32(0xffffffff)).to.equal(32);
    expect(popcount32(0x80000001)).to.equal(2);
  });
});
