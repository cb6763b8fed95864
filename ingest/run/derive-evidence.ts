// Derivation's evidence step: after threads and series are written, the notices are read (once read from the
// own text of messages stored before notices existed), resolved into
// evidence (core/evidence.ts) and written with the `accepted` columns they fill. Always over the whole archive:
// notices are few, and a pull request or a stable copy may name a patch anywhere in it. Nothing held grows with the
// archive past a bound (evidence-store.ts's HELD, a few MB) but what crosses notices (appliers' addresses, pull
// requests' patches, commits named: resolveNotices):
// - a few thousand notices are held and sorted (a 100,000-message archive has some 5,000); more are read a page at
//   a time, in the order they are resolved in (SQLite sorts them), twice (evidence-store.ts's noticesInOrder), and
//   are held only should that order not be core's (a date Date.parse cannot read);
// - the archive's postings are looked up as the notices ask (evidenceLookup), and the garbage those look-ups leave
//   is collected as it grows (V8 would otherwise let it pile up: 115 MB of it over 55,000 notices);
// - the evidence is gathered as it is found (evidence-store.ts's EvidenceFound: held while it is a few thousand
//   pieces, then in a temporary table), and ranked and written from there a target at a time, with the `accepted`
//   columns (writeFoundEvidence); the patches whose acceptance changed are collected only for a caller that asks.
import type { Db } from '../store/db.ts';
import {
  backfillNotices, dropEvidenceScratch, EvidenceFound, evidenceLookup, HELD, noticesInOrder, noticesOver, readNotices, writeFoundEvidence,
} from '../store/evidence-store.ts';
import { inProcessingOrder, NoticeOrderError, processingOrder, resolveNotices, type EvidenceLookup, type NoticeHead } from '../core/evidence.ts';
import { collectGarbage, STEP_CEILING } from './collect-garbage.ts';

/** Look-ups between two checks of the heap (a check is cheap; a collection happens only past the ceiling). */
const LOOKUPS_A_CHECK = 1_000;

/** What {@link deriveEvidence} returns, and how much it holds (tests make it small). */
export interface EvidenceOptions {
  /** collect the Message-IDs of the patches whose acceptance changed (default true) */
  changed?: boolean;
  /** rows read at a time */
  pageSize?: number;
  /** notices held (else read twice, a page at a time), and pieces of evidence held before they go to a temporary table */
  held?: number;
}

/**
 * Derive and write the evidence; the Message-IDs of patches whose acceptance changed, unless `changed` is false
 * (a whole derivation has no use for them: nothing is collected, nothing returned).
 */
export function deriveEvidence(db: Db, opts?: EvidenceOptions & { changed?: true }): Set<string>;
export function deriveEvidence(db: Db, opts: EvidenceOptions & { changed: false }): undefined;
export function deriveEvidence(db: Db, { changed = true, pageSize, held = HELD }: EvidenceOptions = {}): Set<string> | undefined {
  backfillNotices(db);
  try {
    const look = collectingAsItGoes(evidenceLookup(db));
    const found = new EvidenceFound(db, held);
    // the notices held and sorted, as JavaScript sorts them
    const sorted = (): readonly NoticeHead[] => readNotices(db).sort(processingOrder);
    if (!noticesOver(db, held)) {
      const notices = sorted();
      resolveNotices(() => notices, look, found.add);
    } else {
      const streamed = noticesInOrder(db, pageSize);
      let passes = 0;
      try {
        // the first pass (which emits nothing) checks the order as it goes
        resolveNotices(() => (passes++ ? streamed() : inProcessingOrder(streamed())), look, found.add);
      } catch (e) {
        if (!(e instanceof NoticeOrderError) || passes !== 1) throw e;
        const notices = sorted();
        resolveNotices(() => notices, look, found.add);
      }
    }
    collectGarbage(STEP_CEILING);
    return writeFoundEvidence(db, found, { changed, pageSize });
  } finally {
    dropEvidenceScratch(db);
  }
}

/** `look`, with the heap checked (and collected past its ceiling) every {@link LOOKUPS_A_CHECK} look-ups. */
function collectingAsItGoes(look: EvidenceLookup): EvidenceLookup {
  let n = 0;
  const tick = () => {
    if (++n % LOOKUPS_A_CHECK === 0) collectGarbage();
  };
  return {
    head: (id) => (tick(), look.head(id)),
    members: (seriesId) => (tick(), look.members(seriesId)),
    titled: (title) => (tick(), look.titled(title)),
  };
}
