import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import Sqlite from 'better-sqlite3';
import type { Hex } from 'viem';
import type { SealedStateRefJson } from '@audata/wire';
import { loadMigrations } from './db/migrate.ts';
import { openDatabase } from './db/open-database.ts';
import { SealedEnclaveStateStore } from './enclave-state.ts';
import { tempDatabase } from './test-fixtures.ts';

/** A blob standing in for a sealed state (the host never looks inside) and the reference the enclave sends with it. */
function state(counter: number, size = 200): { ref: SealedStateRefJson; blob: Uint8Array } {
  const blob = new Uint8Array(randomBytes(size));
  const sha256: Hex = `0x${createHash('sha256').update(blob).digest('hex')}`;
  return { ref: { counter: String(counter), sha256, bytes: blob.length }, blob };
}

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
};

describe('SealedEnclaveStateStore', () => {
  let env: Awaited<ReturnType<typeof tempDatabase>>;
  beforeEach(async () => {
    env = await tempDatabase();
  });
  afterEach(() => env.cleanup());

  it('keeps the latest state and the one before it; the boot attachment is the latest', () => {
    const store = new SealedEnclaveStateStore(env.db, () => 42);
    expect(store.latest()).to.equal(undefined);
    expect(store.bootAttachment()).to.deep.equal(new Uint8Array(0));
    const [a, b, c] = [state(1), state(2), state(3)];
    expect(store.save(a.ref, a.blob)).to.deep.equal({ stored: true });
    expect(store.save(b.ref, b.blob)).to.deep.equal({ stored: true });
    expect(store.save(c.ref, c.blob)).to.deep.equal({ stored: true });
    expect(store.latest()).to.deep.equal({ counter: 3n, sha256: c.ref.sha256, blob: c.blob, savedAt: 42 });
    expect(store.previous()!.counter).to.equal(2n);
    expect(store.bootAttachment()).to.deep.equal(c.blob);
    expect(env.db.prepare('SELECT count(*) FROM sealed_enclave_state').pluck().get()).to.equal(2);
  });

  it('ignores an older state (replies out of order) and the same one twice', () => {
    const store = new SealedEnclaveStateStore(env.db);
    const [five, four] = [state(5), state(4)];
    store.save(five.ref, five.blob);
    expect(store.save(four.ref, four.blob)).to.deep.equal({ stored: false });
    expect(store.save(five.ref, five.blob)).to.deep.equal({ stored: false });
    expect(store.latest()!.counter).to.equal(5n);
    expect(store.previous()).to.equal(undefined);
  });

  it('refuses a blob that does not match its reference, or another state under a stored counter, keeping what is stored', () => {
    const store = new SealedEnclaveStateStore(env.db);
    const kept = state(7);
    store.save(kept.ref, kept.blob);
    const next = state(8);
    const damaged = next.blob.slice();
    damaged[3]! ^= 1;
    expect(codeOf(() => store.save(next.ref, damaged))).to.equal('HOST_ENCLAVE_STATE_MISMATCH');
    expect(codeOf(() => store.save(next.ref, next.blob.subarray(1)))).to.equal('HOST_ENCLAVE_STATE_MISMATCH');
    expect(codeOf(() => store.save({ ...next.ref, counter: '9'.repeat(20) }, next.blob))).to.equal('HOST_ENCLAVE_STATE_MISMATCH');
    const fork = state(7);
    expect(codeOf(() => store.save(fork.ref, fork.blob))).to.equal('HOST_ENCLAVE_STATE_CONFLICT');
    expect(store.latest()).to.deep.include({ counter: 7n, sha256: kept.ref.sha256 });
    expect(store.latest()!.blob).to.deep.equal(kept.blob);
  });

  it('is durable: a saved state is there after the database is closed and opened again', () => {
    const store = new SealedEnclaveStateStore(env.db);
    const big = state(1, 3 * 1024 * 1024);
    store.save(big.ref, big.blob);
    env.db.close();
    const again = openDatabase(env.path);
    try {
      expect(new SealedEnclaveStateStore(again).latest()!.blob).to.deep.equal(big.blob);
    } finally {
      again.close();
    }
  });

  it('its migration applies to a database made before it, keeping the data', () => {
    const base = loadMigrations().filter((m) => m.version === 1);
    env.db.close();
    const path = `${env.path}.old`;
    openDatabase(path, { migrations: base }).close();
    const raw = new Sqlite(path);
    expect(raw.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'sealed_enclave_state'").pluck().get()).to.equal(0);
    raw.close();
    const db = openDatabase(path);
    try {
      const s = state(1);
      new SealedEnclaveStateStore(db).save(s.ref, s.blob);
      expect(db.prepare("SELECT name FROM schema_version WHERE version = 2").pluck().get()).to.equal('sealed-enclave-state');
    } finally {
      db.close();
    }
  });
});
