// Derivation: threads, series, acceptance and its evidence (derive-evidence.ts), then known fixes and regressions,
// from what is stored.
// Reads through SQL, decides through the pure modules, writes through the Store. Running it twice
// gives the same result, and the result does not depend on the order messages were ingested in.
import type { Db } from '../store/db.ts';
import type { DeclaredFix, MessageKind, PatchFacts } from '../core/model.ts';
import { Store, type DeriveScope } from '../store/store.ts';
import { threadMessages } from '../core/threader.ts';
import { findSeries, type MessageHead } from '../core/series.ts';
import { answeredBy, findAcceptances, type ReplyHead } from '../core/acceptance.ts';
import { detectRegressions } from '../core/fix-rules.ts';
import { addressKey } from '../core/address.ts';
import { deriveEvidence } from './derive-evidence.ts';
import { deletedFunctions } from '../core/call-index.ts';
import { parseDiff } from '../core/diff.ts';

const NO_STRINGS: string[] = [];

// read as arrays (better-sqlite3's raw mode): at 100k rows, naming every column of every row costs more than
// the query. Only patches and covers need their title (series are grouped by it).
const HEAD_COLUMNS = `message_id, CASE WHEN is_patch = 1 OR kind = 'cover' THEN title ELSE '' END, version, idx, total, from_name,
  from_email, date, in_reply_to, refs, kind, is_patch, says_applied, change_id, supersedes,
  upstream_commit IS NOT NULL`;
type Row = [string, string, number, number | null, number | null, string, string, string | null, string | null, string,
  MessageKind, number, number, string | null, string | null, number];

const strings = (json: string): string[] => (json === '[]' ? NO_STRINGS : (JSON.parse(json) as string[]));

type Head = MessageHead & ReplyHead & { subject: string };

/**
 * The head of every message (or of `ids`), read row by row (a 100k archive must not hold two copies in
 * memory). Senders, kinds and Message-IDs (named again in References) repeat across an archive: each is held once.
 */
function readHeads(db: Db, ids?: Iterable<string>): Head[] {
  const heads: Head[] = [];
  const one = db.prepare(`SELECT ${HEAD_COLUMNS} FROM messages WHERE message_id = ?`).raw(true);
  const rows: Iterable<Row> = ids
    ? [...ids].map((id) => one.get(id) as Row | undefined).filter((r): r is Row => !!r)
    : (db.prepare(`SELECT ${HEAD_COLUMNS} FROM messages`).raw(true).iterate() as Iterable<Row>);
  const senders = new Map<string, Head['from']>();
  const kinds = new Map<string, MessageKind>();
  // a thread's root and upper messages are named in every reply's References: each id is held once
  const seenIds = new Map<string, string>();
  const intern = (id: string) => {
    const known = seenIds.get(id);
    if (known !== undefined) return known;
    seenIds.set(id, id);
    return id;
  };
  for (const [messageId, title, version, index, total, name, email, date, inReplyTo, refs, kind, isPatch, saysApplied, changeId, supersedes, backport] of rows) {
    const key = `${name}\n${email}`;
    let from = senders.get(key);
    if (!from) senders.set(key, (from = { name, email }));
    let k = kinds.get(kind);
    if (!k) kinds.set(kind, (k = kind));
    const references = strings(refs);
    for (let i = 0; i < references.length; i++) references[i] = intern(references[i]);
    heads.push({
      messageId: intern(messageId), title, version, index, total, from, date, inReplyTo: inReplyTo === null ? null : intern(inReplyTo),
      references, kind: k, isPatch: !!isPatch, saysApplied: !!saysApplied, changeId, supersedes, backport: !!backport,
      subject: '', // the threader does not join by subject; thread subjects are read for roots only
    });
  }
  return heads;
}

export interface DeriveResult {
  threads: number;
  series: number;
  accepted: number;
  fixes: number;
  regressions: number;
  opened: number;
  resolved: number;
}

/**
 * {@link deriveAll} for a bulk load, whose messages no other connection changes meanwhile: the reading and
 * concluding happen outside the transaction, while `meanwhile` (another connection's writing, such as building
 * indexes) runs; the writing waits for it, so that this connection writes on top of it.
 */
export async function deriveAllBeside(db: Db, meanwhile: Promise<void>, declared: DeclaredFix[] = []): Promise<DeriveResult> {
  let d: Concluded | null = conclude(db);
  await meanwhile;
  const store = new Store(db);
  return store.transaction(() =>
    finishDerivation(db, store, declared, () => {
      const counts = writeConcluded(store, d!);
      d = null; // collectable before detection runs
      return counts;
    }),
  );
}

/** Everything derived from the message table (threads, series, acceptance), then detection. */
export function deriveAll(db: Db, declared: DeclaredFix[] = []): DeriveResult {
  const store = new Store(db);
  return store.transaction(() => finishDerivation(db, store, declared, () => deriveStructure(db, store)));
}

/**
 * Inside the caller's transaction: the structure (`structure` concludes, or has concluded, and writes it), then
 * detection. The structure is built in a function of its own: what it holds (every head, the thread and series
 * maps) can be collected before detection runs.
 */
function finishDerivation(db: Db, store: Store, declared: DeclaredFix[], structure: () => StructureCounts): DeriveResult {
  store.setMeta('derive.dirty', '1');
  const counts = structure();
  deriveEvidence(db);
  const detection = detectAll(db, store, declared);
  store.setMeta('detect.declared', JSON.stringify(declared));
  store.setMeta('derive.dirty', '0');
  return { ...counts, ...detection };
}

/**
 * Re-derive only what the messages not yet threaded can change, then run detection. Falls back to
 * {@link deriveAll} when they are more than `maxShare` of the archive (a first ingest).
 *
 * The scope: the threads the new messages join (through their references, the replies that waited for
 * them, and placeholders they share), every patch and cover of the authors posting in those threads (series
 * and versions are grouped per author; an author's other addresses with the same name too), and those patches'
 * threads (their acceptance replies); for a new stable backport, the threads of patches with its title (its
 * original). A backport re-derived without its original in the scope keeps the original it had. Threads
 * are whole components, so threading them alone gives what threading the archive gives; other authors'
 * patches read along keep their series and acceptance.
 */
export function deriveNew(db: Db, declared: DeclaredFix[] = [], maxShare = 0.2): DeriveResult {
  if (derivesWhole(db, maxShare)) return deriveAll(db, declared);
  const fresh = db.prepare('SELECT message_id FROM messages WHERE thread_id IS NULL').pluck().all() as string[];
  const store = new Store(db);
  return store.transaction(() => {
    store.setMeta('derive.dirty', '1');
    const scope = fresh.length ? scopeOf(db, fresh) : null;
    const structure = scope ? deriveStructure(db, store, scope) : { threads: 0, series: 0, accepted: 0 };
    const reaccepted = deriveEvidence(db); // a pull request or a bot may name patches outside the scope
    // the rules read watched patches, their series and acceptance, and the declared fixes: when the scope
    // holds no watched patch and the declarations stand, their conclusions stand too
    const declaredNow = JSON.stringify(declared);
    const detection = (scope && touchesWatched(db, scope.messages)) || touchesWatched(db, reaccepted) || store.getMeta('detect.declared') !== declaredNow
      ? detectAll(db, store, declared)
      : storedDetection(db);
    store.setMeta('detect.declared', declaredNow);
    store.setMeta('derive.dirty', '0');
    return { ...structure, ...detection };
  });
}

/** Whether {@link deriveNew} derives the whole archive: more than `maxShare` of it is not threaded yet. */
export function derivesWhole(db: Db, maxShare = 0.2): boolean {
  const fresh = db.prepare('SELECT count(*) FROM messages WHERE thread_id IS NULL').pluck().get() as number;
  const total = (db.prepare("SELECT n FROM counts WHERE name = 'messages'").pluck().get() as number | undefined) ?? fresh;
  return fresh > maxShare * total;
}

function touchesWatched(db: Db, ids: Iterable<string>): boolean {
  const watched = db.prepare(`SELECT EXISTS (SELECT 1 FROM call_changes WHERE message_id = @id)
    OR EXISTS (SELECT 1 FROM order_changes WHERE message_id = @id)
    OR EXISTS (SELECT 1 FROM patch_files WHERE message_id = @id AND status = 'renamed')`).pluck();
  for (const id of ids) if (watched.get({ id })) return true;
  return false;
}

function storedDetection(db: Db) {
  const n = (sql: string) => db.prepare(sql).pluck().get() as number;
  return { fixes: n('SELECT count(*) FROM fixes'), regressions: n('SELECT count(*) FROM regressions'), opened: 0, resolved: 0 };
}

function scopeOf(db: Db, fresh: string[]): DeriveScope {
  const threadOfMsg = db.prepare('SELECT thread_id FROM messages WHERE message_id = ?').pluck();
  const threadByRoot = db.prepare('SELECT id FROM threads WHERE root = ?').pluck();
  const referrers = db.prepare('SELECT message_id FROM message_refs WHERE ref = ?').pluck();
  const refsOf = db.prepare('SELECT ref FROM message_refs WHERE message_id = ?').pluck();
  const membersOf = db.prepare('SELECT message_id FROM messages WHERE thread_id = ?').pluck();
  const threadIds = new Set<number>();
  const touch = (id: string) => {
    const t = threadOfMsg.get(id) as number | null | undefined;
    if (t != null) threadIds.add(t);
    const r = threadByRoot.get(id) as number | undefined;
    if (r !== undefined) threadIds.add(r);
  };
  for (const id of fresh) {
    touch(id);
    for (const m of referrers.all(id) as string[]) touch(m);
    for (const ref of refsOf.all(id) as string[]) {
      touch(ref);
      for (const m of referrers.all(ref) as string[]) touch(m); // a placeholder shared with them
    }
  }
  const messages = new Set(fresh);
  const addThreads = (ids: Iterable<number>) => {
    for (const t of ids) for (const m of membersOf.all(t) as string[]) messages.add(m);
  };
  addThreads(threadIds);
  // every patch and cover of the authors posting in those threads, and those patches' threads
  const postingHead = db.prepare("SELECT from_email FROM messages WHERE message_id = ? AND (is_patch = 1 OR kind = 'cover')").pluck();
  const authors = new Set<string>();
  for (const id of messages) {
    const email = postingHead.get(id) as string | undefined;
    if (email !== undefined) authors.add(addressKey(email));
  }
  // versions are joined across an author's change of address (same name): their other addresses are read too;
  // letter case aside (COLLATE NOCASE, as addressKey folds; the index messages_from is in that collation)
  const namesOf = db.prepare("SELECT DISTINCT from_name FROM messages WHERE from_email = ? COLLATE NOCASE AND (is_patch = 1 OR kind = 'cover') AND from_name <> ''").pluck();
  const addressesOf = db.prepare("SELECT DISTINCT lower(from_email) FROM messages WHERE from_name = ? AND (is_patch = 1 OR kind = 'cover')").pluck();
  for (const a of [...authors]) for (const name of namesOf.all(a) as string[]) for (const e of addressesOf.all(name) as string[]) authors.add(e);
  const byAuthor = db.prepare("SELECT message_id, thread_id FROM messages WHERE from_email = ? COLLATE NOCASE AND (is_patch = 1 OR kind = 'cover')");
  const more = new Set<number>();
  for (const a of authors) {
    for (const r of byAuthor.all(a) as { message_id: string; thread_id: number | null }[]) {
      messages.add(r.message_id);
      if (r.thread_id != null && !threadIds.has(r.thread_id)) more.add(r.thread_id);
    }
  }
  addThreads(more);
  for (const t of more) threadIds.add(t);
  // a new stable backport points at its original (series.backportOf): the originals' threads are read along
  const backportTitle = db.prepare("SELECT title FROM messages WHERE message_id = ? AND is_patch = 1 AND upstream_commit IS NOT NULL").pluck();
  const originalThreads = db.prepare(`SELECT DISTINCT thread_id FROM messages WHERE title = ? AND kind = 'patch'
    AND upstream_commit IS NULL AND thread_id IS NOT NULL`).pluck();
  const originals = new Set<number>();
  for (const id of fresh) {
    const title = backportTitle.get(id) as string | undefined;
    if (title) for (const t of originalThreads.all(title) as number[]) if (!threadIds.has(t)) originals.add(t);
  }
  addThreads(originals);
  for (const t of originals) threadIds.add(t);
  const keep = new Set<string>();
  for (const id of messages) {
    const email = postingHead.get(id) as string | undefined;
    if (email !== undefined && !authors.has(addressKey(email))) keep.add(id);
  }
  return { messages, threadIds: [...threadIds], authors, keep };
}

/** People who applied somebody else's patch, as the stored answers say. */
function knownAppliers(db: Db): Set<string> {
  return new Set((db.prepare(`SELECT DISTINCT lower(r.from_email) FROM messages r JOIN messages t ON t.message_id = r.answers
    WHERE r.says_applied = 1 AND r.is_patch = 0 AND lower(r.from_email) <> lower(t.from_email)`).pluck().all() as string[]));
}

/** Threads, answers, series and acceptance, computed from the message heads (all, or a scope's) and written. */
function deriveStructure(db: Db, store: Store, scope?: DeriveScope): StructureCounts {
  return writeConcluded(store, conclude(db, scope), scope);
}

type StructureCounts = { threads: number; series: number; accepted: number };
type Concluded = ReturnType<typeof conclude>;

function writeConcluded(store: Store, d: Concluded, scope?: DeriveScope): StructureCounts {
  store.writeDerived(d, scope);
  return { threads: d.threads.length, series: d.postings.length, accepted: d.acceptances.size };
}

/**
 * Threads, answers, series and acceptance from the heads. A function of its own so that the heads (the
 * largest thing a first derivation holds) can be collected before the writing starts.
 */
function conclude(db: Db, scope?: DeriveScope) {
  const heads = readHeads(db, scope?.messages);
  // only the threads and parents are kept: the threader's other maps (100k entries each) can go at once
  const { threads: threadList, parentOf } = threadMessages(heads);
  const headById = new Map(heads.map((h) => [h.messageId, h]));
  const subjectOf = db.prepare('SELECT subject FROM messages WHERE message_id = ?').pluck();
  const threads = threadList.map((t) => {
    const present = t.members.filter((id) => headById.has(id));
    let lastDate: string | null = null;
    for (const id of present) {
      const d = headById.get(id)!.date;
      if (d && (!lastDate || d > lastDate)) lastDate = d;
    }
    return { root: t.root, subject: present.length ? ((subjectOf.get(present[0]) as string) ?? '') : '', lastDate, members: present.map((id) => ({ messageId: id, parent: parentOf.get(id) ?? null })) };
  });
  const replyHeads: ReplyHead[] = heads;
  const answers = new Map<string, string | null>();
  // replies, and proposals (replies with a diff): the patch they answer
  const walked = new Map<string, string | null>();
  for (const h of replyHeads) if ((!h.isPatch || h.kind === 'proposal') && h.kind !== 'cover') answers.set(h.messageId, answeredBy(h, headById, parentOf, walked));
  const all = findSeries(heads as MessageHead[]);
  // in a scope, only the authors read in full get their series rewritten
  const postings = scope ? all.filter((p) => scope.authors.has(addressKey(p.author.email))) : all;
  const acceptances = findAcceptances(replyHeads, scope ? knownAppliers(db) : undefined, headById);
  return { threads, postings, acceptances, answers };
}

/** Re-run the fix and regression rules over the call index (small: watched files only). */
export function detectAll(db: Db, store = new Store(db), declared: DeclaredFix[] = []) {
  const facts = patchFacts(db);
  const { fixes, regressions } = detectRegressions(facts, [...declared, ...store.declaredFixes()]);
  const w = store.writeDetection(fixes, regressions);
  return { fixes: fixes.length, regressions: regressions.length, opened: w.opened, resolved: w.resolved };
}

/** The facts the rules need, for every patch with an indexed call, an order change or a rename. */
export function patchFacts(db: Db): PatchFacts[] {
  const patches = db.prepare(`WITH watched AS (SELECT message_id FROM call_changes UNION SELECT message_id FROM order_changes)
    SELECT m.message_id, m.subject, m.date, m.from_name, m.from_email, m.series_id, m.version, m.idx, m.tags,
      m.accepted_message, m.accepted_by_name, m.accepted_by_email, m.accepted_date, m.kind, s.chain_id, s.version AS series_version,
      s.anchor AS series_anchor, c.anchor AS chain_anchor
    FROM messages m LEFT JOIN series s ON s.id = m.series_id LEFT JOIN series c ON c.id = s.chain_id
    WHERE m.is_patch = 1 AND (m.message_id IN (SELECT message_id FROM watched)
      OR m.message_id IN (SELECT message_id FROM patch_files WHERE status = 'renamed')
      -- every version of a series that touched watched calls: a later version that no longer
      -- removes a call has no call changes of its own, yet it is what drops the regression
      OR s.chain_id IN (SELECT s2.chain_id FROM messages m2 JOIN series s2 ON s2.id = m2.series_id
        WHERE m2.message_id IN (SELECT message_id FROM watched)))`).all() as Record<string, never>[];
  const calls = db.prepare('SELECT * FROM call_changes WHERE message_id = ? ORDER BY seq');
  const orders = db.prepare('SELECT * FROM order_changes WHERE message_id = ? ORDER BY seq');
  const renames = db.prepare("SELECT old_path AS \"from\", path AS \"to\" FROM patch_files WHERE message_id = ? AND status = 'renamed' AND old_path IS NOT NULL");
  const diffOf = db.prepare('SELECT b.diff_text FROM messages m JOIN message_bodies b ON b.id = m.id WHERE m.message_id = ?').pluck();
  return patches.map((p: Record<string, never>) => withRemovalFacts(p.kind === 'proposal', (id) => diffOf.get(id) as string | undefined, {
    messageId: p.message_id,
    subject: p.subject,
    date: p.date,
    author: { name: p.from_name, email: p.from_email },
    // anchors (Message-IDs), not row ids: keys built from them do not depend on ingest order
    seriesId: p.series_anchor ?? p.message_id,
    chainId: p.chain_anchor ?? p.series_anchor ?? p.message_id,
    version: p.series_version ?? p.version,
    index: p.idx,
    tags: JSON.parse(p.tags),
    accepted: p.accepted_message
      ? { by: { name: p.accepted_by_name ?? '', email: p.accepted_by_email ?? '' }, date: p.accepted_date, messageId: p.accepted_message }
      : null,
    callChanges: (calls.all(p.message_id) as Record<string, never>[]).map((c) => ({
      messageId: c.message_id, file: c.file, function: c.function, path: c.path, call: c.call, op: c.op, line: c.line, rule: c.rule,
    })),
    orderChanges: (orders.all(p.message_id) as Record<string, never>[]).map((o) => ({
      messageId: o.message_id, file: o.file, function: o.function, path: o.path, call: o.call,
      nowBefore: JSON.parse(o.now_before), nowAfter: JSON.parse(o.now_after), rule: o.rule,
    })),
    renames: renames.all(p.message_id) as { from: string; to: string }[],
  }));
}

/**
 * What the rules need about a removing patch beyond its call changes: whether it is a proposal, and which of the
 * functions it removes a watched call from it deletes whole (read from its diff: removing patches only).
 */
function withRemovalFacts(proposal: boolean, diffText: (id: string) => string | undefined, f: PatchFacts): PatchFacts {
  const removedFrom = f.callChanges.filter((c) => c.op === 'removed' && c.function !== null).map((c) => ({ file: c.file, function: c.function! }));
  const out: PatchFacts = proposal ? { ...f, proposal: true } : f;
  if (!removedFrom.length) return out;
  const deleted = deletedFunctions(parseDiff(diffText(f.messageId) ?? ''), removedFrom);
  return deleted.length ? { ...out, deletedFunctions: deleted } : out;
}
