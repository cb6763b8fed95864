// The weekly schedule: catch-up after a missed run, once per week and recipient across restarts and servers,
// croner ticks, retries of failed deliveries.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../ingest/store/db.ts';
import type { AppContext } from '../../server/context.ts';
import { missedThisWeek, startDigestSchedule } from '../../server/digest/schedule.ts';
import { digestHealth, sentRecord } from '../../server/data/digests.ts';
import { corpusDb, startSmtp, testSettings, type TestSmtp } from './helpers.ts';

let db: Db;
let file: string;
let smtp: TestSmtp;
const logs: string[] = [];
const log = (l: string) => logs.push(l);
const tick = (ms = 20) => new Promise((r) => setTimeout(r, ms));
// Monday after 2010-W38 (the week R2 was posted in), 09:00 UTC: the 08:00 run is due
const MONDAY_9 = new Date('2010-09-27T09:00:00Z');

const ctxFor = (d: Db, over: Parameters<typeof testSettings>[0] = {}, url: string | null = smtp.url): AppContext => ({
  db: d,
  settings: testSettings({ recipients: [{ email: 'maint@kexec.example', files: [] }], ...over }, url),
  redetect: () => {},
});

beforeAll(async () => {
  ({ db, file } = await corpusDb());
  smtp = await startSmtp();
});
afterAll(async () => {
  db?.close();
  await smtp?.close();
});
beforeEach(() => {
  db.exec('DELETE FROM digests_sent; DELETE FROM digest_failures;');
  logs.length = 0;
});

describe('digest schedule', () => {
  it('knows whether this week\'s run is already due', () => {
    expect(missedThisWeek('0 8 * * 1', MONDAY_9)).toBe(true);
    expect(missedThisWeek('0 8 * * 1', new Date('2010-09-27T07:59:00Z'))).toBe(false);
    expect(missedThisWeek('0 8 * * 1', new Date('2010-10-03T23:00:00Z'))).toBe(true);
    expect(missedThisWeek('0 8 * * 3', new Date('2010-09-28T12:00:00Z'))).toBe(false);
  });

  it('catches up a missed run on start, and a restart or a second server never sends the week twice', async () => {
    const n0 = smtp.delivered.length;
    const s1 = startDigestSchedule(ctxFor(db), { now: () => MONDAY_9, log });
    await tick();
    await s1.idle();
    expect(smtp.delivered.length).toBe(n0 + 1);
    expect(smtp.delivered[n0].raw.toString()).toContain('X-Relapse-Week: 2010-W38');
    expect(sentRecord(db, '2010-W38', 'maint@kexec.example')?.smtp_message_id).toBeTruthy();
    s1.stop();

    // restart: same database, new schedule
    const s2 = startDigestSchedule(ctxFor(db), { now: () => MONDAY_9, log });
    await tick();
    await s2.idle();
    await s2.runNow(); // even a tick of the cron job
    s2.stop();
    // a second server on its own connection
    const db2 = openDb(file);
    const s3 = startDigestSchedule(ctxFor(db2), { now: () => MONDAY_9, log });
    await tick();
    await s3.idle();
    s3.stop();
    db2.close();
    expect(smtp.delivered.length).toBe(n0 + 1);
    expect(logs.some((l) => /2010-W38 → maint@kexec\.example: already sent/.test(l))).toBe(true);
  });

  it('two servers starting at the same moment deliver once', async () => {
    const n0 = smtp.delivered.length;
    const db2 = openDb(file);
    const a = startDigestSchedule(ctxFor(db), { now: () => MONDAY_9, log });
    const b = startDigestSchedule(ctxFor(db2), { now: () => MONDAY_9, log });
    await tick();
    await Promise.all([a.idle(), b.idle()]);
    a.stop();
    b.stop();
    db2.close();
    expect(smtp.delivered.length).toBe(n0 + 1);
  });

  it('does not send before the scheduled time', async () => {
    const n0 = smtp.delivered.length;
    const s = startDigestSchedule(ctxFor(db), { now: () => new Date('2010-09-27T07:00:00Z'), log });
    await tick();
    await s.idle();
    expect(s.nextRun()?.getUTCDay()).toBe(1);
    expect(s.nextRun()?.getUTCHours()).toBe(8);
    s.stop();
    expect(smtp.delivered.length).toBe(n0);
  });

  it('runs on its cron expression (croner, UTC)', async () => {
    const n0 = smtp.delivered.length;
    const s = startDigestSchedule(ctxFor(db, { schedule: '* * * * * *' }), { now: () => MONDAY_9, catchUp: false, log });
    await tick(1600);
    await s.idle();
    s.stop();
    expect(smtp.delivered.length).toBe(n0 + 1);
  });

  it('a failed scheduled delivery is reported, then retried with back-off until it goes through', async () => {
    const refusing = await startSmtp({ refuse: true });
    const n0 = smtp.delivered.length;
    const s = startDigestSchedule(ctxFor(db, {}, refusing.url), { now: () => MONDAY_9, attempts: 2, retryDelaysMs: [10], log });
    await tick();
    await s.idle();
    s.stop();
    await refusing.close();
    expect(digestHealth(db)).toMatchObject({ failures: 1, lastError: expect.stringMatching(/550/) });
    const row = db.prepare('SELECT next_attempt_at, attempts FROM digest_failures').get() as { next_attempt_at: string; attempts: number };
    expect(row.attempts).toBe(2);

    // later, the server takes mail again; the retry loop picks the failure up when it is due
    const due = new Date(new Date(row.next_attempt_at).getTime() + 1);
    const r = startDigestSchedule(ctxFor(db), { now: () => due, catchUp: false, retryCheckMs: 30, log });
    await tick(120);
    await r.idle();
    r.stop();
    expect(smtp.delivered.length).toBe(n0 + 1);
    expect(digestHealth(db)).toEqual({ failures: 0, lastError: null });
    expect(sentRecord(db, '2010-W38', 'maint@kexec.example')?.smtp_message_id).toBeTruthy();
  });

  it('a bad cron expression or no recipients: logged, nothing sent, nothing thrown', async () => {
    const n0 = smtp.delivered.length;
    const bad = startDigestSchedule(ctxFor(db, { schedule: 'every monday' }), { now: () => MONDAY_9, log });
    const none = startDigestSchedule(ctxFor(db, { recipients: [] }), { now: () => MONDAY_9, log });
    await tick();
    await Promise.all([bad.idle(), none.idle()]);
    bad.stop();
    none.stop();
    expect(smtp.delivered.length).toBe(n0);
    expect(logs.some((l) => /bad schedule "every monday"/.test(l))).toBe(true);
    expect(logs.some((l) => /no recipients configured/.test(l))).toBe(true);
  });
});
