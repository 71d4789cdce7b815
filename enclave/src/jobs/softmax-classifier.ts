// A buyer's gradient model for the demonstration and the benchmark: a softmax classifier
// (e.g. a speech's language from pooled log-mel features) written as an ONNX graph that
// maps (params, X, Y) to per-example gradients and losses, in standard operators only.
import { DataType, encodeModel, type NodeSpec } from '../onnx/model.ts';

/** Names a gradient job feeds and reads (the job kind's contract; see model-check.ts). */
export const GRADIENT_IO = {
  params: 'params',
  features: 'X',
  labels: 'Y',
  gradients: 'grads',
  loss: 'loss',
} as const;

export interface SoftmaxClassifierShape {
  /** D: features per example. */
  features: number;
  /** K: classes. */
  classes: number;
}

/** P = D*K + K: W (row-major [D, K]) then b ([K]). */
export function parameterCount(shape: SoftmaxClassifierShape): number {
  return shape.features * shape.classes + shape.classes;
}

/**
 * Builds the graph. For example i with logits z = x W + b, p = softmax(z) and one-hot y:
 * loss_i = -sum_k y_k log p_k, dloss/dW = x^T (p - y) (an outer product), dloss/db = p - y.
 */
export function buildSoftmaxGradientModel(shape: SoftmaxClassifierShape): Uint8Array {
  const { features: D, classes: K } = shape;
  if (!Number.isSafeInteger(D) || !Number.isSafeInteger(K) || D < 1 || K < 2) throw new RangeError('features >= 1 and classes >= 2');
  const DK = D * K;
  const P = parameterCount(shape);
  const nodes: NodeSpec[] = [
    { opType: 'Slice', inputs: ['params', 'w_start', 'w_end', 'axis0'], outputs: ['w_flat'] },
    { opType: 'Reshape', inputs: ['w_flat', 'w_shape'], outputs: ['W'] },
    { opType: 'Slice', inputs: ['params', 'w_end', 'p_end', 'axis0'], outputs: ['b'] },
    { opType: 'MatMul', inputs: ['X', 'W'], outputs: ['xw'] },
    { opType: 'Add', inputs: ['xw', 'b'], outputs: ['logits'] },
    { opType: 'Softmax', inputs: ['logits'], outputs: ['p'], attributes: [{ name: 'axis', int: -1 }] },
    { opType: 'LogSoftmax', inputs: ['logits'], outputs: ['logp'], attributes: [{ name: 'axis', int: -1 }] },
    { opType: 'Mul', inputs: ['Y', 'logp'], outputs: ['ylogp'] },
    { opType: 'ReduceSum', inputs: ['ylogp', 'axis1'], outputs: ['neg_loss'], attributes: [{ name: 'keepdims', int: 0 }] },
    { opType: 'Neg', inputs: ['neg_loss'], outputs: ['loss'] },
    { opType: 'Sub', inputs: ['p', 'Y'], outputs: ['dz'] },
    { opType: 'Unsqueeze', inputs: ['X', 'axis2'], outputs: ['x3'] },
    { opType: 'Unsqueeze', inputs: ['dz', 'axis1'], outputs: ['dz3'] },
    { opType: 'Mul', inputs: ['x3', 'dz3'], outputs: ['gw3'] },
    { opType: 'Reshape', inputs: ['gw3', 'gw_shape'], outputs: ['gw'] },
    { opType: 'Concat', inputs: ['gw', 'dz'], outputs: ['grads'], attributes: [{ name: 'axis', int: 1 }] },
  ];
  return encodeModel({
    irVersion: 8,
    opsetImports: [{ domain: '', version: 17 }],
    graph: {
      name: 'softmax_classifier_per_example_gradients',
      nodes,
      initializers: [
        { name: 'w_start', dims: [1], int64s: [0] },
        { name: 'w_end', dims: [1], int64s: [DK] },
        { name: 'p_end', dims: [1], int64s: [P] },
        { name: 'axis0', dims: [1], int64s: [0] },
        { name: 'axis1', dims: [1], int64s: [1] },
        { name: 'axis2', dims: [1], int64s: [2] },
        { name: 'w_shape', dims: [2], int64s: [D, K] },
        { name: 'gw_shape', dims: [2], int64s: [-1, DK] },
      ],
      inputs: [
        { name: GRADIENT_IO.params, elemType: DataType.FLOAT, shape: [P] },
        { name: GRADIENT_IO.features, elemType: DataType.FLOAT, shape: ['batch', D] },
        { name: GRADIENT_IO.labels, elemType: DataType.FLOAT, shape: ['batch', K] },
      ],
      outputs: [
        { name: GRADIENT_IO.gradients, elemType: DataType.FLOAT, shape: ['batch', P] },
        { name: GRADIENT_IO.loss, elemType: DataType.FLOAT, shape: ['batch'] },
      ],
    },
  });
}
