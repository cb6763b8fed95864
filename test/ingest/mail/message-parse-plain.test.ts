// A single-part mail skips MailParser's streams (readSinglePart): it must come out exactly as MailParser
// would have made it, whatever its transfer encoding, charset or 8-bit bytes. Checked on every message of
// the corpus, the pipermail month, the mail fixtures, a generated archive and literal edge cases; the
// counts per kind of mail show that the fast path was really taken where it should be.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../../ingest/mail/message-parse.ts';
import { readSinglePart, readsWithoutMailParser } from '../../../ingest/mail/read-mail.ts';
import { parseByMailParser } from './by-mailparser.ts';
import { readMbox } from '../../../ingest/archive/mbox-reader.ts';
import { generateArchive } from '../../../bench/gen-archive.ts';
import type { RawMessage } from '../../../ingest/core/model.ts';

const FIX = path.join(import.meta.dirname, '..', '..', 'fixtures');

async function raws(file: string): Promise<RawMessage[]> {
  const out: RawMessage[] = [];
  for await (const r of readMbox(fs.createReadStream(file), { source: file })) out.push(r);
  return out;
}

function raw(bytes: Buffer, source = 'literal'): RawMessage {
  return { bytes, source, offset: 0, separatorDate: null, format: 'eml' };
}

function emls(): RawMessage[] {
  const dir = path.join(FIX, 'mail');
  return fs.readdirSync(dir).filter((f) => f.endsWith('.eml')).map((f) => raw(fs.readFileSync(path.join(dir, f)), f));
}

type Kind = 'multipart' | 'base64' | 'quoted-printable' | '8-bit' | 'ascii';

/** What a mail is, from its own header block: what it should take the fast path for. */
function kindOf(r: RawMessage): Kind {
  const s = r.bytes.toString('latin1');
  const end = s.search(/\r?\n\r?\n/);
  const head = end < 0 ? s : s.slice(0, end);
  if (/^content-type:[ \t]*multipart\//im.test(head)) return 'multipart';
  if (/^content-transfer-encoding:[ \t]*base64/im.test(head)) return 'base64';
  if (/^content-transfer-encoding:[ \t]*quoted-printable/im.test(head)) return 'quoted-printable';
  if (/[^\x00-\x7f]/.test(s)) return '8-bit';
  return 'ascii';
}

type Counts = Record<Kind, { fast: number; all: number }>;

/** Parse each mail both ways, expect one result; count by kind how many took the fast path. */
async function compare(messages: RawMessage[]): Promise<Counts> {
  const counts: Counts = { multipart: { fast: 0, all: 0 }, base64: { fast: 0, all: 0 }, 'quoted-printable': { fast: 0, all: 0 }, '8-bit': { fast: 0, all: 0 }, ascii: { fast: 0, all: 0 } };
  for (const r of messages) {
    const fast = await parseMessage(r);
    const slow = await parseByMailParser(r);
    expect(fast, r.source + '@' + r.offset).toEqual(slow);
    const c = counts[kindOf(r)];
    c.all++;
    if (readsWithoutMailParser(r.bytes)) c.fast++;
  }
  return counts;
}

const HEAD = 'From: Ada Bauer <ada@amd.example>\nSubject: [PATCH] kexec: fix it\nDate: Mon, 29 Mar 2010 16:10:17 -0400\nMessage-ID: <e@x.example>\n';
const latin1 = (s: string) => Buffer.from(s, 'latin1');
const utf8 = (s: string) => Buffer.from(s, 'utf8');
const crlf = (s: string) => s.replace(/\n/g, '\r\n');
const PATCH = 'Fix it.\n\nAcked-by: Jörg Rödl <jr@amd.example>\nSigned-off-by: Ada Bauer <ada@amd.example>\n---\ndiff --git a/k.c b/k.c\n--- a/k.c\n+++ b/k.c\n@@ -1 +1 @@\n-\tif (ret < 0)\n+\tif (ret)\n';
const b64 = (b: Buffer, width = 76, eol = '\n') => b.toString('base64').replace(new RegExp(`.{${width}}`, 'g'), `$&${eol}`);

/** Edge cases, each with whether readSinglePart should read it (true) or leave it to MailParser (false). */
const EDGE_CASES: [string, Buffer, boolean][] = [
  ['base64, CRLF, wrapped at 60, garbage between the lines', latin1(crlf(HEAD + 'Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n') + b64(utf8(PATCH), 60, '\r\n').replace(/\r\n/g, (m, i: number) => (i % 3 ? m : ' *\t\xe9' + m)) + '\r\n'), true],
  ['base64, each line padded on its own', latin1(HEAD + 'Content-Transfer-Encoding: base64\n\n' + PATCH.split('\n').map((l) => utf8(l + '\n').toString('base64')).join('\n')), true],
  ['base64 with - and _ (not base64 to the stream decoder) and a cut-off end', latin1(HEAD + 'Content-Transfer-Encoding: BASE64\n\n' + b64(utf8(PATCH)).replace(/\n/g, '-_\n').slice(0, -3) + 'Q'), true],
  ['base64 of windows-1252 labelled utf-8', latin1(HEAD + 'Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n' + b64(latin1('\x93quoted\x94 \x81\x8d\n'))), true],
  ['base64, empty body', latin1(HEAD + 'Content-Transfer-Encoding: base64\n\n'), true],
  ['quoted-printable, soft line breaks (LF and CRLF), lower-case hex, = at the very end', latin1(HEAD + 'Content-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: quoted-printable\n\nJ=c3=b6rg R=C3=\n=B6dl  \r\nsoft=\r\nbreak=3D=09tab \t\nbad =ZZ =4\nend='), true],
  ['quoted-printable with raw 8-bit bytes and a trailing =', latin1(HEAD + 'Content-Transfer-Encoding: Quoted-Printable \nContent-Type: text/plain; charset=iso-8859-1\n\ngr\xfc\xdfe =E9t=E9\n=\n'), true],
  ['quoted-printable decoding to invalid UTF-8 under utf-8', latin1(HEAD + 'Content-Type: text/plain; charset="utf-8"\nContent-Transfer-Encoding: quoted-printable\n\nna=EFve =93x=94\n'), true],
  ['latin-1 body labelled us-ascii', latin1(HEAD + 'Content-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: 7bit\n\nAcked-by: Olaf Nystr\xf6m <o@s.example>\n'), true],
  ['windows-1252 bytes labelled iso-8859-1', latin1(HEAD + 'Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: 8bit\n\n\x93quoted\x94 \x80 \x81\x8d\x8f\x90\x9d \xe9\n'), true],
  ['UTF-8 bytes labelled ISO-8859-1 (as the benchmark archive has them)', Buffer.concat([latin1(HEAD + 'Content-Type: text/plain; charset=ISO-8859-1\nContent-Transfer-Encoding: 8bit\n\n'), utf8(PATCH)]), true],
  ['charset in quotes and upper case, iso-8859-15', latin1(HEAD + 'Content-Type: TEXT/PLAIN; CHARSET="ISO-8859-15"\n\n\xa4uro \xbd\xbe \xe9\n'), true],
  ['windows-1250 with a comment in Content-Type', latin1(HEAD + 'Content-Type: text/plain (plain text); charset=windows-1250 (Polish)\n\n\x9c\xb9\xea\n'), true],
  ['koi8-r, folded Content-Type', latin1(HEAD + 'Content-Type: text/plain;\n\tcharset=koi8-r\n\n\xf0\xd2\xc9\xd7\xc5\xd4\n'), true],
  ['unknown charset label, UTF-8 bytes', Buffer.concat([latin1(HEAD + 'Content-Type: text/plain; charset=x-foo-bar\n\n'), utf8('Jörg Rödl\n')]), true],
  ['unknown charset label, latin-1 bytes', latin1(HEAD + 'Content-Type: text/plain; charset=x-foo-bar\n\nJ\xf6rg R\xf6dl\n'), true],
  ['us_ascii (a label MailParser does not decode) with latin-1 bytes', latin1(HEAD + 'Content-Type: text/plain; charset=us_ascii\n\nJ\xf6rg\n'), true],
  ['raw UTF-8 in Subject and From', Buffer.concat([utf8('From: Jörg Rödl <jr@amd.example>\nSubject: [PATCH] fix für Rödl\nMessage-ID: <u@x.example>\n\n'), utf8('Grüße\n')]), true],
  ['raw latin-1 in Subject and From, QP body', latin1('From: J\xf6rg R\xf6dl <jr@amd.example>\nSubject: [PATCH] f\xfcr \x93R\x94\nMessage-ID: <l@x.example>\nContent-Transfer-Encoding: quoted-printable\n\nGr=C3=BC=C3=9Fe\n'), true],
  ['RFC 2047 words: folded, split, unknown charset, bad base64', latin1(crlf('From: =?ISO-8859-1?Q?J=F6rg_R=F6dl?= <jr@amd.example>\nSubject: =?UTF-8?B?W1BBVENIXSBmw7w=?=\n =?UTF-8?B?ciBSw7ZkbA==?= =?x-nope?Q?abc?= =?utf-8?B?@@@?=\nMessage-ID: <w@x.example>\n\nbody\n')), true],
  ['first Subject empty, three Subjects, two Froms', latin1('From: First <first@x.example>\nFrom: Second <second@x.example>\nSubject:\nSubject: the second\nSubject: the third\nMessage-ID: <d@x.example>\n\nbody\n'), true],
  ['no Content-Type, 8-bit UTF-8 body', Buffer.concat([latin1(HEAD + '\n'), utf8(PATCH)]), true],
  ['no Content-Type, latin-1 body, CRLF and a lone CR', latin1(crlf(HEAD + '\nGr\xfc\xdfe\n') + 'lone\rCR\n'), true],
  ['no blank line, no body', latin1(HEAD.trimEnd()), true],
  ['blank line, empty body', latin1(HEAD + '\n'), true],
  ['a UTF-8 BOM', Buffer.concat([latin1(HEAD + 'Content-Type: text/plain; charset=utf-8\n\n'), utf8('\ufeffbody\n')]), true],
  ['format=flowed (turned off by prepare), UTF-8 body', Buffer.concat([latin1(HEAD + 'Content-Type: text/plain; charset=utf-8; format=flowed; delsp=yes\n\n'), utf8('Grüße, \nJörg\n')]), true],
  ['Content-Transfer-Encoding in quotes (not decoded)', latin1(HEAD + 'Content-Transfer-Encoding: "base64"\n\nYm9keQo=\n'), true],
  ['Content-Disposition: inline', latin1(HEAD + 'Content-Disposition: inline\n\nbody\n'), true],
  ['empty Content-Type', latin1(HEAD + 'Content-Type:\n\nbody \xe9\n'), true],
  ['Content-Transfer-Encoding with a comment', latin1(HEAD + 'Content-Transfer-Encoding: base64 (yes)\n\nYm9keQo=\n'), false],
  ['Content-Disposition: inline with a .patch name', latin1(HEAD + 'Content-Disposition: inline; filename="fix.patch"\n\n' + PATCH), false],
  ['Content-Disposition: attachment', latin1(HEAD + 'Content-Disposition: attachment\n\nbody\n'), false],
  ['text/plain with a name', latin1(HEAD + 'Content-Type: text/plain; name*=utf-8\'\'fix.patch\n\n' + PATCH), false],
  ['text/plain with a boundary', latin1(HEAD + 'Content-Type: text/plain; boundary=x\n\npre\n--x\nContent-Type: text/html\n\n<p>x</p>\n--x--\n'), false],
  ['text/html', latin1(HEAD + 'Content-Type: text/html\n\n<p>body</p>\n'), false],
  ['format=flowed in RFC 2231 form (prepare leaves it)', latin1(HEAD + "Content-Type: text/plain; format*=us-ascii''flowed\n\nline \nwrapped\n"), false],
  ['utf-16', Buffer.concat([latin1(HEAD + 'Content-Type: text/plain; charset=utf-16le\nContent-Transfer-Encoding: binary\n\n'), Buffer.from('body\n', 'utf16le')]), false],
  ['ISO-2022-JP', latin1(HEAD + 'Content-Type: text/plain; charset=ISO-2022-JP\n\n\x1b$B$3$s$K$A$O\x1b(B\n'), false],
  ['Shift_JIS, base64', latin1(HEAD + 'Content-Type: text/plain; charset=Shift_JIS\nContent-Transfer-Encoding: base64\n\ngrGC8YLJgr+CzQo=\n'), false],
  ['a header line without a colon', latin1(HEAD + 'Garbage line\n\nbody\n'), false],
  ['lower-case "from " first (mailsplit takes it for an mbox line)', latin1('from : Ada <ada@amd.example>\nSubject: s\nMessage-ID: <f@x.example>\n\nbody\n'), false],
  ['multipart/mixed, one text part', latin1(HEAD + 'Content-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/plain\n\nbody\n--x--\n'), true],
  ['multipart/mixed: text, then a base64 .patch attachment, a quoted boundary, an epilogue', latin1(HEAD + 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="=_b-1"\n\n--=_b-1\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\nSee the attachment, Jörg.\n\n--=_b-1\nContent-Type: text/x-patch; charset=us-ascii; name="fix.patch"\nContent-Transfer-Encoding: base64\nContent-Disposition: attachment; filename="fix.patch"\n\n' + b64(utf8(PATCH)) + '\n--=_b-1--\nepilogue\n'), true],
  ['multipart/mixed: two text parts, an empty one between, a quoted-printable latin-1 part', latin1(HEAD + 'Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nfirst\n--b\nContent-Type: text/plain\n\n--b\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\nJ=F6rg R=F6dl=\n said\n--b--\n'), true],
  ['multipart/mixed: an inline text/plain part named .patch, a text/x-diff without disposition, an unknown disposition', latin1(HEAD + 'Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nintro\n--b\nContent-Type: text/plain; name=fix.patch\nContent-Disposition: inline\n\n' + PATCH + '--b\nContent-Type: text/x-diff\n\n' + PATCH + '--b\nContent-Type: text/plain\nContent-Disposition: weird\n\nnot text\n--b--\n'), true],
  ['multipart/mixed with a preamble', latin1(HEAD + 'Content-Type: multipart/mixed; boundary=x\n\nThis is a multi-part message in MIME format.\n--x\nContent-Type: text/plain\n\nbody\n--x--\n'), false],
  ['multipart/mixed, CRLF', latin1(crlf(HEAD + 'Content-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/plain\n\nbody\n--x--\n')), false],
  ['multipart/mixed with a text/html part', latin1(HEAD + 'Content-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/html\n\n<p>body</p>\n--x--\n'), false],
  ['multipart/mixed, nested multipart/alternative', latin1(HEAD + 'Content-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: multipart/alternative; boundary=y\n\n--y\nContent-Type: text/plain\n\nbody\n--y--\n--x--\n'), false],
  ['multipart/mixed without its closing delimiter', latin1(HEAD + 'Content-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/plain\n\nbody\n'), false],
  ['multipart/mixed, an encoded file name', latin1(HEAD + 'Content-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/x-patch; name="=?utf-8?q?f=C3=BCr.patch?="\n\n' + PATCH + '--x--\n'), false],
  ['multipart/mixed, a delimiter line with trailing blanks', latin1(HEAD + 'Content-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/plain\n\nbody\n--x  \nContent-Type: text/plain\n\nmore\n--x--\n'), false],
  ['multipart/mixed, a part without Content-Type', latin1(HEAD + 'Content-Type: multipart/mixed; boundary=x\n\n--x\nContent-Disposition: attachment; filename=fix.patch\n\n' + PATCH + '--x--\n'), false],
];

describe('mail read without MailParser', () => {
  it('parses the corpus and the pipermail month exactly as MailParser does', async () => {
    const mbox = await raws(path.join(FIX, 'corpus', 'archive.mbox'));
    const pip = await raws(path.join(FIX, 'corpus', 'pipermail-2010-Mar.txt.gz'));
    const counts = await compare([...mbox, ...pip]);
    const fast = Object.values(counts).reduce((n, c) => n + c.fast, 0);
    // the corpus is single-part mail but for a few attachments: the fast path was really taken
    expect(fast).toBeGreaterThan(0.9 * (mbox.length + pip.length));
    expect(counts.ascii.fast).toBe(counts.ascii.all);
  });

  it('parses the edge-case fixtures exactly as MailParser does', async () => {
    const counts = await compare(emls());
    expect(counts.base64.fast).toBeGreaterThan(0);
    expect(counts['quoted-printable'].fast).toBeGreaterThan(0);
    expect(counts['8-bit'].fast).toBeGreaterThan(0);
  });

  it('parses a generated archive (encodings, attachments, replies) exactly as MailParser does', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'relapse-plain-')), 'g.mbox');
    generateArchive(file, { messages: 1500, seed: 11 });
    const counts = await compare(await raws(file));
    // base64, quoted-printable and 8-bit (latin-1 labels, UTF-8 names) mail all took the fast path ...
    for (const kind of ['base64', 'quoted-printable', '8-bit', 'ascii'] as const) {
      expect(counts[kind].all, kind).toBeGreaterThan(20);
      expect(counts[kind].fast, kind).toBe(counts[kind].all);
    }
    // ... and so did the multipart mail (a message and its .patch attachment)
    expect(counts.multipart.all).toBeGreaterThan(0);
    expect(counts.multipart.fast).toBe(counts.multipart.all);
  });

  it.each(EDGE_CASES)('%s: as MailParser does', async (name, bytes, fast) => {
    const r = raw(bytes, name);
    await compare([r]);
    expect(await parseMessage(r)).toHaveProperty('message');
    expect(readsWithoutMailParser(r.bytes)).toBe(fast);
  });

  it('reads what it reads as MailParser reports it: header lines, subject, sender, text', () => {
    const mime = readSinglePart(latin1(crlf('From: =?UTF-8?Q?J=C3=B6rg?= <jr@amd.example>\nSubject: a\n  folded\nContent-Transfer-Encoding: base64\n\n') + b64(utf8('Grüße\r\nx\n'))));
    expect(mime).not.toBeNull();
    expect(mime!.headerLines).toEqual([
      { key: 'from', line: 'From: =?UTF-8?Q?J=C3=B6rg?= <jr@amd.example>' },
      { key: 'subject', line: 'Subject: a\r\n  folded' },
      { key: 'content-transfer-encoding', line: 'Content-Transfer-Encoding: base64' },
    ]);
    expect(mime!.subject).toBe('a folded');
    expect(mime!.from?.value[0]).toMatchObject({ name: 'Jörg', address: 'jr@amd.example' });
    expect(mime!.text).toBe('Grüße\nx\n');
  });
});
