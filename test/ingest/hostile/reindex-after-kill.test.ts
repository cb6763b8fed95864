// Issue 13 item 6: `reindex` run during or after a killed bulk ingest showed 64 regressions where a clean run has
// 13, and the next ingest dropped the phantom ones without a `regression.resolved` event. Now reindex refuses
// while stored messages wait for derivation (saying why and what to run), and every regression that disappears
// is closed in the event log.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readWatchRulesData } from '../../../config/watch-rules.ts';
import { reindex } from '../../../ingest/run/reindex.ts';
import { ARCHIVE, corpusDb } from '../../helper.ts';
import { ingest, newDb, tmpDir } from './helpers.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const regs = (db: ReturnType<typeof newDb>) => db.prepare('SELECT key, status FROM regressions ORDER BY key').all();

describe('reindex and derivation', () => {
  it('refuses while stored messages are not derived (an ingest killed before its derivation), then equals a clean run', async () => {
    const clean = await corpusDb();
    dirs.push(clean.dir);
    const want = regs(clean.db);
    expect(want.length).toBeGreaterThan(0);
    clean.db.close();

    const d = tmpDir();
    dirs.push(d);
    const db = newDb(d);
    // what a SIGKILL between the last batch and the derivation leaves: every message stored, none derived
    await ingest(db, [ARCHIVE], { skipDerive: true });
    expect(() => reindex(db, readWatchRulesData())).toThrow(/reindex refused: messages were stored that are not derived yet.*relapse ingest/);
    expect(regs(db)).toEqual([]); // nothing half-made was written
    // the ingest run again resumes, derives; reindex then sees what a clean run sees
    await ingest(db, [ARCHIVE]);
    reindex(db, readWatchRulesData());
    expect(regs(db)).toEqual(want);
    db.close();
  });

  it('every regression that disappears gets a regression.resolved event', async () => {
    const c = await corpusDb();
    dirs.push(c.dir);
    const db = c.db;
    const unresolved = (db.prepare("SELECT key FROM regressions WHERE status != 'resolved' ORDER BY key").pluck().all() as string[]);
    expect(unresolved.length).toBeGreaterThan(0);
    // rules that watch nothing any more: every regression goes
    const rules = readWatchRulesData() as { files: string[] }[];
    reindex(db, rules.map((r) => ({ ...r, files: ['nowhere/*.c'] })));
    expect(regs(db)).toEqual([]);
    const closed = db.prepare("SELECT ref, data FROM events WHERE type = 'regression.resolved' AND data LIKE '%withdrawn%' ORDER BY ref").all() as { ref: string; data: string }[];
    expect(closed.map((e) => e.ref)).toEqual(unresolved);
    expect(JSON.parse(closed[0]!.data)).toMatchObject({ resolution: 'withdrawn', reason: 'no longer detected' });
    // per regression key, the event log ends closed: opened and resolved balance
    const last = db.prepare("SELECT ref, type FROM events WHERE type IN ('regression.opened', 'regression.resolved') ORDER BY id").all() as { ref: string; type: string }[];
    const state = new Map(last.map((e) => [e.ref, e.type]));
    expect([...state.values()].every((t) => t === 'regression.resolved')).toBe(true);
    db.close();
  });
});
