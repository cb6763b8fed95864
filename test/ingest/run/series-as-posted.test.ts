// Series, versions and backports as a list posts them, through the API (issue 15).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diff, get, miniList, type MiniList } from './mini-list.ts';

const FILE = 'kernel/kexec_core.c';
let list: MiniList;
const patch = (title: string) => `${title}.\n\nSigned-off-by: Ada Bauer <ada@amd.example>\n${diff(FILE, 'int kimage_load(void)', [`call_${title.length}();`])}`;

beforeAll(async () => {
  list = await miniList([
    // a cover without 0/N: a first message with a diffstat, answered by its author's patches
    { id: 'rfc@x', subject: 'RFC: use dma_alloc_noncoherent in kexec', date: '2021-03-01T10:00:00Z',
      body: 'Two patches to look at.\n\nAda Bauer (2):\n  kexec: one\n  kexec: two\n\n kernel/kexec_core.c | 4 ++--\n 1 file changed, 2 insertions(+), 2 deletions(-)\n' },
    { id: 'r1@x', subject: '[PATCH 1/2] kexec: one', date: '2021-03-01T10:00:01Z', refs: ['rfc@x'], body: patch('kexec: one') },
    { id: 'r2@x', subject: '[PATCH 2/2] kexec: two', date: '2021-03-01T10:00:02Z', refs: ['rfc@x'], body: patch('kexec: two') },
    // the original, and a stable backport of it
    { id: 'orig@x', subject: '[PATCH] kexec: bail out upon SIGKILL', date: '2021-04-01T10:00:00Z', body: patch('kexec: bail out upon SIGKILL') },
    { id: 'auto@s', subject: '[PATCH AUTOSEL 5.4 12/40] kexec: bail out upon SIGKILL', from: 'Sasha Levin <sasha@kernel.example>', date: '2021-05-01T10:00:00Z',
      body: `From: Ada Bauer <ada@amd.example>\n\n[ Upstream commit 0123456789abcdef0123456789abcdef01234567 ]\n\n${patch('kexec: bail out upon SIGKILL')}` },
    { id: 'stable@g', subject: '[PATCH 5.4 012/100] kexec: bail out upon SIGKILL', from: 'Greg KH <greg@kernel.example>', date: '2021-05-10T10:00:00Z',
      body: `From: Ada Bauer <ada@amd.example>\n\ncommit 0123456789abcdef0123456789abcdef01234567 upstream.\n\n${patch('kexec: bail out upon SIGKILL')}` },
    // a RESEND of the same version
    { id: 'v2@x', subject: '[PATCH v2] kexec: tidy', date: '2021-06-01T10:00:00Z', body: patch('kexec: tidy') },
    { id: 'v2r@x', subject: '[RESEND PATCH v2] kexec: tidy', date: '2021-06-10T10:00:00Z', body: patch('kexec: tidy') },
    // v1 through a list that rewrites senders (DMARC), v2 after the rewriting stopped
    { id: 'dm1@x', subject: '[PATCH] kexec: map the EFI tables', from: 'Ada Bauer via Kexec <kexec@lists.example.org>', replyTo: 'Ada Bauer <ada@amd.example>',
      headers: { 'List-Post': '<mailto:kexec@lists.example.org>', 'List-Id': 'Kexec <kexec.lists.example.org>' }, date: '2021-07-01T10:00:00Z', body: patch('kexec: map the EFI tables') },
    { id: 'dm2@x', subject: '[PATCH v2] kexec: map the EFI tables', date: '2021-07-08T10:00:00Z', body: patch('kexec: map the EFI tables') },
  ]);
});
afterAll(() => list?.close());

async function seriesOf(messageId: string) {
  const m = await get(list.app, `/api/messages/${encodeURIComponent(messageId)}`);
  return get(list.app, `/api/series/${m.seriesId}`);
}

describe('postings through the API', () => {
  it('a first message with a diffstat that the patches answer is their cover', async () => {
    expect(await seriesOf('r1@x')).toMatchObject({ cover: 'rfc@x', patches: ['r1@x', 'r2@x'], total: 2, complete: true });
    expect((await get(list.app, '/api/messages/rfc%40x')).kind).toBe('cover');
  });

  it('stable backports are in no chain, point at the original, and the original\'s patch page lists them', async () => {
    const orig = await seriesOf('orig@x');
    expect(orig).toMatchObject({ previousVersion: null, nextVersion: null });
    for (const id of ['auto@s', 'stable@g']) {
      expect(await seriesOf(id)).toMatchObject({ link: 'backport', backportOf: orig.id, previousVersion: null, nextVersion: null });
    }
    expect((await get(list.app, '/api/patches/orig%40x')).backports).toEqual(['auto@s', 'stable@g']);
    const page = await list.app.inject('/patches/orig%40x');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Backports');
    expect(page.body).toContain('[PATCH AUTOSEL 5.4 12/40] kexec: bail out upon SIGKILL');
  });

  it('a RESEND of the same version is linked as a resend', async () => {
    const first = await seriesOf('v2@x');
    expect(await seriesOf('v2r@x')).toMatchObject({ version: 2, previousVersion: first.id, link: 'resend' });
  });

  it('a list-rewritten sender is the person: author, series and version chain', async () => {
    const m = await get(list.app, '/api/messages/dm1%40x');
    expect(m).toMatchObject({ from: { name: 'Ada Bauer', email: 'ada@amd.example' }, fromRewritten: true });
    const v1 = await seriesOf('dm1@x');
    expect(v1.author.email).toBe('ada@amd.example');
    expect(await seriesOf('dm2@x')).toMatchObject({ previousVersion: v1.id, link: 'version' });
    expect((await get(list.app, '/api/messages/dm2%40x')).fromRewritten).toBeUndefined();
  });
});
