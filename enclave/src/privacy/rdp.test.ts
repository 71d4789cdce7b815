import { expect } from 'chai';
import { DEFAULT_ORDERS, computeRdp, epsilonFor, logAdd, logErfc, logSub, rdpToEpsilon, sampledGaussianRdp } from './rdp.ts';
import { PrivacyParameterError } from './errors.ts';

describe('privacy/rdp', () => {
  it('uses Opacus default orders: 1.1..10.9 by tenths, then 12..63', () => {
    expect(DEFAULT_ORDERS).to.have.length(151);
    expect(DEFAULT_ORDERS[0]).to.equal(1.1);
    expect(DEFAULT_ORDERS[98]).to.be.closeTo(10.9, 1e-12);
    expect(DEFAULT_ORDERS[99]).to.equal(12);
    expect(DEFAULT_ORDERS.at(-1)).to.equal(63);
  });

  it('matches the Opacus cross-check: sigma 1.5, q 0.04, 2250 steps, delta 1e-5 gives epsilon 7.329', () => {
    const spent = epsilonFor({ sampleRate: 0.04, noiseMultiplier: 1.5, steps: 2250, delta: 1e-5 });
    expect(spent.epsilon).to.be.closeTo(7.329, 1e-3);
    expect(DEFAULT_ORDERS).to.include(spent.order);
  });

  it('is the plain Gaussian mechanism at q = 1: rdp = order / (2 sigma^2)', () => {
    for (const sigma of [0.7, 1, 3]) {
      for (const order of [1.5, 2, 7.3, 32]) expect(sampledGaussianRdp(1, sigma, order)).to.be.closeTo(order / (2 * sigma * sigma), 1e-12);
    }
  });

  it('agrees between the integer expansion and the fractional series near an integer order', () => {
    // The fractional series is continuous in alpha; the integer sum is the exact value at the integer.
    const atInt = sampledGaussianRdp(0.1, 1.2, 5);
    const near = sampledGaussianRdp(0.1, 1.2, 5 + 1e-7);
    expect(near).to.be.closeTo(atInt, 1e-5);
  });

  it('matches a direct numerical integration of A_alpha for a fractional order', () => {
    // A_alpha = E_{z~N(0,s^2)} [((1-q) + q exp((2z-1)/(2 s^2)))^alpha], by the trapezoid rule.
    const q = 0.05;
    const s = 1.1;
    const alpha = 3.5;
    let sum = 0;
    const h = 1e-3;
    for (let z = -15 * s; z <= 15 * s; z += h) {
      const density = Math.exp((-z * z) / (2 * s * s)) / Math.sqrt(2 * Math.PI * s * s);
      sum += density * Math.pow(1 - q + q * Math.exp((2 * z - 1) / (2 * s * s)), alpha) * h;
    }
    expect(sampledGaussianRdp(q, s, alpha)).to.be.closeTo(Math.log(sum) / (alpha - 1), 1e-6);
  });

  it('grows with steps and sample rate and falls with noise', () => {
    const e = (q: number, sigma: number, steps: number) => epsilonFor({ sampleRate: q, noiseMultiplier: sigma, steps, delta: 1e-5 }).epsilon;
    let prev = 0;
    for (const steps of [1, 10, 100, 1000, 5000]) {
      const eps = e(0.01, 1.0, steps);
      expect(eps).to.be.greaterThan(prev);
      prev = eps;
    }
    expect(e(0.02, 1, 100)).to.be.greaterThan(e(0.01, 1, 100));
    expect(e(0.01, 2, 100)).to.be.lessThan(e(0.01, 1, 100));
    for (const order of DEFAULT_ORDERS.slice(0, 20)) {
      expect(sampledGaussianRdp(0.02, 1, order + 0.05)).to.be.greaterThan(sampledGaussianRdp(0.02, 1, order));
    }
  });

  it('spends nothing at q = 0 or zero steps', () => {
    expect(computeRdp({ sampleRate: 0, noiseMultiplier: 1, steps: 10 }).every((r) => r === 0)).to.equal(true);
    expect(epsilonFor({ sampleRate: 0.1, noiseMultiplier: 1, steps: 0, delta: 1e-5 }).epsilon).to.equal(0);
  });

  it('converts as Opacus does and picks the best order', () => {
    const orders = [2, 4, 8];
    const rdp = [0.5, 1, 4];
    const expected = orders.map((a, k) => rdp[k]! - (Math.log(1e-5) + Math.log(a)) / (a - 1) + Math.log((a - 1) / a));
    const spent = rdpToEpsilon({ orders, rdp, delta: 1e-5 });
    expect(spent.epsilon).to.be.closeTo(Math.min(...expected), 1e-12);
    expect(spent.order).to.equal(orders[expected.indexOf(Math.min(...expected))]);
  });

  it('computes log-space helpers and erfc tails accurately', () => {
    expect(logAdd(Math.log(2), Math.log(3))).to.be.closeTo(Math.log(5), 1e-15);
    expect(logAdd(-Infinity, -Infinity)).to.equal(-Infinity);
    expect(logSub(Math.log(5), Math.log(3))).to.be.closeTo(Math.log(2), 1e-15);
    expect(logSub(1, 1)).to.equal(-Infinity);
    expect(() => logSub(0, 1)).to.throw(RangeError);
    // Reference values of erfc (Abramowitz & Stegun table 7.1 / high-precision evaluation).
    expect(logErfc(1)).to.be.closeTo(Math.log(0.157299207050285), 1e-13);
    expect(logErfc(0.5)).to.be.closeTo(Math.log(0.479500122186953), 1e-13);
    expect(logErfc(5)).to.be.closeTo(Math.log(1.53745979442803e-12), 1e-11);
    expect(logErfc(-2)).to.be.closeTo(Math.log(1.99532226501895), 1e-13);
    // Far tail: log erfc(x) ~ -x^2 - log(x sqrt(pi)) - 1/(2x^2)
    expect(logErfc(30)).to.be.closeTo(-900 - Math.log(30 * Math.sqrt(Math.PI)) - 1 / 1800, 1e-6);
  });

  it('refuses parameters outside the analysis', () => {
    expect(() => sampledGaussianRdp(1.5, 1, 2)).to.throw(PrivacyParameterError).with.property('code', 'PRIVACY_INVALID_PARAMETER');
    expect(() => sampledGaussianRdp(0.1, 0, 2)).to.throw(PrivacyParameterError);
    expect(() => sampledGaussianRdp(0.1, 1, 1)).to.throw(PrivacyParameterError);
    expect(() => epsilonFor({ sampleRate: 0.1, noiseMultiplier: 1, steps: 1, delta: 0 })).to.throw(PrivacyParameterError);
    expect(() => computeRdp({ sampleRate: 0.1, noiseMultiplier: 1, steps: 1.5 })).to.throw(PrivacyParameterError);
  });
});
