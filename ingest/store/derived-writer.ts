// The writer of derived state for a re-derivation of part of the archive (a scope): threads, series and, per
// message, its thread, parent, series and the patch it answers, as derivation (ingest/run/derive.ts) concluded them.
// Only rows that differ are written. (A whole derivation writes through its scratch database, derive-scratch.ts;
// acceptance is written by derivation's evidence step: evidence-store.ts.)
import type { Db } from './db.ts';
import type { Posting } from '../core/series.ts';
import { addressKey } from '../core/address.ts';

/** The part of the archive a re-derivation covers (see derive.ts). */
export interface DeriveScope {
  /** every message read: whole threads */
  messages: Set<string>;
  /** the threads those messages were in before */
  threadIds: number[];
  /** authors (lower-case) whose every patch and cover was read, and whose series are rewritten */
  authors: Set<string>;
  /** patches and covers read whose author is not among them: their series stay */
  keep: Set<string>;
}

/** What derivation concluded about the messages it read. */
export interface Derived {
  threads: { root: string; subject: string; members: { messageId: string; parent: string | null }[]; lastDate: string | null }[];
  postings: Posting[];
  answers: Map<string, string | null>;
}

/** Indexes over the messages columns derivation writes. */
export const DERIVED_INDEXES = ['messages_thread', 'messages_series', 'messages_answers'];

/**
 * Write what derivation concluded about a scope: threads, series (ids stable by anchor), and per message its
 * thread, parent, series and the patch it answers. Only rows that differ are written, so a re-derivation after a
 * small ingest costs reads, not a rewrite of the archive.
 */
export function writeDerived(db: Db, d: Derived, scope: DeriveScope): void {
  // threads
  type ThreadRow = { id: number; root: string; subject: string; size: number; last_date: string | null };
  // in a scope, only the threads it had and the roots it produces: the rest of the archive is not read
  const threadById = db.prepare('SELECT id, root, subject, size, last_date FROM threads WHERE id = ?');
  const threadByRoot = db.prepare('SELECT id, root, subject, size, last_date FROM threads WHERE root = ?');
  const oldThreadRows = [...scope.threadIds.map((id) => threadById.get(id)), ...d.threads.map((t) => threadByRoot.get(t.root))]
    .filter((r): r is ThreadRow => !!r);
  const oldThreads = new Map(oldThreadRows.map((t) => [t.root, t]));
  const insThread = db.prepare('INSERT INTO threads (root, subject, size, last_date) VALUES (?, ?, ?, ?)');
  const updThread = db.prepare('UPDATE threads SET subject = ?, size = ?, last_date = ? WHERE id = ?');
  const threadOf = new Map<string, { id: number; parent: string | null; pos: number }>();
  const liveThreads = new Set<number>();
  for (const t of d.threads) {
    const old = oldThreads.get(t.root);
    let id: number;
    if (!old) id = Number(insThread.run(t.root, t.subject, t.members.length, t.lastDate).lastInsertRowid);
    else {
      id = old.id;
      if (old.subject !== t.subject || old.size !== t.members.length || old.last_date !== t.lastDate) updThread.run(t.subject, t.members.length, t.lastDate, id);
    }
    liveThreads.add(id);
    t.members.forEach((m, i) => threadOf.set(m.messageId, { id, parent: m.parent, pos: i }));
  }
  const delThread = db.prepare('DELETE FROM threads WHERE id = ?');
  const scopeThreads = new Set(scope.threadIds);
  for (const t of oldThreads.values()) if (!liveThreads.has(t.id) && scopeThreads.has(t.id)) delThread.run(t.id);

  // series
  type SeriesRow = { id: number; anchor: string; title: string; version: number; total: number; cover: string | null; author_name: string;
    author_email: string; date: string | null; complete: number; chain_id: number | null; previous_id: number | null; next_id: number | null;
    link: string | null; backport_of: string | null };
  const seriesByAuthor = db.prepare('SELECT * FROM series WHERE author_email = ? COLLATE NOCASE');
  const seriesByAnchor = db.prepare('SELECT * FROM series WHERE anchor = ?');
  const oldSeriesRows = [...[...scope.authors].flatMap((a) => seriesByAuthor.all(a)), ...d.postings.map((p) => seriesByAnchor.get(p.anchor))]
    .filter((r): r is SeriesRow => !!r);
  const oldSeries = new Map(oldSeriesRows.map((r) => [r.anchor, r]));
  // new series get their ids up front (as SQLite would give them), so that each is written once, links included
  const ids = new Map<string, number>();
  let nextId = (db.prepare('SELECT coalesce(max(id), 0) FROM series').pluck().get() as number) + 1;
  for (const p of d.postings) ids.set(p.anchor, oldSeries.get(p.anchor)?.id ?? nextId++);
  const insSeries = db.prepare(`INSERT INTO series (anchor, title, version, total, cover, author_name, author_email, date,
    complete, chain_id, previous_id, next_id, link, backport_of, id)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const updSeries = db.prepare(`UPDATE series SET title = ?, version = ?, total = ?, cover = ?, author_name = ?, author_email = ?, date = ?,
    complete = ?, chain_id = ?, previous_id = ?, next_id = ?, link = ?, backport_of = ? WHERE id = ?`);
  const seriesOf = new Map<string, number>();
  for (const p of d.postings) {
    const id = ids.get(p.anchor)!;
    const want = [p.title, p.version, p.total, p.cover, p.author.name, p.author.email, p.date, p.complete ? 1 : 0,
      ids.get(p.chain) ?? null, p.previous ? ids.get(p.previous)! : null, p.next ? ids.get(p.next)! : null,
      p.link ?? null, p.backportOf ?? null];
    const o = oldSeries.get(p.anchor);
    // a backport re-derived in a scope that did not read its original keeps the original it had
    if (p.link === 'backport' && p.backportOf === null && o?.backport_of) want[want.length - 1] = o.backport_of;
    if (!o) insSeries.run(p.anchor, ...want, id);
    else {
      const have = [o.title, o.version, o.total, o.cover, o.author_name, o.author_email, o.date, o.complete, o.chain_id, o.previous_id,
        o.next_id, o.link, o.backport_of];
      if (want.some((v, i) => v !== have[i])) updSeries.run(...want, id);
    }
    if (p.cover) seriesOf.set(p.cover, id);
    for (const m of p.patches) seriesOf.set(m, id);
  }

  // messages: one pass, only the rows that change
  // [id, message_id, then the derived columns in updMsg's order]
  type MsgRow = [number, string, ...(string | number | null)[]];
  const updMsg = db.prepare('UPDATE messages SET thread_id = ?, parent = ?, thread_pos = ?, answers = ?, series_id = ? WHERE id = ?');
  const COLUMNS = 'id, message_id, thread_id, parent, thread_pos, answers, series_id';
  const one = db.prepare(`SELECT ${COLUMNS} FROM messages WHERE message_id = ?`).raw(true);
  const changesIn = (rows: Iterable<MsgRow>) => {
    const changes: (string | number | null)[][] = [];
    for (const r of rows) {
      const [rowId, messageId] = r;
      const have = r.slice(2);
      const t = threadOf.get(messageId);
      // a patch of an author outside the scope keeps its series: only part of that author's work was read
      const keep = scope.keep.has(messageId);
      const want = [t?.id ?? null, t?.parent ?? null, t?.pos ?? null, d.answers.get(messageId) ?? null,
        keep ? have[4] : seriesOf.get(messageId) ?? null, rowId];
      if (have.some((v, i) => v !== want[i])) changes.push(want);
    }
    return changes;
  };
  const rows = [...scope.messages].map((id) => one.get(id) as MsgRow | undefined).filter((r): r is MsgRow => !!r);
  for (const c of changesIn(rows)) updMsg.run(...c);
  const delSeries = db.prepare('DELETE FROM series WHERE id = ?');
  const live = new Set(ids.values());
  for (const o of oldSeries.values()) {
    if (!live.has(o.id) && scope.authors.has(addressKey(o.author_email))) delSeries.run(o.id);
  }
}
