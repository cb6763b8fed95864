// HTTP behaviour shared by every route: errors, hostile URLs, ETags, security headers, rate limit, OpenAPI, and
// one run over a real loopback socket.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../server/app.ts';
import { makeContext } from '../../server/serve.ts';
import { bare, buildTestApp, enc, truth, type TestApp } from '../helper.ts';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(async () => {
  await t?.close();
});

const get = (url: string, headers: Record<string, string> = {}) => t.app.inject({ url, headers });

const LISTS = ['/api/messages', '/api/patches', '/api/series', '/api/call-changes', '/api/order-changes', '/api/fixes', '/api/regressions', '/api/quarantine', '/api/events'];

describe('bad input is a 4xx, never a 500', () => {
  it('every list refuses limit=abc, limit=0, limit=501 and a forged cursor with a 400 naming the parameter', async () => {
    for (const l of LISTS) {
      for (const q of ['limit=abc', 'limit=0', 'limit=501', 'limit=1.5']) {
        const res = await get(`${l}?${q}`);
        expect(res.statusCode, `${l}?${q}`).toBe(400);
        expect(res.json(), `${l}?${q}`).toMatchObject({ statusCode: 400, error: 'Bad Request', message: expect.stringContaining('limit') });
      }
      for (const c of ['bm90LWpzb24', 'WyJ4IiwxXQ', '%00', 'a'.repeat(1100)]) {
        const res = await get(`${l}?cursor=${c}`);
        expect(res.statusCode, `${l}?cursor=${c}`).toBe(400);
        expect(res.json().message).toContain('cursor');
      }
    }
  });

  it('lists with dates refuse since=yesterday naming it', async () => {
    for (const l of ['/api/messages', '/api/patches', '/api/series', '/api/call-changes', '/api/order-changes', '/api/regressions', '/api/events']) {
      const res = await get(`${l}?since=yesterday`);
      expect(res.statusCode, l).toBe(400);
      expect(res.json().message, l).toMatch(/'since'.*date/);
    }
  });

  it('unknown ids are 404s with a JSON body', async () => {
    for (const u of ['/api/messages/x%40y', '/api/patches/x%40y', '/api/patches/x%40y/diff', '/api/series/77777', '/api/threads/77777',
      '/api/fixes/77777', '/api/regressions/77777', '/api/quarantine/77777', '/api/no-such-route']) {
      const res = await get(u);
      expect(res.statusCode, u).toBe(404);
      expect(res.json().statusCode).toBe(404);
    }
  });

  it('bad percent-encoding and invalid UTF-8 in the path are 400s', async () => {
    for (const u of ['/api/messages/%E0%A4%A', '/api/messages/%C3%28', '/api/messages/%FF%FE', '/api/patches/%ZZ/diff']) {
      const res = await get(u);
      expect(res.statusCode, u).toBe(400);
      expect(res.json()).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    }
  });

  it('bad percent-encoding and invalid UTF-8 in the query string are 400s', async () => {
    for (const q of ['q=%FF%FE%FD', 'q=%E0%A4%A', 'q=%', 'q=%C3%28', 'limit=5&q=%E2%82&x=%AC']) {
      const res = await get(`/api/messages?${q}`);
      expect(res.statusCode, q).toBe(400);
      expect(res.json().message).toMatch(/query string/);
    }
    expect((await get('/api/messages?q=%C3%A9t%C3%A9')).statusCode).toBe(200);
  });

  it('odd query strings do not break anything', async () => {
    for (const q of ['from=%00', 'q=' + encodeURIComponent("'; DROP TABLE messages; --"), 'q=%25%5F', 'list=a&list=b', '&&&=&']) {
      const res = await get(`/api/messages?${q}`);
      expect([200, 400], q).toContain(res.statusCode);
    }
    expect((await get('/api/health')).json().messages).toBe(truth.counts.uniqueMessageIds + truth.noMessageId.length);
  });

  it('absurdly long paths and query strings are refused with a 414', async () => {
    const longPath = await get(`/api/messages/${'a'.repeat(3000)}%40x`);
    expect(longPath.statusCode).toBe(414);
    expect(longPath.json().error).toBe('URI Too Long');
    const longQuery = await get(`/api/messages?q=${'a'.repeat(10_000)}`);
    expect(longQuery.statusCode).toBe(414);
    const longish = await get(`/api/messages?q=${'a'.repeat(300)}`);
    expect(longish.statusCode).toBe(400);
    expect(longish.json().message).toContain("'q'");
    // a long but sane Message-ID still routes
    expect((await get(`/api/messages/${'b'.repeat(900)}%40example`)).statusCode).toBe(404);
  });

  it('a 500 is logged with method, URL and params, and the client gets a plain message', async () => {
    const lines: string[] = [];
    const stream = { write: (s: string) => lines.push(s) };
    const ctx = makeContext(t.db, t.ctx.settings);
    const app = await buildApp(ctx, { logger: { level: 'error', stream } });
    app.get('/api/test-boom/:x', async () => {
      throw new Error('secret detail');
    });
    const res = await app.inject('/api/test-boom/42');
    await app.close();
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ statusCode: 500, error: 'Internal Server Error', message: 'Internal Server Error' });
    const log = JSON.parse(lines.find((l) => l.includes('secret detail'))!);
    expect(log).toMatchObject({ method: 'GET', url: '/api/test-boom/42', params: { x: '42' } });
  });
});

describe('ETag and If-None-Match', () => {
  it('lists, items, raw bytes and the feed answer 304 to a matching If-None-Match', async () => {
    for (const u of ['/api/health', '/api/regressions?status=open', `/api/messages/${enc(truth.patches[0])}`, `/api/messages/${enc(truth.patches[0])}/raw`,
      `/api/patches/${enc(truth.patches[0])}/diff`, '/api/regressions.atom', '/docs/json']) {
      const first = await get(u);
      expect(first.statusCode, u).toBe(200);
      const etag = first.headers.etag as string;
      expect(etag, u).toMatch(/^"[^"]+"$/);
      const again = await get(u, { 'if-none-match': etag });
      expect(again.statusCode, u).toBe(304);
      expect(again.body).toBe('');
      expect(again.headers.etag).toBe(etag);
      expect((await get(u, { 'if-none-match': `W/${etag}, "other"` })).statusCode).toBe(304);
      expect((await get(u, { 'if-none-match': '"stale"' })).statusCode).toBe(200);
    }
  });

  it('changes when the data does', async () => {
    const a = await get('/api/health');
    t.db.prepare("INSERT INTO events (at, type, ref, data) VALUES ('2030-01-01T00:00:00.000Z', 'test.event', 'x', '{}')").run();
    const b = await get('/api/health', { 'if-none-match': a.headers.etag as string });
    expect(b.statusCode).toBe(200);
    expect(b.headers.etag).not.toBe(a.headers.etag);
  });
});

describe('headers', () => {
  it('sends security headers with a CSP allowing only self for scripts and styles', async () => {
    const res = await get('/api/health');
    const csp = res.headers['content-security-policy'] as string;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("default-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
  });

  it('HEAD works on GET routes', async () => {
    const res = await t.app.inject({ method: 'HEAD', url: '/api/health' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('');
  });
});

describe('rate limit', () => {
  it('limits non-loopback clients and never loopback ones', async () => {
    const ctx = makeContext(t.db, { ...t.ctx.settings, rateLimit: { max: 3, timeWindow: '1 minute' } });
    const app = await buildApp(ctx);
    try {
      const codes: number[] = [];
      for (let i = 0; i < 5; i++) codes.push((await app.inject({ url: '/api/health', remoteAddress: '203.0.113.7' })).statusCode);
      expect(codes).toEqual([200, 200, 200, 429, 429]);
      const limited = await app.inject({ url: '/api/health', remoteAddress: '203.0.113.7' });
      expect(limited.json()).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
      expect(limited.headers['retry-after']).toBeDefined();
      expect((await app.inject({ url: '/api/health', remoteAddress: '203.0.113.8' })).statusCode).toBe(200);
      for (const ip of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) {
        for (let i = 0; i < 6; i++) expect((await app.inject({ url: '/api/health', remoteAddress: ip })).statusCode, ip).toBe(200);
      }
    } finally {
      await app.close();
    }
  });
});

describe('OpenAPI', () => {
  it('documents every API route from the TypeBox schemas at /docs/json', async () => {
    const res = await get('/docs/json');
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toMatch(/^3\./);
    for (const p of ['/api/health', '/api/messages', '/api/messages/{messageId}', '/api/messages/{messageId}/raw', '/api/messages/{messageId}/mbox',
      '/api/threads/{id}', '/api/patches', '/api/patches/{messageId}', '/api/patches/{messageId}/diff', '/api/series', '/api/series/{id}',
      '/api/call-changes', '/api/order-changes', '/api/fixes', '/api/fixes/{id}', '/api/regressions', '/api/regressions/{id}',
      '/api/regressions/{id}/acknowledge', '/api/regressions.atom', '/api/quarantine', '/api/quarantine/{id}/raw', '/api/events']) {
      expect(doc.paths, p).toHaveProperty([p]);
    }
    for (const s of ['Message', 'Patch', 'Series', 'Thread', 'CallChange', 'OrderChange', 'Fix', 'Regression', 'Event', 'Health', 'Error']) {
      expect(doc.components.schemas, s).toHaveProperty([s]);
    }
    expect(doc.components.schemas.Regression.properties).toHaveProperty('removedBy');
    const params = doc.paths['/api/regressions'].get.parameters.map((x: { name: string }) => x.name);
    expect(params).toEqual(expect.arrayContaining(['status', 'since', 'until', 'limit', 'cursor']));
    expect(doc.paths['/api/fixes'].post.security).toEqual([{ bearer: [] }]);
  });

  it('serves the Swagger UI at /docs with a CSP its own files satisfy', async () => {
    const res = await get('/docs');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('swagger-ui');
    const csp = res.headers['content-security-policy'] as string;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(res.body).not.toMatch(/<script>(?!\s*<\/script>)/);
    for (const src of res.body.matchAll(/(?:src|href)="(\/docs\/static\/[^"]+)"/g)) {
      expect((await get(src[1])).statusCode, src[1]).toBe(200);
    }
  });
});

describe('over a real loopback socket', () => {
  it('listens on 127.0.0.1, answers fetch, and closes', async () => {
    const ctx = makeContext(t.db, t.ctx.settings);
    const app = await buildApp(ctx);
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const h = await fetch(`${base}/api/health`);
      expect(h.status).toBe(200);
      expect(h.headers.get('content-type')).toMatch(/application\/json/);
      expect((await h.json()).status).toBe('ok');
      const m = await fetch(`${base}/api/messages/${enc(truth.patches[0])}`);
      expect((await m.json()).messageId).toBe(bare(truth.patches[0]));
      const etag = m.headers.get('etag')!;
      const again = await fetch(`${base}/api/messages/${enc(truth.patches[0])}`, { headers: { 'if-none-match': etag } });
      expect(again.status).toBe(304);
      const bad = await fetch(`${base}/api/call-changes?limit=abc`);
      expect(bad.status).toBe(400);
      expect((await bad.json()).message).toContain('limit');
      const raw = await fetch(`${base}/api/messages/${enc(truth.patches[0])}/raw`);
      expect(raw.headers.get('content-type')).toMatch(/^message\/rfc822/);
      expect(await raw.text()).toContain('Message-ID');
    } finally {
      await app.close();
    }
  });
});
