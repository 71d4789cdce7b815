import { expect } from 'chai';
import { buildSoftmaxGradientModel, GRADIENT_IO, parameterCount } from './softmax-classifier.ts';
import { checkModel, gradientJobIo } from './model-check.ts';
import { ModelRunner } from './model-runner.ts';
import { chacha20Random, RandomStream } from './random.ts';

describe('jobs/softmax-classifier', function () {
  this.timeout(60_000);
  const shape = { features: 5, classes: 3 };
  const P = parameterCount(shape);
  const B = 4;
  let runner: ModelRunner;

  before(async () => {
    const bytes = buildSoftmaxGradientModel(shape);
    checkModel(bytes, gradientJobIo({ parameters: P, ...shape }));
    runner = await ModelRunner.start(bytes);
  });
  after(async () => runner.close());

  const random = new RandomStream(chacha20Random(new Uint8Array(32).fill(9)));
  const params = Float32Array.from({ length: P }, () => 0.5 * random.gaussian());
  const X = Float32Array.from({ length: B * shape.features }, () => random.gaussian());
  const Y = new Float32Array(B * shape.classes);
  for (let i = 0; i < B; i++) Y[i * shape.classes + (i % shape.classes)] = 1;

  const run = (p: Float32Array) =>
    runner.run(
      { [GRADIENT_IO.params]: { data: p, dims: [P] }, [GRADIENT_IO.features]: { data: X, dims: [B, shape.features] }, [GRADIENT_IO.labels]: { data: Y, dims: [B, shape.classes] } },
      [GRADIENT_IO.gradients, GRADIENT_IO.loss],
    );

  it('gives per-example gradients that match central finite differences of its own loss', async () => {
    const base = await run(params);
    expect(base[GRADIENT_IO.gradients]!.dims).to.deep.equal([B, P]);
    expect(base[GRADIENT_IO.loss]!.dims).to.deep.equal([B]);
    const grads = base[GRADIENT_IO.gradients]!.data;
    const h = 1e-2;
    let worst = 0;
    for (let j = 0; j < P; j++) {
      const plus = Float32Array.from(params);
      const minus = Float32Array.from(params);
      plus[j]! += h;
      minus[j]! -= h;
      const [lp, lm] = [(await run(plus))[GRADIENT_IO.loss]!.data, (await run(minus))[GRADIENT_IO.loss]!.data];
      for (let i = 0; i < B; i++) {
        const fd = (lp[i]! - lm[i]!) / (2 * h);
        worst = Math.max(worst, Math.abs(fd - grads[i * P + j]!));
      }
    }
    // Central differences err by O(h^2) ~ 1e-4 plus float32 rounding of the losses / h ~ 1e-5.
    expect(worst).to.be.below(2e-3);
  });

  it('computes the cross-entropy loss itself (checked in float64)', async () => {
    const loss = (await run(params))[GRADIENT_IO.loss]!.data;
    const { features: D, classes: K } = shape;
    for (let i = 0; i < B; i++) {
      const z = Array.from({ length: K }, (_, k) => {
        let s = params[D * K + k]!;
        for (let d = 0; d < D; d++) s += X[i * D + d]! * params[d * K + k]!;
        return s;
      });
      const max = Math.max(...z);
      const logSum = max + Math.log(z.reduce((s, v) => s + Math.exp(v - max), 0));
      expect(loss[i]).to.be.closeTo(logSum - z[i % K]!, 1e-5);
    }
  });
});
