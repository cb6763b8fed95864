// SQL on a connection of its own, on a thread of its own, while the calling thread goes on with its own
// connection: a bulk load builds indexes while it derives, and checkpoints the log while it builds the rest.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { TEMP_STORE } from './db.ts';

// plain CommonJS, evaluated: a thread that starts in a few milliseconds and holds little memory
const SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
try {
  const Database = require(workerData.driver);
  const db = new Database(workerData.file);
  try {
    db.pragma('busy_timeout = 10000');
    db.pragma('temp_store = ' + workerData.tempStore);
    const run = () => { for (const s of workerData.sql) db.exec(s); };
    if (workerData.transaction) db.transaction(run)(); else run();
  } finally {
    db.close();
  }
} catch (e) {
  // the driver's error class does not survive the trip between threads: its message is sent instead
  parentPort.postMessage(String(e && e.message || e));
}
`;

const driver = createRequire(import.meta.url).resolve('better-sqlite3');

/**
 * Run `sql` against the database `file` on another thread (in one transaction when `transaction`); resolves
 * when done, rejects with its error.
 */
export function execElsewhere(file: string, sql: string[], opts: { transaction?: boolean } = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const w = new Worker(SOURCE, { eval: true, workerData: { driver, file, sql, transaction: !!opts.transaction, tempStore: TEMP_STORE } });
    let failure: string | null = null;
    w.once('message', (message: string) => (failure = message));
    w.once('error', reject);
    w.once('exit', (code) => {
      if (failure !== null) reject(new Error(`SQL on another thread failed: ${failure}`));
      else if (code !== 0) reject(new Error(`SQL thread exited with ${code}`));
      else resolve();
    });
  });
}

/**
 * Checkpoint `file`'s log on another thread: copy committed pages into the database while the calling thread
 * goes on writing (SQLite's PASSIVE mode never waits for the writer, nor the writer for it).
 */
export function checkpointElsewhere(file: string): Promise<void> {
  return execElsewhere(file, ['PRAGMA wal_checkpoint(PASSIVE)']);
}
