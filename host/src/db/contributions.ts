// Contribution records: what was uploaded under which manifest, and where it stands. The
// record and its queue item are written in one transaction, so an upload is either fully
// accepted (stored, recorded, queued) or not at all, and a repeat never queues twice.
import type { Database } from 'better-sqlite3';
import type { Address, Hex } from 'viem';
import type { ContributionManifest } from '@audata/wire';
import { HostError } from '../errors.ts';
import type { SignedProof } from '../deps.ts';
import { manifestFromJson, manifestToJson, signedProofFromJson } from '../proof-json.ts';
import type { QueueState, ScoringQueue } from '../queue/scoring-queue.ts';

export interface NewContribution {
  fileId: Hex;
  manifest: ContributionManifest;
  manifestSignature: Hex;
  sealedKey: Uint8Array;
  contributor: Address | null;
  sizeBytes: number;
}

export interface ContributionRecord {
  fileId: Hex;
  manifest: ContributionManifest;
  manifestSignature: Hex;
  contributor: Address | null;
  sizeBytes: number;
  status: QueueState;
  attempts: number;
  errorCode: string | null;
  proof: SignedProof | null;
  txHash: Hex | null;
  createdAt: number;
  updatedAt: number;
}

/** The same ciphertext arrived under a different manifest or signature than the stored one. */
export class ContributionConflictError extends HostError {
  override name = 'ContributionConflictError';
  constructor(fileId: string, field: string) {
    super('HOST_CONTRIBUTION_CONFLICT', `File ${fileId} is already stored with a different ${field}.`, {
      details: { fileId, field },
      hint: 'A ciphertext belongs to one manifest; encrypt the recording again for a new contribution.',
    });
  }
}

interface Row {
  file_id: Hex;
  manifest_json: string;
  manifest_sig: Hex;
  contributor: Address | null;
  size_bytes: number;
  proof_json: string | null;
  tx_hash: Hex | null;
  created_at: number;
  updated_at: number;
  state: QueueState;
  attempts: number;
  last_error_code: string | null;
  sealed_key: Buffer;
}

export class ContributionStore {
  readonly #db: Database;
  readonly #queue: ScoringQueue;
  readonly #now: () => number;

  constructor(db: Database, queue: ScoringQueue, now: () => number = Date.now) {
    this.#db = db;
    this.#queue = queue;
    this.#now = now;
  }

  /**
   * Records and queues a contribution whose blob is already durable. Returns the existing
   * record (created: false) when the same upload came before; refuses the same file under
   * another manifest, signature or sealed key.
   */
  record(input: NewContribution): { created: boolean; record: ContributionRecord } {
    return this.#db
      .transaction(() => {
        const existing = this.#row(input.fileId);
        if (existing !== undefined) {
          if (existing.manifest_json !== manifestToJson(input.manifest)) throw new ContributionConflictError(input.fileId, 'manifest');
          if (existing.manifest_sig !== input.manifestSignature) throw new ContributionConflictError(input.fileId, 'signature');
          if (!Buffer.from(input.sealedKey).equals(existing.sealed_key)) throw new ContributionConflictError(input.fileId, 'sealed key');
          return { created: false, record: toRecord(existing) };
        }
        const now = this.#now();
        this.#db
          .prepare(
            `INSERT INTO contributions (file_id, manifest_json, manifest_sig, sealed_key, contributor, size_bytes, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(input.fileId, manifestToJson(input.manifest), input.manifestSignature, Buffer.from(input.sealedKey), input.contributor, input.sizeBytes, now, now);
        this.#queue.enqueue(input.fileId);
        return { created: true, record: toRecord(this.#row(input.fileId)!) };
      })
      .immediate();
  }

  get(fileId: Hex): ContributionRecord | undefined {
    const row = this.#row(fileId);
    return row === undefined ? undefined : toRecord(row);
  }

  /** Resolves when this process next changes the file's status, after `ms`, or when `signal` aborts. */
  nextChange(fileId: Hex, ms: number, signal?: AbortSignal): Promise<void> {
    return this.#queue.changes.next(fileId, ms, signal);
  }

  /** The sealed file key, for the enclave only; never part of a record or a response. */
  sealedKey(fileId: Hex): Uint8Array | undefined {
    const key = this.#db.prepare('SELECT sealed_key FROM contributions WHERE file_id = ?').pluck().get(fileId) as Buffer | undefined;
    return key === undefined ? undefined : new Uint8Array(key);
  }

  #row(fileId: Hex): Row | undefined {
    return this.#db
      .prepare(
        `SELECT c.*, q.state, q.attempts, q.last_error_code FROM contributions c JOIN scoring_queue q USING (file_id) WHERE c.file_id = ?`,
      )
      .get(fileId) as Row | undefined;
  }
}

function toRecord(row: Row): ContributionRecord {
  return {
    fileId: row.file_id,
    manifest: manifestFromJson(row.manifest_json),
    manifestSignature: row.manifest_sig,
    contributor: row.contributor,
    sizeBytes: row.size_bytes,
    status: row.state,
    attempts: row.attempts,
    errorCode: row.last_error_code,
    proof: row.proof_json === null ? null : signedProofFromJson(row.proof_json),
    txHash: row.tx_hash,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
