// Acceptance: a reply whose own text says "applied" accepts the patch it answers, or the whole
// series when it answers the cover letter. Pure.
import type { Address } from './model.ts';
import { personKey } from './author.ts';

export interface ReplyHead {
  messageId: string;
  from: Address;
  date: string | null;
  inReplyTo: string | null;
  references: string[];
  isPatch: boolean;
  kind: string;
  saysApplied: boolean;
}

/** What finding the patch a message answers reads of a message. */
export type AnswerHead = Pick<ReplyHead, 'messageId' | 'inReplyTo' | 'references' | 'isPatch' | 'kind'>;

export interface Acceptance {
  messageId: string;
  by: Address;
  date: string | null;
}

/**
 * The patch or cover a message answers: the nearest one up its In-Reply-To / References. A proposal (a reply
 * carrying a diff) is not one: what is written under it answers the patch above, as b4 collects trailers.
 * `parentOf` (the thread tree): where the references name none, the nearest one up the tree (`memo` shared across
 * calls keeps that linear over an archive).
 * Returns null for messages that answer nothing known.
 */
export function answeredBy(
  m: AnswerHead, byId: ReadonlyMap<string, AnswerHead>, parentOf?: ReadonlyMap<string, string | null>, memo?: Map<string, string | null>,
): string | null {
  // In-Reply-To, then References from the nearest (a loop, not arrays: called for every reply of an archive)
  if (answerable(m.inReplyTo, m, byId)) return m.inReplyTo;
  for (let i = m.references.length - 1; i >= 0; i--) if (answerable(m.references[i], m, byId)) return m.references[i];
  // mailers that send In-Reply-To without References: up the thread tree, when the caller has one
  // (`memo`: what the walk found for each id it passed, so that a long discussion is walked once, not once a reply)
  if (parentOf) {
    const passed: string[] = [];
    let found: string | null = null;
    for (let up = parentOf.get(m.messageId) ?? null; up; up = parentOf.get(up) ?? null) {
      if (answerable(up, m, byId)) { found = up; break; }
      const known = memo?.get(up);
      if (known !== undefined) { found = known; break; }
      passed.push(up);
      if (passed.length > 100_000) break;
    }
    if (memo) for (const id of passed) memo.set(id, found);
    return found;
  }
  return null;
}

function answerable(up: string | null, m: AnswerHead, byId: ReadonlyMap<string, AnswerHead>): up is string {
  if (!up || up === m.messageId) return false;
  const u = byId.get(up);
  return !!u && ((u.isPatch && u.kind !== 'proposal') || u.kind === 'cover');
}

/**
 * Decide which patches and covers were accepted, and by whom.
 * A reply from the patch's own author counts only when that person also applies other people's
 * patches (a maintainer applying their own patch, as amd-iommu's maintainer does). People are their
 * addresses, letter case aside (core/address.ts).
 *
 * `knownAppliers`: people seen applying others' patches outside `messages` (when only part of the archive is
 * re-derived), as addressKey gives their addresses.
 *
 * @returns accepted target (patch or cover Message-ID) → the first accepting reply
 */
export function findAcceptances(
  messages: ReplyHead[],
  knownAppliers: ReadonlySet<string> = new Set(),
  byId: ReadonlyMap<string, ReplyHead> = new Map(messages.map((m) => [m.messageId, m])),
): Map<string, Acceptance> {
  const claims: { target: ReplyHead; reply: ReplyHead }[] = [];
  for (const m of messages) {
    if (!m.saysApplied || m.isPatch) continue;
    const target = answeredBy(m, byId);
    if (target) claims.push({ target: byId.get(target)!, reply: m });
  }
  // the person (address, else name: a list-rewritten sender known by name only), not '' for everyone unknown
  const email = (a: Address) => personKey(a);
  const appliers = new Set([...knownAppliers, ...claims.filter((c) => email(c.reply.from) !== email(c.target.from)).map((c) => email(c.reply.from))]);
  const out = new Map<string, Acceptance>();
  const time = (d: string | null) => (d ? Date.parse(d) : Number.POSITIVE_INFINITY);
  claims.sort((a, b) => time(a.reply.date) - time(b.reply.date) || (a.reply.messageId < b.reply.messageId ? -1 : 1));
  for (const { target, reply } of claims) {
    const own = email(reply.from) === email(target.from);
    if (own && !appliers.has(email(reply.from))) continue;
    if (!out.has(target.messageId)) out.set(target.messageId, { messageId: reply.messageId, by: reply.from, date: reply.date });
  }
  return out;
}
