// The real kexec list as lore serves it (a public-inbox epoch, as a git bundle) against the same list as one
// mbox: the same rows. A sync against a mirror cut 100 commits short, then completed, reads exactly those 100; an
// ingest of the epoch killed part-way resumes without duplicates. Needs the shared corpus (../shared, beside the
// project; skipped, saying so, when it is absent).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../../ingest/store/db.ts';
import { ingestPaths } from '../../../ingest/run/pipeline.ts';
import { syncInboxes } from '../../../ingest/run/sync.ts';
import { readWatchRulesData } from '../../../config/watch-rules.ts';

const ROOT = path.join(import.meta.dirname, '..', '..', '..');
// beside the clone in CI (../shared); a worktree sits one level deeper
const REAL = [path.join(ROOT, '..', 'shared'), path.join(ROOT, '..', '..', 'shared')]
  .map((d) => path.join(d, 'corpus', 'real-kexec')).find((d) => fs.existsSync(path.join(d, 'kexec-0.bundle')));
if (!REAL) console.warn(`public-inbox real-list tests SKIPPED: ${path.join(ROOT, '..', 'shared', 'corpus', 'real-kexec')} is absent`);
const BUNDLE = REAL ? path.join(REAL, 'kexec-0.bundle') : '';
const MBOX = REAL ? path.join(REAL, 'kexec-2019-2020.mbox.gz') : '';
const BIN = path.join(ROOT, 'bin', 'relapse.js');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'relapse-pi-real-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const rulesData = readWatchRulesData();

/**
 * Everything stored but where each message came from and when: a line per row, ordered (its first column, and a
 * hash of the rest: comparing 2,342 messages' bytes value by value takes the test runner minutes).
 */
function rows(db: Db): Record<string, string[]> {
  const q = (sql: string) => (db.prepare(sql).raw(true).all() as unknown[][]).map((r) =>
    `${String(r[0])} ${crypto.createHash('sha1').update(JSON.stringify(r.slice(1), (_k, v) => (v?.type === 'Buffer' ? Buffer.from(v.data).toString('base64') : v))).digest('hex')}`);
  return {
    messages: q(`SELECT m.message_id, m.synthetic, m.list, m.subject, m.title, m.tags, m.version, m.idx, m.total, m.is_reply, m.from_name,
      m.from_email, m.date, m.in_reply_to, m.refs, m.kind, m.is_patch, m.says_applied, m.flowed_stripped, m.change_id, m.supersedes, m.size,
      m.parent, m.answers, m.thread_pos, m.accepted_message, m.accepted_by_email, m.accepted_date, t.root, s.anchor, b.own_text, b.diff_text, b.raw
      FROM messages m JOIN message_bodies b ON b.id = m.id LEFT JOIN threads t ON t.id = m.thread_id LEFT JOIN series s ON s.id = m.series_id
      ORDER BY m.message_id`),
    series: q(`SELECT s.anchor, s.title, s.version, s.total, s.cover, s.author_email, s.date, s.complete, c.anchor, s.accepted_message
      FROM series s LEFT JOIN series c ON c.id = s.chain_id ORDER BY s.anchor`),
    threads: q('SELECT root, subject, size, last_date FROM threads ORDER BY root'),
    patchFiles: q('SELECT message_id, seq, path, old_path, status, additions, deletions, hunks FROM patch_files ORDER BY message_id, seq'),
    trailers: q('SELECT message_id, seq, name, value FROM trailers ORDER BY message_id, seq'),
    callChanges: q('SELECT message_id, seq, file, function, path, call, op, line, rule FROM call_changes ORDER BY message_id, seq'),
    quarantine: q('SELECT reason, size, sha256 FROM quarantine ORDER BY sha256'),
    fixes: q('SELECT key, status FROM fixes ORDER BY key'),
    regressions: q('SELECT key, status FROM regressions ORDER BY key'),
  };
}

let fromMbox: Record<string, string[]>;
let bundleIds: string[];

describe.skipIf(!REAL)('the real kexec list as a public-inbox epoch', () => {
  beforeAll(async () => {
    const db = openDb(path.join(dir, 'mbox.db'));
    await ingestPaths(db, [MBOX], { rulesData });
    fromMbox = rows(db);
    db.close();
  }, 120_000);

  it('the bundle gives exactly the rows of the mbox', async () => {
    const db = openDb(path.join(dir, 'bundle.db'));
    const s = await ingestPaths(db, [BUNDLE], { rulesData });
    expect(s.new).toBe(2342);
    const got = rows(db);
    bundleIds = got.messages.map((r) => r.split(' ')[0]);
    for (const k of Object.keys(fromMbox)) expect(got[k], k).toEqual(fromMbox[k]);
    // each message's source is the bundle and its commit
    const src = db.prepare('SELECT source, offset FROM messages ORDER BY id LIMIT 1').get() as { source: string; offset: number };
    expect(src.source).toMatch(new RegExp(`^${fs.realpathSync(BUNDLE).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}#[0-9a-f]{40}$`));
    expect(src.offset).toBe(1);
    db.close();
  }, 120_000);

  it('a sync against a mirror 100 commits short, then complete, reads exactly those 100', async () => {
    const up = path.join(dir, 'upstream', 'kexec');
    const epoch = path.join(up, 'git', '0.git');
    execFileSync('git', ['clone', '--mirror', '--quiet', BUNDLE, epoch]);
    const head = execFileSync('git', ['-C', epoch, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
    execFileSync('git', ['-C', epoch, 'update-ref', 'refs/heads/master', 'HEAD~100']);
    const db = openDb(path.join(dir, 'sync.db'));
    const inbox = { name: 'kexec', url: pathToFileURL(up).href, list: 'kexec' };
    const opts = { mirrors: path.join(dir, 'lore'), rulesData, retries: 0 };
    const first = await syncInboxes(db, [inbox], opts);
    expect(first.inboxes[0].error).toBeNull();
    expect(first.inboxes[0].summary!.new).toBe(2242);
    execFileSync('git', ['-C', epoch, 'update-ref', 'refs/heads/master', head]);
    const second = await syncInboxes(db, [inbox], opts);
    const s = second.inboxes[0].summary!;
    expect({ fetched: second.inboxes[0].fetched, read: s.new + s.duplicate + s.quarantined, new: s.new }).toEqual({ fetched: 1, read: 100, new: 100 });
    expect(db.prepare('SELECT message_id FROM messages ORDER BY message_id').pluck().all()).toEqual(bundleIds);
    db.close();
  }, 120_000);

  it('an ingest of the epoch killed part-way resumes after its last stored commit, without duplicates', async () => {
    const cut = path.join(dir, 'killed.db');
    const count = () => {
      try {
        const d = new Database(cut, { readonly: true, fileMustExist: true });
        try { return d.prepare('SELECT count(*) FROM messages').pluck().get() as number; } finally { d.close(); }
      } catch {
        return 0;
      }
    };
    // a group of its own: killed, every process of the command goes at once (bin/relapse.js may have started the
    // command again with its V8 flags, and the command runs git)
    const child = spawn(process.execPath, [BIN, 'ingest', '--db', cut, '--workers', '2', BUNDLE], { stdio: 'ignore', detached: true });
    const exited = new Promise((res) => child.on('exit', res));
    let killedAt = 0;
    for (let i = 0; i < 1200 && !killedAt; i++) {
      const n = count();
      if (n > 0) {
        killedAt = n;
        process.kill(-child.pid!, 'SIGKILL');
      } else await new Promise((r) => setTimeout(r, 25));
    }
    await exited;
    expect(killedAt).toBeGreaterThan(0);
    const partial = count();
    expect(partial).toBeLessThan(2342);
    const r = spawnSync(process.execPath, [BIN, 'ingest', '--db', cut, BUNDLE], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`ingest: ${2342 - partial} new, 0 duplicate`);
    const d = new Database(cut, { readonly: true });
    expect(d.prepare('SELECT message_id FROM messages ORDER BY message_id').pluck().all()).toEqual(bundleIds);
    d.close();
  }, 120_000);
});
