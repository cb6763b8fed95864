import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate, openBeside, openDb, readMigrations } from '../../../ingest/store/db.ts';

const tmp = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'relapse-db-')), 'r.db');

describe('database', () => {
  it('sorts past the page cache in temporary files, not in memory (an index built over the archive stays bounded)', () => {
    const file = tmp();
    const db = openDb(file);
    const beside = openBeside(file);
    // 1 = FILE; 2 = MEMORY would hold a sort of the whole archive in the heap
    expect(db.pragma('temp_store', { simple: true })).toBe(1);
    expect(beside.pragma('temp_store', { simple: true })).toBe(1);
    beside.close();
    db.close();
  });

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

  it('moves the bodies of a database made before 0007 beside their messages, bytes intact', () => {
    const file = tmp();
    const old = new Database(file);
    migrate(old, readMigrations().filter((m) => m.version < 7));
    const raw = Buffer.from([0x46, 0x72, 0x6f, 0x6d, 0x3a, 0x20, 0xe9, 0x00, 0xff]);
    old.prepare(`INSERT INTO messages (message_id, list, kind, is_patch, own_text, diff_text, source, offset, size, raw, ingested_at)
      VALUES ('old@x', 'kexec', 'patch', 1, 'own', 'diff --git a/x b/x', 's', 0, 9, ?, 'now')`).run(raw);
    old.close();
    const db = openDb(file);
    const row = db.prepare(`SELECT b.own_text, b.diff_text, b.raw FROM messages m JOIN message_bodies b ON b.id = m.id
      WHERE m.message_id = 'old@x'`).get() as { own_text: string; diff_text: string; raw: Buffer };
    expect(row.own_text).toBe('own');
    expect(row.diff_text).toBe('diff --git a/x b/x');
    expect(row.raw.equals(raw)).toBe(true);
    const columns = (db.prepare("SELECT name FROM pragma_table_info('messages')").pluck().all() as string[]);
    expect(columns).not.toContain('raw');
    db.prepare("DELETE FROM messages WHERE message_id = 'old@x'").run();
    expect(db.prepare('SELECT count(*) FROM message_bodies').pluck().get()).toBe(0);
  });

  it('keeps the row counts health reads equal to count(*) as rows come and go', () => {
    const db = openDb(tmp());
    const ins = db.prepare(`INSERT INTO messages (message_id, list, kind, is_patch, source, offset, size, ingested_at)
      VALUES (?, 'kexec', ?, ?, 's', 0, 1, 'now')`);
    ins.run('a@x', 'patch', 1);
    ins.run('b@x', 'reply', 0);
    ins.run('c@x', 'patch', 1);
    db.prepare("DELETE FROM messages WHERE message_id = 'c@x'").run();
    db.prepare("UPDATE messages SET is_patch = 1 WHERE message_id = 'b@x'").run();
    db.prepare("INSERT INTO series (anchor, title, version, total) VALUES ('a@x', 't', 1, 1)").run();
    const counts = Object.fromEntries((db.prepare('SELECT name, n FROM counts').all() as { name: string; n: number }[]).map((r) => [r.name, r.n]));
    const real = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
    expect(counts.messages).toBe(real('SELECT count(*) AS n FROM messages'));
    expect(counts.patches).toBe(real('SELECT count(*) AS n FROM messages WHERE is_patch = 1'));
    expect(counts.series).toBe(real('SELECT count(*) AS n FROM series'));
    expect([counts.messages, counts.patches, counts.series]).toEqual([2, 2, 1]);
  });

  it('looks senders up letter case aside through their indexes', () => {
    const db = openDb(tmp());
    const plan = (sql: string) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all('A@B') as { detail: string }[]).map((r) => r.detail).join('; ');
    expect(plan('SELECT message_id FROM messages WHERE from_email = ? COLLATE NOCASE')).toMatch(/USING (COVERING )?INDEX messages_from/);
    expect(plan('SELECT id FROM series WHERE author_email = ? COLLATE NOCASE')).toMatch(/USING (COVERING )?INDEX series_author/);
    db.close();
  });
});
