// A small reader and writer of ONNX ModelProto (github.com/onnx/onnx, onnx/onnx.proto, IR
// version 8-10): the reader gives the model checks what they inspect before ORT ever sees
// the bytes (operators, domains, opsets, declared inputs and outputs, initializer sizes,
// nested graphs); the writer builds small models in TypeScript.
import { JobModelMalformedError } from '../jobs/errors.ts';
import {
  ProtoWriter,
  WIRE_FIXED32,
  WIRE_FIXED64,
  WIRE_VARINT,
  asBytes,
  asFloat,
  asInt,
  asString,
  countPacked,
  fields,
  pushInts,
} from './protobuf.ts';

/** TensorProto.DataType values this code names (onnx.proto). */
export const DataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
} as const;

/** Bytes per element; undefined for strings and types this reader does not size. */
const ELEMENT_BYTES: Record<number, number> = { 1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 16: 2 };

export const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8, TENSORS: 9, GRAPHS: 10 } as const;

/** A dimension: a fixed size, a symbolic name, or unknown. */
export type Dim = number | string | null;

export interface ValueInfo {
  name: string;
  /** TensorProto.DataType; 0 when the value is not a tensor (sequence, map, optional). */
  elemType: number;
  /** undefined when the shape is not declared at all. */
  shape: Dim[] | undefined;
}

export interface TensorInfo {
  name: string;
  dims: number[];
  dataType: number;
  /** Bytes the tensor's data occupies in the file (raw_data or typed fields). */
  byteLength: number;
  /** True when the data lives in an external file (data_location = EXTERNAL or external_data entries). */
  external: boolean;
}

export interface AttributeInfo {
  name: string;
  type: number;
  /** Nested graphs (If/Loop/Scan bodies) held by this attribute. */
  graphs: GraphInfo[];
  /** Tensors held by this attribute (e.g. Constant's value). */
  tensors: TensorInfo[];
  int?: number;
  ints?: number[];
}

export interface NodeInfo {
  opType: string;
  /** "" and "ai.onnx" both mean the standard domain. */
  domain: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attributes: AttributeInfo[];
}

export interface GraphInfo {
  name: string;
  nodes: NodeInfo[];
  initializers: TensorInfo[];
  sparseInitializers: number;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
}

export interface ModelInfo {
  irVersion: number;
  opsetImports: { domain: string; version: number }[];
  producerName: string;
  graph: GraphInfo;
  /** Model-local functions (FunctionProto) declared in the file. */
  functions: number;
  /** TrainingInfoProto entries. */
  trainingInfo: number;
}

/** Nested graphs deeper than this are refused: real models nest a few levels at most. */
const MAX_GRAPH_DEPTH = 8;

function decodeTensor(buf: Uint8Array): TensorInfo {
  const tensor: TensorInfo = { name: '', dims: [], dataType: 0, byteLength: 0, external: false };
  let typedElements = 0;
  let stringBytes = 0;
  for (const f of fields(buf)) {
    switch (f.number) {
      case 1: pushInts(f, tensor.dims, 'TensorProto.dims'); break;
      case 2: tensor.dataType = asInt(f, 'TensorProto.data_type'); break;
      case 8: tensor.name = asString(f, 'TensorProto.name'); break;
      case 9: tensor.byteLength += asBytes(f, 'TensorProto.raw_data').length; break;
      case 4: case 5: typedElements += countPacked(f, f.number === 4 ? WIRE_FIXED32 : WIRE_VARINT); break;
      case 7: case 11: typedElements += countPacked(f, WIRE_VARINT); break;
      case 10: typedElements += countPacked(f, WIRE_FIXED64); break;
      case 6: stringBytes += asBytes(f, 'TensorProto.string_data').length; break;
      case 13: asBytes(f, 'TensorProto.external_data'); tensor.external = true; break;
      case 14: if (asInt(f, 'TensorProto.data_location') === 1) tensor.external = true; break;
      default: break;
    }
  }
  if (tensor.dims.some((d) => d < 0)) throw new JobModelMalformedError(`tensor "${tensor.name}" has a negative dimension`);
  tensor.byteLength += typedElements * (ELEMENT_BYTES[tensor.dataType] ?? 8) + stringBytes;
  return tensor;
}

function decodeValueInfo(buf: Uint8Array): ValueInfo {
  const info: ValueInfo = { name: '', elemType: 0, shape: undefined };
  for (const f of fields(buf)) {
    if (f.number === 1) info.name = asString(f, 'ValueInfoProto.name');
    else if (f.number === 2) {
      for (const t of fields(asBytes(f, 'ValueInfoProto.type'))) {
        if (t.number !== 1) continue; // only tensor_type is described; others keep elemType 0
        for (const tt of fields(asBytes(t, 'TypeProto.tensor_type'))) {
          if (tt.number === 1) info.elemType = asInt(tt, 'TypeProto.Tensor.elem_type');
          else if (tt.number === 2) {
            info.shape = [];
            for (const d of fields(asBytes(tt, 'TypeProto.Tensor.shape'))) {
              if (d.number !== 1) continue;
              let dim: Dim = null;
              for (const dd of fields(asBytes(d, 'TensorShapeProto.dim'))) {
                if (dd.number === 1) dim = asInt(dd, 'Dimension.dim_value');
                else if (dd.number === 2) dim = asString(dd, 'Dimension.dim_param');
              }
              info.shape.push(dim);
            }
          }
        }
      }
    }
  }
  return info;
}

function decodeAttribute(buf: Uint8Array, depth: number): AttributeInfo {
  const attr: AttributeInfo = { name: '', type: 0, graphs: [], tensors: [] };
  for (const f of fields(buf)) {
    switch (f.number) {
      case 1: attr.name = asString(f, 'AttributeProto.name'); break;
      case 20: attr.type = asInt(f, 'AttributeProto.type'); break;
      case 3: attr.int = asInt(f, 'AttributeProto.i'); break;
      case 8: pushInts(f, (attr.ints ??= []), 'AttributeProto.ints'); break;
      case 5: case 10: attr.tensors.push(decodeTensor(asBytes(f, 'AttributeProto.t'))); break;
      case 6: case 11: attr.graphs.push(decodeGraph(asBytes(f, 'AttributeProto.g'), depth + 1)); break;
      default: break;
    }
  }
  return attr;
}

function decodeNode(buf: Uint8Array, depth: number): NodeInfo {
  const node: NodeInfo = { opType: '', domain: '', name: '', inputs: [], outputs: [], attributes: [] };
  for (const f of fields(buf)) {
    switch (f.number) {
      case 1: node.inputs.push(asString(f, 'NodeProto.input')); break;
      case 2: node.outputs.push(asString(f, 'NodeProto.output')); break;
      case 3: node.name = asString(f, 'NodeProto.name'); break;
      case 4: node.opType = asString(f, 'NodeProto.op_type'); break;
      case 7: node.domain = asString(f, 'NodeProto.domain'); break;
      case 5: node.attributes.push(decodeAttribute(asBytes(f, 'NodeProto.attribute'), depth)); break;
      default: break;
    }
  }
  return node;
}

function decodeGraph(buf: Uint8Array, depth: number): GraphInfo {
  if (depth > MAX_GRAPH_DEPTH) throw new JobModelMalformedError(`graphs nest deeper than ${MAX_GRAPH_DEPTH} levels`);
  const graph: GraphInfo = { name: '', nodes: [], initializers: [], sparseInitializers: 0, inputs: [], outputs: [] };
  for (const f of fields(buf)) {
    switch (f.number) {
      case 1: graph.nodes.push(decodeNode(asBytes(f, 'GraphProto.node'), depth)); break;
      case 2: graph.name = asString(f, 'GraphProto.name'); break;
      case 5: graph.initializers.push(decodeTensor(asBytes(f, 'GraphProto.initializer'))); break;
      case 15: asBytes(f, 'GraphProto.sparse_initializer'); graph.sparseInitializers++; break;
      case 11: graph.inputs.push(decodeValueInfo(asBytes(f, 'GraphProto.input'))); break;
      case 12: graph.outputs.push(decodeValueInfo(asBytes(f, 'GraphProto.output'))); break;
      default: break;
    }
  }
  return graph;
}

/** Reads what the checks need from ModelProto bytes; malformed input gets JobModelMalformedError. */
export function decodeModel(bytes: Uint8Array): ModelInfo {
  const model: ModelInfo = { irVersion: 0, opsetImports: [], producerName: '', graph: undefined as unknown as GraphInfo, functions: 0, trainingInfo: 0 };
  let graph: GraphInfo | undefined;
  for (const f of fields(bytes)) {
    switch (f.number) {
      case 1: model.irVersion = asInt(f, 'ModelProto.ir_version'); break;
      case 2: model.producerName = asString(f, 'ModelProto.producer_name'); break;
      case 7:
        if (graph !== undefined) throw new JobModelMalformedError('the model has two graphs');
        graph = decodeGraph(asBytes(f, 'ModelProto.graph'), 0);
        break;
      case 8: {
        const opset = { domain: '', version: 0 };
        for (const o of fields(asBytes(f, 'ModelProto.opset_import'))) {
          if (o.number === 1) opset.domain = asString(o, 'OperatorSetIdProto.domain');
          else if (o.number === 2) opset.version = asInt(o, 'OperatorSetIdProto.version');
        }
        model.opsetImports.push(opset);
        break;
      }
      case 20: asBytes(f, 'ModelProto.training_info'); model.trainingInfo++; break;
      case 25: asBytes(f, 'ModelProto.functions'); model.functions++; break;
      default: break;
    }
  }
  if (graph === undefined) throw new JobModelMalformedError('the model has no graph');
  if (model.irVersion <= 0) throw new JobModelMalformedError('ir_version is missing');
  model.graph = graph;
  return model;
}

/** Every node of a graph and of the graphs nested in its attributes, depth first. */
export function* allNodes(graph: GraphInfo): Generator<NodeInfo> {
  for (const node of graph.nodes) {
    yield node;
    for (const attr of node.attributes) for (const g of attr.graphs) yield* allNodes(g);
  }
}

/** Every tensor stored in the model: initializers and constant attributes, in nested graphs too. */
export function* allTensors(graph: GraphInfo): Generator<TensorInfo> {
  yield* graph.initializers;
  for (const node of graph.nodes) {
    for (const attr of node.attributes) {
      yield* attr.tensors;
      for (const g of attr.graphs) yield* allTensors(g);
    }
  }
}

// ---------------------------------------------------------------------------------- writer

export interface TensorSpec {
  name: string;
  dims: number[];
  /** FLOAT data as float_data, or INT64 data as int64_data. */
  floats?: ArrayLike<number>;
  int64s?: readonly (number | bigint)[];
}

export type AttributeSpec =
  | { name: string; int: number }
  | { name: string; float: number }
  | { name: string; ints: number[] }
  | { name: string; string: string }
  | { name: string; tensor: TensorSpec }
  | { name: string; graph: GraphSpec };

export interface NodeSpec {
  opType: string;
  inputs: string[];
  outputs: string[];
  domain?: string;
  name?: string;
  attributes?: AttributeSpec[];
}

export interface ValueSpec {
  name: string;
  elemType: number;
  shape: Dim[];
}

export interface GraphSpec {
  name: string;
  nodes: NodeSpec[];
  inputs: ValueSpec[];
  outputs: ValueSpec[];
  initializers?: TensorSpec[];
}

export interface ModelSpec {
  irVersion?: number;
  opsetImports?: { domain: string; version: number }[];
  producerName?: string;
  graph: GraphSpec;
}

function writeTensor(w: ProtoWriter, t: TensorSpec): void {
  for (const d of t.dims) w.int(1, d);
  if (t.int64s !== undefined) {
    w.int(2, DataType.INT64);
    for (const v of t.int64s) w.int(7, v);
  } else {
    w.int(2, DataType.FLOAT);
    w.packedFloats(4, t.floats ?? []);
  }
  w.string(8, t.name);
}

function writeValue(w: ProtoWriter, v: ValueSpec): void {
  w.string(1, v.name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, v.elemType);
      tensor.message(2, (shape) => {
        for (const d of v.shape) {
          shape.message(1, (dim) => {
            if (typeof d === 'number') dim.int(1, d);
            else if (typeof d === 'string') dim.string(2, d);
          });
        }
      });
    }),
  );
}

function writeAttribute(w: ProtoWriter, a: AttributeSpec): void {
  w.string(1, a.name);
  if ('int' in a) w.int(3, a.int).int(20, AttributeType.INT);
  else if ('float' in a) w.float(2, a.float).int(20, AttributeType.FLOAT);
  else if ('ints' in a) {
    for (const i of a.ints) w.int(8, i);
    w.int(20, AttributeType.INTS);
  } else if ('string' in a) w.string(4, a.string).int(20, AttributeType.STRING);
  else if ('tensor' in a) w.message(5, (t) => writeTensor(t, a.tensor)).int(20, AttributeType.TENSOR);
  else w.message(6, (g) => writeGraph(g, a.graph)).int(20, AttributeType.GRAPH);
}

function writeGraph(w: ProtoWriter, g: GraphSpec): void {
  for (const n of g.nodes) {
    w.message(1, (node) => {
      for (const i of n.inputs) node.string(1, i);
      for (const o of n.outputs) node.string(2, o);
      if (n.name !== undefined) node.string(3, n.name);
      node.string(4, n.opType);
      for (const a of n.attributes ?? []) node.message(5, (attr) => writeAttribute(attr, a));
      if (n.domain !== undefined) node.string(7, n.domain);
    });
  }
  w.string(2, g.name);
  for (const t of g.initializers ?? []) w.message(5, (tensor) => writeTensor(tensor, t));
  for (const v of g.inputs) w.message(11, (value) => writeValue(value, v));
  for (const v of g.outputs) w.message(12, (value) => writeValue(value, v));
}

/** Serialises a model spec to ModelProto bytes that onnxruntime loads. */
export function encodeModel(spec: ModelSpec): Uint8Array {
  const w = new ProtoWriter();
  w.int(1, spec.irVersion ?? 8);
  w.string(2, spec.producerName ?? 'audata');
  w.message(7, (g) => writeGraph(g, spec.graph));
  for (const o of spec.opsetImports ?? [{ domain: '', version: 17 }]) {
    w.message(8, (opset) => {
      opset.string(1, o.domain);
      opset.int(2, o.version);
    });
  }
  return w.finish();
}
