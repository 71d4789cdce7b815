// The host's scoring loop: drains the durable queue through the enclave (processNext does one
// item under a lease) and keeps retrying proofs that were scored but not yet on chain. It waits
// for the enclave before taking a lease, so an enclave that is restarting does not burn attempts.
import type { Hex } from 'viem';
import { processNext, type StepOutcome, type WorkerDeps } from '../queue/worker.ts';
import { submitProof } from '../queue/submit-proof.ts';

export interface ScoringWorkerParams extends WorkerDeps {
  /** Resolves once the enclave is connected and booted; throws while it is not. */
  ready?: () => Promise<unknown>;
  /** Pause when the queue is empty or the enclave is away (default 100 ms, doubling up to 2 s while away). */
  idleMs?: number;
  maxIdleMs?: number;
  /** Every step's outcome, for progress displays and tests. */
  onStep?: (outcome: StepOutcome) => void;
  sleep?: (ms: number) => Promise<void>;
}

export class ScoringWorker {
  readonly #p: ScoringWorkerParams;
  #running: Promise<void> | undefined;
  #stopping = false;
  #wake: (() => void) | undefined;

  constructor(params: ScoringWorkerParams) {
    this.#p = params;
  }

  /** Starts the loop; a second call is a no-op. */
  start(): void {
    this.#stopping = false;
    this.#running ??= this.#loop().finally(() => {
      this.#running = undefined;
    });
  }

  /** Ends the pause early: call after an upload so scoring starts at once. */
  notify(): void {
    this.#wake?.();
  }

  /** Finishes the current item and stops. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.notify();
    await this.#running;
  }

  async #pause(ms: number): Promise<void> {
    if (this.#p.sleep !== undefined) return this.#p.sleep(ms);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.#wake = undefined;
  }

  async #loop(): Promise<void> {
    const idle = this.#p.idleMs ?? 100;
    const maxIdle = this.#p.maxIdleMs ?? 2000;
    let away = idle;
    while (!this.#stopping) {
      try {
        await this.#p.ready?.();
        away = idle;
      } catch (error) {
        this.#p.logger.warn('worker.enclave_away', { error, retryInMs: away });
        await this.#pause(away);
        away = Math.min(maxIdle, away * 2);
        continue;
      }
      let outcome: StepOutcome;
      try {
        outcome = await processNext(this.#p);
      } catch (error) {
        // The database itself failed; nothing was lost (the lease expires), so pause and go on.
        this.#p.logger.error('worker.step_failed', { error });
        await this.#pause(maxIdle);
        continue;
      }
      this.#p.onStep?.(outcome);
      if (outcome.kind === 'idle') {
        await this.#resubmitScored();
        await this.#pause(idle);
      }
    }
  }

  /** Proofs whose submission failed earlier (the node was down) are sent again, at most once each. */
  async #resubmitScored(): Promise<void> {
    const chain = this.#p.chain;
    if (chain === undefined) return;
    for (const { fileId } of this.#p.queue.scored(20)) {
      if (this.#stopping) return;
      try {
        const { txHash, sentNow } = await submitProof(this.#p.queue, chain, fileId as Hex);
        this.#p.logger.info('proof.submitted', { fileId, txHash, sentNow, late: true });
        this.#p.onStep?.({ kind: 'submitted', fileId });
      } catch (error) {
        this.#p.logger.warn('proof.submit_failed', { fileId, error });
      }
    }
  }
}
