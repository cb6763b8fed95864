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
import type { Db } from '../store/db.ts';
import { collectGarbage, STEP_CEILING } from './collect-garbage.ts';
import { Components, chunksOf } from '../core/components.ts';
import { threadMessages } from '../core/threader.ts';
import { answeredBy } from '../core/acceptance.ts';
import { driftless, findSeries, type MessageHead } from '../core/series.ts';
import { personKey } from '../core/author.ts';
import { openScratch, applyScratch, type ScratchMessage, type ScratchSeries, type ScratchThread } from '../store/derive-scratch.ts';
import {
  type RowHead, maxMessageRow, readThreadHeadsOfRows, messageRows, posterLinks, readHeadsOfRows, referenceRows, subjectReader,
} from '../store/derive-readers.ts';

/** Messages a chunk holds (whole components: one may be larger). */
export const CHUNK_MESSAGES = 5_000;

export type Scratch = ReturnType<typeof openScratch>;

/**
 * Conclude threads, answers and series into a fresh scratch (reads the archive, writes only the scratch). The
 * caller applies it ({@link applyConcluded}) and closes it.
 */
export function concludeWhole(db: Db, chunk = CHUNK_MESSAGES): Scratch {
  const scratch = openScratch(db);
  try {
    const maxRow = maxMessageRow(db);
    const present = new Uint8Array(maxRow + 1);
    for (const row of messageRows(db)) present[row] = 1;
    concludeThreads(db, scratch, present, chunk);
    collectGarbage(STEP_CEILING);
    concludeSeries(db, scratch, present.length, chunk);
    collectGarbage(STEP_CEILING);
    return scratch;
  } catch (e) {
    scratch.close();
    throw e;
  }
}

/** Apply a concluded scratch inside the caller's transaction; how many threads and series there are. */
export function applyConcluded(db: Db): { threads: number; series: number } {
  return applyScratch(db);
}

const time = (d: string | null) => (d ? Date.parse(d) : NaN);

function concludeThreads(db: Db, scratch: Scratch, present: Uint8Array, chunk: number): void {
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

function concludeSeries(db: Db, scratch: Scratch, rows: number, chunk: number): void {
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
  const { order, starts } = chunksOf(comps, (x) => groupOf[x] >= 0, chunk);
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
