// Patches (trailers from replies, files, diff) and series (versions, completeness), checked against truth.json.
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

/** Patches truth says were applied: by a reply to them, or to their series' cover letter. */
function acceptedPatches(): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of truth.patches) if (truth.acceptedBy[p]) out.set(bare(p), bare(truth.acceptedBy[p]));
  for (const s of truth.series) {
    const by = s.cover && truth.acceptedBy[s.cover];
    if (by) for (const p of s.patches) if (!out.has(bare(p))) out.set(bare(p), bare(by));
  }
  return out;
}

describe('GET /api/patches/:messageId', () => {
  it('answers for every truth patch and 404s for messages that are not patches', async () => {
    for (const id of truth.patches) {
      const res = await get(`/api/patches/${enc(id)}`);
      expect(res.statusCode, id).toBe(200);
      const p = res.json();
      expect(p.messageId).toBe(bare(id));
      expect(p.files.length, id).toBeGreaterThan(0);
    }
    for (const id of truth.notPatches.slice(0, 20)) expect((await get(`/api/patches/${enc(id)}`)).statusCode, id).toBe(404);
    expect((await get(`/api/patches/${encodeURIComponent('no-such@example')}`)).statusCode).toBe(404);
  });

  it('gives series position, version, files with hunks, and its own trailers', async () => {
    const s = truth.series[0];
    const p = (await get(`/api/patches/${enc(s.patches[1])}`)).json();
    expect(p).toMatchObject({ index: 2, total: s.total, version: s.version, seriesId: expect.any(Number) });
    expect(p.tags).toContain('PATCH');
    const f = p.files[0];
    expect(f).toMatchObject({ path: expect.any(String), status: expect.any(String), additions: expect.any(Number), deletions: expect.any(Number) });
    expect(f).toHaveProperty('oldPath');
    expect(f.hunks[0]).toEqual({ header: expect.any(String), oldStart: expect.any(Number), oldLines: expect.any(Number), newStart: expect.any(Number), newLines: expect.any(Number) });
    expect(p.trailers.some((x: { name: string }) => x.name === 'Signed-off-by')).toBe(true);
  });

  it('says who applied it, as truth has it', async () => {
    const want = acceptedPatches();
    for (const id of truth.patches) {
      const p = (await get(`/api/patches/${enc(id)}`)).json();
      const by = want.get(bare(id));
      if (by) {
        expect(p.accepted?.messageId, id).toBe(by);
        expect(p.accepted.by.email).toContain('@');
      } else expect(p.accepted, id).toBeNull();
    }
  });

  it("attaches a reply's Acked-by (UTF-8 name under a us-ascii label) to the patch it answers, once", async () => {
    const reply = truth.mislabeledCharset[0];
    const r = (await get(`/api/messages/${enc(reply.messageId)}`)).json();
    expect(r.answers).toBeTruthy();
    const p = (await get(`/api/patches/${encodeURIComponent(r.answers)}`)).json();
    const acks = p.trailers.filter((x: { name: string; value: string }) => x.name === 'Acked-by' && x.value.includes(reply.name));
    expect(acks).toHaveLength(1);
    expect(acks[0].source).toBe(bare(reply.messageId));
  });

  it('applies an Acked-by given to the cover letter to every patch of the series, in date order', async () => {
    const s = truth.series.find((x) => x.cover && x.patches.length >= 2)!;
    const ins = t.db.prepare(`INSERT INTO messages (message_id, list, subject, kind, date, answers, source, offset, size, ingested_at)
      VALUES (?, 'kexec', 'Re: cover', 'reply', ?, ?, 'test', 0, 0, ?)`);
    const tr = t.db.prepare('INSERT INTO trailers (message_id, seq, name, value) VALUES (?, ?, ?, ?)');
    const now = new Date().toISOString();
    ins.run('cover-ack-2@test', '2030-01-02T00:00:00.000Z', bare(s.cover!), now);
    ins.run('cover-ack-1@test', '2030-01-01T00:00:00.000Z', bare(s.cover!), now);
    tr.run('cover-ack-2@test', 0, 'Reviewed-by', 'Second Reviewer <two@test>');
    tr.run('cover-ack-1@test', 0, 'Acked-by', 'First Acker <one@test>');
    tr.run('cover-ack-1@test', 1, 'Acked-by', 'First Acker <one@test>');
    try {
      for (const id of s.patches) {
        const p = (await get(`/api/patches/${enc(id)}`)).json();
        const mine = p.trailers.filter((x: { source: string }) => x.source.endsWith('@test'));
        expect(mine.map((x: { name: string; value: string }) => `${x.name}: ${x.value}`)).toEqual([
          'Acked-by: First Acker <one@test>',
          'Reviewed-by: Second Reviewer <two@test>',
        ]);
      }
    } finally {
      t.db.prepare("DELETE FROM trailers WHERE message_id LIKE 'cover-ack-%'").run();
      t.db.prepare("DELETE FROM messages WHERE message_id LIKE 'cover-ack-%'").run();
    }
  });
});

describe('GET /api/patches/:messageId/diff', () => {
  it('serves the diff as text/plain', async () => {
    const res = await get(`/api/patches/${enc(truth.patches[0])}/diff`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toMatch(/^@@ -\d+/m);
    expect((await get(`/api/patches/${enc(truth.notPatches[0])}/diff`)).statusCode).toBe(404);
  });
});

describe('GET /api/patches', () => {
  it('lists every truth patch once', async () => {
    const items = await all<{ messageId: string }>(t.app, '/api/patches', 50);
    expect(new Set(items.map((p) => p.messageId))).toEqual(new Set(truth.patches.map(bare)));
    expect(items.length).toBe(truth.patches.length);
  });

  it('state=accepted gives the accepted patches, state=pending the rest', async () => {
    const acc = await all<{ messageId: string; accepted: unknown }>(t.app, '/api/patches?state=accepted', 50);
    expect(new Set(acc.map((p) => p.messageId))).toEqual(new Set(acceptedPatches().keys()));
    const pending = await all(t.app, '/api/patches?state=pending', 50);
    expect(acc.length + pending.length).toBe(truth.patches.length);
  });

  it('filters by file (exact, * pattern, and a name before a rename), author and dates', async () => {
    const file = truth.callChanges[0].file;
    const exact = await all<{ messageId: string }>(t.app, `/api/patches?file=${encodeURIComponent(file)}`, 50);
    for (const c of truth.callChanges.filter((c) => c.file === file)) expect(exact.map((p) => p.messageId)).toContain(bare(c.messageId));
    for (const p of exact.slice(0, 5)) {
      const full = (await get(`/api/patches/${encodeURIComponent(p.messageId)}`)).json();
      expect(full.files.some((f: { path: string; oldPath: string | null }) => f.path === file || f.oldPath === file)).toBe(true);
    }
    const star = await all<{ messageId: string }>(t.app, '/api/patches?file=arch%2Fx86%2F*', 50);
    expect(star.length).toBeGreaterThanOrEqual(exact.length);
    const ren = truth.renames[0];
    const old = await all<{ messageId: string }>(t.app, `/api/patches?file=${encodeURIComponent(ren.from)}`, 50);
    expect(old.map((p) => p.messageId)).toContain(bare(ren.by));
    expect(await all(t.app, '/api/patches?file=no%2Fsuch%2Ffile.c')).toEqual([]);

    const mine = await all<{ from: { email: string } }>(t.app, '/api/patches?author=jroedl@amd.example', 50);
    expect(mine.length).toBeGreaterThan(0);
    for (const p of mine) expect(p.from.email).toBe('jroedl@amd.example');
    const in2010 = await all<{ date: string }>(t.app, '/api/patches?since=2010-01-01&until=2010-12-31', 50);
    for (const p of in2010) expect(p.date.startsWith('2010-')).toBe(true);
  });

  it('refuses bad parameters with a 400 naming them', async () => {
    for (const [q, param] of [['state=landed', 'state'], ['since=last%20week', 'since'], ['limit=-1', 'limit'], ['seriesId=x', 'seriesId']]) {
      const res = await get(`/api/patches?${q}`);
      expect(res.statusCode, q).toBe(400);
      expect(res.json().message).toContain(param);
    }
  });
});

describe('GET /api/series/:id', () => {
  it('groups every truth series with its patches in order, version, total and cover', async () => {
    for (const s of truth.series) {
      const p = (await get(`/api/patches/${enc(s.patches[s.patches.length - 1])}`)).json();
      const res = await get(`/api/series/${p.seriesId}`);
      expect(res.statusCode).toBe(200);
      const se = res.json();
      expect(se.patches).toEqual(s.patches.map(bare));
      expect(se).toMatchObject({ id: p.seriesId, version: s.version, total: s.total, cover: s.cover ? bare(s.cover) : null, complete: true });
      expect(se.author.email).toContain('@');
    }
  });

  it('links versions both ways: series with cover letters, and single patches sent in reply to v1', async () => {
    for (const [v1Cover, v2Cover] of truth.seriesVersions) {
      const a = (await get(`/api/messages/${enc(v1Cover)}`)).json();
      const b = (await get(`/api/messages/${enc(v2Cover)}`)).json();
      expect(a.seriesId).not.toBe(b.seriesId);
      const s1 = (await get(`/api/series/${a.seriesId}`)).json();
      const s2 = (await get(`/api/series/${b.seriesId}`)).json();
      expect(s1.nextVersion).toBe(s2.id);
      expect(s2.previousVersion).toBe(s1.id);
      expect(s2.version).toBe(2);
    }
    for (const [v1, v2] of truth.patchVersions) {
      const a = (await get(`/api/patches/${enc(v1)}`)).json();
      const b = (await get(`/api/patches/${enc(v2)}`)).json();
      const s2 = (await get(`/api/series/${b.seriesId}`)).json();
      expect(s2.previousVersion).toBe(a.seriesId);
      expect(s2.version).toBe(2);
    }
  });

  it('is a 404 for an unknown series and a 400 for a bad id', async () => {
    expect((await get('/api/series/987654')).statusCode).toBe(404);
    expect((await get('/api/series/0')).statusCode).toBe(400);
    expect((await get('/api/series/1.5')).statusCode).toBe(400);
  });
});

describe('GET /api/series', () => {
  it('pages through every series once; filters by author and completeness', async () => {
    const items = await all<{ id: number; complete: boolean; author: { email: string } }>(t.app, '/api/series', 20);
    expect(new Set(items.map((s) => s.id)).size).toBe(items.length);
    expect(items.length).toBe((await get('/api/health')).json().series);
    const complete = await all<{ complete: boolean }>(t.app, '/api/series?complete=true', 50);
    const partial = await all<{ complete: boolean }>(t.app, '/api/series?complete=false', 50);
    expect(complete.every((s) => s.complete) && partial.every((s) => !s.complete)).toBe(true);
    expect(complete.length + partial.length).toBe(items.length);
    const by = await all<{ author: { email: string } }>(t.app, '/api/series?author=cwren%40sous.example', 50);
    expect(by.length).toBeGreaterThan(0);
    expect(by.every((s) => s.author.email === 'cwren@sous.example')).toBe(true);
    const bad = await get('/api/series?complete=maybe');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toContain('complete');
  });
});
