// Reads exact-size blocks from a stream of arbitrarily sized pieces, so the decryptor sees
// whole secretstream chunks whatever framing the host's transport used.
export class ByteReader {
  readonly #iterator: AsyncIterator<Uint8Array> | Iterator<Uint8Array>;
  #pieces: Uint8Array[] = [];
  #buffered = 0;
  #done = false;

  constructor(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>) {
    this.#iterator = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
  }

  /** Up to `n` bytes; fewer only at the end of the stream, none once it is exhausted. */
  async read(n: number): Promise<Uint8Array> {
    while (this.#buffered < n && !this.#done) {
      const next = await this.#iterator.next();
      if (next.done === true) this.#done = true;
      else if (next.value.length > 0) {
        this.#pieces.push(next.value);
        this.#buffered += next.value.length;
      }
    }
    const size = Math.min(n, this.#buffered);
    const first = this.#pieces[0];
    if (first !== undefined && first.length >= size) {
      // The common case: the block lies within one piece, so no copy is made.
      const block = first.subarray(0, size);
      if (first.length === size) this.#pieces.shift();
      else this.#pieces[0] = first.subarray(size);
      this.#buffered -= size;
      return block;
    }
    const block = new Uint8Array(size);
    let filled = 0;
    while (filled < size) {
      const piece = this.#pieces[0]!;
      const part = Math.min(piece.length, size - filled);
      block.set(piece.subarray(0, part), filled);
      filled += part;
      if (part === piece.length) this.#pieces.shift();
      else this.#pieces[0] = piece.subarray(part);
    }
    this.#buffered -= size;
    return block;
  }
}
