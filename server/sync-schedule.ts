// `relapse serve --sync CRON` (or config sync.schedule): the configured inboxes synced on a schedule (croner,
// UTC). Each tick runs `relapse sync` in a child process: fetching, parsing and deriving never take the server's
// event loop, and the API's readers are never blocked (WAL); they see new mail as soon as each batch commits.
// A tick while a sync is still running is skipped (croner's protect); so is one while another process holds the
// sync lock (`--skip-if-busy`). The child retries failing fetches with back-off and records each inbox's outcome
// for /api/health; a child that dies without doing so (killed, crashed) is recorded here for every inbox.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Cron } from 'croner';
import type { FastifyBaseLogger } from 'fastify';
import type { Settings } from '../config/settings.ts';
import type { Db } from '../ingest/store/db.ts';
import { recordSync } from '../ingest/store/sync-state.ts';

const BIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'relapse.js');

export interface SyncRun {
  /** the child's exit code: 0 all synced, 1 some inbox failed (recorded), else it died */
  code: number;
  /** what it printed: one line per inbox */
  lines: string[];
}

export interface SyncSchedule {
  /** sync now, as a tick does (resolves null when a sync was already running here) */
  runNow(): Promise<SyncRun | null>;
  nextRun(): Date | null;
  /** stop the schedule and wait for a running sync to end */
  stop(): Promise<void>;
}

export function startSyncSchedule(db: Db, settings: Settings, schedule: string, log: FastifyBaseLogger): SyncSchedule {
  let running: Promise<SyncRun | null> | null = null;
  let child: ReturnType<typeof spawn> | null = null;
  const mirrors = path.resolve(settings.sync.mirrors ?? path.join(path.dirname(path.resolve(settings.db)), 'lore'));

  const once = () => new Promise<SyncRun>((resolve) => {
    const p = spawn(process.execPath, [BIN, 'sync', '--db', path.resolve(settings.db), '--mirrors', mirrors, '--skip-if-busy'],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    child = p;
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    p.stdout.on('data', (b: Buffer) => out.push(b));
    p.stderr.on('data', (b: Buffer) => err.push(b));
    p.on('error', (e) => err.push(Buffer.from(e.message)));
    p.on('close', (code) => {
      child = null;
      const lines = Buffer.concat(out).toString('utf8').split('\n').filter(Boolean);
      const run = { code: code ?? -1, lines };
      for (const line of lines) (line.includes('FAILED') ? log.error.bind(log) : log.info.bind(log))(line);
      if (run.code !== 0 && run.code !== 1) {
        const why = Buffer.concat(err).toString('utf8').trim().split('\n').pop() || `exit ${run.code}`;
        log.error({ code: run.code }, `sync process failed: ${why}`);
        for (const i of settings.inboxes) recordSync(db, { inbox: i.name, url: i.url, ok: false, error: `sync process failed: ${why}`, newMessages: 0 });
      }
      resolve(run);
    });
  });

  const runNow = (): Promise<SyncRun | null> => {
    if (running) return Promise.resolve(null);
    running = once().finally(() => {
      running = null;
    });
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
      // an ingest stopped part-way resumes at the next sync; the lock it held lapses with its lease
      child?.kill('SIGTERM');
      await running;
    },
  };
}
