// npm run bench [-- --messages 100000] [--skip-http]
// Figures are ratios against baselines measured in the same process: these machines are noisy.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { simpleParser } from 'mailparser';
import { generateArchive } from './gen-archive.ts';
import { readMbox } from '../ingest/mbox-reader.ts';
import { openDb } from '../ingest/db.ts';
import { ingestPaths } from '../ingest/pipeline.ts';
import { reindex } from '../ingest/reindex.ts';
import { readWatchRulesData } from '../config/watch-rules.ts';

const OUT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'out');
const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const N = Number(arg('--messages', '100000'));

/** Peak RSS while `fn` runs, sampled every 50 ms. */
async function measure<T>(fn: () => Promise<T>): Promise<{ result: T; seconds: number; peakRssMb: number }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 50);
  const t0 = process.hrtime.bigint();
  try {
    const result = await fn();
    return { result, seconds: Number(process.hrtime.bigint() - t0) / 1e9, peakRssMb: Math.round(Math.max(peak, process.memoryUsage().rss) / 1048576) };
  } finally {
    clearInterval(timer);
  }
}

async function baseline(file: string): Promise<number> {
  let n = 0;
  for await (const raw of readMbox(fs.createReadStream(file, { highWaterMark: 1 << 16 }), { source: file })) {
    await simpleParser(raw.bytes);
    n++;
  }
  return n;
}

async function ingestOnce(file: string, dbFile: string, detection: boolean) {
  for (const f of [dbFile, dbFile + '-wal', dbFile + '-shm']) fs.rmSync(f, { force: true });
  const db = openDb(dbFile);
  try {
    return await ingestPaths(db, [file], { rulesData: readWatchRulesData(), skipIndex: !detection });
  } finally {
    db.close();
  }
}

async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  const archive = path.join(OUT, `archive-${N}.mbox`);
  if (!fs.existsSync(archive)) {
    const g = generateArchive(archive, { messages: N });
    console.log(`generated ${g.messages} messages, ${(g.bytes / 1e6).toFixed(1)} MB`);
  }
  const mb = fs.statSync(archive).size / 1e6;
  const figures: Record<string, unknown> = { messages: N, archiveMB: +mb.toFixed(1) };

  const base = await measure(() => baseline(archive));
  const baseRate = base.result / base.seconds;
  figures.baseline = { what: 'mailparser simpleParser, default options, one thread, no storage', msgPerSec: Math.round(baseRate), seconds: +base.seconds.toFixed(1) };
  console.log('baseline', figures.baseline);

  const dbOn = path.join(OUT, 'bench-on.db');
  const on = await measure(() => ingestOnce(archive, dbOn, true));
  const onRate = (on.result.new + on.result.duplicate + on.result.quarantined) / on.seconds;
  figures.ingest = {
    msgPerSec: Math.round(onRate), MBPerSec: +(mb / on.seconds).toFixed(1), seconds: +on.seconds.toFixed(1), peakRssMb: on.peakRssMb,
    ratioToBaseline: +(onRate / baseRate).toFixed(2), patches: on.result.patches, series: on.result.series,
    regressions: on.result.derive?.regressions,
  };
  console.log('ingest (detection on)', figures.ingest);

  const off = await measure(() => ingestOnce(archive, path.join(OUT, 'bench-off.db'), false));
  figures.detectionOverhead = { secondsOn: +on.seconds.toFixed(1), secondsOff: +off.seconds.toFixed(1), ratioOnToOff: +(on.seconds / off.seconds).toFixed(3), goal: '<= 1.15' };
  console.log('detection on vs off', figures.detectionOverhead);

  const db = openDb(dbOn);
  const re = await measure(async () => reindex(db, readWatchRulesData()));
  db.close();
  figures.detection = { patches: re.result.patches, seconds: +re.seconds.toFixed(2), msPer1000Patches: +((re.seconds * 1000 * 1000) / Math.max(1, re.result.patches)).toFixed(1) };
  console.log('detection (reindex)', figures.detection);

  if (!process.argv.includes('--skip-http')) {
    try {
      const { benchHttp } = await import('./http.ts');
      figures.http = await benchHttp(dbOn);
      console.log('http', figures.http);
    } catch (e) {
      console.log('http bench unavailable:', (e as Error).message);
    }
  }
  fs.writeFileSync(path.join(OUT, 'figures.json'), JSON.stringify(figures, null, 2));
  console.log(JSON.stringify(figures, null, 2));
}

await main();
