// Full rebuild of the call index and detection, for when watch rules change.
//
// Detection reads derived data (threads, series, acceptance). Messages an ingest stored but has not derived yet
// (it is running, or was killed before its derivation) would make detection see patches without their
// acceptance: phantom regressions that the next ingest silently dropped (issue 13). So reindex refuses while
// stored messages wait for derivation, saying why and what to run; the ingest that resumes derives them.
import type { Db } from '../store/db.ts';
import type { DeclaredFix } from '../core/model.ts';
import { Store } from '../store/store.ts';
import { patchDiffs, unfinishedSources } from '../store/readers.ts';
import { parseDiff } from '../core/diff.ts';
import { indexCalls } from '../core/call-index.ts';
import { validateWatchRules } from '../../config/watch-rules.ts';
import { rulesHash } from '../core/watch.ts';
import { detectAll } from './derive.ts';

/** Why reindex will not run now, or null. */
export function reindexRefusal(db: Db): string | null {
  const store = new Store(db);
  if (store.getMeta('derive.dirty') !== '1') return null;
  const open = unfinishedSources(db, 3);
  const where = open.length ? ` (unfinished: ${open.map((s) => `${s.path} at byte ${s.resume_offset}`).join(', ')})` : '';
  return 'messages were stored that are not derived yet: an ingest is running or was interrupted' + where +
    '; let it finish, or run `relapse ingest` again on the same paths (it resumes and derives), then reindex';
}

export function reindex(db: Db, rulesData: unknown, declared: DeclaredFix[] = []) {
  const refusal = reindexRefusal(db);
  if (refusal) throw new Error(`reindex refused: ${refusal}`);
  const rules = validateWatchRules(rulesData);
  const hash = rulesHash(rulesData);
  const store = new Store(db);
  let patches = 0, callChanges = 0, orderChanges = 0;
  const work: { id: string; calls: ReturnType<typeof indexCalls> }[] = [];
  for (const r of patchDiffs(db)) {
    const calls = indexCalls(r.messageId, parseDiff(r.diffText), rules);
    work.push({ id: r.messageId, calls });
  }
  const result = store.transaction(() => {
    for (const w of work) {
      store.putIndex(w.id, w.calls.callChanges, w.calls.orderChanges, hash);
      patches++;
      callChanges += w.calls.callChanges.length;
      orderChanges += w.calls.orderChanges.length;
    }
    return detectAll(db, store, declared);
  });
  return { patches, callChanges, orderChanges, regressions: result.regressions };
}
