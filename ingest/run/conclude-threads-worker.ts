// Worker thread of a bulk load's whole derivation (derive-whole.ts's concludeWholeBeside): concludes the threads
// and answers through a connection of its own into the threads scratch, and leaves it detached for the main thread
// to apply. It writes nothing else; a failure is posted as a message (and the scratch removed).
import { parentPort, workerData } from 'node:worker_threads';
import { openBeside } from '../store/db.ts';
import { openThreadsScratch } from '../store/derive-scratch.ts';
import { concludeThreads } from './derive-whole.ts';

const { dbFile, chunk } = workerData as { dbFile: string; chunk: number };
try {
  const db = openBeside(dbFile);
  try {
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
