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

  it('orders versions by number, not date', () => {
    const v3 = head('v3', { version: 3, title: 'fix it' });
    const v2 = head('v2', { version: 2, title: 'Fix it.' });
    const chain = findSeries([v3, v2]);
    expect(chain.find((x) => x.anchor === 'v3')!.previous).toBe('v2');
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
