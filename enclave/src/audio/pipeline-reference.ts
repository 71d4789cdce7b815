// The straightforward way to compute what the pipeline computes, for the benchmark's side-by-
// side figures and as a cross-check in tests: Whisper's log-mel with one complex FFT per frame
// and a dense mel matrix (as torch.stft plus a matmul would), and Silero with one ORT call per
// 512-sample window. Correct, never used in production.
import { melBandEdges } from './quality.ts';

const N_FFT = 400;
const HOP = 160;

/** Recursive mixed-radix DFT (radices 2 and 5 cover 400) on split real/imag arrays. */
function fft(re: Float64Array, im: Float64Array): [Float64Array, Float64Array] {
  const n = re.length;
  if (n === 1) return [re, im];
  const p = n % 2 === 0 ? 2 : n % 5 === 0 ? 5 : n;
  const m = n / p;
  const subs: [Float64Array, Float64Array][] = [];
  for (let r = 0; r < p; r += 1) {
    const sr = new Float64Array(m);
    const si = new Float64Array(m);
    for (let k = 0; k < m; k += 1) {
      sr[k] = re[k * p + r]!;
      si[k] = im[k * p + r]!;
    }
    subs.push(p === n ? [sr, si] : fft(sr, si));
  }
  const outR = new Float64Array(n);
  const outI = new Float64Array(n);
  for (let k = 0; k < n; k += 1) {
    let accR = 0;
    let accI = 0;
    for (let r = 0; r < p; r += 1) {
      const [sr, si] = subs[r]!;
      const a = (-2 * Math.PI * r * k) / n;
      const c = Math.cos(a);
      const s = Math.sin(a);
      const xr = sr[k % m]!;
      const xi = si[k % m]!;
      accR += xr * c - xi * s;
      accI += xr * s + xi * c;
    }
    outR[k] = accR;
    outI[k] = accI;
  }
  return [outR, outI];
}

/** Slaney-normalised triangular mel filters over the n_fft/2+1 bins, dense [nMels][201]. */
export function melFilterMatrix(nMels: number, sampleRate = 16000): Float64Array[] {
  const edges = melBandEdges(nMels, sampleRate);
  const bins = N_FFT / 2 + 1;
  const rows: Float64Array[] = [];
  for (let m = 0; m < nMels; m += 1) {
    const lo = edges[m]!;
    const c = edges[m + 1]!;
    const hi = edges[m + 2]!;
    const row = new Float64Array(bins);
    for (let k = 0; k < bins; k += 1) {
      const f = (k * sampleRate) / N_FFT;
      const w = Math.max(0, Math.min((f - lo) / (c - lo), (hi - f) / (hi - c)));
      row[k] = (w * 2) / (hi - lo);
    }
    rows.push(row);
  }
  return rows;
}

/**
 * Whisper's log-mel (n_fft 400, hop 160, periodic Hann, centred reflect padding, Slaney mel,
 * log10 clamped at 1e-10, floor at max - 8, (x + 4) / 4), frame-major, the last STFT frame
 * dropped as Whisper does. Needs at least 201 samples for the reflection.
 */
export function naiveLogMel(samples: Float32Array, nMels = 80): { nMels: number; frames: number; data: Float32Array } {
  const pad = N_FFT / 2;
  const n = samples.length;
  const padded = new Float64Array(n + 2 * pad);
  for (let i = 0; i < padded.length; i += 1) {
    let j = i - pad;
    if (j < 0) j = -j;
    if (j >= n) j = 2 * (n - 1) - j;
    padded[i] = samples[j]!;
  }
  const frames = Math.floor(n / HOP);
  const window = new Float64Array(N_FFT);
  for (let i = 0; i < N_FFT; i += 1) window[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / N_FFT);
  const filters = melFilterMatrix(nMels);
  const logs = new Float64Array(frames * nMels);
  let max = Number.NEGATIVE_INFINITY;
  for (let f = 0; f < frames; f += 1) {
    const re = new Float64Array(N_FFT);
    for (let i = 0; i < N_FFT; i += 1) re[i] = padded[f * HOP + i]! * window[i]!;
    const [r, im] = fft(re, new Float64Array(N_FFT));
    const power = new Float64Array(N_FFT / 2 + 1);
    for (let k = 0; k < power.length; k += 1) power[k] = r[k]! * r[k]! + im[k]! * im[k]!;
    for (let m = 0; m < nMels; m += 1) {
      const row = filters[m]!;
      let s = 0;
      for (let k = 0; k < power.length; k += 1) s += row[k]! * power[k]!;
      const l = Math.log10(Math.max(s, 1e-10));
      logs[f * nMels + m] = l;
      if (l > max) max = l;
    }
  }
  const data = new Float32Array(frames * nMels);
  for (let i = 0; i < data.length; i += 1) data[i] = (Math.max(logs[i]!, max - 8) + 4) / 4;
  return { nMels, frames, data };
}
