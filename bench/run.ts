// npm run bench [-- --messages 100000] [--rounds 3] [--skip-http] [--skip-epoch]
// Figures are ratios against baselines measured in the same run (these machines are noisy); each phase runs
// in a process of its own so that its peak RSS is its own. Baseline and ingest alternate for --rounds rounds and
// each is taken at its fastest: noise on a shared machine only ever adds time, so the minimum is the estimate
// that noise disturbs least, and alternating exposes both to the same spells of it.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readMbox } from '../ingest/archive/mbox-reader.ts';
import { generateArchive, GENERATOR_VERSION } from './gen-archive.ts';
import { openDb } from '../ingest/store/db.ts';
import type { IngestSummary } from '../ingest/run/pipeline.ts';
import { reindex } from '../ingest/run/reindex.ts';
import { readWatchRulesData } from '../config/watch-rules.ts';
import { v8FlagsFor } from '../bin/runtime-flags.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const INGEST_FLAGS: string[] = v8FlagsFor(['ingest']);
const OUT = path.join(HERE, 'out');
const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const N = Number(arg('--messages', '100000'));
const ROUNDS = Math.max(1, Number(arg('--rounds', '3')));

/**
 * Run one phase in a child process (its own peak RSS), return what it printed. An ingest runs with the V8 flags
 * `relapse ingest` runs with on this machine (bin/runtime-flags.js); the baseline as a plain `node` process.
 */
function phase(...args: string[]): { seconds: number; messages: number; maxRssMb: number; summary?: IngestSummary } {
  const flags = args[0] === 'ingest' ? INGEST_FLAGS : [];
  const r = spawnSync(process.execPath, [...flags, '--import', 'tsx', path.join(HERE, 'phase.ts'), ...args], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`bench phase ${args[0]} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

/**
 * The archive as a public-inbox epoch (lore's format): a bare repository, one commit per message writing the blob
 * `m`, made by one `git fast-import` fed as the mbox is read.
 */
async function mboxToEpoch(archive: string, dir: string): Promise<void> {
  const partial = `${dir}.partial`;
  fs.rmSync(partial, { recursive: true, force: true });
  spawnSync('git', ['init', '--quiet', '--bare', '-b', 'master', partial]);
  const fi = spawn('git', ['-C', partial, 'fast-import', '--quiet'], { stdio: ['pipe', 'inherit', 'inherit'] });
  const exited = once(fi, 'close');
  const write = async (b: Buffer | string) => {
    if (!fi.stdin.write(b)) await once(fi.stdin, 'drain');
  };
  let n = 0;
  for await (const raw of readMbox(fs.createReadStream(archive, { highWaterMark: 1 << 16 }), { source: archive })) {
    n++;
    const t = 1_600_000_000 + n;
    await write(`blob\nmark :1\ndata ${raw.bytes.length}\n`);
    await write(raw.bytes);
    await write(`\ncommit refs/heads/master\nauthor a <a@example.org> ${t} +0000\ncommitter c <c@example.org> ${t} +0000\ndata 2\nm\ndeleteall\nM 100644 :1 m\n\n`);
  }
  fi.stdin.end();
  const [code] = await exited;
  if (code !== 0) throw new Error(`git fast-import failed (${code})`);
  // packed as lore serves it (fast-import's pack is not delta-compressed)
  spawnSync('git', ['-C', partial, 'repack', '-a', '-d', '-q']);
  fs.renameSync(partial, dir);
}

async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  const archive = path.join(OUT, `archive-${N}-v${GENERATOR_VERSION}.mbox`);
  if (!fs.existsSync(archive)) {
    const g = generateArchive(archive, { messages: N });
    console.log(`generated ${g.messages} messages, ${(g.bytes / 1e6).toFixed(1)} MB`);
  }
  const mb = fs.statSync(archive).size / 1e6;
  const figures: Record<string, unknown> = { messages: N, archiveMB: +mb.toFixed(1) };

  const dbOn = path.join(OUT, 'bench-on.db');
  const bases: ReturnType<typeof phase>[] = [];
  const ons: ReturnType<typeof phase>[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    bases.push(phase('baseline', archive));
    ons.push(phase('ingest', archive, dbOn));
    console.log(`round ${round}/${ROUNDS}: baseline ${bases[bases.length - 1].seconds.toFixed(1)} s, ingest ${ons[ons.length - 1].seconds.toFixed(1)} s`);
  }
  const fastest = (runs: ReturnType<typeof phase>[]) => runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  const base = fastest(bases);
  const on = fastest(ons);
  const baseRate = base.messages / base.seconds;
  figures.baseline = {
    what: 'mailparser simpleParser, default options, one thread, no storage', msgPerSec: Math.round(baseRate), seconds: +base.seconds.toFixed(1),
    runs: bases.map((r) => +r.seconds.toFixed(1)), peakRssMb: Math.max(...bases.map((r) => r.maxRssMb)),
  };
  console.log('baseline', figures.baseline);

  const onRate = on.messages / on.seconds;
  figures.ingest = {
    what: 'relapse ingest: parse (2 worker threads), thread, series, diff, call index, store, detection',
    v8Flags: INGEST_FLAGS,
    msgPerSec: Math.round(onRate), MBPerSec: +(mb / on.seconds).toFixed(1), seconds: +on.seconds.toFixed(1), runs: ons.map((r) => +r.seconds.toFixed(1)),
    // the largest of the runs: memory is not a noise the minimum should hide
    peakRssMb: Math.max(...ons.map((r) => r.maxRssMb)),
    ratioToBaseline: +(onRate / baseRate).toFixed(2),
    // each round's own ratio, for how far the noise moves it
    roundRatios: ons.map((r, i) => +((r.messages / r.seconds) / (bases[i].messages / bases[i].seconds)).toFixed(2)),
    goal: '>= 2.0, peak RSS < 400 MB', patches: on.summary?.patches, series: on.summary?.series,
  };
  console.log('ingest (detection on)', figures.ingest);

  const off = phase('ingest', archive, path.join(OUT, 'bench-off.db'), '--no-detection');
  figures.detectionOverhead = { secondsOn: +on.seconds.toFixed(1), secondsOff: +off.seconds.toFixed(1), ratioOnToOff: +(on.seconds / off.seconds).toFixed(3), goal: '<= 1.15' };
  console.log('detection on vs off', figures.detectionOverhead);

  if (!process.argv.includes('--skip-epoch')) {
    // the same archive as a public-inbox epoch (read through git) against the mbox, alternating, each at its fastest
    const epoch = path.join(OUT, `archive-${N}-v${GENERATOR_VERSION}.git`);
    if (!fs.existsSync(epoch)) await mboxToEpoch(archive, epoch);
    const mboxRuns: ReturnType<typeof phase>[] = [];
    const epochRuns: ReturnType<typeof phase>[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      mboxRuns.push(phase('ingest', archive, path.join(OUT, 'bench-mbox.db')));
      epochRuns.push(phase('ingest', epoch, path.join(OUT, 'bench-epoch.db')));
      console.log(`epoch round ${round}/${ROUNDS}: mbox ${mboxRuns[round - 1].seconds.toFixed(1)} s, epoch ${epochRuns[round - 1].seconds.toFixed(1)} s`);
    }
    const m = fastest(mboxRuns);
    const e = fastest(epochRuns);
    figures.publicInbox = {
      what: 'relapse ingest of the archive as a public-inbox epoch (git fast-export) vs as the mbox, detection on',
      mboxMsgPerSec: Math.round(m.messages / m.seconds), epochMsgPerSec: Math.round(e.messages / e.seconds),
      mboxRuns: mboxRuns.map((r) => +r.seconds.toFixed(1)), epochRuns: epochRuns.map((r) => +r.seconds.toFixed(1)),
      epochMessages: e.messages, ratioToMbox: +((e.messages / e.seconds) / (m.messages / m.seconds)).toFixed(2),
      // each round's own ratio, for how far the noise moves it
      roundRatios: epochRuns.map((r, i) => +((r.messages / r.seconds) / (mboxRuns[i].messages / mboxRuns[i].seconds)).toFixed(2)),
      peakRssMb: Math.max(...epochRuns.map((r) => r.maxRssMb)), goal: '>= 0.90',
    };
    console.log('public-inbox epoch vs mbox', figures.publicInbox);
  }

  const db = openDb(dbOn);
  const t0 = process.hrtime.bigint();
  const re = reindex(db, readWatchRulesData());
  const reSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  db.close();
  figures.detection = { what: 'relapse reindex: call index of every patch + fix and regression rules', patches: re.patches, seconds: +reSeconds.toFixed(2), msPer1000Patches: +((reSeconds * 1e6) / Math.max(1, re.patches)).toFixed(1) };
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
