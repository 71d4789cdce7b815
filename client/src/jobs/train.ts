// The buyer's side of a private gradient job: send parameters, open the sealed noisy
// gradient sum, take an SGD step on the estimate sum / (q N), repeat. The buyer never sees
// an example, a per-example gradient or the batch size.
import type { Hex } from 'viem';
import { openRelease, type BuyerKey } from './buyer-key.ts';
import { ReleaseUnreadableError } from './errors.ts';
import type { BuyerRequestSigner } from './sign.ts';
import type { JobTransport } from './transport.ts';

export interface TrainOptions {
  steps: number;
  learningRate: number;
  sampleRate: number;
  noiseMultiplier: number;
  clipNorm: number;
  /** Called after each step with the new parameters, e.g. to evaluate on held-out data. */
  onStep?: (step: number, parameters: Float64Array, epsilonSpent: number) => void | Promise<void>;
}

export interface GradientRelease {
  kind: 'gradient-step';
  step: number;
  noisySum: number[];
  epsilonSpent: number;
}

/** Runs `options.steps` more steps, each signed for its place after the steps the job has already run. */
export async function trainJob(transport: JobTransport, signer: BuyerRequestSigner, key: BuyerKey, jobId: Hex, initial: Float64Array, options: TrainOptions): Promise<{ parameters: Float64Array; epsilonSpent: number }> {
  const { files, steps: done } = await transport.status(jobId);
  const expectedBatch = Math.max(1, options.sampleRate * files);
  let parameters = Float64Array.from(initial);
  let epsilonSpent = 0;
  for (let step = 1; step <= options.steps; step++) {
    const request = { parameters: Float32Array.from(parameters), sampleRate: options.sampleRate, noiseMultiplier: options.noiseMultiplier, clipNorm: options.clipNorm };
    const index = done + step - 1;
    const sealed = await transport.step(jobId, { ...request, index, ...(await signer.step(jobId, index, request)) });
    const release = await openRelease<GradientRelease>(sealed, key);
    if (release.kind !== 'gradient-step' || !Array.isArray(release.noisySum) || release.noisySum.length !== parameters.length) {
      throw new ReleaseUnreadableError(`is not a gradient step of ${parameters.length} values`);
    }
    parameters = parameters.map((v, k) => v - options.learningRate * (release.noisySum[k]! / expectedBatch));
    epsilonSpent = release.epsilonSpent;
    await options.onStep?.(step, parameters, epsilonSpent);
  }
  return { parameters, epsilonSpent };
}
