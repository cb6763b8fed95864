// The reference parse the fast path is held to: the same interpretation over MailParser's reading of the mail.
import type { RawMessage } from '../../../ingest/core/model.ts';
import { interpretMail, type ParseResult } from '../../../ingest/core/message.ts';
import { readMailByMailParser } from '../../../ingest/mail/read-mail.ts';

export async function parseByMailParser(raw: RawMessage): Promise<ParseResult> {
  try {
    const mail = await readMailByMailParser(raw.bytes);
    return typeof mail === 'string' ? { quarantine: mail } : interpretMail(raw, mail);
  } catch (err) {
    return { quarantine: `parse error: ${err instanceof Error ? err.message : String(err)}` };
  }
}
