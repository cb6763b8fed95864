import { describe, expect, it } from 'vitest';
import type { Acceptance } from '../../../ingest/core/acceptance.ts';
import type { Posting } from '../../../ingest/core/series.ts';
import { patchAcceptances, seriesAcceptance } from '../../../ingest/core/series-acceptance.ts';

const posting = (cover: string | null, patches: string[]): Posting => ({
  anchor: cover ?? patches[0], title: 't', version: 1, total: patches.length, cover, patches, complete: true,
  author: { name: 'A', email: 'a@x' }, date: null, previous: null, next: null, chain: cover ?? patches[0],
} as Posting);
const acc = (messageId: string): Acceptance => ({ messageId, by: { name: 'M', email: 'm@x' }, date: '2020-01-01T00:00:00Z' });

describe('seriesAcceptance', () => {
  it('is the cover\'s acceptance, else the last patch\'s when every patch was accepted, else none', () => {
    expect(seriesAcceptance(posting('c', ['p1', 'p2']), new Map([['c', acc('r0')], ['p2', acc('r2')]]))?.messageId).toBe('r0');
    expect(seriesAcceptance(posting('c', ['p1', 'p2']), new Map([['p1', acc('r1')], ['p2', acc('r2')]]))?.messageId).toBe('r2');
    expect(seriesAcceptance(posting('c', ['p1', 'p2']), new Map([['p2', acc('r2')]]))).toBeUndefined();
    expect(seriesAcceptance(posting('c', []), new Map())).toBeUndefined();
  });
});

describe('patchAcceptances', () => {
  it('gives a patch its own acceptance, else its cover\'s, else none', () => {
    const got = patchAcceptances([posting('c', ['p1', 'p2']), posting(null, ['q'])], new Map([['c', acc('rc')], ['p2', acc('r2')]]));
    expect([...got].map(([id, a]) => [id, a.messageId])).toEqual([['p1', 'rc'], ['p2', 'r2']]);
  });
});
