// The SQL of evidence derivation: the notices and the heads evidence is resolved against, read; the evidence
// table and the `accepted` columns it fills, written (only rows that differ).
import type { Db } from './db.ts';
import type { Evidence } from '../core/model.ts';
import { readNotice, type Notice } from '../core/notice.ts';
import type { EvidenceLookup, NoticeHead, PostedHead, TargetedEvidence } from '../core/evidence.ts';
import { strongest } from '../core/evidence.ts';
import { normaliseTitle } from '../core/series.ts';

const NO_STRINGS: string[] = [];
const strings = (json: string): string[] => (json === '[]' ? NO_STRINGS : (JSON.parse(json) as string[]));
const COPY_KINDS = new Set(['stable', 'commit-notice']);

const BACKFILLED = 'evidence.notices';

/**
 * Notices for messages stored before notices were read (a database migrated to 0009 with messages in it; a new
 * one is marked done by the migration): read once from their own text. Only mail whose text names a way of
 * taking a patch is read.
 */
export function backfillNotices(db: Db): number {
  if (db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(BACKFILLED) === '1') return 0;
  const rows = db.prepare(`SELECT m.message_id, m.kind, m.is_patch, m.title, m.from_name, m.from_email, b.own_text FROM messages m
    JOIN message_bodies b ON b.id = m.id WHERE m.notice IS NULL AND (b.own_text LIKE '%appl%' OR b.own_text LIKE '%queue%'
      OR b.own_text LIKE '%merge%' OR b.own_text LIKE '%pull%' OR b.own_text LIKE '%push%' OR b.own_text LIKE '%pick%'
      OR b.own_text LIKE '%commit%' OR b.own_text LIKE '%took%' OR b.own_text LIKE '%taken%')`).raw(true).iterate() as Iterable<[string, string, number, string, string, string, string]>;
  const found: [string, string][] = [];
  for (const [id, kind, isPatch, title, name, email, ownText] of rows) {
    const n = readNotice({ kind, isPatch: !!isPatch, title, from: { name, email }, ownText });
    if (n) found.push([JSON.stringify(n), id]);
  }
  const upd = db.prepare('UPDATE messages SET notice = ? WHERE message_id = ?');
  for (const f of found) upd.run(...f);
  db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(BACKFILLED, '1');
  return found.length;
}

/** Every message's notice, with what is needed to place it. */
export function readNotices(db: Db): NoticeHead[] {
  const rows = db.prepare(`SELECT message_id, from_name, from_email, date, in_reply_to, refs, answers, notice FROM messages
    WHERE notice IS NOT NULL`).raw(true).iterate() as Iterable<[string, string, string, string | null, string | null, string, string | null, string]>;
  // read row by row, each sender held once (a maintainer answers thousands of patches)
  const senders = new Map<string, NoticeHead['from']>();
  const out: NoticeHead[] = [];
  for (const [messageId, name, email, date, inReplyTo, refs, answers, notice] of rows) {
    const key = `${name}\n${email}`;
    let from = senders.get(key);
    if (!from) senders.set(key, (from = { name, email }));
    out.push({ messageId, from, date, inReplyTo, references: strings(refs), answers, notice: JSON.parse(notice) as Notice });
  }
  return out;
}

type HeadRow = [string, string, string, string, string | null, number, string, number | null, number | null, string | null];
// a copy (stable posting, commit bot) is told by its notice's kind, read without parsing the JSON
const HEAD_COLS = `message_id, title, from_name, from_email, date, is_patch, kind, idx, series_id,
  CASE WHEN notice IS NULL THEN NULL ELSE json_extract(notice, '$.kind') END`;

function toHead([messageId, title, name, email, date, isPatch, kind, index, seriesId, noticeKind]: HeadRow): PostedHead {
  return { messageId, title, from: { name, email }, date, isPatch: !!isPatch, kind, index, seriesId, copy: !!noticeKind && COPY_KINDS.has(noticeKind) };
}

/**
 * Look-ups over the stored patches and covers, each asked of the database (the archive's postings are never all
 * held): a message by id, a posting's members (through the index on series_id), and patches by normalised title,
 * those of `titles` read in one pass over the patches (a pull request or a stable copy is matched by title across
 * the archive); a title not among them is read with a pass of its own.
 */
export function evidenceLookup(db: Db, titles: ReadonlySet<string> = new Set()): EvidenceLookup {
  const one = db.prepare(`SELECT ${HEAD_COLS} FROM messages WHERE message_id = ?`).raw(true);
  const ofSeries = db.prepare(`SELECT ${HEAD_COLS} FROM messages WHERE series_id = ?`).raw(true);
  const patches = db.prepare(`SELECT ${HEAD_COLS} FROM messages WHERE is_patch = 1`).raw(true);
  // the heads asked for, kept while they are few (notices ask for the same patches again and again)
  const heads = new Map<string, PostedHead | undefined>();
  const byTitle = new Map<string, PostedHead[]>();
  const readTitles = (wanted: ReadonlySet<string>) => {
    for (const t of wanted) byTitle.set(t, []);
    if (!wanted.size) return;
    for (const r of patches.iterate() as Iterable<HeadRow>) {
      const t = normaliseTitle(r[1]);
      if (wanted.has(t)) byTitle.get(t)!.push(toHead(r));
    }
  };
  readTitles(titles);
  return {
    head: (id) => {
      if (heads.has(id)) return heads.get(id);
      const r = one.get(id) as HeadRow | undefined;
      const h = r ? toHead(r) : undefined;
      if (heads.size >= 10_000) heads.clear();
      heads.set(id, h);
      return h;
    },
    members: (seriesId) => (ofSeries.all(seriesId) as HeadRow[]).map(toHead),
    titled: (t) => {
      if (!byTitle.has(t)) readTitles(new Set([t]));
      return byTitle.get(t)!;
    },
  };
}

type AcceptedCols = [string | null, string | null, string | null, string | null];
const colsOf = (e: Evidence | null | undefined): AcceptedCols =>
  e ? [e.messageId, e.by?.name ?? '', e.by?.email ?? '', e.date] : [null, null, null, null];
const same = (a: AcceptedCols, b: AcceptedCols) => a.every((x, i) => x === b[i]);

/**
 * Replace the evidence table with `rows` (sorted by target, strongest first), and set the `accepted` columns of
 * patches and series from the strongest evidence: a patch's own; a series' when its cover was taken as a whole
 * or every patch of it was. Only patches and series with evidence, or accepted before, are read. Returns the
 * Message-IDs whose `accepted` changed.
 */
export function writeEvidence(db: Db, rows: TargetedEvidence[]): Set<string> {
  db.prepare('DELETE FROM evidence').run();
  const ins = db.prepare(`INSERT OR IGNORE INTO evidence (target, kind, message_id, state, rank, by_name, by_email, date, tree, branch,
    commit_id, url) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  // rows come sorted by target, strongest first: each target's first row is its strongest
  const strongestOf = new Map<string, TargetedEvidence>();
  let rank = 0;
  for (let i = 0; i < rows.length; i++) {
    const e = rows[i];
    rank = i > 0 && rows[i - 1].target === e.target ? rank + 1 : 0;
    ins.run(e.target, e.kind, e.messageId ?? '', e.state, rank, e.by?.name ?? null, e.by?.email ?? null, e.date, e.tree, e.branch, e.commit, e.url);
    if (rank === 0) strongestOf.set(e.target, e);
  }
  // messages: patches carry `accepted`; a cover's stands on its series row. Each target is read as it is written.
  const changed = new Set<string>();
  const target = db.prepare(`SELECT is_patch, series_id, accepted_message, accepted_by_name, accepted_by_email, accepted_date FROM messages
    WHERE message_id = ?`).raw(true);
  const upd = db.prepare('UPDATE messages SET accepted_message = ?, accepted_by_name = ?, accepted_by_email = ?, accepted_date = ? WHERE message_id = ?');
  const seriesToRead = new Set<number>();
  for (const [id, e] of strongestOf) {
    const r = target.get(id) as [number, number | null, ...AcceptedCols] | undefined;
    if (!r) continue;
    const [isPatch, seriesId, ...cur] = r;
    if (seriesId != null) seriesToRead.add(seriesId);
    const cols = colsOf(e);
    if (isPatch && !same(cols, cur as AcceptedCols)) { upd.run(...cols, id); changed.add(id); }
  }
  // patches accepted before that no evidence holds now
  const stale = (db.prepare('SELECT message_id FROM messages WHERE accepted_message IS NOT NULL AND is_patch = 1').pluck().all() as string[])
    .filter((id) => !strongestOf.has(id));
  for (const id of stale) { upd.run(...colsOf(null), id); changed.add(id); }
  // series: those with evidence on a message of theirs, and those accepted before
  for (const id of db.prepare('SELECT id FROM series WHERE accepted_message IS NOT NULL').pluck().all() as number[]) seriesToRead.add(id);
  const seriesRow = db.prepare('SELECT cover, accepted_message, accepted_by_name, accepted_by_email, accepted_date FROM series WHERE id = ?').raw(true);
  const patchesOf = db.prepare('SELECT message_id FROM messages WHERE series_id = ? AND is_patch = 1').pluck();
  const updSeries = db.prepare('UPDATE series SET accepted_message = ?, accepted_by_name = ?, accepted_by_email = ?, accepted_date = ? WHERE id = ?');
  for (const id of [...seriesToRead].sort((a, b) => a - b)) {
    const row = seriesRow.get(id) as [string | null, ...AcceptedCols] | undefined;
    if (!row) continue;
    const [cover, ...cur] = row;
    const patches = patchesOf.all(id) as string[];
    const coverEv = cover ? strongestOf.get(cover) : undefined;
    const all = patches.length > 0 && patches.every((p) => strongestOf.has(p));
    const best = coverEv ?? (all ? strongest(patches.map((p) => strongestOf.get(p)!)) : null);
    const cols = colsOf(best);
    if (!same(cols, cur as AcceptedCols)) updSeries.run(...cols, id);
  }
  return changed;
}
