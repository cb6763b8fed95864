// The writes the surfaces ask for (the API's POST routes): declare a fix, acknowledge a regression, run the fix
// and regression rules again. Each is one transaction through the store's writer; routes, dashboard and digest
// call these and never hold the writer themselves.
import type { Db } from '../store/db.ts';
import type { DeclaredFix } from '../core/model.ts';
import { Store } from '../store/store.ts';
import { detectAll } from './derive.ts';

const stores = new WeakMap<Db, Store>();

/** One writer per connection (its statements are prepared once). */
function storeOf(db: Db): Store {
  let s = stores.get(db);
  if (!s) stores.set(db, (s = new Store(db)));
  return s;
}

/** Run the fix and regression rules again over the stored facts, with `declared` (the config's) beside the stored declarations. */
export function redetect(db: Db, declared: DeclaredFix[]): void {
  const store = storeOf(db);
  store.transaction(() => detectAll(db, store, declared));
}

/**
 * Declare a known fix and run `detect` (the app's re-detection) in the same transaction: the declaration and the
 * detection it changes land together or not at all.
 */
export function declareFix(db: Db, fix: DeclaredFix, detect: () => void): void {
  const store = storeOf(db);
  store.transaction(() => {
    store.declareFix(fix);
    detect();
  });
}

/** Acknowledge a regression by its key (again: the reason is replaced). */
export function acknowledgeRegression(db: Db, regressionKey: string, reason: string, by: string | null): void {
  const store = storeOf(db);
  store.transaction(() => store.acknowledge(regressionKey, reason, by));
}
