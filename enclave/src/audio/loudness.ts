// Integrated loudness per ITU-R BS.1770-4 for one channel at any sample rate: K-weighting,
// 400 ms blocks with 75 % overlap, absolute gate at -70 LUFS and relative gate at -10 LU.

/** Biquad coefficients, a0 normalised to 1. */
export interface Biquad {
  b0: number;
  b1: number;
  b2: number;
  a1: number;
  a2: number;
}

/**
 * The two K-weighting stages for `sampleRate`, by bilinear transform of the analog prototypes
 * whose parameters reproduce the 48 kHz coefficients of BS.1770-4 Tables 1 and 2 (the
 * derivation libebur128 uses; pyloudnorm's RBJ shelf is a close approximation of it). At 48 kHz
 * this returns the published coefficients to about 1e-9.
 */
export function kWeightingFilters(sampleRate: number): [Biquad, Biquad] {
  // Stage 1: high shelf (head acoustics), +4 dB above about 1.7 kHz.
  let f0 = 1681.974450955533;
  const gainDb = 3.999843853973347;
  let q = 0.7071752369554196;
  let k = Math.tan((Math.PI * f0) / sampleRate);
  const vh = 10 ** (gainDb / 20);
  const vb = vh ** 0.4996667741545416;
  let a0 = 1 + k / q + k * k;
  const shelf: Biquad = {
    b0: (vh + (vb * k) / q + k * k) / a0,
    b1: (2 * (k * k - vh)) / a0,
    b2: (vh - (vb * k) / q + k * k) / a0,
    a1: (2 * (k * k - 1)) / a0,
    a2: (1 - k / q + k * k) / a0,
  };
  // Stage 2: RLB high-pass at about 38 Hz. BS.1770 gives its numerator as 1, -2, 1 unnormalised.
  f0 = 38.13547087602444;
  q = 0.5003270373238773;
  k = Math.tan((Math.PI * f0) / sampleRate);
  a0 = 1 + k / q + k * k;
  const highPass: Biquad = { b0: 1, b1: -2, b2: 1, a1: (2 * (k * k - 1)) / a0, a2: (1 - k / q + k * k) / a0 };
  return [shelf, highPass];
}

/** Squared K-weighted samples summed over consecutive 100 ms steps (the gating hop). */
function kWeightedStepEnergies(samples: Float32Array, sampleRate: number, step: number): Float64Array {
  const [s, h] = kWeightingFilters(sampleRate);
  const steps = Math.floor(samples.length / step);
  const out = new Float64Array(steps);
  // Direct form II transposed, in doubles: the high-pass pole sits very close to 1.
  let s1 = 0;
  let s2 = 0;
  let h1 = 0;
  let h2 = 0;
  for (let j = 0; j < steps; j += 1) {
    let acc = 0;
    const end = (j + 1) * step;
    for (let i = j * step; i < end; i += 1) {
      const x = samples[i]!;
      const y = s.b0 * x + s1;
      s1 = s.b1 * x - s.a1 * y + s2;
      s2 = s.b2 * x - s.a2 * y;
      const z = h.b0 * y + h1;
      h1 = h.b1 * y - h.a1 * z + h2;
      h2 = h.b2 * y - h.a2 * z;
      acc += z * z;
    }
    out[j] = acc;
  }
  return out;
}

export const ABSOLUTE_GATE_LUFS = -70;
export const RELATIVE_GATE_LU = -10;

/**
 * Integrated loudness in LUFS of a mono signal (channel weight 1). Returns -Infinity when no
 * 400 ms block passes the absolute gate (silence, or shorter than one block).
 */
export function integratedLoudness(samples: Float32Array, sampleRate: number): number {
  const step = Math.round(sampleRate * 0.1);
  const e = kWeightedStepEnergies(samples, sampleRate, step);
  const blockLen = 4 * step;
  const blocks = e.length >= 4 ? e.length - 3 : 0;
  const z = new Float64Array(blocks);
  for (let j = 0; j < blocks; j += 1) z[j] = (e[j]! + e[j + 1]! + e[j + 2]! + e[j + 3]!) / blockLen;
  const lufs = (ms: number) => -0.691 + 10 * Math.log10(ms);
  const gatedMean = (gate: number) => {
    let sum = 0;
    let n = 0;
    for (const v of z) {
      if (lufs(v) > gate) {
        sum += v;
        n += 1;
      }
    }
    return n === 0 ? 0 : sum / n;
  };
  const absolute = gatedMean(ABSOLUTE_GATE_LUFS);
  if (absolute === 0) return Number.NEGATIVE_INFINITY;
  const relativeGate = lufs(absolute) + RELATIVE_GATE_LU;
  const mean = gatedMean(Math.max(ABSOLUTE_GATE_LUFS, relativeGate));
  return mean === 0 ? Number.NEGATIVE_INFINITY : lufs(mean);
}
