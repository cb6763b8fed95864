// A whole derivation a chunk at a time (derive-whole.ts) ends exactly where it ends in one chunk: the same threads,
// answers, series, version links, backports and acceptance, with the same row ids, however small the chunks; the
// relations that cross posters (an address change, a change-id, a Supersedes pointer, a backport's title) keep
// their postings in one chunk; a bulk load, which concludes the threads on a thread of their own while the series
// are concluded, ends there too; and the scratch databases are gone afterwards.
import fs from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../../ingest/store/db.ts';
import { ingestPaths } from '../../../ingest/run/pipeline.ts';
import { deriveAll } from '../../../ingest/run/derive.ts';
import { readWatchRulesData } from '../../../config/watch-rules.ts';
import { generateArchive } from '../../../bench/gen-archive.ts';
import { tempDirs } from '../../temp-dirs.ts';

const FIX = path.join(import.meta.dirname, '..', '..', 'fixtures', 'corpus');
const rulesData = readWatchRulesData();
const tmp = tempDirs('relapse-whole-');

/** Every derived row, ids included (both databases hold the same messages under the same row ids). */
function state(db: Db) {
  return {
    messages: db.prepare('SELECT id, message_id, thread_id, parent, thread_pos, answers, series_id, accepted_message FROM messages ORDER BY id').all(),
    threads: db.prepare('SELECT * FROM threads ORDER BY id').all(),
    series: db.prepare('SELECT * FROM series ORDER BY id').all(),
    evidence: db.prepare('SELECT * FROM evidence ORDER BY target, rank').all(),
    regressions: db.prepare('SELECT key, status, removed_by, resolved_by FROM regressions ORDER BY key').all(),
    counts: db.prepare('SELECT * FROM counts ORDER BY name').all(),
  };
}

/** `headsMaxPostings`: groups of posters larger than this are concluded in two passes (0: all of them). */
async function derived(file: string, chunkMessages: number, headsMaxPostings?: number): Promise<Db> {
  const dir = tmp();
  const db = openDb(path.join(dir, 'r.db'));
  await ingestPaths(db, [file], { rulesData, workers: 0, skipDerive: true });
  deriveAll(db, [], { chunkMessages, headsMaxPostings });
  expect(fs.readdirSync(dir).filter((f) => f.includes('derive'))).toEqual([]);
  return db;
}

const mail = (id: string, from: string, subject: string, date: string, body = 'x\n', headers: string[] = []) =>
  [`From mboxrd@z Thu Jan  1 00:00:00 1970`, `From: ${from}`, `Subject: ${subject}`, `Date: ${date}`, `Message-ID: <${id}>`, ...headers, '', body, ''].join('\n');
const diff = (file: string, line: string) =>
  `---\n ${file} | 1 +\n\ndiff --git a/${file} b/${file}\n--- a/${file}\n+++ b/${file}\n@@ -1,1 +1,2 @@\n int x;\n+${line}\n`;

describe('whole derivation in chunks', () => {
  it('ends where one chunk ends, on the corpus and on a generated archive, however small the chunks', async () => {
    const generated = path.join(tmp(), 'g.mbox');
    generateArchive(generated, { messages: 1500, seed: 9 });
    for (const file of [path.join(FIX, 'archive.mbox'), generated]) {
      const want = state(await derived(file, 1_000_000));
      expect((want.series as unknown[]).length).toBeGreaterThan(10);
      for (const chunk of [1, 7, 100]) {
        expect(state(await derived(file, chunk)), `${path.basename(file)}, chunks of ${chunk}`).toEqual(want);
        expect(state(await derived(file, chunk, 0)), `${path.basename(file)}, chunks of ${chunk}, two passes`).toEqual(want);
      }
      expect(state(await derived(file, 1_000_000, 0)), `${path.basename(file)}, one chunk, two passes`).toEqual(want);
    }
  });

  it('concludes the threads of a bulk load on another thread, and ends where a derivation on one thread ends', async () => {
    const generated = path.join(tmp(), 'g.mbox');
    generateArchive(generated, { messages: 1500, seed: 11 });
    const want = state(await derived(generated, 100));
    const dir = tmp();
    const db = openDb(path.join(dir, 'r.db'));
    // a bulk load: the archive is larger than what is stored and than bulkLoadBytes; two parse workers
    const s = await ingestPaths(db, [generated], { rulesData, workers: 2, bulkLoadBytes: 1 });
    expect(s.derive?.threads).toBe((want.threads as unknown[]).length);
    expect(state(db)).toEqual(want);
    expect(fs.readdirSync(dir).filter((f) => f.includes('derive'))).toEqual([]);
  });

  it('removes the scratch of a derivation that was killed, not that of one still running', async () => {
    const dir = tmp();
    const db = openDb(path.join(dir, 'r.db'));
    await ingestPaths(db, [path.join(FIX, 'archive.mbox')], { rulesData, workers: 0, skipDerive: true });
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    const living = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    try {
      for (const pid of [dead, living.pid!]) {
        for (const part of ['', '-threads', '-series']) fs.writeFileSync(path.join(dir, `r.db-derive-${pid}${part}`), 'left over');
      }
      deriveAll(db);
      expect(fs.readdirSync(dir).filter((f) => f.includes('derive')).sort())
        .toEqual([`r.db-derive-${living.pid}`, `r.db-derive-${living.pid}-series`, `r.db-derive-${living.pid}-threads`]);
    } finally {
      living.kill();
    }
  });

  it('keeps postings joined across posters in one chunk: address change, change-id, Supersedes, backport', async () => {
    const f = path.join(tmp(), 'cross.mbox');
    fs.writeFileSync(f, [
      mail('v1@a', 'Dan Ames <dan@old.example>', '[PATCH] y: tidy the z table', 'Mon, 6 Jan 2020 10:00:00 +0000', diff('y.c', 'a();')),
      mail('v2@b', 'Dan Ames <dan@new.example>', '[PATCH v2] y: tidy the z table', 'Mon, 13 Jan 2020 10:00:00 +0000', diff('y.c', 'b();')),
      mail('c1@a', 'Bob <bob@example.org>', '[PATCH] x: one thing', 'Mon, 6 Jan 2020 11:00:00 +0000', `Change-Id: I0123456789abcdef\n${diff('x.c', 'c();')}`),
      mail('c2@a', 'Carol <carol@example.org>', '[PATCH v2] x: another thing', 'Mon, 20 Jan 2020 11:00:00 +0000', `Change-Id: I0123456789abcdef\n${diff('x.c', 'd();')}`),
      mail('s1@a', 'Eve <eve@example.org>', '[PATCH] w: first try', 'Tue, 7 Jan 2020 11:00:00 +0000', diff('w.c', 'e();')),
      mail('s2@a', 'Fay <fay@example.org>', '[PATCH] w: second try', 'Tue, 21 Jan 2020 11:00:00 +0000', diff('w.c', 'f();'), ['Supersedes: <s1@a>']),
      mail('o1@a', 'Gus <gus@example.org>', '[PATCH] v: fix the q leak', 'Wed, 8 Jan 2020 11:00:00 +0000', diff('v.c', 'g();')),
      mail('b1@a', 'Stable Keeper <stable@example.org>', '[PATCH 5.4 012/100] v: fix the q leak', 'Wed, 5 Feb 2020 11:00:00 +0000',
        `From: Gus <gus@example.org>\n\ncommit 0123456789abcdef0123456789abcdef01234567 upstream.\n\n${diff('v.c', 'g();')}`),
    ].join('\n'));
    const want = state(await derived(f, 1_000_000));
    expect(state(await derived(f, 1, 0))).toEqual(want);
    const one = await derived(f, 1);
    expect(state(one)).toEqual(want);
    const link = (anchor: string) => one.prepare(`SELECT p.anchor AS previous, s.link, s.backport_of FROM series s LEFT JOIN series p ON p.id = s.previous_id
      WHERE s.anchor = ?`).get(anchor);
    expect(link('v2@b')).toEqual({ previous: 'v1@a', link: 'version', backport_of: null });
    expect(link('c2@a')).toEqual({ previous: 'c1@a', link: 'version', backport_of: null });
    expect(link('s2@a')).toEqual({ previous: 's1@a', link: 'resend', backport_of: null });
    expect(link('b1@a')).toEqual({ previous: null, link: 'backport', backport_of: 'o1@a' });
  });

  it('groups postings joined only by time or by references alike in chunks of one: a broken send, cover-less patches, a partial resend, a repost', async () => {
    const f = path.join(tmp(), 'grouping.mbox');
    const reply = (to: string, refs = to) => [`In-Reply-To: <${to}>`, `References: ${refs.split(' ').map((r) => `<${r}>`).join(' ')}`];
    fs.writeFileSync(f, [
      // a cover and patches that name no parent, sent minutes apart (a broken send), amid another author's mail
      mail('k0@a', 'Kim <kim@example.org>', '[PATCH 0/2] k: two things', 'Mon, 6 Jan 2020 10:00:00 +0000', 'two things\n'),
      mail('x1@a', 'Xi <xi@example.org>', '[PATCH] q: unrelated', 'Mon, 6 Jan 2020 10:01:00 +0000', diff('q.c', 'q();')),
      mail('k1@a', 'Kim <kim@example.org>', '[PATCH 1/2] k: first', 'Mon, 6 Jan 2020 10:02:00 +0000', diff('k.c', 'a();')),
      mail('k2@a', 'Kim <kim@example.org>', '[PATCH 2/2] k: second', 'Mon, 6 Jan 2020 10:03:00 +0000', diff('k.c', 'b();')),
      // cover-less patches of one author, version and size, two hours apart, no references; and again a week later
      mail('l1@a', 'Lee <lee@example.org>', '[PATCH 1/2] l: one', 'Tue, 7 Jan 2020 08:00:00 +0000', diff('l.c', 'c();')),
      mail('l2@a', 'Lee <lee@example.org>', '[PATCH 2/2] l: two', 'Tue, 7 Jan 2020 10:00:00 +0000', diff('l.c', 'd();')),
      mail('m1@a', 'Lee <lee@example.org>', '[PATCH 1/2] l: one', 'Tue, 14 Jan 2020 08:00:00 +0000', diff('l.c', 'e();')),
      mail('m2@a', 'Lee <lee@example.org>', '[PATCH 2/2] l: two', 'Tue, 14 Jan 2020 09:00:00 +0000', diff('l.c', 'f();')),
      // v1 of three, then patch 2 of v2 sent into its thread (a partial resend), then a retitled repost in reply to v1
      mail('n0@a', 'Nia <nia@example.org>', '[PATCH 0/3] n: three', 'Wed, 8 Jan 2020 10:00:00 +0000', 'three\n'),
      mail('n1@a', 'Nia <nia@example.org>', '[PATCH 1/3] n: a', 'Wed, 8 Jan 2020 10:00:01 +0000', diff('n.c', 'g();'), reply('n0@a')),
      mail('n2@a', 'Nia <nia@example.org>', '[PATCH 2/3] n: b', 'Wed, 8 Jan 2020 10:00:02 +0000', diff('n.c', 'h();'), reply('n0@a')),
      mail('n3@a', 'Nia <nia@example.org>', '[PATCH 3/3] n: c', 'Wed, 8 Jan 2020 10:00:03 +0000', diff('n.c', 'i();'), reply('n0@a')),
      mail('p2@a', 'Nia <nia@example.org>', '[PATCH v2 2/3] n: b', 'Fri, 10 Jan 2020 10:00:00 +0000', diff('n.c', 'j();'), reply('n2@a', 'n0@a n2@a')),
      mail('r0@a', 'Nia <nia@example.org>', '[PATCH v3 0/3] n: three, put another way', 'Mon, 20 Jan 2020 10:00:00 +0000', 'three again\n', reply('n0@a')),
      mail('r1@a', 'Nia <nia@example.org>', '[PATCH v3 1/3] n: a, reworded', 'Mon, 20 Jan 2020 10:00:01 +0000', diff('n.c', 'k();'), reply('r0@a', 'n0@a r0@a')),
    ].join('\n'));
    const want = state(await derived(f, 1_000_000));
    expect(state(await derived(f, 1))).toEqual(want);
    const one = await derived(f, 1, 0);
    expect(state(one)).toEqual(want);
    const members = (anchor: string) => one.prepare(`SELECT m.message_id FROM messages m JOIN series s ON s.id = m.series_id WHERE s.anchor = ?
      ORDER BY m.message_id`).pluck().all(anchor);
    const link = (anchor: string) => one.prepare(`SELECT p.anchor AS previous, s.link FROM series s LEFT JOIN series p ON p.id = s.previous_id
      WHERE s.anchor = ?`).get(anchor);
    expect(members('k0@a')).toEqual(['k0@a', 'k1@a', 'k2@a']);
    expect(members('l1@a')).toEqual(['l1@a', 'l2@a']);
    expect(members('m1@a')).toEqual(['m1@a', 'm2@a']);
    expect(link('m1@a')).toEqual({ previous: 'l1@a', link: 'resend' });
    expect(link('p2@a')).toEqual({ previous: 'n0@a', link: 'partial' });
    expect(link('r0@a')).toEqual({ previous: 'p2@a', link: 'version' });
  });
});
