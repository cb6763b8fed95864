// Reading MIME: one mail's bytes in, a ParsedMail (core/model.ts) or the reason there is no mail in them out.
// The only module that uses mailparser and its helper libraries (libmime, libqp, libbase64, iconv-lite);
// interpreting the mail is core/message.ts's.
//
// The MIME work is mailparser's: header decoding (RFC 2047 subject and sender name), the multipart tree,
// base64 and quoted-printable, charsets (iconv-lite and encoding-japanese behind libmime), attachments.
// Most mail is a single text/plain part, or a flat multipart/mixed of text parts, for which MailParser's streams
// cost several times the rest of the parse: the fast path (readSinglePart, mixedParts) reads such a mail by calling
// the functions MailParser would (mailsplit's header split, libbase64, libqp, libmime, the relabelling below) in
// one synchronous go, and leaves to MailParser whatever it does not reproduce exactly. Differential tests hold it
// to MailParser (readMailByMailParser is that reference), and a test holds the installed versions of these
// libraries to the ones the fast path was verified against (package.json pins them exactly). An error inside the
// fast path is not the mail's fault: the mail goes to MailParser and the error is counted (fastPathFailures).
// What is done here that mailparser does not do, or does wrong for a patch list:
// - format=flowed is taken out of Content-Type fields first: mailparser would reflow the text and join diff
//   lines that end in a blank (recorded as `flowedStripped`);
// - charset fallback. A text part labelled us-ascii or utf-8, not labelled at all, or labelled with a name no
//   decoder knows is read from its (transfer-decoded) bytes: as UTF-8 when they are valid UTF-8, else as
//   windows-1252, with latin-1 for the five bytes windows-1252 leaves undefined. That the label lies is the
//   one thing mailparser can't know: it decodes such a part with Buffer's UTF-8 decoder, which has turned a
//   windows-1252 byte into U+FFFD before anything else could be tried. The relabelling is done inside
//   mailparser, on every text part however deep (RelabellingParser below), so no part is decoded twice.
//   Raw 8-bit bytes in the header block get the same treatment before parsing;
// - a text/plain part named *.patch or *.diff is an attachment (a diff carrier), not body text;
// - pipermail's `user at host (Name)` senders are read back as addresses;
// - Reply-To and X-Original-From are read as From is, for core/author.ts to see through a list's rewritten
//   sender (DMARC).
// Memory (a mail may be tens of megabytes): no whole-mail string is made beside the bytes of a mail over 256 KiB
// (a smaller one is read as one latin-1 string for the looks before parsing: cheaper than looking in its bytes
// piece by piece), MailParser gets the mail in 64 KiB pieces, and of a binary attachment only the head that shows
// it binary is kept.
import { isAscii, isUtf8 } from 'node:buffer';
import { Transform, type TransformCallback } from 'node:stream';
import iconv from 'iconv-lite';
import { decode as decodeBase64 } from 'libbase64';
import libmime from 'libmime';
import { decode as decodeCharset } from 'libmime/lib/charset.js';
import { decode as decodeQp } from 'libqp';
import type { AddressObject, EmailAddress, HeaderLines } from 'mailparser';
import type { Address, ParsedMail } from '../core/model.ts';
import { DIFF_NAME_RE } from '../core/message.ts';

/**
 * The versions the fast path was verified against (differential tests): package.json pins them, and a test fails
 * when the installed ones differ. Upgrading one means running those tests and updating this list.
 */
export const VERIFIED_MAIL_LIBRARIES: Readonly<Record<string, string>> = Object.freeze({
  mailparser: '3.14.2',
  '@zone-eu/mailsplit': '5.4.30',
  libmime: '5.6.4',
  libqp: '3.0.1',
  libbase64: '1.4.1',
  'iconv-lite': '0.6.3',
});

// "Name: value", the first line of a header block (obs-fields allow blanks before the colon)
const FIELD_LINE_RE = /^[\x21-\x39\x3b-\x7e]+[ \t]*:/;

/**
 * Read one mail. Resolves to the reason there is no mail in the bytes (no header block, empty) as a string;
 * throws only on MailParser's own failures (parseMessage turns those into quarantine).
 *
 * @example const mail = await readMail(bytes); if (typeof mail !== 'string') mail.subject
 */
export async function readMail(bytes: Buffer | undefined): Promise<ParsedMail | string> {
  const input = prepare(bytes);
  if (typeof input === 'string') return input;
  const mime = fastPath(input.bytes, input.latin1) ?? (await readMime(input.bytes, sniffOf(input)));
  // most mail needs nothing loaded to be read on: no further wait
  return !mailparser && needsMailparser(mime) ? parsedMail(mime, input.flowed) : parsedMailNow(mime, input.flowed);
}

/** The reference reader: every mail through MailParser (the differential tests compare readMail with it). */
export async function readMailByMailParser(bytes: Buffer | undefined): Promise<ParsedMail | string> {
  const input = prepare(bytes);
  if (typeof input === 'string') return input;
  return parsedMail(await readMime(input.bytes, sniffOf(input)), input.flowed);
}

/** Whether readMail reads these bytes without MailParser: for tests and benchmarks. */
export function readsWithoutMailParser(bytes: Buffer | undefined): boolean {
  const input = prepare(bytes);
  return typeof input !== 'string' && fastPath(input.bytes) !== null;
}

let fastPathFailureCount = 0;
let lastFastPathFailure: string | null = null;

/** How many mails the fast path failed on in this thread (each then read by MailParser), and the last error. */
export function fastPathFailures(): { count: number; last: string | null } {
  return { count: fastPathFailureCount, last: lastFastPathFailure };
}

function fastPath(bytes: Buffer, latin1?: string): Mime | null {
  try {
    return readSinglePart(bytes, latin1);
  } catch (err) {
    fastPathFailureCount++;
    lastFastPathFailure = err instanceof Error ? err.message : String(err);
    return null;
  }
}

async function parsedMail(mime: Mime, flowedStripped: boolean): Promise<ParsedMail> {
  if (!mailparser && needsMailparser(mime)) await loadMailparser();
  return parsedMailNow(mime, flowedStripped);
}

/**
 * Whether reading a mail's senders takes mailparser: a sender without an address (pipermail's `user at host`,
 * parsed again), or a Reply-To or X-Original-From of none of simpleAddress's forms.
 */
function needsMailparser(mime: Mime): boolean {
  if (!parsedSender(mime)?.address?.includes('@')) return true;
  const { replyLine, originalLine } = otherSenderLines(mime.headerLines);
  return (!!replyLine && !simpleAddress(replyLine)) || (!!originalLine && !simpleAddress(originalLine));
}

/** The ParsedMail of a read mail, mailparser loaded if needsMailparser says it is needed. */
function parsedMailNow(mime: Mime, flowedStripped: boolean): ParsedMail {
  const fields = fieldsOf(mime.headerLines);
  const { replyTo, originalFrom } = otherSenders(mime.headerLines);
  return {
    fields,
    subject: mime.subject,
    from: senderOf(mime, fields),
    replyTo,
    originalFrom,
    text: mime.text,
    attachments: mime.attachments.map((a) => ({
      contentType: a.contentType,
      filename: a.filename,
      text: looksBinary(a.content) && !DIFF_NAME_RE.test(a.filename) ? null : attachmentText(a.content, a.charset),
    })),
    flowedStripped,
  };
}

type Fields = ParsedMail['fields'];

/** Unfolded raw header values by lower-case name, in order, from mailparser's header lines. */
function fieldsOf(lines: HeaderLines): Fields {
  const fields: Fields = new Map();
  for (const { key, line } of lines) {
    if (!key) continue;
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const rest = line.slice(colon + 1);
    const v = (rest.includes('\n') ? rest.replace(/\r?\n/g, '') : rest).trim();
    const list = fields.get(key);
    if (list) list.push(v);
    else fields.set(key, [v]);
  }
  return fields;
}

function field(head: Fields, name: string): string | undefined {
  return head.get(name)?.[0];
}

// how much of an attachment looksBinary reads
const BINARY_SNIFF = 8192;

function looksBinary(buf: Buffer): boolean {
  const end = Math.min(buf.length, BINARY_SNIFF);
  for (let i = 0; i < end; i++) if (buf[i] === 0) return true;
  return false;
}

// ---- before mailparser ---------------------------------------------------------------------------

/**
 * The bytes to hand to mailparser, or why there is no mail in them: an mbox From_ line a reader left in
 * place and leading blank lines cut off, format=flowed turned off, raw 8-bit header bytes made UTF-8.
 */
function prepare(bytes: Buffer | undefined): Prepared | string {
  if (!Buffer.isBuffer(bytes) || bytes.length === 0) return 'empty message';
  let start = 0;
  // Defensive: an mbox From_ line the reader left in place ("From " with no colon after it; "From :" is
  // an obsolete but valid header field).
  if (startsWithAscii(bytes, 0, 'From ') && !/^From[ \t]*:/.test(bytes.toString('latin1', 0, 64))) {
    const nl = bytes.indexOf(0x0a);
    start = nl < 0 ? bytes.length : nl + 1;
  }
  while (start < bytes.length && (bytes[start] === 0x0a || (bytes[start] === 0x0d && bytes[start + 1] === 0x0a))) {
    start += bytes[start] === 0x0d ? 2 : 1;
  }
  if (start >= bytes.length) return 'empty message';
  const firstEol = bytes.indexOf(0x0a, start);
  const firstLine = bytes.toString('latin1', start, firstEol < 0 ? Math.min(bytes.length, start + 1000) : firstEol);
  if (!FIELD_LINE_RE.test(firstLine)) return 'no header block: the first line is not a header field';

  let out = bytes.subarray(start);
  // mailparser (mailsplit) takes a first line that starts "From " for an mbox separator: "From :" loses
  // the blank, or the sender would be dropped.
  if (startsWithAscii(out, 0, 'From ')) {
    const colon = out.indexOf(0x3a);
    out = Buffer.concat([Buffer.from('From'), out.subarray(colon)]);
  }
  const ascii = isAscii(out);
  if (!ascii) {
    const headEnd = headerEnd(out);
    const head = out.subarray(0, headEnd);
    if (!isUtf8(head)) out = Buffer.concat([Buffer.from(decodeWindows1252(head), 'utf8'), out.subarray(headEnd)]);
  }
  // a mail of one window is read as one latin-1 string, for the looks here and in sniffOf
  const latin1 = out.length <= SNIFF_WINDOW ? out.toString('latin1') : undefined;
  const sniffFrom = { ascii, bytes: out, latin1 };
  const flowed = withoutFlowed(out, latin1);
  return flowed ? { ...flowed, sniffFrom } : { bytes: out, flowed: false, sniffFrom, latin1: ascii ? latin1 : undefined };
}

/**
 * Whether a text part may decode to something other than ASCII, so that its label has to be checked (MailParser's
 * reading only: the fast path decides by the bytes). In an all-ASCII mail without base64 or quoted-printable every
 * text part decodes to ASCII, which reads the same whatever the label: nothing to sniff (most patch mail; it saves
 * a stream per part). Looked at in the mail as prepare() had it before format=flowed was turned off.
 */
function sniffOf(input: Prepared): boolean {
  const { ascii, bytes, latin1 } = input.sniffFrom;
  return !ascii || (latin1 !== undefined ? ENCODED_RE.test(latin1) : testInWindows(bytes, ENCODED_RE));
}

interface Prepared {
  bytes: Buffer;
  /** format=flowed was turned off */
  flowed: boolean;
  /** what sniffOf looks at: the mail before format=flowed was turned off, whether it is all ASCII, its latin-1 string */
  sniffFrom: { ascii: boolean; bytes: Buffer; latin1: string | undefined };
  /** `bytes` as a latin-1 string, when they are all ASCII and that string was made (a mail of one window) */
  latin1?: string;
}

const ENCODED_RE = /base64|quoted-printable/i;
const FLOWED = Buffer.from('flowed', 'latin1');

const LF_LF = Buffer.from('\n\n', 'latin1');
const LF_CRLF = Buffer.from('\n\r\n', 'latin1');

/** Where the header block ends: at its empty line (LF or CRLF), else at the end. `latin1`: the bytes as a string, when the caller has it. */
function headerEnd(buf: Buffer, latin1?: string): number {
  if (buf[0] === 0x0a || (buf[0] === 0x0d && buf[1] === 0x0a)) return 0;
  if (latin1 !== undefined) {
    const lf = latin1.indexOf('\n\n');
    const crlf = (lf < 0 ? latin1 : latin1.slice(0, lf + 2)).indexOf('\n\r\n');
    if (lf < 0 && crlf < 0) return buf.length;
    return crlf >= 0 && (lf < 0 || crlf < lf) ? crlf + 1 : lf + 1;
  }
  const lf = buf.indexOf(LF_LF);
  // a CRLF empty line counts only before the first LF one: no need to look past that
  const crlf = (lf < 0 ? buf : buf.subarray(0, lf + 2)).indexOf(LF_CRLF);
  if (lf < 0 && crlf < 0) return buf.length;
  return crlf >= 0 && (lf < 0 || crlf < lf) ? crlf + 1 : lf + 1;
}

/**
 * Whether a pattern of short matches (under 64 characters) is found in the bytes read as latin-1: a window at a
 * time, so a big mail is not a string beside its bytes.
 */
function testInWindows(bytes: Buffer, re: RegExp): boolean {
  for (let at = 0; ; at += WINDOW) {
    if (re.test(bytes.toString('latin1', at, at + SNIFF_WINDOW))) return true;
    if (at + SNIFF_WINDOW >= bytes.length) return false;
  }
}

const WINDOW = 1 << 18; // under Node's size for an external string, which the collector would leave for long
/** how much testInWindows reads at a time: a window and the length of a match */
const SNIFF_WINDOW = WINDOW + 64;

/**
 * Turn `format=flowed` (and `delsp=yes`) in Content-Type fields into their defaults, so mailparser does not
 * reflow a diff. Only Content-Type lines and their continuations are touched. Null when there was none.
 * `latin1`: the bytes as a latin-1 string, when the caller has it already.
 */
function withoutFlowed(bytes: Buffer, latin1?: string): { bytes: Buffer; flowed: true } | null {
  if ((latin1 !== undefined ? latin1.indexOf('flowed') : bytes.indexOf(FLOWED)) < 0) return null;
  const lines = (latin1 ?? bytes.toString('latin1')).split('\n');
  let inContentType = false;
  let changed = false;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (/^content-type[ \t]*:/i.test(l)) inContentType = true;
    else if (!/^[ \t]/.test(l)) inContentType = false;
    if (inContentType && /\bformat[ \t]*=[ \t]*"?flowed"?/i.test(l)) {
      lines[i] = l.replace(/\bformat[ \t]*=[ \t]*"?flowed"?/gi, 'format=fixed');
      changed = true;
    }
    if (inContentType) lines[i] = lines[i].replace(/\bdelsp[ \t]*=[ \t]*"?yes"?/gi, 'delsp=no');
  }
  return changed ? { bytes: Buffer.from(lines.join('\n'), 'latin1'), flowed: true } : null;
}

// ---- mailparser ---------------------------------------------------------------------------------

const MAILPARSER_OPTIONS = {
  skipHtmlToText: true,
  skipTextToHtml: true,
  skipTextLinks: true,
  skipImageLinks: true,
  checksumAlgo: false as const,
};

/** What this module reads from mailparser's output. */
export interface Mime {
  headerLines: HeaderLines;
  subject: string;
  from: AddressObject | undefined;
  sender: AddressObject | undefined;
  /** the text parts, joined by mailparser */
  text: string;
  attachments: { contentType: string; filename: string; charset: string; content: Buffer }[];
}

// Labels under which mailers send whatever their user typed: the bytes decide. Seen: an Acked-by with a
// UTF-8 name under charset=us-ascii, windows-1252 quotes under charset=us-ascii.
const SNIFFED_CHARSETS = new Set(['', 'us-ascii', 'ascii', 'us', 'ansi_x3.4-1968', 'iso646-us', 'utf-8', 'utf8', 'unknown-8bit', 'x-unknown', 'unknown', 'default']);
// Charsets libmime decodes with encoding-japanese, as iconv-lite has no codec for them
const JAPANESE_CHARSET_RE = /^jis|^iso-?2022-?jp|^eucjp/i;
// What "latin-1" mail means in practice (the WHATWG encoding standard agrees)
const LATIN1_CHARSETS = new Set(['iso-8859-1', 'iso8859-1', 'iso_8859-1', 'latin1', 'latin-1', 'l1', 'cp819', 'windows-1252', 'cp1252']);

/**
 * Is a text part's charset label one its bytes should overrule: missing, us-ascii or utf-8 (mislabelled
 * mail), or a label no decoder knows (mailparser would read UTF-8 and replace what is not)?
 */
function sniffed(label: string | undefined): boolean {
  const cs = (label ?? '').trim().toLowerCase();
  return SNIFFED_CHARSETS.has(cs) || (!iconv.encodingExists(cs) && !JAPANESE_CHARSET_RE.test(cs));
}

/** the label text parts are given instead of a sniffed one, for RelabellingParser's decoder */
const SNIFF_LABEL = 'x-relapse-sniff';

/**
 * What RelabellingParser uses of MailParser beyond its typed API: `createNode` builds the parser's node for
 * a MIME part (its `charset` picks the text decoder, `isAttachment` whether the part becomes text),
 * `decoder.decodeStream(charset)` makes the decoder of a text part whose charset is not us-ascii or utf-8.
 */
interface ParserNode {
  contentType?: string;
  charset?: string;
  disposition?: string;
  isAttachment?: boolean;
  node: { filename?: string | false };
}
interface ParserInternals {
  createNode(node: unknown): ParserNode;
  decoder: { decodeStream(charset: string): Transform };
}

type Mailparser = typeof import('mailparser');
type Parser = InstanceType<Mailparser['MailParser']>;

// mailparser is loaded when a mail first needs it: most mail is read without it (readSinglePart), and loading
// it (with html-to-text, linkify and their kin) took a fifth of an ingest worker's start.
let mailparser: Mailparser | null = null;
let loadingMailparser: Promise<Mailparser> | null = null;
let relabelling: (new (sniff: boolean) => Parser) | null = null;

function loadMailparser(): Promise<Mailparser> {
  loadingMailparser ??= import('mailparser').then((m) => {
    relabelling = relabellingParser(m.MailParser);
    return (mailparser = m);
  });
  return loadingMailparser;
}

/**
 * mailparser's MailParser, with two changes to how it treats a MIME part: a text part with a sniffed label
 * is decoded by a SniffDecoder; a text/plain part named *.patch or *.diff is an attachment, not body text.
 */
function relabellingParser(MailParser: Mailparser['MailParser']): new (sniff: boolean) => Parser {
  const internals = MailParser.prototype as unknown as Partial<ParserInternals>;
  if (typeof internals.createNode !== 'function') {
    throw new Error('mailparser has no MailParser.prototype.createNode: the charset sniffing in message-parse.ts needs updating');
  }
  return class RelabellingParser extends MailParser {
    constructor(private readonly sniff: boolean) {
      super(MAILPARSER_OPTIONS);
      const self = this as unknown as ParserInternals;
      const library = self.decoder;
      if (typeof library?.decodeStream !== 'function') {
        throw new Error('mailparser has no decoder.decodeStream: the charset sniffing in message-parse.ts needs updating');
      }
      self.decoder = { decodeStream: (charset) => (charset === SNIFF_LABEL ? new SniffDecoder() : library.decodeStream(charset)) };
    }

    createNode(node: unknown): ParserNode {
      const n = (internals as ParserInternals).createNode.call(this, node);
      if (n.contentType === 'text/plain' && !n.isAttachment) {
        if (DIFF_NAME_RE.test(n.node.filename || '')) {
          n.disposition = 'attachment';
          n.isAttachment = true;
        } else if (this.sniff && sniffed(n.charset)) {
          n.charset = SNIFF_LABEL;
        }
      }
      return n;
    }
  };
}

/** A text part's decoded bytes, re-encoded as UTF-8: as they are when valid UTF-8, else from windows-1252. */
class SniffDecoder extends Transform {
  private chunks: Buffer[] = [];

  _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.chunks.push(chunk);
    done();
  }

  _flush(done: TransformCallback): void {
    const buf = Buffer.concat(this.chunks);
    done(null, isUtf8(buf) ? buf : Buffer.from(decodeWindows1252(buf), 'utf8'));
  }
}

// the size of the pieces MailParser is handed
const MIME_CHUNK = 1 << 16;

/** Run mailparser over one mail: headers, the text, and the attachments' content. */
async function readMime(bytes: Buffer, sniff: boolean): Promise<Mime> {
  await loadMailparser();
  const RelabellingParser = relabelling!;
  return new Promise((resolve, reject) => {
    const parser = new RelabellingParser(sniff);
    const mime: Mime = { headerLines: [], subject: '', from: undefined, sender: undefined, text: '', attachments: [] };
    let pending = 0;
    let ended = false;
    let failed = false;
    const fail = (err: unknown) => {
      if (failed) return;
      failed = true;
      reject(err);
    };
    const settle = () => {
      if (ended && pending === 0 && !failed) resolve(mime);
    };
    parser.on('error', fail);
    parser.on('headers', (headers) => {
      mime.headerLines = parser.headerLines || [];
      const subject = headers.get('subject');
      if (typeof subject === 'string') mime.subject = subject;
      mime.from = headers.get('from') as AddressObject | undefined;
      mime.sender = headers.get('sender') as AddressObject | undefined;
    });
    parser.on('data', (data) => {
      if (data.type === 'text') {
        if (typeof data.text === 'string') mime.text = data.text;
        return;
      }
      // an attachment: mailparser waits for its content to be read and released before it goes on
      pending++;
      const ctype = data.headers.get('content-type') as { value?: string; params?: Record<string, string> } | undefined;
      const chunks: Buffer[] = [];
      let size = 0;
      // a binary attachment (parsedMail reads no text from it) is kept as the head looksBinary reads, not whole
      let binary = false;
      let sniffedHead = DIFF_NAME_RE.test(data.filename || ''); // a *.patch or *.diff is read as text regardless
      const filename = data.filename || '';
      data.content.on('data', (c: Buffer) => {
        if (binary) return;
        chunks.push(c);
        size += c.length;
        if (!sniffedHead && size >= BINARY_SNIFF) {
          sniffedHead = true;
          const head = Buffer.concat(chunks).subarray(0, BINARY_SNIFF);
          if (looksBinary(head)) {
            binary = true;
            chunks.splice(0, chunks.length, Buffer.from(head));
          }
        }
      });
      data.content.on('error', fail);
      data.content.on('end', () => {
        mime.attachments.push({
          contentType: (ctype?.value || data.contentType || '').toLowerCase(),
          filename,
          charset: ctype?.params?.charset || '',
          content: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks),
        });
        data.release?.();
        pending--;
        settle();
      });
    });
    parser.on('end', () => {
      ended = true;
      settle();
    });
    // in pieces: mailsplit reads a chunk at a time, and one chunk of a whole big mail makes it hold several
    // copies of it at once (a 60 MB base64 attachment took 440 MB as one chunk). The pieces are views, not copies.
    for (let at = 0; at < bytes.length; at += MIME_CHUNK) parser.write(bytes.subarray(at, at + MIME_CHUNK));
    parser.end();
  });
}

// ---- without mailparser: a single text part -----------------------------------------------------------

// mailsplit's limit on a header block (1 MiB, a line counting at least 64 bytes): MailParser fails beyond it
const MAX_HEAD_COST = 1024 * 1024;
const HEAD_LINE_MIN_COST = 64;
// what libbase64's stream Decoder keeps of a base64 body (libbase64.decode alone would also read - and _)
const NOT_BASE64_RE = /[^a-zA-Z0-9+/=]/g;
// Labels with one character per byte: their decoder keeps no state between chunks, so one decode of the
// whole part is what libmime's decode stream gives for it in pieces.
const SINGLE_BYTE_CHARSET_RE = /^(?:iso-?8859-\d+|windows-125\d|cp125\d|koi8-[ru])$/;

/** The libmime function read here besides those ingest/libmime.d.ts declares. */
const mimeLib = libmime as typeof libmime & {
  parseHeaderValue(value: string, options: { stripComments: boolean }): { value: string; params: Record<string, string | undefined> };
};

/**
 * A mail of one text/plain part, read as MailParser reads it, without its streams: every step is the
 * function MailParser (mailsplit underneath) runs on the same bytes, in one synchronous go. Any transfer
 * encoding and any charset a decoder in this module reproduces exactly; 8-bit bytes anywhere. Null for
 * what is left (multipart, attachments, names, format=flowed, multibyte charsets other than UTF-8,
 * oddities of the header block), which MailParser reads. A test checks that both ways give one Message.
 *
 * `bytes` is the mail as prepare() hands it to MailParser; `latin1`, when given, the same all-ASCII bytes as a
 * string (prepare's), to look for the header block's end in. It may throw: readMail counts the error and hands the mail
 * to MailParser.
 */
export function readSinglePart(bytes: Buffer, latin1?: string): Mime | null {
  const headEnd = headerEnd(bytes, latin1);
  // strings of their own, not slices of `latin1`: what a Message keeps of them must not keep the whole mail
  const headerLines = headerLinesOf(bytes.toString('latin1', 0, headEnd));
  if (!headerLines) return null;
  const mime: Mime = { headerLines, subject: '', from: undefined, sender: undefined, text: '', attachments: [] };
  let contentType: string | undefined;
  let transferEncoding: string | undefined;
  let disposition: string | undefined;
  for (const { key, line } of headerLines) {
    // the first of each wins, in mailsplit (the MIME structure) as in MailParser (the headers it reports)
    if (key === 'content-type') contentType ??= line;
    else if (key === 'content-transfer-encoding') transferEncoding ??= line;
    else if (key === 'content-disposition') disposition ??= line;
    else if (key === 'subject' && !mime.subject) mime.subject = subjectField(line);
    else if (key === 'from') mime.from ??= addressField(line);
    else if (key === 'sender') mime.sender ??= addressField(line);
  }

  const ct = contentType === undefined ? undefined : contentTypeField(contentType);
  const type = (ct?.value ?? '').toLowerCase().trim();
  if (type === 'multipart/mixed' && disposition === undefined) return mixedParts(bytes, headEnd, mime, ct!.params, transferEncoding);

  // What mailsplit's MimeNode.parseHeaders makes of the part, and MailParser's createNode of that: a text
  // part when its type is text/plain or none, with an inline disposition or none.
  if (disposition !== undefined) {
    const cd = mimeLib.parseHeaderValue(mimeValue(disposition), { stripComments: true });
    const value = cd.value.toLowerCase().trim();
    if ((value && value !== 'inline') || cd.params.filename) return null;
  }
  if (type && type !== 'text/plain') return null;
  const params = ct?.params ?? {};
  // a name (a .patch is an attachment here), a boundary (mailsplit splits on it even in a text part), flowed
  if (params.name || params.boundary || params.format?.toLowerCase().trim() === 'flowed') return null;
  // mailsplit strips comments from the transfer encoding its own way
  const encoding = transferEncoding === undefined ? '' : transferEncodingField(transferEncoding);
  if (encoding.includes('(')) return null;

  // The body: mailsplit hands MailParser every byte after the empty line
  const bodyStart = headEnd + (bytes[headEnd] === 0x0d ? 2 : 1);
  const cte = encoding.toLowerCase().trim();
  const charset = params.charset || '';
  // ASCII bytes as they stand, under a label read as UTF-8: read as latin-1, which gives the same text
  if (latin1 !== undefined && cte !== 'base64' && cte !== 'quoted-printable' && readsAsUtf8(charset)) {
    mime.text = lineFeeds(bytes.toString('latin1', Math.min(bodyStart, bytes.length)));
    return mime;
  }
  const data = transferDecoded(bytes.subarray(Math.min(bodyStart, bytes.length)), cte);
  const text = textOf(data, charset);
  if (text === null) return null;
  mime.text = lineFeeds(text);
  return mime;
}

/**
 * A part's body as MailParser gets it: through libbase64's or libqp's stream Decoder for those encodings (libqp's
 * decodes the whole at the end; libbase64's keeps the base64 characters and decodes whole quartets and padded
 * runs as they come, which comes to one decode of them), as it is for any other.
 */
function transferDecoded(body: Buffer, cte: string): Buffer {
  if (cte === 'base64') return decodeBase64(body.toString('latin1').replace(NOT_BASE64_RE, ''));
  if (cte === 'quoted-printable') return decodeQp(body);
  return body;
}

/** Text with its line ends as MailParser leaves them: LF. */
function lineFeeds(text: string): string {
  return text.includes('\r') ? text.replace(/\r?\n/g, '\n') : text;
}

// ---- without mailparser: multipart/mixed of text parts ------------------------------------------------------

// a boundary of RFC 2046's characters, without the blank it allows (a line with trailing blanks is mailsplit's)
const BOUNDARY_RE = /^[0-9A-Za-z'()+_,\-./:=?]{1,70}$/;
// part types read here: a text part, or a patch attachment; anything else (html, nested multiparts,
// octet-streams whose type MailParser guesses from the name, mail) is MailParser's
const PART_TYPES = new Set(['text/plain', 'text/x-patch', 'text/x-diff', 'text/patch', 'text/diff']);
// part header fields that change nothing read here
const PART_FIELDS_OTHER = new Set(['content-description', 'content-id', 'mime-version']);
// file names no decoding can change
const PLAIN_NAME_RE = /^[\w.+-]+$/;
// transfer encodings a part may carry: none, or one of these
const PART_ENCODINGS = new Set(['', '7bit', '8bit', 'binary', 'base64', 'quoted-printable']);
// an RFC 2231 parameter (name*=, name*0=): parseHeaderValue decodes it, mailsplit then treats it apart
const RFC2231_RE = /\*\d*\*?\s*=/;

/**
 * A multipart/mixed mail of flat text parts (a message and its .patch attachment), read as MailParser
 * reads it: the text parts' text joined by a line break, the others as attachments, each part through the
 * same decoders as a single part. Null for what is left (CR line ends, a preamble, folded or unknown part
 * fields, encoded or RFC 2231 names, other part types, a boundary prefix MailParser might read otherwise,
 * no closing delimiter), which MailParser reads. A test holds it to MailParser.
 */
function mixedParts(bytes: Buffer, headEnd: number, mime: Mime, params: Record<string, string | undefined>, transferEncoding: string | undefined): Mime | null {
  const boundary = params.boundary;
  if (!boundary || !BOUNDARY_RE.test(boundary)) return null;
  if (transferEncoding !== undefined && !['7bit', '8bit', 'binary'].includes(mimeValue(transferEncoding).toLowerCase())) return null;
  const bodyStart = Math.min(headEnd + (bytes[headEnd] === 0x0d ? 2 : 1), bytes.length);
  if (bytes.indexOf(0x0d, bodyStart) >= 0) return null;
  const lines = bytes.toString('latin1', bodyStart).split('\n');
  const open = `--${boundary}`;
  const close = `${open}--`;
  let i = 0;
  while (i < lines.length && lines[i] === '') i++;
  if (lines[i] !== open) return null;
  const texts: string[] = [];
  for (;;) {
    let j = i + 1;
    while (j < lines.length && lines[j] !== open && lines[j] !== close) {
      if (lines[j].startsWith(open)) return null;
      j++;
    }
    if (j === lines.length) return null;
    // the line break before a delimiter belongs to the delimiter
    const part = mixedPart(lines.slice(i + 1, j));
    if (!part) return null;
    if ('text' in part) {
      if (part.text) texts.push(part.text); // MailParser skips an empty text part
    } else mime.attachments.push(part.attachment);
    if (lines[j] === close) break; // what follows is the epilogue, which MailParser skips
    i = j;
  }
  mime.text = texts.join('\n');
  return mime;
}

/** One part of {@link mixedParts}, as MailParser's createNode and RelabellingParser make it: text or attachment. */
function mixedPart(lines: string[]): { text: string } | { attachment: Mime['attachments'][number] } | null {
  const blank = lines.indexOf('');
  if (blank <= 0) return null;
  let ctLine: string | undefined;
  let cteLine: string | undefined;
  let cdLine: string | undefined;
  for (let k = 0; k < blank; k++) {
    const l = lines[k];
    const colon = l.indexOf(':');
    if (colon <= 0 || l.charCodeAt(0) === 0x20 || l.charCodeAt(0) === 0x09) return null;
    const key = l.slice(0, colon).toLowerCase().trim();
    if (key === 'content-type' && ctLine === undefined) ctLine = l;
    else if (key === 'content-transfer-encoding' && cteLine === undefined) cteLine = l;
    else if (key === 'content-disposition' && cdLine === undefined) cdLine = l;
    else if (!PART_FIELDS_OTHER.has(key)) return null;
  }
  if (ctLine === undefined || RFC2231_RE.test(ctLine) || (cdLine !== undefined && RFC2231_RE.test(cdLine))) return null;
  const ct = contentTypeField(ctLine);
  const type = ct.value.toLowerCase().trim();
  if (!PART_TYPES.has(type) || ct.params.boundary) return null;
  const cd = cdLine === undefined ? undefined : mimeLib.parseHeaderValue(mimeValue(cdLine), { stripComments: true });
  const filename = cd?.params.filename || ct.params.name || '';
  if (filename && !PLAIN_NAME_RE.test(filename)) return null;
  const encoding = cteLine === undefined ? '' : mimeValue(cteLine);
  const cte = encoding.toLowerCase().trim();
  if (encoding.includes('(') || !PART_ENCODINGS.has(cte)) return null;

  // createNode: a disposition other than these two is an attachment; none is inline for a text type
  let disposition = (cd?.value ?? '').toLowerCase().trim() || undefined;
  if (disposition && disposition !== 'attachment' && disposition !== 'inline') disposition = 'attachment';
  const isText = type === 'text/plain' && (disposition ?? 'inline') === 'inline' && !DIFF_NAME_RE.test(filename);

  const data = transferDecoded(Buffer.from(lines.slice(blank + 1).join('\n'), 'latin1'), cte);
  const charset = ct.params.charset || '';
  if (!isText) return { attachment: { contentType: type, filename, charset, content: data } };
  const text = textOf(data, charset);
  return text === null ? null : { text: lineFeeds(text) };
}

/**
 * The same header line, read again: an archive repeats its senders and its content types thousands of times,
 * so each distinct line is read once. The values are shared, and read only. Bounded: a full cache starts over.
 */
function memo<T>(read: (line: string) => T, max = 10_000): (line: string) => T {
  const seen = new Map<string, T>();
  return (line) => {
    let v = seen.get(line);
    if (v === undefined) {
      if (seen.size >= max) seen.clear();
      v = read(line);
      seen.set(line, v);
    }
    return v;
  };
}

/** A From or Sender line as MailParser reads it. */
const addressField = memo((line) => {
  const simple = simpleAddress(line);
  if (simple) return simple;
  // readSinglePart takes a throw for "MailParser's to read": that mail loads mailparser, and the next ones have it
  if (!mailparser) throw new Error('mailparser is not loaded yet');
  return mailparser.parseAddressHeader(headerValue(line)) as unknown as AddressObject;
});

// `Ada Bauer <ada@amd.example>`, `Jörg Rödl <jr@amd.example>`, `=?UTF-8?B?SsO2cmc=?= <jr@amd.example>` and
// `ada@amd.example`: words of letters and digits (or one encoded word), a plain address. What addressparser
// makes of these is the name and the address as written, the name's encoded word decoded, so they need no
// parser (a test holds this to mailparser's parseAddressHeader).
const NAMED_ADDRESS_RE = /^([\p{L}\p{N}]+(?: [\p{L}\p{N}]+)*|=\?[^?\s]+\?[BbQq]\?[^?\s]*\?=) <([A-Za-z0-9._+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)>$/u;
const BARE_ADDRESS_RE = /^([A-Za-z0-9._+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)$/;

/** A From or Sender line of one of the plain forms above, as parseAddressHeader reads it; null for any other. */
export function simpleAddress(line: string): AddressObject | null {
  if (/[\r\n\t]/.test(line)) return null; // folded: left to the parser
  const value = headerValue(line); // what MailParser hands parseAddressHeader
  const named = NAMED_ADDRESS_RE.exec(value);
  const m = named ?? BARE_ADDRESS_RE.exec(value);
  if (!m) return null;
  const address = named ? named[2] : m[1];
  if (address.includes('xn--')) return null; // an internationalized domain: parseAddressHeader decodes it
  let name = named ? named[1] : '';
  if (name.startsWith('=?')) {
    try {
      name = libmime.decodeWords(name);
    } catch {
      // as parseAddressHeader: a word it cannot decode stays as it is
    }
  }
  return { value: [{ address, name }] } as unknown as AddressObject;
}
/** A Content-Type line as mailsplit reads it. */
const contentTypeField = memo((line) => mimeLib.parseHeaderValue(mimeValue(line), { stripComments: true }));

/**
 * mailsplit's header lines (Headers._parseHeaders): the block as a latin-1 ("binary") string split at LF
 * (a CR before it dropped), a continuation joined on with CRLF, the key lower-cased. Null for a block
 * mailsplit reads its own way: a line without a name, a first line it takes for an mbox or HTTP preamble,
 * one over its size limit.
 */
function headerLinesOf(head: string): { key: string; line: string }[] | null {
  let end = head.length;
  while (end > 0 && (head.charCodeAt(end - 1) === 0x0a || head.charCodeAt(end - 1) === 0x0d)) end--;
  const block = head.slice(0, end);
  const raw = block.includes('\r') ? block.split(/\r?\n/) : block.split('\n');
  if (head.length + HEAD_LINE_MIN_COST * raw.length > MAX_HEAD_COST) return null;
  if (/^(?:from|post) /i.test(raw[0])) return null;
  const lines: { key: string; line: string }[] = [];
  for (const l of raw) {
    const c = l.charCodeAt(0);
    if ((c === 0x20 || c === 0x09) && lines.length) {
      lines[lines.length - 1].line += '\r\n' + l;
      continue;
    }
    const colon = l.indexOf(':');
    if (colon <= 0) return null;
    lines.push({ key: l.slice(0, colon).toLowerCase().trim(), line: l });
  }
  return lines;
}

/** A header's value as MailParser's processHeaders has it before its per-field decoding: unfolded, trimmed, bytes read as UTF-8. */
function headerValue(line: string): string {
  const value = String(libmime.decodeHeader(line).value || '').trim();
  return asUtf8(value);
}

// a character that is not ASCII
const NON_ASCII_RE = /[^\x00-\x7f]/;

/** A binary (latin-1) string's bytes read as UTF-8; ASCII reads as it is. */
function asUtf8(binary: string): string {
  return NON_ASCII_RE.test(binary) ? Buffer.from(binary, 'latin1').toString('utf8') : binary;
}

/** A Subject line as MailParser reads it: its value, RFC 2047 words decoded. */
function subjectField(line: string): string {
  const value = headerValue(line);
  // decodeWords changes only encoded words ("=?...") and its own joining marker (which holds a NUL)
  return value.includes('=?') || value.includes('\x00') ? decodedWords(value) : value;
}

/** RFC 2047 words decoded as MailParser decodes a Subject: a charset libmime cannot read leaves it as it is. */
function decodedWords(value: string): string {
  try {
    return libmime.decodeWords(value);
  } catch {
    return value;
  }
}

/** A MIME header's value as mailsplit's Headers.getFirst reads it: the line as UTF-8 unless that would replace a byte, unfolded, trimmed. */
function mimeValue(line: string): string {
  const utf8 = asUtf8(line);
  return String(libmime.decodeHeader(utf8.includes('\ufffd') ? line : utf8).value || '').trim();
}

/** A Content-Transfer-Encoding line as mailsplit reads it (a handful of distinct lines make up an archive's). */
const transferEncodingField = memo(mimeValue, 1000);

/**
 * A text part's (transfer-decoded) bytes as text, as MailParser decodes them: a sniffed label through
 * RelabellingParser's SniffDecoder; a label naming ASCII or UTF-8 with Buffer's UTF-8 decoder, as
 * MailParser uses no decoder for those; a single-byte charset through libmime. Null for other charsets.
 * (For an all-ASCII mail without base64 or quoted-printable prepare() turns the relabelling off, so that
 * MailParser decodes by the label; the bytes are ASCII, which every label taken here reads as ASCII.)
 */
function textOf(data: Buffer, charset: string): string | null {
  if (sniffed(charset)) return isUtf8(data) ? utf8(data) : decodeWindows1252(data);
  if (namesUtf8(charset)) return utf8(data);
  const label = charset.trim().toLowerCase();
  if (LATIN1_CHARSETS.has(label) || SINGLE_BYTE_CHARSET_RE.test(label)) return decodeCharset(data, charset); // libmime's DecodeStream, in one piece
  return null;
}

/** Whether textOf reads valid UTF-8 (and so ASCII) bytes under this label with Buffer's UTF-8 decoder. */
function readsAsUtf8(charset: string): boolean {
  return sniffed(charset) || namesUtf8(charset);
}

/** A label naming ASCII or UTF-8, however written (`US-ASCII`, `utf8`, `UTF_8`). */
function namesUtf8(charset: string): boolean {
  const cs = charset.toLowerCase().replace(/[^a-z0-9]+/g, '');
  return cs === 'ascii' || cs === 'usascii' || cs === 'utf8';
}

/**
 * UTF-8 bytes as text. All-ASCII bytes (most mail) are read as latin-1, which gives the same string: Buffer's
 * UTF-8 decoder goes through a two-byte copy of the whole, which for a big mail is twice its size again.
 */
function utf8(data: Buffer): string {
  return data.length > 1 << 20 && isAscii(data) ? data.toString('latin1') : data.toString('utf8');
}

/** An attachment's text: by its label, unless the bytes should overrule it (see sniffed). */
function attachmentText(buf: Buffer, charset: string): string {
  const cs = charset.trim().toLowerCase();
  if (LATIN1_CHARSETS.has(cs)) return decodeWindows1252(buf);
  if (!sniffed(cs) && iconv.encodingExists(cs)) return iconv.decode(buf, cs);
  return isUtf8(buf) ? buf.toString('utf8') : decodeWindows1252(buf);
}

/**
 * windows-1252, with latin-1 for the five bytes it leaves undefined (0x81, 0x8d, 0x8f, 0x90, 0x9d), as the
 * WHATWG encoding standard reads it. One byte is one UTF-16 unit, so a U+FFFD iconv-lite put in for an
 * undefined byte is at that byte's index.
 */
function decodeWindows1252(buf: Buffer): string {
  const s = iconv.decode(buf, 'windows-1252');
  return s.includes('\ufffd') ? s.replace(/\ufffd/g, (_, i: number) => String.fromCharCode(buf[i])) : s;
}

/**
 * The sender, from mailparser's From (else Sender). An address mailparser finds no `@` in is pipermail's
 * `user at host (Name)`: written back as `user@host` and parsed again.
 */
function parsedSender(mime: Mime): EmailAddress | undefined {
  return firstAddress(mime.from) ?? firstAddress(mime.sender);
}

function senderOf(mime: Mime, head: Fields): Address {
  const parsed = parsedSender(mime);
  if (parsed?.address?.includes('@')) return address(parsed);
  const rawValue = field(head, 'from') ?? field(head, 'sender') ?? '';
  const value = Buffer.from(rawValue, 'latin1').toString('utf8'); // header lines are binary strings; the bytes are UTF-8 here
  const deobfuscated = value.replace(/([^\s<>()",@]+)[ \t]+at[ \t]+([^\s<>()",@]+\.[^\s<>()",@]+)/i, '$1@$2');
  const again = firstAddress(mailparser!.parseAddressHeader(deobfuscated) as unknown as AddressObject);
  return again ? address(again) : { name: '', email: '' };
}

/**
 * Reply-To and X-Original-From, where a list that rewrites From (DMARC) leaves the author (core/author.ts
 * decides): the first field of each, read as From is.
 */
function otherSenders(lines: HeaderLines): { replyTo: Address[]; originalFrom: Address | null } {
  const { replyLine, originalLine } = otherSenderLines(lines);
  if (!replyLine && !originalLine) return { replyTo: [], originalFrom: null };
  return { replyTo: sendersOf(replyLine), originalFrom: sendersOf(originalLine)[0] ?? null };
}

/** The first Reply-To and X-Original-From lines. */
function otherSenderLines(lines: HeaderLines): { replyLine: string | undefined; originalLine: string | undefined } {
  let replyLine: string | undefined;
  let originalLine: string | undefined;
  for (const l of lines) {
    if (replyLine === undefined && l.key === 'reply-to') replyLine = l.line;
    else if (originalLine === undefined && l.key === 'x-original-from') originalLine = l.line;
  }
  return { replyLine, originalLine };
}

/** The addresses of a Reply-To or X-Original-From line (mailparser loaded when the line is not a simple one). */
function sendersOf(line: string | undefined): Address[] {
  if (!line) return [];
  const obj = simpleAddress(line) ?? (mailparser!.parseAddressHeader(headerValue(line)) as unknown as AddressObject);
  const out: Address[] = [];
  for (const v of obj?.value ?? []) for (const a of v.group ?? [v]) if (a.address?.includes('@')) out.push(address(a));
  return out;
}

function firstAddress(obj: AddressObject | undefined): EmailAddress | undefined {
  const first = obj?.value?.[0];
  return first?.group ? first.group[0] : first;
}

function address(a: EmailAddress): Address {
  return { name: (a.name || '').replace(/\s+/g, ' ').trim(), email: (a.address || '').trim().replace(/^mailto:/i, '') };
}

function startsWithAscii(buf: Buffer, at: number, text: string): boolean {
  if (buf.length - at < text.length) return false;
  for (let i = 0; i < text.length; i++) if (buf[at + i] !== text.charCodeAt(i)) return false;
  return true;
}
