// relapse sync: epochs found and mirrored with the real git from file:// URLs and plain paths (both layouts),
// fetched again, only what is new ingested; a failing remote retried and recorded; the lock between processes.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDirs } from '../../temp-dirs.ts';
import { openDb, type Db } from '../../../ingest/store/db.ts';
import { readWatchRulesData } from '../../../config/watch-rules.ts';
import { epochUrl, inboxFor, syncInboxes, type Inbox, type SyncOptions } from '../../../ingest/run/sync.ts';
import { tryLock } from '../../../ingest/store/sync-state.ts';
import { health } from '../../../server/data/index.ts';
import { mail, TestEpoch, testInbox } from '../archive/inbox-repo.ts';

const ROOT = path.join(import.meta.dirname, '..', '..', '..');
const tmp = tempDirs('relapse-sync-');

const rulesData = readWatchRulesData();
const ids = (db: Db) => (db.prepare('SELECT message_id FROM messages ORDER BY message_id').pluck().all() as string[]);
const msg = (i: number) => mail(`s${i}@x`, `message ${i}`, { date: `Mon, 29 Mar 2010 10:${String(i).padStart(2, '0')}:00 +0000` });

function setup() {
  const d = tmp();
  const up = path.join(d, 'upstream', 'kexec');
  const epochs = testInbox(up, 2);
  epochs[0].add(msg(0));
  epochs[0].add(msg(1));
  epochs[1].add(msg(2));
  const db = openDb(path.join(d, 'relapse.db'));
  const mirrors = path.join(d, 'lore');
  const opts: SyncOptions = { mirrors, rulesData, workers: 0, retries: 0, backoffMs: 10 };
  return { d, up, epochs, db, mirrors, opts };
}

describe('relapse sync', () => {
  it('mirrors every epoch of a file:// inbox, ingests it, then reads only what is new', async () => {
    const { up, epochs, db, mirrors, opts } = setup();
    const inbox: Inbox = { name: 'kexec', url: pathToFileURL(up).href, list: 'kexec' };
    const first = await syncInboxes(db, [inbox], opts);
    expect(first.inboxes[0]).toMatchObject({ inbox: 'kexec', epochs: 2, cloned: 2, fetched: 0, error: null });
    expect(first.inboxes[0].summary!.new).toBe(3);
    expect(fs.existsSync(path.join(mirrors, 'kexec', 'git', '0.git', 'HEAD'))).toBe(true);
    expect(fs.existsSync(path.join(mirrors, 'kexec', 'git', '1.git', 'HEAD'))).toBe(true);
    expect(db.prepare('SELECT DISTINCT list FROM messages').pluck().all()).toEqual(['kexec']);

    const second = await syncInboxes(db, [inbox], opts);
    expect(second.inboxes[0]).toMatchObject({ cloned: 0, fetched: 2, error: null });
    expect(second.inboxes[0].summary).toMatchObject({ new: 0, duplicate: 0, quarantined: 0, skippedSources: 2 });

    // new mail in epoch 1, and a new epoch 2
    epochs[1].add(msg(3));
    new TestEpoch(path.join(up, 'git', '2.git')).add(msg(4));
    const third = await syncInboxes(db, [inbox], opts);
    expect(third.inboxes[0]).toMatchObject({ epochs: 3, cloned: 1, fetched: 2, error: null });
    expect(third.inboxes[0].summary).toMatchObject({ new: 2, duplicate: 0 });
    expect(ids(db)).toEqual(['s0@x', 's1@x', 's2@x', 's3@x', 's4@x']);
    const h = health(db);
    expect(h.sync).toEqual([{ inbox: 'kexec', url: inbox.url, lastAttemptAt: expect.any(String), lastSuccessAt: h.sync[0].lastAttemptAt,
      lastError: null, failures: 0, newMessages: 2 }]);
  });

  it('finds epochs served as URL/N (as lore serves them) from a plain path', async () => {
    const d = tmp();
    const up = path.join(d, 'served');
    new TestEpoch(path.join(up, '0')).add(msg(0));
    new TestEpoch(path.join(up, '1')).add(msg(1));
    expect(epochUrl(up, 1)).toBe(path.join(up, '1'));
    expect(epochUrl('https://lore.kernel.org/kexec', 1)).toBe('https://lore.kernel.org/kexec/1');
    const db = openDb(path.join(d, 'r.db'));
    const r = await syncInboxes(db, [inboxFor(up, [])], { mirrors: path.join(d, 'm'), rulesData, workers: 0, retries: 0 });
    expect(r.inboxes[0]).toMatchObject({ inbox: 'served', epochs: 2, cloned: 2, error: null });
    expect(ids(db)).toEqual(['s0@x', 's1@x']);
  });

  it('names an inbox given on the command line: a configured name, or a URL or path by its last segment', () => {
    const configured: Inbox[] = [{ name: 'kexec', url: 'https://lore.example.org/kexec', list: 'kexec' }];
    expect(inboxFor('kexec', configured)).toBe(configured[0]);
    expect(inboxFor('https://lore.kernel.org/linux-mm/', configured)).toEqual({ name: 'linux-mm', url: 'https://lore.kernel.org/linux-mm', list: 'linux-mm' });
    expect(inboxFor('file:///srv/inboxes/iommu', configured)).toEqual({ name: 'iommu', url: 'file:///srv/inboxes/iommu', list: 'iommu' });
    expect(() => inboxFor('nosuch', configured)).toThrow(/'nosuch' is neither a configured inbox \(kexec\) nor a URL or path/);
  });

  it('retries a failing fetch with back-off, records the failure for /api/health, and recovers', async () => {
    const { up, db, opts } = setup();
    const inbox: Inbox = { name: 'kexec', url: up, list: 'kexec' };
    await syncInboxes(db, [inbox], opts);
    const moved = `${up}-away`;
    fs.renameSync(up, moved);
    const started = Date.now();
    const r = await syncInboxes(db, [inbox], { ...opts, retries: 2, backoffMs: 100 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(300); // 100 ms, then 200 ms
    expect(r.inboxes[0].error).toMatch(/^fetching epoch 0 of .*upstream\/kexec: git fetch failed: fatal: .* \(after 3 attempts\)$/);
    expect(health(db).sync[0]).toMatchObject({ inbox: 'kexec', failures: 1, lastError: r.inboxes[0].error });
    await syncInboxes(db, [inbox], opts);
    expect(health(db).sync[0].failures).toBe(2);
    fs.renameSync(moved, up);
    const ok = await syncInboxes(db, [inbox], opts);
    expect(ok.inboxes[0].error).toBeNull();
    expect(health(db).sync[0]).toMatchObject({ failures: 0, lastError: null });
  });

  it('says so when an inbox has no epoch 0, and goes on with the next inbox', async () => {
    const { up, db, opts } = setup();
    const r = await syncInboxes(db, [{ name: 'none', url: path.join(up, 'nothing'), list: 'none' }, { name: 'kexec', url: up, list: 'kexec' }], opts);
    expect(r.inboxes[0].error).toMatch(/no public-inbox epoch at/);
    expect(r.inboxes[1]).toMatchObject({ error: null, cloned: 2 });
  });

  it('one process at a time: a held lock makes a sync skip (or wait); a lock whose holder died is taken over', async () => {
    const { up, db, opts } = setup();
    const inbox: Inbox = { name: 'kexec', url: up, list: 'kexec' };
    const other = openDb(db.name);
    expect(tryLock(other, 'sync', 'other-server', 60_000)).toBe(true);
    const skipped = await syncInboxes(db, [inbox], { ...opts, whenLocked: 'skip' });
    expect(skipped).toEqual({ skipped: true, inboxes: [] });
    expect(ids(db)).toEqual([]);
    // waiting: it goes on once the other holder's lease runs out without a heartbeat
    const waited = await syncInboxes(db, [inbox], { ...opts, whenLocked: 'wait', leaseMs: 400 });
    expect(waited.skipped).toBe(false);
    expect(ids(db)).toEqual(['s0@x', 's1@x', 's2@x']);
    // released when done: the other process takes it at once
    expect(tryLock(other, 'sync', 'other-server', 60_000)).toBe(true);
    other.close();
  });

  it('`relapse sync` from the command line: one summary line per inbox; the second run reads nothing', () => {
    const { d, up } = setup();
    const db = path.join(d, 'cli.db');
    const run = () => spawnSync(process.execPath, [path.join(ROOT, 'bin', 'relapse.js'), 'sync', '--db', db, pathToFileURL(up).href],
      { encoding: 'utf8', env: { ...process.env, RELAPSE_CONFIG: writeConfig(d) } });
    const a = run();
    expect(a.status, a.stderr).toBe(0);
    expect(a.stdout.trim().split('\n')).toEqual([expect.stringMatching(/^sync kexec: 2 epochs \(2 cloned, 0 fetched\); 3 new, 0 duplicate/)]);
    expect(fs.existsSync(path.join(d, 'lore', 'kexec', 'git', '1.git'))).toBe(true);
    const b = run();
    expect(b.status, b.stderr).toBe(0);
    expect(b.stdout).toMatch(/^sync kexec: 2 epochs \(0 cloned, 2 fetched\); 0 new, 0 duplicate/);
  });
});

function writeConfig(d: string): string {
  const f = path.join(d, 'relapse.json');
  if (!fs.existsSync(f)) fs.writeFileSync(f, JSON.stringify({ sync: { retries: 0 } }));
  return f;
}
