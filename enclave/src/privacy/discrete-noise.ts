// Exact integer noise for released statistics: the discrete Laplace and discrete Gaussian
// samplers of Canonne, Kamath and Steinke, "The Discrete Gaussian for Differential Privacy"
// (NeurIPS 2020), algorithms 1 to 3. Every step is exact rational arithmetic on uniform
// integers, so the release carries no floating-point artefacts: noise from a sampler over
// doubles reaches only some of the doubles near the true value, and which ones can give the
// true value away (Mironov, "On Significance of the Least Significant Bits for Differential
// Privacy", CCS 2012).
import { JobParameterError } from '../jobs/errors.ts';
import type { RandomStream } from '../jobs/random.ts';

/** A non-negative rational num / den, den >= 1. */
export interface Rational {
  num: bigint;
  den: bigint;
}

/** The exact value of a finite positive double as a rational (a double is m * 2^e). */
export function rationalOf(value: number, field = 'value'): Rational {
  if (!(value > 0) || !Number.isFinite(value)) throw new JobParameterError(field, 'a finite number > 0', value);
  let num = value;
  let den = 1n;
  // Doubling is exact until the value is an integer: at most 1074 steps, for subnormals.
  while (!Number.isInteger(num)) {
    num *= 2;
    den *= 2n;
  }
  return { num: BigInt(num), den };
}

/** Bernoulli(num / den), 0 <= num <= den. */
function bernoulli(num: bigint, den: bigint, random: RandomStream): boolean {
  return random.below(den) < num;
}

/** Bernoulli(exp(-gamma)) for a rational gamma >= 0 (algorithm 1). */
export function bernoulliExp(gamma: Rational, random: RandomStream): boolean {
  const { num, den } = gamma;
  if (num > den) {
    // exp(-gamma) = exp(-1)^floor(gamma) * exp(-(gamma - floor(gamma))).
    for (let k = 0n; k < num / den; k++) if (!bernoulliExpAtMostOne(1n, 1n, random)) return false;
    return bernoulliExpAtMostOne(num % den, den, random);
  }
  return bernoulliExpAtMostOne(num, den, random);
}

/** Bernoulli(exp(-num/den)) for num/den in [0, 1]: the parity of the first failure in a run of Bernoulli(gamma/k). */
function bernoulliExpAtMostOne(num: bigint, den: bigint, random: RandomStream): boolean {
  let k = 1n;
  while (bernoulli(num, den * k, random)) k += 1n;
  return k % 2n === 1n;
}

/**
 * An integer X with P(X = x) proportional to exp(-|x| / scale), scale = t / s (algorithm 2).
 * For sensitivity D and budget epsilon, scale D / epsilon gives epsilon-DP exactly.
 */
export function discreteLaplace(scale: Rational, random: RandomStream): bigint {
  const t = scale.num;
  const s = scale.den;
  if (t <= 0n || s <= 0n) throw new JobParameterError('scale', 'a rational > 0', `${t}/${s}`);
  for (;;) {
    const u = random.below(t);
    if (!bernoulliExp({ num: u, den: t }, random)) continue;
    let v = 0n;
    while (bernoulliExp({ num: 1n, den: 1n }, random)) v += 1n;
    const y = (u + t * v) / s;
    const negative = random.below(2n) === 1n;
    if (negative && y === 0n) continue;
    return negative ? -y : y;
  }
}

/** floor(sqrt(n)) for n >= 0, by Newton's iteration on integers. */
function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  // Start above the root (2^ceil(bits/2) >= sqrt(n)); from there the iterates fall to the floor.
  let x = 1n << BigInt(Math.ceil(n.toString(2).length / 2));
  for (;;) {
    const next = (x + n / x) >> 1n;
    if (next >= x) return x;
    x = next;
  }
}

/** An integer X with P(X = x) proportional to exp(-x^2 / (2 sigma^2)) (algorithm 3). */
export function discreteGaussian(sigmaSquared: Rational, random: RandomStream): bigint {
  const { num: a, den: b } = sigmaSquared;
  if (a <= 0n || b <= 0n) throw new JobParameterError('sigmaSquared', 'a rational > 0', `${a}/${b}`);
  // floor(sqrt(a/b)) = floor(sqrt(floor(a/b))).
  const t = isqrt(a / b) + 1n;
  for (;;) {
    const y = discreteLaplace({ num: t, den: 1n }, random);
    const abs = y < 0n ? -y : y;
    // (|y| - sigma^2/t)^2 / (2 sigma^2), with sigma^2 = a/b, as one fraction.
    const diff = abs * b * t - a;
    if (bernoulliExp({ num: diff * diff, den: 2n * a * b * t * t }, random)) return y;
  }
}

/**
 * The discrete Gaussian's scale for (epsilon, delta)-DP at integer L2 sensitivity D, through
 * concentrated DP: it satisfies rho-zCDP with rho = D^2 / (2 sigma^2) (Canonne et al.,
 * theorem 4), and rho-zCDP implies (rho + 2 sqrt(rho ln(1/delta)), delta)-DP (Bun and
 * Steinke 2016, proposition 1.3). Solving for the largest rho within epsilon gives sigma.
 */
export function discreteGaussianSigma(sensitivity: number, epsilon: number, delta: number): number {
  if (!(sensitivity > 0) || !Number.isFinite(sensitivity)) throw new JobParameterError('sensitivity', 'a finite number > 0', sensitivity);
  if (!(epsilon > 0) || !Number.isFinite(epsilon)) throw new JobParameterError('epsilon', 'a finite number > 0', epsilon);
  if (!(delta > 0 && delta < 1)) throw new JobParameterError('delta', 'in (0, 1)', delta);
  const L = Math.log(1 / delta);
  const sqrtRho = Math.sqrt(L + epsilon) - Math.sqrt(L);
  // Rounding up keeps the noise at least as large as the bound asks for.
  return (sensitivity / (Math.SQRT2 * sqrtRho)) * (1 + 1e-12);
}
