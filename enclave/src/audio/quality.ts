// Signal quality of a recording as plain numbers (peak, clipping, bandwidth) and the rule that
// folds them, with loudness, WADA-SNR and the speech ratio, into one quality sub-score in [0, 1].

/** A Whisper-scaled log-mel spectrogram, frame-major: data[frame * nMels + band]. */
export interface MelFrames {
  nMels: number;
  frames: number;
  data: Float32Array;
}

export function samplePeakDbfs(samples: Float32Array): number {
  let peak = 0;
  for (let i = 0; i < samples.length; i += 1) {
    const a = Math.abs(samples[i]!);
    if (a > peak) peak = a;
  }
  return peak > 0 ? 20 * Math.log10(peak) : Number.NEGATIVE_INFINITY;
}

/**
 * Fraction of samples at full scale (within two 16-bit steps of +-1), where a clipped recording
 * piles up. Decoders hand over floats in [-1, 1], so this is where clipping shows.
 */
export function clippingFraction(samples: Float32Array, level = 1 - 2 / 32768): number {
  if (samples.length === 0) return 0;
  let n = 0;
  for (let i = 0; i < samples.length; i += 1) if (Math.abs(samples[i]!) >= level) n += 1;
  return n / samples.length;
}

/** Slaney's mel scale (linear below 1 kHz, logarithmic above), as librosa and Whisper use. */
function hzToMel(f: number): number {
  return f < 1000 ? f / (200 / 3) : 15 + Math.log(f / 1000) / (Math.log(6.4) / 27);
}
function melToHz(m: number): number {
  return m < 15 ? m * (200 / 3) : 1000 * Math.exp((m - 15) * (Math.log(6.4) / 27));
}

/** Edges of each mel band (lower, centre, upper) in Hz for `nMels` bands over 0..sampleRate/2. */
export function melBandEdges(nMels: number, sampleRate = 16000): Float64Array {
  const top = hzToMel(sampleRate / 2);
  const pts = new Float64Array(nMels + 2);
  for (let i = 0; i < nMels + 2; i += 1) pts[i] = melToHz((top * i) / (nMels + 1));
  return pts;
}

/**
 * Effective bandwidth: the centre of the highest mel band whose long-term mean power density is
 * within `rangeDb` of the strongest band's. A share-of-energy rule (say 99 %) would follow what
 * was said rather than how it was recorded, since speech puts nearly all its energy below 3 kHz;
 * a codec's or a telephone line's cut-off instead shows as a cliff into the floor (8 kHz audio
 * falls some 60 dB above 4 kHz). Whisper's log-mel is (max(log10 P, max - 8) + 4) / 4 with
 * area-normalised filters, so P = 10^(4y - 4) is a power density.
 */
export function effectiveBandwidth(mel: MelFrames, rangeDb = 55, frames?: readonly number[], sampleRate = 16000): number {
  const { nMels, data } = mel;
  const k = 4 * Math.LN10; // 10^(4y - 4) = exp(k (y - 1)); exp is several times cheaper than **
  const power = new Float64Array(nMels);
  const use = frames ?? Array.from({ length: mel.frames }, (_, i) => i);
  if (use.length === 0) return 0;
  for (const f of use) {
    const row = f * nMels;
    for (let m = 0; m < nMels; m += 1) power[m] = power[m]! + Math.exp(k * (data[row + m]! - 1));
  }
  let peak = 0;
  for (const p of power) if (p > peak) peak = p;
  if (peak <= 0) return 0;
  const floor = peak * 10 ** (-rangeDb / 10);
  const edges = melBandEdges(nMels, sampleRate);
  for (let m = nMels - 1; m >= 0; m -= 1) if (power[m]! >= floor) return edges[m + 1]!;
  return 0;
}

export interface QualityInputs {
  snrDb: number;
  loudnessLufs: number;
  clippingFraction: number;
  bandwidthHz: number;
  speechRatio: number;
}

export interface QualityThresholds {
  /** WADA-SNR mapped linearly to [0, 1] between these (dB). */
  snrFloorDb: number;
  snrFullDb: number;
  /** Loudness gets full marks between these (LUFS) and falls to 0 this many LU outside. */
  loudnessLowLufs: number;
  loudnessHighLufs: number;
  loudnessRampLu: number;
  /** Clipped-sample fraction at which the clipping factor reaches 0. */
  clippingMax: number;
  bandwidthFloorHz: number;
  bandwidthFullHz: number;
  /** Speech ratio at and above which the file gets full marks for it. */
  speechRatioFull: number;
}

export const DEFAULT_QUALITY: QualityThresholds = {
  snrFloorDb: 5,
  snrFullDb: 30,
  loudnessLowLufs: -35,
  loudnessHighLufs: -10,
  loudnessRampLu: 15,
  clippingMax: 0.01,
  bandwidthFloorHz: 1000,
  bandwidthFullHz: 6000,
  speechRatioFull: 0.5,
};

const clamp01 = (x: number) => (Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : x > 0 ? 1 : 0);

export interface QualityResult {
  score: number;
  factors: { snr: number; loudness: number; clipping: number; bandwidth: number; speechRatio: number };
}

/**
 * Weighted geometric mean of per-metric factors, so one bad aspect (heavy clipping, a
 * whisper-quiet file, noise) pulls the score down however good the rest is. Weights: SNR 0.35,
 * bandwidth 0.2, loudness 0.15, clipping 0.15, speech ratio 0.15.
 */
export function qualityScore(q: QualityInputs, thresholds: Partial<QualityThresholds> = {}): QualityResult {
  const t = { ...DEFAULT_QUALITY, ...thresholds };
  const snr = clamp01((q.snrDb - t.snrFloorDb) / (t.snrFullDb - t.snrFloorDb));
  const loudness =
    q.loudnessLufs < t.loudnessLowLufs
      ? clamp01(1 - (t.loudnessLowLufs - q.loudnessLufs) / t.loudnessRampLu)
      : q.loudnessLufs > t.loudnessHighLufs
        ? clamp01(1 - (q.loudnessLufs - t.loudnessHighLufs) / t.loudnessRampLu)
        : 1;
  const clipping = clamp01(1 - q.clippingFraction / t.clippingMax);
  const bandwidth = clamp01((q.bandwidthHz - t.bandwidthFloorHz) / (t.bandwidthFullHz - t.bandwidthFloorHz));
  const speechRatio = clamp01(q.speechRatio / t.speechRatioFull);
  const factors = { snr, loudness, clipping, bandwidth, speechRatio };
  const weights = { snr: 0.35, bandwidth: 0.2, loudness: 0.15, clipping: 0.15, speechRatio: 0.15 };
  let log = 0;
  for (const k of Object.keys(weights) as (keyof typeof weights)[]) {
    if (factors[k] <= 0) return { score: 0, factors };
    log += weights[k] * Math.log(factors[k]);
  }
  return { score: Math.exp(log), factors };
}
