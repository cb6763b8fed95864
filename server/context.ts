// What every route and page needs: the database, settings, and the hook to re-run detection.
import type { Db } from '../ingest/store/db.ts';
import type { Settings } from '../config/settings.ts';

export interface AppContext {
  db: Db;
  settings: Settings;
  /** re-run the fix and regression rules after a write (declared fix, acknowledgement) */
  redetect: () => void;
}
