// What the host needs from blob storage: content-addressed ciphertexts that are durable
// once `put` resolves, so an upload is never acknowledged before it would survive a crash.
import { createHash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { HostError } from '../errors.ts';

/** Lower-case hex SHA-256 with 0x prefix, as manifests carry it. */
export type Sha256Hex = `0x${string}`;

export interface PutResult {
  /** False when the same content was already stored (idempotent put). */
  created: boolean;
  size: number;
}

export interface PutOptions {
  /** Bytes past this limit abort the put with BlobTooLargeError; nothing is stored. */
  maxBytes: number;
}

export interface BlobStore {
  readonly kind: 'fs' | 's3';
  /**
   * Streams `source` in, checks its SHA-256 against `sha256` and stores it under that name.
   * Resolves only once the bytes are durable. On a mismatch, an oversize body or a broken
   * source, rejects and stores nothing.
   */
  put(sha256: Sha256Hex, source: Readable, options: PutOptions): Promise<PutResult>;
  /** The stored bytes; rejects with BlobNotFoundError when absent. */
  get(sha256: Sha256Hex): Promise<Readable>;
  has(sha256: Sha256Hex): Promise<boolean>;
  /** Resolves true if something was deleted. */
  delete(sha256: Sha256Hex): Promise<boolean>;
}

export class BlobHashMismatchError extends HostError {
  override name = 'BlobHashMismatchError';
  constructor(expected: string, received: string) {
    super('HOST_BLOB_HASH_MISMATCH', `The body's SHA-256 is ${received}, the manifest says ${expected}.`, {
      details: { expected, received },
      hint: 'Upload the exact ciphertext the manifest was signed over; nothing was stored.',
    });
  }
}

export class BlobTooLargeError extends HostError {
  override name = 'BlobTooLargeError';
  constructor(limit: number, received: number) {
    super('HOST_BLOB_TOO_LARGE', `The body exceeds the limit of ${limit} bytes (at least ${received} received).`, {
      details: { limit, received },
      hint: 'Split the recording or ask the operator for a larger limit; nothing was stored.',
    });
  }
}

export class BlobNotFoundError extends HostError {
  override name = 'BlobNotFoundError';
  constructor(sha256: string) {
    super('HOST_BLOB_NOT_FOUND', `No blob with SHA-256 ${sha256}.`, { details: { sha256 } });
  }
}

export class BlobKeyError extends HostError {
  override name = 'BlobKeyError';
  constructor(received: string) {
    super('HOST_BLOB_KEY_INVALID', `A blob name must be 0x and 64 lower-case hex digits, received ${JSON.stringify(received.slice(0, 80))}.`, {
      details: { received: received.slice(0, 80) },
    });
  }
}

/** The source stream failed or ended early (client went away); nothing was stored. */
export class BlobAbortedError extends HostError {
  override name = 'BlobAbortedError';
  constructor(received: number, cause: unknown) {
    super('HOST_BLOB_ABORTED', `The upload stream broke after ${received} bytes.`, {
      details: { received },
      hint: 'Send the upload again.',
      cause,
    });
  }
}

/** Blob names are used in file paths and object keys: accept nothing but a SHA-256. */
export function checkBlobKey(sha256: string): asserts sha256 is Sha256Hex {
  if (!/^0x[0-9a-f]{64}$/.test(sha256)) throw new BlobKeyError(sha256);
}

/**
 * A pass-through that hashes and counts what flows, and fails the stream as soon as the
 * count passes `maxBytes`, so an oversize body is cut off rather than buffered.
 */
export class HashingLimiter extends Transform {
  readonly #hash = createHash('sha256');
  readonly #maxBytes: number;
  bytes = 0;

  constructor(maxBytes: number) {
    super();
    this.#maxBytes = maxBytes;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.#maxBytes) {
      callback(new BlobTooLargeError(this.#maxBytes, this.bytes));
      return;
    }
    this.#hash.update(chunk);
    callback(null, chunk);
  }

  /** Valid once the stream has finished. */
  digest(): Sha256Hex {
    return `0x${this.#hash.digest('hex')}`;
  }
}

/** Typed errors pass; anything else from the source (client abort, socket reset) becomes BlobAbortedError. */
export function asPutError(error: unknown, received: number): unknown {
  if (error instanceof BlobTooLargeError || error instanceof BlobHashMismatchError) return error;
  return new BlobAbortedError(received, error);
}
