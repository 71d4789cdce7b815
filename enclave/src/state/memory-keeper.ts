// What the host does with the enclave's state bundles (host/src/enclave-state.ts keeps them in
// SQLite), in memory: for tests and tools that drive the runtime's handlers directly and need to
// boot it again from what its replies carried.
import { decodeStateBundle, encodeStateBundle, peekRootHeader, peekSegmentHeader } from '@audata/wire';

export class MemoryStateKeeper {
  readonly #segments = new Map<bigint, Uint8Array>();
  #root: Uint8Array | undefined;

  /** Keeps a reply's bundle: its segments by sequence number, its root when newer than the one kept. */
  keep(bundle: Uint8Array): void {
    const { segments, root } = decodeStateBundle(bundle);
    for (const segment of segments) this.#segments.set(peekSegmentHeader(segment).seq, segment.slice());
    if (root !== undefined && (this.#root === undefined || peekRootHeader(root).counter > peekRootHeader(this.#root).counter)) this.#root = root.slice();
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
