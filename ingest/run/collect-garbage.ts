// A full garbage collection asked of V8 between the bounded steps of a long job (a whole derivation's chunks and
// phases), when its heap has grown past a ceiling. V8 lets its heap grow to several times what is live before it
// collects on its own, the more so on a machine with much memory: a derivation that holds one chunk at a time would
// otherwise still peak at what all the garbage of its chunks adds up to. The collector is reached the way Jest's leak detector reaches it (the flag
// set at run time, the function taken from a fresh context); where that is refused, nothing is collected early.
import v8 from 'node:v8';
import vm from 'node:vm';

let gc: (() => void) | null | undefined;
/** Memory outside the heap (typed arrays' and buffers' stores) still held after the last collection asked for. */
let externalLive = 0;

/**
 * The heap (live and garbage) below which nothing is collected early between the chunks of one step: V8's own pace
 * is cheaper, and what it keeps is small beside the 400 MB an ingest may peak at.
 */
export const HEAP_CEILING = 96 * 1024 * 1024;

/**
 * Between two steps a lower one: the next step starts from what is live, and V8 sets its next collection by that
 * (a step that reads every notice of the archive would otherwise start on top of the last one's garbage).
 */
export const STEP_CEILING = 32 * 1024 * 1024;

/**
 * Collect now when the heap, with what was allocated outside it since the last collection (typed arrays: a step's
 * few integers a message, garbage once it ends), holds more than `ceiling` (a collection takes tens of milliseconds).
 */
export function collectGarbage(ceiling = HEAP_CEILING): void {
  const { used_heap_size: heap, external_memory: external } = v8.getHeapStatistics();
  if (heap + Math.max(0, external - externalLive) < ceiling) return;
  if (gc === undefined) {
    try {
      v8.setFlagsFromString('--expose-gc');
      gc = vm.runInNewContext('gc') as () => void;
    } catch {
      gc = null;
    }
  }
  if (!gc) return;
  gc();
  externalLive = v8.getHeapStatistics().external_memory;
}

