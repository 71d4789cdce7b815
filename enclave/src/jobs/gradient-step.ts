// One step of a buyer's gradient job, in the order that keeps the privacy promise: check
// the budget, Poisson-sample, compute per-example gradients with the buyer's model, clip,
// sum, add noise, record the spend durably, and only then hand back the noisy sum.
import type { PrivacyLedger } from '../privacy/ledger.ts';
import { PrivacyBudgetExceededError } from '../privacy/errors.ts';
import { dpSgdStep, poissonSample } from './dp-sgd.ts';
import { JobModelRunError, JobParameterError } from './errors.ts';
import type { Feeds, Outputs } from './model-runner.ts';
import type { RandomStream } from './random.ts';
import { GRADIENT_IO } from './softmax-classifier.ts';

/** What the step needs of a model runner (ModelRunner in production). */
export interface GradientModel {
  run(feeds: Feeds, outputs: string[]): Promise<Outputs>;
}

/** The examples a job may draw from: row-major features [N, D] and one-hot labels [N, K]. */
export interface ExampleSet {
  count: number;
  features: Float32Array;
  featureDim: number;
  labels: Float32Array;
  classes: number;
}

export interface GradientStepParams {
  parameters: Float32Array;
  sampleRate: number;
  noiseMultiplier: number;
  clipNorm: number;
  /** Examples per ORT call (a performance knob; it changes nothing about privacy). */
  chunkSize: number;
}

export interface GradientStepResult {
  /** The only thing released to the buyer. */
  noisySum: Float64Array;
  /** Epsilon spent by this (policy, buyer) after the step, at the policy's delta. */
  epsilonSpent: number;
  /** Indices of the examples the step used: for revenue shares, never for the buyer. */
  used: number[];
}

function checkExamples(set: ExampleSet): void {
  if (!Number.isSafeInteger(set.count) || set.count < 0) throw new JobParameterError('examples.count', 'a non-negative integer', set.count);
  if (set.features.length !== set.count * set.featureDim) throw new JobParameterError('examples.features', `${set.count} x ${set.featureDim} values`, set.features.length);
  if (set.labels.length !== set.count * set.classes) throw new JobParameterError('examples.labels', `${set.count} x ${set.classes} values`, set.labels.length);
}

export async function privateGradientStep(
  deps: { model: GradientModel; ledger: PrivacyLedger; random: RandomStream },
  examples: ExampleSet,
  params: GradientStepParams,
): Promise<GradientStepResult> {
  checkExamples(examples);
  if (!Number.isSafeInteger(params.chunkSize) || params.chunkSize < 1) throw new JobParameterError('chunkSize', 'an integer >= 1', params.chunkSize);
  const step = { sampleRate: params.sampleRate, noiseMultiplier: params.noiseMultiplier };
  // Refuse before any computation touches the data.
  const check = deps.ledger.canSpend(step);
  if (!check.allowed) {
    throw new PrivacyBudgetExceededError({
      policyId: deps.ledger.policyId,
      buyer: deps.ledger.buyer,
      budgetEpsilon: deps.ledger.budget.epsilon,
      epsilonAfter: check.epsilon,
      delta: deps.ledger.budget.delta,
    });
  }
  const used = poissonSample(examples.count, params.sampleRate, deps.random);
  const P = params.parameters.length;
  const { featureDim: D, classes: K } = examples;
  const chunks: Float32Array[] = [];
  for (let start = 0; start < used.length; start += params.chunkSize) {
    const ids = used.slice(start, start + params.chunkSize);
    const X = new Float32Array(ids.length * D);
    const Y = new Float32Array(ids.length * K);
    ids.forEach((id, row) => {
      X.set(examples.features.subarray(id * D, (id + 1) * D), row * D);
      Y.set(examples.labels.subarray(id * K, (id + 1) * K), row * K);
    });
    const out = await deps.model.run(
      { [GRADIENT_IO.params]: { data: params.parameters, dims: [P] }, [GRADIENT_IO.features]: { data: X, dims: [ids.length, D] }, [GRADIENT_IO.labels]: { data: Y, dims: [ids.length, K] } },
      [GRADIENT_IO.gradients],
    );
    const grads = out[GRADIENT_IO.gradients];
    if (grads === undefined || grads.data.length !== ids.length * P) {
      throw new JobModelRunError(`the model returned ${grads?.data.length ?? 0} gradient values, expected ${ids.length} x ${P}`);
    }
    chunks.push(grads.data);
  }
  const noisySum = dpSgdStep({ clipNorm: params.clipNorm, noiseMultiplier: params.noiseMultiplier, dim: P, chunks }, deps.random);
  // Durable before release: if persisting fails, the caller gets an error and nothing else.
  const spent = await deps.ledger.spend(step);
  return { noisySum, epsilonSpent: spent.epsilon, used };
}
