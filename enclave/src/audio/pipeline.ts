// Runs the scoring stages on one decoded recording (16 kHz mono) and returns the proof fields,
// the per-stage numbers behind them and how long each stage took. Two halves: the analysis
// (everything about the file alone, pure apart from the VAD session) and the judgement (the
// fingerprint index and the final score), so the analysis can run on another thread.
import { authenticitySignals, DEFAULT_AUTHENTICITY, type AuthenticityThresholds } from './authenticity.ts';
import { spectralStatistics } from './authenticity-spectral.ts';
import { fingerprint, FINGERPRINT_VERSION, DEFAULT_FINGERPRINT, type Fingerprint } from './fingerprint.ts';
import { integratedLoudness } from './loudness.ts';
import { logMelSpectrogram } from './logmel.ts';
import { clippingFraction, DEFAULT_QUALITY, effectiveBandwidth, qualityScore, samplePeakDbfs, type MelFrames, type QualityThresholds } from './quality.ts';
import { DEFAULT_SCORE, proofScore, type InvalidReason, type ProofFields, type ScoreThresholds } from './score.ts';
import { wadaSnr } from './snr.ts';
import type { FingerprintIndex, FingerprintMatch } from './uniqueness.ts';
import { DEFAULT_VAD_RUN, type SileroVad, type VadRunOptions } from './vad.ts';
import { DEFAULT_VAD_SEGMENTS, voiceActivity, type VadSegmentOptions } from './vad-segments.ts';

export const PIPELINE_VERSION = 'audata-score/2'; // 2: linear, split-neutral volume
export const SAMPLE_RATE = 16000;

export interface PipelineConfig {
  vad: VadRunOptions;
  segments: VadSegmentOptions;
  quality: QualityThresholds;
  authenticity: AuthenticityThresholds;
  score: ScoreThresholds;
}

export const DEFAULT_PIPELINE: PipelineConfig = {
  vad: DEFAULT_VAD_RUN,
  segments: DEFAULT_VAD_SEGMENTS,
  quality: DEFAULT_QUALITY,
  authenticity: DEFAULT_AUTHENTICITY,
  score: DEFAULT_SCORE,
};

export type Stage = 'vad' | 'logmel' | 'quality' | 'fingerprint' | 'uniqueness' | 'authenticity' | 'score';

/** Both halves' options: the VAD and thresholds for the analysis, the index for the judgement. */
export type ScoreOptions = AnalysisOptions & JudgementOptions;

export interface ScoreAttributes {
  durationSeconds: number;
  speechSeconds: number;
  speechRatio: number;
  speechSegments: number;
  vadMeanProbability: number;
  snrDb: number;
  /** null when nothing passes the BS.1770 absolute gate. */
  loudnessLufs: number | null;
  peakDbfs: number | null;
  clippingFraction: number;
  bandwidthHz: number;
  qualityFactors: Record<string, number>;
  pitchWobbleCents: number;
  pitchJitterCents: number;
  shimmerDb: number;
  f0MedianHz: number;
  f0StdSemitones: number;
  voicedFraction: number;
  digitalSilenceFraction: number;
  spectralFlatness: number;
  spectralFluxMedian: number;
  spectralFluxIqr: number;
  fingerprintWords: number;
  duplicateOf: FingerprintMatch | null;
  invalidReason: InvalidReason | null;
}

export interface ScoreMetadata {
  pipelineVersion: string;
  vadModelSha256: string;
  fingerprintVersion: number;
  uniquenessChecked: boolean;
  indexedAs: string | null;
  thresholds: PipelineConfig & { uniqueness: Record<string, number> | null };
}

export interface ScoreResult extends ProofFields {
  attributes: ScoreAttributes;
  metadata: ScoreMetadata;
  /** Milliseconds per stage. */
  timings: Record<Stage, number>;
}

const finiteOrNull = (x: number) => (Number.isFinite(x) ? x : null);

/** What the analysis needs: the VAD session and the thresholds; never the fingerprint index. */
export interface AnalysisOptions {
  vad: SileroVad;
  config?: Partial<PipelineConfig>;
  /** Whisper log-mel (80 bands); injectable so the benchmark can compare implementations. */
  logMel?: (samples: Float32Array) => MelFrames;
  /** Milliseconds, for stage timings. */
  now?: () => number;
}

/** Attributes the analysis settles; the judgement adds the duplicate and the verdict. */
export type AnalysedAttributes = Omit<ScoreAttributes, 'duplicateOf' | 'invalidReason'>;

/**
 * Everything about one recording that does not depend on the other files: plain data (numbers
 * and typed arrays), so it can cross a thread boundary. Holds no samples; `mel` is the file's
 * log-mel, which the fingerprint was computed from and the feature store keeps.
 */
export interface RecordingAnalysis {
  config: PipelineConfig;
  vadModelSha256: string;
  /** The inputs of proofScore other than uniqueness and ownership; loudness may be -Infinity. */
  score: { durationSeconds: number; speechSeconds: number; speechRatio: number; loudnessLufs: number; quality: number; authenticity: number };
  attributes: AnalysedAttributes;
  fingerprint: Fingerprint;
  mel: MelFrames;
  timings: Record<Exclude<Stage, 'uniqueness' | 'score'>, number>;
}

/** What the judgement needs: the index the file is checked against and entered in. */
export interface JudgementOptions {
  /** The enclave's fingerprint index; null scores uniqueness against nothing (1) and says so. */
  index: FingerprintIndex | null;
  /** Identity under which the file enters the index (the manifest's ciphertext hash). */
  fileId?: string;
  /** 1 when the manifest's signature verified; the pipeline cannot judge it. */
  ownership: number;
  /** Milliseconds, for stage timings. */
  now?: () => number;
}

function pipelineConfig(partial: Partial<PipelineConfig> | undefined): PipelineConfig {
  return {
    vad: { ...DEFAULT_PIPELINE.vad, ...partial?.vad },
    segments: { ...DEFAULT_PIPELINE.segments, ...partial?.segments },
    quality: { ...DEFAULT_PIPELINE.quality, ...partial?.quality },
    authenticity: { ...DEFAULT_PIPELINE.authenticity, ...partial?.authenticity },
    score: { ...DEFAULT_PIPELINE.score, ...partial?.score },
  };
}

/** Analysis and judgement in one call, on the caller's thread. */
export async function scoreRecording(samples: Float32Array, options: ScoreOptions): Promise<ScoreResult> {
  // A caller's mistake, not bad audio: no AudataError code for it. Checked before the work.
  if (options.index !== null && options.fileId === undefined) throw new TypeError('scoreRecording: a fileId is needed to check uniqueness against an index');
  return judgeRecording(await analyseRecording(samples, options), options);
}

/**
 * The per-file stages (VAD, log-mel, loudness, SNR, quality, fingerprint, authenticity): a pure
 * function of the samples, the model and the thresholds, so files can be analysed in parallel.
 */
export async function analyseRecording(samples: Float32Array, options: AnalysisOptions): Promise<RecordingAnalysis> {
  const config = pipelineConfig(options.config);
  const now = options.now ?? (() => performance.now());
  const logMel = options.logMel ?? ((s: Float32Array) => logMelSpectrogram(s, { nMels: 80 }));
  const timings = { vad: 0, logmel: 0, quality: 0, fingerprint: 0, authenticity: 0 };
  const duration = samples.length / SAMPLE_RATE;
  let t = now();
  const lap = (stage: keyof typeof timings) => {
    const n = now();
    timings[stage] += n - t;
    t = n;
  };

  const window = config.vad.window ?? DEFAULT_VAD_RUN.window;
  const probs = await options.vad.speechProbabilities(samples, config.vad);
  const va = voiceActivity(probs, window / SAMPLE_RATE, duration, config.segments);
  lap('vad');

  // Whisper's reflect padding needs a few hundred samples; shorter files are invalid anyway.
  const mel: MelFrames = samples.length > 400 ? logMel(samples) : { nMels: 80, frames: 0, data: new Float32Array(0) };
  lap('logmel');

  const loudness = integratedLoudness(samples, SAMPLE_RATE);
  const snrDb = wadaSnr(samples);
  const clip = clippingFraction(samples);
  const speechFrames: number[] = [];
  for (const s of va.segments) {
    for (let f = Math.floor(s.start * 100); f < Math.min(mel.frames, Math.ceil(s.end * 100)); f += 1) speechFrames.push(f);
  }
  const bandwidthHz = effectiveBandwidth(mel, 55, speechFrames.length > 0 ? speechFrames : undefined, SAMPLE_RATE);
  const quality = qualityScore(
    { snrDb, loudnessLufs: loudness, clippingFraction: clip, bandwidthHz, speechRatio: va.speechRatio },
    config.quality,
  );
  lap('quality');

  const fp = fingerprint(mel, DEFAULT_FINGERPRINT);
  lap('fingerprint');

  const auth = authenticitySignals(samples, va.segments, config.authenticity, undefined, spectralStatistics(mel, speechFrames));
  lap('authenticity');

  return {
    config,
    vadModelSha256: options.vad.sha256,
    score: { durationSeconds: duration, speechSeconds: va.speechSeconds, speechRatio: va.speechRatio, loudnessLufs: loudness, quality: quality.score, authenticity: auth.score },
    attributes: {
      durationSeconds: duration,
      speechSeconds: va.speechSeconds,
      speechRatio: va.speechRatio,
      speechSegments: va.segments.length,
      vadMeanProbability: va.meanProbability,
      snrDb,
      loudnessLufs: finiteOrNull(loudness),
      peakDbfs: finiteOrNull(samplePeakDbfs(samples)),
      clippingFraction: clip,
      bandwidthHz,
      qualityFactors: quality.factors,
      pitchWobbleCents: auth.pitchWobbleCents,
      pitchJitterCents: auth.pitchJitterCents,
      shimmerDb: auth.shimmerDb,
      f0MedianHz: auth.f0MedianHz,
      f0StdSemitones: auth.f0StdSemitones,
      voicedFraction: auth.voicedFraction,
      digitalSilenceFraction: auth.digitalSilenceFraction,
      spectralFlatness: auth.spectral?.flatnessMedian ?? 0,
      spectralFluxMedian: auth.spectral?.fluxMedian ?? 0,
      spectralFluxIqr: auth.spectral?.fluxIqr ?? 0,
      fingerprintWords: fp.words.length,
    },
    fingerprint: fp,
    mel,
    timings,
  };
}

/**
 * The stages that read or change the fingerprint index (uniqueness lookup and insert) and the
 * final proof score. Synchronous, so one file's lookup and insert cannot interleave with
 * another's: of two copies judged one after the other, the second meets the first.
 */
export function judgeRecording(analysis: RecordingAnalysis, options: JudgementOptions): ScoreResult {
  if (options.index !== null && options.fileId === undefined) throw new TypeError('judgeRecording: a fileId is needed to check uniqueness against an index');
  const now = options.now ?? (() => performance.now());
  const { config, score: s } = analysis;
  const fp = analysis.fingerprint;
  const timings: Record<Stage, number> = { ...analysis.timings, uniqueness: 0, score: 0 };
  let t = now();
  const lap = (stage: 'uniqueness' | 'score') => {
    const n = now();
    timings[stage] += n - t;
    t = n;
  };

  // Validity does not depend on uniqueness, so an invalid file is only looked up, never indexed.
  const pre = proofScore({ ...s, uniqueness: 1, ownership: options.ownership }, config.score);
  let uniqueness = 1;
  let match: FingerprintMatch | null = null;
  let indexedAs: string | null = null;
  if (options.index !== null) {
    if (pre.valid) {
      const r = options.index.checkAndInsert(options.fileId!, fp);
      uniqueness = r.uniqueness;
      match = r.match;
      if (r.inserted) indexedAs = options.fileId!;
    } else {
      match = options.index.findMatches(fp)[0] ?? null;
      uniqueness = match === null ? 1 : match.coverage >= options.index.thresholds.replayCoverage ? 0 : 1 - match.coverage;
    }
  }
  lap('uniqueness');

  const proof = proofScore({ ...s, uniqueness, ownership: options.ownership }, config.score);
  lap('score');

  return {
    valid: proof.valid,
    score: proof.score,
    authenticity: proof.authenticity,
    ownership: proof.ownership,
    quality: proof.quality,
    uniqueness: proof.uniqueness,
    attributes: { ...analysis.attributes, duplicateOf: match, invalidReason: proof.invalidReason },
    metadata: {
      pipelineVersion: PIPELINE_VERSION,
      vadModelSha256: analysis.vadModelSha256,
      fingerprintVersion: FINGERPRINT_VERSION,
      uniquenessChecked: options.index !== null,
      indexedAs,
      thresholds: { ...config, uniqueness: options.index === null ? null : { ...options.index.thresholds } },
    },
    timings,
  };
}
