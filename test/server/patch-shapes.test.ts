// The diff shapes of test/fixtures/shapes/ ingested with a reply to each: every one is stored as a patch with its
// files, and the reviewer's Reviewed-by in the reply is collected onto it (b4's follow-up trailers).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readWatchRulesData } from '../../config/watch-rules.ts';
import { openDb, type Db } from '../../ingest/store/db.ts';
import { ingestPaths } from '../../ingest/run/pipeline.ts';
import { getPatch } from '../../server/data/patches.ts';

const SHAPES = path.join(import.meta.dirname, '..', 'fixtures', 'shapes');
const PATCHES: Record<string, string[]> = {
  'combined-diff-hunk.eml': ['combined@dump.example', 'kexec/kexec.c'],
  'plain-a-b-no-diff-git.eml': ['plain@dump.example', 'kexec/kexec.c', 'kexec/kexec.h'],
  'stripped-blank-context.eml': ['blank@dump.example', 'kexec/kexec.c'],
  'cvs-index.eml': ['cvs@dump.example', 'bfd/elf-bfd.h'],
  'rename-then-hunk.eml': ['rename@dump.example', 'kexec/crashdump.c'],
  'no-newline-at-eof.eml': ['nonl@dump.example', 'VERSION', 'kexec/version.h'],
  'octet-stream-patch.eml': ['octet@dump.example', 'kexec/kexec.c'],
};

let db: Db;
beforeAll(async () => {
  db = openDb(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'relapse-shapes-')), 'r.db'));
  const files = [...Object.keys(PATCHES), 'follow-up-trailers.mbox'].map((f) => path.join(SHAPES, f));
  const s = await ingestPaths(db, files, { rulesData: readWatchRulesData(), workers: 0 });
  expect(s).toMatchObject({ new: 14, quarantined: 0, patches: 7, emptySources: [] });
});
afterAll(() => db?.close());

describe('diff shapes, stored', () => {
  for (const [file, [id, ...paths]] of Object.entries(PATCHES)) {
    it(`${file}: a patch with its files and the reply's Reviewed-by`, () => {
      const p = getPatch(db, id);
      expect(p?.files.map((f) => f.path)).toEqual(paths);
      expect(p?.trailers.filter((t) => t.name === 'Reviewed-by')).toEqual([
        { name: 'Reviewed-by', value: 'Kai Moen <kai@dump.example>', source: `review-${id}` },
      ]);
    });
  }
});
