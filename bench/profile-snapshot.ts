// Every parse result as one JSON line (for comparing a change to the parse with what it gave before):
//   node --import tsx bench/profile-snapshot.ts ARCHIVE [--messages N] > out.jsonl
// Each line: the message (or the quarantine reason), its call and order changes, and the row store.ts binds.
import fs from 'node:fs';
import { readMbox } from '../ingest/archive/mbox-reader.ts';
import { parseOne } from '../ingest/run/parse-one.ts';
import { messageRow } from '../ingest/store/message-row.ts';
import { readWatchRulesData, validateWatchRules } from '../config/watch-rules.ts';

const archive = process.argv[2];
const i = process.argv.indexOf('--messages');
const max = i > 0 ? Number(process.argv[i + 1]) : Infinity;
const rules = validateWatchRules(readWatchRulesData());
let n = 0;
for await (const raw of readMbox(fs.createReadStream(archive), { source: archive })) {
  const p = await parseOne(raw, rules);
  const row = p.ok ? messageRow(p.message, raw, 'at') : null;
  process.stdout.write(JSON.stringify({ p, row }) + '\n');
  if (++n >= max) break;
}
