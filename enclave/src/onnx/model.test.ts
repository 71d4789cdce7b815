import { expect } from 'chai';
import { allNodes, allTensors, DataType, decodeModel, encodeModel, type ModelSpec } from './model.ts';
import { ProtoWriter } from './protobuf.ts';
import { JobModelMalformedError } from '../jobs/errors.ts';

const spec: ModelSpec = {
  irVersion: 9,
  opsetImports: [{ domain: '', version: 17 }],
  producerName: 'test',
  graph: {
    name: 'g',
    nodes: [
      { opType: 'MatMul', inputs: ['X', 'W'], outputs: ['Z'], name: 'mm' },
      { opType: 'If', inputs: ['c'], outputs: ['Y'], attributes: [
        { name: 'then_branch', graph: { name: 'then', nodes: [{ opType: 'Identity', inputs: ['Z'], outputs: ['Y1'] }], inputs: [], outputs: [{ name: 'Y1', elemType: DataType.FLOAT, shape: [null, 4] }], initializers: [{ name: 'k', dims: [3], floats: [1, 2, 3] }] } },
        { name: 'else_branch', graph: { name: 'else', nodes: [{ opType: 'Neg', inputs: ['Z'], outputs: ['Y2'], domain: 'ai.onnx' }], inputs: [], outputs: [{ name: 'Y2', elemType: DataType.FLOAT, shape: [null, 4] }] } },
      ] },
    ],
    initializers: [{ name: 'W', dims: [8, 4], floats: new Float32Array(32) }, { name: 'shape', dims: [2], int64s: [-1, 4] }],
    inputs: [{ name: 'X', elemType: DataType.FLOAT, shape: ['batch', 8] }, { name: 'c', elemType: DataType.BOOL, shape: [] }],
    outputs: [{ name: 'Y', elemType: DataType.FLOAT, shape: ['batch', 4] }],
  },
};

describe('onnx/model', () => {
  it('round-trips what it writes: opsets, nodes, nested graphs, shapes and tensor sizes', () => {
    const model = decodeModel(encodeModel(spec));
    expect(model.irVersion).to.equal(9);
    expect(model.producerName).to.equal('test');
    expect(model.opsetImports).to.deep.equal([{ domain: '', version: 17 }]);
    expect(model.graph.inputs).to.deep.equal([{ name: 'X', elemType: 1, shape: ['batch', 8] }, { name: 'c', elemType: 9, shape: [] }]);
    expect(model.graph.outputs[0]).to.deep.equal({ name: 'Y', elemType: 1, shape: ['batch', 4] });
    expect([...allNodes(model.graph)].map((n) => `${n.domain}:${n.opType}`)).to.deep.equal([':MatMul', ':If', ':Identity', 'ai.onnx:Neg']);
    expect(model.graph.nodes[0]!.name).to.equal('mm');
    expect([...allTensors(model.graph)].map((t) => [t.name, t.dims, t.byteLength])).to.deep.equal([['W', [8, 4], 128], ['shape', [2], 16], ['k', [3], 12]]);
    expect(model.graph.nodes[1]!.attributes[0]!.graphs[0]!.outputs[0]!.shape).to.deep.equal([null, 4]);
  });

  it('reads raw_data, unpacked and packed repeated fields, external data flags, functions and sparse initializers', () => {
    const w = new ProtoWriter();
    w.int(1, 8);
    w.message(7, (g) => {
      g.message(5, (t) => t.bytes(1, Uint8Array.from([2, 3])).int(2, DataType.FLOAT).string(8, 'raw').bytes(9, new Uint8Array(24)));
      g.message(5, (t) => t.int(1, 4).int(2, DataType.FLOAT).string(8, 'ext').int(14, 1));
      g.message(15, () => undefined);
    });
    w.message(25, (f) => f.string(1, 'fn'));
    const model = decodeModel(w.finish());
    expect(model.graph.initializers.map((t) => [t.name, t.dims, t.byteLength, t.external])).to.deep.equal([['raw', [2, 3], 24, false], ['ext', [4], 0, true]]);
    expect(model.functions).to.equal(1);
    expect(model.graph.sparseInitializers).to.equal(1);
  });

  it('refuses malformed bytes with a typed error and never throws anything else', () => {
    const good = encodeModel(spec);
    const cases: Uint8Array[] = [
      new Uint8Array(0),
      Uint8Array.from([0x08]), // truncated varint
      Uint8Array.from([0x0b]), // wire type 3 (group)
      Uint8Array.from([0x3a, 0x7f, 0x00]), // graph declares 127 bytes
      Uint8Array.from([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), // 11-byte varint
      Uint8Array.from([0x08, 0x08]), // ir_version but no graph
      new ProtoWriter().int(1, 8).message(7, (g) => g.int(2, 5)).finish(), // name with varint wire type
      new ProtoWriter().int(1, 8).message(7, (g) => g.message(5, (t) => t.int(1, -3))).finish(), // negative dim
      new ProtoWriter().int(1, 8).message(7, (g) => g.bytes(2, Uint8Array.from([0xc3, 0x28]))).finish(), // bad UTF-8
    ];
    // A graph nested 20 levels deep.
    let nested: ModelSpec['graph'] = { name: 'leaf', nodes: [], inputs: [], outputs: [] };
    for (let i = 0; i < 20; i++) nested = { name: `g${i}`, nodes: [{ opType: 'If', inputs: [], outputs: [], attributes: [{ name: 'then_branch', graph: nested }] }], inputs: [], outputs: [] };
    cases.push(encodeModel({ graph: nested }));
    for (let cut = 1; cut < good.length; cut += 7) cases.push(good.subarray(0, cut));
    for (const bytes of cases) {
      try {
        decodeModel(bytes);
      } catch (error) {
        expect(error).to.be.instanceOf(JobModelMalformedError);
        expect((error as JobModelMalformedError).code).to.equal('JOB_MODEL_MALFORMED');
        continue;
      }
      // A truncation can land on a field boundary and still be a valid (smaller) model, but never one with the full graph.
      expect(bytes.length).to.be.lessThan(good.length);
    }
    expect(() => decodeModel(Uint8Array.from([0x0b]))).to.throw(JobModelMalformedError);
  });
});
