// The reads derivation needs (ingest/run/derive.ts): message heads, the scope of a re-derivation, what detection
// reads besides the facts the fix rules read (those: watched-facts.ts). Plain rows and core shapes out, no writes.
// Hot at 100k messages: statements are prepared once per call, heads are read as arrays (raw mode) and row by row.
import type { Db } from './db.ts';
import type { MessageKind } from '../core/model.ts';
import type { MessageHead } from '../core/series.ts';
import type { AnswerHead, ReplyHead } from '../core/acceptance.ts';
import type { ThreadInput } from '../core/threader.ts';

const NO_STRINGS: string[] = [];
const strings = (json: string): string[] => (json === '[]' ? NO_STRINGS : (JSON.parse(json) as string[]));

// read as arrays (better-sqlite3's raw mode): at 100k rows, naming every column of every row costs more than
// the query. Only patches and covers need their title (series are grouped by it).
const HEAD_COLUMNS = `message_id, CASE WHEN is_patch = 1 OR kind = 'cover' THEN title ELSE '' END, version, idx, total, from_name,
  from_email, date, in_reply_to, refs, kind, is_patch, says_applied, change_id, supersedes,
  upstream_commit IS NOT NULL`;
type Row = [string, string, number, number | null, number | null, string, string, string | null, string | null, string,
  MessageKind, number, number, string | null, string | null, number];

export type Head = MessageHead & ReplyHead & { subject: string };

/**
 * The head of every message (or of `ids`), read row by row (a 100k archive must not hold two copies in
 * memory). Senders, kinds and Message-IDs (named again in References) repeat across an archive: each is held once.
 */
export function readHeads(db: Db, ids?: Iterable<string>): Head[] {
  const one = db.prepare(`SELECT ${HEAD_COLUMNS} FROM messages WHERE message_id = ?`).raw(true);
  const rows: Iterable<Row> = ids
    ? [...ids].map((id) => one.get(id) as Row | undefined).filter((r): r is Row => !!r)
    : (db.prepare(`SELECT ${HEAD_COLUMNS} FROM messages`).raw(true).iterate() as Iterable<Row>);
  return headsOf(rows);
}

/** A head and its row id (`messages.id`). */
export type RowHead = Head & { row: number };

/**
 * The heads of the messages with these row ids (those that exist): a chunk of a whole derivation. Asked for 256 at
 * a time (one statement for a batch costs a third less than one a row); the order of the heads is not theirs.
 */
export function readHeadsOfRows(db: Db, rows: ArrayLike<number>): RowHead[] {
  const many = db.prepare(`SELECT ${HEAD_COLUMNS}, id FROM messages WHERE id IN (${Array(ROW_BATCH).fill('?').join(', ')})`).raw(true);
  const read: Row[] = [];
  const batch: number[] = new Array(ROW_BATCH);
  for (let i = 0; i < rows.length; i += ROW_BATCH) {
    for (let j = 0; j < ROW_BATCH; j++) batch[j] = i + j < rows.length ? rows[i + j] : -1;
    for (const r of many.all(...batch) as Row[]) read.push(r);
  }
  return headsOf(read) as RowHead[];
}
const ROW_BATCH = 256;

/** A function that returns the first of equal strings it was given: each is held once. */
function interner(): (s: string) => string {
  const seen = new Map<string, string>();
  return (s) => {
    const known = seen.get(s);
    if (known !== undefined) return known;
    seen.set(s, s);
    return s;
  };
}

function headsOf(rows: Iterable<Row | [...Row, number]>): (Head & { row?: number })[] {
  const heads: (Head & { row?: number })[] = [];
  const senders = new Map<string, Head['from']>();
  const kinds = new Map<string, MessageKind>();
  // a thread's root and upper messages are named in every reply's References: each id is held once
  const intern = interner();
  for (const r of rows) {
    const [messageId, title, version, index, total, name, email, date, inReplyTo, refs, kind, isPatch, saysApplied, changeId, supersedes, backport] = r;
    const key = `${name}\n${email}`;
    let from = senders.get(key);
    if (!from) senders.set(key, (from = { name, email }));
    let k = kinds.get(kind);
    if (!k) kinds.set(kind, (k = kind));
    const references = strings(refs);
    for (let i = 0; i < references.length; i++) references[i] = intern(references[i]);
    const h: Head & { row?: number } = {
      messageId: intern(messageId), title, version, index, total, from, date, inReplyTo: inReplyTo === null ? null : intern(inReplyTo),
      references, kind: k, isPatch: !!isPatch, saysApplied: !!saysApplied, changeId, supersedes, backport: !!backport,
      subject: '', // the threader does not join by subject; thread subjects are read for roots only
    };
    if (r.length > 16) h.row = r[16] as number;
    heads.push(h);
  }
  return heads;
}

/** What threading a chunk reads of a message (threader.ts's input, and what finds the patch a reply answers). */
export type ThreadHead = ThreadInput & AnswerHead & { row: number };
type ThreadRow = [string, string | null, string | null, string, MessageKind, number, number];

/**
 * The thread heads of the messages with these row ids (those that exist), 256 a statement; the order of the heads
 * is not theirs. Message-IDs named again in References are held once.
 */
export function readThreadHeadsOfRows(db: Db, rows: ArrayLike<number>): ThreadHead[] {
  const many = db.prepare(`SELECT message_id, date, in_reply_to, refs, kind, is_patch, id FROM messages
    WHERE id IN (${Array(ROW_BATCH).fill('?').join(', ')})`).raw(true);
  const heads: ThreadHead[] = [];
  const intern = interner();
  const batch: number[] = new Array(ROW_BATCH);
  for (let i = 0; i < rows.length; i += ROW_BATCH) {
    for (let j = 0; j < ROW_BATCH; j++) batch[j] = i + j < rows.length ? rows[i + j] : -1;
    for (const [messageId, date, inReplyTo, refs, kind, isPatch, row] of many.all(...batch) as ThreadRow[]) {
      const references = strings(refs);
      for (let k = 0; k < references.length; k++) references[k] = intern(references[k]);
      heads.push({
        messageId: intern(messageId), date, inReplyTo: inReplyTo === null ? null : intern(inReplyTo), references, kind, isPatch: !!isPatch,
        subject: '', // the threader does not join by subject; thread subjects are read for roots only
        row,
      });
    }
  }
  return heads;
}

/** The largest row id of a message (0: none). */
export function maxMessageRow(db: Db): number {
  return (db.prepare('SELECT coalesce(max(id), 0) FROM messages').pluck().get() as number);
}

/** Every message's row id. */
export function messageRows(db: Db): Iterable<number> {
  return db.prepare('SELECT id FROM messages').pluck().iterate() as Iterable<number>;
}

/**
 * Every reference of a message (References and In-Reply-To, as message_refs holds them), sorted by the id referred
 * to: [that id, the referring message's row, the referred message's row or null when it is not stored].
 */
export function referenceRows(db: Db): Iterable<[string, number, number | null]> {
  return db.prepare(`SELECT r.ref, m.id, t.id FROM message_refs r JOIN messages m ON m.message_id = r.message_id
    LEFT JOIN messages t ON t.message_id = r.ref ORDER BY r.ref`).raw(true).iterate() as Iterable<[string, number, number | null]>;
}

const POSTING = "((is_patch = 1 AND kind <> 'proposal') OR kind = 'cover')";
type Poster = [name: string, email: string];

/**
 * What joins the posters of patches (not proposals) and covers, for series.ts's findSeries (derive-whole.ts groups
 * posters by it), in one pass over them: [row id, sender's name and address, change-id, the Message-ID it says it
 * supersedes, its title when it is a stable backport]. Then the sender of a message by id (what a Supersedes points
 * at) and, only when there are backports, every posting's sender and title (a backport joins the posting of its title).
 */
export function posterLinks(db: Db) {
  const sender = db.prepare('SELECT from_name, from_email FROM messages WHERE message_id = ?').raw(true);
  return {
    postings: () => db.prepare(`SELECT id, from_name, from_email, change_id, supersedes,
      CASE WHEN upstream_commit IS NOT NULL THEN title END FROM messages WHERE ${POSTING}`).raw(true)
      .iterate() as Iterable<[number, ...Poster, string | null, string | null, string | null]>,
    senderOf: (messageId: string) => sender.get(messageId) as Poster | undefined,
    titles: () => db.prepare(`SELECT from_name, from_email, title FROM messages WHERE ${POSTING}`).raw(true).iterate() as Iterable<[...Poster, string]>,
  };
}

/**
 * The references between postings (patches, not proposals, and covers), as row ids: [the referring one, the one it
 * refers to] (what series.ts's groupPostings joins through).
 */
export function postingReferences(db: Db): Iterable<[number, number]> {
  return db.prepare(`SELECT m.id, t.id FROM message_refs r JOIN messages m ON m.message_id = r.message_id
    JOIN messages t ON t.message_id = r.ref WHERE ${POSTING.replace(/\b(is_patch|kind)\b/g, 'm.$1')}
      AND ${POSTING.replace(/\b(is_patch|kind)\b/g, 't.$1')}`).raw(true).iterate() as Iterable<[number, number]>;
}

/**
 * Postings (patches, not proposals, and covers) that say their size: [row id, sender's name and address, version,
 * size, date] (grouping joins those of one author, version and size sent within hours).
 */
export function postingShapes(db: Db): Iterable<[number, ...Poster, number, number, string | null]> {
  return db.prepare(`SELECT id, from_name, from_email, version, total, date FROM messages WHERE ${POSTING} AND total > 0`).raw(true)
    .iterate() as Iterable<[number, ...Poster, number, number, string | null]>;
}

/** A message's subject, by Message-ID (a thread's subject is its first message's). */
export function subjectReader(db: Db): (messageId: string) => string | undefined {
  const st = db.prepare('SELECT subject FROM messages WHERE message_id = ?').pluck();
  return (id) => st.get(id) as string | undefined;
}

/** Messages not threaded yet (stored since the last derivation). */
export function unthreadedIds(db: Db): string[] {
  return db.prepare('SELECT message_id FROM messages WHERE thread_id IS NULL').pluck().all() as string[];
}

/** How many messages are not threaded yet, and how many are stored. */
export function unthreadedShare(db: Db): { fresh: number; total: number } {
  const fresh = db.prepare('SELECT count(*) FROM messages WHERE thread_id IS NULL').pluck().get() as number;
  const total = (db.prepare("SELECT n FROM counts WHERE name = 'messages'").pluck().get() as number | undefined) ?? fresh;
  return { fresh, total };
}

/** Whether any of `ids` has indexed call or order changes, or renames a file (the fix rules read it). */
export function touchesWatched(db: Db, ids: Iterable<string>): boolean {
  const watched = db.prepare(`SELECT EXISTS (SELECT 1 FROM call_changes WHERE message_id = @id)
    OR EXISTS (SELECT 1 FROM order_changes WHERE message_id = @id)
    OR EXISTS (SELECT 1 FROM patch_files WHERE message_id = @id AND status = 'renamed')`).pluck();
  for (const id of ids) if (watched.get({ id })) return true;
  return false;
}

/** How many fixes and regressions are stored. */
export function storedDetectionCounts(db: Db): { fixes: number; regressions: number } {
  const n = (sql: string) => db.prepare(sql).pluck().get() as number;
  return { fixes: n('SELECT count(*) FROM fixes'), regressions: n('SELECT count(*) FROM regressions') };
}

/**
 * The lookups that find a re-derivation's scope (derive.ts's scopeOf), each prepared once. Authors are matched
 * letter case aside (COLLATE NOCASE, as addressKey folds; the index messages_from is in that collation).
 */
export function scopeReaders(db: Db) {
  const threadOfMsg = db.prepare('SELECT thread_id FROM messages WHERE message_id = ?').pluck();
  const threadByRoot = db.prepare('SELECT id FROM threads WHERE root = ?').pluck();
  const referrers = db.prepare('SELECT message_id FROM message_refs WHERE ref = ?').pluck();
  const refsOf = db.prepare('SELECT ref FROM message_refs WHERE message_id = ?').pluck();
  const membersOf = db.prepare('SELECT message_id FROM messages WHERE thread_id = ?').pluck();
  const postingHead = db.prepare("SELECT from_email FROM messages WHERE message_id = ? AND (is_patch = 1 OR kind = 'cover')").pluck();
  const namesOf = db.prepare("SELECT DISTINCT from_name FROM messages WHERE from_email = ? COLLATE NOCASE AND (is_patch = 1 OR kind = 'cover') AND from_name <> ''").pluck();
  const addressesOf = db.prepare("SELECT DISTINCT lower(from_email) FROM messages WHERE from_name = ? AND (is_patch = 1 OR kind = 'cover')").pluck();
  const byAuthor = db.prepare("SELECT message_id, thread_id FROM messages WHERE from_email = ? COLLATE NOCASE AND (is_patch = 1 OR kind = 'cover')");
  const backportTitle = db.prepare("SELECT title FROM messages WHERE message_id = ? AND is_patch = 1 AND upstream_commit IS NOT NULL").pluck();
  const originalThreads = db.prepare(`SELECT DISTINCT thread_id FROM messages WHERE title = ? AND kind = 'patch'
    AND upstream_commit IS NULL AND thread_id IS NOT NULL`).pluck();
  return {
    /** the thread a message is in (null: not threaded) */
    threadOf: (id: string) => threadOfMsg.get(id) as number | null | undefined,
    /** the thread a message is the root of */
    threadRootedAt: (id: string) => threadByRoot.get(id) as number | undefined,
    /** messages naming `ref` in their references */
    referrers: (ref: string) => referrers.all(ref) as string[],
    /** the references a message names */
    refsOf: (id: string) => refsOf.all(id) as string[],
    /** a thread's messages */
    membersOf: (thread: number) => membersOf.all(thread) as string[],
    /** the sender's address of a patch or cover (undefined: not one) */
    postingAuthor: (id: string) => postingHead.get(id) as string | undefined,
    /** the names an address posted patches or covers under */
    namesOf: (email: string) => namesOf.all(email) as string[],
    /** the addresses (lower-case) a name posted patches or covers from */
    addressesOf: (name: string) => addressesOf.all(name) as string[],
    /** an address's patches and covers, with their threads */
    postingsBy: (email: string) => byAuthor.all(email) as { message_id: string; thread_id: number | null }[],
    /** a stable backport's title (undefined: not one) */
    backportTitle: (id: string) => backportTitle.get(id) as string | undefined,
    /** the threads of non-backport patches with this title */
    originalThreads: (title: string) => originalThreads.all(title) as number[],
  };
}

/** A stored message's diff text, by Message-ID. */
export function diffReader(db: Db): (messageId: string) => string | undefined {
  const st = db.prepare('SELECT b.diff_text FROM messages m JOIN message_bodies b ON b.id = m.id WHERE m.message_id = ?').pluck();
  return (id) => st.get(id) as string | undefined;
}
