// Replies that carry a diff are proposals: indexed, linked to the patch they answer, in no series, and what is
// written under them (review trailers) belongs to the patch (as b4 collects them).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diff, get, miniList, type MiniList } from './mini-list.ts';

const FILE = 'drivers/iommu/amd_iommu_init.c';
let list: MiniList;

beforeAll(async () => {
  list = await miniList([
    { id: 'c@x', subject: '[PATCH 0/2] iommu/amd: rework', date: '2021-03-01T10:00:00Z', body: 'Two patches.\n\n a | 1 +\n 1 file changed' },
    { id: 'p1@x', subject: '[PATCH 1/2] iommu/amd: one', date: '2021-03-01T10:00:01Z', refs: ['c@x'],
      body: `One.\n\nSigned-off-by: Ada Bauer <ada@amd.example>\n${diff(FILE, 'static int iommu_init_pci(void)', ['iommu_flush_one();'])}` },
    { id: 'p2@x', subject: '[PATCH 2/2] iommu/amd: two', date: '2021-03-01T10:00:02Z', refs: ['c@x'],
      body: `Two.\n\nSigned-off-by: Ada Bauer <ada@amd.example>\n${diff(FILE, 'static void amd_iommu_shutdown(void)', ['iommu_flush_two();'])}` },
    // a reviewer's untested diff, in reply to patch 2
    { id: 'prop@y', subject: 'Re: [PATCH 2/2] iommu/amd: two', from: 'Bob Rev <bob@rev.example>', date: '2021-03-02T09:00:00Z', refs: ['c@x', 'p2@x'],
      body: `> Two.\n\nLooks right, but how about this instead (untested):\n\nReviewed-by: Bob Rev <bob@rev.example>\nSigned-off-by: Bob Rev <bob@rev.example>\n${diff(FILE, 'static void amd_iommu_shutdown(void)', ['iommu_flush_three();'])}` },
    // written under the proposal: belongs to patch 2
    { id: 'tb@z', subject: 'Re: [PATCH 2/2] iommu/amd: two', from: 'Carl Test <carl@test.example>', date: '2021-03-03T09:00:00Z', refs: ['c@x', 'p2@x', 'prop@y'],
      body: 'Tested on a Ryzen.\n\nTested-by: Carl Test <carl@test.example>' },
    // a reply that names only its parent (In-Reply-To without References further up)
    { id: 'ack@w', subject: 'Re: [PATCH 2/2] iommu/amd: two', from: 'Dora Ack <dora@ack.example>', date: '2021-03-04T09:00:00Z', refs: ['tb@z'],
      body: 'Acked-by: Dora Ack <dora@ack.example>' },
  ]);
});
afterAll(() => list?.close());

describe('a reply that carries a diff', () => {
  it('is a proposal linked to the patch it answers, in no series', async () => {
    const m = await get(list.app, '/api/messages/prop%40y');
    expect(m).toMatchObject({ kind: 'proposal', isPatch: true, seriesId: null, answers: 'p2@x' });
    const series = await get(list.app, '/api/series');
    expect(series.items).toHaveLength(1);
    expect(series.items[0]).toMatchObject({ cover: 'c@x', patches: ['p1@x', 'p2@x'], nextVersion: null, previousVersion: null });
  });

  it('stays in the call index', async () => {
    const calls = await get(list.app, '/api/call-changes?limit=100');
    expect(calls.items.map((c: { messageId: string }) => c.messageId)).toContain('prop@y');
  });

  it('gives the patch its review trailers, and the sub-thread below it too; its sign-off stays its own', async () => {
    const p2 = await get(list.app, '/api/patches/p2%40x');
    const names = p2.trailers.map((t: { name: string; value: string }) => `${t.name}: ${t.value}`);
    expect(names).toEqual([
      'Signed-off-by: Ada Bauer <ada@amd.example>',
      'Reviewed-by: Bob Rev <bob@rev.example>',
      'Tested-by: Carl Test <carl@test.example>',
      'Acked-by: Dora Ack <dora@ack.example>',
    ]);
    const p1 = await get(list.app, '/api/patches/p1%40x');
    expect(p1.trailers).toHaveLength(1);
  });
});
