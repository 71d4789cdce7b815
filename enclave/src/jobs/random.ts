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
