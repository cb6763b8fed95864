// Pure: a week's digest data → {subject, text, html}. No clock, no I/O: the same data gives the same bytes.
// Both parts are rendered from one document model (sections → items → fields), so they carry the same content.
import picomatch from 'picomatch';
import type { EvidenceRef, FixRef, MessageRef, NewRegression, WeekDigest } from '../data/digest-types.ts';

export interface ComposedDigest {
  subject: string;
  text: string;
  html: string;
}

// ---- small helpers ---------------------------------------------------------------------------

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** 2010-03-30 14:05 UTC */
export function formatDate(iso: string | null | undefined): string {
  if (!iso) return 'date unknown';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return 'date unknown';
  return `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 16)} UTC`;
}

export function formatDay(iso: string | null | undefined): string {
  if (!iso) return 'date unknown';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? 'date unknown' : d.toISOString().slice(0, 10);
}

/** "5 days", "3 weeks (23 days)" */
export function formatAge(days: number): string {
  if (days < 7) return plural(days, 'day');
  const weeks = Math.floor(days / 7);
  return days % 7 === 0 ? plural(weeks, 'week') : `${plural(weeks, 'week')} (${plural(days, 'day')})`;
}

const person = (p: { name: string; email: string }) => (p.name ? `${p.name} <${p.email}>` : p.email || 'unknown');

/** Whether the week has any news (still-open regressions alone are a reminder, not news). */
export function isEmptyDigest(d: WeekDigest): boolean {
  return !d.newRegressions.length && !d.resolved.length && !d.acknowledged.length && !d.fixesKnown.length && !d.series.length;
}

/** The lists a digest covers: its messages' lists, else the configured one. */
const listNames = (d: WeekDigest) => (d.lists?.length ? d.lists.join(', ') : d.list);

export function digestSubject(d: WeekDigest): string {
  const head = `[relapse] ${listNames(d)}:`;
  if (isEmptyDigest(d)) return `${head} nothing changed — week ${d.week}`;
  const parts = [plural(d.newRegressions.length, 'new regression'), `${d.resolved.length} resolved`];
  if (d.acknowledged.length) parts.push(`${d.acknowledged.length} acknowledged`);
  return `${head} ${parts.join(', ')} — week ${d.week}`;
}

// ---- routing by file pattern (MAINTAINERS-like) -----------------------------------------------

/** A matcher for a recipient's globs; `dir/` means everything under dir. Empty list: everything. */
export function fileMatcher(globs: string[]): (file: string) => boolean {
  if (!globs.length) return () => true;
  const pats = globs.map((g) => (g.endsWith('/') ? `${g}**` : g));
  const isMatch = picomatch(pats, { dot: true });
  return (file) => isMatch(file);
}

/** The digest narrowed to the items that touch a recipient's files (unchanged when they have no patterns). */
export function filterForRecipient(d: WeekDigest, r: { email: string; files: string[] }): WeekDigest {
  const files = r.files ?? [];
  if (!files.length) return { ...d, recipient: { email: r.email, files: [] } };
  const m = fileMatcher(files);
  const keep = <T extends { files: string[] }>(xs: T[]) => xs.filter((x) => x.files.some(m));
  return {
    ...d,
    recipient: { email: r.email, files: [...files] },
    newRegressions: keep(d.newRegressions),
    stillOpen: keep(d.stillOpen),
    resolved: keep(d.resolved),
    acknowledged: keep(d.acknowledged),
    fixesKnown: keep(d.fixesKnown),
    series: keep(d.series),
  };
}

// ---- document model ---------------------------------------------------------------------------

type Inline = string | { text: string; href: string } | { code: string };
type Line = Inline[];

interface Field {
  label: string;
  /** one or more lines; a group of lines (one message) is kept together and bulleted */
  lines: (Line | Line[])[];
  /** render the lines as a preformatted block (diff evidence) */
  pre?: boolean;
}

interface Item {
  title: Line;
  fields: Field[];
}

interface Section {
  title: string;
  items: Item[];
  /** one line per item (title only) */
  compact?: boolean;
}

interface Doc {
  heading: string;
  intro: string[];
  sections: Section[];
  footer: string;
}

const code = (s: string): Inline => ({ code: s });
const link = (href: string, text = href): Inline => ({ text, href });
const callName = (c: string) => `${c}()`;

function fixWhat(f: FixRef): Line {
  const where: Line = f.function ? [' in ', code(callName(f.function))] : [];
  const path = f.path ? [` [${f.path} path]`] : [];
  if (f.kind === 'order') {
    return [code(callName(f.call)), ' before ', ...f.before.flatMap((b, i) => (i ? [', ', code(callName(b))] : [code(callName(b))])), ...where, ...path];
  }
  return [code(callName(f.call)), ...where, ...path];
}

function regressionTitle(f: FixRef): Line {
  const where: Line = f.function ? [' in ', code(callName(f.function))] : [];
  const path = f.path ? [` [${f.path} path]`] : [];
  if (f.kind === 'order') {
    return [code(callName(f.call)), ' no longer before ', ...f.before.flatMap((b, i) => (i ? [', ', code(callName(b))] : [code(callName(b))])), ...where, ...path, ', ', f.file];
  }
  return [code(callName(f.call)), ' removed from ', ...(f.function ? [code(callName(f.function))] : ['its function']), ...path, ', ', f.file];
}

function messageLines(m: MessageRef): Line[] {
  return [
    [`"${m.subject}"`],
    [`${person(m.author)}, v${m.version}, ${formatDate(m.date)}`],
    [link(m.link)],
  ];
}

function messageOneLine(m: MessageRef): Line {
  return [`"${m.subject}" (${m.author.name || m.author.email}, ${formatDay(m.date)}) `, link(m.link)];
}

function fixMessageLines(r: { fix: FixRef; fixMessage: MessageRef | null }): Line[] {
  const m = r.fixMessage ?? r.fix.introducedBy;
  const out: Line[] = [fixWhat(r.fix), [r.fix.file]];
  if (m) out.push(...messageLines(m));
  else out.push([r.fix.declared ? 'declared fix (no introducing message)' : 'introducing message unknown']);
  if (r.fixMessage && r.fix.introducedBy && r.fix.introducedBy.messageId !== r.fixMessage.messageId) {
    out.push(['first introduced by ', ...messageOneLine(r.fix.introducedBy)]);
  }
  return out;
}

function statusLine(r: NewRegression): Line {
  if (r.status === 'resolved' && r.resolvedBy) return [`resolved (${r.resolution ?? 'resolved'}) by `, ...messageOneLine(r.resolvedBy)];
  if (r.status === 'acknowledged' && r.acknowledged) return [`acknowledged${r.acknowledged.by ? ` by ${r.acknowledged.by}` : ''} on ${formatDay(r.acknowledged.at)}: ${r.acknowledged.reason}`];
  return ['open'];
}

const EVIDENCE_WORDS: Record<string, string> = {
  reply: 'applied by', 'b4-thanks': 'applied by', 'pull-request': 'in a pull request by', 'pull-merged': 'merged upstream',
  'commit-notice': 'committed', stable: 'merged upstream (a stable copy says)', declared: 'declared',
};

/** "applied by Joerg Roedel to iommu (x86/amd), 2020-04-17, commit 1a3f2fd7fc4e <link>" */
function evidenceLine(e: EvidenceRef): Line {
  const words = EVIDENCE_WORDS[e.kind] ?? e.kind;
  const by = e.by && words.endsWith(' by') ? ` ${e.by.name || e.by.email}` : words.endsWith(' by') ? ' a maintainer' : '';
  const where = e.tree ? ` ${e.kind === 'pull-merged' || e.kind === 'stable' ? 'into' : 'to'} ${e.tree}${e.branch ? ` (${e.branch})` : ''}` : '';
  return [`${words}${by}${where}${e.date ? `, ${formatDay(e.date)}` : ''}${e.commit ? `, commit ${e.commit.slice(0, 12)}` : ''}`, ...(e.link ? [' ', link(e.link)] : [])];
}

function buildDoc(d: WeekDigest): Doc {
  const lastDay = new Date(new Date(d.end).getTime() - 1).toISOString().slice(0, 10);
  const intro: string[] = [];
  if (isEmptyDigest(d)) {
    intro.push(`Nothing changed in week ${d.week}: no new regressions, none resolved or acknowledged, no fixes became known, and no series touched watched code.`);
  } else {
    intro.push(
      `${plural(d.newRegressions.length, 'new regression')}, ${d.resolved.length} resolved, ${d.acknowledged.length} acknowledged, ` +
        `${d.stillOpen.length} still open from earlier weeks; ${plural(d.fixesKnown.length, 'fix', 'fixes')} became known; ` +
        `${plural(d.series.length, 'series', 'series')} touched watched code.`,
    );
  }
  if (d.recipient?.files.length) intro.push(`Only items touching ${d.recipient.files.join(', ')} are listed.`);

  const sections: Section[] = [];
  sections.push({
    title: `New regressions (${d.newRegressions.length})`,
    items: d.newRegressions.map((r) => ({
      title: regressionTitle(r.fix),
      fields: [
        { label: 'Fix removed', lines: fixMessageLines(r) },
        {
          label: r.removedBy.length === 1 ? 'Removed by' : `Removed by (${r.removedBy.length} messages)`,
          lines: r.removedBy.map((m) => messageLines(m)),
        },
        { label: r.fix.kind === 'order' ? 'Evidence (reordered lines)' : 'Removed lines', lines: (r.evidence.length ? r.evidence : ['(no lines recorded)']).map((l): Line => [l]), pre: true },
        { label: 'Status', lines: [statusLine(r)] },
        ...(r.removalTaken !== undefined
          ? [{ label: 'Removal taken', lines: [r.removalTaken ? evidenceLine(r.removalTaken) : ['not (yet), as far as the list says']] }]
          : []),
      ],
    })),
  });
  if (d.stillOpen.length) {
    sections.push({
      title: `Still open from earlier weeks (${d.stillOpen.length})`,
      compact: true,
      items: d.stillOpen.map((r) => ({
        title: [...regressionTitle(r.fix), ` — open ${formatAge(r.ageDays)}, since ${formatDay(r.firstSeen)}`, ...(r.removedBy[0] ? [' ', link(r.removedBy[0].link)] : [])],
        fields: [],
      })),
    });
  }
  sections.push({
    title: `Resolved (${d.resolved.length})`,
    compact: true,
    items: d.resolved.map((r) => ({
      title: [...regressionTitle(r.fix), ` — ${r.resolution ?? 'resolved'} by `, ...messageOneLine(r.resolvedBy)],
      fields: [],
    })),
  });
  sections.push({
    title: `Acknowledged (${d.acknowledged.length})`,
    compact: true,
    items: d.acknowledged.map((r) => ({
      title: [...regressionTitle(r.fix), ` — acknowledged${r.acknowledged.by ? ` by ${r.acknowledged.by}` : ''} on ${formatDay(r.acknowledged.at)}: ${r.acknowledged.reason}`],
      fields: [],
    })),
  });
  sections.push({
    title: `Fixes that became known (${d.fixesKnown.length})`,
    compact: true,
    items: d.fixesKnown.map((k) => ({
      title: [
        ...fixWhat(k.fix),
        `, ${k.fix.file}`,
        ...(k.fix.introducedBy ? [' — ', ...messageOneLine(k.fix.introducedBy)] : [` — declared ${formatDay(k.date)}`]),
      ],
      fields: k.evidence?.length ? [{ label: 'Taken', lines: k.evidence.slice(0, 3).map(evidenceLine) }] : [],
    })),
  });
  sections.push({
    title: `Series that touched watched code (${d.series.length})`,
    items: d.series.map((s) => ({
      title: [`"${s.title}"`, s.version > 1 ? ` v${s.version}` : '', ` — ${person(s.author)}, ${formatDate(s.date)}, ${plural(s.patches.length, 'patch', 'patches')}`],
      fields: [
        { label: 'Link', lines: [[link(s.head.link)]] },
        {
          label: 'Watched calls',
          lines: s.calls.map((c): Line => [
            `${c.op} `, code(callName(c.call)), ...(c.function ? [' in ', code(callName(c.function))] : []), ...(c.path ? [` [${c.path} path]`] : []),
            `, ${c.file}`, ...(c.detail ? [` (${c.detail})`] : []),
          ]),
        },
      ],
    })),
  });
  return {
    heading: `relapse digest for ${listNames(d)} — week ${d.week} (${d.start.slice(0, 10)} to ${lastDay}, UTC)`,
    intro,
    sections,
    footer: `relapse · weekly digest of the ${listNames(d)} ${d.lists && d.lists.length > 1 ? 'lists' : 'list'} · week ${d.week}`,
  };
}

// ---- text -------------------------------------------------------------------------------------

const isGroup = (l: Line | Line[]): l is Line[] => l.length > 0 && Array.isArray(l[0]);

function inlineText(l: Line): string {
  return l.map((x) => (typeof x === 'string' ? x : 'code' in x ? x.code : x.text === x.href ? x.href : `${x.text} <${x.href}>`)).join('');
}

function renderText(doc: Doc): string {
  const out: string[] = [doc.heading, '', ...doc.intro, ''];
  for (const s of doc.sections) {
    out.push(s.title.toUpperCase(), '-'.repeat(s.title.length), '');
    if (!s.items.length) {
      out.push('  (none)', '');
      continue;
    }
    s.items.forEach((it, i) => {
      const n = `${i + 1}. `;
      out.push(`${s.compact ? '- ' : n}${inlineText(it.title)}`);
      const pad = ' '.repeat(s.compact ? 2 : n.length);
      for (const f of it.fields) {
        if (!f.lines.length) continue;
        if (f.lines.length === 1 && !f.pre && !isGroup(f.lines[0])) {
          out.push(`${pad}${f.label}: ${inlineText(f.lines[0] as Line)}`);
          continue;
        }
        out.push(`${pad}${f.label}:`);
        for (const l of f.lines) {
          if (isGroup(l)) l.forEach((x, j) => out.push(`${pad}  ${j ? '  ' : '- '}${inlineText(x)}`));
          else out.push(`${pad}${f.pre ? '  | ' : '    '}${inlineText(l)}`);
        }
      }
      if (!s.compact) out.push('');
    });
    if (s.compact) out.push('');
  }
  out.push('-- ', doc.footer, '');
  return out.join('\n');
}

// ---- HTML -------------------------------------------------------------------------------------

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const ST = {
  body: 'margin:0;padding:16px;background:#ffffff;color:#1f2328;font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;font-size:14px;line-height:1.45',
  h1: 'font-size:18px;margin:0 0 8px 0;color:#1f2328',
  h2: 'font-size:15px;margin:20px 0 6px 0;padding-bottom:3px;border-bottom:1px solid #d0d7de;color:#1f2328',
  p: 'margin:0 0 8px 0',
  code: 'font-family:Menlo,Consolas,monospace;font-size:13px;background:#f6f8fa;padding:0 2px',
  a: 'color:#0969da;text-decoration:underline',
  li: 'margin:0 0 10px 0',
  label: 'font-weight:bold;color:#57606a;margin:4px 0 0 0',
  line: 'margin:0 0 0 16px',
  group: 'margin:2px 0 4px 16px;padding-left:8px;border-left:2px solid #d0d7de',
  pre: 'font-family:Menlo,Consolas,monospace;font-size:12px;background:#fff5f5;border-left:3px solid #cf222e;margin:2px 0 0 16px;padding:4px 8px;white-space:pre-wrap;word-break:break-all',
  none: 'color:#57606a;margin:0 0 8px 0',
  footer: 'margin-top:24px;color:#57606a;font-size:12px',
};

function inlineHtml(l: Line): string {
  return l
    .map((x) =>
      typeof x === 'string'
        ? escapeHtml(x)
        : 'code' in x
          ? `<code style="${ST.code}">${escapeHtml(x.code)}</code>`
          : `<a href="${escapeHtml(x.href)}" style="${ST.a}">${escapeHtml(x.text)}</a>`,
    )
    .join('');
}

function renderHtml(doc: Doc, subject: string): string {
  const o: string[] = [
    '<!DOCTYPE html>',
    '<html>',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(subject)}</title>`,
    '</head>',
    `<body style="${ST.body}">`,
    `<h1 style="${ST.h1}">${escapeHtml(doc.heading)}</h1>`,
    ...doc.intro.map((p) => `<p style="${ST.p}">${escapeHtml(p)}</p>`),
  ];
  for (const s of doc.sections) {
    o.push(`<h2 style="${ST.h2}">${escapeHtml(s.title)}</h2>`);
    if (!s.items.length) {
      o.push(`<p style="${ST.none}">(none)</p>`);
      continue;
    }
    o.push(s.compact ? '<ul style="margin:0;padding-left:20px">' : '<ol style="margin:0;padding-left:20px">');
    for (const it of s.items) {
      o.push(`<li style="${ST.li}">`, s.compact ? `<div>${inlineHtml(it.title)}</div>` : `<div><strong>${inlineHtml(it.title)}</strong></div>`);
      for (const f of it.fields) {
        if (!f.lines.length) continue;
        if (f.lines.length === 1 && !f.pre && !isGroup(f.lines[0])) {
          o.push(`<div style="${ST.label}">${escapeHtml(f.label)}: <span style="font-weight:normal;color:#1f2328">${inlineHtml(f.lines[0] as Line)}</span></div>`);
          continue;
        }
        o.push(`<div style="${ST.label}">${escapeHtml(f.label)}</div>`);
        if (f.pre) o.push(`<pre style="${ST.pre}">${(f.lines as Line[]).map(inlineHtml).join('\n')}</pre>`);
        else {
          for (const l of f.lines) {
            if (isGroup(l)) o.push(`<div style="${ST.group}">${l.map((x) => `<div>${inlineHtml(x)}</div>`).join('')}</div>`);
            else o.push(`<div style="${ST.line}">${inlineHtml(l)}</div>`);
          }
        }
      }
      o.push('</li>');
    }
    o.push(s.compact ? '</ul>' : '</ol>');
  }
  o.push(`<p style="${ST.footer}">${escapeHtml(doc.footer)}</p>`, '</body>', '</html>', '');
  return o.join('\n');
}

/** Render a week's digest. Pure and deterministic. */
export function composeDigest(d: WeekDigest): ComposedDigest {
  const subject = digestSubject(d);
  const doc = buildDoc(d);
  return { subject, text: renderText(doc), html: renderHtml(doc, subject) };
}
