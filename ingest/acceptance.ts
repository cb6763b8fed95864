// Acceptance: a reply whose own text says "applied" accepts the patch it answers, or the whole
// series when it answers the cover letter. Pure.
import type { Address } from './model.ts';

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

export interface Acceptance {
  messageId: string;
  by: Address;
  date: string | null;
}

/**
 * The patch or cover a message answers: the nearest one up its In-Reply-To / References.
 * Returns null for messages that answer nothing known.
 */
export function answeredBy(m: ReplyHead, byId: Map<string, ReplyHead>): string | null {
  const ups = [m.inReplyTo, ...[...m.references].reverse()].filter((x): x is string => !!x && x !== m.messageId);
  for (const up of ups) {
    const u = byId.get(up);
    if (u && (u.isPatch || u.kind === 'cover')) return up;
  }
  return null;
}

/**
 * Decide which patches and covers were accepted, and by whom.
 * A reply from the patch's own author counts only when that person also applies other people's
 * patches (a maintainer applying their own patch, as amd-iommu's maintainer does).
 *
 * `knownAppliers`: people seen applying others' patches outside `messages` (when only part of the archive is
 * re-derived).
 *
 * @returns accepted target (patch or cover Message-ID) → the first accepting reply
 */
export function findAcceptances(messages: ReplyHead[], knownAppliers: ReadonlySet<string> = new Set()): Map<string, Acceptance> {
  const byId = new Map(messages.map((m) => [m.messageId, m]));
  const claims: { target: ReplyHead; reply: ReplyHead }[] = [];
  for (const m of messages) {
    if (!m.saysApplied || m.isPatch) continue;
    const target = answeredBy(m, byId);
    if (target) claims.push({ target: byId.get(target)!, reply: m });
  }
  const email = (a: Address) => a.email.toLowerCase();
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
