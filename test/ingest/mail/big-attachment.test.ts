// readMail hands MailParser a mail in pieces and keeps of a binary attachment only the head that shows it is
// binary (a 60 MB attachment was held several times over). What it reads must not change: an attachment with a NUL
// in its first 8 KiB has no text; one whose first NUL comes later, or one named *.patch, is read whole.
import { describe, expect, it } from 'vitest';
import { readMail } from '../../../ingest/mail/read-mail.ts';
import type { ParsedMail } from '../../../ingest/core/model.ts';

function withAttachment(content: Buffer, filename: string): Buffer {
  const b64 = content.toString('base64').replace(/.{76}/g, '$&\n');
  return Buffer.from([
    'From: Dev <dev@example.org>', 'Subject: [PATCH] firmware', 'Date: Mon, 6 Jan 2020 10:00:00 +0000', 'Message-ID: <att@example.org>',
    'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="B"', '', '--B', 'Content-Type: text/plain; charset=us-ascii', '',
    'The image is attached.', '', '--B', `Content-Type: application/octet-stream; name="${filename}"`, 'Content-Transfer-Encoding: base64',
    `Content-Disposition: attachment; filename="${filename}"`, '', b64, '--B--', '',
  ].join('\n'));
}

async function attachment(content: Buffer, filename: string) {
  const mail = (await readMail(withAttachment(content, filename))) as ParsedMail;
  expect(mail.text).toBe('The image is attached.\n');
  expect(mail.attachments).toHaveLength(1);
  return mail.attachments[0]!;
}

describe('a big attachment', () => {
  const text = Buffer.from('a line of text in a big attachment\n'.repeat(60_000)); // 2 MB
  it('binary from its first 8 KiB: no text', async () => {
    const bin = Buffer.from(text);
    bin[5000] = 0;
    expect(await attachment(bin, 'fw.bin')).toEqual({ contentType: 'application/octet-stream', filename: 'fw.bin', text: null });
  });

  it('a NUL only after 8 KiB: read whole, as before', async () => {
    const late = Buffer.from(text);
    late[9000] = 0;
    const a = await attachment(late, 'fw.bin');
    expect(a.text).toBe(late.toString('utf8'));
  });

  it('a *.patch is read whole even with a NUL early', async () => {
    const p = Buffer.from('diff --git a/x b/x\n' + text.toString());
    p[100] = 0;
    const a = await attachment(p, 'fix.patch');
    expect(a.text!.length).toBe(p.length);
  });
});
