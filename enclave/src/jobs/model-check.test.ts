import { expect } from 'chai';
import { ALLOWED_OPERATORS, checkModel, featuresJobIo, gradientJobIo } from './model-check.ts';
import { buildSoftmaxGradientModel, parameterCount } from './softmax-classifier.ts';
import { DataType, encodeModel, type GraphSpec, type ModelSpec } from '../onnx/model.ts';
import { ProtoWriter } from '../onnx/protobuf.ts';
import {
  JobModelMalformedError,
  JobModelOperatorForbiddenError,
  JobModelShapeMismatchError,
  JobModelTooLargeError,
} from './errors.ts';

const shape = { features: 6, classes: 3 };
const io = gradientJobIo({ parameters: parameterCount(shape), features: 6, classes: 3 });
const f = DataType.FLOAT;

/** A features model: mel [T, 4] -> ReduceMean over time -> embedding [4]. */
function featuresGraph(overrides: Partial<GraphSpec> = {}): GraphSpec {
  return {
    name: 'pool',
    nodes: [{ opType: 'ReduceMean', inputs: ['mel'], outputs: ['embedding'], attributes: [{ name: 'axes', ints: [0] }, { name: 'keepdims', int: 0 }] }],
    inputs: [{ name: 'mel', elemType: f, shape: ['frames', 4] }],
    outputs: [{ name: 'embedding', elemType: f, shape: [4] }],
    ...overrides,
  };
}
const featuresIo = featuresJobIo({ melBands: 4, embedding: 4 });
const model = (graph: GraphSpec, extra: Partial<ModelSpec> = {}) => encodeModel({ opsetImports: [{ domain: '', version: 17 }], graph, ...extra });

function refusal(fn: () => unknown): Error & { code: string; details: Record<string, unknown> } {
  try {
    fn();
  } catch (error) {
    return error as Error & { code: string; details: Record<string, unknown> };
  }
  throw new Error('expected a refusal');
}

describe('jobs/model-check', () => {
  it('accepts the softmax gradient model and a pooling features model', () => {
    const info = checkModel(buildSoftmaxGradientModel(shape), io);
    expect(info.graph.nodes.length).to.be.greaterThan(5);
    expect(() => checkModel(model(featuresGraph()), featuresIo)).to.not.throw();
  });

  it('refuses a model file over the size cap before parsing it', () => {
    const bytes = buildSoftmaxGradientModel(shape);
    const error = refusal(() => checkModel(bytes, io, { maxModelBytes: bytes.length - 1, maxTensorBytes: 1e9 }));
    expect(error).to.be.instanceOf(JobModelTooLargeError);
    expect(error.code).to.equal('JOB_MODEL_TOO_LARGE');
    expect(error.details).to.include({ what: 'file', received: bytes.length });
  });

  it('refuses stored tensors over the tensor cap, initializers and constants together', () => {
    const graph = featuresGraph({
      nodes: [
        { opType: 'Constant', inputs: [], outputs: ['k'], attributes: [{ name: 'value', tensor: { name: 'kv', dims: [300], floats: new Float32Array(300) } }] },
        { opType: 'Add', inputs: ['mel', 'bias'], outputs: ['m2'] },
        { opType: 'ReduceMean', inputs: ['m2'], outputs: ['embedding'], attributes: [{ name: 'axes', ints: [0] }, { name: 'keepdims', int: 0 }] },
      ],
      initializers: [{ name: 'bias', dims: [4], floats: [0, 0, 0, 0] }],
    });
    const error = refusal(() => checkModel(model(graph), featuresIo, { maxModelBytes: 1e6, maxTensorBytes: 1200 }));
    expect(error).to.be.instanceOf(JobModelTooLargeError);
    expect(error.details).to.include({ what: 'stored tensors', received: 1216 });
  });

  it('refuses operators off the allow-list, control flow and custom domains, also inside nested graphs', () => {
    const withNode = (opType: string, domain?: string) =>
      model(featuresGraph({ nodes: [{ opType, inputs: ['mel'], outputs: ['embedding'], ...(domain === undefined ? {} : { domain }) }] }));
    for (const op of ['Loop', 'Scan', 'If', 'RandomNormal', 'ConstantOfShape', 'Expand', 'Tile', 'StringNormalizer', 'NoSuchOp']) {
      expect(ALLOWED_OPERATORS.has(op)).to.equal(false);
      const error = refusal(() => checkModel(withNode(op), featuresIo));
      expect(error, op).to.be.instanceOf(JobModelOperatorForbiddenError);
      expect(error.code).to.equal('JOB_MODEL_OPERATOR_FORBIDDEN');
      expect(error.details['opType']).to.equal(op);
    }
    const custom = refusal(() => checkModel(withNode('Relu', 'com.microsoft'), featuresIo));
    expect(custom.details).to.include({ domain: 'com.microsoft', reason: 'custom domain' });
    // A Relu in the standard domain, spelt "ai.onnx", is fine.
    expect(() => checkModel(model(featuresGraph({ nodes: [
      { opType: 'Relu', inputs: ['mel'], outputs: ['r'], domain: 'ai.onnx' },
      { opType: 'ReduceMean', inputs: ['r'], outputs: ['embedding'], attributes: [{ name: 'axes', ints: [0] }, { name: 'keepdims', int: 0 }] },
    ] })), featuresIo)).to.not.throw();
  });

  it('refuses custom opset imports, out-of-range opsets, local functions, external data and sparse initializers', () => {
    const importCustom = model(featuresGraph(), { opsetImports: [{ domain: '', version: 17 }, { domain: 'com.evil', version: 1 }] });
    expect(refusal(() => checkModel(importCustom, featuresIo)).details).to.include({ domain: 'com.evil' });
    expect(refusal(() => checkModel(model(featuresGraph(), { opsetImports: [{ domain: '', version: 7 }] }), featuresIo))).to.be.instanceOf(JobModelOperatorForbiddenError);
    const base = model(featuresGraph());
    const withFunction = new Uint8Array([...base, ...new ProtoWriter().message(25, (fn) => fn.string(1, 'f')).finish()]);
    expect(refusal(() => checkModel(withFunction, featuresIo)).details).to.include({ opType: 'FunctionProto' });
    const external = new ProtoWriter().int(1, 8).message(8, (o) => o.string(1, '').int(2, 17)).message(7, (g) => {
      g.message(5, (t) => t.int(1, 4).int(2, f).string(8, 'w').int(14, 1));
    }).finish();
    expect(refusal(() => checkModel(external, featuresIo)).details).to.include({ opType: 'external_data' });
    const sparse = new ProtoWriter().int(1, 8).message(8, (o) => o.string(1, '').int(2, 17)).message(7, (g) => g.message(15, () => undefined)).finish();
    expect(refusal(() => checkModel(sparse, featuresIo)).details).to.include({ opType: 'SparseTensorProto' });
  });

  it('refuses models whose inputs or outputs differ from the job kind by name, type or shape', () => {
    const cases: [GraphSpec, string][] = [
      [featuresGraph({ inputs: [{ name: 'audio', elemType: f, shape: ['frames', 4] }] }), 'inputs'],
      [featuresGraph({ inputs: [{ name: 'mel', elemType: DataType.DOUBLE, shape: ['frames', 4] }] }), 'input "mel"'],
      [featuresGraph({ inputs: [{ name: 'mel', elemType: f, shape: ['frames', 5] }] }), 'input "mel"'],
      [featuresGraph({ inputs: [{ name: 'mel', elemType: f, shape: [100, 4] }] }), 'input "mel"'],
      [featuresGraph({ inputs: [{ name: 'mel', elemType: f, shape: ['frames', 4] }, { name: 'extra', elemType: f, shape: [1] }] }), 'inputs'],
      [featuresGraph({ outputs: [{ name: 'embedding', elemType: f, shape: [8] }] }), 'output "embedding"'],
      [featuresGraph({ outputs: [{ name: 'embedding', elemType: f, shape: [4] }, { name: 'mel_copy', elemType: f, shape: ['frames', 4] }] }), 'outputs'],
    ];
    for (const [graph, what] of cases) {
      const error = refusal(() => checkModel(model(graph), featuresIo));
      expect(error, what).to.be.instanceOf(JobModelShapeMismatchError);
      expect(error.code).to.equal('JOB_MODEL_SHAPE_MISMATCH');
      expect(error.details['what']).to.equal(what);
    }
    // The gradient model built for other dimensions does not fit this job.
    expect(refusal(() => checkModel(buildSoftmaxGradientModel({ features: 7, classes: 3 }), io))).to.be.instanceOf(JobModelShapeMismatchError);
  });

  it('refuses bytes that are not a model', () => {
    expect(refusal(() => checkModel(new TextEncoder().encode('not onnx at all'), io))).to.be.instanceOf(JobModelMalformedError);
  });
});
