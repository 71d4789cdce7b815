// The aggregates job: the dataset card's counts, total duration, score and language
// histograms, released with noise calibrated to a policy's (epsilon, delta).
//
// Unit of privacy: one contributor (all of their files). Sensitivities hold because of two
// caps applied here, before anything is counted:
// - at most `maxFilesPerContributor` (m) files per contributor are used (the first m by file id,
//   a choice that does not depend on anyone else's data);
// - each file's duration is clipped to `maxDurationSec` (Dmax).
// Adding or removing one contributor then changes: the file count by <= m, the contributor
// count by <= 1, the total duration by <= m * Dmax, each histogram by <= m in L1 and in L2
// (worst case: all of one's files in one bin). Histogram bins are fixed in advance (score
// edges and a public language list with an "other" bin), so which bins exist reveals nothing.
// The budget is split evenly over the 5 released statistics (basic composition).
//
// Every statistic is an integer (durations in whole milliseconds) and its noise is an exact
// integer draw: discrete Laplace for pure DP, discrete Gaussian for (epsilon, delta)
// (../privacy/discrete-noise.ts), so no released value carries floating-point artefacts.
import { discreteGaussian, discreteGaussianSigma, discreteLaplace, rationalOf, type Rational } from '../privacy/discrete-noise.ts';
import { JobParameterError } from './errors.ts';
import type { RandomStream } from './random.ts';

export interface AggregateFile {
  fileId: string;
  contributor: string;
  durationSec: number;
  /** Score in [0, 1]. */
  score: number;
  language: string;
}

export interface AggregatePolicy {
  epsilon: number;
  /** 0 with the Laplace mechanism; > 0 with the Gaussian one. */
  delta: number;
  mechanism: 'laplace' | 'gaussian';
  maxFilesPerContributor: number;
  maxDurationSec: number;
  /** Ascending bin edges over [0, 1], e.g. [0, 0.25, 0.5, 0.75, 1]: bins are [e_i, e_{i+1}), the last one closed. */
  scoreEdges: number[];
  /** Languages with their own bin; every other language counts under "other". */
  languages: string[];
}

export interface AggregateRelease {
  files: number;
  contributors: number;
  totalDurationSec: number;
  scoreHistogram: { edges: number[]; counts: number[] };
  languageHistogram: Record<string, number>;
  /** The noise's scale per statistic (discrete Laplace b or discrete Gaussian sigma), public so consumers can judge accuracy. */
  noise: { mechanism: 'laplace' | 'gaussian'; files: number; contributors: number; totalDurationSec: number; histogram: number };
}

const STATISTICS = 5;

function checkPolicy(p: AggregatePolicy): void {
  if (!(p.epsilon > 0) || !Number.isFinite(p.epsilon)) throw new JobParameterError('epsilon', 'a finite number > 0', p.epsilon);
  if (p.mechanism === 'laplace' && p.delta !== 0) throw new JobParameterError('delta', '0 for the Laplace mechanism', p.delta);
  if (p.mechanism === 'gaussian' && !(p.delta > 0 && p.delta < 1)) throw new JobParameterError('delta', 'in (0, 1) for the Gaussian mechanism', p.delta);
  if (p.mechanism !== 'laplace' && p.mechanism !== 'gaussian') throw new JobParameterError('mechanism', 'laplace or gaussian', String(p.mechanism));
  if (!Number.isSafeInteger(p.maxFilesPerContributor) || p.maxFilesPerContributor < 1) throw new JobParameterError('maxFilesPerContributor', 'an integer >= 1', p.maxFilesPerContributor);
  if (!(p.maxDurationSec >= 0.001) || !Number.isFinite(p.maxDurationSec)) throw new JobParameterError('maxDurationSec', 'a finite number >= 0.001 (durations count in whole milliseconds)', p.maxDurationSec);
  const e = p.scoreEdges;
  if (e.length < 2 || e[0] !== 0 || e.at(-1) !== 1 || e.some((x, i) => i > 0 && !(x > e[i - 1]!))) {
    throw new JobParameterError('scoreEdges', 'ascending edges from 0 to 1', JSON.stringify(e));
  }
  if (new Set(p.languages).size !== p.languages.length || p.languages.includes('other')) throw new JobParameterError('languages', 'distinct tags, not "other"', JSON.stringify(p.languages));
}

/**
 * Noise scale for an integer statistic of sensitivity `sensitivity` (L1 for Laplace, L2 for
 * Gaussian): the discrete Laplace's b = sensitivity / epsilon, or the discrete Gaussian's sigma.
 */
export function noiseScale(policy: Pick<AggregatePolicy, 'epsilon' | 'delta' | 'mechanism'>, sensitivity: number): number {
  const eps = policy.epsilon / STATISTICS;
  if (policy.mechanism === 'laplace') return sensitivity / eps;
  return discreteGaussianSigma(sensitivity, eps, policy.delta / STATISTICS);
}

/** Draws the integer noise of one statistic whose scale noiseScale gave. */
function integerNoise(scale: number, mechanism: AggregatePolicy['mechanism'], random: RandomStream): number {
  const exact: Rational = rationalOf(scale, 'noise scale');
  const draw = mechanism === 'laplace' ? discreteLaplace(exact, random) : discreteGaussian({ num: exact.num * exact.num, den: exact.den * exact.den }, random);
  return Number(draw);
}

/** Applies the caps the sensitivities rely on: m files per contributor (first by file id), durations clipped. */
export function capContributions(files: readonly AggregateFile[], policy: Pick<AggregatePolicy, 'maxFilesPerContributor' | 'maxDurationSec'>): AggregateFile[] {
  const byContributor = new Map<string, AggregateFile[]>();
  for (const file of files) {
    const key = file.contributor.toLowerCase();
    const list = byContributor.get(key);
    if (list === undefined) byContributor.set(key, [file]);
    else list.push(file);
  }
  const kept: AggregateFile[] = [];
  for (const list of byContributor.values()) {
    list.sort((a, b) => (a.fileId < b.fileId ? -1 : a.fileId > b.fileId ? 1 : 0));
    for (const file of list.slice(0, policy.maxFilesPerContributor)) {
      const duration = Number.isFinite(file.durationSec) ? Math.min(Math.max(file.durationSec, 0), policy.maxDurationSec) : 0;
      // Whole milliseconds, rounded down: the total is an integer whose sensitivity is m * floor(Dmax ms).
      kept.push({ ...file, durationSec: Math.floor(duration * 1000) / 1000 });
    }
  }
  return kept;
}

function scoreBin(score: number, edges: readonly number[]): number {
  const s = Number.isFinite(score) ? Math.min(Math.max(score, 0), 1) : 0;
  for (let i = edges.length - 2; i >= 0; i--) if (s >= edges[i]!) return i;
  return 0;
}

/** Computes the exact statistics over capped contributions and releases them with noise. */
export function releaseAggregates(files: readonly AggregateFile[], policy: AggregatePolicy, random: RandomStream): AggregateRelease {
  checkPolicy(policy);
  const kept = capContributions(files, policy);
  const m = policy.maxFilesPerContributor;
  const maxDurationMs = Math.floor(policy.maxDurationSec * 1000);
  const scales = {
    files: noiseScale(policy, m),
    contributors: noiseScale(policy, 1),
    totalDurationMs: noiseScale(policy, m * maxDurationMs),
    histogram: noiseScale(policy, m),
  };
  const scoreCounts = new Array<number>(policy.scoreEdges.length - 1).fill(0);
  const languageCounts = new Map<string, number>([...policy.languages, 'other'].map((l) => [l, 0]));
  let durationMs = 0;
  for (const file of kept) {
    scoreCounts[scoreBin(file.score, policy.scoreEdges)]! += 1;
    const language = policy.languages.includes(file.language) ? file.language : 'other';
    languageCounts.set(language, languageCounts.get(language)! + 1);
    durationMs += Math.round(file.durationSec * 1000);
  }
  const contributors = new Set(kept.map((f) => f.contributor.toLowerCase())).size;
  // Clamping at zero and the change of unit are post-processing: they cost no privacy.
  const count = (x: number, scale: number) => Math.max(0, x + integerNoise(scale, policy.mechanism, random));
  return {
    files: count(kept.length, scales.files),
    contributors: count(contributors, scales.contributors),
    totalDurationSec: count(durationMs, scales.totalDurationMs) / 1000,
    scoreHistogram: { edges: [...policy.scoreEdges], counts: scoreCounts.map((c) => count(c, scales.histogram)) },
    languageHistogram: Object.fromEntries([...languageCounts].map(([l, c]) => [l, count(c, scales.histogram)])),
    noise: { mechanism: policy.mechanism, files: scales.files, contributors: scales.contributors, totalDurationSec: scales.totalDurationMs / 1000, histogram: scales.histogram },
  };
}
