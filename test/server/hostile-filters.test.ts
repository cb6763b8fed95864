// Issue 13 item 1: no filter value can make a request take unbounded time. A `call` glob of many stars used to
// become a backtracking regular expression (`/?call=************Q` took 30 s and froze every other request);
// here it runs on a real loopback server while /api/health must still answer within a second.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve, type Server } from '../../server/serve.ts';
import { starMatcher } from '../../server/data/common.ts';
import { corpusDb } from '../helper.ts';

describe('starMatcher (only * is special)', () => {
  // reference: the regex it replaces, on inputs small enough for backtracking not to matter
  const viaRegex = (p: string, t: string) =>
    new RegExp('^' + p.split('*').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$', 's').test(t);

  it('agrees with the glob-as-regex reading on every pattern and text over a small alphabet', () => {
    const alphabet = ['a', 'b', '*', '.'];
    const words = (n: number): string[] => (n === 0 ? [''] : words(n - 1).flatMap((w) => alphabet.map((c) => w + c)));
    const patterns = [0, 1, 2, 3, 4].flatMap(words);
    const texts = [0, 1, 2, 3, 4].flatMap(words).filter((t) => !t.includes('*'));
    let checked = 0;
    for (const p of patterns) {
      const m = starMatcher(p);
      for (const t of texts) {
        expect(m(t), `${p} ~ ${t}`).toBe(viaRegex(p, t));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(40_000);
  });

  it('takes literal text literally and a lone star as everything', () => {
    expect(starMatcher('iommu_flush_all_caches')('iommu_flush_all_caches')).toBe(true);
    expect(starMatcher('iommu_flush_all')('iommu_flush_all_caches')).toBe(false);
    expect(starMatcher('*flush*')('amd_iommu_flush_all')).toBe(true);
    expect(starMatcher('*')('')).toBe(true);
    expect(starMatcher('a.c')('abc')).toBe(false);
  });
});

describe('a hostile call filter on a real server', () => {
  let server: Server;
  let dir: string;
  beforeAll(async () => {
    const c = await corpusDb();
    c.db.close();
    dir = c.dir;
    process.env.RELAPSE_LOG_LEVEL = 'silent';
    server = await serve({ db: c.dbPath, host: '127.0.0.1', port: 0, schedule: false, handleSignals: false });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('/api/health answers within a second while /?call=<many stars>Q runs', async () => {
    const open = (await (await fetch(`${server.url}/api/regressions?status=open`)).json()) as { items: { fix: { call: string } }[] };
    expect(open.items.length).toBeGreaterThan(0); // there are calls for the pattern to be tried against
    const hostile = ['*'.repeat(14) + 'Q', '*a'.repeat(120) + 'Q', '*' + '_*'.repeat(100) + 'Q'];
    const slow = hostile.map((p) => fetch(`${server.url}/?call=${encodeURIComponent(p)}`).then(async (r) => ({ status: r.status, body: await r.text() })));
    await new Promise((r) => setTimeout(r, 20)); // the hostile requests are in
    const t0 = performance.now();
    const h = await fetch(`${server.url}/api/health`, { signal: AbortSignal.timeout(5000) });
    const ms = performance.now() - t0;
    expect(h.status).toBe(200);
    expect(ms).toBeLessThan(1000);
    for (const r of await Promise.all(slow)) expect(r.status).toBe(200);
    // and the star filter still means what it says
    const call = open.items[0].fix.call;
    const page = await (await fetch(`${server.url}/?call=${encodeURIComponent('*' + call.slice(2, -2) + '*')}`)).text();
    expect(page).toContain(call);
    const none = await (await fetch(`${server.url}/?call=${encodeURIComponent('*' + call + 'Q')}`)).text();
    expect(none.split(call).length).toBeLessThan(page.split(call).length);
  });

  it('every star filter of the call index and the API answers quickly too (SQLite GLOB, folded stars)', async () => {
    const p = encodeURIComponent('*'.repeat(200) + 'Q');
    for (const url of [`/call-changes?call=${p}`, `/timeline?call=${p}`, `/call-changes?file=${p}&function=${p}`, `/api/call-changes?file=${p}&function=${p}`, `/api/fixes?file=${p}`, `/api/patches?file=${p}`]) {
      const t0 = performance.now();
      const r = await fetch(server.url + url);
      expect([200, 400], url).toContain(r.status);
      await r.arrayBuffer();
      expect(performance.now() - t0, url).toBeLessThan(1000);
    }
  });
});
