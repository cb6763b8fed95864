// Worker thread: parses batches of raw messages so two cores share the MIME work.
import { parentPort, workerData } from 'node:worker_threads';
import { parseOne, type Parsed } from './parse-one.ts';
import type { RawMessage } from './model.ts';
import type { WatchRule } from '../config/watch-rules.ts';
import { validateWatchRules } from '../config/watch-rules.ts';

const rules: WatchRule[] = validateWatchRules(workerData.rules);
const list: string | undefined = workerData.list;
const IN_FLIGHT = 8;

parentPort!.on('message', async (job: { id: number; raws: RawMessage[] }) => {
  // a few parses in flight at once: MailParser's streams wait on each other, the CPU need not (more
  // than a handful only grows the heap)
  const out: Parsed[] = [];
  for (let i = 0; i < job.raws.length; i += IN_FLIGHT) out.push(...(await Promise.all(job.raws.slice(i, i + IN_FLIGHT).map(async (raw) => {
    raw.bytes = Buffer.from(raw.bytes.buffer, raw.bytes.byteOffset, raw.bytes.byteLength);
    raw.separatorDate = raw.separatorDate ? new Date(raw.separatorDate) : null;
    const p = await parseOne(raw, rules, list);
    // the store keeps hunk headers and ranges, not lines (those stay in diff_text): cloning
    // thousands of small line objects back to the main thread would cost more than parsing them
    if (p.ok) for (const f of p.message.diff) for (const h of f.hunks) h.lines = [];
    return p;
  }))));
  parentPort!.postMessage({ id: job.id, out });
});
