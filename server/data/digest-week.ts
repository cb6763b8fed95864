// A week's digest data, gathered from the database into plain objects (digest-types.ts). Read-only.
// Status is judged as of the end of the week, so an old week's digest reads the same later on
// (except for things that only exist later, such as an acknowledgement made today for an old week).
import type { Db } from '../../ingest/store/db.ts';
import { bareMessageId as bare, listArchiveUrl, loreLink } from './links.ts';
import { getFix, listCallChanges, listFixes, listRegressions, listSeries, type Page, type PageRequest } from './index.ts';
import { snapshot } from './common.ts';
import type { Evidence, Fix, Regression } from '../schemas/index.ts';
import { evidenceOf } from './evidence.ts';
import { strongest } from '../../ingest/core/evidence.ts';
import type {
  EvidenceRef,
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
} from './digest-types.ts';

const DAY = 86_400_000;

/** The week a digest covers (digest/iso-week.ts's IsoWeek is one): its label and [start, end) in UTC. */
export interface DigestWeek {
  label: string;
  start: Date;
  end: Date;
}
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

interface MessageRow { message_id: string; list: string; subject: string; from_name: string; from_email: string; date: string | null; version: number }

/** Every item of a paged list (the shared queries page by keyset). */
function everything<T>(list: (page: PageRequest) => Page<T>): T[] {
  const out: T[] = [];
  let cursor: string | null = null;
  do {
    const p = list({ limit: 500, cursor });
    out.push(...p.items);
    cursor = p.nextCursor;
  } while (cursor);
  return out;
}

/**
 * Reads the data a week's digest needs, through the shared queries (index.ts) where they fit; what is
 * digest-specific (message refs with author, version and lore link; week windows) is here.
 */
export class WeekQueries {
  private msg;
  private fixCache = new Map<string, FixRef>();
  /** the lists of the messages the digest names */
  private lists = new Set<string>();

  constructor(private db: Db, private list: string, private inboxes?: readonly { url: string; list: string }[]) {
    this.msg = db.prepare(`SELECT m.message_id, m.list, m.subject, m.from_name, m.from_email, m.date, coalesce(s.version, m.version) AS version
      FROM messages m LEFT JOIN series s ON s.id = m.series_id WHERE m.message_id IN (?, ?)`);
  }

  message(id: string): MessageRef {
    const b = bare(id);
    const r = this.msg.get(b, `<${b}>`) as MessageRow | undefined;
    // not in the archive: its list is not known
    if (!r) return { messageId: b, subject: '(message not in the archive)', author: { name: '', email: '' }, date: null, version: 1, link: loreLink(null, b) };
    this.lists.add(r.list);
    return {
      messageId: b,
      subject: r.subject,
      author: { name: r.from_name, email: r.from_email },
      date: r.date,
      version: r.version,
      link: loreLink(r.list, b, listArchiveUrl(this.inboxes, r.list)),
    };
  }

  evidenceRef(e: Evidence): EvidenceRef {
    const commitLink = e.url ?? (e.commit && e.state === 'merged' ? `https://git.kernel.org/torvalds/c/${e.commit}` : null);
    return {
      kind: e.kind, state: e.state, by: e.by ? { name: e.by.name, email: e.by.email } : null, date: e.date, tree: e.tree, branch: e.branch,
      commit: e.commit, link: commitLink ?? (e.messageId && e.kind !== 'declared' ? loreLink(this.list, e.messageId, listArchiveUrl(this.inboxes, this.list)) : null),
    };
  }

  /** The strongest evidence that any of the removing messages was taken. */
  private removalTaken(removedIds: string[]): EvidenceRef | null {
    const best = strongest(removedIds.flatMap((id) => evidenceOf(this.db, id)));
    return best ? this.evidenceRef(best) : null;
  }

  private fixRef(f: Fix): FixRef {
    const ref: FixRef = {
      key: f.key,
      kind: f.kind === 'order' ? 'order' : 'presence',
      call: f.call,
      function: f.function,
      path: f.path,
      file: f.file,
      before: f.before,
      status: f.status,
      declared: f.declared,
      introducedBy: f.introducedBy ? this.message(f.introducedBy.messageId) : null,
    };
    this.fixCache.set(f.key, ref);
    return ref;
  }

  private regressionFix(r: Regression): FixRef {
    const cached = this.fixCache.get(r.fix.key);
    if (cached) return cached;
    const full = r.fix.id != null ? getFix(this.db, r.fix.id) : null;
    if (full) return this.fixRef(full);
    return {
      key: r.fix.key, kind: r.fix.kind === 'order' ? 'order' : 'presence', call: r.fix.call, function: r.fix.function, path: r.fix.path,
      file: r.fix.file, before: r.fix.before, status: 'unknown', declared: false,
      introducedBy: r.fix.introducedBy ? this.message(r.fix.introducedBy.messageId) : null,
    };
  }

  /** Files a regression touches: the fix's file and where the removing patches took the call out. */
  private regressionFiles(fix: FixRef, removedBy: string[]): string[] {
    const files = [fix.file];
    for (const id of removedBy) {
      for (const c of everything((p) => listCallChanges(this.db, { messageId: id, call: fix.call }, p))) files.push(c.file);
      if (fix.kind === 'order') for (const o of this.orderChangesOf(id)) if (o.call === fix.call) files.push(o.file);
    }
    return uniqSorted(files);
  }

  /** Everything the digest of week `w` holds (not yet narrowed to a recipient), read in one snapshot. */
  week(w: DigestWeek): WeekDigest {
    return snapshot(this.db, () => this.read(w));
  }

  private read(w: DigestWeek): WeekDigest {
    const start = w.start.getTime(), end = w.end.getTime();
    const inW = (iso: string | null | undefined) => {
      const t = time(iso);
      return t >= start && t < end;
    };
    const before = (iso: string | null | undefined, t: number) => time(iso) < t;

    const newRegressions: NewRegression[] = [];
    const stillOpen: OpenRegression[] = [];
    const resolved: ResolvedRegression[] = [];
    const acknowledged: AcknowledgedRegression[] = [];

    for (const r of everything((p) => listRegressions(this.db, {}, p))) {
      if (time(r.firstSeen) >= end) continue; // not seen yet at the end of this week
      const fix = this.regressionFix(r);
      const removedIds = r.removedBy.map((x) => bare(x.messageId));
      const removedBy = removedIds.map((id) => this.message(id)).sort(byDateThen((m) => m.date, (m) => m.messageId));
      const base = {
        key: r.key,
        fix,
        fixMessage: r.fixMessage ? this.message(r.fixMessage.messageId) : null,
        removedBy,
        firstSeen: r.firstSeen,
        files: this.regressionFiles(fix, removedIds),
      };
      const resolvedBy = r.status === 'resolved' && r.resolvedBy ? this.message(r.resolvedBy) : null;
      // resolved as of the week's end (an undated resolution counts as resolved)
      const resolvedByEnd = !!resolvedBy && (resolvedBy.date == null || before(resolvedBy.date, end));
      const ack: Acknowledgement | null = r.acknowledged ? { reason: r.acknowledged.reason, by: r.acknowledged.by ?? null, at: r.acknowledged.at } : null;
      const ackByEnd = !!ack && before(ack.at, end);

      if (inW(r.firstSeen)) {
        newRegressions.push({
          ...base,
          status: resolvedByEnd ? 'resolved' : ackByEnd ? 'acknowledged' : 'open',
          evidence: r.evidence,
          resolvedBy: resolvedByEnd ? resolvedBy : null,
          resolution: resolvedByEnd ? r.resolution : null,
          acknowledged: ackByEnd ? ack : null,
          removalTaken: this.removalTaken(removedIds),
        });
      } else if (before(r.firstSeen, start) && !resolvedByEnd && !ackByEnd) {
        stillOpen.push({ ...base, ageDays: Math.floor((end - time(r.firstSeen)) / DAY) });
      }
      if (resolvedBy && inW(resolvedBy.date)) resolved.push({ ...base, resolvedBy, resolution: r.resolution });
      if (ack && inW(ack.at)) acknowledged.push({ ...base, acknowledged: ack });
    }
    newRegressions.sort(byDateThen((r) => r.firstSeen, (r) => r.key));
    stillOpen.sort(byDateThen((r) => r.firstSeen, (r) => r.key));
    resolved.sort(byDateThen((r) => r.resolvedBy.date, (r) => r.key));
    acknowledged.sort(byDateThen((r) => r.acknowledged.at, (r) => r.key));

    const fixesKnown = this.fixesKnown(w);
    const series = this.series(w);
    // the lists the digest covers: its messages', else (nothing named) the archive's
    const lists = this.lists.size ? [...this.lists] : (this.db.prepare('SELECT DISTINCT list FROM messages').pluck().all() as string[]);
    return {
      week: w.label,
      start: w.start.toISOString(),
      end: w.end.toISOString(),
      list: this.list,
      lists: lists.filter(Boolean).sort(),
      recipient: null,
      newRegressions,
      stillOpen,
      resolved,
      acknowledged,
      fixesKnown,
      series,
    };
  }

  /** Fixes whose introducing message is dated in the week (declared ones without a message: declared in the week). */
  fixesKnown(w: DigestWeek): KnownFixItem[] {
    const declaredAt = this.db.prepare(`SELECT created_at FROM declared_fixes WHERE kind = ? AND file = ? AND call = ?
      AND function IS ? ORDER BY created_at LIMIT 1`);
    const out: KnownFixItem[] = [];
    for (const f of everything((p) => listFixes(this.db, {}, p))) {
      let date: string | null = null;
      if (f.introducedBy) date = f.introducedBy.date;
      else if (f.declared) date = (declaredAt.get(f.kind, f.file, f.call, f.function) as { created_at: string } | undefined)?.created_at ?? null;
      const t = time(date);
      if (!(t >= w.start.getTime() && t < w.end.getTime())) continue;
      const fix = this.fixRef(f);
      out.push({ fix, date, files: [fix.file], evidence: f.evidence.map((e) => this.evidenceRef(e)) });
    }
    return out.sort(byDateThen((k) => k.date, (k) => k.fix.key));
  }

  /** Series posted in the week with at least one patch that adds, removes or reorders a watched call. */
  series(w: DigestWeek): SeriesItem[] {
    const filesOf = this.db.prepare('SELECT path, old_path FROM patch_files WHERE message_id = ? ORDER BY seq');
    const out: SeriesItem[] = [];
    const posted = everything((p) => listSeries(this.db, { since: w.start.toISOString(), until: w.end.toISOString() }, p));
    for (const s of posted) {
      if (!(time(s.date) >= w.start.getTime() && time(s.date) < w.end.getTime())) continue;
      const calls: SeriesCall[] = [];
      const files: string[] = [];
      for (const id of s.patches) {
        for (const c of everything((p) => listCallChanges(this.db, { messageId: id }, p))) {
          calls.push({ messageId: bare(c.messageId), file: c.file, function: c.function, path: c.path, call: c.call, op: c.op });
        }
        for (const o of this.orderChangesOf(id)) {
          const detail = [o.nowBefore.length ? `now before ${o.nowBefore.join(', ')}` : '', o.nowAfter.length ? `now after ${o.nowAfter.join(', ')}` : ''].filter(Boolean).join('; ');
          calls.push({ messageId: bare(id), file: o.file, function: o.function, path: o.path, call: o.call, op: 'reordered', detail });
        }
        for (const f of filesOf.all(bare(id)) as { path: string; old_path: string | null }[]) files.push(f.path, ...(f.old_path ? [f.old_path] : []));
      }
      if (!calls.length) continue;
      out.push({
        id: s.id,
        title: s.title,
        version: s.version,
        total: s.total,
        author: { name: s.author.name, email: s.author.email },
        date: s.date,
        head: this.message(s.cover ?? s.patches[0] ?? ''),
        patches: s.patches.map((id) => this.message(id)),
        calls,
        files: uniqSorted([...files, ...calls.map((c) => c.file)]),
      });
    }
    return out.sort(byDateThen((x) => x.date, (x) => x.id));
  }

  private orderChangesOf(messageId: string): { file: string; function: string; path: string | null; call: string; nowBefore: string[]; nowAfter: string[] }[] {
    const rows = this.db.prepare('SELECT file, function, path, call, now_before, now_after FROM order_changes WHERE message_id IN (?, ?) ORDER BY seq')
      .all(bare(messageId), `<${bare(messageId)}>`) as { file: string; function: string; path: string | null; call: string; now_before: string; now_after: string }[];
    return rows.map((o) => ({ file: o.file, function: o.function, path: o.path, call: o.call, nowBefore: json<string[]>(o.now_before, []), nowAfter: json<string[]>(o.now_after, []) }));
  }
}

/** The digest data of one week. */
/** `inboxes`: config's, for links under a list's configured archive URL (listArchiveUrl). */
export function gatherWeek(db: Db, w: DigestWeek, list: string, inboxes?: readonly { url: string; list: string }[]): WeekDigest {
  return new WeekQueries(db, list, inboxes).week(w);
}
