// The schedules `relapse serve` runs beside the app: the sync of the configured public-inbox inboxes
// (sync-schedule.ts) on the cron pattern it is given, and the weekly digest (digest/schedule.ts) unless turned off.
// A digest schedule that fails to start or to stop is logged and the server goes on.
import type { FastifyBaseLogger } from 'fastify';
import type { AppContext } from './context.ts';
import { startDigestSchedule, type DigestSchedule } from './digest/schedule.ts';
import { startSyncSchedule, type SyncSchedule } from './sync-schedule.ts';

export interface Schedules {
  /** the inbox sync schedule, when one runs */
  sync: SyncSchedule | null;
  /** stop both and wait for a running sync and queued digest runs to end */
  stop(): Promise<void>;
}

/**
 * Start the inbox sync on `o.sync` (none when null) and, when `o.digest`, the digest schedule.
 *
 * @example const schedules = await startSchedules(ctx, { digest: true, sync: '0 * * * *' }, app.log);
 */
export async function startSchedules(ctx: AppContext, o: { digest: boolean; sync: string | null }, log: FastifyBaseLogger): Promise<Schedules> {
  const sync = o.sync ? startSyncSchedule(ctx.db, ctx.settings, o.sync, log) : null;
  let digest: DigestSchedule | null = null;
  if (o.digest) {
    try {
      digest = startDigestSchedule(ctx, { log: (line) => log.info(line) });
    } catch (e) {
      log.error({ err: e }, 'digest schedule failed to start');
    }
  }
  return {
    sync,
    async stop() {
      await sync?.stop();
      try {
        digest?.stop();
        await digest?.idle();
      } catch (e) {
        log.error({ err: e }, 'digest schedule did not stop cleanly');
      }
    },
  };
}
