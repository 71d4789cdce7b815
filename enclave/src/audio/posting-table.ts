// The fingerprint index's inverted lists in flat typed arrays: an open-addressing table from a
// 32-bit word to the head of its list, and every posting as a value and a link. A Map of arrays
// costs some 200 bytes per posting and stops at 2^24 distinct words; this costs about 40 and is
// bounded by memory alone, which matters inside an enclave whose memory is fixed at launch.

const EMPTY = -1;
/** Fibonacci hashing: the golden ratio's multiplier spreads neighbouring words apart. */
const MULTIPLIER = 0x9e3779b1;

export class PostingTable {
  // The table: slot -> word, and the newest posting of that word (EMPTY for a free slot).
  #keys: Uint32Array;
  #heads: Int32Array;
  #counts: Uint32Array;
  #bits: number;
  #words = 0;
  // The postings: value, and the next older posting of the same word (EMPTY at the end).
  #values: Float64Array;
  #next: Int32Array;
  #postings = 0;

  constructor(initialWords = 1 << 12, initialPostings = 1 << 14) {
    this.#bits = Math.max(4, Math.ceil(Math.log2(initialWords * 2)));
    this.#keys = new Uint32Array(1 << this.#bits);
    this.#heads = new Int32Array(1 << this.#bits).fill(EMPTY);
    this.#counts = new Uint32Array(1 << this.#bits);
    this.#values = new Float64Array(Math.max(16, initialPostings));
    this.#next = new Int32Array(this.#values.length);
  }

  /** Distinct words held. */
  get words(): number {
    return this.#words;
  }

  /** Postings held. */
  get size(): number {
    return this.#postings;
  }

  /** Bytes of the typed arrays, for the memory figures in tests and benchmarks. */
  get bytes(): number {
    return this.#keys.byteLength + this.#heads.byteLength + this.#counts.byteLength + this.#values.byteLength + this.#next.byteLength;
  }

  /** Appends `value` (an exact integer below 2^53) to the list of `word`. */
  add(word: number, value: number): void {
    if (this.#postings === this.#values.length) this.#growPostings();
    // Kept at most two thirds full, so a probe ends soon.
    if ((this.#words + 1) * 3 > this.#keys.length * 2) this.#growTable();
    const slot = this.#find(word >>> 0);
    if (this.#heads[slot] === EMPTY) {
      this.#keys[slot] = word >>> 0;
      this.#words += 1;
    }
    const p = this.#postings++;
    this.#values[p] = value;
    this.#next[p] = this.#heads[slot]!;
    this.#heads[slot] = p;
    this.#counts[slot] = this.#counts[slot]! + 1;
  }

  /** How many postings `word` has (0 when none). */
  count(word: number): number {
    const slot = this.#find(word >>> 0);
    return this.#heads[slot] === EMPTY ? 0 : this.#counts[slot]!;
  }

  /**
   * Calls `visit` with each posting of `word`, newest first, unless it has more than `most`
   * (then none); returns how many were visited.
   */
  forEach(word: number, visit: (value: number) => void, most = Infinity): number {
    const slot = this.#find(word >>> 0);
    if (this.#heads[slot] === EMPTY || this.#counts[slot]! > most) return 0;
    let n = 0;
    for (let p = this.#heads[slot]!; p !== EMPTY; p = this.#next[p]!, n++) visit(this.#values[p]!);
    return n;
  }

  /** The slot holding `word`, or the free slot where it would go. */
  #find(word: number): number {
    const mask = this.#keys.length - 1;
    let slot = Math.imul(word, MULTIPLIER) >>> (32 - this.#bits);
    while (this.#heads[slot] !== EMPTY && this.#keys[slot] !== word) slot = (slot + 1) & mask;
    return slot;
  }

  #growTable(): void {
    const keys = this.#keys;
    const heads = this.#heads;
    const counts = this.#counts;
    this.#bits += 1;
    this.#keys = new Uint32Array(1 << this.#bits);
    this.#heads = new Int32Array(1 << this.#bits).fill(EMPTY);
    this.#counts = new Uint32Array(1 << this.#bits);
    for (let s = 0; s < keys.length; s++) {
      if (heads[s] === EMPTY) continue;
      const slot = this.#find(keys[s]!);
      this.#keys[slot] = keys[s]!;
      this.#heads[slot] = heads[s]!;
      this.#counts[slot] = counts[s]!;
    }
  }

  #growPostings(): void {
    // Int32 links address at most 2^31 postings: some 800,000 hours of 30 s files' words.
    if (this.#values.length >= 2 ** 31 - 1) throw new RangeError('PostingTable: 2^31 postings held, the most its links can address');
    const length = Math.min(2 ** 31 - 1, this.#values.length * 2);
    const values = new Float64Array(length);
    values.set(this.#values);
    const next = new Int32Array(length);
    next.set(this.#next);
    this.#values = values;
    this.#next = next;
  }
}
