// Addresses keep their letter case as written (AIERPATIJIANG1@...) and are compared letter case aside: in series
// versions, in acceptance (a sender's own "applied" is not a maintainer's), in the API's author filters.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readWatchRulesData } from '../../config/watch-rules.ts';
import { openDb, type Db } from '../../ingest/store/db.ts';
import { ingestPaths } from '../../ingest/run/pipeline.ts';
import { listPatches, listSeries } from '../../server/data/patches.ts';
import { listMessages } from '../../server/data/messages.ts';
import { deriveNew } from '../../ingest/run/derive.ts';

const FILE = path.join(import.meta.dirname, '..', 'fixtures', 'shapes', 'uppercase-local-part.mbox');
let db: Db;
beforeAll(async () => {
  db = openDb(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'relapse-case-')), 'r.db'));
  expect(await ingestPaths(db, [FILE], { rulesData: readWatchRulesData(), workers: 0 })).toMatchObject({ new: 3, patches: 2 });
});
afterAll(() => db?.close());

describe('address letter case', () => {
  it('stores and shows each address as its sender wrote it', () => {
    const rows = db.prepare('SELECT message_id, from_email, says_applied FROM messages ORDER BY date').all();
    expect(rows).toEqual([
      { message_id: 'upper-v1@kingsoft.example', from_email: 'AIERPATIJIANG1@kingsoft.example', says_applied: 0 },
      { message_id: 'upper-self@kingsoft.example', from_email: 'aierpatijiang1@kingsoft.example', says_applied: 1 },
      { message_id: 'upper-v2@kingsoft.example', from_email: 'aierpatijiang1@Kingsoft.EXAMPLE', says_applied: 0 },
    ]);
  });

  it('links the two versions as one author\'s, and the author\'s own "applied" accepts nothing', () => {
    const series = listSeries(db).items;
    expect(series.map((s) => [s.version, s.author.email, s.patches, s.previousVersion === null, s.nextVersion === null, s.accepted])).toEqual([
      [1, 'AIERPATIJIANG1@kingsoft.example', ['upper-v1@kingsoft.example'], true, false, null],
      [2, 'aierpatijiang1@Kingsoft.EXAMPLE', ['upper-v2@kingsoft.example'], false, true, null],
    ]);
    expect(series[0].nextVersion).toBe(series[1].id);
  });

  it('filters by author in any letter case', () => {
    for (const author of ['aierpatijiang1@kingsoft.example', 'AIERPATIJIANG1@KINGSOFT.EXAMPLE']) {
      expect(listPatches(db, { author }).items.map((p) => p.messageId)).toEqual(['upper-v1@kingsoft.example', 'upper-v2@kingsoft.example']);
      expect(listSeries(db, { author }).items).toHaveLength(2);
      expect(listMessages(db, { from: author }).items).toHaveLength(3);
    }
  });
});

describe('address letter case, derived a batch at a time', () => {
  it('a later version in another spelling re-groups with the earlier one (the scoped look-ups by author)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'relapse-case2-'));
    const text = fs.readFileSync(FILE, 'latin1');
    const cut = text.indexOf('From aierpatijiang1@Kingsoft.EXAMPLE ');
    fs.writeFileSync(path.join(dir, 'a.mbox'), text.slice(0, cut), 'latin1');
    fs.writeFileSync(path.join(dir, 'b.mbox'), text.slice(cut), 'latin1');
    const db2 = openDb(path.join(dir, 'r.db'));
    try {
      const rulesData = readWatchRulesData();
      await ingestPaths(db2, [path.join(dir, 'a.mbox')], { rulesData, workers: 0 });
      await ingestPaths(db2, [path.join(dir, 'b.mbox')], { rulesData, workers: 0, skipDerive: true });
      deriveNew(db2, [], 1); // never the whole archive: only the new message's author is re-grouped
      const series = listSeries(db2).items;
      expect(series.map((s) => [s.version, s.author.email, s.patches])).toEqual([
        [1, 'AIERPATIJIANG1@kingsoft.example', ['upper-v1@kingsoft.example']],
        [2, 'aierpatijiang1@Kingsoft.EXAMPLE', ['upper-v2@kingsoft.example']],
      ]);
      expect([series[0].nextVersion, series[1].previousVersion]).toEqual([series[1].id, series[0].id]);
    } finally {
      db2.close();
    }
  });
});
