// Garbage past the ceiling is collected when asked.
import v8 from 'node:v8';
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
});
