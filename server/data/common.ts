// What every query module shares: cursors (keyset pagination), date parameters, LIKE/GLOB escaping and a
// prepared-statement cache (statements only: no data is cached across calls). Bad input from a client is thrown
// as the one error model's badRequest (plugins/errors.ts), naming the parameter: the API answers it with a 400.
import type { Statement } from 'better-sqlite3';
import type { Db } from '../../ingest/store/db.ts';
import { badRequest } from '../plugins/errors.ts';
import type { Page } from '../schemas/index.ts';

export interface PageRequest {
  /** 1..500; default 50 */
  limit?: number;
  /** the nextCursor of the previous page */
  cursor?: string | null;
}

export type { Page };

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 500;

export function pageLimit(page: PageRequest = {}): number {
  const n = page.limit ?? DEFAULT_LIMIT;
  if (!Number.isInteger(n) || n < 1 || n > MAX_LIMIT) throw badRequest('limit', `must be a whole number from 1 to ${MAX_LIMIT}`);
  return n;
}

type Key = string | number | null;

/** A cursor is the sort key of the last item of a page, as base64url JSON, prefixed with what it pages. */
export function encodeCursor(kind: string, key: Key[]): string {
  return Buffer.from(JSON.stringify([kind, ...key])).toString('base64url');
}

export function decodeCursor(kind: string, cursor: string, shape: ('string' | 'number' | 'string?' | 'number?')[]): Key[] {
  const bad = () => badRequest('cursor', 'is not a cursor this list gave out (use nextCursor as it came)');
  if (!/^[A-Za-z0-9_-]{1,1024}$/.test(cursor)) throw bad();
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (!Array.isArray(v) || v[0] !== kind || v.length !== shape.length + 1) throw bad();
  const key = v.slice(1) as Key[];
  shape.forEach((t, i) => {
    const x = key[i];
    const nullable = t.endsWith('?');
    if (x === null && nullable) return;
    if (typeof x !== t.replace('?', '')) throw bad();
    if (typeof x === 'number' && !Number.isFinite(x)) throw bad();
  });
  return key;
}

export interface SortKey {
  /** SQL expression */
  expr: string;
  /** may be NULL (SQLite sorts NULL first ascending, last descending) */
  nullable?: boolean;
}

/** The WHERE condition "comes after `values` in ORDER BY keys (all asc or all desc)", NULL-aware. */
export function keysetAfter(keys: SortKey[], values: Key[], dir: 'asc' | 'desc' = 'asc'): { sql: string; params: Key[] } {
  const [k, ...restKeys] = keys;
  const [v, ...restValues] = values;
  const op = dir === 'asc' ? '>' : '<';
  const rest = restKeys.length ? keysetAfter(restKeys, restValues, dir) : null;
  if (v === null) {
    // NULL is the smallest value: ascending, everything non-null comes after; descending, nothing does
    const same = rest ? `(${k.expr} IS NULL AND ${rest.sql})` : '0';
    const sql = dir === 'asc' ? `(${same} OR ${k.expr} IS NOT NULL)` : `(${same})`;
    return { sql, params: rest ? rest.params : [] };
  }
  const parts = [`${k.expr} ${op} ?`];
  const params: Key[] = [v];
  if (k.nullable && dir === 'desc') parts.push(`${k.expr} IS NULL`);
  if (rest) {
    parts.push(`(${k.expr} = ? AND ${rest.sql})`);
    params.push(v, ...rest.params);
  }
  return { sql: `(${parts.join(' OR ')})`, params };
}

export function orderBy(keys: SortKey[], dir: 'asc' | 'desc' = 'asc'): string {
  return keys.map((k) => `${k.expr} ${dir.toUpperCase()}`).join(', ');
}

const cache = new WeakMap<Db, Map<string, Statement>>();

/** A prepared statement for this SQL on this database, prepared once. */
export function stmt(db: Db, sql: string): Statement {
  let m = cache.get(db);
  if (!m) cache.set(db, (m = new Map()));
  let s = m.get(sql);
  if (!s) {
    s = db.prepare(sql);
    if (m.size > 500) m.clear();
    m.set(sql, s);
  }
  return s;
}

/** Run several reads against one snapshot (a read transaction), so an ingest committing meanwhile cannot tear them. */
export function snapshot<T>(db: Db, fn: () => T): T {
  if (db.inTransaction) return fn();
  return db.transaction(fn)();
}

/** Filters assembled into a WHERE clause with parameters. */
export class Where {
  readonly parts: string[] = [];
  readonly params: unknown[] = [];
  add(sql: string, ...params: unknown[]): this {
    this.parts.push(sql);
    this.params.push(...params);
    return this;
  }
  toString(): string {
    return this.parts.length ? `WHERE ${this.parts.join(' AND ')}` : '';
  }
}

/** `%`, `_` and `\` taken literally in a LIKE pattern (use with ESCAPE '\'). */
export const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => '\\' + c);

/** A user pattern where only `*` is special, as a GLOB pattern (GLOB's `?` and `[` taken literally). */
export const starGlob = (s: string) => s.replace(/[?[]/g, (c) => `[${c}]`);

/**
 * A user pattern where only `*` is special (any run of characters), as a predicate. No regular expression is
 * built from user input (a backtracking `.*.*.*…Q` froze the server): the pattern is split at its stars, the first
 * piece must start the text, the last must end it, the ones between are found left to right with indexOf. A
 * leftmost match of each piece is always safe to take, so nothing is ever retried: time is at most
 * O(pattern × text), whatever the pattern.
 */
export function starMatcher(pattern: string): (text: string) => boolean {
  const pieces = pattern.split('*');
  if (pieces.length === 1) return (text) => text === pattern;
  const first = pieces[0], last = pieces[pieces.length - 1];
  const middle = pieces.slice(1, -1).filter((p) => p !== '');
  const min = first.length + last.length;
  return (text) => {
    if (text.length < min || !text.startsWith(first) || !text.endsWith(last)) return false;
    let at = first.length;
    const end = text.length - last.length;
    for (const p of middle) {
      const i = text.indexOf(p, at);
      if (i < 0 || i + p.length > end) return false;
      at = i + p.length;
    }
    return true;
  };
}

/** Filter on a text column: exact, or a `*` pattern (runs of stars folded into one: same meaning, less work). */
export function matchText(where: Where, column: string, value: string): void {
  if (value.includes('*')) where.add(`${column} GLOB ?`, starGlob(value.replace(/\*{2,}/g, '*')));
  else where.add(`${column} = ?`, value);
}

/** Filter on a nullable text column where the literal `null` asks for the rows without a value. */
export function matchNullable(where: Where, column: string, value: string): void {
  if (value === 'null') where.add(`${column} IS NULL`);
  else matchText(where, column, value);
}

/** Sender or author: an exact address, else a case-insensitive part of the name or address. */
export function matchPerson(where: Where, nameCol: string, emailCol: string, value: string): void {
  if (/^[^\s@]+@[^\s@]+$/.test(value)) where.add(`${emailCol} = ? COLLATE NOCASE`, value);
  else {
    const p = `%${likeEscape(value)}%`;
    where.add(`(${nameCol} LIKE ? ESCAPE '\\' OR ${emailCol} LIKE ? ESCAPE '\\')`, p, p);
  }
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/** Whether a string is a date (YYYY-MM-DD) or an ISO 8601 date-time we accept. */
export function isDateParam(s: string): boolean {
  return parseDateParam('date', s, { lenient: true }) !== null;
}

/**
 * A `since`/`until` parameter as an ISO 8601 UTC string. A bare date is midnight UTC; for `until` (exclusive) it
 * is the midnight after, so `until=2010-03-31` includes the 31st. A date-time without an offset is UTC.
 */
export function parseDateParam(param: string, s: string, opts?: { endOfDay?: boolean }): string;
export function parseDateParam(param: string, s: string, opts: { endOfDay?: boolean; lenient: true }): string | null;
export function parseDateParam(param: string, s: string, opts: { endOfDay?: boolean; lenient?: boolean } = {}): string | null {
  const m = DATE_RE.exec(s.trim());
  const fail = () => {
    if (opts.lenient) return null;
    throw badRequest(param, `"${s.slice(0, 40)}" is not a date; use YYYY-MM-DD or an ISO 8601 date-time such as 2010-03-01T12:00:00Z`);
  };
  if (!m) return fail();
  const [, y, mo, d, h] = m;
  const month = Number(mo), day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > 31) return fail();
  let t: number;
  if (h === undefined) {
    t = Date.UTC(Number(y), month - 1, day);
    if (new Date(t).getUTCDate() !== day) return fail();
    if (opts.endOfDay) t += 864e5;
  } else {
    const iso = s.trim().replace(' ', 'T');
    t = Date.parse(m[7] ? iso : iso + 'Z');
  }
  if (!Number.isFinite(t)) return fail();
  return new Date(t).toISOString();
}

/** Date range on a column: since inclusive, until exclusive (a bare `until` date includes that day). */
export function matchDates(where: Where, column: string, since?: string | null, until?: string | null): void {
  if (since) where.add(`${column} >= ?`, parseDateParam('since', since));
  if (until) where.add(`${column} < ?`, parseDateParam('until', until, { endOfDay: true }));
}

/** Page of rows: asks for limit+1 to know whether there is a next page. */
export function paginate<R, T>(rows: R[], limit: number, map: (r: R) => T, cursorOf: (r: R) => string): Page<T> {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  return { items: kept.map(map), nextCursor: more ? cursorOf(kept[kept.length - 1]) : null };
}

/**
 * A Message-ID as a client gave it (a path or query parameter, a request body): taken with or without its angle
 * brackets and padding. (A stored id's brackets come off with links.ts's bareMessageId.)
 */
export const messageIdParam = (id: string) => id.trim().replace(/^<(.*)>$/s, '$1');

export const parseJson = <T>(s: string | null | undefined, fallback: T): T => {
  if (s == null || s === '') return fallback;
  try {
    return JSON.parse(s) as T;
  } catch {
    return fallback;
  }
};
