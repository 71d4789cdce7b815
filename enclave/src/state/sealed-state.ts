// The enclave's persistent state (fingerprint index, a record of every file it finished, audit
// log head, privacy ledgers, a version counter), sealed so the host can store it between boots
// without reading or forging it: the enclave has no disk, and forgetting this state would let
// earlier audio pass the uniqueness check again after a restart, lose the proof of a file whose
// reply the host never kept, and empty the job catalogue.
//
// The enclave now writes format 4: a chain of segments under a small root (segmented-state.ts).
// This file keeps the one-blob formats 2 and 3, which it still reads so that a deployment that
// stored one boots and migrates (its contents become the first segments), the record and root
// payload codecs the segments share, and the anchor check.
//
// Sealed blob (integers big-endian):
//
// | offset | size | field                                                          |
// |--------|------|----------------------------------------------------------------|
// | 0      | 4    | magic "AUST"                                                   |
// | 4      | 1    | format version, 3 (2 is read, see below)                       |
// | 5      | 8    | counter (u64): strictly increases with every state the enclave emits |
// | 13     | 32   | dataset X25519 public key the state belongs to                 |
// | 45     | 24   | random nonce                                                   |
// | 69     | rest | XChaCha20-Poly1305 (IETF, libsodium) of the payload, 16-byte tag |
//
// The associated data is bytes 0..45 (magic, version, counter, dataset key), so the host can
// read the counter but cannot change it, nor move a state to another dataset. The key is
// derived from the dataset secret key with crypto_kdf (BLAKE2b, context "audstat1"), so the
// dataset key itself never encrypts anything here.
//
// Payload, format 3: index length (u32) and the FingerprintIndex.serialize() bytes; file record
// count (u32) and the records; audit log entry count (u64), head (32 bytes), last entry time
// (u64, ms); privacy ledger entry count (u32), then per entry: key length (u16), UTF-8 key, value
// length (u32), value (the LedgerStorage bytes: PrivacyLedger histories and pure-DP spends).
//
// File record: manifest hash (32), kind (u8). Kind 0 (replay only: the manifest was opened but
// no result is known, see format 2 below) ends there. Kind 1 (scored) goes on: file id (32),
// contributor (20), pipeline version (32), details hash (32), terms hash (32), valid (u8, 0 or
// 1), score, authenticity, ownership, quality, uniqueness (u16 each, basis points <= 10000),
// duration in seconds (f64, finite, >= 0), flags (u8; bit 0: the file's log-mel entry was
// stored), language length (u8, 2..44) and the ASCII BCP 47 tag from the signed manifest. The
// scored fields are exactly what a re-signed proof and a catalogue entry need, nothing more
// (no audio, no features, no fingerprint: those live in their own sections or stores).
//
// Format 2 (a manifest-hash list where format 3 has records) is read and migrated: each hash
// becomes a replay-only record. It stays refused as a replay, as before; what is lost is only
// what format 2 never kept: such a file's proof cannot be re-signed, and it cannot re-enter the
// job catalogue (under format 2 the catalogue was lost at every restart anyway). Refusing it
// instead would leave a deployment with no way forward but a new dataset.
//
// Format 1 (no ledger section) is refused, not migrated: a v1 state gives no way to tell "never
// spent" from "spent, but the spend was kept only in memory", and reading it as an empty ledger
// would hand every buyer a fresh budget. A boot without any state (genesis) starts with empty
// ledgers; from then on every state carries the section, empty or not.
import { createHash } from 'node:crypto';
import sodium from 'libsodium-wrappers';
import { bytesToHex, getAddress, hexToBytes, type Hex } from 'viem';
import type { ContributionProof } from '@audata/wire';
import {
  StateAnchorMismatchError,
  StateCorruptError,
  StateRollbackError,
  StateTamperedError,
  StateTooLargeError,
  StateTruncatedError,
  StateVersionUnsupportedError,
  StateWrongKeyError,
} from './errors.ts';

export const SEALED_STATE_VERSION = 3;
/** The older format still read (and migrated); see the header. */
const MIGRATED_VERSION = 2;
/** A ledger key is ledgerKey(policyId, buyer) or pureSpendKey(...): short; this bounds a corrupt one. */
const MAX_LEDGER_KEY_BYTES = 1024;
const MAGIC = new Uint8Array([0x41, 0x55, 0x53, 0x54]); // "AUST"
const KDF_CONTEXT = 'audstat1';
const KDF_SUBKEY_ID = 1;
const AD_BYTES = 45;
const NONCE_BYTES = 24;
const TAG_BYTES = 16;
export const SEALED_STATE_HEADER_BYTES = AD_BYTES + NONCE_BYTES;
/** Fits one channel frame (16 MiB plus JSON room) with the rest of a reply. */
export const MAX_SEALED_STATE_BYTES = 16 * 1024 * 1024;
const MAX_COUNTER = 2n ** 64n - 1n;

/** What the enclave proved about a file: enough to sign its proof again and to catalogue it. */
export interface RecordedResult
  extends Pick<ContributionProof, 'fileId' | 'contributor' | 'valid' | 'score' | 'authenticity' | 'ownership' | 'quality' | 'uniqueness' | 'detailsHash' | 'pipelineVersion'> {
  /** BCP 47 tag and consent terms hash from the signed manifest. */
  language: string;
  termsHash: Hex;
  durationSec: number;
  /** The file's log-mel entry was stored, so a job can use it. */
  hasFeatures: boolean;
}

/** A file the enclave finished; without `result` it is a replay entry only (see the header). */
export interface FileRecord {
  manifestHash: Hex;
  result?: RecordedResult;
}

/** Where the audit log stood: enough to append the next entry to the same chain. */
export interface AuditResume {
  /** Entries so far (the next entry's seq). */
  entries: number;
  /** Hash of the last entry (all zeros for an empty log). */
  head: Hex;
  /** Time of the last entry, Unix ms, so the next one never looks earlier. */
  lastTime: number;
}

export interface EnclaveState {
  counter: bigint;
  /** FingerprintIndex.serialize() bytes. */
  fingerprintIndex: Uint8Array;
  /** Every contribution finished, by manifest hash (the replay set), with its result when scored. */
  records: FileRecord[];
  audit: AuditResume;
  /** The privacy ledgers' storage entries (key, bytes), so a restart never resets a budget. */
  ledgers: Array<[string, Uint8Array]>;
}

/** A sealed state and what names it: the counter and the SHA-256 of the blob (the state hash). */
export interface SealedState {
  bytes: Uint8Array;
  counter: bigint;
  sha256: Hex;
}

/** The latest state recorded somewhere the host cannot rewrite (e.g. an on-chain anchor). */
export interface StateAnchor {
  counter: bigint;
  sha256: Hex;
}

export interface StateSealerOptions {
  datasetSecretKey: Uint8Array;
  datasetPublicKey: Uint8Array;
  randomBytes?: (n: number) => Uint8Array;
  maxBytes?: number;
}

export const EMPTY_AUDIT: AuditResume = { entries: 0, head: `0x${'00'.repeat(32)}`, lastTime: 0 };

export function sha256Hex(bytes: Uint8Array): Hex {
  return `0x${createHash('sha256').update(bytes).digest('hex')}`;
}

/** The state key: the same for every format, so a format 3 state and its migration share it. Needs sodium.ready. */
export function deriveStateKey(datasetSecretKey: Uint8Array): Uint8Array {
  if (datasetSecretKey.length !== sodium.crypto_kdf_KEYBYTES) {
    throw new StateCorruptError(`the dataset secret key is ${datasetSecretKey.length} bytes, expected ${sodium.crypto_kdf_KEYBYTES}`);
  }
  return sodium.crypto_kdf_derive_from_key(sodium.crypto_aead_xchacha20poly1305_ietf_KEYBYTES, KDF_SUBKEY_ID, KDF_CONTEXT, datasetSecretKey);
}

/**
 * Seals and opens this enclave's state under its dataset key, and remembers the highest counter
 * it has sealed or opened in this boot, so an older state is refused as a rollback.
 */
export class StateSealer {
  readonly #key: Uint8Array;
  readonly #publicKey: Uint8Array;
  readonly #random: (n: number) => Uint8Array;
  readonly #maxBytes: number;
  #highest = -1n;

  private constructor(key: Uint8Array, options: StateSealerOptions) {
    this.#key = key;
    this.#publicKey = options.datasetPublicKey.slice();
    this.#random = options.randomBytes ?? ((n) => sodium.randombytes_buf(n));
    this.#maxBytes = options.maxBytes ?? MAX_SEALED_STATE_BYTES;
  }

  static async create(options: StateSealerOptions): Promise<StateSealer> {
    await sodium.ready;
    if (options.datasetPublicKey.length !== 32) throw new StateCorruptError(`the dataset public key is ${options.datasetPublicKey.length} bytes, expected 32`);
    return new StateSealer(deriveStateKey(options.datasetSecretKey), options);
  }

  /** Highest counter sealed or opened in this boot; -1 before any. */
  get highestCounter(): bigint {
    return this.#highest;
  }

  seal(state: EnclaveState): SealedState {
    if (state.counter < 0n || state.counter > MAX_COUNTER) throw new StateCorruptError(`counter ${state.counter} is outside 0..2^64-1`);
    if (state.counter <= this.#highest) throw new StateRollbackError(this.#highest + 1n, state.counter, 'this boot');
    const payload = encodePayload(state);
    const size = SEALED_STATE_HEADER_BYTES + payload.length + TAG_BYTES;
    if (size > this.#maxBytes) throw new StateTooLargeError(this.#maxBytes, size);
    const bytes = this.sealPayload(state.counter, payload);
    payload.fill(0);
    this.#highest = state.counter;
    return { bytes, counter: state.counter, sha256: sha256Hex(bytes) };
  }

  /** The AEAD step alone; `seal` is the way in. Exposed so tests can seal a malformed payload. */
  sealPayload(counter: bigint, payload: Uint8Array, version: number = SEALED_STATE_VERSION): Uint8Array {
    const out = new Uint8Array(SEALED_STATE_HEADER_BYTES + payload.length + TAG_BYTES);
    out.set(MAGIC, 0);
    out[4] = version;
    new DataView(out.buffer).setBigUint64(5, counter);
    out.set(this.#publicKey, 13);
    const nonce = this.#random(NONCE_BYTES);
    if (nonce.length !== NONCE_BYTES) throw new StateCorruptError(`randomBytes returned ${nonce.length} bytes for the nonce, expected ${NONCE_BYTES}`);
    out.set(nonce, AD_BYTES);
    const sealed = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(payload, out.subarray(0, AD_BYTES), null, nonce, this.#key);
    out.set(sealed, SEALED_STATE_HEADER_BYTES);
    return out;
  }

  /**
   * Opens a state the host handed in. Checks, in order: size, magic, version, dataset key,
   * rollback against this boot (from the authenticated-once-opened counter), the tag, the payload.
   */
  open(bytes: Uint8Array): EnclaveState {
    if (bytes.length > this.#maxBytes) throw new StateTooLargeError(this.#maxBytes, bytes.length);
    if (bytes.length < SEALED_STATE_HEADER_BYTES + TAG_BYTES) throw new StateTruncatedError(SEALED_STATE_HEADER_BYTES + TAG_BYTES, bytes.length);
    if (!MAGIC.every((b, i) => bytes[i] === b)) throw new StateTamperedError('it does not start with the AUST magic');
    const version = bytes[4]!;
    if (version !== SEALED_STATE_VERSION && version !== MIGRATED_VERSION) throw new StateVersionUnsupportedError(SEALED_STATE_VERSION, version);
    const owner = bytes.subarray(13, 45);
    if (!sodium.memcmp(owner, this.#publicKey)) throw new StateWrongKeyError(bytesToHex(this.#publicKey), bytesToHex(owner));
    let payload: Uint8Array;
    try {
      payload = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, bytes.subarray(SEALED_STATE_HEADER_BYTES), bytes.subarray(0, AD_BYTES), bytes.subarray(AD_BYTES, SEALED_STATE_HEADER_BYTES), this.#key);
    } catch {
      throw new StateTamperedError('authentication failed');
    }
    const counter = new DataView(bytes.buffer, bytes.byteOffset, bytes.length).getBigUint64(5);
    if (counter < this.#highest) throw new StateRollbackError(this.#highest, counter, 'this boot');
    try {
      const state = decodePayload(counter, payload, version);
      this.#highest = counter;
      return state;
    } finally {
      payload.fill(0);
    }
  }
}

/**
 * Boot-time check against the latest anchor, when there is one: the given state must be the
 * anchored one (same counter, same hash) or later. Without an anchor nothing can tell an old
 * snapshot from the latest, so the caller decides whether to accept (dev) and say so.
 */
export function checkAgainstAnchor(given: { counter: bigint; sha256: Hex } | undefined, anchor: StateAnchor): void {
  if (given === undefined) {
    if (anchor.counter > 0n) throw new StateRollbackError(anchor.counter, null, 'the anchor');
    return;
  }
  if (given.counter < anchor.counter) throw new StateRollbackError(anchor.counter, given.counter, 'the anchor');
  if (given.counter === anchor.counter && given.sha256.toLowerCase() !== anchor.sha256.toLowerCase()) {
    throw new StateAnchorMismatchError(anchor.counter, anchor.sha256, given.sha256);
  }
}

/** Reads the counter from a blob's header without opening it (the host's view; not authenticated). */
export function sealedStateCounter(bytes: Uint8Array): bigint {
  if (bytes.length < SEALED_STATE_HEADER_BYTES + TAG_BYTES) throw new StateTruncatedError(SEALED_STATE_HEADER_BYTES + TAG_BYTES, bytes.length);
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.length).getBigUint64(5);
}

const RECORD_REPLAY_ONLY = 0;
const RECORD_SCORED = 1;
/** Manifest hash and kind: every record has at least these, so a count is bounded by the bytes left. */
const MIN_RECORD_BYTES = 33;
/** The scored fields before the language: ids and hashes, verdict, five scores, duration, flags, language length. */
const SCORED_FIXED_BYTES = 32 + 20 + 32 + 32 + 32 + 1 + 5 * 2 + 8 + 1 + 1;
const MAX_BASIS_POINTS = 10_000;
/** wire/src/envelope.ts's manifest language pattern, at most 8 + 4 x 9 characters. */
const LANGUAGE = /^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8}){0,4}$/;
const FLAG_FEATURES = 1;

export function recordBytes(record: FileRecord): number {
  return record.result === undefined ? MIN_RECORD_BYTES : MIN_RECORD_BYTES + SCORED_FIXED_BYTES + record.result.language.length;
}

function fixedHex(value: Hex, bytes: number, what: string): Uint8Array {
  const b = hexToBytes(value);
  if (b.length !== bytes) throw new StateCorruptError(`${what} ${value} is not ${bytes} bytes`);
  return b;
}

export function writeRecord(out: Uint8Array, view: DataView, at: number, record: FileRecord): number {
  let o = at;
  out.set(fixedHex(record.manifestHash, 32, 'manifest hash'), o);
  o += 32;
  const r = record.result;
  out[o] = r === undefined ? RECORD_REPLAY_ONLY : RECORD_SCORED;
  o += 1;
  if (r === undefined) return o;
  for (const [value, bytes, what] of [[r.fileId, 32, 'file id'], [r.contributor, 20, 'contributor'], [r.pipelineVersion, 32, 'pipeline version'], [r.detailsHash, 32, 'details hash'], [r.termsHash, 32, 'terms hash']] as const) {
    out.set(fixedHex(value, bytes, what), o);
    o += bytes;
  }
  out[o] = r.valid ? 1 : 0;
  o += 1;
  for (const [name, value] of [['score', r.score], ['authenticity', r.authenticity], ['ownership', r.ownership], ['quality', r.quality], ['uniqueness', r.uniqueness]] as const) {
    if (!Number.isInteger(value) || value < 0 || value > MAX_BASIS_POINTS) throw new StateCorruptError(`${name} ${value} is outside 0..${MAX_BASIS_POINTS}`);
    view.setUint16(o, value);
    o += 2;
  }
  if (!Number.isFinite(r.durationSec) || r.durationSec < 0) throw new StateCorruptError(`duration ${r.durationSec} is not a finite number >= 0`);
  view.setFloat64(o, r.durationSec);
  o += 8;
  out[o] = r.hasFeatures ? FLAG_FEATURES : 0;
  o += 1;
  if (!LANGUAGE.test(r.language)) throw new StateCorruptError(`language ${JSON.stringify(r.language)} is not a BCP 47 tag`);
  out[o] = r.language.length;
  for (let i = 0; i < r.language.length; i += 1) out[o + 1 + i] = r.language.charCodeAt(i);
  return o + 1 + r.language.length;
}

function encodePayload(state: EnclaveState): Uint8Array {
  const { fingerprintIndex: index, records, audit } = state;
  if (!Number.isSafeInteger(audit.entries) || audit.entries < 0) throw new StateCorruptError(`audit entry count ${audit.entries} is not a non-negative integer`);
  if (!Number.isSafeInteger(audit.lastTime) || audit.lastTime < 0) throw new StateCorruptError(`audit time ${audit.lastTime} is not a non-negative integer`);
  const ledgers = state.ledgers.map(([key, value]): [Uint8Array, Uint8Array] => {
    const k = new TextEncoder().encode(key);
    if (k.length === 0 || k.length > MAX_LEDGER_KEY_BYTES) throw new StateCorruptError(`ledger key of ${k.length} bytes is outside 1..${MAX_LEDGER_KEY_BYTES}`);
    return [k, value];
  });
  const ledgerBytes = ledgers.reduce((sum, [k, v]) => sum + 2 + k.length + 4 + v.length, 4);
  const recordsBytes = records.reduce((sum, r) => sum + recordBytes(r), 4);
  const out = new Uint8Array(4 + index.length + recordsBytes + 8 + 32 + 8 + ledgerBytes);
  const view = new DataView(out.buffer);
  let o = 0;
  view.setUint32(o, index.length);
  out.set(index, o + 4);
  o += 4 + index.length;
  view.setUint32(o, records.length);
  o += 4;
  for (const record of records) o = writeRecord(out, view, o, record);
  view.setBigUint64(o, BigInt(audit.entries));
  out.set(fixedHex(audit.head, 32, 'audit head'), o + 8);
  view.setBigUint64(o + 40, BigInt(audit.lastTime));
  o += 48;
  view.setUint32(o, ledgers.length);
  o += 4;
  for (const [k, v] of ledgers) {
    view.setUint16(o, k.length);
    out.set(k, o + 2);
    o += 2 + k.length;
    view.setUint32(o, v.length);
    out.set(v, o + 4);
    o += 4 + v.length;
  }
  return out;
}

function decodePayload(counter: bigint, p: Uint8Array, version: number): EnclaveState {
  const view = new DataView(p.buffer, p.byteOffset, p.length);
  let o = 0;
  const need = (n: number, what: string) => {
    if (o + n > p.length) throw new StateCorruptError(`${what} runs past the end at byte ${o} (${n} bytes needed, ${p.length - o} left)`);
  };
  const hex = (n: number) => {
    const value = bytesToHex(p.subarray(o, o + n));
    o += n;
    return value;
  };
  need(4, 'index length');
  const indexLength = view.getUint32(o);
  o += 4;
  need(indexLength, 'fingerprint index');
  const fingerprintIndex = p.slice(o, o + indexLength);
  o += indexLength;
  need(4, version === MIGRATED_VERSION ? 'manifest count' : 'record count');
  const count = view.getUint32(o);
  o += 4;
  const records: FileRecord[] = [];
  const seenRecords = new Set<Hex>();
  if (version === MIGRATED_VERSION) {
    need(32 * count, 'manifest hashes');
    for (let i = 0; i < count; i += 1) records.push({ manifestHash: hex(32) });
  } else {
    // Every record is at least MIN_RECORD_BYTES, so a lying count fails here, before the loop.
    need(MIN_RECORD_BYTES * count, 'file records');
    for (let i = 0; i < count; i += 1) {
      const [record, next] = readRecord(p, view, o, i);
      records.push(record);
      o = next;
    }
  }
  for (const { manifestHash } of records) {
    if (seenRecords.has(manifestHash)) throw new StateCorruptError(`manifest ${manifestHash} is recorded twice`);
    seenRecords.add(manifestHash);
  }
  need(48, 'audit head');
  const entries = view.getBigUint64(o);
  const lastTime = view.getBigUint64(o + 40);
  if (entries > BigInt(Number.MAX_SAFE_INTEGER) || lastTime > BigInt(Number.MAX_SAFE_INTEGER)) throw new StateCorruptError('audit entry count or time is above 2^53');
  const audit: AuditResume = { entries: Number(entries), head: bytesToHex(p.subarray(o + 8, o + 40)), lastTime: Number(lastTime) };
  o += 48;
  need(4, 'ledger count');
  const ledgerCount = view.getUint32(o);
  o += 4;
  const ledgers: Array<[string, Uint8Array]> = [];
  const seenKeys = new Set<string>();
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  for (let i = 0; i < ledgerCount; i += 1) {
    need(2, `ledger ${i} key length`);
    const keyLength = view.getUint16(o);
    o += 2;
    if (keyLength === 0 || keyLength > MAX_LEDGER_KEY_BYTES) throw new StateCorruptError(`ledger ${i} key is ${keyLength} bytes, expected 1..${MAX_LEDGER_KEY_BYTES}`);
    need(keyLength, `ledger ${i} key`);
    let key: string;
    try {
      key = utf8.decode(p.subarray(o, o + keyLength));
    } catch {
      throw new StateCorruptError(`ledger ${i} key is not UTF-8`);
    }
    o += keyLength;
    if (seenKeys.has(key)) throw new StateCorruptError(`ledger key ${JSON.stringify(key)} appears twice`);
    seenKeys.add(key);
    need(4, `ledger ${i} value length`);
    const valueLength = view.getUint32(o);
    o += 4;
    need(valueLength, `ledger ${i} value`);
    ledgers.push([key, p.slice(o, o + valueLength)]);
    o += valueLength;
  }
  if (o !== p.length) throw new StateCorruptError(`${p.length - o} trailing bytes`);
  return { counter, fingerprintIndex, records, audit, ledgers };
}

/** Reads record `i` at byte `at` of `p`; returns it and the offset after it. Bounded by `p`. */
export function readRecord(p: Uint8Array, view: DataView, at: number, i: number): [FileRecord, number] {
  let o = at;
  const need = (n: number, what: string) => {
    if (o + n > p.length) throw new StateCorruptError(`${what} runs past the end at byte ${o} (${n} bytes needed, ${p.length - o} left)`);
  };
  const hex = (n: number) => {
    const value = bytesToHex(p.subarray(o, o + n));
    o += n;
    return value;
  };
  need(MIN_RECORD_BYTES, `record ${i}`);
  const manifestHash = hex(32);
  const kind = p[o]!;
  o += 1;
  if (kind === RECORD_REPLAY_ONLY) return [{ manifestHash }, o];
  if (kind !== RECORD_SCORED) throw new StateCorruptError(`record ${i} has kind ${kind}, expected ${RECORD_REPLAY_ONLY} or ${RECORD_SCORED}`);
  need(SCORED_FIXED_BYTES, `record ${i}`);
  const fileId = hex(32);
  const contributor = getAddress(hex(20));
  const pipelineVersion = hex(32);
  const detailsHash = hex(32);
  const termsHash = hex(32);
  const validByte = p[o]!;
  o += 1;
  if (validByte > 1) throw new StateCorruptError(`record ${i} has valid = ${validByte}, expected 0 or 1`);
  const scores: number[] = [];
  for (let k = 0; k < 5; k += 1, o += 2) {
    const value = view.getUint16(o);
    if (value > MAX_BASIS_POINTS) throw new StateCorruptError(`record ${i} has a score of ${value}, above ${MAX_BASIS_POINTS}`);
    scores.push(value);
  }
  const durationSec = view.getFloat64(o);
  o += 8;
  if (!Number.isFinite(durationSec) || durationSec < 0) throw new StateCorruptError(`record ${i} has duration ${durationSec}`);
  const flags = p[o]!;
  o += 1;
  if ((flags & ~FLAG_FEATURES) !== 0) throw new StateCorruptError(`record ${i} sets unknown flags ${flags}`);
  const languageLength = p[o]!;
  o += 1;
  need(languageLength, `record ${i} language`);
  const language = String.fromCharCode(...p.subarray(o, o + languageLength));
  o += languageLength;
  if (!LANGUAGE.test(language)) throw new StateCorruptError(`record ${i} language is not a BCP 47 tag`);
  const [score, authenticity, ownership, quality, uniqueness] = scores as [number, number, number, number, number];
  return [{
    manifestHash,
    result: { fileId, contributor, pipelineVersion, detailsHash, termsHash, valid: validByte === 1, score, authenticity, ownership, quality, uniqueness, durationSec, hasFeatures: (flags & FLAG_FEATURES) !== 0, language },
  }, o];
}

/** A format 4 root's payload: format 3's with an empty index and no records (segmented-state.ts). */
export function encodeRootPayload(audit: AuditResume, ledgers: Array<[string, Uint8Array]>): Uint8Array {
  return encodePayload({ counter: 0n, fingerprintIndex: new Uint8Array(0), records: [], audit, ledgers });
}

export function decodeRootPayload(counter: bigint, payload: Uint8Array): Pick<EnclaveState, 'audit' | 'ledgers'> {
  const state = decodePayload(counter, payload, SEALED_STATE_VERSION);
  if (state.fingerprintIndex.length > 0 || state.records.length > 0) throw new StateCorruptError('a root holds fingerprints or records, which belong in segments');
  return { audit: state.audit, ledgers: state.ledgers };
}
