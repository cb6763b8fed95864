// What only the dashboard asks of the database: a message's text, the call index with author and acceptance
// (for its filters), timeline aggregates, function histories across renames, and which regressions a message
// takes part in. Everything else comes from the API's reads (index.ts). Every query here is indexed and bounded.
import type { Db } from '../../ingest/store/db.ts';
import {
  decodeCursor, encodeCursor, keysetAfter, matchDates, matchNullable, matchPerson, matchText, orderBy, paginate, stmt, Where,
  type Page, type SortKey,
} from './common.ts';
import type { Address, CallChange, Evidence } from '../schemas/index.ts';
import { evidenceOf } from './evidence.ts';
import { toCallChange, type CallRow as DetectionCallRow } from './detection.ts';

/** A call change with its patch's author and whether the patch was accepted (the dashboard's call index). */
export interface CallChangeRow extends CallChange {
  author: Address;
  accepted: boolean;
}

/** A function history's entries: a watched call added or removed, or the file renamed. */
export interface HistoryCall {
  type: 'call';
  messageId: string;
  subject: string;
  date: string | null;
  author: Address;
  accepted: boolean;
  /** the file name the change was made under */
  file: string;
  path: string | null;
  call: string;
  op: 'added' | 'removed';
  line: string;
}

export interface HistoryRename {
  type: 'rename';
  messageId: string;
  subject: string;
  date: string | null;
  from: string;
  to: string;
  accepted: boolean;
}

/** Who accepted a patch, according to the list (null when nobody said so). */
export function acceptedOf(db: Db, messageId: string): { by: Address; date: string | null; messageId: string } | null {
  const r = stmt(db, 'SELECT accepted_message, accepted_by_name, accepted_by_email, accepted_date FROM messages WHERE message_id = ?').get(messageId) as
    { accepted_message: string | null; accepted_by_name: string | null; accepted_by_email: string | null; accepted_date: string | null } | undefined;
  return r?.accepted_message
    ? { by: { name: r.accepted_by_name ?? '', email: r.accepted_by_email ?? '' }, date: r.accepted_date, messageId: r.accepted_message }
    : null;
}

/** A message's own text and list (what the API's message resource leaves out). */
export function messageText(db: Db, messageId: string): { ownText: string; list: string; isPatch: boolean; diffText: string } | null {
  const r = stmt(db, 'SELECT b.own_text, m.list, m.is_patch, b.diff_text FROM messages m JOIN message_bodies b ON b.id = m.id WHERE m.message_id = ?').get(messageId) as
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

/**
 * Where a call-index query reads from. Message rows are wide (the raw mail sits in them), so reading one per
 * call change is what costs: with no selective filter on the call index itself the query walks the
 * messages_date index (which covers date and Message-ID) and probes call_changes by Message-ID; with a file,
 * function or call filter it starts from that call_changes index instead. Conditions on the call index are
 * written with a unary `+` when walking dates, so the probe keeps using the Message-ID index.
 */
function callSource(f: CallFilters): { from: string; where: Where } {
  const byDate = !f.file && !f.function && !f.call;
  const w = new Where();
  const c = (col: string) => (byDate ? `+c.${col}` : `c.${col}`);
  if (f.file) matchText(w, 'c.file', f.file);
  if (f.function) matchNullable(w, 'c.function', f.function);
  if (f.call) matchText(w, 'c.call', f.call);
  if (f.path) {
    if (f.path === 'null') w.add(`${c('path')} IS NULL`);
    else w.add(`${c('path')} = ?`, f.path);
  }
  if (f.op) w.add(`${c('op')} = ?`, f.op);
  matchDates(w, 'm.date', f.since, f.until);
  // message-row conditions name c too, so they are checked only for messages that have call changes
  if (f.author) {
    const a = new Where();
    matchPerson(a, 'm.from_name', 'm.from_email', f.author);
    w.add(`(c.seq >= 0 AND ${a.parts[0]})`, ...a.params);
  }
  if (f.status === 'accepted') w.add('(c.seq >= 0 AND m.accepted_message IS NOT NULL)');
  if (f.status === 'pending') w.add('(c.seq >= 0 AND m.accepted_message IS NULL)');
  const from = byDate
    ? 'messages m INDEXED BY messages_date CROSS JOIN call_changes c ON c.message_id = m.message_id'
    : 'call_changes c JOIN messages m ON m.message_id = c.message_id';
  return { from, where: w };
}

/** Newest first: the patch's date (undated last), its Message-ID, the position in the patch. */
const NEWEST: SortKey[] = [{ expr: 'm.date', nullable: true }, { expr: 'm.message_id' }, { expr: 'c.seq' }];

interface CallRow extends Omit<DetectionCallRow, 'id'> {
  from_name: string | null; from_email: string | null; accepted: number;
}

/** Call changes with their patch's author and acceptance, newest first, a page at a time. */
export function listCallRows(db: Db, f: CallFilters, limit: number, cursor?: string | null): Page<CallChangeRow> {
  const { from, where: w } = callSource(f);
  if (cursor) {
    const k = keysetAfter(NEWEST, decodeCursor('dc', cursor, ['string?', 'string', 'number']), 'desc');
    w.add(k.sql, ...k.params);
  }
  // keys first (cheap), then the page's rows in full
  const keys = stmt(db, `SELECT m.message_id, c.seq, m.date FROM ${from} ${w} ORDER BY ${orderBy(NEWEST, 'desc')} LIMIT ?`)
    .all(...w.params, limit + 1) as { message_id: string; seq: number; date: string | null }[];
  const one = stmt(db, `SELECT c.message_id, c.seq, m.series_id, m.subject, m.date, c.file, c.function, c.path, c.call, c.op, c.line,
      c.rule, m.from_name, m.from_email, m.accepted_message IS NOT NULL AS accepted
    FROM call_changes c JOIN messages m ON m.message_id = c.message_id WHERE c.message_id = ? AND c.seq = ?`);
  const rows = keys.map((k) => one.get(k.message_id, k.seq) as CallRow);
  return paginate(
    rows,
    limit,
    (r): CallChangeRow => ({ ...toCallChange(r), author: { name: r.from_name ?? '', email: r.from_email ?? '' }, accepted: !!r.accepted }),
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

/**
 * Per dated patch: how many call changes of each path class and direction (`${path ?? 'other'}|${op}`), by date.
 * Subjects and acceptance are left empty here (reading every patch's row is what costs): `describePatches` fills
 * them in for the ones shown.
 */
export function timelineRows(db: Db, f: CallFilters): TimelineRow[] {
  const { from, where: w } = callSource(f);
  w.add('m.date IS NOT NULL');
  const rows = stmt(db, `SELECT m.message_id, m.date, c.path, c.op FROM ${from} ${w} ORDER BY m.date, m.message_id`)
    .all(...w.params) as { message_id: string; date: string; path: string | null; op: string }[];
  const out: TimelineRow[] = [];
  let cur: TimelineRow | null = null;
  for (const r of rows) {
    if (!cur || cur.messageId !== r.message_id) {
      cur = { messageId: r.message_id, subject: '', date: r.date, accepted: false, counts: {} };
      out.push(cur);
    }
    const k = `${r.path ?? 'other'}|${r.op}`;
    cur.counts[k] = (cur.counts[k] ?? 0) + 1;
  }
  return out;
}

/** Fill in subject and acceptance of these patches (one indexed lookup each). */
export function describePatches(db: Db, rows: TimelineRow[]): void {
  const get = stmt(db, 'SELECT subject, accepted_message IS NOT NULL AS accepted FROM messages WHERE message_id = ?');
  for (const r of rows) {
    const m = get.get(r.messageId) as { subject: string; accepted: number } | undefined;
    r.subject = m?.subject ?? '';
    r.accepted = !!m?.accepted;
  }
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
    ORDER BY m.date DESC, c.message_id DESC, c.seq DESC LIMIT ?`).all(file, fn, until, until, HISTORY_MAX + 1) as HistRow[];
}

/** A function's history shows at most this many call changes (the newest); the call-change list has them all. */
export const HISTORY_MAX = 500;

export interface FunctionHistory {
  entries: (HistoryCall | HistoryRename)[];
  /** older call changes were left out */
  truncated: boolean;
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
  const calls = entries.filter((e) => e.type === 'call');
  let truncated = false;
  if (calls.length > HISTORY_MAX) {
    truncated = true;
    const oldestKept = calls[calls.length - HISTORY_MAX];
    entries.splice(0, entries.indexOf(oldestKept));
  }
  return { entries, truncated, formerNames, renamedTo: renamedTo(db, file, fn) };
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

export interface FixHere { key: string; kind: string; call: string; path: string | null; status: string; before: string[]; evidence?: Evidence[] }

export function fixesIn(db: Db, files: string[], fn: string): FixHere[] {
  const out: FixHere[] = [];
  for (const file of files) {
    const rows = stmt(db, 'SELECT key, kind, call, path, status, before, introduced_by FROM fixes WHERE file = ? AND function = ? ORDER BY id LIMIT 100')
      .all(file, fn) as { key: string; kind: string; call: string; path: string | null; status: string; before: string; introduced_by: string | null }[];
    for (const { introduced_by, ...r } of rows) {
      out.push({ ...r, before: JSON.parse(r.before || '[]') as string[], evidence: introduced_by ? evidenceOf(db, introduced_by) : [] });
    }
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
