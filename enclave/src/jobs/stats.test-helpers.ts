// Statistics the mechanism tests share: a Kolmogorov-Smirnov distance to a normal law.
import { logErfc } from '../privacy/rdp.ts';

export function normalCdf(x: number, std = 1): number {
  return 0.5 * Math.exp(logErfc(-x / (std * Math.SQRT2)));
}

/** sup |F_n - F| of the sample against `cdf`. */
export function ksDistance(sample: readonly number[], cdf: (x: number) => number): number {
  const sorted = [...sample].sort((a, b) => a - b);
  let d = 0;
  sorted.forEach((x, i) => {
    const f = cdf(x);
    d = Math.max(d, Math.abs(f - i / sorted.length), Math.abs((i + 1) / sorted.length - f));
  });
  return d;
}

/** KS critical value at significance 0.001 (asymptotic): c(alpha) / sqrt(n), c = 1.949. */
export function ksCritical(n: number): number {
  return 1.949 / Math.sqrt(n);
}

export function meanAndStd(sample: ArrayLike<number>): { mean: number; std: number } {
  let mean = 0;
  for (let i = 0; i < sample.length; i++) mean += sample[i]!;
  mean /= sample.length;
  let v = 0;
  for (let i = 0; i < sample.length; i++) v += (sample[i]! - mean) ** 2;
  return { mean, std: Math.sqrt(v / (sample.length - 1)) };
}
