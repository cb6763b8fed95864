// A mail with nothing to decode skips MailParser's streams: it must come out exactly as MailParser
// would have made it. Checked on every message of the corpus, the pipermail month, the mail fixtures
// and a generated archive.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMessage, readPlain } from '../../ingest/message-parse.ts';
import { readMbox } from '../../ingest/mbox-reader.ts';
import { generateArchive } from '../../bench/gen-archive.ts';
import type { RawMessage } from '../../ingest/model.ts';

const FIX = path.join(import.meta.dirname, '..', 'fixtures');

async function raws(file: string): Promise<RawMessage[]> {
  const out: RawMessage[] = [];
  for await (const r of readMbox(fs.createReadStream(file), { source: file })) out.push(r);
  return out;
}

function emls(): RawMessage[] {
  const dir = path.join(FIX, 'mail');
  return fs.readdirSync(dir).filter((f) => f.endsWith('.eml')).map((f) => ({
    bytes: fs.readFileSync(path.join(dir, f)), source: f, offset: 0, separatorDate: null, format: 'eml' as const,
  }));
}

async function compare(messages: RawMessage[]): Promise<number> {
  let plain = 0;
  for (const raw of messages) {
    const fast = await parseMessage(raw);
    const slow = await parseMessage(raw, { alwaysMailParser: true });
    expect(fast, raw.source + '@' + raw.offset).toEqual(slow);
    if (raw.bytes.every((b) => b < 0x80) && readPlain(raw.bytes.toString('latin1'))) plain++;
  }
  return plain;
}

describe('mail with nothing to decode', () => {
  it('parses the corpus and the pipermail month exactly as MailParser does', async () => {
    const mbox = await raws(path.join(FIX, 'corpus', 'archive.mbox'));
    const pip = await raws(path.join(FIX, 'corpus', 'pipermail-2010-Mar.txt.gz'));
    const plain = await compare([...mbox, ...pip]);
    // most of the corpus is plain git send-email mail: the fast path was really taken
    expect(plain).toBeGreaterThan(mbox.length / 2);
  });

  it('parses the edge-case fixtures exactly as MailParser does', async () => {
    await compare(emls());
  });

  it('parses a generated archive (encodings, attachments, replies) exactly as MailParser does', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'relapse-plain-')), 'g.mbox');
    generateArchive(file, { messages: 1500, seed: 11 });
    const all = await raws(file);
    const plain = await compare(all);
    expect(plain).toBeGreaterThan(0);
    expect(plain).toBeLessThan(all.length); // and the rest went through MailParser
  });

  it('leaves encoded, multipart, flowed and attachment mail to MailParser', () => {
    const head = 'From: a@b\nSubject: s\nMessage-ID: <x@y>\n';
    expect(readPlain(head + '\nbody\n')).not.toBeNull();
    expect(readPlain(head + 'Content-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: 7bit\n\nbody\n')).not.toBeNull();
    expect(readPlain(head + 'Content-Transfer-Encoding: base64\n\nYm9keQo=\n')).toBeNull();
    expect(readPlain(head + 'Content-Type: multipart/mixed; boundary=x\n\n--x\n\nbody\n--x--\n')).toBeNull();
    expect(readPlain(head + 'Content-Type: text/plain; format=flowed\n\nbody\n')).toBeNull();
    expect(readPlain(head + 'Content-Type: text/plain; name=fix.patch\n\nbody\n')).toBeNull();
    expect(readPlain(head + 'Content-Disposition: attachment\n\nbody\n')).toBeNull();
    expect(readPlain(head + 'Content-Type: text/plain; charset=ISO-2022-JP\n\n\x1b$B$3\x1b(B\n')).toBeNull();
  });
});
