// `/`: open regressions first, then the recently resolved and acknowledged ones, and what the database holds.
import type { Regression } from '../../schemas/index.ts';
import { filterForm, regressionCard, type FieldSpec } from '../components.ts';
import { dateTime, html, timeEl, type SafeHtml } from '../html.ts';
import { layout } from '../layout.ts';

export interface Counts {
  messages: number;
  patches: number;
  series: number;
  fixes: number;
  newestMessage: string | null;
}

export interface RegressionFilterValues {
  status?: string;
  file?: string;
  function?: string;
  path?: string;
  call?: string;
  author?: string;
  since?: string;
  until?: string;
}

export interface OverviewData {
  open: Regression[];
  /** resolved and acknowledged ones, newest first */
  others: Regression[];
  /** how many more of `others` there are than shown */
  othersMore: number;
  counts: Counts;
  filters: RegressionFilterValues;
  /** subjects of the messages that resolved the regressions shown (by Message-ID) */
  subjects?: Record<string, string>;
  /** path classes to offer in the filter */
  paths: string[];
  now?: number;
}

export function regressionFilterFields(paths: string[]): FieldSpec[] {
  return [
    { name: 'status', label: 'Status', type: 'select', options: [
      { value: '', label: 'any' }, { value: 'open', label: 'open' }, { value: 'acknowledged', label: 'acknowledged' }, { value: 'resolved', label: 'resolved' },
    ] },
    { name: 'file', label: 'File', placeholder: 'arch/x86/*' },
    { name: 'function', label: 'Function' },
    { name: 'path', label: 'Path class', type: 'select', options: [{ value: '', label: 'any' }, ...paths.map((p) => ({ value: p, label: p }))] },
    { name: 'call', label: 'Call' },
    { name: 'author', label: 'Author (removing patch)' },
    { name: 'since', label: 'First seen from', type: 'date' },
    { name: 'until', label: 'First seen until', type: 'date' },
  ];
}

function stat(n: number | string, label: string, extra?: SafeHtml): SafeHtml {
  return html`<li><span class="n">${typeof n === 'number' ? n.toLocaleString('en-US') : n}</span><span class="l">${label}</span>${extra ?? ''}</li>`;
}

export function overviewPage(d: OverviewData): SafeHtml {
  const now = d.now ?? Date.now();
  const filtered = Object.values(d.filters).some(Boolean);
  const body = html`
<h1>Regressions</h1>
<ul class="stats" aria-label="What the database holds">
${stat(d.open.length, filtered ? 'open (filtered)' : 'open regressions')}
${stat(d.counts.fixes, 'known fixes')}
${stat(d.counts.messages, 'messages')}
${stat(d.counts.patches, 'patches')}
${stat(d.counts.series, 'series')}
<li><span class="n small">${d.counts.newestMessage ? timeEl(d.counts.newestMessage, dateTime(d.counts.newestMessage)) : 'none'}</span><span class="l">newest message</span></li>
</ul>
${filterForm('/', regressionFilterFields(d.paths), d.filters as Record<string, string | undefined>)}
<section aria-labelledby="open-h">
<h2 id="open-h">Open <span class="muted">(${d.open.length})</span></h2>
${d.open.length
    ? html`<ul class="cards">${d.open.map((r) => regressionCard(r, now))}</ul>`
    : html`<p class="empty">${filtered ? 'No open regression matches these filters.' : 'No open regressions: every known fix is in place.'}</p>`}
</section>
<section aria-labelledby="others-h">
<h2 id="others-h">Recently resolved and acknowledged</h2>
${d.others.length
    ? html`<ul class="cards">${d.others.map((r) => regressionCard(r, now, r.resolvedBy ? d.subjects?.[r.resolvedBy] : undefined))}</ul>${d.othersMore > 0 ? html`<p class="muted">${d.othersMore} older not shown.</p>` : ''}`
    : html`<p class="empty">None.</p>`}
</section>`;
  return layout({ title: 'Regressions', section: 'overview', body });
}
