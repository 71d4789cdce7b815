// The enclave-private index of earlier contributions' fingerprints: candidate lookup through an
// inverted index of 32-bit sub-fingerprints, confirmation by bit error rate at the voted
// alignment, and an atomic check-and-insert so two submissions of the same audio cannot both
// pass. The enclave encrypts `serialize()`'s bytes before they leave it.
import { alignedBitErrorRate, FINGERPRINT_VERSION, type Fingerprint } from './fingerprint.ts';
import { PostingTable } from './posting-table.ts';
import { FingerprintDuplicateIdError, FingerprintIndexCorruptError, FingerprintIndexVersionError } from './score-errors.ts';

export interface UniquenessThresholds {
  /** Haitsma and Kalker's threshold: below 0.35 over enough words, two recordings are the same. */
  maxBitErrorRate: number;
  /** Words that must line up before a BER means anything (25 words = 0.5 s of sound). */
  minComparedWords: number;
  /** Share of the new file's sound found in one earlier file at which it is a replay (uniqueness 0). */
  replayCoverage: number;
  /** Candidate alignments confirmed by BER, best voted first. */
  maxCandidates: number;
  /** Sub-fingerprint values that occur more often than this are too common to vote. */
  maxPostings: number;
}

export const DEFAULT_UNIQUENESS: UniquenessThresholds = {
  maxBitErrorRate: 0.35,
  minComparedWords: 25,
  replayCoverage: 0.8,
  maxCandidates: 8,
  maxPostings: 2000,
};

export interface FingerprintMatch {
  fileId: string;
  /** Where the new file starts inside the earlier one, in seconds (negative: before it). */
  offsetSeconds: number;
  bitErrorRate: number;
  /** Share of the new file's unmasked words that matched this earlier file, in [0, 1]. */
  coverage: number;
}

export interface UniquenessResult {
  /** 1 for new audio, 0 for a replay; 1 - coverage for a partial overlap. */
  uniqueness: number;
  /** The best confirmed match, if any. */
  match: FingerprintMatch | null;
  /** Whether the fingerprint was added (replays are not, so they cannot crowd the index). */
  inserted: boolean;
}

const MAGIC = [0x41, 0x55, 0x46, 0x50]; // "AUFP"
const POS_BITS = 2 ** 22; // word positions per file: 23 h at 20 ms, far above the duration cap
const MAX_ID_BYTES = 512;

interface Entry {
  id: string;
  fp: Fingerprint;
}

export class FingerprintIndex {
  readonly #files: Entry[] = [];
  readonly #ids = new Map<string, number>();
  readonly #postings = new PostingTable();
  readonly #thresholds: UniquenessThresholds;

  constructor(thresholds: Partial<UniquenessThresholds> = {}) {
    this.#thresholds = { ...DEFAULT_UNIQUENESS, ...thresholds };
  }

  get size(): number {
    return this.#files.length;
  }

  get thresholds(): UniquenessThresholds {
    return { ...this.#thresholds };
  }

  has(fileId: string): boolean {
    return this.#ids.has(fileId);
  }

  /** Earlier files this fingerprint matches, best coverage first. Read-only. */
  findMatches(fp: Fingerprint): FingerprintMatch[] {
    const t = this.#thresholds;
    const votes = new Map<number, number>();
    let unmasked = 0;
    for (let i = 0; i < fp.words.length; i += 1) {
      if (fp.mask[i] === 0) continue;
      unmasked += 1;
      // A word with more than maxPostings postings is too common to vote.
      this.#postings.forEach(
        fp.words[i]!,
        (e) => {
          const file = Math.floor(e / POS_BITS);
          const offset = (e % POS_BITS) - i;
          const key = file * 2 * POS_BITS + offset + POS_BITS;
          votes.set(key, (votes.get(key) ?? 0) + 1);
        },
        t.maxPostings,
      );
    }
    if (unmasked === 0) return [];
    const candidates = [...votes.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, t.maxCandidates);
    const best = new Map<number, FingerprintMatch>();
    for (const [key] of candidates) {
      const file = Math.floor(key / (2 * POS_BITS));
      const voted = (key % (2 * POS_BITS)) - POS_BITS;
      const entry = this.#files[file]!;
      // Neighbouring offsets too: sub-fingerprints of a shifted copy may vote one word off.
      for (let offset = voted - 1; offset <= voted + 1; offset += 1) {
        const a = alignedBitErrorRate(fp, entry.fp, offset);
        if (a.compared < t.minComparedWords || a.ber > t.maxBitErrorRate) continue;
        const m: FingerprintMatch = {
          fileId: entry.id,
          offsetSeconds: offset * fp.hopSeconds,
          bitErrorRate: a.ber,
          coverage: Math.min(1, a.compared / unmasked),
        };
        const prev = best.get(file);
        if (prev === undefined || m.coverage > prev.coverage || (m.coverage === prev.coverage && m.bitErrorRate < prev.bitErrorRate)) {
          best.set(file, m);
        }
      }
    }
    return [...best.values()].sort((a, b) => b.coverage - a.coverage || a.bitErrorRate - b.bitErrorRate);
  }

  /**
   * Checks the fingerprint against the index and, unless it is a replay, inserts it, in one
   * synchronous call. JavaScript runs this to completion without yielding, so two submissions
   * racing through the enclave's async request handlers are serialised here and the second one
   * sees the first. The index must therefore live in one isolate (not shared with workers).
   */
  checkAndInsert(fileId: string, fp: Fingerprint): UniquenessResult {
    if (this.#ids.has(fileId)) throw new FingerprintDuplicateIdError(fileId);
    const [match] = this.findMatches(fp);
    const coverage = match?.coverage ?? 0;
    const uniqueness = coverage >= this.#thresholds.replayCoverage ? 0 : 1 - coverage;
    if (uniqueness > 0) this.#insert(fileId, fp);
    return { uniqueness, match: match ?? null, inserted: uniqueness > 0 };
  }

  #insert(fileId: string, fp: Fingerprint): void {
    const file = this.#files.length;
    this.#files.push({ id: fileId, fp });
    this.#ids.set(fileId, file);
    for (let i = 0; i < fp.words.length; i += 1) {
      if (fp.mask[i] === 0) continue;
      this.#postings.add(fp.words[i]!, file * POS_BITS + i);
    }
  }

  /**
   * Version-1 layout: "AUFP", version byte, file count (u32 LE), then per file: id length (u16)
   * and UTF-8 id, hop in ms (u16), word count (u32), words (u32 LE each), mask (one bit per word).
   */
  serialize(): Uint8Array {
    const enc = new TextEncoder();
    const ids = this.#files.map((f) => enc.encode(f.id));
    let size = 9;
    this.#files.forEach((f, k) => {
      size += 2 + ids[k]!.length + 2 + 4 + 4 * f.fp.words.length + Math.ceil(f.fp.words.length / 8);
    });
    const out = new Uint8Array(size);
    const view = new DataView(out.buffer);
    out.set(MAGIC, 0);
    out[4] = FINGERPRINT_VERSION;
    view.setUint32(5, this.#files.length, true);
    let o = 9;
    this.#files.forEach((f, k) => {
      const id = ids[k]!;
      view.setUint16(o, id.length, true);
      out.set(id, o + 2);
      o += 2 + id.length;
      view.setUint16(o, Math.round(f.fp.hopSeconds * 1000), true);
      view.setUint32(o + 2, f.fp.words.length, true);
      o += 6;
      for (const w of f.fp.words) {
        view.setUint32(o, w, true);
        o += 4;
      }
      for (let i = 0; i < f.fp.mask.length; i += 1) if (f.fp.mask[i] === 1) out[o + (i >> 3)] = out[o + (i >> 3)]! | (1 << (i & 7));
      o += Math.ceil(f.fp.words.length / 8);
    });
    return out;
  }

  /** Rebuilds an index from `serialize()` bytes; every length is checked before it is used. */
  static deserialize(bytes: Uint8Array, thresholds: Partial<UniquenessThresholds> = {}): FingerprintIndex {
    const corrupt = (what: string, at: number) => new FingerprintIndexCorruptError(`Fingerprint index: ${what} at byte ${at}.`, { offset: at });
    if (bytes.length < 9) throw corrupt(`${bytes.length} bytes, shorter than the 9-byte header`, 0);
    if (!MAGIC.every((b, i) => bytes[i] === b)) throw corrupt('bad magic', 0);
    if (bytes[4] !== FINGERPRINT_VERSION) throw new FingerprintIndexVersionError(FINGERPRINT_VERSION, bytes[4]!);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const count = view.getUint32(5, true);
    // Each file takes at least 8 bytes, so a lying count cannot make us loop or allocate for long.
    if (count > (bytes.length - 9) / 8) throw corrupt(`file count ${count} exceeds what ${bytes.length} bytes can hold`, 5);
    const index = new FingerprintIndex(thresholds);
    const dec = new TextDecoder('utf-8', { fatal: true });
    let o = 9;
    const need = (n: number, what: string) => {
      if (o + n > bytes.length) throw corrupt(`${what} runs past the end (${n} bytes needed, ${bytes.length - o} left)`, o);
    };
    for (let k = 0; k < count; k += 1) {
      need(2, 'id length');
      const idLen = view.getUint16(o, true);
      if (idLen === 0 || idLen > MAX_ID_BYTES) throw corrupt(`id length ${idLen} outside 1..${MAX_ID_BYTES}`, o);
      o += 2;
      need(idLen, 'file id');
      let id: string;
      try {
        id = dec.decode(bytes.subarray(o, o + idLen));
      } catch {
        throw corrupt('file id is not UTF-8', o);
      }
      o += idLen;
      need(6, 'word header');
      const hopMs = view.getUint16(o, true);
      const n = view.getUint32(o + 2, true);
      if (hopMs === 0) throw corrupt('hop of 0 ms', o);
      if (n >= POS_BITS) throw corrupt(`word count ${n} above ${POS_BITS - 1}`, o + 2);
      o += 6;
      need(4 * n + Math.ceil(n / 8), 'words');
      const words = new Uint32Array(n);
      for (let i = 0; i < n; i += 1) words[i] = view.getUint32(o + 4 * i, true);
      o += 4 * n;
      const mask = new Uint8Array(n);
      for (let i = 0; i < n; i += 1) mask[i] = (bytes[o + (i >> 3)]! >> (i & 7)) & 1;
      o += Math.ceil(n / 8);
      if (index.#ids.has(id)) throw corrupt(`file id ${JSON.stringify(id)} appears twice`, o);
      index.#insert(id, { words, mask, hopSeconds: hopMs / 1000 });
    }
    if (o !== bytes.length) throw corrupt(`${bytes.length - o} trailing bytes`, o);
    return index;
  }
}
