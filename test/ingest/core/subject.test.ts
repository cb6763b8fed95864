import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MAX_TAGS, parseSubject } from '../../../ingest/core/subject.ts';

type Expect = { title: string; tags: string[]; version?: number; index?: number | null; total?: number | null; isReply?: boolean };

// Subject forms seen on kernel lists (patchwork's test suite and lore), with what they must mean.
const CASES: [string, Expect][] = [
  ['[PATCH] kexec: fix purgatory', { title: 'kexec: fix purgatory', tags: ['PATCH'] }],
  ['[PATCH v2 3/5] x86: foo', { title: 'x86: foo', tags: ['PATCH'], version: 2, index: 3, total: 5 }],
  ['[RFC][PATCH v2 3/5] x86: foo', { title: 'x86: foo', tags: ['RFC', 'PATCH'], version: 2, index: 3, total: 5 }],
  ['[PATCH net-next v2 1/2] tcp: bar', { title: 'tcp: bar', tags: ['PATCH', 'NET-NEXT'], version: 2, index: 1, total: 2 }],
  ['[PATCH net,v2,1/2] tcp: bar', { title: 'tcp: bar', tags: ['PATCH', 'NET'], version: 2, index: 1, total: 2 }],
  ['[PATCHv3 1/8] mm: baz', { title: 'mm: baz', tags: ['PATCH'], version: 3, index: 1, total: 8 }],
  ['[PATCH1/8] mm: baz', { title: 'mm: baz', tags: ['PATCH'], index: 1, total: 8 }],
  ['[PATCH v6,19/24] mm: baz', { title: 'mm: baz', tags: ['PATCH'], version: 6, index: 19, total: 24 }],
  ['[PATCH 3 of 5] hg: style', { title: 'hg: style', tags: ['PATCH'], index: 3, total: 5 }],
  ['[GIT PULL] x86/amd-iommu fixes for 2.6.34', { title: 'x86/amd-iommu fixes for 2.6.34', tags: ['GIT PULL'] }],
  ['[RFC PATCH] iommu/amd: skip flushing', { title: 'iommu/amd: skip flushing', tags: ['RFC', 'PATCH'] }],
  ['[RESEND PATCH] kdump: doc', { title: 'kdump: doc', tags: ['RESEND', 'PATCH'] }],
  ['[PATCH] kdump: doc (v4)', { title: 'kdump: doc', tags: ['PATCH'], version: 4 }],
  ['(v4) kdump: doc', { title: 'kdump: doc', tags: [], version: 4 }],
  ['Re: [PATCH] kdump: doc', { title: 'kdump: doc', tags: ['PATCH'], isReply: true }],
  ['RE: Re: Fwd: [PATCH 0/3] series', { title: 'series', tags: ['PATCH'], index: 0, total: 3, isReply: true }],
  ['Aw: Sv: Fw: hello', { title: 'hello', tags: [], isReply: true }],
  ['[kexec] Re: [PATCH] kdump: doc', { title: 'kdump: doc', tags: ['KEXEC', 'PATCH'], isReply: true }],
  ['[PATCH V2 01/12] foo', { title: 'foo', tags: ['PATCH'], version: 2, index: 1, total: 12 }],
  ['[PATCH 1/3 v2] order swapped', { title: 'order swapped', tags: ['PATCH'], version: 2, index: 1, total: 3 }],
  ['[RFC/PATCH] slash', { title: 'slash', tags: ['RFC', 'PATCH'] }],
  ['[PATCH iommu/amd] subsystem tag with slash', { title: 'subsystem tag with slash', tags: ['PATCH', 'IOMMU/AMD'] }],
  ['[PATCH -v2] dash', { title: 'dash', tags: ['PATCH'], version: 2 }],
  ['[PATCH 2.6.33] stable', { title: 'stable', tags: ['PATCH', '2.6.33'] }],
  ['[PATCH]: colon after bracket', { title: 'colon after bracket', tags: ['PATCH'] }],
  ['Re[2]: counted reply', { title: 'counted reply', tags: [], isReply: true }],
  ['kexec-tools release?', { title: 'kexec-tools release?', tags: [] }],
  ['  [PATCH]   folded\t  title  ', { title: 'folded title', tags: ['PATCH'] }],
  ['[PATCH] fix [bracket] inside the title', { title: 'fix [bracket] inside the title', tags: ['PATCH'] }],
  ['Review of (v2) in the middle', { title: 'Review of (v2) in the middle', tags: [] }],
  ['Regression in kexec', { title: 'Regression in kexec', tags: [] }],
];

describe('parseSubject', () => {
  it.each(CASES)('%s', (subject, e) => {
    const s = parseSubject(subject);
    expect(s.raw).toBe(subject);
    expect(s.title).toBe(e.title);
    expect(s.tags).toEqual(e.tags);
    expect(s.version).toBe(e.version ?? 1);
    expect(s.index).toBe(e.index ?? null);
    expect(s.total).toBe(e.total ?? null);
    expect(s.isReply).toBe(e.isReply ?? false);
  });

  it('never throws, always gives a version >= 1 and a title found in the subject', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 120 }), (subject) => {
        const s = parseSubject(subject);
        expect(s.version).toBeGreaterThanOrEqual(1);
        expect(subject.replace(/\s+/g, ' ')).toContain(s.title);
      }),
      { numRuns: 500 },
    );
  });
});

// Issue 13 item 8: 100,000 distinct `[tag]`s took 17 s for one subject (a tag list searched once per tag).
describe('a subject with a hostile number of tags', () => {
  const N = 100_000;
  it('is read through in linear time and keeps only the first MAX_TAGS tags', () => {
    const many = Array.from({ length: N }, (_, i) => `[t${i}]`).join('') + '[PATCH v3 2/7] x: y';
    const oneBracket = '[' + Array.from({ length: N }, (_, i) => `t${i}`).join(' ') + ' v3 2/7] x: y';
    for (const s of [many, oneBracket]) {
      const t0 = performance.now();
      const r = parseSubject(s);
      // generous: the quadratic reading took seconds here; the linear one takes tens of milliseconds
      expect(performance.now() - t0).toBeLessThan(1500);
      expect(r.tags).toHaveLength(MAX_TAGS);
      expect(r.tags.slice(0, 3)).toEqual(['T0', 'T1', 'T2']);
      expect(r).toMatchObject({ title: 'x: y', version: 3, index: 2, total: 7 });
    }
    // repeated tags are one tag, whatever their number
    expect(parseSubject('[PATCH]'.repeat(N) + ' x').tags).toEqual(['PATCH']);
  });
});
