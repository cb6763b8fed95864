// Shapes of patch mail that other tools' test suites read (git mailinfo, Patchwork, b4, public-inbox, notmuch):
// one fixture each under test/fixtures/shapes/, written for this project, each read to its exact files and counts.
import { createReadStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DiffFile, Message } from '../../../ingest/core/model.ts';
import { parseMessage } from '../../../ingest/mail/message-parse.ts';
import { readMbox } from '../../../ingest/archive/mbox-reader.ts';
import { findSeries, type MessageHead } from '../../../ingest/core/series.ts';
import { threadMessages } from '../../../ingest/core/threader.ts';

const SHAPES = join(import.meta.dirname, '../../fixtures/shapes');

async function parsed(name: string): Promise<Message> {
  const r = await parseMessage({ bytes: readFileSync(join(SHAPES, name)), source: name, offset: 0, separatorDate: null, format: 'eml' });
  if (!('message' in r)) throw new Error(`${name} was quarantined: ${r.quarantine}`);
  return r.message;
}

/** A file as path, old path, status, counts and hunk ranges: what the tests pin. */
const outline = (f: DiffFile) => ({
  path: f.path,
  oldPath: f.oldPath,
  status: f.status,
  additions: f.additions,
  deletions: f.deletions,
  hunks: f.hunks.map((h) => [h.oldStart, h.oldLines, h.newStart, h.newLines]),
});
const ops = (f: DiffFile) => f.hunks.flatMap((h) => h.lines.map((l) => `${l.op[0]}${l.text}`));

describe('diff shapes', () => {
  it('a combined-diff hunk (@@@ -a,b -c,d +e,f @@@): one removal per parent, the merge result added', async () => {
    const m = await parsed('combined-diff-hunk.eml');
    expect(m.kind).toBe('patch');
    expect(m.diff.map(outline)).toEqual([
      { path: 'kexec/kexec.c', oldPath: null, status: 'modified', additions: 1, deletions: 2, hunks: [[10, 4, 10, 3]] },
    ]);
    expect(ops(m.diff[0])).toEqual(['c\tint ret;', 'd\tret = load_old();', 'd\tret = load_new();', 'a\tret = load_any();', 'c\treturn ret;']);
    expect(m.diff[0].hunks[0].header).toBe('int main(int argc, char **argv');
    expect(m.diffText).not.toContain('2.26.0'); // the signature after the hunk is not a removed line
    expect(m.diffText.startsWith('diff --cc kexec/kexec.c\nindex 1111111,2222222..3333333\n--- a/kexec/kexec.c\n')).toBe(true);
    expect(m.ownText).toBe('Both loaders now share one entry point.\n\nSigned-off-by: Petra Lind <petra@dump.example>\n---');
  });

  it('--- a/ +++ b/ sections without a diff --git line', async () => {
    const m = await parsed('plain-a-b-no-diff-git.eml');
    expect(m.kind).toBe('patch');
    expect(m.diff.map(outline)).toEqual([
      { path: 'kexec/kexec.c', oldPath: null, status: 'modified', additions: 1, deletions: 1, hunks: [[40, 3, 40, 3]] },
      { path: 'kexec/kexec.h', oldPath: null, status: 'modified', additions: 1, deletions: 0, hunks: [[1, 1, 1, 2]] },
    ]);
    expect(m.trailers).toEqual([{ name: 'Signed-off-by', value: 'Petra Lind <petra@dump.example>' }]);
  });

  it('empty context lines whose leading blank the mailer dropped are context, to the end of the hunk', async () => {
    const m = await parsed('stripped-blank-context.eml');
    expect(m.diff.map(outline)).toEqual([
      { path: 'kexec/kexec.c', oldPath: null, status: 'modified', additions: 1, deletions: 0, hunks: [[20, 7, 20, 8]] },
    ]);
    expect(ops(m.diff[0])).toEqual([
      'c\tbuf = malloc(size);', 'c', 'c\tif (read(fd, buf, size) < 0) {', 'a\t\tfree(buf);', 'c\t\treturn NULL;', 'c\t}', 'c', 'c\treturn buf;',
    ]);
  });

  it('a CVS diff: the file is the Index: path, not the ---/+++ name', async () => {
    const m = await parsed('cvs-index.eml');
    expect(m.kind).toBe('patch');
    expect(m.diff.map(outline)).toEqual([
      { path: 'bfd/elf-bfd.h', oldPath: null, status: 'modified', additions: 1, deletions: 1, hunks: [[1500, 7, 1500, 7]] },
    ]);
    expect(m.ownText).toContain('Widen num_sections.');
    expect(m.ownText).not.toContain('Index:');
  });

  it('a hunk straight after git rename headers, without ---/+++', async () => {
    const m = await parsed('rename-then-hunk.eml');
    expect(m.diff.map(outline)).toEqual([
      { path: 'kexec/crashdump.c', oldPath: 'kexec/crashdump-old.c', status: 'renamed', additions: 1, deletions: 1, hunks: [[1, 4, 1, 4]] },
    ]);
  });

  it('"\\ No newline at end of file" is a marker, not a line: one added line, not two', async () => {
    const m = await parsed('no-newline-at-eof.eml');
    expect(m.diff.map(outline)).toEqual([
      { path: 'VERSION', oldPath: null, status: 'added', additions: 1, deletions: 0, hunks: [[0, 0, 1, 1]] },
      { path: 'kexec/version.h', oldPath: null, status: 'modified', additions: 1, deletions: 1, hunks: [[1, 1, 1, 1]] },
    ]);
    expect(ops(m.diff[1])).toEqual(['d#define VERSION "2.0.19"', 'a#define VERSION "2.0.20"']);
    expect(m.diffText).toContain('\\ No newline at end of file'); // kept in the text as sent
  });

  it('a git format-patch file in an application/octet-stream attachment named *.patch', async () => {
    const m = await parsed('octet-stream-patch.eml');
    expect(m.kind).toBe('patch');
    expect(m.diff.map(outline)).toEqual([
      { path: 'kexec/kexec.c', oldPath: null, status: 'modified', additions: 1, deletions: 1, hunks: [[60, 3, 60, 3]] },
    ]);
    // the commit message is inside the attachment: its trailers are the patch's
    expect(m.trailers).toEqual([{ name: 'Signed-off-by', value: 'Petra Lind <petra@dump.example>' }]);
  });
});

async function archive(name: string): Promise<Message[]> {
  const out: Message[] = [];
  for await (const raw of readMbox(createReadStream(join(SHAPES, name)), { source: name })) {
    const r = await parseMessage(raw);
    if (!('message' in r)) throw new Error(`${name}: a message was quarantined: ${r.quarantine}`);
    out.push(r.message);
  }
  return out;
}

const headOf = (m: Message): MessageHead => ({
  messageId: m.messageId, from: m.from, date: m.date, inReplyTo: m.inReplyTo, references: m.references, kind: m.kind,
  isPatch: m.isPatch, changeId: m.changeId, supersedes: m.supersedes,
  title: m.subject.title, version: m.subject.version, index: m.subject.index, total: m.subject.total,
});

describe('threading and series shapes', () => {
  it('an In-Reply-To that holds no id falls back to the last References entry', async () => {
    const msgs = await archive('in-reply-to-garbage.mbox');
    expect(msgs.map((m) => [m.messageId, m.inReplyTo])).toEqual([
      ['root@dump.example', null],
      ['second@dump.example', 'root@dump.example'],
      ['third@dump.example', 'second@dump.example'],
      ['fourth@dump.example', 'third@dump.example'],
    ]);
    const t = threadMessages(msgs.map((m) => ({ messageId: m.messageId, inReplyTo: m.inReplyTo, references: m.references, date: m.date, subject: m.subject.raw })));
    expect(Object.fromEntries(t.parentOf)).toEqual({
      'root@dump.example': null,
      'second@dump.example': 'root@dump.example',
      'third@dump.example': 'second@dump.example',
      'fourth@dump.example': 'third@dump.example',
    });
  });

  it('finds the cover of a series whose patches carry no References, by sender, prefix and time', async () => {
    const msgs = await archive('cover-no-references.mbox');
    expect(msgs.map((m) => [m.kind, m.inReplyTo, m.references])).toEqual([
      ['cover', null, []], ['patch', null, []], ['patch', null, []], ['patch', null, []],
    ]);
    const postings = findSeries(msgs.map(headOf));
    expect(postings.map((p) => ({ anchor: p.anchor, cover: p.cover, patches: p.patches, version: p.version, total: p.total, complete: p.complete }))).toEqual([
      { anchor: 'nr-cover@dump.example', cover: 'nr-cover@dump.example', patches: ['nr-1@dump.example', 'nr-2@dump.example'], version: 2, total: 2, complete: true },
      { anchor: 'nr-later-1@dump.example', cover: null, patches: ['nr-later-1@dump.example'], version: 2, total: 2, complete: false },
    ]);
  });
});
