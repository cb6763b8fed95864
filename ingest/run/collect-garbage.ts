// A full garbage collection asked of V8 between the bounded steps of a long job (a whole derivation's chunks and
// phases). V8 lets its heap grow to several times what is live before it collects on its own, the more so on a
// machine with much memory: a derivation that holds one chunk at a time would otherwise still peak at what all the
// garbage of its chunks adds up to. The collector is reached the way Jest's leak detector reaches it (the flag
// set at run time, the function taken from a fresh context); where that is refused, nothing is collected early.
import v8 from 'node:v8';
import vm from 'node:vm';

let gc: (() => void) | null | undefined;

/** Collect now (a few tens of milliseconds for a heap of 100 MB). */
export function collectGarbage(): void {
  if (gc === undefined) {
    try {
      v8.setFlagsFromString('--expose-gc');
      gc = vm.runInNewContext('gc') as () => void;
    } catch {
      gc = null;
    }
  }
  gc?.();
}

/**
 * A collector for a loop over chunks: `add(n)` after each chunk of `n` items collects once at least `every` items
 * went by since the last collection.
 */
export function collectEvery(every: number): (n: number) => void {
  let since = 0;
  return (n) => {
    since += n;
    if (since < every) return;
    since = 0;
    collectGarbage();
  };
}
