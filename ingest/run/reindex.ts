// Full rebuild of the call index and detection, for when watch rules change.
import type { Db } from '../store/db.ts';
import type { DeclaredFix } from '../core/model.ts';
import { Store } from '../store/store.ts';
import { parseDiff } from '../core/diff.ts';
import { indexCalls } from '../core/call-index.ts';
import { validateWatchRules } from '../../config/watch-rules.ts';
import { rulesHash } from './pipeline.ts';
import { detectAll } from './derive.ts';

export function reindex(db: Db, rulesData: unknown, declared: DeclaredFix[] = []) {
  const rules = validateWatchRules(rulesData);
  const hash = rulesHash(rulesData);
  const store = new Store(db);
  let patches = 0, callChanges = 0, orderChanges = 0;
  const rows = db.prepare('SELECT m.message_id, b.diff_text FROM messages m JOIN message_bodies b ON b.id = m.id WHERE m.is_patch = 1').iterate() as Iterable<{ message_id: string; diff_text: string }>;
  const work: { id: string; calls: ReturnType<typeof indexCalls> }[] = [];
  for (const r of rows) {
    const calls = indexCalls(r.message_id, parseDiff(r.diff_text), rules);
    work.push({ id: r.message_id, calls });
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
