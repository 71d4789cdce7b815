import { expect } from 'chai';
import { decodeStateBundle, encodeStateBundle, isStateBundle, MAX_STATE_ROOT_BYTES, MAX_STATE_SEGMENT_BYTES, peekRootHeader, peekSegmentHeader } from './channel-state.ts';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
};

describe('state bundles (channel)', () => {
  it('round-trips segments and a root, or segments alone', () => {
    const segments = [new Uint8Array([1, 2, 3]), new Uint8Array(0), new Uint8Array([4])];
    const root = new Uint8Array([9, 9]);
    const bytes = encodeStateBundle({ segments, root });
    expect(isStateBundle(bytes)).to.equal(true);
    expect(decodeStateBundle(bytes)).to.deep.equal({ segments, root });
    expect(decodeStateBundle(encodeStateBundle({ segments }))).to.deep.equal({ segments });
    expect(isStateBundle(new Uint8Array([0x41, 0x55, 0x53, 0x54, 3]))).to.equal(false);
  });

  it('checks every count and length against the bytes present and the caps before slicing', () => {
    const good = encodeStateBundle({ segments: [new Uint8Array(10)], root: new Uint8Array(5) });
    const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.length);
    expect(codeOf(() => decodeStateBundle(good.subarray(0, good.length - 1)))).to.equal('CHANNEL_MESSAGE_INVALID');
    expect(codeOf(() => decodeStateBundle(new Uint8Array([...good, 0])))).to.equal('CHANNEL_MESSAGE_INVALID');
    expect(codeOf(() => decodeStateBundle(good.subarray(0, 8)))).to.equal('CHANNEL_MESSAGE_INVALID');
    const lyingCount = good.slice();
    view(lyingCount).setUint32(4, 0xffffffff);
    expect(codeOf(() => decodeStateBundle(lyingCount))).to.equal('CHANNEL_MESSAGE_INVALID');
    const lyingSegment = good.slice();
    view(lyingSegment).setUint32(8, 1000);
    expect(codeOf(() => decodeStateBundle(lyingSegment))).to.equal('CHANNEL_MESSAGE_INVALID');
    const hugeSegment = good.slice();
    view(hugeSegment).setUint32(8, MAX_STATE_SEGMENT_BYTES + 1);
    expect(codeOf(() => decodeStateBundle(hugeSegment))).to.equal('CHANNEL_MESSAGE_INVALID');
    const hugeRoot = good.slice();
    view(hugeRoot).setUint32(22, MAX_STATE_ROOT_BYTES + 1);
    expect(codeOf(() => decodeStateBundle(hugeRoot))).to.equal('CHANNEL_MESSAGE_INVALID');
    const wrongMagic = good.slice();
    wrongMagic[0] = 0;
    expect(codeOf(() => decodeStateBundle(wrongMagic))).to.equal('CHANNEL_MESSAGE_INVALID');
    // Headers the host reads are checked for their size and magic; anything else is the enclave's to refuse.
    expect(codeOf(() => peekSegmentHeader(new Uint8Array(50)))).to.equal('CHANNEL_MESSAGE_INVALID');
    expect(codeOf(() => peekRootHeader(new Uint8Array(200)))).to.equal('CHANNEL_MESSAGE_INVALID');
    const root = new Uint8Array(125);
    root.set([0x41, 0x55, 0x53, 0x54, 4]);
    new DataView(root.buffer).setBigUint64(5, 7n);
    new DataView(root.buffer).setBigUint64(45, 3n);
    root.fill(0xab, 53, 85);
    expect(peekRootHeader(root)).to.deep.equal({ counter: 7n, segments: 3n, head: `0x${'ab'.repeat(32)}` });
  });
});
