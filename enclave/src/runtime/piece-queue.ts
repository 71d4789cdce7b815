// Turns ciphertext pieces pushed by channel requests into the async stream openEnvelope pulls,
// one piece at a time, so a long upload never sits in the enclave twice.
export class PieceQueue implements AsyncIterable<Uint8Array> {
  #pieces: { bytes: Uint8Array; taken: () => void }[] = [];
  #ended = false;
  #wake: (() => void) | undefined;
  #wanted: (() => void)[] = [];

  /** Resolves when the consumer has taken this piece. */
  push(bytes: Uint8Array): Promise<void> {
    return new Promise((resolve) => {
      this.#pieces.push({ bytes, taken: resolve });
      this.#wake?.();
    });
  }

  end(): void {
    this.#ended = true;
    this.#wake?.();
  }

  /** Resolves once the consumer asks for data it does not have. */
  wanted(): Promise<void> {
    return new Promise((resolve) => this.#wanted.push(resolve));
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      const next = this.#pieces.shift();
      if (next !== undefined) {
        next.taken();
        yield next.bytes;
        continue;
      }
      if (this.#ended) return;
      for (const resolve of this.#wanted.splice(0)) resolve();
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = undefined;
    }
  }
}
