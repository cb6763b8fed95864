// Detection a posting at a time (derive.ts detectAll: the store's postings fed to fix-rules.ts detectInOrder, issue
// 15) concludes exactly what the rules conclude over every watched patch at once, in any order (detectRegressions):
// on the sample corpus, the real kexec list (when ../shared/corpus is there) and a generated archive. The postings
// come in the rules' own order, and what detectAll wrote is what writing the whole-list result writes.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../../ingest/store/db.ts';
import { Store } from '../../../ingest/store/store.ts';
import { ingestPaths } from '../../../ingest/run/pipeline.ts';
import { detectAll, patchFacts, postingFacts } from '../../../ingest/run/derive.ts';
import { detectInOrder, detectRegressions, postingsInOrder } from '../../../ingest/core/fix-rules.ts';
import type { DeclaredFix, PatchFacts } from '../../../ingest/core/model.ts';
import { readWatchRulesData } from '../../../config/watch-rules.ts';
import { generateArchive } from '../../../bench/gen-archive.ts';
import { tempDirs } from '../../temp-dirs.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');
const FIX = path.join(ROOT, 'test', 'fixtures', 'corpus');
const REAL = path.resolve(ROOT, '..', 'shared', 'corpus', 'real-kexec', 'kexec-2019-2020.mbox.gz');
const rulesData = readWatchRulesData();
const tmp = tempDirs('relapse-detect-streamed-');

async function ingest(files: string[]): Promise<Db> {
  const db = openDb(path.join(tmp(), 'r.db'));
  await ingestPaths(db, files, { rulesData, workers: 0 });
  return db;
}

/** Every written row of detection. */
const written = (db: Db) => ({
  fixes: db.prepare('SELECT * FROM fixes ORDER BY key').all(),
  regressions: db.prepare('SELECT * FROM regressions ORDER BY key').all(),
  events: db.prepare('SELECT id, type, ref, data FROM events ORDER BY id').all(),
});

const ids = (postings: PatchFacts[][]) => postings.map((p) => p.map((x) => x.messageId).sort());
/** Another order than the store's: odd places first, from the end. */
const scrambled = <T>(l: T[]) => [...l.filter((_, i) => i % 2), ...l.filter((_, i) => !(i % 2))].reverse();

/** The streamed detection against the whole-list one; returns the detection. */
function sameAsWholeList(db: Db, declared: DeclaredFix[] = []) {
  const all = patchFacts(db);
  expect(new Set(all.map((p) => p.messageId)).size).toBe(all.length);
  const postings = [...postingFacts(db)];
  expect(ids(postings)).toEqual(ids(postingsInOrder(scrambled(all))));
  const streamed = detectInOrder(postingFacts(db), declared);
  expect(streamed).toEqual(detectRegressions(scrambled(all), declared));
  expect(streamed).toEqual(detectRegressions(all, declared));
  // what detectAll (streamed) wrote is what the whole-list result writes: nothing opens, resolves or changes
  const before = written(db);
  const store = new Store(db);
  store.transaction(() => {
    const w = store.writeDetection(streamed.fixes, streamed.regressions);
    expect([w.opened, w.resolved]).toEqual([0, 0]);
  });
  expect(written(db)).toEqual(before);
  return { streamed, patches: all.length, postings: postings.length };
}

describe('detection a posting at a time equals detection over every patch at once', () => {
  it('on the sample corpus, with and without a declared fix', async () => {
    const db = await ingest([path.join(FIX, 'archive.mbox'), path.join(FIX, 'pipermail-2010-Mar.txt.gz')]);
    const truth = JSON.parse(fs.readFileSync(path.join(FIX, 'truth.json'), 'utf8'));
    const { streamed, postings, patches } = sameAsWholeList(db);
    expect(streamed.regressions).toHaveLength(truth.regressions.length);
    expect(streamed.regressions.some((r) => r.status === 'resolved')).toBe(true);
    expect(postings).toBeLessThan(patches); // series of several patches are one posting
    const declared: DeclaredFix[] = [{ kind: 'presence', file: 'arch/x86/kernel/amd_iommu_init.c', function: 'amd_iommu_init', path: 'init',
      call: 'iommu_flush_all_caches', before: [], introducedBy: null, note: 'declared in the test' }];
    detectAll(db, new Store(db), declared);
    expect(sameAsWholeList(db, declared).streamed.fixes.filter((f) => f.declared)).toHaveLength(1);
  });

  it.skipIf(!fs.existsSync(REAL))('on the sample corpus and the real kexec list together', async () => {
    const db = await ingest([path.join(FIX, 'archive.mbox'), REAL]);
    const { streamed } = sameAsWholeList(db);
    expect(streamed.regressions.length).toBeGreaterThan(0);
  });

  it('on a generated archive interleaved with the sample corpus (the same years)', async () => {
    const file = path.join(tmp(), 'g.mbox');
    generateArchive(file, { messages: 6000, seed: 15 });
    const db = await ingest([file, path.join(FIX, 'archive.mbox')]);
    const { streamed, patches, postings } = sameAsWholeList(db);
    expect(streamed.regressions.length).toBeGreaterThan(0);
    expect([patches, postings].every((n) => n > 100)).toBe(true);
  });
});
