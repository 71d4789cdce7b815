import { expect } from 'chai';
import type { AudataError } from '@audata/wire';
import type { Hex } from 'viem';
import type { SignedProof } from '../deps.ts';
import { ContributionStore } from '../db/contributions.ts';
import { manualClock, MemoryRegistry, signedProof, signedUpload, tempDatabase } from '../test-fixtures.ts';
import { ScoringQueue } from './scoring-queue.ts';
import { submitProof } from './submit-proof.ts';

describe('submitProof', () => {
  let env: Awaited<ReturnType<typeof tempDatabase>>;
  let queue: ScoringQueue;
  let chain: MemoryRegistry;
  let fileId: Hex;
  let proof: SignedProof;

  beforeEach(async () => {
    env = await tempDatabase();
    const clock = manualClock();
    queue = new ScoringQueue(env.db, { leaseMs: 1000, maxAttempts: 3, now: clock.now });
    const store = new ContributionStore(env.db, queue, clock.now);
    const upload = await signedUpload(32);
    store.record({ ...upload, manifestSignature: upload.signature, sizeBytes: 32 });
    fileId = upload.fileId;
    proof = await signedProof(fileId, upload.contributor);
    queue.complete(queue.lease('w')!, proof);
    chain = new MemoryRegistry();
  });
  afterEach(() => env.cleanup());

  it('submits once; a retry returns the same transaction and rewards nothing more', async () => {
    const first = await submitProof(queue, chain, fileId);
    expect(first.sentNow).to.equal(true);
    const again = await submitProof(queue, chain, fileId);
    expect(again).to.deep.equal({ txHash: first.txHash, sentNow: false });
    expect(chain.rewards).to.equal(1);
    expect(queue.get(fileId)!.state).to.equal('submitted');
  });

  it('a host that crashed after sending, before recording, does not send again', async () => {
    const sent = await chain.submitProof(proof);
    const result = await submitProof(queue, chain, fileId);
    expect(result).to.deep.equal({ txHash: sent.txHash, sentNow: false });
    expect(chain.rewards).to.equal(1);
    expect(queue.txHashOf(fileId)).to.equal(sent.txHash);
  });

  it("when another submitter's record is not yet readable, stays scored and records its transaction on the next try", async () => {
    const sent = await chain.submitProof(proof);
    chain.hideFromFind = true;
    await submitProof(queue, chain, fileId).then(
      () => expect.fail('should throw'),
      (error: AudataError) => expect(error.code).to.equal('CHAIN_PROOF_EXISTS'),
    );
    expect(queue.get(fileId)).to.deep.include({ state: 'scored', lastErrorCode: 'CHAIN_PROOF_EXISTS' });
    expect(await submitProof(queue, chain, fileId)).to.deep.equal({ txHash: sent.txHash, sentNow: false });
    expect(chain.rewards).to.equal(1);
  });

  it('keeps a proof scored across failed sends, then fails it after the attempts run out', async () => {
    chain.failNext = 1;
    await submitProof(queue, chain, fileId).then(
      () => expect.fail('should throw'),
      (error: Error) => expect(error.message).to.equal('rpc timeout'),
    );
    expect(queue.get(fileId)).to.deep.include({ state: 'scored', submitAttempts: 1, lastErrorCode: 'HOST_CHAIN_SUBMIT_FAILED' });
    expect((await submitProof(queue, chain, fileId)).sentNow).to.equal(true);

    const other = await tempDatabase();
    try {
      const q = new ScoringQueue(other.db, { leaseMs: 1000, maxAttempts: 2, now: () => 1 });
      const upload = await signedUpload(32);
      new ContributionStore(other.db, q).record({ ...upload, manifestSignature: upload.signature, sizeBytes: 32 });
      q.complete(q.lease('w')!, await signedProof(upload.fileId));
      chain.failNext = 2;
      for (let i = 0; i < 2; i += 1) await submitProof(q, chain, upload.fileId).catch(() => undefined);
      expect(q.get(upload.fileId)).to.deep.include({ state: 'failed', submitAttempts: 2 });
    } finally {
      await other.cleanup();
    }
  });
});
