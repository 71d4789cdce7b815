// Rényi-DP accounting of the sampled Gaussian mechanism (DP-SGD's step), so the enclave
// can refuse a step before it exceeds a policy's (epsilon, delta).
//
// Follows I. Mironov, K. Talwar, L. Zhang, "Rényi Differential Privacy of the Sampled
// Gaussian Mechanism" (2019): integer orders by the binomial expansion of A_alpha (their
// section 3.2), fractional orders by the two-sided series of section 3.3, every sum in
// log space. The conversion to (epsilon, delta) is the one Opacus's
// `privacy_analysis.get_privacy_spent` uses (Balle et al. 2020, "Hypothesis testing
// interpretations and Rényi differential privacy", theorem 21).
import { PrivacyParameterError } from './errors.ts';

/** Opacus's default orders: 1.1, 1.2, ..., 10.9, then 12, 13, ..., 63. */
export const DEFAULT_ORDERS: readonly number[] = Object.freeze([
  ...Array.from({ length: 99 }, (_, i) => 1 + (i + 1) / 10),
  ...Array.from({ length: 52 }, (_, i) => 12 + i),
]);

/** log(exp(a) + exp(b)) without overflow. */
export function logAdd(a: number, b: number): number {
  const hi = Math.max(a, b);
  const lo = Math.min(a, b);
  if (hi === -Infinity) return -Infinity;
  return hi + Math.log1p(Math.exp(lo - hi));
}

/** log(exp(a) - exp(b)) for a >= b; -Infinity when they are equal. */
export function logSub(a: number, b: number): number {
  if (b > a) throw new RangeError('logSub: the result would be negative');
  if (b === -Infinity) return a;
  if (a === b) return -Infinity;
  return a + Math.log(-Math.expm1(b - a));
}

const LOG_SQRT_PI = 0.5 * Math.log(Math.PI);

/**
 * log(erfc(x)) to near double precision over the whole line, including far tails where
 * erfc underflows: a positive-term series for |x| <= 3, Lentz's continued fraction beyond.
 */
export function logErfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x > 3) {
    // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), evaluated by modified Lentz.
    const tiny = 1e-300;
    let f = x;
    let c = x;
    let d = 0;
    for (let k = 1; k < 500; k++) {
      const a = k / 2;
      d = x + a * d;
      d = d === 0 ? tiny : d;
      c = x + a / c;
      c = c === 0 ? tiny : c;
      d = 1 / d;
      const delta = c * d;
      f *= delta;
      if (Math.abs(delta - 1) < 1e-16) break;
    }
    return -x * x - LOG_SQRT_PI - Math.log(f);
  }
  if (x < -3) return Math.log(2 - Math.exp(logErfc(-x)));
  // erf(x) = 2/sqrt(pi) exp(-x^2) sum_n 2^n x^(2n+1) / (1*3*...*(2n+1)): all terms share x's sign.
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (2 * x * x) / (2 * n + 1);
    sum += term;
    if (Math.abs(term) < 1e-17 * Math.abs(sum)) break;
  }
  const erf = (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum;
  return Math.log1p(-erf);
}

function checkMechanism(sampleRate: number, noiseMultiplier: number): void {
  if (!(sampleRate >= 0 && sampleRate <= 1)) throw new PrivacyParameterError('sampleRate', 'in [0, 1]', sampleRate);
  if (!(noiseMultiplier > 0) || !Number.isFinite(noiseMultiplier)) {
    throw new PrivacyParameterError('noiseMultiplier', 'a finite number > 0', noiseMultiplier);
  }
}

/** log A_alpha for integer alpha: sum_i C(alpha,i) q^i (1-q)^(alpha-i) exp((i^2 - i) / (2 sigma^2)). */
function logAInteger(q: number, sigma: number, alpha: number): number {
  let logA = -Infinity;
  let logBinom = 0;
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  for (let i = 0; i <= alpha; i++) {
    if (i > 0) logBinom += Math.log((alpha - i + 1) / i);
    const s = logBinom + i * logQ + (alpha - i) * log1mQ + (i * i - i) / (2 * sigma * sigma);
    logA = logAdd(logA, s);
  }
  return logA;
}

/** log A_alpha for fractional alpha: the two series of section 3.3, summed until their terms fall below e^-30. */
function logAFractional(q: number, sigma: number, alpha: number): number {
  let logA0 = -Infinity;
  let logA1 = -Infinity;
  const z0 = sigma * sigma * Math.log(1 / q - 1) + 0.5;
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  // The generalised binomial coefficient C(alpha, i) changes sign once i exceeds alpha, so track sign and log magnitude.
  let logCoef = 0;
  let sign = 1;
  for (let i = 0; i < 100_000; i++) {
    if (i > 0) {
      const ratio = (alpha - i + 1) / i;
      if (ratio < 0) sign = -sign;
      logCoef += Math.log(Math.abs(ratio));
    }
    const j = alpha - i;
    const logT0 = logCoef + i * logQ + j * log1mQ;
    const logT1 = logCoef + j * logQ + i * log1mQ;
    const logE0 = Math.log(0.5) + logErfc((i - z0) / (Math.SQRT2 * sigma));
    const logE1 = Math.log(0.5) + logErfc((z0 - j) / (Math.SQRT2 * sigma));
    const logS0 = logT0 + (i * i - i) / (2 * sigma * sigma) + logE0;
    const logS1 = logT1 + (j * j - j) / (2 * sigma * sigma) + logE1;
    if (sign > 0) {
      logA0 = logAdd(logA0, logS0);
      logA1 = logAdd(logA1, logS1);
    } else {
      logA0 = logSub(logA0, logS0);
      logA1 = logSub(logA1, logS1);
    }
    if (Math.max(logS0, logS1) < -30) break;
  }
  return logAdd(logA0, logA1);
}

/**
 * RDP of one step of the sampled Gaussian mechanism at order alpha > 1: each example is
 * included with probability `sampleRate`, the sum gets noise of std `noiseMultiplier` times the sensitivity.
 */
export function sampledGaussianRdp(sampleRate: number, noiseMultiplier: number, order: number): number {
  checkMechanism(sampleRate, noiseMultiplier);
  if (!(order > 1)) throw new PrivacyParameterError('order', 'a number > 1', order);
  if (sampleRate === 0) return 0;
  if (order === Infinity) return Infinity;
  if (sampleRate === 1) return order / (2 * noiseMultiplier * noiseMultiplier);
  const logA = Number.isInteger(order)
    ? logAInteger(sampleRate, noiseMultiplier, order)
    : logAFractional(sampleRate, noiseMultiplier, order);
  return logA / (order - 1);
}

/** RDP after `steps` compositions of the same step, at each order (RDP composes additively). */
export function computeRdp(params: {
  sampleRate: number;
  noiseMultiplier: number;
  steps: number;
  orders?: readonly number[];
}): number[] {
  const { sampleRate, noiseMultiplier, steps, orders = DEFAULT_ORDERS } = params;
  if (!Number.isSafeInteger(steps) || steps < 0) throw new PrivacyParameterError('steps', 'a non-negative integer', steps);
  return orders.map((order) => steps * sampledGaussianRdp(sampleRate, noiseMultiplier, order));
}

export interface PrivacySpent {
  epsilon: number;
  /** The RDP order at which the bound is tightest. */
  order: number;
}

/**
 * Converts RDP at a list of orders to (epsilon, delta)-DP, taking the best order:
 * eps = rdp - (log(delta) + log(order)) / (order - 1) + log((order - 1) / order), as Opacus.
 */
export function rdpToEpsilon(params: { orders: readonly number[]; rdp: readonly number[]; delta: number }): PrivacySpent {
  const { orders, rdp, delta } = params;
  if (!(delta > 0 && delta < 1)) throw new PrivacyParameterError('delta', 'in (0, 1)', delta);
  if (orders.length !== rdp.length || orders.length === 0) {
    throw new PrivacyParameterError('orders', `a non-empty list as long as rdp (${rdp.length})`, orders.length);
  }
  // Nothing ran, nothing leaked: the conversion's slack would otherwise report a small positive epsilon.
  if (rdp.every((r) => r === 0)) return { epsilon: 0, order: orders.at(-1)! };
  let best: PrivacySpent = { epsilon: Infinity, order: NaN };
  for (let k = 0; k < orders.length; k++) {
    const order = orders[k]!;
    const r = rdp[k]!;
    const eps = r - (Math.log(delta) + Math.log(order)) / (order - 1) + Math.log((order - 1) / order);
    if (!Number.isNaN(eps) && (eps < best.epsilon || Number.isNaN(best.order))) best = { epsilon: eps, order };
  }
  // Epsilon is never negative; clamping mirrors the bound's meaning at q = 0.
  return { epsilon: Math.max(0, best.epsilon), order: best.order };
}

/** Epsilon after `steps` DP-SGD steps at `delta`, the figure the policy budget is compared with. */
export function epsilonFor(params: {
  sampleRate: number;
  noiseMultiplier: number;
  steps: number;
  delta: number;
  orders?: readonly number[];
}): PrivacySpent {
  const orders = params.orders ?? DEFAULT_ORDERS;
  const rdp = computeRdp({ ...params, orders });
  return rdpToEpsilon({ orders, rdp, delta: params.delta });
}
