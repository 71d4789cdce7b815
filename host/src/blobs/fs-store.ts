// Blobs in a local directory, content-addressed by SHA-256, written the way that survives
// power loss: temp file in the target directory, fsync, rename, fsync the directory.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, rm, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import {
  asPutError,
  BlobHashMismatchError,
  BlobNotFoundError,
  BlobTooLargeError,
  checkBlobKey,
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
    // Written through one handle and synced on it: no stream pipeline and no second open, which
    // together cost more than the fsync itself on a 1 MB blob.
    const hash = createHash('sha256');
    let bytes = 0;
    try {
      const file = await open(temp, 'wx');
      try {
        try {
          for await (const chunk of source as AsyncIterable<Buffer>) {
            bytes += chunk.length;
            if (bytes > options.maxBytes) throw new BlobTooLargeError(options.maxBytes, bytes);
            hash.update(chunk);
            await file.write(chunk);
          }
        } catch (error) {
          throw asPutError(error, bytes);
        }
        const received: Sha256Hex = `0x${hash.digest('hex')}`;
        if (received !== sha256) throw new BlobHashMismatchError(sha256, received);
        await file.sync();
      } finally {
        await file.close();
      }
      const target = this.#path(sha256);
      const existed = await stat(target).then(
        () => true,
        () => false,
      );
      // Same name means same content, so replacing an existing blob changes nothing.
      await rename(temp, target);
      await fsyncPath(dir);
      return { created: !existed, size: bytes };
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
