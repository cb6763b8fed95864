import v8 from 'node:v8';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { detectInOrder, detectRegressions, postingsInOrder, presenceKey } from '../../../ingest/core/fix-rules.ts';
import { collectGarbage } from '../../../ingest/run/collect-garbage.ts';
import { indexCalls } from '../../../ingest/core/call-index.ts';
import type { CallChange, DeclaredFix, OrderChange, PatchFacts } from '../../../ingest/core/model.ts';
import { DEFAULT_RULES, fixtureFiles } from '../../detection/helpers.ts';

const A = 'arch/x86/kernel/amd_iommu.c';
const I = 'arch/x86/kernel/amd_iommu_init.c';
const INIT_FN = 'amd_iommu_init_dma_ops';
const DEV = 'amd_iommu_flush_all_devices';
const DOM = 'amd_iommu_flush_all_domains';

type Change = [op: 'added' | 'removed', fn: string | null, path: string | null, call: string, file?: string];

interface P {
  date: string;
  series?: string;
  chain?: string;
  version?: number;
  index?: number | null;
  accepted?: boolean;
  tags?: string[];
  calls?: Change[];
  orders?: Omit<OrderChange, 'messageId'>[];
  renames?: { from: string; to: string }[];
}

/** A literal patch: its call changes as [op, function, path, call, file]. */
function patch(id: string, p: P): PatchFacts {
  const callChanges: CallChange[] = (p.calls ?? []).map(([op, fn, path, call, file]) => ({
    messageId: id, file: file ?? A, function: fn, path, call, op, line: `\t${call}();`, rule: 'amd_iommu',
  }));
  return {
    messageId: id, subject: id, date: p.date, author: { name: 'A', email: 'a@x' },
    seriesId: p.series ?? id, chainId: p.chain ?? p.series ?? id, version: p.version ?? 1, index: p.index ?? null,
    tags: p.tags ?? [], accepted: p.accepted ? { by: { name: 'M', email: 'm@x' }, date: p.date, messageId: `ack-${id}` } : null,
    callChanges, orderChanges: (p.orders ?? []).map((o) => ({ ...o, messageId: id })), renames: p.renames ?? [],
  };
}

const fix1 = () => patch('fix-1', { date: '2009-06-11T10:00:00Z', accepted: true, calls: [['added', INIT_FN, 'init', DEV], ['added', INIT_FN, 'init', DOM]] });

describe('known fixes', () => {
  it('an accepted patch adding a watched call establishes a presence fix; an unaccepted one does not', () => {
    const { fixes, regressions } = detectRegressions([
      fix1(),
      patch('proposal', { date: '2009-07-01T00:00:00Z', calls: [['added', 'iommu_disable', 'shutdown', 'iommu_flush_all_caches', I]] }),
    ]);
    expect(fixes.map((f) => [f.kind, f.file, f.function, f.path, f.call, f.introducedBy, f.status])).toEqual([
      ['presence', A, INIT_FN, 'init', DEV, 'fix-1', 'active'],
      ['presence', A, INIT_FN, 'init', DOM, 'fix-1', 'active'],
    ]);
    expect(regressions).toEqual([]);
  });

  it('a flush added to a helper outside any path is a fix too (path null)', () => {
    const { fixes, regressions } = detectRegressions([
      patch('dte', { date: '2010-01-01T00:00:00Z', accepted: true, calls: [['added', 'set_dte_entry', null, 'iommu_flush_device']] }),
      patch('drop', { date: '2010-02-01T00:00:00Z', calls: [['removed', 'set_dte_entry', null, 'iommu_flush_device']] }),
    ]);
    expect(fixes).toHaveLength(1);
    expect(fixes[0].path).toBeNull();
    expect(regressions.map((r) => [r.fixKey, r.removedBy, r.status])).toEqual([[fixes[0].key, ['drop'], 'open']]);
  });

  it('keys are stable strings that name what the fix is', () => {
    const { fixes } = detectRegressions([fix1()]);
    expect(fixes[0].key).toBe(`presence:${A}:${INIT_FN}:${DEV}:fix-1`);
  });
});

describe('regressions: presence fixes', () => {
  it('a posted removal opens a regression with the fix, the message, the evidence and the date', () => {
    const { regressions, fixes } = detectRegressions([
      fix1(),
      patch('rm', { date: '2009-11-08T10:18:44Z', calls: [['removed', INIT_FN, 'init', DEV]] }),
    ]);
    const devFix = fixes.find((f) => f.call === DEV)!;
    expect(regressions.map(({ detail: _d, ...r }) => r)).toEqual([{
      key: `${devFix.key}|rm`, fixKey: devFix.key, fixMessage: 'fix-1', removedBy: ['rm'], evidence: [`-\t${DEV}();`],
      firstSeen: '2009-11-08T10:18:44Z', status: 'open', resolvedBy: null, resolution: null, related: [],
    }]);
    expect(regressions[0].detail).toEqual({
      sites: [{ messageId: 'rm', file: A, function: INIT_FN, call: DEV, lines: [`-\t${DEV}();`] }],
      versions: [{ version: 1, series: 'rm', messages: ['rm'], taken: false }], taken: false, how: 'removed', movedTo: null, proposal: false,
    });
    expect(devFix.status).toBe('active'); // not accepted: the code still has it
  });

  it('an RFC counts like any other patch', () => {
    const { regressions } = detectRegressions([
      fix1(),
      patch('rfc', { date: '2010-11-13T00:00:00Z', tags: ['RFC'], calls: [['removed', INIT_FN, 'init', DOM]] }),
    ]);
    expect(regressions.map((r) => [r.removedBy, r.status])).toEqual([[['rfc'], 'open']]);
  });

  it('v1 and v2 of one removal are one regression with both messages; an accepted v2 marks the fix removed', () => {
    const { regressions, fixes } = detectRegressions([
      fix1(),
      patch('v1-2', { date: '2009-11-08T00:00:00Z', series: 'v1', chain: 'v1', index: 2, calls: [['removed', INIT_FN, 'init', DEV]] }),
      patch('v2-2', { date: '2009-11-23T00:00:00Z', series: 'v2', chain: 'v1', version: 2, index: 2, accepted: true, calls: [['removed', INIT_FN, 'init', DEV]] }),
    ]);
    expect(regressions).toHaveLength(1);
    expect(regressions[0].removedBy).toEqual(['v1-2', 'v2-2']);
    expect(regressions[0].status).toBe('open');
    expect(regressions[0].firstSeen).toBe('2009-11-08T00:00:00Z');
    expect(fixes.find((f) => f.call === DEV)!.status).toBe('removed');
  });

  it('a move within one series (removed in 2/3, re-added to another init function in 3/3) is not a regression', () => {
    const v1 = [
      patch('v1-2', { date: '2009-11-08T00:00:01Z', series: 'v1', index: 2, calls: [['removed', INIT_FN, 'init', DOM]] }),
      patch('v1-3', { date: '2009-11-08T00:00:02Z', series: 'v1', index: 3, calls: [['added', 'prealloc_protection_domains', 'init', DOM]] }),
    ];
    const unaccepted = detectRegressions([fix1(), ...v1]);
    expect(unaccepted.regressions).toEqual([]);
    expect(unaccepted.fixes.find((f) => f.call === DOM)!.status).toBe('active');

    const v2 = [
      patch('v2-2', { date: '2009-11-23T00:00:01Z', series: 'v2', chain: 'v1', version: 2, index: 2, accepted: true, calls: [['removed', INIT_FN, 'init', DOM]] }),
      patch('v2-3', { date: '2009-11-23T00:00:02Z', series: 'v2', chain: 'v1', version: 2, index: 3, accepted: true, calls: [['added', 'prealloc_protection_domains', 'init', DOM]] }),
    ];
    const { regressions, fixes } = detectRegressions([fix1(), ...v1, ...v2]);
    expect(regressions).toEqual([]);
    const old = fixes.find((f) => f.call === DOM && f.function === INIT_FN)!;
    const moved = fixes.find((f) => f.call === DOM && f.function === 'prealloc_protection_domains')!;
    expect([old.status, old.movedTo]).toEqual(['moved', moved.key]);
    expect([moved.status, moved.movedFrom, moved.introducedBy, moved.path]).toEqual(['active', old.key, 'v2-3', 'init']);

    // a later removal from the new place undoes the moved fix, introduced by the adding message
    const later = detectRegressions([fix1(), ...v1, ...v2, patch('rm', { date: '2010-11-13T00:00:00Z', calls: [['removed', 'prealloc_protection_domains', 'init', DOM]] })]);
    expect(later.regressions.map((r) => [r.fixKey, r.fixMessage, r.removedBy])).toEqual([[moved.key, 'v2-3', ['rm']]]);
  });

  it('re-added to another path class by the same series is still a regression', () => {
    const { regressions } = detectRegressions([
      fix1(),
      patch('s-1', { date: '2010-01-01T00:00:00Z', series: 's', index: 1, calls: [['removed', INIT_FN, 'init', DEV]] }),
      patch('s-2', { date: '2010-01-01T00:00:01Z', series: 's', index: 2, calls: [['added', 'iommu_disable', 'shutdown', DEV, I]] }),
    ]);
    expect(regressions.map((r) => [r.removedBy, r.status, r.related])).toEqual([[['s-1'], 'open', ['s-2']]]);
  });

  it('with a null path class, moving to another function is judged per function: a regression', () => {
    const { regressions } = detectRegressions([
      patch('dte', { date: '2010-01-01T00:00:00Z', accepted: true, calls: [['added', 'set_dte_entry', null, 'iommu_flush_device']] }),
      patch('mv', { date: '2010-02-01T00:00:00Z', calls: [['removed', 'set_dte_entry', null, 'iommu_flush_device'], ['added', 'do_attach', null, 'iommu_flush_device']] }),
    ]);
    expect(regressions.map((r) => r.removedBy)).toEqual([['mv']]);
  });

  it('re-fix: an accepted re-add resolves the regression and re-establishes the fix for later regressions', () => {
    const facts = [
      fix1(),
      patch('v1-2', { date: '2009-11-08T00:00:00Z', series: 'v1', index: 2, calls: [['removed', INIT_FN, 'init', DEV]] }),
      patch('v2-2', { date: '2009-11-23T00:00:00Z', series: 'v2', chain: 'v1', version: 2, index: 2, accepted: true, calls: [['removed', INIT_FN, 'init', DEV]] }),
      patch('shutdown-v1', { date: '2010-03-31T00:00:00Z', calls: [['added', 'iommu_disable', 'shutdown', DEV, I]] }),
      patch('shutdown-v2', { date: '2010-04-02T05:00:00Z', chain: 'shutdown-v1', version: 2, calls: [['added', 'iommu_disable', 'shutdown', DEV, I]] }),
      patch('refix', { date: '2010-04-02T18:00:00Z', accepted: true, calls: [['added', INIT_FN, 'init', DEV]] }),
      patch('after', { date: '2010-06-01T00:00:00Z', calls: [['added', 'amd_iommu_resume', 'init', DEV, I]] }),
      patch('trim', { date: '2010-11-28T00:00:00Z', calls: [['removed', INIT_FN, 'init', DEV]] }),
    ];
    const { regressions, fixes } = detectRegressions(facts);
    const dev = fixes.filter((f) => f.call === DEV);
    expect(dev).toHaveLength(1); // the refix re-establishes the fix, it does not make a new one
    expect(dev[0].status).toBe('active');
    expect(dev[0].history.map((h) => h.type)).toEqual(['introduced', 'removed', 'refixed']);
    const [r1, r5] = regressions;
    expect([r1.removedBy, r1.status, r1.resolution, r1.resolvedBy, r1.fixMessage]).toEqual([['v1-2', 'v2-2'], 'resolved', 'refixed', 'refix', 'fix-1']);
    // the shutdown-path patches re-did what the init path lost: linked; the resolver and later adders are not
    expect(r1.related).toEqual(['shutdown-v1', 'shutdown-v2']);
    expect([r5.fixKey, r5.fixMessage, r5.removedBy, r5.status]).toEqual([dev[0].key, 'refix', ['trim'], 'open']);
    expect(r5.related).toEqual([]);
  });

  it('dropped: a later version of the removing patch that no longer removes it resolves it; a v3 removing again reopens', () => {
    const base = [
      fix1(),
      patch('trim-v1', { date: '2010-11-28T00:00:00Z', calls: [['removed', INIT_FN, 'init', DEV]] }),
      patch('trim-v2', { date: '2010-11-30T00:00:00Z', chain: 'trim-v1', version: 2, calls: [] }),
    ];
    const a = detectRegressions(base).regressions;
    expect(a.map((r) => [r.removedBy, r.status, r.resolution, r.resolvedBy])).toEqual([[['trim-v1'], 'resolved', 'dropped', 'trim-v2']]);
    const b = detectRegressions([...base, patch('trim-v3', { date: '2010-12-05T00:00:00Z', chain: 'trim-v1', version: 3, calls: [['removed', INIT_FN, 'init', DEV]] })]).regressions;
    expect(b.map((r) => [r.removedBy, r.status, r.resolvedBy])).toEqual([[['trim-v1', 'trim-v3'], 'open', null]]);
    expect(b[0].key).toBe(a[0].key);
  });

  it('dropped in a series: resolvedBy is the patch with the same index in the later version', () => {
    const { regressions } = detectRegressions([
      fix1(),
      patch('a-1', { date: '2010-01-01T00:00:01Z', series: 'a', index: 1, calls: [] }),
      patch('a-2', { date: '2010-01-01T00:00:02Z', series: 'a', index: 2, calls: [['removed', INIT_FN, 'init', DOM]] }),
      patch('b-1', { date: '2010-02-01T00:00:01Z', series: 'b', chain: 'a', version: 2, index: 1, calls: [] }),
      patch('b-2', { date: '2010-02-01T00:00:02Z', series: 'b', chain: 'a', version: 2, index: 2, calls: [] }),
    ]);
    expect(regressions.map((r) => [r.status, r.resolution, r.resolvedBy])).toEqual([['resolved', 'dropped', 'b-2']]);
  });

  it('follows an accepted rename: later removals under the new name match the fix', () => {
    const D = 'drivers/iommu/amd_iommu_init.c';
    const { fixes, regressions } = detectRegressions([
      patch('k3', { date: '2009-07-11T00:00:00Z', accepted: true, calls: [['added', 'iommu_disable', 'shutdown', 'iommu_flush_all_caches', I]] }),
      patch('mv', { date: '2010-07-26T00:00:00Z', accepted: true, renames: [{ from: I, to: D }] }),
      patch('rm', { date: '2010-09-24T00:00:00Z', calls: [['removed', 'iommu_disable', 'shutdown', 'iommu_flush_all_caches', D]] }),
    ]);
    expect(fixes[0].file).toBe(D);
    expect(fixes[0].key).toContain(I); // the key keeps the file at introduction
    expect(fixes[0].history.map((h) => [h.type, h.messageId])).toContainEqual(['renamed', 'mv']);
    expect(regressions.map((r) => r.removedBy)).toEqual([['rm']]);
  });

  it('an unaccepted rename moves nothing; removals in an unrelated file do not match', () => {
    const D = 'drivers/iommu/amd_iommu_init.c';
    const { fixes, regressions } = detectRegressions([
      patch('k3', { date: '2009-07-11T00:00:00Z', accepted: true, calls: [['added', 'iommu_disable', 'shutdown', 'iommu_flush_all_caches', I]] }),
      patch('mv', { date: '2010-07-26T00:00:00Z', renames: [{ from: I, to: D }] }),
      patch('rm', { date: '2010-09-24T00:00:00Z', calls: [['removed', 'iommu_disable', 'shutdown', 'iommu_flush_all_caches', D]] }),
    ]);
    expect(fixes[0].file).toBe(I);
    expect(regressions).toEqual([]);
  });

  it('a removal posted before the fix existed is not a regression of it', () => {
    const { regressions } = detectRegressions([
      patch('early', { date: '2009-01-01T00:00:00Z', calls: [['removed', INIT_FN, 'init', DEV]] }),
      fix1(),
    ]);
    expect(regressions).toEqual([]);
  });

  it('a declared path-level fix: removal from any function of the path opens, a move inside the path does not', () => {
    const declared: DeclaredFix[] = [{ kind: 'presence', file: I, function: null, path: 'shutdown', call: 'iommu_flush_all_caches', before: [], introducedBy: null }];
    const move = detectRegressions([patch('m', { date: '2010-01-01T00:00:00Z', calls: [
      ['removed', 'disable_iommus', 'shutdown', 'iommu_flush_all_caches', I], ['added', 'iommu_disable', 'shutdown', 'iommu_flush_all_caches', I]] })], declared);
    expect(move.regressions).toEqual([]);
    expect(move.fixes.map((f) => [f.declared, f.status])).toEqual([[true, 'active']]);
    const rm = detectRegressions([patch('r', { date: '2010-01-01T00:00:00Z', calls: [['removed', 'disable_iommus', 'shutdown', 'iommu_flush_all_caches', I]] })], declared);
    expect(rm.regressions.map((r) => [r.removedBy, r.fixMessage])).toEqual([[['r'], null]]);
  });
});

describe('regressions: order fixes', () => {
  const facts = (id: string, fixture: string, p: P): PatchFacts => {
    const ix = indexCalls(id, fixtureFiles(fixture), DEFAULT_RULES);
    return { ...patch(id, p), callChanges: ix.callChanges, orderChanges: ix.orderChanges };
  };
  const real = (accepted: boolean) => facts('real', 'real-75f66533-enable-iommu-before-attaching.patch', { date: '2010-04-03T00:00:00Z', accepted });
  const reversal = () => facts('reversal', 'order-reversal.diff', { date: '2010-08-25T00:00:00Z' });

  it('declared O1 + the synthetic reversal: an order regression opens', () => {
    const O1: DeclaredFix = {
      kind: 'order', file: I, function: 'amd_iommu_init', path: 'init', call: 'enable_iommus',
      before: ['amd_iommu_init_passthrough', 'amd_iommu_init_notifier'], introducedBy: 'real',
    };
    const { fixes, regressions } = detectRegressions([reversal()], [O1]);
    expect(fixes.map((f) => [f.kind, f.declared, f.call, f.before])).toEqual([['order', true, 'enable_iommus', O1.before]]);
    expect(regressions).toHaveLength(1);
    expect([regressions[0].fixKey, regressions[0].fixMessage, regressions[0].removedBy, regressions[0].status])
      .toEqual([fixes[0].key, 'real', ['reversal'], 'open']);
    expect(regressions[0].evidence).toContain('-\tenable_iommus();');
  });

  it('the accepted real fix establishes the order fix itself; its reversal opens, an accepted restore resolves', () => {
    const a = detectRegressions([real(true), reversal()]);
    expect(a.fixes.map((f) => [f.kind, f.function, f.call, [...f.before].sort(), f.introducedBy])).toEqual([
      ['order', 'amd_iommu_init', 'enable_iommus', ['amd_iommu_init_notifier', 'amd_iommu_init_passthrough'], 'real'],
    ]);
    expect(a.regressions.map((r) => [r.removedBy, r.status])).toEqual([[['reversal'], 'open']]);

    const restore = facts('restore', 'real-75f66533-enable-iommu-before-attaching.patch', { date: '2010-09-01T00:00:00Z', accepted: true });
    const b = detectRegressions([real(true), reversal(), restore]);
    expect(b.regressions.map((r) => [r.status, r.resolution, r.resolvedBy])).toEqual([['resolved', 'refixed', 'restore']]);
    expect(b.fixes).toHaveLength(1);
  });

  it('the unaccepted real patch establishes nothing, so its reversal is no regression', () => {
    expect(detectRegressions([real(false), reversal()])).toEqual({ fixes: [], regressions: [] });
  });
});

const story = (): PatchFacts[] => [
    fix1(),
    patch('v1-2', { date: '2009-11-08T00:00:01Z', series: 'v1', index: 2, calls: [['removed', INIT_FN, 'init', DEV], ['removed', INIT_FN, 'init', DOM]] }),
    patch('v1-3', { date: '2009-11-08T00:00:02Z', series: 'v1', index: 3, calls: [['added', 'prealloc_protection_domains', 'init', DOM]] }),
    patch('v2-2', { date: '2009-11-23T00:00:01Z', series: 'v2', chain: 'v1', version: 2, index: 2, accepted: true, calls: [['removed', INIT_FN, 'init', DEV], ['removed', INIT_FN, 'init', DOM]] }),
    patch('v2-3', { date: '2009-11-23T00:00:02Z', series: 'v2', chain: 'v1', version: 2, index: 3, accepted: true, calls: [['added', 'prealloc_protection_domains', 'init', DOM]] }),
    patch('cand', { date: '2010-03-31T00:00:00Z', calls: [['added', 'iommu_disable', 'shutdown', DEV, I]] }),
    patch('refix', { date: '2010-04-02T00:00:00Z', accepted: true, calls: [['added', INIT_FN, 'init', DEV]] }),
    patch('nodate', { date: null as unknown as string, calls: [['removed', 'prealloc_protection_domains', 'init', DOM]] }),
];

describe('determinism', () => {
  it('the result does not depend on the input order (undated patches come last)', () => {
    const expected = detectRegressions(story());
    expect(expected.regressions.length).toBe(2);
    expect(expected.regressions[1].removedBy).toEqual(['nodate']);
    fc.assert(fc.property(fc.shuffledSubarray(story(), { minLength: story().length }), (shuffled) => {
      expect(detectRegressions(shuffled)).toEqual(expected);
    }), { numRuns: 50 });
  });
});

describe('regressions per fix and removing chain (issue 15)', () => {
  it('one chain removing several call sites of one fix is one regression listing every site and version', () => {
    const { regressions } = detectRegressions([
      fix1(),
      patch('v1', { date: '2010-01-01T00:00:00Z', chain: 'v1', calls: [['removed', INIT_FN, 'init', DEV]] }),
      patch('v2', { date: '2010-02-01T00:00:00Z', chain: 'v1', version: 2, accepted: true, calls: [['removed', INIT_FN, 'init', DEV], ['removed', INIT_FN, 'init', DOM]] }),
    ]);
    expect(regressions).toHaveLength(1);
    const [r] = regressions;
    expect(r.removedBy).toEqual(['v1', 'v2']);
    expect(r.detail!.sites.map((x) => [x.messageId, x.function, x.call])).toEqual([['v1', INIT_FN, DEV], ['v2', INIT_FN, DEV], ['v2', INIT_FN, DOM]]);
    expect(r.detail!.versions).toEqual([
      { version: 1, series: 'v1', messages: ['v1'], taken: false },
      { version: 2, series: 'v2', messages: ['v2'], taken: true },
    ]);
    expect(r.detail!.taken).toBe(true);
  });

  it('says whether the call went with its whole function', () => {
    const rm = patch('rm', { date: '2010-01-01T00:00:00Z', calls: [['removed', INIT_FN, 'init', DEV]] });
    const { regressions } = detectRegressions([fix1(), { ...rm, deletedFunctions: [{ file: A, function: INIT_FN }] }]);
    expect(regressions[0].detail).toMatchObject({ how: 'function-deleted', movedTo: null });
  });

  it('says where the call went when the series moved it outside the path class', () => {
    const { regressions } = detectRegressions([
      fix1(),
      patch('mv', { date: '2010-01-01T00:00:00Z', calls: [['removed', INIT_FN, 'init', DEV], ['added', 'amd_iommu_shutdown', 'shutdown', DEV]] }),
    ]);
    expect(regressions[0].detail).toMatchObject({ how: 'moved-out', movedTo: { file: A, function: 'amd_iommu_shutdown', path: 'shutdown' } });
  });

  it('marks a regression whose every removal is a proposal (a reply\'s diff)', () => {
    const rm = patch('prop', { date: '2010-01-01T00:00:00Z', calls: [['removed', INIT_FN, 'init', DEV]] });
    const { regressions } = detectRegressions([fix1(), { ...rm, proposal: true }]);
    expect(regressions[0].detail!.proposal).toBe(true);
  });

  it('keeps its key whatever the input order', () => {
    const input = [
      fix1(),
      patch('v1', { date: '2010-01-01T00:00:00Z', chain: 'v1', calls: [['removed', INIT_FN, 'init', DOM]] }),
      patch('v2', { date: '2010-02-01T00:00:00Z', chain: 'v1', version: 2, calls: [['removed', INIT_FN, 'init', DEV], ['removed', INIT_FN, 'init', DOM]] }),
    ];
    const a = detectRegressions(input).regressions;
    const b = detectRegressions([...input].reverse()).regressions;
    expect(a).toEqual(b);
    expect(a.map((r) => r.key)).toEqual([`${presenceKey(A, INIT_FN, 'init', DOM, 'fix-1')}|v1`]);
  });
});

describe('detection a posting at a time (issue 15: flat memory)', () => {
  const ids = (postings: PatchFacts[][]) => postings.map((p) => p.map((x) => x.messageId).sort());

  it('detectInOrder over the postings in order is detectRegressions, whatever the order within a posting', () => {
    const expected = detectRegressions(story());
    expect(expected.regressions.length).toBe(2);
    const postings = postingsInOrder(story());
    expect(ids(postings)).toEqual([['fix-1'], ['v1-2', 'v1-3'], ['v2-2', 'v2-3'], ['cand'], ['refix'], ['nodate']]);
    function* oneAtATime() {
      for (const p of postings) yield [...p].reverse();
    }
    expect(detectInOrder(oneAtATime())).toEqual(expected);
  });

  it('walks a posting\'s patches by index, then time, whatever order they come in', () => {
    const declared: DeclaredFix[] = [{ kind: 'presence', file: I, function: null, path: 'shutdown', call: 'iommu_flush_all_caches', before: [], introducedBy: null }];
    const rm = (id: string, index: number, date: string, fn: string) =>
      patch(id, { date, series: 'rs', index, calls: [['removed', fn, 'shutdown', 'iommu_flush_all_caches', I]] });
    const a = rm('rs-a', 2, '2010-01-01T00:00:00Z', 'disable_iommus'); // sent first, second in the series
    const b = rm('rs-b', 1, '2010-01-02T00:00:00Z', 'iommu_disable');
    const t = rm('rs-t', 1, '2010-01-01T12:00:00Z', 'amd_iommu_shutdown'); // index 1 again, earlier than rs-b
    for (const posting of [[a, b, t], [b, t, a], [t, a, b]]) {
      const [r] = detectInOrder([posting], declared).regressions;
      expect(r.removedBy).toEqual(['rs-t', 'rs-b', 'rs-a']);
      expect(r.firstSeen).toBe('2010-01-01T12:00:00Z');
    }
  });

  it('orders postings by their earliest patch as Date.parse reads it, then seriesId by UTF-16 code unit; undated last', () => {
    const p = (id: string, date: string | null, series: string, index: number | null = null) => patch(id, { date: date as string, series, index });
    const postings = postingsInOrder([
      p('undated', null, 'z'),
      p('unreadable', 'someday', 'y'),
      p('text-later', '2010-01-01T01:00:00+02:00', 'k'), // 2009-12-31T23:00Z: earlier than its text says
      p('utc', '2010-01-01T00:00:00Z', 'j'),
      p('bmp', '2010-02-01T00:00:00Z', '\uFFFD'), // UTF-8 puts U+FFFD before U+1F600; UTF-16 (JavaScript) after
      p('astral', '2010-02-01T00:00:00.000Z', '\u{1F600}'),
      p('s-2', '2010-03-01T00:00:00Z', 's', 2),
      p('s-1', '2010-03-05T00:00:00Z', 's', 1),
      p('r', '2010-03-02T00:00:00Z', 'r'),
      p('r', '2010-03-03T00:00:00Z', 'r'), // the same message again: the earliest is kept
    ]);
    expect(ids(postings)).toEqual([['text-later'], ['utc'], ['astral'], ['bmp'], ['s-1', 's-2'], ['r'], ['unreadable'], ['undated']]);
    expect(postings[5][0].date).toBe('2010-03-02T00:00:00Z');
  });

  it('refuses postings out of order and a posting that mixes seriesIds', () => {
    const a = patch('a', { date: '2010-01-01T00:00:00Z' });
    const b = patch('b', { date: '2010-01-02T00:00:00Z' });
    const b2 = patch('b2', { date: '2010-01-02T00:00:00Z' });
    expect(() => detectInOrder([[b], [a]])).toThrow(/out of order/);
    expect(() => detectInOrder([[b2], [b]])).toThrow(/out of order/); // same time: by seriesId
    expect(() => detectInOrder([[b], [b]])).toThrow(/out of order/); // one posting given twice
    expect(() => detectInOrder([[a, b]])).toThrow(/mixes/);
    expect(detectInOrder([[a], [b], [b2]])).toEqual(detectRegressions([b2, a, b]));
  });

  it('holds one posting at a time: the postings it has walked can be collected', () => {
    const MB = 1024 * 1024;
    const used = () => v8.getHeapStatistics().used_heap_size;
    // twenty postings of at least 4 MB each (a million tags): fix-1, then removals of its call and refixes in turn
    const postings = (keep: PatchFacts[][] | null) => function* () {
      for (let i = 0; i < 20; i++) {
        const p = i === 0 ? fix1() : patch(`p${i}`, { date: new Date(Date.UTC(2010, 0, 1, 0, 0, i)).toISOString(),
          accepted: i % 2 === 0, calls: [[i % 2 ? 'removed' : 'added', INIT_FN, 'init', DEV]] });
        const posting = [{ ...p, tags: new Array<string>(MB).fill(`t${i}`) }];
        keep?.push(posting);
        yield posting;
      }
    };
    const peak = (keep: PatchFacts[][] | null) => {
      collectGarbage(0);
      const start = used();
      let most = 0;
      const walk = postings(keep)();
      const result = detectInOrder((function* () {
        for (const p of walk) {
          collectGarbage(0);
          most = Math.max(most, used() - start);
          yield p;
        }
      })());
      return { most, result };
    };
    const streamed = peak(null);
    expect(streamed.result.regressions.length).toBeGreaterThan(0);
    // the same measure with every posting held (as a list of them all would hold them)
    const held = peak([]);
    expect(held.result).toEqual(streamed.result);
    expect(held.most).toBeGreaterThan(64 * MB);
    // the one at hand and the one before it, not twenty
    expect(streamed.most).toBeLessThan(held.most / 5);
  });
});
