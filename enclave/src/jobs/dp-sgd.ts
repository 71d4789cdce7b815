// The private core of a gradient job (DP-SGD, Abadi et al. 2016): Poisson-sample a batch,
// clip each example's gradient to L2 norm C, sum, add Gaussian noise of std sigma*C.
// Only the noisy sum leaves this module; the exact sum and the batch size do not.
import { JobParameterError } from './errors.ts';
import type { RandomStream } from './random.ts';

export interface DpSgdParams {
  /** L2 bound C on each example's gradient: the sum's sensitivity to one example. */
  clipNorm: number;
  /** sigma: the noise's standard deviation is sigma * C. */
  noiseMultiplier: number;
}

function checkParams(params: DpSgdParams): void {
  if (!(params.clipNorm > 0) || !Number.isFinite(params.clipNorm)) throw new JobParameterError('clipNorm', 'a finite number > 0', params.clipNorm);
  if (!(params.noiseMultiplier > 0) || !Number.isFinite(params.noiseMultiplier)) {
    throw new JobParameterError('noiseMultiplier', 'a finite number > 0', params.noiseMultiplier);
  }
}

/**
 * Poisson sampling: each of `count` examples joins the batch independently with
 * probability `sampleRate`, which is what the RDP analysis of the sampled Gaussian assumes
 * (a fixed-size shuffled batch would not be covered by it).
 */
export function poissonSample(count: number, sampleRate: number, random: RandomStream): number[] {
  if (!Number.isSafeInteger(count) || count < 0) throw new JobParameterError('count', 'a non-negative integer', count);
  if (!(sampleRate > 0 && sampleRate <= 1)) throw new JobParameterError('sampleRate', 'in (0, 1]', sampleRate);
  const batch: number[] = [];
  for (let i = 0; i < count; i++) if (random.uniform() < sampleRate) batch.push(i);
  return batch;
}

/**
 * Adds each row of `gradients` (B rows of `dim` values, row-major) into `sum`, scaled
 * down to L2 norm at most C. A row with a non-finite value counts as zero: refusing the
 * batch instead would tell the buyer something about the example that produced it.
 */
export function clipAndAccumulate(gradients: Float32Array, dim: number, clipNorm: number, sum: Float64Array): void {
  if (!Number.isSafeInteger(dim) || dim <= 0 || gradients.length % dim !== 0) {
    throw new JobParameterError('gradients', `a whole number of rows of ${dim} values`, gradients.length);
  }
  if (sum.length !== dim) throw new JobParameterError('sum', `${dim} values`, sum.length);
  for (let start = 0; start < gradients.length; start += dim) {
    let squares = 0;
    for (let k = start; k < start + dim; k++) squares += gradients[k]! * gradients[k]!;
    const norm = Math.sqrt(squares);
    if (!Number.isFinite(norm)) continue;
    const scale = norm > clipNorm ? clipNorm / norm : 1;
    for (let k = 0; k < dim; k++) sum[k]! += gradients[start + k]! * scale;
  }
}

/** The exact clipped sum of a batch; kept inside the enclave (tests compare the release with it). */
export function clippedSum(gradients: Float32Array, dim: number, clipNorm: number): Float64Array {
  const sum = new Float64Array(dim);
  clipAndAccumulate(gradients, dim, clipNorm, sum);
  return sum;
}

/**
 * A standard normal draw that resists floating-point attacks: a single Box-Muller output leaves
 * gaps in the low-order bits that reveal the unnoised value (Holohan and Braghin, "Secure
 * Random Sampling in Differential Privacy", 2021, section 5.1), so the released noise is the sum
 * of four draws halved (still variance 1), which makes recovering it cost about 2^159 tries.
 * Opacus's secure_mode does the same.
 */
export function secureGaussian(random: RandomStream): number {
  return (random.gaussian() + random.gaussian() + random.gaussian() + random.gaussian()) / 2;
}

/** The Gaussian mechanism: sum + N(0, (sigma C)^2) independently per coordinate, in a new array. */
export function addGaussianNoise(sum: Float64Array, params: DpSgdParams, random: RandomStream): Float64Array {
  checkParams(params);
  const std = params.noiseMultiplier * params.clipNorm;
  const out = new Float64Array(sum.length);
  for (let k = 0; k < sum.length; k++) out[k] = sum[k]! + std * secureGaussian(random);
  return out;
}

/**
 * One private step over a batch's per-example gradients (B x dim, row-major, possibly
 * produced in several chunks): clip, sum, add noise. Returns only the noisy sum.
 */
export function dpSgdStep(
  params: DpSgdParams & { dim: number; chunks: Iterable<Float32Array> },
  random: RandomStream,
): Float64Array {
  checkParams(params);
  const sum = new Float64Array(params.dim);
  for (const chunk of params.chunks) clipAndAccumulate(chunk, params.dim, params.clipNorm, sum);
  const noisy = addGaussianNoise(sum, params, random);
  sum.fill(0);
  return noisy;
}
