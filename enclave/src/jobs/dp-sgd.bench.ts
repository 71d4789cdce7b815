// Examples per second of a gradient job on one core: per-example gradients from the
// buyer's ONNX graph (softmax classifier, 80 pooled log-mel features, 8 languages), then
// clipping, summing and noise, with B examples per ORT call versus one example per call;
// through the production runner (a child process) and, for reference, ORT in this process.
import * as ort from 'onnxruntime-node';
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

const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential' });
let inProcess = false;

async function gradients(start: number, count: number): Promise<Float32Array> {
  if (inProcess) {
    const out = await session.run({
      [GRADIENT_IO.params]: new ort.Tensor('float32', params, [P]),
      [GRADIENT_IO.features]: new ort.Tensor('float32', X.subarray(start * shape.features, (start + count) * shape.features), [count, shape.features]),
      [GRADIENT_IO.labels]: new ort.Tensor('float32', Y.subarray(start * shape.classes, (start + count) * shape.classes), [count, shape.classes]),
    });
    return out[GRADIENT_IO.gradients]!.data as Float32Array;
  }
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

const rounds = 3;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`gradient job, softmax classifier D=${shape.features} K=${shape.classes} (P=${P}), one ORT thread, DP step included`);
for (const where of ['runner (child process, production path)', 'ORT in this process (reference)']) {
  inProcess = where.startsWith('ORT');
  // Warm-up: first runs pay for ORT's allocations and kernel selection.
  await measure(BATCH * 2, BATCH);
  await measure(32, 1);
  const batched: number[] = [];
  const naive: number[] = [];
  for (let r = 0; r < rounds; r++) {
    batched.push(await measure(EXAMPLES, BATCH));
    naive.push(await measure(inProcess ? EXAMPLES : NAIVE_EXAMPLES, 1));
  }
  const b = median(batched);
  const n = median(naive);
  console.log(`${where}:`);
  console.log(`  batched (${BATCH} examples per ORT call): ${b.toFixed(0)} examples/s`);
  console.log(`  naive   (1 example per ORT call):      ${n.toFixed(0)} examples/s`);
  console.log(`  ratio batched/naive: ${(b / n).toFixed(1)}x (median of ${rounds} rounds)`);
}
await runner.close();
await session.release();
