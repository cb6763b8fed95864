// Pieces several pages share: status badges, a fix described in words, people, regression cards, filter forms.
import type { Address, Evidence, Regression, RegressionStatus } from '../schemas/index.ts';
import { age, day, hrefFunction, hrefPatch, hrefRegression, html, timeEl, type SafeHtml } from './html.ts';
import { addressKey } from '../../ingest/core/address.ts';

export function statusBadge(status: RegressionStatus | string): SafeHtml {
  return html`<span class="badge ${status}" data-status="${status}">${status}</span>`;
}

export function person(a: Address | null | undefined): SafeHtml {
  if (!a) return html`<span class="muted">unknown</span>`;
  if (a.name && a.email) return html`<span title="${a.email}">${a.name}</span>`;
  return html`<span>${a.name || a.email || 'unknown'}</span>`;
}

export const call = (c: string) => html`<code>${c}()</code>`;

export interface FixLike {
  kind: 'presence' | 'order';
  file: string;
  function: string | null;
  path: string | null;
  call: string;
  before: string[];
}

/** "amd_iommu_flush_all_devices() in amd_iommu_init_dma_ops() · init path · arch/x86/kernel/amd_iommu.c" */
export function fixSummary(f: FixLike, o: { link?: boolean } = {}): SafeHtml {
  const fn = f.function
    ? o.link === false ? html`<code>${f.function}()</code>` : html`<a href="${hrefFunction(f.file, f.function)}"><code>${f.function}()</code></a>`
    : html`<span class="muted">(no function)</span>`;
  const what = f.kind === 'order'
    ? html`${call(f.call)} before ${f.before.map((b, i) => html`${i ? ', ' : ''}${call(b)}`)} in ${fn}`
    : html`${call(f.call)} in ${fn}`;
  return html`${what} ${f.path ? html`<span class="badge path">${f.path} path</span>` : ''} <span class="mono small">${f.file}</span>`;
}

/** The headline of a regression: what was undone. */
export function regressionHeadline(r: Regression): string {
  const f = r.fix;
  if (f.kind === 'order') return `${f.call}() no longer before ${f.before.map((b) => b + '()').join(', ')}${f.function ? ` in ${f.function}()` : ''}`;
  return `${f.call}() removed${f.function ? ` from ${f.function}()` : ''}`;
}

/** One regression as a card for the overview. */
export function regressionCard(r: Regression, now = Date.now(), resolvedSubject?: string): SafeHtml {
  // one person however their address was spelt (letter case aside)
  const authors = [...new Map(r.removedBy.map((x) => [x.author.email ? addressKey(x.author.email) : x.author.name, x.author])).values()];
  return html`<li class="card ${r.status}" data-regression="${r.id}">
<h3><a href="${hrefRegression(r.id)}">${regressionHeadline(r)}</a> ${statusBadge(r.status)}</h3>
<p class="fix">${fixSummary(r.fix)}</p>
<dl>
<dt>Removed by</dt>
<dd><ol class="versions">${r.removedBy.map((x) => html`<li><a href="${hrefPatch(x.messageId)}">${x.subject}</a> <span class="muted small nowrap">v${x.version} · ${day(x.date)}</span></li>`)}</ol></dd>
<dt>Author</dt><dd>${authors.map((a, i) => html`${i ? ', ' : ''}${person(a)}`)}</dd>
<dt>Age</dt><dd>${age(r.firstSeen, now)} <span class="muted small">(first seen ${timeEl(r.firstSeen, day(r.firstSeen))})</span></dd>
${r.status === 'resolved' ? html`<dt>Resolved</dt><dd>${r.resolution === 'dropped' ? 'dropped in a later version' : 're-fixed'}${r.resolvedBy ? html` by <a href="${hrefPatch(r.resolvedBy)}">${resolvedSubject || 'the patch'}</a>` : ''}</dd>` : ''}
${r.acknowledged ? html`<dt>Acknowledged</dt><dd>${r.acknowledged.reason} <span class="muted small">${r.acknowledged.by ? `by ${r.acknowledged.by}, ` : ''}${day(r.acknowledged.at)}</span></dd>` : ''}
</dl>
</li>`;
}

// ---- filter forms ---------------------------------------------------------------------------------

export interface FieldSpec {
  name: string;
  label: string;
  type?: 'text' | 'date' | 'select';
  options?: { value: string; label: string }[];
  placeholder?: string;
}

/** A GET form whose fields mirror the query string, so every filtered view has a URL to share. */
export function filterForm(action: string, fields: FieldSpec[], values: Record<string, string | undefined>, o: { open?: boolean; title?: string } = {}): SafeHtml {
  const active = fields.filter((f) => values[f.name]).length;
  const field = (f: FieldSpec) => {
    const v = values[f.name] ?? '';
    const id = `f-${f.name}`;
    if (f.type === 'select') {
      return html`<label for="${id}">${f.label}<select id="${id}" name="${f.name}">${(f.options ?? []).map(
        (opt) => html`<option value="${opt.value}"${opt.value === v ? html` selected` : ''}>${opt.label}</option>`,
      )}</select></label>`;
    }
    return html`<label for="${id}">${f.label}<input id="${id}" name="${f.name}" type="${f.type ?? 'text'}" value="${v}"${f.placeholder ? html` placeholder="${f.placeholder}"` : ''}></label>`;
  };
  return html`<details class="panel filter-box"${o.open || active ? html` open` : ''}>
<summary>${o.title ?? 'Filter'}${active ? ` (${active} active)` : ''}</summary>
<form class="filters" method="get" action="${action}" role="search">
${fields.map(field)}
<div class="actions"><button type="submit">Apply</button> <a href="${action}">Clear</a></div>
</form>
</details>`;
}

const EVIDENCE_WORDS: Record<Evidence['kind'], string> = {
  reply: "maintainer's reply", 'b4-thanks': "b4 thank-you", 'pull-request': 'pull request', 'pull-merged': 'pull request merged',
  'commit-notice': 'commit notice', stable: 'stable copy', declared: 'declared',
};
const STATE_WORDS: Record<string, string> = { proposed: 'proposed', accepted: 'accepted', merged: 'merged upstream', superseded: 'superseded' };

/** A patch's state as a badge: proposed, accepted, merged upstream, superseded. */
export function stateBadge(state: string): SafeHtml {
  return html`<span class="badge ${state === 'proposed' || state === 'superseded' ? 'pending' : 'accepted'}" data-state="${state}">${STATE_WORDS[state] ?? state}</span>`;
}

/** Where a commit can be seen: the evidence's own link, else git.kernel.org for an upstream commit. */
export function commitHref(e: Pick<Evidence, 'commit' | 'url' | 'state'>): string | null {
  if (e.url && /^https?:\/\//.test(e.url)) return e.url;
  return e.commit && e.state === 'merged' ? `https://git.kernel.org/torvalds/c/${e.commit}` : null;
}

/** Evidence that a patch was taken, strongest first: kind, tree, who, when, the message, the commit. */
export function evidenceList(evidence: Evidence[]): SafeHtml {
  if (!evidence.length) return html`<p class="empty small">Nothing on the list says it was taken.</p>`;
  return html`<ul class="evidence-list small">${evidence.map((e) => {
    const href = commitHref(e);
    const where = [e.tree, e.branch].filter(Boolean).join(' ');
    return html`<li data-kind="${e.kind}"><strong>${EVIDENCE_WORDS[e.kind] ?? e.kind}</strong>${e.state === 'merged' ? html` <span class="badge accepted">merged upstream</span>` : ''}${where ? html` <span class="mono">${where}</span>` : ''}
${e.by ? html` by ${person(e.by)}` : ''}${e.date ? html` · ${timeEl(e.date, day(e.date))}` : ''}${e.messageId && e.kind !== 'declared' ? html` · <a href="${hrefPatch(e.messageId)}">message</a>` : ''}${e.commit ? html` · commit ${href ? html`<a class="mono" href="${href}" rel="noopener noreferrer">${e.commit.slice(0, 12)}</a>` : html`<span class="mono">${e.commit.slice(0, 12)}</span>`}` : ''}</li>`;
  })}</ul>`;
}
