// Ingest: archives → parsed messages (worker threads) → batched transactions → derivation.
// Messages are committed in archive order together with the archive's resume offset (a public-inbox epoch's
// last commit read), so a run killed at any point and started again ends with exactly the messages of an
// uninterrupted run. A public-inbox deletion removes its message in its turn; derivation is then whole.
// Batches are cut by count and by bytes, and the raw bytes in flight (sent, not yet committed) are bounded: a
// message may be tens of megabytes, and parsing and storing it takes several times its size.
import fs from 'node:fs';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { deferIndexes, deferredIndexBuilds, restoreIndexes, type Db } from '../store/db.ts';
import type { DeclaredFix, RawMessage } from '../core/model.ts';
import { Store, type BatchCounts, type ResumePoint } from '../store/store.ts';
import { DERIVED_INDEXES } from '../store/derived-writer.ts';
import { packBatch, type WorkerReply } from './batch-transfer.ts';
import { walkArchives } from '../archive/archive-walk.ts';
import { parseOne } from './parse-one.ts';
import { checkpointElsewhere, execElsewhere } from '../store/sql-elsewhere.ts';
import { seriesCount, storedBytes as storedMessageBytes } from '../store/readers.ts';
import { checkpointPassive, holdAutocheckpoint } from '../store/wal.ts';
import { validateWatchRules, type WatchRule } from '../../config/watch-rules.ts';
import { deriveAll, deriveAllBeside, deriveNew, derivesWhole, type DeriveResult } from './derive.ts';
import { rulesHash } from '../core/watch.ts';

export interface IngestOptions {
  list?: string;
  /** raw watch-rule data (as in config/watch-rules.json) */
  rulesData: unknown;
  declared?: DeclaredFix[];
  /** parse worker threads; 0 parses on the main thread */
  workers?: number;
  batchSize?: number;
  /** a batch is also cut at this many raw bytes, and a message this large is a batch of its own (default 8 MiB) */
  batchBytes?: number;
  /**
   * raw bytes sent to parsing and not yet committed, at most (default 32 MiB): past it the reader waits for the
   * oldest batch's commit. A batch larger than this (one big message) is alone in flight.
   */
  maxBytesInFlight?: number;
  /** skip the derivation step (threads, series, detection) */
  skipDerive?: boolean;
  /** skip the call index (benchmark: detection off) */
  skipIndex?: boolean;
  onProgress?: (p: IngestProgress) => void;
  /** an archive at least this large and larger than what is stored is loaded in bulk (default 8 MiB) */
  bulkLoadBytes?: number;
  /** a message larger than this is quarantined with its head, its source and offset (default DEFAULT_MAX_MESSAGE_BYTES, 16 MiB) */
  maxMessageBytes?: number;
  /** a gzip archive inflating past this many times its size is reported unreadable from there (default 100) */
  maxGzipRatio?: number;
}

export interface IngestProgress {
  source: string;
  bytes: number;
  totalBytes: number;
  messages: number;
}

export interface IngestSummary {
  new: number;
  duplicate: number;
  quarantined: number;
  /** messages removed by public-inbox deletions (a purge commit, or a rewritten epoch's dropped messages) */
  deleted: number;
  skippedSources: number;
  /**
   * Files (and standard input) read from their start that yielded no message at all: nothing in them is an mbox
   * separator or a mail (empty, blank). Never silent: the command line names them and fails.
   */
  emptySources: string[];
  /** public-inbox epochs found rewritten (their last known commit no longer an ancestor of HEAD) */
  rewrittenEpochs: number;
  patches: number;
  series: number;
  seconds: number;
  /** the most raw bytes that were sent to parsing and not yet committed at one time */
  peakBytesInFlight: number;
  derive: DeriveResult | null;
  /**
   * Paths that could not be read, or not to their end (permission denied, a symlink loop, a dangling link, a
   * truncated gzip), with the reason; everything else was ingested, and so was every message read before the
   * failure. A caller should say so and exit non-zero.
   */
  unreadable: { path: string; reason: string }[];
}

/** Hash of the rules the index was built with (stored per patch, so a rule change is visible). */

/** Below this an archive is never a bulk load (rebuilding the indexes would cost more than it saves). */
const BULK_MIN_BYTES = 8 << 20;

/**
 * Batches between two checkpoints of the write-ahead log. The workers do not checkpoint (a checkpoint waits on
 * fsync, and a worker waiting on it is a core not parsing): this thread, idle while they work, does it for them.
 */
const CHECKPOINT_EVERY = 8;

/** Parses and stores batches; `run` resolves once its batch is committed (in the order `run` was called). */
interface BatchRunner {
  run(raws: RawMessage[], resume: ResumePoint | null): Promise<BatchCounts>;
  close(): Promise<void>;
}

function inlineRunner(store: Store, rules: WatchRule[], hash: string, opts: IngestOptions): BatchRunner {
  // one batch after the other: parsing awaits, and a later batch must not commit first
  let last: Promise<unknown> = Promise.resolve();
  return {
    run(raws, resume) {
      const done = last.then(async () => {
        const parsed = [];
        for (const r of raws) parsed.push(await parseOne(r, rules, opts.list));
        return store.addBatch(raws, parsed, hash, resume, opts.skipIndex);
      });
      last = done.catch(() => {});
      return done;
    },
    async close() {},
  };
}

// defaults of IngestOptions.batchBytes and maxBytesInFlight
const BATCH_BYTES = 8 * 1024 * 1024;
const MAX_BYTES_IN_FLIGHT = 32 * 1024 * 1024;

// A worker holds a few batches at a time; its old generation never needs more than this. A young
// generation of 16 MB keeps each worker about 15 MB smaller than V8's default, at no measured cost in time.
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 16, maxOldGenerationSizeMb: 256 };

/**
 * Workers that parse batches and store them through their own connections. A batch is committed when it
 * is parsed and every batch before it is committed, so the archive's resume offset stays true.
 */
function workerRunner(n: number, dbFile: string, hash: string, opts: IngestOptions): BatchRunner {
  const url = new URL('./batch-worker-entry.cjs', import.meta.url);
  const workerData = { dbFile, rules: opts.rulesData, list: opts.list, rulesHash: hash, skipIndex: !!opts.skipIndex };
  const workers = Array.from({ length: n }, () => new Worker(url, { workerData, resourceLimits: WORKER_LIMITS }));
  // batches sent and not yet committed; a failure fails them all (nothing else keeps a batch alive)
  const waiting = new Map<number, { worker: Worker; resolve: (c: BatchCounts) => void; reject: (e: Error) => void }>();
  const parsed = new Set<number>();
  let turn = 0;
  let next = 0;
  let failure: Error | null = null;
  const alive = new Set(workers);
  const fail = (e: Error) => {
    failure ??= e;
    for (const job of waiting.values()) job.reject(failure);
    waiting.clear();
  };
  const commitIfReady = () => {
    if (parsed.delete(turn)) waiting.get(turn)?.worker.postMessage({ type: 'commit', id: turn });
  };
  for (const w of workers) {
    w.on('message', (msg: WorkerReply) => {
      if (msg.type === 'parsed') {
        parsed.add(msg.id);
        commitIfReady();
      } else if (msg.type === 'committed') {
        const job = waiting.get(msg.id);
        waiting.delete(msg.id);
        turn++;
        commitIfReady();
        job?.resolve(msg.counts);
      } else fail(new Error(`ingest worker failed: ${msg.message}`));
    });
    w.on('error', fail);
    w.on('exit', (code) => {
      alive.delete(w);
      if (waiting.size) fail(new Error(`ingest worker exited (${code}) with batches pending`));
    });
  }
  return {
    run(raws, resume) {
      if (failure) return Promise.reject(failure);
      const id = next++;
      // the least busy worker: batches wait for their turn to commit, a slow one must not collect them
      const load = (w: Worker) => [...waiting.values()].filter((j) => j.worker === w).length;
      const worker = workers.reduce((a, b) => (load(b) < load(a) ? b : a));
      const job = packBatch(id, raws, resume);
      return new Promise((resolve, reject) => {
        waiting.set(id, { worker, resolve, reject });
        worker.postMessage({ type: 'parse', job }, [job.bytes]);
      });
    },
    async close() {
      // a worker that already died (its failure is reported) has no exit left to wait for
      await Promise.all([...alive].map((w) => new Promise<void>((resolve) => {
        w.once('exit', () => resolve());
        w.postMessage({ type: 'close' });
      })));
    },
  };
}

/**
 * An archive's messages until reading them fails (a truncated gzip, an I/O error): the failure goes to `onFail`
 * as a reason, and the messages yielded before it are kept, so they are stored like any others.
 */
async function* untilReadFails(messages: AsyncGenerator<RawMessage>, onFail: (reason: string) => void): AsyncGenerator<RawMessage> {
  let ended = false;
  try {
    for (;;) {
      let r: IteratorResult<RawMessage>;
      try {
        r = await messages.next();
      } catch (err) {
        ended = true;
        onFail((err as Error).message ?? String(err));
        return;
      }
      if (r.done) {
        ended = true;
        return;
      }
      yield r.value;
    }
  } finally {
    if (!ended) await messages.return(undefined); // the consumer stopped early: let the reader close its file
  }
}

/**
 * Ingest every archive under `paths` into the database.
 *
 * @example await ingestPaths(db, ['archive.mbox.gz'], { rulesData }) // { new: 283, duplicate: 3, ... }
 */
export async function ingestPaths(db: Db, paths: string[], opts: IngestOptions): Promise<IngestSummary> {
  const started = process.hrtime.bigint();
  const store = new Store(db);
  const rules = validateWatchRules(opts.rulesData);
  const hash = rulesHash(opts.rulesData);
  const nWorkers = opts.workers ?? Math.max(0, Math.min(2, os.availableParallelism() - 0));
  // workers store through their own connections: an in-memory database has only this one
  const dbFile = db.memory ? null : db.name;
  const runner = nWorkers > 0 && dbFile ? workerRunner(nWorkers, dbFile, hash, opts) : inlineRunner(store, rules, hash, opts);
  const batchSize = opts.batchSize ?? 256;
  const batchBytes = opts.batchBytes ?? BATCH_BYTES;
  const maxInFlight = opts.maxBytesInFlight ?? MAX_BYTES_IN_FLIGHT;
  const summary: IngestSummary = {
    new: 0, duplicate: 0, quarantined: 0, deleted: 0, skippedSources: 0, emptySources: [], rewrittenEpochs: 0, patches: 0, series: 0,
    seconds: 0, peakBytesInFlight: 0, derive: null, unreadable: [],
  };
  let inFlight = 0;
  const unreadable = (path: string, reason: string) => summary.unreadable.push({ path, reason });
  let totalMessages = 0;
  let committed = 0;
  // An archive larger than what is stored is a bulk load: its indexes are built once at the end
  let storedBytes = storedMessageBytes(db);
  let deferred = false;
  let closed = false;
  const wantsDerive = () => !opts.skipDerive && (summary.new > 0 || summary.deleted > 0 || store.getMeta('derive.dirty') !== '0');
  // a deletion changes threads and series anywhere: only a whole derivation takes it out of them
  const mustDeriveWhole = () => store.getMeta('derive.whole') === '1';
  try {
    for await (const archive of walkArchives(paths, {
      startAt: (source: string) => {
        const s = store.getSource(source);
        return s && !s.completed ? s.resume_offset : 0;
      },
      onUnreadable: unreadable,
      maxMessageBytes: opts.maxMessageBytes,
      maxGzipRatio: opts.maxGzipRatio,
      epochState: (source: string) => store.getEpoch(source),
    })) {
      const src = archive.source;
      if (archive.kind === 'epoch') {
        if (archive.upToDate) summary.skippedSources++;
        if (archive.rewritten) summary.rewrittenEpochs++;
      }
      // only single files resume and skip when unchanged: a maildir's own stat does not change when mail arrives
      const stat = archive.kind === 'file' ? fs.statSync(src) : null;
      const known = stat ? store.getSource(src) : undefined;
      if (known?.completed && stat && known.size === stat.size && known.mtime_ms === Math.round(stat.mtimeMs)) {
        summary.skippedSources++;
        await archive.messages.return?.(undefined);
        continue;
      }
      if (!deferred && (archive.size ?? 0) > Math.max(storedBytes, opts.bulkLoadBytes ?? BULK_MIN_BYTES)) {
        deferIndexes(db);
        deferred = true;
      }
      storedBytes += archive.size ?? 0;
      // batches in flight while earlier ones are committed: at most `depth` pending. Six a worker: with three, a
      // worker whose parsed batches wait for their turn sat idle about 10% of the time, with six 3-5%
      const depth = Math.max(2, nWorkers * 6);
      const pending: { done: Promise<BatchCounts>; bytes: number }[] = [];
      const commit = async () => {
        const { done, bytes } = pending.shift()!;
        const counts = await done;
        inFlight -= bytes;
        summary.new += counts.new;
        summary.duplicate += counts.duplicate;
        summary.quarantined += counts.quarantined;
        summary.patches += counts.patches;
        summary.deleted += counts.deleted;
        totalMessages += counts.new + counts.duplicate + counts.quarantined;
        if (nWorkers > 0 && ++committed % CHECKPOINT_EVERY === 0) checkpointPassive(db);
        opts.onProgress?.({ source: src, bytes: archive.bytesRead(), totalBytes: archive.size ?? 0, messages: totalMessages });
      };
      // Bytes in flight are bounded as well as batches: a message may be tens of megabytes, and parsing and storing
      // it takes several times its size. Ordinary mail never comes near either bound.
      const send = async (raws: RawMessage[], bytes: number) => {
        while (pending.length && inFlight + bytes > maxInFlight) await commit();
        const last = raws[raws.length - 1];
        let resume: ResumePoint | null = null;
        if (archive.kind === 'epoch') {
          const at = archive.resumeAfter(last);
          if (at) resume = { source: src, size: 0, mtimeMs: 0, offset: at.commits, commit: at.commit };
        } else if (stat) resume = { source: src, size: stat.size, mtimeMs: stat.mtimeMs, offset: last.offset + 1 };
        const done = runner.run(raws, resume);
        done.catch(() => {}); // awaited in order by commit(); an early failure must not be unhandled meanwhile
        pending.push({ done, bytes });
        inFlight += bytes;
        summary.peakBytesInFlight = Math.max(summary.peakBytesInFlight, inFlight);
      };
      let batch: RawMessage[] = [];
      let bytes = 0;
      let read = 0;
      let readFailed = false;
      for await (const raw of untilReadFails(archive.messages, (reason) => {
        readFailed = true;
        unreadable(src, reason);
      })) {
        read++;
        // a big message is a batch of its own
        if (raw.bytes.length >= batchBytes && batch.length) {
          await send(batch, bytes);
          batch = [];
          bytes = 0;
        }
        batch.push(raw);
        bytes += raw.bytes.length;
        if (batch.length >= batchSize || bytes >= batchBytes) {
          await send(batch, bytes);
          batch = [];
          bytes = 0;
          if (pending.length >= depth) await commit();
        }
      }
      if (batch.length) await send(batch, bytes);
      while (pending.length) await commit();
      // a resumed file may rightly have nothing after its resume point; a maildir may be empty; an unreadable
      // file is reported as such
      const resumed = !!known && !known.completed && known.resume_offset > 0;
      if (read === 0 && archive.kind !== 'maildir' && !resumed && !readFailed) summary.emptySources.push(src);
      // read to its end: unchanged, it is skipped next time; a read that failed is tried again (and reported again)
      if (stat && !readFailed) store.putSource(src, stat.size, stat.mtimeMs, stat.size, true);
      // an epoch likewise: one whose read failed is read on from its last stored commit (what each batch recorded)
      if (archive.kind === 'epoch' && archive.head && !archive.upToDate && !readFailed) store.putEpoch(src, archive.head.commit, archive.head.commits);
      opts.onProgress?.({ source: src, bytes: archive.bytesRead(), totalBytes: archive.size ?? archive.bytesRead(), messages: totalMessages });
    }
    await runner.close();
    closed = true;
    // A bulk load derives the whole archive before its indexes are built: the derived columns are written
    // once, then indexed once (a derivation of part of the archive needs the indexes to find that part). While
    // this thread builds the indexes, another copies the derivation's pages from the log into the database:
    // left to this thread's own commits, that copy would come after them, in series.
    if (deferred && wantsDerive() && derivesWhole(db)) {
      const restoreAutocheckpoint = holdAutocheckpoint(db);
      try {
        // the indexes over columns derivation does not write are built meanwhile, by another connection (should
        // that fail, restoreIndexes builds them below)
        summary.derive = dbFile
          ? await deriveAllBeside(db, execElsewhere(dbFile, deferredIndexBuilds(db, DERIVED_INDEXES), { transaction: true }).catch(() => {}), opts.declared ?? [])
          : deriveNew(db, opts.declared ?? []);
        // a checkpoint that fails leaves its pages to the next one: nothing to report
        const copied = dbFile ? checkpointElsewhere(dbFile).catch(() => {}) : null;
        restoreIndexes(db);
        deferred = false;
        await copied;
      } finally {
        restoreAutocheckpoint();
      }
    }
  } finally {
    if (!closed) await runner.close();
    if (deferred) restoreIndexes(db);
  }
  if (summary.derive) store.setMeta('derive.whole', '0');
  else if (wantsDerive()) {
    summary.derive = mustDeriveWhole() ? deriveAll(db, opts.declared ?? []) : deriveNew(db, opts.declared ?? []);
    store.setMeta('derive.whole', '0');
  }
  summary.series = seriesCount(db);
  summary.seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return summary;
}
