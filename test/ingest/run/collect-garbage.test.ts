// Garbage past the ceiling is collected when asked: on the heap, and typed arrays' stores outside it.
import v8 from 'node:v8';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { collectGarbage, HEAP_CEILING } from '../../../ingest/run/collect-garbage.ts';

const used = () => v8.getHeapStatistics().used_heap_size;

describe('collectGarbage', () => {
  it('collects a heap grown past the ceiling by garbage', () => {
    let garbage: unknown[] | null = [];
    while (used() < HEAP_CEILING + 64 * 1024 * 1024) for (let i = 0; i < 10_000; i++) garbage.push({ i, s: `x${i}`, a: [i, i] });
    garbage = null;
    const before = used();
    collectGarbage();
    expect(used()).toBeLessThan(before - 64 * 1024 * 1024);
  });

  it('counts typed arrays allocated since the last collection (garbage once a step ends), not those held before it', async () => {
    /** How many major collections `f` makes (V8 reports them to a performance observer). */
    const majorCollections = async (f: () => void) => {
      let n = 0;
      const observer = new PerformanceObserver((list) => {
        for (const e of list.getEntries()) if (((e as { detail?: { kind?: number } }).detail)?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) n++;
      });
      observer.observe({ entryTypes: ['gc'] });
      f();
      await new Promise((r) => setTimeout(r, 50));
      observer.disconnect();
      return n;
    };
    const filled = (bytes: number) => new Float64Array(bytes / 8).fill(1);
    collectGarbage(0); // what is held now is the baseline
    expect(await majorCollections(() => collectGarbage())).toBe(0);
    // a step's arrays, dropped: more than the ceiling outside the heap
    let arrays: Float64Array[] | null = Array.from({ length: 5 }, () => filled(HEAP_CEILING / 4));
    arrays = null;
    expect(await majorCollections(() => collectGarbage())).toBe(1);
    // arrays still held at a collection are not counted again
    const held = filled(HEAP_CEILING * 1.25);
    collectGarbage(0);
    expect(await majorCollections(() => collectGarbage())).toBe(0);
    expect(held[0] + (arrays === null ? 0 : 1)).toBe(1);
  });
});
