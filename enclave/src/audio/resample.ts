// Sample-rate conversion to the pipeline's 16 kHz, with a Kaiser-windowed sinc low-pass so
// that energy above the new Nyquist frequency is removed instead of folded back as aliases.
//
// Polyphase rational resampler (Crochiere & Rabiner, "Multirate Digital Signal Processing",
// 1983, ch. 4): for out/in = L/M in lowest terms, output n sits at input time n*M/L; its
// value is the sum of input samples weighted by one of L precomputed filter phases. Filter
// length from Kaiser's formula (Oppenheim & Schafer, "Discrete-Time Signal Processing", 7.6).
// When L is large (an odd source rate), the phases are taken from a table of PHASE_TABLE
// rows by linear interpolation instead, which keeps the table small.
//
// From 32 kHz and up, the long anti-aliasing low-pass runs first at the source rate by fast
// convolution (fft-filter.ts); what is left below 8 kHz then needs only a short polyphase
// interpolator (about 8 taps from 48 kHz) whose stop band starts at the first image.
import { FftFirFilter } from './fft-filter.ts';

/** Stop-band attenuation the filter is designed for (dB). */
export const RESAMPLER_ATTENUATION_DB = 70;
/** Width of the transition band as a fraction of the lower Nyquist frequency. */
export const RESAMPLER_TRANSITION = 0.15;
/** Above this many exact phases, phases are interpolated from a table of this many rows. */
const MAX_EXACT_PHASES = 1024;
const PHASE_TABLE = 512;

/** Source rates from this multiple of the output rate up use the two-stage design. */
const TWO_STAGE_FACTOR = 2;

export interface ResamplerDesign {
  inputRate: number;
  outputRate: number;
  /** Interpolation factor L of out/in = L/M in lowest terms. */
  up: number;
  /** Decimation factor M. */
  down: number;
  /** Taps per output sample of the polyphase stage. */
  taps: number;
  /** Taps of the fast-convolution low-pass run first at the source rate (0 when there is none). */
  prefilterTaps: number;
  /** Pass-band edge and stop-band edge in Hz. */
  passHz: number;
  stopHz: number;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Zeroth-order modified Bessel function of the first kind (power series). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 64; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

/** Kaiser-windowed sinc low-pass at `cutoff` Hz, as a function of time u in input samples, |u| < half. */
function kaiserSinc(inputRate: number, cutoff: number, half: number): (u: number) => number {
  const beta = 0.1102 * (RESAMPLER_ATTENUATION_DB - 8.7);
  const i0Beta = besselI0(beta);
  const gain = (2 * cutoff) / inputRate;
  return (u: number): number => {
    const r = u / half;
    if (r <= -1 || r >= 1) return 0;
    const x = gain * u;
    const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
    return gain * sinc * (besselI0(beta * Math.sqrt(1 - r * r)) / i0Beta);
  };
}

/** Kaiser's length estimate, in input samples, for a transition band of `widthHz`. */
function kaiserLength(inputRate: number, widthHz: number): number {
  return (RESAMPLER_ATTENUATION_DB - 8) / (2.285 * ((2 * Math.PI * widthHz) / inputRate));
}

function checkRate(name: string, rate: number): void {
  if (!Number.isInteger(rate) || rate < 1 || rate > 1_536_000) {
    throw new RangeError(`${name} must be an integer in 1..1536000 Hz, received ${rate}`);
  }
}

/** The band a polyphase stage keeps (pass) and removes (from stop), in Hz. */
export interface ResamplerBand {
  passHz: number;
  stopHz: number;
}

/**
 * One polyphase stage: `push` blocks of input, get every output sample that is already
 * determined; `flush` at the end. Output n is the signal at n/outputRate seconds (the
 * filter's delay is compensated).
 */
export class PolyphaseResampler {
  readonly design: ResamplerDesign;
  private readonly half: number; // H: the filter spans input samples i-H+1 .. i+H
  private readonly width: number; // 2H taps
  private readonly exact: boolean;
  private readonly coefs: Float64Array; // rows of `width` taps, stored in input order
  private buffer: Float64Array;
  private bufferStart: number; // absolute input index of buffer[0]
  private bufferLength = 0;
  private inputCount = 0;
  private centre = 0; // i = floor(n*M/L) of the next output
  private phase = 0; // p = n*M - i*L of the next output
  private flushed = false;

  constructor(inputRate: number, outputRate: number, band?: ResamplerBand) {
    checkRate('inputRate', inputRate);
    checkRate('outputRate', outputRate);
    const g = gcd(inputRate, outputRate);
    const up = outputRate / g;
    const down = inputRate / g;
    const stopHz = band?.stopHz ?? Math.min(inputRate, outputRate) / 2;
    const passHz = band?.passHz ?? stopHz * (1 - RESAMPLER_TRANSITION);
    const half = up === down ? 1 : Math.max(2, Math.ceil(kaiserLength(inputRate, stopHz - passHz) / 2));
    this.half = half;
    this.width = 2 * half;
    this.exact = up <= MAX_EXACT_PHASES;
    this.design = { inputRate, outputRate, up, down, taps: this.width, prefilterTaps: 0, passHz, stopHz };
    const kernel = kaiserSinc(inputRate, (passHz + stopHz) / 2, half);
    const rows = this.exact ? up : PHASE_TABLE + 1;
    this.coefs = new Float64Array(rows * this.width);
    for (let row = 0; row < rows; row++) {
      const fraction = this.exact ? row / up : row / PHASE_TABLE;
      let sum = 0;
      const values = new Float64Array(this.width);
      // Tap t multiplies input sample i-H+1+t, which lies (H-1-t+fraction) samples before the output.
      for (let t = 0; t < this.width; t++) {
        values[t] = kernel(half - 1 - t + fraction);
        sum += values[t]!;
      }
      // Unit DC gain in every phase, so a constant stays exactly constant.
      for (let t = 0; t < this.width; t++) this.coefs[row * this.width + t] = values[t]! / sum;
    }
    this.buffer = new Float64Array(Math.max(4096, 2 * this.width));
    // Zeros before the first sample, so the first outputs see a silent past.
    this.bufferStart = -half;
    this.bufferLength = half;
  }

  /** Feeds input samples; returns the outputs they complete (may be empty). */
  push(input: Float32Array | Float64Array): Float32Array {
    if (this.flushed) throw new Error('PolyphaseResampler: push after flush');
    if (this.design.up === this.design.down) {
      this.inputCount += input.length;
      return Float32Array.from(input);
    }
    this.append(input);
    this.inputCount += input.length;
    return this.produce(Number.POSITIVE_INFINITY);
  }

  /** Ends the input (the future is silence) and returns the remaining outputs. */
  flush(): Float32Array {
    if (this.flushed) return new Float32Array(0);
    this.flushed = true;
    if (this.design.up === this.design.down) return new Float32Array(0);
    this.append(new Float32Array(this.half));
    return this.produce(this.inputCount);
  }

  private append(input: Float32Array | Float64Array): void {
    // Drop samples no future output needs: those before centre - H + 1.
    const keepFrom = Math.min(this.centre - this.half + 1, this.bufferStart + this.bufferLength) - this.bufferStart;
    if (keepFrom > 0) {
      this.buffer.copyWithin(0, keepFrom, this.bufferLength);
      this.bufferLength -= keepFrom;
      this.bufferStart += keepFrom;
    }
    const needed = this.bufferLength + input.length;
    if (needed > this.buffer.length) {
      const grown = new Float64Array(Math.max(needed, this.buffer.length * 2));
      grown.set(this.buffer.subarray(0, this.bufferLength));
      this.buffer = grown;
    }
    this.buffer.set(input, this.bufferLength);
    this.bufferLength = needed;
  }

  /** Computes outputs while their whole support is buffered and their centre is below `limit`. */
  private produce(limit: number): Float32Array {
    const { up, down } = this.design;
    const half = this.half;
    const width = this.width;
    const buffer = this.buffer;
    const coefs = this.coefs;
    const lastAvailable = this.bufferStart + this.bufferLength - 1;
    const lastCentre = Math.min(lastAvailable - half, limit - 1);
    if (this.centre > lastCentre) return new Float32Array(0);
    const estimate = Math.floor(((lastCentre - this.centre + 1) * up) / down) + 2;
    const out = new Float32Array(estimate);
    let count = 0;
    let centre = this.centre;
    let phase = this.phase;
    const start = this.bufferStart;
    while (centre <= lastCentre) {
      const base = centre - half + 1 - start;
      let acc = 0;
      if (this.exact && phase === 0) {
        // Phase 0 is symmetric about tap H-1 (tap 2H-1 is the window's zero end), so
        // mirrored samples share a multiply. Every output of an integer decimation is phase 0.
        const last = base + width - 2;
        let acc2 = 0;
        let t = 0;
        for (; t + 1 < half - 1; t += 2) {
          acc += coefs[t]! * (buffer[base + t]! + buffer[last - t]!);
          acc2 += coefs[t + 1]! * (buffer[base + t + 1]! + buffer[last - t - 1]!);
        }
        for (; t < half - 1; t++) acc += coefs[t]! * (buffer[base + t]! + buffer[last - t]!);
        acc += acc2 + coefs[half - 1]! * buffer[base + half - 1]!;
      } else if (this.exact && 2 * phase === up) {
        // The half-way phase (even L, e.g. 8 kHz to 16 kHz) is symmetric about H - 1/2.
        const row = phase * width;
        const last = base + width - 1;
        let acc2 = 0;
        let t = 0;
        for (; t + 1 < half; t += 2) {
          acc += coefs[row + t]! * (buffer[base + t]! + buffer[last - t]!);
          acc2 += coefs[row + t + 1]! * (buffer[base + t + 1]! + buffer[last - t - 1]!);
        }
        for (; t < half; t++) acc += coefs[row + t]! * (buffer[base + t]! + buffer[last - t]!);
        acc += acc2;
      } else if (this.exact) {
        // Two accumulators, four taps per step: independent chains pipeline better
        // than one (the tap count is always even).
        const row = phase * width;
        let acc2 = 0;
        let t = 0;
        for (; t + 3 < width; t += 4) {
          acc += buffer[base + t]! * coefs[row + t]! + buffer[base + t + 2]! * coefs[row + t + 2]!;
          acc2 += buffer[base + t + 1]! * coefs[row + t + 1]! + buffer[base + t + 3]! * coefs[row + t + 3]!;
        }
        for (; t < width; t++) acc += buffer[base + t]! * coefs[row + t]!;
        acc += acc2;
      } else {
        const position = (phase / up) * PHASE_TABLE;
        const rowIndex = Math.floor(position);
        const frac = position - rowIndex;
        const row0 = rowIndex * width;
        const row1 = row0 + width;
        for (let t = 0; t < width; t++) {
          const c = coefs[row0 + t]! + frac * (coefs[row1 + t]! - coefs[row0 + t]!);
          acc += buffer[base + t]! * c;
        }
      }
      out[count++] = acc;
      phase += down;
      if (phase >= up) {
        centre += Math.floor(phase / up);
        phase %= up;
      }
    }
    this.centre = centre;
    this.phase = phase;
    return out.subarray(0, count);
  }
}

/**
 * Streaming resampler: `push` blocks of input, get every output sample that is already
 * determined; `flush` at the end. Output is aligned with the input in time, and pushing a
 * signal in any block sizes gives exactly the output of `resample` on the whole signal.
 */
export class StreamingResampler {
  readonly design: ResamplerDesign;
  private readonly prefilter: FftFirFilter | undefined;
  private readonly stage: PolyphaseResampler;
  /** With a pre-filter and an integer ratio M, the second stage is plain picking of every M-th sample. */
  private readonly pickEvery: number;
  private pickOffset = 0; // index, within the next block, of the next sample to pick

  constructor(inputRate: number, outputRate = 16000) {
    checkRate('inputRate', inputRate);
    checkRate('outputRate', outputRate);
    if (inputRate >= TWO_STAGE_FACTOR * outputRate) {
      const stopHz = outputRate / 2;
      const passHz = stopHz * (1 - RESAMPLER_TRANSITION);
      const half = Math.ceil(kaiserLength(inputRate, stopHz - passHz) / 2);
      const kernel = kaiserSinc(inputRate, (passHz + stopHz) / 2, half + 1);
      const taps = new Float64Array(2 * half + 1);
      let sum = 0;
      for (let k = 0; k < taps.length; k++) sum += taps[k] = kernel(k - half);
      for (let k = 0; k < taps.length; k++) taps[k]! /= sum;
      this.prefilter = new FftFirFilter(taps);
      // Only images of the band below outputRate/2 remain: the first sits at inputRate - outputRate/2.
      this.stage = new PolyphaseResampler(inputRate, outputRate, { passHz: stopHz, stopHz: inputRate - stopHz });
      this.design = { ...this.stage.design, prefilterTaps: taps.length, passHz, stopHz };
      // With L = 1 every output sits on an input sample, where that interpolator's taps are
      // a unit impulse (sinc at whole samples): picking the sample gives the same value.
      this.pickEvery = this.design.up === 1 ? this.design.down : 0;
    } else {
      this.prefilter = undefined;
      this.stage = new PolyphaseResampler(inputRate, outputRate);
      this.design = this.stage.design;
      this.pickEvery = 0;
    }
  }

  /** Feeds input samples; returns the outputs they complete (may be empty). */
  push(input: Float32Array): Float32Array {
    if (this.prefilter === undefined) return this.stage.push(input);
    return this.second(this.prefilter.push(input));
  }

  /** Ends the input (the future is silence) and returns the remaining outputs. */
  flush(): Float32Array {
    if (this.prefilter === undefined) return this.stage.flush();
    const head = this.second(this.prefilter.flush());
    if (this.pickEvery > 0) return head;
    const tail = this.stage.flush();
    const out = new Float32Array(head.length + tail.length);
    out.set(head);
    out.set(tail, head.length);
    return out;
  }

  private second(filtered: Float64Array): Float32Array {
    if (this.pickEvery === 0) return this.stage.push(filtered);
    const step = this.pickEvery;
    const start = this.pickOffset;
    const count = start < filtered.length ? Math.ceil((filtered.length - start) / step) : 0;
    const out = new Float32Array(count);
    for (let i = 0, at = start; i < count; i++, at += step) out[i] = filtered[at]!;
    this.pickOffset = start + count * step - filtered.length;
    return out;
  }

  /** Number of output samples a whole input of `inputLength` samples gives: ceil(n*L/M). */
  static outputLength(inputLength: number, inputRate: number, outputRate = 16000): number {
    const g = gcd(inputRate, outputRate);
    const up = outputRate / g;
    const down = inputRate / g;
    return Math.ceil((inputLength * up) / down);
  }
}

/** Resamples a whole signal at once (the streaming resampler fed in one block). */
export function resample(input: Float32Array, inputRate: number, outputRate = 16000): Float32Array {
  const resampler = new StreamingResampler(inputRate, outputRate);
  const head = resampler.push(input);
  const tail = resampler.flush();
  const out = new Float32Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}
