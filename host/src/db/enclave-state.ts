// The one piece of enclave state the host keeps between boots: the dataset key as KMS
// wrapped it for the enclave's measurement. Opaque bytes to the host, useless without the enclave.
import type { Database } from 'better-sqlite3';

export class EnclaveStateStore {
  readonly #db: Database;
  readonly #now: () => number;

  constructor(db: Database, now: () => number = Date.now) {
    this.#db = db;
    this.#now = now;
  }

  sealedDatasetKey(): Uint8Array | undefined {
    const blob = this.#db.prepare('SELECT sealed_dataset_key FROM enclave_state WHERE id = 1').pluck().get() as Buffer | undefined;
    return blob === undefined ? undefined : new Uint8Array(blob);
  }

  /** Stores the wrapped key (at genesis, or after a re-wrap for a new measurement). */
  saveSealedDatasetKey(sealed: Uint8Array): void {
    this.#db
      .prepare(
        `INSERT INTO enclave_state (id, sealed_dataset_key, updated_at) VALUES (1, ?, ?)
         ON CONFLICT (id) DO UPDATE SET sealed_dataset_key = excluded.sealed_dataset_key, updated_at = excluded.updated_at`,
      )
      .run(Buffer.from(sealed), this.#now());
  }
}
