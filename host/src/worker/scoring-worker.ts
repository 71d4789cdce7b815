// The host's scoring loops: drain the durable queue through the enclave (processNext does one
// item under a lease), several files at once for an enclave that scores on several cores, while
// one submitter puts the proofs on chain. Scoring never waits for the chain: the enclave, the
// costlier stage, takes its next file while the last proof's transaction is still out. Each loop
// waits for the enclave before taking a lease, so an enclave that is restarting burns no attempts.
import type { Hex } from 'viem';
import { processNext, type StepOutcome, type WorkerDeps } from '../queue/worker.ts';
import { submitProof } from '../queue/submit-proof.ts';

export interface ScoringWorkerParams extends WorkerDeps {
  /** Resolves once the enclave is connected and booted; throws while it is not. */
  ready?: () => Promise<unknown>;
  /** Files in the enclave at once (default 1); as many as the enclave has scoring threads keeps them all busy. */
  concurrency?: number;
  /** Pause when the queue is empty or the enclave is away (default 100 ms, doubling up to 2 s while away). */
  idleMs?: number;
  maxIdleMs?: number;
  /** Every step's outcome, for progress displays and tests. */
  onStep?: (outcome: StepOutcome) => void;
  sleep?: (ms: number) => Promise<void>;
}

/** A pause that a notification ends early, and that a notification sent just before it skips. */
class Alarm {
  #wakers = new Set<() => void>();
  #generation = 0;

  /** A mark to pass to pause: a notification after it ends that pause at once. */
  mark(): number {
    return this.#generation;
  }

  notify(): void {
    this.#generation += 1;
    const wakers = this.#wakers;
    this.#wakers = new Set();
    for (const wake of wakers) wake();
  }

  pause(ms: number, mark: number, sleep?: (ms: number) => Promise<void>): Promise<void> {
    if (mark !== this.#generation) return Promise.resolve();
    if (sleep !== undefined) return sleep(ms);
    return new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.#wakers.add(wake);
    });
  }
}

export class ScoringWorker {
  readonly #p: ScoringWorkerParams;
  readonly #work = new Alarm();
  readonly #proofs = new Alarm();
  #running: Promise<void> | undefined;
  #stopping = false;

  constructor(params: ScoringWorkerParams) {
    const concurrency = params.concurrency ?? 1;
    if (!Number.isSafeInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new RangeError(`ScoringWorker: concurrency must be an integer from 1 to 64, not ${concurrency}`);
    this.#p = params;
  }

  /** Starts the loops; a second call is a no-op. */
  start(): void {
    this.#stopping = false;
    if (this.#running !== undefined) return;
    const loops = Array.from({ length: this.#p.concurrency ?? 1 }, (_, k) => this.#scoreLoop(this.#p.concurrency === undefined || this.#p.concurrency === 1 ? this.#p.workerId : `${this.#p.workerId}.${k}`));
    if (this.#p.chain !== undefined) loops.push(this.#submitLoop());
    this.#running = Promise.all(loops).then(
      () => undefined,
      () => undefined,
    ).finally(() => {
      this.#running = undefined;
    });
  }

  /** Ends the pause early: call after an upload so scoring starts at once. */
  notify(): void {
    this.#work.notify();
  }

  /** Finishes the items in hand (and the proof being sent) and stops. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#work.notify();
    this.#proofs.notify();
    await this.#running;
  }

  async #scoreLoop(workerId: string): Promise<void> {
    const idle = this.#p.idleMs ?? 100;
    const maxIdle = this.#p.maxIdleMs ?? 2000;
    // The chain is the submitter's: a loop hands its proof over and takes the next file.
    const { chain: _chain, ...deps } = this.#p;
    let away = idle;
    while (!this.#stopping) {
      const mark = this.#work.mark();
      try {
        await this.#p.ready?.();
        away = idle;
      } catch (error) {
        this.#p.logger.warn('worker.enclave_away', { error, retryInMs: away });
        await this.#work.pause(away, mark, this.#p.sleep);
        away = Math.min(maxIdle, away * 2);
        continue;
      }
      let outcome: StepOutcome;
      try {
        outcome = await processNext({ ...deps, workerId });
      } catch (error) {
        // The database itself failed; nothing was lost (the lease expires), so pause and go on.
        this.#p.logger.error('worker.step_failed', { error });
        await this.#work.pause(maxIdle, mark, this.#p.sleep);
        continue;
      }
      this.#p.onStep?.(outcome);
      if (outcome.kind === 'scored') this.#proofs.notify();
      if (outcome.kind === 'idle') await this.#work.pause(idle, mark, this.#p.sleep);
    }
  }

  /**
   * Sends scored proofs oldest first, one at a time (the operator's nonce orders them anyway).
   * A proof whose submission fails (the node is down) stays scored and is tried again on the next
   * round, until its attempts run out.
   */
  async #submitLoop(): Promise<void> {
    const chain = this.#p.chain!;
    const idle = this.#p.idleMs ?? 100;
    const maxIdle = this.#p.maxIdleMs ?? 2000;
    let backoff = idle;
    while (!this.#stopping) {
      const mark = this.#proofs.mark();
      let batch: { fileId: Hex }[];
      try {
        batch = this.#p.queue.scored(20);
      } catch (error) {
        this.#p.logger.error('worker.step_failed', { error });
        await this.#proofs.pause(maxIdle, mark, this.#p.sleep);
        continue;
      }
      let failed = false;
      for (const { fileId } of batch) {
        if (this.#stopping) return;
        const log = this.#p.logger.child({ fileId });
        try {
          const started = performance.now();
          const { txHash, sentNow } = await submitProof(this.#p.queue, chain, fileId);
          if (sentNow) this.#p.metrics?.scoring.observe({ stage: 'chain' }, (performance.now() - started) / 1000);
          log.info('proof.submitted', { txHash, sentNow });
          this.#p.onStep?.({ kind: 'submitted', fileId });
        } catch (error) {
          log.warn('proof.submit_failed', { error });
          failed = true;
        }
      }
      // Nothing to send: wait for the next scored file (or look again in a second, for files
      // another process scored). The node failing: back off, doubling, before the next round.
      if (batch.length === 0) await this.#proofs.pause(idle * 10, mark, this.#p.sleep);
      if (!failed) backoff = idle;
      else {
        await this.#proofs.pause(backoff, this.#proofs.mark(), this.#p.sleep);
        backoff = Math.min(maxIdle, backoff * 2);
      }
    }
  }
}
