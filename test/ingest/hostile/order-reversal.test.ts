// Issue 13 item 3: a 90 KB patch reversing 2,000 flush calls wrote 74 MB of order changes (every pair of calls,
// quadratic). Now what a patch stores grows linearly with the calls it moves and has a ceiling. Sizes, not times.
import { describe, expect, it } from 'vitest';
import { indexCalls, MAX_ORDER_CHANGES, MAX_ORDER_NEIGHBOURS, movedCalls } from '../../../ingest/core/call-index.ts';
import { parseDiff } from '../../../ingest/core/diff.ts';
import { DEFAULT_RULES } from '../../detection/helpers.ts';

/** A patch to amd_iommu_init() that reverses the order of its n flush calls. */
function reversal(n: number): string {
  const calls = Array.from({ length: n }, (_, i) => `\tiommu_flush_dev_${i}(iommu);`);
  const lines = [...calls.map((c) => `-${c}`), ...[...calls].reverse().map((c) => `+${c}`)];
  return [
    'diff --git a/arch/x86/kernel/amd_iommu_init.c b/arch/x86/kernel/amd_iommu_init.c',
    '--- a/arch/x86/kernel/amd_iommu_init.c',
    '+++ b/arch/x86/kernel/amd_iommu_init.c',
    `@@ -10,${n + 2} +10,${n + 2} @@ static int __init amd_iommu_init(void)`,
    ' {',
    ...lines,
    ' }',
    '',
  ].join('\n');
}

/** Bytes the order changes take as stored (the two JSON lists per row). */
const stored = (ix: ReturnType<typeof indexCalls>) =>
  ix.orderChanges.reduce((s, o) => s + JSON.stringify(o.nowBefore).length + JSON.stringify(o.nowAfter).length + o.call.length, 0);

describe('order changes of a mass reordering', () => {
  it('which calls moved is found without comparing every pair', () => {
    expect(movedCalls([0, 1, 2, 3])).toEqual([false, false, false, false]);
    expect(movedCalls([0, 2, 1, 3])).toEqual([false, true, true, false]);
    expect(movedCalls([3, 0, 1, 2])).toEqual([true, true, true, true]);
    expect(movedCalls([1, 0, 2, 4, 3])).toEqual([true, true, false, true, true]);
  });

  it('a small move keeps every call it passed', () => {
    const ix = indexCalls('<m>', parseDiff(reversal(3)), DEFAULT_RULES);
    const first = ix.orderChanges.find((o) => o.call === 'iommu_flush_dev_2')!;
    expect(first.nowBefore).toEqual(['iommu_flush_dev_1', 'iommu_flush_dev_0']);
  });

  it('grows linearly with the calls moved and stops at a ceiling (2,000 and 5,000 calls reversed)', () => {
    const sizes: number[] = [];
    for (const n of [100, 200, 2000, 5000]) {
      const ix = indexCalls('<m>', parseDiff(reversal(n)), DEFAULT_RULES);
      expect(ix.orderChanges.length).toBe(Math.min(n, MAX_ORDER_CHANGES));
      for (const o of ix.orderChanges) {
        expect(o.nowBefore.length + o.nowAfter.length).toBeLessThanOrEqual(2 * MAX_ORDER_NEIGHBOURS);
        expect(o.nowBefore.length + o.nowAfter.length).toBeGreaterThan(0);
      }
      sizes.push(stored(ix));
    }
    // 100 -> 200 calls: about twice the bytes, not four times
    expect(sizes[1]! / sizes[0]!).toBeLessThan(2.5);
    // past the ceiling, more calls add (next to) nothing
    expect(sizes[3]! / sizes[2]!).toBeLessThan(1.2);
    expect(sizes[2]!).toBeLessThan(1_000_000);
  });
});
