// From request parameters to page data: the API's query functions for what the API already serves, the
// dashboard's own (server/data/dashboard.ts) for the rest. Each returns null for "no such thing" (a 404).
import type { Db } from '../../ingest/store/db.ts';
import {
  getFix, getMessage, getMessages, getPatch, getPatchDiff, getRegression, getSeries, getThread, health, listCallChanges,
  listRegressions, parseDateParam,
} from '../data/index.ts';
import { snapshot, starMatcher } from '../data/common.ts';
import { badRequest } from '../plugins/errors.ts';
import type { Regression } from '../schemas/index.ts';
import { CALL_OPS } from '../../ingest/core/model.ts';
import { regressionHeadline } from './components.ts';
import type { Highlight } from './diff-view.ts';
import { queryString } from './html.ts';
import type { CallChangeFilterValues, CallChangesPageData } from './pages/call-changes.ts';
import type { FunctionPageData } from './pages/function-history.ts';
import type { OverviewData, RegressionFilterValues } from './pages/overview.ts';
import type { PatchPageData } from './pages/patch.ts';
import { evidenceHighlights, type MessageInfo, type RegressionPageData } from './pages/regression.ts';
import type { ThreadPageData } from './pages/thread.ts';
import { OTHER_PATH, type TimelineData, type TimelinePatch } from './pages/timeline.ts';
import {
  acceptedOf, fixesIn, functionHistory, listCallRows, messageText, pathClasses, regressionIdsIn, regressionRoles, timelineRows, describePatches, type CallFilters,
} from '../data/dashboard.ts';

type Query = Record<string, unknown>;

/** A query-string value as a trimmed string, or undefined when absent or empty. */
function str(q: Query, name: string, max = 256): string | undefined {
  const v = q[name];
  const s = Array.isArray(v) ? v[0] : v;
  if (typeof s !== 'string') return undefined;
  const t = s.trim();
  if (!t) return undefined;
  if (t.length > max) throw badRequest(name, `longer than ${max} characters`);
  return t;
}

function oneOf<T extends string>(q: Query, name: string, values: readonly T[]): T | undefined {
  const v = str(q, name);
  if (v === undefined) return undefined;
  if (!(values as readonly string[]).includes(v)) throw badRequest(name, `must be one of ${values.join(', ')}`);
  return v as T;
}

function date(q: Query, name: string): string | undefined {
  const v = str(q, name, 40);
  if (v !== undefined) parseDateParam(name, v); // throws a 400 naming it
  return v;
}

const lower = (s: string) => s.toLowerCase();

// ---- overview ---------------------------------------------------------------------------------------

export function regressionFilters(q: Query): RegressionFilterValues {
  return {
    status: oneOf(q, 'status', ['open', 'acknowledged', 'resolved'] as const),
    file: str(q, 'file', 1024),
    function: str(q, 'function'),
    path: str(q, 'path', 64),
    call: str(q, 'call'),
    author: str(q, 'author'),
    since: date(q, 'since'),
    until: date(q, 'until'),
  };
}

/** Every regression with this status matching the filters the API takes, then the ones it does not (in memory). */
function regressions(db: Db, status: 'open' | 'acknowledged' | 'resolved', f: RegressionFilterValues, order: 'oldest' | 'newest', max: number): Regression[] {
  const out: Regression[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 20; i++) {
    const page = listRegressions(db, { status, file: f.file, since: f.since, until: f.until, order }, { limit: 500, cursor });
    out.push(...page.items);
    cursor = page.nextCursor;
    if (!cursor) break;
  }
  const callMatches = f.call ? starMatcher(f.call) : null;
  const matches = (r: Regression) =>
    (!f.function || r.fix.function === f.function) &&
    (!f.path || (f.path === 'null' ? r.fix.path === null : r.fix.path === f.path)) &&
    (!callMatches || callMatches(r.fix.call)) &&
    (!f.author || r.removedBy.some((x) => lower(x.author.email).includes(lower(f.author!)) || lower(x.author.name).includes(lower(f.author!))));
  return out.filter(matches).slice(0, max);
}

export function loadOverview(db: Db, q: Query): OverviewData {
  const filters = regressionFilters(q);
  return snapshot(db, () => {
    const want = (s: string) => !filters.status || filters.status === s;
    const open = want('open') ? regressions(db, 'open', filters, 'oldest', 1000) : [];
    const OTHERS = 20;
    const others = [
      ...(want('acknowledged') ? regressions(db, 'acknowledged', filters, 'newest', 1000) : []),
      ...(want('resolved') ? regressions(db, 'resolved', filters, 'newest', 1000) : []),
    ].sort((a, b) => (b.firstSeen ?? '').localeCompare(a.firstSeen ?? ''));
    const h = health(db);
    const shown = others.slice(0, OTHERS);
    const subjects: Record<string, string> = {};
    for (const r of shown) if (r.resolvedBy) subjects[r.resolvedBy] = getMessage(db, r.resolvedBy)?.subject ?? '';
    return {
      open,
      others: shown,
      subjects,
      othersMore: Math.max(0, others.length - OTHERS),
      counts: { messages: h.messages, patches: h.patches, series: h.series, fixes: h.fixes, newestMessage: h.newestMessage },
      filters,
      paths: pathClasses(db),
    };
  });
}

// ---- regression -------------------------------------------------------------------------------------

function messageInfo(db: Db, messageId: string | null | undefined): MessageInfo | null {
  if (!messageId) return null;
  const m = getMessage(db, messageId);
  if (!m) return { messageId, subject: messageId, date: null, from: { name: '', email: '' }, threadId: null };
  return { messageId: m.messageId, subject: m.subject, date: m.date, from: m.from, threadId: m.threadId, list: m.list, accepted: m.isPatch ? acceptedOf(db, m.messageId) : null };
}

export function loadRegression(db: Db, id: number): RegressionPageData | null {
  return snapshot(db, () => {
    const reg = getRegression(db, id);
    if (!reg) return null;
    const f = reg.fix;
    const note = `undoes the fix: ${f.call}()`;
    const removals = reg.removedBy.map((removal) => {
      const m = getMessage(db, removal.messageId);
      const calls = listCallChanges(db, { messageId: removal.messageId }, { limit: 500 }).items;
      const highlights: Highlight[] = [
        ...calls.filter((c) => c.call === f.call && (f.kind === 'order' || c.op === 'removed'))
          .map((c): Highlight => ({ file: c.file, op: c.op, line: c.line, note: `${c.op === 'removed' ? 'removes' : 'moves'} ${f.call}()` })),
        ...evidenceHighlights(reg.evidence, note),
      ];
      return { removal, threadId: m?.threadId ?? null, list: m?.list, diffText: getPatchDiff(db, removal.messageId) ?? '', highlights, files: [] };
    });
    const fixMessage = messageInfo(db, reg.fixMessage?.messageId);
    return {
      reg,
      fixMessage,
      fixThread: fixMessage?.threadId != null ? getThread(db, fixMessage.threadId) : null,
      introducedBy: messageInfo(db, f.introducedBy?.messageId),
      fixEvidence: f.id !== null ? getFix(db, f.id)?.evidence ?? [] : [],
      removals,
      related: reg.related.map((x) => messageInfo(db, x)).filter((x): x is MessageInfo => x !== null),
      resolvedBy: messageInfo(db, reg.resolvedBy),
    };
  });
}

// ---- patch / message --------------------------------------------------------------------------------

export function loadPatch(db: Db, messageId: string): PatchPageData | null {
  return snapshot(db, () => {
    const m = getMessage(db, messageId);
    if (!m) return null;
    const text = messageText(db, m.messageId)!;
    const p = m.isPatch ? getPatch(db, m.messageId) : null;
    const s = m.seriesId !== null ? getSeries(db, m.seriesId) : null;
    const seriesMembers = s ? getMessages(db, [...(s.cover ? [s.cover] : []), ...s.patches.slice(0, 100)]) : [];
    const roles = regressionRoles(db, m.messageId);
    return {
      messageId: m.messageId,
      subject: m.subject,
      from: m.from,
      date: m.date,
      list: m.list,
      kind: m.kind,
      isPatch: m.isPatch,
      threadId: m.threadId,
      ownText: text.ownText,
      diffText: m.isPatch ? text.diffText : '',
      trailers: p?.trailers ?? [],
      accepted: p?.accepted ?? null,
      state: p?.state ?? null,
      evidence: m.evidence ?? [],
      callChanges: m.isPatch ? listCallChanges(db, { messageId: m.messageId }, { limit: 500 }).items : [],
      series: s ? {
        id: s.id, title: s.title, version: s.version, total: s.total,
        patches: seriesMembers.map((x) => ({ messageId: x.messageId, subject: x.subject })),
        previous: otherVersion(db, s.previousVersion, s.patches.indexOf(m.messageId)),
        next: otherVersion(db, s.nextVersion, s.patches.indexOf(m.messageId)),
      } : null,
      backports: getMessages(db, p?.backports ?? []).map((x) => ({ messageId: x.messageId, subject: x.subject })),
      backportOf: s?.backportOf != null ? otherVersion(db, s.backportOf, -1) : null,
      regressions: roles.flatMap((r) => {
        const reg = getRegression(db, r.id);
        return reg ? [{ id: reg.id, headline: regressionHeadline(reg), status: reg.status, role: r.role }] : [];
      }),
    };
  });
}

/** The patch at the same place in another version of a series (else its first patch, else its cover). */
function otherVersion(db: Db, seriesId: number | null, position: number): { version: number; messageId: string; subject: string } | null {
  if (seriesId === null) return null;
  const s = getSeries(db, seriesId);
  if (!s) return null;
  const id = (position >= 0 ? s.patches[position] : undefined) ?? s.patches[0] ?? s.cover;
  const m = id ? getMessage(db, id) : null;
  return m ? { version: s.version, messageId: m.messageId, subject: m.subject } : null;
}

// ---- thread ----------------------------------------------------------------------------------------

export function loadThread(db: Db, id: number, current?: string): ThreadPageData | null {
  const thread = getThread(db, id);
  return thread ? { thread, current: current ?? null } : null;
}

// ---- function history -------------------------------------------------------------------------------

export function loadFunction(db: Db, file: string, fn: string): FunctionPageData {
  return snapshot(db, () => {
    const h = functionHistory(db, file, fn);
    const files = [file, ...h.formerNames];
    const ids = [...new Set(regressionIdsIn(db, files, fn))];
    return {
      file,
      fn,
      ...h,
      fixes: fixesIn(db, files, fn),
      regressions: ids.flatMap((id) => {
        const r = getRegression(db, id);
        return r ? [{ id: r.id, headline: regressionHeadline(r), status: r.status }] : [];
      }),
    };
  });
}

// ---- call changes and timeline ----------------------------------------------------------------------

export function callFilters(q: Query, o: { op?: boolean } = {}): CallChangeFilterValues {
  return {
    file: str(q, 'file', 1024),
    function: str(q, 'function'),
    path: str(q, 'path', 64),
    call: str(q, 'call'),
    op: o.op === false ? undefined : oneOf(q, 'op', CALL_OPS),
    author: str(q, 'author'),
    since: date(q, 'since'),
    until: date(q, 'until'),
    status: oneOf(q, 'status', ['accepted', 'pending'] as const),
  };
}

const toCallFilters = (v: CallChangeFilterValues): CallFilters => ({ ...v, op: v.op as CallFilters['op'], status: v.status as CallFilters['status'] });

export const CALL_PAGE = 100;

export function loadCallChanges(db: Db, q: Query): CallChangesPageData {
  const filters = callFilters(q);
  const cursor = str(q, 'cursor', 1024) ?? null;
  const page = listCallRows(db, toCallFilters(filters), CALL_PAGE, cursor);
  const base = filters as Record<string, string | undefined>;
  return {
    items: page.items,
    filters,
    paths: pathClasses(db),
    nextHref: page.nextCursor ? '/call-changes' + queryString({ ...base, cursor: page.nextCursor }) : null,
    firstHref: cursor ? '/call-changes' + queryString(base) : null,
  };
}

/** More patches than this and the chart shows one point per day (linking to that day's list). */
export const TIMELINE_MAX_POINTS = 3000;

export function loadTimeline(db: Db, q: Query): TimelineData {
  const filters = callFilters(q, { op: false });
  const rows = timelineRows(db, toCallFilters(filters));
  let patches: TimelinePatch[] = rows;
  if (rows.length <= TIMELINE_MAX_POINTS) describePatches(db, rows);
  else {
    const days = new Map<string, TimelinePatch & { n: number }>();
    for (const r of rows) {
      const d = r.date.slice(0, 10);
      let p = days.get(d);
      if (!p) {
        const href = '/call-changes' + queryString({ ...(filters as Record<string, string | undefined>), since: d, until: d });
        p = { messageId: r.messageId, subject: '', date: `${d}T12:00:00.000Z`, accepted: false, counts: {}, href, n: 0 };
        days.set(d, p);
      }
      p.n++;
      p.subject = `${p.n} patch${p.n === 1 ? '' : 'es'} on ${d}`;
      for (const [k, n] of Object.entries(r.counts)) p.counts[k] = (p.counts[k] ?? 0) + n;
    }
    patches = [...days.values()];
  }
  const seen = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r.counts)) seen.add(k.split('|')[0]);
  const paths = [...new Set([...pathClasses(db), ...seen])];
  paths.sort((a, b) => (a === OTHER_PATH ? 1 : b === OTHER_PATH ? -1 : a.localeCompare(b)));
  return { patches, paths, filters, tableLimit: 200, perDay: rows.length > TIMELINE_MAX_POINTS };
}

