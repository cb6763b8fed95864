// One ingest worker's work without threads, to profile and to measure CPU per message:
//   node [--cpu-prof] [--max-semi-space-size=N] --import tsx bench/profile-parse.ts [--messages 25000] [--archive FILE]
//     [--parse-only] [--retain K]
// Reads the first messages of the benchmark's archive (bench/out/archive-100000-v2.mbox), then does what
// ingest/run/batch-worker.ts does per batch of 256 (parseOne over the batch, Store.addBatch into a temporary
// SQLite file opened as a bulk load's worker opens it, its indexes deferred as the pipeline defers them), and
// prints the CPU time per message of parsing and of storing, and the time spent collecting garbage. `--retain K`
// keeps the last K batches' parse results alive, as a worker keeps batches that wait for their turn to commit.
import fs from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readMbox } from '../ingest/archive/mbox-reader.ts';
import { openDb, deferIndexes } from '../ingest/store/db.ts';
import { Store } from '../ingest/store/store.ts';
import { parseOne, type Parsed } from '../ingest/run/parse-one.ts';
import { readWatchRulesData, validateWatchRules } from '../config/watch-rules.ts';
import { rulesHash } from '../ingest/core/watch.ts';
import type { RawMessage } from '../ingest/core/model.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const N = Number(arg('--messages', '25000'));
const ARCHIVE = arg('--archive', path.join(HERE, 'out', 'archive-100000-v2.mbox'));
const PARSE_ONLY = process.argv.includes('--parse-only');
const RETAIN = Number(arg('--retain', '0'));
const BATCH = 256;
const IN_FLIGHT = 8;

const raws: RawMessage[] = [];
for await (const raw of readMbox(fs.createReadStream(ARCHIVE, { highWaterMark: 1 << 16 }), { source: ARCHIVE })) {
  raws.push(raw);
  if (raws.length >= N) break;
}

const rulesData = readWatchRulesData();
const rules = validateWatchRules(rulesData);
const hash = rulesHash(rulesData);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'relapse-profile-'));
const dbFile = path.join(dir, 'profile.db');
const main = openDb(dbFile);
deferIndexes(main);
const db = openDb(dbFile, { bulkLoad: true, autocheckpoint: false });
const store = new Store(db);

const us = (u: NodeJS.CpuUsage) => u.user + u.system;
let gcMs = 0;
const gc = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcMs += e.duration;
});
gc.observe({ entryTypes: ['gc'] });
const retained: Parsed[][] = [];
let parseCpu = 0;
let storeCpu = 0;
const t0 = process.hrtime.bigint();
for (let b = 0; b < raws.length; b += BATCH) {
  const batch = raws.slice(b, b + BATCH);
  const parsed: Parsed[] = new Array(batch.length);
  let c = process.cpuUsage();
  for (let i = 0; i < batch.length; i += IN_FLIGHT) {
    const out = await Promise.all(batch.slice(i, i + IN_FLIGHT).map((raw) => parseOne(raw, rules)));
    out.forEach((p, k) => (parsed[i + k] = p));
  }
  parseCpu += us(process.cpuUsage(c));
  if (RETAIN) {
    retained.push(parsed);
    if (retained.length > RETAIN) retained.shift();
  }
  if (PARSE_ONLY) continue;
  c = process.cpuUsage();
  store.addBatch(batch, parsed, hash, null);
  storeCpu += us(process.cpuUsage(c));
}
const wall = Number(process.hrtime.bigint() - t0) / 1e9;
await new Promise((resolve) => setTimeout(resolve, 100)); // the gc entries are handed over later
gc.disconnect();
db.close();
main.close();
fs.rmSync(dir, { recursive: true, force: true });
const per = (x: number) => +(x / raws.length).toFixed(1);
console.log(JSON.stringify({
  messages: raws.length, wallSeconds: +wall.toFixed(2),
  cpuUsPerMessage: { parse: per(parseCpu), store: per(storeCpu), total: per(parseCpu + storeCpu) },
  gcUsPerMessage: per(gcMs * 1000),
}));
