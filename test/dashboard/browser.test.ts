// The dashboard end to end: the app listening on a port, a database ingested from the sample corpus (plus a
// mbox of hostile mail), and Debian's chromium driven through playwright-core. Screenshots go to test/artifacts/.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { openDb, type Db } from '../../ingest/store/db.ts';
import { ingestPaths } from '../../ingest/run/pipeline.ts';
import { detectAll } from '../../ingest/run/derive.ts';
import { readWatchRulesData } from '../../config/watch-rules.ts';
import { loadSettings } from '../../config/settings.ts';
import { buildApp } from '../../server/app.ts';
import { loreLink } from '../../server/lore-link.ts';

const CHROMIUM = '/usr/bin/chromium';
const HAVE_CHROMIUM = fs.existsSync(CHROMIUM);
if (!HAVE_CHROMIUM) console.warn(`dashboard browser tests SKIPPED: ${CHROMIUM} is missing (apt-get install -y chromium)`);

const ROOT = path.join(import.meta.dirname, '..', '..');
const CORPUS = path.join(ROOT, 'test', 'fixtures', 'corpus');
const SHARED = path.join(ROOT, '..', 'shared', 'corpus');
const HOSTILE = path.join(ROOT, 'test', 'fixtures', 'dashboard', 'hostile.mbox');
const ARTIFACTS = path.join(ROOT, 'test', 'artifacts');
const TOKEN = 'dashboard-test-token';

const bare = (id: string) => id.replace(/^<|>$/g, '');
const titleOf = (s: string) => s.replace(/^(\[[^\]]*\]\s*)+/, '');

interface Truth {
  regressions: { key: string; fix: string; removedBy: string[]; status: string }[];
  knownFixes: { key: string; file: string; function: string; call: string; introducedBy: string; movedFrom?: string }[];
  renames: { from: string; to: string; by: string }[];
}

function ensureCorpus(): void {
  if (fs.existsSync(path.join(CORPUS, 'archive.mbox'))) return;
  fs.mkdirSync(CORPUS, { recursive: true });
  for (const f of fs.readdirSync(SHARED)) {
    const src = path.join(SHARED, f);
    if (fs.statSync(src).isFile()) fs.copyFileSync(src, path.join(CORPUS, f));
  }
}

describe.skipIf(!HAVE_CHROMIUM)('dashboard in a browser', () => {
  let db: Db;
  let app: FastifyInstance;
  let base = '';
  let browser: Browser;
  let truth: Truth;
  /** problems any page showed: script errors, console errors (CSP violations land there), dialogs */
  const problems: string[] = [];
  const dialogs: string[] = [];

  async function newPage(width = 1280, height = 900): Promise<Page> {
    const page = await browser.newPage({ viewport: { width, height } });
    page.on('pageerror', (e) => problems.push(`pageerror on ${page.url()}: ${e.message}`));
    page.on('console', (m) => {
      // the wrong-token step's 401 is logged by the browser as a failed load: expected
      if (m.type() === 'error' && !/status of 401/.test(m.text())) problems.push(`console error on ${page.url()}: ${m.text()}`);
    });
    page.on('dialog', (d) => { dialogs.push(d.message()); void d.dismiss(); });
    return page;
  }

  const api = async <T>(p: string): Promise<T> => (await (await fetch(base + p)).json()) as T;
  const subjectOf = (id: string) => (db.prepare('SELECT subject FROM messages WHERE message_id = ?').get(bare(id)) as { subject: string }).subject;
  async function regressionIdOf(removing: string): Promise<number> {
    const page = await api<{ items: { id: number; removedBy: { messageId: string }[] }[] }>('/api/regressions?limit=500');
    const r = page.items.find((x) => x.removedBy.some((m) => m.messageId === bare(removing)));
    if (!r) throw new Error(`no regression removed by ${removing}`);
    return r.id;
  }
  const overflow = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

  beforeAll(async () => {
    ensureCorpus();
    truth = JSON.parse(fs.readFileSync(path.join(CORPUS, 'truth.json'), 'utf8')) as Truth;
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'relapse-dash-')), 'relapse.db');
    db = openDb(file);
    await ingestPaths(db, [path.join(CORPUS, 'archive.mbox'), HOSTILE], { rulesData: readWatchRulesData(), workers: 0 });
    const settings = loadSettings({ db: file, token: TOKEN }, {});
    app = await buildApp({ db, settings, redetect: () => void detectAll(db) });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const addr = app.server.address();
    if (!addr || typeof addr === 'string') throw new Error('no port');
    base = `http://127.0.0.1:${addr.port}`;
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    db?.close();
  });

  it('serves the overview with security headers and cacheable assets', async () => {
    const res = await fetch(base + '/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    const body = await res.text();
    const css = /href="(\/static\/app\.css\?v=[0-9a-f]+)"/.exec(body)![1];
    const a = await fetch(base + css);
    expect(a.headers.get('content-type')).toMatch(/^text\/css/);
    expect(a.headers.get('cache-control')).toContain('immutable');
    const again = await fetch(base + css, { headers: { 'if-none-match': a.headers.get('etag')! } });
    expect(again.status).toBe(304);
    expect((await fetch(base + '/static/nope.js')).status).toBe(404);
  });

  it('overview: every open regression, with its removing subjects and links; fits a phone', async () => {
    const page = await newPage();
    await page.goto(base + '/', { waitUntil: 'networkidle' });
    const text = await page.innerText('body');
    const open = truth.regressions.filter((r) => r.status === 'open');
    expect(open.length).toBeGreaterThan(0);
    for (const r of open) for (const id of r.removedBy) expect(text).toContain(titleOf(subjectOf(id)));
    const links = await page.$$eval('a[href*="/regressions/"]', (as) => as.map((a) => a.getAttribute('href')));
    expect(links.length).toBeGreaterThanOrEqual(open.length);
    expect(text).toMatch(/\d+\s*messages/);
    expect(text).toContain('newest message');
    await page.screenshot({ path: path.join(ARTIFACTS, 'overview-wide.png'), fullPage: true });

    const phone = await newPage(390, 844);
    await phone.goto(base + '/', { waitUntil: 'networkidle' });
    expect(await overflow(phone)).toBeLessThanOrEqual(0);
    await phone.screenshot({ path: path.join(ARTIFACTS, 'overview-phone.png'), fullPage: true });
    await page.close();
    await phone.close();
  });

  it('overview filters live in the query string', async () => {
    const page = await newPage();
    await page.goto(base + '/?status=resolved', { waitUntil: 'networkidle' });
    expect(await page.$$('section[aria-labelledby="open-h"] .card')).toHaveLength(0);
    expect(await page.$$('.card.resolved')).not.toHaveLength(0);
    // the form carries the filter; changing it changes the address
    await page.selectOption('#f-status', 'open');
    await page.selectOption('#f-path', 'shutdown');
    await Promise.all([page.waitForURL(/status=open/), page.click('form.filters button[type="submit"]')]);
    expect(page.url()).toContain('path=shutdown');
    const cards = await page.$$eval('.card', (cs) => cs.map((c) => c.textContent ?? ''));
    expect(cards.length).toBeGreaterThan(0);
    for (const c of cards) expect(c).toContain('shutdown');
    await page.close();
  });

  it('regression page: the removed line highlighted, in a wide and a phone window', async () => {
    const r2 = truth.regressions.find((r) => r.status === 'open' && truth.knownFixes.find((f) => f.key === r.fix)?.call)!;
    const fix = truth.knownFixes.find((f) => f.key === r2.fix)!;
    const id = await regressionIdOf(r2.removedBy[0]);
    const page = await newPage();
    await page.goto(`${base}/regressions/${id}`, { waitUntil: 'networkidle' });
    expect(await page.innerText('body')).toContain(fix.call);
    const hit = page.locator('.diff .ln.del.hit').first();
    await expect.poll(() => hit.isVisible()).toBe(true);
    expect(await hit.innerText()).toContain(fix.call);
    const bg = await hit.evaluate((el) => getComputedStyle(el).backgroundColor);
    const plain = await page.locator('.diff .ln:not(.add):not(.del)').first().evaluate((el) => getComputedStyle(el).backgroundColor);
    expect(bg).not.toBe(plain);
    expect(await page.locator(`a[href="/api/messages/${encodeURIComponent(bare(r2.removedBy[0]))}/raw"]`).count()).toBeGreaterThan(0);
    expect(await page.locator(`a[href="${loreLink('kexec', bare(r2.removedBy[0]))}"]`).count()).toBeGreaterThan(0);
    await page.screenshot({ path: path.join(ARTIFACTS, 'regression-wide.png'), fullPage: true });
    const phone = await newPage(390, 844);
    await phone.goto(`${base}/regressions/${id}`, { waitUntil: 'networkidle' });
    expect(await overflow(phone)).toBeLessThanOrEqual(0);
    await phone.screenshot({ path: path.join(ARTIFACTS, 'regression-phone.png'), fullPage: true });
    await page.close();
    await phone.close();
  });

  it('acknowledge: a wrong token is refused, the right one changes the status in place', async () => {
    const open = truth.regressions.filter((r) => r.status === 'open');
    const target = open[open.length - 1];
    const id = await regressionIdOf(target.removedBy[0]);
    const page = await newPage();
    await page.goto(`${base}/regressions/${id}`, { waitUntil: 'networkidle' });
    expect(await page.innerText('#reg-status')).toBe('open');

    await page.fill('#ack-reason', 'intended: the hardware is reset by the new kdump path');
    await page.fill('#ack-token', 'wrong-token');
    await page.click('#ack-submit');
    await expect.poll(() => page.innerText('#ack-msg')).toMatch(/refused/);
    expect(await page.innerText('#reg-status')).toBe('open');
    expect((await api<{ status: string }>(`/api/regressions/${id}`)).status).toBe('open');

    await page.fill('#ack-token', TOKEN);
    await page.click('#ack-submit');
    await expect.poll(() => page.innerText('#reg-status')).toBe('acknowledged');
    expect(await page.innerText('#reg-ack')).toContain('intended: the hardware is reset');
    expect(await page.evaluate(() => sessionStorage.getItem('relapse.token'))).toBe(TOKEN);
    expect((await api<{ status: string }>(`/api/regressions/${id}`)).status).toBe('acknowledged');

    // it stays so, and the token is offered again in this tab
    await page.reload({ waitUntil: 'networkidle' });
    expect(await page.innerText('#reg-status')).toBe('acknowledged');
    expect(await page.inputValue('#ack-token')).toBe(TOKEN);
    await page.goto(base + '/', { waitUntil: 'networkidle' });
    const ackCard = page.locator(`.card.acknowledged[data-regression="${id}"]`);
    expect(await ackCard.count()).toBe(1);
    await page.close();
  });

  it('function history: across the file rename, in date order', async () => {
    const rename = truth.renames[0];
    const fix = truth.knownFixes.find((f) => f.file === rename.from && f.movedFrom)!; // a fix made before the rename
    const page = await newPage();
    // reached by a link from a regression page, as a user would
    const r = truth.regressions.find((x) => x.fix === fix.key)!;
    await page.goto(`${base}/regressions/${await regressionIdOf(r.removedBy[0])}`, { waitUntil: 'networkidle' });
    await Promise.all([page.waitForURL(/\/functions\//), page.click(`a[href^="/functions/"]:has-text("${fix.function}")`)]);
    expect(decodeURIComponent(page.url())).toContain(`/functions/${rename.to}/${fix.function}`);
    const text = await page.innerText('main');
    const before = titleOf(subjectOf(fix.introducedBy));
    const renamed = titleOf(subjectOf(rename.by));
    const after = titleOf(subjectOf(r.removedBy[0]));
    expect(text).toContain(before);
    expect(text.indexOf(before)).toBeLessThan(text.indexOf(renamed));
    expect(text.indexOf(renamed)).toBeLessThan(text.indexOf(after));
    expect(text).toContain(rename.from);
    await page.screenshot({ path: path.join(ARTIFACTS, 'function-history.png'), fullPage: true });
    await page.close();
  });

  it('hostile mail content is shown as text and runs nothing', async () => {
    const page = await newPage();
    const patchUrl = `${base}/patches/${encodeURIComponent('hostile-1@evil.example')}`;
    for (const url of [patchUrl, `${base}/call-changes`, `${base}/timeline`]) {
      await page.goto(url, { waitUntil: 'networkidle' });
      const text = await page.innerText('main');
      expect(text).toContain('<script>alert(1)</script> iommu/amd: flush <b>twice</b> on shutdown');
      expect(await page.$$('main script:not([type="application/json"]), main img, main svg:not(.uplot svg), main b')).toHaveLength(0);
    }
    await page.goto(patchUrl, { waitUntil: 'networkidle' });
    const text = await page.innerText('main');
    expect(text).toContain('<img src=x onerror=alert(4)>');
    expect(text).toContain('/* </script><script>alert(3)</script> */');
    expect(await page.locator('.diff .ln.add.hit').count()).toBe(1);
    expect(await page.$$('a[href^="javascript:"]')).toHaveLength(0);
    const threadHref = await page.getAttribute('a:has-text("thread")', 'href');
    await page.goto(base + threadHref!, { waitUntil: 'networkidle' });
    expect(await page.innerText('main')).toContain('Re: [PATCH] <script>alert(1)</script>');
    await page.goto(`${base}/patches/${encodeURIComponent('hostile-2@evil.example')}`, { waitUntil: 'networkidle' });
    expect(await page.innerText('main')).toContain('"><svg onload=alert(6)> Not applied.');
    expect(await page.$$('main svg')).toHaveLength(0);
    expect(dialogs).toEqual([]);
    await page.close();
  });

  it('timeline: a uPlot chart of local assets; clicking a point opens its patch', async () => {
    const page = await newPage();
    const external: string[] = [];
    page.on('request', (r) => { if (!r.url().startsWith(base)) external.push(r.url()); });
    await page.goto(base + '/timeline', { waitUntil: 'networkidle' });
    expect(external).toEqual([]);
    await page.waitForSelector('#timeline-chart .uplot canvas');
    const point = await page.evaluate(() => {
      const u = (window as unknown as { relapseChart: { data: (number | null)[][]; valToPos: (v: number, s: string) => number; over: HTMLElement } }).relapseChart;
      for (let i = 0; i < u.data[0].length; i++) {
        for (let s = 1; s < u.data.length; s++) {
          const v = u.data[s][i];
          if (v != null) {
            const box = u.over.getBoundingClientRect();
            return { x: box.left + u.valToPos(u.data[0][i]!, 'x'), y: box.top + u.valToPos(v, 'y') };
          }
        }
      }
      return null;
    });
    expect(point).not.toBeNull();
    await page.mouse.move(point!.x, point!.y);
    await Promise.all([page.waitForURL(/\/patches\//), page.mouse.click(point!.x, point!.y)]);
    expect(await page.innerText('h1')).not.toBe('');
    await page.goto(base + '/timeline', { waitUntil: 'networkidle' });
    await page.screenshot({ path: path.join(ARTIFACTS, 'timeline.png'), fullPage: true });
    await page.close();
  });

  it('call changes: the filters are the address, and the rows match them', async () => {
    const page = await newPage(390, 844);
    await page.goto(base + '/call-changes?path=shutdown&op=removed', { waitUntil: 'networkidle' });
    expect(await page.inputValue('#f-op')).toBe('removed');
    const rows = await page.$$eval('tbody tr', (trs) => trs.map((tr) => tr.textContent ?? ''));
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) {
      expect(r).toContain('shutdown');
      expect(r).toContain('removed');
    }
    expect(await overflow(page)).toBeLessThanOrEqual(0);
    const bad = await fetch(base + '/call-changes?since=yesterday');
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('since');
    await page.close();
  });

  it('keyboard: a skip link first, real links and buttons, a visible focus ring', async () => {
    const page = await newPage();
    await page.goto(base + '/', { waitUntil: 'networkidle' });
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    const ring = await page.evaluate(() => {
      const s = getComputedStyle(document.activeElement!);
      return { tag: document.activeElement!.tagName, outline: s.outlineStyle, width: s.outlineWidth };
    });
    expect(ring.tag).toBe('A');
    expect(ring.outline).not.toBe('none');
    expect(ring.width).not.toBe('0px');
    await page.close();
  });

  it('unknown things are 404 pages', async () => {
    for (const p of ['/regressions/999999', '/regressions/abc', '/threads/0', '/patches/no-such%40id']) {
      const res = await fetch(base + p);
      expect(res.status, p).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    }
  });

  it('no page had a script error, a console error or a dialog', () => {
    expect(problems).toEqual([]);
    expect(dialogs).toEqual([]);
  });
});
