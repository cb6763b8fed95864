// A whole derivation in bounded memory: threads, answers and series of an archive of any size, concluded a chunk
// at a time and written to a scratch database (../store/derive-scratch.ts), then applied in one transaction.
//
// Chunks are made so that concluding each alone gives what concluding the archive at once gives:
//   - threads: a chunk is whole components of the reference graph (messages joined through References and
//     In-Reply-To, stored or not). The threader links only ids of one message's reference chain, so every thread
//     lies inside one component, and threading whole components gives the archive's threads (derive.ts's deriveNew
//     relies on the same). The patch a reply answers is found up its own thread: the same chunk.
//   - series: a chunk is whole groups of posters. findSeries groups and links only postings of one person (an
//     address, or a name seen with it: an address change), of one change-id, joined by a Supersedes pointer, or of a
//     backport's title (a backport names the earliest posting of its title); the groups are the components of those
//     relations, so each chunk holds everything findSeries could join.
// What stays in memory across chunks: a few 32-bit integers per message row (components, chunks, posters), a key per
// poster, change-id, Supersedes pointer and backport title. Between chunks and steps the garbage they leave is
// collected once the heap has grown (./collect-garbage.ts).
//
// Threads and series are concluded apart (neither reads what the other concludes), each into a scratch of its own:
// a bulk load concludes the threads on a thread of their own (./conclude-threads-worker.ts, its own connection)
// while this one concludes the series, so that derivation uses the second core the parse workers used; unless one
// group of posters is so large that the series step alone needs the memory (BESIDE_MAX_POSTINGS).
import { Worker } from 'node:worker_threads';
import type { Db } from '../store/db.ts';
import { collectGarbage, STEP_CEILING } from './collect-garbage.ts';
import { Components, chunksOf, type Chunks } from '../core/components.ts';
import { threadMessages } from '../core/threader.ts';
import { answeredBy } from '../core/acceptance.ts';
import { driftless, findSeries, type MessageHead } from '../core/series.ts';
import { personKey } from '../core/author.ts';
import {
  applyScratch, attachConcludedThreads, openSeriesScratch, openThreadsScratch, type AttachedScratch, type ScratchMessage,
  type ScratchSeries, type ScratchThread,
} from '../store/derive-scratch.ts';
import {
  type RowHead, maxMessageRow, readThreadHeadsOfRows, messageRows, posterLinks, readHeadsOfRows, referenceRows, subjectReader,
} from '../store/derive-readers.ts';

/** Messages a chunk holds (whole components: one may be larger). */
export const CHUNK_MESSAGES = 5_000;

/** A concluded derivation: both scratches attached, to be applied ({@link applyConcluded}); `close` removes them. */
export interface Concluded {
  close(): void;
}

const closing = (parts: AttachedScratch[]): Concluded => ({
  close() {
    for (const p of parts) p.close();
  },
});

/**
 * Conclude threads, answers and series into fresh scratches, one after the other on this thread (reads the archive,
 * writes only the scratches). The caller applies them ({@link applyConcluded}) and closes them.
 */
export function concludeWhole(db: Db, chunk = CHUNK_MESSAGES): Concluded {
  return concludeInTurn(db, chunk, planSeries(db, chunk));
}

function concludeInTurn(db: Db, chunk: number, plan: Chunks): Concluded {
  const threads = openThreadsScratch(db);
  let series: AttachedScratch | null = null;
  try {
    concludeThreads(db, threads, chunk);
    collectGarbage(STEP_CEILING);
    series = concludeSeries(db, plan);
    collectGarbage(STEP_CEILING);
    return closing([threads, series]);
  } catch (e) {
    threads.close();
    series?.close();
    throw e;
  }
}

/**
 * A series chunk of at most this many postings leaves room, within an ingest's 400 MB, for concluding the threads on
 * another thread meanwhile: that thread takes about 90 MB (an isolate, its connection, one chunk of threads), and
 * the series step about 2 KB a posting of its largest chunk (one poster's whole history: 65,000 postings, 150 MB).
 */
export const BESIDE_MAX_POSTINGS = 20_000;

/**
 * {@link concludeWhole} with the threads concluded on another thread, through a connection of its own, while this
 * one concludes the series: the archive's messages must not change meanwhile (a bulk load's). Only when the
 * series' largest chunk is small enough ({@link BESIDE_MAX_POSTINGS}): two steps at once hold what both hold, and a
 * poster with a long history makes the series step large. An in-memory database has one connection only. Otherwise
 * both are concluded in turn on this thread.
 */
export async function concludeWholeBeside(db: Db, chunk = CHUNK_MESSAGES, maxPostings = BESIDE_MAX_POSTINGS): Promise<Concluded> {
  const plan = planSeries(db, chunk);
  if (db.memory || largestChunk(plan) > maxPostings) return concludeInTurn(db, chunk, plan);
  const threadsDone = concludeThreadsElsewhere(db.name, chunk);
  let series: AttachedScratch | null = null;
  try {
    series = concludeSeries(db, plan);
    collectGarbage(STEP_CEILING);
    await threadsDone;
    return closing([attachConcludedThreads(db), series]);
  } catch (e) {
    series?.close();
    await threadsDone.catch(() => {});
    removeConcludedThreads(db);
    throw e;
  }
}

/** The threads scratch the other thread wrote, removed (a conclusion that failed). */
function removeConcludedThreads(db: Db): void {
  try {
    attachConcludedThreads(db).close();
  } catch {
    // none was left
  }
}

/** Run ./conclude-threads-worker.ts on the database file: resolves once its threads scratch is written and detached. */
function concludeThreadsElsewhere(dbFile: string, chunk: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let w: Worker;
    try {
      w = new Worker(new URL('./conclude-threads-entry.cjs', import.meta.url), {
        workerData: { dbFile, chunk },
        // one chunk at a time: its heap stays small
        resourceLimits: { maxYoungGenerationSizeMb: 16, maxOldGenerationSizeMb: 256 },
      });
    } catch (e) {
      reject(e as Error);
      return;
    }
    let failure: string | null = null;
    w.once('message', (m: string) => (failure = m));
    w.once('error', reject);
    w.once('exit', (code) => {
      if (failure !== null) reject(new Error(`concluding threads failed: ${failure}`));
      else if (code !== 0) reject(new Error(`the threads' thread exited with ${code}`));
      else resolve();
    });
  });
}

/** Apply both concluded scratches inside the caller's transaction; how many threads and series there are. */
export function applyConcluded(db: Db): { threads: number; series: number } {
  return applyScratch(db);
}

const time = (d: string | null) => (d ? Date.parse(d) : NaN);

/** Threads and answers, a chunk of whole reference components at a time, into the threads scratch. */
export function concludeThreads(db: Db, scratch: ReturnType<typeof openThreadsScratch>, chunk: number): void {
  const present = new Uint8Array(maxMessageRow(db) + 1);
  for (const row of messageRows(db)) present[row] = 1;
  const comps = new Components(present.length);
  // joined: a message and each stored message it refers to; messages referring to the same missing one
  let lastRef: string | null = null;
  let lastRow = 0;
  for (const [ref, row, target] of referenceRows(db)) {
    if (target !== null) comps.union(row, target);
    if (ref === lastRef) comps.union(row, lastRow);
    else { lastRef = ref; lastRow = row; }
  }
  const { order, starts } = chunksOf(comps, (x) => present[x] === 1, chunk);
  const subjectOf = subjectReader(db);
  for (let c = 0; c + 1 < starts.length; c++) {
    const heads = readThreadHeadsOfRows(db, order.subarray(starts[c], starts[c + 1]));
    const { threads, parentOf } = threadMessages(heads);
    const byId = new Map(heads.map((h) => [h.messageId, h]));
    const walked = new Map<string, string | null>();
    const outThreads: ScratchThread[] = [];
    const outMessages: ScratchMessage[] = [];
    for (const t of threads) {
      let lastDate: string | null = null;
      let earliest = NaN;
      t.members.forEach((id, pos) => {
        const h = byId.get(id)!;
        const d = h.date;
        if (d && (!lastDate || d > lastDate)) lastDate = d;
        const ms = time(d);
        if (!Number.isNaN(ms) && !(earliest <= ms)) earliest = ms;
        const answers = (!h.isPatch || h.kind === 'proposal') && h.kind !== 'cover' ? answeredBy(h, byId, parentOf, walked) : null;
        outMessages.push({ row: h.row, root: t.root, parent: parentOf.get(id) ?? null, pos, answers });
      });
      // threads are ordered as the threader orders them: by the root's date, a placeholder root by the earliest below
      const rootHead = t.rootIsPlaceholder ? undefined : byId.get(t.root);
      outThreads.push({
        root: t.root, subject: t.members.length ? (subjectOf(t.members[0]) ?? '') : '', size: t.members.length, lastDate,
        time: rootHead ? time(rootHead.date) : earliest,
      });
    }
    scratch.putThreads(outThreads, outMessages);
    collectGarbage(); // when the chunks' garbage has grown large
  }
}

const nameKey = (name: string) => `N:${name.toLowerCase().replace(/\s+/g, ' ').trim()}`;

/** Series, a chunk of whole poster groups at a time (`plan`), into a new series scratch attached to `db` (returned). */
function concludeSeries(db: Db, plan: Chunks): AttachedScratch {
  const scratch = openSeriesScratch(db);
  try {
    concludeSeriesInto(db, scratch, plan);
    return scratch;
  } catch (e) {
    scratch.close();
    throw e;
  }
}

/** The postings of the largest chunk of a series plan. */
const largestChunk = ({ starts }: Chunks) => starts.reduce((m, s, i) => (i ? Math.max(m, s - starts[i - 1]) : m), 0);

/** Chunks of whole groups of posters (of row ids of their postings), about `chunk` postings each. */
function planSeries(db: Db, chunk: number): Chunks {
  const rows = maxMessageRow(db) + 1;
  // groups of posters, as strings joined by a small union-find (a key per poster, not per message)
  const up = new Map<string, string>();
  const find = (k: string): string => {
    let r = k;
    for (let n = up.get(r); n !== undefined && n !== r; n = up.get(r)) r = n;
    for (let x = k, n = up.get(x); n !== undefined && n !== r; x = n, n = up.get(x)) up.set(x, r);
    if (!up.has(r)) up.set(r, r);
    return r;
  };
  const union = (a: string, b: string) => {
    const ra = find(a), rb = find(b);
    if (ra !== rb) up.set(ra < rb ? rb : ra, ra < rb ? ra : rb);
  };
  const links = posterLinks(db);
  // the posters, numbered as met, each row's poster by number; joined by name, change-id, Supersedes and backports
  const posterOfRow = new Int32Array(rows).fill(-1);
  const posters: string[] = [];
  const posterNumber = new Map<string, number>(); // "name\naddress" -> number
  const poster = (name: string, email: string) => {
    const k = `${name}\n${email}`;
    let n = posterNumber.get(k);
    if (n === undefined) {
      posterNumber.set(k, (n = posters.length));
      const p = `P:${personKey({ name, email })}`;
      posters.push(p);
      find(p);
      if (email && name.trim()) union(p, nameKey(name));
    }
    return n;
  };
  const supersedes: [number, string][] = [];
  const backportTitles = new Set<string>();
  for (const [row, name, email, changeId, supersedesId, backportTitle] of links.postings()) {
    const n = poster(name, email);
    posterOfRow[row] = n;
    if (changeId) union(posters[n], `C:${changeId}`);
    if (supersedesId) supersedes.push([n, supersedesId]);
    if (backportTitle !== null) backportTitles.add(driftless(backportTitle));
  }
  for (const [n, id] of supersedes) {
    const other = links.senderOf(id);
    if (other) union(posters[n], posters[poster(...other)]);
  }
  if (backportTitles.size) {
    for (const [name, email, title] of links.titles()) {
      const k = driftless(title);
      if (backportTitles.has(k)) union(posters[poster(name, email)], `T:${k}`);
    }
  }
  // each posting's group as a small integer (groups numbered as first met), then chunks of whole groups
  const groupOfPoster = new Int32Array(posters.length);
  const groupNumber = new Map<string, number>();
  posters.forEach((p, n) => {
    const r = find(p);
    let g = groupNumber.get(r);
    if (g === undefined) groupNumber.set(r, (g = groupNumber.size));
    groupOfPoster[n] = g;
  });
  const groupOf = new Int32Array(rows).fill(-1);
  for (let row = 0; row < rows; row++) if (posterOfRow[row] >= 0) groupOf[row] = groupOfPoster[posterOfRow[row]];
  up.clear();
  posterNumber.clear();
  // rows joined through their group: each group's first row stands for it
  const comps = new Components(rows);
  const firstRow = new Int32Array(groupNumber.size).fill(-1);
  for (let row = 0; row < rows; row++) {
    const g = groupOf[row];
    if (g < 0) continue;
    if (firstRow[g] < 0) firstRow[g] = row;
    else comps.union(row, firstRow[g]);
  }
  return chunksOf(comps, (x) => groupOf[x] >= 0, chunk);
}

function concludeSeriesInto(db: Db, scratch: ReturnType<typeof openSeriesScratch>, { order, starts }: Chunks): void {
  for (let c = 0; c + 1 < starts.length; c++) {
    const heads = readHeadsOfRows(db, order.subarray(starts[c], starts[c + 1]));
    collectGarbage(); // reading a poster's postings leaves as much garbage as they hold
    const rowOf = new Map(heads.map((h) => [h.messageId, h.row]));
    const headOf = new Map(heads.map((h) => [h.messageId, h]));
    const postings = findSeries(heads as MessageHead[]);
    collectGarbage(); // what grouping built besides the postings
    // each date parsed once (undated: last, as findSeries orders them)
    const times = new Map<RowHead, number>();
    const timeOf = (h: RowHead) => {
      let t = times.get(h);
      if (t === undefined) times.set(h, (t = h.date ? Date.parse(h.date) : Number.POSITIVE_INFINITY));
      return Number.isNaN(t) ? Number.POSITIVE_INFINITY : t;
    };
    const series: ScratchSeries[] = [];
    const members: [number, string][] = [];
    for (const p of postings) {
      // findSeries numbers postings as it makes them: covers first (by date, then id), then the others by their
      // first patch (by date, then id)
      let lead = p.cover ? headOf.get(p.cover)! : headOf.get(p.patches[0])!;
      let leadTime = timeOf(lead);
      if (!p.cover) {
        for (const id of p.patches) {
          const h = headOf.get(id)!;
          const t = timeOf(h);
          if (t < leadTime || (t === leadTime && h.messageId < lead.messageId)) { lead = h; leadTime = t; }
        }
      }
      series.push({
        anchor: p.anchor, title: p.title, version: p.version, total: p.total, cover: p.cover, authorName: p.author.name,
        authorEmail: p.author.email, date: p.date, complete: p.complete, chain: p.chain, previous: p.previous, next: p.next,
        link: p.link, backportOf: p.backportOf, coverless: !p.cover, time: leadTime, first: lead.messageId,
      });
      if (p.cover) members.push([rowOf.get(p.cover)!, p.anchor]);
      for (const id of p.patches) members.push([rowOf.get(id)!, p.anchor]);
    }
    scratch.putSeries(series, members);
    collectGarbage(); // when the chunks' garbage has grown large
  }
}
