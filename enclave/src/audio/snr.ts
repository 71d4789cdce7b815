// Blind signal-to-noise ratio of speech by Waveform Amplitude Distribution Analysis (WADA-SNR):
// C. Kim and R. M. Stern, "Robust Signal-to-Noise Ratio Estimation Based on Waveform Amplitude
// Distribution Analysis", Interspeech 2008. Speech amplitudes are modelled as Gamma(0.4), noise
// as Gaussian; G = log E|z| - E log|z| of the mix maps to the SNR through the paper's table.

/**
 * G(SNR) for SNR = -20..100 dB in 1 dB steps, as published with the authors' MATLAB
 * implementation (distributed in D. Ellis's snreval). It is not monotonic below -15 dB; the
 * lookup takes the last entry below the measured G, as the reference code does.
 */
const G_TABLE = [
  0.40974774, 0.40986926, 0.40998566, 0.40969089, 0.40986186, 0.40999006, 0.41027138, 0.41052627, 0.41101024,
  0.41143264, 0.41231718, 0.41337272, 0.41526426, 0.4178192, 0.42077252, 0.42452799, 0.42918886, 0.43510373,
  0.44234195, 0.45161485, 0.46221153, 0.47491647, 0.48883809, 0.50509236, 0.52353709, 0.54372088, 0.56532427,
  0.58847532, 0.61346212, 0.63954496, 0.66750818, 0.69583724, 0.72454762, 0.75414799, 0.78323148, 0.81240985,
  0.84219775, 0.87166406, 0.90030504, 0.92880418, 0.95655449, 0.9835349, 1.01047155, 1.0362095, 1.06136425,
  1.08579312, 1.1094819, 1.13277995, 1.15472826, 1.17627308, 1.19703503, 1.21671694, 1.23535898, 1.25364313,
  1.27103891, 1.28718029, 1.30302865, 1.31839527, 1.33294817, 1.34700935, 1.3605727, 1.37345513, 1.38577122,
  1.39733504, 1.40856397, 1.41959619, 1.42983624, 1.43958467, 1.44902176, 1.45804831, 1.46669568, 1.47486938,
  1.48269965, 1.49034339, 1.49748214, 1.50435106, 1.51076426, 1.51698915, 1.5229097, 1.528578, 1.53389835,
  1.5391211, 1.5439065, 1.54858517, 1.55310776, 1.55744391, 1.56164927, 1.56566348, 1.56938671, 1.57307767,
  1.57654764, 1.57980083, 1.58304129, 1.58602496, 1.58880681, 1.59162477, 1.5941969, 1.59693155, 1.599446,
  1.60185011, 1.60408668, 1.60627134, 1.60826199, 1.61004547, 1.61192472, 1.61369656, 1.61534074, 1.61688905,
  1.61838916, 1.61985374, 1.62135878, 1.62268119, 1.62390423, 1.62513143, 1.62632463, 1.6274027, 1.62842767,
  1.62945532, 1.6303307, 1.63128026, 1.63204102,
] as const;
const DB_MIN = -20;
export const WADA_SNR_MIN_DB = DB_MIN;
export const WADA_SNR_MAX_DB = DB_MIN + G_TABLE.length - 1;

/** Maps the statistic G to dB by linear interpolation in the published table, clamped to -20..100. */
export function wadaGToDb(g: number): number {
  let idx = -1;
  for (let i = 0; i < G_TABLE.length; i += 1) if (G_TABLE[i]! < g) idx = i;
  if (idx < 0) return WADA_SNR_MIN_DB;
  if (idx === G_TABLE.length - 1) return WADA_SNR_MAX_DB;
  const lo = G_TABLE[idx]!;
  const hi = G_TABLE[idx + 1]!;
  return DB_MIN + idx + (g - lo) / (hi - lo);
}

const LN2 = Math.LN2;
const SQRT2 = Math.SQRT2;

/**
 * ln(a) for a finite float32 a > 0, from its bits: exponent plus 2 atanh((m - 1) / (m + 1)) to
 * the z^7 term on a mantissa reduced to [sqrt(1/2), sqrt(2)); error below 1e-7. Math.log per
 * sample was the slowest part of the quality stage.
 */
function lnFromBits(bits: number): number {
  let e = ((bits >>> 23) & 0xff) - 127;
  let m = 1 + (bits & 0x7fffff) / 8388608;
  if (m > SQRT2) {
    m *= 0.5;
    e += 1;
  }
  const z = (m - 1) / (m + 1);
  const z2 = z * z;
  return e * LN2 + 2 * z * (1 + z2 * (1 / 3 + z2 * (1 / 5 + z2 / 7)));
}

/** Exposed for its test. */
export function fastLn(a: number): number {
  scratch[0] = a;
  return lnFromBits(scratchBits[0]!);
}
const scratch = new Float32Array(1);
const scratchBits = new Int32Array(scratch.buffer);

/**
 * WADA-SNR in dB of the whole signal, in [-20, 100]. Samples are scaled by the peak first, as
 * the reference does, with magnitudes floored at 1e-10 so digital silence does not give log(0).
 * Returns -20 (the table's floor) for an all-zero signal.
 */
export function wadaSnr(samples: Float32Array): number {
  const eps = 1e-10;
  let peak = 0;
  for (let i = 0; i < samples.length; i += 1) {
    const a = Math.abs(samples[i]!);
    if (a > peak) peak = a;
  }
  if (peak === 0 || samples.length === 0) return WADA_SNR_MIN_DB;
  const inv = 1 / peak;
  const lnPeak = Math.log(peak);
  const lnEps = Math.log(eps);
  const floor = eps * peak;
  // Read the float bits directly: ln|x| / peak = ln|x| - ln(peak).
  const bits = new Int32Array(samples.buffer, samples.byteOffset, samples.length);
  let sumAbs = 0;
  let sumLog = 0;
  for (let i = 0; i < samples.length; i += 1) {
    const a = Math.abs(samples[i]!);
    if (a < floor) {
      sumAbs += eps;
      sumLog += lnEps;
    } else {
      sumAbs += a * inv;
      sumLog += lnFromBits(bits[i]! & 0x7fffffff) - lnPeak;
    }
  }
  const g = Math.log(Math.max(eps, sumAbs / samples.length)) - sumLog / samples.length;
  // The reference then splits the energy by this factor and takes the ratio back, which is the
  // interpolated table value itself; it is returned directly.
  return wadaGToDb(g);
}
