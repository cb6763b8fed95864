// `relapse serve`: settings, database, app, listen; optionally watch a directory for new archives (watch-dir.ts),
// and run the schedules (schedules.ts: the inbox sync, the weekly digest). SIGINT/SIGTERM close everything
// gracefully. Composition only.
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { loadSettings, validateCron, type Settings } from '../config/settings.ts';
import { openDb, openDbOnFullDisk, type Db } from '../ingest/store/db.ts';
import { redetect } from '../ingest/run/commands.ts';
import { isDiskFull } from './plugins/errors.ts';
import { buildApp } from './app.ts';
import type { AppContext } from './context.ts';
import { startSchedules } from './schedules.ts';
import type { SyncSchedule } from './sync-schedule.ts';
import { watchArchives, type DirectoryWatch } from './watch-dir.ts';

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
    redetect: () => redetect(db, declared),
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

  const watch: DirectoryWatch | null = o.watch ? watchArchives(path.resolve(o.watch), settings, app.log) : null;
  const schedules = await startSchedules(ctx, { digest: o.schedule !== false, sync: syncCron }, app.log);

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      await watch?.stop();
      await schedules.stop();
      await app.close();
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
  return { app, ctx, url, sync: schedules.sync, close };
}
