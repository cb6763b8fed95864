// Worker thread of a bulk load's whole derivation (derive-whole.ts's concludeWholeBeside): concludes the threads
// and answers through a connection of its own into the threads scratch, and leaves it detached for the main thread
// to apply. It writes nothing else; a failure is posted as a message (and the scratch removed).
import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { openThreadsScratch } from '../store/derive-scratch.ts';
import { concludeThreads } from './derive-whole.ts';

const { dbFile, chunk } = workerData as { dbFile: string; chunk: number };
try {
  // not openDb: no migration, no index build (the bulk load's own connections do those). Not `fileMustExist`
  // either: an attached database is opened with the main one's flags, and the scratch is a file to create
  if (!fs.existsSync(dbFile)) throw new Error(`no database at ${dbFile}`);
  const db = new Database(dbFile);
  try {
    db.pragma('busy_timeout = 10000');
    db.pragma('temp_store = MEMORY');
    const scratch = openThreadsScratch(db);
    try {
      concludeThreads(db, scratch, chunk);
      scratch.detach();
    } catch (e) {
      scratch.close();
      throw e;
    }
  } finally {
    db.close();
  }
} catch (e) {
  // the driver's error class does not survive the trip between threads: its message is sent instead
  parentPort!.postMessage(String((e as Error)?.stack ?? e));
}
