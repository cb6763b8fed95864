// A stable backport is known by its upstream line or its subject (issue 15): backports are never versions.
import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../../ingest/mail/message-parse.ts';

describe('stable backports', () => {
  const patchMail = (subject: string, text: string) => `From: Greg <greg@k.example>\nSubject: ${subject}\nMessage-ID: <${subject.length}@k>\nDate: Tue, 02 Mar 2021 10:00:00 +0000\n\n${text}\n---\ndiff --git a/a.c b/a.c\n--- a/a.c\n+++ b/a.c\n@@ -1,2 +1,3 @@\n a\n+b\n c\n`;
  const upstream = async (subject: string, text = 'Fix.') => {
    const r = await parseMessage({ bytes: Buffer.from(patchMail(subject, text)), source: 't', offset: 0, separatorDate: null, format: 'eml' });
    if (!('message' in r)) throw new Error(r.quarantine);
    return r.message.upstreamCommit;
  };
  it('are known by their upstream line or their subject', async () => {
    expect(await upstream('[PATCH 5.4 012/100] kexec: x', 'commit 0123456789abcdef0123 upstream.\n\nFix.')).toBe('0123456789abcdef0123');
    expect(await upstream('[PATCH AUTOSEL 4.19 10/84] kexec: x', '[ Upstream commit 0123456789abcdef0123 ]\n\nFix.')).toBe('0123456789abcdef0123');
    expect(await upstream('[PATCH 4.19.y] kexec: x')).toBe('');
    expect(await upstream('[PATCH kexec-tools 2.0.20] kexec: x')).toBeUndefined();
    expect(await upstream('[PATCH v2 1/3] kexec: x')).toBeUndefined();
  });
});
