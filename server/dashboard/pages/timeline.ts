// `/timeline`: watched-call changes over time by path class, added above the axis and removed below it, one
// point per patch (a uPlot chart drawn by app.js from the JSON block; clicking a point opens the patch). The same
// points are listed in a table, so everything is reachable without the chart.
import { CALL_OPS } from '../../../ingest/core/model.ts';
import { filterForm } from '../components.ts';
import { day, hrefPatch, html, jsonData, queryString, timeEl, type SafeHtml } from '../html.ts';
import { layout } from '../layout.ts';
import { callChangeFilterFields, type CallChangeFilterValues } from './call-changes.ts';

export interface TimelinePatch {
  messageId: string;
  subject: string;
  date: string;
  accepted: boolean;
  /** where a point links (default: the patch page) */
  href?: string;
  /** per series key (`${path}|${op}`): how many call changes of that class */
  counts: Record<string, number>;
}

export interface TimelineData {
  patches: TimelinePatch[];
  /** path classes in the data (null path shown as 'other') */
  paths: string[];
  filters: CallChangeFilterValues;
  /** the table lists at most this many (the newest); the chart shows all */
  tableLimit: number;
  /** too many patches for one point each: one point per day, linking to that day's call changes */
  perDay?: boolean;
}

export const OTHER_PATH = 'other';

/** The chart's data: x in seconds, one series per path class and direction, removals negative. */
export function chartData(d: TimelineData) {
  const keys: { key: string; label: string; path: string; op: 'added' | 'removed' }[] = [];
  for (const p of d.paths) for (const op of CALL_OPS) keys.push({ key: `${p}|${op}`, label: `${p} ${op}`, path: p, op });
  const present = keys.filter((k) => d.patches.some((p) => p.counts[k.key]));
  // uPlot wants x ascending; patches sent in the same second are spread a second apart
  const x: number[] = [];
  for (const p of d.patches) {
    const t = Math.floor(new Date(p.date).getTime() / 1000);
    x.push(x.length && t <= x[x.length - 1] ? x[x.length - 1] + 1 : t);
  }
  return {
    x,
    series: present.map((k) => ({
      label: k.label, path: k.path, op: k.op,
      values: d.patches.map((p) => (p.counts[k.key] ? (k.op === 'removed' ? -p.counts[k.key] : p.counts[k.key]) : null)),
    })),
    patches: d.patches.map((p) => ({ href: p.href ?? hrefPatch(p.messageId), subject: p.subject, date: day(p.date) })),
  };
}

export function timelinePage(d: TimelineData): SafeHtml {
  const data = chartData(d);
  const shown = d.patches.slice(-d.tableLimit).reverse();
  const seriesKeys = data.series.map((s) => `${s.path}|${s.op}`);
  const body = html`
<h1>Timeline</h1>
<p class="muted">Watched calls added (above the line) and removed (below it) ${d.perDay ? 'per day' : 'per patch'}, by path class. ${d.perDay ? 'Click a point to list that day’s call changes.' : 'Click a point to open its patch.'}</p>
${filterForm('/timeline', callChangeFilterFields(d.paths.filter((p) => p !== OTHER_PATH), { op: false }), d.filters as Record<string, string | undefined>)}
<p class="small"><a href="/call-changes${queryString(d.filters as Record<string, string>)}">These call changes as a list</a></p>
<figure class="chart" id="timeline-chart" aria-label="Call changes over time (the table below lists the same patches)">
${d.patches.length ? '' : html`<p class="empty">No call change matches.</p>`}
</figure>
<p class="chart-help" id="timeline-hover" aria-live="polite"></p>
<script type="application/json" id="timeline-data">${jsonData(data)}</script>
<h2>${d.perDay ? 'Days' : 'Patches'} <span class="muted">(${d.patches.length}${d.patches.length > shown.length ? `, newest ${shown.length} listed` : ''})</span></h2>
${shown.length ? html`<div class="table-wrap"><table class="stack"><thead><tr><th>Date</th><th>${d.perDay ? 'Call changes' : 'Patch'}</th>${data.series.map((s) => html`<th>${s.label}</th>`)}</tr></thead>
<tbody>${shown.map((p) => html`<tr><td data-label="Date" class="nowrap">${timeEl(p.date, day(p.date))}</td><td data-label="Patch"><a href="${p.href ?? hrefPatch(p.messageId)}">${p.subject}</a>${p.accepted ? html` <span class="badge accepted">accepted</span>` : ''}</td>
${seriesKeys.map((k, i) => html`<td data-label="${data.series[i].label}">${p.counts[k] ?? ''}</td>`)}</tr>`)}</tbody></table></div>` : ''}`;
  return layout({ title: 'Timeline', section: 'timeline', body, scripts: ['uplot.js'], styles: ['uplot.css'] });
}
