import { expect } from 'chai';
import { readFixture, seededRandom, sine, whiteNoise } from './score-fixtures.ts';
import { fastLn, wadaGToDb, wadaSnr, WADA_SNR_MAX_DB, WADA_SNR_MIN_DB } from './snr.ts';

/** Samples drawn from WADA's own speech model: Gamma(0.4)-distributed magnitude, random sign. */
function gammaSpeech(n: number, seed: number): Float32Array {
  const rnd = seededRandom(seed);
  const normal = () => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
  // Marsaglia and Tsang for shape a + 1, boosted to a < 1 by U^(1/a).
  const a = 0.4;
  const d = a + 1 - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 1) {
    let g = 0;
    for (;;) {
      const x = normal();
      const v = (1 + c * x) ** 3;
      if (v <= 0) continue;
      const u = rnd();
      if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) {
        g = d * v;
        break;
      }
    }
    g *= rnd() ** (1 / a);
    out[i] = (rnd() < 0.5 ? -1 : 1) * g * 0.05;
  }
  return out;
}

function energy(x: Float32Array): number {
  let e = 0;
  for (const v of x) e += v * v;
  return e;
}

function mix(signal: Float32Array, snrDb: number, seed: number): Float32Array {
  const noise = whiteNoise(signal.length, 1, seed);
  const g = Math.sqrt(energy(signal) / energy(noise) / 10 ** (snrDb / 10));
  return signal.map((v, i) => v + g * noise[i]!);
}

describe('audio/snr: WADA-SNR (Kim and Stern 2008)', () => {
  it('recovers the SNR of signals drawn from its own model within 1 dB', () => {
    const speech = gammaSpeech(16000 * 20, 3);
    for (const snr of [0, 5, 10, 20, 30]) expect(wadaSnr(mix(speech, snr, 10 + snr)), `${snr} dB`).to.be.closeTo(snr, 1);
  });

  it('tracks real speech plus known white noise: within 2 dB on a clean prompt, ordered always', () => {
    // Real speech is only roughly Gamma(0.4); a clip with its own noise floor or long pauses
    // reads a few dB low at high SNR. The ordering is what the quality score relies on.
    const clean = readFixture('ast-vm-sorry.wav');
    for (const snr of [0, 5, 10, 15, 20]) expect(wadaSnr(mix(clean, snr, 20 + snr)), `${snr} dB`).to.be.closeTo(snr, 2);
    const other = readFixture('ast-demo-nogo.wav');
    const estimates = [0, 5, 10, 15, 20].map((snr) => wadaSnr(mix(other, snr, 40 + snr)));
    estimates.forEach((e, i) => expect(e).to.be.closeTo(i * 5, 5));
    for (let i = 1; i < estimates.length; i += 1) expect(estimates[i]).to.be.greaterThan(estimates[i - 1]! + 2);
  });

  it('takes logarithms from float bits to 1e-7', () => {
    const rnd = seededRandom(5);
    for (let i = 0; i < 10000; i += 1) {
      const a = Math.fround(10 ** (-12 * rnd()));
      expect(fastLn(a)).to.be.closeTo(Math.log(a), 1e-7);
    }
    for (const a of [1, 0.5, 2 ** -20, Math.fround(Math.SQRT2), 1e-10]) expect(fastLn(Math.fround(a))).to.be.closeTo(Math.log(Math.fround(a)), 1e-7);
  });

  it('clamps to the table: noise alone and a pure tone floor at -20 dB, zeros too', () => {
    // A sine's amplitudes are far from the Gamma speech model: WADA reads it as -20 dB. Tone
    // plus noise mixes are therefore outside what this estimator measures.
    expect(wadaSnr(whiteNoise(16000, 0.1))).to.be.lessThan(-10);
    expect(wadaSnr(sine(16000, 440, 0.5))).to.equal(WADA_SNR_MIN_DB);
    expect(wadaSnr(new Float32Array(100))).to.equal(WADA_SNR_MIN_DB);
    expect(wadaGToDb(10)).to.equal(WADA_SNR_MAX_DB);
    // The table dips below -15 dB; like the reference, the last entry under G wins.
    expect(wadaGToDb(0.41)).to.be.within(-15, -14);
  });
});
