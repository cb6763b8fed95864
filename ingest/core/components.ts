// Connected components over small integers, and components packed into chunks of bounded size: how a whole
// derivation (ingest/run/derive-whole.ts) takes an archive of any size a bounded part at a time. Pure.
//
// Hand-written: a union-find over a typed array (one 32-bit integer per message, whatever the archive's size) is a
// dozen lines; the libraries that offer one hold an object per element, which is what this is here to avoid.

/** Union-find over the integers 0..size-1 (path halving, union by smaller root). */
export class Components {
  private readonly up: Int32Array;

  constructor(size: number) {
    this.up = new Int32Array(size);
    for (let i = 0; i < size; i++) this.up[i] = i;
  }

  get size(): number {
    return this.up.length;
  }

  /** The representative of `x`'s component: the smallest integer joined to it. */
  find(x: number): number {
    const up = this.up;
    while (up[x] !== x) {
      up[x] = up[up[x]];
      x = up[x];
    }
    return x;
  }

  /** Join the components of `a` and `b`. */
  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra < rb) this.up[rb] = ra;
    else if (rb < ra) this.up[ra] = rb;
  }
}

/** Elements grouped into chunks: chunk `i` is `order[starts[i]]` .. `order[starts[i + 1] - 1]`. */
export interface Chunks {
  order: Int32Array;
  starts: number[];
}

/**
 * Pack whole components into chunks of about `maxSize` elements: only the elements `present` says are there count,
 * a component is never split (a component larger than `maxSize` is a chunk of its own), and components are taken in
 * the order of their smallest element, elements in increasing order within a chunk.
 *
 * @example chunksOf(components, (i) => i > 0, 1000)
 */
export function chunksOf(components: Components, present: (x: number) => boolean, maxSize: number): Chunks {
  const n = components.size;
  // per root: its component's size (elements present), then -(its chunk + 1) once placed; one array, not three (a
  // whole derivation packs every message of the archive)
  const atRoot = new Int32Array(n);
  for (let x = 0; x < n; x++) if (present(x)) atRoot[components.find(x)]++;
  // a chunk per root, in the order of the roots (each root is its component's smallest element)
  const chunkSizes: number[] = [];
  let filled = maxSize; // start a chunk at the first root
  for (let x = 0; x < n; x++) {
    if (!present(x)) continue;
    const r = components.find(x);
    const size = atRoot[r];
    if (size < 0) continue;
    if (filled >= maxSize) { chunkSizes.push(0); filled = 0; }
    atRoot[r] = -chunkSizes.length;
    chunkSizes[chunkSizes.length - 1] += size;
    filled += size;
  }
  const starts = [0];
  for (const s of chunkSizes) starts.push(starts[starts.length - 1] + s);
  const order = new Int32Array(starts[starts.length - 1]);
  const next = starts.slice(0, -1);
  for (let x = 0; x < n; x++) if (present(x)) order[next[-atRoot[components.find(x)] - 1]++] = x;
  return { order, starts };
}
