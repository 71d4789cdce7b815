// Keeps the enclave's audit log, which arrives in pieces with its sealed states (a Nitro enclave
// has no disk), and serves it to auditors in the form `verifyAuditLog` replays. The host cannot
// forge it (each entry hashes the one before, heads are signed by the enclave, anchors are on
// chain); it only keeps it, and refuses to keep two different entries under one seq.
import type { Database } from 'better-sqlite3';
import { getAddress, type Hex } from 'viem';
import type { AuditEntry, AuditKind, SignedAuditHead } from '@audata/verifier/audit';
import { HostError } from '../errors.ts';

/** A different entry (or signed head) under a seq already stored: the enclave was booted from an older state, or two enclaves share one database. */
export class AuditForkError extends HostError {
  override name = 'AuditForkError';
  constructor(what: 'entry' | 'head', seq: number, stored: string, received: string) {
    super('HOST_AUDIT_FORK', `Audit ${what} ${seq} is stored as ${stored}; a different one (${received}) arrived, so the enclave's log forked.`, {
      details: { what, seq, expected: stored, received },
      hint: 'Nothing was stored. Boot the enclave from the latest stored state; a fork is evidence for auditors, keep the stored log.',
    });
  }
}

/** One page of GET /v1/audit. */
export interface AuditPage {
  /** Entries from the page's `from`, consecutive, at most `limit`. */
  entries: AuditEntry[];
  /** Signed heads over those entries. */
  heads: SignedAuditHead[];
  /** The `from` of the next page, or null when the stored log ends (or a gap begins) here. */
  next: number | null;
  /** Entries missing from the store, from `from` up to (not including) `to`, where this page stops; later ones are stored. */
  gap?: { from: number; to: number };
}

interface EntryRow {
  seq: number;
  prev_hash: Hex;
  kind: AuditKind;
  payload_digest: Hex;
  time: number;
}

interface HeadRow {
  seq: number;
  head: Hex;
  signer: Hex;
  signature: Hex;
}

const entryKey = (e: AuditEntry) => `${e.prevHash}/${e.kind}/${e.payloadDigest}/${e.time}`;
const headKey = (h: SignedAuditHead) => `${h.head}/${h.signer.toLowerCase()}/${h.signature}`;

export class AuditLogStore {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /**
   * Stores entries and heads; one already stored the same is a no-op, a different one throws
   * AuditForkError. Run it inside the caller's transaction (the state's), so a refusal leaves
   * nothing of the bundle stored.
   */
  insert(entries: readonly AuditEntry[], heads: readonly SignedAuditHead[]): void {
    const storedEntry = this.#db.prepare('SELECT seq, prev_hash, kind, payload_digest, time FROM audit_entries WHERE seq = ?');
    const insertEntry = this.#db.prepare('INSERT INTO audit_entries (seq, prev_hash, kind, payload_digest, time) VALUES (?, ?, ?, ?, ?)');
    for (const entry of entries) {
      const row = storedEntry.get(entry.seq) as EntryRow | undefined;
      if (row === undefined) insertEntry.run(entry.seq, entry.prevHash, entry.kind, entry.payloadDigest, entry.time);
      else if (entryKey(entryOf(row)) !== entryKey(entry)) throw new AuditForkError('entry', entry.seq, entryKey(entryOf(row)), entryKey(entry));
    }
    const storedHead = this.#db.prepare('SELECT seq, head, signer, signature FROM audit_heads WHERE seq = ?');
    const insertHead = this.#db.prepare('INSERT INTO audit_heads (seq, head, signer, signature) VALUES (?, ?, ?, ?)');
    for (const head of heads) {
      const row = storedHead.get(head.seq) as HeadRow | undefined;
      const signed = { ...head, signer: getAddress(head.signer) };
      if (row === undefined) insertHead.run(signed.seq, signed.head, signed.signer, signed.signature);
      else if (headKey(row) !== headKey(signed)) throw new AuditForkError('head', head.seq, headKey(row), headKey(signed));
    }
  }

  /** Up to `limit` consecutive entries from `from`, with the heads over them; stops at a gap and says where it is. */
  page(from: number, limit: number): AuditPage {
    const rows = this.#db.prepare('SELECT seq, prev_hash, kind, payload_digest, time FROM audit_entries WHERE seq >= ? ORDER BY seq LIMIT ?').all(from, limit + 1) as EntryRow[];
    const entries: AuditEntry[] = [];
    let gap: AuditPage['gap'];
    for (const row of rows.slice(0, limit)) {
      const expected = from + entries.length;
      if (row.seq !== expected) {
        gap = { from: expected, to: row.seq };
        break;
      }
      entries.push(entryOf(row));
    }
    // A row past the limit right after the page means there is more to read.
    const more = gap === undefined && entries.length === limit && rows[limit]?.seq === from + limit;
    if (gap === undefined && entries.length === limit && rows[limit] !== undefined && !more) gap = { from: from + limit, to: rows[limit]!.seq };
    const heads =
      entries.length === 0
        ? []
        : (this.#db.prepare('SELECT seq, head, signer, signature FROM audit_heads WHERE seq >= ? AND seq <= ? ORDER BY seq').all(from, entries.at(-1)!.seq) as HeadRow[]).map((r) => ({ ...r }));
    return { entries, heads, next: more ? from + limit : null, ...(gap === undefined ? {} : { gap }) };
  }
}

function entryOf(row: EntryRow): AuditEntry {
  return { seq: row.seq, prevHash: row.prev_hash, kind: row.kind, payloadDigest: row.payload_digest, time: row.time };
}
