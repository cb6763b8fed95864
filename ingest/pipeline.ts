// Ingest: archives → parsed messages (worker threads) → batched transactions → derivation.
// Messages are committed in archive order together with the archive's resume offset, so a run killed
// at any point and started again ends with exactly the messages of an uninterrupted run.
import fs from 'node:fs';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Db } from './db.ts';
import type { DeclaredFix, RawMessage } from './model.ts';
import { Store } from './store.ts';
import { walkArchives } from './archive-walk.ts';
import { parseOne, type Parsed } from './parse-one.ts';
import { validateWatchRules, type WatchRule } from '../config/watch-rules.ts';
import { deriveNew, type DeriveResult } from './derive.ts';
import crypto from 'node:crypto';

export interface IngestOptions {
  list?: string;
  /** raw watch-rule data (as in config/watch-rules.json) */
  rulesData: unknown;
  declared?: DeclaredFix[];
  /** parse worker threads; 0 parses on the main thread */
  workers?: number;
  batchSize?: number;
  /** skip the derivation step (threads, series, detection) */
  skipDerive?: boolean;
  /** skip the call index (benchmark: detection off) */
  skipIndex?: boolean;
  onProgress?: (p: IngestProgress) => void;
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
  skippedSources: number;
  patches: number;
  series: number;
  seconds: number;
  derive: DeriveResult | null;
}

/** Hash of the rules the index was built with (stored per patch, so a rule change is visible). */
export function rulesHash(rulesData: unknown): string {
  return crypto.createHash('sha256').update(JSON.stringify(rulesData)).digest('hex').slice(0, 16);
}

interface Parser {
  parse(raws: RawMessage[]): Promise<Parsed[]>;
  close(): Promise<void>;
}

function inlineParser(rules: WatchRule[], list?: string): Parser {
  return {
    async parse(raws) {
      const out = [];
      for (const r of raws) out.push(await parseOne(r, rules, list));
      return out;
    },
    async close() {},
  };
}

// A parse worker holds a batch at a time; a small young generation makes it collect often instead of
// growing (RSS across two workers was the ingest's largest cost in memory).
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 256 };

function workerParser(n: number, rulesData: unknown, list?: string): Parser {
  const url = new URL('./parse-worker.mjs', import.meta.url);
  const workers = Array.from({ length: n }, () => new Worker(url, { workerData: { rules: rulesData, list }, resourceLimits: WORKER_LIMITS }));
  // batches sent and not yet answered; a worker that dies fails them all (nothing else keeps a batch alive)
  const waiting = new Map<number, { resolve: (v: Parsed[]) => void; reject: (e: Error) => void }>();
  for (const w of workers) {
    w.on('message', (msg: { id: number; out: Parsed[] }) => {
      const job = waiting.get(msg.id)!;
      waiting.delete(msg.id);
      job.resolve(msg.out);
    });
    w.on('error', (e) => {
      for (const job of waiting.values()) job.reject(e);
      waiting.clear();
    });
  }
  let next = 0;
  return {
    parse(raws) {
      const id = next++;
      const w = workers[id % workers.length];
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        w.postMessage({ id, raws });
      });
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
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
  const parser = nWorkers > 0 ? workerParser(nWorkers, opts.rulesData, opts.list) : inlineParser(rules, opts.list);
  const batchSize = opts.batchSize ?? 256;
  const summary: IngestSummary = { new: 0, duplicate: 0, quarantined: 0, skippedSources: 0, patches: 0, series: 0, seconds: 0, derive: null };
  let totalMessages = 0;
  try {
    for await (const archive of walkArchives(paths, {
      startAt: (source: string) => {
        const s = store.getSource(source);
        return s && !s.completed ? s.resume_offset : 0;
      },
    })) {
      const src = archive.source;
      // only single files resume and skip when unchanged: a maildir's own stat does not change when mail arrives
      const stat = archive.kind === 'file' ? fs.statSync(src) : null;
      const known = stat ? store.getSource(src) : undefined;
      if (known?.completed && stat && known.size === stat.size && known.mtime_ms === Math.round(stat.mtimeMs)) {
        summary.skippedSources++;
        await archive.messages.return?.(undefined);
        continue;
      }
      // parse in flight while the previous batch is written: keep at most `depth` batches pending
      const depth = Math.max(2, nWorkers * 2);
      const pending: { raws: RawMessage[]; parsed: Promise<Parsed[]> }[] = [];
      const commit = async () => {
        const { raws, parsed } = pending.shift()!;
        const results = await parsed;
        store.transaction(() => {
          results.forEach((p, i) => {
            const raw = raws[i];
            if (p.ok) {
              if (opts.skipIndex) { p.callChanges = []; p.orderChanges = []; }
              if (store.addMessage({ message: p.message, raw, callChanges: p.callChanges, orderChanges: p.orderChanges }, hash)) {
                summary.new++;
                if (p.message.isPatch) summary.patches++;
              } else summary.duplicate++;
            } else if (store.addQuarantine(p.reason, raw)) summary.quarantined++;
            else summary.duplicate++;
          });
          if (stat) store.putSource(src, stat.size, stat.mtimeMs, raws[raws.length - 1].offset + 1, false);
          store.setMeta('derive.dirty', '1');
        });
        totalMessages += raws.length;
        opts.onProgress?.({ source: src, bytes: archive.bytesRead(), totalBytes: archive.size ?? 0, messages: totalMessages });
      };
      let batch: RawMessage[] = [];
      for await (const raw of archive.messages) {
        batch.push(raw);
        if (batch.length >= batchSize) {
          pending.push({ raws: batch, parsed: parser.parse(batch) });
          batch = [];
          if (pending.length >= depth) await commit();
        }
      }
      if (batch.length) pending.push({ raws: batch, parsed: parser.parse(batch) });
      while (pending.length) await commit();
      if (stat) store.putSource(src, stat.size, stat.mtimeMs, stat.size, true);
      opts.onProgress?.({ source: src, bytes: archive.bytesRead(), totalBytes: archive.size ?? archive.bytesRead(), messages: totalMessages });
    }
  } finally {
    await parser.close();
  }
  if (!opts.skipDerive && (summary.new > 0 || store.getMeta('derive.dirty') !== '0')) {
    summary.derive = deriveNew(db, opts.declared ?? []);
  }
  summary.series = (db.prepare('SELECT count(*) AS n FROM series').get() as { n: number }).n;
  summary.seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return summary;
}
