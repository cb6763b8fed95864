import { describe, expect, it } from 'vitest';
import { indexCalls, callsIn, stripCode } from '../../../ingest/core/call-index.ts';
import { validateWatchRules } from '../../../config/watch-rules.ts';
import { extractDiff, parseDiff } from '../../../ingest/core/diff.ts';
import { DEFAULT_RULES, fixtureFiles, indexFixture, rows } from '../../detection/helpers.ts';

const I = 'arch/x86/kernel/amd_iommu_init.c';
const A = 'arch/x86/kernel/amd_iommu.c';

describe('indexCalls: which function a changed line is in', () => {
  it('follows a function that starts inside the hunk (hunk headed enable_iommus)', () => {
    expect(rows(indexFixture('fn-start-in-hunk.diff'))).toEqual([`${I}|disable_iommus|shutdown|iommu_flush_all_caches|added`]);
  });

  it('takes the name from a header cut short after the first parameter', () => {
    expect(rows(indexFixture('truncated-header.diff'))).toEqual([`${A}|__unmap_single||iommu_flush_tlb|removed`]);
  });

  it('a label header inherits the function the previous hunk was still inside', () => {
    expect(rows(indexFixture('label-header-inherit.diff'))).toEqual([
      `${I}|amd_iommu_init|init|amd_iommu_flush_all_devices|added`,
      `${I}|amd_iommu_init|init|iommu_flush_all_caches|added`,
    ]);
  });

  it('a label header in the first hunk is never taken as a function name: null', () => {
    const ix = indexFixture('label-header-first.diff');
    expect(ix.callChanges).toHaveLength(1);
    expect(ix.callChanges[0].function).toBeNull();
    expect(ix.callChanges[0].path).toBeNull();
  });

  it('a label header after the previous hunk closed its function (column-0 brace): null', () => {
    const ix = indexFixture('label-header-after-close.diff');
    expect(ix.callChanges.map((c) => [c.call, c.function])).toEqual([['iommu_flush_all_caches', null]]);
  });

  it('__init on an in-hunk definition line makes the function init', () => {
    expect(rows(indexFixture('in-hunk-init-definition.diff'))).toEqual([`${A}|prealloc_protection_domains|init|amd_iommu_flush_all_domains|added`]);
  });

  it('old and new side follow their own definition line when a patch changes a signature', () => {
    expect(rows(indexFixture('signature-change.diff'))).toEqual([
      `${I}|iommu_disable|shutdown|iommu_flush_all_caches|removed`,
      `${I}|iommu_shutdown_one|shutdown|amd_iommu_flush_all_devices|added`,
    ]);
  });

  it('a flush added to a helper outside any path gets path null; calls after `if (x)` and assignments count', () => {
    expect(rows(indexFixture('null-path-helper.diff'))).toEqual([
      `${A}|set_dte_entry||flush_foo|added`,
      `${A}|set_dte_entry||iommu_flush_device|added`,
    ]);
  });

  it('a macro header in capitals (SYSCALL_DEFINE4) is not taken as the function name', () => {
    const rules = validateWatchRules([{ name: 'kexec', files: ['kernel/*.c'], calls: { contains: ['flush'] } }]);
    const diff = `--- a/kernel/kexec.c\n+++ b/kernel/kexec.c\n@@ -940,2 +940,3 @@ SYSCALL_DEFINE4(kexec_load, unsigned long, entry, unsigned long, nr_segments,\n \tx();\n+\tflush_icache_range(a, b);\n \ty();\n`;
    const ix = indexCalls('m', parseDiff(extractDiff(diff)), rules);
    expect(ix.callChanges.map((c) => [c.call, c.function])).toEqual([['flush_icache_range', null]]);
    const lower = diff.replace('SYSCALL_DEFINE4(kexec_load, unsigned long, entry, unsigned long, nr_segments,', 'do_kexec_load(unsigned long entry,');
    expect(indexCalls('m', parseDiff(extractDiff(lower)), rules).callChanges.map((c) => c.function)).toEqual(['do_kexec_load']);
  });

  it('struct, initializer and top-level headers are not functions; member names and EXPORT_SYMBOL args are not calls', () => {
    expect(indexFixture('non-function-headers.diff').callChanges).toEqual([]);
  });
});

describe('indexCalls: only calls', () => {
  it('ignores flush words in single-line, // and multi-line comments, also a hunk that starts mid-comment', () => {
    // the one real call sits after a closed comment on the same line
    expect(rows(indexFixture('comment-mentions.diff'))).toEqual([`${I}|enable_iommus|init|iommu_flush_dte|added`]);
  });

  it('ignores flush words in string and char literals', () => {
    expect(indexFixture('string-mention.diff').callChanges).toEqual([]);
  });

  it('a definition is not a call, the calls in its body are (return type on its own line too)', () => {
    expect(rows(indexFixture('definition.diff'))).toEqual([
      `${A}|iommu_flush_all||iommu_flush_dte_all|added`,
      `${A}|iommu_flush_setup|init|iommu_flush_all_tlbs|added`,
    ]);
  });

  it('prototypes (one line, several lines, return type on its own line) are not calls', () => {
    expect(indexFixture('prototype.diff').callChanges).toEqual([]);
  });

  it('keeps the diff line (without its sign) and the rule name', () => {
    const [c] = indexFixture('truncated-header.diff', DEFAULT_RULES, 'msg-1').callChanges;
    expect(c).toEqual({
      messageId: 'msg-1', file: A, function: '__unmap_single', path: null, call: 'iommu_flush_tlb', op: 'removed',
      line: '\tiommu_flush_tlb(iommu, dma_dom->domain.id);', rule: 'amd_iommu',
    });
  });

  it('callsIn: keywords, declarations and member calls', () => {
    expect(callsIn('if (x) flush_foo(a);')).toEqual(['flush_foo']);
    expect(callsIn('ret = amd_iommu_flush_all_devices();')).toEqual(['amd_iommu_flush_all_devices']);
    expect(callsIn('static void iommu_flush_all(struct amd_iommu *iommu)')).toEqual([]);
    expect(callsIn('struct foo *iommu_flush_get(int a);')).toEqual([]);
    expect(callsIn('return iommu_flush(x) + sizeof(y);')).toEqual(['iommu_flush']);
    expect(callsIn('iommu->ops->flush(iommu);')).toEqual(['flush']);
    expect(callsIn('while (busy(x)) cpu_relax();')).toEqual(['busy', 'cpu_relax']);
  });

  it('stripCode carries a block comment across lines', () => {
    const a = stripCode('x(); /* flush_a(', false);
    expect(a.inComment).toBe(true);
    expect(a.code).not.toContain('flush_a');
    const b = stripCode('still flush_b() */ y("flush_c()");', true);
    expect(b.inComment).toBe(false);
    expect(callsIn(b.code)).toEqual(['y']);
  });
});

describe('indexCalls: net per patch', () => {
  it('a whitespace-only change or a re-indent is no change', () => {
    expect(indexFixture('whitespace.diff').callChanges).toEqual([]);
  });

  it('a call moved within one function (across hunks) is no change', () => {
    expect(indexFixture('moved-in-function.diff').callChanges).toEqual([]);
  });

  it('removed twice, added once in the same function leaves one removal', () => {
    const diff = `--- a/${A}\n+++ b/${A}\n@@ -10,4 +10,3 @@ int __init amd_iommu_init_dma_ops(void)\n-\tamd_iommu_flush_all_domains();\n-\tamd_iommu_flush_all_domains();\n+\tamd_iommu_flush_all_domains();\n \treturn 0;\n`;
    const ix = indexCalls('m', parseDiff(extractDiff(diff)), DEFAULT_RULES);
    expect(ix.callChanges.map((c) => `${c.op} ${c.call}`)).toEqual(['removed amd_iommu_flush_all_domains']);
  });

  it('the same call removed from one function and added to another is two changes', () => {
    const diff = `--- a/${A}\n+++ b/${A}\n@@ -10,3 +10,2 @@ int __init amd_iommu_init_dma_ops(void)\n \tx = 1;\n-\tamd_iommu_flush_all_domains();\n \treturn 0;\n@@ -40,2 +39,3 @@ static void __init prealloc_protection_domains(void)\n \ty = 2;\n+\tamd_iommu_flush_all_domains();\n }\n`;
    expect(rows(indexCalls('m', parseDiff(extractDiff(diff)), DEFAULT_RULES))).toEqual([
      `${A}|amd_iommu_init_dma_ops|init|amd_iommu_flush_all_domains|removed`,
      `${A}|prealloc_protection_domains|init|amd_iommu_flush_all_domains|added`,
    ]);
  });
});

describe('indexCalls: files', () => {
  it('skips files no rule covers', () => {
    expect(indexFixture('unwatched.diff')).toEqual({ callChanges: [], orderChanges: [] });
  });

  it('a rename is watched if either name matches and is reported under the new name', () => {
    const files = fixtureFiles('rename.diff');
    expect(files[0].status).toBe('renamed');
    expect(DEFAULT_RULES[0].files.some((g) => g === 'drivers/iommu/amd_iommu*.c' || g === 'drivers/iommu/amd/*.c')).toBe(true);
    expect(rows(indexFixture('rename.diff'))).toEqual(['drivers/iommu/amd_init.c|iommu_disable|shutdown|iommu_flush_all_caches|removed']);
  });

  it('known renames from elsewhere make a later name watched', () => {
    const diff = `--- a/drivers/iommu/amd_init.c\n+++ b/drivers/iommu/amd_init.c\n@@ -265,2 +265,1 @@ static void iommu_disable(struct amd_iommu *iommu)\n-\tiommu_flush_all_caches(iommu);\n \tx();\n`;
    const files = parseDiff(extractDiff(diff));
    expect(indexCalls('m', files, DEFAULT_RULES).callChanges).toEqual([]);
    const ix = indexCalls('m', files, DEFAULT_RULES, [{ from: I, to: 'drivers/iommu/amd_init.c' }]);
    expect(rows(ix)).toEqual(['drivers/iommu/amd_init.c|iommu_disable|shutdown|iommu_flush_all_caches|removed']);
  });

  it('the default rule covers the era layouts: arch/x86, drivers/iommu, drivers/iommu/amd', () => {
    for (const file of [A, I, 'drivers/iommu/amd_iommu_init.c', 'drivers/iommu/amd/init.c', 'drivers/iommu/amd/iommu.c']) {
      const diff = `--- a/${file}\n+++ b/${file}\n@@ -1,1 +1,2 @@ static int __init early_amd_iommu_init(void)\n \tx();\n+\tiommu_flush_all_caches(iommu);\n`;
      expect(rows(indexCalls('m', parseDiff(extractDiff(diff)), DEFAULT_RULES))).toEqual([`${file}|early_amd_iommu_init|init|iommu_flush_all_caches|added`]);
    }
    const other = `--- a/drivers/iommu/intel/iommu.c\n+++ b/drivers/iommu/intel/iommu.c\n@@ -1,1 +1,2 @@ static int __init x(void)\n \tx();\n+\tiommu_flush_all(iommu);\n`;
    expect(indexCalls('m', parseDiff(extractDiff(other)), DEFAULT_RULES).callChanges).toEqual([]);
  });

  it('path classes from names: init and shutdown patterns of the default rule', () => {
    const cases: [string, string | null][] = [
      ['static int amd_iommu_init_pci(void)', 'init'], ['static void enable_iommus(void)', 'init'],
      ['static void early_enable_iommus(void)', 'init'], ['static void amd_iommu_resume(void)', 'init'],
      ['static void init_device_table_dma(void)', 'init'], ['static int early_amd_iommu_init(void)', 'init'],
      ['static void disable_iommus(void)', 'shutdown'], ['static void iommu_disable(struct amd_iommu *iommu)', 'shutdown'],
      ['static int amd_iommu_suspend(void)', 'shutdown'], ['static void amd_iommu_crash_shutdown(void)', 'shutdown'],
      ['static void amd_iommu_shutdown(void)', 'shutdown'], ['static void set_dte_entry(u16 devid)', null],
      ['static void __init free_on_init_error(void)', 'init'], ['static void attach_device(struct device *dev)', null],
    ];
    for (const [header, path] of cases) {
      const diff = `--- a/${I}\n+++ b/${I}\n@@ -1,1 +1,2 @@ ${header}\n \tx();\n+\tiommu_flush_all_caches(iommu);\n`;
      const [c] = indexCalls('m', parseDiff(extractDiff(diff)), DEFAULT_RULES).callChanges;
      expect([header, c.path]).toEqual([header, path]);
    }
  });
});

describe('indexCalls: a user-added rule works without code changes', () => {
  const rules = validateWatchRules([
    ...JSON.parse(JSON.stringify(DEFAULT_RULES)),
    {
      name: 'ioatdma',
      files: ['drivers/dma/ioat/*.c'],
      paths: { shutdown: { functions: ['*shutdown*', '*remove*'], annotations: [] } },
      calls: { regex: 'shutdown' },
    },
  ]);

  it('indexes shutdown hooks in drivers/dma/ioat under the new rule only', () => {
    const ix = indexCalls('m', fixtureFiles('ioat-shutdown.diff'), rules);
    expect(ix.callChanges.map((c) => [c.file, c.function, c.path, c.call, c.op, c.rule].join('|')).sort()).toEqual([
      'drivers/dma/ioat/init.c|ioat_remove|shutdown|ioat_shutdown_channels|added|ioatdma',
      'drivers/dma/ioat/init.c|ioat_shutdown|shutdown|ioat_shutdown_channels|removed|ioatdma',
    ]);
    // ioat_chan_shutdown_hw is context, the amd flush in an ioat file is not a shutdown hook
    expect(ix.orderChanges).toEqual([]);
  });

  it('the default rule alone does not see them', () => {
    expect(indexCalls('m', fixtureFiles('ioat-shutdown.diff'), DEFAULT_RULES).callChanges).toEqual([]);
  });
});

describe('order changes', () => {
  it('the real 2010 fix moves enable_iommus ahead of the attach calls in amd_iommu_init (init)', () => {
    const ix = indexFixture('real-75f66533-enable-iommu-before-attaching.patch');
    expect(ix.callChanges).toEqual([]); // no flush call changes in it
    const o = ix.orderChanges.find((x) => x.call === 'enable_iommus');
    expect(o).toBeDefined();
    expect(o!.function).toBe('amd_iommu_init');
    expect(o!.path).toBe('init');
    expect(o!.file).toBe(I);
    expect(o!.nowBefore).toEqual(expect.arrayContaining(['amd_iommu_init_passthrough', 'amd_iommu_init_notifier']));
    expect(o!.nowAfter).toEqual([]);
    // disable_iommus() is added on the error path, present only after: no order change for it
    expect(ix.orderChanges.map((x) => x.call)).toEqual(['enable_iommus']);
  });

  it('the reversal moves enable_iommus back after them', () => {
    const ix = indexFixture('order-reversal.diff');
    expect(ix.orderChanges).toHaveLength(1);
    const [o] = ix.orderChanges;
    expect([o.function, o.call, o.nowBefore]).toEqual(['amd_iommu_init', 'enable_iommus', []]);
    expect([...o.nowAfter].sort()).toEqual(['amd_iommu_init_notifier', 'amd_iommu_init_passthrough']);
  });

  it('uses first occurrences and ignores calls present on one side only', () => {
    const diff = `--- a/${I}\n+++ b/${I}\n@@ -1,5 +1,5 @@ static int __init amd_iommu_init(void)\n-\tenable_iommus();\n \tfoo();\n \tbar();\n+\tenable_iommus();\n+\tonly_after();\n \tfoo();\n-\tonly_before();\n`;
    const ix = indexCalls('m', parseDiff(extractDiff(diff)), DEFAULT_RULES);
    expect(ix.orderChanges.map((o) => [o.call, o.nowBefore, o.nowAfter])).toEqual([['enable_iommus', [], ['foo', 'bar']]]);
  });

  it('no order spec in the rule: no order changes', () => {
    const rules = validateWatchRules([{ ...JSON.parse(JSON.stringify(DEFAULT_RULES[0])), order: null }]);
    expect(indexCalls('m', fixtureFiles('order-reversal.diff'), rules).orderChanges).toEqual([]);
  });
});
