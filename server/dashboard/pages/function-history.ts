// `/functions/:file/:function`: every watched call added to or removed from one function, in date order, across
// file renames (what happened under the old name before an accepted rename shows under the new name too).
import type { HistoryCall, HistoryRename } from '../../data/dashboard.ts';
import type { Evidence } from '../../schemas/index.ts';
import { call, evidenceList, person } from '../components.ts';
import { day, hrefFunction, hrefPatch, hrefRegression, html, queryString, timeEl, type SafeHtml } from '../html.ts';
import { layout } from '../layout.ts';

export type HistoryEntry = HistoryCall | HistoryRename;

export interface FunctionPageData {
  file: string;
  fn: string;
  entries: HistoryEntry[];
  /** older call changes were left out (the call-change list has them) */
  truncated?: boolean;
  /** earlier names of the file whose history is included */
  formerNames: string[];
  /** the file was later renamed (by an accepted patch) to this */
  renamedTo: { to: string; messageId: string; date: string | null } | null;
  fixes: { key: string; kind: string; call: string; path: string | null; status: string; before: string[]; evidence?: Evidence[] }[];
  regressions: { id: number; headline: string; status: string }[];
}

function entry(e: HistoryEntry, file: string): SafeHtml {
  if (e.type === 'rename') {
    return html`<li class="rename"><strong>File renamed</strong> <span class="mono small">${e.from}</span> → <span class="mono small">${e.to}</span>
<div class="meta"><a href="${hrefPatch(e.messageId)}">${e.subject}</a><span>${timeEl(e.date, day(e.date))}</span>${e.accepted ? html`<span class="badge accepted">accepted</span>` : ''}</div></li>`;
  }
  return html`<li class="${e.op}"><span class="badge ${e.op}">${e.op}</span> ${call(e.call)} ${e.path ? html`<span class="badge path">${e.path}</span>` : ''}
${e.file !== file ? html`<span class="small muted">(as <span class="mono">${e.file}</span>)</span>` : ''}
<span class="line">${e.op === 'added' ? '+' : '-'}${e.line}</span>
<div class="meta"><a href="${hrefPatch(e.messageId)}">${e.subject}</a><span>${person(e.author)}</span><span>${timeEl(e.date, day(e.date))}</span>${e.accepted ? html`<span class="badge accepted">accepted</span>` : html`<span class="badge pending">not applied</span>`}</div></li>`;
}

export function functionPage(d: FunctionPageData): SafeHtml {
  const calls = d.entries.filter((e) => e.type === 'call').length;
  const body = html`
<h1><code>${d.fn}()</code></h1>
<p class="mono small">${d.file}</p>
${d.formerNames.length ? html`<p class="small">Includes its history under the earlier name${d.formerNames.length > 1 ? 's' : ''} ${d.formerNames.map((n, i) => html`${i ? ', ' : ''}<a class="mono" href="${hrefFunction(n, d.fn)}">${n}</a>`)}.</p>` : ''}
${d.renamedTo ? html`<p class="small">The file was later renamed to <a class="mono" href="${hrefFunction(d.renamedTo.to, d.fn)}">${d.renamedTo.to}</a> (${timeEl(d.renamedTo.date, day(d.renamedTo.date))}); see the history there for what followed.</p>` : ''}
${d.fixes.length ? html`<section class="panel" aria-labelledby="fx-h"><h2 id="fx-h">Known fixes here</h2><ul>${d.fixes.map(
    (f) => html`<li>${call(f.call)}${f.kind === 'order' ? html` before ${f.before.map((b, i) => html`${i ? ', ' : ''}${call(b)}`)}` : ''} ${f.path ? html`<span class="badge path">${f.path}</span>` : ''} <span class="muted small">${f.status}</span>${f.evidence?.length ? evidenceList(f.evidence.slice(0, 3)) : ''}</li>`,
  )}</ul></section>` : ''}
${d.regressions.length ? html`<section class="panel" aria-labelledby="rg-h"><h2 id="rg-h">Regressions here</h2><ul>${d.regressions.map(
    (r) => html`<li><a href="${hrefRegression(r.id)}">${r.headline}</a> <span class="badge ${r.status}">${r.status}</span></li>`,
  )}</ul></section>` : ''}
<h2>History <span class="muted">(${calls} call change${calls === 1 ? '' : 's'})</span></h2>
${d.truncated ? html`<p class="small">Only the newest call changes are shown here; <a href="/call-changes${queryString({ file: d.file, function: d.fn })}">the call-change list</a> has every one.</p>` : ''}
${d.entries.length ? html`<ol class="history">${d.entries.map((e) => entry(e, d.file))}</ol>` : html`<p class="empty">No watched call was ever added to or removed from this function.</p>`}`;
  return layout({ title: `${d.fn}() history`, section: 'other', body });
}
