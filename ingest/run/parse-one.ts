// One raw message → what the store needs: the parsed message and its call index. Runs in a
// worker thread during ingest; also usable inline.
import type { RawMessage, DiffLine, Parsed } from '../core/model.ts';
import { parseMessage } from '../mail/message-parse.ts';
import { indexCalls } from '../core/call-index.ts';
import type { WatchRule } from '../../config/watch-rules.ts';
import { compileWatchRule } from '../core/watch.ts';

const NO_LINES: DiffLine[] = [];

export type { Parsed };

/** Why an over-limit message is quarantined (its head is what is kept). */
export function overLimitReason(raw: RawMessage): string | null {
  const o = raw.overLimit;
  return o ? `message of ${o.size} bytes is over the size limit of ${o.limit} bytes; only its first ${raw.bytes.length} bytes are kept` : null;
}

// The diff lines the call index reads: those of files a rule watches (by any of their names). Files no rule covers
// keep their hunks' headers and counts only, so a generated file of a million lines is not a million objects.
const linesWanted = new WeakMap<WatchRule[], (names: string[]) => boolean>();
function diffLinesOf(rules: WatchRule[]): (names: string[]) => boolean {
  let f = linesWanted.get(rules);
  if (!f) {
    const compiled = rules.map(compileWatchRule);
    f = (names) => names.some((n) => compiled.some((r) => r.matchesFile(n)));
    linesWanted.set(rules, f);
  }
  return f;
}

export async function parseOne(raw: RawMessage, rules: WatchRule[], list?: string): Promise<Parsed> {
  const over = overLimitReason(raw);
  if (over) return { ok: false, reason: over };
  let r;
  try {
    r = await parseMessage(raw, { list, diffLinesOf: diffLinesOf(rules) });
  } catch (e) {
    return { ok: false, reason: `parser failed: ${(e as Error).message}` };
  }
  if ('quarantine' in r) return { ok: false, reason: r.quarantine };
  const m = r.message;
  const idx = m.isPatch ? indexCalls(m.messageId, m.diff, rules) : { callChanges: [], orderChanges: [] };
  // The diff's lines were for the call index; the store keeps files and hunk headers (the lines stay in the
  // diff text). A parsed batch waits for its turn to commit: without them it is a fraction of its size, and
  // is not promoted to the old generation for the garbage collector to mark.
  for (const f of m.diff) for (const h of f.hunks) h.lines = NO_LINES;
  return { ok: true, message: m, callChanges: idx.callChanges, orderChanges: idx.orderChanges };
}
