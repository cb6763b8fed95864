// What a cache keys on: a string that changes whenever the database may have. SQLite's data_version is bumped by
// any other connection's commit (an ingest, another server); this connection's total_changes counts its own writes.
import type { Db } from '../../ingest/store/db.ts';

/** A function answering the database's current version (cheap: one pragma and one prepared statement). */
export function databaseVersion(db: Db): () => string {
  const totalChanges = db.prepare('SELECT total_changes()').pluck();
  return () => `${db.pragma('data_version', { simple: true })}:${totalChanges.get()}`;
}
