// The weekly digest on its schedule (croner, UTC; default Monday 08:00). Each run sends the last complete
// week to every configured recipient that has not had it (digests_sent keeps that across restarts and
// servers). On start, a run that was due this week but missed (server down at the time) is caught up.
// Failed deliveries are retried when their back-off time comes (digest_failures); a scheduled run skips the
// recipients still backing off, so a frequent schedule with the SMTP server down does not retry on every tick.
import { Cron } from 'croner';
import type { AppContext } from '../context.ts';
import { lastCompleteWeek, weekOf } from './iso-week.ts';
import { backingOff } from '../data/digests.ts';
import { retryFailures, sendDigest, type SendOptions } from './send.ts';

export interface ScheduleOptions extends Pick<SendOptions, 'transport' | 'smtpUrl' | 'retryBaseMs' | 'attempts' | 'retryDelaysMs'> {
  now?: () => Date;
  /** how often due retries are looked for (default 60 s) */
  retryCheckMs?: number;
  /** catch up a run missed earlier this week (default true) */
  catchUp?: boolean;
  log?: (line: string) => void;
}

/** Whether the schedule had an occurrence between the start of the current ISO week and now. */
export function missedThisWeek(pattern: string, now: Date): boolean {
  const probe = new Cron(pattern, { timezone: 'UTC', paused: true });
  try {
    const weekStart = weekOf(now).start;
    const next = probe.nextRun(new Date(weekStart.getTime() - 1000));
    return !!next && next.getTime() <= now.getTime();
  } finally {
    probe.stop();
  }
}

export interface DigestSchedule {
  stop(): void;
  /** resolves when queued runs are done */
  idle(): Promise<void>;
  /** run the weekly send now (what a cron tick does) */
  runNow(): Promise<void>;
  /** the next scheduled run */
  nextRun(): Date | null;
}

export function startDigestSchedule(ctx: AppContext, opts: ScheduleOptions = {}): DigestSchedule {
  const noop: DigestSchedule = { stop() {}, idle: async () => {}, runNow: async () => {}, nextRun: () => null };
  const log = opts.log ?? ((l: string) => console.error(l));
  const now = opts.now ?? (() => new Date());
  const { settings } = ctx;
  const send: SendOptions = {
    transport: opts.transport,
    smtpUrl: opts.smtpUrl,
    retryBaseMs: opts.retryBaseMs,
    attempts: opts.attempts,
    retryDelaysMs: opts.retryDelaysMs,
    now,
    log,
  };
  let stopped = false;
  let chain: Promise<unknown> = Promise.resolve();
  // one run at a time: a cron tick during a slow retry waits for it
  const serial = (what: string, fn: () => Promise<unknown>) => {
    chain = chain.then(async () => {
      if (stopped) return;
      try {
        await fn();
      } catch (e) {
        log(`digest: ${what} failed: ${(e as Error).message}`);
      }
    });
    return chain;
  };

  const runWeekly = (): Promise<unknown> =>
    serial('weekly run', async () => {
      if (!settings.digest.recipients.length) return;
      const week = lastCompleteWeek(now());
      const waiting = backingOff(ctx.db, week.label, now());
      const due = settings.digest.recipients.filter((r) => !waiting.has(r.email.trim().toLowerCase()));
      if (due.length < settings.digest.recipients.length) log(`digest ${week.label}: ${settings.digest.recipients.length - due.length} recipient(s) backing off after failed deliveries`);
      if (due.length) await sendDigest(ctx.db, settings, week, due, send);
    });
  const runRetries = () => serial('retry', () => retryFailures(ctx.db, settings, send));

  let job: Cron;
  try {
    job = new Cron(settings.digest.schedule, { timezone: 'UTC', protect: true }, () => void runWeekly());
  } catch (e) {
    log(`digest: bad schedule "${settings.digest.schedule}": ${(e as Error).message}; digest not scheduled`);
    return noop;
  }
  if (!settings.digest.recipients.length) log('digest: no recipients configured (digest.recipients or RELAPSE_DIGEST_TO); nothing will be sent');
  else if (!settings.smtpUrl && !opts.smtpUrl && !opts.transport) log('digest: no SMTP server configured (RELAPSE_SMTP_URL); deliveries will fail and be reported in /api/health');

  const startTimer = setTimeout(() => {
    if (opts.catchUp !== false && missedThisWeek(settings.digest.schedule, now())) void runWeekly();
    void runRetries();
  }, 0);
  const retryTimer = setInterval(() => void runRetries(), opts.retryCheckMs ?? 60_000);
  startTimer.unref?.();
  retryTimer.unref?.();

  return {
    stop() {
      stopped = true;
      job.stop();
      clearTimeout(startTimer);
      clearInterval(retryTimer);
    },
    idle: async () => {
      let seen: Promise<unknown>;
      do {
        seen = chain;
        await seen;
      } while (seen !== chain);
    },
    runNow: async () => {
      await runWeekly();
    },
    nextRun: () => job.nextRun(),
  };
}
