// What `relapse sync` keeps in the database besides messages: each inbox's last sync (for /api/health), and
// the lock that lets one process at a time sync (migration 0011).
//
// The lock is a row taken in a BEGIN IMMEDIATE transaction (SQLite's write lock makes the check and the take
// one step for every process on the database). Its holder refreshes `heartbeat_at`; a lock whose heartbeat is
// older than the lease is taken over (its holder died without releasing it).
import { now } from './clock.ts';
import type { Db } from './db.ts';

export interface SyncRecord {
  inbox: string;
  url: string;
  ok: boolean;
  error: string | null;
  newMessages: number;
}

/** Record a sync attempt of one inbox: a success clears the error, a failure counts one more in a row. */
export function recordSync(db: Db, r: SyncRecord, at = now()): void {
  db.prepare(`INSERT INTO inbox_syncs (inbox, url, last_attempt_at, last_success_at, last_error, failures, new_messages)
    VALUES (@inbox, @url, @at, CASE WHEN @ok THEN @at END, @error, CASE WHEN @ok THEN 0 ELSE 1 END, @newMessages)
    ON CONFLICT(inbox) DO UPDATE SET url = excluded.url, last_attempt_at = excluded.last_attempt_at,
      last_success_at = CASE WHEN @ok THEN excluded.last_attempt_at ELSE last_success_at END,
      last_error = excluded.last_error,
      failures = CASE WHEN @ok THEN 0 ELSE failures + 1 END,
      new_messages = CASE WHEN @ok THEN excluded.new_messages ELSE new_messages END`)
    .run({ inbox: r.inbox, url: r.url, at, ok: r.ok ? 1 : 0, error: r.ok ? null : r.error, newMessages: r.newMessages });
}

/**
 * Take the lock `name` for `owner`; false when another owner holds it and its heartbeat is fresher than `leaseMs`,
 * or when the database stays busy with another writer past the busy timeout (the lock cannot be told then).
 */
export function tryLock(db: Db, name: string, owner: string, leaseMs: number): boolean {
  try {
    return take(db, name, owner, leaseMs);
  } catch (e) {
    if ((e as { code?: string }).code === 'SQLITE_BUSY') return false;
    throw e;
  }
}

function take(db: Db, name: string, owner: string, leaseMs: number): boolean {
  return db.transaction(() => {
    const row = db.prepare('SELECT owner, heartbeat_at FROM locks WHERE name = ?').get(name) as { owner: string; heartbeat_at: string } | undefined;
    if (row && row.owner !== owner && Date.parse(row.heartbeat_at) > Date.now() - leaseMs) return false;
    const at = now();
    db.prepare(`INSERT INTO locks (name, owner, acquired_at, heartbeat_at) VALUES (?, ?, ?, ?)
      ON CONFLICT(name) DO UPDATE SET owner = excluded.owner, acquired_at = excluded.acquired_at, heartbeat_at = excluded.heartbeat_at`)
      .run(name, owner, at, at);
    return true;
  }).immediate();
}

/** Refresh a held lock's heartbeat; false when it is no longer ours. */
export function refreshLock(db: Db, name: string, owner: string): boolean {
  return db.prepare('UPDATE locks SET heartbeat_at = ? WHERE name = ? AND owner = ?').run(now(), name, owner).changes > 0;
}

export function releaseLock(db: Db, name: string, owner: string): void {
  db.prepare('DELETE FROM locks WHERE name = ? AND owner = ?').run(name, owner);
}
