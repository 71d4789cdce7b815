import { expect } from 'chai';
import { capContributions, noiseScale, releaseAggregates, type AggregateFile, type AggregatePolicy } from './aggregates.ts';
import { chacha20Random, RandomStream } from './random.ts';
import { JobParameterError } from './errors.ts';
import { discreteGaussianSigma } from '../privacy/discrete-noise.ts';
import { meanAndStd } from './stats.test-helpers.ts';

const stream = (byte: number) => new RandomStream(chacha20Random(new Uint8Array(32).fill(byte)));

const policy: AggregatePolicy = {
  epsilon: 1,
  delta: 0,
  mechanism: 'laplace',
  maxFilesPerContributor: 3,
  maxDurationSec: 60,
  scoreEdges: [0, 0.5, 0.8, 1],
  languages: ['en', 'pt'],
};

function dataset(): AggregateFile[] {
  const files: AggregateFile[] = [];
  for (let c = 0; c < 40; c++) {
    const n = c === 0 ? 50 : 1 + (c % 3); // contributor 0 floods the set with 50 files
    for (let k = 0; k < n; k++) {
      files.push({ fileId: `f-${c}-${String(k).padStart(3, '0')}`, contributor: `0xc${c}`, durationSec: c === 1 ? 3600 : 10 + k, score: ((c + k) % 10) / 10, language: ['en', 'pt', 'de'][c % 3]! });
    }
  }
  return files;
}

describe('jobs/aggregates', () => {
  it('caps files per contributor and each file\'s duration before counting', () => {
    const kept = capContributions(dataset(), policy);
    const perContributor = new Map<string, number>();
    for (const f of kept) perContributor.set(f.contributor, (perContributor.get(f.contributor) ?? 0) + 1);
    expect(Math.max(...perContributor.values())).to.equal(3);
    expect(kept.filter((f) => f.contributor === '0xc0').map((f) => f.fileId)).to.deep.equal(['f-0-000', 'f-0-001', 'f-0-002']);
    expect(Math.max(...kept.map((f) => f.durationSec))).to.equal(60);
  });

  it('calibrates the noise scale to sensitivity and budget', () => {
    // Discrete Laplace: b = sensitivity / (epsilon / 5).
    expect(noiseScale(policy, 3)).to.be.closeTo(15, 1e-12);
    // Discrete Gaussian: the sigma whose zCDP bound spends epsilon / 5 at delta / 5.
    expect(noiseScale({ epsilon: 2, delta: 1e-6, mechanism: 'gaussian' }, 3)).to.equal(discreteGaussianSigma(3, 0.4, 2e-7));
  });

  it('releases integers only: counts and whole milliseconds, whatever the durations were', () => {
    const files = dataset().map((f, i) => ({ ...f, durationSec: f.durationSec + i / 7 }));
    for (const mechanism of ['laplace', 'gaussian'] as const) {
      const release = releaseAggregates(files, { ...policy, mechanism, delta: mechanism === 'laplace' ? 0 : 1e-6 }, stream(6));
      const values = [release.files, release.contributors, ...release.scoreHistogram.counts, ...Object.values(release.languageHistogram)];
      expect(values.every((v) => Number.isSafeInteger(v)), mechanism).to.equal(true);
      expect(Number.isSafeInteger(Math.round(release.totalDurationSec * 1000)) && Math.abs(release.totalDurationSec * 1000 - Math.round(release.totalDurationSec * 1000)) < 1e-6).to.equal(true);
    }
  });

  it('releases noisy statistics centred on the capped truth with the stated spread', () => {
    const files = dataset();
    const kept = capContributions(files, policy);
    const truth = { files: kept.length, contributors: 40, duration: kept.reduce((s, f) => s + f.durationSec, 0) };
    const r = stream(2);
    const runs = Array.from({ length: 2000 }, () => releaseAggregates(files, { ...policy, epsilon: 50 }, r));
    const first = runs[0]!;
    expect(first.scoreHistogram.edges).to.deep.equal(policy.scoreEdges);
    expect(Object.keys(first.languageHistogram)).to.deep.equal(['en', 'pt', 'other']);
    const b = first.noise.files;
    expect(b).to.be.closeTo(3 / 10, 1e-12);
    const fileCounts = meanAndStd(runs.map((x) => x.files));
    expect(fileCounts.mean).to.be.closeTo(truth.files, 0.05);
    const durations = meanAndStd(runs.map((x) => x.totalDurationSec - truth.duration));
    expect(durations.mean).to.be.closeTo(0, (4 * Math.SQRT2 * first.noise.totalDurationSec) / Math.sqrt(runs.length));
    expect(durations.std).to.be.closeTo(Math.SQRT2 * first.noise.totalDurationSec, 0.1 * Math.SQRT2 * first.noise.totalDurationSec);
    // Histograms sum (in expectation) to the capped file count.
    const histTotal = meanAndStd(runs.map((x) => x.scoreHistogram.counts.reduce((s, c) => s + c, 0)));
    expect(histTotal.mean).to.be.closeTo(truth.files, 0.2);
    const langTotal = meanAndStd(runs.map((x) => Object.values(x.languageHistogram).reduce((s, c) => s + c, 0)));
    expect(langTotal.mean).to.be.closeTo(truth.files, 0.2);
  });

  it('with the Gaussian mechanism, has Gaussian spread of the calibrated sigma', () => {
    // Large enough that clamping at zero never touches the noisy total.
    const files = Array.from({ length: 6000 }, (_, i) => ({ fileId: `g-${i}`, contributor: `0xd${i % 2000}`, durationSec: 60, score: 0.5, language: 'en' }));
    const gaussian: AggregatePolicy = { ...policy, mechanism: 'gaussian', epsilon: 4, delta: 1e-5 };
    const r = stream(3);
    const truth = capContributions(files, gaussian).reduce((s, f) => s + f.durationSec, 0);
    const runs = Array.from({ length: 600 }, () => releaseAggregates(files, gaussian, r));
    const sigma = runs[0]!.noise.totalDurationSec;
    const d = meanAndStd(runs.map((x) => x.totalDurationSec - truth));
    // The sample std of 600 draws errs by about 3%; 15% is over four of its standard errors.
    expect(d.std).to.be.closeTo(sigma, 0.15 * sigma);
    expect(Math.abs(d.mean)).to.be.below((4 * sigma) / Math.sqrt(runs.length));
  });

  it('is reproducible for a seed and refuses invalid policies', () => {
    const files = dataset();
    expect(releaseAggregates(files, policy, stream(4))).to.deep.equal(releaseAggregates(files, policy, stream(4)));
    const bad: Partial<AggregatePolicy>[] = [
      { epsilon: 0 },
      { delta: 1e-5 },
      { mechanism: 'gaussian', delta: 0 },
      { maxFilesPerContributor: 0 },
      { maxDurationSec: -1 },
      { maxDurationSec: 0.0004 },
      { scoreEdges: [0, 0.7, 0.5, 1] },
      { scoreEdges: [0.1, 1] },
      { languages: ['en', 'en'] },
      { languages: ['other'] },
    ];
    for (const change of bad) expect(() => releaseAggregates(files, { ...policy, ...change }, stream(5)), JSON.stringify(change)).to.throw(JobParameterError);
  });
});
