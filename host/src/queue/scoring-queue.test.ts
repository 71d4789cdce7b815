import { expect } from 'chai';
import Sqlite from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import type { Hex } from 'viem';
import { ContributionStore } from '../db/contributions.ts';
import { openDatabase } from '../db/open-database.ts';
import { manualClock, signedProof, signedUpload, tempDatabase } from '../test-fixtures.ts';
import { LEASE_EXPIRED, ScoringQueue, type Lease } from './scoring-queue.ts';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return expect.fail('expected an error');
}

describe('ScoringQueue', () => {
  let env: Awaited<ReturnType<typeof tempDatabase>>;
  let clock: ReturnType<typeof manualClock>;
  let queue: ScoringQueue;
  let store: ContributionStore;

  const open = (db: Database) => {
    queue = new ScoringQueue(db, { leaseMs: 10_000, maxAttempts: 3, now: clock.now });
    store = new ContributionStore(db, queue, clock.now);
  };
  async function add(): Promise<Hex> {
    const upload = await signedUpload(64);
    store.record({ ...upload, manifestSignature: upload.signature, sizeBytes: 64 });
    clock.advance(1);
    return upload.fileId;
  }

  beforeEach(async () => {
    env = await tempDatabase();
    clock = manualClock();
    open(env.db);
  });
  afterEach(() => env.cleanup());

  it('moves an item queued → leased → scored → submitted, in upload order', async () => {
    const a = await add();
    const b = await add();
    expect(queue.depthByState()).to.deep.equal({ queued: 2, leased: 0, scored: 0, submitted: 0, failed: 0 });
    const lease = queue.lease('w1')!;
    expect(lease).to.deep.include({ fileId: a, workerId: 'w1', attempt: 1, expiresAt: clock.now() + 10_000 });
    expect(queue.lease('w2')!.fileId).to.equal(b);
    expect(queue.lease('w3')).to.equal(undefined);
    const proof = await signedProof(a);
    queue.complete(lease, proof);
    expect(queue.get(a)!.state).to.equal('scored');
    expect(queue.scored()).to.deep.equal([{ fileId: a, signed: proof }]);
    expect(queue.markSubmitted(a, '0x01')).to.equal(true);
    expect(queue.markSubmitted(a, '0x02')).to.equal(false);
    expect(queue.txHashOf(a)).to.equal('0x01');
    expect(store.get(a)).to.deep.include({ status: 'submitted', txHash: '0x01', proof });
    expect(queue.depthByState()).to.deep.equal({ queued: 0, leased: 1, scored: 0, submitted: 1, failed: 0 });
  });

  it('never queues the same file twice', async () => {
    const a = await add();
    expect(queue.enqueue(a)).to.equal(false);
    expect(queue.depthByState().queued).to.equal(1);
  });

  it('a worker that vanishes loses nothing: the lease expires and the item is leased again', async () => {
    const a = await add();
    const dropped = queue.lease('crashed-worker')!;
    clock.advance(9_999);
    expect(queue.lease('w2')).to.equal(undefined);
    clock.advance(1);
    const again = queue.lease('w2')!;
    expect(again).to.deep.include({ fileId: a, workerId: 'w2', attempt: 2 });
    // The late worker's result is fenced off by its attempt number.
    expect(codeOf(() => queue.complete(dropped, { proof: {} as never, signature: '0x' }))).to.equal('HOST_QUEUE_LEASE_LOST');
    queue.complete(again, await signedProof(a));
    expect(queue.get(a)!.state).to.equal('scored');
  });

  it('survives a host crash: the database reopened holds every item where it was', async () => {
    const a = await add();
    const b = await add();
    const c = await add();
    queue.lease('w1');
    const scoredLease = queue.lease('w1')!;
    queue.complete(scoredLease, await signedProof(b));
    // Crash: no orderly shutdown, the connection is simply gone.
    env.db.close();
    const reopened = openDatabase(env.path);
    open(reopened);
    expect(queue.get(a)!.state).to.equal('leased');
    expect(queue.get(b)!.state).to.equal('scored');
    expect(queue.get(c)!.state).to.equal('queued');
    clock.advance(10_000);
    const leased = [queue.lease('w9')!, queue.lease('w9')!].map((lease: Lease) => lease.fileId);
    expect(leased.sort()).to.deep.equal([a, c].sort());
    reopened.close();
  });

  it('renews a live lease and refuses to renew a lapsed one', async () => {
    await add();
    const lease = queue.lease('w1')!;
    clock.advance(9_000);
    const renewed = queue.renew(lease);
    expect(renewed.expiresAt).to.equal(clock.now() + 10_000);
    clock.advance(9_000);
    expect(queue.lease('w2')).to.equal(undefined);
    clock.advance(2_000);
    expect(codeOf(() => queue.renew(renewed))).to.equal('HOST_QUEUE_LEASE_LOST');
  });

  it('counts attempts and fails a poison item with its error code', async () => {
    const a = await add();
    for (let attempt = 1; attempt <= 2; attempt += 1) {
      const lease = queue.lease('w')!;
      expect(lease.attempt).to.equal(attempt);
      expect(queue.fail(lease, 'ENCLAVE_DECODE_FAILED', { retryable: true })).to.equal('queued');
    }
    expect(queue.fail(queue.lease('w')!, 'ENCLAVE_DECODE_FAILED', { retryable: true })).to.equal('failed');
    expect(queue.get(a)).to.deep.include({ state: 'failed', attempts: 3, lastErrorCode: 'ENCLAVE_DECODE_FAILED' });
    expect(queue.lease('w')).to.equal(undefined);
    expect(store.get(a)).to.deep.include({ status: 'failed', errorCode: 'ENCLAVE_DECODE_FAILED' });
  });

  it('fails at once on a permanent refusal', async () => {
    const a = await add();
    expect(queue.fail(queue.lease('w')!, 'ENCLAVE_MANIFEST_SIGNATURE', { retryable: false })).to.equal('failed');
    expect(queue.get(a)!.attempts).to.equal(1);
  });

  it('fails an item whose leases keep expiring, with HOST_QUEUE_LEASE_EXPIRED', async () => {
    const a = await add();
    for (let i = 0; i < 3; i += 1) {
      expect(queue.lease('flaky')!.fileId).to.equal(a);
      clock.advance(10_000);
    }
    expect(queue.reclaimExpired()).to.equal(1);
    expect(queue.get(a)).to.deep.include({ state: 'failed', lastErrorCode: LEASE_EXPIRED });
  });

  it('refuses to mark as submitted what was never scored', async () => {
    const a = await add();
    expect(codeOf(() => queue.markSubmitted(a, '0x01'))).to.equal('HOST_QUEUE_BAD_STATE');
    expect(codeOf(() => queue.failSubmission(a, 'X', { retryable: true }))).to.equal('HOST_QUEUE_BAD_STATE');
  });

  it('leases atomically across two connections to the same file', async () => {
    for (let i = 0; i < 20; i += 1) await add();
    const other = new Sqlite(env.path);
    other.pragma('busy_timeout = 5000');
    const second = new ScoringQueue(other, { leaseMs: 10_000, maxAttempts: 3, now: clock.now });
    const seen = new Set<string>();
    for (let i = 0; i < 10; i += 1) {
      for (const q of [queue, second]) {
        const lease = q.lease(`w${i}`)!;
        expect(seen.has(lease.fileId)).to.equal(false);
        seen.add(lease.fileId);
      }
    }
    expect(seen.size).to.equal(20);
    other.close();
  });
});
