// Wakes the requests waiting on a contribution's status (GET ...?changedFrom=) when this process
// changes it, so a contributor learns of a proof the moment it is stored instead of by polling.
// A change made by another host process on the same database is not seen here: waiters also
// look again on their own every second (the route's recheck).

export interface StatusChangesOptions {
  /** Waiters held at once, beyond which a wait ends at once (the caller answers with the current status). */
  maxWaiters?: number;
}

export class StatusChanges {
  readonly #waiters = new Map<string, Set<() => void>>();
  readonly #maxWaiters: number;
  #count = 0;

  constructor(options: StatusChangesOptions = {}) {
    this.#maxWaiters = options.maxWaiters ?? 10_000;
  }

  /** How many waits are pending, for metrics and tests. */
  get waiting(): number {
    return this.#count;
  }

  /** Ends every wait on `fileId`. */
  notify(fileId: string): void {
    const set = this.#waiters.get(fileId);
    if (set === undefined) return;
    this.#waiters.delete(fileId);
    for (const wake of set) wake();
  }

  /**
   * Resolves on the next change of `fileId`, after `ms`, when `signal` aborts (the client went
   * away), or at once when too many waits are pending. Never rejects.
   */
  next(fileId: string, ms: number, signal?: AbortSignal): Promise<void> {
    if (this.#count >= this.#maxWaiters || signal?.aborted === true) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let set = this.#waiters.get(fileId);
      if (set === undefined) this.#waiters.set(fileId, (set = new Set()));
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        if (set.delete(done)) this.#count -= 1;
        if (set.size === 0 && this.#waiters.get(fileId) === set) this.#waiters.delete(fileId);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      set.add(done);
      this.#count += 1;
    });
  }
}
