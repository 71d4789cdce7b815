// The enclave's append-only audit log: every key release, proof, job start, release and
// receipt becomes a hash-chained entry, and the head is signed (EIP-712) every few entries
// so the host can anchor it on chain. Format and replay: @audata/verifier/audit. The enclave has
// no disk: entries and heads leave with the sealed states (the runtime takes them from here), and
// only the latest few are held, for a host that lost a reply.
import { createHash } from 'node:crypto';
import type { Address, Hex, LocalAccount, TypedDataDomain } from 'viem';
import { AudataError } from '@audata/wire';
import {
  AUDIT_KINDS,
  ZERO_HASH,
  auditHeadMessage,
  auditHeadTypes,
  hashAuditEntry,
  type AuditEntry,
  type AuditKind,
  type SignedAuditHead,
} from '@audata/verifier/audit';

export class AuditLogError extends AudataError {
  override name = 'AuditLogError' as const;
  constructor(field: string, expected: string, received: string) {
    super('AUDIT_LOG_INVALID_INPUT', `${field} must be ${expected}; received ${received}.`, { details: { field, expected, received } });
  }
}

export interface AuditLogOptions {
  /** The enclave's secp256k1 key (a viem account), generated inside the enclave. */
  signer: Pick<LocalAccount, 'address' | 'signTypedData'>;
  domain: TypedDataDomain;
  /** Sign the head after this many new entries (and whenever signHead is called). */
  signEvery: number;
  /** Unix milliseconds. */
  clock?: () => number;
  /** Called with each entry and each signed head as they are made, e.g. to persist or ship them. */
  onEntry?: (entry: AuditEntry) => void;
  onHead?: (head: SignedAuditHead) => void;
  /** Continue a chain begun in an earlier boot (from the sealed state) instead of starting at seq 0. */
  resume?: { entries: number; head: Hex; lastTime: number };
  /** Entries (and, separately, signed heads) held in memory, the latest ones; default 16,384. */
  maxHeld?: number;
}

/** The entries a channel frame carries at most with a state (wire MAX_BUNDLE_AUDIT_ENTRIES). */
export const DEFAULT_MAX_HELD_AUDIT = 16_384;

/** SHA-256 of what is logged; the log keeps only the digest, never the payload. */
export function payloadDigest(payload: Uint8Array | string): Hex {
  return `0x${createHash('sha256').update(payload).digest('hex')}`;
}

export class AuditLog {
  // The latest entries and heads only (maxHeld each); older ones already left with a state.
  #entries: AuditEntry[] = [];
  #heads: SignedAuditHead[] = [];
  readonly #maxHeld: number;
  /** Entries written in this boot. */
  #count = 0;
  readonly #options: AuditLogOptions;
  readonly #clock: () => number;
  #head: Hex = ZERO_HASH;
  /** Entries written before this boot: seq numbers continue from here. */
  #base = 0;
  #sinceSigned = 0;
  #lastTime = 0;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: AuditLogOptions) {
    if (!Number.isSafeInteger(options.signEvery) || options.signEvery < 1) throw new AuditLogError('signEvery', 'an integer >= 1', String(options.signEvery));
    this.#maxHeld = options.maxHeld ?? DEFAULT_MAX_HELD_AUDIT;
    if (!Number.isSafeInteger(this.#maxHeld) || this.#maxHeld < 1) throw new AuditLogError('maxHeld', 'an integer >= 1', String(options.maxHeld));
    this.#options = options;
    this.#clock = options.clock ?? Date.now;
    if (options.resume !== undefined) {
      const { entries, head, lastTime } = options.resume;
      if (!Number.isSafeInteger(entries) || entries < 0) throw new AuditLogError('resume.entries', 'an integer >= 0', String(entries));
      if (!/^0x[0-9a-f]{64}$/.test(head) || (entries === 0) !== (head === ZERO_HASH)) throw new AuditLogError('resume.head', 'a lower-case 32-byte hash, zero exactly when there are no entries', head);
      this.#base = entries;
      this.#head = head;
      this.#lastTime = lastTime;
    }
  }

  get signer(): Address {
    return this.#options.signer.address;
  }

  /** Appends an entry (and signs the head when due); entries are appended strictly one at a time. */
  append(kind: AuditKind, payload: Uint8Array | string): Promise<AuditEntry> {
    if (!AUDIT_KINDS.includes(kind)) return Promise.reject(new AuditLogError('kind', AUDIT_KINDS.join(' | '), String(kind)));
    const run = this.#queue.then(async () => {
      // A clock that steps back must not make the log look reordered.
      const time = Math.max(this.#lastTime, Math.floor(this.#clock()));
      const entry: AuditEntry = { seq: this.#base + this.#count, prevHash: this.#head, kind, payloadDigest: payloadDigest(payload), time };
      this.#entries.push(entry);
      this.#count += 1;
      if (this.#entries.length > this.#maxHeld) this.#entries = this.#entries.slice(-this.#maxHeld);
      this.#head = hashAuditEntry(entry);
      this.#lastTime = time;
      this.#options.onEntry?.(entry);
      if (++this.#sinceSigned >= this.#options.signEvery) await this.#sign();
      return entry;
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Signs the current head now (e.g. before anchoring); undefined for an empty log. */
  signHead(): Promise<SignedAuditHead | undefined> {
    const run = this.#queue.then(() => (this.#count === 0 ? undefined : this.#sign()));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #sign(): Promise<SignedAuditHead> {
    const seq = this.#base + this.#count - 1;
    const last = this.#heads.at(-1);
    if (last !== undefined && last.seq === seq) return last;
    const head = this.#head;
    const signature = await this.#options.signer.signTypedData({
      domain: this.#options.domain,
      types: auditHeadTypes,
      primaryType: 'AuditHead',
      message: auditHeadMessage({ head, seq }),
    });
    const signed: SignedAuditHead = { seq, head, signer: this.#options.signer.address, signature };
    this.#heads.push(signed);
    if (this.#heads.length > this.#maxHeld) this.#heads = this.#heads.slice(-this.#maxHeld);
    this.#sinceSigned = 0;
    this.#options.onHead?.(signed);
    return signed;
  }

  /** The current head (hash of the last entry) and its seq. */
  head(): { seq: number; head: Hex } {
    return { seq: this.#base + this.#count - 1, head: this.#head };
  }

  /** Where the chain stands, in the form `resume` takes after a restart. */
  position(): { entries: number; head: Hex; lastTime: number } {
    return { entries: this.#base + this.#count, head: this.#head, lastTime: this.#lastTime };
  }

  /** Copies of the held entries from `seq` up to (not including) `to`, oldest first. */
  entriesFrom(seq: number, to = Number.MAX_SAFE_INTEGER): AuditEntry[] {
    return this.#entries.filter((e) => e.seq >= seq && e.seq < to).map((e) => ({ ...e }));
  }

  /** Copies of the held signed heads of seq `seq` or later, oldest first. */
  headsFrom(seq: number, to = Number.MAX_SAFE_INTEGER): SignedAuditHead[] {
    return this.#heads.filter((h) => h.seq >= seq && h.seq < to).map((h) => ({ ...h }));
  }

  /** Copies of the held entries and signed heads, the form verifyAuditLog replays (the whole log while it fits maxHeld). */
  export(): { entries: AuditEntry[]; heads: SignedAuditHead[] } {
    return { entries: this.entriesFrom(0), heads: this.headsFrom(0) };
  }
}
