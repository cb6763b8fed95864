import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrate, openDb, readMigrations } from '../../ingest/db.ts';

const tmp = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'relapse-db-')), 'r.db');

describe('database', () => {
  it('opens in WAL mode with every migration applied, in order', () => {
    const db = openDb(tmp());
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    const ms = readMigrations();
    expect(ms.map((m) => m.version)).toEqual([...ms.map((m) => m.version)].sort((a, b) => a - b));
    expect(db.pragma('user_version', { simple: true })).toBe(ms[ms.length - 1].version);
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name);
    for (const t of ['messages', 'quarantine', 'threads', 'series', 'call_changes', 'fixes', 'regressions', 'digests_sent']) expect(tables).toContain(t);
  });

  it('applies only the migrations not yet applied, each in its own transaction', () => {
    const file = tmp();
    const db = openDb(file);
    const v = db.pragma('user_version', { simple: true }) as number;
    expect(migrate(db)).toBe(v);
    const broken = [...readMigrations(), { version: v + 1, name: 'x.sql', sql: 'CREATE TABLE ok_part (x); CREATE TABLE messages (y);' }];
    expect(() => migrate(db, broken)).toThrow();
    // the failed migration left nothing behind
    expect(db.pragma('user_version', { simple: true })).toBe(v);
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'ok_part'").get()).toEqual({ n: 0 });
  });
});
