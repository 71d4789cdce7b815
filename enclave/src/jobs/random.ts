// Randomness for the privacy mechanisms, passed in rather than read from a global so
// tests can pin it: a byte source, 53-bit uniforms and Gaussian draws from it.
import { createCipheriv, randomFillSync } from 'node:crypto';
import { JobParameterError } from './errors.ts';

export interface RandomBytes {
  /** Fills `out` with random bytes. */
  fill(out: Uint8Array): void;
}

/** The operating system's CSPRNG (production). */
export const systemRandom: RandomBytes = { fill: (out) => void randomFillSync(out) };

/**
 * A deterministic ChaCha20 keystream (RFC 8439 block function via node:crypto) from a
 * 32-byte seed: a reproducible CSPRNG for tests and for replaying a recorded run.
 */
export function chacha20Random(seed: Uint8Array): RandomBytes {
  if (seed.length !== 32) throw new JobParameterError('seed', '32 bytes', seed.length);
  // IV = 32-bit block counter (0) then a 96-bit nonce (0): one stream per seed.
  const cipher = createCipheriv('chacha20', seed, new Uint8Array(16));
  return {
    fill(out) {
      const stream = cipher.update(new Uint8Array(out.length));
      out.set(stream);
    },
  };
}

const BUFFER_BYTES = 8 * 1024;
const TWO_POW_53 = 2 ** 53;

/** Uniform and Gaussian draws over a byte source, buffered so a draw does not cost a syscall. */
export class RandomStream {
  readonly #source: RandomBytes;
  readonly #buffer = new Uint8Array(BUFFER_BYTES);
  readonly #view = new DataView(this.#buffer.buffer);
  #offset = BUFFER_BYTES;
  #spare: number | undefined;

  constructor(source: RandomBytes) {
    this.#source = source;
  }

  /** A uniform in [0, 1) with all 53 bits of a double's mantissa random. */
  uniform(): number {
    if (this.#offset + 8 > BUFFER_BYTES) {
      this.#source.fill(this.#buffer);
      this.#offset = 0;
    }
    const hi = this.#view.getUint32(this.#offset) >>> 6; // 26 bits
    const lo = this.#view.getUint32(this.#offset + 4) >>> 5; // 27 bits
    this.#offset += 8;
    return (hi * 2 ** 27 + lo) / TWO_POW_53;
  }

  /** `n` random bytes from the stream (a copy). */
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let at = 0; at < n; ) {
      if (this.#offset >= BUFFER_BYTES) {
        this.#source.fill(this.#buffer);
        this.#offset = 0;
      }
      const take = Math.min(n - at, BUFFER_BYTES - this.#offset);
      out.set(this.#buffer.subarray(this.#offset, this.#offset + take), at);
      this.#offset += take;
      at += take;
    }
    return out;
  }

  /**
   * An integer uniform in [0, n), exactly: draws as many bits as n needs and rejects values
   * past n (fewer than half the draws), so no value is favoured as a modulo would favour it.
   */
  below(n: bigint): bigint {
    if (n <= 0n) throw new JobParameterError('n', 'an integer >= 1', n.toString());
    if (n === 1n) return 0n;
    const bits = (n - 1n).toString(2).length;
    const byteCount = Math.ceil(bits / 8);
    const excess = BigInt(byteCount * 8 - bits);
    for (;;) {
      let value = 0n;
      for (const byte of this.bytes(byteCount)) value = (value << 8n) | BigInt(byte);
      value >>= excess;
      if (value < n) return value;
    }
  }

  /** A standard normal draw by the Box-Muller transform; both outputs of a pair are used. */
  gaussian(): number {
    if (this.#spare !== undefined) {
      const z = this.#spare;
      this.#spare = undefined;
      return z;
    }
    // 1 - u lies in (0, 1], so the logarithm is finite.
    const r = Math.sqrt(-2 * Math.log(1 - this.uniform()));
    const theta = 2 * Math.PI * this.uniform();
    this.#spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  }
}
