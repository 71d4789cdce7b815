import { expect } from 'chai';
import { privateGradientStep, type ExampleSet, type GradientModel } from './gradient-step.ts';
import { buildSoftmaxGradientModel, GRADIENT_IO, parameterCount } from './softmax-classifier.ts';
import { ModelRunner } from './model-runner.ts';
import { chacha20Random, RandomStream } from './random.ts';
import { MemoryLedgerStorage, PrivacyLedger, type LedgerStorage } from '../privacy/ledger.ts';
import { PrivacyBudgetExceededError } from '../privacy/errors.ts';
import { JobModelRunError } from './errors.ts';

const buyer = '0x00000000000000000000000000000000000000b1';
const stream = (byte: number) => new RandomStream(chacha20Random(new Uint8Array(32).fill(byte)));

/** Three separable classes in D dimensions (a stand-in for languages in pooled log-mel space). */
function examples(count: number, D: number, K: number, random: RandomStream, centres: Float32Array): ExampleSet {
  const features = new Float32Array(count * D);
  const labels = new Float32Array(count * K);
  for (let i = 0; i < count; i++) {
    const k = i % K;
    labels[i * K + k] = 1;
    for (let d = 0; d < D; d++) features[i * D + d] = centres[k * D + d]! + random.gaussian();
  }
  return { count, features, featureDim: D, labels, classes: K };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('jobs/gradient-step', function () {
  this.timeout(60_000);
  const D = 10;
  const K = 3;
  const P = parameterCount({ features: D, classes: K });
  const random = stream(1);
  const centres = Float32Array.from({ length: K * D }, () => 1.5 * random.gaussian());
  const train = examples(2000, D, K, random, centres);
  const heldOut = examples(600, D, K, random, centres);

  it('trains a classifier whose held-out loss falls over private steps', async () => {
    const runner = await ModelRunner.start(buildSoftmaxGradientModel({ features: D, classes: K }));
    try {
      const ledger = await PrivacyLedger.open(new MemoryLedgerStorage(), { policyId: '1', buyer, budget: { epsilon: 8, delta: 1e-5 } });
      const heldOutLoss = async (params: Float32Array) => {
        const out = await runner.run(
          { [GRADIENT_IO.params]: { data: params, dims: [P] }, [GRADIENT_IO.features]: { data: heldOut.features, dims: [heldOut.count, D] }, [GRADIENT_IO.labels]: { data: heldOut.labels, dims: [heldOut.count, K] } },
          [GRADIENT_IO.loss],
        );
        return out[GRADIENT_IO.loss]!.data.reduce((s, v) => s + v, 0) / heldOut.count;
      };
      const params = new Float32Array(P);
      const q = 0.05;
      const losses = [await heldOutLoss(params)];
      let epsilon = 0;
      for (let step = 0; step < 15; step++) {
        const result = await privateGradientStep({ model: runner, ledger, random: stream(10 + step) }, train, { parameters: params, sampleRate: q, noiseMultiplier: 1, clipNorm: 1, chunkSize: 64 });
        expect(result.epsilonSpent).to.be.greaterThan(epsilon);
        epsilon = result.epsilonSpent;
        // The buyer's side: average over the expected batch size, take a step.
        for (let j = 0; j < P; j++) params[j]! -= 0.5 * (result.noisySum[j]! / (q * train.count));
        losses.push(await heldOutLoss(params));
      }
      expect(losses[0]).to.be.closeTo(Math.log(K), 1e-5);
      expect(losses.at(-1)).to.be.below(0.6 * losses[0]!);
      expect(epsilon).to.be.closeTo(ledger.spent().epsilon, 1e-12);
    } finally {
      await runner.close();
    }
  });

  it('refuses a step over budget before running the model, and releases nothing', async () => {
    let calls = 0;
    const model: GradientModel = { run: async () => ((calls += 1), {}) };
    const ledger = await PrivacyLedger.open(new MemoryLedgerStorage(), { policyId: '1', buyer, budget: { epsilon: 0.1, delta: 1e-5 } });
    const error = await rejection(privateGradientStep({ model, ledger, random: stream(2) }, train, { parameters: new Float32Array(P), sampleRate: 0.05, noiseMultiplier: 1, clipNorm: 1, chunkSize: 64 }));
    expect(error).to.be.instanceOf(PrivacyBudgetExceededError);
    expect(calls).to.equal(0);
    expect(ledger.spent().epsilon).to.equal(0);
  });

  it('releases nothing when the spend cannot be persisted, or the model returns the wrong shape', async () => {
    const fake: GradientModel = { run: async (feeds) => ({ [GRADIENT_IO.gradients]: { data: new Float32Array(feeds[GRADIENT_IO.features]!.dims[0]! * P), dims: [] } }) };
    const failing: LedgerStorage = { load: async () => undefined, save: async () => Promise.reject(new Error('sealed store unavailable')) };
    const ledger = await PrivacyLedger.open(failing, { policyId: '1', buyer, budget: { epsilon: 8, delta: 1e-5 } });
    const params = { parameters: new Float32Array(P), sampleRate: 0.05, noiseMultiplier: 1, clipNorm: 1, chunkSize: 64 };
    expect(await rejection(privateGradientStep({ model: fake, ledger, random: stream(3) }, train, params))).to.have.property('message', 'sealed store unavailable');
    const short: GradientModel = { run: async () => ({ [GRADIENT_IO.gradients]: { data: new Float32Array(3), dims: [3] } }) };
    const ok = await PrivacyLedger.open(new MemoryLedgerStorage(), { policyId: '1', buyer, budget: { epsilon: 8, delta: 1e-5 } });
    expect(await rejection(privateGradientStep({ model: short, ledger: ok, random: stream(4) }, train, params))).to.be.instanceOf(JobModelRunError);
    expect(ok.spent().epsilon).to.equal(0);
  });
});
