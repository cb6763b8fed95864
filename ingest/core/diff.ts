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
// Memory: a mail may be tens of megabytes of one generated file. Lines are read by index from the text
// (SourceLines), the diff's text is put together from runs of the mail's unchanged lines (Pieces), and parseDiff
// makes line objects only for the files its caller asks for (linesOf): the others get hunk headers and counts.
import parseDiffLib from 'parse-diff';
import type { DiffFile, DiffHunk, DiffLine, FileStatus } from './model.ts';

// character codes diff lines are told apart by
const SPACE = 0x20;
const PLUS = 0x2b;
const MINUS = 0x2d;
const AT = 0x40;
const BACKSLASH = 0x5c;

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
 * A text's lines, read by index as `text.split('\n')` would give them (without a line's final CR when
 * `dropCr`), without making them all at once: a big mail's million lines would be a million strings beside it.
 */
class SourceLines {
  readonly length: number;
  /** where line i starts; one past the end for the line after the last */
  private readonly starts: number[];

  constructor(readonly text: string, private readonly dropCr: boolean) {
    // one number a line (small integers, kept unboxed): a typed array costs more to set up than most mails' lines
    const starts = [0];
    for (let p = text.indexOf('\n'); p >= 0; p = text.indexOf('\n', p + 1)) starts.push(p + 1);
    starts.push(text.length + 1);
    this.starts = starts;
    this.length = starts.length - 1;
  }

  at(i: number): string | undefined {
    if (i < 0 || i >= this.length) return undefined;
    const s = this.starts[i];
    const e = this.lineEnd(i);
    return this.text.slice(s, e);
  }

  /**
   * The first character's code of line i as `at` reads it, or -1 for an empty line: what most lines of a diff
   * are told apart by, without a string for the line.
   */
  code0(i: number): number {
    const s = this.starts[i];
    return this.lineEnd(i) > s ? this.text.charCodeAt(s) : -1;
  }

  /** whether line i is read as it stands in the text (no CR taken off its end) */
  verbatim(i: number): boolean {
    return this.lineEnd(i) === this.starts[i + 1] - 1;
  }

  /** lines [from, to) as they stand in the text, each with its line feed (the last line gets one) */
  slice(from: number, to: number): string {
    const end = this.starts[to];
    return end > this.text.length ? this.text.slice(this.starts[from]) + '\n' : this.text.slice(this.starts[from], end);
  }

  private lineEnd(i: number): number {
    const e = this.starts[i + 1] - 1;
    return this.dropCr && e > this.starts[i] && this.text.charCodeAt(e - 1) === 13 ? e - 1 : e;
  }
}

/**
 * Lines of a text to be (a diff's text), kept as runs of its source's lines where they are unchanged: the text
 * of a diff that stands as it is in the mail is then one copy of it, not a string per line first.
 */
class Pieces {
  count = 0;
  private readonly items: (string | [number, number])[] = [];

  constructor(private readonly src: SourceLines) {}

  /** source line i, as read */
  line(i: number): void {
    if (!this.src.verbatim(i)) return this.text(this.src.at(i)!);
    this.count++;
    const last = this.items[this.items.length - 1];
    if (Array.isArray(last) && last[1] === i) last[1] = i + 1;
    else this.items.push([i, i + 1]);
  }

  /** a line of its own (a changed one) */
  text(line: string): void {
    this.count++;
    this.items.push(line);
  }

  append(other: Pieces): void {
    this.count += other.count;
    for (const it of other.items) {
      const last = this.items[this.items.length - 1];
      if (Array.isArray(it) && Array.isArray(last) && last[1] === it[0]) last[1] = it[1];
      else this.items.push(Array.isArray(it) ? [it[0], it[1]] : it);
    }
  }

  /** the lines, each ended by a line feed */
  join(): string {
    return this.items.map((it) => (typeof it === 'string' ? it + '\n' : this.src.slice(it[0], it[1]))).join('');
  }
}

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
  const lines = new SourceLines(body, true);
  const out = new Pieces(lines);
  let i = 0;
  let inDiff = false;
  while (i < lines.length) {
    const line = lines.at(i)!;
    if (GIT_SECTION_RE.test(line)) {
      // a file section: header, extended lines, then ---/+++ and hunks (or none for renames, binaries)
      const section = new Pieces(lines);
      section.line(i);
      let j = i + 1;
      while (j < lines.length && EXTENDED_RE.test(lines.at(j)!)) section.line(j++);
      if (j < lines.length && lines.at(j)!.startsWith('Binary files ')) section.line(j++);
      const hasExtended = section.count > 1;
      if (j + 1 < lines.length && lines.at(j)!.startsWith('--- ') && lines.at(j + 1)!.startsWith('+++ ')) {
        section.line(j);
        section.line(j + 1);
        j += 2;
        const end = readHunks(lines, j, section);
        if (end === j && !hasExtended) { i++; continue; }
        j = end;
      } else if (hasExtended && j < lines.length && isHunkStart(lines.at(j)!)) {
        j = readHunks(lines, j, section); // a hunk straight after the extended lines (no ---/+++)
      } else if (!hasExtended) {
        i++;
        continue;
      }
      out.append(section);
      inDiff = true;
      i = j;
      continue;
    }
    if (line.startsWith('--- ') && i + 2 < lines.length && lines.at(i + 1)!.startsWith('+++ ') && isHunkStart(lines.at(i + 2)!)) {
      const section = new Pieces(lines);
      section.line(i);
      section.line(i + 1);
      const end = readHunks(lines, i + 2, section);
      if (end > i + 2) {
        const index = indexLineBefore(lines, i);
        if (index !== null) out.text(index);
        out.append(section);
        inDiff = true;
        i = end;
        continue;
      }
    }
    if (inDiff && (line.startsWith('-- ') || line === '--')) break; // signature ends the patch
    i++;
  }
  return out.count ? out.join() : '';
}

function isHunkStart(line: string): boolean {
  return HUNK_RE.test(line) || COMBINED_RE.test(line);
}

/**
 * The `Index: path` line of a CVS or Subversion diff whose `--- ` line is `lines[at]`, when only their noise lines
 * stand between: null when there is none.
 */
function indexLineBefore(lines: SourceLines, at: number): string | null {
  for (let k = at - 1; k >= 0 && k >= at - 8; k--) {
    const l = lines.at(k)!;
    if (l.startsWith('Index: ')) return l.slice(7).trim() ? `Index: ${l.slice(7).trim()}` : null;
    if (!INDEX_NOISE_RE.test(l)) return null;
  }
  return null;
}

/** Read consecutive hunks starting at `start`; add their lines; return the index after the last. */
function readHunks(lines: SourceLines, start: number, into: Pieces): number {
  let j = start;
  for (;;) {
    if (j < lines.length && COMBINED_RE.test(lines.at(j)!)) {
      const end = readCombinedHunk(lines, j, into);
      if (end === j) return j;
      j = end;
      continue;
    }
    const m = j < lines.length ? HUNK_RE.exec(lines.at(j)!) : null;
    if (!m) return j;
    let oldLeft = m[2] === undefined ? 1 : Number(m[2]);
    let newLeft = m[4] === undefined ? 1 : Number(m[4]);
    const body = new Pieces(lines);
    // what the lines read so far count, for a hunk cut short
    let oldSeen = 0;
    let newSeen = 0;
    let changed = false;
    let k = j + 1;
    while (k < lines.length && (oldLeft > 0 || newLeft > 0)) {
      const c0 = lines.code0(k);
      if (c0 === BACKSLASH) { body.line(k); k++; continue; } // "\ No newline at end of file"
      const c = c0 === -1 ? SPACE : c0; // mailers drop the space of empty context lines
      if (c === SPACE) { oldLeft--; newLeft--; oldSeen++; newSeen++; }
      else if (c === MINUS) { oldLeft--; oldSeen++; changed = true; }
      else if (c === PLUS) { newLeft--; newSeen++; changed = true; }
      else break;
      if (c0 === -1) body.text(' ');
      else body.line(k);
      k++;
    }
    let header = lines.at(j)!;
    if (oldLeft > 0 || newLeft > 0) {
      // a hunk cut short: keep what is well-formed only if something changed in it
      if (!changed) return j;
      header = countsHeader(header, oldSeen, newSeen);
    }
    while (k < lines.length && lines.code0(k) === BACKSLASH) body.line(k++);
    if (header === lines.at(j)) into.line(j);
    else into.text(header);
    into.append(body);
    j = k;
  }
}

/**
 * A combined-diff hunk at `start`, added as a unified hunk (see the header comment); the index after it, or
 * `start` when nothing in it changes. As git defines the columns, a line is parent N's when column N says `-`, or
 * when no column says `-` and column N says ` `; the result's when no column says `-`. Lines are read while
 * each of them has lines due.
 */
function readCombinedHunk(lines: SourceLines, start: number, into: Pieces): number {
  const first = lines.at(start)!;
  const m = COMBINED_RE.exec(first)!;
  const ranges = first.slice(0, first.indexOf(' +')).match(/-\d+(?:,\d+)?/g)!;
  const parentLeft = ranges.map((r) => (r.includes(',') ? Number(r.slice(r.indexOf(',') + 1)) : 1));
  const columns = ranges.length;
  const newCount = /\+\d+,(\d+)/.exec(first);
  let newLeft = newCount ? Number(newCount[1]) : 1;
  const body: string[] = [`@@ -${m[1]} +${m[3]} @@${m[4] ? ' ' + m[4] : ''}`];
  let k = start + 1;
  for (; k < lines.length && (newLeft > 0 || parentLeft.some((n) => n > 0)); k++) {
    const l = lines.at(k)!;
    if (l.startsWith('\\')) { body.push(l); continue; }
    const prefix = l === '' ? ' '.repeat(columns) : l.slice(0, columns);
    if (prefix.length < columns || !/^[ +-]+$/.test(prefix)) break;
    const removed = prefix.includes('-');
    for (let c = 0; c < columns; c++) if (prefix[c] === '-' || (!removed && prefix[c] === ' ')) parentLeft[c]--;
    if (!removed) newLeft--;
    const text = l.slice(columns);
    body.push((removed ? '-' : prefix.includes('+') ? '+' : ' ') + text);
  }
  while (k < lines.length && lines.at(k)!.startsWith('\\')) body.push(lines.at(k++)!);
  if (!body.some((l, n) => n > 0 && (l[0] === '+' || l[0] === '-'))) return start;
  body[0] = rewriteCounts(body);
  for (const l of body) into.text(l);
  return k;
}

function rewriteCounts(body: string[]): string {
  let o = 0, n = 0;
  for (const l of body.slice(1)) {
    if (l[0] === ' ') { o++; n++; } else if (l[0] === '-') o++; else if (l[0] === '+') n++;
  }
  return countsHeader(body[0], o, n);
}

/** A hunk header with the counts of the lines it has. */
function countsHeader(header: string, o: number, n: number): string {
  const m = HUNK_RE.exec(header)!;
  return `@@ -${m[1]},${o} +${m[3]},${n} @@${m[5] ? ' ' + m[5] : ''}`;
}

/** Split extracted diff text (as its lines) into one section per file: [first line, end) of each. */
function fileSections(lines: SourceLines): [number, number][] {
  const sections: [number, number][] = [];
  // lines still due in the current hunk: a removed "-- x" followed by an added "++ y" reads as
  // "--- x" / "+++ y" and must not start a new file section
  let oldLeft = 0;
  let newLeft = 0;
  // whether the current section was begun by a `diff --git` or `Index:` line and has not had its `--- ` line yet
  let headed = false;
  for (let i = 0; i < lines.length; i++) {
    if (oldLeft > 0 || newLeft > 0) {
      const c = lines.code0(i);
      if (c === SPACE) { oldLeft--; newLeft--; }
      else if (c === MINUS) oldLeft--;
      else if (c === PLUS) newLeft--;
      if (headed && c === MINUS && lines.at(i)!.startsWith('--- ')) headed = false;
      continue;
    }
    const l = lines.at(i)!;
    const hunk = HUNK_RE.exec(l);
    if (hunk) {
      oldLeft = hunk[2] === undefined ? 1 : Number(hunk[2]);
      newLeft = hunk[4] === undefined ? 1 : Number(hunk[4]);
      continue;
    }
    const startsGit = SECTION_HEAD_RE.test(l);
    // the ---/+++ pair of a section a `diff --git` or `Index:` line began
    const startsPlain = l.startsWith('--- ') && lines.at(i + 1)?.startsWith('+++ ') && !headed;
    if (startsGit || startsPlain) {
      if (sections.length) sections[sections.length - 1][1] = i;
      sections.push([i, lines.length]);
      headed = startsGit;
    }
    if (headed && l.startsWith('--- ') && !startsGit) headed = false;
  }
  return sections;
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

export interface ParseDiffOptions {
  /**
   * Which files' lines are wanted (by the names in their ---/+++ or rename lines, either of which may say yes):
   * the others come with their hunks' headers and counts and their additions and deletions, but no lines. All
   * files' lines when not given. The call index reads only watched files: a generated file of a million lines
   * need not become a million objects.
   */
  linesOf?: (names: string[]) => boolean;
}

/**
 * Parse extracted diff text into files with hunks and lines.
 *
 * @example parseDiff(extractDiff(body))[0].hunks[0].header // 'static void enable_iommus(void)'
 */
export function parseDiff(diff: string, opts: ParseDiffOptions = {}): DiffFile[] {
  if (!diff) return [];
  const files: DiffFile[] = [];
  const all = new SourceLines(diff, false);
  for (const [start, end] of fileSections(all)) {
    // the lines before the first hunk
    const head: string[] = [];
    for (let i = start; i < end; i++) {
      const l = all.at(i)!;
      if (l.startsWith('@@ ')) break;
      head.push(l);
    }
    // what git's extended lines say, from anywhere in the section (one pass: a section may be a million lines)
    let renameFrom: string | undefined;
    let renameTo: string | undefined;
    let newMode = false, deletedMode = false, binary = false, oldMode = false;
    for (let i = start; i < end; i++) {
      const c = all.code0(i);
      if (c === SPACE || c === PLUS || c === MINUS || c === AT) continue; // none of those below
      const l = all.at(i)!;
      if (renameFrom === undefined && l.startsWith('rename from ')) renameFrom = l.slice(12);
      else if (renameTo === undefined && l.startsWith('rename to ')) renameTo = l.slice(10);
      if (l.startsWith('new file mode')) newMode = true;
      if (l.startsWith('deleted file mode')) deletedMode = true;
      if (l.startsWith('Binary files ') || l === 'GIT binary patch') binary = true;
      if (l.startsWith('old mode')) oldMode = true;
    }
    const git = GIT_HEADER_RE.exec(all.at(start)!);
    const fileLines = head;
    // CVS / Subversion: the `Index:` path names the file; the ---/+++ lines only say whether it is new or gone
    const first = all.at(start)!;
    const index = first.startsWith('Index: ') ? first.slice(7).trim() : undefined;
    let from = renameFrom ?? indexed(index, headerPath(fileLines.find((l) => l.startsWith('--- ')), !!git)) ?? (git ? git[1] : undefined);
    let to = renameTo ?? indexed(index, headerPath(fileLines.find((l) => l.startsWith('+++ ')), !!git)) ?? (git ? git[2] : undefined);
    const isNew = newMode || from === '/dev/null';
    const isDeleted = deletedMode || to === '/dev/null';
    if (from === '/dev/null') from = to;
    if (to === '/dev/null') to = from;
    const names = [to, from].filter((n): n is string => !!n);
    const counted = opts.linesOf && !opts.linesOf(names) ? countedHunks(all, start, end) : null;
    const hunks = counted ? counted.hunks : hunksOf(sectionText(all, start, end));
    const modeOnly = !hunks.length && oldMode;
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
      additions: counted ? counted.additions : hunks.reduce((n, h) => n + h.lines.filter((l) => l.op === 'add').length, 0),
      deletions: counted ? counted.deletions : hunks.reduce((n, h) => n + h.lines.filter((l) => l.op === 'del').length, 0),
      hunks,
    });
  }
  return files;
}

/** A ---/+++ path, or the `Index:` path of a CVS / Subversion section when it names a file (not /dev/null). */
function indexed(index: string | undefined, p: string | undefined): string | undefined {
  return index !== undefined && p !== '/dev/null' ? index : p;
}

/** Lines [start, end) as one text, as parse-diff is handed a section: ended by one line feed. */
function sectionText(lines: SourceLines, start: number, end: number): string {
  return lines.slice(start, end).replace(/\n*$/, '\n');
}

/** A file section's hunks with their lines, as parse-diff reads them. */
function hunksOf(section: string): DiffHunk[] {
  const parsed = parseDiffLib(section)[0];
  return (parsed?.chunks ?? []).map((c) => {
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
}

// parse-diff's own patterns (0.11), for countedHunks
const PD_CHUNK_RE = /^@@\s+-(\d+),?(\d+)?\s+\+(\d+),?(\d+)?\s@@/;
const PD_EOF = '\\ No newline at end of file';
const PD_RESTART_RE = /^(?:new file mode \d+$|deleted file mode \d+$|old mode \d+$|new mode \d+$|index\s[\da-zA-Z]+\.\.[\da-zA-Z]+(?:\s(?:\d+))?$|---\s|\+\+\+\s)/;

/**
 * What hunksOf gives for a section, without its lines: hunks with empty `lines`, and the additions and deletions.
 * parse-diff's reading of the section (the first file of it) step by step, counting where it makes a change: a
 * test holds the two to one result.
 */
function countedHunks(lines: SourceLines, start: number, end: number): { hunks: DiffHunk[]; additions: number; deletions: number } {
  const hunks: DiffHunk[] = [];
  let additions = 0;
  let deletions = 0;
  let started = false;
  let oldLeft = 0;
  let newLeft = 0;
  let inHunk = false;
  for (let i = start; i < end; i++) {
    if (inHunk) {
      const c = lines.code0(i);
      if (c === BACKSLASH && lines.at(i) === PD_EOF) { /* a repeat of the line before, dropped */ }
      else if (c === MINUS) { deletions++; oldLeft--; }
      else if (c === PLUS) { additions++; newLeft--; }
      else if (c !== -1 && (c < 0x80 ? c === SPACE || (c >= 0x09 && c <= 0x0d) : /^\s/.test(lines.at(i)!))) { oldLeft--; newLeft--; }
      if (oldLeft === 0 && newLeft === 0) inHunk = false;
      continue;
    }
    const line = lines.at(i)!;
    // parse-diff's header patterns, first match wins: a second file ends the first (the one read here)
    if (/^diff\s/.test(line)) {
      if (started) break;
      started = true;
    } else if (PD_RESTART_RE.test(line)) {
      if (started && hunks.length) break;
      started = true;
    } else {
      const m = PD_CHUNK_RE.exec(line);
      if (!m) continue;
      started = true;
      const h = HUNK_RE.exec(line);
      oldLeft = +(m[2] || 1);
      newLeft = +(m[4] || 1);
      hunks.push({ header: (h?.[5] ?? '').trim(), oldStart: +m[1], oldLines: oldLeft, newStart: +m[3], newLines: newLeft, lines: [] });
      inHunk = true;
    }
  }
  return { hunks, additions, deletions };
}
