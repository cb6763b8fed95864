// Worker thread: parses batches of raw messages and, when the main thread says it is the batch's turn,
// stores them through its own connection. Batches are committed in archive order (resume offsets stay
// true) while the other worker goes on parsing, and nothing parsed crosses back to the main thread.
import { parentPort, workerData } from 'node:worker_threads';
import { parseOne, type Parsed } from './parse-one.ts';
import { openDb } from '../store/db.ts';
import { Store } from '../store/store.ts';
import { unpackBatch, type BatchJob, type WorkerReply } from './batch-transfer.ts';
import { validateWatchRules, type WatchRule } from '../../config/watch-rules.ts';
import type { RawMessage } from '../core/model.ts';

const { dbFile, rules: rulesData, list, rulesHash, skipIndex } = workerData as {
  dbFile: string; rules: unknown; list?: string; rulesHash: string; skipIndex: boolean;
};
const rules: WatchRule[] = validateWatchRules(rulesData);
// the ingest's main thread checkpoints the log (see CHECKPOINT_EVERY in pipeline.ts)
const db = openDb(dbFile, { bulkLoad: true, autocheckpoint: false });
const store = new Store(db);
// a few parses in flight at once: MailParser's streams wait on each other, the CPU need not (more than a
// handful only grows the heap)
const IN_FLIGHT = 8;
const ready = new Map<number, { raws: RawMessage[]; parsed: Parsed[]; job: BatchJob }>();

const reply = (r: WorkerReply) => parentPort!.postMessage(r);

async function parseBatch(job: BatchJob): Promise<void> {
  const raws = unpackBatch(job);
  const parsed: Parsed[] = new Array(raws.length);
  for (let i = 0; i < raws.length; i += IN_FLIGHT) {
    const slice = raws.slice(i, i + IN_FLIGHT);
    const out = await Promise.all(slice.map((raw) => parseOne(raw, rules, list)));
    out.forEach((p, k) => (parsed[i + k] = p));
    // Let a waiting 'commit' in: the other worker's next batch may wait on this one's commit, and parsing runs
    // in microtasks, which would otherwise hold the message back until the whole batch is parsed (workers sat
    // idle 15% of the time on it)
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  ready.set(job.id, { raws, parsed, job });
  reply({ type: 'parsed', id: job.id });
}

parentPort!.on('message', (msg: { type: 'parse'; job: BatchJob } | { type: 'commit'; id: number } | { type: 'close' }) => {
  try {
    if (msg.type === 'parse') {
      parseBatch(msg.job).catch((e: Error) => reply({ type: 'error', message: e.stack ?? e.message }));
    } else if (msg.type === 'commit') {
      const b = ready.get(msg.id)!;
      ready.delete(msg.id);
      const counts = store.addBatch(b.raws, b.parsed, rulesHash, b.job.resume, skipIndex);
      reply({ type: 'committed', id: msg.id, counts });
    } else {
      db.close();
      parentPort!.close();
    }
  } catch (e) {
    reply({ type: 'error', message: (e as Error).stack ?? String(e) });
  }
});
