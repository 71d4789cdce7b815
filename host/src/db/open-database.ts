// Opens the host's metadata database (a real SQLite file in the data directory), refuses
// one it does not recognise before writing anything, then switches to WAL and migrates.
import Sqlite, { type Database } from 'better-sqlite3';
import { DatabaseCorruptError, loadMigrations, migrate, inspectSchema, type Migration } from './migrate.ts';

export interface OpenDatabaseOptions {
  migrations?: readonly Migration[];
  now?: () => number;
}

function isCorruption(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT' || (typeof code === 'string' && code.startsWith('SQLITE_CORRUPT'));
}

export function openDatabase(path: string, options: OpenDatabaseOptions = {}): Database {
  const migrations = options.migrations ?? loadMigrations();
  const db = new Sqlite(path);
  try {
    // Read-only checks first: on a file we do not recognise, nothing below may write.
    let check: unknown;
    try {
      check = db.pragma('quick_check', { simple: true });
    } catch (error) {
      if (isCorruption(error)) throw new DatabaseCorruptError(path, 'not a SQLite database', error);
      throw error;
    }
    if (check !== 'ok') throw new DatabaseCorruptError(path, `quick_check: ${String(check).slice(0, 200)}`);
    inspectSchema(db, path, migrations);

    db.pragma('journal_mode = WAL');
    // FULL syncs the WAL at every commit: a 201 is only sent for a row that survives power loss.
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db, path, migrations, options.now);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * Runs `write` (its own transaction) without syncing the WAL at its commit. For writes whose
 * loss in a crash is harmless: a lease lost with the host only returns its item to the queue.
 * Any later ordinary commit syncs the WAL and with it this one, so order is kept.
 */
export function withoutSync<T>(db: Database, write: () => T): T {
  db.pragma('synchronous = NORMAL');
  try {
    return write();
  } finally {
    db.pragma('synchronous = FULL');
  }
}
