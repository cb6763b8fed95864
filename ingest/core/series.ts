// Series detection: which patches form one posting (cover + N/M), and which postings are versions
// of one another (v1 → v2 → v3). Pure: message heads in, postings out.
//
// As lists post them (hand-written: no library groups mail into b4-style postings over a whole archive):
// - a posting is a cover plus the patches of the cover's author that answer it; the prefixes are hints (a
//   "[PATCH v3 0/2]" with "[PATCH v2 1/2]" patches, "00/10" with "01/11"); a patch naming no parent joins a cover
//   of its author, version and size sent within hours; a first message with a diffstat and no 0/N that the
//   patches answer is the cover (message.ts makes it kind cover); cover-less patches of one author, version and
//   size sent together are one posting;
// - proposals (replies carrying a diff) are in no posting;
// - a patch of a later version sent into an earlier posting's thread ("[PATCH 5/7 v2]") is a partial resend,
//   a posting of its own in the earlier one's chain;
// - chains (see linkVersions) are in date order; stable backports are in no chain.
// findSeries is two steps a whole derivation takes apart (ingest/run/derive-whole.ts): groupPostings makes the
// postings from heads; linkVersions links them from a summary of each (LinkSummary), without the heads.
import type { Address, Message, SubjectInfo } from './model.ts';
import { personKey } from './author.ts';

/** The fields of a message that grouping needs: its head, with the subject taken apart. */
export type MessageHead = Pick<Message, 'messageId' | 'from' | 'date' | 'inReplyTo' | 'references' | 'kind' | 'isPatch' | 'changeId' | 'supersedes'> &
  Pick<SubjectInfo, 'title' | 'version' | 'index' | 'total'> & {
    /** a stable backport (AUTOSEL, "commit <sha> upstream."): never a version of anything */
    backport?: boolean;
  };

export interface Posting {
  /** stable anchor: the cover's Message-ID, else the first patch's */
  anchor: string;
  title: string;
  version: number;
  total: number;
  cover: string | null;
  /** patches in index order */
  patches: string[];
  complete: boolean;
  author: Address;
  /** date of the earliest message of the posting */
  date: string | null;
  /** anchor of the previous and next version, when linked */
  previous: string | null;
  next: string | null;
  /** anchor of the first version of this chain */
  chain: string;
  /**
   * how this posting follows `previous`: a new version, a resend of the same version, a partial resend (a patch
   * of a later version sent into the thread of an earlier one); 'backport': a stable backport, in no chain
   */
  link: 'version' | 'resend' | 'partial' | 'backport' | null;
  /** for a backport: the anchor of the posting it backports, when it is in the archive */
  backportOf: string | null;
}

/**
 * How long after the first patch of a cover-less posting a same-author, same-version, same-total
 * patch may still belong to it (git send-email sends a series within seconds; a resend is hours later).
 */
export const COVERLESS_WINDOW_MS = 6 * 3600 * 1000;

const time = (d: string | null) => (d ? Date.parse(d) : Number.POSITIVE_INFINITY);
const byDateThenId = (a: MessageHead, b: MessageHead) =>
  time(a.date) - time(b.date) || (a.messageId < b.messageId ? -1 : a.messageId > b.messageId ? 1 : 0);

/** The same order as {@link byDateThenId}, each date parsed once (not once per comparison: 60k patches). */
function sortByDateThenId(heads: MessageHead[]): MessageHead[] {
  const keyed = heads.map((h) => ({ h, t: time(h.date) }));
  keyed.sort((a, b) => a.t - b.t || (a.h.messageId < b.h.messageId ? -1 : a.h.messageId > b.h.messageId ? 1 : 0));
  return keyed.map((k) => k.h);
}

/**
 * The first of `open`'s drafts begun within COVERLESS_WINDOW_MS of `t` that `ok` takes. Drafts are kept in the order
 * they began and heads come in date order, so a draft too old for `t` is too old for every later head: `start`
 * skips it for good (the scan would otherwise grow with an author's history).
 */
function withinWindow<D extends { first: number }>(open: { drafts: D[]; start: number } | undefined, t: number, ok: (d: D) => boolean): D | undefined {
  if (!open || !Number.isFinite(t)) return undefined;
  while (open.start < open.drafts.length && open.drafts[open.start].first < t - COVERLESS_WINDOW_MS) open.start++;
  for (let i = open.start; i < open.drafts.length; i++) {
    const d = open.drafts[i];
    if (d.first > t + COVERLESS_WINDOW_MS) break;
    if (ok(d)) return d;
  }
  return undefined;
}

/** Titles compared across versions: case, punctuation and whitespace do not count. */
export function normaliseTitle(title: string): string {
  return title.toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim();
}

/**
 * Group patches and covers into postings and link versions.
 *
 * @example findSeries([cover0of2, patch1of2, patch2of2])[0].patches // [patch1, patch2]
 */
export function findSeries(heads: MessageHead[]): Posting[] {
  const grouped = groupPostings(heads);
  const byId = new Map(heads.map((h) => [h.messageId, h]));
  const postingOf = new Map<string, string>();
  for (const p of grouped) {
    postingOf.set(p.anchor, p.anchor);
    for (const id of p.patches) postingOf.set(id, p.anchor);
  }
  const links = linkVersions(grouped.map((p) => linkSummary(p, byId)), (id) => postingOf.get(id));
  return grouped.map(({ partialOf: _p, backport: _b, ...p }) => ({ ...p, ...links.get(p.anchor)! }));
}

/** A posting as grouping makes it, before versions are linked (see {@link linkVersions}). */
export type GroupedPosting = Omit<Posting, 'previous' | 'next' | 'chain' | 'link' | 'backportOf'> & {
  /** a patch or two of a later version sent into this earlier posting's thread: that posting's anchor */
  partialOf: string | null;
  /** a stable backport: in no chain */
  backport: boolean;
};

/**
 * Group patches and covers into postings (no versions linked). A posting's messages are joined only through
 * their own References and In-Reply-To (to covers and patches) and by being of one author, version and size sent
 * within {@link COVERLESS_WINDOW_MS} of each other: grouping the components of those relations one at a time
 * gives what grouping all of them at once gives (derive-whole.ts relies on it).
 */
export function groupPostings(heads: MessageHead[]): GroupedPosting[] {
  const sorted = sortByDateThenId(heads.filter((h) => (h.isPatch && h.kind !== 'proposal') || h.kind === 'cover'));
  interface Group { anchor: string; cover: MessageHead | null; version: number; total: number; author: Address; members: MessageHead[]; first: number; partialOf: Group | null }
  const drafts: Group[] = [];
  const draftOf = new Map<string, Group>();

  // covers by author, version and total: a patch that names no parent (a broken send) joins the one sent with it
  // (in date order, as the patches come: `start` skips covers too old for every later patch, as below)
  const coversByShape = new Map<string, { drafts: Group[]; start: number }>();
  for (const h of sorted) {
    if (h.kind !== 'cover') continue;
    const d: Group = { anchor: h.messageId, cover: h, version: h.version, total: h.total ?? 0, author: h.from, members: [], first: time(h.date), partialOf: null };
    drafts.push(d);
    draftOf.set(h.messageId, d);
    if (h.total) {
      const k = `${personKey(h.from)}|${h.version}|${h.total}`;
      const shape = coversByShape.get(k);
      if (shape) shape.drafts.push(d); else coversByShape.set(k, { drafts: [d], start: 0 });
    }
  }
  // cover-less postings by author, version and total, so grouping stays linear
  // Heads come in date order, so a draft that began more than the window before one head began before it for
  // every later head too: `start` skips those (the scan would otherwise grow with the author's history).
  const coverless = new Map<string, { drafts: Group[]; start: number }>();
  const coverlessKey = (h: MessageHead) => `${personKey(h.from)}|${h.version}|${h.total}`;
  const sameAuthor = (a: Address, b: Address) => personKey(a) === personKey(b);
  const fits = (d: Group, h: MessageHead) =>
    d.version === h.version && d.total === h.total && sameAuthor(d.author, h.from) && !d.members.some((m) => m.index === h.index);
  // A cover's prefixes are hints: a numbered patch of the cover's author that answers it belongs to it when its
  // position is free and it was sent with it (or says the same version). A later one, of another version, is a
  // partial resend into the thread (see below).
  const answersCover = (d: Group, h: MessageHead) =>
    d.cover !== null && sameAuthor(d.author, h.from) && !d.members.some((m) => m.index === h.index) &&
    (d.version === h.version || Math.abs(time(h.date) - d.first) <= COVERLESS_WINDOW_MS);
  // a patch of a higher version sent into an earlier posting's thread, by its author, that the posting does not take
  const resentInto = (d: Group, h: MessageHead) => d.version < h.version && sameAuthor(d.author, h.from);

  for (const h of sorted) {
    if (!h.isPatch || h.kind === 'cover') continue;
    let draft: Group | undefined;
    let partialOf: Group | null = null;
    if (h.total && h.index) {
      // nearest referenced cover or sibling of the same version and size (chain-reply-to threads
      // each patch under the previous one), or cover of the same author that it answers
      // In-Reply-To, then References from the nearest
      const fitting = (up: string | null) => {
        const d = up ? draftOf.get(up) : undefined;
        if (d && !partialOf && resentInto(d, h)) partialOf = d;
        return d && (fits(d, h) || answersCover(d, h)) ? d : undefined;
      };
      draft = fitting(h.inReplyTo);
      for (let i = h.references.length - 1; i >= 0 && !draft; i--) draft = fitting(h.references[i]);
      if (draft) partialOf = null;
      const t = time(h.date);
      if (!draft && !partialOf && !h.inReplyTo && !h.references.length) draft = withinWindow(coversByShape.get(coverlessKey(h)), t, (d) => fits(d, h));
      if (!draft) draft = withinWindow(coverless.get(coverlessKey(h)), t, (d) => fits(d, h));
    }
    if (!draft) {
      draft = { anchor: h.messageId, cover: null, version: h.version, total: h.total && h.index ? h.total : 1, author: h.from, members: [], first: time(h.date), partialOf };
      drafts.push(draft);
      if (h.total && h.index) {
        const k = coverlessKey(h);
        const open = coverless.get(k);
        if (open) open.drafts.push(draft); else coverless.set(k, { drafts: [draft], start: 0 });
      }
    }
    draft.members.push(h);
    draftOf.set(h.messageId, draft);
  }

  return drafts
    // a cover that is one by its diffstat only (no 0/N) makes a posting when its author's patches answer it
    .filter((d) => d.members.length || (d.cover && d.cover.index !== null))
    .map((d) => {
      const members = [...d.members].sort((a, b) => (a.index ?? 0) - (b.index ?? 0) || byDateThenId(a, b));
      const anchor = d.cover ? d.cover.messageId : members[0].messageId;
      const indices = new Set(members.map((m) => m.index ?? 1));
      // "00/10" answered by "01/11" .. "11/11": the patches say how many there are
      const total = d.cover ? Math.max(d.total, ...members.map((m) => m.index ?? 0)) : d.total;
      let complete = members.length > 0;
      for (let i = 1; i <= total; i++) if (!indices.has(i)) complete = false;
      const all = d.cover ? [d.cover, ...members] : members;
      const first = [...all].sort(byDateThenId)[0];
      return {
        anchor,
        title: d.cover ? d.cover.title : members[0].title,
        version: d.version,
        total,
        cover: d.cover?.messageId ?? null,
        patches: members.map((m) => m.messageId),
        complete,
        author: d.author,
        date: first.date,
        // a patch or two of a later version sent into an earlier posting's thread
        partialOf: d.partialOf && !complete ? d.partialOf.anchor : null,
        backport: all.some((m) => m.backport === true),
      };
    });
}

/** Articles and the like: their coming and going between versions is title drift, not a new title. */
const DRIFT_WORDS = new Set(['a', 'an', 'the', 'of', 'to', 'for', 'in', 'on', 'and', 'from', 'with']);
/** A title as versions are matched by it: {@link normaliseTitle} without articles and the like (title drift). */
export const driftless = (title: string) => normaliseTitle(title).split(' ').filter((w) => !DRIFT_WORDS.has(w)).join(' ');

/**
 * What version linking reads of a posting: its own fields, and what its head (cover, else first patch) and
 * patches say, without the heads (a few hundred bytes; a whole derivation keeps them between its two passes).
 */
export interface LinkSummary {
  anchor: string;
  title: string;
  version: number;
  author: Address;
  date: string | null;
  /** how many patches it has */
  patches: number;
  partialOf: string | null;
  backport: boolean;
  /** the head's change-id, else the first of its patches' that has one */
  changeId: string | null;
  /** the Message-ID the head says it supersedes */
  supersedes: string | null;
  /** the Message-ID the head answers */
  inReplyTo: string | null;
  /** its patches' titles, {@link driftless}, each once */
  patchTitles: string[];
  /** the driftless title a backport is matched by: its first patch's (the cover's when it has none) */
  firstTitle: string;
  /**
   * who posted it, as {@link personIds} named them over the postings in linking order: given when the postings are
   * linked a part at a time (the names depend on every posting before it)
   */
  person?: string;
}

/**
 * Names for the people posting, met in linking order (date, then anchor): one id per person, an address and a name
 * seen together being the same person (an address change keeps the name).
 */
export function personIds(): (a: Address) => string {
  const personOf = new Map<string, string>();
  return (a) => {
    const byAddress = personKey(a);
    const byName = a.email && a.name.trim() ? `name:${a.name.toLowerCase().replace(/\s+/g, ' ').trim()}` : null;
    const id = personOf.get(byAddress) ?? (byName ? personOf.get(byName) : undefined) ?? byAddress;
    personOf.set(byAddress, id);
    if (byName && !personOf.has(byName)) personOf.set(byName, id);
    return id;
  };
}

/**
 * The keys by which {@link linkVersions} may join a posting (not a backport) to another, `person` its poster's id:
 * the person and title, the change-id, the person and each patch's title. Postings that share none, and are not
 * joined by what their heads answer or supersede or by a partial resend, are never joined.
 */
export function joiningKeys(p: LinkSummary, person: string): string[] {
  const keys = [`t:${person}:${driftless(p.title)}`];
  if (p.changeId) keys.push(`c:${p.changeId}`);
  for (const t of p.patchTitles) keys.push(`p:${person}\n${t}`);
  return keys;
}

/** How a posting is linked to its versions (see {@link Posting}). */
export type Links = Pick<Posting, 'chain' | 'previous' | 'next' | 'link' | 'backportOf'>;

/** A grouped posting's {@link LinkSummary}, its messages' heads read from `byId`. */
export function linkSummary(p: GroupedPosting, byId: ReadonlyMap<string, MessageHead>): LinkSummary {
  const h = byId.get(p.cover ?? p.patches[0])!;
  return {
    anchor: p.anchor, title: p.title, version: p.version, author: p.author, date: p.date, patches: p.patches.length,
    partialOf: p.partialOf, backport: p.backport,
    changeId: h.changeId ?? p.patches.map((id) => byId.get(id)!.changeId).find(Boolean) ?? null,
    supersedes: h.supersedes ?? null,
    inReplyTo: h.inReplyTo,
    patchTitles: [...new Set(p.patches.map((id) => driftless(byId.get(id)!.title)))],
    firstTitle: driftless(byId.get(p.patches[0] ?? p.anchor)!.title),
  };
}

/**
 * Link postings that are versions of one another, each chain in date order (a "v1" restarted after a v2 comes
 * after it). Joined: the same change-id; a Supersedes pointer; a later version (or a retitled repost) sent in
 * reply to an earlier posting of its author; a partial resend into an earlier posting's thread; the same author
 * (by address, or by name: an address change) with the same title give or take articles and punctuation; a
 * posting one of whose patches has the title of an earlier, lower-version posting of the author (a v2 with a
 * cover after a single-patch v1). A posting of the same version number as the one before it is a resend of it.
 * Stable backports (AUTOSEL, "commit <sha> upstream.") are in no chain: each points at the earliest other posting
 * with its title (backportOf).
 *
 * Every relation is between postings of one person, one change-id, a Supersedes pointer or a backport's title, so
 * the postings may be linked a group of those at a time (derive-whole.ts). `postingOf` gives the anchor of the
 * posting a Message-ID (cover or patch) belongs to; one outside `postings` joins nothing.
 */
export function linkVersions(postings: LinkSummary[], postingOf: (messageId: string) => string | undefined): Map<string, Links> {
  const byAnchor = new Map<string, LinkSummary>(postings.map((p) => [p.anchor, p]));
  const parent = new Map<string, string>(postings.map((p) => [p.anchor, p.anchor]));
  const find = (x: string) => {
    let r = x;
    while (parent.get(r) !== r) r = parent.get(r)!;
    while (parent.get(x) !== r) { const n = parent.get(x)!; parent.set(x, r); x = n; }
    return r;
  };
  const union = (a: string, b: string) => {
    const ra = find(a), rb = find(b);
    if (ra !== rb) parent.set(ra < rb ? rb : ra, ra < rb ? ra : rb);
  };
  const upOf = (id: string | null) => {
    const a = id ? postingOf(id) : undefined;
    return a === undefined ? undefined : byAnchor.get(a);
  };
  const byKey = new Map<string, LinkSummary>();
  const byPatchTitle = new Map<string, LinkSummary[]>();
  const who = personIds();
  // each date parsed once, not once per comparison (80k postings in a bulk load)
  const at = new Map<LinkSummary, number>(postings.map((p) => [p, time(p.date)]));
  const inOrder = [...postings].sort((a, b) => at.get(a)! - at.get(b)! || (a.anchor < b.anchor ? -1 : 1));
  for (const p of inOrder) {
    if (p.backport) continue;
    const person = p.person ?? who(p.author);
    const keys = [`t:${person}:${driftless(p.title)}`];
    if (p.changeId) keys.push(`c:${p.changeId}`);
    for (const k of keys) {
      const other = byKey.get(k);
      if (other) union(other.anchor, p.anchor); else byKey.set(k, p);
    }
    // patches titled as those of an earlier, lower version of the author's: the same work, when they are at least
    // half of the smaller posting (one patch of two unrelated series may share a title)
    const patchKeys = p.patchTitles.map((t) => `${person}\n${t}`);
    const shared = new Map<LinkSummary, number>();
    for (const k of patchKeys) {
      for (const other of byPatchTitle.get(k) ?? []) if (other.version < p.version) shared.set(other, (shared.get(other) ?? 0) + 1);
    }
    for (const [other, n] of shared) if (2 * n >= Math.min(other.patches, p.patches)) union(other.anchor, p.anchor);
    for (const k of patchKeys) {
      const list = byPatchTitle.get(k);
      if (!list) byPatchTitle.set(k, [p]); else if (list.length < 8 && !list.includes(p)) list.push(p);
    }
    const superseded = upOf(p.supersedes);
    if (superseded) union(superseded.anchor, p.anchor);
    if (p.partialOf && parent.has(p.partialOf)) union(p.partialOf, p.anchor);
    // a later version, or a retitled repost, sent in reply to an earlier posting of the author (cover to cover,
    // or patch to patch)
    const up = upOf(p.inReplyTo);
    if (up && up !== p && !up.backport && at.get(up)! <= at.get(p)! && personKey(up.author) === personKey(p.author)) union(up.anchor, p.anchor);
  }
  // a repost with another title, in reply to the posting before it: its next version, whatever number it says
  const retitledRepost = (p: LinkSummary, prev: LinkSummary) =>
    upOf(p.inReplyTo) === prev && driftless(p.title) !== driftless(prev.title);
  const out = new Map<string, Links>();
  const chains = new Map<string, LinkSummary[]>();
  for (const p of postings) {
    if (p.backport) continue;
    const r = find(p.anchor);
    const chain = chains.get(r);
    if (chain) chain.push(p); else chains.set(r, [p]);
  }
  for (const chain of chains.values()) {
    chain.sort((a, b) => at.get(a)! - at.get(b)! || a.version - b.version || (a.anchor < b.anchor ? -1 : 1));
    for (let i = 0; i < chain.length; i++) {
      const p = chain[i];
      out.set(p.anchor, {
        chain: chain[0].anchor,
        previous: i > 0 ? chain[i - 1].anchor : null,
        next: i + 1 < chain.length ? chain[i + 1].anchor : null,
        link: i === 0 ? null : p.partialOf ? 'partial' : p.version === chain[i - 1].version && !retitledRepost(p, chain[i - 1]) ? 'resend' : 'version',
        backportOf: null,
      });
    }
  }
  // backports: to the earliest posting (not a backport) with the title of the backport's first patch
  const backports = postings.filter((p) => p.backport);
  if (backports.length) {
    const original = new Map<string, string | null>(backports.map((p) => [p.firstTitle, null]));
    for (const p of inOrder) {
      if (p.backport) continue;
      for (const k of [driftless(p.title), ...p.patchTitles]) if (original.get(k) === null) original.set(k, p.anchor);
    }
    for (const p of backports) out.set(p.anchor, { chain: p.anchor, previous: null, next: null, link: 'backport', backportOf: original.get(p.firstTitle) ?? null });
  }
  return out;
}
