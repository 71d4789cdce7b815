import { expect } from 'chai';
import sodium from 'libsodium-wrappers';
import { keccak256, toHex } from 'viem';
import { MAX_STATE_ROOT_BYTES, MAX_STATE_SEGMENT_BYTES } from '@audata/wire';
import { FingerprintIndex } from '../audio/uniqueness.ts';
import { encodeFingerprintEntry, FingerprintIndexSlot, joinFingerprintEntries, splitFingerprintIndex } from './fingerprint-slot.ts';
import { EMPTY_AUDIT, type RecordedResult } from './sealed-state.ts';
import { GENESIS_HEAD, migrationSegments, SegmentChainReader, SegmentedStateSealer, type SegmentContent } from './segmented-state.ts';
import { codeOf } from '@audata/wire/testing';

async function datasetKeys() {
  await sodium.ready;
  const kp = sodium.crypto_box_keypair();
  return { datasetSecretKey: kp.privateKey, datasetPublicKey: kp.publicKey };
}

const result: RecordedResult = {
  fileId: keccak256(toHex('file')), contributor: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8', valid: true, score: 7321, authenticity: 9000, ownership: 10_000, quality: 6543,
  uniqueness: 10_000, detailsHash: keccak256(toHex('details')), pipelineVersion: keccak256(toHex('pipeline')), language: 'pt-BR', termsHash: keccak256(toHex('terms')), durationSec: 12.5, hasFeatures: true,
};

/** A file's fingerprint (random words, every third masked) and its per-file entry. */
function fingerprint(words: number, seed: number) {
  const fp = { words: new Uint32Array(words).map((_, i) => (Math.imul(i + 1, 2654435761) ^ seed) >>> 0), mask: new Uint8Array(words).map((_, i) => (i % 3 === 0 ? 0 : 1)), hopSeconds: 0.02 };
  return { fp, entry: encodeFingerprintEntry(`file-${seed}`, fp) };
}

function file(i: number): SegmentContent {
  return { fingerprints: [fingerprint(300, i).entry], records: [{ manifestHash: keccak256(toHex(`m${i}`)), result: { ...result, fileId: keccak256(toHex(`f${i}`)) } }] };
}

/** A chain of `n` one-file segments and the root over them. */
async function chain(n: number, keys?: Awaited<ReturnType<typeof datasetKeys>>) {
  const k = keys ?? (await datasetKeys());
  const sealer = await SegmentedStateSealer.create(k);
  const segments = Array.from({ length: n }, (_, i) => sealer.sealSegment(file(i)));
  const root = sealer.sealRoot(BigInt(n + 1), { entries: 4, head: keccak256(toHex('audit')), lastTime: 1_700_000_000_000 }, [['ledger:1:0xbuyer', new Uint8Array([1, 2, 3])]]);
  return { keys: k, segments, root };
}

describe('segmented sealed state', () => {
  it('seals segments into a hash chain under a root, and reads back what each holds only once the chain ends at the root', async () => {
    const { keys, segments, root } = await chain(3);
    expect(segments.map((s) => s.seq)).to.deep.equal([0n, 1n, 2n]);
    const reader = await SegmentedStateSealer.create(keys);
    const opened = reader.openRoot(root.bytes);
    expect(opened).to.deep.include({ counter: 4n, segments: 3n, head: segments[2]!.sha256 });
    expect(opened.audit.entries).to.equal(4);
    expect(opened.ledgers).to.deep.equal([['ledger:1:0xbuyer', new Uint8Array([1, 2, 3])]]);
    const chainReader = new SegmentChainReader(reader, opened);
    const contents = segments.map((s) => chainReader.push(s.bytes));
    expect(contents.map((c) => c.records[0]!.manifestHash)).to.deep.equal([0, 1, 2].map((i) => keccak256(toHex(`m${i}`))));
    expect(contents[1]!.records[0]!.result).to.deep.equal({ ...result, fileId: keccak256(toHex('f1')) });
    expect(contents[2]!.fingerprints[0]).to.deep.equal(file(2).fingerprints[0]);
    chainReader.finish();
    // The chain continues where it ended: the next segment links to the last one read.
    expect(reader.segments).to.equal(3n);
    expect(reader.head).to.equal(segments[2]!.sha256);
    const next = reader.sealSegment(file(3));
    expect(next.seq).to.equal(3n);
    // An empty chain's root has the genesis head.
    const empty = await SegmentedStateSealer.create(keys);
    expect(empty.openRoot((await SegmentedStateSealer.create(keys)).sealRoot(1n, EMPTY_AUDIT, []).bytes)).to.deep.include({ segments: 0n, head: GENESIS_HEAD });
  });

  it('refuses a missing, reordered, duplicated, spliced, tampered or foreign segment with its typed error', async () => {
    const { keys, segments, root } = await chain(3);
    const open = async () => {
      const sealer = await SegmentedStateSealer.create(keys);
      return new SegmentChainReader(sealer, sealer.openRoot(root.bytes));
    };
    // Missing: the last segment never came.
    let r = await open();
    r.push(segments[0]!.bytes);
    r.push(segments[1]!.bytes);
    expect(codeOf(() => r.finish())).to.equal('STATE_SEGMENT_MISSING');
    // Reordered (or one skipped): segment 1 before segment 0.
    r = await open();
    expect(codeOf(() => r.push(segments[1]!.bytes))).to.equal('STATE_SEGMENT_OUT_OF_ORDER');
    // Duplicated: segment 0 twice.
    r = await open();
    r.push(segments[0]!.bytes);
    expect(codeOf(() => r.push(segments[0]!.bytes))).to.equal('STATE_SEGMENT_DUPLICATE');
    // Past the root's count: a segment the root does not name.
    r = await open();
    for (const s of segments) r.push(s.bytes);
    const extra = await SegmentedStateSealer.create(keys);
    extra.resume(3n, segments[2]!.sha256, 0n);
    expect(codeOf(() => r.push(extra.sealSegment(file(9)).bytes))).to.equal('STATE_SEGMENT_OUT_OF_ORDER');
    // Spliced: segment 1 of another chain under the same key (right number, wrong predecessor).
    const other = await chain(3, keys);
    r = await open();
    r.push(segments[0]!.bytes);
    expect(codeOf(() => r.push(other.segments[1]!.bytes))).to.equal('STATE_SEGMENT_CHAIN_BROKEN');
    // The same length and links but another chain's end: the root's head does not match.
    const sealer = await SegmentedStateSealer.create(keys);
    const forked = new SegmentChainReader(sealer, sealer.openRoot(other.root.bytes));
    forked.push(other.segments[0]!.bytes);
    forked.push(other.segments[1]!.bytes);
    const wrongEnd = await SegmentedStateSealer.create(keys);
    wrongEnd.resume(2n, other.segments[1]!.sha256, 0n);
    forked.push(wrongEnd.sealSegment(file(7)).bytes);
    expect(codeOf(() => forked.finish())).to.equal('STATE_SEGMENT_CHAIN_BROKEN');
    // Tampered: one bit of the ciphertext, or of the header (the sequence number is associated data).
    r = await open();
    const flipped = segments[0]!.bytes.slice();
    flipped[flipped.length - 1]! ^= 1;
    expect(codeOf(() => r.push(flipped))).to.equal('STATE_TAMPERED');
    const renumbered = segments[1]!.bytes.slice();
    renumbered[12] = 0;
    expect(codeOf(() => r.push(renumbered))).to.equal('STATE_TAMPERED');
    expect(codeOf(() => r.push(new Uint8Array([0x41, 0x55, 0x53, 0x58, ...segments[0]!.bytes.subarray(4)])))).to.equal('STATE_TAMPERED');
    // Foreign: another dataset's segment.
    const foreign = await chain(1);
    expect(codeOf(() => r.push(foreign.segments[0]!.bytes))).to.equal('STATE_WRONG_KEY');
    expect(codeOf(() => r.push(segments[0]!.bytes.subarray(0, 100)))).to.equal('STATE_TRUNCATED');
    expect(codeOf(() => r.push(new Uint8Array(MAX_STATE_SEGMENT_BYTES + 1)))).to.equal('STATE_TOO_LARGE');
    const version = segments[0]!.bytes.slice();
    version[4] = 9;
    expect(codeOf(() => r.push(version))).to.equal('STATE_VERSION_UNSUPPORTED');
    // After all those refusals the reader is where it was: the right segments still go in.
    for (const s of segments) r.push(s.bytes);
    r.finish();
  });

  it('refuses a root that is foreign, altered, too large, or older than one this boot saw', async () => {
    const stranger = (await chain(1)).root.bytes;
    const { keys, root } = await chain(1);
    const sealer = await SegmentedStateSealer.create(keys);
    const altered = root.bytes.slice();
    altered[60]! ^= 1;
    expect(codeOf(() => sealer.openRoot(altered))).to.equal('STATE_TAMPERED');
    expect(codeOf(() => sealer.openRoot(new Uint8Array(MAX_STATE_ROOT_BYTES + 1)))).to.equal('STATE_TOO_LARGE');
    expect(codeOf(() => sealer.openRoot(stranger))).to.equal('STATE_WRONG_KEY');
    sealer.openRoot(root.bytes);
    const older = (await SegmentedStateSealer.create(keys)).sealRoot(1n, EMPTY_AUDIT, []);
    expect(codeOf(() => sealer.openRoot(older.bytes))).to.equal('STATE_ROLLBACK');
    expect(codeOf(() => sealer.sealRoot(2n, EMPTY_AUDIT, []))).to.equal('STATE_ROLLBACK');
    // A segment that would not fit in one is refused before sealing; so is a root whose ledgers outgrow it.
    expect(codeOf(() => sealer.sealSegment({ fingerprints: [new Uint8Array(MAX_STATE_SEGMENT_BYTES)], records: [] }))).to.equal('STATE_TOO_LARGE');
    expect(codeOf(() => sealer.sealRoot(9n, EMPTY_AUDIT, [['big', new Uint8Array(MAX_STATE_ROOT_BYTES)]]))).to.equal('STATE_TOO_LARGE');
  });

  it('cuts a format 3 index into per-file entries and packs them with the records into segments that fit', async () => {
    const index = new FingerprintIndex();
    const fps = [fingerprint(400, 1), fingerprint(250, 2), fingerprint(90, 3)];
    fps.forEach(({ fp }, i) => index.checkAndInsert(`file-${i + 1}`, fp));
    const bytes = index.serialize();
    const entries = splitFingerprintIndex(bytes);
    expect(entries).to.have.length(3);
    expect(joinFingerprintEntries(entries)).to.deep.equal(bytes);
    expect(entries[1]).to.deep.equal(fps[1]!.entry);
    expect(codeOf(() => splitFingerprintIndex(bytes.subarray(0, bytes.length - 1)))).to.equal('STATE_CORRUPT');
    expect(splitFingerprintIndex(new Uint8Array(0))).to.deep.equal([]);
    // Packing: everything in one segment when it fits, several when not, nothing lost or reordered.
    const records = Array.from({ length: 5 }, (_, i) => ({ manifestHash: keccak256(toHex(`m${i}`)) }));
    const one = migrationSegments({ fingerprintIndex: bytes, records }, splitFingerprintIndex);
    expect(one).to.have.length(1);
    expect(one[0]!.fingerprints).to.have.length(3);
    const huge = Array.from({ length: 3 }, () => new Uint8Array(2 * 1024 * 1024));
    const many = migrationSegments({ fingerprintIndex: new Uint8Array(0), records }, () => huge);
    expect(many.map((c) => c.fingerprints.length)).to.deep.equal([1, 1, 1]);
    expect(many.flatMap((c) => c.records)).to.deep.equal(records);
    const sealer = await SegmentedStateSealer.create(await datasetKeys());
    for (const content of many) expect(sealer.sealSegment(content).bytes.length).to.be.at.most(MAX_STATE_SEGMENT_BYTES);
  });

  it('the fingerprint slot hands out each inserted file once, and rebuilds the index from the entries', () => {
    const slot = new FingerprintIndexSlot();
    const a = fingerprint(300, 11);
    const b = fingerprint(300, 12);
    expect(slot.current.checkAndInsert('file-11', a.fp).inserted).to.equal(true);
    expect(slot.takeAdded()).to.deep.equal([a.entry]);
    expect(slot.takeAdded()).to.deep.equal([]);
    // A replay is not inserted, so nothing new leaves.
    expect(slot.current.checkAndInsert('copy', a.fp).inserted).to.equal(false);
    slot.current.checkAndInsert('file-12', b.fp);
    const added = slot.takeAdded();
    expect(added).to.deep.equal([b.entry]);
    const restored = new FingerprintIndexSlot();
    restored.restoreEntries([a.entry, ...added]);
    expect(restored.current.size).to.equal(2);
    expect(restored.takeAdded()).to.deep.equal([]);
    expect(restored.current.checkAndInsert('again', b.fp).uniqueness).to.equal(0);
    // The restored index still reports its insertions.
    const c = fingerprint(300, 13);
    restored.current.checkAndInsert('file-13', c.fp);
    expect(restored.takeAdded()).to.deep.equal([c.entry]);
  });
});
