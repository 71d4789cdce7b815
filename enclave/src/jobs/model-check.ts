// Static checks of a buyer's ONNX model before it may run inside the enclave: size,
// operators, declared inputs and outputs. Checks run in a fixed order and the first
// failure is thrown as a typed error naming it; the bytes never reach ORT before passing.
import { allNodes, allTensors, decodeModel, DataType, type Dim, type ModelInfo, type ValueInfo } from '../onnx/model.ts';
import {
  JobModelOperatorForbiddenError,
  JobModelShapeMismatchError,
  JobModelTooLargeError,
} from './errors.ts';
import { GRADIENT_IO } from './softmax-classifier.ts';

/**
 * Standard-domain operators a job model may use: arithmetic, activations, reductions,
 * shape plumbing. Left out on purpose:
 * - control flow (Loop, Scan, If): Loop's trip count and condition are data-dependent, so
 *   its run time is unbounded by the graph; Scan and If carry subgraphs that multiply the
 *   surface to check, and no gradient, embedding or pooling model needs them;
 * - operators whose output size comes from tensor VALUES rather than input shapes
 *   (ConstantOfShape, Expand, Tile, Range, Pad, Resize, Upsample, OneHot, NonZero, Compress,
 *   Unique, TopK): they allocate memory the worker's heap limit does not see;
 * - randomness (RandomNormal, Bernoulli, Multinomial...): results must be reproducible;
 * - string, sequence, map and optional operators, and anything outside the standard domain
 *   (contrib ops, custom ops), which may touch the file system or carry native code paths.
 * External tensor data (a file path inside the model) is refused as well.
 */
export const ALLOWED_OPERATORS: ReadonlySet<string> = new Set([
  'Abs', 'Add', 'ArgMax', 'ArgMin', 'AveragePool', 'BatchNormalization', 'Cast', 'Ceil', 'Clip', 'Concat',
  'Constant', 'Conv', 'Cos', 'Div', 'Dropout', 'Einsum', 'Elu', 'Equal', 'Erf', 'Exp', 'Flatten', 'Floor',
  'Gather', 'Gelu', 'Gemm', 'GlobalAveragePool', 'GlobalMaxPool', 'Greater', 'GreaterOrEqual', 'HardSigmoid',
  'Identity', 'InstanceNormalization', 'LayerNormalization', 'LeakyRelu', 'Less', 'LessOrEqual', 'Log',
  'LogSoftmax', 'MatMul', 'Max', 'MaxPool', 'Mean', 'Min', 'Mul', 'Neg', 'Not', 'Pow', 'PRelu', 'Reciprocal',
  'ReduceL2', 'ReduceLogSumExp', 'ReduceMax', 'ReduceMean', 'ReduceMin', 'ReduceSum', 'ReduceSumSquare', 'Relu',
  'Reshape', 'Selu', 'Shape', 'Sigmoid', 'Sign', 'Sin', 'Size', 'Slice', 'Softmax', 'Softplus', 'Softsign',
  'Split', 'Sqrt', 'Squeeze', 'Sub', 'Sum', 'Tanh', 'Transpose', 'Unsqueeze', 'Where',
]);

/** Opset versions of the standard domain that the pinned onnxruntime-node runs and this list was reviewed for. */
export const OPSET_RANGE = { min: 13, max: 21 } as const;

export interface ModelLimits {
  /** Cap on the ONNX file, checked before parsing. */
  maxModelBytes: number;
  /** Cap on all stored tensors (initializers and constants) together. */
  maxTensorBytes: number;
}

export const DEFAULT_MODEL_LIMITS: ModelLimits = { maxModelBytes: 64 * 1024 * 1024, maxTensorBytes: 48 * 1024 * 1024 };

/** A tensor the job kind feeds or reads: a number fixes a dimension, a string names any (symbolic) size. */
export interface IoSpec {
  name: string;
  elemType: number;
  shape: Dim[];
}

export interface JobIo {
  inputs: IoSpec[];
  outputs: IoSpec[];
}

/** The gradient job's contract: (params [P], X [B, D], Y [B, K]) -> (grads [B, P], loss [B]). */
export function gradientJobIo(shape: { parameters: number; features: number; classes: number }): JobIo {
  const f = DataType.FLOAT;
  return {
    inputs: [
      { name: GRADIENT_IO.params, elemType: f, shape: [shape.parameters] },
      { name: GRADIENT_IO.features, elemType: f, shape: ['batch', shape.features] },
      { name: GRADIENT_IO.labels, elemType: f, shape: ['batch', shape.classes] },
    ],
    outputs: [
      { name: GRADIENT_IO.gradients, elemType: f, shape: ['batch', shape.parameters] },
      { name: GRADIENT_IO.loss, elemType: f, shape: ['batch'] },
    ],
  };
}

/** The features job's contract: log-mel frames [T, M] in, one pooled embedding [E] out. */
export function featuresJobIo(shape: { melBands: number; embedding: number }): JobIo {
  const f = DataType.FLOAT;
  return {
    inputs: [{ name: 'mel', elemType: f, shape: ['frames', shape.melBands] }],
    outputs: [{ name: 'embedding', elemType: f, shape: [shape.embedding] }],
  };
}

function describe(v: { elemType: number; shape: Dim[] | undefined }): string {
  return `type ${v.elemType} shape [${v.shape === undefined ? '?' : v.shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;
}

/**
 * A declared value matches the spec when its element type is equal and each fixed
 * dimension is declared with that value; a symbolic dimension in the spec must be
 * declared symbolic or unknown in the model (a fixed batch size would break Poisson batches).
 */
function matches(declared: ValueInfo, spec: IoSpec): boolean {
  if (declared.elemType !== spec.elemType || declared.shape === undefined || declared.shape.length !== spec.shape.length) return false;
  return spec.shape.every((want, k) => {
    const got = declared.shape![k];
    return typeof want === 'number' ? got === want : typeof got !== 'number';
  });
}

function checkValues(kind: 'input' | 'output', declared: ValueInfo[], specs: IoSpec[]): void {
  const names = declared.map((v) => v.name);
  const wanted = specs.map((s) => s.name);
  if (names.length !== wanted.length || !wanted.every((n) => names.includes(n))) {
    throw new JobModelShapeMismatchError(`${kind}s`, `[${wanted.join(', ')}]`, `[${names.join(', ')}]`);
  }
  for (const spec of specs) {
    const value = declared.find((v) => v.name === spec.name)!;
    if (!matches(value, spec)) throw new JobModelShapeMismatchError(`${kind} "${spec.name}"`, describe(spec), describe(value));
  }
}

/** Runs every static check; returns the parsed model when it passes. */
export function checkModel(bytes: Uint8Array, io: JobIo, limits: ModelLimits = DEFAULT_MODEL_LIMITS): ModelInfo {
  if (bytes.length > limits.maxModelBytes) throw new JobModelTooLargeError('file', limits.maxModelBytes, bytes.length);
  const model = decodeModel(bytes);
  if (model.functions > 0) throw new JobModelOperatorForbiddenError('', 'FunctionProto', 'model-local functions define operators outside the allow-list');
  if (model.trainingInfo > 0) throw new JobModelOperatorForbiddenError('', 'TrainingInfoProto', 'training programs are not run');
  for (const opset of model.opsetImports) {
    if (opset.domain !== '' && opset.domain !== 'ai.onnx') throw new JobModelOperatorForbiddenError(opset.domain, '*', 'only the standard domain may be imported');
    if (opset.version < OPSET_RANGE.min || opset.version > OPSET_RANGE.max) {
      throw new JobModelOperatorForbiddenError(opset.domain, `opset ${opset.version}`, `opset must be ${OPSET_RANGE.min}..${OPSET_RANGE.max}`);
    }
  }
  for (const node of allNodes(model.graph)) {
    if (node.domain !== '' && node.domain !== 'ai.onnx') throw new JobModelOperatorForbiddenError(node.domain, node.opType, 'custom domain');
    if (!ALLOWED_OPERATORS.has(node.opType)) throw new JobModelOperatorForbiddenError(node.domain, node.opType, 'not on the allow-list');
  }
  if (model.graph.sparseInitializers > 0) throw new JobModelOperatorForbiddenError('', 'SparseTensorProto', 'sparse initializers are not supported');
  let tensorBytes = 0;
  for (const tensor of allTensors(model.graph)) {
    if (tensor.external) throw new JobModelOperatorForbiddenError('', 'external_data', `tensor "${tensor.name}" would be read from a file`);
    tensorBytes += tensor.byteLength;
  }
  if (tensorBytes > limits.maxTensorBytes) throw new JobModelTooLargeError('stored tensors', limits.maxTensorBytes, tensorBytes);
  // Since IR 4 an initializer may also be listed as an input (a default); only the rest are fed.
  const initializers = new Set(model.graph.initializers.map((t) => t.name));
  checkValues('input', model.graph.inputs.filter((v) => !initializers.has(v.name)), io.inputs);
  checkValues('output', model.graph.outputs, io.outputs);
  return model;
}
