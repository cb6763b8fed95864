// One raw mail in, one Message (or a quarantine reason) out: reading MIME (read-mail.ts), then interpreting the
// mail (core/message.ts). Never throws.
import type { RawMessage } from '../core/model.ts';
import { interpretMail, type InterpretOptions, type ParseResult } from '../core/message.ts';
import { readMail } from './read-mail.ts';

export type { ParseResult };
export type ParseOptions = InterpretOptions;

/**
 * Parse one mail. Input that cannot be a mail (no header block, binary junk, empty) and any unexpected failure
 * come back as `{ quarantine: reason }`.
 *
 * @example const r = await parseMessage(raw, { list: 'kexec' });
 *   if ('message' in r) r.message.isPatch
 */
export async function parseMessage(raw: RawMessage, opts: ParseOptions = {}): Promise<ParseResult> {
  try {
    const mail = await readMail(raw?.bytes);
    if (typeof mail === 'string') return { quarantine: mail };
    return interpretMail(raw, mail, opts);
  } catch (err) {
    return { quarantine: `parse error: ${err instanceof Error ? err.message : String(err)}` };
  }
}
