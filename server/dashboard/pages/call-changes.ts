// `/call-changes`: every indexed call change, filtered by what the query string says (a view to share).
import type { CallChangeRow } from '../../data/dashboard.ts';
import { filterForm, person, type FieldSpec } from '../components.ts';
import { day, hrefFunction, hrefPatch, html, timeEl, type SafeHtml } from '../html.ts';
import { layout } from '../layout.ts';

export interface CallChangeFilterValues {
  file?: string;
  function?: string;
  path?: string;
  call?: string;
  op?: string;
  author?: string;
  since?: string;
  until?: string;
  status?: string;
}

export interface CallChangesPageData {
  items: CallChangeRow[];
  filters: CallChangeFilterValues;
  paths: string[];
  /** href of the next page, null on the last */
  nextHref: string | null;
  /** href of the first page when this is not it */
  firstHref: string | null;
  error?: string | null;
}

export function callChangeFilterFields(paths: string[], o: { op?: boolean } = {}): FieldSpec[] {
  return [
    { name: 'file', label: 'File', placeholder: 'arch/x86/*' },
    { name: 'function', label: 'Function' },
    { name: 'path', label: 'Path class', type: 'select', options: [{ value: '', label: 'any' }, ...paths.map((p) => ({ value: p, label: p })), { value: 'null', label: '(none)' }] },
    { name: 'call', label: 'Call' },
    ...(o.op === false ? [] : [{ name: 'op', label: 'Change', type: 'select' as const, options: [{ value: '', label: 'added or removed' }, { value: 'added', label: 'added' }, { value: 'removed', label: 'removed' }] }]),
    { name: 'author', label: 'Author' },
    { name: 'since', label: 'From', type: 'date' },
    { name: 'until', label: 'Until', type: 'date' },
    { name: 'status', label: 'Patch status', type: 'select', options: [{ value: '', label: 'any' }, { value: 'accepted', label: 'accepted' }, { value: 'pending', label: 'not applied' }] },
  ];
}

export function callChangesPage(d: CallChangesPageData): SafeHtml {
  const body = html`
<h1>Call changes</h1>
<p class="muted">Every watched call a patch adds or removes. Filter, then share the address: it holds the filters.</p>
${filterForm('/call-changes', callChangeFilterFields(d.paths), d.filters as Record<string, string | undefined>)}
${d.error ? html`<p class="notice error" role="alert">${d.error}</p>` : ''}
${d.items.length ? html`<div class="table-wrap"><table class="stack">
<thead><tr><th>Date</th><th>Patch</th><th>Author</th><th>Call</th><th>Change</th><th>Function</th><th>Path</th><th>File</th></tr></thead>
<tbody>${d.items.map((c) => html`<tr>
<td data-label="Date" class="nowrap">${timeEl(c.date, day(c.date))}</td>
<td data-label="Patch"><a href="${hrefPatch(c.messageId)}">${c.subject}</a>${c.accepted ? html` <span class="badge accepted">accepted</span>` : ''}</td>
<td data-label="Author">${person(c.author)}</td>
<td data-label="Call"><code>${c.call}()</code></td>
<td data-label="Change"><span class="badge ${c.op}">${c.op}</span></td>
<td data-label="Function">${c.function ? html`<a href="${hrefFunction(c.file, c.function)}"><code>${c.function}</code></a>` : html`<span class="muted">none</span>`}</td>
<td data-label="Path">${c.path ?? ''}</td>
<td data-label="File" class="code">${c.file}</td>
</tr>`)}</tbody></table></div>` : html`<p class="empty">No call change matches.</p>`}
<nav class="pager" aria-label="Pages">${d.firstHref ? html`<a href="${d.firstHref}">First page</a>` : ''}${d.nextHref ? html`<a href="${d.nextHref}" rel="next">Next page →</a>` : ''}</nav>`;
  return layout({ title: 'Call changes', section: 'call-changes', body });
}
