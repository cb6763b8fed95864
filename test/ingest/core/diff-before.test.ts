// extractDiff and parseDiff read a mail's lines by index (SourceLines) and keep unchanged runs of them as runs
// (Pieces), so a big patch is not a string per line: held here to the reader as it was (diff-before.ts), over
// the fixtures and over generated bodies of diff-like lines.
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { extractDiff, parseDiff } from '../../../ingest/core/diff.ts';
import * as before from './diff-before.ts';

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? walk(p) : /\.(?:eml|mbox|mboxo|mboxrd|patch|diff|txt)$/.test(e.name) ? [p] : [];
  });
}

// parse-diff throws on a `\ No newline` marker straight after a hunk header: both readers are held to doing so
function outcome<T>(f: () => T): { value: T } | { threw: string } {
  try {
    return { value: f() };
  } catch (e) {
    return { threw: (e as Error).message };
  }
}

function expectSame(body: string) {
  const d = extractDiff(body);
  expect(d).toBe(before.extractDiff(body));
  const full = outcome(() => parseDiff(d));
  expect(full).toEqual(outcome(() => before.parseDiff(d)));
  // without lines (linesOf): the same files and hunks
  if ('value' in full) {
    expect(parseDiff(d, { linesOf: () => false })).toEqual(full.value.map((f) => ({ ...f, hunks: f.hunks.map((h) => ({ ...h, lines: [] })) })));
  }
}

// lines a patch mail is made of, odd ones included: CRs, empty context lines, cut hunks, combined hunks, CVS
const LINE = fc.constantFrom(
  'diff --git a/x.c b/x.c', 'diff --git a/y.c b/z.c', 'diff --cc m.c', 'index 1111111..2222222 100644', 'new file mode 100644',
  'deleted file mode 100644', 'rename from y.c', 'rename to z.c', 'similarity index 90%', 'Binary files a/b and b/b differ',
  '--- a/x.c', '+++ b/x.c', '--- /dev/null', '+++ /dev/null', '@@ -1,3 +1,3 @@ int f(void)', '@@ -1 +1 @@', '@@ -0,0 +1,2 @@',
  '@@ -5,2 +5,0 @@', '@@@ -1,2 -1,2 +1,3 @@@ g()', ' ctx', '', '-old', '+new', '--- x', '+++ y', '-- ', '--', '2.1', ' \tint a;',
  '+\tflush();', '\\ No newline at end of file', 'Index: kernel/a.c', '===================================================================',
  'RCS file: /cvs/a.c,v', '> quoted', 'Signed-off-by: A <a@b.c>', '---', '  ++', ' -', '- +', ' ctx\r', '+new\r', 'text',
);

describe('the diff reader against the one it replaced', () => {
  it('reads every fixture as before', () => {
    let n = 0;
    for (const f of walk(path.join(import.meta.dirname, '../../fixtures'))) {
      for (const part of fs.readFileSync(f, 'latin1').split(/^From /m)) {
        expectSame(part);
        expectSame(part.replace(/\r?\n/g, '\r\n'));
        n++;
      }
    }
    expect(n).toBeGreaterThan(50);
  });

  it('reads generated bodies as before', () => {
    let withDiff = 0;
    // runs of loose lines and of file sections (a header, a ---/+++ pair, hunks of loose lines)
    const section = fc.tuple(
      fc.constantFrom(['diff --git a/x.c b/x.c'], ['diff --git a/y.c b/z.c', 'rename from y.c', 'rename to z.c'], [], ['Index: a.c', '=' .repeat(67)]),
      fc.constantFrom(['--- a/x.c', '+++ b/x.c'], ['--- /dev/null', '+++ b/n.c'], []),
      fc.array(fc.tuple(fc.constantFrom('@@ -1,3 +1,3 @@ int f(void)', '@@ -1 +1 @@', '@@ -0,0 +1,2 @@', '@@ -5,2 +5,0 @@', '@@@ -1,2 -1,2 +1,3 @@@'), fc.array(LINE, { maxLength: 6 })), { maxLength: 3 }),
    ).map(([h, f, hunks]) => [...h, ...f, ...hunks.flatMap(([hh, ls]) => [hh, ...ls])]);
    const block = fc.oneof(fc.array(LINE, { maxLength: 5 }), section);
    fc.assert(fc.property(fc.array(block, { maxLength: 8 }), fc.boolean(), (blocks, lastFeed) => {
      const body = blocks.flat().join('\n') + (lastFeed ? '\n' : '');
      if (extractDiff(body)) withDiff++;
      expectSame(body);
    }), { numRuns: 3000 });
    expect(withDiff).toBeGreaterThan(500);
  });
});
