import { expect } from 'chai';
import { addGaussianNoise, clippedSum, dpSgdStep, poissonSample, secureGaussian } from './dp-sgd.ts';
import { chacha20Random, RandomStream } from './random.ts';
import { JobParameterError } from './errors.ts';
import { ksCritical, ksDistance, meanAndStd, normalCdf } from './stats.test-helpers.ts';

const stream = (byte: number) => new RandomStream(chacha20Random(new Uint8Array(32).fill(byte)));

function norm(row: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < row.length; i++) s += row[i]! ** 2;
  return Math.sqrt(s);
}

/** B rows of dim values with norms spread from far below to far above C. */
function gradients(rows: number, dim: number, random: RandomStream): Float32Array {
  const g = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    const scale = 0.05 * 2 ** (r % 8);
    for (let k = 0; k < dim; k++) g[r * dim + k] = scale * random.gaussian();
  }
  return g;
}

describe('jobs/dp-sgd', () => {
  it('clips rows above C to norm C and leaves the others as they are', () => {
    const dim = 50;
    const g = gradients(16, dim, stream(1));
    const C = 1;
    for (let r = 0; r < 16; r++) {
      const row = g.subarray(r * dim, (r + 1) * dim);
      const alone = clippedSum(row, dim, C);
      const n = norm(row);
      if (n > C) expect(norm(alone)).to.be.closeTo(C, 1e-6);
      else alone.forEach((v, k) => expect(v).to.be.closeTo(row[k]!, 1e-7));
      // The direction never changes.
      alone.forEach((v, k) => expect(v * n).to.be.closeTo(row[k]! * Math.min(n, C), 1e-5));
    }
    expect(new Set(Array.from({ length: 16 }, (_, r) => norm(g.subarray(r * dim, (r + 1) * dim)) > C)).size).to.equal(2);
    // Sum of clipped rows equals clipping each row alone.
    const whole = clippedSum(g, dim, C);
    const parts = new Float64Array(dim);
    for (let r = 0; r < 16; r++) clippedSum(g.subarray(r * dim, (r + 1) * dim), dim, C).forEach((v, k) => (parts[k]! += v));
    whole.forEach((v, k) => expect(v).to.be.closeTo(parts[k]!, 1e-9));
  });

  it('releases the clipped sum plus noise of mean 0 and std sigma*C (fixed seed, KS and chi-square)', () => {
    const dim = 4000;
    const batch = 64;
    const C = 0.8;
    const sigma = 1.3;
    const g = gradients(batch, dim, stream(2));
    const exact = clippedSum(g, dim, C);
    const released = dpSgdStep({ clipNorm: C, noiseMultiplier: sigma, dim, chunks: [g.subarray(0, 20 * dim), g.subarray(20 * dim)] }, stream(3));
    const residual = Array.from(released, (v, k) => v - exact[k]!);
    const { mean, std } = meanAndStd(residual);
    const target = sigma * C;
    expect(Math.abs(mean)).to.be.below((4 * target) / Math.sqrt(dim));
    // (n-1) s^2 / sigma^2 ~ chi-square(n-1): within 4 of its standard deviations.
    const chi2 = ((dim - 1) * std * std) / (target * target);
    expect(Math.abs(chi2 - (dim - 1))).to.be.below(4 * Math.sqrt(2 * (dim - 1)));
    expect(ksDistance(residual, (x) => normalCdf(x, target))).to.be.below(ksCritical(dim));
    // Power check: noise 10% too small fails the chi-square test, 25% too small the KS test, an unclipped sum both.
    const chi2Small = ((dim - 1) * std * std) / (target / 1.1) ** 2;
    expect(Math.abs(chi2Small - (dim - 1))).to.be.above(4 * Math.sqrt(2 * (dim - 1)));
    expect(ksDistance(residual, (x) => normalCdf(x, target / 1.25))).to.be.above(ksCritical(dim));
    const unclipped = clippedSum(g, dim, 1e9);
    expect(ksDistance(Array.from(released, (v, k) => v - unclipped[k]!), (x) => normalCdf(x, target))).to.be.above(ksCritical(dim));
  });

  it('draws each noise value as half the sum of four normal draws (floating-point attack resistance), still N(0, 1)', () => {
    const seed = new Uint8Array(32).fill(11);
    const plain = new RandomStream(chacha20Random(seed));
    const secure = new RandomStream(chacha20Random(seed));
    for (let i = 0; i < 100; i++) {
      const expected = (plain.gaussian() + plain.gaussian() + plain.gaussian() + plain.gaussian()) / 2;
      expect(secureGaussian(secure)).to.equal(expected);
    }
    const z = Array.from({ length: 20_000 }, () => secureGaussian(secure));
    const { mean, std } = meanAndStd(z);
    expect(Math.abs(mean)).to.be.below(4 / Math.sqrt(z.length));
    expect(std).to.be.closeTo(1, 0.03);
    expect(ksDistance(z, (x) => normalCdf(x))).to.be.below(ksCritical(z.length));
  });

  it('is reproducible for a seed and differs across seeds', () => {
    const g = gradients(4, 10, stream(4));
    const a = dpSgdStep({ clipNorm: 1, noiseMultiplier: 1, dim: 10, chunks: [g] }, stream(5));
    const b = dpSgdStep({ clipNorm: 1, noiseMultiplier: 1, dim: 10, chunks: [g] }, stream(5));
    const c = dpSgdStep({ clipNorm: 1, noiseMultiplier: 1, dim: 10, chunks: [g] }, stream(6));
    expect(Array.from(a)).to.deep.equal(Array.from(b));
    expect(Array.from(a)).to.not.deep.equal(Array.from(c));
  });

  it('counts a non-finite gradient row as zero rather than failing on it', () => {
    const g = new Float32Array([3, 4, Number.NaN, 1, Infinity, 0]);
    expect(Array.from(clippedSum(g, 2, 1))).to.deep.equal([0.6000000000000001, 0.8]);
  });

  it('samples each example independently with rate q (Poisson sampling)', () => {
    const random = stream(7);
    const n = 20_000;
    const q = 0.04;
    const batch = poissonSample(n, q, random);
    expect(Math.abs(batch.length - n * q)).to.be.below(4 * Math.sqrt(n * q * (1 - q)));
    expect(new Set(batch).size).to.equal(batch.length);
    expect(batch.every((i) => i >= 0 && i < n)).to.equal(true);
    // Batch sizes vary from step to step (a fixed-size batch would not match the analysis).
    const sizes = new Set(Array.from({ length: 10 }, () => poissonSample(1000, 0.05, random).length));
    expect(sizes.size).to.be.greaterThan(1);
    expect(poissonSample(50, 1, random)).to.have.length(50);
  });

  it('refuses bad parameters', () => {
    const r = stream(8);
    expect(() => poissonSample(10, 0, r)).to.throw(JobParameterError).with.property('code', 'JOB_INVALID_PARAMETER');
    expect(() => poissonSample(-1, 0.1, r)).to.throw(JobParameterError);
    expect(() => clippedSum(new Float32Array(5), 2, 1)).to.throw(JobParameterError);
    expect(() => addGaussianNoise(new Float64Array(2), { clipNorm: 0, noiseMultiplier: 1 }, r)).to.throw(JobParameterError);
    expect(() => dpSgdStep({ clipNorm: 1, noiseMultiplier: Number.NaN, dim: 2, chunks: [] }, r)).to.throw(JobParameterError);
  });
});
