// Keeps the enclave's sealed state between boots: the enclave has no disk, so after each reply
// that carries a new state the host stores it here (durably, before it acts on the reply) and
// hands the latest back at the next boot. The host cannot read or forge it; it only keeps it.
import { createHash } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import type { Hex } from 'viem';
import type { SealedStateRefJson } from '@audata/wire';
import { HostError } from './errors.ts';

export interface SealedStateRecord {
  counter: bigint;
  sha256: Hex;
  blob: Uint8Array;
  savedAt: number;
}

/** The blob does not match the reference the enclave sent with it: damaged in transit or a bug. */
export class EnclaveStateMismatchError extends HostError {
  override name = 'EnclaveStateMismatchError';
  constructor(field: 'sha256' | 'bytes' | 'counter', expected: string | number, received: string | number) {
    super('HOST_ENCLAVE_STATE_MISMATCH', `The sealed state's ${field} is ${received}; the enclave's reply says ${expected}.`, {
      details: { field, expected, received },
      hint: 'Ask the enclave for its latest state (the state request); the stored one was kept.',
    });
  }
}

/** A different state under a counter already stored: two enclaves, or one booted from an old state. */
export class EnclaveStateConflictError extends HostError {
  override name = 'EnclaveStateConflictError';
  constructor(counter: bigint, stored: Hex, received: Hex) {
    super('HOST_ENCLAVE_STATE_CONFLICT', `Sealed state ${counter} is stored with hash ${stored}; a different one (${received}) arrived.`, {
      details: { counter: counter.toString(), expected: stored, received },
      hint: 'Run one enclave per database and boot it from the latest stored state; the stored one was kept.',
    });
  }
}

/** SQLite integers are signed 64-bit. */
const MAX_COUNTER = 2n ** 63n - 1n;

interface Row {
  counter: bigint;
  sha256: Hex;
  blob: Buffer;
  saved_at: bigint;
}

export class SealedEnclaveStateStore {
  readonly #db: Database;
  readonly #now: () => number;

  constructor(db: Database, now: () => number = Date.now) {
    this.#db = db;
    this.#now = now;
  }

  /** The latest state, to hand to the enclave at boot. */
  latest(): SealedStateRecord | undefined {
    return this.#read(0);
  }

  /** The one before it, kept for an operator's recovery; an enclave with an anchor refuses it. */
  previous(): SealedStateRecord | undefined {
    return this.#read(1);
  }

  /** The boot request's binary attachment: the latest blob, or nothing at genesis. */
  bootAttachment(): Uint8Array {
    return this.latest()?.blob ?? new Uint8Array(0);
  }

  /**
   * Stores a state from an enclave reply. Committed (synced, as the database runs with
   * synchronous = FULL) before it returns, so callers act on the reply only once its state is
   * durable. An older state than the latest is ignored (replies to concurrent requests may
   * arrive out of order); the same one again is a no-op. Keeps the latest two.
   */
  save(ref: SealedStateRefJson, blob: Uint8Array): { stored: boolean } {
    if (blob.length !== ref.bytes) throw new EnclaveStateMismatchError('bytes', ref.bytes, blob.length);
    const sha256: Hex = `0x${createHash('sha256').update(blob).digest('hex')}`;
    if (sha256 !== ref.sha256.toLowerCase()) throw new EnclaveStateMismatchError('sha256', ref.sha256, sha256);
    if (!/^[0-9]{1,19}$/.test(ref.counter) || BigInt(ref.counter) > MAX_COUNTER) throw new EnclaveStateMismatchError('counter', 'a decimal integer below 2^63', ref.counter);
    const counter = BigInt(ref.counter);
    return this.#db
      .transaction(() => {
        const same = this.#db.prepare('SELECT sha256 FROM sealed_enclave_state WHERE counter = ?').pluck().get(counter) as Hex | undefined;
        if (same !== undefined) {
          if (same !== sha256) throw new EnclaveStateConflictError(counter, same, sha256);
          return { stored: false };
        }
        const latest = this.#db.prepare('SELECT max(counter) FROM sealed_enclave_state').pluck().safeIntegers(true).get() as bigint | null;
        if (latest !== null && counter < latest) return { stored: false };
        this.#db.prepare('INSERT INTO sealed_enclave_state (counter, sha256, blob, saved_at) VALUES (?, ?, ?, ?)').run(counter, sha256, Buffer.from(blob), this.#now());
        // The new state and the pruning commit together: the previous latest stays as the fallback.
        if (latest !== null) this.#db.prepare('DELETE FROM sealed_enclave_state WHERE counter < ?').run(latest);
        return { stored: true };
      })
      .immediate();
  }

  #read(skip: number): SealedStateRecord | undefined {
    const row = this.#db
      .prepare('SELECT counter, sha256, blob, saved_at FROM sealed_enclave_state ORDER BY counter DESC LIMIT 1 OFFSET ?')
      .safeIntegers(true)
      .get(skip) as Row | undefined;
    return row === undefined ? undefined : { counter: row.counter, sha256: row.sha256, blob: new Uint8Array(row.blob), savedAt: Number(row.saved_at) };
  }
}
