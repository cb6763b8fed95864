import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { checkpointElsewhere, execElsewhere } from '../../../ingest/store/sql-elsewhere.ts';

const dirs: string[] = [];
const tempDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'relapse-ckpt-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('execElsewhere', () => {
  it('runs statements on a connection of its own, in one transaction, while the caller keeps its connection open', async () => {
    const file = path.join(tempDir(), 'a.db');
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (x INTEGER, y TEXT)');
    const insert = db.prepare('INSERT INTO t VALUES (?, ?)');
    db.transaction(() => { for (let i = 0; i < 1000; i++) insert.run(i % 37, `row ${i}`); })();
    await execElsewhere(file, ['CREATE INDEX t_x ON t(x)', 'CREATE INDEX t_y ON t(y)'], { transaction: true });
    const names = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY name").pluck().all();
    expect(names).toEqual(['t_x', 't_y']);
    expect(db.prepare('EXPLAIN QUERY PLAN SELECT * FROM t WHERE x = 5').all().map((r) => (r as { detail: string }).detail).join()).toMatch(/USING INDEX t_x/);
    db.close();
  });

  it('sorts past the page cache in temporary files, not in memory', async () => {
    const file = path.join(tempDir(), 'a.db');
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    await execElsewhere(file, ['CREATE TABLE seen AS SELECT temp_store FROM pragma_temp_store']);
    expect(db.prepare('SELECT temp_store FROM seen').pluck().get()).toBe(1);
    db.close();
  });

  it('rejects with the reason, and a failing statement takes the transaction back whole', async () => {
    const file = path.join(tempDir(), 'a.db');
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (x INTEGER)');
    await expect(execElsewhere(file, ['CREATE INDEX t_x ON t(x)', 'CREATE INDEX t_z ON t(nope)'], { transaction: true })).rejects.toThrow(/no such column: nope/);
    expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'index'").pluck().get()).toBe(0);
    db.close();
  });
});

describe('checkpointElsewhere', () => {
  it('copies what the log holds into the database file while the writer stays open', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'a.db');
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('wal_autocheckpoint = 0');
    db.exec('CREATE TABLE t (x TEXT)');
    const insert = db.prepare('INSERT INTO t VALUES (?)');
    db.transaction(() => { for (let i = 0; i < 500; i++) insert.run(`row ${i}`); })();
    // the database file alone, without its log: the rows are not in it yet
    const before = path.join(dir, 'before.db');
    fs.copyFileSync(file, before);
    expect(() => new Database(before, { readonly: true }).prepare('SELECT count(*) FROM t').pluck().get()).toThrow(/no such table/);

    await checkpointElsewhere(file);

    const after = path.join(dir, 'after.db');
    fs.copyFileSync(file, after);
    const copy = new Database(after, { readonly: true });
    expect(copy.prepare('SELECT count(*) FROM t').pluck().get()).toBe(500);
    copy.close();
    // the writer goes on as before
    insert.run('one more');
    expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(501);
    db.close();
  });

  it('rejects with the reason when the database cannot be opened', async () => {
    const file = path.join(tempDir(), 'missing-dir', 'a.db');
    await expect(checkpointElsewhere(file)).rejects.toThrow(/directory does not exist|unable to open/i);
  });
});
