import { describe, expect, it } from 'vitest';
import { readAcceptance, saysApplied } from '../../../ingest/core/acceptance-text.ts';

const APPLIED = [
  'Applied, thanks',
  'Applied, thanks.',
  'Applied to amd-iommu/fixes, thanks.',
  'Applied to amd-iommu/2.6.33, thanks.',
  'applied to the kexec-tools tree',
  'Thanks, applied.',
  'Thanks! Applied.',
  'Thanks,\napplied to x86/urgent.',
  'Queued for 2.6.35.',
  'Queued up for the next merge window, thanks.',
  "I've queued this up for 2.6.35.",
  "I've applied this to my tree, thanks.",
  'Merged, thanks.',
  'Pulled, thanks.',
  'Patch applied.',
  'Both applied to kexec-tools, thanks.',
  'All three applied.',
  'Applied.',
  'Looks good. Applied, thanks.',
  'On Thu, 11 Jun 2009 06:00:03 -0400, Chris Wren wrote:\n>\n\nApplied to amd-iommu/fixes, thanks.\n',
  'Applied, thanks. I will send it to Linus with the next batch.',
];

const NOT_APPLIED = [
  'Not applied',
  'Not applied: it does not build.',
  "I'll apply this after the merge window.",
  'I will apply this once Vera acks it.',
  'Can you resend so I can apply it?',
  "Please don't apply this one.",
  'Please do not apply, there is a v2 coming.',
  'Applied?',
  'Has this been applied?',
  'Was this applied anywhere?',
  "This hasn't been applied yet.",
  'I applied it locally and it boots fine.',
  'Applied on top of 2.6.34-rc1 and tested, works for me.',
  'Applied cleanly here.',
  'Should be applied to stable too.',
  'It would be great if this got applied.',
  '> Applied to amd-iommu/fixes, thanks.',
  'On Thu, X wrote:\n> Applied, thanks.\n\nDid you push it?',
  'The flush was applied too late in the old code.',
  'Looks good to me.\n\nAcked-by: Ada Bauer <ada.bauer@amd.example>',
  'This patch was merged upstream long ago, so the backport is needed.',
  "Applied, but it doesn't build, so I dropped it again.",
  'Thanks,\nAda\n-- \nApplied science department',
  '',
];

describe('saysApplied', () => {
  it.each(APPLIED)('true for %j', (text) => {
    expect(saysApplied(text)).toBe(true);
  });
  it.each(NOT_APPLIED)('false for %j', (text) => {
    expect(saysApplied(text)).toBe(false);
  });
});

// Phrasing classes of the reporting clause (see acceptance-text.ts), each with sentences it must and must not take.
const CLASSES: { name: string; yes: string[]; no: string[] }[] = [
  {
    name: 'tense: past or perfect, not future, conditional or infinitive',
    yes: ['Applied.', 'I have applied this change.', "I've applied it to my for-next-kexec tree [1], and can push it to Linus.", 'Patches are now applied.'],
    no: ['I will apply this:', "I'll queue it for 5.8.", 'This can be applied once the kernel side is in.', 'It needs to be merged through the tip tree.', 'OK, I\'ll merge this patch as it is.'],
  },
  {
    name: 'subject: left out, the speaker, or the patch in the passive',
    yes: ['Thanks David,\napplied.', 'Modified and applied.', 'Modified your patch and pushed.', 'The patch was applied to the devel branch.',
      'Thanks Kazu -- the patch is queued for crash-7.2.8:', 'Your patch is queued for makedumpfile v1.6.7.', 'Ok, stuff is queued in tip:x86/boot now.',
      'So this is applied now to the IOMMU tree.', 'Series applied to net-next, thanks.', 'Fixed that up before applying it, thanks.',
      "I've just added the patch titled x86/kexec: fix to my driver-core git tree", "I've picked this up."],
    no: ['The tail is pushed _before_ the block ID is modified.', 'There are now quite a few changes queued up for v2.',
      'I have already sent out a cleanup patch, which has been queued for 5.5.', 'Its taken this long to work out your definition.',
      'I added a check for NULL.', "FWIW, I've already merged a fix for this in tip.", 'I picked: "trans_table" for the name.'],
  },
  {
    name: 'polarity: negations and retractions',
    yes: ['Thanks, applied.'],
    no: ["The patches don't apply to any kernel in the git history.", 'It has not been picked up.', 'unapplied, sorry.',
      'Applied, thanks.\n\nActually I dropped it again: it breaks the arm build.', 'Not merged yet.'],
  },
  {
    name: 'questions and requests',
    yes: ['Queued for 5.5. Thanks.'],
    no: ['Can this patchset be merged, or picked into tip?', 'Could you apply this one?', 'Please apply.', 'Which tree does this apply to?'],
  },
  {
    name: "testers: applying onto a base to try it",
    yes: ['The patch looks good to me, applied.'],
    no: ['I have applied makedump file http://lists.infradead.org/x changes also (makedump-1.6.6).', 'Yes, I have applied v7 patches to 5.6-rc4.',
      'Issue disappeared with this patch applied.', 'After applying this patch series, NMI watchdog detected a hard lockup.',
      'I was able to unit test these series of kernel patches applied to a 5.4.17 test kernel.', 'Applied clearly.',
      'FYI, I used your patch set to test out the new script, and then applied them.', 'Applied to :'],
  },
  {
    name: "other patches and robots' boilerplate",
    yes: ["I've queued the first 10 patches of the series since they look like sensible cleanup."],
    no: ['[if your patch is applied to the wrong git tree, please drop us a note to help improve the system]',
      'OK, I pushed a patch that generalizes it to my test repository.', 'This patch was merged upstream long ago, so the backport is needed.',
      'Hi Simon, this patch is merged already, maybe you replied the wrong mail?', 'Since I pushed out the fixes, I have seen no new corrupted dumps.'],
  },
  {
    name: 'quoted text and footers',
    yes: ['> Can you take it?\n\nApplied, thanks.\n_______________________________________________\nkexec mailing list'],
    no: ['> Applied, thanks.\n\nDid you push it?', 'Looks fine.\n_______________________________________________\nkexec mailing list\nApplied science list'],
  },
];

describe.each(CLASSES)('phrasing class: $name', ({ yes, no }) => {
  it.each(yes)('takes %j', (text) => expect(readAcceptance(text), text).not.toBeNull());
  it.each(no)('does not take %j', (text) => expect(readAcceptance(text), text).toBeNull());
});

describe('readAcceptance: scope, tree and commit', () => {
  it('names only the patches the words name', () => {
    expect(readAcceptance('Thanks, applied 1-3.')?.indexes).toEqual([1, 2, 3]);
    expect(readAcceptance('Queued 4-11, thanks.')?.indexes).toEqual([4, 5, 6, 7, 8, 9, 10, 11]);
    expect(readAcceptance('Applied patches 2 and 4 to kexec-tools.')?.indexes).toEqual([2, 4]);
    expect(readAcceptance("I've queued the first 10 patches of the series")?.indexes).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const rest = readAcceptance('Applied the rest of the series, apart from patches 6 and 7.');
    expect(rest).toMatchObject({ indexes: null, series: true, except: [6, 7] });
    expect(readAcceptance('Applied, thanks.')).toMatchObject({ indexes: null, series: false, except: [] });
    expect(readAcceptance('Patches 1-3 applied, thanks.')?.indexes).toEqual([1, 2, 3]);
    expect(readAcceptance('Applied all but patch 3, thanks.')).toMatchObject({ series: true, except: [3] });
    // a release is not a patch index
    expect(readAcceptance('Thanks, applied for inclusion in v2.0.20.')?.indexes).toBeNull();
  });

  it('reads the tree and branch, and the commit from a commit URL', () => {
    expect(readAcceptance('Applied to arm64 (for-next/ptr-auth), thanks!')).toMatchObject({ tree: 'arm64', branch: 'for-next/ptr-auth' });
    expect(readAcceptance('Ok, stuff is queued in tip:x86/boot now.')).toMatchObject({ tree: 'tip', branch: 'x86/boot' });
    expect(readAcceptance('Tentatively applied to pci/virtualization for v5.8, thanks')).toMatchObject({ tree: 'pci/virtualization' });
    const c = readAcceptance('Modified and applied.\nhttps://sourceforge.net/p/makedumpfile/code/ci/71e798cb1b85e4879a19607ebb0a061cbc92f70f/\n');
    expect(c).toMatchObject({ commit: '71e798cb1b85e4879a19607ebb0a061cbc92f70f' });
  });
});

describe('readAcceptance: an unquoted original below the answer', () => {
  it("is not the author's words (Outlook's From:/Sent: block), while a From:/Date: summary above the answer is kept", () => {
    expect(readAcceptance('Looks fine to me.\n\nFrom: Joerg Roedel <joro@8bytes.org>\nSent: Tuesday, June 2, 2020 10:00 AM\nSubject: Re: [PATCH] x\n\nApplied, thanks.\n')).toBeNull();
    expect(readAcceptance('From: Bhupesh Sharma <bhsharma@redhat.com>\nDate: Mon, 11 May 2020 15:41:40 +0530\n\n ... \n\nSeries applied to net-next, thanks.\n')).not.toBeNull();
  });
});
