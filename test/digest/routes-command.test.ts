// GET /api/digest/:week(.eml) and `relapse digest` (--out, --send, bad --week).
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import Fastify, { type FastifyInstance } from 'fastify';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../ingest/store/db.ts';
import digestRoutes from '../../server/digest/routes.ts';
import { runDigestCommand } from '../../server/digest/command.ts';
import { InvalidWeekError, weekOf } from '../../server/digest/iso-week.ts';
import { loreLink } from '../../server/data/links.ts';
import { bare, corpusDb, loadTruth, startSmtp, testSettings, tmpDir, withoutVolatileHeaders, type TestSmtp } from './helpers.ts';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
let db: Db;
let file: string;
let app: FastifyInstance;
let week: string;
const truth = loadTruth();
const r2 = truth.regressions.find((r) => r.key === 'R2')!;

beforeAll(async () => {
  ({ db, file } = await corpusDb());
  const date = (db.prepare('SELECT date FROM messages WHERE message_id = ?').get(bare(r2.removedBy[0])) as { date: string }).date;
  week = weekOf(date).label;
  app = Fastify();
  const settings = testSettings({ recipients: [{ email: 'iommu@kexec.example', files: ['drivers/iommu/'] }, { email: 'all@kexec.example', files: [] }] });
  await app.register(digestRoutes, { ctx: { db, settings, redetect: () => {} } });
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  db?.close();
});

/** Run the CLI (asynchronously: the SMTP server under test lives in this process). */
function relapse(args: string[], env: Record<string, string> = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bin', 'relapse.js'), ...args], {
      cwd: ROOT, env: { ...process.env, RELAPSE_CONFIG: '', RELAPSE_DIGEST_TO: '', NO_COLOR: '1', ...env },
    });
    let stdout = '', stderr = '';
    p.stdout.on('data', (c) => (stdout += c));
    p.stderr.on('data', (c) => (stderr += c));
    p.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('GET /api/digest/:week', () => {
  it('answers the week as JSON', async () => {
    const res = await app.inject({ url: `/api/digest/${week}` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    const body = res.json();
    expect(body.week).toBe(week);
    expect(body.subject).toMatch(new RegExp(`^\\[relapse\\] kexec: 1 new regression, \\d+ resolved — week ${week}$`));
    expect(body.empty).toBe(false);
    const item = body.newRegressions.find((x: { removedBy: { messageId: string }[] }) => x.removedBy.some((m) => m.messageId === bare(r2.removedBy[0])));
    expect(item.removedBy[0].link).toBe(loreLink('kexec', bare(r2.removedBy[0])));
    expect(item.fix.call).toBe('iommu_flush_all_caches');
    expect(item.evidence.length).toBeGreaterThan(0);
    for (const k of ['stillOpen', 'resolved', 'acknowledged', 'fixesKnown', 'series']) expect(Array.isArray(body[k])).toBe(true);
  });

  it('answers the message for :week.eml', async () => {
    const res = await app.inject({ url: `/api/digest/${week}.eml` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^message\/rfc822/);
    const p = await simpleParser(res.rawPayload);
    expect(p.text).toContain("don't flush caches on the way down");
    expect(p.html).toContain('don&#39;t flush caches on the way down');
    const json = (await app.inject({ url: `/api/digest/${week}` })).json();
    expect(p.subject).toBe(json.subject);
  });

  it('narrows to a configured recipient with ?for=', async () => {
    const body = (await app.inject({ url: `/api/digest/${week}?for=iommu@kexec.example` })).json();
    expect(body.recipient).toEqual({ email: 'iommu@kexec.example', files: ['drivers/iommu/'] });
    for (const x of body.newRegressions) expect(x.files.some((f: string) => f.startsWith('drivers/iommu/'))).toBe(true);
    expect((await app.inject({ url: `/api/digest/${week}?for=nobody@x.example` })).statusCode).toBe(400);
  });

  it('a malformed week is a 400 naming the problem', async () => {
    for (const bad of ['2010-W54', 'soon', '2010-13', '2010-W53.eml', 'x.eml']) {
      const res = await app.inject({ url: `/api/digest/${encodeURIComponent(bad)}` });
      expect(res.statusCode, bad).toBe(400);
      expect(res.json().message).toMatch(/week/);
    }
  });
});

describe('relapse digest', () => {
  let smtp: TestSmtp;
  beforeAll(async () => {
    smtp = await startSmtp();
  });
  afterAll(() => smtp?.close());

  it('--out writes an RFC 5322 message; two runs differ only in Date and Message-ID', async () => {
    const dir = tmpDir();
    const a = path.join(dir, 'a.eml'), b = path.join(dir, 'b.eml');
    await runDigestCommand({ db: file, week, out: a, to: ['maint@kexec.example'] });
    await new Promise((r) => setTimeout(r, 1100)); // a later Date header
    await runDigestCommand({ db: file, week, out: b, to: ['maint@kexec.example'] });
    const ra = fs.readFileSync(a), rb = fs.readFileSync(b);
    expect(ra.toString()).toMatch(/^(?:[\s\S]*\r\n)?Subject: /);
    expect(ra.equals(rb)).toBe(false);
    expect(withoutVolatileHeaders(ra)).toBe(withoutVolatileHeaders(rb));
    const p = await simpleParser(ra);
    expect(p.subject).toMatch(/regression/);
    expect(p.text).toContain(loreLink('kexec', bare(r2.removedBy[0])));
  });

  it('a bad --week is a clear error', async () => {
    await expect(runDigestCommand({ db: file, week: '2010-W60' })).rejects.toThrow(InvalidWeekError);
    await expect(runDigestCommand({ db: file, week: '2010-W60' })).rejects.toThrow(/invalid week "2010-W60": 2010 has weeks 01 to 52/);
    await expect(runDigestCommand({ db: path.join(tmpDir(), 'none.db'), week })).rejects.toThrow(/no database/);
  });

  it('the CLI: bad --week exits non-zero; --send delivers the same bytes --out writes; a re-run sends nothing', async () => {
    const bad = await relapse(['digest', '--db', file, '--week', '2010-W99']);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/invalid week "2010-W99"/);

    const out = path.join(tmpDir(), 'out.eml');
    const env = { RELAPSE_SMTP_URL: smtp.url };
    const w = await relapse(['digest', '--db', file, '--week', week, '--out', out, '--to', 'maint@kexec.example'], env);
    expect(w.status, w.stderr).toBe(0);
    const n0 = smtp.delivered.length;
    const s = await relapse(['digest', '--db', file, '--week', week, '--send', '--to', 'maint@kexec.example'], env);
    expect(s.status, s.stderr).toBe(0);
    expect(s.stdout).toMatch(/1 sent/);
    expect(smtp.delivered.length).toBe(n0 + 1);
    // SMTP adds nothing but what the server itself may prepend; compare the message as sent
    expect(withoutVolatileHeaders(smtp.delivered[n0].raw)).toBe(withoutVolatileHeaders(fs.readFileSync(out)));
    const again = await relapse(['digest', '--db', file, '--week', week, '--send', '--to', 'maint@kexec.example'], env);
    expect(again.status).toBe(0);
    expect(again.stdout).toMatch(/0 sent, 1 already sent/);
    expect(smtp.delivered.length).toBe(n0 + 1);
    const forced = await relapse(['digest', '--db', file, '--week', week, '--send', '--force', '--to', 'maint@kexec.example'], env);
    expect(forced.status).toBe(0);
    expect(smtp.delivered.length).toBe(n0 + 2);
  });

  it('the CLI: a refused --send exits non-zero and leaves a failure for health', async () => {
    const refusing = await startSmtp({ refuse: true });
    const r = await relapse(['digest', '--db', file, '--week', week, '--send', '--to', 'refused@kexec.example'], { RELAPSE_SMTP_URL: refusing.url });
    await refusing.close();
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/550/);
    expect(r.stderr).toMatch(/recorded; the server retries it/);
    expect(refusing.rcptAttempts).toBe(3);
    const row = db.prepare('SELECT * FROM digest_failures WHERE week = ? AND recipient = ?').get(week, 'refused@kexec.example');
    expect(row).toMatchObject({ attempts: 3 });
  }, 30_000);
});
