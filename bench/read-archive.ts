// Reads an archive through its reader alone (no parsing, no store) and reports wall time and CPU, this process's
// and its children's (git), to compare the readers: `node --import tsx bench/read-archive.ts mbox|epoch PATH`.
// Children's CPU is read from /proc/self/stat's cutime/cstime (waited-for children), so it is Linux only.
import { createReadStream, readFileSync } from 'node:fs';
import { readMbox } from '../ingest/archive/mbox-reader.ts';
import { openEpoch } from '../ingest/archive/public-inbox.ts';

const [kind, path] = process.argv.slice(2);
if ((kind !== 'mbox' && kind !== 'epoch') || !path) {
  console.error('usage: read-archive.ts mbox|epoch PATH');
  process.exit(2);
}

/** user+system CPU seconds of the children waited for (fields 16 and 17 of /proc/self/stat, in clock ticks). */
function childrenCpu(): number {
  const stat = readFileSync('/proc/self/stat', 'latin1');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) / 100;
}

const t0 = performance.now();
const c0 = process.cpuUsage();
const k0 = childrenCpu();
let n = 0;
let bytes = 0;
const messages = kind === 'mbox'
  ? readMbox(createReadStream(path, { highWaterMark: 1 << 20 }), { source: path })
  : (await openEpoch(path)).messages;
for await (const m of messages) {
  n++;
  bytes += m.bytes.length;
}
const wall = (performance.now() - t0) / 1000;
const c = process.cpuUsage(c0);
const self = (c.user + c.system) / 1e6;
const kids = childrenCpu() - k0;
console.log(JSON.stringify({ kind, messages: n, mb: +(bytes / 1e6).toFixed(1), wall: +wall.toFixed(2), cpuSelf: +self.toFixed(2), selfUser: +(c.user / 1e6).toFixed(2), selfSys: +(c.system / 1e6).toFixed(2), cpuChildren: +kids.toFixed(2), cpu: +(self + kids).toFixed(2) }));
