// `/regressions/:id`: the fix and where it came from, every removing message with its diff (removed lines
// highlighted), related patches, and the Acknowledge form (which posts to the API with the user's token).
import type { Address, Evidence, Regression, Removal, Thread } from '../../schemas/index.ts';
import { call, evidenceList, fixSummary, person, regressionHeadline, stateBadge, statusBadge } from '../components.ts';
import { renderDiffText, type Highlight } from '../diff-view.ts';
import { age, dateTime, day, hrefFunction, hrefPatch, hrefRaw, hrefThread, html, timeEl, type SafeHtml } from '../html.ts';
import { loreLink } from '../../data/links.ts';
import { layout } from '../layout.ts';
import { threadTreeHtml } from './thread.ts';

const HOW: Record<NonNullable<Regression['detail']>['how'], string> = {
  removed: 'removed from a function that stays',
  'function-deleted': 'removed with its whole function (the function is deleted)',
  'moved-out': 'moved to a function outside the path class',
  reordered: 'reordered',
};

export interface MessageInfo {
  messageId: string;
  subject: string;
  date: string | null;
  from: Address;
  threadId: number | null;
  list?: string;
  accepted?: { by: Address; date: string | null; messageId: string } | null;
}

export interface RemovalView {
  removal: Removal;
  threadId: number | null;
  /** the list the removing message was posted to (its lore link) */
  list?: string;
  diffText: string;
  highlights: Highlight[];
  /** watched-call files of the fix, to show first (others collapsed) */
  files: string[];
}

export interface RegressionPageData {
  reg: Regression;
  fixMessage: MessageInfo | null;
  /** the thread the fix was posted and discussed in */
  fixThread: Thread | null;
  /** the patch that first introduced the fix (may differ from fixMessage when it was re-established) */
  introducedBy: MessageInfo | null;
  /** what says the fix was taken */
  fixEvidence?: Evidence[];
  removals: RemovalView[];
  related: MessageInfo[];
  resolvedBy: MessageInfo | null;
  now?: number;
  /** where a list is browsed (config inboxes); default lore */
  archiveUrl?: (list: string) => string | null;
}

/** Evidence lines as highlights: a leading +/- says the side; otherwise match either side. */
export function evidenceHighlights(evidence: string[], note: string): Highlight[] {
  const out: Highlight[] = [];
  for (const e of evidence) {
    const m = /^([+-])(.*)$/s.exec(e);
    if (m) out.push({ file: null, op: m[1] === '+' ? 'added' : 'removed', line: m[2], note });
    out.push({ file: null, op: 'removed', line: e, note }, { file: null, op: 'added', line: e, note });
  }
  return out;
}

function messageLinks(messageId: string, threadId: number | null, list?: string | null, archiveUrl?: (list: string) => string | null): SafeHtml {
  return html`<ul class="links small">
<li><a href="${hrefPatch(messageId)}">patch page</a></li>
${threadId !== null ? html`<li><a href="${hrefThread(threadId, messageId)}">thread</a></li>` : ''}
<li><a href="${hrefRaw(messageId)}">raw message</a></li>
<li><a href="${loreLink(list, messageId, list ? archiveUrl?.(list) : null)}" rel="noopener noreferrer">lore</a></li>
</ul>`;
}

function messageLine(m: MessageInfo): SafeHtml {
  return html`<a href="${hrefPatch(m.messageId)}">${m.subject}</a> <span class="muted small">${person(m.from)} · ${timeEl(m.date, day(m.date))}</span>`;
}

function ackSection(r: Regression): SafeHtml {
  if (r.status === 'resolved') return html``;
  const has = r.acknowledged;
  return html`<section class="panel ack" aria-labelledby="ack-h">
<h2 id="ack-h">${has ? 'Update the acknowledgement' : 'Acknowledge'}</h2>
<p class="small muted">Acknowledging says the removal is known and intended; the regression leaves the open list. It needs the API token (kept in this browser tab only).</p>
<form id="ack-form" data-endpoint="/api/regressions/${r.id}/acknowledge" novalidate>
<label for="ack-reason">Reason<textarea id="ack-reason" name="reason" required maxlength="4096">${has ? has.reason : ''}</textarea></label>
<label for="ack-by">Your name (optional)<input id="ack-by" name="by" maxlength="256" autocomplete="name"></label>
<label for="ack-token">API token<input id="ack-token" name="token" type="password" autocomplete="off" required></label>
<div><button type="submit" id="ack-submit">Acknowledge</button></div>
<p class="notice" id="ack-msg" role="status" aria-live="polite"></p>
</form>
</section>`;
}

/** Whether the removing series was itself taken: merged upstream (urgent), accepted into a tree, or not (yet). */
export function removalTaken(removedBy: Removal[]): SafeHtml {
  const merged = removedBy.find((x) => x.state === 'merged');
  const accepted = removedBy.find((x) => x.state === 'accepted');
  const e = (merged ?? accepted)?.evidence?.[0];
  if (merged) return html`<strong class="urgent">merged upstream</strong>${e?.date ? html` ${timeEl(e.date, day(e.date))}` : ''} <span class="muted small">the fix is gone from the kernel</span>`;
  if (accepted) return html`<strong>accepted</strong>${e?.tree ? html` into <span class="mono">${e.tree}</span>` : ''}${e?.date ? html` ${timeEl(e.date, day(e.date))}` : ''}`;
  return html`not taken <span class="muted small">(as far as the list says)</span>`;
}

export function regressionPage(d: RegressionPageData): SafeHtml {
  const r = d.reg;
  const f = r.fix;
  const now = d.now ?? Date.now();
  const body = html`
<p class="small"><a href="/">← All regressions</a></p>
<h1>${regressionHeadline(r)} <span id="reg-status">${statusBadge(r.status)}</span></h1>
<div class="cols two">
<div>
<section class="panel" aria-labelledby="fix-h">
<h2 id="fix-h">The fix that was undone</h2>
<p>${fixSummary(f)}</p>
<div class="msg-head"><dl>
<dt>Kind</dt><dd>${f.kind === 'order' ? html`order: ${call(f.call)} must run before ${f.before.map((b, i) => html`${i ? ', ' : ''}${call(b)}`)}` : html`presence: ${call(f.call)} must be called`}</dd>
<dt>File</dt><dd class="mono">${f.file}</dd>
<dt>Function</dt><dd>${f.function ? html`<a href="${hrefFunction(f.file, f.function)}"><code>${f.function}()</code></a> <span class="muted small">(history)</span>` : 'none'}</dd>
<dt>Path class</dt><dd>${f.path ?? 'none'}</dd>
${d.fixMessage ? html`<dt>Established by</dt><dd>${messageLine(d.fixMessage)}${d.fixMessage.accepted ? html` <span class="badge accepted">accepted${d.fixMessage.accepted.by.name ? ` by ${d.fixMessage.accepted.by.name}` : ''}</span>` : ''}${messageLinks(d.fixMessage.messageId, d.fixMessage.threadId, d.fixMessage.list, d.archiveUrl)}</dd>` : ''}
${d.introducedBy && d.introducedBy.messageId !== d.fixMessage?.messageId ? html`<dt>First introduced by</dt><dd>${messageLine(d.introducedBy)}</dd>` : ''}
${d.fixEvidence ? html`<dt>Taken</dt><dd>${evidenceList(d.fixEvidence)}</dd>` : ''}
</dl></div>
${d.fixThread ? html`<h3>Original thread <span class="muted small">(${d.fixThread.messages.length} message${d.fixThread.messages.length === 1 ? '' : 's'})</span></h3>
${threadTreeHtml(d.fixThread.messages.slice(0, 60), d.fixMessage?.messageId, 'Original thread of the fix')}
${d.fixThread.messages.length > 60 ? html`<p class="small"><a href="${hrefThread(d.fixThread.id)}">The whole thread</a></p>` : ''}` : ''}
</section>

<section aria-labelledby="rm-h">
<h2 id="rm-h">Removed by ${r.removedBy.length === 1 ? 'one message' : `${r.removedBy.length} messages (every version)`}</h2>
<p class="legend">Highlighted lines are the ones that undo the fix.</p>
${r.evidence.length ? html`<p class="small">Evidence:</p><div class="evidence" tabindex="0">${r.evidence.join('\n')}</div>` : ''}
${d.removals.map((x) => html`<article class="panel removal" aria-label="${x.removal.subject}">
<h3><a href="${hrefPatch(x.removal.messageId)}">${x.removal.subject}</a></h3>
<p class="meta"><span>v${x.removal.version}</span><span>${person(x.removal.author)}</span><span>${timeEl(x.removal.date)}</span>${x.removal.state ? html`<span>${stateBadge(x.removal.state)}</span>` : ''}</p>
${x.removal.evidence?.length ? evidenceList(x.removal.evidence) : ''}
${messageLinks(x.removal.messageId, x.threadId, x.list, d.archiveUrl)}
${renderDiffText(x.diffText, { highlights: x.highlights, files: x.files.length ? x.files : undefined, label: x.removal.subject })}
</article>`)}
</section>
</div>
<div>
<section class="panel" aria-labelledby="st-h">
<h2 id="st-h">Status</h2>
<div class="msg-head"><dl>
<dt>Status</dt><dd id="reg-status-text">${r.status}</dd>
<dt>First seen</dt><dd>${timeEl(r.firstSeen)} <span class="muted small">(${age(r.firstSeen, now)} ago)</span></dd>
<dt>Removal taken</dt><dd id="reg-removal-taken">${removalTaken(r.removedBy)}</dd>
${r.detail ? html`<dt>How</dt><dd>${HOW[r.detail.how]}${r.detail.movedTo ? html` (to ${r.detail.movedTo.function ? html`<code>${r.detail.movedTo.function}()</code>` : 'top level'}, ${r.detail.movedTo.path ?? 'no'} path)` : ''}${r.detail.proposal ? html` <span class="badge pending">a reviewer's proposal</span>` : ''}</dd>
<dt>Taken</dt><dd>${r.detail.taken ? 'yes: a version of the removing series was accepted' : 'no (as far as the list says)'}</dd>
<dt>Call sites</dt><dd><ul class="plain small">${r.detail.sites.map((x) => html`<li><code>${x.call}()</code> in ${x.function ? html`<code>${x.function}()</code>` : 'an unknown function'} <span class="muted">(${x.file})</span> by <a href="${hrefPatch(x.messageId)}">${x.messageId}</a></li>`)}</ul></dd>
<dt>Versions</dt><dd>${r.detail.versions.map((v, i) => html`${i ? ', ' : ''}v${v.version}${v.taken ? ' (taken)' : ''}`)}</dd>` : ''}
${r.status === 'resolved' ? html`<dt>Resolution</dt><dd>${r.resolution === 'dropped' ? 'a later version no longer removes it' : 're-fixed'}${d.resolvedBy ? html`<br>${messageLine(d.resolvedBy)}` : r.resolvedBy ? html`<br><a href="${hrefPatch(r.resolvedBy)}">${r.resolvedBy}</a>` : ''}</dd>` : ''}
<dt>Acknowledged</dt><dd id="reg-ack">${r.acknowledged ? html`${r.acknowledged.reason} <span class="muted small">${r.acknowledged.by ? `by ${r.acknowledged.by}, ` : ''}${dateTime(r.acknowledged.at)}</span>` : 'no'}</dd>
<dt>Key</dt><dd class="mono small">${r.key}</dd>
</dl></div>
</section>
${ackSection(r)}
<section class="panel" aria-labelledby="rel-h">
<h2 id="rel-h">Related patches</h2>
${d.related.length
    ? html`<p class="small muted">Patches that add ${call(f.call)} back somewhere (re-fix candidates).</p><ul>${d.related.map((m) => html`<li>${messageLine(m)}</li>`)}</ul>`
    : html`<p class="empty">No patch adds ${call(f.call)} back yet.</p>`}
</section>
</div>
</div>`;
  return layout({ title: regressionHeadline(r), section: 'other', body });
}
