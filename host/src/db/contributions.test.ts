import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { ContributionStore } from './contributions.ts';
import { EnclaveStateStore } from './enclave-state.ts';
import { ScoringQueue } from '../queue/scoring-queue.ts';
import { manualClock, randomHex, signedUpload, tempDatabase } from '../test-fixtures.ts';

describe('ContributionStore', () => {
  let env: Awaited<ReturnType<typeof tempDatabase>>;
  let store: ContributionStore;
  let queue: ScoringQueue;
  beforeEach(async () => {
    env = await tempDatabase();
    const clock = manualClock(5000);
    queue = new ScoringQueue(env.db, { leaseMs: 1000, maxAttempts: 3, now: clock.now });
    store = new ContributionStore(env.db, queue, clock.now);
  });
  afterEach(() => env.cleanup());

  it('records, queues and reads back a contribution', async () => {
    const upload = await signedUpload(100);
    const { created, record } = store.record({ ...upload, manifestSignature: upload.signature, sizeBytes: 100 });
    expect(created).to.equal(true);
    expect(record).to.deep.equal({
      fileId: upload.fileId,
      manifest: upload.manifest,
      manifestSignature: upload.signature,
      contributor: upload.contributor,
      sizeBytes: 100,
      status: 'queued',
      attempts: 0,
      errorCode: null,
      proof: null,
      txHash: null,
      createdAt: 5000,
      updatedAt: 5000,
    });
    expect(store.sealedKey(upload.fileId)).to.deep.equal(new Uint8Array(upload.sealedKey));
    expect(store.get(randomHex(32))).to.equal(undefined);
  });

  it('the same upload twice is one record and one queue item', async () => {
    const upload = await signedUpload(100);
    const input = { ...upload, manifestSignature: upload.signature, sizeBytes: 100 };
    store.record(input);
    const again = store.record(input);
    expect(again.created).to.equal(false);
    expect(queue.depthByState().queued).to.equal(1);
  });

  it('refuses the same file under another manifest, signature or sealed key, keeping the first', async () => {
    const upload = await signedUpload(100);
    const input = { ...upload, manifestSignature: upload.signature, sizeBytes: 100 };
    store.record(input);
    const variants = [
      { ...input, manifest: { ...input.manifest, language: 'fr' } },
      { ...input, manifestSignature: randomHex(65) },
      { ...input, sealedKey: randomBytes(80) },
    ];
    for (const variant of variants) {
      expect(() => store.record(variant)).to.throw().with.property('code', 'HOST_CONTRIBUTION_CONFLICT');
    }
    expect(store.get(upload.fileId)!.manifest).to.deep.equal(upload.manifest);
  });
});

describe('EnclaveStateStore', () => {
  it('stores the sealed dataset key and replaces it', async () => {
    const env = await tempDatabase();
    try {
      const state = new EnclaveStateStore(env.db, () => 1);
      expect(state.sealedDatasetKey()).to.equal(undefined);
      state.saveSealedDatasetKey(new Uint8Array([1, 2, 3]));
      state.saveSealedDatasetKey(new Uint8Array([4, 5]));
      expect(state.sealedDatasetKey()).to.deep.equal(new Uint8Array([4, 5]));
    } finally {
      await env.cleanup();
    }
  });
});
