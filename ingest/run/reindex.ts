// Full rebuild of the call index and detection, for when watch rules change.
import type { Db } from '../store/db.ts';
import type { DeclaredFix } from '../core/model.ts';
import { Store } from '../store/store.ts';
import { patchDiffs } from '../store/readers.ts';
import { parseDiff } from '../core/diff.ts';
import { indexCalls } from '../core/call-index.ts';
import { validateWatchRules } from '../../config/watch-rules.ts';
import { rulesHash } from '../core/watch.ts';
import { detectAll } from './derive.ts';

export function reindex(db: Db, rulesData: unknown, declared: DeclaredFix[] = []) {
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
