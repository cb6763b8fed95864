// The diff reader as it was before big mail was read without a string per line (commit 6fae2c9): the reference
// diff-before.test.ts holds the current one to. Not used by the application.
// Finding a unified diff in a mail body and turning it into files and hunks.
// Hunk bodies are measured by their @@ line counts, as git apply does, so text after the diff
// (the "-- " signature, a reply's sign-off) never leaks into it. parse-diff reads each file section.
//
// Shapes read besides git's own `diff --git` sections (each seen in real mail):
// - `--- a/x` / `+++ b/x` / `@@` with no `diff --git` line (diff -u, quilt);
// - CVS and Subversion diffs: `Index: path`, `====`, `RCS file:`, `retrieving revision`, `diff -u ...` lines,
//   then `--- `/`+++ ` naming the file relative to the directory diffed: the file is the `Index:` path;
// - a hunk straight after git's extended header lines (a rename with changes, no `---`/`+++`);
// - combined-diff hunks (`@@@ -a,b -c,d +e,f @@@`, one prefix column per `-` range, as `git diff --cc`
//   writes them; tools also write `@@@ -a,b +c,d @@@` with one column): rewritten here as a unified hunk
//   against the result, a line being removed when any column says `-`, added when any says `+`;
// - empty context lines whose leading blank a mailer dropped (read as context);
// - `\ No newline at end of file` markers: kept in the text, never counted as a line.
// What this module hands on (extractDiff's text) is unified diff text with consistent hunk counts.
import parseDiffLib from 'parse-diff';
import type { DiffFile, DiffHunk, DiffLine, FileStatus } from '../../../ingest/core/model.ts';

const HUNK_RE = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)$/;
// a combined-diff hunk header: one `-` range per parent (the first is kept), the result's `+` range
const COMBINED_RE = /^@{3,} -(\d+)(?:,\d+)? ((?:-\d+(?:,\d+)? )*)\+(\d+)(?:,\d+)? @{2,} ?(.*)$/;
// what stands between CVS's / Subversion's `Index: path` and the `--- ` line
const INDEX_NOISE_RE = /^(?:={20,}|RCS file: |retrieving revision |diff |Only in |Common subdirectories)/;
const GIT_HEADER_RE = /^diff --git (?:"?a\/)?(.+?)"? (?:"?b\/)?(.+?)"?$/;
// a file section git begins: `diff --git a/x b/x`, or `diff --cc x` / `diff --combined x` for a merge
const GIT_SECTION_RE = /^diff --(?:git|cc|combined) /;
// a section begun by a line of its own, whose ---/+++ pair follows it
const SECTION_HEAD_RE = /^(?:diff --(?:git|cc|combined) |Index: )/;
// extended header lines git writes between "diff --git" and the first hunk
const EXTENDED_RE =
  /^(old mode|new mode|deleted file mode|new file mode|copy from|copy to|rename from|rename to|similarity index|dissimilarity index|index|Binary files|GIT binary patch)\b/;

/**
 * Cut the diff out of a body: from the first `diff --git` (or `--- `/`+++ `/`@@` triple) to the end of
 * the last hunk. Quoted lines ("> ") never start a diff. Returns '' when the body carries none.
 *
 * @example extractDiff('fix\n---\ndiff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n-- \n2.1\n')
 *   // 'diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n'
 */
export function extractDiff(body: string): string {
  // a diff starts at a "diff --git " or a "--- " line: a body with neither (most replies) has none
  if (!body.includes('diff --git ') && !body.includes('--- ')) return '';
  const lines = body.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  const out: string[] = [];
  let i = 0;
  let inDiff = false;
  while (i < lines.length) {
    const line = lines[i];
    if (GIT_SECTION_RE.test(line)) {
      // a file section: header, extended lines, then ---/+++ and hunks (or none for renames, binaries)
      const section = [line];
      let j = i + 1;
      while (j < lines.length && EXTENDED_RE.test(lines[j])) section.push(lines[j++]);
      if (j < lines.length && lines[j].startsWith('Binary files ')) section.push(lines[j++]);
      const hasExtended = section.length > 1;
      if (j + 1 < lines.length && lines[j].startsWith('--- ') && lines[j + 1].startsWith('+++ ')) {
        section.push(lines[j], lines[j + 1]);
        j += 2;
        const end = readHunks(lines, j, section);
        if (end === j && !hasExtended) { i++; continue; }
        j = end;
      } else if (hasExtended && j < lines.length && isHunkStart(lines[j])) {
        j = readHunks(lines, j, section); // a hunk straight after the extended lines (no ---/+++)
      } else if (!hasExtended) {
        i++;
        continue;
      }
      for (const l of section) out.push(l);
      inDiff = true;
      i = j;
      continue;
    }
    if (line.startsWith('--- ') && i + 2 < lines.length && lines[i + 1].startsWith('+++ ') && isHunkStart(lines[i + 2])) {
      const section = [line, lines[i + 1]];
      const end = readHunks(lines, i + 2, section);
      if (end > i + 2) {
        const index = indexLineBefore(lines, i);
        if (index !== null) out.push(index);
        for (const l of section) out.push(l);
        inDiff = true;
        i = end;
        continue;
      }
    }
    if (inDiff && (line.startsWith('-- ') || line === '--')) break; // signature ends the patch
    i++;
  }
  return out.length ? out.join('\n') + '\n' : '';
}

function isHunkStart(line: string): boolean {
  return HUNK_RE.test(line) || COMBINED_RE.test(line);
}

/**
 * The `Index: path` line of a CVS or Subversion diff whose `--- ` line is `lines[at]`, when only their noise lines
 * stand between: null when there is none.
 */
function indexLineBefore(lines: string[], at: number): string | null {
  for (let k = at - 1; k >= 0 && k >= at - 8; k--) {
    const l = lines[k];
    if (l.startsWith('Index: ')) return l.slice(7).trim() ? `Index: ${l.slice(7).trim()}` : null;
    if (!INDEX_NOISE_RE.test(l)) return null;
  }
  return null;
}

/** Read consecutive hunks starting at `start`; push their lines; return the index after the last. */
function readHunks(lines: string[], start: number, into: string[]): number {
  let j = start;
  for (;;) {
    if (j < lines.length && COMBINED_RE.test(lines[j])) {
      const end = readCombinedHunk(lines, j, into);
      if (end === j) return j;
      j = end;
      continue;
    }
    const m = j < lines.length ? HUNK_RE.exec(lines[j]) : null;
    if (!m) return j;
    let oldLeft = m[2] === undefined ? 1 : Number(m[2]);
    let newLeft = m[4] === undefined ? 1 : Number(m[4]);
    const body: string[] = [lines[j]];
    let k = j + 1;
    while (k < lines.length && (oldLeft > 0 || newLeft > 0)) {
      const l = lines[k];
      if (l.startsWith('\\')) { body.push(l); k++; continue; } // "\ No newline at end of file"
      const c = l === '' ? ' ' : l[0]; // mailers drop the space of empty context lines
      if (c === ' ') { oldLeft--; newLeft--; }
      else if (c === '-') oldLeft--;
      else if (c === '+') newLeft--;
      else break;
      body.push(l === '' ? ' ' : l);
      k++;
    }
    if (oldLeft > 0 || newLeft > 0) {
      // a hunk cut short: keep what is well-formed only if something changed in it
      if (!body.some((l, n) => n > 0 && (l[0] === '+' || l[0] === '-'))) return j;
      body[0] = rewriteCounts(body);
    }
    while (k < lines.length && lines[k].startsWith('\\')) body.push(lines[k++]);
    for (const l of body) into.push(l);
    j = k;
  }
}

/**
 * A combined-diff hunk at `start`, pushed as a unified hunk (see the header comment); the index after it, or
 * `start` when nothing in it changes. As git defines the columns, a line is parent N's when column N says `-`, or
 * when no column says `-` and column N says ` `; the result's when no column says `-`. Lines are read while
 * each of them has lines due.
 */
function readCombinedHunk(lines: string[], start: number, into: string[]): number {
  const m = COMBINED_RE.exec(lines[start])!;
  const ranges = lines[start].slice(0, lines[start].indexOf(' +')).match(/-\d+(?:,\d+)?/g)!;
  const parentLeft = ranges.map((r) => (r.includes(',') ? Number(r.slice(r.indexOf(',') + 1)) : 1));
  const columns = ranges.length;
  const newCount = /\+\d+,(\d+)/.exec(lines[start]);
  let newLeft = newCount ? Number(newCount[1]) : 1;
  const body: string[] = [`@@ -${m[1]} +${m[3]} @@${m[4] ? ' ' + m[4] : ''}`];
  let k = start + 1;
  for (; k < lines.length && (newLeft > 0 || parentLeft.some((n) => n > 0)); k++) {
    const l = lines[k];
    if (l.startsWith('\\')) { body.push(l); continue; }
    const prefix = l === '' ? ' '.repeat(columns) : l.slice(0, columns);
    if (prefix.length < columns || !/^[ +-]+$/.test(prefix)) break;
    const removed = prefix.includes('-');
    for (let c = 0; c < columns; c++) if (prefix[c] === '-' || (!removed && prefix[c] === ' ')) parentLeft[c]--;
    if (!removed) newLeft--;
    const text = l.slice(columns);
    body.push((removed ? '-' : prefix.includes('+') ? '+' : ' ') + text);
  }
  while (k < lines.length && lines[k].startsWith('\\')) body.push(lines[k++]);
  if (!body.some((l, n) => n > 0 && (l[0] === '+' || l[0] === '-'))) return start;
  body[0] = rewriteCounts(body);
  for (const l of body) into.push(l);
  return k;
}

function rewriteCounts(body: string[]): string {
  const m = HUNK_RE.exec(body[0])!;
  let o = 0, n = 0;
  for (const l of body.slice(1)) {
    if (l[0] === ' ') { o++; n++; } else if (l[0] === '-') o++; else if (l[0] === '+') n++;
  }
  return `@@ -${m[1]},${o} +${m[3]},${n} @@${m[5] ? ' ' + m[5] : ''}`;
}

/** Split extracted diff text into one section per file. */
function fileSections(diff: string): string[] {
  const lines = diff.split('\n');
  const sections: string[][] = [];
  // lines still due in the current hunk: a removed "-- x" followed by an added "++ y" reads as
  // "--- x" / "+++ y" and must not start a new file section
  let oldLeft = 0;
  let newLeft = 0;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (oldLeft > 0 || newLeft > 0) {
      const c = l[0];
      if (c === ' ') { oldLeft--; newLeft--; }
      else if (c === '-') oldLeft--;
      else if (c === '+') newLeft--;
      if (sections.length) sections[sections.length - 1].push(l);
      continue;
    }
    const hunk = HUNK_RE.exec(l);
    if (hunk) {
      oldLeft = hunk[2] === undefined ? 1 : Number(hunk[2]);
      newLeft = hunk[4] === undefined ? 1 : Number(hunk[4]);
      if (sections.length) sections[sections.length - 1].push(l);
      continue;
    }
    const startsGit = SECTION_HEAD_RE.test(l);
    // the ---/+++ pair of a section a `diff --git` or `Index:` line began
    const current = sections.length ? sections[sections.length - 1] : null;
    const headed = !!current && SECTION_HEAD_RE.test(current[0]) && !current.some((x) => x.startsWith('--- '));
    const startsPlain = l.startsWith('--- ') && lines[i + 1]?.startsWith('+++ ') && !headed;
    if (startsGit || startsPlain) sections.push([l]);
    else if (sections.length) sections[sections.length - 1].push(l);
  }
  return sections.map((s) => s.join('\n').replace(/\n*$/, '\n'));
}

/**
 * The path of a `--- ` / `+++ ` header line: without the timestamp `diff -u` appends, without quotes, and
 * without the first component as `patch -p1` strips it: `linux-2.6.33.orig/fs/x.c` of a quilt or
 * hand-made diff is fs/x.c. In a git section only git's own prefix is stripped.
 */
function headerPath(line: string | undefined, git: boolean): string | undefined {
  if (line === undefined) return undefined;
  let p = line.slice(4);
  const tab = p.indexOf('\t');
  if (tab >= 0) p = p.slice(0, tab);
  p = p.replace(/\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? [+-]\d{4}$/, '').trim().replace(/^"|"$/g, '');
  if (!p || p === '/dev/null') return p || undefined;
  // git's own prefixes (a/ b/, or i/ w/ c/ o/ with diff.mnemonicPrefix); none at all with --no-prefix
  if (git) return p.replace(/^[abciwo]\//, '');
  const slash = p.indexOf('/');
  return slash > 0 && slash < p.length - 1 ? p.slice(slash + 1) : p;
}

/**
 * Parse extracted diff text into files with hunks and lines.
 *
 * @example parseDiff(extractDiff(body))[0].hunks[0].header // 'static void enable_iommus(void)'
 */
export function parseDiff(diff: string): DiffFile[] {
  if (!diff) return [];
  const files: DiffFile[] = [];
  for (const section of fileSections(diff)) {
    const head = section.split('\n');
    const git = GIT_HEADER_RE.exec(head[0]);
    const ext = (name: string) => head.find((l) => l.startsWith(name + ' '))?.slice(name.length + 1);
    const parsed = parseDiffLib(section)[0];
    const hunks: DiffHunk[] = (parsed?.chunks ?? []).map((c) => {
      const m = HUNK_RE.exec(c.content);
      return {
        header: (m?.[5] ?? '').trim(),
        oldStart: c.oldStart,
        oldLines: c.oldLines,
        newStart: c.newStart,
        newLines: c.newLines,
        // parse-diff repeats the line before a `\ No newline at end of file` marker as the marker: not a line
        lines: c.changes.filter((ch) => !ch.content.startsWith('\\')).map((ch): DiffLine => ({
          op: ch.type === 'normal' ? 'context' : ch.type,
          text: ch.content.slice(1),
        })),
      };
    });
    const renameFrom = ext('rename from');
    const renameTo = ext('rename to');
    const firstHunk = head.findIndex((l) => l.startsWith('@@ '));
    const fileLines = firstHunk < 0 ? head : head.slice(0, firstHunk);
    // CVS / Subversion: the `Index:` path names the file; the ---/+++ lines only say whether it is new or gone
    const index = head[0].startsWith('Index: ') ? head[0].slice(7).trim() : undefined;
    const indexed = (p: string | undefined) => (index !== undefined && p !== '/dev/null' ? index : p);
    let from = renameFrom ?? indexed(headerPath(fileLines.find((l) => l.startsWith('--- ')), !!git)) ?? (git ? git[1] : undefined);
    let to = renameTo ?? indexed(headerPath(fileLines.find((l) => l.startsWith('+++ ')), !!git)) ?? (git ? git[2] : undefined);
    const isNew = head.some((l) => l.startsWith('new file mode')) || from === '/dev/null';
    const isDeleted = head.some((l) => l.startsWith('deleted file mode')) || to === '/dev/null';
    if (from === '/dev/null') from = to;
    if (to === '/dev/null') to = from;
    const binary = head.some((l) => l.startsWith('Binary files ') || l === 'GIT binary patch');
    const modeOnly = !hunks.length && head.some((l) => l.startsWith('old mode'));
    let status: FileStatus = 'modified';
    if (isNew) status = 'added';
    else if (isDeleted) status = 'deleted';
    else if (renameFrom || (from && to && from !== to && git)) status = 'renamed';
    else if (binary) status = 'binary';
    else if (modeOnly) status = 'mode';
    if (!hunks.length && status === 'modified') continue; // nothing a patch could carry
    const path = to ?? from ?? '';
    files.push({
      path,
      oldPath: status === 'renamed' && from !== path ? from ?? null : null,
      status,
      additions: hunks.reduce((n, h) => n + h.lines.filter((l) => l.op === 'add').length, 0),
      deletions: hunks.reduce((n, h) => n + h.lines.filter((l) => l.op === 'del').length, 0),
      hunks,
    });
  }
  return files;
}
