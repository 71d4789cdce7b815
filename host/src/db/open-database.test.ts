import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { loadMigrations, type Migration } from './migrate.ts';
import { openDatabase, withoutSync } from './open-database.ts';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return expect.fail('expected an error');
}

describe('openDatabase', () => {
  let dir: string;
  let path: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'audata-db-'));
    path = join(dir, 'host.sqlite');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('creates the schema on an empty file, in WAL mode, with every migration recorded', () => {
    const db = openDatabase(path, { now: () => 1234 });
    expect(db.pragma('journal_mode', { simple: true })).to.equal('wal');
    const versions = db.prepare('SELECT version, name, applied_at FROM schema_version').all();
    expect(versions).to.deep.equal(loadMigrations().map((m) => ({ version: m.version, name: m.name, applied_at: 1234 })));
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
    expect(tables).to.include.members(['contributions', 'scoring_queue', 'enclave_state', 'schema_version']);
    db.close();
  });

  it('syncs every commit, except inside withoutSync, which restores that even when its write throws', () => {
    const db = openDatabase(path);
    const FULL = 2;
    const NORMAL = 1;
    expect(db.pragma('synchronous', { simple: true })).to.equal(FULL);
    expect(withoutSync(db, () => db.pragma('synchronous', { simple: true }))).to.equal(NORMAL);
    expect(db.pragma('synchronous', { simple: true })).to.equal(FULL);
    expect(() => withoutSync(db, () => { throw new Error('write failed'); })).to.throw('write failed');
    expect(db.pragma('synchronous', { simple: true })).to.equal(FULL);
    db.close();
  });

  it('re-opening is idempotent and keeps the data', () => {
    const first = openDatabase(path);
    first.prepare('INSERT INTO enclave_state (id, sealed_dataset_key, updated_at) VALUES (1, ?, 1)').run(Buffer.from('sealed'));
    first.close();
    const again = openDatabase(path);
    expect(again.prepare('SELECT count(*) FROM schema_version').pluck().get()).to.equal(loadMigrations().length);
    expect(again.prepare('SELECT sealed_dataset_key FROM enclave_state').pluck().get()).to.deep.equal(Buffer.from('sealed'));
    again.close();
  });

  it('applies only the pending migrations, in one transaction', () => {
    const base = loadMigrations();
    openDatabase(path, { migrations: base }).close();
    const next: Migration = { version: base.length + 1, name: 'add-note', sql: 'ALTER TABLE contributions ADD COLUMN note TEXT;' };
    const db = openDatabase(path, { migrations: [...base, next] });
    expect(db.prepare('SELECT max(version) FROM schema_version').pluck().get()).to.equal(base.length + 1);
    db.close();
  });

  it('rolls back a failing migration and says which one', () => {
    const base = loadMigrations();
    openDatabase(path, { migrations: base }).close();
    const good: Migration = { version: base.length + 1, name: 'good', sql: 'CREATE TABLE extra (x INTEGER);' };
    const bad: Migration = { version: base.length + 2, name: 'bad', sql: 'CREATE TABLE broken (;' };
    expect(codeOf(() => openDatabase(path, { migrations: [...base, good, bad] }))).to.equal('HOST_DB_MIGRATION_FAILED');
    const raw = new Sqlite(path);
    expect(raw.prepare('SELECT max(version) FROM schema_version').pluck().get()).to.equal(base.length);
    expect(raw.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'extra'").pluck().get()).to.equal(0);
    raw.close();
  });

  it('refuses a file that is not a database and leaves it untouched', async () => {
    const garbage = randomBytes(8192);
    await writeFile(path, garbage);
    expect(codeOf(() => openDatabase(path))).to.equal('HOST_DB_CORRUPT');
    expect((await readFile(path)).equals(garbage)).to.equal(true);
  });

  it('refuses a schema from a newer release without changing anything', async () => {
    const db = openDatabase(path);
    db.prepare("INSERT INTO schema_version (version, name, applied_at) VALUES (99, 'future', 1)").run();
    db.prepare('INSERT INTO enclave_state (id, sealed_dataset_key, updated_at) VALUES (1, ?, 1)').run(Buffer.from('keep'));
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    const before = await readFile(path);
    expect(codeOf(() => openDatabase(path))).to.equal('HOST_DB_SCHEMA_NEWER');
    expect((await readFile(path)).equals(before)).to.equal(true);
  });

  it('refuses a database some other program wrote', async () => {
    const foreign = new Sqlite(path);
    foreign.exec('CREATE TABLE songs (title TEXT)');
    foreign.close();
    const before = await readFile(path);
    expect(codeOf(() => openDatabase(path))).to.equal('HOST_DB_SCHEMA_UNKNOWN');
    expect((await readFile(path)).equals(before)).to.equal(true);
  });

  it('refuses a database whose applied migrations differ from ours', () => {
    openDatabase(path).close();
    const raw = new Sqlite(path);
    raw.prepare("UPDATE schema_version SET name = 'other' WHERE version = 1").run();
    raw.close();
    expect(codeOf(() => openDatabase(path))).to.equal('HOST_DB_SCHEMA_UNKNOWN');
  });
});
