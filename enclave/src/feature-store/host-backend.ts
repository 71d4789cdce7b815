// The enclave's end of feature entries kept by the host: the enclave has no disk, so an entry the
// store writes waits here until the finish reply carries it out, and the entries the host hands
// back for a job (job.features) are held here while jobs run. Both are the sealed entries;
// FeatureStore authenticates every read, so the host can withhold or spoil one, never forge one.
import type { FeatureBlobBackend } from './feature-store.ts';

export class HostFeatureBackend implements FeatureBlobBackend {
  readonly #outgoing = new Map<string, Uint8Array>();
  readonly #supplied = new Map<string, Uint8Array>();

  async put(key: string, bytes: Uint8Array): Promise<void> {
    this.#outgoing.set(key, bytes.slice());
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    return this.#supplied.get(key);
  }

  /** The entry written under `key` and not yet handed out; gone from here once taken. */
  take(key: string): Uint8Array | undefined {
    const bytes = this.#outgoing.get(key);
    this.#outgoing.delete(key);
    return bytes;
  }

  /** An entry the host supplied, for reads until dropped. */
  supply(key: string, bytes: Uint8Array): void {
    this.#supplied.set(key, bytes.slice());
  }

  drop(key: string): void {
    this.#supplied.delete(key);
  }

  get supplied(): number {
    return this.#supplied.size;
  }
}
