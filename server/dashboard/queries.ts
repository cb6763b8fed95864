// What only the dashboard asks of the database: a message's text, the call index with author and acceptance
// (for its filters), timeline aggregates, function histories across renames, and which regressions a message
// takes part in. Everything else comes from server/queries. Every query here is indexed and bounded.
import type { Db } from '../../ingest/db.ts';
import {
  decodeCursor, encodeCursor, keysetAfter, matchDates, matchNullable, matchPerson, matchText, orderBy, paginate, stmt, Where,
  type Page, type SortKey,
} from '../queries/common.ts';
import type { Address } from '../schemas.ts';
import type { CallChangeRow } from './pages/call-changes.ts';
import type { HistoryCall, HistoryRename } from './pages/function-history.ts';

/** A message's own text and list (what the API's message resource leaves out). */
export function messageText(db: Db, messageId: string): { ownText: string; list: string; isPatch: boolean; diffText: string } | null {
  const r = stmt(db, 'SELECT own_text, list, is_patch, diff_text FROM messages WHERE message_id = ?').get(messageId) as
    { own_text: string; list: string; is_patch: number; diff_text: string } | undefined;
  return r ? { ownText: r.own_text, list: r.list, isPatch: !!r.is_patch, diffText: r.diff_text } : null;
}

// ---- the call index with its filters ----------------------------------------------------------------

export interface CallFilters {
  file?: string;
  function?: string;
  path?: string;
  call?: string;
  op?: 'added' | 'removed';
  author?: string;
  since?: string;
  until?: string;
  /** accepted: a reply says the patch was applied; pending: none does */
  status?: 'accepted' | 'pending';
}

function callWhere(f: CallFilters): Where {
  const w = new Where();
  if (f.file) matchText(w, 'c.file', f.file);
  if (f.function) matchNullable(w, 'c.function', f.function);
  if (f.path) matchNullable(w, 'c.path', f.path);
  if (f.call) matchText(w, 'c.call', f.call);
  if (f.op) w.add('c.op = ?', f.op);
  if (f.author) matchPerson(w, 'm.from_name', 'm.from_email', f.author);
  matchDates(w, 'm.date', f.since, f.until);
  if (f.status === 'accepted') w.add('m.accepted_message IS NOT NULL');
  if (f.status === 'pending') w.add('m.accepted_message IS NULL');
  return w;
}

/** Newest first: the patch's date (undated last), its Message-ID, the position in the patch. */
const NEWEST: SortKey[] = [{ expr: 'm.date', nullable: true }, { expr: 'c.message_id' }, { expr: 'c.seq' }];

interface CallRow {
  message_id: string; seq: number; series_id: number | null; subject: string | null; date: string | null; file: string;
  function: string | null; path: string | null; call: string; op: 'added' | 'removed'; line: string; rule: string;
  from_name: string | null; from_email: string | null; accepted: number;
}

/** Call changes with their patch's author and acceptance, newest first, a page at a time. */
export function listCallRows(db: Db, f: CallFilters, limit: number, cursor?: string | null): Page<CallChangeRow> {
  const w = callWhere(f);
  if (cursor) {
    const k = keysetAfter(NEWEST, decodeCursor('dc', cursor, ['string?', 'string', 'number']), 'desc');
    w.add(k.sql, ...k.params);
  }
  const rows = stmt(db, `SELECT c.message_id, c.seq, m.series_id, m.subject, m.date, c.file, c.function, c.path, c.call, c.op, c.line,
      c.rule, m.from_name, m.from_email, m.accepted_message IS NOT NULL AS accepted
    FROM call_changes c JOIN messages m ON m.message_id = c.message_id ${w} ORDER BY ${orderBy(NEWEST, 'desc')} LIMIT ?`)
    .all(...w.params, limit + 1) as CallRow[];
  return paginate(
    rows,
    limit,
    (r): CallChangeRow => ({
      messageId: r.message_id, seriesId: r.series_id, subject: r.subject ?? '', date: r.date, file: r.file, function: r.function,
      path: r.path, call: r.call, op: r.op, line: r.line, rule: r.rule,
      author: { name: r.from_name ?? '', email: r.from_email ?? '' }, accepted: !!r.accepted,
    }),
    (r) => encodeCursor('dc', [r.date, r.message_id, r.seq]),
  );
}

/** Path classes present in the call index (for filter menus). */
export function pathClasses(db: Db): string[] {
  // walks the call_changes_path index, one step per distinct value
  const out: string[] = [];
  let last = '';
  const next = stmt(db, 'SELECT path FROM call_changes WHERE path > ? ORDER BY path LIMIT 1');
  for (let i = 0; i < 50; i++) {
    const r = next.get(last) as { path: string } | undefined;
    if (!r) break;
    out.push(r.path);
    last = r.path;
  }
  return out;
}

// ---- timeline ---------------------------------------------------------------------------------------

export interface TimelineRow {
  messageId: string;
  subject: string;
  date: string;
  accepted: boolean;
  counts: Record<string, number>;
}

/** Per dated patch: how many call changes of each path class and direction (`${path ?? 'other'}|${op}`), by date. */
export function timelineRows(db: Db, f: CallFilters, maxPatches = 20000): TimelineRow[] {
  const w = callWhere(f);
  w.add('m.date IS NOT NULL');
  const rows = stmt(db, `SELECT c.message_id, m.subject, m.date, m.accepted_message IS NOT NULL AS accepted,
      coalesce(c.path, 'other') AS path, c.op, count(*) AS n
    FROM call_changes c JOIN messages m ON m.message_id = c.message_id ${w}
    GROUP BY c.message_id, coalesce(c.path, 'other'), c.op ORDER BY m.date, c.message_id LIMIT ?`)
    .all(...w.params, maxPatches * 4) as { message_id: string; subject: string; date: string; accepted: number; path: string; op: string; n: number }[];
  const out: TimelineRow[] = [];
  let cur: TimelineRow | null = null;
  for (const r of rows) {
    if (!cur || cur.messageId !== r.message_id) {
      cur = { messageId: r.message_id, subject: r.subject, date: r.date, accepted: !!r.accepted, counts: {} };
      out.push(cur);
    }
    cur.counts[`${r.path}|${r.op}`] = r.n;
  }
  return out;
}

// ---- function history -------------------------------------------------------------------------------

interface RenameRow { message_id: string; subject: string; date: string | null; old_path: string; path: string; accepted: number }

/** Accepted renames that produced `file` (newest first), by the patch_files path index. */
function renamesInto(db: Db, file: string): RenameRow[] {
  return stmt(db, `SELECT pf.message_id, m.subject, m.date, pf.old_path, pf.path, m.accepted_message IS NOT NULL AS accepted
    FROM patch_files pf JOIN messages m ON m.message_id = pf.message_id
    WHERE pf.path = ? AND pf.status = 'renamed' AND pf.old_path IS NOT NULL AND pf.old_path <> pf.path
      AND m.accepted_message IS NOT NULL
    ORDER BY m.date DESC LIMIT 20`).all(file) as RenameRow[];
}

interface HistRow {
  message_id: string; subject: string; date: string | null; from_name: string; from_email: string; accepted: number;
  file: string; path: string | null; call: string; op: 'added' | 'removed'; line: string; seq: number;
}

function changesIn(db: Db, file: string, fn: string, until: string | null): HistRow[] {
  return stmt(db, `SELECT c.message_id, m.subject, m.date, m.from_name, m.from_email, m.accepted_message IS NOT NULL AS accepted,
      c.file, c.path, c.call, c.op, c.line, c.seq
    FROM call_changes c JOIN messages m ON m.message_id = c.message_id
    WHERE c.file = ? AND c.function = ? AND (? IS NULL OR m.date IS NULL OR m.date <= ?)
    ORDER BY m.date, c.message_id, c.seq LIMIT 2000`).all(file, fn, until, until) as HistRow[];
}

export interface FunctionHistory {
  entries: (HistoryCall | HistoryRename)[];
  formerNames: string[];
  renamedTo: { to: string; messageId: string; date: string | null } | null;
}

/**
 * Every call change in `fn` of `file`, and — through accepted renames that produced `file` — in `fn` under the
 * file's earlier names up to the rename, in date order.
 */
export function functionHistory(db: Db, file: string, fn: string): FunctionHistory {
  const entries: (HistoryCall | HistoryRename)[] = [];
  const formerNames: string[] = [];
  const seen = new Set<string>([file]);
  // (name, changes under it count up to this date)
  const names: { name: string; until: string | null }[] = [{ name: file, until: null }];
  for (let i = 0; i < names.length && i < 16; i++) {
    for (const r of renamesInto(db, names[i].name)) {
      if (names[i].until && r.date && r.date > names[i].until!) continue;
      entries.push({ type: 'rename', messageId: r.message_id, subject: r.subject, date: r.date, from: r.old_path, to: r.path, accepted: !!r.accepted });
      if (seen.has(r.old_path)) continue;
      seen.add(r.old_path);
      formerNames.push(r.old_path);
      names.push({ name: r.old_path, until: r.date });
    }
  }
  const seenChange = new Set<string>();
  for (const n of names) {
    for (const r of changesIn(db, n.name, fn, n.until)) {
      const k = `${r.message_id}\n${r.seq}`;
      if (seenChange.has(k)) continue;
      seenChange.add(k);
      entries.push({
        type: 'call', messageId: r.message_id, subject: r.subject, date: r.date, author: { name: r.from_name, email: r.from_email },
        accepted: !!r.accepted, file: r.file, path: r.path, call: r.call, op: r.op, line: r.line,
      });
    }
  }
  // date order; on the same date a rename comes before the changes made under the new name
  entries.sort((a, b) => (a.date ?? '').localeCompare(b.date ?? '') || (a.type === b.type ? 0 : a.type === 'rename' ? -1 : 1));
  return { entries, formerNames, renamedTo: renamedTo(db, file, fn) };
}

/** Where an accepted rename took `file` later on, found through the known fixes of `fn` (their file follows renames). */
function renamedTo(db: Db, file: string, fn: string): FunctionHistory['renamedTo'] {
  const candidates = stmt(db, 'SELECT DISTINCT file FROM fixes WHERE function = ? AND file <> ? LIMIT 20').all(fn, file) as { file: string }[];
  for (const c of candidates) {
    const r = renamesInto(db, c.file).find((x) => x.old_path === file);
    if (r) return { to: r.path, messageId: r.message_id, date: r.date };
  }
  return null;
}

export interface FixHere { key: string; kind: string; call: string; path: string | null; status: string; before: string[] }

export function fixesIn(db: Db, files: string[], fn: string): FixHere[] {
  const out: FixHere[] = [];
  for (const file of files) {
    const rows = stmt(db, 'SELECT key, kind, call, path, status, before FROM fixes WHERE file = ? AND function = ? ORDER BY id LIMIT 100')
      .all(file, fn) as { key: string; kind: string; call: string; path: string | null; status: string; before: string }[];
    for (const r of rows) out.push({ ...r, before: JSON.parse(r.before || '[]') as string[] });
  }
  return out;
}

/** Ids of regressions of fixes in these functions. */
export function regressionIdsIn(db: Db, files: string[], fn: string): number[] {
  const out: number[] = [];
  for (const file of files) {
    const rows = stmt(db, `SELECT r.id FROM regressions r JOIN fixes f ON f.key = r.fix_key WHERE f.file = ? AND f.function = ?
      ORDER BY r.first_seen LIMIT 100`).all(file, fn) as { id: number }[];
    out.push(...rows.map((r) => r.id));
  }
  return out;
}

// ---- a message's part in regressions ----------------------------------------------------------------

/**
 * Regressions a message takes part in: it removes the fix, (re-)established it, resolved it, or is a related
 * re-fix. The regressions table holds one row per regression (tens, not thousands), so this reads it whole.
 */
export function regressionRoles(db: Db, messageId: string): { id: number; role: string }[] {
  const rows = stmt(db, 'SELECT id, fix_message, removed_by, resolved_by, related FROM regressions ORDER BY id LIMIT 5000').all() as
    { id: number; fix_message: string | null; removed_by: string; resolved_by: string | null; related: string }[];
  const out: { id: number; role: string }[] = [];
  for (const r of rows) {
    let role: string | null = null;
    if ((JSON.parse(r.removed_by) as string[]).includes(messageId)) role = 'this patch removes the fix';
    else if (r.fix_message === messageId) role = 'this patch established the fix';
    else if (r.resolved_by === messageId) role = 'this patch resolved it';
    else if ((JSON.parse(r.related) as string[]).includes(messageId)) role = 'this patch adds the call back (related)';
    if (role) out.push({ id: r.id, role });
  }
  return out;
}

export const addressOf = (name: string | null, email: string | null): Address => ({ name: name ?? '', email: email ?? '' });
