import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Hex } from 'viem';
import { AudataError } from '@audata/wire';
import { FsBlobStore } from '../blobs/fs-store.ts';
import { ContributionStore } from '../db/contributions.ts';
import type { ScoreRequest, SignedProof } from '../deps.ts';
import { createLogger } from '../log.ts';
import { manualClock, MemoryRegistry, signedProof, signedUpload, tempDatabase } from '../test-fixtures.ts';
import { ScoringQueue } from './scoring-queue.ts';
import { processNext, type WorkerDeps } from './worker.ts';

/** Stands in for the enclave at the interface: reads the whole ciphertext and checks its hash, as the enclave does first. */
async function honestScore(request: ScoreRequest): Promise<SignedProof> {
  const hash = createHash('sha256');
  for await (const chunk of request.ciphertext) hash.update(chunk as Buffer);
  if (`0x${hash.digest('hex')}` !== request.manifest.ciphertextSha256) throw new AudataError('ENCLAVE_CIPHERTEXT_HASH', 'hash mismatch');
  return signedProof(request.fileId);
}

describe('processNext (scoring worker)', () => {
  let env: Awaited<ReturnType<typeof tempDatabase>>;
  let clock: ReturnType<typeof manualClock>;
  let queue: ScoringQueue;
  let contributions: ContributionStore;
  let blobs: FsBlobStore;
  let chain: MemoryRegistry;
  const logger = createLogger({ sink: () => {} });

  beforeEach(async () => {
    env = await tempDatabase();
    clock = manualClock();
    queue = new ScoringQueue(env.db, { leaseMs: 30_000, maxAttempts: 3, now: clock.now });
    contributions = new ContributionStore(env.db, queue, clock.now);
    blobs = new FsBlobStore(join(env.dir, 'blobs'));
    chain = new MemoryRegistry();
  });
  afterEach(() => env.cleanup());

  async function upload(): Promise<Hex> {
    const u = await signedUpload(3000);
    await blobs.put(u.fileId, (await import('node:stream')).Readable.from([Buffer.from(u.ciphertext)]), { maxBytes: 10_000 });
    contributions.record({ ...u, manifestSignature: u.signature, sizeBytes: 3000 });
    clock.advance(1);
    return u.fileId;
  }

  const worker = (workerId: string, score: WorkerDeps['enclave']['score'] = honestScore): WorkerDeps => ({
    queue,
    contributions,
    blobs,
    enclave: { score },
    chain,
    logger,
    workerId,
  });

  it('scores and submits every file, then goes idle', async () => {
    const files = [await upload(), await upload()];
    expect(await processNext(worker('w'))).to.deep.equal({ kind: 'submitted', fileId: files[0] });
    expect(await processNext(worker('w'))).to.deep.equal({ kind: 'submitted', fileId: files[1] });
    expect(await processNext(worker('w'))).to.deep.equal({ kind: 'idle' });
    expect(chain.rewards).to.equal(2);
  });

  it('an enclave killed mid-file loses nothing and rewards every file exactly once', async () => {
    const files = [await upload(), await upload(), await upload()];
    let lateResult: (proof: SignedProof) => void = () => {};
    const dying = processNext(
      worker('enclave-1', (request) => new Promise<SignedProof>((resolve) => (lateResult = resolve)).then((p) => ({ ...p, proof: { ...p.proof, fileId: request.fileId } }))),
    );
    clock.advance(30_000);
    const outcomes = [];
    for (let step = await processNext(worker('enclave-2')); step.kind !== 'idle'; step = await processNext(worker('enclave-2'))) outcomes.push(step);
    expect(outcomes.map((o) => o.kind)).to.deep.equal(['submitted', 'submitted', 'submitted']);
    // The first enclave comes back with a result for a lease it no longer holds.
    lateResult(await signedProof(files[0]!));
    expect(await dying).to.deep.equal({ kind: 'lost', fileId: files[0] });
    expect(chain.rewards).to.equal(3);
    expect([...chain.proofs.keys()].sort()).to.deep.equal([...files].sort());
    for (const fileId of files) expect(queue.get(fileId)!.state).to.equal('submitted');
  });

  it('retries a dropped channel and fails a file the enclave refuses', async () => {
    const file = await upload();
    let calls = 0;
    const flaky = async (request: ScoreRequest) => {
      calls += 1;
      if (calls === 1) throw new Error('channel closed');
      if (calls === 2) throw new AudataError('ENCLAVE_MANIFEST_SIGNATURE', 'signature does not recover to a contributor');
      return honestScore(request);
    };
    expect(await processNext(worker('w', flaky))).to.deep.equal({ kind: 'retry', fileId: file });
    expect(queue.get(file)!.lastErrorCode).to.equal('HOST_ENCLAVE_FAILED');
    expect(await processNext(worker('w', flaky))).to.deep.equal({ kind: 'failed', fileId: file });
    expect(queue.get(file)).to.deep.include({ state: 'failed', lastErrorCode: 'ENCLAVE_MANIFEST_SIGNATURE' });
    expect(chain.rewards).to.equal(0);
  });

  it('retries a file another session is still opening, and fails one whose result the enclave never recorded', async () => {
    const file = await upload();
    let calls = 0;
    const busy = async (request: ScoreRequest) => {
      calls += 1;
      if (calls === 1) throw new AudataError('ENCLAVE_CONTRIBUTION_NOT_FINISHED', 'still being opened');
      if (calls === 2) throw new AudataError('ENCLAVE_RESULT_NOT_RECORDED', 'finished under format 2');
      return honestScore(request);
    };
    expect(await processNext(worker('w', busy))).to.deep.equal({ kind: 'retry', fileId: file });
    expect(await processNext(worker('w', busy))).to.deep.equal({ kind: 'failed', fileId: file });
    expect(queue.get(file)).to.deep.include({ state: 'failed', lastErrorCode: 'ENCLAVE_RESULT_NOT_RECORDED' });
  });

  it('retries a file whose enclave scoring thread crashed, then scores it', async () => {
    const file = await upload();
    let calls = 0;
    const crashing = async (request: ScoreRequest) => {
      calls += 1;
      if (calls === 1) throw new AudataError('ENCLAVE_SCORING_WORKER_CRASHED', 'the scoring thread stopped', { details: { retryable: true } });
      return honestScore(request);
    };
    expect(await processNext(worker('w', crashing))).to.deep.equal({ kind: 'retry', fileId: file });
    expect(queue.get(file)!.lastErrorCode).to.equal('ENCLAVE_SCORING_WORKER_CRASHED');
    expect((await processNext(worker('w', crashing))).kind).to.not.equal('failed');
    expect(queue.get(file)!.state).to.not.equal('failed');
  });

  it('fails at once a file that held an enclave scoring thread past its time limit', async () => {
    const file = await upload();
    const stuck = async (): Promise<SignedProof> => {
      throw new AudataError('ENCLAVE_SCORING_TIMEOUT', 'took longer than its limit', { details: { limitMs: 30_000, audioBytes: 100, stage: 'analysis', retryable: false } });
    };
    expect(await processNext(worker('w', stuck))).to.deep.equal({ kind: 'failed', fileId: file });
    expect(queue.get(file)).to.deep.include({ state: 'failed', lastErrorCode: 'ENCLAVE_SCORING_TIMEOUT' });
  });

  it('refuses a proof about another file', async () => {
    const file = await upload();
    const wrong = async () => signedProof(`0x${'00'.repeat(32)}`);
    expect(await processNext(worker('w', wrong))).to.deep.equal({ kind: 'failed', fileId: file });
    expect(queue.get(file)!.lastErrorCode).to.equal('HOST_PROOF_FILE_MISMATCH');
  });

  it('closes the blob it opened when the enclave refuses before reading it', async () => {
    const file = await upload();
    let given: ScoreRequest['ciphertext'] | undefined;
    const refuseAtOnce = async (request: ScoreRequest): Promise<SignedProof> => {
      given = request.ciphertext;
      throw new AudataError('ENCLAVE_MANIFEST_SIGNATURE', 'refused before the first byte');
    };
    expect(await processNext(worker('w', refuseAtOnce))).to.deep.equal({ kind: 'failed', fileId: file });
    expect(given?.destroyed).to.equal(true);
  });

  it('leaves a proof scored when the chain is down, for a later submission', async () => {
    const file = await upload();
    chain.failNext = 1;
    expect(await processNext(worker('w'))).to.deep.equal({ kind: 'scored', fileId: file });
    expect(queue.get(file)).to.deep.include({ state: 'scored', submitAttempts: 1 });
  });
});
