// Derivation: threads, series, acceptance and its evidence (derive-evidence.ts), then known fixes and regressions,
// from what is stored.
// Reads through the store's readers (../store/derive-readers.ts), decides through the pure modules, writes through
// the Store (the evidence step through ../store/evidence-store.ts). A whole derivation concludes threads and series a
// chunk at a time (derive-whole.ts, through a scratch database), holding a few integers a message besides. Running
// it twice gives the same result, and the result does not depend on the order messages were ingested in.
import type { Db } from '../store/db.ts';
import type { DeclaredFix, PatchFacts } from '../core/model.ts';
import { Store } from '../store/store.ts';
import type { DeriveScope } from '../store/derived-writer.ts';
import { threadMessages } from '../core/threader.ts';
import { findSeries, type MessageHead } from '../core/series.ts';
import {
  diffReader, readHeads, scopeReaders, storedDetectionCounts, subjectReader, touchesWatched, unthreadedIds, unthreadedShare,
} from '../store/derive-readers.ts';
import { watchedPostings } from '../store/watched-facts.ts';
import { answeredBy, type ReplyHead } from '../core/acceptance.ts';
import { detectInOrder } from '../core/fix-rules.ts';
import { addressKey } from '../core/address.ts';
import { deriveEvidence } from './derive-evidence.ts';
import { applyConcluded, concludeWhole, concludeWholeBeside } from './derive-whole.ts';
import { collectGarbage, STEP_CEILING } from './collect-garbage.ts';
import { deletedFunctions } from '../core/call-index.ts';
import { parseDiff } from '../core/diff.ts';

export interface DeriveResult {
  threads: number;
  series: number;
  fixes: number;
  regressions: number;
  opened: number;
  resolved: number;
}

/**
 * {@link deriveAll} for a bulk load, whose messages no other connection changes meanwhile: the concluding (reads of
 * the archive, writes to scratch databases; the threads on a thread of their own while this one concludes the series,
 * when their largest chunk leaves room for both: derive-whole.ts's concludeWholeBeside) happens
 * while `meanwhile` (another connection's writing, such as building indexes) runs; applying it waits for that, so
 * that this connection writes on top of it.
 */
export async function deriveAllBeside(db: Db, meanwhile: Promise<void>, declared: DeclaredFix[] = []): Promise<DeriveResult> {
  const scratch = await concludeWholeBeside(db);
  try {
    await meanwhile;
    const store = new Store(db);
    return store.transaction(() => finishDerivation(db, store, declared, () => applyConcluded(db)));
  } finally {
    scratch.close();
  }
}

/**
 * Everything derived from the message table (threads, series, acceptance and its evidence), then detection: the
 * structure a chunk at a time (derive-whole.ts), so that an archive of any size derives in bounded memory.
 */
export function deriveAll(db: Db, declared: DeclaredFix[] = [], opts: { chunkMessages?: number; headsMaxPostings?: number } = {}): DeriveResult {
  const scratch = concludeWhole(db, opts.chunkMessages, opts.headsMaxPostings);
  try {
    const store = new Store(db);
    return store.transaction(() => finishDerivation(db, store, declared, () => applyConcluded(db)));
  } finally {
    scratch.close();
  }
}

/**
 * Inside the caller's transaction: the structure (`structure` concludes, or has concluded, and writes it), then
 * detection. The structure is built in a function of its own: what it holds (every head, the thread and series
 * maps) can be collected before detection runs.
 */
function finishDerivation(db: Db, store: Store, declared: DeclaredFix[], structure: () => StructureCounts): DeriveResult {
  store.setMeta('derive.dirty', '1');
  const counts = structure();
  collectGarbage(STEP_CEILING); // each step starts from a small heap
  deriveEvidence(db, { changed: false }); // detection runs whatever changed
  collectGarbage(STEP_CEILING);
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
 * patches read along keep their series (acceptance is the evidence step's, over the whole archive).
 */
export function deriveNew(db: Db, declared: DeclaredFix[] = [], maxShare = 0.2): DeriveResult {
  if (derivesWhole(db, maxShare)) return deriveAll(db, declared);
  const fresh = unthreadedIds(db);
  const store = new Store(db);
  return store.transaction(() => {
    store.setMeta('derive.dirty', '1');
    const scope = fresh.length ? scopeOf(db, fresh) : null;
    const structure = scope ? deriveStructure(db, store, scope) : { threads: 0, series: 0 };
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
  const { fresh, total } = unthreadedShare(db);
  return fresh > maxShare * total;
}

function storedDetection(db: Db) {
  return { ...storedDetectionCounts(db), opened: 0, resolved: 0 };
}

function scopeOf(db: Db, fresh: string[]): DeriveScope {
  const read = scopeReaders(db);
  const threadIds = new Set<number>();
  const touch = (id: string) => {
    const t = read.threadOf(id);
    if (t != null) threadIds.add(t);
    const r = read.threadRootedAt(id);
    if (r !== undefined) threadIds.add(r);
  };
  for (const id of fresh) {
    touch(id);
    for (const m of read.referrers(id)) touch(m);
    for (const ref of read.refsOf(id)) {
      touch(ref);
      for (const m of read.referrers(ref)) touch(m); // a placeholder shared with them
    }
  }
  const messages = new Set(fresh);
  const addThreads = (ids: Iterable<number>) => {
    for (const t of ids) for (const m of read.membersOf(t)) messages.add(m);
  };
  addThreads(threadIds);
  // every patch and cover of the authors posting in those threads, and those patches' threads
  const authors = new Set<string>();
  for (const id of messages) {
    const email = read.postingAuthor(id);
    if (email !== undefined) authors.add(addressKey(email));
  }
  // versions are joined across an author's change of address (same name): their other addresses are read too;
  // letter case aside (as addressKey folds)
  for (const a of [...authors]) for (const name of read.namesOf(a)) for (const e of read.addressesOf(name)) authors.add(e);
  const more = new Set<number>();
  for (const a of authors) {
    for (const r of read.postingsBy(a)) {
      messages.add(r.message_id);
      if (r.thread_id != null && !threadIds.has(r.thread_id)) more.add(r.thread_id);
    }
  }
  addThreads(more);
  for (const t of more) threadIds.add(t);
  // a new stable backport points at its original (series.backportOf): the originals' threads are read along
  const originals = new Set<number>();
  for (const id of fresh) {
    const title = read.backportTitle(id);
    if (title) for (const t of read.originalThreads(title)) if (!threadIds.has(t)) originals.add(t);
  }
  addThreads(originals);
  for (const t of originals) threadIds.add(t);
  const keep = new Set<string>();
  for (const id of messages) {
    const email = read.postingAuthor(id);
    if (email !== undefined && !authors.has(addressKey(email))) keep.add(id);
  }
  return { messages, threadIds: [...threadIds], authors, keep };
}

/** Threads, answers and series of a scope, computed from its message heads and written. */
function deriveStructure(db: Db, store: Store, scope: DeriveScope): StructureCounts {
  const d = conclude(db, scope);
  store.writeDerived(d, scope);
  return { threads: d.threads.length, series: d.postings.length };
}

type StructureCounts = { threads: number; series: number };

/** Threads, answers and series from a scope's heads (a whole derivation goes a chunk at a time: derive-whole.ts). */
function conclude(db: Db, scope: DeriveScope) {
  const heads = readHeads(db, scope.messages);
  // only the threads and parents are kept: the threader's other maps (100k entries each) can go at once
  const { threads: threadList, parentOf } = threadMessages(heads);
  const headById = new Map(heads.map((h) => [h.messageId, h]));
  const subjectOf = subjectReader(db);
  const threads = threadList.map((t) => {
    const present = t.members.filter((id) => headById.has(id));
    let lastDate: string | null = null;
    for (const id of present) {
      const d = headById.get(id)!.date;
      if (d && (!lastDate || d > lastDate)) lastDate = d;
    }
    return { root: t.root, subject: present.length ? (subjectOf(present[0]) ?? '') : '', lastDate, members: present.map((id) => ({ messageId: id, parent: parentOf.get(id) ?? null })) };
  });
  const replyHeads: ReplyHead[] = heads;
  const answers = new Map<string, string | null>();
  // replies, and proposals (replies with a diff): the patch they answer
  const walked = new Map<string, string | null>();
  for (const h of replyHeads) if ((!h.isPatch || h.kind === 'proposal') && h.kind !== 'cover') answers.set(h.messageId, answeredBy(h, headById, parentOf, walked));
  const all = findSeries(heads as MessageHead[]);
  // only the authors read in full get their series rewritten
  const postings = all.filter((p) => scope.authors.has(addressKey(p.author.email)));
  return { threads, postings, answers };
}

/**
 * Re-run the fix and regression rules over the call index, a posting at a time in the rules' order: what is held is
 * one posting's facts and what the rules conclude, not every watched patch's (73,451 of them in a generated
 * 1,000,000-message archive).
 */
export function detectAll(db: Db, store = new Store(db), declared: DeclaredFix[] = []) {
  const { fixes, regressions } = detectInOrder(postingFacts(db), [...declared, ...store.declaredFixes()]);
  const w = store.writeDetection(fixes, regressions);
  return { fixes: fixes.length, regressions: regressions.length, opened: w.opened, resolved: w.resolved };
}

/**
 * The facts the rules need, for every patch with an indexed call, an order change or a rename: a posting at a time,
 * the postings in the order the rules take them (fix-rules.ts detectInOrder), each read as it is reached.
 */
export function* postingFacts(db: Db): Generator<PatchFacts[]> {
  const diffOf = diffReader(db);
  for (const posting of watchedPostings(db)) yield posting.map((p) => withRemovalFacts(p.proposal, diffOf, p.facts));
}

/** {@link postingFacts}, every posting's at once (for detectRegressions, which puts them in order itself). */
export function patchFacts(db: Db): PatchFacts[] {
  return [...postingFacts(db)].flat();
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
