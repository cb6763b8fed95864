// Corpus-level checks against /work/shared/corpus/truth.json: the call index (precision and recall 1.0),
// then known fixes and regressions. Series, versions and acceptance come from truth.json (see
// seriesFacts in ./corpus.ts: scaffolding standing in for the ingest derivations); dates come from the mails.
import { beforeAll, describe, expect, it } from 'vitest';
import { extractDiff, parseDiff } from '../../ingest/core/diff.ts';
import { indexCalls } from '../../ingest/core/call-index.ts';
import { detectRegressions, type Detection } from '../../ingest/core/fix-rules.ts';
import type { KnownFix, PatchFacts } from '../../ingest/core/model.ts';
import { DEFAULT_RULES } from './helpers.ts';
import { bare, loadMails, loadTruth, seriesFacts, type CorpusMail, type Truth } from './corpus.ts';

let truth: Truth;
let mails: Map<string, CorpusMail>;
let facts: PatchFacts[];
let detection: Detection;

beforeAll(async () => {
  truth = loadTruth();
  mails = await loadMails();
  const series = seriesFacts(truth);
  facts = truth.patches.map((p) => {
    const id = bare(p);
    const m = mails.get(id);
    if (!m) throw new Error(`patch ${id} not found in the mbox`);
    const s = series.get(id)!;
    const files = parseDiff(extractDiff(m.text));
    const ix = indexCalls(id, files, DEFAULT_RULES);
    return {
      messageId: id, subject: m.subject, date: m.date, author: { name: '', email: '' },
      seriesId: s.seriesId, chainId: s.chainId, version: s.version, index: s.index, tags: [],
      accepted: s.accepted ? { by: { name: '', email: '' }, date: null, messageId: s.accepted } : null,
      callChanges: ix.callChanges, orderChanges: ix.orderChanges,
      renames: files.filter((f) => f.status === 'renamed' && f.oldPath).map((f) => ({ from: f.oldPath!, to: f.path })),
    };
  });
  detection = detectRegressions(facts, []);
}, 60_000);

describe('corpus: call index', () => {
  it('finds every truth patch in the mbox and a diff in each', () => {
    expect(facts).toHaveLength(truth.patches.length);
    const withoutDiff = truth.patches.filter((p) => !extractDiff(mails.get(bare(p))!.text));
    expect(withoutDiff).toEqual([]);
  });

  it('precision and recall 1.0 against truth.callChanges', () => {
    const key = (c: { messageId: string; file: string; function: string | null; path: string | null; call: string; op: string }) =>
      [bare(c.messageId), c.file, c.function, c.path, c.call, c.op].join('|');
    const want = new Set(truth.callChanges.map(key));
    const got = new Set(facts.flatMap((f) => f.callChanges).map(key));
    const truePositives = [...got].filter((g) => want.has(g)).length;
    const precision = got.size ? truePositives / got.size : 0;
    const recall = want.size ? truePositives / want.size : 0;
    expect({ extra: [...got].filter((g) => !want.has(g)), missing: [...want].filter((w) => !got.has(w)) }).toEqual({ extra: [], missing: [] });
    expect([precision, recall]).toEqual([1, 1]);
  });

  it('every watched file of the storyline is covered by the default rule', () => {
    const files = new Set(facts.flatMap((f) => f.callChanges.map((c) => c.file)));
    for (const w of truth.watchedFiles) expect([w, files.has(w)]).toEqual([w, true]);
  });

  it('the order fix of the storyline moves an enable call ahead of the calls truth names', () => {
    for (const o of truth.knownFixes.filter((k) => k.kind === 'order')) {
      const p = facts.find((f) => f.messageId === bare(o.introducedBy))!;
      const oc = p.orderChanges.find((c) => c.call === o.call && c.function === o.function);
      expect(oc).toBeDefined();
      expect(oc!.nowBefore).toEqual(expect.arrayContaining(o.before!));
    }
  });
});

describe('corpus: known fixes and regressions', () => {
  // truth key (K1, O1, ...) -> our fix, matched on what the fix is
  const ours = (k: Truth['knownFixes'][number]): KnownFix | undefined =>
    detection.fixes.find((f) => f.kind === (k.kind ?? 'presence') && f.call === k.call && f.function === k.function &&
      f.introducedBy === bare(k.introducedBy) && f.key.includes(`:${k.file}:`));

  it('finds exactly the known fixes of truth, with their paths and moves', () => {
    expect(detection.fixes).toHaveLength(truth.knownFixes.length);
    const renamed = (file: string) => truth.renames.reduce((f, r) => (f === r.from ? r.to : f), file);
    for (const k of truth.knownFixes) {
      const f = ours(k);
      expect([k.key, f !== undefined]).toEqual([k.key, true]);
      expect([k.key, f!.path, f!.file]).toEqual([k.key, k.path, renamed(k.file)]);
      if (k.kind === 'order') expect([...f!.before].sort()).toEqual([...k.before!].sort());
      const movedTo = k.movedTo ? ours(truth.knownFixes.find((x) => x.key === k.movedTo)!)!.key : null;
      const movedFrom = k.movedFrom ? ours(truth.knownFixes.find((x) => x.key === k.movedFrom)!)!.key : null;
      expect([k.key, f!.movedTo, f!.movedFrom]).toEqual([k.key, movedTo, movedFrom]);
      expect([k.key, f!.status]).toEqual([k.key, k.movedTo ? 'moved' : 'active']);
    }
  });

  it('finds exactly the regressions of truth (fix, fixMessage, removedBy, status, resolvedBy, resolution)', () => {
    const want = truth.regressions.map((r) => ({
      fix: ours(truth.knownFixes.find((k) => k.key === r.fix)!)!.key,
      fixMessage: bare(r.fixMessage),
      removedBy: r.removedBy.map(bare).sort(),
      status: r.status,
      resolvedBy: r.resolvedBy ? bare(r.resolvedBy) : null,
      resolution: r.status === 'resolved' ? (r.resolution ?? 'refixed') : null,
    }));
    const got = detection.regressions.map((r) => ({
      fix: r.fixKey, fixMessage: r.fixMessage, removedBy: [...r.removedBy].sort(), status: r.status, resolvedBy: r.resolvedBy, resolution: r.resolution,
    }));
    const order = (x: { fix: string; removedBy: string[] }) => `${x.fix}|${x.removedBy[0]}`;
    expect([...got].sort((a, b) => order(a).localeCompare(order(b)))).toEqual([...want].sort((a, b) => order(a).localeCompare(order(b))));
  });

  it('does not report the moves inside a series (nonRegressions)', () => {
    for (const n of truth.nonRegressions) {
      const fix = ours(truth.knownFixes.find((k) => k.key === n.fix)!)!;
      expect(detection.regressions.filter((r) => r.fixKey === fix.key)).toEqual([]);
    }
  });

  it('links the refix candidates as related to the regression of their fix', () => {
    for (const c of truth.refixCandidates) {
      const fixKey = ours(truth.knownFixes.find((k) => k.key === c.regressionOf)!)!.key;
      const first = truth.regressions.find((r) => r.fix === c.regressionOf)!; // R1
      const reg = detection.regressions.find((r) => r.fixKey === fixKey && r.removedBy.includes(bare(first.removedBy[0])))!;
      expect(reg.related).toContain(bare(c.patch));
    }
  });

  it('regression keys are stable and the result does not depend on input order', () => {
    const again = detectRegressions([...facts].reverse(), []);
    expect(again).toEqual(detection);
    expect(new Set(detection.regressions.map((r) => r.key)).size).toBe(detection.regressions.length);
  });
});
