// Blobs in a local directory, content-addressed by SHA-256, written the way that survives
// power loss: temp file in the target directory, fsync, rename, fsync the directory.
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rm, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
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

async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export class FsBlobStore implements BlobStore {
  readonly kind = 'fs' as const;
  readonly #root: string;

  /** `root` is created if missing; blobs live at root/ab/0xab…. */
  constructor(root: string) {
    this.#root = root;
  }

  #dir(sha256: Sha256Hex): string {
    return join(this.#root, sha256.slice(2, 4));
  }

  #path(sha256: Sha256Hex): string {
    return join(this.#dir(sha256), sha256);
  }

  async put(sha256: Sha256Hex, source: Readable, options: PutOptions): Promise<PutResult> {
    checkBlobKey(sha256);
    const dir = this.#dir(sha256);
    const created = await mkdir(dir, { recursive: true });
    // A new shard directory must itself be durable in its parent, or the rename could vanish.
    if (created !== undefined) {
      await fsyncPath(dirname(created));
      await fsyncPath(this.#root);
    }
    const temp = join(dir, `.tmp-${randomBytes(8).toString('hex')}`);
    const limiter = new HashingLimiter(options.maxBytes);
    try {
      const file = createWriteStream(temp, { flags: 'wx' });
      try {
        await pipeline(source, limiter, file);
      } catch (error) {
        throw asPutError(error, limiter.bytes);
      }
      const received = limiter.digest();
      if (received !== sha256) throw new BlobHashMismatchError(sha256, received);
      await fsyncPath(temp);
      const target = this.#path(sha256);
      const existed = await stat(target).then(
        () => true,
        () => false,
      );
      // Same name means same content, so replacing an existing blob changes nothing.
      await rename(temp, target);
      await fsyncPath(dir);
      return { created: !existed, size: limiter.bytes };
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  async get(sha256: Sha256Hex): Promise<Readable> {
    checkBlobKey(sha256);
    const handle = await open(this.#path(sha256), 'r').catch((error: NodeJS.ErrnoException) => {
      throw error.code === 'ENOENT' ? new BlobNotFoundError(sha256) : error;
    });
    return handle.createReadStream();
  }

  async has(sha256: Sha256Hex): Promise<boolean> {
    checkBlobKey(sha256);
    return stat(this.#path(sha256)).then(
      (info) => info.isFile(),
      () => false,
    );
  }

  async delete(sha256: Sha256Hex): Promise<boolean> {
    checkBlobKey(sha256);
    try {
      await unlink(this.#path(sha256));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
    await fsyncPath(this.#dir(sha256));
    return true;
  }
}
