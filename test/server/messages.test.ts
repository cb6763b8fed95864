// Health, messages, threads and the quarantine over the sample corpus, checked against truth.json.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { all, bare, buildTestApp, enc, truth, type TestApp } from '../helper.ts';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(async () => {
  await t?.close();
});

const get = (url: string) => t.app.inject(url);

/** A message row and its raw bytes, as the store would write them, without going through ingest. */
function insertBare(id: string, raw: string): void {
  const r = t.db.prepare(`INSERT INTO messages (message_id, list, kind, source, offset, size, ingested_at)
    VALUES (?, 'kexec', 'other', 'test', 0, 0, ?)`).run(id, new Date().toISOString());
  t.db.prepare('INSERT INTO message_bodies (id, raw) VALUES (?, ?)').run(r.lastInsertRowid, Buffer.from(raw));
}

describe('GET /api/health', () => {
  it('counts every unique message, plus the one stored under a synthetic id', async () => {
    const res = await get('/api/health');
    expect(res.statusCode).toBe(200);
    const h = res.json();
    expect(h.status).toBe('ok');
    expect(h.messages).toBe(truth.counts.uniqueMessageIds + truth.noMessageId.length);
    expect(h.patches).toBe(truth.patches.length);
    expect(h.quarantined).toBe(1);
    expect(h.regressions.open).toBe((await all(t.app, '/api/regressions?status=open')).length);
    expect(h.regressions.open + h.regressions.resolved + h.regressions.acknowledged).toBe((await all(t.app, '/api/regressions')).length);
    expect(h.series).toBeGreaterThanOrEqual(truth.series.length);
    expect(h.digest).toEqual({ failures: 0 });
    expect(h.newestMessage).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    expect(h.fixes).toBeGreaterThan(0);
  });
});

describe('GET /api/messages/:messageId', () => {
  it('finds every truth message, patches with isPatch true and the rest false', async () => {
    for (const id of truth.patches) {
      const res = await get(`/api/messages/${enc(id)}`);
      expect(res.statusCode, id).toBe(200);
      expect(res.json().isPatch, id).toBe(true);
      expect(res.json().messageId).toBe(bare(id));
    }
    for (const id of truth.notPatches) {
      const res = await get(`/api/messages/${enc(id)}`);
      expect(res.statusCode, id).toBe(200);
      expect(res.json().isPatch, id).toBe(false);
    }
  });

  it('answers with the documented fields', async () => {
    const m = (await get(`/api/messages/${enc(truth.series[0].patches[0])}`)).json();
    expect(m).toMatchObject({ messageId: bare(truth.series[0].patches[0]), list: expect.any(String), isPatch: true, kind: 'patch' });
    expect(m.from).toEqual({ name: expect.any(String), email: expect.stringContaining('@') });
    expect(m.date).toMatch(/Z$/);
    expect(typeof m.threadId).toBe('number');
    expect(typeof m.seriesId).toBe('number');
    expect(m).toHaveProperty('inReplyTo');
  });

  it('takes the id with angle brackets too', async () => {
    const res = await get(`/api/messages/${encodeURIComponent(truth.patches[0])}`);
    expect(res.statusCode).toBe(200);
  });

  it('stores the orphan reply threaded, and the message with an unparseable date with date null', async () => {
    const o = (await get(`/api/messages/${enc(truth.orphans[0])}`)).json();
    expect(o.threadId).not.toBeNull();
    const bd = await get(`/api/messages/${enc(truth.badDate[0])}`);
    expect(bd.statusCode).toBe(200);
    expect(bd.json().date).toBeNull();
  });

  it('is a 404 for an unknown id, naming it', async () => {
    const res = await get(`/api/messages/${encodeURIComponent('no-such-id@example')}`);
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ statusCode: 404, error: 'Not Found', message: expect.stringContaining('no-such-id@example') });
  });

  it('finds ids holding /, + and $ when URL-encoded', async () => {
    const id = 'odd/id+with$chars=@example';
    insertBare(id, 'Message-ID: <x>\n\nhi\n');
    try {
      const res = await get(`/api/messages/${encodeURIComponent(id)}`);
      expect(res.statusCode).toBe(200);
      expect(res.json().messageId).toBe(id);
      expect((await get(`/api/messages/${encodeURIComponent(id)}/raw`)).statusCode).toBe(200);
    } finally {
      t.db.prepare('DELETE FROM messages WHERE message_id = ?').run(id);
    }
  });
});

describe('GET /api/messages/:messageId/raw and /mbox', () => {
  it('serves the original bytes as message/rfc822', async () => {
    const res = await get(`/api/messages/${enc(truth.patches[0])}/raw`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^message\/rfc822/);
    expect(res.body).toMatch(/^Message-ID:\s*<[^>]+>/im);
    expect(res.body).toContain(bare(truth.patches[0]));
  });

  it('keeps the bytes of a mail with a UTF-8 name exactly', async () => {
    const id = truth.mislabeledCharset[0].messageId;
    const res = await get(`/api/messages/${enc(id)}/raw`);
    const row = t.db.prepare('SELECT b.raw FROM messages m JOIN message_bodies b ON b.id = m.id WHERE m.message_id = ?').get(bare(id)) as { raw: Buffer };
    expect(res.rawPayload.equals(row.raw)).toBe(true);
  });

  it('serves an mboxrd file with the From_ line and >From escaping', async () => {
    const id = 'mboxrd-test@example';
    const raw = 'Message-ID: <mboxrd-test@example>\nSubject: t\n\nFrom here\n>From there\nnot From\n';
    insertBare(id, raw);
    try {
      const res = await get(`/api/messages/${enc(id)}/mbox`);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/mbox/);
      expect(res.body.startsWith('From mboxrd@z Thu Jan  1 00:00:00 1970\n')).toBe(true);
      expect(res.body).toContain('\n>From here\n>>From there\nnot From\n');
    } finally {
      t.db.prepare('DELETE FROM messages WHERE message_id = ?').run(id);
    }
  });

  it('is a 404 for an unknown id', async () => {
    expect((await get('/api/messages/nope%40x/raw')).statusCode).toBe(404);
    expect((await get('/api/messages/nope%40x/mbox')).statusCode).toBe(404);
  });
});

describe('GET /api/messages', () => {
  it('pages through every message once, in date order', async () => {
    const items = await all<{ messageId: string; date: string | null }>(t.app, '/api/messages', 37);
    expect(items.length).toBe(truth.counts.uniqueMessageIds + truth.noMessageId.length);
    expect(new Set(items.map((m) => m.messageId)).size).toBe(items.length);
    const dated = items.map((m) => m.date).filter((d): d is string => d !== null);
    expect([...dated].sort()).toEqual(dated);
  });

  it('filters by since/until (until of a bare date includes that day)', async () => {
    const items = await all<{ date: string }>(t.app, '/api/messages?since=2010-03-01&until=2010-03-31', 50);
    expect(items.length).toBeGreaterThan(0);
    for (const m of items) expect(m.date >= '2010-03-01' && m.date < '2010-04-01').toBe(true);
    const wide = await all<{ date: string }>(t.app, '/api/messages?since=2010-03-01T00:00:00Z&until=2010-04-01T00:00:00Z', 50);
    expect(wide.length).toBe(items.length);
  });

  it('filters by sender, subject words, list and kind', async () => {
    const from = await all<{ from: { email: string } }>(t.app, '/api/messages?from=vgold@redhat.example');
    expect(from.length).toBeGreaterThan(0);
    for (const m of from) expect(m.from.email).toBe('vgold@redhat.example');
    const part = await all<{ from: { email: string; name: string } }>(t.app, '/api/messages?from=vgold');
    expect(part.length).toBe(from.length);
    const q = await all<{ subject: string }>(t.app, '/api/messages?q=FLUSH');
    expect(q.length).toBeGreaterThan(0);
    for (const m of q) expect(m.subject.toLowerCase()).toContain('flush');
    expect((await all(t.app, '/api/messages?q=100%25_none'))).toEqual([]);
    const covers = await all<{ kind: string }>(t.app, '/api/messages?kind=cover');
    expect(covers.length).toBeGreaterThanOrEqual(truth.series.filter((s) => s.cover).length);
    expect((await all(t.app, '/api/messages?list=no-such-list'))).toEqual([]);
  });

  it('refuses bad parameters with a 400 naming them', async () => {
    for (const [q, param] of [['limit=abc', 'limit'], ['limit=0', 'limit'], ['limit=501', 'limit'], ['since=yesterday', 'since'],
      ['until=2010-13-01', 'until'], ['kind=mail', 'kind'], ['cursor=%21%21', 'cursor'], ['cursor=eyJ4IjoxfQ', 'cursor']]) {
      const res = await get(`/api/messages?${q}`);
      expect(res.statusCode, q).toBe(400);
      expect(res.json().message, q).toContain(param);
      expect(res.json().error).toBe('Bad Request');
    }
  });

  it('does not take a cursor from another list', async () => {
    const c = (await get('/api/series?limit=1')).json().nextCursor;
    const res = await get(`/api/messages?cursor=${encodeURIComponent(c)}`);
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toContain('cursor');
  });
});

describe('GET /api/threads/:id', () => {
  it('holds every truth thread, messages in thread order with parents first', async () => {
    for (const th of truth.threads) {
      const m = (await get(`/api/messages/${enc(th.members[0])}`)).json();
      const res = await get(`/api/threads/${m.threadId}`);
      expect(res.statusCode).toBe(200);
      const thread = res.json();
      const ids = thread.messages.map((x: { messageId: string }) => x.messageId);
      for (const id of th.members) expect(ids).toContain(bare(id));
      const pos = new Map<string, number>(ids.map((id: string, i: number) => [id, i]));
      for (const x of thread.messages) {
        expect(x).toMatchObject({ messageId: expect.any(String), subject: expect.any(String), isPatch: expect.any(Boolean) });
        if (x.parent && pos.has(x.parent)) expect(pos.get(x.parent)!).toBeLessThan(pos.get(x.messageId)!);
      }
      expect(thread.id).toBe(m.threadId);
    }
  });

  it('is a 404 for an unknown thread and a 400 for a non-number', async () => {
    expect((await get('/api/threads/999999')).statusCode).toBe(404);
    const bad = await get('/api/threads/abc');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toContain("'id'");
  });
});

describe('GET /api/quarantine', () => {
  it('lists the junk message with a reason, and serves its bytes', async () => {
    const res = await get('/api/quarantine');
    expect(res.statusCode).toBe(200);
    const { items } = res.json();
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ id: expect.any(Number), reason: expect.any(String), source: expect.any(String), offset: expect.any(Number), size: expect.any(Number) });
    expect(items[0].reason.length).toBeGreaterThan(0);
    const one = await get(`/api/quarantine/${items[0].id}`);
    expect(one.json()).toEqual(items[0]);
    const raw = await get(`/api/quarantine/${items[0].id}/raw`);
    expect(raw.statusCode).toBe(200);
    expect(raw.rawPayload.length).toBe(items[0].size);
    expect((await get('/api/quarantine/999/raw')).statusCode).toBe(404);
    expect((await get('/api/quarantine/999')).statusCode).toBe(404);
  });
});
