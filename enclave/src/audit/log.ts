// The enclave's append-only audit log: every key release, proof, job start, release and
// receipt becomes a hash-chained entry, and the head is signed (EIP-712) every few entries
// so the host can anchor it on chain. Format and replay: @audata/verifier/audit.
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
}

/** SHA-256 of what is logged; the log keeps only the digest, never the payload. */
export function payloadDigest(payload: Uint8Array | string): Hex {
  return `0x${createHash('sha256').update(payload).digest('hex')}`;
}

export class AuditLog {
  readonly #entries: AuditEntry[] = [];
  readonly #heads: SignedAuditHead[] = [];
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
      const entry: AuditEntry = { seq: this.#base + this.#entries.length, prevHash: this.#head, kind, payloadDigest: payloadDigest(payload), time };
      this.#entries.push(entry);
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
    const run = this.#queue.then(() => (this.#entries.length === 0 ? undefined : this.#sign()));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #sign(): Promise<SignedAuditHead> {
    const seq = this.#base + this.#entries.length - 1;
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
    this.#sinceSigned = 0;
    this.#options.onHead?.(signed);
    return signed;
  }

  /** The current head (hash of the last entry) and its seq. */
  head(): { seq: number; head: Hex } {
    return { seq: this.#base + this.#entries.length - 1, head: this.#head };
  }

  /** Where the chain stands, in the form `resume` takes after a restart. */
  position(): { entries: number; head: Hex; lastTime: number } {
    return { entries: this.#base + this.#entries.length, head: this.#head, lastTime: this.#lastTime };
  }

  /** Copies of the entries and signed heads, the form verifyAuditLog replays. */
  export(): { entries: AuditEntry[]; heads: SignedAuditHead[] } {
    return { entries: this.#entries.map((e) => ({ ...e })), heads: this.#heads.map((h) => ({ ...h })) };
  }
}
