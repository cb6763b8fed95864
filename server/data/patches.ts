// Patches (with trailers gathered from replies, b4-style) and series.
import type { Db } from '../../ingest/store/db.ts';
import type { Accepted, Hunk, Patch, PatchFile, PatchSummary, Series, Trailer } from '../schemas/index.ts';
import {
  messageIdParam, decodeCursor, encodeCursor, keysetAfter, matchDates, matchPerson, matchText, orderBy, pageLimit, paginate,
  parseJson, snapshot, stmt, Where, type Page, type PageRequest, type SortKey,
} from './common.ts';
import { MESSAGE_ORDER } from './messages.ts';
import { evidenceOf, PATCH_STATE_SQL, seriesEvidence } from './evidence.ts';

interface PatchRow {
  message_id: string; subject: string; title: string; from_name: string; from_email: string; date: string | null;
  series_id: number | null; version: number; idx: number | null; total: number | null; tags: string;
  accepted_message: string | null; accepted_by_name: string | null; accepted_by_email: string | null; accepted_date: string | null;
  state: PatchSummary['state'];
}

const PATCH_COLS = `m.message_id, m.subject, m.title, m.from_name, m.from_email, m.date, m.series_id, m.version, m.idx,
  m.total, m.tags, m.accepted_message, m.accepted_by_name, m.accepted_by_email, m.accepted_date, ${PATCH_STATE_SQL} AS state`;

export function accepted(messageId: string | null, name: string | null, email: string | null, date: string | null): Accepted | null {
  return messageId ? { by: { name: name ?? '', email: email ?? '' }, date, messageId } : null;
}

function toSummary(db: Db, r: PatchRow): PatchSummary {
  return {
    messageId: r.message_id,
    subject: r.subject,
    title: r.title,
    from: { name: r.from_name, email: r.from_email },
    date: r.date,
    seriesId: r.series_id,
    version: r.version,
    index: r.idx,
    total: r.total,
    tags: parseJson<string[]>(r.tags, []),
    accepted: accepted(r.accepted_message, r.accepted_by_name, r.accepted_by_email, r.accepted_date),
    state: r.state,
    evidence: evidenceOf(db, r.message_id),
  };
}

export interface PatchFilters {
  /** a file the patch touches (new or old name); `*` matches any characters */
  file?: string;
  since?: string;
  until?: string;
  /** exact address, or part of the name or address */
  author?: string;
  /** the patch's state (proposed, accepted, merged, superseded); pending: neither accepted nor merged */
  state?: 'proposed' | 'accepted' | 'merged' | 'superseded' | 'pending';
  seriesId?: number;
}

/**
 * Patches in date order.
 *
 * @example listPatches(db, { file: 'arch/x86/kernel/amd_iommu.c', state: 'accepted' })
 */
export function listPatches(db: Db, f: PatchFilters = {}, page: PageRequest = {}): Page<PatchSummary> {
  const limit = pageLimit(page);
  const w = new Where().add('m.is_patch = 1');
  if (f.file) {
    const fw = new Where();
    matchText(fw, 'pf.path', f.file);
    const fo = new Where();
    matchText(fo, 'pf.old_path', f.file);
    w.add(`EXISTS (SELECT 1 FROM patch_files pf WHERE pf.message_id = m.message_id AND (${fw.parts[0]} OR ${fo.parts[0]}))`, ...fw.params, ...fo.params);
  }
  matchDates(w, 'm.date', f.since, f.until);
  if (f.author) matchPerson(w, 'm.from_name', 'm.from_email', f.author);
  // merged and accepted through the evidence index; the other states through the state expression
  if (f.state === 'pending') w.add('m.message_id NOT IN (SELECT target FROM evidence)');
  else if (f.state === 'merged') w.add("m.message_id IN (SELECT target FROM evidence WHERE state = 'merged')");
  else if (f.state === 'accepted') w.add("m.message_id IN (SELECT target FROM evidence) AND m.message_id NOT IN (SELECT target FROM evidence WHERE state = 'merged')");
  else if (f.state) w.add(`${PATCH_STATE_SQL} = ?`, f.state);
  if (f.seriesId !== undefined) w.add('m.series_id = ?', f.seriesId);
  if (page.cursor) {
    const k = keysetAfter(MESSAGE_ORDER, decodeCursor('p', page.cursor, ['string?', 'string']));
    w.add(k.sql, ...k.params);
  }
  const rows = stmt(db, `SELECT ${PATCH_COLS} FROM messages m ${w} ORDER BY ${orderBy(MESSAGE_ORDER)} LIMIT ?`)
    .all(...w.params, limit + 1) as PatchRow[];
  return paginate(rows, limit, (r) => toSummary(db, r), (r) => encodeCursor('p', [r.date, r.message_id]));
}

interface FileRow { path: string; old_path: string | null; status: string; additions: number; deletions: number; hunks: string }
interface TrailerRow { name: string; value: string; source: string }

/**
 * The patch's own trailers, then those of replies that answer it or its series' cover letter (a cover-level
 * Acked-by applies to every patch, as b4 has it): each once, replies in date order. A proposal (a reply with a diff)
 * answering it gives its review trailers only: its Signed-off-by is the proposal's own.
 */
export function patchTrailers(db: Db, messageId: string, cover: string | null): Trailer[] {
  const own = stmt(db, 'SELECT name, value, message_id AS source FROM trailers WHERE message_id = ? ORDER BY seq').all(messageId) as TrailerRow[];
  const replies = stmt(db, `SELECT t.name, t.value, m.message_id AS source FROM messages m JOIN trailers t ON t.message_id = m.message_id
    WHERE m.answers IN (?, ?) AND (+m.is_patch = 0 OR (m.kind = 'proposal' AND t.name IN ('Reviewed-by', 'Acked-by', 'Tested-by')))
      AND m.message_id <> ?
    ORDER BY m.date IS NULL, m.date, m.message_id, t.seq`).all(messageId, cover ?? messageId, messageId) as TrailerRow[];
  const seen = new Set<string>();
  const out: Trailer[] = [];
  for (const t of [...own, ...replies]) {
    const k = `${t.name.toLowerCase()}\n${t.value.trim().replace(/\s+/g, ' ').toLowerCase()}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push({ name: t.name, value: t.value, source: t.source });
  }
  return out;
}

/** One patch with its trailers and files, or null when there is no such message or it is not a patch. */
export function getPatch(db: Db, messageId: string): Patch | null {
  return snapshot(db, () => {
    const id = messageIdParam(messageId);
    const r = stmt(db, `SELECT ${PATCH_COLS}, s.cover FROM messages m LEFT JOIN series s ON s.id = m.series_id
      WHERE m.message_id = ? AND m.is_patch = 1`).get(id) as (PatchRow & { cover: string | null }) | undefined;
    if (!r) return null;
    const files = (stmt(db, 'SELECT path, old_path, status, additions, deletions, hunks FROM patch_files WHERE message_id = ? ORDER BY seq')
      .all(id) as FileRow[]).map((f): PatchFile => ({
      path: f.path, oldPath: f.old_path, status: f.status, additions: f.additions, deletions: f.deletions,
      hunks: parseJson<Hunk[]>(f.hunks, []),
    }));
    return { ...toSummary(db, r), trailers: patchTrailers(db, id, r.cover), files, backports: backportsOf(db, id) };
  });
}

/**
 * The stable backports of a patch: patches of backport series that name its posting as their original, with its
 * title (the original's other patches have backports of their own).
 */
export function backportsOf(db: Db, messageId: string): string[] {
  return (stmt(db, `SELECT b.message_id FROM messages p JOIN series o ON o.id = p.series_id
    JOIN series s ON s.backport_of = o.anchor JOIN messages b ON b.series_id = s.id AND b.is_patch = 1 AND b.title = p.title
    WHERE p.message_id = ? ORDER BY b.date IS NULL, b.date, b.message_id`).all(messageId) as { message_id: string }[]).map((r) => r.message_id);
}

/** The unified diff a patch carries, as text, or null when there is no such patch. */
export function getPatchDiff(db: Db, messageId: string): string | null {
  const r = stmt(db, 'SELECT b.diff_text FROM messages m JOIN message_bodies b ON b.id = m.id WHERE m.message_id = ? AND m.is_patch = 1').get(messageIdParam(messageId)) as { diff_text: string } | undefined;
  return r ? r.diff_text : null;
}

// ---- series ------------------------------------------------------------------------------------

interface SeriesRow {
  id: number; title: string; version: number; total: number; complete: number; cover: string | null;
  author_name: string; author_email: string; date: string | null; previous_id: number | null; next_id: number | null;
  accepted_message: string | null; accepted_by_name: string | null; accepted_by_email: string | null; accepted_date: string | null;
  link: string | null; backport_of_id: number | null;
}

const SERIES_COLS = `s.id, s.title, s.version, s.total, s.complete, s.cover, s.author_name, s.author_email, s.date, s.previous_id,
  s.next_id, s.accepted_message, s.accepted_by_name, s.accepted_by_email, s.accepted_date, s.link,
  (SELECT o.id FROM series o WHERE o.anchor = s.backport_of) AS backport_of_id`;

function toSeries(db: Db, r: SeriesRow): Series {
  const patches = (stmt(db, `SELECT message_id FROM messages WHERE series_id = ? AND is_patch = 1
    ORDER BY idx IS NULL, idx, date, message_id`).all(r.id) as { message_id: string }[]).map((x) => x.message_id);
  return {
    id: r.id,
    title: r.title,
    version: r.version,
    total: r.total,
    complete: !!r.complete,
    author: { name: r.author_name, email: r.author_email },
    date: r.date,
    cover: r.cover,
    patches,
    previousVersion: r.previous_id,
    nextVersion: r.next_id,
    accepted: accepted(r.accepted_message, r.accepted_by_name, r.accepted_by_email, r.accepted_date),
    ...seriesEvidence(db, r.cover, patches, r.next_id !== null),
    link: (r.link as Series['link']) ?? null,
    backportOf: r.backport_of_id,
  };
}

export interface SeriesFilters {
  author?: string;
  since?: string;
  until?: string;
  complete?: boolean;
  accepted?: boolean;
}

const SERIES_ORDER: SortKey[] = [{ expr: 's.date', nullable: true }, { expr: 's.id' }];

/**
 * Series (postings: one per version) in date order.
 *
 * @example listSeries(db, { complete: false })
 */
export function listSeries(db: Db, f: SeriesFilters = {}, page: PageRequest = {}): Page<Series> {
  const limit = pageLimit(page);
  const w = new Where();
  if (f.author) matchPerson(w, 's.author_name', 's.author_email', f.author);
  matchDates(w, 's.date', f.since, f.until);
  if (f.complete !== undefined) w.add('s.complete = ?', f.complete ? 1 : 0);
  if (f.accepted !== undefined) w.add(f.accepted ? 's.accepted_message IS NOT NULL' : 's.accepted_message IS NULL');
  if (page.cursor) {
    const k = keysetAfter(SERIES_ORDER, decodeCursor('s', page.cursor, ['string?', 'number']));
    w.add(k.sql, ...k.params);
  }
  return snapshot(db, () => {
    const rows = stmt(db, `SELECT ${SERIES_COLS} FROM series s ${w} ORDER BY ${orderBy(SERIES_ORDER)} LIMIT ?`)
      .all(...w.params, limit + 1) as SeriesRow[];
    return paginate(rows, limit, (r) => toSeries(db, r), (r) => encodeCursor('s', [r.date, r.id]));
  });
}

/** One series by id, or null. */
export function getSeries(db: Db, id: number): Series | null {
  return snapshot(db, () => {
    const r = stmt(db, `SELECT ${SERIES_COLS} FROM series s WHERE s.id = ?`).get(id) as SeriesRow | undefined;
    return r ? toSeries(db, r) : null;
  });
}
