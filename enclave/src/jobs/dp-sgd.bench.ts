// Examples per second of a gradient job on one core: per-example gradients from the
// buyer's ONNX graph (softmax classifier, 80 pooled log-mel features, 8 languages), then
// clipping, summing and noise, with B examples per ORT call versus one example per call.
import { buildSoftmaxGradientModel, GRADIENT_IO, parameterCount } from './softmax-classifier.ts';
import { checkModel, gradientJobIo } from './model-check.ts';
import { ModelRunner } from './model-runner.ts';
import { dpSgdStep } from './dp-sgd.ts';
import { chacha20Random, RandomStream } from './random.ts';

const shape = { features: 80, classes: 8 };
const P = parameterCount(shape);
const BATCH = 256;
const EXAMPLES = 8192;
const NAIVE_EXAMPLES = 1024;

const random = new RandomStream(chacha20Random(new Uint8Array(32).fill(1)));
const params = Float32Array.from({ length: P }, () => 0.05 * random.gaussian());
const X = Float32Array.from({ length: EXAMPLES * shape.features }, () => random.gaussian());
const Y = new Float32Array(EXAMPLES * shape.classes);
for (let i = 0; i < EXAMPLES; i++) Y[i * shape.classes + (i % shape.classes)] = 1;

const model = buildSoftmaxGradientModel(shape);
checkModel(model, gradientJobIo({ parameters: P, ...shape }));
const runner = await ModelRunner.start(model, { timeoutMs: 60_000, loadTimeoutMs: 60_000, maxMemoryMb: 2048, intraOpNumThreads: 1 });

async function gradients(start: number, count: number): Promise<Float32Array> {
  const out = await runner.run(
    {
      [GRADIENT_IO.params]: { data: params, dims: [P] },
      [GRADIENT_IO.features]: { data: X.subarray(start * shape.features, (start + count) * shape.features), dims: [count, shape.features] },
      [GRADIENT_IO.labels]: { data: Y.subarray(start * shape.classes, (start + count) * shape.classes), dims: [count, shape.classes] },
    },
    [GRADIENT_IO.gradients],
  );
  return out[GRADIENT_IO.gradients]!.data;
}

async function measure(examples: number, perCall: number): Promise<number> {
  const started = process.hrtime.bigint();
  const chunks: Float32Array[] = [];
  for (let start = 0; start < examples; start += perCall) chunks.push(await gradients(start, Math.min(perCall, examples - start)));
  dpSgdStep({ clipNorm: 1, noiseMultiplier: 1, dim: P, chunks }, random);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return examples / seconds;
}

// Warm-up: first runs pay for ORT's allocations and kernel selection.
await measure(BATCH * 2, BATCH);
await measure(32, 1);

const rounds = 3;
const batched: number[] = [];
const naive: number[] = [];
for (let r = 0; r < rounds; r++) {
  batched.push(await measure(EXAMPLES, BATCH));
  naive.push(await measure(NAIVE_EXAMPLES, 1));
}
await runner.close();

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const b = median(batched);
const n = median(naive);
console.log(`gradient job, softmax classifier D=${shape.features} K=${shape.classes} (P=${P}), one ORT thread, DP step included`);
console.log(`  batched (${BATCH} examples per ORT call): ${b.toFixed(0)} examples/s`);
console.log(`  naive   (1 example per ORT call):      ${n.toFixed(0)} examples/s`);
console.log(`  ratio batched/naive: ${(b / n).toFixed(1)}x (median of ${rounds} rounds)`);
