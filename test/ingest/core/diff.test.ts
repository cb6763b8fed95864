import { describe, expect, it } from 'vitest';
import { extractDiff, parseDiff } from '../../../ingest/core/diff.ts';

const GIT_PATCH = [
  'x86/amd-iommu: flush on init',
  '',
  'Signed-off-by: Chris Wren <cwren@sous.example>',
  '---',
  ' arch/x86/kernel/amd_iommu.c | 2 ++',
  '',
  'diff --git a/arch/x86/kernel/amd_iommu.c b/arch/x86/kernel/amd_iommu.c',
  'index fa169e4..b2f38b8 100644',
  '--- a/arch/x86/kernel/amd_iommu.c',
  '+++ b/arch/x86/kernel/amd_iommu.c',
  '@@ -2101,4 +2101,6 @@ int __init amd_iommu_init_dma_ops(void)',
  ' \t}',
  ' ',
  '+\tamd_iommu_flush_all_devices();',
  '+\tamd_iommu_flush_all_domains();',
  ' \tamd_iommu_stats_init();',
  ' \treturn 0;',
  '-- ',
  '1.6.3.1',
  '',
].join('\n');

describe('extractDiff / parseDiff', () => {
  it('takes the diff and leaves out the signature after it', () => {
    const d = extractDiff(GIT_PATCH);
    expect(d.startsWith('diff --git a/arch/x86/kernel/amd_iommu.c')).toBe(true);
    expect(d).not.toContain('1.6.3.1');
    expect(d).not.toContain('-- \n');
    const [f] = parseDiff(d);
    expect(f).toMatchObject({ path: 'arch/x86/kernel/amd_iommu.c', oldPath: null, status: 'modified', additions: 2, deletions: 0 });
    expect(f.hunks).toHaveLength(1);
    expect(f.hunks[0]).toMatchObject({ header: 'int __init amd_iommu_init_dma_ops(void)', oldStart: 2101, oldLines: 4, newLines: 6 });
    expect(f.hunks[0].lines.map((l) => l.op)).toEqual(['context', 'context', 'add', 'add', 'context', 'context']);
    expect(f.hunks[0].lines[2].text).toBe('\tamd_iommu_flush_all_devices();');
  });

  it('keeps a signature-looking removed line inside a hunk (the hunk counts decide)', () => {
    const body = 'diff --git a/x.txt b/x.txt\n--- a/x.txt\n+++ b/x.txt\n@@ -1,2 +1,1 @@\n keep\n-- \n-- \nsig\n';
    const [f] = parseDiff(extractDiff(body));
    expect(f.deletions).toBe(1);
    expect(f.hunks[0].lines).toEqual([{ op: 'context', text: 'keep' }, { op: 'del', text: '- ' }]);
  });

  it('reads "--- x" / "+++ y" content lines inside a hunk as a removal and an addition, not a new file', () => {
    const body = [
      'diff --git a/db/schema.sql b/db/schema.sql',
      '--- a/db/schema.sql',
      '+++ b/db/schema.sql',
      '@@ -1,3 +1,3 @@',
      ' create table t (',
      '--- old comment',
      '+++ new comment',
      ' );',
      '',
    ].join('\n');
    const files = parseDiff(extractDiff(body));
    expect(files).toHaveLength(1);
    expect(files[0]).toMatchObject({ path: 'db/schema.sql', additions: 1, deletions: 1 });
    expect(files[0].hunks[0].lines.map((l) => l.op)).toEqual(['context', 'del', 'add', 'context']);
  });

  it('reads a rename-only git diff as a renamed file without hunks', () => {
    const body = [
      'Move the file.',
      '---',
      'diff --git a/arch/x86/kernel/amd_iommu_init.c b/drivers/iommu/amd_iommu_init.c',
      'similarity index 100%',
      'rename from arch/x86/kernel/amd_iommu_init.c',
      'rename to drivers/iommu/amd_iommu_init.c',
      '-- ',
      '1.7.0',
      '',
    ].join('\n');
    const files = parseDiff(extractDiff(body));
    expect(files).toEqual([
      {
        path: 'drivers/iommu/amd_iommu_init.c',
        oldPath: 'arch/x86/kernel/amd_iommu_init.c',
        status: 'renamed',
        additions: 0,
        deletions: 0,
        hunks: [],
      },
    ]);
  });

  it('reads a binary change', () => {
    const body = 'diff --git a/firmware/fw.bin b/firmware/fw.bin\nindex 1234567..89abcde 100644\nBinary files a/firmware/fw.bin and b/firmware/fw.bin differ\n';
    expect(parseDiff(extractDiff(body))).toMatchObject([{ path: 'firmware/fw.bin', status: 'binary', hunks: [] }]);
    const literal = 'diff --git a/logo.png b/logo.png\nindex 1234567..89abcde 100644\nGIT binary patch\nliteral 12\nTcmZ?wbhEHbRA6LcU|;|O00jU5\n\n';
    expect(parseDiff(extractDiff(literal))).toMatchObject([{ path: 'logo.png', status: 'binary' }]);
  });

  it('reads a mode change', () => {
    const body = 'diff --git a/scripts/run.sh b/scripts/run.sh\nold mode 100644\nnew mode 100755\n';
    expect(parseDiff(extractDiff(body))).toMatchObject([{ path: 'scripts/run.sh', status: 'mode', hunks: [] }]);
  });

  it('reads new and deleted files', () => {
    const body = [
      'diff --git a/new.c b/new.c',
      'new file mode 100644',
      'index 0000000..1111111',
      '--- /dev/null',
      '+++ b/new.c',
      '@@ -0,0 +1,2 @@',
      '+int a;',
      '+int b;',
      'diff --git a/old.c b/old.c',
      'deleted file mode 100644',
      'index 2222222..0000000',
      '--- a/old.c',
      '+++ /dev/null',
      '@@ -1 +0,0 @@',
      '-int c;',
      '',
    ].join('\n');
    expect(parseDiff(extractDiff(body))).toMatchObject([
      { path: 'new.c', status: 'added', additions: 2, deletions: 0 },
      { path: 'old.c', status: 'deleted', additions: 0, deletions: 1 },
    ]);
  });

  it('reads a plain diff -u without "diff --git", stripping timestamps and the first path component', () => {
    const body = [
      'Fix the range check.',
      '',
      '--- linux-2.6.33.orig/arch/x86/kernel/amd_iommu_init.c\t2010-03-01 12:00:00.000000000 +0100',
      '+++ linux-2.6.33/arch/x86/kernel/amd_iommu_init.c\t2010-03-02 12:00:00.000000000 +0100',
      '@@ -1288,3 +1288,4 @@ static int __init amd_iommu_init(void)',
      ' \tif (ret)',
      ' \t\tgoto free;',
      '+\tenable_iommus();',
      ' ',
      '',
    ].join('\n');
    const d = extractDiff(body);
    expect(d.startsWith('--- linux-2.6.33.orig/')).toBe(true);
    expect(parseDiff(d)).toMatchObject([
      { path: 'arch/x86/kernel/amd_iommu_init.c', oldPath: null, status: 'modified', additions: 1, deletions: 0 },
    ]);
  });

  it('reads the a/ b/ form of a plain diff (git format-patch of a stable backport)', () => {
    const body = '--- a/arch/x86/kernel/amd_iommu_init.c\n+++ b/arch/x86/kernel/amd_iommu_init.c\n@@ -1 +1 @@\n-a\n+b\n';
    expect(parseDiff(extractDiff(body))[0].path).toBe('arch/x86/kernel/amd_iommu_init.c');
  });

  it('does not take a commit-message line starting with "diff" for a diff', () => {
    const body = [
      'diff between v1 and v2: none, only the changelog.',
      'diff --git is what the old tool printed here, see below',
      '',
      'Signed-off-by: Chris Wren <cwren@sous.example>',
      '',
    ].join('\n');
    expect(extractDiff(body)).toBe('');
    expect(parseDiff(extractDiff(body))).toEqual([]);
  });

  it('reads CRLF text and drops the carriage returns', () => {
    const d = extractDiff(GIT_PATCH.replace(/\n/g, '\r\n'));
    expect(d).not.toContain('\r');
    const [f] = parseDiff(d);
    expect(f.additions).toBe(2);
    expect(f.hunks[0].lines.every((l) => !l.text.includes('\r'))).toBe(true);
  });

  it('keeps what is well-formed of a hunk cut short, with its counts rewritten', () => {
    const body = [
      'diff --git a/x.c b/x.c',
      '--- a/x.c',
      '+++ b/x.c',
      '@@ -10,6 +10,7 @@ void f(void)',
      ' a();',
      '+b();',
      ' c();',
      'Thanks, and sorry for the truncated mail.',
      '',
    ].join('\n');
    const d = extractDiff(body);
    expect(d).not.toContain('Thanks');
    const [f] = parseDiff(d);
    expect(f.hunks[0]).toMatchObject({ oldStart: 10, oldLines: 2, newStart: 10, newLines: 3, header: 'void f(void)' });
    expect(f.additions).toBe(1);
  });

  it('drops a cut-short hunk with no change in it', () => {
    const body = 'diff --git a/x.c b/x.c\n--- a/x.c\n+++ b/x.c\n@@ -10,6 +10,6 @@\n a();\n b();\nend of mail\n';
    expect(parseDiff(extractDiff(body))).toEqual([]);
  });

  it('never starts a diff on quoted lines', () => {
    const body = 'On X wrote:\n> diff --git a/x.c b/x.c\n> --- a/x.c\n> +++ b/x.c\n> @@ -1 +1 @@\n> -a\n> +b\n\nLooks good.\n';
    expect(extractDiff(body)).toBe('');
  });

  it('keeps empty context lines that a mailer stripped of their space', () => {
    const body = 'diff --git a/x.c b/x.c\n--- a/x.c\n+++ b/x.c\n@@ -1,3 +1,4 @@\n a();\n\n+b();\n c();\n';
    const [f] = parseDiff(extractDiff(body));
    expect(f.hunks[0].lines.map((l) => l.op)).toEqual(['context', 'context', 'add', 'context']);
  });

  it('reads several files in one patch', () => {
    const body = [
      'diff --git a/a.c b/a.c',
      '--- a/a.c',
      '+++ b/a.c',
      '@@ -1 +1 @@',
      '-x',
      '+y',
      'diff --git a/b.c b/b.c',
      '--- a/b.c',
      '+++ b/b.c',
      '@@ -5,2 +5,1 @@ int g(void)',
      ' z',
      '-w',
      '',
    ].join('\n');
    expect(parseDiff(extractDiff(body)).map((f) => [f.path, f.additions, f.deletions])).toEqual([
      ['a.c', 1, 1],
      ['b.c', 0, 1],
    ]);
  });
});

describe('extractDiff / parseDiff: shapes besides git format-patch', () => {
  const files = (body: string) => parseDiff(extractDiff(body)).map((f) => [f.path, f.status, f.additions, f.deletions]);

  it('Subversion: each file is its Index: path, a new file included', () => {
    const body = [
      'Index: src/a b.c', // a blank in the name: the whole rest of the line
      '===================================================================',
      '--- src/a b.c\t(revision 10)',
      '+++ src/a b.c\t(working copy)',
      '@@ -1 +1 @@',
      '-x',
      '+y',
      'Index: lib/new.h',
      '===================================================================',
      '--- /dev/null\t(revision 0)',
      '+++ lib/new.h\t(working copy)',
      '@@ -0,0 +1 @@',
      '+#define NEW 1',
      '',
    ].join('\n');
    expect(files(body)).toEqual([['src/a b.c', 'modified', 1, 1], ['lib/new.h', 'added', 1, 0]]);
  });

  it('an Index: line far from any diff is not a file', () => {
    const body = 'Index: this is prose\n\nmore prose\n--- a/x.c\n+++ b/x.c\n@@ -1 +1 @@\n-a\n+b\n';
    expect(files(body)).toEqual([['x.c', 'modified', 1, 1]]);
  });

  it('a combined hunk of three parents: a line is removed when any column says so', () => {
    const body = ['diff --combined m.c', '--- a/m.c', '+++ b/m.c', '@@@@ -1,2 -1,2 -1,2 +1,2 @@@@', '   same', '-  one', ' - two', '  -three', '+++merged', '', ''].join('\n');
    const [f] = parseDiff(extractDiff(body));
    expect([f.path, f.additions, f.deletions]).toEqual(['m.c', 1, 3]);
    expect(f.hunks[0].lines.map((l) => l.op[0] + l.text)).toEqual(['csame', 'done', 'dtwo', 'dthree', 'amerged']);
  });

  it('a combined header with one range and one column, as some tools write it', () => {
    expect(files('--- a/f\n+++ b/f\n@@@ -1,1 +1,1 @@@\n-old\n+new\n')).toEqual([['f', 'modified', 1, 1]]);
  });

  it('"\\ No newline at end of file" between a removal and an addition counts neither', () => {
    const body = 'diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n';
    const [f] = parseDiff(extractDiff(body));
    expect(f.hunks[0].lines).toEqual([{ op: 'context', text: 'a' }, { op: 'del', text: 'b' }, { op: 'add', text: 'c' }]);
  });
});
