// parseDiff's `linesOf`: files whose lines are not wanted are read without them (countedHunks, a step-by-step
// reading of what parse-diff does), and must come out as parse-diff reads them, lines aside. Held to that over
// every diff in the fixtures and over hand-made sections parse-diff reads in its own ways.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { extractDiff, parseDiff } from '../../../ingest/core/diff.ts';
import type { DiffFile } from '../../../ingest/core/model.ts';

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? walk(p) : /\.(?:eml|mbox|mboxo|mboxrd|patch|diff|txt)$/.test(e.name) ? [p] : [];
  });
}

const withoutLines = (files: DiffFile[]) => files.map((f) => ({ ...f, hunks: f.hunks.map((h) => ({ ...h, lines: [] })) }));

function expectSame(diff: string) {
  const full = parseDiff(diff);
  const seen: string[][] = [];
  const counted = parseDiff(diff, { linesOf: (names) => (seen.push(names), false) });
  expect(counted).toEqual(withoutLines(full));
  expect(counted.every((f) => f.hunks.every((h) => h.lines.length === 0))).toBe(true);
  return { full, seen };
}

const HAND_MADE = [
  // -U0 hunks: parse-diff reads a count of 0 as 1 and goes on counting into the next hunk
  'diff --git a/x.c b/x.c\n--- a/x.c\n+++ b/x.c\n@@ -5,0 +6,2 @@ f(void)\n+a\n+b\n@@ -9 +11 @@ g(void)\n-c\n+d\n',
  // a removed line "-- x" and an added "++ y" inside a hunk
  'diff --git a/y.c b/y.c\n--- a/y.c\n+++ b/y.c\n@@ -1,3 +1,3 @@\n ctx\n--- x\n+++ y\n ctx\n',
  // no newline markers, a new file, a rename with changes, a mode change, a plain diff -u, CVS Index:
  'diff --git a/z.c b/z.c\nnew file mode 100644\n--- /dev/null\n+++ b/z.c\n@@ -0,0 +1,2 @@\n+a\n+b\n\\ No newline at end of file\n' +
    'diff --git a/old.c b/new.c\nsimilarity index 90%\nrename from old.c\nrename to new.c\n--- a/old.c\n+++ b/new.c\n@@ -1 +1 @@\n-p\n\\ No newline at end of file\n+q\n' +
    'diff --git a/m.sh b/m.sh\nold mode 100644\nnew mode 100755\n' +
    '--- linux.orig/fs/a.c\t2010-01-01 10:00:00.000000000 +0100\n+++ linux/fs/a.c\n@@ -1,2 +1,2 @@\n-x\n+y\n \n' +
    'Index: kernel/b.c\n===================================================================\n--- kernel/b.c\t(revision 1)\n+++ kernel/b.c\t(working copy)\n@@ -3,2 +3,3 @@\n a\n+b\n c\n',
  // a hunk with more lines than its header says, and a tab-led context line
  'diff --git a/t.c b/t.c\n--- a/t.c\n+++ b/t.c\n@@ -1,2 +1,2 @@\n-a\n+b\n\tc\n',
];

describe('parseDiff without the lines of unwanted files', () => {
  it('gives what parse-diff gives, lines aside, for every diff in the fixtures', () => {
    const files = walk(path.join(import.meta.dirname, '../../fixtures'));
    let diffs = 0;
    for (const f of files) {
      for (const part of fs.readFileSync(f, 'latin1').split(/^From /m)) {
        const d = extractDiff(part.replace(/\r\n/g, '\n'));
        if (!d) continue;
        diffs++;
        expectSame(d);
      }
    }
    expect(diffs).toBeGreaterThan(20);
  });

  it('gives what parse-diff gives for sections it reads in its own ways', () => {
    for (const d of HAND_MADE) expectSame(extractDiff(d) || d);
  });

  it('asks by every name of a file, and reads the lines of the files it is told to', () => {
    const d = extractDiff(HAND_MADE[2]!);
    const { full, seen } = expectSame(d);
    expect(seen).toContainEqual(['new.c', 'old.c']);
    const some = parseDiff(d, { linesOf: (names) => names.includes('new.c') });
    expect(some).toEqual(full.map((f) => (f.path === 'new.c' ? f : withoutLines([f])[0])));
    expect(some.find((f) => f.path === 'new.c')!.hunks[0]!.lines).toEqual([{ op: 'del', text: 'p' }, { op: 'add', text: 'q' }]);
  });
});
