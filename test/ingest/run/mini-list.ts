// Small hand-written lists for tests: mails as literals, written to an mbox, ingested into a fresh SQLite file,
// served by the real app. Addresses and people are invented.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { loadSettings } from '../../../config/settings.ts';
import { readWatchRulesData } from '../../../config/watch-rules.ts';
import { openDb, type Db } from '../../../ingest/store/db.ts';
import { ingestPaths } from '../../../ingest/run/pipeline.ts';
import { buildApp } from '../../../server/app.ts';
import { makeContext } from '../../../server/serve.ts';

export interface Mail {
  id: string;
  subject: string;
  from?: string;
  date: string;
  replyTo?: string;
  /** parent ids, oldest first (References); the last is In-Reply-To */
  refs?: string[];
  headers?: Record<string, string>;
  body: string;
}

/** A one-hunk diff of `file` adding `added` lines and removing `removed` ones inside `fn`. */
export function diff(file: string, fn: string, added: string[], removed: string[] = []): string {
  const lines = [' {', ...removed.map((l) => `-\t${l}`), ...added.map((l) => `+\t${l}`), ' }'];
  const oldN = 2 + removed.length, newN = 2 + added.length;
  return `---\n ${file} | 1 +\n\ndiff --git a/${file} b/${file}\n--- a/${file}\n+++ b/${file}\n@@ -10,${oldN} +10,${newN} @@ ${fn}\n${lines.join('\n')}\n`;
}

export function mbox(mails: Mail[]): string {
  return mails.map((m) => {
    const refs = m.refs ?? [];
    const head = [
      `From mboxrd@z Thu Jan  1 00:00:00 1970`,
      `From: ${m.from ?? 'Ada Bauer <ada@amd.example>'}`,
      `Subject: ${m.subject}`,
      `Date: ${new Date(m.date).toUTCString().replace('GMT', '+0000')}`,
      `Message-ID: <${m.id}>`,
      ...(refs.length ? [`In-Reply-To: <${refs[refs.length - 1]}>`, `References: ${refs.map((r) => `<${r}>`).join(' ')}`] : []),
      ...(m.replyTo ? [`Reply-To: ${m.replyTo}`] : []),
      ...Object.entries(m.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
      'Content-Type: text/plain; charset=utf-8',
    ];
    return `${head.join('\n')}\n\n${m.body.replace(/^(>*From )/gm, '>$1')}\n`;
  }).join('\n');
}

export interface MiniList { db: Db; app: FastifyInstance; dir: string; close(): Promise<void> }

/** Ingest the mails (one mbox) and serve them. */
export async function miniList(mails: Mail[]): Promise<MiniList> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'relapse-mini-'));
  const file = path.join(dir, 'list.mbox');
  fs.writeFileSync(file, mbox(mails));
  const dbPath = path.join(dir, 'relapse.db');
  const db = openDb(dbPath);
  await ingestPaths(db, [file], { rulesData: readWatchRulesData(), workers: 0 });
  const app = await buildApp(makeContext(db, { ...loadSettings({ db: dbPath }, {}), token: null }));
  await app.ready();
  return {
    db, app, dir,
    async close() {
      await app.close();
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function get<T = any>(app: FastifyInstance, url: string): Promise<T> {
  const res = await app.inject(url);
  if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
  return res.json() as T;
}
