// What users state, as stored: acknowledged regressions and declared fixes.
import type { Db } from './db.ts';
import type { DeclaredFix } from '../core/model.ts';
import { now } from './clock.ts';

/** Record a regression as acknowledged (the caller logs the event). */
export function acknowledge(db: Db, regressionKey: string, reason: string, by: string | null): void {
  db.prepare('INSERT OR REPLACE INTO acknowledgements (regression_key, reason, by, at) VALUES (?, ?, ?, ?)').run(regressionKey, reason, by, now());
}

/** Store a declared fix (a repeated declaration updates its note); its id. */
export function declareFix(db: Db, f: DeclaredFix): number {
  const r = db.prepare(`INSERT INTO declared_fixes (kind, file, function, path, call, before, introduced_by, note, created_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET note = excluded.note RETURNING id`)
    .get(f.kind, f.file, f.function, f.path, f.call, JSON.stringify(f.before), f.introducedBy, f.note ?? null, now()) as { id: number };
  return r.id;
}

/** Every declared fix, in declaration order. */
export function declaredFixes(db: Db): DeclaredFix[] {
  return (db.prepare('SELECT * FROM declared_fixes ORDER BY id').all() as Record<string, unknown>[]).map((r) => ({
    kind: r.kind as DeclaredFix['kind'],
    file: r.file as string,
    function: (r.function as string) ?? null,
    path: (r.path as string) ?? null,
    call: r.call as string,
    before: JSON.parse(r.before as string),
    introducedBy: (r.introduced_by as string) ?? null,
    note: (r.note as string) ?? undefined,
  }));
}
