// public-inbox archives read through git: inbox directories, single epochs (bare or not) and bundles; deletions;
// incremental reading by last commit; rewritten epochs; an interrupted ingest resumed. Real git repositories
// built by the test, a real SQLite file.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDirs } from '../../temp-dirs.ts';
import { openDb, type Db } from '../../../ingest/store/db.ts';
import { ingestPaths, type IngestOptions } from '../../../ingest/run/pipeline.ts';
import { readWatchRulesData } from '../../../config/watch-rules.ts';
import { walkArchives } from '../../../ingest/archive/archive-walk.ts';
import { mail, TestEpoch, testInbox } from './inbox-repo.ts';

const tmp = tempDirs('relapse-pi-');

const rulesData = readWatchRulesData();
const ingest = (db: Db, p: string, o: Partial<IngestOptions> = {}) => ingestPaths(db, [p], { rulesData, workers: 0, ...o });
const ids = (db: Db) => db.prepare('SELECT message_id FROM messages ORDER BY id').pluck().all() as string[];
const sorted = (db: Db) => [...ids(db)].sort();
const threads = (db: Db) =>
  (db.prepare(`SELECT t.root, group_concat(m.message_id, ' ') AS members FROM threads t JOIN messages m ON m.thread_id = t.id
    GROUP BY t.id ORDER BY t.root`).all() as { root: string; members: string }[]).map((t) => `${t.root}: ${t.members.split(' ').sort().join(' ')}`);
const freshDb = () => openDb(path.join(tmp(), 'r.db'));

const M = {
  a: mail('a@x', '[PATCH] kexec: first'),
  b: mail('b@x', 'Re: [PATCH] kexec: first', { inReplyTo: 'a@x', date: 'Mon, 29 Mar 2010 11:00:00 +0000' }),
  spam: mail('spam@x', 'buy now', { from: 'Spammer <s@spam.example>' }),
  c: mail('c@x', '[PATCH] kexec: second', { date: 'Tue, 30 Mar 2010 10:00:00 +0000' }),
  d: mail('d@x', 'Re: [PATCH] kexec: second', { inReplyTo: 'c@x', date: 'Tue, 30 Mar 2010 11:00:00 +0000' }),
  e: mail('e@x', 'Re: [PATCH] kexec: second', { inReplyTo: 'd@x', date: 'Wed, 31 Mar 2010 11:00:00 +0000' }),
};

/** An inbox: epoch 0 holds a, spam, b, then deletes spam; epoch 1 holds c and d. */
function sampleInbox(): { dir: string; epochs: TestEpoch[] } {
  const dir = path.join(tmp(), 'kexec');
  const epochs = testInbox(dir, 2);
  epochs[0].add(M.a);
  epochs[0].add(M.spam);
  epochs[0].add(M.b);
  epochs[0].remove(M.spam);
  epochs[1].add(M.c);
  epochs[1].add(M.d);
  return { dir, epochs };
}

describe('public-inbox input', () => {
  it('reads an inbox directory: epochs in order, commits oldest first, a deletion removes its message', async () => {
    const { dir, epochs } = sampleInbox();
    const db = freshDb();
    const s = await ingest(db, dir);
    expect(ids(db)).toEqual(['a@x', 'b@x', 'c@x', 'd@x']);
    expect(s.new).toBe(5); // spam was stored, then its deletion removed it
    expect(s.deleted).toBe(1);
    expect(db.prepare("SELECT count(*) FROM events WHERE type = 'message.deleted' AND ref = 'spam@x'").pluck().get()).toBe(1);
    // the source of each message is its epoch and commit, the offset the commit's position in the epoch
    const src = db.prepare('SELECT source, offset FROM messages WHERE message_id = ?');
    const e0 = fs.realpathSync(epochs[0].dir);
    const commits0 = execFileSync('git', ['-C', e0, 'rev-list', '--reverse', 'HEAD'], { encoding: 'utf8' }).trim().split('\n');
    expect(src.get('b@x')).toEqual({ source: `${e0}#${commits0[2]}`, offset: 3 });
    expect(src.get('d@x')).toEqual({ source: `${fs.realpathSync(epochs[1].dir)}#${epochs[1].head()}`, offset: 2 });
    expect(threads(db)).toEqual(['a@x: a@x b@x', 'c@x: c@x d@x']);
  });

  it('reads a single epoch (bare, and with a work tree) and a bundle, each to the same rows', async () => {
    const { epochs } = sampleInbox();
    const d = tmp();
    const work = path.join(d, 'work');
    execFileSync('git', ['clone', '--quiet', epochs[0].dir, work]);
    const bundle = epochs[0].bundle(path.join(d, 'epoch0.bundle'));
    // the bundle's temporary mirror goes to a temporary directory of this test's own (other test files read bundles
    // at the same time), and is gone once read
    const own = tmp();
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = own;
    try {
      for (const p of [epochs[0].dir, work, bundle]) {
        const db = freshDb();
        const s = await ingest(db, p);
        expect(ids(db), p).toEqual(['a@x', 'b@x']);
        expect(s.deleted, p).toBe(1);
      }
    } finally {
      if (saved === undefined) delete process.env.TMPDIR; else process.env.TMPDIR = saved;
    }
    expect(fs.readdirSync(own).filter((n) => n.startsWith('relapse-bundle-'))).toEqual([]);
  });

  it('is found inside a walked directory, and a git repository that is not an epoch is walked as files', async () => {
    const { dir } = sampleInbox();
    const parent = path.dirname(dir);
    const other = path.join(parent, 'notes');
    fs.mkdirSync(other);
    execFileSync('git', ['init', '--quiet', other]);
    fs.writeFileSync(path.join(other, 'README'), 'not mail\n');
    const found: string[] = [];
    for await (const a of walkArchives([parent], { onSkip: () => {} })) {
      found.push(`${a.kind} ${path.relative(parent, a.source)}`);
      for await (const _ of a.messages) { /* drain */ }
    }
    expect(found).toEqual(['epoch kexec/git/0.git', 'epoch kexec/git/1.git']);
  });

  it('reads only new commits the second time; nothing when nothing changed', async () => {
    const { dir, epochs } = sampleInbox();
    const db = freshDb();
    await ingest(db, dir);
    const again = await ingest(db, dir);
    expect({ new: again.new, duplicate: again.duplicate, skipped: again.skippedSources }).toEqual({ new: 0, duplicate: 0, skipped: 2 });
    epochs[1].add(M.e);
    const more = await ingest(db, dir);
    expect({ new: more.new, duplicate: more.duplicate, skipped: more.skippedSources }).toEqual({ new: 1, duplicate: 0, skipped: 1 });
    expect(threads(db)).toEqual(['a@x: a@x b@x', 'c@x: c@x d@x e@x']);
    // a deletion arriving later removes the message and takes it out of its thread
    epochs[1].remove(M.d);
    const del = await ingest(db, dir, { workers: 2 });
    expect({ new: del.new, deleted: del.deleted }).toEqual({ new: 0, deleted: 1 });
    expect(sorted(db)).toEqual(['a@x', 'b@x', 'c@x', 'e@x']);
    const fresh = freshDb();
    await ingest(fresh, dir);
    expect(threads(db)).toEqual(threads(fresh));
    for (const t of ['message_refs', 'patch_files', 'trailers', 'indexed']) {
      expect(db.prepare(`SELECT count(*) FROM ${t} WHERE message_id NOT IN (SELECT message_id FROM messages)`).pluck().get(), t).toBe(0);
    }
  });

  it('reads a rewritten epoch again: messages the new history dropped go, the rows match a fresh ingest', async () => {
    const { dir, epochs } = sampleInbox();
    epochs[0].add(M.e);
    const db = freshDb();
    await ingest(db, dir);
    expect(sorted(db)).toEqual(['a@x', 'b@x', 'c@x', 'd@x', 'e@x']);
    // lore's purge: b (and the spam and its deletion) rewritten out of the history, a new message after
    epochs[0].rewrite((s) => s.bytes.equals(Buffer.from(M.b)) || s.bytes.equals(Buffer.from(M.spam)));
    epochs[0].add(mail('f@x', 'kexec: third'));
    const s = await ingest(db, dir);
    expect(s.rewrittenEpochs).toBe(1);
    expect(s.deleted).toBe(1); // b: the spam was gone already
    expect(s.new).toBe(1);
    const fresh = freshDb();
    await ingest(fresh, dir);
    expect(sorted(db)).toEqual(sorted(fresh));
    expect(sorted(db)).toEqual(['a@x', 'c@x', 'd@x', 'e@x', 'f@x']);
    expect(threads(db)).toEqual(threads(fresh));
    // and the rewritten epoch is current now
    const again = await ingest(db, dir);
    expect({ new: again.new, duplicate: again.duplicate, deleted: again.deleted, skipped: again.skippedSources }).toEqual({ new: 0, duplicate: 0, deleted: 0, skipped: 2 });
  });

  it('a rewritten bundle (old commits not in it) is read whole: Message-ID deduplication keeps one row each', async () => {
    const { epochs } = sampleInbox();
    const d = tmp();
    const db = freshDb();
    await ingest(db, epochs[1].bundle(path.join(d, 'e1.bundle')));
    epochs[1].rewrite((_s, i) => i === 0);
    epochs[1].add(M.e);
    const s = await ingest(db, epochs[1].bundle(path.join(d, 'e1.bundle')));
    expect({ rewritten: s.rewrittenEpochs, new: s.new, duplicate: s.duplicate }).toEqual({ rewritten: 1, new: 1, duplicate: 1 });
    expect(sorted(db)).toEqual(['c@x', 'd@x', 'e@x']);
  });

  it('an ingest stopped part-way resumes after the last stored commit: no message read twice, none lost', async () => {
    const dir = path.join(tmp(), 'big');
    const [epoch] = testInbox(dir, 1);
    for (let i = 0; i < 40; i++) epoch.add(mail(`m${i}@x`, `message ${i}`, { date: `Mon, 29 Mar 2010 10:${String(i).padStart(2, '0')}:00 +0000` }));
    const whole = freshDb();
    await ingest(whole, dir, { batchSize: 8 });
    const db = freshDb();
    let batches = 0;
    await expect(ingest(db, dir, {
      batchSize: 8,
      onProgress: () => {
        if (++batches === 2) throw new Error('stopped');
      },
    })).rejects.toThrow('stopped');
    const stored = ids(db).length;
    expect(stored).toBeGreaterThan(0);
    expect(stored).toBeLessThan(40);
    const s = await ingest(db, dir, { batchSize: 8 });
    expect({ new: s.new, duplicate: s.duplicate }).toEqual({ new: 40 - stored, duplicate: 0 });
    expect(ids(db)).toEqual(ids(whole));
  });

  it('a read that fails part-way (an object missing) says why, keeps what it read, and is read on from there next time', async () => {
    const dir = path.join(tmp(), 'broken');
    const [epoch] = testInbox(dir, 1);
    for (let i = 0; i < 6; i++) epoch.add(mail(`k${i}@x`, `message ${i}`));
    const blob = execFileSync('git', ['-C', epoch.dir, 'rev-parse', 'HEAD~2:m'], { encoding: 'utf8' }).trim();
    const file = path.join(epoch.dir, 'objects', blob.slice(0, 2), blob.slice(2));
    const aside = `${file}.aside`;
    fs.renameSync(file, aside);
    const db = freshDb();
    const s = await ingest(db, dir, { batchSize: 1 });
    expect(s.unreadable).toEqual([{ path: fs.realpathSync(epoch.dir), reason: expect.stringMatching(/git fast-export failed in .*: .*/) }]);
    expect(ids(db)).toEqual(['k0@x', 'k1@x', 'k2@x']);
    fs.renameSync(aside, file);
    const again = await ingest(db, dir, { batchSize: 1 });
    expect({ new: again.new, duplicate: again.duplicate, unreadable: again.unreadable }).toEqual({ new: 3, duplicate: 0, unreadable: [] });
    expect(ids(db)).toEqual(['k0@x', 'k1@x', 'k2@x', 'k3@x', 'k4@x', 'k5@x']);
  });

  it('names a bundle it cannot read', async () => {
    const f = path.join(tmp(), 'broken.bundle');
    fs.writeFileSync(f, '# v2 git bundle\nnot really\n');
    const s = await ingest(freshDb(), f);
    expect(s.new).toBe(0);
    expect(s.unreadable).toEqual([{ path: f, reason: expect.stringMatching(/git clone failed: .*(bundle|gitfile)/) }]);
  });
});
