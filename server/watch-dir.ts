// `relapse serve --watch DIR`: archives dropped into (or changed in) a directory are ingested. The directory is
// polled (fs.watch is unreliable across file systems); a non-empty file is handed on once it stood still for one
// interval, so one being copied in is not read half-way, and again whenever it changes. Names of files still being
// written (.part, .tmp, ~ ...) and names starting with a dot are skipped; subdirectories are walked 8 deep. Ingest
// runs on a connection of its own, so the API keeps reading (WAL) while it writes.
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import type { Settings } from '../config/settings.ts';
import { readWatchRulesData } from '../config/watch-rules.ts';
import { openDb, type Db } from '../ingest/store/db.ts';
import { ingestPaths } from '../ingest/run/pipeline.ts';

/** Files that are still being written or are not archives by their name. */
const IGNORED = /(^\.|~$|\.(tmp|part|partial|swp|crdownload|lock)$)/i;

function listFiles(dir: string, depth = 0, out: string[] = []): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    if (IGNORED.test(e.name)) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory() && depth < 8) listFiles(p, depth + 1, out);
    else if (e.isFile()) out.push(p);
  }
  return out;
}

export interface DirectoryWatch {
  /** one poll now (tests); resolves when any ingest it started has finished */
  poll(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Poll `dir` (fs.watch is unreliable across file systems) and hand files that are new or changed to `ingest`
 * once they stood still for one interval (so a file being copied in is not read half-way).
 */
export function watchDirectory(dir: string, ingest: (files: string[]) => Promise<void>, log: FastifyBaseLogger, intervalMs = 2000): DirectoryWatch {
  const seen = new Map<string, string>(); // path -> size:mtime at the last poll
  const done = new Map<string, string>(); // path -> size:mtime last handed to ingest
  let running: Promise<void> | null = null;
  let stopped = false;

  const poll = async (): Promise<void> => {
    if (running) return running;
    const ready: string[] = [];
    const present = new Set<string>();
    for (const file of listFiles(dir)) {
      let st: fs.Stats;
      try {
        st = fs.statSync(file);
      } catch {
        continue;
      }
      present.add(file);
      const sig = `${st.size}:${Math.round(st.mtimeMs)}`;
      if (seen.get(file) === sig && done.get(file) !== sig && st.size > 0) ready.push(file);
      seen.set(file, sig);
    }
    for (const f of seen.keys()) if (!present.has(f)) { seen.delete(f); done.delete(f); }
    if (!ready.length) return;
    running = (async () => {
      try {
        await ingest(ready);
      } catch (e) {
        log.error({ err: e, files: ready }, 'watch: ingest failed');
      } finally {
        for (const f of ready) done.set(f, seen.get(f)!);
        running = null;
      }
    })();
    return running;
  };

  const timer = setInterval(() => {
    if (!stopped) void poll();
  }, intervalMs);
  timer.unref();
  void poll();
  return {
    poll,
    async stop() {
      stopped = true;
      clearInterval(timer);
      if (running) await running;
    },
  };
}

/**
 * Watch `dir` (created if missing) and ingest what lands in it with `settings` (watch rules, declared fixes,
 * limits), logging what each ingest stored, skipped or could not read.
 *
 * @example const watch = watchArchives('incoming', settings, app.log); ...; await watch.stop();
 */
export function watchArchives(dir: string, settings: Settings, log: FastifyBaseLogger): DirectoryWatch {
  let ingestDb: Db | null = null;
  fs.mkdirSync(dir, { recursive: true });
  const watch = watchDirectory(dir, async (files) => {
    // a connection of its own: the API keeps reading (WAL) while this one writes
    ingestDb ??= openDb(settings.db);
    const s = await ingestPaths(ingestDb, files, {
      rulesData: readWatchRulesData(settings.watchRulesFile),
      declared: settings.declaredFixes,
      workers: 0,
      maxMessageBytes: settings.limits?.maxMessageBytes,
      maxGzipRatio: settings.limits?.maxGzipRatio,
    });
    log.info({ files: files.map((f) => path.relative(dir, f)), new: s.new, duplicate: s.duplicate, quarantined: s.quarantined,
      regressions: s.derive?.regressions, opened: s.derive?.opened, skipped: s.skippedSources }, 'watch: ingested');
    for (const src of s.emptySources) log.warn({ file: path.relative(dir, src) }, 'watch: no message found in the file');
    for (const u of s.unreadable) log.error({ path: u.path, reason: u.reason }, 'watch: cannot read');
  }, log);
  log.info({ dir }, 'watching for archives');
  return {
    poll: watch.poll,
    async stop() {
      await watch.stop();
      ingestDb?.close();
    },
  };
}
