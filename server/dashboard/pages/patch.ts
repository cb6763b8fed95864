// `/patches/:messageId`: one message (a patch, usually): its header, text, trailers, the diff with the watched
// calls highlighted, its series, and links to the raw message and to lore. Non-patch messages render too.
import type { Address, CallChange, Evidence, Trailer } from '../../schemas/index.ts';
import { evidenceList, person, stateBadge, statusBadge } from '../components.ts';
import { renderDiffText, type Highlight } from '../diff-view.ts';
import { hrefFunction, hrefPatch, hrefRaw, hrefRegression, hrefThread, html, timeEl, type SafeHtml } from '../html.ts';
import { loreLink } from '../../data/links.ts';
import { layout } from '../layout.ts';

export interface PatchPageData {
  messageId: string;
  subject: string;
  from: Address;
  date: string | null;
  list: string;
  /** where the list is browsed (config inboxes); default lore */
  archiveUrl?: string | null;
  kind: string;
  isPatch: boolean;
  threadId: number | null;
  ownText: string;
  diffText: string;
  trailers: Trailer[];
  accepted: { by: Address; date: string | null; messageId: string } | null;
  /** the patch's state (null for other messages) and the evidence about the message, strongest first */
  state?: string | null;
  evidence?: Evidence[];
  callChanges: CallChange[];
  series: {
    id: number; title: string; version: number; total: number;
    patches: { messageId: string; subject: string }[];
    /** the same patch (or the series' first) in the previous and next versions of the series */
    previous: { version: number; messageId: string; subject: string } | null;
    next: { version: number; messageId: string; subject: string } | null;
  } | null;
  /** stable backports of this patch; for a backport, the posting it backports */
  backports?: { messageId: string; subject: string }[];
  backportOf?: { messageId: string; subject: string } | null;
  /** regressions this message removes a fix in, or re-establishes */
  regressions: { id: number; headline: string; status: string; role: string }[];
}

export function callChangeHighlights(ccs: CallChange[]): Highlight[] {
  return ccs.map((c) => ({ file: c.file, op: c.op, line: c.line, note: `watched call ${c.call}() ${c.op}${c.path ? ` (${c.path} path)` : ''}` }));
}

export function patchPage(d: PatchPageData): SafeHtml {
  const body = html`
<h1>${d.subject || '(no subject)'}</h1>
<section class="panel msg-head" aria-label="Message header">
<dl>
<dt>From</dt><dd>${person(d.from)} <span class="muted small">${d.from.email}</span></dd>
<dt>Date</dt><dd>${timeEl(d.date)}</dd>
<dt>Message-ID</dt><dd class="mono small">${d.messageId}</dd>
<dt>Kind</dt><dd>${d.kind}${d.accepted ? html` <span class="badge accepted">accepted</span> <span class="small">by ${person(d.accepted.by)} (<a href="${hrefPatch(d.accepted.messageId)}">reply</a>)</span>` : d.isPatch ? html` <span class="badge pending">not applied (as far as the list says)</span>` : ''}</dd>
${d.series && (d.series.patches.length > 1 || d.series.previous || d.series.next) ? html`<dt>Series</dt><dd>${d.series.title} <span class="muted small">v${d.series.version}, ${d.series.total} patch${d.series.total === 1 ? '' : 'es'}</span>
${d.series.patches.length > 1 ? html`<ul class="versions plain small">${d.series.patches.map((p) => html`<li>${p.messageId === d.messageId ? html`<strong aria-current="true">${p.subject}</strong>` : html`<a href="${hrefPatch(p.messageId)}">${p.subject}</a>`}</li>`)}</ul>` : ''}
${d.series.previous ? html`<div class="small">Previous version: <a href="${hrefPatch(d.series.previous.messageId)}">v${d.series.previous.version}: ${d.series.previous.subject}</a></div>` : ''}
${d.series.next ? html`<div class="small">Next version: <a href="${hrefPatch(d.series.next.messageId)}">v${d.series.next.version}: ${d.series.next.subject}</a></div>` : ''}</dd>` : ''}
${d.backportOf ? html`<dt>Backport of</dt><dd><a href="${hrefPatch(d.backportOf.messageId)}">${d.backportOf.subject}</a></dd>` : ''}
${d.backports?.length ? html`<dt>Backports</dt><dd><ul class="versions plain small">${d.backports.map((b) => html`<li><a href="${hrefPatch(b.messageId)}">${b.subject}</a></li>`)}</ul></dd>` : ''}
</dl>
<ul class="links">
${d.threadId !== null ? html`<li><a href="${hrefThread(d.threadId, d.messageId)}">thread</a></li>` : ''}
<li><a href="${hrefRaw(d.messageId)}">raw message</a></li>
<li><a href="${loreLink(d.list, d.messageId, d.archiveUrl)}" rel="noopener noreferrer">on lore.kernel.org</a></li>
</ul>
</section>
${d.state || d.evidence?.length ? html`<section class="panel" aria-labelledby="ev-h"><h2 id="ev-h">Taken? ${d.state ? stateBadge(d.state) : ''}</h2>
${evidenceList(d.evidence ?? [])}</section>` : ''}
${d.regressions.length ? html`<section class="panel" aria-labelledby="reg-h"><h2 id="reg-h">Regressions</h2><ul>${d.regressions.map(
    (r) => html`<li><a href="${hrefRegression(r.id)}">${r.headline}</a> ${statusBadge(r.status)} <span class="muted small">${r.role}</span></li>`,
  )}</ul></section>` : ''}
${d.callChanges.length ? html`<section aria-labelledby="cc-h"><h2 id="cc-h">Watched calls</h2>
<div class="table-wrap"><table class="stack"><thead><tr><th>Call</th><th>Change</th><th>Function</th><th>Path</th><th>File</th></tr></thead><tbody>
${d.callChanges.map((c) => html`<tr><td data-label="Call"><code>${c.call}()</code></td><td data-label="Change"><span class="badge ${c.op}">${c.op}</span></td>
<td data-label="Function">${c.function ? html`<a href="${hrefFunction(c.file, c.function)}"><code>${c.function}</code></a>` : html`<span class="muted">none</span>`}</td>
<td data-label="Path">${c.path ?? ''}</td><td data-label="File" class="code">${c.file}</td></tr>`)}
</tbody></table></div></section>` : ''}
${d.ownText.trim() ? html`<h2>Message</h2><div class="body-text" tabindex="0">${d.ownText.trim()}</div>` : ''}
${d.trailers.length ? html`<h2>Trailers</h2><ul class="small">${d.trailers.map((t) => html`<li><strong>${t.name}:</strong> ${t.value}${t.source !== d.messageId ? html` <a class="muted" href="${hrefPatch(t.source)}">(from a reply)</a>` : ''}</li>`)}</ul>` : ''}
${d.diffText ? html`<h2>Diff</h2>${d.callChanges.length ? html`<p class="legend">Highlighted lines add or remove a watched call.</p>` : ''}${renderDiffText(d.diffText, { highlights: callChangeHighlights(d.callChanges) })}` : ''}`;
  return layout({ title: d.subject || d.messageId, section: 'other', body });
}
