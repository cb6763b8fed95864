// The real kexec list (2019-04..2020-06, ../shared/corpus/real-kexec/ from the project root, where CI has it)
// through the API: series, versions, authors and trailers as the list posted them (issue 15). The checks are
// properties any real list must have, not counts tuned to this one.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { loadSettings } from '../../config/settings.ts';
import { readWatchRulesData } from '../../config/watch-rules.ts';
import { openDb, type Db } from '../../ingest/store/db.ts';
import { ingestPaths } from '../../ingest/run/pipeline.ts';
import { buildApp } from '../../server/app.ts';
import { makeContext } from '../../server/serve.ts';
import { parseSubject } from '../../ingest/core/subject.ts';
import { listAddresses } from '../../ingest/core/author.ts';
import { all, enc } from '../helper.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const ARCHIVE = path.resolve(ROOT, '..', 'shared', 'corpus', 'real-kexec', 'kexec-2019-2020.mbox.gz');
const present = fs.existsSync(ARCHIVE);
if (!present) console.warn(`real-kexec checks skipped: ${ARCHIVE} is absent (it is ../shared/corpus/real-kexec/ from the project root)`);

interface SeriesItem { id: number; title: string; version: number; date: string | null; cover: string | null; patches: string[];
  author: { name: string; email: string }; previousVersion: number | null; nextVersion: number | null; link?: string | null }
interface MessageItem { messageId: string; subject: string; from: { name: string; email: string }; kind: string; isPatch: boolean;
  parent: string | null; answers: string | null; seriesId: number | null }

describe.skipIf(!present)('the real kexec list, through the API', () => {
  let dir: string;
  let db: Db;
  let app: FastifyInstance;
  let series: SeriesItem[];
  let messages: Map<string, MessageItem>;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'relapse-real-kexec-'));
    const dbPath = path.join(dir, 'relapse.db');
    db = openDb(dbPath);
    await ingestPaths(db, [ARCHIVE], { rulesData: readWatchRulesData(), workers: 0 });
    app = await buildApp(makeContext(db, { ...loadSettings({ db: dbPath }, {}), token: null }));
    await app.ready();
    series = await all<SeriesItem>(app, '/api/series', 500);
    messages = new Map((await all<MessageItem>(app, '/api/messages', 500)).map((m) => [m.messageId, m]));
  }, 300_000);

  afterAll(async () => {
    await app?.close();
    db?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('has no series made only of replies', () => {
    const onlyReplies = series.filter((s) => [s.cover, ...s.patches].filter((x): x is string => !!x)
      .every((id) => parseSubject(messages.get(id)!.subject).isReply));
    expect(onlyReplies.map((s) => s.title)).toEqual([]);
  });

  it('links no two postings of the same version except as a resend, and never to a later-dated posting', () => {
    const byId = new Map(series.map((s) => [s.id, s]));
    const bad: string[] = [];
    for (const s of series) {
      if (s.previousVersion === null) continue;
      const prev = byId.get(s.previousVersion)!;
      if (prev.version === s.version && s.link !== 'resend' && s.link !== 'partial') bad.push(`same version ${s.version}: ${prev.title} -> ${s.title}`);
      if (prev.date && s.date && prev.date > s.date) bad.push(`later-dated predecessor: ${prev.title} (${prev.date}) -> ${s.title} (${s.date})`);
    }
    expect(bad).toEqual([]);
  });

  it('never takes a list address for an author', () => {
    // every address the archive's mail names as a list's (List-Post, List-Id)
    const text = zlib.gunzipSync(fs.readFileSync(ARCHIVE)).toString('latin1');
    const lists = new Set<string>();
    for (const m of text.matchAll(/^List-(Post|Id):(.*(?:\n[ \t].*)*)/gim)) {
      for (const a of m[1].toLowerCase() === 'post' ? listAddresses(m[2], undefined) : listAddresses(undefined, m[2])) lists.add(a);
    }
    expect(lists.has('kexec@lists.infradead.org')).toBe(true);
    const listAuthors = [...messages.values()].filter((m) => lists.has(m.from.email)).map((m) => m.messageId);
    expect(listAuthors).toEqual([]);
    expect(series.filter((s) => lists.has(s.author.email))).toEqual([]);
  });

  it('attaches every review trailer in a reply of a patch\'s sub-thread to that patch', async () => {
    // the patch a message sits under: its nearest ancestor in the thread tree that is a patch of a series
    // (a reviewer's proposal is not one)
    const inSeries = (id: string) => { const m = messages.get(id); return !!m && m.isPatch && m.seriesId !== null && m.kind === 'patch'; };
    const patchAbove = (m: MessageItem): string | null => {
      for (let up = m.parent, n = 0; up && n < 1000; n++) {
        if (inSeries(up)) return up;
        up = messages.get(up)?.parent ?? null;
      }
      return null;
    };
    const trailersOf = db.prepare("SELECT name, value FROM trailers WHERE message_id = ? AND name IN ('Reviewed-by', 'Acked-by', 'Tested-by')");
    const want = new Map<string, Set<string>>();
    for (const m of messages.values()) {
      if (m.isPatch && m.kind === 'patch') continue; // a patch's own trailers are its own
      const p = patchAbove(m);
      if (!p) continue;
      for (const t of trailersOf.all(m.messageId) as { name: string; value: string }[]) {
        let set = want.get(p);
        if (!set) want.set(p, (set = new Set()));
        set.add(`${t.name}: ${t.value}`);
      }
    }
    expect(want.size).toBeGreaterThan(10); // the list has reviews: the check is not empty
    const missing: string[] = [];
    for (const [p, ts] of want) {
      const res = await app.inject(`/api/patches/${enc(p)}`);
      const got = new Set((res.json() as { trailers: { name: string; value: string }[] }).trailers.map((t) => `${t.name}: ${t.value}`));
      for (const t of ts) if (!got.has(t)) missing.push(`${p}: ${t}`);
    }
    expect(missing).toEqual([]);
  });
});
