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

async function derived(file: string, chunkMessages: number): Promise<Db> {
  const dir = tmp();
  const db = openDb(path.join(dir, 'r.db'));
  await ingestPaths(db, [file], { rulesData, workers: 0, skipDerive: true });
  deriveAll(db, [], { chunkMessages });
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
      for (const chunk of [1, 7, 100]) expect(state(await derived(file, chunk)), `${path.basename(file)}, chunks of ${chunk}`).toEqual(want);
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
    const one = await derived(f, 1);
    expect(state(one)).toEqual(want);
    const link = (anchor: string) => one.prepare(`SELECT p.anchor AS previous, s.link, s.backport_of FROM series s LEFT JOIN series p ON p.id = s.previous_id
      WHERE s.anchor = ?`).get(anchor);
    expect(link('v2@b')).toEqual({ previous: 'v1@a', link: 'version', backport_of: null });
    expect(link('c2@a')).toEqual({ previous: 'c1@a', link: 'version', backport_of: null });
    expect(link('s2@a')).toEqual({ previous: 's1@a', link: 'resend', backport_of: null });
    expect(link('b1@a')).toEqual({ previous: null, link: 'backport', backport_of: 'o1@a' });
  });
});
