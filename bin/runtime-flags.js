// The V8 flags a `relapse` command runs with (relapse.js starts the command's process again with them when the
// running one lacks them; the benchmark runs its ingest phase with the same).
//
// `ingest` and `sync` are batch work whose parse workers take every core of a machine with two or fewer (the
// pipeline runs two): V8's helper threads for garbage collection and compilation then find no idle core and only
// compete with them. Measured on a 2-core machine, 100,000 messages: the helper threads took 4.6 s of the ingest's
// 15 s of CPU; with `--single-threaded` the ingest used 1-2 s less CPU and ran 4-5% faster. With more cores they run
// on idle ones, and a server (`serve`, `demo`) keeps them for short pauses.
import os from 'node:os';

const BATCH_COMMANDS = new Set(['ingest', 'sync']);

/**
 * The V8 flags for `relapse ARGS` on a machine with `cores` cores (none: run as started).
 *
 * @example v8FlagsFor(['ingest', 'a.mbox'], 2) // ['--single-threaded']
 */
export function v8FlagsFor(args, cores = os.availableParallelism()) {
  const command = args.find((a) => !a.startsWith('-'));
  return BATCH_COMMANDS.has(command) && cores <= 2 ? ['--single-threaded'] : [];
}
