// Long FIR filtering by fast convolution, for the resampler's anti-aliasing stage: at 48 kHz
// its 175 taps cost one multiply-add each per sample directly, a few FFT operations here.
//
// Overlap-save (Oppenheim & Schafer, "Discrete-Time Signal Processing", 8.7.3): blocks of N
// samples, the last K-1 of the previous block kept in front, circular convolution through a
// real FFT, the first K-1 outputs of each block dropped. Blocks sit at fixed positions from
// the start of the stream, so the output does not depend on how the input was pushed.
import { RealFft } from './fft.ts';

/**
 * Zero-phase FIR filter with odd, symmetric `taps` (centre at (K-1)/2): output n is the
 * filtered signal at input time n. `push` returns the outputs that are complete; `flush`
 * treats the future as silence and returns the rest, so the total output length equals
 * the total input length.
 */
export class FftFirFilter {
  readonly taps: number;
  readonly blockSize: number;
  private readonly fft: RealFft;
  private readonly response: Float64Array; // spectrum of the taps, zero-padded to N
  private readonly block: Float64Array;
  private readonly spectrum: Float64Array;
  private readonly result: Float64Array;
  private readonly delay: number;
  /** Samples of the current block: K-1 of history, then new input. */
  private filled: number;
  private inputCount = 0;
  private outputCount = 0;
  private toDrop: number; // causal outputs still to drop for the delay compensation
  private flushed = false;

  constructor(taps: Float64Array, blockSize?: number) {
    const k = taps.length;
    if (k % 2 !== 1) throw new RangeError(`FftFirFilter needs an odd number of taps, received ${k}`);
    let n = blockSize ?? 256;
    if (blockSize === undefined) while (n < 4 * k) n *= 2;
    if (n < 2 * k || n % 2 !== 0) throw new RangeError(`block size ${n} too small for ${k} taps`);
    this.taps = k;
    this.blockSize = n;
    this.delay = (k - 1) / 2;
    this.toDrop = this.delay;
    this.fft = new RealFft(n);
    this.block = new Float64Array(n);
    this.spectrum = new Float64Array(n + 2);
    this.result = new Float64Array(n);
    this.response = new Float64Array(n + 2);
    const padded = new Float64Array(n);
    padded.set(taps);
    this.fft.forward(padded, this.response);
    this.filled = k - 1; // the history starts as silence
  }

  push(input: Float32Array | Float64Array): Float64Array {
    if (this.flushed) throw new Error('FftFirFilter: push after flush');
    this.inputCount += input.length;
    return this.consume(input, Number.POSITIVE_INFINITY);
  }

  flush(): Float64Array {
    if (this.flushed) return new Float64Array(0);
    this.flushed = true;
    // Enough silence to push the last real sample (plus the centring delay) out of a block.
    const silence = new Float64Array(this.delay + this.blockSize);
    return this.consume(silence, this.inputCount);
  }

  private consume(input: Float32Array | Float64Array, limit: number): Float64Array {
    const n = this.blockSize;
    const history = this.taps - 1;
    const fresh = n - history;
    const outputs: Float64Array[] = [];
    let total = 0;
    let at = 0;
    while (at < input.length && this.outputCount < limit) {
      const take = Math.min(n - this.filled, input.length - at);
      this.block.set(input.subarray(at, at + take), this.filled);
      this.filled += take;
      at += take;
      if (this.filled < n) break;
      this.filter();
      // result[history .. n) are the valid causal outputs of this block.
      let from = history;
      if (this.toDrop > 0) {
        const drop = Math.min(this.toDrop, fresh);
        from += drop;
        this.toDrop -= drop;
      }
      const count = Math.min(n - from, limit - this.outputCount);
      if (count > 0) {
        outputs.push(this.result.slice(from, from + count));
        total += count;
        this.outputCount += count;
      }
      this.block.copyWithin(0, n - history, n);
      this.filled = history;
    }
    if (outputs.length === 1) return outputs[0]!;
    const out = new Float64Array(total);
    let offset = 0;
    for (const part of outputs) {
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  }

  private filter(): void {
    const s = this.spectrum;
    const h = this.response;
    this.fft.forward(this.block, s);
    for (let i = 0; i < s.length; i += 2) {
      const re = s[i]! * h[i]! - s[i + 1]! * h[i + 1]!;
      const im = s[i]! * h[i + 1]! + s[i + 1]! * h[i]!;
      s[i] = re;
      s[i + 1] = im;
    }
    this.fft.inverse(s, this.result);
  }
}
