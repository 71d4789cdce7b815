import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import Sqlite from 'better-sqlite3';
import sodium from 'libsodium-wrappers';
import type { Hex } from 'viem';
import { decodeStateBundle, encodeStateBundle, peekSegmentHeader, type SealedStateRefJson } from '@audata/wire';
import { SegmentedStateSealer } from '../../enclave/src/state/segmented-state.ts';
import { loadMigrations } from './db/migrate.ts';
import { openDatabase } from './db/open-database.ts';
import { SealedEnclaveStateStore } from './enclave-state.ts';
import { tempDatabase } from './test-fixtures.ts';
import { codeOf } from '@audata/wire/testing';

const sha256 = (bytes: Uint8Array): Hex => `0x${createHash('sha256').update(bytes).digest('hex')}`;
const EMPTY_AUDIT = { entries: 0, head: `0x${'00'.repeat(32)}` as Hex, lastTime: 0 };

/** An enclave's state sealer over a random dataset key: each `next` is a reply's bundle (segments of `sizes` bytes, then a root). */
async function enclave() {
  await sodium.ready;
  const kp = sodium.crypto_box_keypair();
  const sealer = await SegmentedStateSealer.create({ datasetSecretKey: kp.privateKey, datasetPublicKey: kp.publicKey });
  let counter = 0n;
  return {
    next(...sizes: number[]): { ref: SealedStateRefJson; blob: Uint8Array } {
      const segments = sizes.map((size) => sealer.sealSegment({ fingerprints: [new Uint8Array(randomBytes(size))], records: [] }).bytes);
      const root = sealer.sealRoot((counter += 1n), EMPTY_AUDIT, []);
      const blob = encodeStateBundle({ segments, root: root.bytes });
      return { ref: { counter: root.counter.toString(), sha256: root.sha256, bytes: blob.length }, blob };
    },
  };
}

const seqs = (bundles: Iterable<Uint8Array>) => [...bundles].map((b) => decodeStateBundle(b).segments.map((s) => Number(peekSegmentHeader(s).seq)));

describe('SealedEnclaveStateStore', () => {
  let env: Awaited<ReturnType<typeof tempDatabase>>;
  beforeEach(async () => {
    env = await tempDatabase();
  });
  afterEach(() => env.cleanup());

  it('keeps every segment and the latest two roots; boot hands over the root, then the segments in bundles under the batch size', async () => {
    const e = await enclave();
    const store = new SealedEnclaveStateStore(env.db, () => 42);
    expect(store.latest()).to.equal(undefined);
    expect(store.bootAttachment()).to.deep.equal(new Uint8Array(0));
    expect(seqs(store.segmentBundles())).to.deep.equal([]);
    const [a, b, c] = [e.next(), e.next(1000, 1000), e.next(1000)];
    expect(store.save(a.ref, a.blob)).to.deep.equal({ stored: true });
    expect(store.save(b.ref, b.blob)).to.deep.equal({ stored: true });
    expect(store.save(c.ref, c.blob)).to.deep.equal({ stored: true });
    const root = decodeStateBundle(c.blob).root!;
    expect(store.latest()).to.deep.equal({ counter: 3n, sha256: c.ref.sha256, blob: root, segments: 3n, savedAt: 42 });
    expect(store.previous()!.counter).to.equal(2n);
    expect(decodeStateBundle(store.bootAttachment())).to.deep.equal({ segments: [], root });
    expect(seqs(store.segmentBundles(2500))).to.deep.equal([[0, 1], [2]]);
    expect(seqs(store.segmentBundles())).to.deep.equal([[0, 1, 2]]);
    expect(env.db.prepare('SELECT count(*) FROM sealed_enclave_state').pluck().get()).to.equal(2);
    expect(env.db.prepare('SELECT count(*) FROM enclave_state_segments').pluck().get()).to.equal(3);
  });

  it('holds a root back until every segment it names is stored (replies kept out of order), ignores an older root and the same one twice', async () => {
    const e = await enclave();
    const store = new SealedEnclaveStateStore(env.db);
    const [one, two, three] = [e.next(100), e.next(100), e.next(100)];
    store.save(one.ref, one.blob);
    // Reply 3 is kept before reply 2: its root names segment 1, which only reply 2 carries.
    expect(store.save(three.ref, three.blob)).to.deep.equal({ stored: true });
    expect(store.latest()!.counter).to.equal(1n);
    expect(seqs(store.segmentBundles())).to.deep.equal([[0]]);
    expect(store.save(two.ref, two.blob)).to.deep.equal({ stored: true });
    expect(store.latest()!.counter).to.equal(3n);
    expect(seqs(store.segmentBundles())).to.deep.equal([[0, 1, 2]]);
    expect(store.save(three.ref, three.blob)).to.deep.equal({ stored: false });
    expect(store.save(one.ref, one.blob)).to.deep.equal({ stored: false });
    expect(store.latest()!.counter).to.equal(3n);
    // The waiting root 3 was promoted and root 1 pruned: 2 and 3 remain.
    expect(env.db.prepare('SELECT counter FROM sealed_enclave_state ORDER BY counter').pluck().safeIntegers(false).all()).to.deep.equal([2, 3]);
  });

  it('refuses a bundle that does not match its reference, is not a bundle, or differs from what is stored, keeping what is stored', async () => {
    const e = await enclave();
    const store = new SealedEnclaveStateStore(env.db);
    const kept = e.next(100);
    store.save(kept.ref, kept.blob);
    const next = e.next(100);
    const damaged = next.blob.slice();
    damaged[damaged.length - 3]! ^= 1;
    expect(codeOf(() => store.save(next.ref, damaged))).to.equal('HOST_ENCLAVE_STATE_MISMATCH');
    expect(codeOf(() => store.save(next.ref, next.blob.subarray(1)))).to.equal('HOST_ENCLAVE_STATE_MISMATCH');
    expect(codeOf(() => store.save({ ...next.ref, bytes: 20 }, next.blob.subarray(0, 20)))).to.equal('HOST_ENCLAVE_STATE_MISMATCH');
    expect(codeOf(() => store.save({ ...next.ref, counter: '9'.repeat(20) }, next.blob))).to.equal('HOST_ENCLAVE_STATE_MISMATCH');
    expect(codeOf(() => store.save({ ...next.ref, counter: '7' }, next.blob))).to.equal('HOST_ENCLAVE_STATE_MISMATCH');
    const noRoot = encodeStateBundle({ segments: [] });
    expect(codeOf(() => store.save({ ...next.ref, bytes: noRoot.length }, noRoot))).to.equal('HOST_ENCLAVE_STATE_MISMATCH');
    // Another enclave's chain under the same numbers: segment 0 and root 1 already stored differently.
    const other = await enclave();
    const fork = other.next(100);
    expect(codeOf(() => store.save(fork.ref, fork.blob))).to.equal('HOST_ENCLAVE_STATE_CONFLICT');
    // A root (counter 2, new) whose last segment is another chain's: refused by the stored segment's hash.
    const forkRoot = encodeStateBundle({ segments: [], root: decodeStateBundle(other.next().blob).root! });
    expect(codeOf(() => store.save({ counter: '2', sha256: sha256(decodeStateBundle(forkRoot).root!), bytes: forkRoot.length }, forkRoot))).to.equal('HOST_ENCLAVE_STATE_CONFLICT');
    expect(store.latest()!.counter).to.equal(1n);
    expect(store.latest()!.blob).to.deep.equal(decodeStateBundle(kept.blob).root);
    expect(env.db.prepare('SELECT count(*) FROM enclave_state_segments').pluck().get()).to.equal(1);
  });

  it('is durable: a saved state is there after the database is closed and opened again', async () => {
    const e = await enclave();
    const store = new SealedEnclaveStateStore(env.db);
    const big = e.next(3 * 1024 * 1024);
    store.save(big.ref, big.blob);
    env.db.close();
    const again = openDatabase(env.path);
    try {
      const reopened = new SealedEnclaveStateStore(again);
      expect(reopened.latest()!.counter).to.equal(1n);
      expect(decodeStateBundle([...reopened.segmentBundles()][0]!).segments[0]).to.deep.equal(decodeStateBundle(big.blob).segments[0]);
    } finally {
      again.close();
    }
  });

  it('its migrations apply to a database made before them; a one-blob state stored before segments is handed back as it is', async () => {
    env.db.close();
    const path = `${env.path}.old`;
    openDatabase(path, { migrations: loadMigrations().filter((m) => m.version <= 3) }).close();
    const raw = new Sqlite(path);
    expect(raw.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'enclave_state_segments'").pluck().get()).to.equal(0);
    // A format 3 blob as the previous release stored it (the host never looks inside).
    const legacy = new Uint8Array(randomBytes(300));
    legacy.set([0x41, 0x55, 0x53, 0x54, 3]);
    raw.prepare('INSERT INTO sealed_enclave_state (counter, sha256, blob, saved_at) VALUES (?, ?, ?, ?)').run(9, sha256(legacy), Buffer.from(legacy), 1);
    raw.close();
    const db = openDatabase(path);
    try {
      const store = new SealedEnclaveStateStore(db);
      expect(db.prepare('SELECT name FROM schema_version WHERE version = 4').pluck().get()).to.equal('enclave-state-segments');
      expect(store.latest()).to.deep.include({ counter: 9n, segments: 0n });
      expect(store.bootAttachment()).to.deep.equal(legacy);
      expect(seqs(store.segmentBundles())).to.deep.equal([]);
    } finally {
      db.close();
    }
  });
});
