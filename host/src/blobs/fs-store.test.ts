import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { blobStoreContract } from './blob-store-contract.ts';
import { FsBlobStore } from './fs-store.ts';

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

describe('FsBlobStore', () => {
  blobStoreContract(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'audata-fs-store-'));
    const root = join(dir, 'blobs');
    return {
      store: new FsBlobStore(root),
      listStored: () => filesUnder(root),
      teardown: () => rm(dir, { recursive: true, force: true }),
    };
  });
});
