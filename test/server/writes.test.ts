// Writes: declaring a fix and acknowledging a regression; the token, and what a bad write gets.
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { all, buildTestApp, truth, bare, type TestApp } from '../helper.ts';

const TOKEN = 'test-token-0123';
let t: TestApp;
let ro: TestApp;
beforeAll(async () => {
  [t, ro] = await Promise.all([buildTestApp({ token: TOKEN }), buildTestApp({ token: null })]);
});
afterAll(async () => {
  await t?.close();
  await ro?.close();
});

const auth = { authorization: `Bearer ${TOKEN}` };
const post = (app: TestApp, url: string, payload: unknown, headers: Record<string, string> = auth) =>
  app.app.inject({ method: 'POST', url, payload: payload as object, headers });

describe('write access', () => {
  it('is refused with a 403 saying writes are disabled when no token is configured', async () => {
    for (const [url, body] of [['/api/fixes', { kind: 'presence', file: 'a.c', call: 'f' }], ['/api/regressions/1/acknowledge', { reason: 'x' }]] as const) {
      const res = await post(ro, url, body, { authorization: 'Bearer anything' });
      expect(res.statusCode).toBe(403);
      expect(res.json().message).toMatch(/writes are disabled/);
    }
  });

  it('needs the bearer token: missing or wrong is a 401 with a challenge, checked before the body', async () => {
    const body = { kind: 'presence', file: 'a.c', call: 'f' };
    for (const headers of [{} as Record<string, string>, { authorization: 'Bearer wrong' }, { authorization: `Basic ${TOKEN}` }, { authorization: `Bearer ${TOKEN}x` }]) {
      const res = await post(t, '/api/fixes', body, headers);
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
      expect(res.json().message).toMatch(/Authorization/);
    }
    expect((await post(t, '/api/fixes', { nonsense: true }, {})).statusCode).toBe(401);
  });

  it('leaves reads open', async () => {
    expect((await ro.app.inject('/api/fixes')).statusCode).toBe(200);
  });
});

describe('POST /api/fixes', () => {
  it('refuses a bad body with a 400 naming the field', async () => {
    const cases: [unknown, string][] = [
      [{ file: 'a.c', call: 'f' }, 'kind'],
      [{ kind: 'sometimes', file: 'a.c', call: 'f' }, 'kind'],
      [{ kind: 'presence', file: 'a.c' }, 'call'],
      [{ kind: 'presence', file: '', call: 'f' }, 'file'],
      [{ kind: 'order', file: 'a.c', function: 'g', call: 'f' }, 'before'],
      [{ kind: 'presence', file: 'a.c', call: 'f', introducedBy: 'no-such@example' }, 'introducedBy'],
      [{ kind: 'order', file: 'a.c', function: 'g', call: 'f', before: { x: 1 } }, 'before'],
    ];
    for (const [body, field] of cases) {
      const res = await post(t, '/api/fixes', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().message, JSON.stringify(body)).toContain(field);
    }
    const notJson = await t.app.inject({ method: 'POST', url: '/api/fixes', payload: '{"kind":', headers: { ...auth, 'content-type': 'application/json' } });
    expect(notJson.statusCode).toBe(400);
    const text = await t.app.inject({ method: 'POST', url: '/api/fixes', payload: 'kind=presence', headers: { ...auth, 'content-type': 'text/plain' } });
    expect(text.statusCode).toBe(400);
    const xml = await t.app.inject({ method: 'POST', url: '/api/fixes', payload: '<fix/>', headers: { ...auth, 'content-type': 'application/xml' } });
    expect(xml.statusCode).toBe(415);
  });

  it('declares a fix, re-runs detection, and answers 201 with the known fix', async () => {
    // a removal nobody treated as a regression: a flush dropped from __unmap_single
    const removal = truth.callChanges.find((c) => c.op === 'removed' && c.path === null)!;
    const before = await all<{ id: number }>(t.app, '/api/regressions');
    const res = await post(t, '/api/fixes', {
      kind: 'presence', file: removal.file, function: removal.function, path: null, call: removal.call, note: 'flush the TLB on unmap',
    });
    expect(res.statusCode).toBe(201);
    const fix = res.json();
    expect(fix).toMatchObject({ kind: 'presence', file: removal.file, function: removal.function, call: removal.call, declared: true });
    expect(res.headers.location).toBe(`/api/fixes/${fix.id}`);
    expect((await t.app.inject(`/api/fixes/${fix.id}`)).json()).toEqual(fix);
    expect((await all<{ id: number }>(t.app, '/api/fixes?declared=true')).map((f) => f.id)).toContain(fix.id);
    const events = await all<{ type: string; link: string | null }>(t.app, '/api/events?type=fix.known');
    expect(events.some((e) => e.link === `/api/fixes/${fix.id}`)).toBe(true);
    // the patch that removes it is now a regression of it
    const after = await all<{ id: number; fix: { id: number }; removedBy: { messageId: string }[] }>(t.app, '/api/regressions');
    expect(after.length).toBe(before.length + 1);
    const reg = after.find((r) => r.fix.id === fix.id)!;
    expect(reg.removedBy.map((m) => m.messageId)).toContain(bare(removal.messageId));

    // declaring it again changes nothing but the note
    const again = await post(t, '/api/fixes', { kind: 'presence', file: removal.file, function: removal.function, call: removal.call, note: 'again' });
    expect(again.statusCode).toBe(201);
    expect(again.json().id).toBe(fix.id);
    expect((await all(t.app, '/api/regressions')).length).toBe(after.length);
  });

  it('declares an order fix with the calls it must precede', async () => {
    const o1 = truth.knownFixes.find((f) => f.kind === 'order')!;
    const res = await post(t, '/api/fixes', {
      kind: 'order', file: 'drivers/iommu/amd_iommu_init.c', function: o1.function, path: 'init', call: o1.call, before: o1.before,
      introducedBy: `<${bare(o1.introducedBy)}>`,
    });
    expect([201, 202]).toContain(res.statusCode);
    if (res.statusCode === 201) expect(res.json()).toMatchObject({ kind: 'order', call: o1.call, before: o1.before });
  });
});

describe('POST /api/regressions/:id/acknowledge', () => {
  it('acknowledges an open regression: it reads acknowledged, leaves status=open, shows in health and events', async () => {
    const open = await all<{ id: number; key: string }>(t.app, '/api/regressions?status=open');
    const h0 = (await t.app.inject('/api/health')).json();
    const res = await post(t, `/api/regressions/${open[0].id}/acknowledge`, { reason: 'intended: the flush moved to the caller', by: 'maintainer' });
    expect(res.statusCode).toBe(200);
    const r = res.json();
    expect(r.status).toBe('acknowledged');
    expect(r.acknowledged).toMatchObject({ reason: 'intended: the flush moved to the caller', by: 'maintainer', at: expect.stringMatching(/Z$/) });
    expect((await t.app.inject(`/api/regressions/${open[0].id}`)).json()).toEqual(r);
    const nowOpen = await all<{ id: number }>(t.app, '/api/regressions?status=open');
    expect(nowOpen.map((x) => x.id)).not.toContain(open[0].id);
    expect((await all<{ id: number }>(t.app, '/api/regressions?status=acknowledged')).map((x) => x.id)).toEqual([open[0].id]);
    const h1 = (await t.app.inject('/api/health')).json();
    expect(h1.regressions.open).toBe(h0.regressions.open - 1);
    expect(h1.regressions.acknowledged).toBe(h0.regressions.acknowledged + 1);
    const ev = await all<{ type: string; ref: string; link: string }>(t.app, '/api/events?type=regression.acknowledged');
    expect(ev.at(-1)).toMatchObject({ ref: open[0].key, link: `/api/regressions/${open[0].id}` });
  });

  it('keeps a resolved regression resolved (resolved wins over acknowledged)', async () => {
    const resolved = await all<{ id: number }>(t.app, '/api/regressions?status=resolved');
    const res = await post(t, `/api/regressions/${resolved[0].id}/acknowledge`, { reason: 'seen' });
    expect(res.statusCode).toBe(200);
    expect(res.json().status).toBe('resolved');
    expect(res.json().acknowledged.reason).toBe('seen');
  });

  it('is a 404 for an unknown regression and a 400 without a reason', async () => {
    expect((await post(t, '/api/regressions/99999/acknowledge', { reason: 'x' })).statusCode).toBe(404);
    const noReason = await post(t, '/api/regressions/1/acknowledge', {});
    expect(noReason.statusCode).toBe(400);
    expect(noReason.json().message).toContain('reason');
    const empty = await post(t, '/api/regressions/1/acknowledge', { reason: '' });
    expect(empty.statusCode).toBe(400);
    expect((await post(t, '/api/regressions/x/acknowledge', { reason: 'x' })).statusCode).toBe(400);
  });
});

describe('while another process holds the write lock', () => {
  it('reads still answer (WAL), and a write that cannot get the lock is a 503 with Retry-After, not a 500', async () => {
    const other = new Database(t.dbPath);
    t.db.pragma('busy_timeout = 100');
    try {
      other.exec('BEGIN IMMEDIATE');
      other.prepare("INSERT INTO meta (key, value) VALUES ('lock-test', '1')").run();
      expect((await t.app.inject('/api/regressions?status=resolved')).statusCode).toBe(200);
      const res = await post(t, '/api/regressions/1/acknowledge', { reason: 'while locked' });
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('5');
      expect(res.json().message).toMatch(/busy/);
      other.exec('ROLLBACK');
      expect((await post(t, '/api/regressions/1/acknowledge', { reason: 'after the lock' })).statusCode).toBe(200);
    } finally {
      if (other.inTransaction) other.exec('ROLLBACK');
      other.close();
      t.db.pragma('busy_timeout = 10000');
    }
  });
});
