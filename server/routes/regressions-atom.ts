// The regressions as an Atom 1.0 feed (GET /api/regressions.atom): one entry per regression, newest first,
// its text the fix, the status and the removing messages. Pure: regressions and a base URL in, XML out.
import type { Regression } from '../schemas/index.ts';

/** Text for XML 1.0: markup characters escaped, characters XML cannot carry dropped. */
export function xmlText(s: string): string {
  return s
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

const EPOCH = '1970-01-01T00:00:00.000Z';

function where(r: Regression): string {
  const fn = r.fix.function ? `${r.fix.function}()` : r.fix.file;
  return `${r.fix.call}() ${r.fix.kind === 'order' ? 'moved out of order in' : 'removed from'} ${fn}`;
}

/** An Atom feed of regressions, newest first. */
export function regressionsAtom(regressions: Regression[], base: string): string {
  const updated = regressions.map((r) => r.firstSeen ?? EPOCH).sort().pop() ?? EPOCH;
  const entries = regressions.map((r) => {
    const first = r.removedBy[0];
    const lines = [
      `${where(r)} (${r.fix.file}${r.fix.path ? `, ${r.fix.path} path` : ''})`,
      `status: ${r.status}${r.resolution ? ` (${r.resolution})` : ''}`,
      r.fix.introducedBy ? `fix introduced by: ${r.fix.introducedBy.subject} <${r.fix.introducedBy.messageId}>` : '',
      ...r.removedBy.map((m) => `removed by v${m.version}: ${m.subject} <${m.messageId}> (${m.author.name || m.author.email})`),
      r.evidence.length ? `\n${r.evidence.map((l) => `-${l}`).join('\n')}` : '',
    ].filter(Boolean);
    return `  <entry>
    <id>urn:relapse:regression:${xmlText(encodeURIComponent(r.key))}</id>
    <title>${xmlText(`[${r.status}] ${where(r)}${first ? `: ${first.subject}` : ''}`)}</title>
    <published>${xmlText(r.firstSeen ?? EPOCH)}</published>
    <updated>${xmlText(r.firstSeen ?? EPOCH)}</updated>
    <author><name>${xmlText(first?.author.name || first?.author.email || 'unknown')}</name>${first?.author.email ? `<email>${xmlText(first.author.email)}</email>` : ''}</author>
    <link rel="alternate" type="text/html" href="${xmlText(`${base}/regressions/${r.id}`)}"/>
    <link rel="related" type="application/json" href="${xmlText(`${base}/api/regressions/${r.id}`)}"/>
    <category term="${xmlText(r.status)}"/>
    <content type="text">${xmlText(lines.join('\n'))}</content>
  </entry>`;
  });
  return `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <id>urn:relapse:regressions</id>
  <title>relapse: regressions</title>
  <subtitle>patches that undo a known fix</subtitle>
  <updated>${xmlText(updated)}</updated>
  <link rel="self" type="application/atom+xml" href="${xmlText(`${base}/api/regressions.atom`)}"/>
  <link rel="alternate" type="text/html" href="${xmlText(`${base}/`)}"/>
  <generator>relapse</generator>
${entries.join('\n')}
</feed>
`;
}
