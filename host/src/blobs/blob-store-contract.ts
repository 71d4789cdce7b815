// The behaviour every BlobStore must show, as one mocha suite that each implementation's
// test runs against its own backend.
import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import type { BlobStore, Sha256Hex } from './blob-store.ts';

export interface ContractBackend {
  store: BlobStore;
  /** Every object or file the backend holds, temp files included. */
  listStored(): Promise<string[]>;
  teardown(): Promise<void>;
}

const sha = (bytes: Uint8Array): Sha256Hex => `0x${createHash('sha256').update(bytes).digest('hex')}`;

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Streams `bytes` in small chunks, like a socket would. */
function chunked(bytes: Uint8Array, size = 64 * 1024): Readable {
  return Readable.from(
    (function* () {
      for (let at = 0; at < bytes.length; at += size) yield Buffer.from(bytes.subarray(at, at + size));
    })(),
  );
}

async function rejection(promise: Promise<unknown>): Promise<{ code?: string; name?: string }> {
  return promise.then(
    () => expect.fail('expected a rejection'),
    (error: unknown) => error as { code?: string },
  );
}

export function blobStoreContract(setup: () => Promise<ContractBackend>): void {
  let backend: ContractBackend;
  beforeEach(async () => {
    backend = await setup();
  });
  afterEach(async () => {
    await backend.teardown();
  });

  it('stores a streamed body under its SHA-256 and gives the same bytes back', async () => {
    const bytes = randomBytes(3 * 1024 * 1024 + 17);
    const result = await backend.store.put(sha(bytes), chunked(bytes), { maxBytes: bytes.length });
    expect(result).to.deep.equal({ created: true, size: bytes.length });
    expect(await backend.store.has(sha(bytes))).to.equal(true);
    const back = await readAll(await backend.store.get(sha(bytes)));
    expect(back.length).to.equal(bytes.length);
    expect(back.equals(bytes)).to.equal(true);
    expect(await backend.listStored()).to.have.length(1);
  });

  it('stores an empty body', async () => {
    const empty = new Uint8Array(0);
    expect(await backend.store.put(sha(empty), chunked(empty), { maxBytes: 10 })).to.deep.equal({ created: true, size: 0 });
    expect((await readAll(await backend.store.get(sha(empty)))).length).to.equal(0);
  });

  it('is idempotent: the same content twice is one blob', async () => {
    const bytes = randomBytes(1000);
    await backend.store.put(sha(bytes), chunked(bytes), { maxBytes: 1000 });
    expect(await backend.store.put(sha(bytes), chunked(bytes), { maxBytes: 1000 })).to.deep.equal({ created: false, size: 1000 });
    expect(await backend.listStored()).to.have.length(1);
    expect((await readAll(await backend.store.get(sha(bytes)))).equals(bytes)).to.equal(true);
  });

  it('stores nothing when the hash does not match', async () => {
    const bytes = randomBytes(5000);
    const claimed = sha(randomBytes(8));
    const error = await rejection(backend.store.put(claimed, chunked(bytes), { maxBytes: 10_000 }));
    expect(error.code).to.equal('HOST_BLOB_HASH_MISMATCH');
    expect(await backend.store.has(claimed)).to.equal(false);
    expect(await backend.listStored()).to.deep.equal([]);
  });

  it('a lying upload under an existing name leaves the stored blob intact', async () => {
    const bytes = randomBytes(2000);
    await backend.store.put(sha(bytes), chunked(bytes), { maxBytes: 4000 });
    const error = await rejection(backend.store.put(sha(bytes), chunked(randomBytes(2000)), { maxBytes: 4000 }));
    expect(error.code).to.equal('HOST_BLOB_HASH_MISMATCH');
    expect((await readAll(await backend.store.get(sha(bytes)))).equals(bytes)).to.equal(true);
    expect(await backend.listStored()).to.have.length(1);
  });

  it('cuts off a body past the limit and stores nothing', async () => {
    const bytes = randomBytes(300_000);
    const error = await rejection(backend.store.put(sha(bytes), chunked(bytes, 1000), { maxBytes: 100_000 }));
    expect(error.code).to.equal('HOST_BLOB_TOO_LARGE');
    expect(await backend.listStored()).to.deep.equal([]);
  });

  it('stores nothing when the source breaks mid-way', async () => {
    const bytes = randomBytes(10_000);
    const source = Readable.from(
      (async function* () {
        yield bytes.subarray(0, 4000);
        throw new Error('socket reset');
      })(),
    );
    const error = await rejection(backend.store.put(sha(bytes), source, { maxBytes: 20_000 }));
    expect(error.code).to.equal('HOST_BLOB_ABORTED');
    expect(await backend.listStored()).to.deep.equal([]);
  });

  it('reports absence, deletes, and refuses names that are not a SHA-256', async () => {
    const bytes = Buffer.from('hello');
    const missing = sha(Buffer.from('absent'));
    expect(await backend.store.has(missing)).to.equal(false);
    expect((await rejection(backend.store.get(missing))).code).to.equal('HOST_BLOB_NOT_FOUND');
    await backend.store.put(sha(bytes), chunked(bytes), { maxBytes: 10 });
    expect(await text(await backend.store.get(sha(bytes)))).to.equal('hello');
    expect(await backend.store.delete(sha(bytes))).to.equal(true);
    expect(await backend.store.delete(sha(bytes))).to.equal(false);
    expect(await backend.store.has(sha(bytes))).to.equal(false);
    expect(await backend.listStored()).to.deep.equal([]);
    for (const bad of ['../../etc/passwd', `0x${'A'.repeat(64)}`, '0x1234']) {
      expect((await rejection(backend.store.has(bad as Sha256Hex))).code).to.equal('HOST_BLOB_KEY_INVALID');
    }
  });
}
