// Ingest's writer: messages, the call index, threads, series, acceptances, fixes, regressions, events. (db.ts
// writes too: migrations and the bulk-load index rebuild; and server/data/digests.ts the digest's delivery ledger.)
import crypto from 'node:crypto';
import { dropIndexes, type Db } from './db.ts';
import type { CallChange, DeclaredFix, KnownFix, Message, OrderChange, Parsed, RawMessage, Regression } from '../core/model.ts';
import type { Posting } from '../core/series.ts';
import type { Acceptance } from '../core/acceptance.ts';
import { patchAcceptances, seriesAcceptance } from '../core/series-acceptance.ts';
import { addressKey } from '../core/address.ts';
import { sameMessage, type MessageIdentity } from '../core/same-message.ts';
import { INSERT_MESSAGE, messageRow } from './message-row.ts';

export const now = () => new Date().toISOString();

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

/** The part of the archive a re-derivation covers (see derive.ts). */
export interface DeriveScope {
  /** every message read: whole threads */
  messages: Set<string>;
  /** the threads those messages were in before */
  threadIds: number[];
  /** authors (lower-case) whose every patch and cover was read, and whose series are rewritten */
  authors: Set<string>;
  /** patches and covers read whose author is not among them: their series and acceptance stay */
  keep: Set<string>;
}

/** Indexes over the messages columns derivation writes. */
export const DERIVED_INDEXES = ['messages_thread', 'messages_series', 'messages_answers'];

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
    m.diff.forEach((f, i) =>
      this.stmts.insertFile.run(m.messageId, i, f.path, f.oldPath, f.status, f.additions, f.deletions,
        JSON.stringify(f.hunks.map((h) => ({ header: h.header, oldStart: h.oldStart, oldLines: h.oldLines, newStart: h.newStart, newLines: h.newLines })))),
    );
    m.trailers.forEach((t, i) => this.stmts.insertTrailer.run(m.messageId, i, t.name, t.value));
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

  // ---- derived state ------------------------------------------------------------------------

  /**
   * Write what derivation concluded: threads, series (ids stable by anchor), and per message its thread,
   * parent, series, the patch it answers and its acceptance. Only rows that differ are written, so a
   * re-derivation after a small ingest costs reads, not a rewrite of the archive.
   */
  writeDerived(d: {
    threads: { root: string; subject: string; members: { messageId: string; parent: string | null }[]; lastDate: string | null }[];
    postings: Posting[];
    acceptances: Map<string, Acceptance>;
    answers: Map<string, string | null>;
  }, scope?: DeriveScope): void {
    const db = this.db;
    // threads
    type ThreadRow = { id: number; root: string; subject: string; size: number; last_date: string | null };
    // in a scope, only the threads it had and the roots it produces: the rest of the archive is not read
    const threadById = db.prepare('SELECT id, root, subject, size, last_date FROM threads WHERE id = ?');
    const threadByRoot = db.prepare('SELECT id, root, subject, size, last_date FROM threads WHERE root = ?');
    const oldThreadRows = scope
      ? [...scope.threadIds.map((id) => threadById.get(id)), ...d.threads.map((t) => threadByRoot.get(t.root))].filter((r): r is ThreadRow => !!r)
      : (db.prepare('SELECT id, root, subject, size, last_date FROM threads').all() as ThreadRow[]);
    const oldThreads = new Map(oldThreadRows.map((t) => [t.root, t]));
    const insThread = db.prepare('INSERT INTO threads (root, subject, size, last_date) VALUES (?, ?, ?, ?)');
    const updThread = db.prepare('UPDATE threads SET subject = ?, size = ?, last_date = ? WHERE id = ?');
    const threadOf = new Map<string, { id: number; parent: string | null; pos: number }>();
    const liveThreads = new Set<number>();
    for (const t of d.threads) {
      const old = oldThreads.get(t.root);
      let id: number;
      if (!old) id = Number(insThread.run(t.root, t.subject, t.members.length, t.lastDate).lastInsertRowid);
      else {
        id = old.id;
        if (old.subject !== t.subject || old.size !== t.members.length || old.last_date !== t.lastDate) updThread.run(t.subject, t.members.length, t.lastDate, id);
      }
      liveThreads.add(id);
      t.members.forEach((m, i) => threadOf.set(m.messageId, { id, parent: m.parent, pos: i }));
    }
    const delThread = db.prepare('DELETE FROM threads WHERE id = ?');
    const scopeThreads = scope ? new Set(scope.threadIds) : null;
    for (const t of oldThreads.values()) if (!liveThreads.has(t.id) && (!scopeThreads || scopeThreads.has(t.id))) delThread.run(t.id);

    // series
    type SeriesRow = { id: number; anchor: string; title: string; version: number; total: number; cover: string | null; author_name: string;
      author_email: string; date: string | null; complete: number; chain_id: number | null; previous_id: number | null; next_id: number | null;
      accepted_message: string | null; accepted_by_name: string | null; accepted_by_email: string | null; accepted_date: string | null;
      link: string | null; backport_of: string | null };
    const seriesByAuthor = db.prepare('SELECT * FROM series WHERE author_email = ? COLLATE NOCASE');
    const seriesByAnchor = db.prepare('SELECT * FROM series WHERE anchor = ?');
    const oldSeriesRows = scope
      ? [...[...scope.authors].flatMap((a) => seriesByAuthor.all(a)), ...d.postings.map((p) => seriesByAnchor.get(p.anchor))].filter((r): r is SeriesRow => !!r)
      : (db.prepare('SELECT * FROM series').all() as SeriesRow[]);
    const oldSeries = new Map(oldSeriesRows.map((r) => [r.anchor, r]));
    // new series get their ids up front (as SQLite would give them), so that each is written once, links included
    const ids = new Map<string, number>();
    let nextId = (db.prepare('SELECT coalesce(max(id), 0) FROM series').pluck().get() as number) + 1;
    for (const p of d.postings) ids.set(p.anchor, oldSeries.get(p.anchor)?.id ?? nextId++);
    const insSeries = db.prepare(`INSERT INTO series (anchor, title, version, total, cover, author_name, author_email, date,
      complete, chain_id, previous_id, next_id, accepted_message, accepted_by_name, accepted_by_email, accepted_date, link, backport_of, id)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    const updSeries = db.prepare(`UPDATE series SET title = ?, version = ?, total = ?, cover = ?, author_name = ?, author_email = ?, date = ?,
      complete = ?, chain_id = ?, previous_id = ?, next_id = ?, accepted_message = ?, accepted_by_name = ?, accepted_by_email = ?,
      accepted_date = ?, link = ?, backport_of = ? WHERE id = ?`);
    const seriesOf = new Map<string, number>();
    for (const p of d.postings) {
      const id = ids.get(p.anchor)!;
      const acc = seriesAcceptance(p, d.acceptances);
      const want = [p.title, p.version, p.total, p.cover, p.author.name, p.author.email, p.date, p.complete ? 1 : 0,
        ids.get(p.chain) ?? null, p.previous ? ids.get(p.previous)! : null, p.next ? ids.get(p.next)! : null,
        acc?.messageId ?? null, acc?.by.name ?? null, acc?.by.email ?? null, acc?.date ?? null, p.link ?? null, p.backportOf ?? null];
      const o = oldSeries.get(p.anchor);
      // a backport re-derived in a scope that did not read its original keeps the original it had
      if (scope && p.link === 'backport' && p.backportOf === null && o?.backport_of) want[want.length - 1] = o.backport_of;
      if (!o) insSeries.run(p.anchor, ...want, id);
      else {
        const have = [o.title, o.version, o.total, o.cover, o.author_name, o.author_email, o.date, o.complete, o.chain_id, o.previous_id,
          o.next_id, o.accepted_message, o.accepted_by_name, o.accepted_by_email, o.accepted_date, o.link, o.backport_of];
        if (want.some((v, i) => v !== have[i])) updSeries.run(...want, id);
      }
      if (p.cover) seriesOf.set(p.cover, id);
      for (const m of p.patches) seriesOf.set(m, id);
    }

    const acceptedOf = patchAcceptances(d.postings, d.acceptances);

    // messages: one pass, only the rows that change
    // [id, message_id, then the derived columns in updMsg's order]
    type MsgRow = [number, string, ...(string | number | null)[]];
    const updMsg = db.prepare(`UPDATE messages SET thread_id = ?, parent = ?, thread_pos = ?, answers = ?, series_id = ?, accepted_message = ?,
      accepted_by_name = ?, accepted_by_email = ?, accepted_date = ? WHERE id = ?`);
    const COLUMNS = 'id, message_id, thread_id, parent, thread_pos, answers, series_id, accepted_message, accepted_by_name, accepted_by_email, accepted_date';
    const one = db.prepare(`SELECT ${COLUMNS} FROM messages WHERE message_id = ?`).raw(true);
    const changesIn = (rows: Iterable<MsgRow>) => {
      const changes: (string | number | null)[][] = [];
      for (const r of rows) {
        const [rowId, messageId] = r;
        const have = r.slice(2);
        const t = threadOf.get(messageId);
        const a = acceptedOf.get(messageId);
        // a patch of an author outside the scope keeps its series and acceptance: only part of that author's work was read
        const keep = scope?.keep.has(messageId);
        const want = [t?.id ?? null, t?.parent ?? null, t?.pos ?? null, d.answers.get(messageId) ?? null,
          ...(keep ? have.slice(4) : [seriesOf.get(messageId) ?? null, a?.messageId ?? null, a?.by.name ?? null, a?.by.email ?? null, a?.date ?? null]),
          rowId];
        if (have.some((v, i) => v !== want[i])) changes.push(want);
      }
      return changes;
    };
    if (scope) {
      const rows = [...scope.messages].map((id) => one.get(id) as MsgRow | undefined).filter((r): r is MsgRow => !!r);
      for (const c of changesIn(rows)) updMsg.run(...c);
    } else {
      // The whole archive, a chunk of rows at a time (a connection cannot write while it is still reading,
      // and 100k pending updates at once would be the largest thing a first derivation holds). Rewriting
      // most of it: the indexes over derived columns are cheaper built once, sorted, than updated row by row.
      const rebuild = threadOf.size > 10_000 ? dropIndexes(db, DERIVED_INDEXES) : [];
      const chunk = db.prepare(`SELECT ${COLUMNS} FROM messages WHERE id > ? ORDER BY id LIMIT 5000`).raw(true);
      for (let after = 0; ;) {
        const rows = chunk.all(after) as MsgRow[];
        if (!rows.length) break;
        after = rows[rows.length - 1][0];
        for (const c of changesIn(rows)) updMsg.run(...c);
      }
      for (const sql of rebuild) db.exec(sql);
    }
    const delSeries = db.prepare('DELETE FROM series WHERE id = ?');
    const live = new Set(ids.values());
    for (const o of oldSeries.values()) {
      if (!live.has(o.id) && (!scope || scope.authors.has(addressKey(o.author_email)))) delSeries.run(o.id);
    }
  }

  /**
   * Replace fixes and regressions with what the rules concluded; ids stay stable by key. Emits events
   * for what changed (fix known, regression opened or resolved).
   */
  writeDetection(fixes: KnownFix[], regressions: Regression[]): { opened: number; resolved: number; fixesKnown: number } {
    const before = new Map(
      (this.db.prepare('SELECT key, status FROM regressions').all() as { key: string; status: string }[]).map((r) => [r.key, r.status]),
    );
    const fixesBefore = new Set((this.db.prepare('SELECT key FROM fixes').all() as { key: string }[]).map((r) => r.key));
    const upFix = this.db.prepare(`INSERT INTO fixes (key, kind, file, function, path, call, before, introduced_by, declared, moved_from, moved_to, status, history, live)
      VALUES (@key, @kind, @file, @function, @path, @call, @before, @introducedBy, @declared, @movedFrom, @movedTo, @status, @history, 1)
      ON CONFLICT(key) DO UPDATE SET kind = excluded.kind, file = excluded.file, function = excluded.function, path = excluded.path,
      call = excluded.call, before = excluded.before, introduced_by = excluded.introduced_by, declared = excluded.declared,
      moved_from = excluded.moved_from, moved_to = excluded.moved_to, status = excluded.status, history = excluded.history, live = 1`);
    const upReg = this.db.prepare(`INSERT INTO regressions (key, fix_key, fix_message, removed_by, evidence, first_seen, status, resolved_by, resolution, related, detail, live)
      VALUES (@key, @fixKey, @fixMessage, @removedBy, @evidence, @firstSeen, @status, @resolvedBy, @resolution, @related, @detail, 1)
      ON CONFLICT(key) DO UPDATE SET fix_key = excluded.fix_key, fix_message = excluded.fix_message, removed_by = excluded.removed_by,
      evidence = excluded.evidence, first_seen = excluded.first_seen, status = excluded.status, resolved_by = excluded.resolved_by,
      resolution = excluded.resolution, related = excluded.related, detail = excluded.detail, live = 1`);
    let opened = 0, resolved = 0, fixesKnown = 0;
    this.db.prepare('UPDATE fixes SET live = 0').run();
    this.db.prepare('UPDATE regressions SET live = 0').run();
    for (const f of fixes) {
      upFix.run({ ...f, before: JSON.stringify(f.before), declared: f.declared ? 1 : 0, history: JSON.stringify(f.history) });
      if (!fixesBefore.has(f.key)) { fixesKnown++; this.event('fix.known', f.key, { call: f.call, function: f.function, file: f.file, introducedBy: f.introducedBy }); }
    }
    for (const r of regressions) {
      upReg.run({ ...r, removedBy: JSON.stringify(r.removedBy), evidence: JSON.stringify(r.evidence), related: JSON.stringify(r.related), detail: JSON.stringify(r.detail ?? {}) });
      const was = before.get(r.key);
      if (was === undefined) { opened++; this.event('regression.opened', r.key, { fix: r.fixKey, removedBy: r.removedBy }); }
      if (r.status === 'resolved' && was !== 'resolved') { resolved++; this.event('regression.resolved', r.key, { resolvedBy: r.resolvedBy, resolution: r.resolution }); }
    }
    // a regression no longer detected (its fix or its removal is gone: other rules, a withdrawn fix) is closed in
    // the event log too, so that feeds never keep an opened regression that silently vanished
    for (const key of this.db.prepare("SELECT key FROM regressions WHERE live = 0 AND status != 'resolved'").pluck().all() as string[]) {
      resolved++;
      this.event('regression.resolved', key, { resolvedBy: null, resolution: 'withdrawn', reason: 'no longer detected' });
    }
    this.db.prepare('DELETE FROM fixes WHERE live = 0').run();
    this.db.prepare('DELETE FROM regressions WHERE live = 0').run();
    return { opened, resolved, fixesKnown };
  }

  // ---- user state ---------------------------------------------------------------------------

  acknowledge(regressionKey: string, reason: string, by: string | null): void {
    this.db.prepare('INSERT OR REPLACE INTO acknowledgements (regression_key, reason, by, at) VALUES (?, ?, ?, ?)').run(regressionKey, reason, by, now());
    this.event('regression.acknowledged', regressionKey, { reason });
  }

  declareFix(f: DeclaredFix): number {
    const r = this.db.prepare(`INSERT INTO declared_fixes (kind, file, function, path, call, before, introduced_by, note, created_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET note = excluded.note RETURNING id`)
      .get(f.kind, f.file, f.function, f.path, f.call, JSON.stringify(f.before), f.introducedBy, f.note ?? null, now()) as { id: number };
    return r.id;
  }

  declaredFixes(): DeclaredFix[] {
    return (this.db.prepare('SELECT * FROM declared_fixes ORDER BY id').all() as Record<string, unknown>[]).map((r) => ({
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
}
