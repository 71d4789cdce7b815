// Blobs in any S3-compatible bucket. The body is spooled to a local temp file while its
// hash is checked, so a lying or oversize upload never reaches the bucket, and the PUT
// then goes out with a known length and the checksum S3 verifies on its side.
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { S3Config } from '../config.ts';
import {
  asPutError,
  BlobHashMismatchError,
  BlobNotFoundError,
  checkBlobKey,
  HashingLimiter,
  type BlobStore,
  type PutOptions,
  type PutResult,
  type Sha256Hex,
} from './blob-store.ts';

export function createS3Client(config: S3Config): S3Client {
  return new S3Client({
    region: config.region,
    forcePathStyle: config.forcePathStyle,
    ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
    ...(config.credentials === undefined ? {} : { credentials: config.credentials }),
    // Since SDK 3.729 the default is WHEN_SUPPORTED, which sends streamed bodies as
    // aws-chunked with a trailing CRC; S3-compatible servers that do not speak that framing
    // store the chunk headers as content. We send our own SHA-256 instead.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

function isNotFound(error: unknown): boolean {
  return (
    error instanceof NoSuchKey ||
    error instanceof NotFound ||
    (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404
  );
}

export class S3BlobStore implements BlobStore {
  readonly kind = 's3' as const;
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;
  readonly #spoolDir: string;

  /** `spoolDir` is a local directory for in-flight uploads (the data dir's spool/). */
  constructor(client: S3Client, options: { bucket: string; prefix: string; spoolDir: string }) {
    this.#client = client;
    this.#bucket = options.bucket;
    this.#prefix = options.prefix;
    this.#spoolDir = options.spoolDir;
  }

  #key(sha256: Sha256Hex): string {
    return `${this.#prefix}blobs/${sha256}`;
  }

  async put(sha256: Sha256Hex, source: Readable, options: PutOptions): Promise<PutResult> {
    checkBlobKey(sha256);
    await mkdir(this.#spoolDir, { recursive: true });
    const temp = join(this.#spoolDir, `.tmp-${randomBytes(8).toString('hex')}`);
    const limiter = new HashingLimiter(options.maxBytes);
    try {
      try {
        await pipeline(source, limiter, createWriteStream(temp, { flags: 'wx' }));
      } catch (error) {
        throw asPutError(error, limiter.bytes);
      }
      const received = limiter.digest();
      if (received !== sha256) throw new BlobHashMismatchError(sha256, received);
      if (await this.has(sha256)) return { created: false, size: limiter.bytes };
      // S3 acknowledges a PUT only once the object is durably stored.
      await this.#client.send(
        new PutObjectCommand({
          Bucket: this.#bucket,
          Key: this.#key(sha256),
          Body: createReadStream(temp),
          ContentLength: limiter.bytes,
          ContentType: 'application/octet-stream',
          ChecksumSHA256: Buffer.from(sha256.slice(2), 'hex').toString('base64'),
        }),
      );
      return { created: true, size: limiter.bytes };
    } finally {
      await rm(temp, { force: true });
    }
  }

  async get(sha256: Sha256Hex): Promise<Readable> {
    checkBlobKey(sha256);
    try {
      const out = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: this.#key(sha256) }));
      if (out.Body instanceof Readable) return out.Body;
      throw new Error('S3 GetObject returned no Node stream body');
    } catch (error) {
      if (isNotFound(error)) throw new BlobNotFoundError(sha256);
      throw error;
    }
  }

  async has(sha256: Sha256Hex): Promise<boolean> {
    checkBlobKey(sha256);
    try {
      await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: this.#key(sha256) }));
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  async delete(sha256: Sha256Hex): Promise<boolean> {
    checkBlobKey(sha256);
    const existed = await this.has(sha256);
    if (existed) await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: this.#key(sha256) }));
    return existed;
  }
}
