// Numbered schema migrations, applied all-or-nothing at start-up. A database this code does
// not recognise (corrupt, from a newer release, or not ours) is refused before any write.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { HostError } from '../errors.ts';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export class DatabaseCorruptError extends HostError {
  override name = 'DatabaseCorruptError';
  constructor(path: string, reason: string, cause?: unknown) {
    super('HOST_DB_CORRUPT', `The metadata database ${path} cannot be read: ${reason}.`, {
      details: { path, reason },
      hint: 'Restore it from a backup; the file was left as it is.',
      cause,
    });
  }
}

export class SchemaTooNewError extends HostError {
  override name = 'SchemaTooNewError';
  constructor(path: string, known: number, found: number) {
    super('HOST_DB_SCHEMA_NEWER', `The metadata database ${path} is at schema version ${found}; this host knows up to ${known}.`, {
      details: { path, expected: known, received: found },
      hint: 'Run the host release that wrote it (or a newer one); nothing was changed.',
    });
  }
}

export class SchemaUnknownError extends HostError {
  override name = 'SchemaUnknownError';
  constructor(path: string, reason: string) {
    super('HOST_DB_SCHEMA_UNKNOWN', `The metadata database ${path} is not one this host wrote: ${reason}.`, {
      details: { path, reason },
      hint: 'Point AUDATA_HOST_DATA_DIR at the host data directory; nothing was changed.',
    });
  }
}

export class MigrationFailedError extends HostError {
  override name = 'MigrationFailedError';
  constructor(version: number, name: string, cause: unknown) {
    super('HOST_DB_MIGRATION_FAILED', `Schema migration ${version} (${name}) failed and was rolled back.`, {
      details: { version, name },
      hint: 'The database is as it was before start-up; see the cause in the log.',
      cause,
    });
  }
}

/** Reads `NNNN-name.sql` files in version order; a gap or duplicate is a programming error. */
export function loadMigrations(dir: string = join(import.meta.dirname, 'migrations')): Migration[] {
  const migrations = readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .map((file) => {
      const match = /^(\d{4})-([a-z0-9-]+)\.sql$/.exec(file);
      if (match === null) throw new Error(`Migration file name must be NNNN-name.sql: ${file}`);
      return { version: Number(match[1]), name: match[2]!, sql: readFileSync(join(dir, file), 'utf8') };
    })
    .sort((a, b) => a.version - b.version);
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) throw new Error(`Migrations must be numbered 1, 2, 3…; found ${migration.version} at ${index + 1}`);
  });
  return migrations;
}

interface AppliedRow {
  version: number;
  name: string;
}

/**
 * Checks what the database holds against `migrations` without writing: an empty database,
 * or one whose applied versions are a prefix of ours. Returns the applied versions.
 */
export function inspectSchema(db: Database, path: string, migrations: readonly Migration[]): AppliedRow[] {
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").pluck().all() as string[];
  if (tables.length === 0) return [];
  if (!tables.includes('schema_version')) throw new SchemaUnknownError(path, `it has tables (${tables.slice(0, 5).join(', ')}) but no schema_version`);
  const applied = db.prepare('SELECT version, name FROM schema_version ORDER BY version').all() as AppliedRow[];
  const latest = applied.at(-1)?.version ?? 0;
  if (latest > migrations.length) throw new SchemaTooNewError(path, migrations.length, latest);
  applied.forEach((row, index) => {
    const ours = migrations[index];
    if (row.version !== index + 1 || ours === undefined || ours.name !== row.name) {
      throw new SchemaUnknownError(path, `applied migration ${row.version} is "${row.name}", expected ${index + 1} "${ours?.name ?? '?'}"`);
    }
  });
  return applied;
}

/** Applies every pending migration in one transaction; returns the versions applied now. */
export function migrate(db: Database, path: string, migrations: readonly Migration[], now: () => number = Date.now): number[] {
  const applied = inspectSchema(db, path, migrations);
  const pending = migrations.slice(applied.length);
  if (pending.length === 0) return [];
  let current: Migration | undefined;
  try {
    db.transaction(() => {
      db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT');
      const record = db.prepare('INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)');
      for (const migration of pending) {
        current = migration;
        db.exec(migration.sql);
        record.run(migration.version, migration.name, now());
      }
    }).immediate();
  } catch (error) {
    throw new MigrationFailedError(current?.version ?? 0, current?.name ?? '?', error);
  }
  return pending.map((migration) => migration.version);
}
