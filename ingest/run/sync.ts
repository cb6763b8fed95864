// Sync: mirror public-inbox inboxes (lore.kernel.org's lists) with the system git, then ingest what is new.
//
// For each inbox, epoch N is found at `URL/N` (as lore serves them; for a local path or file:// URL also at
// `PATH/git/N.git`, an inbox as public-inbox lays it out on disk), from 0 up to the first that does not exist.
// An epoch not mirrored yet is cloned (`git clone --mirror`, into a temporary name renamed when complete, so a
// killed clone leaves no half mirror behind) into `<mirrors>/NAME/git/N.git`; one mirrored already is fetched
// (`git fetch --prune`: a mirror takes rewritten history as it is). Then the mirror directory is ingested as an
// inbox (ingest/archive/public-inbox.ts reads only the commits after the last one stored).
//
// A failing git command (network, server) is retried with exponential back-off; an inbox that still fails is
// recorded with its error (inbox_syncs, shown by /api/health) and the next inbox goes on. One process syncs at a
// time: the `sync` lock (ingest/store/sync-state.ts) is taken before any git runs; a second process waits for it
// or skips, as asked.
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db } from '../store/db.ts';
import { git, oneLine } from '../archive/public-inbox.ts';
import type { Inbox } from '../../config/settings.ts';
import { recordSync, refreshLock, releaseLock, tryLock } from '../store/sync-state.ts';
import { ingestPaths, type IngestOptions, type IngestSummary } from './pipeline.ts';

export type { Inbox };

export interface SyncOptions extends Omit<IngestOptions, 'list'> {
  /** where mirrors live: `<mirrors>/NAME/git/N.git` */
  mirrors: string;
  /** retries of a failing git command (default 3), the first after `backoffMs` (default 2000), doubling */
  retries?: number;
  backoffMs?: number;
  /** when another process holds the sync lock: wait for it (default) or skip this sync */
  whenLocked?: 'wait' | 'skip';
  /** a lock not refreshed for this long is free (its holder died); default 2 minutes */
  leaseMs?: number;
  /** told what is happening, for a progress display */
  onStep?: (inbox: string, step: string) => void;
  /** told of each inbox as it is done */
  onInbox?: (r: InboxSyncResult) => void;
}

export interface InboxSyncResult {
  inbox: string;
  url: string;
  epochs: number;
  cloned: number;
  fetched: number;
  /** null when the inbox failed before ingesting */
  summary: IngestSummary | null;
  error: string | null;
}

export interface SyncResult {
  /** another process held the lock and `whenLocked` was 'skip' */
  skipped: boolean;
  inboxes: InboxSyncResult[];
}

const LOCK = 'sync';

/** The inbox a command-line argument names: a configured name, or a URL / path (its last segment names it). */
export function inboxFor(arg: string, configured: Inbox[]): Inbox {
  const known = configured.find((i) => i.name === arg);
  if (known) return known;
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(arg) && !arg.includes('/') && !existsSync(arg)) {
    throw new Error(`'${arg}' is neither a configured inbox (${configured.map((i) => i.name).join(', ') || 'none'}) nor a URL or path`);
  }
  const name = decodeURIComponent(arg.replace(/\/+$/, '').split('/').pop() ?? '').replace(/\.git$/, '');
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) throw new Error(`cannot name an inbox after '${arg}'`);
  return { name, url: arg.replace(/\/+$/, ''), list: name };
}

/** A local directory for a path or file:// URL; null for a remote URL. */
function localPath(url: string): string | null {
  if (url.startsWith('file://')) return fileURLToPath(url);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url) || /^[^/]+@[^/]+:/.test(url)) return null;
  return path.resolve(url);
}

/** Where epoch `n` of an inbox is served (see the header). */
export function epochUrl(url: string, n: number): string {
  const local = localPath(url);
  if (local !== null) {
    const laidOut = path.join(local, 'git', `${n}.git`);
    return existsSync(laidOut) ? laidOut : path.join(local, String(n));
  }
  return `${url.replace(/\/+$/, '')}/${n}`;
}

/** git's words for "there is no repository there" (as opposed to a failure to reach it). */
const MISSING = /not found|does not appear to be a git repository|does not exist|no such file|\b404\b|\b410\b/i;

async function withRetry<T>(what: string, fn: () => Promise<T>, o: SyncOptions): Promise<T> {
  const retries = o.retries ?? 3;
  let delay = o.backoffMs ?? 2000;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (attempt >= retries) throw new Error(`${what}: ${(e as Error).message} (after ${attempt + 1} attempts)`, { cause: e });
      await new Promise((r) => setTimeout(r, delay));
      delay *= 2;
    }
  }
}

/** Whether a repository exists at `url`: true, false (git says there is none), or an Error (it could not tell). */
async function epochExists(url: string): Promise<boolean> {
  const local = localPath(url);
  if (local !== null && !existsSync(local)) return false;
  const r = await git(['ls-remote', '--heads', url], { ok: [128, 2] });
  if (r.code === 0) return true;
  if (MISSING.test(r.stderr)) return false;
  throw new Error(`git ls-remote ${url} failed: ${oneLine(r.stderr) || `exit ${r.code}`}`);
}

/** Clone or fetch every epoch of an inbox into its mirror; how many of each. */
async function mirrorInbox(inbox: Inbox, o: SyncOptions): Promise<{ epochs: number; cloned: number; fetched: number }> {
  const gitDir = path.join(o.mirrors, inbox.name, 'git');
  await mkdir(gitDir, { recursive: true });
  // clones a killed sync left half done (no other sync runs: this one holds the lock)
  for (const n of await readdir(gitDir)) if (/\.partial-\d+$/.test(n)) await rm(path.join(gitDir, n), { recursive: true, force: true });
  let cloned = 0;
  let fetched = 0;
  for (let n = 0; ; n++) {
    const mirror = path.join(gitDir, `${n}.git`);
    const remote = epochUrl(inbox.url, n);
    if (existsSync(mirror)) {
      o.onStep?.(inbox.name, `fetching epoch ${n}`);
      await withRetry(`fetching epoch ${n} of ${inbox.url}`, () => git(['-c', `safe.directory=${mirror}`, '-C', mirror, 'fetch', '--prune', '--quiet']), o);
      fetched++;
      continue;
    }
    o.onStep?.(inbox.name, `looking for epoch ${n}`);
    const exists = await withRetry(`looking for ${remote}`, () => epochExists(remote), o);
    if (!exists) {
      if (n === 0) throw new Error(`no public-inbox epoch at ${remote}`);
      return { epochs: n, cloned, fetched };
    }
    o.onStep?.(inbox.name, `cloning epoch ${n}`);
    const partial = `${mirror}.partial-${process.pid}`;
    await withRetry(`cloning ${remote}`, async () => {
      await rm(partial, { recursive: true, force: true });
      return git(['clone', '--mirror', '--quiet', remote, partial]);
    }, o);
    await rename(partial, mirror);
    cloned++;
  }
}

/**
 * Mirror and ingest `inboxes`, one after the other, holding the sync lock.
 *
 * @example await syncInboxes(db, [{ name: 'kexec', url: 'https://lore.kernel.org/kexec', list: 'kexec' }], { mirrors: 'data/lore', rulesData })
 */
export async function syncInboxes(db: Db, inboxes: Inbox[], o: SyncOptions): Promise<SyncResult> {
  const owner = `${os.hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 10)}`;
  const lease = o.leaseMs ?? 120_000;
  while (!tryLock(db, LOCK, owner, lease)) {
    if (o.whenLocked === 'skip') return { skipped: true, inboxes: [] };
    o.onStep?.('', 'waiting for another sync to finish');
    await new Promise((r) => setTimeout(r, Math.min(1000, lease / 4)));
  }
  const heartbeat = setInterval(() => refreshLock(db, LOCK, owner), Math.max(50, lease / 4));
  heartbeat.unref();
  const results: InboxSyncResult[] = [];
  try {
    for (const inbox of inboxes) {
      const r: InboxSyncResult = { inbox: inbox.name, url: inbox.url, epochs: 0, cloned: 0, fetched: 0, summary: null, error: null };
      try {
        Object.assign(r, await mirrorInbox(inbox, o));
        o.onStep?.(inbox.name, 'ingesting');
        r.summary = await ingestPaths(db, [path.join(o.mirrors, inbox.name)], { ...o, list: inbox.list });
      } catch (e) {
        r.error = (e as Error).message;
      }
      recordSync(db, { inbox: inbox.name, url: inbox.url, ok: !r.error, error: r.error, newMessages: r.summary?.new ?? 0 });
      results.push(r);
      o.onInbox?.(r);
    }
  } finally {
    clearInterval(heartbeat);
    releaseLock(db, LOCK, owner);
  }
  return { skipped: false, inboxes: results };
}

/** One line about an inbox's sync. */
export function formatInboxSync(r: InboxSyncResult): string {
  if (r.error) return `sync ${r.inbox}: FAILED: ${r.error}`;
  const s = r.summary!;
  const epochs = `${r.epochs} epoch${r.epochs === 1 ? '' : 's'} (${r.cloned} cloned, ${r.fetched} fetched)`;
  return `sync ${r.inbox}: ${epochs}; ${s.new} new, ${s.duplicate} duplicate, ${s.quarantined} quarantined, ${s.deleted} deleted messages` +
    (s.rewrittenEpochs ? `; ${s.rewrittenEpochs} rewritten epoch(s) read again` : '') +
    (s.derive ? `; ${s.derive.regressions} regressions (${s.derive.opened} new)` : '') + `; ${s.seconds.toFixed(1)} s`;
}
