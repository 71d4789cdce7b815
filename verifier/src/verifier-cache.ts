// Memory of what is immutable across verifications (parsed roots, certificate paths and leaf
// certificates already proven, keyed by hashes of their DER bytes), so a warm verification
// costs about one ES384 check. Time-dependent checks are never cached.
import type { ParsedCertificate } from './parse-certificate.ts';
import type { TrustedRoot } from './trusted-root.ts';

/** A small LRU map: bounded so hostile input cannot grow it without limit. */
class Lru<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly limit: number) {}

  get(key: string): V | undefined {
    const value = this.map.get(key);
    if (value !== undefined) {
      this.map.delete(key);
      this.map.set(key, value);
    }
    return value;
  }

  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.limit) this.map.delete(this.map.keys().next().value as string);
  }

  get size(): number {
    return this.map.size;
  }
}

export class VerifierCache {
  private readonly paths: Lru<ParsedCertificate[]>;
  private readonly leaves: Lru<ParsedCertificate>;
  private readonly roots: Lru<TrustedRoot>;

  constructor(options: { maxEntries?: number } = {}) {
    const limit = options.maxEntries ?? 256;
    this.paths = new Lru(limit);
    this.leaves = new Lru(limit);
    this.roots = new Lru(Math.min(limit, 16));
  }

  getPath(key: string): ParsedCertificate[] | undefined {
    return this.paths.get(key);
  }
  setPath(key: string, path: ParsedCertificate[]): void {
    this.paths.set(key, path);
  }
  getLeaf(key: string): ParsedCertificate | undefined {
    return this.leaves.get(key);
  }
  setLeaf(key: string, leaf: ParsedCertificate): void {
    this.leaves.set(key, leaf);
  }
  getRoot(key: string): TrustedRoot | undefined {
    return this.roots.get(key);
  }
  setRoot(key: string, root: TrustedRoot): void {
    this.roots.set(key, root);
  }
  /** Entries held, for tests and diagnostics. */
  get sizes(): { paths: number; leaves: number; roots: number } {
    return { paths: this.paths.size, leaves: this.leaves.size, roots: this.roots.size };
  }
}

let shared: VerifierCache | undefined;

/** The process-wide cache used when a caller does not pass one; created on first use. */
export function defaultVerifierCache(): VerifierCache {
  shared ??= new VerifierCache();
  return shared;
}
