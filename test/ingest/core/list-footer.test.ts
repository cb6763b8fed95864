// A mailing list's footer is not part of a message's own text (issue 15).
import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../../ingest/mail/message-parse.ts';

async function ownText(body: string): Promise<{ ownText: string; trailers: { name: string }[]; saysApplied: boolean }> {
  const mail = `From: Bob Rev <bob@rev.example>\nSubject: Re: [PATCH] kexec: fix\nMessage-ID: <r@x>\nIn-Reply-To: <p@x>\nDate: Tue, 02 Mar 2021 10:00:00 +0000\n\n${body}`;
  const r = await parseMessage({ bytes: Buffer.from(mail), source: 't', offset: 0, separatorDate: null, format: 'eml' });
  if (!('message' in r)) throw new Error(r.quarantine);
  return r.message;
}

const FOOTER = '_______________________________________________\nkexec mailing list\nkexec@lists.infradead.org\nhttp://lists.infradead.org/mailman/listinfo/kexec\n';

describe('own text', () => {
  it('ends before a Mailman footer', async () => {
    const m = await ownText(`Looks good.\n\nReviewed-by: Bob Rev <bob@rev.example>\n\n${FOOTER}`);
    expect(m.ownText).toBe('Looks good.\n\nReviewed-by: Bob Rev <bob@rev.example>');
  });

  it('ends before a footer with an https listinfo page and another list name', async () => {
    const m = await ownText(`Thanks.\n${FOOTER.replace(/kexec/g, 'linux-arm-kernel').replace('http:', 'https:')}`);
    expect(m.ownText).toBe('Thanks.');
  });

  it('keeps a rule of underscores that starts no footer', async () => {
    const m = await ownText('Table:\n______________\nrow one\nrow two\n');
    expect(m.ownText).toBe('Table:\n______________\nrow one\nrow two');
  });
});
