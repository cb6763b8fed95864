// The digest of the sample corpus, delivered to a real SMTP server on 127.0.0.1 and parsed back.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../ingest/store/db.ts';
import { openDb } from '../../ingest/store/db.ts';
import { parseIsoWeek, weekOf } from '../../server/digest/iso-week.ts';
import { gatherWeek } from '../../server/data/digest-week.ts';
import { composeDigest } from '../../server/digest/compose.ts';
import { loreLink } from '../../server/data/links.ts';
import { buildMessage } from '../../server/digest/mime.ts';
import { retryFailures, sendDigest } from '../../server/digest/send.ts';
import { digestHealth, sentRecord } from '../../server/data/digests.ts';
import { bare, closedPort, corpusDb, loadTruth, startSmtp, testSettings, withoutVolatileHeaders, type TestSmtp } from './helpers.ts';

let db: Db;
let file: string;
const truth = loadTruth();
const quick = { attempts: 3, retryDelaysMs: [20, 40] };

/** The ISO week of a regression: the week its first removing message was posted in. */
function regressionWeek(r: { removedBy: string[] }): string {
  const row = db.prepare('SELECT date FROM messages WHERE message_id = ?').get(bare(r.removedBy[0])) as { date: string };
  return weekOf(row.date).label;
}

beforeAll(async () => {
  ({ db, file } = await corpusDb());
});
afterAll(() => db?.close());
beforeEach(() => {
  db.exec('DELETE FROM digests_sent; DELETE FROM digest_failures;');
});

describe('week data from the sample corpus', () => {
  it('the week of each regression in truth.json lists it as new, with its fix, removing messages and evidence', () => {
    for (const r of truth.regressions) {
      const d = gatherWeek(db, parseIsoWeek(regressionWeek(r)), 'kexec');
      const item = d.newRegressions.find((n) => n.removedBy.some((m) => m.messageId === bare(r.removedBy[0])));
      expect(item, `${r.key} in ${d.week}`).toBeTruthy();
      const fix = truth.knownFixes.find((k) => k.key === r.fix)!;
      expect(item!.fix.call).toBe(fix.call);
      expect(item!.fix.function).toBe(fix.function);
      expect(item!.fix.path).toBe(fix.path);
      // the fix message is whatever detection concluded (detection is tested on its own against truth)
      const stored = db.prepare('SELECT fix_message FROM regressions WHERE key = ?').get(item!.key) as { fix_message: string };
      expect(item!.fixMessage?.messageId).toBe(stored.fix_message);
      expect(item!.fixMessage?.subject).toBeTruthy();
      expect(item!.fixMessage?.date).toBeTruthy();
      expect(item!.evidence.length).toBeGreaterThan(0);
      for (const m of item!.removedBy) {
        expect(m.subject).toBeTruthy();
        expect(m.author.email).toMatch(/@/);
        expect(m.link).toBe(loreLink('kexec', m.messageId));
      }
    }
  });

  it('earlier regressions still open are listed with their age; a later week lists resolutions', () => {
    const r2 = truth.regressions.find((x) => x.key === 'R2')!;
    const r3 = truth.regressions.find((x) => x.key === 'R3')!;
    const d = gatherWeek(db, parseIsoWeek(regressionWeek(r3)), 'kexec');
    const old = d.stillOpen.find((x) => x.removedBy.some((m) => m.messageId === bare(r2.removedBy[0])));
    expect(old).toBeTruthy();
    expect(old!.ageDays).toBeGreaterThan(7);
    expect(composeDigest(d).text).toMatch(/STILL OPEN FROM EARLIER WEEKS/);
    // a resolved regression is listed in the week of the message that resolved it
    const resolved = db.prepare(`SELECT r.key, r.resolved_by, m.date FROM regressions r JOIN messages m ON m.message_id = r.resolved_by
      WHERE r.status = 'resolved'`).all() as { key: string; resolved_by: string; date: string }[];
    expect(resolved.length).toBeGreaterThan(0);
    for (const x of resolved) {
      const rw = gatherWeek(db, weekOf(x.date), 'kexec');
      expect(rw.resolved.map((y) => y.key)).toContain(x.key);
      expect(composeDigest(rw).text).toContain(loreLink('kexec', x.resolved_by));
    }
  });

  it('fixes become known in the week of their introducing message; series that touched watched code are listed', () => {
    for (const k of truth.knownFixes) {
      const date = (db.prepare('SELECT date FROM messages WHERE message_id = ?').get(bare(k.introducedBy)) as { date: string }).date;
      const d = gatherWeek(db, weekOf(date), 'kexec');
      expect(d.fixesKnown.some((f) => f.fix.call === k.call && f.fix.introducedBy?.messageId === bare(k.introducedBy)), k.key).toBe(true);
      expect(d.series.some((s) => s.patches.some((p) => p.messageId === bare(k.introducedBy))), `${k.key} series`).toBe(true);
    }
  });

  it('two builds of a week give the same bytes except Date and Message-ID', async () => {
    const w = parseIsoWeek(regressionWeek(truth.regressions[1]));
    const env = { from: 'relapse <relapse@test.example>', to: ['m@x.example'], week: w.label };
    const a = await buildMessage(composeDigest(gatherWeek(db, w, 'kexec')), { ...env, date: new Date('2011-01-03T08:00:00Z') });
    const db2 = openDb(file);
    const b = await buildMessage(composeDigest(gatherWeek(db2, w, 'kexec')), { ...env, date: new Date('2011-01-10T08:00:00Z') });
    db2.close();
    expect(a.raw.equals(b.raw)).toBe(false);
    expect(withoutVolatileHeaders(b.raw)).toBe(withoutVolatileHeaders(a.raw));
  });
});

describe('delivery over SMTP', () => {
  let smtp: TestSmtp;
  beforeAll(async () => {
    smtp = await startSmtp({ auth: { user: 'relapse', pass: 's3cret:/@' } });
  });
  afterAll(() => smtp?.close());

  it('delivers each regression week to an authenticated SMTP server; the mail carries every item', async () => {
    const settings = testSettings({ recipients: [{ email: 'maint@kexec.example', files: [] }] }, smtp.url);
    const weeks = [...new Set(truth.regressions.map(regressionWeek))];
    const before = smtp.delivered.length;
    for (const wk of weeks) {
      const res = await sendDigest(db, settings, parseIsoWeek(wk), settings.digest.recipients, quick);
      expect(res, wk).toEqual([expect.objectContaining({ recipient: 'maint@kexec.example', status: 'sent' })]);
      expect(sentRecord(db, wk, 'maint@kexec.example')?.smtp_message_id).toBe(res[0].messageId);
    }
    expect(smtp.delivered.length - before).toBe(weeks.length);
    for (let i = before; i < smtp.delivered.length; i++) {
      const d = smtp.delivered[i];
      expect(d.from).toBe('relapse@test.example');
      expect(d.to).toEqual(['maint@kexec.example']);
      const p = await smtp.parsed(i);
      const wk = p.headers.get('x-relapse-week') as string;
      expect(weeks).toContain(wk);
      expect(p.subject).toMatch(new RegExp(`^\\[relapse\\] kexec: \\d+ new regressions?, \\d+ resolved.* — week ${wk}$`));
      expect(p.from?.text).toContain('relapse@test.example');
      expect((p.to as { text: string }).text).toBe('maint@kexec.example');
      expect(p.date).toBeInstanceOf(Date);
      expect(p.messageId).toMatch(/^<relapse-digest\./);
      expect(p.headers.get('content-type')).toMatchObject({ value: 'multipart/alternative' });
      expect(p.text).toBeTruthy();
      expect(p.html).toBeTruthy();
      for (const r of truth.regressions.filter((x) => regressionWeek(x) === wk)) {
        const fix = truth.knownFixes.find((k) => k.key === r.fix)!;
        for (const part of [p.text!, p.html as string]) {
          expect(part, `${r.key} removing link`).toContain(loreLink('kexec', bare(r.removedBy[0])));
          const stored = db.prepare('SELECT fix_message FROM regressions WHERE removed_by LIKE ?').get(`%${bare(r.removedBy[0])}%`) as { fix_message: string };
          expect(part, `${r.key} fix link`).toContain(loreLink('kexec', stored.fix_message));
          expect(part).toContain(`${fix.call}()`);
          expect(part).toContain(`${fix.function}()`);
        }
      }
    }
    // the R2 week names the removing patch, escaped in HTML
    const r2w = regressionWeek(truth.regressions.find((x) => x.key === 'R2')!);
    const idx = smtp.delivered.findIndex((d) => d.raw.toString().includes(`X-Relapse-Week: ${r2w}`));
    const p = await smtp.parsed(idx);
    expect(p.text).toContain("don't flush caches on the way down");
    expect(p.html).toContain('don&#39;t flush caches on the way down');
  });

  it('a second send of the same week delivers nothing; --force sends again', async () => {
    const settings = testSettings({ recipients: [{ email: 'Maint@Kexec.example', files: [] }] }, smtp.url);
    const w = parseIsoWeek(regressionWeek(truth.regressions[0]));
    const n0 = smtp.delivered.length;
    expect((await sendDigest(db, settings, w, settings.digest.recipients, quick))[0].status).toBe('sent');
    expect(smtp.delivered.length).toBe(n0 + 1);
    const again = await sendDigest(db, settings, w, settings.digest.recipients, quick);
    expect(again[0].status).toBe('already-sent');
    // another process, another handle on the same file
    const db2 = openDb(file);
    expect((await sendDigest(db2, settings, w, [{ email: 'maint@kexec.example', files: [] }], quick))[0].status).toBe('already-sent');
    db2.close();
    expect(smtp.delivered.length).toBe(n0 + 1);
    const forced = await sendDigest(db, settings, w, settings.digest.recipients, { ...quick, force: true });
    expect(forced[0].status).toBe('sent');
    expect(smtp.delivered.length).toBe(n0 + 2);
    expect(sentRecord(db, w.label, 'maint@kexec.example')?.smtp_message_id).toBe(forced[0].messageId);
  });

  it('two senders at once: exactly one delivery', async () => {
    const settings = testSettings({ recipients: [{ email: 'race@kexec.example', files: [] }] }, smtp.url);
    const w = parseIsoWeek(regressionWeek(truth.regressions[2]));
    const n0 = smtp.delivered.length;
    const db2 = openDb(file);
    const [a, b] = await Promise.all([
      sendDigest(db, settings, w, settings.digest.recipients, quick),
      sendDigest(db2, settings, w, settings.digest.recipients, quick),
    ]);
    db2.close();
    expect([a[0].status, b[0].status].sort()).toEqual(['in-progress-elsewhere', 'sent']);
    expect(smtp.delivered.length).toBe(n0 + 1);
  });

  it('routes by file pattern: a maintainer gets only what touches their files; an empty digest is not sent unless sendEmpty', async () => {
    const iommu = { email: 'iommu@kexec.example', files: ['arch/x86/kernel/amd_iommu*.c', 'drivers/iommu/'] };
    const kexec = { email: 'kexec@kexec.example', files: ['kernel/kexec.c'] };
    const w = parseIsoWeek(regressionWeek(truth.regressions.find((x) => x.key === 'R2')!));
    const n0 = smtp.delivered.length;
    const settings = testSettings({ recipients: [iommu, kexec] }, smtp.url);
    const res = await sendDigest(db, settings, w, settings.digest.recipients, quick);
    expect(res.map((r) => r.status)).toEqual(['sent', 'empty']);
    expect(smtp.delivered.length).toBe(n0 + 1);
    expect(smtp.delivered[n0].to).toEqual(['iommu@kexec.example']);
    const p = await smtp.parsed(n0);
    expect(p.text).toContain('Only items touching arch/x86/kernel/amd_iommu*.c, drivers/iommu/ are listed.');
    const withEmpty = testSettings({ recipients: [kexec], sendEmpty: true }, smtp.url);
    const res2 = await sendDigest(db, withEmpty, w, withEmpty.digest.recipients, quick);
    expect(res2[0].status).toBe('sent');
    const q = await smtp.parsed(n0 + 1);
    expect(q.subject).toBe(`[relapse] kexec: nothing changed — week ${w.label}`);
    expect(q.text).toMatch(/Nothing changed in week/);
  });

  it('a refused delivery is retried with back-off, recorded and reported; a later retry makes it good', async () => {
    const refusing = await startSmtp({ refuse: true });
    const settings = testSettings({ recipients: [{ email: 'maint@kexec.example', files: [] }] }, refusing.url);
    const w = parseIsoWeek(regressionWeek(truth.regressions[1]));
    const t0 = new Date('2011-01-03T08:00:00Z');
    const started = Date.now();
    const res = await sendDigest(db, settings, w, settings.digest.recipients, { ...quick, now: () => t0 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(55); // waited 20 + 40 ms between attempts
    await refusing.close();
    expect(res[0]).toMatchObject({ status: 'failed', attempts: 3 });
    expect(res[0].error).toMatch(/550/);
    expect(refusing.rcptAttempts).toBe(3);
    expect(refusing.delivered).toHaveLength(0);
    expect(sentRecord(db, w.label, 'maint@kexec.example')).toBeUndefined();
    const row = db.prepare('SELECT * FROM digest_failures').get() as { week: string; recipient: string; attempts: number; last_error: string; next_attempt_at: string };
    expect(row).toMatchObject({ week: w.label, recipient: 'maint@kexec.example', attempts: 3 });
    expect(new Date(row.next_attempt_at).getTime()).toBeGreaterThan(t0.getTime());
    const h = digestHealth(db);
    expect(h.failures).toBe(1);
    expect(h.lastError).toMatch(/550.*unavailable/);

    // not yet due: nothing happens
    const good = testSettings({ recipients: settings.digest.recipients }, smtp.url);
    expect(await retryFailures(db, good, { now: () => t0 })).toEqual([]);
    // due: retried against a server that takes it
    const n0 = smtp.delivered.length;
    const later = new Date(new Date(row.next_attempt_at).getTime() + 1000);
    const retried = await retryFailures(db, good, { now: () => later });
    expect(retried[0]).toMatchObject({ status: 'sent' });
    expect(smtp.delivered.length).toBe(n0 + 1);
    expect(digestHealth(db)).toEqual({ failures: 0, lastError: null });
  });

  it('a closed port is a failure reported in health, never silent; back-off grows with attempts', async () => {
    const port = await closedPort();
    const settings = testSettings({ recipients: [{ email: 'maint@kexec.example', files: [] }] }, `smtp://127.0.0.1:${port}`);
    const w = parseIsoWeek(regressionWeek(truth.regressions[3]));
    const t0 = new Date('2011-01-03T08:00:00Z');
    const r1 = await sendDigest(db, settings, w, settings.digest.recipients, { attempts: 2, retryDelaysMs: [10], now: () => t0 });
    expect(r1[0]).toMatchObject({ status: 'failed', attempts: 2 });
    expect(r1[0].error).toMatch(/ECONNREFUSED/);
    const first = db.prepare('SELECT next_attempt_at FROM digest_failures').get() as { next_attempt_at: string };
    const due = new Date(first.next_attempt_at);
    const r2 = await retryFailures(db, settings, { now: () => due });
    expect(r2[0]).toMatchObject({ status: 'failed', attempts: 3 });
    const second = db.prepare('SELECT next_attempt_at, attempts FROM digest_failures').get() as { next_attempt_at: string; attempts: number };
    expect(second.attempts).toBe(3);
    expect(new Date(second.next_attempt_at).getTime() - due.getTime()).toBeGreaterThan(due.getTime() - t0.getTime());
    expect(digestHealth(db).lastError).toMatch(/ECONNREFUSED/);
  });

  it('a transient refusal is retried in-process and delivered without a failure record', async () => {
    const flaky = await startSmtp({ refuseFirst: 1 });
    const settings = testSettings({ recipients: [{ email: 'maint@kexec.example', files: [] }] }, flaky.url);
    const w = parseIsoWeek(regressionWeek(truth.regressions[4]));
    const res = await sendDigest(db, settings, w, settings.digest.recipients, quick);
    expect(res[0]).toMatchObject({ status: 'sent', attempts: 2 });
    expect(flaky.delivered).toHaveLength(1);
    await flaky.close();
    expect(digestHealth(db).failures).toBe(0);
  });

  it('no SMTP server configured: recorded as a failure, not thrown', async () => {
    const settings = testSettings({ recipients: [{ email: 'maint@kexec.example', files: [] }] }, null);
    const w = parseIsoWeek(regressionWeek(truth.regressions[0]));
    const res = await sendDigest(db, settings, w, settings.digest.recipients, quick);
    expect(res[0].status).toBe('failed');
    expect(digestHealth(db).lastError).toMatch(/no SMTP server configured/);
    expect(sentRecord(db, w.label, 'maint@kexec.example')).toBeUndefined();
  });
});
