// The watched patches' facts read a posting at a time (ingest/store/watched-facts.ts), on literal rows: the postings
// come in the rules' order (fix-rules.ts postingsInOrder) where SQL's text order is not it (an offset date, one
// Date.parse cannot read, equal times, seriesIds compared by UTF-16 code unit), and each patch's facts are what is
// stored: its series and chain, its call and order changes in order, its renames, whether it is a proposal.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../../ingest/store/db.ts';
import { watchedPostings } from '../../../ingest/store/watched-facts.ts';
import { detectInOrder, detectRegressions, postingsInOrder } from '../../../ingest/core/fix-rules.ts';
import type { PatchFacts } from '../../../ingest/core/model.ts';

const FILE = 'arch/x86/kernel/amd_iommu.c';

function database(): Db {
  return openDb(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'relapse-watched-')), 'r.db'));
}

/** A patch row (with a watched call change when `call` is given) in series `series` (an anchor) or none. */
function patchRow(db: Db, id: string, date: string | null, o: { series?: number; idx?: number; call?: [op: string, call: string]; kind?: string; accepted?: boolean } = {}) {
  db.prepare(`INSERT INTO messages (message_id, list, subject, kind, date, is_patch, idx, series_id, accepted_message, source, offset, size, ingested_at)
    VALUES (?, 'kexec', ?, ?, ?, 1, ?, ?, ?, 'test', 0, 0, '2024-01-01T00:00:00.000Z')`)
    .run(id, `[PATCH] ${id}`, o.kind ?? 'patch', date, o.idx ?? null, o.series ?? null, o.accepted ? `ack-${id}` : null);
  if (o.call) {
    db.prepare(`INSERT INTO call_changes (message_id, seq, file, function, path, call, op, line, rule)
      VALUES (?, 0, ?, 'amd_iommu_init', 'init', ?, ?, ?, 'amd_iommu')`).run(id, FILE, o.call[1], o.call[0], `\t${o.call[1]}();`);
  }
}

function series(db: Db, id: number, anchor: string, version = 1, chain: number | null = null) {
  db.prepare(`INSERT INTO series (id, anchor, title, version, total, chain_id) VALUES (?, ?, 't', ?, 2, ?)`).run(id, anchor, version, chain ?? id);
}

const facts = (db: Db) => [...watchedPostings(db)].map((p) => p.map((w) => w.facts));
const ids = (postings: PatchFacts[][]) => postings.map((p) => p.map((x) => x.messageId).sort());

describe('watched patches, a posting at a time', () => {
  it('come in the rules\' order where the text of the dates and ids is not it', () => {
    const db = database();
    const fix: [string, string] = ['added', 'amd_iommu_flush_all_devices'];
    const rm: [string, string] = ['removed', 'amd_iommu_flush_all_devices'];
    patchRow(db, 'undated@x', null, { call: rm });
    patchRow(db, 'unreadable@x', 'someday', { call: rm });
    patchRow(db, 'offset@x', '2010-01-01T01:00:00+02:00', { call: rm }); // 2009-12-31T23:00Z: before 'utc' in time, after it as text
    patchRow(db, 'utc@x', '2010-01-01T00:00:00.000Z', { call: rm });
    patchRow(db, 'fix@x', '2009-06-01T00:00:00.000Z', { call: fix, accepted: true });
    // equal times: seriesIds U+FFFD and U+1F600, in UTF-8 byte order the other way round
    patchRow(db, '\uFFFD@x', '2010-02-01T00:00:00.000Z', { call: rm });
    patchRow(db, '\u{1F600}@x', '2010-02-01T00:00:00Z', { call: rm });
    // a series whose earliest patch is its second; the first has no call change of its own but is read along
    series(db, 1, 'cover@x');
    patchRow(db, 's1@x', '2010-03-05T00:00:00.000Z', { series: 1, idx: 1 });
    patchRow(db, 's2@x', '2010-03-01T00:00:00.000Z', { series: 1, idx: 2, call: rm });
    patchRow(db, 'lone@x', '2010-03-02T00:00:00.000Z', { call: rm });
    patchRow(db, 'unwatched@x', '2010-03-03T00:00:00.000Z');

    const streamed = facts(db);
    const want = [['fix@x'], ['offset@x'], ['utc@x'], ['\u{1F600}@x'], ['\uFFFD@x'], ['s1@x', 's2@x'], ['lone@x'], ['undated@x'], ['unreadable@x']]; // no time: by seriesId
    expect(ids(streamed)).toEqual(want);
    expect(ids(postingsInOrder(streamed.flat().reverse()))).toEqual(want);
    const d = detectInOrder(streamed);
    expect(d).toEqual(detectRegressions(streamed.flat().reverse()));
    expect(d.regressions.map((r) => r.removedBy)).toEqual([['offset@x'], ['utc@x'], ['\u{1F600}@x'], ['\uFFFD@x'], ['s2@x'], ['lone@x'], ['undated@x'], ['unreadable@x']]);
  });

  it('are what is stored: series and chain anchors, versions, changes in order, renames, proposals', () => {
    const db = database();
    series(db, 1, 'v1@x');
    series(db, 2, 'v2@x', 2, 1);
    patchRow(db, 'v1@x', '2010-01-01T00:00:00.000Z', { series: 1, idx: 1, call: ['removed', 'flush_a'] });
    db.prepare(`INSERT INTO call_changes (message_id, seq, file, function, path, call, op, line, rule)
      VALUES ('v1@x', 1, ?, NULL, NULL, 'flush_b', 'added', '\tflush_b();', 'amd_iommu')`).run(FILE);
    patchRow(db, 'v2@x', '2010-02-01T00:00:00.000Z', { series: 2, idx: 1, accepted: true }); // no change: read as a version of v1's chain
    patchRow(db, 'prop@x', '2010-03-01T00:00:00.000Z', { kind: 'proposal' });
    db.prepare(`INSERT INTO order_changes (message_id, seq, file, function, path, call, now_before, now_after, rule)
      VALUES ('prop@x', 0, ?, 'amd_iommu_init', 'init', 'enable_iommus', '["attach"]', '[]', 'amd_iommu')`).run(FILE);
    patchRow(db, 'mv@x', '2010-04-01T00:00:00.000Z');
    db.prepare(`INSERT INTO patch_files (message_id, seq, path, old_path, status, additions, deletions, hunks)
      VALUES ('mv@x', 0, 'b.c', 'a.c', 'renamed', 0, 0, '[]')`).run();

    const read = [...watchedPostings(db)].flat();
    expect(read.map((w) => [w.facts.messageId, w.facts.seriesId, w.facts.chainId, w.facts.version, w.facts.index, w.proposal, !!w.facts.accepted])).toEqual([
      ['v1@x', 'v1@x', 'v1@x', 1, 1, false, false],
      ['v2@x', 'v2@x', 'v1@x', 2, 1, false, true],
      ['prop@x', 'prop@x', 'prop@x', 1, null, true, false],
      ['mv@x', 'mv@x', 'mv@x', 1, null, false, false],
    ]);
    expect(read[0].facts.callChanges.map((c) => [c.call, c.op, c.function, c.path])).toEqual([['flush_a', 'removed', 'amd_iommu_init', 'init'], ['flush_b', 'added', null, null]]);
    expect(read[1].facts.callChanges).toEqual([]);
    expect(read[2].facts.orderChanges).toEqual([{ messageId: 'prop@x', file: FILE, function: 'amd_iommu_init', path: 'init', call: 'enable_iommus', nowBefore: ['attach'], nowAfter: [], rule: 'amd_iommu' }]);
    expect(read[3].facts.renames).toEqual([{ from: 'a.c', to: 'b.c' }]);
    expect(read[0].facts.accepted).toBeNull();
    expect(read[1].facts.accepted).toEqual({ by: { name: '', email: '' }, date: null, messageId: 'ack-v2@x' });
  });
});
