// Test scaffolding: read the sample corpus (archive.mbox + truth.json) without the project's ingest
// pipeline, so the detection rules can be checked against truth on their own.
// The mbox is split on its mboxrd separators, `>From` un-escaped, and each message decoded by mailparser.
import { readFileSync } from 'node:fs';
import { simpleParser } from 'mailparser';

export const CORPUS = new URL('../fixtures/corpus', import.meta.url).pathname;

export interface CorpusMail {
  messageId: string; // without angle brackets
  subject: string;
  date: string | null;
  text: string;
}

export interface Truth {
  patches: string[];
  series: { cover: string | null; patches: string[]; version: number; total: number }[];
  seriesVersions: string[][];
  patchVersions: string[][];
  acceptedBy: Record<string, string>;
  callChanges: { messageId: string; file: string; function: string | null; path: string | null; call: string; op: string }[];
  knownFixes: {
    key: string; kind?: string; file: string; function: string | null; path: string | null; call: string;
    before?: string[]; introducedBy: string; movedTo?: string; movedFrom?: string;
  }[];
  regressions: {
    key: string; fix: string; fixMessage: string; removedBy: string[]; status: string;
    resolvedBy?: string; resolution?: string;
  }[];
  nonRegressions: { why: string; fix: string; series: string[] }[];
  renames: { from: string; to: string; by: string }[];
  refixCandidates: { patch: string; regressionOf: string }[];
  watchedFiles: string[];
}

export const bare = (id: string): string => id.replace(/^<|>$/g, '');

export function loadTruth(): Truth {
  return JSON.parse(readFileSync(`${CORPUS}/truth.json`, 'utf8')) as Truth;
}

/** Split an mboxrd archive into raw messages (separator line dropped, `>From` quoting undone). */
export function splitMboxrd(buf: Buffer): Buffer[] {
  const text = buf.toString('latin1'); // byte-preserving
  const parts = text.split(/^From mboxrd@z [^\n]*\n/m).slice(1);
  return parts.map((p) => Buffer.from(p.replace(/^>(>*From )/gm, '$1'), 'latin1'));
}

export async function loadMails(): Promise<Map<string, CorpusMail>> {
  const raw = splitMboxrd(readFileSync(`${CORPUS}/archive.mbox`));
  const out = new Map<string, CorpusMail>();
  for (const bytes of raw) {
    const m = await simpleParser(bytes, { skipHtmlToText: true, skipImageLinks: true, skipTextLinks: true });
    if (!m.messageId) continue;
    const id = bare(m.messageId);
    if (out.has(id)) continue; // a duplicate: first copy wins
    out.set(id, {
      messageId: id,
      subject: m.subject ?? '',
      date: m.date && !Number.isNaN(m.date.getTime()) ? m.date.toISOString() : null,
      // a patch sent as a text attachment (text/x-patch, text/x-diff) counts as the mail's own text
      text: [m.text ?? '', ...m.attachments
        .filter((a) => /^text\//i.test(a.contentType) || /\.(patch|diff)$/i.test(a.filename ?? ''))
        .map((a) => a.content.toString('utf8'))].join('\n'),
    });
  }
  return out;
}

/**
 * Series, version chains and acceptance for every truth patch, taken from truth.json.
 * TEST SCAFFOLDING: this stands in for the ingest derivations (series detection, version linking,
 * acceptance replies) another engineer is writing; it is not how the product derives them.
 */
export interface SeriesFacts {
  seriesId: string;
  chainId: string;
  version: number;
  index: number | null;
  accepted: string | null; // accepting reply
}

export function seriesFacts(t: Truth): Map<string, SeriesFacts> {
  const out = new Map<string, SeriesFacts>();
  const chainOfCover = new Map<string, { chain: string; version: number }>();
  for (const chain of t.seriesVersions) chain.forEach((c, i) => chainOfCover.set(bare(c), { chain: bare(chain[0]), version: i + 1 }));
  for (const s of t.series) {
    const sid = bare(s.cover ?? s.patches[0]);
    const ch = chainOfCover.get(sid);
    const acc = (s.cover && t.acceptedBy[s.cover]) || null;
    s.patches.forEach((p, i) => out.set(bare(p), {
      seriesId: sid,
      chainId: ch?.chain ?? sid,
      version: ch?.version ?? s.version,
      index: i + 1,
      accepted: acc ? bare(acc) : t.acceptedBy[p] ? bare(t.acceptedBy[p]) : null,
    }));
  }
  const chainOfPatch = new Map<string, { chain: string; version: number }>();
  for (const chain of t.patchVersions) chain.forEach((p, i) => chainOfPatch.set(bare(p), { chain: bare(chain[0]), version: i + 1 }));
  for (const p of t.patches) {
    const id = bare(p);
    if (out.has(id)) continue;
    const ch = chainOfPatch.get(id);
    out.set(id, {
      seriesId: id,
      chainId: ch?.chain ?? id,
      version: ch?.version ?? 1,
      index: null,
      accepted: t.acceptedBy[p] ? bare(t.acceptedBy[p]) : null,
    });
  }
  return out;
}
