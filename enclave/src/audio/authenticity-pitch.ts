// Frame-level pitch (F0) and amplitude tracks for the authenticity signals. Cheap by design: a
// coarse normalised-autocorrelation search on a 2 kHz copy, refined at 4 kHz and then at 16 kHz
// only around the coarse peak, with parabolic interpolation of the period.

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
  /**
   * Analyse frames in runs of three consecutive ones, one run out of every `runStride`: a long
   * file's statistics are then drawn from evenly spread samples instead of every frame.
   */
  runStride: number;
}

export const DEFAULT_PITCH: PitchOptions = {
  sampleRate: 16000,
  minF0: 60,
  maxF0: 400,
  voicingThreshold: 0.7,
  hopSeconds: 0.02,
  windowSeconds: 0.03,
  runStride: 1,
};

/**
 * Normalised cross-correlation of x[start..start+w) with x[start+lag..start+lag+w) for each lag
 * in [lo, hi], written to out[lag]; the lagged energy is updated incrementally.
 */
function nccfRange(x: Float32Array, start: number, w: number, lo: number, hi: number, out: Float64Array): void {
  let xx = 0;
  let yy = 0;
  for (let j = start; j < start + w; j += 1) {
    xx += x[j]! * x[j]!;
    yy += x[j + lo]! * x[j + lo]!;
  }
  for (let lag = lo; lag <= hi; lag += 1) {
    let xy = 0;
    for (let j = start; j < start + w; j += 1) xy += x[j]! * x[j + lag]!;
    const d = Math.sqrt(xx * yy);
    out[lag] = d > 0 ? xy / d : 0;
    const leaving = x[start + lag]!;
    const entering = x[start + lag + w]!;
    yy += entering * entering - leaving * leaving;
    if (yy < 0) yy = 0;
  }
}

/** Box-average decimation of src[from..from+n*factor) into dst[0..n). */
function decimate(src: Float32Array, from: number, factor: number, n: number, dst: Float32Array): void {
  const scale = 1 / factor;
  for (let i = 0; i < n; i += 1) {
    let acc = 0;
    const k = from + i * factor;
    for (let j = 0; j < factor; j += 1) acc += src[k + j]!;
    dst[i] = acc * scale;
  }
}

/** Shortest lag that is a local peak within 10 % of the best: multiples of the period correlate almost as well. */
function shortestGoodPeak(r: Float64Array, lo: number, hi: number): number {
  let best = -1;
  for (let lag = lo; lag <= hi; lag += 1) if (r[lag]! > best) best = r[lag]!;
  for (let lag = lo; lag <= hi; lag += 1) {
    const v = r[lag]!;
    if (v >= 0.9 * best && (lag === lo || v >= r[lag - 1]!) && (lag === hi || v >= r[lag + 1]!)) return lag;
  }
  return lo;
}

function bestIn(r: Float64Array, lo: number, hi: number): number {
  let at = lo;
  for (let lag = lo + 1; lag <= hi; lag += 1) if (r[lag]! > r[at]!) at = lag;
  return at;
}

/**
 * Pitch track over the frames whose start lies in one of `regions` (seconds; e.g. the VAD's
 * speech segments), so that silence costs nothing. Per frame: a lag search on a 2 kHz copy,
 * refined at 4 kHz and then at 16 kHz around the winner; only the frame's own neighbourhood is
 * decimated, so memory stays constant however long the file is.
 */
export function pitchTrack(
  samples: Float32Array,
  regions: readonly { start: number; end: number }[],
  options: Partial<PitchOptions> = {},
): PitchTrack {
  const o = { ...DEFAULT_PITCH, ...options };
  const sr = o.sampleRate;
  const hop = Math.round(o.hopSeconds * sr);
  const w = Math.round(o.windowSeconds * sr);
  const maxLag = Math.ceil(sr / o.minF0);
  const minLag = Math.floor(sr / o.maxF0);
  const frames = Math.max(0, Math.floor((samples.length - w - maxLag - 8) / hop) + 1);
  const f0 = new Float32Array(frames);
  const rms = new Float32Array(frames);
  const clarity = new Float32Array(frames);
  const span = w + maxLag + 8;
  const x2 = new Float32Array(Math.ceil(span / 8) + 1);
  const x4 = new Float32Array(Math.ceil(span / 4) + 1);
  const r2 = new Float64Array(Math.ceil(maxLag / 8) + 2);
  const r4 = new Float64Array(Math.ceil(maxLag / 4) + 4);
  const r16 = new Float64Array(maxLag + 4);
  const lo2 = Math.max(1, Math.floor(minLag / 8));
  const hi2 = Math.ceil(maxLag / 8);
  const w2 = Math.floor(w / 8);
  const w4 = Math.floor(w / 4);
  for (const region of regions) {
    const first = Math.max(0, Math.ceil((region.start * sr) / hop));
    const last = Math.min(frames - 1, Math.floor((region.end * sr - w) / hop));
    for (let f = first; f <= last; f += 1) {
      if (o.runStride > 1 && Math.floor(f / 3) % o.runStride !== 0) continue;
      const start = f * hop;
      let energy = 0;
      for (let j = start; j < start + w; j += 1) energy += samples[j]! * samples[j]!;
      rms[f] = Math.sqrt(energy / w);
      if (energy < 1e-8 * w) continue;
      decimate(samples, start, 8, Math.floor(span / 8), x2);
      nccfRange(x2, 0, w2, lo2, hi2, r2);
      const lag2 = shortestGoodPeak(r2, lo2, hi2);
      decimate(samples, start, 4, Math.floor(span / 4), x4);
      const lo4 = Math.max(1, 2 * lag2 - 2);
      const hi4 = Math.min(Math.floor((span - w) / 4) - 1, 2 * lag2 + 2);
      nccfRange(x4, 0, w4, lo4, hi4, r4);
      const lag4 = bestIn(r4, lo4, hi4);
      const lo16 = Math.max(minLag, 4 * lag4 - 3);
      const hi16 = Math.min(maxLag, 4 * lag4 + 3);
      nccfRange(samples, start, w, lo16, hi16, r16);
      const lag = bestIn(r16, lo16, hi16);
      const best = r16[lag]!;
      clarity[f] = Math.max(0, best);
      if (best < o.voicingThreshold) continue;
      let period = lag;
      if (lag > lo16 && lag < hi16) {
        const a = r16[lag - 1]!;
        const c = r16[lag + 1]!;
        const den = a - 2 * best + c;
        if (den < 0) period += (0.5 * (a - c)) / den;
      }
      f0[f] = sr / period;
    }
  }
  return { hop: hop / sr, f0, rms, clarity };
}
