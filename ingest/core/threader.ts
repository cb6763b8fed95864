// JWZ-style threading (https://www.jwz.org/doc/threading.html), pure and iterative.
//
// Input: one record per message. Ids are compared exactly as given: normalise them (angle brackets, case) before.
// Output:
//   threads    every tree that holds at least one message, ordered by root (as children are, below). For each:
//              root     the id of the top container. When the top is a placeholder (a parent referenced but not
//                       present), root is that placeholder's id: an orphan reply to <lost@x> has root "lost@x". A
//                       later ingest that brings the missing message then yields the same root, now real, and
//                       the thread simply grows: ids of threads are stable as parents arrive late.
//              rootIsPlaceholder
//              members  the messages (never placeholders), in thread order: depth first from the root, children
//                       sorted by date (a placeholder by the earliest date below it; undated last), then id.
//                       Threads are ordered the same way by their roots.
//              placeholders  the missing ids inside the tree (the root included when it is one), sorted.
//   parentOf   every id in an emitted tree (messages and placeholders) -> its parent's id, or null for a root.
//   rootOf     every id in an emitted tree -> its thread's root.
//   depthOf    every id in an emitted tree -> its depth (root 0).
//
// Linking (JWZ step 1): a container for every id seen (placeholders for ids only referenced). A message's reference
// chain is its References, then its In-Reply-To appended when References does not already hold it (In-Reply-To alone
// when there are no References); its own id and empty ids are dropped. Consecutive ids of the chain are linked
// parent -> child unless the child already has a parent; then the message's parent becomes the last id of the chain,
// replacing a parent guessed from other messages' References. A link that would make a loop is skipped, always.
// Subjects are not used to join threads (JWZ step 5): on a patch list, same-subject mails ("Re: [PATCH] fix build")
// are often unrelated. Placeholders with messages below them are kept (JWZ would promote their children) so that
// roots stay stable, see above; placeholders with no message below them are dropped from the output.
//
// Order independence: input is deduplicated by id (the record with the longest reference chain wins; ties go to
// the smallest date, then the smallest serialisation) and processed sorted by id, so the result depends only on the
// set of records. Nothing recurses on the data: a 10,000-deep reply chain is fine.

export interface ThreadInput {
  messageId: string;
  inReplyTo: string | null;
  references: string[];
  date: string | null;
  subject: string;
}

export interface Thread {
  root: string;
  rootIsPlaceholder: boolean;
  members: string[];
  placeholders: string[];
}

export interface ThreadResult {
  threads: Thread[];
  parentOf: Map<string, string | null>;
  rootOf: Map<string, string>;
  depthOf: Map<string, number>;
}

interface Container {
  id: string;
  real: boolean;
  /** ms since epoch of the message, NaN when unknown or a placeholder */
  time: number;
  parent: Container | null;
  children: Container[];
  /** earliest message time in the subtree (computed at the end) */
  sortTime: number;
  /** a message in the subtree (computed at the end) */
  hasMsg: boolean;
}

function chainOf(m: ThreadInput): string[] {
  const out: string[] = [];
  const add = (r: string) => {
    if (r !== '' && r !== m.messageId && out[out.length - 1] !== r) out.push(r);
  };
  for (const r of m.references) add(r);
  if (m.inReplyTo && !m.references.includes(m.inReplyTo)) add(m.inReplyTo);
  return out;
}

function cmpStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function parseTime(d: string | null): number {
  if (!d) return NaN;
  return Date.parse(d);
}

/** NaN sorts last. */
function cmpTime(a: number, b: number): number {
  const an = Number.isNaN(a);
  const bn = Number.isNaN(b);
  if (an || bn) return an === bn ? 0 : an ? 1 : -1;
  return a - b;
}

/** The record kept when an id occurs more than once: deterministic whatever the input order. */
function better(a: ThreadInput, b: ThreadInput): ThreadInput {
  const la = chainOf(a).length;
  const lb = chainOf(b).length;
  if (la !== lb) return la > lb ? a : b;
  const t = cmpTime(parseTime(a.date), parseTime(b.date));
  if (t !== 0) return t < 0 ? a : b;
  const sa = JSON.stringify([a.inReplyTo, a.references, a.date, a.subject]);
  const sb = JSON.stringify([b.inReplyTo, b.references, b.date, b.subject]);
  return sa <= sb ? a : b;
}

export function threadMessages(msgs: readonly ThreadInput[]): ThreadResult {
  // dedupe, sort by id
  const byId = new Map<string, ThreadInput>();
  for (const m of msgs) {
    if (!m.messageId) continue;
    const prev = byId.get(m.messageId);
    byId.set(m.messageId, prev ? better(prev, m) : m);
  }
  // the default order is cmpStr's (UTF-16 code units), without a comparator called 1.7M times for 100k ids
  const ids = [...byId.keys()].sort();

  const containers = new Map<string, Container>();
  const get = (id: string): Container => {
    let c = containers.get(id);
    if (!c) {
      c = { id, real: false, time: NaN, parent: null, children: [], sortTime: NaN, hasMsg: false };
      containers.set(id, c);
    }
    return c;
  };
  // would making `parent` the parent of `child` close a loop? (child is parent or one of its ancestors)
  const wouldLoop = (parent: Container, child: Container): boolean => {
    if (parent === child) return true;
    if (child.children.length === 0) return false;
    for (let c: Container | null = parent; c; c = c.parent) if (c === child) return true;
    return false;
  };
  const unlink = (child: Container) => {
    const p = child.parent;
    if (!p) return;
    const i = p.children.indexOf(child);
    if (i !== -1) p.children.splice(i, 1);
    child.parent = null;
  };
  const link = (parent: Container, child: Container) => {
    child.parent = parent;
    parent.children.push(child);
  };

  for (const id of ids) {
    const m = byId.get(id)!;
    const c = get(id);
    c.real = true;
    c.time = parseTime(m.date);
    const chain = chainOf(m).map(get);
    for (let i = 0; i + 1 < chain.length; i++) {
      const p = chain[i]!;
      const ch = chain[i + 1]!;
      if (ch.parent || wouldLoop(p, ch)) continue;
      link(p, ch);
    }
    const want = chain.length ? chain[chain.length - 1]! : null;
    if (c.parent === want) continue;
    if (want === null) {
      // no references: a root. (A parent guessed from others' References stays: nothing better is known.)
      continue;
    }
    if (wouldLoop(want, c)) continue;
    unlink(c);
    link(want, c);
  }

  // roots, and a pre-order of every tree (iterative)
  const roots = [...containers.values()].filter((c) => c.parent === null);
  const order: Container[] = [];
  for (const r of roots) {
    const stack = [r];
    while (stack.length) {
      const c = stack.pop()!;
      order.push(c);
      for (const ch of c.children) stack.push(ch);
    }
  }
  // earliest time per subtree: children come after their parent in pre-order, so go backwards
  for (const c of order) {
    c.sortTime = c.real ? c.time : NaN;
    c.hasMsg = c.real;
  }
  for (let i = order.length - 1; i >= 0; i--) {
    const c = order[i]!;
    const p = c.parent;
    if (!p) continue;
    if (cmpTime(c.sortTime, p.sortTime) < 0) p.sortTime = c.sortTime;
    if (c.hasMsg) p.hasMsg = true;
  }
  // a message sorts by its own date, a placeholder by the earliest date below it
  const key = (c: Container) => (c.real ? c.time : c.sortTime);
  const cmpContainer = (a: Container, b: Container) => cmpTime(key(a), key(b)) || cmpStr(a.id, b.id);

  roots.sort(cmpContainer);
  const threads: Thread[] = [];
  const parentOf = new Map<string, string | null>();
  // kept per tree: the root and the depth of every node, turned into maps only when asked for (derivation,
  // the main caller, needs neither: 200k map entries it would build for nothing)
  const visits: { root: string; nodes: Container[]; depths: number[] }[] = [];
  for (const r of roots) {
    if (!r.hasMsg) continue; // placeholders only (their children found better parents)
    const members: string[] = [];
    const placeholders: string[] = [];
    const visited: Container[] = [];
    const depths: number[] = [];
    const stack: [Container, number][] = [[r, 0]];
    while (stack.length) {
      const [c, depth] = stack.pop()!;
      visited.push(c);
      depths.push(depth);
      if (c.real) members.push(c.id);
      else placeholders.push(c.id);
      // placeholders with no message below them are dropped (JWZ prunes them too)
      if (c.children.length === 0) continue; // most nodes are leaves: nothing to sort
      const kids = c.children.filter((k) => k.hasMsg).sort(cmpContainer);
      for (let i = kids.length - 1; i >= 0; i--) stack.push([kids[i]!, depth + 1]);
    }
    for (const c of visited) parentOf.set(c.id, c.parent ? c.parent.id : null);
    visits.push({ root: r.id, nodes: visited, depths });
    threads.push({ root: r.id, rootIsPlaceholder: !r.real, members, placeholders: placeholders.sort(cmpStr) });
  }
  let rootOf: Map<string, string> | undefined;
  let depthOf: Map<string, number> | undefined;
  const maps = () => {
    rootOf = new Map();
    depthOf = new Map();
    for (const v of visits) {
      v.nodes.forEach((c, i) => {
        rootOf!.set(c.id, v.root);
        depthOf!.set(c.id, v.depths[i]);
      });
    }
  };
  return {
    threads,
    parentOf,
    get rootOf() {
      if (!rootOf) maps();
      return rootOf!;
    },
    get depthOf() {
      if (!depthOf) maps();
      return depthOf!;
    },
  };
}
