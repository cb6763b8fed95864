// Derivation's evidence step: after threads and series are written, the notices are read (once read from the
// own text of messages stored before notices existed), resolved into
// evidence (core/evidence.ts) and written with the `accepted` columns they fill. Always over the whole archive:
// notices are few, and a pull request or a stable copy may name a patch anywhere in it. The archive's postings
// are not held: they are looked up as the notices ask (evidence-store.ts's evidenceLookup), and the garbage those
// look-ups leave is collected as it grows (V8 would otherwise let it pile up: 115 MB of it over 55,000 notices).
import type { Db } from '../store/db.ts';
import { backfillNotices, evidenceLookup, readNotices, writeEvidence } from '../store/evidence-store.ts';
import { findEvidence, titlesAsked, type EvidenceLookup } from '../core/evidence.ts';
import { collectGarbage, STEP_CEILING } from './collect-garbage.ts';

/** Look-ups between two checks of the heap (a check is cheap; a collection happens only past the ceiling). */
const LOOKUPS_A_CHECK = 1_000;

/** Derive and write the evidence; the Message-IDs of patches whose acceptance changed. */
export function deriveEvidence(db: Db): Set<string> {
  backfillNotices(db);
  const notices = readNotices(db);
  collectGarbage(STEP_CEILING); // reading them left garbage as large as they are
  const look = collectingAsItGoes(evidenceLookup(db, titlesAsked(notices)));
  const evidence = findEvidence(notices, look);
  collectGarbage(STEP_CEILING); // finding it left garbage several times its size
  return writeEvidence(db, evidence);
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
