// `serve`: a real server on a loopback port; archives dropped into the watched directory get ingested, and the
// API keeps answering while `relapse ingest` writes to the same database from another process.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { serve, type Server } from '../../server/serve.ts';
import { ARCHIVE, CORPUS_DIR, truth } from '../helper.ts';

const ROOT = path.join(import.meta.dirname, '..', '..');
const EXPECTED = truth.counts.uniqueMessageIds + truth.noMessageId.length;

let server: Server | null = null;
const dirs: string[] = [];
afterEach(async () => {
  await server?.close();
  server = null;
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'relapse-serve-'));
  dirs.push(d);
  return d;
}

async function start(dbPath: string, watch?: string): Promise<Server> {
  process.env.RELAPSE_LOG_LEVEL = 'silent';
  server = await serve({ db: dbPath, host: '127.0.0.1', port: 0, watch, schedule: false, handleSignals: false });
  return server;
}

const health = async (base: string) => (await (await fetch(`${base}/api/health`)).json()) as { messages: number; regressions: { open: number } };

async function until<T>(what: string, fn: () => Promise<T>, ok: (v: T) => boolean, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('relapse serve --watch', () => {
  it('ingests an archive dropped into the directory, and a copy of it adds nothing', async () => {
    const d = tmp();
    const incoming = path.join(d, 'incoming');
    const s = await start(path.join(d, 'r.db'), incoming);
    expect((await health(s.url)).messages).toBe(0);
    // written in two steps, as a slow copy would: the first half must not be ingested as a whole archive
    const bytes = fs.readFileSync(ARCHIVE);
    fs.writeFileSync(path.join(incoming, 'kexec.mbox'), bytes.subarray(0, 1000));
    await new Promise((r) => setTimeout(r, 500));
    fs.appendFileSync(path.join(incoming, 'kexec.mbox'), bytes.subarray(1000));
    const h = await until('the archive to be ingested', () => health(s.url), (x) => x.messages === EXPECTED);
    expect(h.regressions.open).toBeGreaterThan(0);
    fs.copyFileSync(path.join(CORPUS_DIR, 'pipermail-2010-Mar.txt.gz'), path.join(incoming, 'pipermail-2010-Mar.txt.gz'));
    fs.writeFileSync(path.join(incoming, '.hidden.part'), 'not an archive');
    const evBefore = (await (await fetch(`${s.url}/api/events?type=message.`)).json()) as { items: unknown[] };
    await new Promise((r) => setTimeout(r, 5000));
    expect((await health(s.url)).messages).toBe(EXPECTED);
    const evAfter = (await (await fetch(`${s.url}/api/events?type=message.`)).json()) as { items: unknown[] };
    expect(evAfter.items.length).toBe(evBefore.items.length);
  });
});

describe('reading while relapse ingest writes (WAL)', () => {
  it('keeps answering during an ingest and shows the new messages without a restart', async () => {
    const d = tmp();
    const db = path.join(d, 'r.db');
    const s = await start(db);
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'relapse.js'), 'ingest', '--workers', '0', '--db', db, ARCHIVE], {
      cwd: ROOT, env: { ...process.env, RELAPSE_DB: db }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (b) => (out += b));
    child.stderr.on('data', (b) => (out += b));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    let done = false;
    void exited.then(() => (done = true));
    const statuses: number[] = [];
    const seen: number[] = [];
    while (!done) {
      const [h, list] = await Promise.all([fetch(`${s.url}/api/health`), fetch(`${s.url}/api/regressions?status=open`)]);
      statuses.push(h.status, list.status);
      seen.push(((await h.json()) as { messages: number }).messages);
      await list.arrayBuffer();
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(await exited, out).toBe(0);
    expect(statuses.every((c) => c === 200)).toBe(true);
    expect(statuses.length).toBeGreaterThan(4);
    // counts only grow, and the finished ingest is visible to the running server
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    expect((await health(s.url)).messages).toBe(EXPECTED);
    const m = await fetch(`${s.url}/api/messages/${encodeURIComponent(truth.patches[0].replace(/^<|>$/g, ''))}`);
    expect(m.status).toBe(200);
  });
});
