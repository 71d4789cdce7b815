// Slaney-style mel filter banks exactly as librosa.filters.mel(sr, n_fft, n_mels,
// htk=False, norm='slaney') builds them in float32, which is what Whisper's
// mel_filters.npz holds; kept in a sparse form (each filter only over its nonzero bins).
//
// Mel scale from M. Slaney, "Auditory Toolbox" (Interval Research, 1998): linear below
// 1 kHz (3 filters per 200 Hz), logarithmic above (step ln(6.4)/27); triangles between
// consecutive mel points, each scaled by 2 / (its width in Hz) so that filters have equal area.

export interface MelFilter {
  /** First FFT bin with a nonzero weight. */
  start: number;
  weights: Float64Array;
}

export interface MelFilterBank {
  sampleRate: number;
  nFft: number;
  nMels: number;
  /** nMels rows of nFft/2+1 weights (row-major), float32 values as librosa/Whisper store them. */
  dense: Float64Array;
  sparse: MelFilter[];
}

const F_SP = 200 / 3;
const MIN_LOG_HZ = 1000;
const MIN_LOG_MEL = MIN_LOG_HZ / F_SP;
const LOGSTEP = Math.log(6.4) / 27;

export function hzToMelSlaney(hz: number): number {
  return hz >= MIN_LOG_HZ ? MIN_LOG_MEL + Math.log(hz / MIN_LOG_HZ) / LOGSTEP : hz / F_SP;
}

export function melToHzSlaney(mel: number): number {
  return mel >= MIN_LOG_MEL ? MIN_LOG_HZ * Math.exp(LOGSTEP * (mel - MIN_LOG_MEL)) : F_SP * mel;
}

/** numpy.linspace(start, stop, num) including its exact endpoint handling. */
function linspace(start: number, stop: number, num: number): Float64Array {
  const out = new Float64Array(num);
  const step = (stop - start) / (num - 1);
  for (let i = 0; i < num; i++) out[i] = i * step + start;
  out[num - 1] = stop;
  return out;
}

/** Filters from 0 Hz to sampleRate/2, as Whisper uses them. */
export function slaneyMelFilterBank(sampleRate: number, nFft: number, nMels: number): MelFilterBank {
  const bins = Math.floor(nFft / 2) + 1;
  const melPoints = linspace(hzToMelSlaney(0), hzToMelSlaney(sampleRate / 2), nMels + 2);
  const melHz = melPoints.map(melToHzSlaney);
  // numpy.fft.rfftfreq(n_fft, 1/sr): k / (n_fft * (1/sr)).
  const spacing = nFft * (1 / sampleRate);
  const dense = new Float64Array(nMels * bins);
  const sparse: MelFilter[] = [];
  for (let m = 0; m < nMels; m++) {
    const lowerWidth = melHz[m + 1]! - melHz[m]!;
    const upperWidth = melHz[m + 2]! - melHz[m + 1]!;
    const enorm = 2 / (melHz[m + 2]! - melHz[m]!);
    let first = -1;
    let last = -1;
    for (let k = 0; k < bins; k++) {
      const freq = k / spacing;
      const lower = -(melHz[m]! - freq) / lowerWidth;
      const upper = (melHz[m + 2]! - freq) / upperWidth;
      // librosa stores the triangle in a float32 array, then scales it in place.
      const triangle = Math.fround(Math.max(0, Math.min(lower, upper)));
      const weight = Math.fround(triangle * enorm);
      dense[m * bins + k] = weight;
      if (weight !== 0) {
        if (first < 0) first = k;
        last = k;
      }
    }
    const start = first < 0 ? 0 : first;
    sparse.push({ start, weights: dense.slice(m * bins + start, m * bins + (first < 0 ? 0 : last + 1)) });
  }
  return { sampleRate, nFft, nMels, dense, sparse };
}
