// Cached answers must never be stale: another connection's commit (an ingest) and this server's own
// writes both show up on the next request.
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../helper.ts';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ token: 'tok' });
});
afterAll(async () => {
  await t.app.close();
});

describe('response cache', () => {
  it('answers a repeated question the same, and sees another connection commit', async () => {
    const first = (await t.app.inject('/api/health')).json();
    expect((await t.app.inject('/api/health')).json()).toEqual(first);
    const other = new Database(t.dbPath);
    other.prepare(`INSERT INTO messages (message_id, list, kind, is_patch, source, offset, size, ingested_at)
      VALUES ('late@x', 'kexec', 'other', 0, 's', 0, 1, '2026-01-01T00:00:00.000Z')`).run();
    other.close();
    const res = await t.app.inject("/api/health");
    const after = res.json();
    expect(res.statusCode, res.body).toBe(200);
    expect(after.messages).toBe(first.messages + 1);
    expect((await t.app.inject('/api/messages/late%40x')).statusCode).toBe(200);
  });

  it("sees the server's own writes", async () => {
    const open = (await t.app.inject('/api/regressions?status=open')).json().items;
    expect(open.length).toBeGreaterThan(0);
    const r = await t.app.inject({ method: 'POST', url: `/api/regressions/${open[0].id}/acknowledge`, headers: { authorization: 'Bearer tok' }, payload: { reason: 'intended' } });
    expect(r.statusCode).toBe(200);
    const again = (await t.app.inject('/api/regressions?status=open')).json().items;
    expect(again.length).toBe(open.length - 1);
  });
});
