// CPU per message of each stage of a worker's parse, each stage timed alone over the same messages and taken at
// its fastest of several rounds (a shared machine's noise only adds time):
//   node --import tsx bench/profile-stages.ts [--messages 20000] [--rounds 5] [--archive FILE]
// Stages: readMail (MIME), interpretMail (core/message.ts), indexCalls (call-index.ts), messageRow (the row
// store.ts binds). Storing itself is measured by bench/profile-parse.ts.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readMbox } from '../ingest/archive/mbox-reader.ts';
import { readMail } from '../ingest/mail/read-mail.ts';
import { interpretMail } from '../ingest/core/message.ts';
import { indexCalls } from '../ingest/core/call-index.ts';
import { compileWatchRule } from '../ingest/core/watch.ts';
import { messageRow } from '../ingest/store/message-row.ts';
import { readWatchRulesData, validateWatchRules } from '../config/watch-rules.ts';
import type { Message, ParsedMail, RawMessage } from '../ingest/core/model.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const N = Number(arg('--messages', '20000'));
const ROUNDS = Number(arg('--rounds', '5'));
const ARCHIVE = arg('--archive', path.join(HERE, 'out', 'archive-100000-v2.mbox'));

const raws: RawMessage[] = [];
for await (const raw of readMbox(fs.createReadStream(ARCHIVE, { highWaterMark: 1 << 16 }), { source: ARCHIVE })) {
  raws.push(raw);
  if (raws.length >= N) break;
}
const rules = validateWatchRules(readWatchRulesData());
const compiled = rules.map(compileWatchRule);
const diffLinesOf = (names: string[]) => names.some((n) => compiled.some((r) => r.matchesFile(n)));

const us = (u: NodeJS.CpuUsage) => u.user + u.system;
const best: Record<string, number> = {};
const time = async (stage: string, f: () => unknown): Promise<void> => {
  const c = process.cpuUsage();
  await f();
  const t = us(process.cpuUsage(c)) / raws.length;
  best[stage] = Math.min(best[stage] ?? Infinity, t);
};

let mails: (ParsedMail | string)[] = [];
let messages: Message[] = [];
for (let r = 0; r < ROUNDS; r++) {
  await time('readMail', async () => {
    mails = [];
    for (const raw of raws) mails.push(await readMail(raw.bytes));
  });
  await time('interpretMail', () => {
    messages = [];
    raws.forEach((raw, i) => {
      const m = mails[i];
      if (typeof m === 'string') return;
      const p = interpretMail(raw, m, { diffLinesOf });
      if ('message' in p) messages.push(p.message);
    });
  });
  await time('indexCalls', () => {
    for (const m of messages) if (m.isPatch) indexCalls(m.messageId, m.diff, rules);
  });
  await time('messageRow', () => {
    for (let i = 0; i < messages.length; i++) messageRow(messages[i], raws[i], 'x');
  });
}
const out: Record<string, number> = {};
let total = 0;
for (const [k, v] of Object.entries(best)) {
  out[k] = +v.toFixed(2);
  total += v;
}
console.log(JSON.stringify({ messages: raws.length, bestCpuUsPerMessage: { ...out, total: +total.toFixed(2) } }));
