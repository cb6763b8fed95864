import { describe, expect, it } from 'vitest';
import { findSeries, normaliseTitle, type MessageHead } from '../../../ingest/core/series.ts';

let clock = Date.parse('2010-03-01T10:00:00Z');
function head(id: string, p: Partial<MessageHead> & { index?: number | null; total?: number | null }): MessageHead {
  clock += 60_000;
  return {
    messageId: id, title: 't', version: 1, index: null, total: null,
    from: { name: 'A', email: 'a@x' }, date: new Date(clock).toISOString(), inReplyTo: null, references: [],
    kind: 'patch', isPatch: true, changeId: null, supersedes: null, ...p,
  };
}

describe('findSeries', () => {
  it('groups a cover and its patches, in index order, complete', () => {
    const c = head('c', { kind: 'cover', isPatch: false, index: 0, total: 2, title: 'rework' });
    const p2 = head('p2', { index: 2, total: 2, inReplyTo: 'c', references: ['c'] });
    const p1 = head('p1', { index: 1, total: 2, inReplyTo: 'c', references: ['c'] });
    const [s] = findSeries([p2, c, p1]);
    expect(s).toMatchObject({ anchor: 'c', cover: 'c', patches: ['p1', 'p2'], total: 2, complete: true, title: 'rework' });
  });

  it('marks a posting with a missing patch incomplete', () => {
    const c = head('c', { kind: 'cover', isPatch: false, index: 0, total: 3 });
    const p1 = head('p1', { index: 1, total: 3, references: ['c'], inReplyTo: 'c' });
    expect(findSeries([c, p1])[0].complete).toBe(false);
  });

  it('keeps a v2 sent in reply to the v1 cover as its own series, linked as the next version', () => {
    const c1 = head('c1', { kind: 'cover', isPatch: false, index: 0, total: 1, title: 'rework attach' });
    const p1 = head('p1', { index: 1, total: 1, references: ['c1'], inReplyTo: 'c1' });
    const c2 = head('c2', { kind: 'cover', isPatch: false, index: 0, total: 1, version: 2, title: 'rework attach', inReplyTo: 'c1', references: ['c1'] });
    const p2 = head('p2', { index: 1, total: 1, version: 2, references: ['c1', 'c2'], inReplyTo: 'c2' });
    const s = findSeries([c1, p1, c2, p2]);
    expect(s).toHaveLength(2);
    const v2 = s.find((x) => x.version === 2)!;
    expect(v2.patches).toEqual(['p2']);
    expect(v2.previous).toBe('c1');
    expect(s.find((x) => x.version === 1)!.next).toBe('c2');
  });

  it('orders versions by date, not number (issue 15: a restarted "v1" posted after a v2 comes after it)', () => {
    const v2 = head('v2', { version: 2, title: 'fix it' });
    const v1 = head('v1', { version: 1, title: 'Fix it.' });
    const chain = findSeries([v1, v2]);
    expect(chain.find((x) => x.anchor === 'v1')!.previous).toBe('v2');
    expect(chain.every((x) => x.chain === 'v2')).toBe(true);
  });

  it('links a single-patch v2 sent in reply to v1 even when the title changed', () => {
    const v1 = head('v1', { title: 'force flush of iommu prior to shutdown' });
    const v2 = head('v2', { version: 2, title: 'force flush of iommu during shutdown', inReplyTo: 'v1', references: ['v1'] });
    expect(findSeries([v1, v2]).find((x) => x.anchor === 'v2')!.previous).toBe('v1');
  });

  it('links versions by change-id', () => {
    const a = head('a', { title: 'one', changeId: '20240101-foo-1' });
    const b = head('b', { title: 'two', version: 2, changeId: '20240101-foo-1' });
    expect(findSeries([a, b]).find((x) => x.anchor === 'b')!.previous).toBe('a');
  });

  it('groups cover-less patches of one author, version and total sent together', () => {
    const a = head('a', { index: 1, total: 2, title: 'x' });
    const b = head('b', { index: 2, total: 2, title: 'y' });
    const other = head('o', { index: 2, total: 2, from: { name: 'B', email: 'b@x' } });
    const s = findSeries([a, b, other]);
    expect(s.find((x) => x.anchor === 'a')!.patches).toEqual(['a', 'b']);
    expect(s.find((x) => x.anchor === 'o')!.patches).toEqual(['o']);
  });

  it('finds the cover of patches that name no parent: same author (any case), version and total, within hours', () => {
    const c = head('c', { kind: 'cover', isPatch: false, index: 0, total: 2, title: 'rework', from: { name: 'A', email: 'A@X' } });
    const p1 = head('p1', { index: 1, total: 2 });
    const p2 = head('p2', { index: 2, total: 2 });
    const replying = head('r', { index: 1, total: 2, inReplyTo: 'elsewhere', references: ['elsewhere'] }); // names a parent: not joined
    const otherVersion = head('v3', { index: 1, total: 2, version: 3 });
    const s = findSeries([c, p1, p2, replying, otherVersion]);
    expect(s.map((x) => [x.anchor, x.cover, x.patches])).toEqual([['c', 'c', ['p1', 'p2']], ['r', null, ['r']], ['v3', null, ['v3']]]);
  });

  it('does not depend on input order', () => {
    const c = head('c', { kind: 'cover', isPatch: false, index: 0, total: 2 });
    const p1 = head('p1', { index: 1, total: 2, references: ['c'], inReplyTo: 'c' });
    const p2 = head('p2', { index: 2, total: 2, references: ['c'], inReplyTo: 'c' });
    const lone = head('l', { title: 'lone' });
    expect(findSeries([lone, p2, p1, c])).toEqual(findSeries([c, p1, p2, lone]));
  });

  it('normalises titles for version matching', () => {
    expect(normaliseTitle('x86/amd-iommu: Flush caches!')).toBe(normaliseTitle('x86 amd iommu flush  caches'));
  });
});

// issue 15: postings as real lists send them
const DAY = 24 * 3600 * 1000;
const at = (iso: string) => new Date(Date.parse(iso)).toISOString();
describe('findSeries: covers and patches that disagree', () => {
  it('takes a cover\'s author\'s patches that answer it, whatever version they say ("v3 0/2" with "v2 1/2")', () => {
    const c = head('c', { kind: 'cover', isPatch: false, index: 0, total: 2, version: 3 });
    const p1 = head('p1', { index: 1, total: 2, version: 2, inReplyTo: 'c', references: ['c'] });
    const p2 = head('p2', { index: 2, total: 2, version: 2, inReplyTo: 'c', references: ['c'] });
    const s = findSeries([c, p1, p2]);
    expect(s).toHaveLength(1);
    expect(s[0]).toMatchObject({ anchor: 'c', version: 3, patches: ['p1', 'p2'], complete: true });
  });

  it('"00/10 v2" with "01/10": one posting of v2', () => {
    const c = head('c', { kind: 'cover', isPatch: false, index: 0, total: 2, version: 2 });
    const ps = [1, 2].map((i) => head(`p${i}`, { index: i, total: 2, inReplyTo: 'c', references: ['c'] }));
    expect(findSeries([c, ...ps])).toMatchObject([{ version: 2, patches: ['p1', 'p2'] }]);
  });

  it('"00/2" with "01/3" .. "03/3": the patches say how many there are', () => {
    const c = head('c', { kind: 'cover', isPatch: false, index: 0, total: 2 });
    const ps = [1, 2, 3].map((i) => head(`p${i}`, { index: i, total: 3, inReplyTo: 'c', references: ['c'] }));
    expect(findSeries([c, ...ps])).toMatchObject([{ total: 3, patches: ['p1', 'p2', 'p3'], complete: true }]);
  });

  it('takes a patch that names no parent when it was sent with a cover of its author, version and size', () => {
    const c = head('c', { kind: 'cover', isPatch: false, index: 0, total: 2, version: 4 });
    const p1 = head('p1', { index: 1, total: 2, version: 4, inReplyTo: 'c', references: ['c'] });
    const p2 = head('p2', { index: 2, total: 2, version: 4 }); // sent on its own, minutes later
    expect(findSeries([c, p1, p2])).toMatchObject([{ anchor: 'c', patches: ['p1', 'p2'], complete: true }]);
  });

  it('never takes another author\'s patch that answers the cover', () => {
    const c = head('c', { kind: 'cover', isPatch: false, index: 0, total: 2 });
    const p1 = head('p1', { index: 1, total: 2, inReplyTo: 'c', references: ['c'] });
    const other = head('o', { index: 2, total: 2, inReplyTo: 'c', references: ['c'], from: { name: 'B', email: 'b@x' } });
    expect(findSeries([c, p1, other]).find((s) => s.anchor === 'c')!.patches).toEqual(['p1']);
  });

  it('a first message without 0/N that the patches answer is the cover (index null, kind cover)', () => {
    const c = head('c', { kind: 'cover', isPatch: false, index: null, total: null, title: 'RFC: use dma_alloc_noncoherent' });
    const ps = [1, 2].map((i) => head(`p${i}`, { index: i, total: 2, inReplyTo: 'c', references: ['c'] }));
    expect(findSeries([c, ...ps])).toMatchObject([{ anchor: 'c', cover: 'c', total: 2, patches: ['p1', 'p2'] }]);
    expect(findSeries([head('alone', { kind: 'cover', isPatch: false, index: null, total: null })])).toEqual([]);
  });
});

describe('findSeries: partial resends and reposts', () => {
  it('"[PATCH 2/3 v2]" into v1\'s thread: v2 of that patch, in v1\'s chain', () => {
    const c = head('c', { kind: 'cover', isPatch: false, index: 0, total: 3, date: at('2021-01-01T10:00:00Z') });
    const ps = [1, 2, 3].map((i) => head(`p${i}`, { index: i, total: 3, inReplyTo: 'c', references: ['c'], date: at('2021-01-01T10:00:0' + i + 'Z') }));
    const r = head('r', { index: 2, total: 3, version: 2, inReplyTo: 'p2', references: ['c', 'p2'], date: at('2021-01-03T10:00:00Z') });
    const s = findSeries([c, ...ps, r]);
    expect(s.find((x) => x.anchor === 'c')!.patches).toEqual(['p1', 'p2', 'p3']);
    expect(s.find((x) => x.anchor === 'r')).toMatchObject({ version: 2, patches: ['r'], previous: 'c', chain: 'c', link: 'partial', complete: false });
  });

  it('a retitled repost in reply to the first posting is its next version', () => {
    const a = head('a', { title: 'kexec: fix the thing' });
    const b = head('b', { title: 'kexec: handle the thing differently', inReplyTo: 'a', references: ['a'] });
    expect(findSeries([a, b]).find((x) => x.anchor === 'b')).toMatchObject({ previous: 'a', chain: 'a', link: 'version' });
  });
});

describe('findSeries: version chains', () => {
  it('an address change (same name) and small title drift do not break a chain', () => {
    const v1 = head('v1', { title: 'Convert the AMD iommu driver to the dma-iommu api', from: { name: 'Tom Murphy', email: 'tom@old.example' } });
    const v2 = head('v2', { version: 2, title: 'Convert AMD iommu driver to the dma-iommu api', from: { name: 'Tom Murphy', email: 'tom@new.example' } });
    expect(findSeries([v1, v2]).find((x) => x.anchor === 'v2')).toMatchObject({ previous: 'v1', link: 'version' });
  });

  it('finds a new version with a cover whose title differs from v1\'s single patch, by the patches', () => {
    const v1 = head('v1', { title: 'iommu/amd: flush before shutdown' });
    const c = head('c', { kind: 'cover', isPatch: false, index: 0, total: 2, version: 2, title: 'iommu/amd: shutdown fixes' });
    const p1 = head('p1', { index: 1, total: 2, version: 2, title: 'iommu/amd: flush before shutdown', inReplyTo: 'c', references: ['c'] });
    const p2 = head('p2', { index: 2, total: 2, version: 2, title: 'iommu/amd: disable after flush', inReplyTo: 'c', references: ['c'] });
    expect(findSeries([v1, c, p1, p2]).find((x) => x.anchor === 'c')).toMatchObject({ previous: 'v1', chain: 'v1' });
  });

  it('a RESEND of the same version is linked as a resend; never to a later posting', () => {
    const a = head('a', { version: 2, title: 'fix it' });
    const b = head('b', { version: 2, title: 'fix it' });
    const s = findSeries([b, a]);
    expect(s.find((x) => x.anchor === 'b')).toMatchObject({ previous: 'a', link: 'resend' });
    expect(s.find((x) => x.anchor === 'a')).toMatchObject({ previous: null, next: 'b', link: null });
  });

  it('stable backports are never versions: linked to the original as backports', () => {
    const orig = head('o', { title: 'kexec: bail out upon SIGKILL' });
    const b1 = head('b1', { title: 'kexec: bail out upon SIGKILL', index: 47, total: 63, backport: true, from: { name: 'Sasha', email: 's@k.example' } });
    const b2 = head('b2', { title: 'kexec: bail out upon SIGKILL', index: 36, total: 43, backport: true, from: { name: 'Sasha', email: 's@k.example' } });
    const own = head('b3', { title: 'kexec: bail out upon SIGKILL', backport: true });
    const s = findSeries([orig, b1, b2, own]);
    expect(s.find((x) => x.anchor === 'o')).toMatchObject({ previous: null, next: null, link: null });
    for (const id of ['b1', 'b2', 'b3']) expect(s.find((x) => x.anchor === id)).toMatchObject({ previous: null, next: null, chain: id, link: 'backport', backportOf: 'o' });
  });
});
