// Drives files from the queue through the enclave and onto the chain, one lease at a time.
// Safe to run in several processes and to kill at any point: the lease fences off a late
// result, and submitProof asks the chain before sending.
import type { Hex } from 'viem';
import { isAudataError } from '@audata/wire';
import type { BlobStore } from '../blobs/blob-store.ts';
import type { ContributionStore } from '../db/contributions.ts';
import type { ChainWriter, EnclaveClient } from '../deps.ts';
import { HostError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { HostMetrics } from '../metrics.ts';
import { LeaseLostError, type ScoringQueue } from './scoring-queue.ts';
import { submitProof } from './submit-proof.ts';

export class ProofMismatchError extends HostError {
  override name = 'ProofMismatchError';
  constructor(expected: string, received: string) {
    super('HOST_PROOF_FILE_MISMATCH', `The enclave returned a proof for ${received} when asked about ${expected}.`, {
      details: { expected, received },
    });
  }
}

export interface WorkerDeps {
  queue: ScoringQueue;
  contributions: ContributionStore;
  blobs: BlobStore;
  enclave: Pick<EnclaveClient, 'score'>;
  /** Without one, proofs stay 'scored' until a writer submits them. */
  chain?: ChainWriter;
  logger: Logger;
  workerId: string;
  /** Where the queue and path stages are observed (audata_host_scoring_seconds). */
  metrics?: Pick<HostMetrics, 'scoring'>;
  /** Wall clock, ms, as the queue's (enqueue times come from it). */
  now?: () => number;
}

export type StepOutcome = { kind: 'idle' } | { kind: 'scored' | 'submitted' | 'retry' | 'failed' | 'lost'; fileId: Hex };

/**
 * Enclave refusals (a typed AudataError: bad signature, undecodable audio) are final;
 * anything else (the channel dropped, the enclave restarted) is worth another attempt.
 */
function isRetryable(error: unknown): boolean {
  return !isAudataError(error) || RETRYABLE_CODES.has(error.code);
}

/**
 * Typed failures of the way to the enclave, not of the file: a restarted or busy enclave, a
 * file another session is still opening (its re-issue finds no finished record yet), or a
 * scoring thread that died with the file in it (the enclave freed its manifest for the retry).
 * Not ENCLAVE_SCORING_TIMEOUT: a file that held a thread past its limit would do so again, and
 * the enclave keeps its manifest, so it fails at once.
 */
const RETRYABLE_CODES = new Set([
  'HOST_ENCLAVE_UNREACHABLE', 'CHANNEL_CLOSED', 'CHANNEL_TIMEOUT', 'ENCLAVE_BUSY', 'ENCLAVE_NOT_BOOTED', 'ENCLAVE_CONTRIBUTION_NOT_FINISHED',
  'ENCLAVE_SCORING_WORKER_CRASHED', 'ENCLAVE_SCORING_UNAVAILABLE',
]);

export async function processNext(deps: WorkerDeps): Promise<StepOutcome> {
  const leasedAt = performance.now();
  const lease = deps.queue.lease(deps.workerId);
  if (lease === undefined) return { kind: 'idle' };
  const { fileId } = lease;
  if (deps.metrics !== undefined && lease.attempt === 1) {
    const enqueuedAt = deps.queue.get(fileId)?.enqueuedAt;
    if (enqueuedAt !== undefined) deps.metrics.scoring.observe({ stage: 'queue' }, Math.max(0, (deps.now ?? Date.now)() - enqueuedAt) / 1000);
  }
  const log = deps.logger.child({ fileId, workerId: deps.workerId, attempt: lease.attempt });
  let signed;
  try {
    const record = deps.contributions.get(fileId);
    const sealedKey = deps.contributions.sealedKey(fileId);
    if (record === undefined || sealedKey === undefined) throw new Error(`queue item ${fileId} has no contribution record`);
    const ciphertext = await deps.blobs.get(fileId);
    // A file the enclave takes long over keeps its lease: renewed at a third of its term, so no
    // other worker takes the file meanwhile. A renewal that fails (the lease was lost) is left
    // to the completion, which then reports the loss.
    const keeper = setInterval(() => {
      try {
        deps.queue.renew(lease);
      } catch {
        clearInterval(keeper);
      }
    }, Math.max(10, (lease.expiresAt - (deps.now ?? Date.now)()) / 3));
    try {
      signed = await deps.enclave.score({
        fileId,
        manifest: record.manifest,
        manifestSignature: record.manifestSignature,
        sealedKey,
        ciphertext,
        contributor: record.contributor,
        ciphertextLength: record.sizeBytes,
      });
    } finally {
      clearInterval(keeper);
      // A refusal can come before the enclave reads a byte; the open file must not wait for GC.
      ciphertext.destroy();
    }
    if (signed.proof.fileId.toLowerCase() !== fileId) throw new ProofMismatchError(fileId, signed.proof.fileId);
  } catch (error) {
    const code = isAudataError(error) ? error.code : 'HOST_ENCLAVE_FAILED';
    try {
      const state = deps.queue.fail(lease, code, { retryable: isRetryable(error) });
      log.warn('scoring.failed', { code, state, error });
      return { kind: state === 'failed' ? 'failed' : 'retry', fileId };
    } catch (failError) {
      if (failError instanceof LeaseLostError) return { kind: 'lost', fileId };
      throw failError;
    }
  }
  try {
    deps.queue.complete(lease, signed);
  } catch (error) {
    if (error instanceof LeaseLostError) {
      log.warn('scoring.lease_lost', { code: error.code });
      return { kind: 'lost', fileId };
    }
    throw error;
  }
  deps.metrics?.scoring.observe({ stage: 'path' }, (performance.now() - leasedAt) / 1000);
  log.info('scoring.done', { valid: signed.proof.valid, score: signed.proof.score });
  if (deps.chain === undefined) return { kind: 'scored', fileId };
  try {
    const { txHash, sentNow } = await submitProof(deps.queue, deps.chain, fileId);
    log.info('proof.submitted', { txHash, sentNow });
    return { kind: 'submitted', fileId };
  } catch (error) {
    log.warn('proof.submit_failed', { error });
    return { kind: 'scored', fileId };
  }
}
