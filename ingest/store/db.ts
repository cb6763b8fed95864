// Opens the SQLite file (WAL) and applies migrations/NNNN-*.sql in order, one transaction each,
// tracked by PRAGMA user_version. Also the one place indexes are dropped and built again (bulk loads, derivation).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';

export type Db = Database.Database;

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'migrations');

export interface Migration { version: number; name: string; sql: string }

/** Read the migration files: `0001-name.sql` → version 1. */
export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /^\d{4}-.+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: Number(f.slice(0, 4)), name: f, sql: fs.readFileSync(path.join(dir, f), 'utf8') }));
}

export function migrate(db: Db, migrations = readMigrations()): number {
  let current = db.pragma('user_version', { simple: true }) as number;
  for (const m of migrations) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    })();
    current = m.version;
  }
  return current;
}

/**
 * Secondary indexes a bulk load drops and builds again at its end: sorted once, they cost a fraction of
 * being updated row by row. Never a unique index (duplicates are found by those) nor a primary key.
 */
const BULK_INDEXES = ['messages_date', 'messages_thread', 'messages_series', 'messages_from', 'messages_patch',
  'messages_in_reply_to', 'messages_answers', 'patch_files_path', 'events_at', 'call_changes_file', 'call_changes_path',
  'call_changes_call', 'order_changes_file'];
const DEFERRED_KEY = 'bulk.deferred-indexes';

/**
 * Drop the bulk-load indexes, keeping their definitions in `meta` in the same transaction: a load killed
 * before {@link restoreIndexes} leaves them to be built by the next writer that opens the database.
 */
export function deferIndexes(db: Db): void {
  db.transaction(() => {
    const kept = [...deferredIndexes(db), ...dropIndexes(db, BULK_INDEXES)];
    db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(DEFERRED_KEY, JSON.stringify(kept));
  })();
}

/**
 * Drop those of the indexes `names` that exist; the statements that build them again, in `names`' order. The one
 * place indexes are dropped to be built again (a bulk load's, and a whole derivation's rewrite of derived columns).
 */
export function dropIndexes(db: Db, names: readonly string[]): string[] {
  const have = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?").pluck();
  const dropped: string[] = [];
  for (const name of names) {
    const sql = have.get(name) as string | undefined;
    if (!sql) continue;
    dropped.push(sql);
    db.exec(`DROP INDEX ${name}`);
  }
  return dropped;
}

/** Build the indexes a bulk load dropped; how many were built. */
export function restoreIndexes(db: Db): number {
  const sqls = deferredIndexBuilds(db);
  if (!sqls.length) return 0;
  db.transaction(() => {
    for (const sql of sqls) db.exec(sql);
    db.prepare('DELETE FROM meta WHERE key = ?').run(DEFERRED_KEY);
  })();
  return sqls.length;
}

/**
 * The statements that build the indexes a bulk load dropped, but those named in `except` (each one a no-op where
 * its index exists already: another connection may build some of them first).
 */
export function deferredIndexBuilds(db: Db, except: readonly string[] = []): string[] {
  return deferredIndexes(db)
    .filter((sql) => !except.includes(/^CREATE INDEX (\w+)/i.exec(sql)?.[1] ?? ''))
    .map((sql) => sql.replace(/^CREATE INDEX /i, 'CREATE INDEX IF NOT EXISTS '));
}

function deferredIndexes(db: Db): string[] {
  const v = db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(DEFERRED_KEY) as string | undefined;
  return v ? (JSON.parse(v) as string[]) : [];
}

/**
 * Where SQLite keeps temporary data: sorts (an index built, an ORDER BY or GROUP BY over the archive) spill to
 * temporary files past the page cache, so their memory does not grow with the archive. In memory, building the
 * message indexes of a 2,000,000-message archive took 170 MB more (peak RSS of its ingest 445 -> 394 MB). Statement
 * journals stay in memory up to 64 KiB either way (27,000 series inserts firing the row-count triggers: 94 ms with
 * files, 112-138 ms in memory). Only a connection for a full disk keeps them in memory (openDbOnFullDisk).
 */
export const TEMP_STORE = 'FILE';

/**
 * Another connection of a bulk load (on another thread), to an existing database: it neither migrates nor builds
 * the indexes the load deferred (the load's own connection does both). It may attach databases to create (a
 * derivation's scratch), so it is opened read-write, not `fileMustExist` (an attached file gets the same flags).
 */
export function openBeside(file: string): Db {
  if (!fs.existsSync(file)) throw new Error(`no database at ${file}`);
  const db = new Database(file);
  db.pragma('busy_timeout = 10000');
  db.pragma(`temp_store = ${TEMP_STORE}`);
  return db;
}

/**
 * A connection to an existing database on a full disk, for serving reads: a WAL connection wants room for its
 * shared-memory index (the -shm file) before it reads anything, and on a full disk it fails (SQLITE_IOERR_SHMSIZE).
 * In exclusive locking mode, set before the first access, SQLite keeps that index in memory instead. The price:
 * while it is open no other process can use the database (nothing can be written anyway). No migration is run;
 * writes fail with SQLITE_FULL until there is space again.
 */
export function openDbOnFullDisk(file: string): Db {
  const db = new Database(file, { fileMustExist: true });
  db.pragma('locking_mode = EXCLUSIVE');
  db.pragma('busy_timeout = 10000');
  db.pragma('temp_store = MEMORY');
  db.prepare('SELECT count(*) FROM sqlite_master').get(); // the first access: takes the lock, proves it reads
  db.pragma('foreign_keys = ON');
  return db;
}

/**
 * Open (creating it when missing) and migrate. A writer also builds indexes a killed bulk load left
 * dropped, unless it is one of that load's own connections (`bulkLoad`). `autocheckpoint: false` leaves the
 * log to another connection's checkpoints (an ingest's workers: the main thread checkpoints).
 */
export function openDb(file: string, opts: { readonly?: boolean; bulkLoad?: boolean; autocheckpoint?: false } = {}): Db {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const db = new Database(file, { readonly: opts.readonly ?? false });
  try {
    setUp(db, opts);
  } catch (e) {
    db.close(); // a connection left open would hold its lock (a full disk fails here: see openDbOnFullDisk)
    throw e;
  }
  return db;
}

function setUp(db: Db, opts: { readonly?: boolean; bulkLoad?: boolean; autocheckpoint?: false }): void {
  db.pragma('busy_timeout = 10000');
  db.pragma(`temp_store = ${TEMP_STORE}`);
  if (!opts.readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    migrate(db);
    if (!opts.bulkLoad) restoreIndexes(db);
  }
  db.pragma('foreign_keys = ON');
  if (opts.autocheckpoint === false) db.pragma('wal_autocheckpoint = 0');
}
