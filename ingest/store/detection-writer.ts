// The writer of detection's conclusions: known fixes and regressions, replaced as the rules concluded them (ids
// stable by key), with an event for each change.
import type { Db } from './db.ts';
import type { KnownFix, Regression } from '../core/model.ts';

/**
 * Replace fixes and regressions with what the rules concluded; ids stay stable by key. Emits events
 * for what changed (fix known, regression opened or resolved).
 */
export function writeDetection(
  db: Db, event: (type: string, ref: string, data: unknown) => void, fixes: KnownFix[], regressions: Regression[],
): { opened: number; resolved: number; fixesKnown: number } {
  const before = new Map(
    (db.prepare('SELECT key, status FROM regressions').all() as { key: string; status: string }[]).map((r) => [r.key, r.status]),
  );
  const fixesBefore = new Set((db.prepare('SELECT key FROM fixes').all() as { key: string }[]).map((r) => r.key));
  const upFix = db.prepare(`INSERT INTO fixes (key, kind, file, function, path, call, before, introduced_by, declared, moved_from, moved_to, status, history, live)
    VALUES (@key, @kind, @file, @function, @path, @call, @before, @introducedBy, @declared, @movedFrom, @movedTo, @status, @history, 1)
    ON CONFLICT(key) DO UPDATE SET kind = excluded.kind, file = excluded.file, function = excluded.function, path = excluded.path,
    call = excluded.call, before = excluded.before, introduced_by = excluded.introduced_by, declared = excluded.declared,
    moved_from = excluded.moved_from, moved_to = excluded.moved_to, status = excluded.status, history = excluded.history, live = 1`);
  const upReg = db.prepare(`INSERT INTO regressions (key, fix_key, fix_message, removed_by, evidence, first_seen, status, resolved_by, resolution, related, detail, live)
    VALUES (@key, @fixKey, @fixMessage, @removedBy, @evidence, @firstSeen, @status, @resolvedBy, @resolution, @related, @detail, 1)
    ON CONFLICT(key) DO UPDATE SET fix_key = excluded.fix_key, fix_message = excluded.fix_message, removed_by = excluded.removed_by,
    evidence = excluded.evidence, first_seen = excluded.first_seen, status = excluded.status, resolved_by = excluded.resolved_by,
    resolution = excluded.resolution, related = excluded.related, detail = excluded.detail, live = 1`);
  let opened = 0, resolved = 0, fixesKnown = 0;
  db.prepare('UPDATE fixes SET live = 0').run();
  db.prepare('UPDATE regressions SET live = 0').run();
  for (const f of fixes) {
    upFix.run({ ...f, before: JSON.stringify(f.before), declared: f.declared ? 1 : 0, history: JSON.stringify(f.history) });
    if (!fixesBefore.has(f.key)) { fixesKnown++; event('fix.known', f.key, { call: f.call, function: f.function, file: f.file, introducedBy: f.introducedBy }); }
  }
  for (const r of regressions) {
    upReg.run({ ...r, removedBy: JSON.stringify(r.removedBy), evidence: JSON.stringify(r.evidence), related: JSON.stringify(r.related), detail: JSON.stringify(r.detail ?? {}) });
    const was = before.get(r.key);
    if (was === undefined) { opened++; event('regression.opened', r.key, { fix: r.fixKey, removedBy: r.removedBy }); }
    if (r.status === 'resolved' && was !== 'resolved') { resolved++; event('regression.resolved', r.key, { resolvedBy: r.resolvedBy, resolution: r.resolution }); }
  }
  // a regression no longer detected (its fix or its removal is gone: other rules, a withdrawn fix) is closed in
  // the event log too, so that feeds never keep an opened regression that silently vanished
  for (const key of db.prepare("SELECT key FROM regressions WHERE live = 0 AND status != 'resolved'").pluck().all() as string[]) {
    resolved++;
    event('regression.resolved', key, { resolvedBy: null, resolution: 'withdrawn', reason: 'no longer detected' });
  }
  db.prepare('DELETE FROM fixes WHERE live = 0').run();
  db.prepare('DELETE FROM regressions WHERE live = 0').run();
  return { opened, resolved, fixesKnown };
}
