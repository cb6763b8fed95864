// A week's digest data, gathered from the database into plain objects (types.ts). Read-only.
// Status is judged as of the end of the week, so an old week's digest reads the same later on
// (except for things that only exist later, such as an acknowledgement made today for an old week).
import type { Db } from '../../ingest/db.ts';
import type { IsoWeek } from './iso-week.ts';
import { loreLink } from './compose.ts';
import type {
  Acknowledgement,
  AcknowledgedRegression,
  FixRef,
  KnownFixItem,
  MessageRef,
  NewRegression,
  OpenRegression,
  ResolvedRegression,
  SeriesCall,
  SeriesItem,
  WeekDigest,
} from './types.ts';

const DAY = 86_400_000;
const bare = (id: string) => id.replace(/^<|>$/g, '');
const time = (iso: string | null | undefined) => (iso ? new Date(iso).getTime() : NaN);
const json = <T>(s: string | null | undefined, dflt: T): T => {
  if (!s) return dflt;
  try {
    return JSON.parse(s) as T;
  } catch {
    return dflt;
  }
};
const byDateThen = <T>(date: (x: T) => string | null, key: (x: T) => string | number) => (a: T, b: T) => {
  const da = date(a) ?? '9999', db = date(b) ?? '9999';
  if (da !== db) return da < db ? -1 : 1;
  const ka = key(a), kb = key(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
};
const uniqSorted = (xs: string[]) => [...new Set(xs.filter(Boolean))].sort();

interface MessageRow { message_id: string; subject: string; from_name: string; from_email: string; date: string | null; version: number }
interface FixRow {
  key: string; kind: string; file: string; function: string | null; path: string | null; call: string; before: string;
  introduced_by: string | null; declared: number; status: string;
}
interface RegRow {
  key: string; fix_key: string; fix_message: string | null; removed_by: string; evidence: string; first_seen: string | null;
  status: string; resolved_by: string | null; resolution: string | null;
}
interface AckRow { regression_key: string; reason: string; by: string | null; at: string }

/** Reads the data a week's digest needs. One instance per database handle (statements are prepared once). */
export class WeekQueries {
  private msg;
  private fixByKey;
  private removalFiles;

  constructor(private db: Db, private list: string) {
    this.msg = db.prepare('SELECT message_id, subject, from_name, from_email, date, version FROM messages WHERE message_id IN (?, ?)');
    this.fixByKey = db.prepare('SELECT * FROM fixes WHERE key = ?');
    this.removalFiles = db.prepare('SELECT DISTINCT file FROM call_changes WHERE message_id IN (?, ?) AND call = ?');
  }

  message(id: string): MessageRef {
    const b = bare(id);
    const r = this.msg.get(b, `<${b}>`) as MessageRow | undefined;
    if (!r) return { messageId: b, subject: '(message not in the archive)', author: { name: '', email: '' }, date: null, version: 1, link: loreLink(this.list, b) };
    return {
      messageId: b,
      subject: r.subject,
      author: { name: r.from_name, email: r.from_email },
      date: r.date,
      version: r.version,
      link: loreLink(this.list, b),
    };
  }

  private fixRef(row: FixRow): FixRef {
    return {
      key: row.key,
      kind: row.kind === 'order' ? 'order' : 'presence',
      call: row.call,
      function: row.function,
      path: row.path,
      file: row.file,
      before: json<string[]>(row.before, []),
      status: row.status,
      declared: !!row.declared,
      introducedBy: row.introduced_by ? this.message(row.introduced_by) : null,
    };
  }

  fix(key: string): FixRef {
    const row = this.fixByKey.get(key) as FixRow | undefined;
    if (row) return this.fixRef(row);
    return { key, kind: 'presence', call: '?', function: null, path: null, file: '?', before: [], status: 'unknown', declared: false, introducedBy: null };
  }

  private acks(): Map<string, Acknowledgement> {
    const rows = this.db.prepare('SELECT regression_key, reason, by, at FROM acknowledgements').all() as AckRow[];
    return new Map(rows.map((r) => [r.regression_key, { reason: r.reason, by: r.by, at: r.at }]));
  }

  /** Everything the digest of week `w` holds (not yet narrowed to a recipient). */
  week(w: IsoWeek): WeekDigest {
    const start = w.start.getTime(), end = w.end.getTime();
    const inW = (iso: string | null | undefined) => {
      const t = time(iso);
      return t >= start && t < end;
    };
    const before = (iso: string | null | undefined, t: number) => time(iso) < t;
    const acks = this.acks();

    const regs = this.db.prepare(`SELECT key, fix_key, fix_message, removed_by, evidence, first_seen, status, resolved_by, resolution
      FROM regressions WHERE live = 1`).all() as RegRow[];

    const newRegressions: NewRegression[] = [];
    const stillOpen: OpenRegression[] = [];
    const resolved: ResolvedRegression[] = [];
    const acknowledged: AcknowledgedRegression[] = [];

    for (const r of regs) {
      const fix = this.fix(r.fix_key);
      const removedIds = json<string[]>(r.removed_by, []);
      const removedBy = removedIds.map((id) => this.message(id)).sort(byDateThen((m) => m.date, (m) => m.messageId));
      const files = uniqSorted([
        fix.file,
        ...removedIds.flatMap((id) => (this.removalFiles.all(bare(id), `<${bare(id)}>`, fix.call) as { file: string }[]).map((x) => x.file)),
      ]);
      const base = {
        key: r.key,
        fix,
        fixMessage: r.fix_message ? this.message(r.fix_message) : null,
        removedBy,
        firstSeen: r.first_seen,
        files,
      };
      const resolvedBy = r.status === 'resolved' && r.resolved_by ? this.message(r.resolved_by) : null;
      // resolved as of the week's end (an undated resolution counts as resolved)
      const resolvedByEnd = !!resolvedBy && (resolvedBy.date == null || before(resolvedBy.date, end));
      const ack = acks.get(r.key) ?? null;
      const ackByEnd = !!ack && before(ack.at, end);

      if (inW(r.first_seen)) {
        newRegressions.push({
          ...base,
          status: resolvedByEnd ? 'resolved' : ackByEnd ? 'acknowledged' : 'open',
          evidence: json<string[]>(r.evidence, []),
          resolvedBy: resolvedByEnd ? resolvedBy : null,
          resolution: resolvedByEnd ? r.resolution : null,
          acknowledged: ackByEnd ? ack : null,
        });
      } else if (before(r.first_seen, start) && !resolvedByEnd && !ackByEnd) {
        stillOpen.push({ ...base, ageDays: Math.floor((end - time(r.first_seen)) / DAY) });
      }
      if (resolvedBy && inW(resolvedBy.date)) resolved.push({ ...base, resolvedBy, resolution: r.resolution });
      if (ack && inW(ack.at)) acknowledged.push({ ...base, acknowledged: ack });
    }
    newRegressions.sort(byDateThen((r) => r.firstSeen, (r) => r.key));
    stillOpen.sort(byDateThen((r) => r.firstSeen, (r) => r.key));
    resolved.sort(byDateThen((r) => r.resolvedBy.date, (r) => r.key));
    acknowledged.sort(byDateThen((r) => r.acknowledged.at, (r) => r.key));

    return {
      week: w.label,
      start: w.start.toISOString(),
      end: w.end.toISOString(),
      list: this.list,
      recipient: null,
      newRegressions,
      stillOpen,
      resolved,
      acknowledged,
      fixesKnown: this.fixesKnown(w),
      series: this.series(w),
    };
  }

  /** Fixes whose introducing message is dated in the week (declared ones without a message: declared in the week). */
  fixesKnown(w: IsoWeek): KnownFixItem[] {
    const rows = this.db.prepare('SELECT * FROM fixes WHERE live = 1').all() as FixRow[];
    const out: KnownFixItem[] = [];
    const declaredAt = this.db.prepare(`SELECT created_at FROM declared_fixes WHERE kind = ? AND file = ? AND call = ?
      AND (function IS ? OR function = ?) ORDER BY created_at LIMIT 1`);
    for (const row of rows) {
      let date: string | null = null;
      if (row.introduced_by) date = this.message(row.introduced_by).date;
      else if (row.declared) date = (declaredAt.get(row.kind, row.file, row.call, row.function, row.function) as { created_at: string } | undefined)?.created_at ?? null;
      const t = time(date);
      if (!(t >= w.start.getTime() && t < w.end.getTime())) continue;
      const fix = this.fixRef(row);
      out.push({ fix, date, files: [fix.file] });
    }
    return out.sort(byDateThen((k) => k.date, (k) => k.fix.key));
  }

  /** Series posted in the week with at least one patch that adds, removes or reorders a watched call. */
  series(w: IsoWeek): SeriesItem[] {
    const rows = this.db.prepare(`SELECT s.* FROM series s
      WHERE s.live = 1 AND s.date >= ? AND s.date < ?
        AND EXISTS (SELECT 1 FROM messages m WHERE m.series_id = s.id
          AND (EXISTS (SELECT 1 FROM call_changes c WHERE c.message_id = m.message_id)
            OR EXISTS (SELECT 1 FROM order_changes o WHERE o.message_id = m.message_id)))
      ORDER BY s.date, s.id`).all(w.start.toISOString(), w.end.toISOString()) as {
      id: number; anchor: string; title: string; version: number; total: number; cover: string | null;
      author_name: string; author_email: string; date: string | null;
    }[];
    const patchesOf = this.db.prepare(`SELECT message_id FROM messages WHERE series_id = ? AND is_patch = 1
      ORDER BY COALESCE(idx, 0), date, message_id`);
    const callsOf = this.db.prepare('SELECT message_id, file, function, path, call, op FROM call_changes WHERE message_id = ? ORDER BY seq');
    const ordersOf = this.db.prepare('SELECT message_id, file, function, path, call, now_before, now_after FROM order_changes WHERE message_id = ? ORDER BY seq');
    const filesOf = this.db.prepare('SELECT path, old_path FROM patch_files WHERE message_id = ? ORDER BY seq');
    const out: SeriesItem[] = [];
    for (const s of rows) {
      if (!(time(s.date) >= w.start.getTime() && time(s.date) < w.end.getTime())) continue;
      const ids = (patchesOf.all(s.id) as { message_id: string }[]).map((r) => r.message_id);
      const calls: SeriesCall[] = [];
      const files: string[] = [];
      for (const id of ids) {
        for (const c of callsOf.all(id) as { message_id: string; file: string; function: string | null; path: string | null; call: string; op: string }[]) {
          calls.push({ messageId: bare(c.message_id), file: c.file, function: c.function, path: c.path, call: c.call, op: c.op });
        }
        for (const o of ordersOf.all(id) as { message_id: string; file: string; function: string; path: string | null; call: string; now_before: string; now_after: string }[]) {
          const nb = json<string[]>(o.now_before, []);
          const na = json<string[]>(o.now_after, []);
          const detail = [nb.length ? `now before ${nb.join(', ')}` : '', na.length ? `now after ${na.join(', ')}` : ''].filter(Boolean).join('; ');
          calls.push({ messageId: bare(o.message_id), file: o.file, function: o.function, path: o.path, call: o.call, op: `reordered (${detail})` });
        }
        for (const f of filesOf.all(id) as { path: string; old_path: string | null }[]) files.push(f.path, ...(f.old_path ? [f.old_path] : []));
      }
      const head = this.message(s.cover ?? s.anchor);
      out.push({
        id: s.id,
        title: s.title,
        version: s.version,
        total: s.total,
        author: { name: s.author_name, email: s.author_email },
        date: s.date,
        head,
        patches: ids.map((id) => this.message(id)),
        calls,
        files: uniqSorted([...files, ...calls.map((c) => c.file)]),
      });
    }
    return out;
  }
}

/** The digest data of one week. */
export function gatherWeek(db: Db, w: IsoWeek, list: string): WeekDigest {
  return new WeekQueries(db, list).week(w);
}
