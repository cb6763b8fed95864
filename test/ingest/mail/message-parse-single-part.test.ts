// readSinglePart against MailParser on generated mail: random single-part mail (labels, transfer encodings,
// bytes), every single-byte label it decodes itself, bodies large enough for MailParser to read them in
// several chunks; and the one claim about a library it rests on, that libbase64's stream Decoder gives one
// decode of the base64 characters however its input is cut.
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Decoder as Base64Decoder, decode as decodeBase64 } from 'libbase64';
import { encode as encodeQp } from 'libqp';
import { parseMessage } from '../../../ingest/mail/message-parse.ts';
import { readsWithoutMailParser } from '../../../ingest/mail/read-mail.ts';
import { parseByMailParser } from './by-mailparser.ts';
import type { RawMessage } from '../../../ingest/core/model.ts';

function raw(bytes: Buffer): RawMessage {
  return { bytes, source: 'generated', offset: 0, separatorDate: null, format: 'eml' };
}

/** Parse both ways, expect one result; whether the fast path read it. */
async function bothWays(bytes: Buffer): Promise<boolean> {
  const r = raw(bytes);
  expect(await parseMessage(r)).toEqual(await parseByMailParser(r));
  return readsWithoutMailParser(r.bytes);
}

const latin1 = (s: string) => Buffer.from(s, 'latin1');
const HEAD = 'From: Ada Bauer <ada@amd.example>\nSubject: s\nMessage-ID: <g@x.example>\n';

// ---- random mail -------------------------------------------------------------------------------------

const CHARSETS = ['', 'us-ascii', 'US-ASCII', '"utf-8"', 'UTF-8', 'utf8', 'iso-8859-1', 'ISO-8859-15', 'windows-1252', 'cp1252', 'latin1', 'koi8-r', 'x-unknown', 'unknown-8bit', 'us_ascii', 'utf-16', 'shift_jis', 'iso-2022-jp', 'gb2312'];
const ENCODINGS = ['', '7bit', '8bit', 'binary', 'base64', 'BASE64', 'quoted-printable', ' Quoted-Printable', 'x-uuencode'];

const text = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 60 }),
  fc.constantFrom('Acked-by: Jörg Rödl <jr@amd.example>', '“quoted”', '-- ', 'diff --git a/k.c b/k.c', '> quoted', '=3D', 'é\r', ''),
);
const bodyBytes = fc.oneof(
  fc.array(text, { maxLength: 12 }).chain((lines) => fc.constantFrom('\n', '\r\n').map((eol) => Buffer.from(lines.join(eol) + eol, 'utf8'))),
  fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
  fc.array(fc.constantFrom('J\xf6rg', '\x93x\x94', '\x81\x8d', 'plain', '\n', '\r\n', ' \t'), { maxLength: 20 }).map((a) => latin1(a.join(''))),
);
/** A body encoded as the mail says, with what real mailers (and broken ones) leave in it. */
function encoded(body: Buffer, cte: string, noise: { wrap: number; crlf: boolean; junk: string }): Buffer {
  const eol = noise.crlf ? '\r\n' : '\n';
  switch (cte.trim().toLowerCase()) {
    case 'base64':
      return latin1(body.toString('base64').replace(new RegExp(`.{${noise.wrap}}`, 'g'), (m, i: number) => m + (i % 3 ? '' : noise.junk) + eol));
    case 'quoted-printable':
      return latin1(encodeQp(body).replace(new RegExp(`(.{${noise.wrap}})(?!$)`, 'g'), `$1=${eol}`) + noise.junk);
    default:
      return body;
  }
}

const mail = fc.record({
  from: fc.constantFrom('Ada Bauer <ada@amd.example>', 'J\xc3\xb6rg R\xc3\xb6dl <jr@amd.example>', 'J\xf6rg <jr@amd.example>', '=?UTF-8?B?SsO2cmc=?= <jr@amd.example>', 'ada at amd.example (Ada)', ''),
  subject: fc.constantFrom('[PATCH] x', '=?iso-8859-1?q?f=FCr?= x', 'f\xc3\xbcr \xe9', 'a\n b', ''),
  type: fc.constantFrom(undefined, 'text/plain', 'TEXT/PLAIN', 'text/plain (c)', '', 'text/x-patch'),
  charset: fc.constantFrom(...CHARSETS),
  cte: fc.constantFrom(...ENCODINGS),
  disposition: fc.constantFrom(undefined, undefined, 'inline', 'attachment'),
  crlf: fc.boolean(),
  body: bodyBytes,
  noise: fc.record({ wrap: fc.integer({ min: 4, max: 80 }), crlf: fc.boolean(), junk: fc.constantFrom('', ' ', '\t', '*', '-_', '\xe9', '=', '==') }),
});

describe('readSinglePart on generated mail', () => {
  it('reads random single-part mail exactly as MailParser does', async () => {
    let fast = 0;
    await fc.assert(
      fc.asyncProperty(mail, async (m) => {
        const lines = [`From: ${m.from}`, `Subject: ${m.subject}`, 'Message-ID: <r@x.example>'];
        if (m.type !== undefined) lines.push(`Content-Type: ${m.type}${m.charset ? `; charset=${m.charset}` : ''}`);
        if (m.cte) lines.push(`Content-Transfer-Encoding: ${m.cte}`);
        if (m.disposition) lines.push(`Content-Disposition: ${m.disposition}`);
        const eol = m.crlf ? '\r\n' : '\n';
        const head = latin1(lines.join(eol) + eol + eol);
        if (await bothWays(Buffer.concat([head, encoded(m.body, m.cte, m.noise)]))) fast++;
      }),
      { numRuns: 400, seed: 20100329 },
    );
    expect(fast).toBeGreaterThan(100); // most of it took the fast path
  });

  it('decodes every single-byte label as MailParser does, all 256 bytes, 8bit and base64', async () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const labels = [
      'iso-8859-1', 'iso8859-1', 'iso_8859-1', 'latin1', 'latin-1', 'l1', 'cp819', 'windows-1252', 'cp1252',
      ...Array.from({ length: 16 }, (_, i) => `iso-8859-${i + 1}`), ...Array.from({ length: 16 }, (_, i) => `ISO8859-${i + 1}`),
      ...Array.from({ length: 9 }, (_, i) => `windows-125${i}`), ...Array.from({ length: 9 }, (_, i) => `cp125${i}`), 'koi8-r', 'KOI8-U',
    ];
    let fast = 0;
    for (const label of labels) {
      const head = `${HEAD}Content-Type: text/plain; charset=${label}\n`;
      if (await bothWays(Buffer.concat([latin1(`${head}Content-Transfer-Encoding: 8bit\n\n`), all]))) fast++;
      if (await bothWays(latin1(`${head}Content-Transfer-Encoding: base64\n\n${all.toString('base64')}\n`))) fast++;
    }
    expect(fast).toBeGreaterThan(labels.length); // all but the labels no decoder knows
  });

  it('reads bodies MailParser takes in several chunks (over 64 KiB; a line over 64 KiB) as it does', async () => {
    const big = Buffer.from(Array.from({ length: 3000 }, (_, i) => `line ${i}: Jörg Rödl “${i % 7}”\n`).join(''), 'utf8');
    const padded = big.toString('base64').replace(/.{57}/g, (m) => `${m}${'='.repeat(m.length % 4 ? 4 - (m.length % 4) : 0)}\n`);
    const cases = [
      `${HEAD}Content-Transfer-Encoding: base64\n\n${big.toString('base64').replace(/.{76}/g, '$&\r\n')}`,
      `${HEAD}Content-Transfer-Encoding: base64\n\n${big.toString('base64')}`,
      `${HEAD}Content-Transfer-Encoding: base64\n\n${padded}`,
      `${HEAD}Content-Transfer-Encoding: base64\n\n${big.toString('base64').replace(/.{76}/g, '$&-_ \xe9\n')}`,
      `${HEAD}Content-Transfer-Encoding: quoted-printable\nContent-Type: text/plain; charset=utf-8\n\n${encodeQp(big)}`,
      `${HEAD}Content-Type: text/plain; charset=iso-8859-2\n\n${'\xb1\xe6\xea'.repeat(40000)}\n`,
    ];
    for (const c of cases) expect(await bothWays(latin1(c))).toBe(true);
    expect(await bothWays(Buffer.concat([latin1(`${HEAD}\n`), big, Buffer.from([0x93, 0x0a]), big]))).toBe(true);
  });
});

// weighted towards what the fast path reads (each part must be readable for the mail to be), with every
// kind of part it declines in the mix
const often = <T>(common: T[], rare: T[]) => fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...common) }, { weight: 1, arbitrary: fc.constantFrom(...rare) });
const part = fc.record({
  type: often(['text/plain', 'TEXT/PLAIN', 'text/x-patch', 'text/x-diff', 'text/plain (c)'], [undefined, 'text/html', 'application/octet-stream']),
  charset: often(['', 'us-ascii', 'utf-8', 'iso-8859-1', 'windows-1252', 'koi8-r', 'x-unknown', 'UTF-8'], ['utf-16', 'shift_jis']),
  cte: often(['', '7bit', '8bit', 'base64', 'quoted-printable', 'BASE64'], ['x-uuencode', 'base64 (c)']),
  disposition: often([undefined, undefined, 'inline', 'attachment', 'weird'], ['attachment (c)']),
  name: often([undefined, undefined, 'fix.patch', 'notes.txt', '0001-kexec-fix.diff'], ['a b.patch', '=?utf-8?q?f=C3=BCr?=.patch', "utf-8''fix.patch"]),
  extra: often([undefined, undefined, 'Content-ID: <p@x>', 'Content-Description: the fix'], ['X-Other: 1', ' folded']),
  body: fc.oneof({ weight: 1, arbitrary: bodyBytes }, { weight: 3, arbitrary: fc.array(text, { maxLength: 12 }).map((l) => Buffer.from(l.join('\n').replace(/\r/g, '') + '\n', 'utf8')) }),
  noise: fc.record({ wrap: fc.integer({ min: 4, max: 80 }), crlf: fc.constantFrom(false, false, false, true), junk: fc.constantFrom('', ' ', '=') }),
});
const multipart = fc.record({
  boundary: fc.constantFrom('b', '"=_b-1"', '----bench117', '"a b"', 'x:y/z', '"quoted"'),
  preamble: often(['', '\n'], ['This is a multi-part message in MIME format.\n']),
  parts: fc.array(part, { minLength: 1, maxLength: 3 }),
  closing: fc.constantFrom('--', '--', '--', ''),
  epilogue: fc.constantFrom('', '\n', 'epilogue\n'),
  crlf: fc.constantFrom(false, false, false, true),
});

describe('multipart/mixed read without MailParser', () => {
  it('reads random multipart/mixed mail exactly as MailParser does', async () => {
    let fast = 0;
    await fc.assert(
      fc.asyncProperty(multipart, async (m) => {
        const value = m.boundary.replace(/^"|"$/g, '');
        const out: Buffer[] = [latin1(`${HEAD}MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=${m.boundary}\n\n${m.preamble}`)];
        for (const p of m.parts) {
          const lines: string[] = [];
          const name = p.name === undefined ? '' : p.name.includes("''") ? `; name*=${p.name}` : `; name="${p.name}"`;
          if (p.type !== undefined) lines.push(`Content-Type: ${p.type}${p.charset ? `; charset=${p.charset}` : ''}${name}`);
          if (p.cte) lines.push(`Content-Transfer-Encoding: ${p.cte}`);
          if (p.disposition) lines.push(`Content-Disposition: ${p.disposition}${p.name && !p.name.includes("''") ? `; filename="${p.name}"` : ''}`);
          if (p.extra === ' folded') lines[lines.length - 1] += '\n folded';
          else if (p.extra) lines.push(p.extra);
          out.push(latin1(`--${value}\n${lines.join('\n')}\n\n`), encoded(p.body, p.cte, p.noise), latin1('\n'));
        }
        out.push(latin1(`--${value}${m.closing}\n${m.epilogue}`));
        let bytes = Buffer.concat(out);
        if (m.crlf) bytes = latin1(bytes.toString('latin1').replace(/\r?\n/g, '\r\n'));
        if (await bothWays(bytes)) fast++;
      }),
      { numRuns: 500, seed: 20100331 },
    );
    expect(fast).toBeGreaterThan(25); // the fast path was taken, not only declined
  });
});

describe("libbase64's stream Decoder", () => {
  it('gives one decode of the base64 characters, however the input is cut', async () => {
    const input = fc.array(fc.constantFrom('QU', 'JD', 'RA', 'w7Y', '=', '==', '\r\n', '\n', ' ', '-', '_', '*', '\xe9', 'Zm9v', 'YmFy'), { maxLength: 60 }).map((a) => a.join(''));
    await fc.assert(
      fc.asyncProperty(input, fc.array(fc.nat(), { maxLength: 8 }), async (s, cuts) => {
        const bytes = latin1(s);
        const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const chunks = [0, ...at].map((from, i) => bytes.subarray(from, [...at, bytes.length][i]));
        const out: Buffer[] = [];
        for await (const c of Readable.from(chunks).pipe(new Base64Decoder())) out.push(c as Buffer);
        expect(Buffer.concat(out)).toEqual(decodeBase64(s.replace(/[^a-zA-Z0-9+/=]/g, '')));
      }),
      { numRuns: 500, seed: 4 },
    );
  });
});
