// What acceptance of single messages (acceptance.ts) means for series and their patches. Pure: postings and
// the acceptances found, in; a series' acceptance and each patch's, out.
import type { Acceptance } from './acceptance.ts';
import type { Posting } from './series.ts';

/** A series is accepted when its cover was, or when every patch was (then by its last patch's acceptance). */
export function seriesAcceptance(p: Posting, acceptances: ReadonlyMap<string, Acceptance>): Acceptance | undefined {
  return (p.cover && acceptances.get(p.cover)) ||
    (p.patches.length && p.patches.every((x) => acceptances.has(x)) ? acceptances.get(p.patches[p.patches.length - 1]) : undefined);
}

/** Each accepted patch's acceptance: a reply to it, else one to its series' cover. */
export function patchAcceptances(postings: readonly Posting[], acceptances: ReadonlyMap<string, Acceptance>): Map<string, Acceptance> {
  const acceptedOf = new Map<string, Acceptance>();
  for (const p of postings) {
    const seriesAcc = p.cover ? acceptances.get(p.cover) : undefined;
    for (const id of p.patches) {
      const acc = acceptances.get(id) ?? seriesAcc;
      if (acc) acceptedOf.set(id, acc);
    }
  }
  return acceptedOf;
}
