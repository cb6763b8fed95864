// The digest's delivery ledger: digests_sent (one row per week and recipient, claimed before a delivery is
// attempted, confirmed with the Message-ID, released when it failed) and digest_failures (failed deliveries with
// the time of their next attempt). The policy (when a claim is stale, the back-off) is the caller's:
// server/digest/send.ts.
import type { Db } from '../../ingest/store/db.ts';

export interface SentRow { week: string; recipient: string; sent_at: string; smtp_message_id: string | null }

export interface DigestHealth {
  /** deliveries that failed and are not (yet) made good */
  failures: number;
  /** the most recent failure's error, null when none */
  lastError: string | null;
}

const normal = (email: string) => email.trim().toLowerCase();

export function sentRecord(db: Db, week: string, recipient: string): SentRow | undefined {
  return db.prepare('SELECT * FROM digests_sent WHERE week = ? AND recipient = ?').get(week, normal(recipient)) as SentRow | undefined;
}

/**
 * Claim (week, recipient) for delivery, in one immediate transaction (two servers or a re-run cannot both win);
 * false when it was sent, or is being sent by someone else since `stale` or later. `force` claims it anyway.
 */
export function claim(db: Db, week: string, recipient: string, at: string, stale: string, force: boolean): { ok: boolean; previous?: SentRow } {
  return db.transaction(() => {
    const ins = db.prepare('INSERT INTO digests_sent (week, recipient, sent_at, smtp_message_id) VALUES (?, ?, ?, NULL) ON CONFLICT DO NOTHING').run(week, recipient, at);
    if (ins.changes === 1) return { ok: true };
    const prev = sentRecord(db, week, recipient)!;
    if (force) {
      db.prepare('UPDATE digests_sent SET sent_at = ?, smtp_message_id = NULL WHERE week = ? AND recipient = ?').run(at, week, recipient);
      return { ok: true, previous: prev.smtp_message_id ? prev : undefined };
    }
    const takeover = db.prepare(`UPDATE digests_sent SET sent_at = ? WHERE week = ? AND recipient = ? AND smtp_message_id IS NULL AND sent_at < ?`).run(at, week, recipient, stale);
    return { ok: takeover.changes === 1, previous: prev };
  }).immediate();
}

/** The server took the message: the claim carries its Message-ID, and a recorded failure is made good. */
export function confirm(db: Db, week: string, recipient: string, at: string, messageId: string): void {
  db.transaction(() => {
    db.prepare('UPDATE digests_sent SET sent_at = ?, smtp_message_id = ? WHERE week = ? AND recipient = ?').run(at, messageId, week, recipient);
    db.prepare('DELETE FROM digest_failures WHERE week = ? AND recipient = ?').run(week, recipient);
  }).immediate();
}

/** A failed delivery gives its claim back (the earlier delivery's record, when a forced one failed). */
export function release(db: Db, week: string, recipient: string, previous: SentRow | undefined): void {
  if (previous?.smtp_message_id) {
    db.prepare('UPDATE digests_sent SET sent_at = ?, smtp_message_id = ? WHERE week = ? AND recipient = ?').run(previous.sent_at, previous.smtp_message_id, week, recipient);
  } else {
    db.prepare('DELETE FROM digests_sent WHERE week = ? AND recipient = ? AND smtp_message_id IS NULL').run(week, recipient);
  }
}

/**
 * Add `attempts` failed attempts to (week, recipient); `nextAttempt(total)` says when to try again (null: never).
 * Answers the total.
 */
export function recordFailure(db: Db, week: string, recipient: string, attempts: number, error: string, at: string, nextAttempt: (total: number) => string | null): number {
  return db.transaction(() => {
    const prev = db.prepare('SELECT attempts FROM digest_failures WHERE week = ? AND recipient = ?').get(week, recipient) as { attempts: number } | undefined;
    const total = (prev?.attempts ?? 0) + attempts;
    db.prepare(`INSERT INTO digest_failures (week, recipient, attempts, last_error, next_attempt_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT(week, recipient) DO UPDATE SET attempts = excluded.attempts, last_error = excluded.last_error,
      next_attempt_at = excluded.next_attempt_at, updated_at = excluded.updated_at`).run(week, recipient, total, error, nextAttempt(total), at);
    return total;
  }).immediate();
}

/** For /api/health: how many deliveries are failing, and the latest error. */
export function digestHealth(db: Db): DigestHealth {
  const n = db.prepare('SELECT COUNT(*) AS n FROM digest_failures').get() as { n: number };
  const last = db.prepare('SELECT last_error FROM digest_failures ORDER BY updated_at DESC, week DESC, recipient LIMIT 1').get() as { last_error: string } | undefined;
  return { failures: n.n, lastError: last?.last_error ?? null };
}

/**
 * Recipients (normalised addresses) of `week` whose delivery failed and whose back-off has not run out (or who
 * were given up on): a scheduled run leaves them to the retries, however often the schedule fires.
 */
export function backingOff(db: Db, week: string, now: Date): Set<string> {
  const rows = db.prepare('SELECT recipient FROM digest_failures WHERE week = ? AND (next_attempt_at IS NULL OR next_attempt_at > ?)')
    .pluck().all(week, now.toISOString()) as string[];
  return new Set(rows);
}

/** Failed deliveries whose next attempt is due. */
export function dueFailures(db: Db, now: Date): { week: string; recipient: string; attempts: number }[] {
  return db.prepare('SELECT week, recipient, attempts FROM digest_failures WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= ? ORDER BY next_attempt_at, week, recipient')
    .all(now.toISOString()) as { week: string; recipient: string; attempts: number }[];
}
