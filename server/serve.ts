// `relapse serve`: settings, database, app, listen; optionally watch a directory for new archives, sync the
// configured public-inbox inboxes on a schedule (sync-schedule.ts), and run the weekly digest schedule.
// SIGINT/SIGTERM close everything gracefully.
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { loadSettings, validateCron, type Settings } from '../config/settings.ts';
import { readWatchRulesData } from '../config/watch-rules.ts';
import { openDb, openDbOnFullDisk, type Db } from '../ingest/store/db.ts';
import { isDiskFull } from './plugins/errors.ts';
import { detectAll } from '../ingest/run/derive.ts';
import type { DeclaredFix } from '../ingest/core/model.ts';
import { ingestPaths } from '../ingest/run/pipeline.ts';
import { Store } from '../ingest/store/store.ts';
import { buildApp } from './app.ts';
import type { AppContext } from './context.ts';
import { startSyncSchedule, type SyncSchedule } from './sync-schedule.ts';

export interface ServeOptions {
  db?: string;
  host: string;
  port: number;
  /** ingest archive files dropped into (or changed in) this directory */
  watch?: string;
  /** run the weekly digest schedule (default true) */
  schedule?: boolean;
  /** sync the configured inboxes on this cron schedule (default: settings.sync.schedule; none when neither) */
  sync?: string;
  /** close on SIGINT/SIGTERM and exit (default true; tests turn it off) */
  handleSignals?: boolean;
}

export interface Server {
  app: FastifyInstance;
  ctx: AppContext;
  /** where it listens, e.g. http://127.0.0.1:3000 */
  url: string;
  /** the inbox sync schedule, when one runs */
  sync: SyncSchedule | null;
  close(): Promise<void>;
}

/** The context every route gets: the database, the settings, and detection re-run in one transaction. */
export function makeContext(db: Db, settings: Settings): AppContext {
  const declared = settings.declaredFixes;
  return {
    db,
    settings,
    redetect: () => {
      const store = new Store(db);
      store.transaction(() => detectAll(db, store, declared));
    },
  };
}

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

type ScheduleHandle = { stop?: () => unknown; idle?: () => Promise<unknown> } | (() => unknown) | void | null | undefined;

/** Start the digest schedule if the digest module provides one (server/digest/schedule.ts, export startDigestSchedule). */
async function startSchedule(ctx: AppContext, log: FastifyBaseLogger): Promise<() => Promise<void>> {
  const file = new URL('./digest/schedule.ts', import.meta.url);
  if (!fs.existsSync(file)) {
    log.info('digest schedule: not available');
    return async () => {};
  }
  const mod = (await import(file.href)) as {
    startDigestSchedule?: (ctx: AppContext, opts?: { log?: (line: string) => void }) => ScheduleHandle | Promise<ScheduleHandle>;
  };
  if (typeof mod.startDigestSchedule !== 'function') return async () => {};
  const handle = await mod.startDigestSchedule(ctx, { log: (line) => log.info(line) });
  return async () => {
    if (typeof handle === 'function') await handle();
    else if (handle) {
      await handle.stop?.();
      await handle.idle?.();
    }
  };
}

/**
 * Serve the API and the dashboard until SIGINT/SIGTERM.
 *
 * @example await serve({ host: '127.0.0.1', port: 3000, watch: 'incoming' })
 */
export async function serve(o: ServeOptions): Promise<Server> {
  const settings = loadSettings({ db: o.db });
  const syncCron = o.sync !== undefined ? validateCron(o.sync, '--sync') : settings.sync.schedule;
  let diskFull: unknown = null;
  let db: Db;
  try {
    db = openDb(settings.db);
  } catch (e) {
    // a full disk must not keep the archive from being read: serve reads, answer writes with a 503
    if (!isDiskFull(e) || !fs.existsSync(settings.db)) throw e;
    diskFull = e;
    db = openDbOnFullDisk(settings.db);
  }
  const ctx = makeContext(db, settings);
  const app = await buildApp(ctx, { logger: { level: process.env.RELAPSE_LOG_LEVEL ?? 'info' } });
  if (diskFull) app.log.error({ err: diskFull, db: settings.db }, 'the disk holding the database is full: serving reads only (writes answer 503) until restarted with space');
  const url = await app.listen({ host: o.host, port: o.port });
  app.log.info({ db: settings.db, writes: settings.token ? 'enabled (token)' : 'disabled (no token)' }, `relapse serving ${url}`);

  let watch: DirectoryWatch | null = null;
  let ingestDb: Db | null = null;
  if (o.watch) {
    const dir = path.resolve(o.watch);
    fs.mkdirSync(dir, { recursive: true });
    watch = watchDirectory(dir, async (files) => {
      // a connection of its own: the API keeps reading (WAL) while this one writes
      ingestDb ??= openDb(settings.db);
      const s = await ingestPaths(ingestDb, files, {
        rulesData: readWatchRulesData(settings.watchRulesFile),
        declared: settings.declaredFixes,
        workers: 0,
        maxMessageBytes: settings.limits?.maxMessageBytes,
        maxGzipRatio: settings.limits?.maxGzipRatio,
      });
      app.log.info({ files: files.map((f) => path.relative(dir, f)), new: s.new, duplicate: s.duplicate, quarantined: s.quarantined,
        regressions: s.derive?.regressions, opened: s.derive?.opened, skipped: s.skippedSources }, 'watch: ingested');
      for (const src of s.emptySources) app.log.warn({ file: path.relative(dir, src) }, 'watch: no message found in the file');
      for (const u of s.unreadable) app.log.error({ path: u.path, reason: u.reason }, 'watch: cannot read');
    }, app.log);
    app.log.info({ dir }, 'watching for archives');
  }

  const sync = syncCron ? startSyncSchedule(db, settings, syncCron, app.log) : null;

  let stopSchedule: () => Promise<void> = async () => {};
  if (o.schedule !== false) {
    try {
      stopSchedule = await startSchedule(ctx, app.log);
    } catch (e) {
      app.log.error({ err: e }, 'digest schedule failed to start');
    }
  }

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      await watch?.stop();
      await sync?.stop();
      await stopSchedule().catch((e) => app.log.error({ err: e }, 'digest schedule did not stop cleanly'));
      await app.close();
      ingestDb?.close();
      db.close();
    })());

  if (o.handleSignals !== false) {
    const onSignal = (signal: NodeJS.Signals) => {
      app.log.info({ signal }, 'shutting down');
      const force = setTimeout(() => process.exit(1), 10_000);
      force.unref();
      close().then(
        () => process.exit(0),
        (e) => {
          app.log.error({ err: e }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  return { app, ctx, url, sync, close };
}
