// An ingest killed with SIGKILL part-way and run again ends with exactly the messages of an
// uninterrupted run: no loss, no duplicates. Runs the real CLI in a child process.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateArchive } from '../../../bench/gen-archive.ts';

const ROOT = path.join(import.meta.dirname, '..', '..', '..');
const BIN = path.join(ROOT, 'bin', 'relapse.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'relapse-resume-'));
const archive = path.join(dir, 'big.mbox');

const ids = (db: string) => {
  const d = new Database(db, { readonly: true });
  try {
    return (d.prepare('SELECT message_id FROM messages ORDER BY message_id').all() as { message_id: string }[]).map((r) => r.message_id);
  } finally {
    d.close();
  }
};
const count = (db: string) => {
  try {
    const d = new Database(db, { readonly: true, fileMustExist: true });
    try { return (d.prepare('SELECT count(*) AS n FROM messages').get() as { n: number }).n; } finally { d.close(); }
  } catch {
    return 0;
  }
};

beforeAll(() => {
  generateArchive(archive, { messages: 4000, seed: 7 });
});

describe('interrupted ingest', () => {
  // inline, and with the workers that commit batches through their own connections
  it.each(['0', '2'])('resumes without loss or duplicates after SIGKILL (%s workers)', async (workers) => {
    const whole = path.join(dir, `whole-${workers}.db`);
    const r = spawnSync(process.execPath, [BIN, 'ingest', '--db', whole, archive], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const want = ids(whole);
    expect(want.length).toBeGreaterThan(3000);

    const cut = path.join(dir, `cut-${workers}.db`);
    // a group of its own: killed, every process of the command goes at once (bin/relapse.js may have started the
    // command again with its V8 flags)
    const child = spawn(process.execPath, [BIN, 'ingest', '--db', cut, '--workers', workers, archive], { stdio: 'ignore', detached: true });
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    // kill as soon as some, but not all, messages are committed
    let killedAt = 0;
    for (let i = 0; i < 600; i++) {
      const n = count(cut);
      if (n > 0) { killedAt = n; process.kill(-child.pid!, 'SIGKILL'); break; }
      await new Promise((s) => setTimeout(s, 25));
    }
    await exited;
    expect(killedAt).toBeGreaterThan(0);
    const partial = count(cut);
    expect(partial).toBeLessThan(want.length);

    const again = spawnSync(process.execPath, [BIN, 'ingest', '--db', cut, '--workers', workers, archive], { encoding: 'utf8' });
    expect(again.status, again.stderr).toBe(0);
    expect(ids(cut)).toEqual(want);
  });

  it('exits non-zero with a clear error for a path that cannot be read', () => {
    const r = spawnSync(process.execPath, [BIN, 'ingest', '--db', path.join(dir, 'x.db'), path.join(dir, 'nope.mbox')], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/nope\.mbox/);
  });

  it('reads an archive from stdin', () => {
    const db = path.join(dir, 'stdin.db');
    const input = fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'corpus', 'archive.mbox'));
    const r = spawnSync(process.execPath, [BIN, 'ingest', '--db', db, '-'], { input, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\d+ new/);
    const truth = JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'corpus', 'truth.json'), 'utf8'));
    expect(count(db)).toBe(truth.counts.uniqueMessageIds + truth.noMessageId.length);
  });
});
