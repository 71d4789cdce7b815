// Runs the scoring stages on one decoded recording (16 kHz mono) and returns the proof fields,
// the per-stage numbers behind them and how long each stage took. Pure apart from the VAD
// session and the fingerprint index, which the caller owns and passes in.
import { authenticitySignals, DEFAULT_AUTHENTICITY, type AuthenticityThresholds } from './authenticity.ts';
import { spectralStatistics } from './authenticity-spectral.ts';
import { fingerprint, FINGERPRINT_VERSION, DEFAULT_FINGERPRINT } from './fingerprint.ts';
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

export interface ScoreOptions {
  vad: SileroVad;
  /** The enclave's fingerprint index; null scores uniqueness against nothing (1) and says so. */
  index: FingerprintIndex | null;
  /** Identity under which the file enters the index (the manifest's ciphertext hash). */
  fileId?: string;
  /** 1 when the manifest's signature verified; the pipeline cannot judge it. */
  ownership: number;
  config?: Partial<PipelineConfig>;
  /** Whisper log-mel (80 bands); injectable so the benchmark can compare implementations. */
  logMel?: (samples: Float32Array) => MelFrames;
  /** Milliseconds, for stage timings. */
  now?: () => number;
}

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

export async function scoreRecording(samples: Float32Array, options: ScoreOptions): Promise<ScoreResult> {
  const config: PipelineConfig = {
    vad: { ...DEFAULT_PIPELINE.vad, ...options.config?.vad },
    segments: { ...DEFAULT_PIPELINE.segments, ...options.config?.segments },
    quality: { ...DEFAULT_PIPELINE.quality, ...options.config?.quality },
    authenticity: { ...DEFAULT_PIPELINE.authenticity, ...options.config?.authenticity },
    score: { ...DEFAULT_PIPELINE.score, ...options.config?.score },
  };
  // A caller's mistake, not bad audio: no AudataError code for it.
  if (options.index !== null && options.fileId === undefined) throw new TypeError('scoreRecording: a fileId is needed to check uniqueness against an index');
  const now = options.now ?? (() => performance.now());
  const logMel = options.logMel ?? ((s: Float32Array) => logMelSpectrogram(s, { nMels: 80 }));
  const timings = { vad: 0, logmel: 0, quality: 0, fingerprint: 0, uniqueness: 0, authenticity: 0, score: 0 };
  const duration = samples.length / SAMPLE_RATE;
  let t = now();
  const lap = (stage: Stage) => {
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

  // Validity does not depend on uniqueness, so an invalid file is only looked up, never indexed.
  const pre = proofScore({
    durationSeconds: duration,
    speechSeconds: va.speechSeconds,
    speechRatio: va.speechRatio,
    loudnessLufs: loudness,
    quality: quality.score,
    uniqueness: 1,
    authenticity: auth.score,
    ownership: options.ownership,
  }, config.score);
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

  const proof = proofScore({
    durationSeconds: duration,
    speechSeconds: va.speechSeconds,
    speechRatio: va.speechRatio,
    loudnessLufs: loudness,
    quality: quality.score,
    uniqueness,
    authenticity: auth.score,
    ownership: options.ownership,
  }, config.score);
  lap('score');

  return {
    valid: proof.valid,
    score: proof.score,
    authenticity: proof.authenticity,
    ownership: proof.ownership,
    quality: proof.quality,
    uniqueness: proof.uniqueness,
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
      duplicateOf: match,
      invalidReason: proof.invalidReason,
    },
    metadata: {
      pipelineVersion: PIPELINE_VERSION,
      vadModelSha256: options.vad.sha256,
      fingerprintVersion: FINGERPRINT_VERSION,
      uniquenessChecked: options.index !== null,
      indexedAs,
      thresholds: { ...config, uniqueness: options.index === null ? null : { ...options.index.thresholds } },
    },
    timings,
  };
}
