import { expect } from 'chai';
import { ModelRunner } from './model-runner.ts';
import { DataType, encodeModel } from '../onnx/model.ts';
import { JobModelResourceError, JobModelRunError, JobModelTimeoutError, JobParameterError } from './errors.ts';

const f = DataType.FLOAT;

async function rejection(promise: Promise<unknown>): Promise<Error & { code: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code: string };
  }
  throw new Error('expected a rejection');
}

describe('jobs/model-runner', function () {
  this.timeout(60_000);

  it('runs a model in its own process and returns its outputs', async () => {
    const bytes = encodeModel({ graph: { name: 'add', nodes: [{ opType: 'Add', inputs: ['A', 'B'], outputs: ['C'] }], inputs: [{ name: 'A', elemType: f, shape: [3] }, { name: 'B', elemType: f, shape: [3] }], outputs: [{ name: 'C', elemType: f, shape: [3] }] } });
    const runner = await ModelRunner.start(bytes);
    try {
      const out = await runner.run({ A: { data: Float32Array.from([1, 2, 3]), dims: [3] }, B: { data: Float32Array.from([10, 20, 30]), dims: [3] } }, ['C']);
      expect(Array.from(out['C']!.data)).to.deep.equal([11, 22, 33]);
      expect(out['C']!.dims).to.deep.equal([3]);
      const bad = await rejection(runner.run({ A: { data: Float32Array.from([1]), dims: [1] } }, ['C']));
      expect(bad).to.be.instanceOf(JobModelRunError);
      expect(bad.code).to.equal('JOB_MODEL_RUN_FAILED');
    } finally {
      await runner.close();
    }
  });

  it('kills a run that exceeds its time limit', async () => {
    const N = 2048;
    const nodes = Array.from({ length: 40 }, (_, i) => ({ opType: 'MatMul', inputs: [i === 0 ? 'X' : `m${i - 1}`, 'X'], outputs: [i === 39 ? 'Y' : `m${i}`] }));
    const bytes = encodeModel({ graph: { name: 'slow', nodes, inputs: [{ name: 'X', elemType: f, shape: [N, N] }], outputs: [{ name: 'Y', elemType: f, shape: [N, N] }] } });
    const runner = await ModelRunner.start(bytes, { timeoutMs: 300, loadTimeoutMs: 30_000, maxMemoryMb: 1024, intraOpNumThreads: 1 });
    const started = Date.now();
    const error = await rejection(runner.run({ X: { data: new Float32Array(N * N).fill(1e-3), dims: [N, N] } }, ['Y']));
    expect(error).to.be.instanceOf(JobModelTimeoutError);
    expect(error.code).to.equal('JOB_MODEL_TIMEOUT');
    expect(Date.now() - started).to.be.below(5_000);
    // The runner is dead afterwards.
    expect(await rejection(runner.run({ X: { data: new Float32Array(4), dims: [2, 2] } }, ['Y']))).to.be.instanceOf(JobModelTimeoutError);
    await runner.close();
  });

  it('stops a run whose native allocations exceed the memory cap', async () => {
    // [M, 1] * [1, M] broadcasts to M^2 floats: 1.6 GB for M = 20000, over a 512 MiB cap.
    const M = 20_000;
    const bytes = encodeModel({ graph: { name: 'big', nodes: [
      { opType: 'Mul', inputs: ['A', 'B'], outputs: ['C'] },
      { opType: 'ReduceSum', inputs: ['C'], outputs: ['S'], attributes: [{ name: 'keepdims', int: 0 }] },
    ], inputs: [{ name: 'A', elemType: f, shape: [M, 1] }, { name: 'B', elemType: f, shape: [1, M] }], outputs: [{ name: 'S', elemType: f, shape: [] }] } });
    const runner = await ModelRunner.start(bytes, { timeoutMs: 30_000, loadTimeoutMs: 30_000, maxMemoryMb: 512, intraOpNumThreads: 1 });
    const error = await rejection(runner.run({ A: { data: new Float32Array(M).fill(1), dims: [M, 1] }, B: { data: new Float32Array(M).fill(1), dims: [1, M] } }, ['S']));
    await runner.close();
    expect(error).to.be.instanceOf(JobModelResourceError);
    expect(error.code).to.equal('JOB_MODEL_RESOURCES');
  });

  it('refuses a model ORT cannot load, and bad limits', async () => {
    const error = await rejection(ModelRunner.start(encodeModel({ graph: { name: 'x', nodes: [{ opType: 'Add', inputs: ['A'], outputs: ['C'] }], inputs: [{ name: 'A', elemType: f, shape: [1] }], outputs: [{ name: 'C', elemType: f, shape: [1] }] } })));
    expect(error).to.be.instanceOf(JobModelRunError);
    expect(await rejection(ModelRunner.start(new Uint8Array(0), { timeoutMs: 0, loadTimeoutMs: 1, maxMemoryMb: 512, intraOpNumThreads: 1 }))).to.be.instanceOf(JobParameterError);
  });
});
