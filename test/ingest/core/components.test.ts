// Union-find over integers and whole components packed into bounded chunks.
import { describe, expect, it } from 'vitest';
import { Components, chunksOf } from '../../../ingest/core/components.ts';

const chunkLists = (c: ReturnType<typeof chunksOf>) =>
  c.starts.slice(0, -1).map((s, i) => [...c.order.subarray(s, c.starts[i + 1])]);

describe('Components', () => {
  it('joins transitively and names each component by its smallest member', () => {
    const c = new Components(8);
    c.union(5, 3);
    c.union(3, 7);
    c.union(1, 2);
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((x) => c.find(x))).toEqual([0, 1, 1, 3, 4, 3, 6, 3]);
    c.union(7, 2);
    expect(c.find(5)).toBe(1);
  });

  it('handles a long chain without recursion', () => {
    const n = 200_000;
    const c = new Components(n);
    for (let i = n - 1; i > 0; i--) c.union(i, i - 1);
    expect(c.find(n - 1)).toBe(0);
  });
});

describe('chunksOf', () => {
  it('never splits a component, fills chunks to about the size asked, and skips absent elements', () => {
    const c = new Components(10);
    c.union(0, 9); // {0, 9}
    c.union(2, 3);
    c.union(3, 4); // {2, 3, 4}
    const present = (x: number) => x !== 1 && x !== 7;
    expect(chunkLists(chunksOf(c, present, 3))).toEqual([[0, 2, 3, 4, 9], [5, 6, 8]]);
    expect(chunkLists(chunksOf(c, present, 1))).toEqual([[0, 9], [2, 3, 4], [5], [6], [8]]);
    expect(chunkLists(chunksOf(c, present, 100))).toEqual([[0, 2, 3, 4, 5, 6, 8, 9]]);
  });

  it('gives no chunk when nothing is present', () => {
    expect(chunkLists(chunksOf(new Components(4), () => false, 2))).toEqual([]);
  });
});
