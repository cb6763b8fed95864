// The scratch database of a whole derivation (ingest/run/derive-whole.ts): what it concludes, a chunk at a time,
// is written here (threads, series, and per message its thread root, parent, position, the patch it answers and its
// posting), then applied to the archive's own tables in one transaction by SQL. So a derivation of any size holds
// one chunk in memory, never the archive; and, the scratch being a database of its own, concluding takes no lock
// on the archive (another connection may build indexes meanwhile).
//
// The scratch is a file beside the database (`<db>-derive-<pid>`, removed at the end; those of killed runs are
// removed by the next derivation), without a journal: it is thrown away whenever it is not finished. An in-memory
// database gets an in-memory scratch.
import fs from 'node:fs';
import path from 'node:path';
import { deferredIndexBuilds, dropIndexes, type Db } from './db.ts';
import { DERIVED_INDEXES } from './derived-writer.ts';

const SCHEMA = `
CREATE TABLE scratch.d_threads (root TEXT NOT NULL, subject TEXT NOT NULL, size INTEGER NOT NULL, last_date TEXT,
  undated INTEGER NOT NULL, t REAL NOT NULL);
CREATE TABLE scratch.d_messages (id INTEGER PRIMARY KEY, root TEXT NOT NULL, parent TEXT, pos INTEGER NOT NULL, answers TEXT);
CREATE TABLE scratch.d_series (anchor TEXT NOT NULL, title TEXT NOT NULL, version INTEGER NOT NULL, total INTEGER NOT NULL,
  cover TEXT, author_name TEXT NOT NULL, author_email TEXT NOT NULL, date TEXT, complete INTEGER NOT NULL, chain TEXT,
  previous TEXT, next TEXT, link TEXT, backport_of TEXT, coverless INTEGER NOT NULL, undated INTEGER NOT NULL, t REAL NOT NULL,
  first TEXT NOT NULL);
CREATE TABLE scratch.d_members (id INTEGER PRIMARY KEY, anchor TEXT NOT NULL);
`;

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

/** A scratch attached to `db`; `close` detaches and removes it. */
export function openScratch(db: Db) {
  const file = db.memory ? ':memory:' : `${db.name}-derive-${process.pid}`;
  const remove = () => {
    if (file !== ':memory:') for (const f of [file, `${file}-journal`]) fs.rmSync(f, { force: true });
  };
  if (!db.memory) removeStale(db.name);
  db.prepare('ATTACH DATABASE ? AS scratch').run(file);
  try {
    db.pragma('scratch.journal_mode = OFF');
    db.pragma('scratch.synchronous = OFF');
    db.pragma('scratch.cache_size = -2000'); // written in order, read back by SQL: a small cache does
    db.exec(SCHEMA);
  } catch (e) {
    db.exec('DETACH DATABASE scratch');
    remove();
    throw e;
  }
  const insThread = inserter(db, 'd_threads', 6);
  const insMessage = inserter(db, 'd_messages', 5);
  const insSeries = inserter(db, 'd_series', 18);
  const insMember = inserter(db, 'd_members', 2);
  const timeCols = (t: number) => (Number.isFinite(t) ? [0, t] : [1, 0]);
  return {
    /** one chunk's threads and messages, in one transaction of the scratch */
    putThreads: db.transaction((threads: ScratchThread[], messages: ScratchMessage[]) => {
      const t: Value[] = [];
      for (const x of threads) t.push(x.root, x.subject, x.size, x.lastDate, ...timeCols(x.time));
      insThread(t);
      const m: Value[] = [];
      for (const x of messages) m.push(x.row, x.root, x.parent, x.pos, x.answers);
      insMessage(m);
    }),
    /** one chunk's postings, and the posting of each of their messages (by row id) */
    putSeries: db.transaction((series: ScratchSeries[], members: [number, string][]) => {
      const v: Value[] = [];
      for (const s of series) {
        v.push(s.anchor, s.title, s.version, s.total, s.cover, s.authorName, s.authorEmail, s.date, s.complete ? 1 : 0,
          s.chain, s.previous, s.next, s.link, s.backportOf, s.coverless ? 1 : 0, ...timeCols(s.time), s.first);
      }
      insSeries(v);
      insMember(members.flat());
    }),
    close() {
      db.exec('DETACH DATABASE scratch');
      remove();
    },
  };
}

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
    const pid = Number(/^(\d+)(?:-journal)?$/.exec(name.startsWith(prefix) ? name.slice(prefix.length) : '')?.[1]);
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
 * Insert rows into a scratch table, given as one flat list of values, up to 64 rows a statement (a statement a row
 * costs three times as much).
 */
function inserter(db: Db, table: string, columns: number): (values: Value[]) => void {
  const values = (n: number) => Array(n).fill(`(${Array(columns).fill('?').join(', ')})`).join(', ');
  const full = db.prepare(`INSERT INTO scratch.${table} VALUES ${values(ROWS_A_STATEMENT)}`);
  const step = ROWS_A_STATEMENT * columns;
  return (flat) => {
    let i = 0;
    for (; i + step <= flat.length; i += step) full.run(flat.slice(i, i + step));
    if (i < flat.length) db.prepare(`INSERT INTO scratch.${table} VALUES ${values((flat.length - i) / columns)}`).run(flat.slice(i));
  };
}

/**
 * Apply the scratch to the archive's tables, inside the caller's transaction: threads and series keep their ids
 * (by root, by anchor), new ones get theirs in the order derivation gives (threads by their root's time, then
 * root; covers' postings first, then by their first message's time and id), and only rows that differ are written.
 * Returns how many threads and series there are.
 */
export function applyScratch(db: Db): { threads: number; series: number } {
  // indexed once everything is written (built sorted, not row by row)
  db.exec('CREATE UNIQUE INDEX IF NOT EXISTS scratch.d_threads_root ON d_threads(root)');
  db.exec('CREATE UNIQUE INDEX IF NOT EXISTS scratch.d_series_anchor ON d_series(anchor)');
  // threads
  db.exec(`UPDATE threads SET subject = s.subject, size = s.size, last_date = s.last_date FROM scratch.d_threads s
    WHERE threads.root = s.root AND (threads.subject IS NOT s.subject OR threads.size IS NOT s.size OR threads.last_date IS NOT s.last_date)`);
  db.exec('DELETE FROM threads WHERE NOT EXISTS (SELECT 1 FROM scratch.d_threads s WHERE s.root = threads.root)');
  db.exec(`INSERT INTO threads (root, subject, size, last_date) SELECT root, subject, size, last_date FROM scratch.d_threads s
    WHERE NOT EXISTS (SELECT 1 FROM threads t WHERE t.root = s.root) ORDER BY undated, t, root`);
  // series: their own columns, then the links between them (by id, so once every series has one)
  db.exec(`UPDATE series SET title = s.title, version = s.version, total = s.total, cover = s.cover, author_name = s.author_name,
    author_email = s.author_email, date = s.date, complete = s.complete, link = s.link, backport_of = s.backport_of
    FROM scratch.d_series s WHERE series.anchor = s.anchor AND (series.title IS NOT s.title OR series.version IS NOT s.version
      OR series.total IS NOT s.total OR series.cover IS NOT s.cover OR series.author_name IS NOT s.author_name
      OR series.author_email IS NOT s.author_email OR series.date IS NOT s.date OR series.complete IS NOT s.complete
      OR series.link IS NOT s.link OR series.backport_of IS NOT s.backport_of)`);
  db.exec('DELETE FROM series WHERE NOT EXISTS (SELECT 1 FROM scratch.d_series s WHERE s.anchor = series.anchor)');
  db.exec(`INSERT INTO series (anchor, title, version, total, cover, author_name, author_email, date, complete, link, backport_of)
    SELECT anchor, title, version, total, cover, author_name, author_email, date, complete, link, backport_of FROM scratch.d_series s
    WHERE NOT EXISTS (SELECT 1 FROM series x WHERE x.anchor = s.anchor) ORDER BY coverless, undated, t, first`);
  db.exec(`UPDATE series SET chain_id = c.id, previous_id = p.id, next_id = n.id
    FROM scratch.d_series s LEFT JOIN series c ON c.anchor = s.chain LEFT JOIN series p ON p.anchor = s.previous
      LEFT JOIN series n ON n.anchor = s.next
    WHERE series.anchor = s.anchor AND (series.chain_id IS NOT c.id OR series.previous_id IS NOT p.id OR series.next_id IS NOT n.id)`);
  // messages: most of them change in a first derivation; the indexes over what is written are cheaper built
  // once, sorted, than updated row by row
  const rows = db.prepare('SELECT count(*) FROM scratch.d_messages').pluck().get() as number;
  const rebuild = rows > 10_000 ? dropIndexes(db, DERIVED_INDEXES) : [];
  db.exec(`UPDATE messages SET thread_id = t.id, parent = s.parent, thread_pos = s.pos, answers = s.answers, series_id = x.id
    FROM scratch.d_messages s JOIN threads t ON t.root = s.root LEFT JOIN scratch.d_members b ON b.id = s.id
      LEFT JOIN series x ON x.anchor = b.anchor
    WHERE messages.id = s.id AND (messages.thread_id IS NOT t.id OR messages.parent IS NOT s.parent OR messages.thread_pos IS NOT s.pos
      OR messages.answers IS NOT s.answers OR messages.series_id IS NOT x.id)`);
  // a message in no thread (none has an empty Message-ID, but the threader skips those): only when some are
  const stored = db.prepare("SELECT n FROM counts WHERE name = 'messages'").pluck().get() as number | undefined;
  if (stored !== rows) db.exec(`UPDATE messages SET thread_id = NULL, parent = NULL, thread_pos = NULL, answers = NULL, series_id = NULL
    WHERE NOT EXISTS (SELECT 1 FROM scratch.d_messages s WHERE s.id = messages.id)
      AND (thread_id IS NOT NULL OR parent IS NOT NULL OR thread_pos IS NOT NULL OR answers IS NOT NULL OR series_id IS NOT NULL)`);
  for (const sql of rebuild) db.exec(sql);
  // those a bulk load deferred are built now too: evidence reads a posting's members through messages_series
  const derived = new RegExp(`^CREATE INDEX IF NOT EXISTS (${DERIVED_INDEXES.join('|')})\\b`);
  for (const sql of deferredIndexBuilds(db)) if (derived.test(sql)) db.exec(sql);
  const n = (sql: string) => db.prepare(sql).pluck().get() as number;
  return { threads: n('SELECT count(*) FROM scratch.d_threads'), series: n('SELECT count(*) FROM scratch.d_series') };
}
