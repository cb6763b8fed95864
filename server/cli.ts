// The `relapse` command line: ingest, sync, serve, digest, reindex, demo.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import cliProgress from 'cli-progress';
import { openDb } from '../ingest/store/db.ts';
import { ingestPaths, type IngestSummary } from '../ingest/run/pipeline.ts';
import { loadSettings } from '../config/settings.ts';
import { readWatchRulesData } from '../config/watch-rules.ts';
import { reindex } from '../ingest/run/reindex.ts';
import { formatInboxSync, inboxFor, syncInboxes, type SyncResult } from '../ingest/run/sync.ts';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

function formatSummary(s: IngestSummary): string {
  return `ingest: ${s.new} new, ${s.duplicate} duplicate, ${s.quarantined} quarantined messages` +
    (s.deleted ? `, ${s.deleted} deleted` : '') + `; ${s.patches} patches, ${s.series} series` +
    (s.derive ? `, ${s.derive.regressions} regressions (${s.derive.opened} new)` : '') +
    (s.skippedSources ? `; ${s.skippedSources} unchanged archive(s) skipped` : '') +
    (s.emptySources.length ? `; no message in ${s.emptySources.length} archive(s): ${s.emptySources.join(', ')}` : '') +
    (s.unreadable.length ? `; ${s.unreadable.length} path(s) could not be read (listed above)` : '') +
    `; ${s.seconds.toFixed(1)} s`;
}

/** Print the summary; paths that could not be read go to stderr, one a line, and make the exit status 1. */
/**
 * The summary line; then what the caller's script must notice, never passed over in silence: every path that
 * could not be read and every archive that yielded no message, on stderr, and a non-zero exit.
 */
function report(s: IngestSummary): void {
  for (const u of s.unreadable) console.error(`relapse: cannot read '${u.path}': ${u.reason}`);
  console.log(formatSummary(s));
  for (const src of s.emptySources) console.error(`relapse: no message found in ${src === '-' ? 'standard input' : src}`);
  if (s.unreadable.length || s.emptySources.length) process.exitCode = 1;
}

export async function runIngest(paths: string[], o: { db?: string; list?: string; workers?: number; quiet?: boolean; maxMessageBytes?: number }): Promise<IngestSummary> {
  const settings = loadSettings({ db: o.db });
  const rulesData = readWatchRulesData(settings.watchRulesFile);
  for (const p of paths) {
    if (p !== '-' && !fs.existsSync(p)) throw new Error(`cannot read ${p}: no such file or directory`);
  }
  const db = openDb(settings.db);
  let bar: cliProgress.SingleBar | null = null;
  const started = Date.now();
  if (process.stderr.isTTY && !o.quiet) {
    bar = new cliProgress.SingleBar({
      format: '{source} [{bar}] {percentage}% | {mb}/{totalMb} MB | {messages} messages | {rate} msg/s',
      stream: process.stderr,
      hideCursor: true,
    }, cliProgress.Presets.shades_classic);
  }
  let current = '';
  try {
    const summary = await ingestPaths(db, paths, {
      list: o.list,
      rulesData,
      declared: settings.declaredFixes,
      workers: o.workers,
      maxMessageBytes: o.maxMessageBytes ?? settings.limits?.maxMessageBytes,
      maxGzipRatio: settings.limits?.maxGzipRatio,
      onProgress: (p) => {
        if (!bar) return;
        const payload = {
          source: path.basename(p.source).slice(-24),
          mb: (p.bytes / 1e6).toFixed(1),
          totalMb: (p.totalBytes / 1e6).toFixed(1),
          messages: p.messages,
          rate: Math.round(p.messages / Math.max(0.001, (Date.now() - started) / 1000)),
        };
        if (current !== p.source) {
          if (current) bar.stop();
          current = p.source;
          bar.start(Math.max(1, p.totalBytes), p.bytes, payload);
        } else bar.update(p.bytes, payload);
      },
    });
    bar?.stop();
    return summary;
  } finally {
    bar?.stop();
    db.close();
  }
}

/** Where an inbox's mirrors live by default: `lore/` beside the database. */
export function defaultMirrors(dbFile: string): string {
  return path.join(path.dirname(path.resolve(dbFile)), 'lore');
}

/** `relapse sync`: the inboxes named (configured names, URLs or paths), else every configured one. */
export async function runSync(args: string[], o: { db?: string; mirrors?: string; workers?: number; quiet?: boolean; skipIfBusy?: boolean }): Promise<SyncResult> {
  const settings = loadSettings({ db: o.db });
  const inboxes = args.length ? args.map((a) => inboxFor(a, settings.inboxes)) : settings.inboxes;
  if (!inboxes.length) throw new Error('no inboxes configured: name one (a URL or path) or add "inboxes" to the config');
  const db = openDb(settings.db);
  const tty = process.stderr.isTTY && !o.quiet;
  let bar: cliProgress.SingleBar | null = null;
  const stopBar = () => {
    bar?.stop();
    bar = null;
  };
  try {
    return await syncInboxes(db, inboxes, {
      mirrors: path.resolve(o.mirrors ?? settings.sync.mirrors ?? defaultMirrors(settings.db)),
      rulesData: readWatchRulesData(settings.watchRulesFile),
      declared: settings.declaredFixes as never,
      workers: o.workers,
      retries: settings.sync.retries,
      backoffMs: settings.sync.backoffMs,
      whenLocked: o.skipIfBusy ? 'skip' : 'wait',
      onStep: (inbox, step) => {
        if (!tty) return;
        stopBar();
        process.stderr.write(`\r\x1b[K${inbox ? `${inbox}: ` : ''}${step}`);
      },
      onProgress: (p) => {
        if (!tty) return;
        const payload = { source: path.basename(path.dirname(path.dirname(p.source))) + '/' + path.basename(p.source), messages: p.messages };
        if (!bar) {
          process.stderr.write('\r\x1b[K');
          bar = new cliProgress.SingleBar({ format: '{source} [{bar}] {percentage}% | {messages} messages', stream: process.stderr, hideCursor: true },
            cliProgress.Presets.shades_classic);
          bar.start(Math.max(1, p.totalBytes), p.bytes, payload);
        } else bar.update(p.bytes, payload);
      },
      onInbox: (r) => {
        stopBar();
        if (tty) process.stderr.write('\r\x1b[K');
        console.log(formatInboxSync(r));
      },
    });
  } finally {
    stopBar();
    db.close();
  }
}

const intArg = (name: string) => (v: string) => {
  if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`${name} must be a whole number`);
  return Number(v);
};

export async function main(argv: string[]): Promise<void> {
  const program = new Command();
  program.name('relapse').description('Catches the day a patch undoes a known fix').showHelpAfterError();

  program
    .command('ingest')
    .description('read mbox, pipermail, maildir, .eml or public-inbox (lore) archives into the database')
    .argument('<paths...>', 'files, directories (walked recursively), public-inbox inboxes, epochs or git bundles, or - for stdin')
    .option('--db <path>', 'database file (default ./data/relapse.db, or RELAPSE_DB)')
    .option('--list <name>', 'list name for these messages (default: List-Id, else kexec)')
    .option('--workers <n>', 'parse worker threads (0 = main thread)', intArg('--workers'))
    .option('--max-message-bytes <n>', 'quarantine a message larger than this, keeping its head (default 16 MiB, or RELAPSE_MAX_MESSAGE_BYTES)', intArg('--max-message-bytes'))
    .action(async (paths: string[], o) => {
      report(await runIngest(paths, o));
    });

  program
    .command('sync')
    .description('mirror public-inbox archives (lore.kernel.org) with git and ingest what is new')
    .argument('[inboxes...]', 'configured inbox names, URLs (https://lore.kernel.org/kexec, file://...) or paths; default: every configured inbox')
    .option('--db <path>', 'database file (default ./data/relapse.db, or RELAPSE_DB)')
    .option('--mirrors <dir>', 'where the git mirrors live (default: lore/ beside the database)')
    .option('--workers <n>', 'parse worker threads (0 = main thread)', intArg('--workers'))
    .option('--skip-if-busy', 'when another process is syncing, do nothing (default: wait for it)')
    .action(async (inboxes: string[], o) => {
      const r = await runSync(inboxes, o);
      if (r.skipped) console.log('sync: another process is syncing this database; skipped');
      if (r.inboxes.some((i) => i.error)) process.exitCode = 1;
    });

  program
    .command('serve')
    .description('serve the REST API and the dashboard')
    .option('--db <path>', 'database file')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port', intArg('--port'), 3000)
    .option('--watch <dir>', 'ingest archive files dropped into this directory')
    .option('--no-schedule', 'do not send the weekly digest on its schedule')
    .option('--sync <cron>', 'sync the configured inboxes on this schedule (cron, UTC; default: config sync.schedule)')
    .action(async (o) => {
      const { serve } = await import('./serve.ts');
      await serve({ db: o.db, host: o.host, port: o.port, watch: o.watch, schedule: o.schedule, sync: o.sync });
    });

  program
    .command('digest')
    .description('build (and send) the weekly digest')
    .option('--db <path>', 'database file')
    .option('--week <week>', 'ISO week, e.g. 2010-W13 (default: the last complete week)')
    .option('--out <file>', 'write the message (.eml) to a file')
    .option('--send', 'deliver over SMTP (RELAPSE_SMTP_URL or config)')
    .option('--to <addr...>', 'recipients (default: from config)')
    .option('--force', 'send even if this week was already sent')
    .action(async (o) => {
      const { runDigestCommand } = await import('./digest/command.ts');
      await runDigestCommand(o);
    });

  program
    .command('reindex')
    .description('rebuild the call index and detection with the current watch rules')
    .option('--db <path>', 'database file')
    .action(async (o) => {
      const settings = loadSettings({ db: o.db });
      const db = openDb(settings.db);
      try {
        const r = reindex(db, readWatchRulesData(settings.watchRulesFile), settings.declaredFixes);
        console.log(`reindex: ${r.patches} patches, ${r.callChanges} call changes, ${r.orderChanges} order changes, ${r.regressions} regressions`);
      } finally {
        db.close();
      }
    });

  program
    .command('demo')
    .description('ingest the bundled sample archive, then serve (what `npm start` runs)')
    .option('--db <path>', 'database file')
    .option('--port <port>', 'port', intArg('--port'), 3000)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .action(async (o) => {
      const sample = path.join(ROOT, 'test', 'fixtures', 'corpus', 'archive.mbox');
      report(await runIngest([sample], { db: o.db }));
      const { serve } = await import('./serve.ts');
      await serve({ db: o.db, host: o.host, port: o.port });
    });

  try {
    await program.parseAsync(argv);
  } catch (e) {
    console.error(`relapse: ${(e as Error).message}`);
    process.exitCode = 2;
  }
}
