// `relapse digest [--week 2010-W13] [--db PATH] [--out FILE.eml | --send] [--to ADDR...] [--force]`
// Without --out or --send, prints the text part (a preview). --out writes the full digest (To: every
// recipient, items not narrowed); --send delivers each recipient their own digest, narrowed to their file patterns.
import fs from 'node:fs';
import path from 'node:path';
import { openDb } from '../../ingest/store/db.ts';
import { loadSettings, type DigestRecipient } from '../../config/settings.ts';
import { lastCompleteWeek, parseIsoWeek, type IsoWeek } from './iso-week.ts';
import { composeDigest } from './compose.ts';
import { buildMessage } from './mime.ts';
import { gatherWeek } from '../data/digest-week.ts';
import { sendDigest } from './send.ts';

export interface DigestCommandOptions {
  db?: string;
  week?: string;
  out?: string;
  send?: boolean;
  to?: string[];
  force?: boolean;
}

const EMAIL = /^[^\s@<>]+@[^\s@<>]+$/;

function recipientsFrom(o: DigestCommandOptions, configured: DigestRecipient[]): DigestRecipient[] {
  if (o.to?.length) {
    const list = o.to.flatMap((t) => t.split(',')).map((t) => t.trim()).filter(Boolean);
    for (const t of list) {
      const addr = /<([^>]+)>\s*$/.exec(t)?.[1] ?? t;
      if (!EMAIL.test(addr)) throw new Error(`--to: not an email address: ${t}`);
    }
    return list.map((email) => ({ email, files: [] }));
  }
  return configured;
}

export async function runDigestCommand(o: DigestCommandOptions): Promise<void> {
  const settings = loadSettings({ db: o.db });
  const week: IsoWeek = o.week !== undefined ? parseIsoWeek(o.week) : lastCompleteWeek(new Date());
  if (settings.db !== ':memory:' && !fs.existsSync(settings.db)) {
    throw new Error(`no database at ${settings.db} (run \`relapse ingest\` first, or give --db)`);
  }
  const recipients = recipientsFrom(o, settings.digest.recipients);
  if (o.send && !recipients.length) throw new Error('no recipients: give --to ADDR or list digest.recipients in the config file');

  const db = openDb(settings.db);
  try {
    const data = gatherWeek(db, week, settings.digest.list, settings.inboxes);
    if (o.out || !o.send) {
      const composed = composeDigest(data);
      if (o.out) {
        const msg = await buildMessage(composed, { from: settings.digest.from, to: recipients.map((r) => r.email), week: week.label });
        if (o.out === '-') process.stdout.write(msg.raw);
        else {
          fs.mkdirSync(path.dirname(path.resolve(o.out)), { recursive: true });
          fs.writeFileSync(o.out, msg.raw);
          console.error(`digest ${week.label}: ${composed.subject} → ${o.out}`);
        }
      } else {
        process.stdout.write(`Subject: ${composed.subject}\n\n${composed.text}`);
      }
    }
    if (o.send) {
      const results = await sendDigest(db, settings, week, recipients, {
        force: o.force,
        data,
        log: (l) => console.error(l),
      });
      const failed = results.filter((r) => r.status === 'failed');
      const sent = results.filter((r) => r.status === 'sent').length;
      const skipped = results.filter((r) => r.status === 'already-sent' || r.status === 'in-progress-elsewhere').length;
      const empty = results.filter((r) => r.status === 'empty').length;
      console.log(`digest ${week.label}: ${sent} sent, ${skipped} already sent${skipped && !o.force ? ' (--force to send again)' : ''}, ${empty} with nothing to say, ${failed.length} failed`);
      if (failed.length) {
        for (const f of failed) console.error(`digest ${week.label} → ${f.recipient}: ${f.error} (recorded; the server retries it)`);
        process.exitCode = 1;
      }
    }
  } finally {
    db.close();
  }
}
