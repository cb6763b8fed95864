import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { threadMessages } from '../../../ingest/core/threader.ts';
import type { ThreadInput, ThreadResult } from '../../../ingest/core/threader.ts';
import { readMbox } from '../../../ingest/archive/mbox-reader.ts';

const CORPUS = new URL('../../fixtures/corpus', import.meta.url).pathname;
const hasCorpus = existsSync(join(CORPUS, 'archive.mbox'));

function msg(
  messageId: string,
  refs: string[] = [],
  opts: { inReplyTo?: string | null; date?: string | null } = {},
): ThreadInput {
  return {
    messageId,
    references: refs,
    inReplyTo: opts.inReplyTo === undefined ? (refs[refs.length - 1] ?? null) : opts.inReplyTo,
    date: opts.date === undefined ? null : opts.date,
    subject: '',
  };
}

/** Comparable form of a result (Maps as sorted entries). */
function plain(r: ThreadResult) {
  const sorted = <V>(m: Map<string, V>) => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return { threads: r.threads, parentOf: sorted(r.parentOf), rootOf: sorted(r.rootOf), depthOf: sorted(r.depthOf) };
}

function threadOf(r: ThreadResult, id: string) {
  return r.threads.find((t) => t.members.includes(id));
}

describe('threadMessages', () => {
  it('links by References, orders members depth first by date', () => {
    const r = threadMessages([
      msg('c', ['a', 'b'], { date: '2010-01-03T00:00:00Z' }),
      msg('a', [], { date: '2010-01-01T00:00:00Z' }),
      msg('d', ['a'], { date: '2010-01-02T12:00:00Z' }),
      msg('b', ['a'], { date: '2010-01-02T00:00:00Z' }),
      msg('x', [], { date: '2009-01-01T00:00:00Z' }),
    ]);
    expect(r.threads).toEqual([
      { root: 'x', rootIsPlaceholder: false, members: ['x'], placeholders: [] },
      { root: 'a', rootIsPlaceholder: false, members: ['a', 'b', 'c', 'd'], placeholders: [] },
    ]);
    expect(r.parentOf.get('c')).toBe('b');
    expect(r.parentOf.get('a')).toBeNull();
    expect(r.depthOf.get('c')).toBe(2);
  });

  it('uses In-Reply-To without References, and appends it when References lacks it', () => {
    const r = threadMessages([msg('a'), msg('b', [], { inReplyTo: 'a' }), msg('c', ['a'], { inReplyTo: 'b' })]);
    expect(r.parentOf.get('b')).toBe('a');
    expect(r.parentOf.get('c')).toBe('b');
  });

  it('keeps a missing parent as a placeholder root; the late parent joins under the same root', () => {
    const early = threadMessages([
      msg('r1', ['lost-root', 'lost-parent']),
      msg('r2', ['lost-root', 'lost-parent', 'r1']),
    ]);
    expect(early.threads).toEqual([
      { root: 'lost-root', rootIsPlaceholder: true, members: ['r1', 'r2'], placeholders: ['lost-parent', 'lost-root'] },
    ]);
    expect(early.parentOf.get('r1')).toBe('lost-parent');
    const late = threadMessages([
      msg('r1', ['lost-root', 'lost-parent']),
      msg('r2', ['lost-root', 'lost-parent', 'r1']),
      msg('lost-parent', ['lost-root']),
    ]);
    expect(late.threads).toEqual([
      { root: 'lost-root', rootIsPlaceholder: true, members: ['lost-parent', 'r1', 'r2'], placeholders: ['lost-root'] },
    ]);
    const full = threadMessages([
      msg('r1', ['lost-root', 'lost-parent']),
      msg('r2', ['lost-root', 'lost-parent', 'r1']),
      msg('lost-parent', ['lost-root']),
      msg('lost-root'),
    ]);
    expect(full.threads).toEqual([
      { root: 'lost-root', rootIsPlaceholder: false, members: ['lost-root', 'lost-parent', 'r1', 'r2'], placeholders: [] },
    ]);
  });

  it("a message's own References override a parent guessed from others", () => {
    // b's References say a -> x -> b (x unknown), but b itself says its parent is a
    const r = threadMessages([msg('c', ['a', 'x', 'b']), msg('b', ['a']), msg('a')]);
    expect(r.parentOf.get('b')).toBe('a');
    expect(r.parentOf.get('c')).toBe('b');
    // x lost its only child: a placeholder without messages below it is not reported
    expect(r.parentOf.has('x')).toBe(false);
    expect(r.threads).toHaveLength(1);
  });

  it('dedupes repeated ids deterministically', () => {
    const a = msg('m', ['p'], { date: '2010-01-01T00:00:00Z' });
    const b = msg('m', [], { date: '2010-01-02T00:00:00Z' });
    expect(plain(threadMessages([a, b, msg('p')]))).toEqual(plain(threadMessages([msg('p'), b, a])));
    expect(threadMessages([b, a, msg('p')]).parentOf.get('m')).toBe('p');
  });

  it('self references and reference loops terminate without a cycle', () => {
    const r = threadMessages([msg('a', ['b', 'a']), msg('b', ['a']), msg('c', ['c'])]);
    expect(r.threads.flatMap((t) => t.members).sort()).toEqual(['a', 'b', 'c']);
    expect(r.parentOf.get('c')).toBeNull();
    assertForest(r);
  });

  it.each([10_000, 100_000])('handles a %i-deep reply chain iteratively', (n) => {
    const id = (i: number) => `m${String(i).padStart(6, '0')}`;
    const msgs: ThreadInput[] = [];
    for (let i = 0; i < n; i++) {
      const refs = i === 0 ? [] : [id(0), ...(i > 1 ? [id(i - 1)] : [])]; // truncated References, as mailers do
      msgs.push(msg(id(i), refs, { date: new Date(Date.UTC(2010, 0, 1) + i * 1000).toISOString() }));
    }
    for (const input of [msgs, msgs.slice().reverse()]) {
      const r = threadMessages(input);
      expect(r.threads).toHaveLength(1);
      expect(r.threads[0]!.members).toEqual(msgs.map((m) => m.messageId));
      expect(r.depthOf.get(id(n - 1))).toBe(n - 1);
    }
  }, 20_000);

  // small random graphs: ids from a tiny alphabet so References point at each other, at themselves, in cycles
  const ids = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g');
  const input = fc
    .uniqueArray(
      fc.record({
        messageId: ids,
        references: fc.array(ids, { maxLength: 5 }),
        inReplyTo: fc.option(ids, { nil: null }),
        date: fc.option(fc.constantFrom('2010-01-01T00:00:00Z', '2010-01-02T00:00:00Z', 'garbage'), { nil: null }),
        subject: fc.constant(''),
      }),
      { selector: (m) => m.messageId, maxLength: 7 },
    )
    .chain((msgs) => fc.tuple(fc.constant(msgs), fc.shuffledSubarray(msgs, { minLength: msgs.length })));

  it('does not depend on input order (property)', () => {
    fc.assert(
      fc.property(input, ([msgs, shuffled]) => {
        expect(plain(threadMessages(shuffled))).toEqual(plain(threadMessages(msgs)));
      }),
      { numRuns: 500 },
    );
  });

  it('does not depend on input order with duplicate ids either (property)', () => {
    const dupes = fc
      .array(
        fc.record({
          messageId: ids,
          references: fc.array(ids, { maxLength: 4 }),
          inReplyTo: fc.option(ids, { nil: null }),
          date: fc.option(fc.constantFrom('2010-01-01T00:00:00Z', '2010-01-02T00:00:00Z'), { nil: null }),
          subject: fc.constantFrom('', 's'),
        }),
        { maxLength: 10 },
      )
      .chain((msgs) => fc.tuple(fc.constant(msgs), fc.shuffledSubarray(msgs, { minLength: msgs.length })));
    fc.assert(
      fc.property(dupes, ([msgs, shuffled]) => {
        expect(plain(threadMessages(shuffled))).toEqual(plain(threadMessages(msgs)));
      }),
      { numRuns: 500 },
    );
  });

  it('always yields a forest holding every message once, even with cyclic References (property)', () => {
    fc.assert(
      fc.property(input, ([msgs]) => {
        const r = threadMessages(msgs);
        assertForest(r);
        const members = r.threads.flatMap((t) => t.members);
        expect(members.slice().sort()).toEqual(msgs.map((m) => m.messageId).sort());
        for (const m of msgs) {
          // a message whose parent is set sits under the last id of its chain whenever that makes no loop
          const p = r.parentOf.get(m.messageId);
          if (p !== null && p !== undefined) expect(r.rootOf.get(p)).toBe(r.rootOf.get(m.messageId));
        }
      }),
      { numRuns: 500 },
    );
  });
});

/** parentOf has no cycle, roots are roots of their own thread, depth matches. */
function assertForest(r: ThreadResult) {
  for (const [id] of r.parentOf) {
    let steps = 0;
    let cur: string | null | undefined = id;
    let last = id;
    while (cur !== null && cur !== undefined) {
      last = cur;
      cur = r.parentOf.get(cur);
      if (++steps > r.parentOf.size + 1) throw new Error(`cycle through ${id}`);
    }
    expect(r.rootOf.get(id)).toBe(last);
    expect(r.depthOf.get(id)).toBe(steps - 1);
  }
  for (const t of r.threads) {
    expect(r.parentOf.get(t.root)).toBeNull();
    for (const m of t.members) expect(r.rootOf.get(m)).toBe(t.root);
  }
}

describe.skipIf(!hasCorpus)('threadMessages on the sample corpus', () => {
  it('puts every truth thread group in one thread; the orphan under its missing root', async () => {
    const truth = JSON.parse(readFileSync(join(CORPUS, 'truth.json'), 'utf8')) as {
      threads: { members: string[] }[];
      orphans: string[];
    };
    const inputs: ThreadInput[] = [];
    const file = readFileSync(join(CORPUS, 'archive.mbox'));
    async function* once() {
      yield file;
    }
    for await (const raw of readMbox(once(), { source: 'archive.mbox' })) {
      const text = raw.bytes.toString('latin1');
      const end = text.search(/\r?\n\r?\n/);
      const head = (end === -1 ? text : text.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ');
      const header = (name: string) => new RegExp(`^${name}:(.*)$`, 'im').exec(head)?.[1] ?? '';
      const idsIn = (s: string) => s.match(/<[^<>\s]+>/g) ?? [];
      const messageId = idsIn(header('Message-ID'))[0];
      if (!messageId) continue;
      inputs.push({
        messageId,
        references: idsIn(header('References')),
        inReplyTo: idsIn(header('In-Reply-To'))[0] ?? null,
        date: header('Date').trim() || null,
        subject: header('Subject').trim(),
      });
    }
    expect(inputs.length).toBeGreaterThan(250);
    const r = threadMessages(inputs);
    expect(truth.threads.length).toBeGreaterThan(0);
    for (const group of truth.threads) {
      const roots = new Set(group.members.map((id) => r.rootOf.get(id)));
      expect(roots.size, JSON.stringify(group.members)).toBe(1);
      expect([...roots][0]).toBeDefined();
    }
    for (const orphan of truth.orphans) {
      const t = threadOf(r, orphan)!;
      expect(t.rootIsPlaceholder).toBe(true);
      expect(t.root).not.toBe(orphan);
    }
    assertForest(r);
  });
});
