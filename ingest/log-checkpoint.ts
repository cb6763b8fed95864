// Checkpointing the write-ahead log on a thread of its own: copying committed pages into the database while
// the calling thread goes on writing (SQLite's PASSIVE mode never waits for the writer, nor the writer for it).
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

// plain CommonJS, evaluated: a thread that starts in a few milliseconds and holds little memory
const SOURCE = `
const { workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
try {
  db.pragma('busy_timeout = 10000');
  db.pragma('wal_checkpoint(PASSIVE)');
} finally {
  db.close();
}
`;

const driver = createRequire(import.meta.url).resolve('better-sqlite3');

/** Checkpoint `file`'s log (PASSIVE) on another thread; resolves when done, rejects with its error. */
export function checkpointElsewhere(file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const w = new Worker(SOURCE, { eval: true, workerData: { driver, file } });
    w.once('error', reject);
    w.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`log checkpoint thread exited with ${code}`))));
  });
}
