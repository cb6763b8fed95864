// A large first ingest drops the secondary indexes and builds them once at its end; a load killed in
// between leaves their definitions behind, and the next writer to open the database builds them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { deferIndexes, openDb, restoreIndexes } from '../../../ingest/store/db.ts';
import { ingestPaths } from '../../../ingest/run/pipeline.ts';
import { readWatchRulesData } from '../../../config/watch-rules.ts';

const ARCHIVE = path.join(import.meta.dirname, '..', '..', 'fixtures', 'corpus', 'archive.mbox');
const tmp = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'relapse-bulk-')), 'r.db');
const indexes = (db: ReturnType<typeof openDb>) =>
  (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all() as string[]);

describe('bulk load', () => {
  it('drops secondary indexes only, keeps their definitions, and builds them back', () => {
    const db = openDb(tmp());
    const all = indexes(db);
    deferIndexes(db);
    const during = indexes(db);
    expect(during.length).toBeLessThan(all.length);
    expect(during).not.toContain('messages_date');
    // unique constraints (how duplicates are found) stay
    expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'messages' AND name LIKE 'sqlite_autoindex%'").pluck().get()).toBeGreaterThan(0);
    expect(restoreIndexes(db)).toBe(all.length - during.length);
    expect(indexes(db)).toEqual(all);
    expect(restoreIndexes(db)).toBe(0);
  });

  it('builds the indexes of a killed load when a writer opens the database, not when the load itself does', () => {
    const file = tmp();
    const db = openDb(file);
    const all = indexes(db);
    deferIndexes(db);
    db.close();
    const loader = openDb(file, { bulkLoad: true });
    expect(indexes(loader).length).toBeLessThan(all.length);
    loader.close();
    const reader = openDb(file, { readonly: true });
    expect(indexes(reader).length).toBeLessThan(all.length);
    reader.close();
    const next = openDb(file);
    expect(indexes(next)).toEqual(all);
  });

  it('ends a bulk ingest (two workers) with the same rows and every index', async () => {
    const dump = async (bulkLoadBytes: number) => {
      const db = openDb(tmp());
      const all = indexes(db);
      const s = await ingestPaths(db, [ARCHIVE], { rulesData: readWatchRulesData(), workers: 2, batchSize: 16, bulkLoadBytes });
      expect(indexes(db)).toEqual(all);
      expect(db.prepare("SELECT count(*) FROM meta WHERE key LIKE 'bulk.%'").pluck().get()).toBe(0);
      const rows = db.prepare('SELECT message_id, thread_id, series_id, answers, accepted_message FROM messages ORDER BY message_id').all();
      return { s: { ...s, seconds: 0 }, rows };
    };
    const bulk = await dump(0);
    const plain = await dump(Number.MAX_SAFE_INTEGER);
    expect(bulk.s.new).toBeGreaterThan(200);
    expect(bulk).toEqual(plain);
  });

  it('fails an ingest whose worker cannot store, without hanging and without storing the batch', async () => {
    const db = openDb(tmp());
    db.exec("CREATE TRIGGER refuse BEFORE INSERT ON messages BEGIN SELECT RAISE(ABORT, 'disk says no'); END");
    await expect(ingestPaths(db, [ARCHIVE], { rulesData: readWatchRulesData(), workers: 2, batchSize: 16 })).rejects.toThrow(/disk says no/);
    expect(db.prepare('SELECT count(*) FROM messages').pluck().get()).toBe(0);
    expect(db.prepare('SELECT count(*) FROM sources').pluck().get()).toBe(0);
  });
});
