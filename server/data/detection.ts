// The call index (call and order changes) and what the rules made of it (known fixes, regressions).
import type { Db } from '../../ingest/store/db.ts';
import type { CallChange, Evidence, Fix, FixEvent, MessageRef, OrderChange, Regression, RegressionStatus, Removal } from '../schemas/index.ts';
import { evidenceOf, patchStateOf } from './evidence.ts';
import {
  messageIdParam, decodeCursor, encodeCursor, keysetAfter, matchDates, matchNullable, matchText, orderBy, pageLimit, paginate,
  parseJson, snapshot, stmt, Where, type Page, type PageRequest, type SortKey,
} from './common.ts';

/**
 * Index order: the order patches were indexed in (archive order), then the position in the patch. An index range
 * scan with no sort, where date order would join and sort every match for every page.
 */
const CHANGE_ORDER: SortKey[] = [{ expr: 'c.id' }];

// ---- call changes --------------------------------------------------------------------------------

export interface CallChangeFilters {
  /** `*` matches any characters */
  file?: string;
  /** the literal 'null' asks for changes outside any function */
  function?: string;
  /** path class; the literal 'null' asks for unclassified changes */
  path?: string;
  call?: string;
  op?: 'added' | 'removed';
  since?: string;
  until?: string;
  messageId?: string;
}

/** A call_changes row joined with its message's series, subject and date. */
export interface CallRow {
  id: number; message_id: string; seq: number; series_id: number | null; subject: string | null; date: string | null; file: string;
  function: string | null; path: string | null; call: string; op: 'added' | 'removed'; line: string; rule: string;
}

/** The one mapping of a call-change row to the API's CallChange. */
export function toCallChange(r: Omit<CallRow, 'id'>): CallChange {
  return {
    messageId: r.message_id, seriesId: r.series_id, subject: r.subject ?? '', date: r.date, file: r.file, function: r.function,
    path: r.path, call: r.call, op: r.op, line: r.line, rule: r.rule,
  };
}

/**
 * Watched calls added or removed by patches, in index (archive) order.
 *
 * @example listCallChanges(db, { path: 'init', op: 'removed' })
 */
export function listCallChanges(db: Db, f: CallChangeFilters = {}, page: PageRequest = {}): Page<CallChange> {
  const limit = pageLimit(page);
  const w = new Where();
  if (f.file) matchText(w, 'c.file', f.file);
  if (f.function) matchNullable(w, 'c.function', f.function);
  if (f.path) matchNullable(w, 'c.path', f.path);
  if (f.call) w.add('c.call = ?', f.call);
  if (f.op) w.add('c.op = ?', f.op);
  if (f.messageId) w.add('c.message_id = ?', messageIdParam(f.messageId));
  matchDates(w, 'm.date', f.since, f.until);
  if (page.cursor) {
    const k = keysetAfter(CHANGE_ORDER, decodeCursor('c', page.cursor, ['number']));
    w.add(k.sql, ...k.params);
  }
  const rows = stmt(db, `SELECT c.id, c.message_id, c.seq, m.series_id, m.subject, m.date, c.file, c.function, c.path, c.call, c.op, c.line, c.rule
    FROM call_changes c LEFT JOIN messages m ON m.message_id = c.message_id ${w} ORDER BY ${orderBy(CHANGE_ORDER)} LIMIT ?`)
    .all(...w.params, limit + 1) as CallRow[];
  return paginate(
    rows,
    limit,
    toCallChange,
    (r) => encodeCursor('c', [r.id]),
  );
}

// ---- order changes -------------------------------------------------------------------------------

export interface OrderChangeFilters {
  file?: string;
  function?: string;
  path?: string;
  call?: string;
  since?: string;
  until?: string;
}

interface OrderRow {
  id: number; message_id: string; seq: number; series_id: number | null; subject: string | null; date: string | null; file: string;
  function: string; path: string | null; call: string; now_before: string; now_after: string; rule: string;
}

/** Watched calls whose order against other calls flipped in a patch, in index (archive) order. */
export function listOrderChanges(db: Db, f: OrderChangeFilters = {}, page: PageRequest = {}): Page<OrderChange> {
  const limit = pageLimit(page);
  const w = new Where();
  if (f.file) matchText(w, 'c.file', f.file);
  if (f.function) w.add('c.function = ?', f.function);
  if (f.path) matchNullable(w, 'c.path', f.path);
  if (f.call) w.add('c.call = ?', f.call);
  matchDates(w, 'm.date', f.since, f.until);
  if (page.cursor) {
    const k = keysetAfter(CHANGE_ORDER, decodeCursor('o', page.cursor, ['number']));
    w.add(k.sql, ...k.params);
  }
  const rows = stmt(db, `SELECT c.id, c.message_id, c.seq, m.series_id, m.subject, m.date, c.file, c.function, c.path, c.call,
      c.now_before, c.now_after, c.rule
    FROM order_changes c LEFT JOIN messages m ON m.message_id = c.message_id ${w} ORDER BY ${orderBy(CHANGE_ORDER)} LIMIT ?`)
    .all(...w.params, limit + 1) as OrderRow[];
  return paginate(
    rows,
    limit,
    (r): OrderChange => ({
      messageId: r.message_id, seriesId: r.series_id, subject: r.subject ?? '', date: r.date, file: r.file, function: r.function,
      path: r.path, call: r.call, nowBefore: parseJson<string[]>(r.now_before, []), nowAfter: parseJson<string[]>(r.now_after, []),
      rule: r.rule,
    }),
    (r) => encodeCursor('o', [r.id]),
  );
}

// ---- known fixes ---------------------------------------------------------------------------------

/** A message as `{messageId, subject, date}`; a message not in the archive keeps its id with no subject. */
export function messageRef(db: Db, messageId: string | null): MessageRef | null {
  if (!messageId) return null;
  const r = stmt(db, 'SELECT subject, date FROM messages WHERE message_id = ?').get(messageId) as { subject: string; date: string | null } | undefined;
  return { messageId, subject: r?.subject ?? '', date: r?.date ?? null };
}

interface FixRow {
  id: number; key: string; kind: 'presence' | 'order'; file: string; function: string | null; path: string | null; call: string;
  before: string; introduced_by: string | null; declared: number; moved_from_id: number | null; moved_to_id: number | null;
  status: 'active' | 'moved' | 'removed'; history: string;
}

const FIX_COLS = `f.id, f.key, f.kind, f.file, f.function, f.path, f.call, f.before, f.introduced_by, f.declared, f.status, f.history,
  (SELECT x.id FROM fixes x WHERE x.key = f.moved_from) AS moved_from_id, (SELECT x.id FROM fixes x WHERE x.key = f.moved_to) AS moved_to_id`;

function toFix(db: Db, r: FixRow): Fix {
  return {
    id: r.id, key: r.key, kind: r.kind, file: r.file, function: r.function, path: r.path, call: r.call,
    before: parseJson<string[]>(r.before, []), status: r.status, introducedBy: messageRef(db, r.introduced_by),
    history: parseJson<FixEvent[]>(r.history, []), declared: !!r.declared, movedFrom: r.moved_from_id, movedTo: r.moved_to_id,
    evidence: fixEvidence(db, r),
  };
}

/** What says the fix was taken: its introducing patch's evidence, and the declaration for a declared fix. */
function fixEvidence(db: Db, r: FixRow): Evidence[] {
  const ev = r.introduced_by ? evidenceOf(db, r.introduced_by) : [];
  if (!r.declared) return ev;
  const at = parseJson<FixEvent[]>(r.history, []).find((h) => h.type === 'declared');
  return [...ev, { kind: 'declared', state: 'accepted', by: null, date: at?.date ?? null, messageId: r.introduced_by, tree: null, branch: null, commit: null, url: null }];
}

export interface FixFilters {
  file?: string;
  /** the literal 'null' asks for fixes outside any function */
  function?: string;
  /** the literal 'null' asks for unclassified fixes */
  path?: string;
  call?: string;
  status?: 'active' | 'moved' | 'removed';
  kind?: 'presence' | 'order';
  declared?: boolean;
}

/**
 * Known fixes (accepted additions and order fixes, and declared ones), by id.
 *
 * @example listFixes(db, { status: 'active', path: 'shutdown' })
 */
export function listFixes(db: Db, f: FixFilters = {}, page: PageRequest = {}): Page<Fix> {
  const limit = pageLimit(page);
  const w = new Where();
  if (f.file) matchText(w, 'f.file', f.file);
  if (f.function) matchNullable(w, 'f.function', f.function);
  if (f.path) matchNullable(w, 'f.path', f.path);
  if (f.call) w.add('f.call = ?', f.call);
  if (f.status) w.add('f.status = ?', f.status);
  if (f.kind) w.add('f.kind = ?', f.kind);
  if (f.declared !== undefined) w.add('f.declared = ?', f.declared ? 1 : 0);
  if (page.cursor) w.add('f.id > ?', decodeCursor('f', page.cursor, ['number'])[0]);
  return snapshot(db, () => {
    const rows = stmt(db, `SELECT ${FIX_COLS} FROM fixes f ${w} ORDER BY f.id LIMIT ?`).all(...w.params, limit + 1) as FixRow[];
    return paginate(rows, limit, (r) => toFix(db, r), (r) => encodeCursor('f', [r.id]));
  });
}

/** One known fix by id, or null. */
export function getFix(db: Db, id: number): Fix | null {
  return snapshot(db, () => {
    const r = stmt(db, `SELECT ${FIX_COLS} FROM fixes f WHERE f.id = ?`).get(id) as FixRow | undefined;
    return r ? toFix(db, r) : null;
  });
}

/** The known fix the rules made of a declared one (same kind, file, function and call), or null. */
export function findDeclaredFix(db: Db, d: { kind: string; file: string; function: string | null; call: string; before?: string[] }): Fix | null {
  return snapshot(db, () => {
    const rows = stmt(db, `SELECT ${FIX_COLS} FROM fixes f WHERE f.kind = ? AND f.file = ? AND f.function IS ? AND f.call = ?
      ORDER BY f.declared DESC, f.status = 'active' DESC, f.id DESC`).all(d.kind, d.file, d.function, d.call) as FixRow[];
    const want = JSON.stringify(d.before ?? []);
    const r = rows.find((x) => x.declared && (d.kind !== 'order' || x.before === want)) ?? rows[0];
    return r ? toFix(db, r) : null;
  });
}

// ---- regressions ---------------------------------------------------------------------------------

export interface RegressionFilters {
  status?: RegressionStatus;
  since?: string;
  until?: string;
  /** file of the fix; `*` matches any characters */
  file?: string;
  call?: string;
  /** oldest first (default) or newest first */
  order?: 'oldest' | 'newest';
}

interface RegressionRow {
  id: number; key: string; fix_key: string; fix_message: string | null; removed_by: string; evidence: string;
  first_seen: string | null; status: 'open' | 'resolved'; resolved_by: string | null; resolution: 'refixed' | 'dropped' | null;
  related: string; detail: string; ack_reason: string | null; ack_by: string | null; ack_at: string | null;
  f_id: number | null; f_kind: 'presence' | 'order' | null; f_file: string | null; f_function: string | null; f_path: string | null;
  f_call: string | null; f_before: string | null; f_introduced_by: string | null;
}

const REGRESSION_FROM = `FROM regressions r LEFT JOIN acknowledgements a ON a.regression_key = r.key LEFT JOIN fixes f ON f.key = r.fix_key`;
const REGRESSION_COLS = `r.id, r.key, r.fix_key, r.fix_message, r.removed_by, r.evidence, r.first_seen, r.status, r.resolved_by,
  r.resolution, r.related, r.detail, a.reason AS ack_reason, a.by AS ack_by, a.at AS ack_at, f.id AS f_id, f.kind AS f_kind, f.file AS f_file,
  f.function AS f_function, f.path AS f_path, f.call AS f_call, f.before AS f_before, f.introduced_by AS f_introduced_by`;

function removal(db: Db, messageId: string): Removal {
  const r = stmt(db, `SELECT m.subject, m.date, m.from_name, m.from_email, coalesce(s.version, m.version) AS version, m.series_id
    FROM messages m LEFT JOIN series s ON s.id = m.series_id WHERE m.message_id = ?`).get(messageId) as
    { subject: string; date: string | null; from_name: string; from_email: string; version: number; series_id: number | null } | undefined;
  return {
    messageId,
    subject: r?.subject ?? '',
    date: r?.date ?? null,
    author: { name: r?.from_name ?? '', email: r?.from_email ?? '' },
    version: r?.version ?? 1,
    seriesId: r?.series_id ?? null,
    state: patchStateOf(db, messageId),
    evidence: evidenceOf(db, messageId),
  };
}

/** Resolved wins over acknowledged; an acknowledged open regression reads 'acknowledged'. */
export const regressionStatus = (status: 'open' | 'resolved', acknowledged: boolean): RegressionStatus =>
  status === 'open' && acknowledged ? 'acknowledged' : status;

/** The stored detail (sites, versions, how), when derivation wrote one. */
function detailOf(json: string): { detail?: Regression['detail'] } {
  const d = parseJson<Partial<NonNullable<Regression['detail']>>>(json, {});
  return d && Array.isArray(d.sites) ? { detail: d as NonNullable<Regression['detail']> } : {};
}

function toRegression(db: Db, r: RegressionRow): Regression {
  const removedBy = parseJson<string[]>(r.removed_by, []).map((id) => removal(db, id));
  removedBy.sort((a, b) => (a.date ?? '').localeCompare(b.date ?? '') || a.messageId.localeCompare(b.messageId));
  return {
    id: r.id,
    key: r.key,
    status: regressionStatus(r.status, r.ack_at !== null),
    fix: {
      id: r.f_id,
      key: r.fix_key,
      kind: r.f_kind ?? 'presence',
      file: r.f_file ?? '',
      function: r.f_function,
      path: r.f_path,
      call: r.f_call ?? '',
      before: parseJson<string[]>(r.f_before, []),
      introducedBy: messageRef(db, r.f_introduced_by),
    },
    fixMessage: messageRef(db, r.fix_message),
    removedBy,
    evidence: parseJson<string[]>(r.evidence, []),
    firstSeen: r.first_seen,
    resolvedBy: r.resolved_by,
    resolution: r.resolution,
    related: parseJson<string[]>(r.related, []),
    ...detailOf(r.detail),
    acknowledged: r.ack_at !== null ? { reason: r.ack_reason ?? '', by: r.ack_by, at: r.ack_at } : null,
  };
}

const REGRESSION_ORDER: SortKey[] = [{ expr: 'r.first_seen', nullable: true }, { expr: 'r.id' }];

/**
 * Regressions: known fixes that a later patch takes out, oldest first (or newest first).
 *
 * @example listRegressions(db, { status: 'open' }, { limit: 10 })
 */
export function listRegressions(db: Db, f: RegressionFilters = {}, page: PageRequest = {}): Page<Regression> {
  const limit = pageLimit(page);
  const w = new Where();
  if (f.status === 'open') w.add("r.status = 'open' AND a.regression_key IS NULL");
  else if (f.status === 'acknowledged') w.add("r.status = 'open' AND a.regression_key IS NOT NULL");
  else if (f.status === 'resolved') w.add("r.status = 'resolved'");
  else if (f.status !== undefined) w.add('0');
  matchDates(w, 'r.first_seen', f.since, f.until);
  if (f.file) matchText(w, 'f.file', f.file);
  if (f.call) w.add('f.call = ?', f.call);
  const dir = f.order === 'newest' ? 'desc' : 'asc';
  const kind = dir === 'asc' ? 'r' : 'R';
  if (page.cursor) {
    const k = keysetAfter(REGRESSION_ORDER, decodeCursor(kind, page.cursor, ['string?', 'number']), dir);
    w.add(k.sql, ...k.params);
  }
  return snapshot(db, () => {
    const rows = stmt(db, `SELECT ${REGRESSION_COLS} ${REGRESSION_FROM} ${w} ORDER BY ${orderBy(REGRESSION_ORDER, dir)} LIMIT ?`)
      .all(...w.params, limit + 1) as RegressionRow[];
    return paginate(rows, limit, (r) => toRegression(db, r), (r) => encodeCursor(kind, [r.first_seen, r.id]));
  });
}

/** One regression by id, or null. */
export function getRegression(db: Db, id: number): Regression | null {
  return snapshot(db, () => {
    const r = stmt(db, `SELECT ${REGRESSION_COLS} ${REGRESSION_FROM} WHERE r.id = ?`).get(id) as RegressionRow | undefined;
    return r ? toRegression(db, r) : null;
  });
}

/** The stable key of a regression (what acknowledgements are keyed by), or null. */
export function regressionKey(db: Db, id: number): string | null {
  return (stmt(db, 'SELECT key FROM regressions WHERE id = ?').get(id) as { key: string } | undefined)?.key ?? null;
}
