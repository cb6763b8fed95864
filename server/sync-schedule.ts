// `relapse serve --sync CRON` (or config sync.schedule): the configured inboxes synced on a schedule (croner,
// UTC) through a database connection of the sync's own, so the API's readers are never blocked (WAL) and see
// new mail as soon as each batch commits. A tick while a sync is still running is skipped (croner's protect);
// so is one while another process holds the sync lock. Failures (after the sync's own retries with back-off)
// are logged and recorded per inbox for /api/health; the next tick tries again.
import path from 'node:path';
import { Cron } from 'croner';
import type { FastifyBaseLogger } from 'fastify';
import type { Settings } from '../config/settings.ts';
import { readWatchRulesData } from '../config/watch-rules.ts';
import type { DeclaredFix } from '../ingest/core/model.ts';
import { openDb, type Db } from '../ingest/store/db.ts';
import { formatInboxSync, syncInboxes, type SyncResult } from '../ingest/run/sync.ts';

export interface SyncSchedule {
  /** sync now, as a tick does (resolves null when a sync was already running here) */
  runNow(): Promise<SyncResult | null>;
  nextRun(): Date | null;
  /** stop the schedule and wait for a running sync to end */
  stop(): Promise<void>;
}

export function startSyncSchedule(settings: Settings, schedule: string, log: FastifyBaseLogger): SyncSchedule {
  let db: Db | null = null;
  let running: Promise<SyncResult | null> | null = null;
  const mirrors = path.resolve(settings.sync.mirrors ?? path.join(path.dirname(path.resolve(settings.db)), 'lore'));

  const runNow = (): Promise<SyncResult | null> => {
    if (running) return Promise.resolve(null);
    running = (async () => {
      try {
        db ??= openDb(settings.db);
        const r = await syncInboxes(db, settings.inboxes, {
          mirrors,
          rulesData: readWatchRulesData(settings.watchRulesFile),
          declared: settings.declaredFixes as DeclaredFix[],
          workers: 0,
          retries: settings.sync.retries,
          backoffMs: settings.sync.backoffMs,
          whenLocked: 'skip',
        });
        if (r.skipped) log.info('sync: another process is syncing; skipped');
        for (const i of r.inboxes) {
          if (i.error) log.error({ inbox: i.inbox, url: i.url, err: i.error }, formatInboxSync(i));
          else log.info({ inbox: i.inbox, new: i.summary?.new, deleted: i.summary?.deleted }, formatInboxSync(i));
        }
        return r;
      } catch (e) {
        log.error({ err: e }, 'sync failed');
        return null;
      } finally {
        running = null;
      }
    })();
    return running;
  };

  const job = new Cron(schedule, { timezone: 'UTC', protect: true }, async () => {
    await runNow();
  });
  log.info({ schedule, inboxes: settings.inboxes.map((i) => i.name), mirrors }, 'syncing inboxes on a schedule');
  return {
    runNow,
    nextRun: () => job.nextRun(),
    async stop() {
      job.stop();
      await running;
      db?.close();
      db = null;
    },
  };
}
