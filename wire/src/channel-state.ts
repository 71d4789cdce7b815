// How the enclave's segmented sealed state travels the channel (enclave/src/state/sealed-state.ts
// seals it): a state bundle of sealed segments and, at most one, sealed root. Both sides read
// bundles from untrusted bytes, and the host reads the few plaintext header fields it stores by
// (a segment's sequence number, a root's counter and segment count); the enclave authenticates
// all of them, so a host that misreports one only gets its state refused.
//
// Bundle (integers big-endian):
//
// | size | field                                                         |
// |------|---------------------------------------------------------------|
// | 4    | magic "AUSB"                                                  |
// | 4    | segment count N                                               |
// | N x  | segment length (u32), then the sealed segment (magic "AUSG") |
// | 4    | root length R (0: no root)                                    |
// | R    | the sealed root (magic "AUST", format 4)                      |
// | rest | optional audit section (below); absent when the bundle ends here |
//
// Audit section (enclave replies only): the audit entries made since the previous state's root
// and signed heads not sent before. They hold only digests and are public; their integrity comes
// from the hash chain, the head signatures and the anchors on chain, checked by any auditor
// (@audata/verifier/audit), so they travel in the clear.
//
// | size    | field                                                                  |
// |---------|------------------------------------------------------------------------|
// | 4       | entry count E                                                          |
// | E x 81  | seq (u64), prevHash (32), kind (u8, index in AUDIT_KINDS), payloadDigest (32), time (u64, ms) |
// | 4       | head count H                                                           |
// | H x 125 | seq (u64), head (32), signer (20), signature (65)                      |
//
// Sealed segment header: "AUSG", version (1), sequence number (u64), dataset key (32), previous
// segment's SHA-256 (32), nonce (24). Sealed root header: "AUST", version (4), counter (u64),
// dataset key (32), segment count (u64), SHA-256 of the last segment (32), nonce (24).
import { ChannelMessageInvalidError } from './channel.ts';

export const STATE_BUNDLE_MAGIC = new Uint8Array([0x41, 0x55, 0x53, 0x42]); // "AUSB"
export const STATE_SEGMENT_MAGIC = new Uint8Array([0x41, 0x55, 0x53, 0x47]); // "AUSG"
export const STATE_ROOT_MAGIC = new Uint8Array([0x41, 0x55, 0x53, 0x54]); // "AUST"
export const STATE_ROOT_VERSION = 4;
export const STATE_SEGMENT_VERSION = 1;
/** Bytes of a segment header before the nonce: magic, version, seq, dataset key, previous hash. */
export const SEGMENT_AD_BYTES = 77;
/** Bytes of a root header before the nonce: magic, version, counter, dataset key, segment count, head. */
export const ROOT_AD_BYTES = 85;
export const STATE_NONCE_BYTES = 24;
export const STATE_TAG_BYTES = 16;
/** One segment: a file's fingerprint entry and record (about 7 KB for 30 s), or a migration's slice. */
export const MAX_STATE_SEGMENT_BYTES = 4 * 1024 * 1024;
/** The root: counters, chain head, audit position and the privacy ledgers. */
export const MAX_STATE_ROOT_BYTES = 2 * 1024 * 1024;
/** Segment bytes per state.segments frame (and per boot attachment), well under the frame limit. */
export const STATE_BATCH_BYTES = 8 * 1024 * 1024;

/** Entries and heads per bundle: the enclave holds at most this many for a host that lost a reply (1.3 and 2 MiB). */
export const MAX_BUNDLE_AUDIT_ENTRIES = 16_384;
export const MAX_BUNDLE_AUDIT_HEADS = 16_384;
export const AUDIT_ENTRY_BYTES = 81;
export const AUDIT_HEAD_BYTES = 125;

/** An audit entry as it travels (the kind as its index in @audata/verifier/audit's AUDIT_KINDS). */
export interface BundleAuditEntry {
  seq: number;
  prevHash: `0x${string}`;
  kind: number;
  payloadDigest: `0x${string}`;
  time: number;
}

/** A signed audit head as it travels. */
export interface BundleAuditHead {
  seq: number;
  head: `0x${string}`;
  signer: `0x${string}`;
  signature: `0x${string}`;
}

export interface StateBundle {
  segments: Uint8Array[];
  root?: Uint8Array;
  /** Entries in seq order without a gap, heads in rising seq order. */
  audit?: { entries: BundleAuditEntry[]; heads: BundleAuditHead[] };
}

export function isStateBundle(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && STATE_BUNDLE_MAGIC.every((b, i) => bytes[i] === b);
}

export function encodeStateBundle(bundle: StateBundle): Uint8Array {
  const root = bundle.root ?? new Uint8Array(0);
  const audit = bundle.audit;
  const auditBytes = audit === undefined ? 0 : 8 + audit.entries.length * AUDIT_ENTRY_BYTES + audit.heads.length * AUDIT_HEAD_BYTES;
  const out = new Uint8Array(8 + bundle.segments.reduce((n, s) => n + 4 + s.length, 0) + 4 + root.length + auditBytes);
  const view = new DataView(out.buffer);
  out.set(STATE_BUNDLE_MAGIC, 0);
  view.setUint32(4, bundle.segments.length);
  let o = 8;
  for (const segment of bundle.segments) {
    view.setUint32(o, segment.length);
    out.set(segment, o + 4);
    o += 4 + segment.length;
  }
  view.setUint32(o, root.length);
  out.set(root, o + 4);
  o += 4 + root.length;
  if (audit === undefined) return out;
  view.setUint32(o, audit.entries.length);
  o += 4;
  for (const e of audit.entries) {
    view.setBigUint64(o, BigInt(e.seq));
    out.set(hexBytes(e.prevHash, 32), o + 8);
    if (!Number.isInteger(e.kind) || e.kind < 0 || e.kind > 255) throw new TypeError(`encodeStateBundle: audit kind ${e.kind} is not a byte`);
    out[o + 40] = e.kind;
    out.set(hexBytes(e.payloadDigest, 32), o + 41);
    view.setBigUint64(o + 73, BigInt(e.time));
    o += AUDIT_ENTRY_BYTES;
  }
  view.setUint32(o, audit.heads.length);
  o += 4;
  for (const h of audit.heads) {
    view.setBigUint64(o, BigInt(h.seq));
    out.set(hexBytes(h.head, 32), o + 8);
    out.set(hexBytes(h.signer, 20), o + 40);
    out.set(hexBytes(h.signature, 65), o + 60);
    o += AUDIT_HEAD_BYTES;
  }
  return out;
}

/**
 * Splits a bundle from the other side. Every length is checked against the bytes present and the
 * caps before anything is sliced; the parts are views into `bytes` (nothing is copied).
 */
export function decodeStateBundle(bytes: Uint8Array, what = 'state bundle'): StateBundle {
  const bad = (problem: string) => new ChannelMessageInvalidError(what, 'attachment', problem);
  if (!isStateBundle(bytes)) throw bad('does not start with the AUSB magic');
  if (bytes.length < 12) throw bad(`is ${bytes.length} bytes, shorter than an empty bundle (12)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const count = view.getUint32(4);
  // Each segment takes at least its 4-byte length, so a lying count fails before the loop.
  if (count > (bytes.length - 12) / 4) throw bad(`declares ${count} segments, more than ${bytes.length} bytes can hold`);
  const segments: Uint8Array[] = [];
  let o = 8;
  for (let i = 0; i < count; i += 1) {
    if (o + 4 > bytes.length) throw bad(`ends inside segment ${i}'s length at byte ${o}`);
    const length = view.getUint32(o);
    o += 4;
    if (length > MAX_STATE_SEGMENT_BYTES) throw bad(`declares segment ${i} of ${length} bytes, above the ${MAX_STATE_SEGMENT_BYTES}-byte cap`);
    if (o + length > bytes.length) throw bad(`declares segment ${i} of ${length} bytes, ${bytes.length - o} left`);
    segments.push(bytes.subarray(o, o + length));
    o += length;
  }
  if (o + 4 > bytes.length) throw bad(`ends before the root length at byte ${o}`);
  const rootLength = view.getUint32(o);
  o += 4;
  if (rootLength > MAX_STATE_ROOT_BYTES) throw bad(`declares a root of ${rootLength} bytes, above the ${MAX_STATE_ROOT_BYTES}-byte cap`);
  if (o + rootLength > bytes.length) throw bad(`declares a root of ${rootLength} bytes, ${bytes.length - o} left`);
  const bundle: StateBundle = rootLength === 0 ? { segments } : { segments, root: bytes.subarray(o, o + rootLength) };
  o += rootLength;
  if (o === bytes.length) return bundle;
  bundle.audit = decodeAuditSection(view, o, bad);
  return bundle;
}

/** The audit section from byte `o` to the end: counts and caps checked before reading, nothing left over. */
function decodeAuditSection(view: DataView, start: number, bad: (problem: string) => ChannelMessageInvalidError): NonNullable<StateBundle['audit']> {
  const end = view.byteLength;
  let o = start;
  const count = (what: string, size: number, cap: number): number => {
    if (o + 4 > end) throw bad(`ends before the audit ${what} count at byte ${o}`);
    const n = view.getUint32(o);
    o += 4;
    if (n > cap) throw bad(`declares ${n} audit ${what}, above the cap of ${cap}`);
    if (n * size > end - o) throw bad(`declares ${n} audit ${what} of ${size} bytes, ${end - o} left`);
    return n;
  };
  const u64 = (at: number, what: string): number => {
    const value = view.getBigUint64(at);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw bad(`has an audit ${what} of ${value}, above 2^53 - 1`);
    return Number(value);
  };
  const hexAt = (at: number, length: number): `0x${string}` => `0x${Buffer.from(view.buffer, view.byteOffset + at, length).toString('hex')}`;
  const entries: BundleAuditEntry[] = [];
  const entryCount = count('entries', AUDIT_ENTRY_BYTES, MAX_BUNDLE_AUDIT_ENTRIES);
  for (let i = 0; i < entryCount; i += 1, o += AUDIT_ENTRY_BYTES) {
    const seq = u64(o, 'entry seq');
    if (i > 0 && seq !== entries[i - 1]!.seq + 1) throw bad(`has audit entry ${i} at seq ${seq}, expected ${entries[i - 1]!.seq + 1}`);
    entries.push({ seq, prevHash: hexAt(o + 8, 32), kind: view.getUint8(o + 40), payloadDigest: hexAt(o + 41, 32), time: u64(o + 73, 'entry time') });
  }
  const heads: BundleAuditHead[] = [];
  const headCount = count('heads', AUDIT_HEAD_BYTES, MAX_BUNDLE_AUDIT_HEADS);
  for (let i = 0; i < headCount; i += 1, o += AUDIT_HEAD_BYTES) {
    const seq = u64(o, 'head seq');
    if (i > 0 && seq <= heads[i - 1]!.seq) throw bad(`has audit head ${i} at seq ${seq}, not after ${heads[i - 1]!.seq}`);
    heads.push({ seq, head: hexAt(o + 8, 32), signer: hexAt(o + 40, 20), signature: hexAt(o + 60, 65) });
  }
  if (o !== end) throw bad(`has ${end - o} bytes after the audit section`);
  return { entries, heads };
}

function hexBytes(value: string, length: number): Uint8Array {
  if (!new RegExp(`^0x[0-9a-fA-F]{${length * 2}}$`).test(value)) throw new TypeError(`encodeStateBundle: ${value.slice(0, 12)}... is not ${length} bytes of hex`);
  return new Uint8Array(Buffer.from(value.slice(2), 'hex'));
}

/** A sealed segment's sequence number and previous hash as its header states them (unauthenticated). */
export function peekSegmentHeader(segment: Uint8Array): { seq: bigint } {
  if (segment.length < SEGMENT_AD_BYTES + STATE_NONCE_BYTES + STATE_TAG_BYTES || !STATE_SEGMENT_MAGIC.every((b, i) => segment[i] === b)) {
    throw new ChannelMessageInvalidError('state bundle', 'segment', `is not a sealed segment (${segment.length} bytes)`);
  }
  return { seq: new DataView(segment.buffer, segment.byteOffset, segment.length).getBigUint64(5) };
}

/** A sealed root's counter and segment count as its header states them (unauthenticated). */
export function peekRootHeader(root: Uint8Array): { counter: bigint; segments: bigint; head: `0x${string}` } {
  if (root.length < ROOT_AD_BYTES + STATE_NONCE_BYTES + STATE_TAG_BYTES || !STATE_ROOT_MAGIC.every((b, i) => root[i] === b) || root[4] !== STATE_ROOT_VERSION) {
    throw new ChannelMessageInvalidError('state bundle', 'root', `is not a format ${STATE_ROOT_VERSION} sealed root (${root.length} bytes)`);
  }
  const view = new DataView(root.buffer, root.byteOffset, root.length);
  return { counter: view.getBigUint64(5), segments: view.getBigUint64(45), head: `0x${Buffer.from(root.subarray(53, 85)).toString('hex')}` };
}
