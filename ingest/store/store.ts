// Ingest's writer, the one handle ingest/run writes through: messages (their row: message-row.ts), the call index,
// quarantine, sources and epochs read so far, meta, events; and, through its sibling writers, derived state
// (derived-writer.ts), detection (detection-writer.ts) and user state (user-state.ts). (db.ts writes too:
// migrations and index rebuilds; evidence-store.ts and sync-state.ts their own tables; and server/data/digests.ts
// the digest's delivery ledger.)
import crypto from 'node:crypto';
import type { Db } from './db.ts';
import type { CallChange, DeclaredFix, DiffHunk, KnownFix, Message, OrderChange, Parsed, RawMessage, Regression } from '../core/model.ts';
import { sameMessage, type MessageIdentity } from '../core/same-message.ts';
import { INSERT_MESSAGE, messageRow } from './message-row.ts';
import { now } from './clock.ts';
import { writeDerived, type Derived, type DeriveScope } from './derived-writer.ts';
import { writeDetection } from './detection-writer.ts';
import { acknowledge, declareFix, declaredFixes } from './user-state.ts';

/**
 * A file's hunks as stored (patch_files.hunks): their headers and ranges, as JSON.stringify writes those five
 * fields, the header the one string among them (ranges are whole numbers; hunks that are not so go through
 * JSON.stringify whole). Written by hand: a batch's files are thousands of little objects made only to be written.
 */
export function hunksJson(hunks: readonly DiffHunk[]): string {
  let out = '[';
  for (let i = 0; i < hunks.length; i++) {
    const h = hunks[i];
    if (typeof h.header !== 'string' || !(Number.isSafeInteger(h.oldStart) && Number.isSafeInteger(h.oldLines) && Number.isSafeInteger(h.newStart) && Number.isSafeInteger(h.newLines))) {
      return JSON.stringify(hunks.map((x) => ({ header: x.header, oldStart: x.oldStart, oldLines: x.oldLines, newStart: x.newStart, newLines: x.newLines })));
    }
    out += `${i ? ',' : ''}{"header":${JSON.stringify(h.header)},"oldStart":${h.oldStart},"oldLines":${h.oldLines},"newStart":${h.newStart},"newLines":${h.newLines}}`;
  }
  return out + ']';
}

/** Quarantine reason of a message whose Message-ID is stored with a different message. */
export const REUSED_ID = 'Message-ID reused with different content';


export interface StoredMessage {
  message: Message;
  raw: RawMessage;
  callChanges: CallChange[];
  orderChanges: OrderChange[];
}

/**
 * Where a batch leaves its archive: stored with the batch, so a killed ingest resumes after it. For a file,
 * `offset` is where the next run starts reading; for a public-inbox epoch (`commit` given), the batch's last
 * commit and its position in the epoch's history (size and mtimeMs unused).
 */
export interface ResumePoint {
  source: string;
  size: number;
  mtimeMs: number;
  offset: number;
  commit?: string;
}

export interface BatchCounts {
  new: number;
  duplicate: number;
  quarantined: number;
  patches: number;
  /** messages removed by a public-inbox deletion */
  deleted: number;
}

export class Store {
  private stmts;

  constructor(readonly db: Db) {
    this.stmts = {
      insertMessage: db.prepare(INSERT_MESSAGE),
      insertBody: db.prepare('INSERT OR REPLACE INTO message_bodies (id, own_text, diff_text, raw) VALUES (?, ?, ?, ?)'),
      insertFile: db.prepare(`INSERT OR REPLACE INTO patch_files (message_id, seq, path, old_path, status, additions, deletions, hunks)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
      insertTrailer: db.prepare('INSERT OR REPLACE INTO trailers (message_id, seq, name, value) VALUES (?, ?, ?, ?)'),
      insertQuarantine: db.prepare(`INSERT OR IGNORE INTO quarantine (reason, source, offset, size, sha256, raw, created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?)`),
      storedIdentity: db.prepare('SELECT from_email AS fromEmail, date, title FROM messages WHERE message_id = ?'),
      deleteCalls: db.prepare('DELETE FROM call_changes WHERE message_id = ?'),
      deleteOrders: db.prepare('DELETE FROM order_changes WHERE message_id = ?'),
      insertCall: db.prepare(`INSERT INTO call_changes (message_id, seq, file, function, path, call, op, line, rule)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      insertOrder: db.prepare(`INSERT INTO order_changes (message_id, seq, file, function, path, call, now_before, now_after, rule)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      insertRef: db.prepare('INSERT OR IGNORE INTO message_refs (ref, message_id) VALUES (?, ?)'),
      markIndexed: db.prepare('INSERT OR REPLACE INTO indexed (message_id, rules_hash) VALUES (?, ?)'),
      event: db.prepare('INSERT INTO events (at, type, ref, data) VALUES (?, ?, ?, ?)'),
      getSource: db.prepare('SELECT * FROM sources WHERE path = ?'),
      putSource: db.prepare(`INSERT INTO sources (path, size, mtime_ms, resume_offset, completed, updated_at) VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT(path) DO UPDATE SET size = excluded.size, mtime_ms = excluded.mtime_ms,
        resume_offset = excluded.resume_offset, completed = excluded.completed, updated_at = excluded.updated_at`),
      getEpoch: db.prepare('SELECT last_commit AS "commit", commits FROM inbox_epochs WHERE path = ?'),
      putEpoch: db.prepare(`INSERT INTO inbox_epochs (path, last_commit, commits, updated_at) VALUES (?, ?, ?, ?)
        ON CONFLICT(path) DO UPDATE SET last_commit = excluded.last_commit, commits = excluded.commits, updated_at = excluded.updated_at`),
      deleteMessage: db.prepare('DELETE FROM messages WHERE message_id = ?'),
      deleteFiles: db.prepare('DELETE FROM patch_files WHERE message_id = ?'),
      deleteTrailers: db.prepare('DELETE FROM trailers WHERE message_id = ?'),
      deleteRefs: db.prepare('DELETE FROM message_refs WHERE message_id = ?'),
      deleteIndexed: db.prepare('DELETE FROM indexed WHERE message_id = ?'),
      deleteQuarantined: db.prepare('DELETE FROM quarantine WHERE sha256 = ?'),
      setMeta: db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)'),
      getMeta: db.prepare('SELECT value FROM meta WHERE key = ?'),
    };
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  /**
   * Store a batch of parsed messages, in archive order, and where the archive resumes after it, in one
   * transaction. `skipIndex`: store no call index (the benchmark's detection-off run).
   */
  addBatch(raws: RawMessage[], parsed: Parsed[], rulesHash: string, resume: ResumePoint | null, skipIndex = false): BatchCounts {
    const counts: BatchCounts = { new: 0, duplicate: 0, quarantined: 0, patches: 0, deleted: 0 };
    const at = now();
    this.transaction(() => {
      parsed.forEach((p, i) => {
        const raw = raws[i];
        if (raw.purged) {
          if (p.ok ? this.deleteMessage(p.message.messageId, raw.source) : this.deleteQuarantined(raw)) counts.deleted++;
        } else if (p.ok) {
          const calls = skipIndex ? [] : p.callChanges;
          const orders = skipIndex ? [] : p.orderChanges;
          const added = this.addMessage({ message: p.message, raw, callChanges: calls, orderChanges: orders }, rulesHash, at);
          if (added === 'new') {
            counts.new++;
            if (p.message.isPatch) counts.patches++;
          } else if (added === 'reused' && this.addQuarantine(REUSED_ID, raw)) counts.quarantined++;
          else counts.duplicate++;
        } else if (this.addQuarantine(p.reason, raw)) counts.quarantined++;
        else counts.duplicate++;
      });
      if (resume?.commit) this.putEpoch(resume.source, resume.commit, resume.offset);
      else if (resume) this.putSource(resume.source, resume.size, resume.mtimeMs, resume.offset, false);
      this.setMeta('derive.dirty', '1');
    });
    return counts;
  }

  /**
   * Store one parsed message: 'new'; 'duplicate' when its Message-ID was already stored with the same message
   * (../core/same-message.ts); 'reused' when the stored one is a different message (the first is kept, the caller
   * quarantines this one).
   */
  addMessage(s: StoredMessage, rulesHash: string, at = now()): 'new' | 'duplicate' | 'reused' {
    const m = s.message;
    const r = this.stmts.insertMessage.run(messageRow(m, s.raw, at));
    if (r.changes === 0) {
      const stored = this.stmts.storedIdentity.get(m.messageId) as MessageIdentity | undefined;
      return !stored || sameMessage(stored, { fromEmail: m.from.email, date: m.date, title: m.subject.title }) ? 'duplicate' : 'reused';
    }
    // raw bytes stored as received: per-message deflate cost more CPU than the whole parse (zlib set-up per call)
    this.stmts.insertBody.run(r.lastInsertRowid, m.ownText, m.diffText, s.raw.bytes);
    for (let i = 0; i < m.diff.length; i++) {
      const f = m.diff[i];
      this.stmts.insertFile.run(m.messageId, i, f.path, f.oldPath, f.status, f.additions, f.deletions, hunksJson(f.hunks));
    }
    for (let i = 0; i < m.trailers.length; i++) this.stmts.insertTrailer.run(m.messageId, i, m.trailers[i].name, m.trailers[i].value);
    for (const ref of m.references) this.stmts.insertRef.run(ref, m.messageId);
    if (m.inReplyTo && !m.references.includes(m.inReplyTo)) this.stmts.insertRef.run(m.inReplyTo, m.messageId);
    if (m.isPatch) this.putIndex(m.messageId, s.callChanges, s.orderChanges, rulesHash, true);
    this.stmts.event.run(at, 'message.ingested', m.messageId, JSON.stringify({ subject: m.subject.raw, kind: m.kind }));
    return 'new';
  }

  /** Replace a patch's call and order changes (used at ingest and by reindex). */
  putIndex(messageId: string, calls: CallChange[], orders: OrderChange[], rulesHash: string, fresh = false): void {
    // a message stored just now has nothing to replace
    if (!fresh) {
      this.stmts.deleteCalls.run(messageId);
      this.stmts.deleteOrders.run(messageId);
    }
    calls.forEach((c, i) => this.stmts.insertCall.run(messageId, i, c.file, c.function, c.path, c.call, c.op, c.line, c.rule));
    orders.forEach((o, i) =>
      this.stmts.insertOrder.run(messageId, i, o.file, o.function, o.path, o.call, JSON.stringify(o.nowBefore), JSON.stringify(o.nowAfter), o.rule));
    this.stmts.markIndexed.run(messageId, rulesHash);
  }

  /**
   * Remove a message an archive deleted (public-inbox's purge), with everything stored from it; false when it
   * is not stored. The derived state is rebuilt whole by the next derivation (`derive.whole`): threads and
   * series the message was part of change.
   */
  deleteMessage(messageId: string, source: string): boolean {
    if (this.stmts.deleteMessage.run(messageId).changes === 0) return false;
    for (const st of [this.stmts.deleteFiles, this.stmts.deleteTrailers, this.stmts.deleteRefs, this.stmts.deleteIndexed]) st.run(messageId);
    this.setMeta('derive.whole', '1');
    this.stmts.event.run(now(), 'message.deleted', messageId, JSON.stringify({ source }));
    return true;
  }

  /** Remove the quarantined copy of bytes an archive deleted; false when they were not quarantined. */
  deleteQuarantined(raw: RawMessage): boolean {
    const sha = crypto.createHash('sha256').update(raw.bytes).digest('hex');
    return this.stmts.deleteQuarantined.run(sha).changes > 0;
  }

  /** Quarantine an unparseable message; false when the same bytes were quarantined before. */
  addQuarantine(reason: string, raw: RawMessage): boolean {
    const sha = crypto.createHash('sha256').update(raw.bytes).digest('hex');
    // an over-limit message: its head is kept, its size is the whole message's
    const r = this.stmts.insertQuarantine.run(reason, raw.source, raw.offset, raw.overLimit?.size ?? raw.bytes.length, sha, raw.bytes, now());
    if (r.changes) this.stmts.event.run(now(), 'message.quarantined', sha.slice(0, 16), JSON.stringify({ reason, source: raw.source, offset: raw.offset }));
    return r.changes > 0;
  }

  getSource(path: string): { path: string; size: number; mtime_ms: number; resume_offset: number; completed: number } | undefined {
    return this.stmts.getSource.get(path) as never;
  }

  putSource(path: string, size: number, mtimeMs: number, resumeOffset: number, completed: boolean): void {
    this.stmts.putSource.run(path, size, Math.round(mtimeMs), resumeOffset, completed ? 1 : 0, now());
  }

  /** The last commit stored from a public-inbox epoch (by its path) and its position in the epoch. */
  getEpoch(path: string): { commit: string; commits: number } | undefined {
    return this.stmts.getEpoch.get(path) as never;
  }

  putEpoch(path: string, commit: string, commits: number): void {
    this.stmts.putEpoch.run(path, commit, commits, now());
  }

  getMeta(key: string): string | null {
    return (this.stmts.getMeta.get(key) as { value: string } | undefined)?.value ?? null;
  }

  setMeta(key: string, value: string): void {
    this.stmts.setMeta.run(key, value);
  }

  event(type: string, ref: string, data: unknown = {}): void {
    this.stmts.event.run(now(), type, ref, JSON.stringify(data));
  }

  // ---- derived state (derived-writer.ts, detection-writer.ts) -------------------------------

  /** Write what derivation concluded (see {@link writeDerived}). */
  writeDerived(d: Derived, scope: DeriveScope): void {
    writeDerived(this.db, d, scope);
  }

  /** Replace fixes and regressions with what the rules concluded (see {@link writeDetection}). */
  writeDetection(fixes: KnownFix[], regressions: Regression[]): { opened: number; resolved: number; fixesKnown: number } {
    return writeDetection(this.db, (type, ref, data) => this.event(type, ref, data), fixes, regressions);
  }

  // ---- user state (user-state.ts) -----------------------------------------------------------

  acknowledge(regressionKey: string, reason: string, by: string | null): void {
    acknowledge(this.db, regressionKey, reason, by);
    this.event('regression.acknowledged', regressionKey, { reason });
  }

  declareFix(f: DeclaredFix): number {
    return declareFix(this.db, f);
  }

  declaredFixes(): DeclaredFix[] {
    return declaredFixes(this.db);
  }
}
