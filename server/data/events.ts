// The event feed, the quarantine and the health summary.
import type { Db } from '../../ingest/store/db.ts';
import type { Event, Health, Quarantined } from '../schemas/index.ts';
import { decodeCursor, encodeCursor, matchDates, pageLimit, paginate, parseJson, snapshot, stmt, Where, type Page, type PageRequest } from './common.ts';

export interface EventFilters {
  since?: string;
  /** only events with a greater id */
  after?: number;
  /** a type (regression.opened), or a prefix ending in a dot (regression.) */
  type?: string;
}

interface EventRow { id: number; at: string; type: string; ref: string; data: string; m_id: string | null; f_id: number | null; r_id: number | null; q_id: number | null }

function eventLink(r: EventRow): string | null {
  if (r.m_id !== null) return `/api/messages/${encodeURIComponent(r.m_id)}`;
  if (r.q_id !== null) return `/api/quarantine/${r.q_id}`;
  if (r.f_id !== null) return `/api/fixes/${r.f_id}`;
  if (r.r_id !== null) return `/api/regressions/${r.r_id}`;
  return null;
}

/**
 * What happened, oldest first, by id: poll with the last nextCursor (or `after` = the last id seen).
 *
 * @example listEvents(db, { type: 'regression.', after: 120 })
 */
export function listEvents(db: Db, f: EventFilters = {}, page: PageRequest = {}): Page<Event> {
  const limit = pageLimit(page);
  const w = new Where();
  matchDates(w, 'e.at', f.since, undefined);
  if (f.after !== undefined) w.add('e.id > ?', f.after);
  if (f.type) {
    if (f.type.endsWith('.')) w.add('substr(e.type, 1, ?) = ?', f.type.length, f.type);
    else w.add('e.type = ?', f.type);
  }
  if (page.cursor) w.add('e.id > ?', decodeCursor('e', page.cursor, ['number'])[0]);
  const rows = stmt(db, `SELECT e.id, e.at, e.type, e.ref, e.data,
      CASE WHEN e.type IN ('message.ingested') THEN (SELECT m.message_id FROM messages m WHERE m.message_id = e.ref) END AS m_id,
      CASE WHEN e.type = 'message.quarantined' THEN (SELECT q.id FROM quarantine q WHERE substr(q.sha256, 1, 16) = e.ref) END AS q_id,
      CASE WHEN e.type LIKE 'fix.%' THEN (SELECT x.id FROM fixes x WHERE x.key = e.ref) END AS f_id,
      CASE WHEN e.type LIKE 'regression.%' THEN (SELECT x.id FROM regressions x WHERE x.key = e.ref) END AS r_id
    FROM events e ${w} ORDER BY e.id LIMIT ?`).all(...w.params, limit + 1) as EventRow[];
  return paginate(
    rows,
    limit,
    (r): Event => {
      const data = parseJson<unknown>(r.data, {});
      return {
        id: r.id, at: r.at, type: r.type, ref: r.ref, link: eventLink(r),
        data: data && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : { value: data },
      };
    },
    (r) => encodeCursor('e', [r.id]),
  );
}

interface QuarantineRow { id: number; reason: string; source: string; offset: number; size: number; sha256: string; created_at: string }

const toQuarantined = (r: QuarantineRow): Quarantined => ({
  id: r.id, reason: r.reason, source: r.source, offset: r.offset, size: r.size, sha256: r.sha256, createdAt: r.created_at,
});

/** Messages that could not be parsed, by id. */
export function listQuarantine(db: Db, page: PageRequest = {}): Page<Quarantined> {
  const limit = pageLimit(page);
  const w = new Where();
  if (page.cursor) w.add('id > ?', decodeCursor('q', page.cursor, ['number'])[0]);
  const rows = stmt(db, `SELECT id, reason, source, offset, size, sha256, created_at FROM quarantine ${w} ORDER BY id LIMIT ?`)
    .all(...w.params, limit + 1) as QuarantineRow[];
  return paginate(rows, limit, toQuarantined, (r) => encodeCursor('q', [r.id]));
}

export function getQuarantined(db: Db, id: number): Quarantined | null {
  const r = stmt(db, 'SELECT id, reason, source, offset, size, sha256, created_at FROM quarantine WHERE id = ?').get(id) as QuarantineRow | undefined;
  return r ? toQuarantined(r) : null;
}

/** The bytes of a quarantined message, as archived. */
export function getQuarantineRaw(db: Db, id: number): Buffer | null {
  const r = stmt(db, 'SELECT raw FROM quarantine WHERE id = ?').get(id) as { raw: Buffer } | undefined;
  return r ? r.raw : null;
}

const count = (db: Db, sql: string): number => (stmt(db, sql).get() as { n: number | null }).n ?? 0;

/**
 * Counts and freshness, for monitoring and the dashboard header.
 *
 * @example health(db) // { status: 'ok', messages: 286, patches: 120, regressions: { open: 3, ... }, ... }
 */
export function health(db: Db): Health {
  return snapshot(db, () => {
    const reg = stmt(db, `SELECT
        sum(r.status = 'open' AND a.regression_key IS NULL) AS open,
        sum(r.status = 'open' AND a.regression_key IS NOT NULL) AS acknowledged,
        sum(r.status = 'resolved') AS resolved
      FROM regressions r LEFT JOIN acknowledgements a ON a.regression_key = r.key`).get() as Record<string, number | null>;
    const newest = stmt(db, 'SELECT max(date) AS d FROM messages').get() as { d: string | null };
    const last = stmt(db, 'SELECT ingested_at AS d FROM messages ORDER BY id DESC LIMIT 1').get() as { d: string } | undefined;
    // kept by triggers (migration 0005): count(*) over a large archive costs milliseconds per poll
    const counts = new Map((stmt(db, 'SELECT name, n FROM counts').all() as { name: string; n: number }[]).map((r) => [r.name, r.n]));
    return {
      status: 'ok',
      messages: counts.get('messages') ?? 0,
      patches: counts.get('patches') ?? 0,
      series: counts.get('series') ?? 0,
      threads: counts.get('threads') ?? 0,
      quarantined: counts.get('quarantine') ?? 0,
      fixes: count(db, "SELECT count(*) AS n FROM fixes WHERE status = 'active'"),
      regressions: { open: reg.open ?? 0, acknowledged: reg.acknowledged ?? 0, resolved: reg.resolved ?? 0 },
      newestMessage: newest.d,
      lastIngest: last?.d ?? null,
      lastEventId: count(db, 'SELECT max(id) AS n FROM events'),
      digest: { failures: count(db, 'SELECT count(*) AS n FROM digest_failures') },
      sync: stmt(db, `SELECT inbox, url, last_attempt_at AS lastAttemptAt, last_success_at AS lastSuccessAt, last_error AS lastError,
        failures, new_messages AS newMessages FROM inbox_syncs ORDER BY inbox`).all() as Health['sync'],
    };
  });
}
