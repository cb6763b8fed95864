// Evidence from notices: which patches each kind of notice names, and the state and strongest evidence it gives.
import { describe, expect, it } from 'vitest';
import {
  findEvidence, inProcessingOrder, NoticeOrderError, patchState, processingOrder, resolveNotices, seriesState, strongest, type EvidenceLookup,
  type NoticeHead, type PostedHead, type TargetedEvidence,
} from '../../../ingest/core/evidence.ts';
import type { Notice } from '../../../ingest/core/notice.ts';
import { normaliseTitle } from '../../../ingest/core/series.ts';
import type { AcceptanceStatement } from '../../../ingest/core/acceptance-text.ts';

const ada = { name: 'Ada Bauer', email: 'ada@amd.example' };
const joerg = { name: 'Joerg Roedel', email: 'joro@8bytes.org' };
const qian = { name: 'Qian Cai', email: 'cai@lca.pw' };
const other = { name: 'Someone Else', email: 'else@example.org' };

const patch = (id: string, p: Partial<PostedHead> = {}): PostedHead => ({
  messageId: id, title: id, from: ada, date: '2020-04-01T00:00:00.000Z', isPatch: true, kind: 'patch',
  index: null, seriesId: null, copy: false, ...p,
});

function lookup(heads: PostedHead[]): EvidenceLookup {
  const byId = new Map(heads.map((h) => [h.messageId, h]));
  return {
    head: (id) => byId.get(id),
    members: (s) => heads.filter((h) => h.seriesId === s),
    titled: (t) => heads.filter((h) => h.isPatch && normaliseTitle(h.title) === t),
  };
}

const said = (s: Partial<AcceptanceStatement> = {}): Notice => ({
  kind: 'reply', statement: { indexes: null, series: false, except: [], tree: null, branch: null, commit: null, url: null, sentence: 'Applied.', ...s },
});
const notice = (id: string, n: Notice, p: Partial<NoticeHead> = {}): NoticeHead => ({
  messageId: id, from: joerg, date: '2020-04-10T00:00:00.000Z', inReplyTo: null, references: [], notice: n, ...p,
});
const targets = (ev: TargetedEvidence[], kind?: string) => [...new Set(ev.filter((e) => !kind || e.kind === kind).map((e) => e.target))].sort();

// a cover and three patches, posting 7
const series = [
  patch('c', { kind: 'cover', isPatch: false, index: 0, seriesId: 7 }),
  patch('p1', { index: 1, seriesId: 7, title: 'iommu/amd: one' }),
  patch('p2', { index: 2, seriesId: 7, title: 'iommu/amd: two' }),
  patch('p3', { index: 3, seriesId: 7, title: 'iommu/amd: three' }),
];

describe("a maintainer's reply", () => {
  it('accepts the patch it answers', () => {
    const ev = findEvidence([notice('r', said({ tree: 'iommu' }), { inReplyTo: 'p2', references: ['c', 'p2'] })], lookup(series));
    expect(ev).toEqual([{ target: 'p2', kind: 'reply', state: 'accepted', by: joerg, date: '2020-04-10T00:00:00.000Z', messageId: 'r', tree: 'iommu', branch: null, commit: null, url: null }]);
  });

  it('accepts every patch of the posting, and the cover, when it answers the cover', () => {
    expect(targets(findEvidence([notice('r', said(), { inReplyTo: 'c', references: ['c'] })], lookup(series)))).toEqual(['c', 'p1', 'p2', 'p3']);
  });

  it("accepts the patch above a reviewer's proposal it answers, not the proposal", () => {
    const heads = [...series, patch('prop', { kind: 'proposal', from: other, title: 'Re: iommu/amd: two' })];
    const ev = findEvidence([notice('r', said(), { inReplyTo: 'prop', references: ['c', 'p2', 'prop'] })], lookup(heads));
    expect(targets(ev)).toEqual(['p2']);
  });

  it('accepts the patch threading placed the reply under when its own headers name only a reply', () => {
    const heads = [...series, patch('q', { kind: 'reply', isPatch: false, from: other, title: 'Re: iommu/amd: three' })];
    const ev = findEvidence([notice('r', said(), { inReplyTo: 'q', references: ['q'], answers: 'p3' })], lookup(heads));
    expect(targets(ev)).toEqual(['p3']);
  });

  it('accepts only the patches named, or the series minus those excepted', () => {
    expect(targets(findEvidence([notice('r', said({ indexes: [1, 3] }), { inReplyTo: 'c' })], lookup(series)))).toEqual(['p1', 'p3']);
    expect(targets(findEvidence([notice('r', said({ series: true, except: [2] }), { inReplyTo: 'p1' })], lookup(series)))).toEqual(['p1', 'p3']);
  });

  it('an author accepting their own patch counts only when they accept other people\'s too', () => {
    const mine = [patch('own', { from: joerg }), patch('theirs', { from: qian })];
    const self = notice('r1', said(), { inReplyTo: 'own' });
    expect(findEvidence([self], lookup(mine))).toEqual([]);
    expect(targets(findEvidence([self, notice('r2', said(), { inReplyTo: 'theirs' })], lookup(mine)))).toEqual(['own', 'theirs']);
  });

  it('stands on the message it answers when the patch was posted elsewhere', () => {
    const heads = [patch('q', { isPatch: false, kind: 'reply', from: qian })];
    expect(targets(findEvidence([notice('r', said(), { inReplyTo: 'q', references: ['gone', 'q'] })], lookup(heads)))).toEqual(['q']);
  });
});

describe("b4's thank-you", () => {
  it('accepts exactly the listed patches, by index and title, each with its commit', () => {
    const b4: Notice = { kind: 'b4-thanks', tree: 'iommu', branch: 'x86/amd', items: [
      { index: 1, total: 3, title: 'iommu/amd: one', commit: 'aaaaaaaaaaaa', url: 'https://git.kernel.org/joro/c/aaaaaaaaaaaa' },
      { index: 3, total: 3, title: 'iommu/amd: three', commit: 'cccccccccccc', url: null },
    ] };
    const ev = findEvidence([notice('ty', b4, { inReplyTo: 'p1', references: ['c', 'p1'] })], lookup(series));
    expect(ev.map((e) => [e.target, e.commit, e.tree, e.branch])).toEqual([['p1', 'aaaaaaaaaaaa', 'iommu', 'x86/amd'], ['p3', 'cccccccccccc', 'iommu', 'x86/amd']]);
  });
});

describe('a pull request and pr-tracker-bot', () => {
  // Joerg posted "fix race" twice before the pull (v1, v2) and once after it (v3); someone else posted a patch of Ada's title
  const heads = [
    patch('ada-flush', { title: 'iommu/amd: Flush before shutdown', from: ada, date: '2020-04-02T00:00:00.000Z' }),
    patch('else-flush', { title: 'iommu/amd: Flush before shutdown', from: other, date: '2020-04-05T00:00:00.000Z' }),
    patch('race-v1', { title: 'iommu/amd: Fix race', from: joerg, date: '2020-04-03T00:00:00.000Z' }),
    patch('race-v2', { title: 'iommu/amd: fix race.', from: joerg, date: '2020-04-08T00:00:00.000Z' }),
    patch('race-v3', { title: 'iommu/amd: Fix race', from: joerg, date: '2020-04-20T00:00:00.000Z' }),
    patch('qian', { title: 'iommu/amd: Fix legacy remapping', from: { name: 'Qian  Cai via iommu', email: 'iommu@lists.linux-foundation.org' }, date: '2020-04-04T00:00:00.000Z' }),
    patch('stable-copy', { title: 'iommu/amd: Fix legacy remapping', from: qian, date: '2020-04-06T00:00:00.000Z', copy: true }),
  ];
  const pull = notice('pull', { kind: 'pull-request', tree: 'git://git.kernel.org/pub/scm/linux/kernel/git/joro/iommu.git', branch: 'tags/iommu-fixes', head: 'f00d', shortlog: [
    { author: 'Ada Bauer', titles: ['iommu/amd: Flush before shutdown'] },
    { author: 'Joerg Roedel', titles: ['iommu/amd: Fix race'] },
    { author: 'Qian Cai', titles: ['iommu/amd: Fix legacy remapping'] },
  ] }, { date: '2020-04-17T00:00:00.000Z' });
  const bot = notice('bot', { kind: 'pull-merged', tree: 'torvalds/linux.git', commit: '2e602db7290b', url: 'https://git.kernel.org/torvalds/c/2e602db7290b' },
    { from: { name: '', email: 'pr-tracker-bot@kernel.org' }, date: '2020-04-18T00:00:00.000Z', inReplyTo: 'pull', references: ['pull'] });

  it("accepts, for each shortlog entry, the newest posting of that title by that author before the pull", () => {
    const ev = findEvidence([pull], lookup(heads));
    expect(targets(ev)).toEqual(['ada-flush', 'qian', 'race-v2']);
    expect(ev.every((e) => e.kind === 'pull-request' && e.state === 'accepted' && e.branch === 'tags/iommu-fixes')).toBe(true);
  });

  it('takes a title posted on the author\'s behalf by one sender, not one that two senders posted', () => {
    const sent = [
      patch('on-behalf', { title: 'iommu/amd: Fix race', from: { name: 'A Maintainer', email: 'm@example.org' }, date: '2020-04-08T00:00:00.000Z' }),
      patch('twice-a', { title: 'iommu/amd: Flush before shutdown', from: other, date: '2020-04-05T00:00:00.000Z' }),
      patch('twice-b', { title: 'iommu/amd: Flush before shutdown', from: qian, date: '2020-04-06T00:00:00.000Z' }),
    ];
    expect(targets(findEvidence([pull], lookup(sent)))).toEqual(['on-behalf']);
  });

  it("pr-tracker-bot's answer makes them merged upstream, with the merge commit", () => {
    const ev = findEvidence([bot, pull], lookup(heads));
    expect(targets(ev, 'pull-merged')).toEqual(['ada-flush', 'pull', 'qian', 'race-v2']);
    const race = ev.filter((e) => e.target === 'race-v2');
    expect(race[0]).toMatchObject({ kind: 'pull-merged', state: 'merged', commit: '2e602db7290b' }); // strongest first
    expect(patchState(race, false)).toBe('merged');
  });
});

describe('commit notices and stable copies', () => {
  it("tip-bot2 accepts the posting it answers even when the committer edited the title", () => {
    const heads = [patch('p', { title: 'x86/efi: update e820 about reserved data', from: { name: 'Dave Young', email: 'dyoung@redhat.com' } })];
    const tip = notice('tip', { kind: 'commit-notice', tree: 'tip', branch: 'x86/urgent', commit: 'af1648984828', url: 'https://git.kernel.org/tip/af1648984828',
      title: 'x86/efi: Update e820 with reserved data', author: { name: 'Dave Young', email: 'dyoung@redhat.com' } }, { inReplyTo: 'p' });
    expect(findEvidence([tip], lookup(heads))).toMatchObject([{ target: 'p', kind: 'commit-notice', state: 'accepted', branch: 'x86/urgent', commit: 'af1648984828' }]);
  });

  it('a stable copy makes the original posting of its title by its author merged upstream, not another copy', () => {
    const heads = [
      patch('orig', { title: 'iommu/amd: Flush before shutdown', date: '2020-04-02T00:00:00.000Z' }),
      patch('copy-5.4', { title: 'iommu/amd: Flush before shutdown', date: '2020-04-21T00:00:00.000Z', copy: true }),
    ];
    const st = notice('copy-5.6', { kind: 'stable', commit: '5b7a2b3c9d0e', title: 'iommu/amd: Flush before shutdown', author: ada }, { date: '2020-04-21T00:00:00.000Z' });
    expect(findEvidence([st], lookup(heads))).toMatchObject([{ target: 'orig', kind: 'stable', state: 'merged', commit: '5b7a2b3c9d0e', url: 'https://git.kernel.org/torvalds/c/5b7a2b3c9d0e' }]);
  });
});

describe('state and strength', () => {
  const e = (kind: TargetedEvidence['kind'], state: 'accepted' | 'merged', commit: string | null, date: string) =>
    ({ target: 't', kind, state, by: null, date, messageId: kind + date, tree: null, branch: null, commit, url: null }) as TargetedEvidence;
  it('merged beats accepted, a commit beats none, then the earliest', () => {
    const reply = e('reply', 'accepted', null, '2020-01-01'), b4 = e('b4-thanks', 'accepted', 'abc', '2020-01-05'), st = e('stable', 'merged', 'def', '2020-03-01');
    expect(strongest([reply, b4])).toBe(b4);
    expect(strongest([reply, b4, st])).toBe(st);
    expect(strongest([e('reply', 'accepted', null, '2020-02-01'), reply])).toBe(reply);
    expect(strongest([])).toBeNull();
  });
  it('a patch is merged, accepted, superseded or proposed; a series takes the weakest of its patches', () => {
    expect(patchState([e('reply', 'accepted', null, 'x')], true)).toBe('accepted');
    expect(patchState([], true)).toBe('superseded');
    expect(patchState([], false)).toBe('proposed');
    expect(seriesState(['merged', 'merged'], false)).toBe('merged');
    expect(seriesState(['merged', 'accepted'], false)).toBe('accepted');
    expect(seriesState(['merged', 'proposed'], true)).toBe('superseded');
  });
});

describe('a stable copy of a commit whose title the committer edited', () => {
  it('finds the original through the commit a commit notice named', () => {
    const dave = { name: 'Dave Young', email: 'dyoung@redhat.com' };
    const heads = [patch('orig', { title: 'x86/efi: update e820 about reserved data', from: dave, date: '2019-12-04T00:00:00.000Z' })];
    const tip = notice('tip', { kind: 'commit-notice', tree: 'tip', branch: 'x86/urgent', commit: 'af164898482817a1d487964b68f3c21bae7a1beb', url: null,
      title: 'x86/efi: Update e820 with reserved data', author: dave }, { inReplyTo: 'orig', date: '2019-12-04T10:00:00.000Z' });
    const st = notice('stable', { kind: 'stable', commit: 'af164898482817a1d487964b68f3c21bae7a1beb', title: 'x86/efi: Update e820 with reserved data', author: dave },
      { date: '2019-12-27T00:00:00.000Z' });
    // the stable copy first: the order of the notices does not matter
    const ev = findEvidence([st, tip], lookup(heads));
    expect(ev.map((e) => [e.target, e.kind, e.state])).toEqual([['orig', 'stable', 'merged'], ['orig', 'commit-notice', 'accepted']]);
  });
});

describe('notices resolved as a stream (resolveNotices)', () => {
  /** The stream started again on each call, with what was read and found, in the order it happened. */
  function stream(notices: NoticeHead[]) {
    const log: string[] = [];
    let passes = 0;
    const inOrder = () => {
      const pass = ++passes;
      return (function* () {
        for (const n of notices) {
          log.push(`read ${n.messageId} (${pass})`);
          yield n;
        }
      })();
    };
    const found: TargetedEvidence[] = [];
    const emit = (e: TargetedEvidence) => {
      log.push(`found ${e.target} ${e.kind} by ${e.messageId}`);
      found.push(e);
    };
    return { inOrder, emit, log, found, passes: () => passes };
  }

  it('reads the notices twice and hands each piece on as its notice is resolved, in order', () => {
    const s = stream([notice('r1', said(), { inReplyTo: 'p1', date: '2020-04-10T00:00:00.000Z' }), notice('r2', said(), { inReplyTo: 'p3', date: '2020-04-11T00:00:00.000Z' })]);
    resolveNotices(s.inOrder, lookup(series), s.emit);
    expect(s.passes()).toBe(2);
    expect(s.log).toEqual(['read r1 (1)', 'read r2 (1)', 'read r1 (2)', 'found p1 reply by r1', 'read r2 (2)', 'found p3 reply by r2']);
  });

  it('takes a maintainer\'s own patch when the stream shows him taking someone else\'s only later', () => {
    const mine = [patch('own', { from: joerg }), patch('theirs', { from: qian })];
    const s = stream([notice('r1', said(), { inReplyTo: 'own', date: '2020-04-10T00:00:00.000Z' }), notice('r2', said(), { inReplyTo: 'theirs', date: '2020-05-10T00:00:00.000Z' })]);
    resolveNotices(s.inOrder, lookup(mine), s.emit);
    expect(s.found.map((e) => e.target)).toEqual(['own', 'theirs']);
  });

  it('hands on every piece a notice gives, a repeated one too: findEvidence keeps the first', () => {
    const twice: Notice = { kind: 'b4-thanks', tree: 'iommu', branch: null, items: [
      { index: 2, total: 3, title: 'iommu/amd: two', commit: '1111111aaaaa', url: null },
      { index: null, total: null, title: 'iommu/amd: two', commit: '2222222bbbbb', url: null },
    ] };
    const s = stream([notice('ty', twice, { inReplyTo: 'c' })]);
    resolveNotices(s.inOrder, lookup(series), s.emit);
    expect(s.found.map((e) => [e.target, e.commit])).toEqual([['p2', '1111111aaaaa'], ['p2', '2222222bbbbb']]);
    expect(findEvidence([notice('ty', twice, { inReplyTo: 'c' })], lookup(series)).map((e) => [e.target, e.commit])).toEqual([['p2', '1111111aaaaa']]);
  });

  it("holds what crosses notices: a pull request's patches for pr-tracker-bot, a commit for a stable copy", () => {
    const dave = { name: 'Dave Young', email: 'dyoung@redhat.com' };
    const heads = [
      patch('flush', { title: 'iommu/amd: Flush before shutdown', from: ada, date: '2020-04-02T00:00:00.000Z' }),
      patch('efi', { title: 'x86/efi: update e820 about reserved data', from: dave, date: '2020-04-03T00:00:00.000Z' }),
    ];
    const pull = notice('pull', { kind: 'pull-request', tree: 'iommu', branch: null, head: null, shortlog: [{ author: 'Ada Bauer', titles: ['iommu/amd: Flush before shutdown'] }] },
      { date: '2020-04-17T00:00:00.000Z' });
    const bot = notice('bot', { kind: 'pull-merged', tree: 'torvalds/linux.git', commit: '2e602db7290b', url: null },
      { from: { name: '', email: 'pr-tracker-bot@kernel.org' }, date: '2020-04-18T00:00:00.000Z', inReplyTo: 'x', references: ['pull', 'x'] });
    const tip = notice('tip', { kind: 'commit-notice', tree: 'tip', branch: 'x86/urgent', commit: 'af16489848', url: null, title: 'x86/efi: Update e820', author: dave },
      { inReplyTo: 'efi', date: '2020-04-19T00:00:00.000Z' });
    const st = notice('st', { kind: 'stable', commit: 'af164898482817a1', title: 'x86/efi: Update e820 with reserved data', author: dave }, { date: '2020-04-01T00:00:00.000Z' });
    const s = stream([pull, bot, tip, st]);
    resolveNotices(s.inOrder, lookup(heads), s.emit);
    expect(s.found.map((e) => [e.target, e.kind, e.commit])).toEqual([
      ['flush', 'pull-request', null], ['pull', 'pull-merged', '2e602db7290b'], ['flush', 'pull-merged', '2e602db7290b'],
      ['efi', 'commit-notice', 'af16489848'], ['efi', 'stable', 'af164898482817a1'],
    ]);
    // resolved in the order given: pr-tracker-bot's answer before the pull request finds no patch of it
    const early = stream([bot, pull]);
    resolveNotices(early.inOrder, lookup(heads), early.emit);
    expect(early.found.map((e) => [e.target, e.kind])).toEqual([['pull', 'pull-merged'], ['flush', 'pull-request']]);
  });
});

describe('the order notices are resolved in', () => {
  const at = (id: string, date: string | null, n: Notice = said()) => notice(id, n, { date });
  const stable: Notice = { kind: 'stable', commit: '0123456789ab', title: 't', author: null };

  it('stable copies last, then by time (the undated last), then by Message-ID as JavaScript compares strings', () => {
    const notices = [
      at('z-stable', '2000-01-01T00:00:00.000Z', stable), at('undated', null), at('empty', ''), at('late', '2020-05-01T00:00:00.000Z'),
      at('a\uFFFD', '2020-04-01T00:00:00.000Z'), at('a\u{1F600}', '2020-04-01T01:00:00.000+01:00'), at('early', '2019-01-01T00:00:00.000Z'),
    ];
    const sorted = [...notices].sort(processingOrder).map((n) => n.messageId);
    expect(sorted).toEqual(['early', 'a\u{1F600}', 'a\uFFFD', 'late', 'empty', 'undated', 'z-stable']);
    expect([...inProcessingOrder([...notices].sort(processingOrder))].map((n) => n.messageId)).toEqual(sorted);
  });

  it('a stream out of that order, repeating a notice, or with a date Date.parse cannot read is refused before it is handed on', () => {
    const read = (notices: NoticeHead[]) => {
      const seen: string[] = [];
      try {
        for (const n of inProcessingOrder(notices)) seen.push(n.messageId);
      } catch (e) {
        return { seen, error: e instanceof NoticeOrderError ? e.messageId : String(e) };
      }
      return { seen, error: null };
    };
    expect(read([at('a', '2020-01-02T00:00:00.000Z'), at('b', '2020-01-01T00:00:00.000Z')])).toEqual({ seen: ['a'], error: 'b' });
    expect(read([at('a', '2020-01-01T00:00:00.000Z'), at('a', '2020-01-01T00:00:00.000Z')])).toEqual({ seen: ['a'], error: 'a' });
    expect(read([at('a', '2020-01-01T00:00:00.000Z'), at('b', 'someday')])).toEqual({ seen: ['a'], error: 'b' });
    expect(read([at('s', '2000-01-01T00:00:00.000Z', stable), at('a', '2020-01-01T00:00:00.000Z')])).toEqual({ seen: ['s'], error: 'a' });
    expect(read([at('a', null), at('b', '2020-01-01T00:00:00.000Z')])).toEqual({ seen: ['a'], error: 'b' });
    expect(read([at('a', '2020-01-01T00:00:00.000Z'), at('b', null), at('c', null)])).toEqual({ seen: ['a', 'b', 'c'], error: null });
  });
});
