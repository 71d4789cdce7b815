// Whisper-compatible log-mel features, computed exactly as openai/whisper's
// `log_mel_spectrogram` (whisper/audio.py) does, but without padding to 30 s and fast
// enough to run on every contribution: STFT (n_fft 400, hop 160, periodic Hann, centred
// with reflect padding), power spectrum without the last frame, Slaney mel filters,
// log10(max(x, 1e-10)), floor at (max - 8), then (x + 4) / 4.
import { RealPowerSpectrum } from './fft.ts';
import { slaneyMelFilterBank, type MelFilterBank } from './mel-filters.ts';

export const WHISPER_SAMPLE_RATE = 16000;
export const WHISPER_N_FFT = 400;
export const WHISPER_HOP = 160;

export type MelBands = 80 | 128;

export interface LogMelOptions {
  nMels: MelBands;
}

export interface LogMelSpectrogram {
  nMels: number;
  frames: number;
  /** Frame-major: value of band b in frame f at data[f * nMels + b]. */
  data: Float32Array;
}

/** torch.hann_window(n) (periodic): 0.5 - 0.5 cos(2 pi i / n). */
export function periodicHann(n: number): Float64Array {
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n);
  return w;
}

/** Index into a signal of `length` samples mirrored at both ends without repeating the edge (numpy/torch "reflect"). */
function reflectIndex(i: number, length: number): number {
  if (length === 1) return 0;
  const period = 2 * (length - 1);
  let j = i % period;
  if (j < 0) j += period;
  return j < length ? j : period - j;
}

/** Reusable state for one band count: filters, FFT plan and scratch buffers. */
export class LogMelExtractor {
  readonly filters: MelFilterBank;
  private readonly window = periodicHann(WHISPER_N_FFT);
  private readonly spectrum = new RealPowerSpectrum(WHISPER_N_FFT);
  private readonly power = new Float64Array(WHISPER_N_FFT / 2 + 1);
  /** The sparse filters in flat arrays: filter m covers bins starts[m]..ends[m]-1 with weights from offsets[m]. */
  private readonly flat: { starts: Int32Array; ends: Int32Array; offsets: Int32Array; weights: Float64Array };

  constructor(nMels: MelBands) {
    if (nMels !== 80 && nMels !== 128) throw new RangeError(`nMels must be 80 or 128, received ${String(nMels)}`);
    this.filters = slaneyMelFilterBank(WHISPER_SAMPLE_RATE, WHISPER_N_FFT, nMels);
    const sparse = this.filters.sparse;
    const starts = new Int32Array(nMels);
    const ends = new Int32Array(nMels);
    const offsets = new Int32Array(nMels);
    const weights = new Float64Array(sparse.reduce((sum, f) => sum + f.weights.length, 0));
    let offset = 0;
    sparse.forEach((filter, m) => {
      starts[m] = filter.start;
      ends[m] = filter.start + filter.weights.length;
      offsets[m] = offset;
      weights.set(filter.weights, offset);
      offset += filter.weights.length;
    });
    this.flat = { starts, ends, offsets, weights };
  }

  compute(samples: Float32Array): LogMelSpectrogram {
    const nMels = this.filters.nMels;
    const length = samples.length;
    // torch.stft(center=True) gives 1 + floor(len / hop) frames; Whisper drops the last.
    const frames = Math.floor(length / WHISPER_HOP);
    const data = new Float32Array(frames * nMels);
    const input = this.spectrum.input;
    const window = this.window;
    const power = this.power;
    const { starts, ends, offsets, weights } = this.flat;
    const pad = WHISPER_N_FFT / 2;
    let max = Number.NEGATIVE_INFINITY;
    for (let f = 0; f < frames; f++) {
      const start = f * WHISPER_HOP - pad;
      if (start >= 0 && start + WHISPER_N_FFT <= length) {
        for (let i = 0; i < WHISPER_N_FFT; i++) input[i] = samples[start + i]! * window[i]!;
      } else {
        for (let i = 0; i < WHISPER_N_FFT; i++) input[i] = samples[reflectIndex(start + i, length)]! * window[i]!;
      }
      this.spectrum.compute(power);
      const row = f * nMels;
      for (let m = 0; m < nMels; m++) {
        let acc = 0;
        for (let k = starts[m]!, w = offsets[m]!, end = ends[m]!; k < end; k++, w++) acc += weights[w]! * power[k]!;
        const value = Math.log(acc > 1e-10 ? acc : 1e-10) * Math.LOG10E;
        data[row + m] = value;
        if (value > max) max = value;
      }
    }
    const floor = Math.fround(max) - 8;
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      data[i] = ((v > floor ? v : floor) + 4) / 4;
    }
    return { nMels, frames, data };
  }
}

const extractors = new Map<MelBands, LogMelExtractor>();

/** Log-mel spectrogram of 16 kHz mono samples (the whole signal, no 30 s padding). */
export function logMelSpectrogram(samples16k: Float32Array, options: LogMelOptions): LogMelSpectrogram {
  let extractor = extractors.get(options.nMels);
  if (extractor === undefined) {
    extractor = new LogMelExtractor(options.nMels);
    extractors.set(options.nMels, extractor);
  }
  return extractor.compute(samples16k);
}
