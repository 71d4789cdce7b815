// The fingerprint index's inverted lists: PostingTable (flat typed arrays) against a Map of
// arrays (what the index used before), in the same run, over the words of N files of 30 s
// (1,500 sub-fingerprints each, random: the worst case, every word new). Reports insert and
// lookup time and bytes per posting. BENCH_FILES sets N (default 5,000: 7.5 million postings).
import { PostingTable } from './posting-table.ts';

const FILES = Number(process.env.BENCH_FILES ?? '5000');
const WORDS = 1500; // 30 s at one sub-fingerprint per 20 ms
const POS_BITS = 2 ** 22;

function words(file: number): Uint32Array {
  const out = new Uint32Array(WORDS);
  let x = (file + 1) * 2654435761;
  for (let i = 0; i < WORDS; i++) out[i] = x = (Math.imul(x, 1103515245) + 12345) >>> 0;
  return out;
}

interface Lists {
  add(word: number, value: number): void;
  forEach(word: number, visit: (value: number) => void): void;
}
class MapOfArrays implements Lists {
  readonly #shards = Array.from({ length: 256 }, () => new Map<number, number[]>());
  add(word: number, value: number) {
    const shard = this.#shards[word & 255]!;
    const list = shard.get(word);
    if (list === undefined) shard.set(word, [value]);
    else list.push(value);
  }
  forEach(word: number, visit: (value: number) => void) {
    for (const v of this.#shards[word & 255]!.get(word) ?? []) visit(v);
  }
}

function measure(name: string, make: () => Lists): { insertMs: number; lookupMs: number; bytes: number } {
  globalThis.gc?.();
  const before = process.memoryUsage();
  const lists = make();
  let t = performance.now();
  for (let f = 0; f < FILES; f++) {
    const w = words(f);
    for (let i = 0; i < WORDS; i++) lists.add(w[i]!, f * POS_BITS + i);
  }
  const insertMs = performance.now() - t;
  globalThis.gc?.();
  const after = process.memoryUsage();
  const bytes = after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers;
  // Lookups of 200 files' words, as a new file's check does.
  t = performance.now();
  let found = 0;
  for (let f = 0; f < 200; f++) {
    const w = words((f * 7919) % FILES);
    for (let i = 0; i < WORDS; i++) lists.forEach(w[i]!, () => void found++);
  }
  const lookupMs = performance.now() - t;
  if (found < 200 * WORDS) throw new Error(`${name}: lost postings`);
  return { insertMs, lookupMs, bytes };
}

if (globalThis.gc === undefined) console.log('(run with node --expose-gc for exact memory figures)');
const postings = FILES * WORDS;
const map = measure('Map of arrays', () => new MapOfArrays());
const table = measure('PostingTable', () => new PostingTable());
console.log(`fingerprint postings: ${FILES} files x ${WORDS} words = ${(postings / 1e6).toFixed(1)} M`);
console.log(`  Map of arrays: insert ${(map.insertMs / 1000).toFixed(2)} s, lookup of 200 files ${map.lookupMs.toFixed(0)} ms, ${(map.bytes / postings).toFixed(0)} bytes per posting`);
console.log(
  `  PostingTable:  insert ${(table.insertMs / 1000).toFixed(2)} s (${(map.insertMs / table.insertMs).toFixed(1)}x faster), lookup ${table.lookupMs.toFixed(0)} ms (${(map.lookupMs / table.lookupMs).toFixed(1)}x), ` +
    `${(table.bytes / postings).toFixed(0)} bytes per posting (${(map.bytes / table.bytes).toFixed(1)}x less)`,
);
