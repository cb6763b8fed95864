// The SQL of evidence derivation: the notices (in the order they are resolved in, a page at a time) and the heads
// evidence is resolved against, read; the evidence found gathered; the evidence table and the `accepted` columns it
// fills, written from there (only rows that differ). What grows with the archive is held only up to a bound (HELD),
// past it it stays in SQLite (temporary tables: files past its cache). Reads are done a page at a time with `all`:
// no statement is left open while the caller writes (better-sqlite3 refuses a write while one iterates).
import type { Statement } from 'better-sqlite3';
import type { Db } from './db.ts';
import type { Evidence, EvidenceKind } from '../core/model.ts';
import { readNotice, type Notice } from '../core/notice.ts';
import type { EvidenceLookup, NoticeHead, PostedHead, TargetedEvidence } from '../core/evidence.ts';
import { stronger, strongest } from '../core/evidence.ts';
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

/**
 * Every message's notice, with what is needed to place it, all held (derive-evidence.ts: when they are few, or when
 * SQLite cannot give their order).
 */
export function readNotices(db: Db): NoticeHead[] {
  const rows = db.prepare(`SELECT message_id, from_name, from_email, date, in_reply_to, refs, answers, notice FROM messages
    WHERE notice IS NOT NULL`).raw(true).iterate() as Iterable<NoticeRow>;
  // read row by row, each sender held once (a maintainer answers thousands of patches)
  const senders = new Map<string, NoticeHead['from']>();
  const out: NoticeHead[] = [];
  for (const row of rows) out.push(toNotice(row, senders));
  return out;
}

type NoticeRow = [string, string, string, string | null, string | null, string, string | null, string];

function toNotice([messageId, name, email, date, inReplyTo, refs, answers, notice]: NoticeRow | [...NoticeRow, number], senders?: Map<string, NoticeHead['from']>): NoticeHead {
  let from = senders?.get(`${name}\n${email}`);
  if (!from) {
    from = { name, email };
    senders?.set(`${name}\n${email}`, from);
  }
  return { messageId, from, date, inReplyTo, references: strings(refs), answers, notice: JSON.parse(notice) as Notice };
}

/** The SQL functions evidence derivation uses, once per connection (replacing one while a statement runs fails). */
const withFunctions = new WeakSet<Db>();
function evidenceFunctions(db: Db): void {
  if (withFunctions.has(db)) return;
  // a date as core/evidence.ts's processingOrder takes it: its time as Date.parse reads it, none (NULL, or empty) after
  // every other (SQLite keeps an infinite REAL; what Date.parse cannot read, NaN, becomes NULL)
  db.function('relapse_notice_time', { deterministic: true }, (d: unknown) => (typeof d === 'string' && d ? Date.parse(d) : Infinity));
  // text as JavaScript compares it, by UTF-16 code unit (SQLite compares UTF-8 bytes, which differ past U+FFFF)
  db.function('relapse_code_units', { deterministic: true }, (s: unknown) => Buffer.from(String(s), 'utf16le').swap16());
  db.function('relapse_normalised_title', { deterministic: true }, (t: unknown) => normaliseTitle(String(t)));
  withFunctions.add(db);
}

/** Whether more than `n` messages have a notice (counted through the index of them, no further than n + 1). */
export function noticesOver(db: Db, n: number): boolean {
  return (db.prepare('SELECT count(*) FROM (SELECT 1 FROM messages WHERE notice IS NOT NULL LIMIT ?)').pluck().get(n + 1) as number) > n;
}

/** Notices a page at a time: what is held while they are read (twice) is one page. */
const NOTICE_PAGE = 512;

/**
 * Every message's notice, in core/evidence.ts's processingOrder, read again each time the returned function is
 * called, a page at a time (no statement is left open: the caller may write between two notices). The order is
 * SQLite's: stable copies last, then the time of the date (a SQL function: Date.parse is what counts, not the text;
 * no date after every dated one), then the Message-ID by UTF-16 code unit. What a notice is read with is copied
 * once, so sorted, into a temporary table (temporary files past its cache; a message's row is long and its notice
 * its last column), and each page is read from there. ({@link dropEvidenceScratch} drops it.)
 */
export function noticesInOrder(db: Db, pageSize = NOTICE_PAGE): () => Iterable<NoticeHead> {
  evidenceFunctions(db);
  db.exec(`DROP TABLE IF EXISTS temp.evidence_notices;
    CREATE TEMP TABLE evidence_notices (seq INTEGER PRIMARY KEY, message_id TEXT NOT NULL, from_name TEXT NOT NULL,
      from_email TEXT NOT NULL, date TEXT, in_reply_to TEXT, refs TEXT NOT NULL, answers TEXT, notice TEXT NOT NULL)`);
  db.prepare(`INSERT INTO temp.evidence_notices (message_id, from_name, from_email, date, in_reply_to, refs, answers, notice)
    SELECT message_id, from_name, from_email, date, in_reply_to, refs, answers, notice FROM messages WHERE notice IS NOT NULL
    ORDER BY CASE WHEN json_extract(notice, '$.kind') = 'stable' THEN 1 ELSE 0 END, relapse_notice_time(date), relapse_code_units(message_id)`).run();
  const page = db.prepare(`SELECT message_id, from_name, from_email, date, in_reply_to, refs, answers, notice, seq
    FROM temp.evidence_notices WHERE seq > ? ORDER BY seq LIMIT ?`).raw(true);
  return function* () {
    let after = 0;
    for (;;) {
      const rows = page.all(after, pageSize) as [...NoticeRow, number][];
      for (const row of rows) yield toNotice(row);
      if (rows.length < pageSize) return;
      after = rows[rows.length - 1][8];
    }
  };
}

type HeadRow = [string, string, string, string, string | null, number, string, number | null, number | null, string | null];
// a copy (stable posting, commit bot) is told by its notice's kind, read without parsing the JSON
const HEAD_COLS = `m.message_id, m.title, m.from_name, m.from_email, m.date, m.is_patch, m.kind, m.idx, m.series_id,
  CASE WHEN m.notice IS NULL THEN NULL ELSE json_extract(m.notice, '$.kind') END`;

function toHead([messageId, title, name, email, date, isPatch, kind, index, seriesId, noticeKind]: HeadRow): PostedHead {
  return { messageId, title, from: { name, email }, date, isPatch: !!isPatch, kind, index, seriesId, copy: !!noticeKind && COPY_KINDS.has(noticeKind) };
}

/**
 * Look-ups over the stored patches and covers, each asked of the database (the archive's postings are never all
 * held): a message by id, a posting's members (through the index on series_id), and patches by normalised title
 * (a pull request or a stable copy is matched by title across the archive): the first such look-up indexes every
 * patch by its normalised title in a temporary table ({@link dropEvidenceScratch} drops it), and each is read through
 * it.
 */
export function evidenceLookup(db: Db): EvidenceLookup {
  evidenceFunctions(db);
  const one = db.prepare(`SELECT ${HEAD_COLS} FROM messages m WHERE m.message_id = ?`).raw(true);
  const ofSeries = db.prepare(`SELECT ${HEAD_COLS} FROM messages m WHERE m.series_id = ?`).raw(true);
  let byTitle: Statement | undefined;
  const titles = () => {
    db.exec(`DROP TABLE IF EXISTS temp.evidence_titles;
      CREATE TEMP TABLE evidence_titles (normalised TEXT NOT NULL, id INTEGER NOT NULL);
      INSERT INTO temp.evidence_titles SELECT relapse_normalised_title(title), id FROM messages WHERE is_patch = 1;
      CREATE INDEX temp.evidence_titles_normalised ON evidence_titles (normalised, id)`);
    return db.prepare(`SELECT ${HEAD_COLS} FROM temp.evidence_titles t JOIN messages m ON m.id = t.id WHERE t.normalised = ?
      ORDER BY t.id`).raw(true);
  };
  // the heads asked for, kept while they are few (notices ask for the same patches again and again)
  const heads = new Map<string, PostedHead | undefined>();
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
    titled: (t) => ((byTitle ??= titles()).all(t) as HeadRow[]).map(toHead),
  };
}

type FoundRow = [target: string, kind: EvidenceKind, messageId: string, state: Evidence['state'], byName: string | null, byEmail: string | null,
  date: string | null, tree: string | null, branch: string | null, commit: string | null, url: string | null];
const FOUND_COLS = 'target, kind, message_id, state, by_name, by_email, date, tree, branch, commit_id, url';
/** Rows of evidence found (whole target groups), or series, read at a time. */
const PAGE = 1024;

/**
 * Notices, or pieces of evidence found, held rather than read again or kept in a temporary table: a few MB at most
 * (a 100,000-message archive has some 5,000 of each, a 1,000,000-message one 55,000).
 */
export const HELD = 8_192;

/**
 * Where evidence is gathered as it is found, the first piece of each (target, kind, message) kept: held while there
 * are few (at most `held`), then in a temporary table keyed so ({@link dropEvidenceScratch} drops it).
 * {@link writeFoundEvidence} writes what it gathered.
 */
export class EvidenceFound {
  private kept: Map<string, FoundRow> | null = new Map();
  private readonly ins: Statement;

  constructor(private readonly db: Db, private readonly held = HELD) {
    db.exec(`DROP TABLE IF EXISTS temp.evidence_found;
      CREATE TEMP TABLE evidence_found (target TEXT NOT NULL, kind TEXT NOT NULL, message_id TEXT NOT NULL, state TEXT NOT NULL,
        by_name TEXT, by_email TEXT, date TEXT, tree TEXT, branch TEXT, commit_id TEXT, url TEXT,
        PRIMARY KEY (target, kind, message_id)) WITHOUT ROWID`);
    this.ins = db.prepare(`INSERT OR IGNORE INTO temp.evidence_found (${FOUND_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  }

  readonly add = (e: TargetedEvidence): void => {
    const row: FoundRow = [e.target, e.kind, e.messageId ?? '', e.state, e.by?.name ?? null, e.by?.email ?? null, e.date, e.tree, e.branch,
      e.commit, e.url];
    if (!this.kept) {
      this.ins.run(...row);
      return;
    }
    const key = `${row[1]}\n${row[2].length}\n${row[2]}\n${row[0]}`;
    if (!this.kept.has(key)) this.kept.set(key, row);
    if (this.kept.size > this.held) {
      for (const r of this.kept.values()) this.ins.run(...r);
      this.kept = null;
    }
  };

  /** Each target's evidence, the targets in order, read `pageSize` rows at a time (a target's group is read whole). */
  *groups(pageSize: number): Generator<FoundRow[]> {
    if (this.kept) {
      // a stable sort: a target's pieces stay in the order they were found
      const rows = [...this.kept.values()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      for (let i = 0; i < rows.length;) {
        let j = i + 1;
        while (j < rows.length && rows[j][0] === rows[i][0]) j++;
        yield rows.slice(i, j);
        i = j;
      }
      return;
    }
    const firstPage = this.db.prepare(`SELECT ${FOUND_COLS} FROM temp.evidence_found ORDER BY target LIMIT ?`).raw(true);
    const nextPage = this.db.prepare(`SELECT ${FOUND_COLS} FROM temp.evidence_found WHERE target > ? ORDER BY target LIMIT ?`).raw(true);
    const wholeGroup = this.db.prepare(`SELECT ${FOUND_COLS} FROM temp.evidence_found WHERE target = ?`).raw(true);
    for (let after: string | null = null; ;) {
      let rows = (after === null ? firstPage.all(pageSize) : nextPage.all(after, pageSize)) as FoundRow[];
      if (!rows.length) return;
      let end = rows.length;
      if (rows.length === pageSize) {
        // the last target's group may go on past the page: it is read with the next one (or whole, when it fills the page)
        const lastTarget = rows[end - 1][0];
        while (end > 0 && rows[end - 1][0] === lastTarget) end--;
        if (end === 0) end = (rows = wholeGroup.all(lastTarget) as FoundRow[]).length;
      }
      for (let i = 0; i < end;) {
        let j = i + 1;
        while (j < end && rows[j][0] === rows[i][0]) j++;
        yield rows.slice(i, j);
        i = j;
      }
      after = rows[end - 1][0];
    }
  }
}

/** Drop the temporary tables of an evidence derivation (those that exist). */
export function dropEvidenceScratch(db: Db): void {
  db.exec(`DROP TABLE IF EXISTS temp.evidence_notices; DROP TABLE IF EXISTS temp.evidence_titles;
    DROP TABLE IF EXISTS temp.evidence_found; DROP TABLE IF EXISTS temp.evidence_series`);
}

type AcceptedCols = [string | null, string | null, string | null, string | null];
const same = (a: AcceptedCols, b: AcceptedCols) => a.every((x, i) => x === b[i]);

/** A stored piece of evidence as core/evidence.ts's `stronger` compares it, and the `accepted` columns it fills. */
const asEvidence = ([, kind, messageId, state, byName, byEmail, date, tree, branch, commit, url]: FoundRow): Evidence => ({
  kind, state, by: { name: byName ?? '', email: byEmail ?? '' }, date, messageId, tree, branch, commit, url,
});
const colsOf = (e: Evidence | null | undefined): AcceptedCols =>
  e ? [e.messageId, e.by?.name ?? '', e.by?.email ?? '', e.date] : [null, null, null, null];

/**
 * Replace the evidence table with the evidence found ({@link EvidenceFound}), ranked per target (0 for the strongest
 * by core/evidence.ts's `stronger`, then 1, 2 ...; the targets in order, a page of whole groups at a time), and set the
 * `accepted` columns of patches and series from each target's strongest: a patch's own; a series' when its cover was
 * taken as a whole or every patch of it was. Only patches and series with evidence, or accepted before, are read;
 * only rows that differ are written. With `changed`, returns the Message-IDs of the patches whose `accepted` changed
 * (else nothing is collected: a first import has no use for them).
 */
export function writeFoundEvidence(db: Db, found: EvidenceFound, opts: { changed: boolean; pageSize?: number }): Set<string> | undefined {
  const pageSize = opts.pageSize ?? PAGE;
  db.prepare('DELETE FROM evidence').run();
  // the series to read, each with how many of its patches have evidence
  db.exec(`DROP TABLE IF EXISTS temp.evidence_series;
    CREATE TEMP TABLE evidence_series (id INTEGER PRIMARY KEY, patches_with_evidence INTEGER NOT NULL DEFAULT 0)`);
  const changed = opts.changed ? new Set<string>() : undefined;
  const ins = db.prepare(`INSERT OR IGNORE INTO evidence (target, kind, message_id, state, rank, by_name, by_email, date, tree, branch,
    commit_id, url) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  // messages: patches carry `accepted`; a cover's stands on its series row (each series is read below)
  const targetRow = db.prepare(`SELECT is_patch, series_id, accepted_message, accepted_by_name, accepted_by_email, accepted_date FROM messages
    WHERE message_id = ?`).raw(true);
  const upd = db.prepare('UPDATE messages SET accepted_message = ?, accepted_by_name = ?, accepted_by_email = ?, accepted_date = ? WHERE message_id = ?');
  const toRead = db.prepare(`INSERT INTO temp.evidence_series (id, patches_with_evidence) VALUES (?, ?)
    ON CONFLICT (id) DO UPDATE SET patches_with_evidence = patches_with_evidence + excluded.patches_with_evidence`);
  // one target's evidence
  const writeGroup = (pieces: FoundRow[]) => {
    const group = pieces.length === 1 ? pieces : pieces.map((r) => ({ r, e: asEvidence(r) }))
      .sort((a, b) => (stronger(a.e, b.e) ? -1 : stronger(b.e, a.e) ? 1 : 0)).map((x) => x.r);
    group.forEach(([target, kind, messageId, state, byName, byEmail, date, tree, branch, commit, url], rank) =>
      ins.run(target, kind, messageId, state, rank, byName, byEmail, date, tree, branch, commit, url));
    const [id, , messageId, , byName, byEmail, date] = group[0];
    const r = targetRow.get(id) as [number, number | null, ...AcceptedCols] | undefined;
    if (!r) return;
    const [isPatch, seriesId, ...cur] = r;
    if (seriesId != null) toRead.run(seriesId, isPatch);
    const cols: AcceptedCols = [messageId, byName ?? '', byEmail ?? '', date];
    if (isPatch && !same(cols, cur as AcceptedCols)) {
      upd.run(...cols, id);
      changed?.add(id);
    }
  };
  for (const group of found.groups(pageSize)) writeGroup(group);
  // patches accepted before that no evidence holds now (read by a scan of the table: faster than through
  // messages_patch, where each patch's row is then looked up)
  const STALE = 'accepted_message IS NOT NULL AND is_patch = 1 AND NOT EXISTS (SELECT 1 FROM evidence WHERE target = messages.message_id)';
  const clear = db.prepare(`UPDATE messages NOT INDEXED SET accepted_message = NULL, accepted_by_name = NULL, accepted_by_email = NULL,
    accepted_date = NULL WHERE ${STALE} RETURNING message_id`).pluck();
  if (changed) for (const id of clear.all() as string[]) changed.add(id);
  else clear.run();

  // series: those with evidence on a message of theirs (above), and those accepted before, a page at a time, each
  // with its cover's strongest evidence, and when it has none its count of patches
  db.prepare('INSERT OR IGNORE INTO temp.evidence_series (id) SELECT id FROM series WHERE accepted_message IS NOT NULL').run();
  const seriesPage = db.prepare(`SELECT t.id, t.patches_with_evidence, s.accepted_message, s.accepted_by_name, s.accepted_by_email,
      s.accepted_date, CASE WHEN e.target IS NULL AND t.patches_with_evidence > 0
        THEN (SELECT count(*) FROM messages m WHERE m.series_id = t.id AND m.is_patch = 1) END,
      ${FOUND_COLS.split(', ').map((c) => `e.${c}`).join(', ')}
    FROM temp.evidence_series t JOIN series s ON s.id = t.id LEFT JOIN evidence e ON e.target = s.cover AND e.rank = 0
    WHERE t.id > ? ORDER BY t.id LIMIT ?`).raw(true);
  const patchesStrongest = db.prepare(`SELECT ${FOUND_COLS.split(', ').map((c) => `e.${c}`).join(', ')} FROM messages m
    JOIN evidence e ON e.target = m.message_id AND e.rank = 0 WHERE m.series_id = ? AND m.is_patch = 1`).raw(true);
  const updSeries = db.prepare('UPDATE series SET accepted_message = ?, accepted_by_name = ?, accepted_by_email = ?, accepted_date = ? WHERE id = ?');
  type SeriesRow = [id: number, withEvidence: number, ...cur: AcceptedCols, patches: number | null, ...cover: FoundRow];
  for (let after = -Infinity; ;) {
    const page = seriesPage.all(after, pageSize) as SeriesRow[];
    for (const row of page) {
      const [id, withEvidence, , , , , patches] = row;
      const cur = row.slice(2, 6) as AcceptedCols;
      const coverRow = row.slice(7) as FoundRow;
      // the cover's strongest, else the strongest of its patches' when every patch has some
      let chosen: Evidence | null = coverRow[0] !== null ? asEvidence(coverRow) : null;
      if (!chosen && withEvidence > 0 && withEvidence === patches) chosen = strongest((patchesStrongest.all(id) as FoundRow[]).map(asEvidence));
      const cols = colsOf(chosen);
      if (!same(cols, cur)) updSeries.run(...cols, id);
    }
    if (page.length < pageSize) break;
    after = page[page.length - 1][0];
  }
  return changed;
}
