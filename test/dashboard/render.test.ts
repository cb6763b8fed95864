// Rendering on literal data: escaping, the pages' content, the diff highlighting.
import { describe, expect, it } from 'vitest';
import { escapeHtml, html, jsonData, join, queryString, SafeHtml, age, hrefFunction, hrefPatch } from '../../server/dashboard/html.ts';
import { renderDiffText } from '../../server/dashboard/diff-view.ts';
import { overviewPage, type OverviewData } from '../../server/dashboard/pages/overview.ts';
import { regressionPage } from '../../server/dashboard/pages/regression.ts';
import { patchPage, type PatchPageData } from '../../server/dashboard/pages/patch.ts';
import { threadPage, threadTree } from '../../server/dashboard/pages/thread.ts';
import { functionPage } from '../../server/dashboard/pages/function-history.ts';
import { timelinePage, chartData, type TimelineData } from '../../server/dashboard/pages/timeline.ts';
import { callChangesPage } from '../../server/dashboard/pages/call-changes.ts';
import type { Regression, ThreadMessage } from '../../server/schemas/index.ts';

const EVIL = '<script>alert(1)</script>';

const DIFF = `diff --git a/arch/x86/kernel/amd_iommu.c b/arch/x86/kernel/amd_iommu.c
index 1111111..2222222 100644
--- a/arch/x86/kernel/amd_iommu.c
+++ b/arch/x86/kernel/amd_iommu.c
@@ -10,7 +10,6 @@ int __init amd_iommu_init_dma_ops(void)
 	int ret;
 
 	ret = prepare();
-	amd_iommu_flush_all_devices();
 	if (ret)
 		goto out;
 
`;

function regression(over: Partial<Regression> = {}): Regression {
  return {
    id: 7,
    key: 'K1:abc',
    status: 'open',
    fix: {
      id: 1, key: 'K1', kind: 'presence', file: 'arch/x86/kernel/amd_iommu.c', function: 'amd_iommu_init_dma_ops', path: 'init',
      call: 'amd_iommu_flush_all_devices', before: [], introducedBy: { messageId: 'fix@x', subject: '[PATCH] flush devices', date: '2010-03-01T00:00:00Z' },
    },
    fixMessage: { messageId: 'fix@x', subject: '[PATCH] flush devices', date: '2010-03-01T00:00:00Z' },
    removedBy: [
      { messageId: 'rm1@x', subject: `[PATCH 2/3] x86/amd-iommu: rework init ${EVIL}`, date: '2010-04-01T00:00:00Z', author: { name: 'Jörg <R>', email: 'j@x' }, version: 1, seriesId: 3 },
      { messageId: 'rm2@x', subject: '[PATCH v2 2/3] x86/amd-iommu: rework init', date: '2010-04-08T00:00:00Z', author: { name: 'Jörg <R>', email: 'j@x' }, version: 2, seriesId: 4 },
    ],
    evidence: ['\tamd_iommu_flush_all_devices();'],
    firstSeen: '2010-04-01T00:00:00Z',
    resolvedBy: null,
    resolution: null,
    related: [],
    acknowledged: null,
    ...over,
  };
}

describe('html', () => {
  it('escapes interpolated values and keeps built markup', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    const inner = html`<b>${EVIL}</b>`;
    const outer = html`<p title="${'"onmouseover="x'}">${inner}${[EVIL, html`<i>ok</i>`]}${null}${false}${0}</p>`;
    expect(outer.value).toBe('<p title="&quot;onmouseover=&quot;x"><b>&lt;script&gt;alert(1)&lt;/script&gt;</b>&lt;script&gt;alert(1)&lt;/script&gt;<i>ok</i>0</p>');
    expect(outer).toBeInstanceOf(SafeHtml);
    expect(join(['a', '<b>'], html`<br>`).value).toBe('a<br>&lt;b&gt;');
  });

  it('writes JSON that cannot close its script element', () => {
    const s = jsonData({ s: '</script><script>alert(1)</script>', u: '\u2028' }).value;
    expect(s).not.toContain('<');
    expect(JSON.parse(s)).toEqual({ s: '</script><script>alert(1)</script>', u: '\u2028' });
  });

  it('builds links and query strings', () => {
    expect(hrefPatch('<a/b@c>')).toBe('/patches/a%2Fb%40c');
    expect(hrefFunction('arch/x86/a.c', 'f')).toBe('/functions/arch%2Fx86%2Fa.c/f');
    expect(queryString({ a: 'x y', b: '', c: undefined, d: 2 })).toBe('?a=x+y&d=2');
    expect(queryString({})).toBe('');
    expect(age('2010-01-01T00:00:00Z', Date.parse('2010-01-04T00:00:00Z'))).toBe('3 days');
    expect(age('2000-01-01T00:00:00Z', Date.parse('2010-06-01T00:00:00Z'))).toBe('10 years');
  });
});

describe('diff view', () => {
  it('highlights the removed watched line and escapes code', () => {
    const out = renderDiffText(DIFF.replace('int ret;', 'int ret; /* <b> */'), {
      highlights: [{ file: 'arch/x86/kernel/amd_iommu.c', op: 'removed', line: '\tamd_iommu_flush_all_devices();' }],
    }).value;
    expect(out).toMatch(/<span class="ln del hit"[^>]*>-\tamd_iommu_flush_all_devices\(\);<\/span>/);
    expect(out).toContain('/* &lt;b&gt; */');
    expect(out.match(/class="ln [^"]*hit/g)).toHaveLength(1);
  });

  it('does not highlight an added line for a removal, nor another file', () => {
    const out = renderDiffText(DIFF, { highlights: [{ file: 'other.c', op: 'removed', line: '\tamd_iommu_flush_all_devices();' }] }).value;
    expect(out).not.toContain('hit');
  });
});

describe('pages', () => {
  const counts = { messages: 286, patches: 120, series: 30, fixes: 4, newestMessage: '2010-12-01T10:00:00Z' };

  it('overview: open regressions as cards with every removing subject, escaped', () => {
    const d: OverviewData = { open: [regression()], others: [regression({ id: 8, status: 'resolved', resolution: 'dropped' })], othersMore: 0, counts, filters: {}, paths: ['init', 'shutdown'] };
    const page = overviewPage(d).value;
    expect(page).toContain('x86/amd-iommu: rework init &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).not.toContain(EVIL);
    expect(page).toContain('[PATCH v2 2/3] x86/amd-iommu: rework init');
    expect(page).toContain('href="/regressions/7"');
    expect(page).toContain('Jörg &lt;R&gt;');
    expect(page).toContain('286');
    expect(page).toContain('2010-12-01 10:00 UTC');
    expect(page).not.toMatch(/<script>(?!<\/script>)|\son[a-z]+=|style=/i);
  });

  it('overview: filters kept in the form', () => {
    const page = overviewPage({ open: [], others: [], othersMore: 0, counts, filters: { file: '"><x', status: 'open' }, paths: ['init'] }).value;
    expect(page).toContain('value="&quot;&gt;&lt;x"');
    expect(page).toMatch(/<option value="open" selected>/);
    expect(page).toContain('No open regression matches');
  });

  it('regression page: fix, highlighted removal, acknowledge form', () => {
    const r = regression();
    const page = regressionPage({
      reg: r, fixMessage: null, fixThread: null, introducedBy: null, related: [], resolvedBy: null,
      removals: r.removedBy.map((removal) => ({ removal, threadId: 3, diffText: DIFF, files: [], highlights: [{ file: null, op: 'removed', line: '\tamd_iommu_flush_all_devices();' }] })),
    }).value;
    expect(page).toContain('amd_iommu_flush_all_devices');
    expect(page.match(/ln del hit/g)).toHaveLength(2);
    expect(page).toContain('data-endpoint="/api/regressions/7/acknowledge"');
    expect(page).not.toContain(EVIL);
    const resolved = regressionPage({ reg: regression({ status: 'resolved' }), fixMessage: null, fixThread: null, introducedBy: null, related: [], resolvedBy: null, removals: [] }).value;
    expect(resolved).not.toContain('ack-form');
  });

  it('patch page: links to raw and lore, watched calls highlighted', () => {
    const d: PatchPageData = {
      messageId: 'rm1@x', subject: EVIL, from: { name: 'A', email: 'a@x' }, date: null, list: 'kexec', kind: 'patch', isPatch: true,
      threadId: 2, ownText: 'text <b>', diffText: DIFF, trailers: [{ name: 'Acked-by', value: 'B <b@x>', source: 'r@x' }], accepted: null,
      callChanges: [{ messageId: 'rm1@x', seriesId: null, subject: '', date: null, file: 'arch/x86/kernel/amd_iommu.c', function: 'amd_iommu_init_dma_ops', path: 'init', call: 'amd_iommu_flush_all_devices', op: 'removed', line: '\tamd_iommu_flush_all_devices();', rule: 'r' }],
      series: null, regressions: [],
    };
    const page = patchPage(d).value;
    expect(page).toContain('href="/api/messages/rm1%40x/raw"');
    expect(page).toContain('href="https://lore.kernel.org/kexec/rm1@x/"');
    expect(page).toContain('ln del hit');
    expect(page).toContain('&lt;script&gt;');
    expect(page).not.toContain(EVIL);
    expect(page).toContain('B &lt;b@x&gt;');
  });

  it('thread page: a tree from parent links', () => {
    const m = (id: string, parent: string | null): ThreadMessage => ({ messageId: id, parent, subject: `s ${id}`, from: { name: 'n', email: 'e' }, date: null, isPatch: false, kind: 'reply', depth: 0 });
    const msgs = [m('a', null), m('b', 'a'), m('c', 'b'), m('d', 'a')];
    const tree = threadTree(msgs);
    expect(tree).toHaveLength(1);
    expect(tree[0].children.map((c) => c.m.messageId)).toEqual(['b', 'd']);
    const page = threadPage({ thread: { id: 1, root: 'a', subject: EVIL, size: 4, lastDate: null, messages: msgs }, current: 'c' }).value;
    expect(page).toContain('aria-current="true"');
    expect((page.match(/<ul>/g) ?? []).length).toBe(2);
    expect(page).not.toContain(EVIL);
  });

  it('function history: renames and changes in order', () => {
    const page = functionPage({
      file: 'drivers/iommu/a.c', fn: 'iommu_disable', formerNames: ['arch/x86/a.c'], renamedTo: null, fixes: [], regressions: [],
      entries: [
        { type: 'call', messageId: 'm1', subject: 'add flush', date: '2010-01-01T00:00:00Z', author: { name: 'A', email: 'a' }, accepted: true, file: 'arch/x86/a.c', path: 'shutdown', call: 'iommu_flush_all_caches', op: 'added', line: '\tiommu_flush_all_caches(iommu);' },
        { type: 'rename', messageId: 'm2', subject: 'move', date: '2010-02-01T00:00:00Z', from: 'arch/x86/a.c', to: 'drivers/iommu/a.c', accepted: true },
      ],
    }).value;
    expect(page.indexOf('add flush')).toBeLessThan(page.indexOf('File renamed'));
    expect(page).toContain('href="/functions/arch%2Fx86%2Fa.c/iommu_disable"');
  });

  it('timeline: chart data as a JSON block, removals negative', () => {
    const d: TimelineData = {
      patches: [
        { messageId: 'a', subject: EVIL, date: '2010-01-01T00:00:00Z', accepted: true, counts: { 'init|added': 2 } },
        { messageId: 'b', subject: 'b', date: '2010-01-01T00:00:00Z', accepted: false, counts: { 'init|removed': 1, 'shutdown|added': 1 } },
      ],
      paths: ['init', 'shutdown', 'other'], filters: {}, tableLimit: 100,
    };
    const c = chartData(d);
    expect(c.x[1]).toBe(c.x[0] + 1);
    expect(c.series.map((s) => s.label)).toEqual(['init added', 'init removed', 'shutdown added']);
    expect(c.series[1].values).toEqual([null, -1]);
    const page = timelinePage(d).value;
    expect(page).toContain('<script type="application/json" id="timeline-data">');
    expect(page).not.toContain(EVIL);
    expect(page).toMatch(/<script src="\/static\/uplot\.js\?v=[0-9a-f]+" defer><\/script>/);
  });

  it('call changes: rows and a next-page link', () => {
    const page = callChangesPage({
      items: [{ messageId: 'm', seriesId: null, subject: 's', date: null, file: 'f.c', function: null, path: null, call: 'c', op: 'added', line: 'c();', rule: 'r', author: { name: 'A', email: 'a' }, accepted: true }],
      filters: { call: 'c' }, paths: ['init'], nextHref: '/call-changes?call=c&cursor=x', firstHref: null,
    }).value;
    expect(page).toContain('href="/call-changes?call=c&amp;cursor=x"');
    expect(page).toContain('<code>c()</code>');
  });
});
