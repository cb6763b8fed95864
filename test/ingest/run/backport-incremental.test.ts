// A stable backport ingested after its original finds it when only what is new is re-derived, and keeps it when
// the backporter's later mail re-derives their postings (issue 15).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDb } from '../../../ingest/store/db.ts';
import { ingestPaths } from '../../../ingest/run/pipeline.ts';
import { deriveNew } from '../../../ingest/run/derive.ts';
import { readWatchRulesData } from '../../../config/watch-rules.ts';
import { diff, mbox, type Mail } from './mini-list.ts';

const patch = (title: string) => `${title}.\n\nSigned-off-by: Ada Bauer <ada@amd.example>\n${diff('kernel/kexec_core.c', 'int kimage_load(void)', [`call_${title.length}();`])}`;
const SASHA = 'Sasha Levin <sasha@kernel.example>';

describe('backports, derived incrementally', () => {
  it('point at the original posting, and keep pointing at it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'relapse-bp-'));
    const db = openDb(path.join(dir, 'r.db'));
    const step = async (name: string, mails: Mail[]) => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, mbox(mails));
      await ingestPaths(db, [file], { rulesData: readWatchRulesData(), workers: 0, skipDerive: true });
      deriveNew(db, [], 1); // never the whole archive
    };
    const backportOf = (id: string) => db.prepare(`SELECT o.anchor FROM messages m JOIN series s ON s.id = m.series_id
      LEFT JOIN series o ON o.anchor = s.backport_of WHERE m.message_id = ?`).pluck().get(id);
    try {
      await step('1.mbox', [
        { id: 'c@x', subject: '[PATCH 0/2] kexec: two fixes', date: '2021-01-01T10:00:00Z', body: 'Two.' },
        { id: 'p1@x', subject: '[PATCH 1/2] kexec: bail out upon SIGKILL', date: '2021-01-01T10:00:01Z', refs: ['c@x'], body: patch('kexec: bail out upon SIGKILL') },
        { id: 'p2@x', subject: '[PATCH 2/2] kexec: tidy', date: '2021-01-01T10:00:02Z', refs: ['c@x'], body: patch('kexec: tidy') },
      ]);
      await step('2.mbox', [{ id: 'bp@s', subject: '[PATCH AUTOSEL 5.4 12/40] kexec: bail out upon SIGKILL', from: SASHA, date: '2021-03-01T10:00:00Z',
        body: `[ Upstream commit 0123456789abcdef0123456789abcdef01234567 ]\n\n${patch('kexec: bail out upon SIGKILL')}` }]);
      expect(backportOf('bp@s')).toBe('c@x');
      await step('3.mbox', [{ id: 'other@s', subject: '[PATCH AUTOSEL 5.4 13/40] net: something', from: SASHA, date: '2021-03-01T10:01:00Z',
        body: `[ Upstream commit 1123456789abcdef0123456789abcdef01234567 ]\n\n${patch('net: something')}` }]);
      expect(backportOf('bp@s')).toBe('c@x');
    } finally {
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
