// Series detection: which patches form one posting (cover + N/M), and which postings are versions
// of one another (v1 → v2 → v3). Pure: message heads in, postings out.
import type { Address, Message, SubjectInfo } from './model.ts';
import { personKey } from './author.ts';

/** The fields of a message that grouping needs: its head, with the subject taken apart. */
export type MessageHead = Pick<Message, 'messageId' | 'from' | 'date' | 'inReplyTo' | 'references' | 'kind' | 'isPatch' | 'changeId' | 'supersedes'> &
  Pick<SubjectInfo, 'title' | 'version' | 'index' | 'total'>;

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
}

/**
 * How long after the first patch of a cover-less posting a same-author, same-version, same-total
 * patch may still belong to it (git send-email sends a series within seconds; a resend is hours later).
 */
const COVERLESS_WINDOW_MS = 6 * 3600 * 1000;

const time = (d: string | null) => (d ? Date.parse(d) : Number.POSITIVE_INFINITY);
const byDateThenId = (a: MessageHead, b: MessageHead) =>
  time(a.date) - time(b.date) || (a.messageId < b.messageId ? -1 : a.messageId > b.messageId ? 1 : 0);

/** The same order as {@link byDateThenId}, each date parsed once (not once per comparison: 60k patches). */
function sortByDateThenId(heads: MessageHead[]): MessageHead[] {
  const keyed = heads.map((h) => ({ h, t: time(h.date) }));
  keyed.sort((a, b) => a.t - b.t || (a.h.messageId < b.h.messageId ? -1 : a.h.messageId > b.h.messageId ? 1 : 0));
  return keyed.map((k) => k.h);
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
  const sorted = sortByDateThenId(heads.filter((h) => (h.isPatch && h.kind !== 'proposal') || h.kind === 'cover'));
  const byId = new Map(sorted.map((h) => [h.messageId, h]));
  interface Draft { anchor: string; cover: MessageHead | null; version: number; total: number; author: Address; members: MessageHead[]; first: number }
  const drafts: Draft[] = [];
  const draftOf = new Map<string, Draft>();

  for (const h of sorted) {
    if (h.kind !== 'cover') continue;
    const d: Draft = { anchor: h.messageId, cover: h, version: h.version, total: h.total ?? 0, author: h.from, members: [], first: time(h.date) };
    drafts.push(d);
    draftOf.set(h.messageId, d);
  }
  // cover-less postings by author, version and total, so grouping stays linear
  // Heads come in date order, so a draft that began more than the window before one head began before it for
  // every later head too: `start` skips those (the scan would otherwise grow with the author's history).
  const coverless = new Map<string, { drafts: Draft[]; start: number }>();
  const coverlessKey = (h: MessageHead) => `${personKey(h.from)}|${h.version}|${h.total}`;
  const sameAuthor = (a: Address, b: Address) => personKey(a) === personKey(b);
  const fits = (d: Draft, h: MessageHead) =>
    d.version === h.version && d.total === h.total && sameAuthor(d.author, h.from) && !d.members.some((m) => m.index === h.index);

  for (const h of sorted) {
    if (!h.isPatch || h.kind === 'cover') continue;
    let draft: Draft | undefined;
    if (h.total && h.index) {
      // nearest referenced cover or sibling of the same version and size (chain-reply-to threads
      // each patch under the previous one)
      // In-Reply-To, then References from the nearest
      const fitting = (up: string | null) => {
        const d = up ? draftOf.get(up) : undefined;
        return d && fits(d, h) ? d : undefined;
      };
      draft = fitting(h.inReplyTo);
      for (let i = h.references.length - 1; i >= 0 && !draft; i--) draft = fitting(h.references[i]);
      if (!draft) {
        const t = time(h.date);
        const open = coverless.get(coverlessKey(h));
        if (open && Number.isFinite(t)) {
          while (open.start < open.drafts.length && open.drafts[open.start].first < t - COVERLESS_WINDOW_MS) open.start++;
          for (let i = open.start; i < open.drafts.length && !draft; i++) {
            const d = open.drafts[i];
            if (fits(d, h) && Math.abs(t - d.first) <= COVERLESS_WINDOW_MS) draft = d;
          }
        }
      }
    }
    if (!draft) {
      draft = { anchor: h.messageId, cover: null, version: h.version, total: h.total && h.index ? h.total : 1, author: h.from, members: [], first: time(h.date) };
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

  const postings: Posting[] = drafts
    .filter((d) => d.cover || d.members.length)
    .map((d) => {
      const members = [...d.members].sort((a, b) => (a.index ?? 0) - (b.index ?? 0) || byDateThenId(a, b));
      const anchor = d.cover ? d.cover.messageId : members[0].messageId;
      const indices = new Set(members.map((m) => m.index ?? 1));
      let complete = members.length > 0;
      for (let i = 1; i <= d.total; i++) if (!indices.has(i)) complete = false;
      const all = d.cover ? [d.cover, ...members] : members;
      const first = [...all].sort(byDateThenId)[0];
      return {
        anchor,
        title: d.cover ? d.cover.title : members[0].title,
        version: d.version,
        total: d.total,
        cover: d.cover?.messageId ?? null,
        patches: members.map((m) => m.messageId),
        complete,
        author: d.author,
        date: first.date,
        previous: null,
        next: null,
        chain: anchor,
      };
    });
  linkVersions(postings, byId);
  return postings;
}

/** Link postings that are versions of one another; versions ordered by number, then date. */
function linkVersions(postings: Posting[], byId: Map<string, MessageHead>): void {
  const postingOf = new Map<string, Posting>();
  for (const p of postings) {
    postingOf.set(p.anchor, p);
    for (const id of p.patches) postingOf.set(id, p);
  }
  // union-find over postings: same change-id, Supersedes, a vN sent in reply to an earlier version,
  // or same author and normalised title
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
  const byKey = new Map<string, string>();
  const head = (p: Posting) => byId.get(p.cover ?? p.patches[0])!;
  for (const p of postings) {
    const h = head(p);
    const keys = [`t:${personKey(p.author)}:${normaliseTitle(p.title)}`];
    const changeId = h.changeId ?? p.patches.map((id) => byId.get(id)!.changeId).find(Boolean);
    if (changeId) keys.push(`c:${changeId}`);
    for (const k of keys) {
      const other = byKey.get(k);
      if (other) union(other, p.anchor); else byKey.set(k, p.anchor);
    }
    if (h.supersedes && postingOf.has(h.supersedes)) union(postingOf.get(h.supersedes)!.anchor, p.anchor);
    // a later version sent in reply to the earlier one (cover to cover, or v2 patch to v1 patch)
    const up = h.inReplyTo ? postingOf.get(h.inReplyTo) : undefined;
    if (up && up !== p && up.version < p.version && personKey(up.author) === personKey(p.author)) union(up.anchor, p.anchor);
  }
  const chains = new Map<string, Posting[]>();
  for (const p of postings) {
    const r = find(p.anchor);
    const chain = chains.get(r);
    if (chain) chain.push(p); else chains.set(r, [p]);
  }
  for (const chain of chains.values()) {
    chain.sort((a, b) => a.version - b.version || time(a.date) - time(b.date) || (a.anchor < b.anchor ? -1 : 1));
    for (let i = 0; i < chain.length; i++) {
      chain[i].chain = chain[0].anchor;
      chain[i].previous = i > 0 ? chain[i - 1].anchor : null;
      chain[i].next = i + 1 < chain.length ? chain[i + 1].anchor : null;
    }
  }
}
