// Holds the enclave's fingerprint index so a restored index (from the sealed state at boot) can
// take the place of the empty one the scorer started with, without rebuilding the scorer, and
// hands out each file's fingerprint as it enters the index, so a state segment carries that file
// alone rather than the whole index again.
import { FINGERPRINT_VERSION, type Fingerprint } from '../audio/fingerprint.ts';
import { FingerprintIndex, type UniquenessThresholds } from '../audio/uniqueness.ts';
import { StateCorruptError } from './errors.ts';

const MAGIC = [0x41, 0x55, 0x46, 0x50]; // "AUFP", FingerprintIndex.serialize()'s
const HEADER_BYTES = 9;

export class FingerprintIndexSlot {
  #index: FingerprintIndex;
  readonly #thresholds: Partial<UniquenessThresholds>;
  #added: Uint8Array[] = [];

  constructor(thresholds: Partial<UniquenessThresholds> = {}) {
    this.#thresholds = thresholds;
    this.#index = this.#watch(new FingerprintIndex(thresholds));
  }

  get current(): FingerprintIndex {
    return this.#index;
  }

  serialize(): Uint8Array {
    return this.#index.serialize();
  }

  /** The entries (per-file serialize() layout) inserted since the last call, oldest first. */
  takeAdded(): Uint8Array[] {
    const out = this.#added;
    this.#added = [];
    return out;
  }

  /** Replaces the index with one rebuilt from `serialize()` bytes; no bytes means an empty index. */
  restore(bytes: Uint8Array): void {
    // deserialize checks everything first, so a bad index leaves the current one in place.
    this.#index = this.#watch(bytes.length === 0 ? new FingerprintIndex(this.#thresholds) : FingerprintIndex.deserialize(bytes, this.#thresholds));
    this.#added = [];
  }

  /** Replaces the index with one rebuilt from per-file entries (state segments), in one checked pass. */
  restoreEntries(entries: Uint8Array[]): void {
    this.restore(entries.length === 0 ? new Uint8Array(0) : joinFingerprintEntries(entries));
  }

  // The index is the audio pipeline's; the slot learns of each insertion by wrapping the one
  // call that inserts, on this instance only, without changing what the call does.
  #watch(index: FingerprintIndex): FingerprintIndex {
    const checkAndInsert = index.checkAndInsert.bind(index);
    index.checkAndInsert = (fileId: string, fp: Fingerprint) => {
      const result = checkAndInsert(fileId, fp);
      if (result.inserted) this.#added.push(encodeFingerprintEntry(fileId, fp));
      return result;
    };
    return index;
  }
}

/** One file as FingerprintIndex.serialize() lays it out (uniqueness.ts, version 1). */
export function encodeFingerprintEntry(fileId: string, fp: Fingerprint): Uint8Array {
  const id = new TextEncoder().encode(fileId);
  const n = fp.words.length;
  const out = new Uint8Array(2 + id.length + 6 + 4 * n + Math.ceil(n / 8));
  const view = new DataView(out.buffer);
  view.setUint16(0, id.length, true);
  out.set(id, 2);
  let o = 2 + id.length;
  view.setUint16(o, Math.round(fp.hopSeconds * 1000), true);
  view.setUint32(o + 2, n, true);
  o += 6;
  for (let i = 0; i < n; i += 1) view.setUint32(o + 4 * i, fp.words[i]!, true);
  o += 4 * n;
  for (let i = 0; i < n; i += 1) if (fp.mask[i] === 1) out[o + (i >> 3)] = out[o + (i >> 3)]! | (1 << (i & 7));
  return out;
}

/** Entries back into serialize() bytes, for FingerprintIndex.deserialize to check and load. */
export function joinFingerprintEntries(entries: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(entries.reduce((n, e) => n + e.length, HEADER_BYTES));
  out.set(MAGIC, 0);
  out[4] = FINGERPRINT_VERSION;
  new DataView(out.buffer).setUint32(5, entries.length, true);
  let o = HEADER_BYTES;
  for (const entry of entries) {
    out.set(entry, o);
    o += entry.length;
  }
  return out;
}

/**
 * serialize() bytes (a format 2 or 3 state's index) cut into per-file entries, for migration.
 * Only the lengths are read here, each checked against the bytes left; deserialize checks the rest.
 */
export function splitFingerprintIndex(bytes: Uint8Array): Uint8Array[] {
  if (bytes.length === 0) return [];
  const corrupt = (what: string) => new StateCorruptError(`the fingerprint index ${what}`);
  if (bytes.length < HEADER_BYTES || !MAGIC.every((b, i) => bytes[i] === b)) throw corrupt('does not start with its header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const count = view.getUint32(5, true);
  if (count > (bytes.length - HEADER_BYTES) / 8) throw corrupt(`declares ${count} files, more than ${bytes.length} bytes can hold`);
  const out: Uint8Array[] = [];
  let o = HEADER_BYTES;
  for (let k = 0; k < count; k += 1) {
    if (o + 2 > bytes.length) throw corrupt(`ends inside file ${k}`);
    const idLength = view.getUint16(o, true);
    if (o + 2 + idLength + 6 > bytes.length) throw corrupt(`ends inside file ${k}`);
    const n = view.getUint32(o + 2 + idLength + 2, true);
    const size = 2 + idLength + 6 + 4 * n + Math.ceil(n / 8);
    if (o + size > bytes.length) throw corrupt(`ends inside file ${k}'s words`);
    out.push(bytes.subarray(o, o + size));
    o += size;
  }
  if (o !== bytes.length) throw corrupt(`has ${bytes.length - o} trailing bytes`);
  return out;
}
