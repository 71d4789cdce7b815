import { expect } from 'chai';
import { chacha20Random, RandomStream, systemRandom } from './random.ts';
import { JobParameterError } from './errors.ts';
import { ksCritical, ksDistance, meanAndStd, normalCdf } from './stats.test-helpers.ts';

const seed = (byte: number) => new Uint8Array(32).fill(byte);

describe('jobs/random', () => {
  it('gives the same stream for the same seed and a different one for another seed', () => {
    const a = new RandomStream(chacha20Random(seed(1)));
    const b = new RandomStream(chacha20Random(seed(1)));
    const c = new RandomStream(chacha20Random(seed(2)));
    const xa = Array.from({ length: 3000 }, () => a.uniform());
    expect(Array.from({ length: 3000 }, () => b.uniform())).to.deep.equal(xa);
    expect(Array.from({ length: 3000 }, () => c.uniform())).to.not.deep.equal(xa);
  });

  it('matches the RFC 8439 ChaCha20 keystream (section 2.4.2 key, zero nonce keystream of test vector A.1 #1)', () => {
    // RFC 8439 appendix A.1, test vector #1: all-zero key and nonce, block counter 0.
    const out = new Uint8Array(16);
    chacha20Random(new Uint8Array(32)).fill(out);
    expect(Buffer.from(out).toString('hex')).to.equal('76b8e0ada0f13d90405d6ae55386bd28');
  });

  it('draws uniforms in [0, 1) and standard normals', () => {
    const r = new RandomStream(chacha20Random(seed(3)));
    const u = Array.from({ length: 20_000 }, () => r.uniform());
    expect(Math.min(...u)).to.be.at.least(0);
    expect(Math.max(...u)).to.be.below(1);
    expect(ksDistance(u, (x) => Math.min(1, Math.max(0, x)))).to.be.below(ksCritical(u.length));
    const z = Array.from({ length: 20_000 }, () => r.gaussian());
    const { mean, std } = meanAndStd(z);
    expect(Math.abs(mean)).to.be.below(4 / Math.sqrt(z.length));
    expect(std).to.be.closeTo(1, 0.03);
    expect(ksDistance(z, (x) => normalCdf(x))).to.be.below(ksCritical(z.length));
    // The test has power: the same draws are far from N(0, 1.1^2).
    expect(ksDistance(z, (x) => normalCdf(x, 1.1))).to.be.above(ksCritical(z.length));
  });

  it('uses the system CSPRNG in production and refuses a short seed', () => {
    const a = new Uint8Array(32);
    systemRandom.fill(a);
    expect(a.some((x) => x !== 0)).to.equal(true);
    expect(() => chacha20Random(new Uint8Array(16))).to.throw(JobParameterError).with.property('code', 'JOB_INVALID_PARAMETER');
  });
  it('draws integers below n uniformly, with no modulo bias, and refuses n < 1', () => {
    const r = new RandomStream(chacha20Random(seed(9)));
    // n = 3 needs 2 bits; a modulo of those bits would favour 0 (2 of 4 values).
    const counts = [0, 0, 0];
    for (let i = 0; i < 30_000; i++) counts[Number(r.below(3n))]! += 1;
    for (const c of counts) expect(Math.abs(c - 10_000)).to.be.below(4 * Math.sqrt(30_000 * (1 / 3) * (2 / 3)));
    const big = 2n ** 130n + 7n;
    for (let i = 0; i < 200; i++) expect(r.below(big) < big).to.equal(true);
    expect(r.below(1n)).to.equal(0n);
    expect(() => r.below(0n)).to.throw(JobParameterError);
    expect(r.bytes(20_000).length).to.equal(20_000);
  });
});
