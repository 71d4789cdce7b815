// The durable work list between uploads and proofs on chain, kept in the metadata database
// so that a crash of the host or of the enclave at any point loses no file: a leased item
// whose worker vanished returns to the queue when its lease expires.
import type { Database } from 'better-sqlite3';
import type { Hex } from 'viem';
import { HostError } from '../errors.ts';
import type { SignedProof } from '../deps.ts';
import { signedProofFromJson, signedProofToJson } from '../proof-json.ts';
import { withoutSync } from '../db/open-database.ts';
import { StatusChanges } from './status-changes.ts';

export const queueStates = ['queued', 'leased', 'scored', 'submitted', 'failed'] as const;
export type QueueState = (typeof queueStates)[number];

/** Recorded as the error of an item whose last lease ran out with no attempts left. */
export const LEASE_EXPIRED = 'HOST_QUEUE_LEASE_EXPIRED';

export interface QueueItem {
  fileId: Hex;
  state: QueueState;
  workerId: string | null;
  leaseExpiresAt: number | null;
  attempts: number;
  submitAttempts: number;
  lastErrorCode: string | null;
  enqueuedAt: number;
  updatedAt: number;
}

/** Proof that a worker holds an item: the attempt number fences off a worker whose lease lapsed. */
export interface Lease {
  fileId: Hex;
  workerId: string;
  attempt: number;
  expiresAt: number;
}

export interface ScoringQueueOptions {
  leaseMs: number;
  /** Scoring attempts (and, separately, submission attempts) before an item is failed. */
  maxAttempts: number;
  now?: () => number;
}

export class LeaseLostError extends HostError {
  override name = 'LeaseLostError';
  constructor(lease: Lease, found: QueueItem | undefined) {
    super('HOST_QUEUE_LEASE_LOST', `Worker ${lease.workerId} no longer holds ${lease.fileId} (attempt ${lease.attempt}).`, {
      details: {
        fileId: lease.fileId,
        expected: `leased by ${lease.workerId} attempt ${lease.attempt}`,
        received: found === undefined ? 'no item' : `${found.state} by ${found.workerId ?? '-'} attempt ${found.attempts}`,
      },
      hint: 'The lease expired and the item went back to the queue; drop this result.',
    });
  }
}

export class QueueStateError extends HostError {
  override name = 'QueueStateError';
  constructor(fileId: string, expected: string, received: string) {
    super('HOST_QUEUE_BAD_STATE', `Queue item ${fileId} is ${received}, expected ${expected}.`, {
      details: { fileId, expected, received },
    });
  }
}

interface Row {
  file_id: Hex;
  state: QueueState;
  worker_id: string | null;
  lease_expires_at: number | null;
  attempts: number;
  submit_attempts: number;
  last_error_code: string | null;
  enqueued_at: number;
  updated_at: number;
}

const toItem = (row: Row): QueueItem => ({
  fileId: row.file_id,
  state: row.state,
  workerId: row.worker_id,
  leaseExpiresAt: row.lease_expires_at,
  attempts: row.attempts,
  submitAttempts: row.submit_attempts,
  lastErrorCode: row.last_error_code,
  enqueuedAt: row.enqueued_at,
  updatedAt: row.updated_at,
});

export class ScoringQueue {
  /** Told of every state change this process makes, after it is committed. */
  readonly changes = new StatusChanges();
  readonly #db: Database;
  readonly #now: () => number;
  readonly #leaseMs: number;
  readonly #maxAttempts: number;

  constructor(db: Database, options: ScoringQueueOptions) {
    this.#db = db;
    this.#now = options.now ?? Date.now;
    this.#leaseMs = options.leaseMs;
    this.#maxAttempts = options.maxAttempts;
  }

  /** Adds a contribution (its row must exist); false if it was already queued at any state. */
  enqueue(fileId: Hex): boolean {
    const now = this.#now();
    const result = this.#db
      .prepare("INSERT OR IGNORE INTO scoring_queue (file_id, state, enqueued_at, updated_at) VALUES (?, 'queued', ?, ?)")
      .run(fileId, now, now);
    if (result.changes === 1) this.changes.notify(fileId);
    return result.changes === 1;
  }

  get(fileId: Hex): QueueItem | undefined {
    const row = this.#db.prepare('SELECT * FROM scoring_queue WHERE file_id = ?').get(fileId) as Row | undefined;
    return row === undefined ? undefined : toItem(row);
  }

  /** Returns expired leases to the queue, or fails them when no attempt is left. */
  reclaimExpired(): number {
    const now = this.#now();
    const failed = this.#db
      .prepare(
        `UPDATE scoring_queue SET state = 'failed', worker_id = NULL, lease_expires_at = NULL, last_error_code = ?, updated_at = ?
         WHERE state = 'leased' AND lease_expires_at <= ? AND attempts >= ?`,
      )
      .run(LEASE_EXPIRED, now, now, this.#maxAttempts).changes;
    const requeued = this.#db
      .prepare(
        `UPDATE scoring_queue SET state = 'queued', worker_id = NULL, lease_expires_at = NULL, last_error_code = ?, updated_at = ?
         WHERE state = 'leased' AND lease_expires_at <= ?`,
      )
      .run(LEASE_EXPIRED, now, now).changes;
    return failed + requeued;
  }

  /**
   * Hands the oldest queued item to `workerId`, atomically: the select and the update run in
   * one IMMEDIATE transaction, so two workers (even in two processes) never get the same item.
   */
  lease(workerId: string): Lease | undefined {
    // Not synced on its own: a lease lost in a crash is an item queued again, as if it expired.
    const lease = withoutSync(this.#db, () => this.#db
      .transaction((): Lease | undefined => {
        this.reclaimExpired();
        const fileId = this.#db
          .prepare("SELECT file_id FROM scoring_queue WHERE state = 'queued' ORDER BY enqueued_at, file_id LIMIT 1")
          .pluck()
          .get() as Hex | undefined;
        if (fileId === undefined) return undefined;
        const now = this.#now();
        const expiresAt = now + this.#leaseMs;
        this.#db
          .prepare("UPDATE scoring_queue SET state = 'leased', worker_id = ?, lease_expires_at = ?, attempts = attempts + 1, updated_at = ? WHERE file_id = ?")
          .run(workerId, expiresAt, now, fileId);
        const attempt = this.#db.prepare('SELECT attempts FROM scoring_queue WHERE file_id = ?').pluck().get(fileId) as number;
        return { fileId, workerId, attempt, expiresAt };
      })
      .immediate());
    if (lease !== undefined) this.changes.notify(lease.fileId);
    return lease;
  }

  #holding(lease: Lease): void {
    const item = this.get(lease.fileId);
    if (
      item === undefined ||
      item.state !== 'leased' ||
      item.workerId !== lease.workerId ||
      item.attempts !== lease.attempt ||
      (item.leaseExpiresAt ?? 0) <= this.#now()
    ) {
      throw new LeaseLostError(lease, item);
    }
  }

  /** Extends a live lease, for a worker on a long file; not synced on its own, as a lease is not. */
  renew(lease: Lease): Lease {
    return withoutSync(this.#db, () => this.#db
      .transaction(() => {
        this.#holding(lease);
        const now = this.#now();
        const expiresAt = now + this.#leaseMs;
        this.#db.prepare('UPDATE scoring_queue SET lease_expires_at = ?, updated_at = ? WHERE file_id = ?').run(expiresAt, now, lease.fileId);
        return { ...lease, expiresAt };
      })
      .immediate());
  }

  /** Records the enclave's proof; the item waits in 'scored' until it is on chain. */
  complete(lease: Lease, signed: SignedProof): void {
    this.#db
      .transaction(() => {
        this.#holding(lease);
        const now = this.#now();
        this.#db
          .prepare("UPDATE scoring_queue SET state = 'scored', worker_id = NULL, lease_expires_at = NULL, last_error_code = NULL, updated_at = ? WHERE file_id = ?")
          .run(now, lease.fileId);
        this.#db.prepare('UPDATE contributions SET proof_json = ?, updated_at = ? WHERE file_id = ?').run(signedProofToJson(signed), now, lease.fileId);
      })
      .immediate();
    this.changes.notify(lease.fileId);
  }

  /**
   * Gives up this attempt. A retryable failure goes back to the queue until the attempts
   * run out; then, or for a permanent failure (the enclave refused the file), it is failed.
   */
  fail(lease: Lease, errorCode: string, options: { retryable: boolean }): QueueState {
    const state = this.#db
      .transaction((): QueueState => {
        this.#holding(lease);
        const state: QueueState = options.retryable && lease.attempt < this.#maxAttempts ? 'queued' : 'failed';
        this.#db
          .prepare('UPDATE scoring_queue SET state = ?, worker_id = NULL, lease_expires_at = NULL, last_error_code = ?, updated_at = ? WHERE file_id = ?')
          .run(state, errorCode, this.#now(), lease.fileId);
        return state;
      })
      .immediate();
    this.changes.notify(lease.fileId);
    return state;
  }

  /** Scored items waiting for the chain, oldest first. */
  scored(limit = 100): { fileId: Hex; signed: SignedProof }[] {
    const rows = this.#db
      .prepare(
        `SELECT q.file_id AS fileId, c.proof_json AS proof FROM scoring_queue q JOIN contributions c USING (file_id)
         WHERE q.state = 'scored' ORDER BY q.updated_at, q.file_id LIMIT ?`,
      )
      .all(limit) as { fileId: Hex; proof: string }[];
    return rows.map((row) => ({ fileId: row.fileId, signed: signedProofFromJson(row.proof) }));
  }

  /** The stored proof of a scored or submitted item. */
  proofOf(fileId: Hex): SignedProof | undefined {
    const text = this.#db.prepare('SELECT proof_json FROM contributions WHERE file_id = ?').pluck().get(fileId) as string | null | undefined;
    return text === null || text === undefined ? undefined : signedProofFromJson(text);
  }

  /** The transaction that put the item's proof on chain, once submitted. */
  txHashOf(fileId: Hex): Hex | undefined {
    const hash = this.#db.prepare('SELECT tx_hash FROM contributions WHERE file_id = ?').pluck().get(fileId) as Hex | null | undefined;
    return hash ?? undefined;
  }

  /**
   * Marks a scored item as on chain. Idempotent: a second call for a submitted item changes
   * nothing and returns false, and the first recorded transaction is kept.
   */
  markSubmitted(fileId: Hex, txHash: Hex): boolean {
    const changed = this.#db
      .transaction((): boolean => {
        const item = this.get(fileId);
        if (item?.state === 'submitted') return false;
        if (item?.state !== 'scored') throw new QueueStateError(fileId, 'scored', item?.state ?? 'absent');
        const now = this.#now();
        this.#db.prepare("UPDATE scoring_queue SET state = 'submitted', last_error_code = NULL, updated_at = ? WHERE file_id = ?").run(now, fileId);
        this.#db.prepare('UPDATE contributions SET tx_hash = ?, updated_at = ? WHERE file_id = ?').run(txHash, now, fileId);
        return true;
      })
      .immediate();
    if (changed) this.changes.notify(fileId);
    return changed;
  }

  /** Counts a failed submission; a scored item stays scored (and is retried) until attempts run out. */
  failSubmission(fileId: Hex, errorCode: string, options: { retryable: boolean }): QueueState {
    const state = this.#db
      .transaction((): QueueState => {
        const item = this.get(fileId);
        if (item?.state !== 'scored') throw new QueueStateError(fileId, 'scored', item?.state ?? 'absent');
        const attempts = item.submitAttempts + 1;
        const state: QueueState = options.retryable && attempts < this.#maxAttempts ? 'scored' : 'failed';
        this.#db
          .prepare('UPDATE scoring_queue SET state = ?, submit_attempts = ?, last_error_code = ?, updated_at = ? WHERE file_id = ?')
          .run(state, attempts, errorCode, this.#now(), fileId);
        return state;
      })
      .immediate();
    this.changes.notify(fileId);
    return state;
  }

  /** Items per state, every state present (zero when empty), for metrics and health. */
  depthByState(): Record<QueueState, number> {
    const depth = Object.fromEntries(queueStates.map((state) => [state, 0])) as Record<QueueState, number>;
    const rows = this.#db.prepare('SELECT state, count(*) AS n FROM scoring_queue GROUP BY state').all() as { state: QueueState; n: number }[];
    for (const row of rows) depth[row.state] = row.n;
    return depth;
  }
}
