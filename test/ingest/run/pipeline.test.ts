// The whole ingest on the sample corpus, checked against truth.json: messages, patches, series,
// versions, threads, acceptance, duplicates, synthetic ids, quarantine, orphans, bad dates.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../../ingest/store/db.ts';
import { ingestPaths } from '../../../ingest/run/pipeline.ts';
import { readWatchRulesData } from '../../../config/watch-rules.ts';

const FIX = path.join(import.meta.dirname, '..', '..', 'fixtures', 'corpus');
const truth = JSON.parse(fs.readFileSync(path.join(FIX, 'truth.json'), 'utf8'));
const bare = (id: string) => id.replace(/^<|>$/g, '');
const tmp = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'relapse-pipe-')), 'r.db');

let db: Db;
let first: Awaited<ReturnType<typeof ingestPaths>>;

beforeAll(async () => {
  db = openDb(tmp());
  first = await ingestPaths(db, [path.join(FIX, 'archive.mbox')], { rulesData: readWatchRulesData(), workers: 0 });
});

const one = <T>(sql: string, ...args: unknown[]) => db.prepare(sql).get(...args) as T;
const all = <T>(sql: string, ...args: unknown[]) => db.prepare(sql).all(...args) as T[];

describe('ingest of the sample corpus', () => {
  it('stores every unique message once, plus the one without a Message-ID', () => {
    const n = one<{ n: number }>('SELECT count(*) AS n FROM messages').n;
    expect(n).toBe(truth.counts.uniqueMessageIds + truth.noMessageId.length);
    expect(first.new).toBe(n);
    // separators = stored + duplicates + quarantined
    expect(first.new + first.duplicate + first.quarantined).toBe(truth.counts.mboxMessages);
  });

  it('counts the message present twice as a duplicate and stores it once', () => {
    for (const id of truth.duplicates) expect(one<{ n: number }>('SELECT count(*) AS n FROM messages WHERE message_id = ?', bare(id)).n).toBe(1);
    expect(first.duplicate).toBeGreaterThanOrEqual(truth.duplicates.length);
  });

  it('gives the message without a Message-ID a synthetic id', () => {
    for (const m of truth.noMessageId) {
      const row = one<{ message_id: string; synthetic: number } | undefined>('SELECT message_id, synthetic FROM messages WHERE subject = ? AND from_email = ?', m.subject, m.from);
      expect(row?.synthetic).toBe(1);
      expect(row?.message_id).toMatch(/\S+@\S+/);
    }
  });

  it('quarantines the junk with a reason and its bytes', () => {
    const q = all<{ reason: string; size: number; raw: Buffer }>('SELECT reason, size, raw FROM quarantine');
    expect(q.length).toBe(truth.quarantine.length);
    for (const x of q) {
      expect(x.reason.length).toBeGreaterThan(3);
      expect(x.size).toBeGreaterThan(0);
    }
  });

  it('labels patches and non-patches', () => {
    const isPatch = new Map(all<{ message_id: string; is_patch: number }>('SELECT message_id, is_patch FROM messages').map((r) => [r.message_id, r.is_patch]));
    for (const id of truth.patches) expect([id, isPatch.get(bare(id))]).toEqual([id, 1]);
    for (const id of truth.notPatches) expect([id, isPatch.get(bare(id))]).toEqual([id, 0]);
  });

  it('groups series with cover, patches in order, version and total', () => {
    for (const s of truth.series) {
      const row = one<{ id: number; cover: string; version: number; total: number; complete: number }>(
        'SELECT s.* FROM series s JOIN messages m ON m.series_id = s.id WHERE m.message_id = ?', bare(s.patches[0]));
      expect(row, s.cover).toBeTruthy();
      expect(row.cover).toBe(bare(s.cover));
      expect([row.version, row.total]).toEqual([s.version, s.total]);
      const ids = all<{ message_id: string }>('SELECT message_id FROM messages WHERE series_id = ? AND is_patch = 1 ORDER BY idx', row.id).map((r) => r.message_id);
      expect(ids).toEqual(s.patches.map(bare));
      expect(row.complete).toBe(1);
    }
  });

  it('links series versions, and keeps a v2 sent in reply to v1 as its own series', () => {
    const seriesOf = (id: string) => one<{ id: number; previous_id: number | null; next_id: number | null; version: number }>(
      'SELECT s.* FROM series s JOIN messages m ON m.series_id = s.id WHERE m.message_id = ?', bare(id));
    for (const covers of truth.seriesVersions) {
      const chain = covers.map(seriesOf);
      expect(new Set(chain.map((c: { id: number }) => c.id)).size).toBe(covers.length);
      for (let i = 1; i < chain.length; i++) expect(chain[i].previous_id).toBe(chain[i - 1].id);
    }
    for (const [v1, v2] of truth.patchVersions) {
      const a = seriesOf(v1), b = seriesOf(v2);
      expect(a.id).not.toBe(b.id);
      expect(b.previous_id).toBe(a.id);
      expect(b.version).toBe(2);
    }
  });

  it('threads replies with their patches', () => {
    for (const t of truth.threads) {
      const ids = new Set(t.members.map((m: string) => one<{ thread_id: number }>('SELECT thread_id FROM messages WHERE message_id = ?', bare(m)).thread_id));
      expect(ids.size).toBe(1);
    }
  });

  it('stores and threads an orphan reply whose parent is absent', () => {
    for (const id of truth.orphans) {
      const r = one<{ thread_id: number | null }>('SELECT thread_id FROM messages WHERE message_id = ?', bare(id));
      expect(r.thread_id).not.toBeNull();
    }
  });

  it('stores a message whose Date cannot be parsed', () => {
    for (const id of truth.badDate) expect(one<{ n: number }>('SELECT count(*) AS n FROM messages WHERE message_id = ?', bare(id)).n).toBe(1);
  });

  it('marks accepted patches and series, and nothing else', () => {
    const accepted = new Set(all<{ message_id: string }>('SELECT message_id FROM messages WHERE accepted_message IS NOT NULL').map((r) => r.message_id));
    const want = new Set<string>();
    for (const [target, reply] of Object.entries(truth.acceptedBy) as [string, string][]) {
      const s = truth.series.find((x: { cover: string }) => x.cover === target);
      for (const p of s ? s.patches : [target]) {
        want.add(bare(p));
        expect(one<{ accepted_message: string }>('SELECT accepted_message FROM messages WHERE message_id = ?', bare(p)).accepted_message).toBe(bare(reply));
      }
    }
    expect([...accepted].sort()).toEqual([...want].sort());
  });

  it('re-ingesting the archive and its pipermail copy changes nothing', async () => {
    const before = one<{ n: number }>('SELECT count(*) AS n FROM messages').n;
    const regs = all('SELECT key, status FROM regressions ORDER BY key');
    const again = await ingestPaths(db, [path.join(FIX, 'archive.mbox'), path.join(FIX, 'pipermail-2010-Mar.txt.gz')], { rulesData: readWatchRulesData(), workers: 0 });
    expect(again.new).toBe(0);
    expect(again.duplicate).toBe(truth.counts.pipermailMessages);
    expect(one<{ n: number }>('SELECT count(*) AS n FROM messages').n).toBe(before);
    expect(all('SELECT key, status FROM regressions ORDER BY key')).toEqual(regs);
  });
});
