import { expect } from 'chai';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { Hex } from 'viem';
import { FsBlobStore } from '../blobs/fs-store.ts';
import { ContributionStore } from '../db/contributions.ts';
import type { ScoreRequest, SignedProof } from '../deps.ts';
import { createLogger } from '../log.ts';
import { createHostMetrics } from '../metrics.ts';
import { ScoringQueue } from '../queue/scoring-queue.ts';
import type { StepOutcome } from '../queue/worker.ts';
import { MemoryRegistry, signedProof, signedUpload, tempDatabase } from '../test-fixtures.ts';
import { ScoringWorker } from './scoring-worker.ts';

/** A registry whose transactions take `ms` each, one at a time, like an operator's nonce-ordered sends. */
class SlowRegistry extends MemoryRegistry {
  #line: Promise<unknown> = Promise.resolve();
  constructor(readonly ms: number) {
    super();
  }
  override submitProof(signed: SignedProof) {
    const run = this.#line.then(async () => {
      await new Promise((resolve) => setTimeout(resolve, this.ms));
      return super.submitProof(signed);
    });
    this.#line = run.catch(() => undefined);
    return run;
  }
}

describe('ScoringWorker', function () {
  this.timeout(20_000);
  let env: Awaited<ReturnType<typeof tempDatabase>>;
  let queue: ScoringQueue;
  let contributions: ContributionStore;
  let blobs: FsBlobStore;
  const logger = createLogger({ sink: () => {} });

  beforeEach(async () => {
    env = await tempDatabase();
    queue = new ScoringQueue(env.db, { leaseMs: 30_000, maxAttempts: 3 });
    contributions = new ContributionStore(env.db, queue);
    blobs = new FsBlobStore(join(env.dir, 'blobs'));
  });
  afterEach(() => env.cleanup());

  async function upload(): Promise<Hex> {
    const u = await signedUpload(3000);
    await blobs.put(u.fileId, Readable.from([Buffer.from(u.ciphertext)]), { maxBytes: 10_000 });
    contributions.record({ ...u, manifestSignature: u.signature, sizeBytes: 3000 });
    return u.fileId;
  }

  /** An enclave that takes `ms` per file and records how many it held at once. */
  function enclave(ms: number) {
    const seen = { inside: 0, most: 0, order: [] as Hex[] };
    return {
      seen,
      score: async (request: ScoreRequest) => {
        for await (const _ of request.ciphertext);
        seen.inside += 1;
        seen.most = Math.max(seen.most, seen.inside);
        seen.order.push(request.fileId);
        await new Promise((resolve) => setTimeout(resolve, ms));
        seen.inside -= 1;
        return signedProof(request.fileId);
      },
    };
  }

  async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error('timed out');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  it('keeps `concurrency` files in the enclave at once, and each file is scored and submitted once', async () => {
    const files = await Promise.all(Array.from({ length: 6 }, () => upload()));
    const fake = enclave(60);
    const chain = new MemoryRegistry();
    const worker = new ScoringWorker({ queue, contributions, blobs, enclave: fake, chain, logger, workerId: 'w', concurrency: 2, idleMs: 10 });
    worker.start();
    await until(() => chain.proofs.size === files.length);
    await worker.stop();
    expect(fake.seen.most).to.equal(2);
    expect(new Set(fake.seen.order).size).to.equal(files.length);
    expect(fake.seen.order).to.have.length(files.length);
    expect(chain.rewards).to.equal(files.length);
    expect(queue.depthByState()).to.deep.include({ submitted: files.length, queued: 0, leased: 0, scored: 0 });
  });

  it('does not wait for the chain: the next file is in the enclave while the last proof is still being sent', async () => {
    const files = [await upload(), await upload(), await upload()];
    const fake = enclave(30);
    const chain = new SlowRegistry(200);
    const steps: { kind: StepOutcome['kind']; fileId?: Hex; at: number }[] = [];
    const worker = new ScoringWorker({ queue, contributions, blobs, enclave: fake, chain, logger, workerId: 'w', idleMs: 10, onStep: (o) => steps.push({ ...o, at: Date.now() }) });
    worker.start();
    await until(() => chain.proofs.size === files.length);
    await worker.stop();
    const scored = steps.filter((s) => s.kind === 'scored');
    const submitted = steps.filter((s) => s.kind === 'submitted');
    expect(scored).to.have.length(3);
    expect(submitted.map((s) => s.fileId)).to.deep.equal(scored.map((s) => s.fileId));
    // All three scored (about 90 ms) before the first 200 ms transaction was done.
    expect(scored[2]!.at).to.be.at.most(submitted[0]!.at);
  });

  it('starts on an upload at once, even one that arrives just as the loop found the queue empty', async () => {
    const fake = enclave(1);
    const chain = new MemoryRegistry();
    const worker = new ScoringWorker({ queue, contributions, blobs, enclave: fake, chain, logger, workerId: 'w', idleMs: 60_000 });
    worker.start();
    await new Promise((resolve) => setTimeout(resolve, 50));
    for (let i = 0; i < 3; i++) {
      await upload();
      worker.notify();
      await until(() => chain.proofs.size === i + 1, 3000);
    }
    await worker.stop();
  });

  it('keeps a proof the node refused scored, and sends it once the node is back', async () => {
    await upload();
    const chain = new MemoryRegistry();
    chain.failNext = 1;
    const worker = new ScoringWorker({ queue, contributions, blobs, enclave: enclave(1), chain, logger, workerId: 'w', idleMs: 10, maxIdleMs: 50 });
    worker.start();
    await until(() => chain.proofs.size === 1);
    await worker.stop();
    expect(queue.depthByState()).to.deep.include({ submitted: 1, scored: 0, failed: 0 });
  });

  it('observes each file\'s queue wait, its path through the host and its transaction', async () => {
    const files = [await upload(), await upload()];
    const metrics = createHostMetrics(() => queue.depthByState());
    const chain = new SlowRegistry(30);
    const worker = new ScoringWorker({ queue, contributions, blobs, enclave: enclave(50), chain, logger, workerId: 'w', idleMs: 10, metrics });
    worker.start();
    await until(() => chain.proofs.size === files.length);
    await worker.stop();
    const text = metrics.registry.render();
    const sample = (name: string, stage: string) => Number(new RegExp(`^audata_host_scoring_seconds_${name}\\{stage="${stage}"\\} (\\S+)$`, 'm').exec(text)?.[1]);
    for (const stage of ['queue', 'path', 'chain']) expect(sample('count', stage), stage).to.equal(files.length);
    // The path holds the enclave's 50 ms per file; the chain its 30 ms transactions.
    expect(sample('sum', 'path') / files.length).to.be.within(0.05, 1);
    expect(sample('sum', 'chain') / files.length).to.be.at.least(0.03);
  });

  it('keeps the lease of a file the enclave takes longer over than the lease lasts, so no other loop takes it too', async () => {
    const shortLeases = new ScoringQueue(env.db, { leaseMs: 300, maxAttempts: 3 });
    const file = await upload();
    const fake = enclave(1000);
    const chain = new MemoryRegistry();
    const worker = new ScoringWorker({ queue: shortLeases, contributions, blobs, enclave: fake, chain, logger, workerId: 'w', concurrency: 2, idleMs: 10 });
    worker.start();
    await until(() => chain.proofs.size === 1);
    await worker.stop();
    expect(fake.seen.order).to.deep.equal([file]);
    expect(shortLeases.get(file)).to.deep.include({ state: 'submitted', attempts: 1 });
  });

  it('refuses a concurrency outside 1..64', () => {
    for (const concurrency of [0, 65, 1.5]) {
      expect(() => new ScoringWorker({ queue, contributions, blobs, enclave: enclave(1), logger, workerId: 'w', concurrency })).to.throw(RangeError, /concurrency/);
    }
  });
});
