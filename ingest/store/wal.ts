// The write-ahead log's checkpoints as a loader drives them (ingest/run/pipeline.ts): a passive checkpoint between
// batches, and SQLite's automatic checkpoints held off while another connection copies the log.
import type { Db } from './db.ts';

/** Copy what the log holds into the database as far as no reader needs it (never waits on readers or writers). */
export function checkpointPassive(db: Db): void {
  db.pragma('wal_checkpoint(PASSIVE)');
}

/** Stop this connection's automatic checkpoints; the function returned restores them as they were. */
export function holdAutocheckpoint(db: Db): () => void {
  const autocheckpoint = db.pragma('wal_autocheckpoint', { simple: true }) as number;
  db.pragma('wal_autocheckpoint = 0');
  return () => {
    db.pragma(`wal_autocheckpoint = ${autocheckpoint}`);
  };
}
