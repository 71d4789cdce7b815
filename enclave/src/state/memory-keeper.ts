// What the host does with the enclave's state bundles (host/src/enclave-state.ts keeps them in
// SQLite), in memory: for tests and tools that drive the runtime's handlers directly and need to
// boot it again from what its replies carried, or replay the audit log they carried.
import { decodeStateBundle, encodeStateBundle, peekRootHeader, peekSegmentHeader } from '@audata/wire';
import { AUDIT_KINDS, type AuditEntry, type AuditLogExport, type SignedAuditHead } from '@audata/verifier/audit';

export class MemoryStateKeeper {
  readonly #segments = new Map<bigint, Uint8Array>();
  readonly #entries = new Map<number, AuditEntry>();
  readonly #heads = new Map<number, SignedAuditHead>();
  #root: Uint8Array | undefined;

  /** Keeps a reply's bundle: its segments by sequence number, its root when newer than the one kept, its audit entries and heads by seq. */
  keep(bundle: Uint8Array): void {
    const { segments, root, audit } = decodeStateBundle(bundle);
    for (const segment of segments) this.#segments.set(peekSegmentHeader(segment).seq, segment.slice());
    for (const entry of audit?.entries ?? []) this.#entries.set(entry.seq, { ...entry, kind: AUDIT_KINDS[entry.kind]! });
    for (const head of audit?.heads ?? []) this.#heads.set(head.seq, { ...head });
    if (root !== undefined && (this.#root === undefined || peekRootHeader(root).counter > peekRootHeader(this.#root).counter)) this.#root = root.slice();
  }

  /** The audit log the kept bundles carried, in seq order, as verifyAuditLog replays it. */
  audit(): AuditLogExport {
    const bySeq = <T extends { seq: number }>(map: Map<number, T>) => [...map.values()].sort((a, b) => a.seq - b.seq);
    return { entries: bySeq(this.#entries), heads: bySeq(this.#heads) };
  }

  /** A boot attachment: the root of `bundle` (by default the latest kept) with every segment it names that is kept. */
  bootBundle(bundle?: Uint8Array): Uint8Array {
    const root = bundle === undefined ? this.#root : decodeStateBundle(bundle).root;
    if (root === undefined) return new Uint8Array(0);
    const segments: Uint8Array[] = [];
    for (let seq = 0n; seq < peekRootHeader(root).segments; seq += 1n) {
      const segment = this.#segments.get(seq);
      if (segment !== undefined) segments.push(segment);
    }
    return encodeStateBundle({ segments, root });
  }
}
