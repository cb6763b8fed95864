// One benchmark phase in a process of its own, so its peak RSS is its own:
//   node --import tsx bench/phase.ts baseline ARCHIVE
//   node --import tsx bench/phase.ts ingest ARCHIVE DB [--no-detection]   (ARCHIVE: an mbox, or a public-inbox epoch)
// Prints one JSON line: { seconds, messages, maxRssMb, ... }.
import fs from 'node:fs';
import { simpleParser } from 'mailparser';
import { readMbox } from '../ingest/archive/mbox-reader.ts';
import { openDb } from '../ingest/store/db.ts';
import { ingestPaths } from '../ingest/run/pipeline.ts';
import { readWatchRulesData } from '../config/watch-rules.ts';

const [phase, archive, dbFile] = process.argv.slice(2);
const t0 = process.hrtime.bigint();
const seconds = () => Number(process.hrtime.bigint() - t0) / 1e9;
const maxRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

if (phase === 'baseline') {
  let messages = 0;
  for await (const raw of readMbox(fs.createReadStream(archive, { highWaterMark: 1 << 16 }), { source: archive })) {
    await simpleParser(raw.bytes);
    messages++;
  }
  console.log(JSON.stringify({ seconds: seconds(), messages, maxRssMb: maxRssMb() }));
} else if (phase === 'ingest') {
  for (const f of [dbFile, dbFile + '-wal', dbFile + '-shm']) fs.rmSync(f, { force: true });
  const db = openDb(dbFile);
  const s = await ingestPaths(db, [archive], { rulesData: readWatchRulesData(), skipIndex: process.argv.includes('--no-detection') });
  db.close();
  console.log(JSON.stringify({ seconds: seconds(), messages: s.new + s.duplicate + s.quarantined, maxRssMb: maxRssMb(), summary: s }));
} else {
  console.error('usage: phase.ts baseline ARCHIVE | ingest ARCHIVE DB [--no-detection]');
  process.exit(2);
}
