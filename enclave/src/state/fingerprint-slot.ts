// Holds the enclave's fingerprint index so a restored index (from the sealed state at boot) can
// take the place of the empty one the scorer started with, without rebuilding the scorer.
import { FingerprintIndex, type UniquenessThresholds } from '../audio/uniqueness.ts';

export class FingerprintIndexSlot {
  #index: FingerprintIndex;
  readonly #thresholds: Partial<UniquenessThresholds>;

  constructor(thresholds: Partial<UniquenessThresholds> = {}) {
    this.#thresholds = thresholds;
    this.#index = new FingerprintIndex(thresholds);
  }

  get current(): FingerprintIndex {
    return this.#index;
  }

  serialize(): Uint8Array {
    return this.#index.serialize();
  }

  /** Replaces the index with one rebuilt from `serialize()` bytes; no bytes means an empty index. */
  restore(bytes: Uint8Array): void {
    // deserialize checks everything first, so a bad index leaves the current one in place.
    this.#index = bytes.length === 0 ? new FingerprintIndex(this.#thresholds) : FingerprintIndex.deserialize(bytes, this.#thresholds);
  }
}
