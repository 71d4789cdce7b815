import { expect } from 'chai';
import { AUDIT_ENTRY_BYTES, decodeStateBundle, encodeStateBundle, isStateBundle, MAX_BUNDLE_AUDIT_ENTRIES, MAX_BUNDLE_AUDIT_HEADS, MAX_STATE_ROOT_BYTES, MAX_STATE_SEGMENT_BYTES, peekRootHeader, peekSegmentHeader, type BundleAuditEntry, type BundleAuditHead } from './channel-state.ts';
import { codeOf } from './testing.ts';

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

  describe('audit section', () => {
    const h = (byte: string, n = 32) => `0x${byte.repeat(n)}` as const;
    const entries: BundleAuditEntry[] = [
      { seq: 41, prevHash: h('11'), kind: 1, payloadDigest: h('22'), time: 1_700_000_000_000 },
      { seq: 42, prevHash: h('33'), kind: 4, payloadDigest: h('44'), time: 1_700_000_000_005 },
    ];
    const heads: BundleAuditHead[] = [{ seq: 40, head: h('55'), signer: h('66', 20), signature: h('77', 65) }, { seq: 42, head: h('88'), signer: h('66', 20), signature: h('99', 65) }];
    const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.length);
    // Where the audit section starts in a bundle of one 10-byte segment and a 5-byte root.
    const at = 8 + 4 + 10 + 4 + 5;
    const good = encodeStateBundle({ segments: [new Uint8Array(10)], root: new Uint8Array(5), audit: { entries, heads } });

    it('round-trips entries and heads after the root, and an empty section; a bundle without one has none', () => {
      expect(decodeStateBundle(good).audit).to.deep.equal({ entries, heads });
      expect(decodeStateBundle(good).root).to.deep.equal(new Uint8Array(5));
      expect(decodeStateBundle(encodeStateBundle({ segments: [], root: new Uint8Array(3), audit: { entries: [], heads: [] } })).audit).to.deep.equal({ entries: [], heads: [] });
      expect(decodeStateBundle(encodeStateBundle({ segments: [], root: new Uint8Array(3) }))).to.not.have.property('audit');
    });

    it('refuses lying counts, counts over the caps, values past 2^53, gaps, reordered heads and trailing bytes', () => {
      const refuse = (edit: (b: Uint8Array) => void): string | undefined => {
        const bytes = good.slice();
        edit(bytes);
        return codeOf(() => decodeStateBundle(bytes));
      };
      expect(refuse((b) => view(b).setUint32(at, 3))).to.equal('CHANNEL_MESSAGE_INVALID');
      expect(refuse((b) => view(b).setUint32(at, 0xffffffff))).to.equal('CHANNEL_MESSAGE_INVALID');
      expect(refuse((b) => view(b).setUint32(at + 4 + 2 * AUDIT_ENTRY_BYTES, 3))).to.equal('CHANNEL_MESSAGE_INVALID');
      expect(refuse((b) => view(b).setBigUint64(at + 4, 2n ** 60n))).to.equal('CHANNEL_MESSAGE_INVALID');
      expect(refuse((b) => view(b).setBigUint64(at + 4 + 73, 2n ** 60n))).to.equal('CHANNEL_MESSAGE_INVALID');
      expect(refuse((b) => view(b).setBigUint64(at + 4 + AUDIT_ENTRY_BYTES, 44n))).to.equal('CHANNEL_MESSAGE_INVALID');
      expect(refuse((b) => view(b).setBigUint64(at + 4 + 2 * AUDIT_ENTRY_BYTES + 4 + 125, 40n))).to.equal('CHANNEL_MESSAGE_INVALID');
      expect(codeOf(() => decodeStateBundle(new Uint8Array([...good, 0])))).to.equal('CHANNEL_MESSAGE_INVALID');
      expect(codeOf(() => decodeStateBundle(good.subarray(0, good.length - 1)))).to.equal('CHANNEL_MESSAGE_INVALID');
      expect(codeOf(() => decodeStateBundle(good.subarray(0, at + 2)))).to.equal('CHANNEL_MESSAGE_INVALID');
      // Over the caps even when the bytes would be there: no section of more than the caps is read.
      const many = (n: number) => Array.from({ length: n }, (_, i) => ({ ...entries[0]!, seq: i }));
      expect(codeOf(() => decodeStateBundle(encodeStateBundle({ segments: [], audit: { entries: many(MAX_BUNDLE_AUDIT_ENTRIES + 1), heads: [] } })))).to.equal('CHANNEL_MESSAGE_INVALID');
      expect(decodeStateBundle(encodeStateBundle({ segments: [], audit: { entries: many(MAX_BUNDLE_AUDIT_ENTRIES), heads: [] } })).audit!.entries).to.have.length(MAX_BUNDLE_AUDIT_ENTRIES);
      const manyHeads = Array.from({ length: MAX_BUNDLE_AUDIT_HEADS + 1 }, (_, i) => ({ ...heads[0]!, seq: i }));
      expect(codeOf(() => decodeStateBundle(encodeStateBundle({ segments: [], audit: { entries: [], heads: manyHeads } })))).to.equal('CHANNEL_MESSAGE_INVALID');
    });
  });
});
