// Issue 13 item 9, operational edges: a write on a full disk is a 503 with a message (not a bare 500); `serve`
// starts on a full disk and serves reads; behind a reverse proxy (trustProxy) the rate limit counts per forwarded
// client; with the SMTP server down a frequent digest schedule respects the back-off.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../config/settings.ts';
import { openDb } from '../../ingest/store/db.ts';
import { buildApp } from '../../server/app.ts';
import { startDigestSchedule } from '../../server/digest/schedule.ts';
import { makeContext, serve } from '../../server/serve.ts';
import { corpusDb as digestCorpusDb, testSettings } from '../digest/helpers.ts';
import { buildTestApp, corpusDb, type TestApp } from '../helper.ts';

const TOKEN = 'test-token-0123';
const auth = { authorization: `Bearer ${TOKEN}` };

describe('a full disk', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ token: TOKEN });
  });
  afterAll(async () => t?.close());

  it('a write that cannot be saved is a 503 saying the disk is full; reads go on', async () => {
    // SQLite's own ceiling on the database's size: the write fails with SQLITE_FULL, as on a full disk
    const pages = t.db.pragma('page_count', { simple: true }) as number;
    t.db.pragma(`max_page_count = ${pages}`);
    try {
      // declared fixes with long notes until the file cannot grow: each answer is 200 until one is 503, never 500
      const codes: number[] = [];
      let res;
      for (let i = 0; i < 100 && codes.at(-1) !== 503; i++) {
        res = await t.app.inject({ method: 'POST', url: '/api/fixes', payload: { kind: 'presence', file: `full${i}.c`, call: 'f', note: 'n'.repeat(4000) }, headers: auth });
        codes.push(res.statusCode);
      }
      expect(codes.at(-1)).toBe(503);
      expect(codes.slice(0, -1).every((c) => c === 200 || c === 201)).toBe(true);
      res = res!;
      expect(res.json().message).toMatch(/disk holding the database is full/);
      expect(res.headers['retry-after']).toBeDefined();
      expect((await t.app.inject('/api/regressions')).statusCode).toBe(200);
    } finally {
      t.db.pragma('max_page_count = 4294967294');
    }
  });

  // a real full file system: a small tmpfs (needs root to mount; skipped elsewhere)
  const mnt = fs.mkdtempSync(path.join(os.tmpdir(), 'relapse-fulldisk-'));
  let mounted = false;
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mnt], { stdio: 'ignore' });
    mounted = true;
  } catch {
    console.warn('full-disk serve test SKIPPED: cannot mount a tmpfs here');
  }
  afterAll(() => {
    if (mounted) execFileSync('umount', [mnt]);
    fs.rmSync(mnt, { recursive: true, force: true });
  });

  it.skipIf(!mounted)('serve starts on a full disk, serves reads, and answers writes with 503', async () => {
    const src = await corpusDb();
    src.db.pragma('wal_checkpoint(TRUNCATE)');
    src.db.close();
    const dbPath = path.join(mnt, 'r.db');
    fs.copyFileSync(src.dbPath, dbPath);
    fs.rmSync(src.dir, { recursive: true, force: true });
    // fill the disk
    const fd = fs.openSync(path.join(mnt, 'fill'), 'w');
    try {
      for (;;) fs.writeSync(fd, Buffer.alloc(64 * 1024));
    } catch (e) {
      expect((e as NodeJS.ErrnoException).code).toBe('ENOSPC');
    } finally {
      fs.closeSync(fd);
    }
    process.env.RELAPSE_LOG_LEVEL = 'silent';
    process.env.RELAPSE_TOKEN = TOKEN;
    const s = await serve({ db: dbPath, host: '127.0.0.1', port: 0, schedule: false, handleSignals: false });
    delete process.env.RELAPSE_TOKEN;
    try {
      const h = await fetch(`${s.url}/api/health`);
      expect(h.status).toBe(200);
      expect(((await h.json()) as { messages: number }).messages).toBeGreaterThan(200);
      expect((await fetch(`${s.url}/`)).status).toBe(200);
      const w = await fetch(`${s.url}/api/fixes`, {
        method: 'POST', headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ kind: 'presence', file: 'a.c', call: 'f', note: 'n'.repeat(4000) }),
      });
      expect(w.status).toBe(503);
      expect(((await w.json()) as { message: string }).message).toMatch(/disk .*full/);
    } finally {
      await s.close();
    }
  }, 60_000);
});

describe('behind a reverse proxy on the same host', () => {
  it('with trustProxy the forwarded client is rate-limited; without it loopback is exempt', async () => {
    const c = await corpusDb();
    try {
      const base = loadSettings({ db: c.dbPath }, {});
      const hits = async (settings: typeof base) => {
        const app = await buildApp(makeContext(c.db, { ...settings, rateLimit: { max: 3, timeWindow: '1 minute' } }));
        try {
          const codes: number[] = [];
          for (let i = 0; i < 5; i++) {
            codes.push((await app.inject({ url: '/api/health', remoteAddress: '127.0.0.1', headers: { 'x-forwarded-for': '198.51.100.9' } })).statusCode);
          }
          // the proxy's own requests (no forwarded client) stay exempt
          for (let i = 0; i < 5; i++) codes.push((await app.inject({ url: '/api/health', remoteAddress: '127.0.0.1' })).statusCode);
          return codes;
        } finally {
          await app.close();
        }
      };
      expect(await hits(base)).toEqual(Array(10).fill(200));
      const proxied = loadSettings({ db: c.dbPath }, { RELAPSE_TRUST_PROXY: 'loopback' });
      expect(proxied.trustProxy).toEqual(['loopback']);
      expect(await hits(proxied)).toEqual([200, 200, 200, 429, 429, 200, 200, 200, 200, 200]);
      expect(loadSettings({}, { RELAPSE_TRUST_PROXY: '1' }).trustProxy).toBe(1);
      expect(loadSettings({}, { RELAPSE_TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    } finally {
      c.db.close();
      fs.rmSync(c.dir, { recursive: true, force: true });
    }
  });
});

describe('the SMTP server down', () => {
  it('a schedule firing every minute tries once, then waits for the back-off', async () => {
    const { db, file } = await digestCorpusDb();
    // a port with nothing listening: connection refused, as with the SMTP server down
    const port = await new Promise<number>((resolve) => {
      const srv = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
    let now = new Date('2010-09-27T09:00:00Z');
    const ctx = { db, settings: { ...testSettings({ recipients: [{ email: 'maint@kexec.example', files: [] }] }, `smtp://127.0.0.1:${port}`), digest: { ...testSettings({ recipients: [{ email: 'maint@kexec.example', files: [] }] }).digest, schedule: '* * * * *' } }, redetect: () => {} };
    const logs: string[] = [];
    const s = startDigestSchedule(ctx, { now: () => now, log: (l) => logs.push(l), catchUp: false, attempts: 1, retryDelaysMs: [0], retryBaseMs: 600_000, retryCheckMs: 3_600_000 });
    try {
      const attempts = () => (db.prepare('SELECT attempts FROM digest_failures').pluck().get() as number | undefined) ?? 0;
      await s.runNow();
      expect(attempts()).toBe(1);
      for (let i = 0; i < 5; i++) { // five more minutes: ticks of the schedule, all inside the back-off
        now = new Date(now.getTime() + 60_000);
        await s.runNow();
      }
      expect(attempts()).toBe(1);
      expect(logs.filter((l) => /attempt \d+ failed/.test(l))).toHaveLength(1);
      expect(logs.some((l) => /backing off/.test(l))).toBe(true);
      // past the back-off the next tick tries again
      const next = db.prepare('SELECT next_attempt_at FROM digest_failures').pluck().get() as string;
      now = new Date(new Date(next).getTime() + 1000);
      await s.runNow();
      expect(attempts()).toBe(2);
    } finally {
      s.stop();
      await s.idle();
      db.close();
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
  }, 60_000);
});
