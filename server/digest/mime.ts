// The digest as an RFC 5322 message (multipart/alternative: text/plain, text/html), built with nodemailer's
// MailComposer. The MIME boundary is derived from a hash of the content, so the bytes depend only on the
// content, the addresses, the Date and the Message-ID. --out writes these bytes; --send delivers them as they are.
import crypto from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import type { ComposedDigest } from './compose.ts';

export interface EnvelopeOptions {
  from: string;
  /** recipients for the To header (may be empty: no To header) */
  to: string[];
  week: string;
  /** defaults to now */
  date?: Date;
  /** defaults to a fresh id */
  messageId?: string;
}

export interface BuiltMessage {
  raw: Buffer;
  messageId: string;
}

function domainOf(from: string): string {
  const m = /@([^>\s]+)>?\s*$/.exec(from);
  return m ? m[1] : 'relapse.invalid';
}

export function newMessageId(week: string, from: string): string {
  return `<relapse-digest.${week}.${Date.now().toString(36)}.${crypto.randomBytes(6).toString('hex')}@${domainOf(from)}>`;
}

export async function buildMessage(c: ComposedDigest, o: EnvelopeOptions): Promise<BuiltMessage> {
  const messageId = o.messageId ?? newMessageId(o.week, o.from);
  const baseBoundary = crypto
    .createHash('sha256')
    .update(JSON.stringify([c.subject, c.text, c.html, o.from, o.to]))
    .digest('hex')
    .slice(0, 24);
  const composer = new MailComposer({
    from: o.from,
    ...(o.to.length ? { to: o.to } : {}),
    subject: c.subject,
    text: c.text,
    html: c.html,
    date: o.date ?? new Date(),
    messageId,
    baseBoundary,
    // CRLF throughout, as it goes over SMTP: --out and --send give the same bytes
    newline: 'windows',
    headers: { 'X-Relapse-Week': o.week, 'Auto-Submitted': 'auto-generated' },
  } as ConstructorParameters<typeof MailComposer>[0]);
  const raw = await new Promise<Buffer>((resolve, reject) => {
    composer.compile().build((err, buf) => (err ? reject(err) : resolve(buf)));
  });
  return { raw, messageId };
}
