// Evidence that a patch was taken, from the notices messages carry (notice.ts), and the state it gives a patch.
// Pure: the caller hands in the notices (all held: findEvidence; or a stream it can start again, in the order they
// are resolved in: resolveNotices, which holds only what crosses notices) and a way to look stored messages up.
//
// - A maintainer's reply accepts the patch it answers (or the posting's patches when it answers the cover or its
//   words name the series), or only the patches it names; not when its sender wrote the patch, unless that
//   person also accepts other people's patches (a maintainer taking their own). A reply that answers no stored
//   patch or cover (the patch was posted elsewhere) is evidence on the message it answers.
// - b4's thank-you accepts exactly the patches it lists, found in the answered posting by index and title
//   (else the newest posting of that title), each with its commit.
// - A pull request accepts, for each shortlog entry, the newest posting of that title by that author before the
//   pull (or by the one sender who posted that title, when the patch was sent on the author's behalf); pr-tracker-bot's answer to the pull makes those patches merged upstream, with the merge commit.
// - A commit bot's notice (tip-bot2) accepts the patch it answers when the titles or the authors agree (a
//   committer may edit the title), else the newest posting of its title by its author.
// - A stable posting ("commit <sha> upstream.") makes the original posting of its title by its author merged
//   upstream, else the posting a commit notice or b4 named with that commit.
// State: merged (upstream) when any evidence says so, accepted when any says it is in a maintainer's tree,
// superseded when a newer version exists and this one was not taken, else proposed. The strongest evidence
// (merged over accepted, one with a commit over one without, then the earliest) fills `accepted`.
import type { Address, Evidence, EvidenceKind, PatchState } from './model.ts';
import type { Notice } from './notice.ts';
import { normaliseTitle } from './series.ts';

/** A stored message as evidence needs it. */
export interface PostedHead {
  messageId: string;
  title: string;
  from: Address;
  date: string | null;
  isPatch: boolean;
  kind: string;
  index: number | null;
  /** the posting (series row) it belongs to */
  seriesId: number | null;
  /** a copy of a patch that was taken (a stable posting, a commit bot's mail): never the original */
  copy: boolean;
}

export interface NoticeHead {
  messageId: string;
  from: Address;
  date: string | null;
  inReplyTo: string | null;
  references: string[];
  /** the patch or cover the message answers, as threading placed it (derivation's `answers`), when known */
  answers?: string | null;
  notice: Notice;
}

export interface EvidenceLookup {
  head(messageId: string): PostedHead | undefined;
  /** the patches (and cover) of a posting */
  members(seriesId: number): PostedHead[];
  /** patches whose normalised title ({@link normaliseTitle}) is this */
  titled(normalisedTitle: string): PostedHead[];
}

/** Evidence and the message it is about (a patch, a cover, a pull request, or a message answered). */
export type TargetedEvidence = Evidence & { target: string };

const KIND_RANK: Record<EvidenceKind, number> = {
  'pull-merged': 0, stable: 1, 'commit-notice': 2, 'b4-thanks': 3, 'pull-request': 4, reply: 5, declared: 6,
};
const STATE_OF: Record<EvidenceKind, 'accepted' | 'merged'> = {
  'pull-merged': 'merged', stable: 'merged', 'commit-notice': 'accepted', 'b4-thanks': 'accepted', 'pull-request': 'accepted',
  reply: 'accepted', declared: 'accepted',
};
const time = (d: string | null) => (d ? Date.parse(d) : Number.POSITIVE_INFINITY);
const email = (a: Address) => a.email.toLowerCase();
/** names as a shortlog and a From: header may spell them differently: case, accents, punctuation, and a list's
 * DMARC rewrite ("Ada Bauer via iommu") */
export const normaliseName = (n: string) =>
  n.replace(/\s+via\s+\S+\s*$/i, '').normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim();

/** Whether `a` is stronger evidence than `b`. */
export function stronger(a: Evidence, b: Evidence): boolean {
  const s = (e: Evidence) => (e.state === 'merged' ? 0 : 1);
  if (s(a) !== s(b)) return s(a) < s(b);
  if (!!a.commit !== !!b.commit) return !!a.commit;
  if (KIND_RANK[a.kind] !== KIND_RANK[b.kind]) return KIND_RANK[a.kind] < KIND_RANK[b.kind];
  if (time(a.date) !== time(b.date)) return time(a.date) < time(b.date);
  return (a.messageId ?? '') < (b.messageId ?? '');
}

/** The strongest of some evidence, or null. */
export function strongest<E extends Evidence>(evidence: readonly E[]): E | null {
  let best: E | null = null;
  for (const e of evidence) if (!best || stronger(e, best)) best = e;
  return best;
}

/** A patch's state from its evidence and whether a newer version of it was posted. */
export function patchState(evidence: readonly Evidence[], newerVersion: boolean): PatchState {
  if (evidence.some((e) => e.state === 'merged')) return 'merged';
  if (evidence.length) return 'accepted';
  return newerVersion ? 'superseded' : 'proposed';
}

/** A series' state from its patches' states: the weakest of them (all merged → merged; all taken → accepted). */
export function seriesState(states: readonly PatchState[], newerVersion: boolean): PatchState {
  if (states.length && states.every((s) => s === 'merged')) return 'merged';
  if (states.length && states.every((s) => s === 'merged' || s === 'accepted')) return 'accepted';
  return newerVersion ? 'superseded' : 'proposed';
}

/**
 * The order notices are resolved in: stable copies last (they may find their original through a commit another
 * notice named), then by the time of the date (undated ones after every dated one), then by Message-ID (as
 * JavaScript compares strings, by UTF-16 code unit). Negative when `a` comes first. Any order of the notices ends in
 * the same one while every date is one `Date.parse` reads; {@link inProcessingOrder} checks a stream that claims it.
 */
export function processingOrder(a: NoticeHead, b: NoticeHead): number {
  return inOrder(last(a), time(a.date), a.messageId, last(b), time(b.date), b.messageId);
}

const last = (n: NoticeHead) => (n.notice.kind === 'stable' ? 1 : 0);
const inOrder = (lastA: number, timeA: number, idA: string, lastB: number, timeB: number, idB: string) =>
  lastA - lastB || timeA - timeB || (idA < idB ? -1 : 1);

/**
 * The notices as they come, checked to be strictly in {@link processingOrder}, every date one that `Date.parse` reads
 * (else the order is no order): else {@link NoticeOrderError} is thrown on the first one out of place, before it is
 * handed on.
 */
export function* inProcessingOrder(notices: Iterable<NoticeHead>): Generator<NoticeHead> {
  let prev: NoticeHead | undefined;
  let prevLast = 0, prevTime = 0;
  for (const n of notices) {
    const l = last(n), t = time(n.date);
    if (Number.isNaN(t) || (prev && inOrder(prevLast, prevTime, prev.messageId, l, t, n.messageId) >= 0)) throw new NoticeOrderError(n.messageId);
    yield n;
    prev = n;
    prevLast = l;
    prevTime = t;
  }
}

/** A stream of notices was not in {@link processingOrder}. */
export class NoticeOrderError extends Error {
  constructor(readonly messageId: string) {
    super(`notice ${messageId} is out of processing order`);
  }
}

/**
 * Every piece of evidence the notices give, each with the message it is about. Sorted by target, then
 * strongest first; one piece per (target, kind, message). The notices held, sorted, and resolved by
 * {@link resolveNotices}.
 */
export function findEvidence(notices: readonly NoticeHead[], look: EvidenceLookup): TargetedEvidence[] {
  const sorted = [...notices].sort(processingOrder);
  const out = new Map<string, TargetedEvidence>();
  resolveNotices(() => sorted, look, (e) => {
    const key = `${e.target}\n${e.kind}\n${e.messageId}`;
    if (!out.has(key)) out.set(key, e);
  });
  return [...out.values()].sort((a, b) => (a.target < b.target ? -1 : a.target > b.target ? 1 : stronger(a, b) ? -1 : stronger(b, a) ? 1 : 0));
}

/**
 * The evidence of notices read as a stream, twice, in {@link processingOrder} (`inOrder` starts it again): a first
 * pass finds who accepts others' patches and which messages are pull requests, a second resolves each notice (the
 * patch it answers is looked up again) and hands each piece of its evidence to `emit` as it is found, in order.
 * A notice may give the same (target, kind, message) more than once: the first one counts. Held across notices:
 * the appliers' addresses, the pull requests' ids with the patches each names, and each commit named so far with
 * the posting it was made from.
 */
export function resolveNotices(inOrder: () => Iterable<NoticeHead>, look: EvidenceLookup, emit: (e: TargetedEvidence) => void): void {
  // who accepts others' patches may accept their own
  const appliers = new Set<string>();
  const pulls = new Set<string>();
  for (const n of inOrder()) {
    const kind = n.notice.kind;
    if (kind === 'pull-request') pulls.add(n.messageId);
    else if ((kind === 'reply' || kind === 'b4-thanks') && !appliers.has(email(n.from))) {
      const t = answered(n, look);
      if (t && email(t.from) !== email(n.from)) appliers.add(email(n.from));
    }
  }
  const mayAccept = (n: NoticeHead, t: PostedHead) => email(t.from) !== email(n.from) || appliers.has(email(n.from));

  const pulled = new Map<string, string[]>(); // pull request → the patches it names (patches: newest() finds no other)
  const committed = new Map<string, string>(); // commit id (as given) → the patch it was made from
  const add = (target: string, isPatch: boolean, n: NoticeHead, kind: EvidenceKind, x: Partial<Evidence> = {}) => {
    const commit = x.commit ?? null;
    emit({
      target, kind, state: STATE_OF[kind], by: n.from, date: n.date, messageId: n.messageId,
      tree: x.tree ?? null, branch: x.branch ?? null, commit, url: x.url ?? null,
    });
    if (commit && isPatch) committed.set(commit, target);
  };
  const addTo = (p: PostedHead, n: NoticeHead, kind: EvidenceKind, x: Partial<Evidence> = {}) => add(p.messageId, p.isPatch, n, kind, x);

  for (const n of inOrder()) {
    const no = n.notice;
    switch (no.kind) {
      case 'reply': {
        const t = answered(n, look);
        if (!t) {
          // the patch was posted where we cannot see it: the answer stands on the message it answers
          const up = n.inReplyTo ? look.head(n.inReplyTo) : undefined;
          if (up && !up.isPatch && up.kind !== 'cover' && mayAccept(n, up)) addTo(up, n, 'reply', no.statement);
          break;
        }
        if (!mayAccept(n, t)) break;
        const st = no.statement;
        const members = t.seriesId != null ? look.members(t.seriesId) : [];
        const except = new Set(st.except);
        let chosen: PostedHead[];
        if (st.indexes && members.length) chosen = members.filter((p) => p.isPatch && p.index != null && st.indexes!.includes(p.index));
        else if ((st.series || t.kind === 'cover') && members.length) chosen = members.filter((p) => p.isPatch);
        else chosen = [t];
        chosen = chosen.filter((p) => p.index == null || !except.has(p.index));
        for (const p of chosen) addTo(p, n, 'reply', st);
        // the cover stands for the series when the whole of it was taken
        const cover = members.find((p) => p.kind === 'cover');
        if (cover && !st.indexes && !except.size && (st.series || t.kind === 'cover')) addTo(cover, n, 'reply', st);
        break;
      }
      case 'b4-thanks': {
        const t = answered(n, look);
        if (t && !mayAccept(n, t)) break;
        const members = t && t.seriesId != null ? look.members(t.seriesId).filter((p) => p.isPatch) : t ? [t] : [];
        for (const item of no.items) {
          const title = normaliseTitle(item.title);
          const p = members.find((x) => x.index === item.index && normaliseTitle(x.title) === title) ??
            members.find((x) => normaliseTitle(x.title) === title) ??
            (members.length === 1 && item.total === 1 && members[0].index == null ? members[0] : undefined) ??
            newest(look.titled(title), n.date, null);
          if (p && mayAccept(n, p)) addTo(p, n, 'b4-thanks', { tree: no.tree, branch: no.branch, commit: item.commit, url: item.url });
        }
        break;
      }
      case 'pull-request': {
        const named: string[] = [];
        for (const entry of no.shortlog) {
          const who = normaliseName(entry.author);
          for (const title of entry.titles) {
            const titled = look.titled(normaliseTitle(title));
            // by that author; else, when one sender alone posted that title (a patch sent on someone's behalf), theirs
            const p = newest(titled, n.date, (x) => normaliseName(x.from.name) === who) ?? onlySender(titled, n.date);
            if (p) { named.push(p.messageId); addTo(p, n, 'pull-request', { tree: no.tree, branch: no.branch }); }
          }
        }
        pulled.set(n.messageId, named);
        break;
      }
      case 'pull-merged': {
        const pull = [n.inReplyTo, ...[...n.references].reverse()].find((id) => id && pulls.has(id));
        if (!pull) break;
        const x = { tree: no.tree, commit: no.commit, url: no.url };
        add(pull, false, n, 'pull-merged', x); // the pull request itself: no posting its merge commit was made from
        for (const p of pulled.get(pull) ?? []) add(p, true, n, 'pull-merged', x);
        break;
      }
      case 'commit-notice': {
        const title = normaliseTitle(no.title);
        const up = n.inReplyTo ? look.head(n.inReplyTo) : undefined;
        // the bot answers the posting it committed: the committer may have edited the title, not the author
        const p = up && up.isPatch && !up.copy && (normaliseTitle(up.title) === title || (!!no.author && sameAuthor(up.from, no.author)))
          ? up
          : newest(look.titled(title), n.date, (x) => !no.author || sameAuthor(x.from, no.author));
        if (p) addTo(p, n, 'commit-notice', { tree: no.tree, branch: no.branch, commit: no.commit, url: no.url });
        break;
      }
      case 'stable': {
        // the posting of that title by that author, else the one a commit notice or b4 named with that commit (the
        // committer may have edited the title)
        const p = newest(look.titled(normaliseTitle(no.title)), n.date, (x) => !no.author || sameAuthor(x.from, no.author))?.messageId ??
          namedCommit(committed, no.commit);
        if (p && p !== n.messageId) {
          add(p, true, n, 'stable', { tree: 'torvalds/linux.git', commit: no.commit, url: `https://git.kernel.org/torvalds/c/${no.commit}` });
        }
        break;
      }
    }
  }
}

/** The patch the first commit named so far that is this one (either id a prefix of the other, seven digits at least) was made from. */
function namedCommit(committed: ReadonlyMap<string, string>, commit: string): string | undefined {
  for (const [c, id] of committed) if (c.length >= 7 && (commit.startsWith(c) || c.startsWith(commit))) return id;
  return undefined;
}

/** The newest original posting before `before` when every such posting has one sender, else undefined. */
function onlySender(candidates: PostedHead[], before: string | null): PostedHead | undefined {
  const p = newest(candidates, before, null);
  return p && candidates.every((x) => !x.isPatch || x.copy || time(x.date) > time(before) || email(x.from) === email(p.from)) ? p : undefined;
}

function sameAuthor(a: Address, b: Address): boolean {
  return (!!a.email && email(a) === email(b)) || (!!a.name && normaliseName(a.name) === normaliseName(b.name));
}

/** The newest original posting (not a copy) dated no later than `before`, that `fits`. */
function newest(candidates: PostedHead[], before: string | null, fits: ((p: PostedHead) => boolean) | null): PostedHead | undefined {
  const limit = time(before);
  let best: PostedHead | undefined;
  for (const p of candidates) {
    if (!p.isPatch || p.copy || p.kind === 'proposal' || time(p.date) > limit || (fits && !fits(p))) continue;
    if (!best || time(p.date) > time(best.date) || (time(p.date) === time(best.date) && p.messageId > best.messageId)) best = p;
  }
  return best;
}

/**
 * The patch or cover a notice answers: the one threading placed it under, else the nearest one up its In-Reply-To,
 * then References (a proposal, a reviewer's
 * diff in a reply, is passed over: what answers it answers the patch above).
 */
function answered(n: NoticeHead, look: EvidenceLookup): PostedHead | null {
  const ups = [n.answers ?? null, n.inReplyTo, ...[...n.references].reverse()];
  for (const id of ups) {
    if (!id || id === n.messageId) continue;
    const h = look.head(id);
    if (h && ((h.isPatch && !h.copy && h.kind !== 'proposal') || h.kind === 'cover')) return h;
  }
  return null;
}
