// The enclave's state as an append-only chain of sealed segments under one small sealed root, so
// what a finished file costs to persist does not grow with the dataset and no state outgrows a
// channel frame (format 3 re-sealed everything after every file and stopped at 16 MiB, about
// 2,500 files). The layouts of the sealed parts are in wire/src/channel-state.ts; here is what
// they hold and why the host cannot rearrange them.
//
// Segment payload: fingerprint entry count (u32), per entry its length (u32) and the entry (one
// file in FingerprintIndex.serialize()'s per-file layout); record count (u32) and the records
// (sealed-state.ts's record layout). The associated data is the header: the sequence number, the
// dataset key and the SHA-256 of the previous sealed segment (zeros for the first). So each
// segment names its place and its predecessor; a dropped, reordered, duplicated or spliced
// segment, or one of another dataset, is refused by its own header once it authenticates.
//
// Root payload (format 4, "AUST" as formats 2 and 3): format 3's payload with an empty index and
// no records, i.e. the audit position and the privacy ledgers. Its associated data carries the
// counter, the dataset key, the segment count and the SHA-256 of the last segment (the chain
// head), so the root commits to every segment and is what a state anchor names (its SHA-256).
//
// The ledgers stay in the root rather than in segments: a spend replaces a buyer's entry rather
// than adding to the dataset, the ledgers are small next to the index (bytes per policy and
// buyer, not per file), and a root that holds the latest of each needs no replay to read them.
//
// Nothing is ever compacted: a segment per finished file is what the enclave needs back at boot
// anyway (every fingerprint and record), so rewriting them would save nothing but the headers.
import { createHash } from 'node:crypto';
import sodium from 'libsodium-wrappers';
import { bytesToHex, type Hex } from 'viem';
import {
  MAX_STATE_ROOT_BYTES,
  MAX_STATE_SEGMENT_BYTES,
  ROOT_AD_BYTES,
  SEGMENT_AD_BYTES,
  STATE_NONCE_BYTES,
  STATE_ROOT_MAGIC,
  STATE_ROOT_VERSION,
  STATE_SEGMENT_MAGIC,
  STATE_SEGMENT_VERSION,
  STATE_TAG_BYTES,
} from '@audata/wire';
import { StateCorruptError, StateRollbackError, StateSegmentChainError, StateSegmentMissingError, StateSegmentOrderError, StateTamperedError, StateTooLargeError, StateTruncatedError, StateVersionUnsupportedError, StateWrongKeyError } from './errors.ts';
import { decodeRootPayload, deriveStateKey, encodeRootPayload, readRecord, recordBytes, writeRecord, type AuditResume, type EnclaveState, type FileRecord, type SealedState } from './sealed-state.ts';

export const GENESIS_HEAD: Hex = `0x${'00'.repeat(32)}`;
const MAX_COUNTER = 2n ** 64n - 1n;
/** Payload room in a segment after its header, nonce and tag. */
const SEGMENT_PAYLOAD_BYTES = MAX_STATE_SEGMENT_BYTES - SEGMENT_AD_BYTES - STATE_NONCE_BYTES - STATE_TAG_BYTES;

/** What one segment adds: fingerprint entries (per-file serialize() layout) and file records. */
export interface SegmentContent {
  fingerprints: Uint8Array[];
  records: FileRecord[];
}

/** An opened root: where the chain ends and the small state that is replaced rather than appended. */
export interface RootContent {
  counter: bigint;
  segments: bigint;
  head: Hex;
  audit: AuditResume;
  ledgers: Array<[string, Uint8Array]>;
}

export interface SealedSegment {
  bytes: Uint8Array;
  seq: bigint;
  sha256: Hex;
}

export interface SegmentedStateSealerOptions {
  datasetSecretKey: Uint8Array;
  datasetPublicKey: Uint8Array;
  randomBytes?: (n: number) => Uint8Array;
}

function sha256(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(bytes).digest());
}

/**
 * Seals segments and roots under the state key, continuing one chain, and opens them. Remembers
 * the highest root counter sealed or opened in this boot, so an older root is refused.
 */
export class SegmentedStateSealer {
  readonly #key: Uint8Array;
  readonly #publicKey: Uint8Array;
  readonly #random: (n: number) => Uint8Array;
  #highest = -1n;
  #segments = 0n;
  #head: Uint8Array = new Uint8Array(32);

  private constructor(key: Uint8Array, options: SegmentedStateSealerOptions) {
    this.#key = key;
    this.#publicKey = options.datasetPublicKey.slice();
    this.#random = options.randomBytes ?? ((n) => sodium.randombytes_buf(n));
  }

  static async create(options: SegmentedStateSealerOptions): Promise<SegmentedStateSealer> {
    await sodium.ready;
    if (options.datasetPublicKey.length !== 32) throw new StateCorruptError(`the dataset public key is ${options.datasetPublicKey.length} bytes, expected 32`);
    return new SegmentedStateSealer(deriveStateKey(options.datasetSecretKey), options);
  }

  /** Segments in the chain so far. */
  get segments(): bigint {
    return this.#segments;
  }

  get head(): Hex {
    return bytesToHex(this.#head);
  }

  /** Continues the chain a restore verified (SegmentChainReader.finish) or a migration started. */
  resume(segments: bigint, head: Hex, counter: bigint): void {
    this.#segments = segments;
    this.#head = new Uint8Array(Buffer.from(head.slice(2), 'hex'));
    if (counter > this.#highest) this.#highest = counter;
  }

  sealSegment(content: SegmentContent): SealedSegment {
    const payload = encodeSegmentPayload(content);
    const size = SEGMENT_AD_BYTES + STATE_NONCE_BYTES + payload.length + STATE_TAG_BYTES;
    if (size > MAX_STATE_SEGMENT_BYTES) throw new StateTooLargeError(MAX_STATE_SEGMENT_BYTES, size);
    const out = new Uint8Array(size);
    out.set(STATE_SEGMENT_MAGIC, 0);
    out[4] = STATE_SEGMENT_VERSION;
    new DataView(out.buffer).setBigUint64(5, this.#segments);
    out.set(this.#publicKey, 13);
    out.set(this.#head, 45);
    this.#encrypt(out, SEGMENT_AD_BYTES, payload);
    payload.fill(0);
    const seq = this.#segments;
    this.#head = sha256(out);
    this.#segments += 1n;
    return { bytes: out, seq, sha256: bytesToHex(this.#head) };
  }

  sealRoot(counter: bigint, audit: AuditResume, ledgers: Array<[string, Uint8Array]>): SealedState {
    if (counter < 0n || counter > MAX_COUNTER) throw new StateCorruptError(`counter ${counter} is outside 0..2^64-1`);
    if (counter <= this.#highest) throw new StateRollbackError(this.#highest + 1n, counter, 'this boot');
    const payload = encodeRootPayload(audit, ledgers);
    const size = ROOT_AD_BYTES + STATE_NONCE_BYTES + payload.length + STATE_TAG_BYTES;
    if (size > MAX_STATE_ROOT_BYTES) throw new StateTooLargeError(MAX_STATE_ROOT_BYTES, size);
    const out = new Uint8Array(size);
    const view = new DataView(out.buffer);
    out.set(STATE_ROOT_MAGIC, 0);
    out[4] = STATE_ROOT_VERSION;
    view.setBigUint64(5, counter);
    out.set(this.#publicKey, 13);
    view.setBigUint64(45, this.#segments);
    out.set(this.#head, 53);
    this.#encrypt(out, ROOT_AD_BYTES, payload);
    payload.fill(0);
    this.#highest = counter;
    return { bytes: out, counter, sha256: bytesToHex(sha256(out)) };
  }

  /** Opens a root: size, magic, version, dataset key, tag, payload, then rollback against this boot. */
  openRoot(bytes: Uint8Array): RootContent {
    const payload = this.#open(bytes, ROOT_AD_BYTES, MAX_STATE_ROOT_BYTES, STATE_ROOT_MAGIC, STATE_ROOT_VERSION, 'root');
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    const counter = view.getBigUint64(5);
    try {
      if (counter < this.#highest) throw new StateRollbackError(this.#highest, counter, 'this boot');
      const { audit, ledgers } = decodeRootPayload(counter, payload);
      this.#highest = counter;
      return { counter, segments: view.getBigUint64(45), head: bytesToHex(bytes.subarray(53, 85)), audit, ledgers };
    } finally {
      payload.fill(0);
    }
  }

  /**
   * Opens segment `expected` of a chain whose previous segment hashes to `previous`, under a root
   * naming `limit` segments. The tag is checked first, so every refusal after it is about a
   * segment this dataset's enclave really sealed (a duplicate, a reordering, a splice).
   */
  openSegment(bytes: Uint8Array, expected: bigint, previous: Hex, limit: bigint): { content: SegmentContent; sha256: Hex } {
    const payload = this.#open(bytes, SEGMENT_AD_BYTES, MAX_STATE_SEGMENT_BYTES, STATE_SEGMENT_MAGIC, STATE_SEGMENT_VERSION, 'segment');
    const seq = new DataView(bytes.buffer, bytes.byteOffset, bytes.length).getBigUint64(5);
    if (seq !== expected || seq >= limit) {
      payload.fill(0);
      throw new StateSegmentOrderError(expected, seq, limit);
    }
    const prev = bytesToHex(bytes.subarray(45, 77));
    if (prev !== previous.toLowerCase()) {
      payload.fill(0);
      throw new StateSegmentChainError(seq, previous, prev);
    }
    try {
      // decodeSegmentPayload copies what it keeps, so the plaintext can be wiped here.
      return { content: decodeSegmentPayload(payload), sha256: bytesToHex(sha256(bytes)) };
    } finally {
      payload.fill(0);
    }
  }

  #encrypt(out: Uint8Array, adBytes: number, payload: Uint8Array): void {
    const nonce = this.#random(STATE_NONCE_BYTES);
    if (nonce.length !== STATE_NONCE_BYTES) throw new StateCorruptError(`randomBytes returned ${nonce.length} bytes for the nonce, expected ${STATE_NONCE_BYTES}`);
    out.set(nonce, adBytes);
    out.set(sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(payload, out.subarray(0, adBytes), null, nonce, this.#key), adBytes + STATE_NONCE_BYTES);
  }

  #open(bytes: Uint8Array, adBytes: number, max: number, magic: Uint8Array, version: number, what: string): Uint8Array {
    if (bytes.length > max) throw new StateTooLargeError(max, bytes.length);
    const min = adBytes + STATE_NONCE_BYTES + STATE_TAG_BYTES;
    if (bytes.length < min) throw new StateTruncatedError(min, bytes.length);
    if (!magic.every((b, i) => bytes[i] === b)) throw new StateTamperedError(`the ${what} does not start with its magic`);
    if (bytes[4] !== version) throw new StateVersionUnsupportedError(version, bytes[4]!);
    const owner = bytes.subarray(13, 45);
    if (!sodium.memcmp(owner, this.#publicKey)) throw new StateWrongKeyError(bytesToHex(this.#publicKey), bytesToHex(owner));
    try {
      return sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, bytes.subarray(adBytes + STATE_NONCE_BYTES), bytes.subarray(0, adBytes), bytes.subarray(adBytes, adBytes + STATE_NONCE_BYTES), this.#key);
    } catch {
      throw new StateTamperedError(`the ${what} does not authenticate`);
    }
  }
}

/**
 * Follows the segment chain a root names, one segment at a time as the host hands them in, and
 * confirms at the end that it arrived where the root says (count and head). Until `finish`
 * returns, nothing it read may be used.
 */
export class SegmentChainReader {
  readonly #sealer: SegmentedStateSealer;
  readonly #root: RootContent;
  #next = 0n;
  #head: Hex = GENESIS_HEAD;

  constructor(sealer: SegmentedStateSealer, root: RootContent) {
    this.#sealer = sealer;
    this.#root = root;
  }

  get received(): bigint {
    return this.#next;
  }

  get complete(): boolean {
    return this.#next === this.#root.segments;
  }

  push(bytes: Uint8Array): SegmentContent {
    const { content, sha256 } = this.#sealer.openSegment(bytes, this.#next, this.#head, this.#root.segments);
    this.#next += 1n;
    this.#head = sha256;
    return content;
  }

  /** Checks the chain ends at the root's head and lets the sealer continue it. */
  finish(): void {
    if (this.#next !== this.#root.segments) throw new StateSegmentMissingError(this.#root.segments, this.#next);
    if (this.#head !== this.#root.head.toLowerCase()) throw new StateSegmentChainError(this.#next, this.#root.head, this.#head);
    this.#sealer.resume(this.#root.segments, this.#head, this.#root.counter);
  }
}

/** A format 2 or 3 state's index and records as segment contents, each within a segment's room. */
export function migrationSegments(state: Pick<EnclaveState, 'fingerprintIndex' | 'records'>, split: (index: Uint8Array) => Uint8Array[]): SegmentContent[] {
  const out: SegmentContent[] = [];
  let current: SegmentContent = { fingerprints: [], records: [] };
  let size = 8;
  const room = (n: number) => {
    if (size + n > SEGMENT_PAYLOAD_BYTES && (current.fingerprints.length > 0 || current.records.length > 0)) {
      out.push(current);
      current = { fingerprints: [], records: [] };
      size = 8;
    }
    size += n;
  };
  for (const entry of split(state.fingerprintIndex)) {
    room(4 + entry.length);
    current.fingerprints.push(entry);
  }
  for (const record of state.records) {
    room(recordBytes(record));
    current.records.push(record);
  }
  if (current.fingerprints.length > 0 || current.records.length > 0) out.push(current);
  return out;
}

function encodeSegmentPayload(content: SegmentContent): Uint8Array {
  const size = content.fingerprints.reduce((n, e) => n + 4 + e.length, 4) + content.records.reduce((n, r) => n + recordBytes(r), 4);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let o = 0;
  view.setUint32(o, content.fingerprints.length);
  o += 4;
  for (const entry of content.fingerprints) {
    view.setUint32(o, entry.length);
    out.set(entry, o + 4);
    o += 4 + entry.length;
  }
  view.setUint32(o, content.records.length);
  o += 4;
  for (const record of content.records) o = writeRecord(out, view, o, record);
  return out;
}

function decodeSegmentPayload(p: Uint8Array): SegmentContent {
  const view = new DataView(p.buffer, p.byteOffset, p.length);
  let o = 0;
  const need = (n: number, what: string) => {
    if (o + n > p.length) throw new StateCorruptError(`segment ${what} runs past the end at byte ${o} (${n} bytes needed, ${p.length - o} left)`);
  };
  need(4, 'fingerprint count');
  const count = view.getUint32(o);
  o += 4;
  need(4 * count, 'fingerprint entries');
  const fingerprints: Uint8Array[] = [];
  for (let i = 0; i < count; i += 1) {
    need(4, `fingerprint ${i} length`);
    const length = view.getUint32(o);
    o += 4;
    need(length, `fingerprint ${i}`);
    fingerprints.push(p.slice(o, o + length));
    o += length;
  }
  need(4, 'record count');
  const recordCount = view.getUint32(o);
  o += 4;
  // Every record is at least 33 bytes, so a lying count fails here, before the loop.
  need(33 * recordCount, 'records');
  const records: FileRecord[] = [];
  for (let i = 0; i < recordCount; i += 1) {
    const [record, next] = readRecord(p, view, o, i);
    records.push(record);
    o = next;
  }
  if (o !== p.length) throw new StateCorruptError(`segment has ${p.length - o} trailing bytes`);
  return { fingerprints, records };
}
