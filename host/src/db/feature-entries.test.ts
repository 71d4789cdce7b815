import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { keccak256, toHex, type Hex } from 'viem';
import { FsBlobStore } from '../blobs/fs-store.ts';
import { tempDatabase } from '../test-fixtures.ts';
import { FeatureEntryStore, MAX_FEATURE_ENTRY_BYTES } from './feature-entries.ts';

const code = (p: Promise<unknown>) => p.then(() => 'none', (e: { code?: string }) => e.code ?? String(e));

describe('FeatureEntryStore (SQLite row + blob store)', () => {
  let env: Awaited<ReturnType<typeof tempDatabase>>;
  let store: FeatureEntryStore;
  let blobDir: string;
  beforeEach(async () => {
    env = await tempDatabase();
    blobDir = join(env.dir, 'blobs');
    store = new FeatureEntryStore(env.db, new FsBlobStore(blobDir), () => 1234);
  });
  afterEach(() => env.cleanup());

  it('keeps an entry under its file and returns the same bytes; a newer entry replaces it; an unknown file has none', async () => {
    const file = keccak256(toHex('file'));
    const entry = new Uint8Array(randomBytes(70_000));
    await store.save(file, entry);
    expect(Buffer.from((await store.load(file))!).equals(Buffer.from(entry))).to.equal(true);
    expect(await store.load(file.toUpperCase().replace('0X', '0x') as Hex)).to.not.equal(undefined);
    const newer = new Uint8Array(randomBytes(500));
    await store.save(file, newer);
    expect(Buffer.from((await store.load(file))!).equals(Buffer.from(newer))).to.equal(true);
    expect(await store.load(keccak256(toHex('other')))).to.equal(undefined);
  });

  it('refuses an empty or oversized entry and reports a changed, cut or lost blob as HOST_FEATURE_ENTRY_DAMAGED', async () => {
    const file = keccak256(toHex('file'));
    expect(await code(store.save(file, new Uint8Array(0)))).to.equal('HOST_FEATURE_ENTRY_DAMAGED');
    expect(await code(store.save(file, new Uint8Array(MAX_FEATURE_ENTRY_BYTES + 1)))).to.equal('HOST_FEATURE_ENTRY_DAMAGED');
    const entry = new Uint8Array(randomBytes(4000));
    await store.save(file, entry);
    const sha = `0x${createHash('sha256').update(entry).digest('hex')}`;
    const path = join(blobDir, sha.slice(2, 4), sha);
    const original = readFileSync(path);
    const flipped = Buffer.from(original);
    flipped[10]! ^= 1;
    writeFileSync(path, flipped);
    expect(await code(store.load(file))).to.equal('HOST_FEATURE_ENTRY_DAMAGED');
    writeFileSync(path, original.subarray(0, 100));
    expect(await code(store.load(file))).to.equal('HOST_FEATURE_ENTRY_DAMAGED');
    writeFileSync(path, Buffer.concat([original, original]));
    expect(await code(store.load(file))).to.equal('HOST_FEATURE_ENTRY_DAMAGED');
    await new FsBlobStore(blobDir).delete(sha as Hex);
    expect(await code(store.load(file))).to.equal('HOST_FEATURE_ENTRY_DAMAGED');
  });
});
