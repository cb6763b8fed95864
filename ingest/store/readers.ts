// Reads that ingest/run needs beside the writer (store.ts) and derivation's (derive-readers.ts): plain rows out,
// no writes.
import type { Db } from './db.ts';

/** Every stored patch's diff text, in storage order (a reindex takes the call index again from these). */
export function patchDiffs(db: Db): Iterable<{ messageId: string; diffText: string }> {
  const rows = db.prepare('SELECT m.message_id, b.diff_text FROM messages m JOIN message_bodies b ON b.id = m.id WHERE m.is_patch = 1')
    .iterate() as Iterable<{ message_id: string; diff_text: string }>;
  return (function* () {
    for (const r of rows) yield { messageId: r.message_id, diffText: r.diff_text };
  })();
}

/** Archives whose ingest has not completed (running or interrupted), the most recent first. */
export function unfinishedSources(db: Db, limit: number): { path: string; resume_offset: number }[] {
  return db.prepare('SELECT path, resume_offset FROM sources WHERE completed = 0 ORDER BY updated_at DESC LIMIT ?').all(limit) as { path: string; resume_offset: number }[];
}

/** The bytes of every stored message, as received (a bulk load is an archive larger than this). */
export function storedBytes(db: Db): number {
  return db.prepare('SELECT coalesce(sum(size), 0) FROM messages').pluck().get() as number;
}

/** How many series are stored. */
export function seriesCount(db: Db): number {
  return (db.prepare('SELECT count(*) AS n FROM series').get() as { n: number }).n;
}
