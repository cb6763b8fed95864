// Evidence that patches were taken, and the state it gives patches and series (see ingest/core/evidence.ts).
import type { Db } from '../../ingest/store/db.ts';
import type { Evidence } from '../schemas/index.ts';
import { seriesState } from '../../ingest/core/evidence.ts';
import type { PatchState } from '../../ingest/core/model.ts';
import { stmt } from './common.ts';

interface EvidenceRow {
  kind: Evidence['kind']; state: Evidence['state']; by_name: string | null; by_email: string | null; date: string | null;
  message_id: string; tree: string | null; branch: string | null; commit_id: string | null; url: string | null; rank: number;
}

const toEvidence = (r: EvidenceRow): Evidence => ({
  kind: r.kind, state: r.state, by: r.by_email !== null ? { name: r.by_name ?? '', email: r.by_email } : null, date: r.date,
  messageId: r.message_id || null, tree: r.tree, branch: r.branch, commit: r.commit_id, url: r.url,
});

/** The evidence about one message (a patch, a cover, a pull request, a message an acceptance answered), strongest first. */
export function evidenceOf(db: Db, messageId: string): Evidence[] {
  return (stmt(db, 'SELECT * FROM evidence WHERE target = ? ORDER BY rank').all(messageId) as EvidenceRow[]).map(toEvidence);
}

/** The state of the patch `m` (an alias of messages) as SQL: from its evidence, then its series' next version. */
export const PATCH_STATE_SQL = `CASE
  WHEN EXISTS (SELECT 1 FROM evidence e WHERE e.target = m.message_id AND e.state = 'merged') THEN 'merged'
  WHEN EXISTS (SELECT 1 FROM evidence e WHERE e.target = m.message_id) THEN 'accepted'
  WHEN EXISTS (SELECT 1 FROM series sx WHERE sx.id = m.series_id AND sx.next_id IS NOT NULL) THEN 'superseded'
  ELSE 'proposed' END`;

/** A patch's state by Message-ID. */
export function patchStateOf(db: Db, messageId: string): PatchState {
  return ((stmt(db, `SELECT ${PATCH_STATE_SQL} FROM messages m WHERE m.message_id = ?`).pluck().get(messageId) as PatchState | undefined) ?? 'proposed');
}

/** A series' state and evidence: its patches' states (the weakest), its cover's and patches' evidence, strongest first. */
export function seriesEvidence(db: Db, cover: string | null, patches: string[], newerVersion: boolean): { state: PatchState; evidence: Evidence[] } {
  const states = patches.map((id) => patchStateOf(db, id));
  const seen = new Set<string>();
  const all: { e: Evidence; rank: number }[] = [];
  for (const id of cover ? [cover, ...patches] : patches) {
    evidenceOf(db, id).forEach((e, rank) => {
      const k = `${e.kind}\n${e.messageId}`;
      if (seen.has(k)) return;
      seen.add(k);
      all.push({ e, rank });
    });
  }
  const strength = (e: Evidence) => (e.state === 'merged' ? 0 : 2) + (e.commit ? 0 : 1);
  all.sort((a, b) => strength(a.e) - strength(b.e) || a.rank - b.rank || (a.e.date ?? '').localeCompare(b.e.date ?? ''));
  // a cover taken as a whole stands for its patches
  const coverTaken = cover !== null && evidenceOf(db, cover).length > 0;
  const state = coverTaken && states.every((s) => s !== 'merged') ? 'accepted' : seriesState(states, newerVersion);
  return { state, evidence: all.map((x) => x.e) };
}
