// The facts the fix rules read (ingest/core/fix-rules.ts), for derive.ts's detection: every watched patch's, a
// posting at a time, the postings in the order the rules take them, so that detection holds one posting's facts and
// not the archive's (issue 15; generated archives: 73,451 watched patches at 1,000,000 messages, 210,664 at
// 2,000,000). Plain rows and core shapes out, no writes.
//
// The order is SQL's, as the rules define it (fix-rules.ts's header): a posting's place is its earliest patch's
// time as the rules give it (timeOf, a SQL function here: Date.parse is what counts, not the text; no date is
// +Infinity, after every dated one), then its seriesId as JavaScript compares strings, by UTF-16 code unit
// (SQLite compares text by UTF-8 byte, which differs past U+FFFF: the key is the UTF-16BE bytes). SQLite sorts the
// watched patches' rows (in temporary files past its cache: TEMP_STORE in db.ts), and each patch's call changes,
// order changes and renames are read by message id as its posting is reached. A posting's patches come in no
// particular order (the rules sort them).
import type { Db } from './db.ts';
import type { PatchFacts } from '../core/model.ts';
import { timeOf } from '../core/fix-rules.ts';

/** A watched patch's facts as stored, and whether it is a proposal (derive.ts adds what its diff says). */
export interface WatchedPatch {
  proposal: boolean;
  facts: PatchFacts;
}

/**
 * Watched patches (with an indexed call or order change, or a rename, and every version of a chain that has one), in
 * the rules' order: each row with its posting (seriesId: the series' anchor, else the patch itself), whether it has
 * call changes, order changes, renamed files to read, and what the facts take from it, its series and its chain.
 */
const WATCHED = `WITH calls AS (SELECT DISTINCT message_id FROM call_changes),
  orders AS (SELECT DISTINCT message_id FROM order_changes),
  renamed AS (SELECT message_id FROM patch_files WHERE status = 'renamed'),
  watched AS (SELECT message_id FROM calls UNION SELECT message_id FROM orders),
  patch AS (
    SELECT COALESCE(NULLIF(s.anchor, ''), m.message_id) AS posting, relapse_time_of(m.date) AS time,
      m.message_id IN calls AS calls, m.message_id IN orders AS orders, m.message_id IN renamed AS renames,
      m.message_id, m.subject, m.date, m.from_name, m.from_email, m.version, m.idx, m.tags, m.accepted_message,
      m.accepted_by_name, m.accepted_by_email, m.accepted_date, m.kind, s.version AS series_version, s.anchor,
      c.anchor AS chain_anchor
    FROM messages m LEFT JOIN series s ON s.id = m.series_id LEFT JOIN series c ON c.id = s.chain_id
    WHERE m.is_patch = 1 AND (m.message_id IN watched OR m.message_id IN renamed
      -- every version of a series that touched watched calls: a later version that no longer
      -- removes a call has no call changes of its own, yet it is what drops the regression
      OR s.chain_id IN (SELECT s2.chain_id FROM messages m2 JOIN series s2 ON s2.id = m2.series_id
        WHERE m2.message_id IN watched)))
  SELECT posting, calls, orders, renames, message_id, subject, date, from_name, from_email, version, idx, tags, accepted_message,
    accepted_by_name, accepted_by_email, accepted_date, kind, series_version, anchor, chain_anchor
  FROM patch
  -- a posting's place: its earliest patch's time, then its seriesId
  ORDER BY MIN(time) OVER (PARTITION BY posting), relapse_utf16(posting)`;

/** The SQL functions the order needs, once per connection (replacing one while a statement runs fails). */
const withFunctions = new WeakSet<Db>();
function orderFunctions(db: Db): void {
  if (withFunctions.has(db)) return;
  db.function('relapse_time_of', { deterministic: true }, (date: unknown) => timeOf(typeof date === 'string' ? date : null));
  db.function('relapse_utf16', { deterministic: true }, (s: unknown) => Buffer.from(String(s), 'utf16le').swap16());
  withFunctions.add(db);
}

type OrderedRow = [posting: string, calls: number, orders: number, renames: number, messageId: string, subject: string,
  date: string | null, fromName: string, fromEmail: string, version: number, idx: number | null, tags: string,
  acceptedMessage: string | null, acceptedByName: string | null, acceptedByEmail: string | null, acceptedDate: string | null,
  kind: string, seriesVersion: number | null, seriesAnchor: string | null, chainAnchor: string | null];
type CallRow = [file: string, fn: string | null, path: string | null, call: string, op: string, line: string, rule: string];
type OrderRow = [file: string, fn: string, path: string | null, call: string, nowBefore: string, nowAfter: string, rule: string];

/**
 * Every watched patch's facts, a posting (every patch of one seriesId) at a time, in the rules' order
 * (fix-rules.ts detectInOrder). Files, functions, paths, calls, ops and rules (the watched paths' vocabulary) are
 * each held once; nothing else is kept from one posting to the next.
 */
export function* watchedPostings(db: Db): Generator<WatchedPatch[]> {
  orderFunctions(db);
  const order = db.prepare(WATCHED).raw(true);
  const callsOf = db.prepare('SELECT file, function, path, call, op, line, rule FROM call_changes WHERE message_id = ? ORDER BY seq').raw(true);
  const ordersOf = db.prepare('SELECT file, function, path, call, now_before, now_after, rule FROM order_changes WHERE message_id = ? ORDER BY seq').raw(true);
  const renamesOf = db.prepare(`SELECT old_path, path FROM patch_files WHERE message_id = ? AND status = 'renamed' AND old_path IS NOT NULL
    ORDER BY rowid`).raw(true);
  const seen = new Map<string, string>();
  const intern = (s: string) => {
    const known = seen.get(s);
    if (known !== undefined) return known;
    seen.set(s, s);
    return s;
  };
  const one = (s: string | null) => (s === null ? s : intern(s));
  const list = (json: string) => (json === '[]' ? NONE : (JSON.parse(json) as string[]).map(intern));
  const read = (row: OrderedRow): WatchedPatch => {
    const [, calls, orders, renamed, id, subject, date, fromName, fromEmail, version, idx, tags, acceptedMessage, acceptedByName,
      acceptedByEmail, acceptedDate, kind, seriesVersion, seriesAnchor, chainAnchor] = row;
    const seriesId = seriesAnchor || id;
    const callChanges = !calls ? NONE : (callsOf.all(id) as CallRow[]).map(([file, fn, path, call, op, line, rule]) => ({
      messageId: id, file: intern(file), function: one(fn), path: one(path), call: intern(call), op: intern(op) as 'added' | 'removed',
      line, rule: intern(rule),
    }));
    const orderChanges = !orders ? NONE : (ordersOf.all(id) as OrderRow[]).map(([file, fn, path, call, nowBefore, nowAfter, rule]) => ({
      messageId: id, file: intern(file), function: intern(fn), path: one(path), call: intern(call), nowBefore: list(nowBefore),
      nowAfter: list(nowAfter), rule: intern(rule),
    }));
    const renames = !renamed ? NONE : (renamesOf.all(id) as [string, string][]).map(([from, to]) => ({ from, to }));
    return {
      proposal: kind === 'proposal',
      facts: {
        messageId: id, subject, date, author: { name: fromName, email: fromEmail },
        // anchors (Message-IDs), not row ids: keys built from them do not depend on ingest order
        seriesId, chainId: chainAnchor || seriesId, version: seriesVersion ?? version, index: idx,
        tags: tags === '[]' ? NONE : (JSON.parse(tags) as string[]),
        accepted: acceptedMessage ? { by: { name: acceptedByName ?? '', email: acceptedByEmail ?? '' }, date: acceptedDate, messageId: acceptedMessage } : null,
        callChanges: callChanges.length ? callChanges : NONE, orderChanges: orderChanges.length ? orderChanges : NONE,
        renames: renames.length ? renames : NONE,
      },
    };
  };
  let posting: WatchedPatch[] = [];
  let current: string | null = null;
  for (const row of order.iterate() as Iterable<OrderedRow>) {
    if (row[0] !== current && posting.length) {
      yield posting;
      posting = [];
    }
    current = row[0];
    posting.push(read(row));
  }
  if (posting.length) yield posting;
}

const NONE: never[] = [];
