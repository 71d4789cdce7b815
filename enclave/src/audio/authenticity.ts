// Authenticity signals that need no downloaded model: natural voices wobble. Frame-to-frame
// pitch changes of a human voice are irregular (micro-prosody, jitter), while rule-based
// synthesis such as espeak-ng draws smooth, piecewise-linear pitch contours. A modern neural
// TTS reproduces natural micro-prosody and passes these checks; see SCORING.md.
import { pitchTrack, type PitchTrack } from './authenticity-pitch.ts';
import type { SpectralStatistics } from './authenticity-spectral.ts';
import type { SpeechSegment } from './vad-segments.ts';

export interface AuthenticityThresholds {
  /** Mean frame-to-frame |delta F0| (cents per 20 ms) at which the pitch signal is 0.5. */
  pitchWobbleMidCents: number;
  /** Width of the logistic in natural-log units of the wobble. */
  pitchWobbleSpread: number;
  /** F0 standard deviation (semitones) at which the prosody signal is 0.5. */
  f0RangeMidSemitones: number;
  f0RangeSpread: number;
  /** Interquartile range of spectral flux (log10 units) at which the step signal is 0.5. */
  fluxIqrMid: number;
  fluxIqrSpread: number;
  /** Voiced frame pairs needed before the evidence counts fully; fewer pull the score to 0.5. */
  minVoicedPairs: number;
  /** Speech analysed frame by frame; beyond it, frames are sampled evenly (runs of three). */
  fullAnalysisSeconds: number;
}

export const DEFAULT_AUTHENTICITY: AuthenticityThresholds = {
  pitchWobbleMidCents: 33,
  pitchWobbleSpread: 0.12,
  f0RangeMidSemitones: 1.5,
  f0RangeSpread: 0.5,
  fluxIqrMid: 0.32,
  fluxIqrSpread: 0.1,
  minVoicedPairs: 20,
  fullAnalysisSeconds: 60,
};

export interface AuthenticityResult {
  /** In [0, 1]: 1 reads as a natural human voice, 0 as rule-based synthesis. */
  score: number;
  /**
   * Mean |delta log2 F0| between consecutive voiced frames, in cents (jumps over 0.1 octave,
   * octave errors and syllable boundaries, left out). The mean, not the median: rule-based
   * contours have many near-zero steps, a human voice few.
   */
  pitchWobbleCents: number;
  /** Median |second difference of log2 F0| over voiced frame triples, in cents (jitter-like). */
  pitchJitterCents: number;
  /** Median |second difference| of frame RMS over voiced triples, in dB (shimmer-like). */
  shimmerDb: number;
  /** Standard deviation of F0 over voiced frames, in semitones. */
  f0StdSemitones: number;
  /** Median F0 of voiced frames in Hz (0 when none). */
  f0MedianHz: number;
  /** Voiced frames over analysed speech frames. */
  voicedFraction: number;
  /** Fraction of 10 ms non-speech frames below one 16-bit step (digital silence, no noise floor). */
  digitalSilenceFraction: number;
  voicedPairs: number;
  /** Spectral texture, when the caller passed it (the pipeline does). */
  spectral: SpectralStatistics | null;
}

const logistic = (x: number) => 1 / (1 + Math.exp(-x));

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const s = values.sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Frames of 10 ms outside speech whose RMS is below 2^-15: a synthesiser's or editor's zeros. */
function digitalSilenceFraction(samples: Float32Array, segments: readonly SpeechSegment[], sampleRate: number): number {
  const fr = Math.round(sampleRate * 0.01);
  const floor = (1 / 32768) ** 2 * fr;
  let total = 0;
  let silent = 0;
  let seg = 0;
  for (let f = 0; f + fr <= samples.length; f += fr) {
    const t = f / sampleRate;
    while (seg < segments.length && segments[seg]!.end <= t) seg += 1;
    const s = segments[seg];
    if (s !== undefined && t >= s.start) continue;
    total += 1;
    let e = 0;
    for (let j = f; j < f + fr; j += 1) e += samples[j]! * samples[j]!;
    if (e < floor) silent += 1;
  }
  return total === 0 ? 0 : silent / total;
}

export function authenticitySignals(
  samples: Float32Array,
  segments: readonly SpeechSegment[],
  thresholds: Partial<AuthenticityThresholds> = {},
  track?: PitchTrack,
  spectral?: SpectralStatistics,
): AuthenticityResult {
  const t = { ...DEFAULT_AUTHENTICITY, ...thresholds };
  const speech = segments.reduce((sum, s) => sum + (s.end - s.start), 0);
  const runStride = Math.max(1, Math.floor(speech / t.fullAnalysisSeconds));
  track ??= pitchTrack(samples, segments, { runStride });
  const { f0, rms } = track;
  const semis: number[] = [];
  let analysed = 0;
  for (let i = 0; i < f0.length; i += 1) {
    if (rms[i]! > 0) analysed += 1;
    if (f0[i]! > 0) semis.push(12 * Math.log2(f0[i]!));
  }
  const wobble: number[] = [];
  const jitter: number[] = [];
  const shimmer: number[] = [];
  for (let i = 1; i < f0.length; i += 1) {
    const b = f0[i - 1]!;
    const c = f0[i]!;
    if (b <= 0 || c <= 0) continue;
    const d1 = Math.log2(c) - Math.log2(b);
    // A jump of more than ~1.2 semitones in 20 ms is an octave error or a new syllable, not wobble.
    if (Math.abs(d1) > 0.1) continue;
    wobble.push(Math.abs(d1) * 1200);
    const a = i >= 2 ? f0[i - 2]! : 0;
    if (a > 0 && Math.abs(Math.log2(b) - Math.log2(a)) <= 0.1) {
      jitter.push(Math.abs(Math.log2(a) - 2 * Math.log2(b) + Math.log2(c)) * 1200);
      shimmer.push(Math.abs(20 * Math.log10((rms[i - 2]! * rms[i]!) / (rms[i - 1]! * rms[i - 1]!))));
    }
  }
  let mean = 0;
  for (const s of semis) mean += s;
  mean = semis.length > 0 ? mean / semis.length : 0;
  let variance = 0;
  for (const s of semis) variance += (s - mean) ** 2;
  const f0Std = semis.length > 0 ? Math.sqrt(variance / semis.length) : 0;
  const f0Median = semis.length > 0 ? 2 ** (median([...semis]) / 12) : 0;

  const pitchWobbleCents = wobble.length > 0 ? wobble.reduce((a, b) => a + b, 0) / wobble.length : 0;
  const wobbleSignal = pitchWobbleCents > 0
    ? logistic((Math.log(pitchWobbleCents) - Math.log(t.pitchWobbleMidCents)) / t.pitchWobbleSpread)
    : 0;
  const rangeSignal = logistic((f0Std - t.f0RangeMidSemitones) / t.f0RangeSpread);
  // Rule-based synthesis holds a spectrum, then jumps to the next target: its frame-to-frame
  // change is bimodal, with a wide interquartile range. With the spectrum at hand, that signal
  // and the pitch one are combined by geometric mean, so neither alone decides.
  const stepSignal = spectral === undefined || spectral.fluxIqr <= 0
    ? null
    : logistic((Math.log(t.fluxIqrMid) - Math.log(spectral.fluxIqr)) / t.fluxIqrSpread);
  const natural = stepSignal === null ? wobbleSignal : Math.sqrt(wobbleSignal * stepSignal);
  const evidence = natural * Math.sqrt(rangeSignal);
  // With little voiced speech the signals say little: shrink towards an undecided 0.5.
  const n = wobble.length;
  const score = (n * evidence + t.minVoicedPairs * 0.5) / (n + t.minVoicedPairs);
  return {
    score,
    pitchWobbleCents,
    pitchJitterCents: median(jitter),
    shimmerDb: median(shimmer),
    f0StdSemitones: f0Std,
    f0MedianHz: f0Median,
    voicedFraction: analysed > 0 ? semis.length / analysed : 0,
    digitalSilenceFraction: digitalSilenceFraction(samples, segments, 16000),
    voicedPairs: n,
    spectral: spectral ?? null,
  };
}
