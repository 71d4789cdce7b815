import { expect } from 'chai';
import { concat, sine, whiteNoise } from './score-fixtures.ts';
import { integratedLoudness, kWeightingFilters, type Biquad } from './loudness.ts';

/** |H(e^jw)|^2 of a biquad, evaluated in closed form (independent of the time-domain filter). */
function powerGain(c: Biquad, f: number, sr: number): number {
  const w = (2 * Math.PI * f) / sr;
  const re = (b0: number, b1: number, b2: number) => b0 + b1 * Math.cos(w) + b2 * Math.cos(2 * w);
  const im = (b1: number, b2: number) => -(b1 * Math.sin(w) + b2 * Math.sin(2 * w));
  const num = re(c.b0, c.b1, c.b2) ** 2 + im(c.b1, c.b2) ** 2;
  const den = re(1, c.a1, c.a2) ** 2 + im(c.a1, c.a2) ** 2;
  return num / den;
}

describe('audio/loudness: ITU-R BS.1770-4 integrated loudness', () => {
  it('derives the published 48 kHz K-weighting coefficients (BS.1770-4 Tables 1 and 2)', () => {
    const [s, h] = kWeightingFilters(48000);
    const close = (a: number, b: number) => expect(a).to.be.closeTo(b, 1e-9);
    close(s.b0, 1.53512485958697);
    close(s.b1, -2.69169618940638);
    close(s.b2, 1.19839281085285);
    close(s.a1, -1.69065929318241);
    close(s.a2, 0.73248077421585);
    close(h.a1, -1.99004745483398);
    close(h.a2, 0.99007225036621);
    expect([h.b0, h.b1, h.b2]).to.deep.equal([1, -2, 1]);
  });

  it('reads a 997 Hz sine at -20 dBFS as the standard predicts, at 48 kHz and at 16 kHz', () => {
    // BS.1770-4: L = -0.691 + 10 log10(mean square of the K-weighted signal). A sine of peak 0.1
    // has mean square 0.005 (-23.010 dB); K-weighting at 997 Hz adds +0.691 dB at 48 kHz (which is
    // why -0.691 is in the formula: -23.010 LUFS) and +0.731 dB at 16 kHz, where the bilinear
    // transform warps the 1.68 kHz shelf towards the 8 kHz Nyquist frequency: -22.970 LUFS.
    for (const [sr, pinned] of [
      [48000, -23.01],
      [16000, -22.97],
    ] as const) {
      const [s, h] = kWeightingFilters(sr);
      const gainDb = 10 * Math.log10(powerGain(s, 997, sr) * powerGain(h, 997, sr));
      const expected = -0.691 + 10 * Math.log10(0.005) + gainDb;
      expect(expected).to.be.closeTo(pinned, 0.005);
      const measured = integratedLoudness(sine(sr * 10, 997, 0.1, sr), sr);
      expect(measured, `${sr} Hz`).to.be.closeTo(expected, 0.01);
    }
  });

  it('gates: digital silence is ignored, a part 20 LU down is dropped, one 5 LU down is kept', () => {
    const sr = 16000;
    const loud = sine(sr * 10, 997, 0.1, sr);
    const base = integratedLoudness(loud, sr);
    // Blocks straddling the silence/tone edges are partly filled and still pass both gates, as
    // the standard intends; they pull the result down by about 0.1 LU here.
    expect(integratedLoudness(concat([new Float32Array(sr * 10), loud, new Float32Array(sr * 5)]), sr)).to.be.closeTo(base, 0.2);
    const quiet20 = sine(sr * 10, 997, 0.01, sr);
    expect(integratedLoudness(concat([loud, quiet20]), sr)).to.be.closeTo(base, 0.1);
    const quiet5 = sine(sr * 10, 997, 0.1 * 10 ** (-5 / 20), sr);
    const both = integratedLoudness(concat([loud, quiet5]), sr);
    expect(both).to.be.lessThan(base - 1);
    expect(both).to.be.closeTo(base + 10 * Math.log10((1 + 10 ** -0.5) / 2), 0.05);
  });

  it('returns -Infinity for silence and for files shorter than one 400 ms block', () => {
    expect(integratedLoudness(new Float32Array(16000 * 3), 16000)).to.equal(Number.NEGATIVE_INFINITY);
    expect(integratedLoudness(whiteNoise(6000, 0.1), 16000)).to.equal(Number.NEGATIVE_INFINITY);
    expect(integratedLoudness(whiteNoise(6400, 0.1), 16000)).to.be.greaterThan(-30);
  });
});
