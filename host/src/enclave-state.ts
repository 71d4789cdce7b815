// Keeps the enclave's sealed state between boots: the enclave has no disk, so after each reply
// that carries a new state the host stores it here (durably, before it acts on the reply) and
// hands it back at the next boot. The host cannot read or forge it; it only keeps it.
//
// The state is an append-only chain of sealed segments under a small sealed root
// (enclave/src/state/segmented-state.ts); a reply carries a state bundle of the new segments and
// the new root (wire/src/channel-state.ts). The segments are stored once each, never rewritten
// and never compacted; a root is usable ("complete") once every segment it names is stored, since
// replies may be kept out of order. A state kept before segments (one blob, format 2 or 3) stays
// a complete root of its own until the enclave migrates it at its next boot.
//
// A bundle from the enclave also carries the audit entries and signed heads made since the
// previous state; they are stored in the same transaction (db/audit-log.ts), so every stored
// state's entries are stored with it.
import { createHash } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import type { Hex } from 'viem';
import { decodeStateBundle, encodeStateBundle, isAudataError, peekRootHeader, peekSegmentHeader, STATE_BATCH_BYTES, type SealedStateRefJson } from '@audata/wire';
import { AUDIT_KINDS, type AuditEntry, type SignedAuditHead } from '@audata/verifier/audit';
import { AuditLogStore } from './db/audit-log.ts';
import { HostError } from './errors.ts';

export interface SealedStateRecord {
  counter: bigint;
  sha256: Hex;
  /** The sealed root (or, stored before segments, the whole one-blob state). */
  blob: Uint8Array;
  /** Segments the root names (0 for a one-blob state). */
  segments: bigint;
  savedAt: number;
}

/** The bundle does not match the reference the enclave sent with it, or is not a state bundle: damaged in transit or a bug. */
export class EnclaveStateMismatchError extends HostError {
  override name = 'EnclaveStateMismatchError';
  constructor(field: 'sha256' | 'bytes' | 'counter' | 'bundle', expected: string | number, received: string | number) {
    super('HOST_ENCLAVE_STATE_MISMATCH', `The sealed state's ${field} is ${received}; the enclave's reply says ${expected}.`, {
      details: { field, expected, received },
      hint: 'Ask the enclave for its latest state (the state request); the stored one was kept.',
    });
  }
}

/** A different root under a counter, or a different segment under a sequence number, already stored: two enclaves, or one booted from an old state. */
export class EnclaveStateConflictError extends HostError {
  override name = 'EnclaveStateConflictError';
  constructor(what: 'state' | 'segment', at: bigint, stored: Hex, received: Hex) {
    super('HOST_ENCLAVE_STATE_CONFLICT', `Sealed ${what} ${at} is stored with hash ${stored}; a different one (${received}) arrived.`, {
      details: { what, at: at.toString(), expected: stored, received },
      hint: 'Run one enclave per database and boot it from the latest stored state; the stored one was kept.',
    });
  }
}

/** SQLite integers are signed 64-bit. */
const MAX_INTEGER = 2n ** 63n - 1n;
/** Segment rows read per query when streaming them to the enclave (no cursor stays open across awaits). */
const PAGE_ROWS = 256;

interface Row {
  counter: bigint;
  sha256: Hex;
  blob: Buffer;
  segments: bigint;
  saved_at: bigint;
}

const sha256Of = (bytes: Uint8Array): Hex => `0x${createHash('sha256').update(bytes).digest('hex')}`;

export class SealedEnclaveStateStore {
  readonly #db: Database;
  readonly #now: () => number;
  readonly #audit: AuditLogStore;

  constructor(db: Database, now: () => number = Date.now) {
    this.#db = db;
    this.#now = now;
    this.#audit = new AuditLogStore(db);
  }

  /** The latest complete state, to hand to the enclave at boot. */
  latest(): SealedStateRecord | undefined {
    return this.#read(0);
  }

  /** The complete one before it, kept for an operator's recovery; an enclave with an anchor refuses it. */
  previous(): SealedStateRecord | undefined {
    return this.#read(1);
  }

  /** The boot request's binary attachment: the latest root as a bundle (a one-blob state as it is), or nothing at genesis. */
  bootAttachment(): Uint8Array {
    const latest = this.latest();
    if (latest === undefined) return new Uint8Array(0);
    return latest.segments === 0n && !isRoot(latest.blob) ? latest.blob : encodeStateBundle({ segments: [], root: latest.blob });
  }

  /**
   * The segments the latest complete root names, in order, as bundles of about `batchBytes`
   * (state.segments frames). Read a page at a time, so no query stays open between frames.
   */
  *segmentBundles(batchBytes: number = STATE_BATCH_BYTES): Generator<Uint8Array> {
    const count = this.latest()?.segments ?? 0n;
    const page = this.#db.prepare('SELECT seq, blob FROM enclave_state_segments WHERE seq >= ? AND seq < ? ORDER BY seq LIMIT ?').safeIntegers(true);
    let batch: Uint8Array[] = [];
    let size = 0;
    let next = 0n;
    while (next < count) {
      const rows = page.all(next, count, PAGE_ROWS) as Array<{ seq: bigint; blob: Buffer }>;
      // A gap is left for the enclave to name (STATE_SEGMENT_MISSING); the host stops where it has nothing more.
      if (rows.length === 0 || rows[0]!.seq !== next) break;
      for (const row of rows) {
        if (row.seq !== next) break;
        if (size > 0 && size + row.blob.length > batchBytes) {
          yield encodeStateBundle({ segments: batch });
          batch = [];
          size = 0;
        }
        batch.push(new Uint8Array(row.blob));
        size += row.blob.length;
        next += 1n;
      }
      if (rows.at(-1)!.seq !== next - 1n) break;
    }
    if (batch.length > 0) yield encodeStateBundle({ segments: batch });
  }

  /**
   * Stores a state bundle from an enclave reply: its segments and its root, in one transaction,
   * committed (synced, as the database runs with synchronous = FULL) before it returns, so callers
   * act on the reply only once its state is durable. A root older than the latest complete one is
   * not stored (its segments are, as later roots name them too); the same one again is a no-op.
   * Keeps the latest two complete roots and any newer one still waiting for a segment. The
   * bundle's audit entries and heads are stored in the same transaction; one that differs from a
   * stored one (HOST_AUDIT_FORK) leaves everything as it was.
   */
  save(ref: SealedStateRefJson, blob: Uint8Array): { stored: boolean } {
    if (blob.length !== ref.bytes) throw new EnclaveStateMismatchError('bytes', ref.bytes, blob.length);
    if (!/^[0-9]{1,19}$/.test(ref.counter) || BigInt(ref.counter) > MAX_INTEGER) throw new EnclaveStateMismatchError('counter', 'a decimal integer below 2^63', ref.counter);
    const counter = BigInt(ref.counter);
    let segments: Array<{ seq: bigint; sha256: Hex; bytes: Uint8Array }>;
    let root: Uint8Array;
    let named: bigint;
    let head: Hex;
    let entries: AuditEntry[] = [];
    let heads: SignedAuditHead[] = [];
    try {
      const bundle = decodeStateBundle(blob);
      if (bundle.root === undefined) throw new EnclaveStateMismatchError('bundle', 'a root', 'none');
      root = bundle.root;
      const header = peekRootHeader(root);
      if (header.counter !== counter) throw new EnclaveStateMismatchError('counter', ref.counter, header.counter.toString());
      named = header.segments;
      head = header.head;
      segments = bundle.segments.map((bytes) => ({ seq: peekSegmentHeader(bytes).seq, sha256: sha256Of(bytes), bytes }));
      if (bundle.audit !== undefined) {
        entries = bundle.audit.entries.map((e) => {
          const kind = AUDIT_KINDS[e.kind];
          if (kind === undefined) throw new EnclaveStateMismatchError('bundle', `audit kinds 0..${AUDIT_KINDS.length - 1}`, `kind ${e.kind} at seq ${e.seq}`);
          return { ...e, kind };
        });
        heads = bundle.audit.heads;
      }
    } catch (error) {
      if (isAudataError(error) && error.code === 'CHANNEL_MESSAGE_INVALID') throw new EnclaveStateMismatchError('bundle', 'a state bundle', error.message);
      throw error;
    }
    const sha256 = sha256Of(root);
    if (sha256 !== ref.sha256.toLowerCase()) throw new EnclaveStateMismatchError('sha256', ref.sha256, sha256);
    if (named > MAX_INTEGER || segments.some((s) => s.seq > MAX_INTEGER)) throw new EnclaveStateMismatchError('bundle', 'sequence numbers below 2^63', 'a larger one');
    return this.#db
      .transaction(() => {
        const storedSegment = this.#db.prepare('SELECT sha256 FROM enclave_state_segments WHERE seq = ?').pluck();
        const insertSegment = this.#db.prepare('INSERT INTO enclave_state_segments (seq, sha256, blob, saved_at) VALUES (?, ?, ?, ?)');
        for (const segment of segments) {
          const same = storedSegment.get(segment.seq) as Hex | undefined;
          if (same === undefined) insertSegment.run(segment.seq, segment.sha256, Buffer.from(segment.bytes), this.#now());
          else if (same !== segment.sha256) throw new EnclaveStateConflictError('segment', segment.seq, same, segment.sha256);
        }
        this.#audit.insert(entries, heads);
        const same = this.#db.prepare('SELECT sha256 FROM sealed_enclave_state WHERE counter = ?').pluck().get(counter) as Hex | undefined;
        if (same !== undefined) {
          if (same !== sha256) throw new EnclaveStateConflictError('state', counter, same, sha256);
          this.#promote();
          return { stored: false };
        }
        const latest = this.#latestComplete();
        if (latest !== undefined && counter < latest.counter) return { stored: false };
        // The root names its last segment by hash: one stored under that number must be it.
        const last = named === 0n ? undefined : (storedSegment.get(named - 1n) as Hex | undefined);
        if (last !== undefined && last !== head) throw new EnclaveStateConflictError('segment', named - 1n, last, head);
        this.#db
          .prepare('INSERT INTO sealed_enclave_state (counter, sha256, blob, saved_at, segments, complete) VALUES (?, ?, ?, ?, ?, 0)')
          .run(counter, sha256, Buffer.from(root), this.#now(), named);
        this.#promote();
        return { stored: true };
      })
      .immediate();
  }

  /** Marks complete every waiting root whose segments are all stored, then prunes (inside save's transaction). */
  #promote(): void {
    const waiting = this.#db.prepare('SELECT counter, segments, blob FROM sealed_enclave_state WHERE complete = 0 ORDER BY counter').safeIntegers(true).all() as Array<{ counter: bigint; segments: bigint; blob: Buffer }>;
    const lastHash = this.#db.prepare('SELECT sha256 FROM enclave_state_segments WHERE seq = ?').pluck();
    const countIn = this.#db.prepare('SELECT count(*) FROM enclave_state_segments WHERE seq >= ? AND seq < ?').pluck().safeIntegers(true);
    for (const root of waiting) {
      // Everything below the latest complete root's count is stored already; only the rest is counted.
      const base = this.#latestComplete()?.segments ?? 0n;
      const from = base < root.segments ? base : root.segments;
      if ((countIn.get(from, root.segments) as bigint) !== root.segments - from) continue;
      if (root.segments > 0n && lastHash.get(root.segments - 1n) !== peekRootHeader(root.blob).head) continue;
      this.#db.prepare('UPDATE sealed_enclave_state SET complete = 1 WHERE counter = ?').run(root.counter);
    }
    const complete = this.#db.prepare('SELECT counter FROM sealed_enclave_state WHERE complete = 1 ORDER BY counter DESC LIMIT 2').pluck().safeIntegers(true).all() as bigint[];
    if (complete.length === 0) return;
    // The previous complete root stays as the fallback; waiting roots older than the latest are moot.
    this.#db.prepare('DELETE FROM sealed_enclave_state WHERE (complete = 1 AND counter < ?) OR (complete = 0 AND counter < ?)').run(complete.at(-1)!, complete[0]!);
  }

  #latestComplete(): { counter: bigint; segments: bigint } | undefined {
    return this.#db.prepare('SELECT counter, segments FROM sealed_enclave_state WHERE complete = 1 ORDER BY counter DESC LIMIT 1').safeIntegers(true).get() as { counter: bigint; segments: bigint } | undefined;
  }

  #read(skip: number): SealedStateRecord | undefined {
    const row = this.#db
      .prepare('SELECT counter, sha256, blob, segments, saved_at FROM sealed_enclave_state WHERE complete = 1 ORDER BY counter DESC LIMIT 1 OFFSET ?')
      .safeIntegers(true)
      .get(skip) as Row | undefined;
    return row === undefined ? undefined : { counter: row.counter, sha256: row.sha256, blob: new Uint8Array(row.blob), segments: row.segments, savedAt: Number(row.saved_at) };
  }
}

/** A format 4 root (as opposed to a one-blob state of format 2 or 3, stored before segments). */
function isRoot(blob: Uint8Array): boolean {
  try {
    peekRootHeader(blob);
    return true;
  } catch {
    return false;
  }
}
