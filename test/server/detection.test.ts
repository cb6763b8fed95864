// The call index, known fixes and regressions through the API, checked against truth.json; the Atom feed and
// the event feed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { all, bare, buildTestApp, truth, type TestApp } from '../helper.ts';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(async () => {
  await t?.close();
});

const get = (url: string) => t.app.inject(url);

interface CC { messageId: string; seriesId: number | null; date: string | null; file: string; function: string | null; path: string | null; call: string; op: string; line: string }
const key = (c: Pick<CC, 'messageId' | 'file' | 'function' | 'path' | 'call' | 'op'>) => [bare(c.messageId), c.file, c.function, c.path ?? null, c.call, c.op].join('|');

describe('GET /api/call-changes', () => {
  it('is exactly the call changes truth lists', async () => {
    const items = await all<CC>(t.app, '/api/call-changes', 5);
    expect(new Set(items.map(key))).toEqual(new Set(truth.callChanges.map(key)));
    for (const c of items) {
      expect(c.line).toContain(c.call);
      expect(c.date).toMatch(/Z$/);
      expect(c.seriesId).toEqual(expect.any(Number));
    }
  });

  it('filters by path, op, file, function, call; path=null gives the unclassified ones', async () => {
    const cases: [string, (c: Truth['callChanges'][number]) => boolean][] = [
      ['path=init', (c) => c.path === 'init'],
      ['path=shutdown&op=removed', (c) => c.path === 'shutdown' && c.op === 'removed'],
      ['path=null', (c) => c.path === null],
      [`file=${encodeURIComponent(truth.callChanges[0].file)}`, (c) => c.file === truth.callChanges[0].file],
      [`function=${truth.callChanges[0].function}&call=${truth.callChanges[0].call}`, (c) => c.function === truth.callChanges[0].function && c.call === truth.callChanges[0].call],
      ['file=drivers%2F*', (c) => c.file.startsWith('drivers/')],
    ];
    for (const [q, want] of cases) {
      const got = await all<CC>(t.app, `/api/call-changes?${q}`, 50);
      expect(new Set(got.map(key)), q).toEqual(new Set(truth.callChanges.filter(want).map(key)));
    }
  });

  it('filters by date', async () => {
    const got = await all<CC>(t.app, '/api/call-changes?since=2010-01-01&until=2010-06-30', 50);
    for (const c of got) expect(c.date! >= '2010-01-01' && c.date! < '2010-07-01').toBe(true);
    const every = await all<CC>(t.app, '/api/call-changes', 50);
    expect(got.length).toBe(every.filter((c) => c.date! >= '2010-01-01' && c.date! < '2010-07-01').length);
  });

  it('refuses bad parameters with a 400 naming them', async () => {
    for (const [q, param] of [['limit=abc', 'limit'], ['op=moved', 'op'], ['since=yesterday', 'since'], ['until=2010-02-30', 'until']]) {
      const res = await get(`/api/call-changes?${q}`);
      expect(res.statusCode, q).toBe(400);
      expect(res.json().message, q).toContain(param);
    }
  });
});

type Truth = typeof truth;

describe('GET /api/order-changes', () => {
  it('has the order fix and the patch that undoes it, with nowBefore/nowAfter', async () => {
    const items = await all<{ messageId: string; function: string; call: string; nowBefore: string[]; nowAfter: string[] }>(t.app, '/api/order-changes');
    const o1 = truth.knownFixes.find((f) => f.kind === 'order')!;
    const fix = items.find((x) => x.messageId === bare(o1.introducedBy))!;
    expect(fix).toMatchObject({ function: o1.function, call: o1.call });
    expect([...fix.nowBefore].sort()).toEqual([...o1.before!].sort());
    const r4 = truth.regressions.find((r) => r.fix === 'O1')!;
    const undo = items.find((x) => x.messageId === bare(r4.removedBy[0]))!;
    expect(undo.nowAfter.length).toBeGreaterThan(0);
    const filtered = await all(t.app, `/api/order-changes?function=${o1.function}&call=${o1.call}`);
    expect(filtered.length).toBe(items.filter((x) => x.function === o1.function && x.call === o1.call).length);
  });
});

interface FixItem { id: number; kind: string; file: string; function: string | null; path: string | null; call: string; before: string[]; status: string; introducedBy: { messageId: string; subject: string; date: string | null } | null; history: unknown[]; declared: boolean; movedFrom: number | null; movedTo: number | null }

describe('GET /api/fixes', () => {
  const renamed = (file: string) => [file, ...truth.renames.filter((r) => r.from === file).map((r) => r.to)];
  const matches = (f: FixItem, w: Truth['knownFixes'][number]) =>
    renamed(w.file).includes(f.file) && f.function === w.function && f.path === w.path && f.call === w.call;

  it('finds every known fix of truth, introduced by the adding message', async () => {
    const items = await all<FixItem>(t.app, '/api/fixes');
    for (const w of truth.knownFixes) {
      const f = items.find((x) => matches(x, w) && x.introducedBy?.messageId === bare(w.introducedBy));
      expect(f, w.key).toBeDefined();
      expect(f!.kind).toBe(w.kind ?? 'presence');
      if (w.before) expect(f!.before).toEqual(w.before);
      expect(f!.introducedBy!.subject.length).toBeGreaterThan(0);
    }
  });

  it('links a moved fix to where it went, both ways', async () => {
    const items = await all<FixItem>(t.app, '/api/fixes');
    for (const w of truth.knownFixes.filter((x) => x.movedTo)) {
      const from = items.find((x) => matches(x, w))!;
      const to = items.find((x) => matches(x, truth.knownFixes.find((k) => k.key === w.movedTo)!))!;
      expect(from.status).toBe('moved');
      expect(from.movedTo).toBe(to.id);
      expect(to.movedFrom).toBe(from.id);
      expect((await get(`/api/fixes/${to.id}`)).json()).toEqual(to);
    }
  });

  it('filters by status, path, call, kind', async () => {
    const items = await all<FixItem>(t.app, '/api/fixes');
    for (const q of ['status=active', 'status=moved', 'path=init', 'path=shutdown', 'kind=order', `call=${truth.knownFixes[0].call}`]) {
      const [k, v] = q.split('=') as [keyof FixItem, string];
      const got = await all<FixItem>(t.app, `/api/fixes?${q}`);
      expect(got.map((f) => f.id), q).toEqual(items.filter((f) => String(f[k]) === v).map((f) => f.id));
    }
    expect((await get('/api/fixes?status=gone')).json().message).toContain('status');
    expect((await get('/api/fixes/99999')).statusCode).toBe(404);
  });

  it('does not take unaccepted additions for fixes', async () => {
    const items = await all<FixItem>(t.app, '/api/fixes');
    const unaccepted = truth.callChanges.filter((c) => c.op === 'added' && c.path &&
      !truth.knownFixes.some((f) => f.function === c.function && f.call === c.call && f.path === c.path));
    for (const c of unaccepted) expect(items.some((f) => f.introducedBy?.messageId === bare(c.messageId))).toBe(false);
  });
});

interface RegItem {
  id: number; status: string; fix: { id: number; kind: string; call: string; file: string; introducedBy: { messageId: string } | null };
  removedBy: { messageId: string; subject: string; date: string; author: { email: string }; version: number }[];
  evidence: string[]; firstSeen: string; resolvedBy: string | null; resolution: string | null; related: string[]; acknowledged: unknown;
}

describe('GET /api/regressions', () => {
  it('reports every truth regression with all removing versions, status and re-fix, and nothing else', async () => {
    const items = await all<RegItem>(t.app, '/api/regressions', 2);
    for (const w of truth.regressions) {
      const g = items.find((x) => x.removedBy.some((m) => w.removedBy.map(bare).includes(m.messageId)));
      expect(g, w.key).toBeDefined();
      expect(g!.removedBy.map((m) => m.messageId).sort(), w.key).toEqual(w.removedBy.map(bare).sort());
      expect(g!.status, w.key).toBe(w.status);
      if (w.resolvedBy) expect(g!.resolvedBy, w.key).toBe(bare(w.resolvedBy));
      if (w.resolution) expect(g!.resolution, w.key).toBe(w.resolution);
      expect(g!.evidence.length).toBeGreaterThan(0);
      expect(g!.removedBy[0]).toMatchObject({ subject: expect.any(String), author: { email: expect.any(String) }, version: expect.any(Number) });
    }
    expect(items.length).toBe(truth.regressions.length);
  });

  it('status=open gives the open ones of truth; resolved the resolved', async () => {
    const open = await all<RegItem>(t.app, '/api/regressions?status=open');
    expect(open.length).toBe(truth.regressions.filter((r) => r.status === 'open').length);
    expect(open.every((r) => r.status === 'open')).toBe(true);
    const resolved = await all<RegItem>(t.app, '/api/regressions?status=resolved');
    expect(resolved.length).toBe(truth.regressions.filter((r) => r.status === 'resolved').length);
    expect(await all(t.app, '/api/regressions?status=acknowledged')).toEqual([]);
  });

  it('links the regression to the fix and to the re-fix candidates', async () => {
    const items = await all<RegItem>(t.app, '/api/regressions');
    for (const r of items) {
      const fix = (await get(`/api/fixes/${r.fix.id}`)).json();
      expect(fix.call).toBe(r.fix.call);
      expect((await get(`/api/regressions/${r.id}`)).json()).toEqual(r);
    }
    for (const c of truth.refixCandidates ?? []) {
      const k = truth.knownFixes.find((f) => f.key === c.regressionOf)!;
      const regs = items.filter((r) => r.fix.call === k.call);
      expect(regs.some((r) => r.related.includes(bare(c.patch))), c.patch).toBe(true);
    }
  });

  it('filters by first-seen date, and refuses bad parameters', async () => {
    const items = await all<RegItem>(t.app, '/api/regressions');
    const late = await all<RegItem>(t.app, '/api/regressions?since=2010-06-01');
    expect(late.map((r) => r.id)).toEqual(items.filter((r) => r.firstSeen >= '2010-06-01').map((r) => r.id));
    const early = await all<RegItem>(t.app, '/api/regressions?until=2010-05-31');
    expect(early.length + late.length).toBe(items.length);
    for (const [q, param] of [['status=closed', 'status'], ['since=yesterday', 'since'], ['limit=abc', 'limit'], ['limit=1000', 'limit']]) {
      const res = await get(`/api/regressions?${q}`);
      expect(res.statusCode, q).toBe(400);
      expect(res.json().message, q).toContain(param);
    }
    expect((await get('/api/regressions/424242')).statusCode).toBe(404);
    expect((await get('/api/regressions/abc')).statusCode).toBe(400);
  });
});

describe('GET /api/regressions.atom', () => {
  it('is an Atom feed, newest first, with every regression and escaped text', async () => {
    const res = await get('/api/regressions.atom');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/atom\+xml/);
    const xml = res.body;
    expect(xml.startsWith('<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">')).toBe(true);
    const entries = xml.split('<entry>').slice(1);
    expect(entries.length).toBe(truth.regressions.length);
    const dates = entries.map((e) => /<published>([^<]+)<\/published>/.exec(e)![1]);
    expect([...dates].sort().reverse()).toEqual(dates);
    // no raw markup characters inside text: every & starts an entity, no < inside element text
    for (const m of xml.matchAll(/>([^<]*)</g)) expect(m[1]).not.toMatch(/&(?!(amp|lt|gt|quot|apos);)/);
    expect(xml).toContain('<link rel="alternate" type="text/html" href="http://localhost:80/regressions/');
    const open = await get('/api/regressions.atom?status=open');
    expect(open.body.split('<entry>').length - 1).toBe(truth.regressions.filter((r) => r.status === 'open').length);
  });

  it('escapes markup that comes from mail', async () => {
    const id = (await all<RegItem>(t.app, '/api/regressions'))[0].removedBy[0].messageId;
    const old = t.db.prepare('SELECT subject FROM messages WHERE message_id = ?').get(id) as { subject: string };
    t.db.prepare('UPDATE messages SET subject = ? WHERE message_id = ?').run('<script>alert("x")</script> & \u0001 co', id);
    try {
      const xml = (await get('/api/regressions.atom')).body;
      expect(xml).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp;  co');
      expect(xml).not.toContain('<script>');
      expect(xml).not.toContain('\u0001');
    } finally {
      t.db.prepare('UPDATE messages SET subject = ? WHERE message_id = ?').run(old.subject, id);
    }
  });
});

describe('GET /api/events', () => {
  it('is a feed by id with links, pageable and filterable by type', async () => {
    const every = await all<{ id: number; type: string; ref: string; link: string | null; at: string }>(t.app, '/api/events', 100);
    const ids = every.map((e) => e.id);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    const types = new Set(every.map((e) => e.type));
    for (const ty of ['message.ingested', 'message.quarantined', 'fix.known', 'regression.opened']) expect(types).toContain(ty);
    const regs = await all<{ type: string; link: string }>(t.app, '/api/events?type=regression.');
    expect(regs.length).toBeGreaterThanOrEqual(truth.regressions.length);
    for (const e of regs) {
      expect(e.type.startsWith('regression.')).toBe(true);
      expect(e.link).toMatch(/^\/api\/regressions\/\d+$/);
      expect((await get(e.link)).statusCode).toBe(200);
    }
    const q = every.find((e) => e.type === 'message.quarantined')!;
    expect((await get(q.link!)).statusCode).toBe(200);
    const last = ids[ids.length - 5];
    const after = await all<{ id: number }>(t.app, `/api/events?after=${last}`);
    expect(after.map((e) => e.id)).toEqual(ids.slice(-4));
    expect((await get('/api/events?since=2999-01-01')).json().items).toEqual([]);
    expect((await get('/api/events?after=-1')).statusCode).toBe(400);
    expect((await get('/api/events?since=soon')).json().message).toContain('since');
  });
});
