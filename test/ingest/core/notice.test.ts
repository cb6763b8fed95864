// Notices: what a message says about patches being taken, read from real replies of the kexec list (fixtures) and
// from the fixed layouts of b4, git request-pull, pr-tracker-bot, tip-bot2 and the stable scripts.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Message } from '../../../ingest/core/model.ts';
import { readNotice } from '../../../ingest/core/notice.ts';
import { parseMessage } from '../../../ingest/mail/message-parse.ts';

const DIR = fileURLToPath(new URL('../../fixtures/mail/acceptance/', import.meta.url));

async function mail(name: string): Promise<Message> {
  const r = await parseMessage({ bytes: readFileSync(DIR + name + '.eml'), source: name, offset: 0, separatorDate: null, format: 'eml' });
  if (!('message' in r)) throw new Error(r.quarantine);
  return r.message;
}

const from = { name: 'Will Deacon', email: 'will@kernel.org' };
const reply = (ownText: string) => readNotice({ kind: 'reply', isPatch: false, title: 'x', from, ownText });

describe('notices of real replies (kexec list)', () => {
  it.each([
    'applied-thanks-name', 'modified-and-applied', 'queued-below-original-message', 'queued-first-ten', 'queued-separately',
    'queued-in-tip', 'series-applied-net-next',
  ])('%s states acceptance', async (name) => {
    expect((await mail(name)).notice?.kind).toBe('reply');
  });

  it.each([
    'robot-wrong-tree', 'tester-applied-makedumpfile', 'tester-applied-to-header', 'future-queue', 'question-merged',
    'tester-applied-to-release', 'tester-with-patch-applied', 'history-merged-already',
  ])('%s states none', async (name) => {
    expect((await mail(name)).notice).toBeNull();
  });

  it('reads an answer written below an "Original Message" marker, with its commit', async () => {
    const n = (await mail('queued-below-original-message')).notice;
    expect(n).toMatchObject({ kind: 'reply', statement: { commit: 'c0bbd8fae4271159aee9e643350781909484c92f' } });
  });

  it('reads the scope and tree of real acceptances', async () => {
    expect((await mail('queued-first-ten')).notice).toMatchObject({ statement: { indexes: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] } });
    expect((await mail('queued-in-tip')).notice).toMatchObject({ statement: { tree: 'tip', branch: 'x86/boot' } });
    expect((await mail('series-applied-net-next')).notice).toMatchObject({ statement: { tree: 'net-next', series: true } });
  });
});

describe("b4's thank-you", () => {
  it('lists exactly the applied patches with their commits (real mail)', async () => {
    expect((await mail('b4-thanks')).notice).toEqual({
      kind: 'b4-thanks', tree: 'arm64', branch: 'for-next/ptr-auth', items: [
        { index: 1, total: 2, title: 'arm64/crash_core: Export KERNELPACMASK in vmcoreinfo', commit: '203b1152d18c', url: 'https://git.kernel.org/arm64/c/203b1152d18c' },
        { index: 2, total: 2, title: "Documentation/vmcoreinfo: Add documentation for 'KERNELPACMASK'", commit: 'c0fc00ec6304', url: 'https://git.kernel.org/arm64/c/c0fc00ec6304' },
      ],
    });
  });

  it('a subset: only the listed patches, commits given as "commit:" lines', () => {
    const n = reply(`On Tue, 2 Jun 2020, Ada Bauer wrote:\n> [...]\n\nApplied to iommu (x86/amd), thanks!\n\n[2/3] iommu/amd: Flush the completion-wait buffer before shutdown\n      commit: 5b7a2b3c9d0e\n\nBest regards,\n-- \nJoerg Roedel <joro@8bytes.org>\n`);
    expect(n).toEqual({ kind: 'b4-thanks', tree: 'iommu', branch: 'x86/amd', items: [
      { index: 2, total: 3, title: 'iommu/amd: Flush the completion-wait buffer before shutdown', commit: '5b7a2b3c9d0e', url: null },
    ] });
  });

  it('"Applied, thanks!" without a tree', () => {
    expect(reply('Applied, thanks!\n\n[1/1] kexec: fix a typo\n      https://git.kernel.org/kexec/c/0123456789ab\n')).toMatchObject({ kind: 'b4-thanks', tree: null, branch: null });
  });
});

describe('pull requests and pr-tracker-bot', () => {
  it('reads the repository, ref, head and the shortlog of three authors', async () => {
    const m = await mail('pull-request');
    expect(m.kind).toBe('pull');
    expect(m.notice).toEqual({
      kind: 'pull-request', tree: 'git://git.kernel.org/pub/scm/linux/kernel/git/joro/iommu.git', branch: 'tags/iommu-fixes-v5.7-rc2',
      head: '1a3f2fd7fc4e8f24510830e265de2ffb8e3300d2',
      shortlog: [
        { author: 'Ada Bauer', titles: ['iommu/amd: Flush the completion-wait buffer before shutdown'] },
        { author: 'Joerg Roedel', titles: ['iommu/amd: Fix the configuration of GCR3 table root pointer', 'iommu/amd: Fix race in increase_address_space()/fetch_pte()'] },
        { author: 'Qian Cai', titles: ['iommu/amd: Fix legacy interrupt remapping for x2APIC-enabled system'] },
      ],
    });
  });

  it("reads pr-tracker-bot's merge into torvalds/linux.git with the commit", async () => {
    expect((await mail('pr-tracker-bot')).notice).toEqual({
      kind: 'pull-merged', tree: 'torvalds/linux.git', commit: '2e602db7290bf0a7a1ee8d2d2f2d3e4c1e0f3e8e',
      url: 'https://git.kernel.org/torvalds/c/2e602db7290bf0a7a1ee8d2d2f2d3e4c1e0f3e8e',
    });
  });

  it('a pull request without the repository line is no pull notice', () => {
    expect(readNotice({ kind: 'pull', isPatch: false, title: 'x', from, ownText: 'Please pull the fixes.\n\nJoerg (1):\n      a: b\n' })).toBeNull();
  });
});

describe('commit notices and stable copies', () => {
  it("reads tip-bot2's branch, commit, Gitweb link and author (real mail)", async () => {
    const m = await mail('tip-bot2');
    expect(m.notice).toEqual({
      kind: 'commit-notice', tree: 'tip', branch: 'x86/urgent', commit: 'af164898482817a1d487964b68f3c21bae7a1beb',
      url: 'https://git.kernel.org/tip/af164898482817a1d487964b68f3c21bae7a1beb',
      title: 'x86/efi: Update e820 with reserved EFI boot services data to fix kexec breakage',
      author: { name: 'Dave Young', email: 'dyoung@redhat.com' },
    });
  });

  it('reads "[ Upstream commit <sha> ]" of an AUTOSEL posting, with the author of the body (real mail)', async () => {
    expect((await mail('stable-autosel')).notice).toEqual({
      kind: 'stable', commit: 'a98959fdbda1849a01b2150bb635ed559ec06700', title: 'resource: Include resource end in walk_*() interfaces',
      author: { name: 'Bjorn Helgaas', email: 'bhelgaas@google.com' },
    });
  });

  it('reads "commit <sha> upstream." of a stable posting', async () => {
    expect((await mail('stable-upstream')).notice).toEqual({
      kind: 'stable', commit: '5b7a2b3c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6', title: 'iommu/amd: Flush the completion-wait buffer before shutdown',
      author: { name: 'Ada Bauer', email: 'ada.bauer@amd.example' },
    });
  });

  it('a patch that only mentions an upstream commit in its text is no stable copy', () => {
    expect(readNotice({ kind: 'patch', isPatch: true, title: 'x', from, ownText: 'This reverts the change of commit 5b7a2b3c9d0e upstream.\n\nSigned-off-by: A <a@b>' })).toBeNull();
  });
});

describe('hostile text', () => {
  it('reads megabytes of act words, URLs and shortlog lines in bounded time', () => {
    const texts = [
      'Thanks ' + 'applied queued merged and '.repeat(40000),
      'The pull request has been merged into ' + 'a/'.repeat(200000) + ' x',
      'Applied. ' + 'https://'.repeat(100000),
      'I have, '.repeat(50000) + 'applied it.',
      'Applied, thanks!\n\n' + '[1/2] t\n      https://' + 'a/'.repeat(100000) + '\n',
    ];
    const t = Date.now();
    for (const ownText of texts) readNotice({ kind: 'reply', isPatch: false, title: 't', from, ownText });
    readNotice({ kind: 'pull', isPatch: false, title: 't', from, ownText: 'are available in the Git repository at:\n\n  git://x y\n\n' + 'A (1):\n      t\n'.repeat(30000) });
    expect(Date.now() - t).toBeLessThan(5000);
  });
});

describe("patchwork-bot's summary", () => {
  it('lists the applied patches of a series like b4', () => {
    const n = reply(`Hello:\n\nThis series was applied to netdev/net-next.git (main)\nby Jakub Kicinski <kuba@kernel.org>:\n\nOn Mon, 1 Jun 2020 you wrote:\n> cover text\n\nHere is the summary with links:\n  - [net-next,1/2] net: qed: reduce the allocations in kdump\n    https://git.kernel.org/netdev/net-next/c/0123456789ab\n  - [net-next,2/2] net: qede: reduce the rings in kdump\n    https://git.kernel.org/netdev/net-next/c/ba9876543210\n\nYou are awesome, thank you!\n`);
    expect(n).toMatchObject({ kind: 'b4-thanks', tree: 'netdev/net-next.git', branch: 'main', items: [
      { index: 1, total: 2, title: 'net: qed: reduce the allocations in kdump', commit: '0123456789ab' },
      { index: 2, total: 2, title: 'net: qede: reduce the rings in kdump', commit: 'ba9876543210' },
    ] });
  });
});

describe("Greg's 'added to tree' notes", () => {
  const note = (to: string, extra = '') => `\nThis is a note to let you know that I've just added the patch titled\n\n    kexec: fix the segment check\n\n${to}\n\nThe patch will show up in the next release of the linux-next tree\n(usually sometime within the next 24 hours during the week.)\n\nIf you have any questions about this process, please let me know.\n\n\nFrom 0123456789abcdef0123456789abcdef01234567 Mon Sep 17 00:00:00 2001\nFrom: Ada Bauer <ada.bauer@amd.example>\nDate: Tue, 2 Jun 2020 10:00:00 +0200\nSubject: kexec: fix the segment check\n${extra}\nThe check was off by one.\n\nSigned-off-by: Ada Bauer <ada.bauer@amd.example>\n`;
  it('a maintainer tree: accepted into that tree and branch', () => {
    expect(reply(note('to my driver-core git tree which can be found at\n    git://git.kernel.org/pub/scm/linux/kernel/git/gregkh/driver-core.git\nin the driver-core-next branch.'))).toEqual({
      kind: 'commit-notice', tree: 'driver-core', branch: 'driver-core-next', commit: null, url: null, title: 'kexec: fix the segment check',
      author: { name: 'Ada Bauer', email: 'ada.bauer@amd.example' },
    });
  });
  it('the stable queue, naming the upstream commit: merged upstream', () => {
    expect(readNotice({ kind: 'patch', isPatch: true, title: 'patch "kexec: fix the segment check" added to the 5.4-stable tree', from, ownText:
      note('to the 5.4-stable tree which can be found at:\n    http://www.kernel.org/git/?p=linux/kernel/git/stable/stable-queue.git;a=summary', '\ncommit 0123456789abcdef0123456789abcdef01234567 upstream.\n') })).toEqual({
      kind: 'stable', commit: '0123456789abcdef0123456789abcdef01234567', title: 'kexec: fix the segment check', author: { name: 'Ada Bauer', email: 'ada.bauer@amd.example' },
    });
  });
});

describe('an older commit bot', () => {
  it('names the branch in the subject only', () => {
    const text = 'Commit-ID:  0123456789abcdef0123456789abcdef01234567\nGitweb:     https://git.kernel.org/tip/0123456789abcdef0123456789abcdef01234567\nAuthor:     Ada Bauer <ada.bauer@amd.example>\nAuthorDate: Tue, 2 Jun 2020 10:00:00 +0200\nCommitter:  Ingo Molnar <mingo@kernel.org>\n\nx86/kexec: fix the segment check\n';
    expect(readNotice({ kind: 'patch', isPatch: true, title: 'x86/kexec: fix the segment check', subject: '[tip:x86/urgent] x86/kexec: fix the segment check', from, ownText: text }))
      .toMatchObject({ kind: 'commit-notice', tree: 'tip', branch: 'x86/urgent', commit: '0123456789abcdef0123456789abcdef01234567', author: { name: 'Ada Bauer' } });
  });
});
