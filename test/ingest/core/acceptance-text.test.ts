import { describe, expect, it } from 'vitest';
import { saysApplied } from '../../../ingest/core/acceptance-text.ts';

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
