// Small generated mail for the hostile-input tests (issue 13): nothing large is kept in the repository.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDb, type Db } from '../../../ingest/store/db.ts';
import { ingestPaths, type IngestOptions } from '../../../ingest/run/pipeline.ts';
import { readWatchRulesData } from '../../../config/watch-rules.ts';

export function tmpDir(prefix = 'relapse-hostile-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** One plain message, LF line ends. */
export function mail(n: number, o: { subject?: string; body?: string; id?: string } = {}): string {
  return [
    `From: Dev ${n} <dev${n}@example.org>`,
    `To: kexec@lists.example.org`,
    `Subject: ${o.subject ?? `note ${n}`}`,
    `Date: Mon, ${String(1 + (n % 27)).padStart(2, '0')} Mar 2010 10:00:00 +0000`,
    `Message-ID: <${o.id ?? `hostile-${n}@example.org`}>`,
    '',
    o.body ?? `body of note ${n}`,
    '',
  ].join('\n');
}

/** Messages as an mboxrd archive (no body line starts with From). */
export function mbox(messages: string[]): string {
  return messages.map((m) => `From mboxrd@z Thu Jan  1 00:00:00 1970\n${m}\n`).join('');
}

export function newDb(dir: string): Db {
  return openDb(path.join(dir, 'r.db'));
}

export function ingest(db: Db, paths: string[], o: Partial<IngestOptions> = {}) {
  return ingestPaths(db, paths, { rulesData: readWatchRulesData(), workers: 0, ...o });
}

export const count = (db: Db, sql: string, ...args: unknown[]) => (db.prepare(sql).pluck().get(...args) as number);
