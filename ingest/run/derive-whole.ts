// A whole derivation in bounded memory: threads, answers and series of an archive of any size, concluded a chunk
// at a time and written to a scratch database (../store/derive-scratch.ts), then applied in one transaction.
//
// Chunks are made so that concluding each alone gives what concluding the archive at once gives:
//   - threads: a chunk is whole components of the reference graph (messages joined through References and
//     In-Reply-To, stored or not). The threader links only ids of one message's reference chain, so every thread
//     lies inside one component, and threading whole components gives the archive's threads (derive.ts's deriveNew
//     relies on the same). The patch a reply answers is found up its own thread: the same chunk.
//   - series: postings are grouped (series.ts's groupPostings) and linked as versions (linkVersions) only within
//     a group of posters: postings of one person (an address, or a name seen with it: an address change), of one
//     change-id, joined by a Supersedes pointer, or of a backport's title (a backport names the earliest posting of
//     its title); the groups are the components of those relations. A range of groups of up to HEADS_MAX_POSTINGS
//     postings is concluded at once from their heads (findSeries). A larger one (a poster with a long history:
//     130,000 patches and covers at 2,000,000 generated messages) is concluded in two passes, neither of which
//     holds its heads: grouping, a chunk of whole components of the postings joined through their references to
//     each other and of those of one author, version and size each sent within six hours of the one before it (the
//     only relations grouping crosses), each posting written with a summary of what linking reads of it
//     (LinkSummary: titles, version, date, change-id, what its head answers or supersedes); then linking, a chunk of
//     whole sets of postings linkVersions could join (sharing a key of joiningKeys, its posters named by personIds
//     over the whole group in linking order; a backport's title; what a head answers or supersedes; a partial
//     resend), read back as summaries. A posting a head names is found through the scratch.
// What stays in memory across chunks: a few 32-bit integers per message row (components, chunks, groups), a key per
// poster, change-id, Supersedes pointer, backport title and author/version/size. Between chunks and steps the
// garbage they leave is collected once the heap has grown (./collect-garbage.ts).
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
import {
  COVERLESS_WINDOW_MS, driftless, findSeries, groupPostings, joiningKeys, linkSummary, linkVersions, personIds, type GroupedPosting,
  type LinkSummary, type MessageHead, type Posting,
} from '../core/series.ts';
import { personKey } from '../core/author.ts';
import {
  applyScratch, attachConcludedThreads, openSeriesScratch, openThreadsScratch, type AttachedScratch, type ScratchLinks,
  type ScratchMessage, type ScratchSeries, type ScratchThread,
} from '../store/derive-scratch.ts';
import {
  type RowHead, maxMessageRow, readThreadHeadsOfRows, messageRows, posterLinks, postingReferences, postingShapes, readHeadsOfRows,
  referenceRows, subjectReader,
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
export function concludeWhole(db: Db, chunk = CHUNK_MESSAGES, headsMax = HEADS_MAX_POSTINGS): Concluded {
  return concludeInTurn(db, chunk, planSeries(db, chunk, headsMax));
}

function concludeInTurn(db: Db, chunk: number, plan: SeriesPlan): Concluded {
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
 * A linking chunk of at most this many postings (patches and covers) leaves room, within an ingest's 400 MB, for
 * concluding the threads on another thread meanwhile: that thread takes about 90 MB (an isolate, its connection,
 * one chunk of threads), and the series step grows with its largest group of posters (one poster's whole history).
 */
export const BESIDE_MAX_POSTINGS = 20_000;

/**
 * {@link concludeWhole} with the threads concluded on another thread, through a connection of its own, while this
 * one concludes the series: the archive's messages must not change meanwhile (a bulk load's). Only when the
 * series' largest linking chunk is small enough ({@link BESIDE_MAX_POSTINGS}): two steps at once hold what both hold, and a
 * poster with a long history makes the series step large. An in-memory database has one connection only. Otherwise
 * both are concluded in turn on this thread.
 */
export async function concludeWholeBeside(db: Db, chunk = CHUNK_MESSAGES, maxPostings = BESIDE_MAX_POSTINGS): Promise<Concluded> {
  const plan = planSeries(db, chunk);
  if (db.memory || largestRange(plan) > maxPostings) return concludeInTurn(db, chunk, plan);
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

/** Chunks of whole components of the reference graph (of row ids of the messages). */
function threadChunks(db: Db, chunk: number): Chunks {
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
  return chunksOf(comps, (x) => present[x] === 1, chunk);
}

/** Threads and answers, a chunk of whole reference components at a time, into the threads scratch. */
export function concludeThreads(db: Db, scratch: ReturnType<typeof openThreadsScratch>, chunk: number): void {
  const { order, starts } = threadChunks(db, chunk);
  collectGarbage(); // the components' arrays, before the chunks are read
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

/**
 * A range of groups of posters of at most this many postings (patches and covers) is concluded from its heads at
 * once (series.ts's findSeries: about 2.3 KB of heap a posting, 46 MB at most); a larger one (a poster with a long
 * history) in two passes, from heads a grouping chunk at a time and then from summaries (a few hundred bytes a posting),
 * a chunk of postings that could be joined at a time.
 * Two passes cost more time (the summaries are written and read back): at 100,000 messages, where no group is
 * larger, they would add about 0.45 s (threads and series concluded in 3.4 s instead of 2.95).
 */
export const HEADS_MAX_POSTINGS = 20_000;

/** Series into a new series scratch attached to `db` (returned): each range of groups of `plan` as its size asks. */
function concludeSeries(db: Db, plan: SeriesPlan): AttachedScratch {
  const scratch = openSeriesScratch(db);
  try {
    const large = plan.ranges.filter(([, , rows]) => rows > plan.headsMax);
    for (const range of plan.ranges) if (range[2] <= plan.headsMax) concludeFromHeads(db, scratch, plan, range);
    if (large.length) {
      collectGarbage(STEP_CEILING);
      const linked = new Uint8Array(plan.sizes.length);
      for (const [first, last] of large) linked.fill(1, first, last + 1);
      groupSeriesInto(db, scratch, plan, (row) => linked[plan.groupOf[row]] === 1);
      collectGarbage(STEP_CEILING);
      linkSeriesInto(scratch, plan.chunk);
    }
    return scratch;
  } catch (e) {
    scratch.close();
    throw e;
  }
}

/**
 * The postings' groups of posters: each posting row's group number (-1: not a posting), each group's size, the
 * rows in group order (`order`, group g's from `offsets[g]`), and ranges of consecutive groups of about `chunk`
 * postings each ([first group, last group, postings]; a larger group is a range of its own).
 */
interface SeriesPlan {
  groupOf: Int32Array;
  sizes: Int32Array;
  order: Int32Array;
  offsets: Int32Array;
  ranges: [number, number, number][];
  chunk: number;
  headsMax: number;
}

/** The postings of the largest range of groups. */
const largestRange = ({ ranges }: SeriesPlan) => ranges.reduce((m, [, , rows]) => Math.max(m, rows), 0);

/**
 * Group posters into the groups linkVersions may join postings across (by name, change-id, Supersedes and backport
 * titles, see the header), numbered as first met.
 */
function planSeries(db: Db, chunk: number, headsMax = HEADS_MAX_POSTINGS): SeriesPlan {
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
  // each posting's group as a small integer (groups numbered as first met)
  const groupOfPoster = new Int32Array(posters.length);
  const groupNumber = new Map<string, number>();
  posters.forEach((p, n) => {
    const r = find(p);
    let g = groupNumber.get(r);
    if (g === undefined) groupNumber.set(r, (g = groupNumber.size));
    groupOfPoster[n] = g;
  });
  const groupOf = posterOfRow; // in place: a row's poster becomes its group
  const sizes = new Int32Array(groupNumber.size);
  for (let row = 0; row < rows; row++) {
    if (posterOfRow[row] < 0) continue;
    groupOf[row] = groupOfPoster[posterOfRow[row]];
    sizes[groupOf[row]]++;
  }
  // the rows in group order (a counting sort), and ranges of groups
  const offsets = new Int32Array(sizes.length + 1);
  for (let g = 0; g < sizes.length; g++) offsets[g + 1] = offsets[g] + sizes[g];
  const order = new Int32Array(offsets[sizes.length]);
  const next = offsets.slice(0, sizes.length);
  for (let row = 0; row < rows; row++) if (groupOf[row] >= 0) order[next[groupOf[row]]++] = row;
  const ranges: [number, number, number][] = [];
  for (let g = 0, first = 0, n = 0; g < sizes.length; g++) {
    n += sizes[g];
    if (n >= chunk || g === sizes.length - 1) {
      ranges.push([first, g, n]);
      first = g + 1;
      n = 0;
    }
  }
  return { groupOf, sizes, order, offsets, ranges, chunk, headsMax };
}

/**
 * Chunks of postings that group alone as they group together (series.ts's groupPostings): whole components of
 * the postings joined through their references to each other, and of those of one author, version and size each
 * sent within the window of the one before it.
 */
function groupingChunks(db: Db, { groupOf, chunk }: SeriesPlan, taken: (row: number) => boolean): Chunks {
  const comps = new Components(groupOf.length);
  for (const [row, target] of postingReferences(db)) comps.union(row, target);
  joinByShape(db, comps);
  collectGarbage(); // the shapes' arrays, before the chunks' are made
  return chunksOf(comps, (x) => groupOf[x] >= 0 && taken(x), chunk);
}

/** Join postings of one author, version and size each sent within the grouping window of the one before it. */
function joinByShape(db: Db, comps: Components): void {
  // one author, version and size: numbered; the postings that say their size, with their shape and minute (to the
  // minute: a window one minute wider joins all that the window joins, and more, which only makes chunks larger)
  const shapeNumber = new Map<string, number>();
  let rows = new Int32Array(1 << 16), shapes = new Int32Array(1 << 16), minutes = new Int32Array(1 << 16);
  let n = 0;
  for (const [row, name, email, version, total, date] of postingShapes(db)) {
    if (n === rows.length) [rows, shapes, minutes] = [rows, shapes, minutes].map((a) => { const b = new Int32Array(2 * a.length); b.set(a); return b; });
    const k = `${personKey({ name, email })}|${version}|${total}`;
    let shape = shapeNumber.get(k);
    if (shape === undefined) shapeNumber.set(k, (shape = shapeNumber.size));
    const t = date ? Date.parse(date) : NaN;
    rows[n] = row;
    shapes[n] = shape;
    // (beyond what 32 bits hold, a date is held at the bound: those there are joined, which only makes chunks larger)
    minutes[n] = Number.isNaN(t) ? UNDATED : Math.min(Math.max(Math.floor(t / 60_000), -(2 ** 31)), UNDATED - 1);
    n++;
  }
  shapeNumber.clear();
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => shapes[a] - shapes[b] || minutes[a] - minutes[b] || rows[a] - rows[b]);
  for (let i = 1; i < n; i++) {
    const a = order[i - 1], b = order[i];
    if (shapes[a] === shapes[b] && minutes[b] !== UNDATED && minutes[b] - minutes[a] <= WINDOW_MINUTES) comps.union(rows[a], rows[b]);
  }
}

/** The grouping window in whole minutes, one more than it spans (a time read to the minute is up to one early). */
const WINDOW_MINUTES = COVERLESS_WINDOW_MS / 60_000 + 1;
/** An undated posting's minute: after every dated one, and joined to none by time. */
const UNDATED = 2 ** 31 - 1;

type SeriesScratch = ReturnType<typeof openSeriesScratch>;

/** A range of groups of posters concluded at once from the heads of its postings (series.ts's findSeries). */
function concludeFromHeads(db: Db, scratch: SeriesScratch, plan: SeriesPlan, [first, last]: [number, number, number]): void {
  const heads = readHeadsOfRows(db, plan.order.subarray(plan.offsets[first], plan.offsets[last + 1]));
  collectGarbage(); // reading a poster's postings leaves as much garbage as they hold
  const { series, members } = scratchRows(findSeries(heads as MessageHead[]), heads);
  collectGarbage(); // what grouping built besides the postings
  scratch.putSeries(series, members);
  collectGarbage(); // when the chunks' garbage has grown large
}

/**
 * First pass of a range of groups too large to conclude from heads at once: postings grouped a chunk at a time,
 * written unlinked (each its own chain) with what linking reads of them, under their group of posters.
 */
function groupSeriesInto(db: Db, scratch: SeriesScratch, plan: SeriesPlan, taken: (row: number) => boolean): void {
  const { order, starts } = groupingChunks(db, plan, taken);
  for (let c = 0; c + 1 < starts.length; c++) {
    const heads = readHeadsOfRows(db, order.subarray(starts[c], starts[c + 1]));
    const postings = groupPostings(heads as MessageHead[]);
    const headOf = new Map(heads.map((h) => [h.messageId, h]));
    const links = postings.map((p): [number, string, number, string] =>
      [plan.groupOf[headOf.get(p.anchor)!.row], p.anchor, time(p.date), JSON.stringify(linkSummary(p, headOf))]);
    const { series, members } = scratchRows(postings, heads);
    scratch.putSeries(series, members, links);
    collectGarbage(); // when the chunks' garbage has grown large
  }
  scratch.grouped();
}

/** Series rows (unlinked ones: each its own chain) and their members' rows, from postings and their heads. */
function scratchRows(postings: (Posting | GroupedPosting)[], heads: RowHead[]): { series: ScratchSeries[]; members: [number, string][] } {
  const headOf = new Map(heads.map((h) => [h.messageId, h]));
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
    const linked = 'chain' in p ? p : null;
    series.push({
      anchor: p.anchor, title: p.title, version: p.version, total: p.total, cover: p.cover, authorName: p.author.name,
      authorEmail: p.author.email, date: p.date, complete: p.complete, chain: linked?.chain ?? p.anchor, previous: linked?.previous ?? null,
      next: linked?.next ?? null, link: linked?.link ?? null, backportOf: linked?.backportOf ?? null, coverless: !p.cover, time: leadTime,
      first: lead.messageId,
    });
    if (p.cover) members.push([headOf.get(p.cover)!.row, p.anchor]);
    for (const id of p.patches) members.push([headOf.get(id)!.row, p.anchor]);
  }
  return { series, members };
}

/**
 * Second pass: the grouped postings of large groups linked a chunk at a time, the links written over them. A chunk
 * is whole sets of postings that linkVersions could join: those sharing a key (series.ts's joiningKeys, named
 * after their posters by personIds in linking order over all of them; a backport's title), or joined by what
 * their heads answer or supersede, or by a partial resend. Each is linked with its posters' ids as named over the
 * whole, so a part links as the whole does.
 */
function linkSeriesInto(scratch: SeriesScratch, chunk: number): void {
  const ids = scratch.linkOrder();
  const size = ids.reduce((m, id) => Math.max(m, id), 0) + 1;
  const comps = new Components(size);
  const present = new Uint8Array(size);
  const backportTitles = scratch.backportTitles();
  const who = personIds();
  const join = (id: number, messageId: string | null) => {
    const other = messageId ? scratch.linkOf(messageId) : undefined;
    if (other !== undefined) comps.union(id, other);
  };
  for (let i = 0; i < ids.length; i += LINKS_A_BATCH) {
    const batch = ids.subarray(i, i + LINKS_A_BATCH);
    const summaryOf = new Map(scratch.links(batch).map((l) => [l.id, l.summary]));
    const keys: [string, number][] = [];
    const persons: [number, string][] = [];
    for (const id of batch) {
      present[id] = 1;
      const p = JSON.parse(summaryOf.get(id)!) as LinkSummary;
      if (p.backport) {
        keys.push([`b:${p.firstTitle}`, id]);
        continue;
      }
      const person = who(p.author);
      persons.push([id, person]);
      for (const k of joiningKeys(p, person)) keys.push([k, id]);
      for (const t of [driftless(p.title), ...p.patchTitles]) if (backportTitles.has(t)) keys.push([`b:${t}`, id]);
      join(id, p.supersedes);
      join(id, p.inReplyTo);
      join(id, p.partialOf);
    }
    scratch.putKeys(keys, persons);
  }
  let lastKey: string | null = null;
  let lastId = 0;
  for (const [key, id] of scratch.keysInOrder()) {
    if (key === lastKey) comps.union(id, lastId);
    else { lastKey = key; lastId = id; }
  }
  collectGarbage();
  const { order, starts } = chunksOf(comps, (x) => present[x] === 1, chunk);
  for (let c = 0; c + 1 < starts.length; c++) {
    const summaries = scratch.links(order.subarray(starts[c], starts[c + 1])).map(({ summary, person }) => {
      const p = JSON.parse(summary) as LinkSummary;
      if (person !== null) p.person = person;
      return p;
    });
    const changed: ScratchLinks[] = [];
    for (const [anchor, l] of linkVersions(summaries, scratch.postingOf)) {
      if (l.chain !== anchor || l.previous || l.next || l.link || l.backportOf) changed.push([anchor, l.chain, l.previous, l.next, l.link, l.backportOf]);
    }
    scratch.putLinks(changed);
    collectGarbage(); // when the chunks' garbage has grown large
  }
}

/** Summaries read at a time while their keys are found. */
const LINKS_A_BATCH = 1024;
