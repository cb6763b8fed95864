// Regressions through the API: one per fix and removing chain, with the sites, versions, whether the removal was
// taken, and how the call went (issue 15).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, miniList, type MiniList } from './mini-list.ts';

const FILE = 'drivers/iommu/amd_iommu_init.c';
const MAINTAINER = 'Jo Roedel <jo@iommu.example>';
const gitDiff = (hunks: string) => `---\n ${FILE} | 2 +-\n\ndiff --git a/${FILE} b/${FILE}\n--- a/${FILE}\n+++ b/${FILE}\n${hunks}`;

let list: MiniList;
beforeAll(async () => {
  list = await miniList([
    { id: 'fix@x', subject: '[PATCH] iommu/amd: flush at init', date: '2021-01-01T10:00:00Z',
      body: `Flush.\n\nSigned-off-by: Ada Bauer <ada@amd.example>\n${gitDiff(
        '@@ -10,6 +10,7 @@ static int __init amd_iommu_init_one(void)\n {\n \tsetup();\n+\tiommu_flush_all_caches();\n \treturn 0;\n }\n \n')}` },
    { id: 'ack@m', subject: 'Re: [PATCH] iommu/amd: flush at init', from: MAINTAINER, date: '2021-01-02T10:00:00Z', refs: ['fix@x'],
      body: 'Applied, thanks.' },
    // a posted patch that deletes the whole function
    { id: 'del@y', subject: '[PATCH] iommu/amd: drop amd_iommu_init_one', from: 'Bob Rev <bob@rev.example>', date: '2021-02-01T10:00:00Z',
      body: `Unused.\n\nSigned-off-by: Bob Rev <bob@rev.example>\n${gitDiff(
        '@@ -8,10 +8,3 @@ static int x;\n static int y;\n \n-static int __init amd_iommu_init_one(void)\n-{\n-\tsetup();\n-\tiommu_flush_all_caches();\n-\treturn 0;\n-}\n-\n static int z;\n')}` },
    // a reviewer's diff that takes the flush out of the function
    { id: 'prop@z', subject: 'Re: [PATCH] iommu/amd: drop amd_iommu_init_one', from: 'Carl <carl@z.example>', date: '2021-02-02T10:00:00Z', refs: ['del@y'],
      body: `Rather just this:\n\n${gitDiff('@@ -10,7 +10,6 @@ static int __init amd_iommu_init_one(void)\n {\n \tsetup();\n-\tiommu_flush_all_caches();\n \treturn 0;\n }\n \n')}` },
  ]);
});
afterAll(() => list?.close());

describe('regression detail', () => {
  it('a removal with the whole function, and a proposal\'s removal from a function that stays', async () => {
    const regs = (await get(list.app, '/api/regressions')).items as any[];
    expect(regs.map((r) => r.removedBy.map((x: { messageId: string }) => x.messageId))).toEqual([['del@y'], ['prop@z']]);
    const [del, prop] = regs;
    expect(del.detail).toMatchObject({
      how: 'function-deleted', taken: false, proposal: false, movedTo: null,
      sites: [{ messageId: 'del@y', file: FILE, function: 'amd_iommu_init_one', call: 'iommu_flush_all_caches', lines: ['-\tiommu_flush_all_caches();'] }],
      versions: [{ version: 1, series: 'del@y', messages: ['del@y'], taken: false }],
    });
    expect(prop.detail).toMatchObject({ how: 'removed', proposal: true, versions: [{ series: 'prop@z', messages: ['prop@z'] }] });
    expect(del.fix.introducedBy.messageId).toBe('fix@x');
    const page = await list.app.inject(`/regressions/${del.id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('removed with its whole function');
  });
});
