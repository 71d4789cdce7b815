// Frame-level pitch (F0) and amplitude tracks for the authenticity signals. Cheap by design: a
// coarse normalised-autocorrelation search on a 4 kHz copy, then a fine search at 16 kHz only
// around the coarse peak, with parabolic interpolation of the period.

export interface PitchTrack {
  /** Frame hop in seconds. */
  hop: number;
  /** F0 in Hz per frame, 0 where the frame is unvoiced or outside speech. */
  f0: Float32Array;
  /** RMS of the frame (linear), 0 where not analysed. */
  rms: Float32Array;
  /** Peak normalised autocorrelation of the frame (voicing strength), 0 where not analysed. */
  clarity: Float32Array;
}

export interface PitchOptions {
  sampleRate: number;
  minF0: number;
  maxF0: number;
  /** A frame is voiced when its peak normalised autocorrelation reaches this. */
  voicingThreshold: number;
  hopSeconds: number;
  windowSeconds: number;
}

export const DEFAULT_PITCH: PitchOptions = {
  sampleRate: 16000,
  minF0: 60,
  maxF0: 400,
  voicingThreshold: 0.7,
  hopSeconds: 0.02,
  windowSeconds: 0.03,
};

/** Cumulative sums of squares, so each lag's energy term costs O(1). */
function squareSums(x: Float32Array): Float64Array {
  const c = new Float64Array(x.length + 1);
  for (let i = 0; i < x.length; i += 1) c[i + 1] = c[i]! + x[i]! * x[i]!;
  return c;
}

/** Normalised cross-correlation of x[start..start+w) with itself `lag` samples later. */
function nccf(x: Float32Array, sq: Float64Array, start: number, w: number, lag: number, xx: number): number {
  let xy = 0;
  for (let j = start; j < start + w; j += 1) xy += x[j]! * x[j + lag]!;
  const yy = sq[start + lag + w]! - sq[start + lag]!;
  const d = Math.sqrt(xx * yy);
  return d > 0 ? xy / d : 0;
}

/**
 * Pitch track over the frames whose start lies in one of `regions` (seconds; e.g. the VAD's
 * speech segments), so that silence costs nothing.
 */
export function pitchTrack(
  samples: Float32Array,
  regions: readonly { start: number; end: number }[],
  options: Partial<PitchOptions> = {},
): PitchTrack {
  const o = { ...DEFAULT_PITCH, ...options };
  const sr = o.sampleRate;
  const decim = 4;
  const hop = Math.round(o.hopSeconds * sr);
  const w = Math.round(o.windowSeconds * sr);
  const maxLag = Math.ceil(sr / o.minF0);
  const minLag = Math.floor(sr / o.maxF0);
  const frames = Math.max(0, Math.floor((samples.length - w - maxLag) / hop) + 1);
  const f0 = new Float32Array(frames);
  const rms = new Float32Array(frames);
  const clarity = new Float32Array(frames);
  // 4 kHz copy by a 4-tap box average: crude, but the coarse search only needs the fundamental.
  const low = new Float32Array(Math.floor(samples.length / decim));
  for (let i = 0; i < low.length; i += 1) {
    const k = i * decim;
    low[i] = (samples[k]! + samples[k + 1]! + samples[k + 2]! + samples[k + 3]!) * 0.25;
  }
  const wl = Math.floor(w / decim);
  const minLagL = Math.max(1, Math.floor(minLag / decim));
  const maxLagL = Math.ceil(maxLag / decim);
  const sq = squareSums(samples);
  const coarse = new Float64Array(maxLagL + 2).fill(-1);
  const sqLow = squareSums(low);
  for (const region of regions) {
    const first = Math.max(0, Math.ceil((region.start * sr) / hop));
    const last = Math.min(frames - 1, Math.floor((region.end * sr - w) / hop));
    for (let f = first; f <= last; f += 1) {
      const start = f * hop;
      const energy = sq[start + w]! - sq[start]!;
      rms[f] = Math.sqrt(energy / w);
      if (energy < 1e-8 * w) continue;
      const sl = Math.floor(start / decim);
      const xxLow = sqLow[sl + wl]! - sqLow[sl]!;
      let best = -1;
      for (let lag = minLagL; lag <= maxLagL; lag += 1) {
        const r = nccf(low, sqLow, sl, wl, lag, xxLow);
        coarse[lag] = r;
        if (r > best) best = r;
      }
      // Multiples of the period correlate almost as well as the period itself: take the
      // shortest lag that is a local peak within 10 % of the best, not the global maximum.
      let bestLag = minLagL;
      for (let lag = minLagL; lag <= maxLagL; lag += 1) {
        const r = coarse[lag]!;
        if (r >= 0.9 * best && r >= (coarse[lag - 1] ?? -1) && r >= (coarse[lag + 1] ?? -1)) {
          bestLag = lag;
          break;
        }
      }
      // Refine at full rate around the coarse lag.
      let fineBest = -1;
      let fineLag = 0;
      const centre = bestLag * decim;
      const rs: number[] = [];
      for (let lag = Math.max(minLag, centre - decim); lag <= Math.min(maxLag, centre + decim); lag += 1) {
        const r = nccf(samples, sq, start, w, lag, energy);
        rs.push(r);
        if (r > fineBest) {
          fineBest = r;
          fineLag = lag;
        }
      }
      clarity[f] = Math.max(0, fineBest);
      if (fineBest < o.voicingThreshold) continue;
      const i = fineLag - Math.max(minLag, centre - decim);
      let period = fineLag;
      if (i > 0 && i < rs.length - 1) {
        const a = rs[i - 1]!;
        const b = rs[i]!;
        const c = rs[i + 1]!;
        const den = a - 2 * b + c;
        if (den < 0) period += (0.5 * (a - c)) / den;
      }
      f0[f] = sr / period;
    }
  }
  return { hop: hop / sr, f0, rms, clarity };
}
