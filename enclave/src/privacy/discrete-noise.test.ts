import { expect } from 'chai';
import { JobParameterError } from '../jobs/errors.ts';
import { chacha20Random, RandomStream } from '../jobs/random.ts';
import { meanAndStd } from '../jobs/stats.test-helpers.ts';
import { bernoulliExp, discreteGaussian, discreteGaussianSigma, discreteLaplace, rationalOf } from './discrete-noise.ts';

const stream = (byte: number) => new RandomStream(chacha20Random(new Uint8Array(32).fill(byte)));

/** Chi-square critical value at significance 0.001 (Wilson-Hilferty). */
function chiSquareCritical(df: number): number {
  const z = 3.090232;
  return df * (1 - 2 / (9 * df) + z * Math.sqrt(2 / (9 * df))) ** 3;
}

/**
 * Pearson's statistic of integer draws against a pmf over the integers: one bin per value
 * whose expected count is at least 5, the rest pooled into two tails.
 */
function chiSquare(draws: readonly number[], pmf: (x: number) => number): { statistic: number; df: number } {
  const n = draws.length;
  let lo = 0;
  while (pmf(lo - 1) * n >= 5) lo -= 1;
  let hi = 0;
  while (pmf(hi + 1) * n >= 5) hi += 1;
  const observed = new Map<number, number>();
  for (const d of draws) {
    const key = d < lo ? lo - 1 : d > hi ? hi + 1 : d;
    observed.set(key, (observed.get(key) ?? 0) + 1);
  }
  let inside = 0;
  for (let x = lo; x <= hi; x++) inside += pmf(x);
  let lowTail = 0;
  for (let x = lo - 1; pmf(x) > 1e-300 && x > lo - 10_000; x--) lowTail += pmf(x);
  const highTail = Math.max(0, 1 - inside - lowTail);
  let statistic = 0;
  for (let key = lo - 1; key <= hi + 1; key++) {
    const p = key === lo - 1 ? lowTail : key === hi + 1 ? highTail : pmf(key);
    const expected = p * n;
    if (expected === 0) continue;
    statistic += ((observed.get(key) ?? 0) - expected) ** 2 / expected;
  }
  return { statistic, df: hi - lo + 2 };
}

const discreteLaplacePmf = (b: number) => {
  const p = Math.exp(-1 / b);
  return (x: number) => ((1 - p) / (1 + p)) * p ** Math.abs(x);
};

const discreteGaussianPmf = (sigma: number) => {
  const bound = Math.ceil(sigma * 40) + 10;
  let z = 0;
  for (let x = -bound; x <= bound; x++) z += Math.exp(-(x * x) / (2 * sigma * sigma));
  return (x: number) => Math.exp(-(x * x) / (2 * sigma * sigma)) / z;
};

describe('privacy/discrete-noise', () => {
  it('turns a double into the exact rational it stands for, and refuses what is not a positive finite number', () => {
    const r = rationalOf(0.1);
    expect(Number(r.num) / Number(r.den)).to.equal(0.1);
    expect(r.den & (r.den - 1n)).to.equal(0n); // a power of two
    expect(rationalOf(3)).to.deep.equal({ num: 3n, den: 1n });
    expect(rationalOf(2.5)).to.deep.equal({ num: 5n, den: 2n });
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => rationalOf(bad), String(bad)).to.throw(JobParameterError);
  });

  it('draws Bernoulli(exp(-gamma)) exactly for gamma below, at and above 1', () => {
    const r = stream(1);
    const n = 20_000;
    for (const gamma of [rationalOf(0.25), { num: 1n, den: 1n }, { num: 5n, den: 2n }]) {
      const p = Math.exp(-Number(gamma.num) / Number(gamma.den));
      let hits = 0;
      for (let i = 0; i < n; i++) if (bernoulliExp(gamma, r)) hits += 1;
      expect(Math.abs(hits / n - p), `gamma ${gamma.num}/${gamma.den}`).to.be.below(4 * Math.sqrt((p * (1 - p)) / n));
    }
    for (let i = 0; i < 100; i++) expect(bernoulliExp({ num: 0n, den: 1n }, r)).to.equal(true);
  });

  it('draws the discrete Laplace law of the asked scale (chi-square at 0.001, and it tells a 15% wider scale apart)', () => {
    const r = stream(2);
    const draws = Array.from({ length: 20_000 }, () => Number(discreteLaplace({ num: 5n, den: 2n }, r)));
    const fit = chiSquare(draws, discreteLaplacePmf(2.5));
    expect(fit.statistic).to.be.below(chiSquareCritical(fit.df));
    const wrong = chiSquare(draws, discreteLaplacePmf(2.5 * 1.15));
    expect(wrong.statistic).to.be.above(chiSquareCritical(wrong.df));
    expect(draws.every((d) => Number.isInteger(d))).to.equal(true);
  });

  it('draws the discrete Gaussian law of the asked sigma (chi-square at 0.001, and it tells a 10% smaller sigma apart)', () => {
    const r = stream(3);
    const sigma = 2.5;
    const draws = Array.from({ length: 20_000 }, () => Number(discreteGaussian({ num: 25n, den: 4n }, r)));
    const fit = chiSquare(draws, discreteGaussianPmf(sigma));
    expect(fit.statistic).to.be.below(chiSquareCritical(fit.df));
    const wrong = chiSquare(draws, discreteGaussianPmf(sigma * 0.9));
    expect(wrong.statistic).to.be.above(chiSquareCritical(wrong.df));
  });

  it('keeps mean 0 and std sigma at a large sigma with a rational square', () => {
    const r = stream(4);
    const sigma = 1234.5678;
    const exact = rationalOf(sigma);
    const draws = Array.from({ length: 4000 }, () => Number(discreteGaussian({ num: exact.num * exact.num, den: exact.den * exact.den }, r)));
    const { mean, std } = meanAndStd(draws);
    expect(Math.abs(mean)).to.be.below((4 * sigma) / Math.sqrt(draws.length));
    // The sample std of 4000 draws errs by about 1.1%; 5% is over four of its standard errors.
    expect(std).to.be.closeTo(sigma, 0.05 * sigma);
  });

  it('refuses a scale that is not positive', () => {
    const r = stream(5);
    expect(() => discreteLaplace({ num: 0n, den: 1n }, r)).to.throw(JobParameterError);
    expect(() => discreteGaussian({ num: 0n, den: 1n }, r)).to.throw(JobParameterError);
  });

  it('calibrates sigma so that the zCDP bound spends exactly epsilon, close to the classic Gaussian calibration', () => {
    for (const [epsilon, delta] of [
      [0.2, 2e-6],
      [1, 1e-5],
      [4, 1e-7],
    ] as const) {
      const sigma = discreteGaussianSigma(3, epsilon, delta);
      const rho = 9 / (2 * sigma * sigma);
      const spent = rho + 2 * Math.sqrt(rho * Math.log(1 / delta));
      expect(spent).to.be.at.most(epsilon);
      expect(spent).to.be.closeTo(epsilon, 1e-9 * epsilon);
    }
    // For epsilon < 1 the classic bound (Dwork and Roth, theorem A.1) gives nearly the same sigma.
    const classic = (3 * Math.sqrt(2 * Math.log(1.25 / 2e-6))) / 0.2;
    expect(discreteGaussianSigma(3, 0.2, 2e-6) / classic).to.be.within(0.95, 1.05);
    expect(() => discreteGaussianSigma(3, 1, 0)).to.throw(JobParameterError);
    expect(() => discreteGaussianSigma(0, 1, 1e-5)).to.throw(JobParameterError);
  });
});
