// Spectral texture of the speech frames, reported beside the pitch signals: flatness (how
// noise-like a frame is) and flux (how fast the spectrum changes). Computed on the log-mel the
// pipeline already has; reported, not scored (see SCORING.md for why).
import type { MelFrames } from './quality.ts';

export interface SpectralStatistics {
  /** Median over speech frames of geometric / arithmetic mean of mel power, in [0, 1]. */
  flatnessMedian: number;
  /** Median over consecutive speech frames of the RMS change of log10 mel power (log10 units). */
  fluxMedian: number;
  /** Interquartile range of the flux: rule-based synthesis tends to change in steady steps. */
  fluxIqr: number;
}

function quantile(sorted: Float64Array, q: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** Statistics over the given frame indices (ascending); Whisper scaling: log10 P = 4y - 4. */
export function spectralStatistics(mel: MelFrames, frames: readonly number[]): SpectralStatistics {
  const { nMels, data } = mel;
  const flat = new Float64Array(frames.length);
  const flux = new Float64Array(frames.length);
  let nFlux = 0;
  const ln10 = Math.LN10;
  for (let i = 0; i < frames.length; i += 1) {
    const row = frames[i]! * nMels;
    let sumLog = 0;
    let sum = 0;
    for (let m = 0; m < nMels; m += 1) {
      const l = 4 * data[row + m]! - 4;
      sumLog += l;
      sum += Math.exp(ln10 * l);
    }
    flat[i] = Math.exp(ln10 * (sumLog / nMels)) / (sum / nMels);
    if (i > 0 && frames[i - 1] === frames[i]! - 1) {
      const prev = row - nMels;
      let d = 0;
      for (let m = 0; m < nMels; m += 1) {
        const x = 4 * (data[row + m]! - data[prev + m]!);
        d += x * x;
      }
      flux[nFlux] = Math.sqrt(d / nMels);
      nFlux += 1;
    }
  }
  flat.sort();
  const fl = flux.subarray(0, nFlux).sort();
  return { flatnessMedian: quantile(flat, 0.5), fluxMedian: quantile(fl, 0.5), fluxIqr: quantile(fl, 0.75) - quantile(fl, 0.25) };
}
