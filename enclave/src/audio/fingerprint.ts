// A compact acoustic fingerprint for near-duplicate detection, in the manner of Haitsma and
// Kalker, "A Highly Robust Audio Fingerprinting System" (ISMIR 2002): one 32-bit sub-fingerprint
// per 20 ms, each bit the sign of an energy difference across adjacent bands and adjacent
// frames. Differences of log energies cancel gain; long, heavily overlapping windows make the
// bits survive codecs, resampling and trimming at any sample offset. It reads the log-mel the
// pipeline computes anyway, so it costs almost nothing on top.
import type { MelFrames } from './quality.ts';

export const FINGERPRINT_VERSION = 1;

export interface FingerprintParams {
  /** Log-mel frames (10 ms each) summed into one analysis window. */
  windowFrames: number;
  /** Log-mel frames between sub-fingerprints. */
  hopFrames: number;
  /** First and last mel band (inclusive) used; 80-band Whisper mel: about 250 Hz to 3.7 kHz. */
  firstBand: number;
  lastBand: number;
  /** Windows more than this many dB below the loudest window carry no bits (silence, pauses). */
  floorDb: number;
}

export const DEFAULT_FINGERPRINT: FingerprintParams = { windowFrames: 16, hopFrames: 2, firstBand: 5, lastBand: 60, floorDb: 45 };

export interface Fingerprint {
  /** One 32-bit word per hop. */
  words: Uint32Array;
  /** 1 where the word carries signal, 0 in silence: masked words never match. */
  mask: Uint8Array;
  /** Seconds between words. */
  hopSeconds: number;
}

/** Groups the chosen mel bands into 33 sub-bands (32 differences) of nearly equal width. */
function bandGroups(p: FingerprintParams): Int32Array {
  const n = p.lastBand - p.firstBand + 1;
  const starts = new Int32Array(34);
  for (let g = 0; g <= 33; g += 1) starts[g] = p.firstBand + Math.round((g * n) / 33);
  return starts;
}

/**
 * Streams over the log-mel once with a ring buffer of the last `windowFrames` frames, so memory
 * is the output (5 bytes per 20 ms) whatever the file's length.
 */
export function fingerprint(mel: MelFrames, params: Partial<FingerprintParams> = {}): Fingerprint {
  const p = { ...DEFAULT_FINGERPRINT, ...params };
  const { nMels, frames, data } = mel;
  const groups = bandGroups(p);
  const count = frames >= p.windowFrames ? Math.floor((frames - p.windowFrames) / p.hopFrames) + 1 : 0;
  const words = new Uint32Array(count);
  const mask = new Uint8Array(count);
  const k = 4 * Math.LN10; // Whisper scaling: power = 10^(4y - 4) = exp(k (y - 1))
  const ring = new Float64Array(p.windowFrames * 33);
  const acc = new Float64Array(33);
  const prev = new Float64Array(33);
  const cur = new Float64Array(33);
  const totals = new Float64Array(count);
  let next = 0;
  for (let f = 0; f < frames && next < count; f += 1) {
    const row = f * nMels;
    const slot = (f % p.windowFrames) * 33;
    for (let g = 0; g < 33; g += 1) {
      let s = 0;
      for (let m = groups[g]!; m < groups[g + 1]!; m += 1) s += Math.exp(k * (data[row + m]! - 1));
      // Keep the window sum exact enough: subtract what leaves the ring, add what enters it.
      acc[g] = acc[g]! + s - ring[slot + g]!;
      ring[slot + g] = s;
    }
    if (f !== next * p.hopFrames + p.windowFrames - 1) continue;
    let total = 0;
    for (let g = 0; g < 33; g += 1) {
      const v = Math.max(acc[g]!, 1e-12);
      cur[g] = Math.log10(v);
      total += v;
    }
    totals[next] = total;
    if (next > 0) {
      let w = 0;
      for (let m = 0; m < 32; m += 1) {
        if (cur[m]! - cur[m + 1]! - (prev[m]! - prev[m + 1]!) > 0) w |= 1 << m;
      }
      words[next] = w >>> 0;
    }
    prev.set(cur);
    next += 1;
  }
  let loudest = 0;
  for (const t of totals) if (t > loudest) loudest = t;
  // Relative to the loudest window, and never below -80 dB per band (digital silence sits at
  // Whisper's 1e-10 clamp): a silent file must not fingerprint as a run of identical words.
  const floor = Math.max(loudest * 10 ** (-p.floorDb / 10), 33 * p.windowFrames * 1e-8);
  for (let n = 1; n < count; n += 1) mask[n] = totals[n]! > floor && totals[n - 1]! > floor ? 1 : 0;
  return { words, mask, hopSeconds: p.hopFrames * 0.01 };
}

/** Number of set bits in a 32-bit word. */
export function popcount32(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
}

export interface Alignment {
  /** Bit error rate over the compared words. */
  ber: number;
  /** Words compared (unmasked in both). */
  compared: number;
}

/** Bit error rate of `a` against `b` when a's word i lines up with b's word i + offset. */
export function alignedBitErrorRate(a: Fingerprint, b: Fingerprint, offset: number): Alignment {
  let errors = 0;
  let compared = 0;
  const from = Math.max(0, -offset);
  const to = Math.min(a.words.length, b.words.length - offset);
  for (let i = from; i < to; i += 1) {
    if (a.mask[i] === 0 || b.mask[i + offset] === 0) continue;
    errors += popcount32((a.words[i]! ^ b.words[i + offset]!) >>> 0);
    compared += 1;
  }
  return { ber: compared > 0 ? errors / (32 * compared) : 1, compared };
}
