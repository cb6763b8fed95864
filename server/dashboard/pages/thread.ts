// `/threads/:id`: a thread as a tree of nested lists (replies under what they answer).
import type { Thread, ThreadMessage } from '../../schemas/index.ts';
import { person } from '../components.ts';
import { day, hrefPatch, html, timeEl, type SafeHtml } from '../html.ts';
import { layout } from '../layout.ts';

export interface ThreadPageData {
  thread: Thread;
  /** a message to mark (the one the user came from) */
  current?: string | null;
}

interface Node {
  m: ThreadMessage;
  children: Node[];
}

/** Parent links to a forest, keeping thread order among siblings. */
export function threadTree(messages: ThreadMessage[]): Node[] {
  const nodes = new Map<string, Node>();
  for (const m of messages) nodes.set(m.messageId, { m, children: [] });
  const roots: Node[] = [];
  for (const m of messages) {
    const n = nodes.get(m.messageId)!;
    const p = m.parent !== null ? nodes.get(m.parent) : undefined;
    if (p && p !== n) p.children.push(n);
    else roots.push(n);
  }
  return roots;
}

function renderNodes(nodes: Node[], current: string | null | undefined, depth: number): SafeHtml {
  // very deep threads are flattened past a depth, so the page never grows wider than the window
  return html`${nodes.map((n) => {
    const kids = n.children.length
      ? depth < 12 ? html`<ul>${renderNodes(n.children, current, depth + 1)}</ul>` : renderNodes(n.children, current, depth + 1)
      : '';
    const m = n.m;
    return html`<li><div class="node${m.messageId === current ? ' current' : ''}">
<a href="${hrefPatch(m.messageId)}"${m.messageId === current ? html` aria-current="true"` : ''}>${m.subject || '(no subject)'}</a>
${m.kind === 'proposal' ? html`<span class="badge path">proposed diff</span>` : m.isPatch ? html`<span class="badge path">patch</span>` : m.kind === 'cover' ? html`<span class="badge pending">cover</span>` : ''}
<span class="meta"><span>${person(m.from)}</span><span>${timeEl(m.date, day(m.date))}</span></span>
</div>${kids}</li>`;
  })}`;
}

/** A thread's messages as a nested list (used on the thread page and for a fix's original discussion). */
export function threadTreeHtml(messages: ThreadMessage[], current?: string | null, label = 'Thread'): SafeHtml {
  return html`<ul class="tree" aria-label="${label}">${renderNodes(threadTree(messages), current, 0)}</ul>`;
}

export function threadPage(d: ThreadPageData): SafeHtml {
  const t = d.thread;
  const body = html`
<h1>${t.subject || '(no subject)'}</h1>
<p class="muted">${t.messages.length} message${t.messages.length === 1 ? '' : 's'}${t.lastDate ? html`, last ${timeEl(t.lastDate, day(t.lastDate))}` : ''}${
    t.messages.some((m) => m.messageId === t.root) ? '' : html` · the first message (<span class="mono small">${t.root}</span>) is not in the archive`}</p>
${threadTreeHtml(t.messages, d.current)}`;
  return layout({ title: t.subject || 'Thread', section: 'other', body });
}
