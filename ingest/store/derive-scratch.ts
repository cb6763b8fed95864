// The scratch databases of a whole derivation (ingest/run/derive-whole.ts): what it concludes, a chunk at a time,
// is written here (threads, series, and per message its thread root, parent, position, the patch it answers and its
// posting), then applied to the archive's own tables in one transaction by SQL. So a derivation of any size holds
// one chunk in memory, never the archive; and, the scratches being databases of their own, concluding takes no lock
// on the archive (another connection may build indexes meanwhile).
//
// There are two, one for each part of the conclusion (threads; series), so that two connections on two threads can
// each write one at once. Each is a file beside the database (`<db>-derive-<pid>-<part>`, removed at the end; those of
// killed runs are removed by the next derivation), without a journal: it is thrown away whenever it is not finished.
// The connection that applies them attaches both (as `scratch_threads` and `scratch_series`). An in-memory database
// gets in-memory scratches, written and applied by its one connection.
import fs from 'node:fs';
import path from 'node:path';
import { deferredIndexBuilds, dropIndexes, type Db } from './db.ts';
import { DERIVED_INDEXES } from './derived-writer.ts';

export type ScratchPart = 'threads' | 'series';

const SCHEMA: Record<ScratchPart, string> = {
  threads: `
CREATE TABLE scratch_threads.d_threads (root TEXT NOT NULL, subject TEXT NOT NULL, size INTEGER NOT NULL, last_date TEXT,
  undated INTEGER NOT NULL, t REAL NOT NULL);
CREATE TABLE scratch_threads.d_messages (id INTEGER PRIMARY KEY, root TEXT NOT NULL, parent TEXT, pos INTEGER NOT NULL, answers TEXT);
`,
  series: `
CREATE TABLE scratch_series.d_series (anchor TEXT NOT NULL, title TEXT NOT NULL, version INTEGER NOT NULL, total INTEGER NOT NULL,
  cover TEXT, author_name TEXT NOT NULL, author_email TEXT NOT NULL, date TEXT, complete INTEGER NOT NULL, chain TEXT,
  previous TEXT, next TEXT, link TEXT, backport_of TEXT, coverless INTEGER NOT NULL, undated INTEGER NOT NULL, t REAL NOT NULL,
  first TEXT NOT NULL);
CREATE TABLE scratch_series.d_members (id INTEGER PRIMARY KEY, anchor TEXT NOT NULL);
CREATE TABLE scratch_series.d_links (grp INTEGER NOT NULL, anchor TEXT NOT NULL, undated INTEGER NOT NULL, t REAL NOT NULL,
  summary TEXT NOT NULL);
CREATE TABLE scratch_series.d_keys (key TEXT NOT NULL, id INTEGER NOT NULL);
CREATE TABLE scratch_series.d_persons (id INTEGER PRIMARY KEY, person TEXT NOT NULL);
`,
};

export interface ScratchThread {
  root: string; subject: string; size: number; lastDate: string | null;
  /** the thread's place among threads: its root's time (a placeholder root: the earliest below it), NaN last */
  time: number;
}
export interface ScratchMessage { row: number; root: string; parent: string | null; pos: number; answers: string | null }
export interface ScratchSeries {
  anchor: string; title: string; version: number; total: number; cover: string | null; authorName: string; authorEmail: string;
  date: string | null; complete: boolean; chain: string | null; previous: string | null; next: string | null; link: string | null;
  backportOf: string | null;
  /** the posting's place among postings (the order derivation gives ids in): covers first, then by the time and id
   * of its first message */
  coverless: boolean; time: number; first: string;
}

/** The file of a scratch part of a derivation on `db` by this process (in memory for an in-memory database). */
function scratchFile(db: Db, part: ScratchPart): string {
  return db.memory ? ':memory:' : `${db.name}-derive-${process.pid}-${part}`;
}

/** An attached scratch part: `detach` leaves its file (for another connection to attach), `close` removes it too. */
export interface AttachedScratch {
  detach(): void;
  close(): void;
}

/**
 * Attach a scratch part to `db` as `scratch_<part>`: a new empty one (`fresh`: created, stale scratches of dead
 * processes removed), or the one another connection of this process wrote.
 */
function attach(db: Db, part: ScratchPart, fresh: boolean): AttachedScratch {
  const file = scratchFile(db, part);
  const remove = () => {
    if (file !== ':memory:') for (const f of [file, `${file}-journal`]) fs.rmSync(f, { force: true });
  };
  if (fresh && !db.memory) {
    removeStale(db.name);
    remove();
  }
  if (!fresh && !fs.existsSync(file)) throw new Error(`no concluded ${part} to apply (${file})`);
  db.prepare(`ATTACH DATABASE ? AS scratch_${part}`).run(file);
  try {
    db.pragma(`scratch_${part}.journal_mode = OFF`);
    db.pragma(`scratch_${part}.synchronous = OFF`);
    db.pragma(`scratch_${part}.cache_size = -2000`); // written in order, read back by SQL: a small cache does
    if (fresh) db.exec(SCHEMA[part]);
  } catch (e) {
    db.exec(`DETACH DATABASE scratch_${part}`);
    remove();
    throw e;
  }
  let attached = true;
  const detach = () => {
    if (attached) db.exec(`DETACH DATABASE scratch_${part}`);
    attached = false;
  };
  return {
    detach,
    close() {
      detach();
      remove();
    },
  };
}

/** A new threads scratch attached to `db`: one chunk's threads and messages at a time, each in one transaction. */
export function openThreadsScratch(db: Db) {
  const scratch = attach(db, 'threads', true);
  const insThread = inserter(db, 'scratch_threads.d_threads', 6);
  const insMessage = inserter(db, 'scratch_threads.d_messages', 5);
  return {
    ...scratch,
    putThreads: db.transaction((threads: ScratchThread[], messages: ScratchMessage[]) => {
      const t: Value[] = [];
      for (const x of threads) t.push(x.root, x.subject, x.size, x.lastDate, ...timeCols(x.time));
      insThread(t);
      const m: Value[] = [];
      for (const x of messages) m.push(x.row, x.root, x.parent, x.pos, x.answers);
      insMessage(m);
    }),
  };
}

/** How a posting is linked to its versions, written once linking is done: [anchor, chain, previous, next, link, backport of]. */
export type ScratchLinks = [string, string, string | null, string | null, string | null, string | null];

/** A posting as linking reads it: its place in linking order, and its summary (series.ts's LinkSummary, as JSON). */
export interface ScratchLink { id: number; summary: string; person: string | null }

/**
 * A new series scratch attached to `db`. Postings concluded at once are written whole. Those of large groups of
 * posters are written in passes: grouping writes them unlinked (each its own chain) with a summary of what linking
 * reads of each (under its group, in linking order: date, then anchor); linking reads the summaries back in that
 * order, writes the keys that may join two postings, reads them back sorted (postings sharing a key are joined),
 * reads the summaries of whole joined sets, and writes the links found over the postings.
 */
export function openSeriesScratch(db: Db) {
  const scratch = attach(db, 'series', true);
  const insSeries = inserter(db, 'scratch_series.d_series', 18);
  const insMember = inserter(db, 'scratch_series.d_members', 2);
  const insLink = inserter(db, 'scratch_series.d_links', 5);
  const insKey = inserter(db, 'scratch_series.d_keys', 2);
  const insPerson = inserter(db, 'scratch_series.d_persons', 2);
  // prepared once grouping is done (their plans use its indexes)
  const inOrder = once(() => db.prepare('SELECT rowid FROM scratch_series.d_links ORDER BY grp, undated, t, anchor').pluck());
  const byIds = once(() => db.prepare(`SELECT l.rowid AS id, l.summary, p.person FROM scratch_series.d_links l
    LEFT JOIN scratch_series.d_persons p ON p.id = l.rowid WHERE l.rowid IN (${Array(ROW_BATCH).fill('?').join(', ')})`));
  const idOf = once(() => db.prepare(`SELECT l.rowid FROM main.messages m JOIN scratch_series.d_members b ON b.id = m.id
    JOIN scratch_series.d_links l ON l.anchor = b.anchor WHERE m.message_id = ?`).pluck());
  const anchorOf = once(() => db.prepare(`SELECT b.anchor FROM main.messages m JOIN scratch_series.d_members b ON b.id = m.id
    WHERE m.message_id = ?`).pluck());
  const setLink = once(() => db.prepare('UPDATE scratch_series.d_series SET chain = ?, previous = ?, next = ?, link = ?, backport_of = ? WHERE anchor = ?'));
  return {
    ...scratch,
    /** Postings, the posting of each of their messages, and (postings of large groups) their summaries: [group, anchor, time, JSON]. */
    putSeries: db.transaction((series: ScratchSeries[], members: [number, string][], links: [number, string, number, string][] = []) => {
      const v: Value[] = [];
      for (const s of series) {
        v.push(s.anchor, s.title, s.version, s.total, s.cover, s.authorName, s.authorEmail, s.date, s.complete ? 1 : 0,
          s.chain, s.previous, s.next, s.link, s.backportOf, s.coverless ? 1 : 0, ...timeCols(s.time), s.first);
      }
      insSeries(v);
      insMember(members.flat());
      const l: Value[] = [];
      for (const [grp, anchor, t, summary] of links) l.push(grp, anchor, ...timeCols(t), summary);
      insLink(l);
    }),
    /** Grouping is done: index what linking reads (built once, sorted). */
    grouped() {
      db.exec('CREATE UNIQUE INDEX scratch_series.d_links_anchor ON d_links(anchor)');
      db.exec('CREATE UNIQUE INDEX scratch_series.d_series_anchor ON d_series(anchor)');
    },
    /** The summaries' ids in linking order: by group, then date (undated last), then anchor. */
    linkOrder: () => Int32Array.from(inOrder().iterate() as Iterable<number>),
    /** The summaries with these ids (those that exist), in no order, with their posters' ids once written. */
    links(ids: ArrayLike<number>): ScratchLink[] {
      const out: ScratchLink[] = [];
      const batch: number[] = new Array(ROW_BATCH);
      for (let i = 0; i < ids.length; i += ROW_BATCH) {
        for (let j = 0; j < ROW_BATCH; j++) batch[j] = i + j < ids.length ? ids[i + j] : -1;
        for (const r of byIds().all(...batch) as ScratchLink[]) out.push(r);
      }
      return out;
    },
    /** The id of the summary of the posting a message (cover or patch) belongs to, by Message-ID. */
    linkOf: (messageId: string) => idOf().get(messageId) as number | undefined,
    /** The anchor of the posting a message (cover or patch) belongs to, by Message-ID. */
    postingOf: (messageId: string) => anchorOf().get(messageId) as string | undefined,
    /** The driftless titles backports are matched by (series.ts's LinkSummary.firstTitle). */
    backportTitles: () => new Set(db.prepare(`SELECT json_extract(summary, '$.firstTitle') FROM scratch_series.d_links
      WHERE json_extract(summary, '$.backport') = 1`).pluck().all() as string[]),
    /** Keys that join postings ([key, summary id]), and the ids of their posters ([summary id, person]). */
    putKeys: db.transaction((keys: [string, number][], persons: [number, string][]) => {
      insKey(keys.flat());
      insPerson(persons.flat());
    }),
    /** The keys, sorted: postings sharing one come one after the other. */
    keysInOrder: () => db.prepare('SELECT key, id FROM scratch_series.d_keys ORDER BY key').raw(true).iterate() as Iterable<[string, number]>,
    putLinks: db.transaction((links: ScratchLinks[]) => {
      const st = setLink();
      for (const [anchor, ...l] of links) st.run(...l, anchor);
    }),
  };
}

const ROW_BATCH = 256;

/** Attach the threads scratch another connection of this process wrote (and detached) to `db`, to apply it. */
export function attachConcludedThreads(db: Db): AttachedScratch {
  return attach(db, 'threads', false);
}

/** `make`'s value, made at the first call. */
function once<T>(make: () => T): () => T {
  let v: T | undefined;
  return () => (v ??= make());
}

const timeCols = (t: number) => (Number.isFinite(t) ? [0, t] : [1, 0]);

/** Scratches left by derivations killed before they ended (their process is gone). */
function removeStale(dbFile: string): void {
  const dir = path.dirname(dbFile);
  const prefix = `${path.basename(dbFile)}-derive-`;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(/^(\d+)(?:-(?:threads|series))?(?:-journal)?$/.exec(name.startsWith(prefix) ? name.slice(prefix.length) : '')?.[1]);
    if (!pid || alive(pid)) continue;
    fs.rmSync(path.join(dir, name), { force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

type Value = string | number | null;
const ROWS_A_STATEMENT = 64;

/**
 * Insert rows into a scratch table (schema-qualified), given as one flat list of values, up to 64 rows a statement (a statement a row
 * costs three times as much).
 */
function inserter(db: Db, table: string, columns: number): (values: Value[]) => void {
  const values = (n: number) => Array(n).fill(`(${Array(columns).fill('?').join(', ')})`).join(', ');
  const full = db.prepare(`INSERT INTO ${table} VALUES ${values(ROWS_A_STATEMENT)}`);
  const step = ROWS_A_STATEMENT * columns;
  return (flat) => {
    let i = 0;
    for (; i + step <= flat.length; i += step) full.run(flat.slice(i, i + step));
    if (i < flat.length) db.prepare(`INSERT INTO ${table} VALUES ${values((flat.length - i) / columns)}`).run(flat.slice(i));
  };
}

/**
 * Apply both scratches (attached) to the archive's tables, inside the caller's transaction: threads and series keep their ids
 * (by root, by anchor), new ones get theirs in the order derivation gives (threads by their root's time, then
 * root; covers' postings first, then by their first message's time and id), and only rows that differ are written.
 * Returns how many threads and series there are.
 */
export function applyScratch(db: Db): { threads: number; series: number } {
  // indexed once everything is written (built sorted, not row by row)
  db.exec('CREATE UNIQUE INDEX IF NOT EXISTS scratch_threads.d_threads_root ON d_threads(root)');
  db.exec('CREATE UNIQUE INDEX IF NOT EXISTS scratch_series.d_series_anchor ON d_series(anchor)');
  // threads
  db.exec(`UPDATE threads SET subject = s.subject, size = s.size, last_date = s.last_date FROM scratch_threads.d_threads s
    WHERE threads.root = s.root AND (threads.subject IS NOT s.subject OR threads.size IS NOT s.size OR threads.last_date IS NOT s.last_date)`);
  db.exec('DELETE FROM threads WHERE NOT EXISTS (SELECT 1 FROM scratch_threads.d_threads s WHERE s.root = threads.root)');
  db.exec(`INSERT INTO threads (root, subject, size, last_date) SELECT root, subject, size, last_date FROM scratch_threads.d_threads s
    WHERE NOT EXISTS (SELECT 1 FROM threads t WHERE t.root = s.root) ORDER BY undated, t, root`);
  // series: their own columns, then the links between them (by id, so once every series has one)
  db.exec(`UPDATE series SET title = s.title, version = s.version, total = s.total, cover = s.cover, author_name = s.author_name,
    author_email = s.author_email, date = s.date, complete = s.complete, link = s.link, backport_of = s.backport_of
    FROM scratch_series.d_series s WHERE series.anchor = s.anchor AND (series.title IS NOT s.title OR series.version IS NOT s.version
      OR series.total IS NOT s.total OR series.cover IS NOT s.cover OR series.author_name IS NOT s.author_name
      OR series.author_email IS NOT s.author_email OR series.date IS NOT s.date OR series.complete IS NOT s.complete
      OR series.link IS NOT s.link OR series.backport_of IS NOT s.backport_of)`);
  db.exec('DELETE FROM series WHERE NOT EXISTS (SELECT 1 FROM scratch_series.d_series s WHERE s.anchor = series.anchor)');
  db.exec(`INSERT INTO series (anchor, title, version, total, cover, author_name, author_email, date, complete, link, backport_of)
    SELECT anchor, title, version, total, cover, author_name, author_email, date, complete, link, backport_of FROM scratch_series.d_series s
    WHERE NOT EXISTS (SELECT 1 FROM series x WHERE x.anchor = s.anchor) ORDER BY coverless, undated, t, first`);
  db.exec(`UPDATE series SET chain_id = c.id, previous_id = p.id, next_id = n.id
    FROM scratch_series.d_series s LEFT JOIN series c ON c.anchor = s.chain LEFT JOIN series p ON p.anchor = s.previous
      LEFT JOIN series n ON n.anchor = s.next
    WHERE series.anchor = s.anchor AND (series.chain_id IS NOT c.id OR series.previous_id IS NOT p.id OR series.next_id IS NOT n.id)`);
  // messages: most of them change in a first derivation; the indexes over what is written are cheaper built
  // once, sorted, than updated row by row
  const rows = db.prepare('SELECT count(*) FROM scratch_threads.d_messages').pluck().get() as number;
  const rebuild = rows > 10_000 ? dropIndexes(db, DERIVED_INDEXES) : [];
  db.exec(`UPDATE messages SET thread_id = t.id, parent = s.parent, thread_pos = s.pos, answers = s.answers, series_id = x.id
    FROM scratch_threads.d_messages s JOIN threads t ON t.root = s.root LEFT JOIN scratch_series.d_members b ON b.id = s.id
      LEFT JOIN series x ON x.anchor = b.anchor
    WHERE messages.id = s.id AND (messages.thread_id IS NOT t.id OR messages.parent IS NOT s.parent OR messages.thread_pos IS NOT s.pos
      OR messages.answers IS NOT s.answers OR messages.series_id IS NOT x.id)`);
  // a message in no thread (none has an empty Message-ID, but the threader skips those): only when some are
  const stored = db.prepare("SELECT n FROM counts WHERE name = 'messages'").pluck().get() as number | undefined;
  if (stored !== rows) db.exec(`UPDATE messages SET thread_id = NULL, parent = NULL, thread_pos = NULL, answers = NULL, series_id = NULL
    WHERE NOT EXISTS (SELECT 1 FROM scratch_threads.d_messages s WHERE s.id = messages.id)
      AND (thread_id IS NOT NULL OR parent IS NOT NULL OR thread_pos IS NOT NULL OR answers IS NOT NULL OR series_id IS NOT NULL)`);
  for (const sql of rebuild) db.exec(sql);
  // those a bulk load deferred are built now too: evidence reads a posting's members through messages_series
  const derived = new RegExp(`^CREATE INDEX IF NOT EXISTS (${DERIVED_INDEXES.join('|')})\\b`);
  for (const sql of deferredIndexBuilds(db)) if (derived.test(sql)) db.exec(sql);
  const n = (sql: string) => db.prepare(sql).pluck().get() as number;
  return { threads: n('SELECT count(*) FROM scratch_threads.d_threads'), series: n('SELECT count(*) FROM scratch_series.d_series') };
}
