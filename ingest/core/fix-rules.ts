// Known fixes and regressions, from the call index of every patch plus series, versions and acceptance.
// Pure and deterministic: the result does not depend on the order of the input (detectRegressions), or the input
// is a stream of postings already in processing order (detectInOrder: the same result, holding one posting's
// facts at a time; a posting out of that order is an error, not a different result).
//
// Time. Patches are sorted by date (timeOf), then message id; a patch without a date (or with one Date.parse
// cannot read) comes after every dated one.
// Postings (seriesId) are processed one at a time, in the order of their earliest patch (then seriesId, compared
// as JavaScript compares strings: by UTF-16 code unit); an accepted posting takes effect at its posting time
// (acceptance dates are not used for ordering). Within a posting, patches go by index (none: 0), date, message id.
// Nothing a rule keeps from a past posting refers to its facts: fixes and regressions copy what they need.
//
// Fixes.
//  - presence: an accepted patch adds a watched call C to function F (path class P, possibly null) of file X.
//    Adds in an unknown function (null) establish nothing: what the fix is cannot be said.
//  - order: an accepted patch moves C ahead of D, E in F (its OrderChange.nowBefore).
//  - declared fixes (users) are in force from the start; one with the same key as a derived fix is merged.
//  Keys: `presence:<file at introduction>:<function or *path>:<call>:<introducedBy or declared>` and
//  `order:<file at introduction>:<function>:<call>:<introducedBy or declared>`.
//
// Per posting (series), for each active fix:
//  - presence: the series removes C from F (from any function of P when the fix names no function). If the
//    same series adds C back to F, or to any function of P (P non-null), in the fix's file, it is a move, not a
//    regression; an accepted move retires the fix (status moved, movedTo) in favour of a new one
//    (movedFrom, introducedBy = the adding message). Otherwise it is a regression (open, accepted or not);
//    an accepted removal sets the fix's status to removed.
//  - order: an OrderChange in F where C is now after one of the fix's `before` calls (or one of those is now
//    before C), unless a later patch of the same series puts it back.
//  A regression is one fix undone by one removing chain, keyed `<fixKey>|<chainId of the first removing series>`
//  (`#n` added when the fix is undone again after a refix): every version of that chain that still removes the
//  fix adds its messages to removedBy. A fix is what one accepted patch established: the call sites one patch
//  added (the same message, `establishedBy`) are one fix for this purpose, so a chain removing several of them
//  makes one regression listing every site. Its detail: every call site removed (message, file, function, call,
//  removed lines), every version of the chain that removes it and whether it was taken (accepted), and how the
//  call went: removed from a function that stays, removed with its whole function (the patch deletes the
//  function: PatchFacts.deletedFunctions), moved to a function outside the fix's path class (the series adds the
//  call there), or reordered (order fixes); `proposal` when every removing message is a reply's diff.
// Resolution:
//  - refixed: an accepted posting puts C back into P (into F when P is null; the order back for order fixes)
//    in the fix's file. When the fix had been removed and C comes back into F itself, the fix is re-established:
//    status active again, and later regressions carry the refixing message as fixMessage.
//  - dropped: a higher version of the removing chain no longer removes it; resolvedBy is that version's patch
//    with the same index as the last removing patch, else its first patch. A still higher version that
//    removes it again reopens the regression.
// Related: patches (any file, function, path) that add C, posted from the regression's first removal until
// its resolution (all later ones while open), except the resolving patch, the removing messages and the fix's
// introducer. For order fixes: patches that put C back before the `before` calls.
// Renames: an accepted patch renaming from→to moves every fix on `from` to `to` (history 'renamed'); a fix
// matches changes under any name it has had, and a series' own renames are followed for its own changes.
import type { CallChange, DeclaredFix, FixEvent, KnownFix, OrderChange, PatchFacts, Regression, RegressionDetail, RemovedSite } from './model.ts';
import { compileWatchRule, type WatchRule } from './watch.ts';

export interface Detection {
  fixes: KnownFix[];
  regressions: Regression[];
}

interface Fix extends KnownFix {
  /** every name the fix's file has had */
  names: Set<string>;
  /** the message that introduced or last re-established the fix */
  establishedBy: string | null;
  /** ordinal of the posting that established it (-1: declared) */
  since: number;
  sinceTime: number;
}

interface Reg extends Regression {
  fix: Fix;
  /** every fix (call site) of the same establishing message this chain removes */
  fixes: Set<Fix>;
  chainId: string;
  maxVersion: number;
  lastIndex: number | null;
  firstTime: number;
  /** ordinal of the posting that resolved it */
  resolvedAt: number | null;
  detail: RegressionDetail;
}

interface Posting {
  seriesId: string;
  chainId: string;
  version: number;
  time: number;
  date: string | null;
  patches: PatchFacts[];
  /** position in processing order */
  ord: number;
}

/** What the rules know as they walk the postings in time order. */
interface State {
  fixes: Map<string, Fix>;
  regs: Map<string, Reg>;
}

/** One posting's changes, as the per-posting rules read them. */
interface Step {
  s: Posting;
  removed: CallChange[];
  added: CallChange[];
  orders: OrderChange[];
  patchOf: Map<CallChange | OrderChange, PatchFacts>;
  /** additions a move took */
  consumed: Set<CallChange>;
  /** regressions this posting removed again */
  touched: Set<Reg>;
  renames: { from: string; to: string; accepted: boolean; p: PatchFacts }[];
  fileMatches: (f: Fix, file: string) => boolean;
}

/** The time the rules give a date: milliseconds, +Infinity without one (a store orders postings by it too). */
export const timeOf = (d: string | null): number => {
  if (!d) return Number.POSITIVE_INFINITY;
  const t = Date.parse(d);
  return Number.isNaN(t) ? Number.POSITIVE_INFINITY : t;
};
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const ev = (type: string, messageId: string | null, date: string | null, detail: string): FixEvent => ({ type, messageId, date, detail });
const sortedFixes = (st: State) => [...st.fixes.values()].sort((a, b) => cmp(a.key, b.key));
const sortedRegs = (st: State) => [...st.regs.values()].sort((a, b) => cmp(a.key, b.key));

export function presenceKey(file: string, fn: string | null, path: string | null, call: string, introducedBy: string | null): string {
  return `presence:${file}:${fn ?? `*${path ?? ''}`}:${call}:${introducedBy ?? 'declared'}`;
}
export function orderKey(file: string, fn: string | null, call: string, introducedBy: string | null): string {
  return `order:${file}:${fn ?? '*'}:${call}:${introducedBy ?? 'declared'}`;
}

/**
 * Known fixes and the regressions that undo them.
 * `rules` (optional) fills in the path class of a declared fix that names a function but no path.
 *
 * @example detectRegressions(facts, []).regressions[0]
 *   // { key: 'presence:arch/x86/kernel/amd_iommu.c:amd_iommu_init_dma_ops:amd_iommu_flush_all_devices:<intro>|<chain>',
 *   //   status: 'resolved', resolution: 'refixed', ... }
 */
export function detectRegressions(patches: PatchFacts[], declared: DeclaredFix[] = [], rules?: WatchRule[]): Detection {
  return detectInOrder(postingsInOrder(patches), declared, rules);
}

/**
 * {@link detectRegressions} over postings given one at a time, already in processing order (see the header): each
 * element is every patch of one posting (one seriesId, distinct message ids), in any order. Only the posting at
 * hand is held; the iterable may read them as it goes. Throws when a posting comes out of order (its earliest
 * patch's time, then seriesId, not after the previous posting's) or mixes seriesIds.
 *
 * @example detectInOrder([[fix], [v1p1, v1p2], [v2p1]], []) // the same as detectRegressions([fix, v1p1, v1p2, v2p1], [])
 */
export function detectInOrder(postings: Iterable<PatchFacts[]>, declared: DeclaredFix[] = [], rules?: WatchRule[]): Detection {
  const st: State = { fixes: new Map(), regs: new Map() };
  declareFixes(st, declared, rules);
  let ord = 0;
  let last: { time: number; seriesId: string } | null = null; // the previous posting's place, not its facts
  for (const patches of postings) {
    if (!patches.length) continue;
    const s = postingOf(patches, ord++);
    if (last && !(last.time < s.time || (last.time === s.time && cmp(last.seriesId, s.seriesId) < 0))) {
      throw new Error(`posting ${s.seriesId} comes out of order (after ${last.seriesId})`);
    }
    last = { time: s.time, seriesId: s.seriesId };
    const step = stepOf(st, s);
    removalsAndMoves(st, step);
    orderFlips(st, step);
    droppedByLaterVersions(st, step);
    acceptedAdditions(st, step);
    relatedCandidates(st, step);
  }
  return output(st);
}

// ---- input, in a canonical order ----

const byTime = (a: PatchFacts, b: PatchFacts) => timeOf(a.date) - timeOf(b.date) || cmp(a.messageId, b.messageId);

/**
 * A list of patches as {@link detectInOrder} takes them: de-duplicated by message id (the earliest kept), grouped
 * by posting, the postings in processing order.
 */
export function postingsInOrder(patches: PatchFacts[]): PatchFacts[][] {
  const byId = new Map<string, PatchFacts>();
  for (const p of [...patches].sort(byTime)) {
    if (!byId.has(p.messageId)) byId.set(p.messageId, p);
  }
  const postingsById = new Map<string, { seriesId: string; time: number; patches: PatchFacts[] }>();
  for (const p of byId.values()) {
    let s = postingsById.get(p.seriesId);
    if (!s) postingsById.set(p.seriesId, (s = { seriesId: p.seriesId, time: timeOf(p.date), patches: [] }));
    s.patches.push(p); // already in time order: the first is the earliest
  }
  return [...postingsById.values()].sort((a, b) => a.time - b.time || cmp(a.seriesId, b.seriesId)).map((s) => s.patches);
}

/** One posting's patches as the rules walk them: by index, time, message id; it takes its earliest patch's time. */
function postingOf(patches: PatchFacts[], ord: number): Posting {
  let first = patches[0];
  for (const p of patches) {
    if (p.seriesId !== first.seriesId) throw new Error(`a posting mixes ${first.seriesId} and ${p.seriesId}`);
    if (byTime(p, first) < 0) first = p;
  }
  const sorted = [...patches].sort((a, b) => (a.index ?? 0) - (b.index ?? 0) || byTime(a, b));
  return { seriesId: first.seriesId, chainId: first.chainId, version: first.version, time: timeOf(first.date), date: first.date, patches: sorted, ord };
}

type NewFix = Omit<Fix, 'key' | 'names' | 'history' | 'movedFrom' | 'movedTo' | 'status' | 'establishedBy'> & { names?: string[]; movedFrom?: string };

function newFix(st: State, f: NewFix, event: FixEvent): Fix {
  const key = f.kind === 'presence'
    ? presenceKey(f.file, f.function, f.path, f.call, f.introducedBy)
    : orderKey(f.file, f.function, f.call, f.introducedBy);
  const existing = st.fixes.get(key);
  if (existing) {
    if (f.declared) existing.declared = true;
    return existing;
  }
  const fix: Fix = {
    key, kind: f.kind, file: f.file, function: f.function, path: f.path, call: f.call, before: f.before,
    introducedBy: f.introducedBy, declared: f.declared, movedFrom: f.movedFrom ?? null, movedTo: null, status: 'active',
    history: [event], names: new Set(f.names ?? [f.file]), establishedBy: f.introducedBy, since: f.since, sinceTime: f.sinceTime,
  };
  st.fixes.set(key, fix);
  return fix;
}

// ---- declared fixes: in force from the start ----

function declareFixes(st: State, declared: DeclaredFix[], rules?: WatchRule[]): void {
  const compiled = (rules ?? []).map(compileWatchRule);
  for (const d of [...declared].sort((a, b) => cmp(JSON.stringify(a), JSON.stringify(b)))) {
    let path = d.path;
    if (path === null && d.function && d.kind === 'presence') {
      for (const r of compiled) if (r.matchesFile(d.file)) { path = r.pathOf(d.function, ''); if (path) break; }
    }
    newFix(st,
      { kind: d.kind, file: d.file, function: d.function, path, call: d.call, before: d.kind === 'order' ? [...d.before] : [],
        introducedBy: d.introducedBy, declared: true, since: -1, sinceTime: Number.NEGATIVE_INFINITY },
      ev('declared', d.introducedBy, null, d.note ?? 'declared by a user'),
    );
  }
}

// ---- renames carried by the series, and the posting's changes ----

function stepOf(st: State, s: Posting): Step {
  const renames = s.patches.flatMap((p) => p.renames.map((r) => ({ ...r, accepted: !!p.accepted, p })));
  for (const r of renames) {
    if (!r.accepted) continue;
    for (const f of sortedFixes(st)) {
      if (!f.names.has(r.from) || f.file === r.to) continue;
      f.names.add(r.to);
      f.file = r.to;
      f.history.push(ev('renamed', r.p.messageId, r.p.date, `${r.from} → ${r.to}`));
    }
  }
  const removed: CallChange[] = [];
  const added: CallChange[] = [];
  const orders: OrderChange[] = [];
  const patchOf = new Map<CallChange | OrderChange, PatchFacts>();
  for (const p of s.patches) {
    for (const c of p.callChanges) { (c.op === 'removed' ? removed : added).push(c); patchOf.set(c, p); }
    for (const o of p.orderChanges) { orders.push(o); patchOf.set(o, p); }
  }
  return {
    s, removed, added, orders, patchOf, consumed: new Set(), touched: new Set(), renames,
    fileMatches: (f, file) => f.names.has(file) || renames.some((r) => r.to === file && f.names.has(r.from)),
  };
}

/** The fixes one establishing message made are one fix to a removing chain (see the header). */
const fixGroup = (f: Fix) => (f.establishedBy ? `m:${f.establishedBy}` : f.key);

function recordRemoval(
  st: State, step: Step, f: Fix, msgs: PatchFacts[], evidence: string[], sites: RemovedSite[],
  how: RegressionDetail['how'], movedTo: RegressionDetail['movedTo'] = null,
): void {
  const { s } = step;
  const first = msgs[0];
  let reg = [...st.regs.values()].find((r) => (r.fixes.has(f) || fixGroup(r.fix) === fixGroup(f)) && r.chainId === s.chainId && r.resolution !== 'refixed');
  if (!reg) {
    let key = `${f.key}|${s.chainId}`;
    for (let n = 2; st.regs.has(key); n++) key = `${f.key}|${s.chainId}#${n}`;
    reg = {
      key, fixKey: f.key, fixMessage: f.establishedBy, removedBy: [], evidence: [], firstSeen: first.date,
      status: 'open', resolvedBy: null, resolution: null, related: [],
      fix: f, fixes: new Set([f]), chainId: s.chainId, maxVersion: s.version, lastIndex: null, firstTime: timeOf(first.date), resolvedAt: null,
      detail: { sites: [], versions: [], taken: false, how, movedTo, proposal: true },
    };
    st.regs.set(key, reg);
  } else if (reg.status === 'resolved' && !step.touched.has(reg)) {
    reg.status = 'open'; // a later version removes it again
    reg.resolvedBy = null;
    reg.resolution = null;
    reg.resolvedAt = null;
  }
  reg.fixes.add(f);
  for (const m of msgs) if (!reg.removedBy.includes(m.messageId)) reg.removedBy.push(m.messageId);
  for (const e of evidence) if (!reg.evidence.includes(e)) reg.evidence.push(e);
  reg.maxVersion = Math.max(reg.maxVersion, s.version);
  reg.lastIndex = msgs[msgs.length - 1].index;
  step.touched.add(reg);
  // the detail
  const d = reg.detail;
  for (const site of sites) {
    const same = d.sites.find((x) => x.messageId === site.messageId && x.file === site.file && x.function === site.function && x.call === site.call);
    if (same) { for (const l of site.lines) if (!same.lines.includes(l)) same.lines.push(l); } else d.sites.push(site);
  }
  let version = d.versions.find((v) => v.series === s.seriesId);
  if (!version) d.versions.push((version = { version: s.version, series: s.seriesId, messages: [], taken: false }));
  for (const m of msgs) if (!version.messages.includes(m.messageId)) version.messages.push(m.messageId);
  if (msgs.some((m) => m.accepted) || s.patches.some((p) => p.accepted)) version.taken = d.taken = true;
  if (msgs.some((m) => !m.proposal)) d.proposal = false;
  // the latest version says how the call went
  d.how = how;
  d.movedTo = movedTo;
  if (msgs.some((m) => m.accepted)) {
    f.status = 'removed';
    const m = msgs.find((x) => x.accepted)!;
    f.history.push(ev('removed', m.messageId, m.date, `accepted removal of ${f.call}`));
  }
}

/** The sites of removals, one per message, file, function and call. */
function sitesOf(step: Step, changes: CallChange[]): RemovedSite[] {
  const out: RemovedSite[] = [];
  for (const c of changes) {
    const messageId = step.patchOf.get(c)!.messageId;
    const same = out.find((x) => x.messageId === messageId && x.file === c.file && x.function === c.function && x.call === c.call);
    if (same) { if (!same.lines.includes(`-${c.line}`)) same.lines.push(`-${c.line}`); } else out.push({ messageId, file: c.file, function: c.function, call: c.call, lines: [`-${c.line}`] });
  }
  return out;
}

// ---- removals and moves of presence fixes ----

function removalsAndMoves(st: State, step: Step): void {
  const { s, removed, added, patchOf, consumed, fileMatches } = step;
  for (const f of sortedFixes(st)) {
    if (f.status !== 'active' || f.kind !== 'presence' || f.since >= s.ord) continue;
    const inFix = (c: CallChange) =>
      c.call === f.call && fileMatches(f, c.file) &&
      (f.function !== null ? c.function === f.function : f.path !== null ? c.path === f.path : true);
    const rems = removed.filter(inFix);
    if (!rems.length) continue;
    const back = added.filter((c) => c.call === f.call && fileMatches(f, c.file) && !consumed.has(c) &&
      (f.function !== null && c.function === f.function || (f.path !== null && c.path === f.path)));
    if (!back.length) {
      const msgs = uniquePatches(rems.map((c) => patchOf.get(c)!));
      // how it went: added to a function outside the path class, or deleted with its function, or just removed
      const elsewhere = added.find((c) => c.call === f.call && !consumed.has(c) && c.function !== f.function && c.path !== f.path);
      const deleted = rems.every((c) => c.function !== null &&
        patchOf.get(c)!.deletedFunctions?.some((d) => d.function === c.function && d.file === c.file));
      const how = elsewhere ? 'moved-out' : deleted ? 'function-deleted' : 'removed';
      recordRemoval(st, step, f, msgs, rems.map((c) => `-${c.line}`), sitesOf(step, rems), how,
        elsewhere ? { file: elsewhere.file, function: elsewhere.function, path: elsewhere.path } : null);
      continue;
    }
    // put back in place, or anywhere in the path of a path-level fix: no change
    if (f.function === null || back.some((c) => c.function === f.function)) continue;
    const to = back[0];
    const adder = patchOf.get(to)!;
    const remover = patchOf.get(rems[0])!;
    if (!adder.accepted || !remover.accepted || to.function === null) continue; // a proposed move: nothing yet
    consumed.add(to);
    const moved = newFix(st,
      { kind: 'presence', file: to.file, function: to.function, path: to.path, call: f.call, before: [],
        introducedBy: adder.messageId, declared: false, movedFrom: f.key, names: [...f.names, to.file], since: s.ord, sinceTime: s.time },
      ev('introduced', adder.messageId, adder.date, `moved from ${f.function ?? '?'}() by the accepted series`),
    );
    moved.movedFrom = f.key;
    f.status = 'moved';
    f.movedTo = moved.key;
    f.history.push(ev('moved', adder.messageId, adder.date, `moved to ${to.function}() in ${to.file}`));
  }
}

// ---- order fixes flipped back ----

const flips = (f: Fix, o: OrderChange) =>
  (o.call === f.call && o.nowAfter.some((c) => f.before.includes(c))) ||
  (f.before.includes(o.call) && o.nowBefore.includes(f.call));
const restores = (f: Fix, o: OrderChange) =>
  (o.call === f.call && o.nowBefore.some((c) => f.before.includes(c))) ||
  (f.before.includes(o.call) && o.nowAfter.includes(f.call));
const sameFn = (step: Step, f: Fix, o: OrderChange) => o.function === f.function && step.fileMatches(f, o.file);

function orderFlips(st: State, step: Step): void {
  const { s, orders, patchOf } = step;
  for (const f of sortedFixes(st)) {
    if (f.status !== 'active' || f.kind !== 'order' || f.since >= s.ord) continue;
    const fl = orders.filter((o) => sameFn(step, f, o) && flips(f, o));
    if (!fl.length) continue;
    const lastFlip = Math.max(...fl.map((o) => s.patches.indexOf(patchOf.get(o)!)));
    const putBack = orders.some((o) => sameFn(step, f, o) && restores(f, o) && s.patches.indexOf(patchOf.get(o)!) > lastFlip);
    if (putBack) continue;
    const msgs = uniquePatches(fl.map((o) => patchOf.get(o)!));
    const linesOf = (o: OrderChange) => o.lines?.length
      ? o.lines
      : [`${o.call}() now ${o.call === f.call ? 'after' : 'before'} ${(o.call === f.call ? o.nowAfter : o.nowBefore).join(', ')} in ${o.function}()`];
    const sites = fl.map((o): RemovedSite => ({ messageId: patchOf.get(o)!.messageId, file: o.file, function: o.function, call: o.call, lines: [...linesOf(o)] }));
    recordRemoval(st, step, f, msgs, fl.flatMap(linesOf), sites, 'reordered');
  }
}

// ---- later versions of a removing chain that no longer remove ----

function droppedByLaterVersions(st: State, step: Step): void {
  const { s, touched } = step;
  for (const r of sortedRegs(st)) {
    if (r.chainId !== s.chainId || touched.has(r) || s.version <= r.maxVersion) continue;
    r.maxVersion = s.version;
    if (r.status !== 'open') continue;
    const same = s.patches.find((p) => p.index !== null && p.index === r.lastIndex) ?? s.patches[0];
    r.status = 'resolved';
    r.resolution = 'dropped';
    r.resolvedBy = same.messageId;
    r.resolvedAt = s.ord;
  }
}

// ---- accepted additions: refixes, re-established fixes, new fixes ----

function acceptedAdditions(st: State, step: Step): void {
  const { s, added, orders, patchOf, consumed, touched, fileMatches } = step;
  for (const c of added) {
    const p = patchOf.get(c)!;
    if (!p.accepted || consumed.has(c)) continue;
    let absorbed = false;
    for (const r of sortedRegs(st)) {
      if (r.status !== 'open' || touched.has(r)) continue;
      const refixes = [...r.fixes].some((f) => f.kind === 'presence' && c.call === f.call && fileMatches(f, c.file) &&
        (f.path !== null ? c.path === f.path : c.function === f.function));
      if (!refixes) continue;
      r.status = 'resolved';
      r.resolution = 'refixed';
      r.resolvedBy = p.messageId;
      r.resolvedAt = s.ord;
    }
    for (const f of sortedFixes(st)) {
      if (f.kind !== 'presence' || f.call !== c.call || !fileMatches(f, c.file) || f.function !== c.function) continue;
      if (f.status === 'removed') {
        f.status = 'active';
        f.establishedBy = p.messageId;
        f.history.push(ev('refixed', p.messageId, p.date, `${c.call}() put back in ${c.function}()`));
        absorbed = true;
      } else if (f.status === 'active') absorbed = true; // already known
    }
    if (absorbed || c.function === null) continue;
    newFix(st,
      { kind: 'presence', file: c.file, function: c.function, path: c.path, call: c.call, before: [],
        introducedBy: p.messageId, declared: false, since: s.ord, sinceTime: s.time },
      ev('introduced', p.messageId, p.date, `accepted patch adds ${c.call}() to ${c.function}()`),
    );
  }
  for (const o of orders) {
    const p = patchOf.get(o)!;
    if (!p.accepted) continue;
    let absorbed = false;
    for (const r of sortedRegs(st)) {
      const f = r.fix;
      if (f.kind !== 'order' || r.status !== 'open' || touched.has(r)) continue;
      if (!sameFn(step, f, o) || !restores(f, o)) continue;
      r.status = 'resolved';
      r.resolution = 'refixed';
      r.resolvedBy = p.messageId;
      r.resolvedAt = s.ord;
    }
    for (const f of sortedFixes(st)) {
      if (f.kind !== 'order' || !sameFn(step, f, o) || !restores(f, o)) continue;
      if (f.status === 'removed') {
        f.status = 'active';
        f.establishedBy = p.messageId;
        f.history.push(ev('refixed', p.messageId, p.date, `${f.call}() back before ${f.before.join(', ')}`));
      }
      if (f.status === 'active') absorbed = true;
    }
    if (absorbed || !o.nowBefore.length) continue;
    newFix(st,
      { kind: 'order', file: o.file, function: o.function, path: o.path, call: o.call, before: [...o.nowBefore],
        introducedBy: p.messageId, declared: false, since: s.ord, sinceTime: s.time },
      ev('introduced', p.messageId, p.date, `accepted patch moves ${o.call}() before ${o.nowBefore.join(', ')}`),
    );
  }
}

// ---- related: re-fix candidates ----

function relatedCandidates(st: State, step: Step): void {
  const { s, added, orders, patchOf } = step;
  for (const r of sortedRegs(st)) {
    // open, or resolved by this very posting (its other adders still count)
    if (r.status !== 'open' && r.resolvedAt !== s.ord) continue;
    const f = r.fix;
    const calls = new Set([...r.fixes].map((x) => x.call));
    const adders = f.kind === 'presence'
      ? added.filter((c) => calls.has(c.call)).map((c) => patchOf.get(c)!)
      : orders.filter((o) => sameFn(step, f, o) && restores(f, o)).map((o) => patchOf.get(o)!);
    for (const p of uniquePatches(adders)) {
      if (p.messageId === r.resolvedBy || p.messageId === f.introducedBy || r.removedBy.includes(p.messageId)) continue;
      if (!r.related.includes(p.messageId)) r.related.push(p.messageId);
    }
  }
}

// ---- output ----

function output(st: State): Detection {
  const fixOut: KnownFix[] = [...st.fixes.values()]
    .sort((a, b) => a.sinceTime - b.sinceTime || cmp(a.key, b.key))
    .map(({ names: _n, establishedBy: _e, since: _s, sinceTime: _t, ...k }) => ({ ...k, before: [...k.before], history: [...k.history] }));
  const regOut: Regression[] = [...st.regs.values()]
    .sort((a, b) => a.firstTime - b.firstTime || cmp(a.key, b.key))
    .map((r) => ({
      key: r.key, fixKey: r.fixKey, fixMessage: r.fixMessage, removedBy: [...r.removedBy], evidence: [...r.evidence],
      firstSeen: r.firstSeen, status: r.status, resolvedBy: r.resolvedBy, resolution: r.resolution, related: [...r.related],
      detail: { ...r.detail, sites: r.detail.sites.map((x) => ({ ...x, lines: [...x.lines] })), versions: r.detail.versions.map((v) => ({ ...v, messages: [...v.messages] })) },
    }));
  return { fixes: fixOut, regressions: regOut };
}

function uniquePatches(ps: PatchFacts[]): PatchFacts[] {
  const seen = new Set<string>();
  return ps.filter((p) => (seen.has(p.messageId) ? false : (seen.add(p.messageId), true)));
}
