// Builds the API on a fresh database: the sample corpus ingested into a temporary SQLite file.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { loadSettings, type Settings } from '../config/settings.ts';
import { readWatchRulesData } from '../config/watch-rules.ts';
import { openDb, type Db } from '../ingest/store/db.ts';
import { ingestPaths } from '../ingest/run/pipeline.ts';
import { buildApp } from '../server/app.ts';
import type { AppContext } from '../server/context.ts';
import { makeContext } from '../server/serve.ts';

export const CORPUS_DIR = path.join(import.meta.dirname, 'fixtures', 'corpus');
export const ARCHIVE = path.join(CORPUS_DIR, 'archive.mbox');

export interface Truth {
  patches: string[];
  notPatches: string[];
  series: { cover: string | null; patches: string[]; version: number; total: number }[];
  seriesVersions: string[][];
  callChanges: { messageId: string; file: string; function: string | null; path: string | null; call: string; op: string }[];
  acceptedBy: Record<string, string>;
  knownFixes: { key: string; kind?: string; file: string; function: string; path: string; call: string; before?: string[]; introducedBy: string; movedTo?: string; movedFrom?: string }[];
  regressions: { key: string; fix: string; fixMessage: string; removedBy: string[]; status: string; resolvedBy?: string; resolution?: string }[];
  threads: { members: string[] }[];
  renames: { from: string; to: string; by: string }[];
  refixCandidates: { patch: string; regressionOf: string }[];
  mislabeledCharset: { messageId: string; name: string }[];
  patchVersions: string[][];
  orphans: string[];
  badDate: string[];
  duplicates: string[];
  noMessageId: { subject: string; from: string }[];
  counts: { mboxMessages: number; uniqueMessageIds: number; pipermailMessages: number };
}

export const truth = JSON.parse(fs.readFileSync(path.join(CORPUS_DIR, 'truth.json'), 'utf8')) as Truth;

/** A Message-ID as the API writes it: without angle brackets. */
export const bare = (id: string) => id.replace(/^<|>$/g, '');
/** A Message-ID as a path segment. */
export const enc = (id: string) => encodeURIComponent(bare(id));

export interface TestApp {
  app: FastifyInstance;
  db: Db;
  ctx: AppContext;
  dbPath: string;
  close(): Promise<void>;
}

/** A database file with the sample corpus ingested (no app). */
export async function corpusDb(): Promise<{ db: Db; dbPath: string; dir: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'relapse-api-'));
  const dbPath = path.join(dir, 'relapse.db');
  const db = openDb(dbPath);
  await ingestPaths(db, [ARCHIVE], { rulesData: readWatchRulesData(), workers: 0 });
  return { db, dbPath, dir };
}

/**
 * The app over a freshly ingested corpus. `token`: the API token (null disables writes); `settings`: overrides.
 *
 * @example const t = await buildTestApp({ token: 's3cret' }); await t.app.inject('/api/health'); await t.close();
 */
export async function buildTestApp(o: { token?: string | null; settings?: Partial<Settings> } = {}): Promise<TestApp> {
  const { db, dbPath, dir } = await corpusDb();
  const settings: Settings = { ...loadSettings({ db: dbPath }, {}), token: o.token === undefined ? 'test-token' : o.token, ...o.settings };
  const ctx = makeContext(db, settings);
  const app = await buildApp(ctx);
  await app.ready();
  return {
    app, db, ctx, dbPath,
    async close() {
      await app.close();
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Every item of a paginated list, following nextCursor. */
export async function all<T = Record<string, unknown>>(app: FastifyInstance, url: string, limit = 7): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 1000; i++) {
    const sep = url.includes('?') ? '&' : '?';
    const res = await app.inject(`${url}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
    const body = res.json() as { items: T[]; nextCursor: string | null };
    out.push(...body.items);
    cursor = body.nextCursor;
    if (!cursor) return out;
  }
  throw new Error(`${url}: pagination does not end`);
}
