// Keeps the enclave's encrypted feature entries (one per scored file) for the enclave, which has
// no disk: the bytes go to the blob store under their own SHA-256 (durable before the row that
// names them is written), and a row maps the file to them. The host cannot read or forge an
// entry; the enclave authenticates each one it is handed back.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Database } from 'better-sqlite3';
import type { Hex } from 'viem';
import type { BlobStore } from '../blobs/blob-store.ts';
import { HostError } from '../errors.ts';
import { withoutSync } from './open-database.ts';

/** An entry of one hour of 128-band log-mel at 100 frames per second, plus its framing: the enclave's own cap. */
export const MAX_FEATURE_ENTRY_BYTES = 360_000 * 128 * 4 + 1024;

/** A stored entry whose bytes are not those its row names: damaged storage. */
export class FeatureEntryDamagedError extends HostError {
  override name = 'FeatureEntryDamagedError';
  constructor(fileId: string, reason: string) {
    super('HOST_FEATURE_ENTRY_DAMAGED', `The stored feature entry of ${fileId} is damaged: ${reason}.`, {
      details: { fileId, reason },
      hint: 'The file is left out of jobs until it is scored again; restore the blob store from a backup to bring it back.',
    });
  }
}

export class FeatureEntryStore {
  readonly #db: Database;
  readonly #blobs: BlobStore;
  readonly #now: () => number;

  constructor(db: Database, blobs: BlobStore, now: () => number = Date.now) {
    this.#db = db;
    this.#blobs = blobs;
    this.#now = now;
  }

  /** Stores `entry` for `fileId`, replacing an earlier one; durable when it resolves. */
  async save(fileId: Hex, entry: Uint8Array): Promise<void> {
    if (!/^0x[0-9a-fA-F]{64}$/.test(fileId)) throw new TypeError(`FeatureEntryStore.save: ${fileId} is not a file id`);
    if (entry.length === 0 || entry.length > MAX_FEATURE_ENTRY_BYTES) throw new FeatureEntryDamagedError(fileId, `${entry.length} bytes is outside 1..${MAX_FEATURE_ENTRY_BYTES}`);
    const sha256: Hex = `0x${createHash('sha256').update(entry).digest('hex')}`;
    await this.#blobs.put(sha256, Readable.from([Buffer.from(entry.buffer, entry.byteOffset, entry.length)]), { maxBytes: MAX_FEATURE_ENTRY_BYTES });
    // Not synced on its own: the state that names this entry is saved next with a synced
    // commit, which makes this row durable too (the WAL keeps commit order).
    withoutSync(this.#db, () =>
      this.#db
        .prepare(
          `INSERT INTO feature_entries (file_id, entry_sha256, bytes, saved_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (file_id) DO UPDATE SET entry_sha256 = excluded.entry_sha256, bytes = excluded.bytes, saved_at = excluded.saved_at`,
        )
        .run(fileId.toLowerCase(), sha256, entry.length, this.#now()),
    );
  }

  /** The entry, or undefined when none was kept; FeatureEntryDamagedError when its bytes changed. */
  async load(fileId: Hex): Promise<Uint8Array | undefined> {
    const row = this.#db.prepare('SELECT entry_sha256, bytes FROM feature_entries WHERE file_id = ?').get(fileId.toLowerCase()) as { entry_sha256: Hex; bytes: number } | undefined;
    if (row === undefined) return undefined;
    let stream: Readable;
    try {
      stream = await this.#blobs.get(row.entry_sha256);
    } catch (error) {
      throw new FeatureEntryDamagedError(fileId, `its blob ${row.entry_sha256} cannot be read (${error instanceof Error ? error.message : String(error)})`);
    }
    const out = new Uint8Array(row.bytes);
    let filled = 0;
    const hash = createHash('sha256');
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (filled + chunk.length > out.length) {
        stream.destroy();
        throw new FeatureEntryDamagedError(fileId, `the blob is longer than the ${row.bytes} bytes recorded`);
      }
      out.set(chunk, filled);
      filled += chunk.length;
      hash.update(chunk);
    }
    if (filled !== out.length) throw new FeatureEntryDamagedError(fileId, `the blob has ${filled} of the ${row.bytes} bytes recorded`);
    if (`0x${hash.digest('hex')}` !== row.entry_sha256) throw new FeatureEntryDamagedError(fileId, 'its SHA-256 changed');
    return out;
  }
}
