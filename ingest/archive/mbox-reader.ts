// Streaming mbox reader (mboxrd, mboxo, Mailman pipermail) and an mboxrd writer.
//
// Pure: the reader takes any AsyncIterable of byte chunks (a fs/stdin Readable is one) and yields RawMessages; it
// never touches the filesystem. Memory stays flat: only the message being cut out (plus the unfinished tail of the
// last chunk) is held, whatever the size of the archive.
//
// Separator rule (strict): a line is a From_ separator only when
//   - it starts with `From `, continues with a sender and ENDS in a date (asctime `Wed Mar 31 11:24:17 2010`, with
//     optional time zone before/after the year, or an RFC 2822 date `Wed, 31 Mar 2010 11:24:17 +0000`), and
//   - it is the first line of the stream (leading blank or whitespace-only lines skipped: git's own sample mbox
//     starts with some) or the line before it is blank, EXCEPT in mboxrd and mboxo: there the writer escapes body
//     lines that start with `From `, so an unescaped From_ line with a date can only be a separator, and real
//     archives (lore's included: the sample corpus has one) carry messages that do not end in a blank line before
//     the next From_. Requiring the blank line there would glue two messages together; the strict date already
//     keeps "From this point on..." from splitting anything (public-inbox reads such files the same way).
//     In pipermail (Mailman writes bodies raw, never escaping) the blank line is required.
// A body line such as "From this point on..." therefore never splits a message, even in formats that do not escape
// body lines (pipermail, git format-patch).
//
// The blank line in front of a separator belongs to the separator: exactly one trailing line ending ("\n", or "\r\n"
// for CRLF archives) is removed from the message before it. When there is no blank line (mboxrd, see above) nothing
// is removed: the last "\n" ends the message's own last line. At end of stream the blank line is removed when the
// message ends in one. Everything else is the original bytes (CRLF preserved), minus the From_ line and the escaping.
//
// Escaping:
//   mboxrd    any line matching /^>+From / loses one `>` (reversible: the writer adds one to /^>*From /).
//   mboxo     only `>From ` (exactly one `>`) becomes `From `. mboxo writers escape `From ` but not `>From `, so a
//             body line that really was `>From ` comes back as `From `: mboxo is lossy by definition, nothing can
//             recover that.
//   pipermail nothing is un-escaped: Mailman's archiver (HyperArch Article.as_text) writes bodies raw.
//   auto      decided per stream from the first separator:
//               `From user at host  <date>` (obfuscated address)       -> pipermail
//               `From <40 hex> Mon Sep 17 00:00:00 2001` (format-patch) -> mboxo (git writes mboxo-style files)
//               anything else                                         -> mboxrd
//             Why mboxrd rather than sniffing for `>>From ` lines: sniffing needs the whole file before the first
//             message can be yielded, and the two formats only disagree on lines that start with `>>From ` (or more
//             `>`), which are rare in either. lore/public-inbox serve mboxrd, so that is the default that is right
//             for the archives we are built for.
//
// A stream that does not start with a From_ line is yielded whole as one message with format 'eml' (its leading
// blank lines left out, as in an mbox they belong to no message; the offset is that of its first line).
// Gzip input is detected by its magic bytes (1f 8b) and decompressed on the fly; offsets are then offsets in the
// decompressed stream. A stream whose first line ends in a lone CR (old Mac files) has its lone CRs read as LF
// (./line-ends.ts; byte for byte, offsets unchanged).
//
// Limits (hostile or broken archives must not take unbounded memory or time):
//   - `maxMessageBytes`: a message whose body grows past it is not held: its first HEAD_BYTES are kept, the rest is
//     scanned for the next separator and dropped, and it is yielded with `overLimit` (its full size and the limit)
//     and only its head as `bytes`, for the caller to quarantine. A stream that is no mbox (one message) likewise.
//   - `maxGzipRatio`: decompressed bytes beyond this many times the compressed bytes read (past the first 64 MiB)
//     end the read with an Error (a gzip bomb); a message over the size limit that was being cut is yielded first.
//   - a From_ line is only looked for in lines of at most MAX_FROM_LINE bytes (a separator is short).

import { createGunzip } from 'node:zlib';
import { Readable, pipeline } from 'node:stream';
import type { ArchiveFormat, RawMessage } from '../core/model.ts';
import { loneCrAsLfStream } from './line-ends.ts';

export type MboxFormat = 'mboxrd' | 'mboxo' | 'pipermail';

export interface ReadMboxOptions {
  /** archive path, or "-" for stdin; copied into every RawMessage */
  source: string;
  /** default 'auto' */
  format?: MboxFormat | 'auto';
  /**
   * Resume support: messages whose offset is below this are scanned past but not yielded (no copy, no
   * un-escaping). Offsets are in the decompressed stream.
   */
  startAt?: number;
  /**
   * Offset of the first byte of `input` in the whole (decompressed) archive, when the caller already seeked into
   * the file (see archive-walk's resume). The input must then start at a separator. Default 0.
   */
  baseOffset?: number;
  /** a message larger than this is yielded as its head with `overLimit` (see the header comment); default none */
  maxMessageBytes?: number;
  /** gzip input: stop with an Error when the output outgrows this many times the input; default none */
  maxGzipRatio?: number;
  /** decompressed bytes before the ratio is judged (default GZIP_RATIO_FLOOR; tests lower it) */
  gzipRatioFloor?: number;
}

/** How much of an over-limit message is kept (its headers and the start of its body). */
export const HEAD_BYTES = 64 * 1024;
/** Longer lines are never From_ separators. */
const MAX_FROM_LINE = 1000;
/**
 * The gzip ratio is only judged past this many decompressed bytes: below it, whatever the ratio, nothing is at risk
 * (the message limit bounds memory), and small archives of repetitive text compress wildly.
 */
export const GZIP_RATIO_FLOOR = 64 << 20;

const NL = 0x0a;
const CR = 0x0d;
const GT = 0x3e;
const FROM_NL = Buffer.from('\nFrom ', 'latin1');
const FROM_ = Buffer.from('From ', 'latin1');
const NL_GT = Buffer.from('\n>', 'latin1');

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const DAY_RE = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const MON_RE = '(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
const TZ_RE = '(?:[A-Z]{1,5}|[+-]\\d{4})';
// asctime: `Wed Mar 31 11:24:17 2010`, `Thu Jan  1 00:00:00 1970`, optional zone before or after the year
const ASCTIME_RE = new RegExp(
  `^From (.*?) +${DAY_RE},? +${MON_RE} +(\\d{1,2}) +(\\d{1,2}):(\\d{2})(?::(\\d{2}))?` +
    `(?: +(${TZ_RE}))? +(\\d{4})(?: +(${TZ_RE}))? *$`,
);
// RFC 2822 style some tools write: `Wed, 31 Mar 2010 11:24:17 +0000`
const RFC2822_RE = new RegExp(
  `^From (.*?) +${DAY_RE},? +(\\d{1,2}) +${MON_RE} +(\\d{4}) +(\\d{1,2}):(\\d{2})(?::(\\d{2}))?(?: +(${TZ_RE}))? *$`,
);

export interface FromLine {
  /** what stands between `From ` and the date (`mboxrd@z`, `nhorman at tuxdriver.com`, a commit id ...) */
  sender: string;
  /** null for placeholder dates (epoch 0 as lore writes, git format-patch's Mon Sep 17 00:00:00 2001) */
  date: Date | null;
}

function zoneMinutes(tz: string | undefined): number {
  if (!tz || !/^[+-]\d{4}$/.test(tz)) return 0; // names: UTC assumed
  const sign = tz[0] === '-' ? -1 : 1;
  return sign * (Number(tz.slice(1, 3)) * 60 + Number(tz.slice(3, 5)));
}

function makeDate(y: number, mon: string, d: number, h: number, mi: number, s: number, tz: string | undefined) {
  const m = MONTHS.indexOf(mon);
  if (d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return null;
  const t = Date.UTC(y, m, d, h, mi, Math.min(s, 59));
  const check = new Date(t);
  if (check.getUTCDate() !== d || check.getUTCMonth() !== m) return null; // Feb 31
  if (t === 0) return null; // `Thu Jan  1 00:00:00 1970`: lore's placeholder, not a date
  if (y === 2001 && m === 8 && d === 17 && h === 0 && mi === 0 && s === 0) return null; // git format-patch magic
  return new Date(t - zoneMinutes(tz) * 60_000);
}

/**
 * Parse a From_ separator line (without its line ending; a trailing \r is tolerated). Returns null when the line
 * is not a strict separator.
 */
export function parseFromLine(line: string): FromLine | null {
  if (!line.startsWith('From ')) return null;
  if (line.endsWith('\r')) line = line.slice(0, -1);
  let m = ASCTIME_RE.exec(line);
  if (m) {
    const [, sender, mon, d, h, mi, s, tz1, y, tz2] = m;
    return { sender: sender!, date: makeDate(+y!, mon!, +d!, +h!, +mi!, s ? +s : 0, tz2 ?? tz1) };
  }
  m = RFC2822_RE.exec(line);
  if (m) {
    const [, sender, d, mon, y, h, mi, s, tz] = m;
    return { sender: sender!, date: makeDate(+y!, mon!, +d!, +h!, +mi!, s ? +s : 0, tz) };
  }
  return null;
}

/** The format `auto` picks for a stream whose first separator line is `line` (see the header comment). */
export function detectFormatFromSeparator(line: string): MboxFormat {
  const parsed = parseFromLine(line);
  const sender = parsed?.sender ?? '';
  if (/^\S+ at \S+$/.test(sender)) return 'pipermail';
  if (/^[0-9a-f]{40}$/.test(sender) && /Mon Sep 17 00:00:00 2001\s*$/.test(line)) return 'mboxo';
  return 'mboxrd';
}

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  throw new TypeError(`readMbox: unexpected chunk type ${typeof chunk}`);
}

/**
 * Yield the stream's bytes, gunzipped when it starts with the gzip magic (1f 8b). Chunks of any size, including
 * 1 byte, are fine.
 */
export async function* maybeGunzip(input: AsyncIterable<Buffer | Uint8Array>, maxRatio = Infinity, ratioFloor = GZIP_RATIO_FLOOR): AsyncGenerator<Buffer> {
  const it = input[Symbol.asyncIterator]();
  let finished = false; // `it` ran to its end (or threw): nothing to close
  let sourceError: unknown = null; // an error of the input itself is passed on as is, not as a gzip error
  const next = async (): Promise<Buffer | null> => {
    try {
      const r = await it.next();
      if (r.done) finished = true;
      return r.done ? null : toBuffer(r.value);
    } catch (err) {
      finished = true;
      sourceError = err;
      throw err;
    }
  };
  try {
    const head: Buffer[] = [];
    let headLen = 0;
    while (headLen < 2) {
      const b = await next();
      if (!b) break;
      head.push(b);
      headLen += b.length;
    }
    const first = head.length === 1 ? head[0]! : Buffer.concat(head);
    if (!(first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b)) {
      if (first.length) yield first;
      for (let b = await next(); b; b = await next()) yield b;
      return;
    }
    let packed = 0;
    let unpacked = 0;
    async function* compressed(): AsyncGenerator<Buffer> {
      packed += first.length;
      yield first;
      for (let b = await next(); b; b = await next()) {
        packed += b.length;
        yield b;
      }
    }
    let failure: Error | null = null;
    const out = pipeline(Readable.from(compressed(), { objectMode: false }), createGunzip(), (err) => {
      if (err) failure = err;
    });
    try {
      for await (const chunk of out) {
        unpacked += (chunk as Buffer).length;
        if (unpacked > ratioFloor && unpacked > maxRatio * packed) {
          out.destroy();
          throw new GzipBomb(`decompressed data is over ${maxRatio} times its compressed size (a gzip bomb?): stopped after ${unpacked} bytes from ${packed}`);
        }
        yield chunk as Buffer;
      }
    } catch (err) {
      if (err instanceof GzipBomb) throw err;
      throw sourceError ?? gzipError(err);
    }
    if (failure) throw sourceError ?? gzipError(failure);
  } finally {
    // stopped early (consumer broke out, or an error): let the source close its file
    if (!finished) await it.return?.();
  }
}

class GzipBomb extends Error {}

function gzipError(err: unknown): Error {
  const msg = err instanceof Error ? err.message : String(err);
  return new Error(`gzip data is corrupt or truncated: ${msg}`, { cause: err });
}

// ---- un-escaping ----------------------------------------------------------------------------------------------

/** Remove From-escaping from a message body per `format`. Returns `body` itself when nothing changes. */
export function unescapeBody(body: Buffer, format: ArchiveFormat): Buffer {
  if (format !== 'mboxrd' && format !== 'mboxo') return body;
  const pieces: Buffer[] = [];
  let copied = 0; // body[copied..] not yet pushed
  // line starts that begin with '>': position 0 and every "\n>"
  let p = body.length > 0 && body[0] === GT ? 0 : nextGt(body, 0);
  while (p !== -1) {
    let q = p;
    while (q < body.length && body[q] === GT) q++;
    const count = q - p;
    if ((format === 'mboxrd' || count === 1) && body.length - q >= 5 && body.compare(FROM_, 0, 5, q, q + 5) === 0) {
      if (p > copied) pieces.push(body.subarray(copied, p));
      copied = p + 1; // drop one '>'
    }
    p = nextGt(body, q);
  }
  if (copied === 0) return body;
  pieces.push(body.subarray(copied));
  return Buffer.concat(pieces);
}

function nextGt(body: Buffer, from: number): number {
  const i = body.indexOf(NL_GT, from);
  return i === -1 ? -1 : i + 1;
}

// ---- reader ---------------------------------------------------------------------------------------------------

/** Growable byte buffer; `data[0..len)` is live. */
class ByteBuf {
  data = Buffer.allocUnsafe(64 * 1024);
  len = 0;
  append(chunk: Buffer): void {
    const need = this.len + chunk.length;
    if (need > this.data.length) {
      let cap = this.data.length * 2;
      while (cap < need) cap *= 2;
      const next = Buffer.allocUnsafe(cap);
      this.data.copy(next, 0, 0, this.len);
      this.data = next;
    }
    chunk.copy(this.data, this.len);
    this.len = need;
  }
  /** give back memory after a large message went by */
  shrink(): void {
    if (this.data.length <= 1 << 20 || this.data.length < 4 * this.len) return;
    const next = Buffer.allocUnsafe(Math.max(64 * 1024, this.len * 2));
    this.data.copy(next, 0, 0, this.len);
    this.data = next;
  }
  /** drop data[0..n) */
  shift(n: number): void {
    if (n <= 0) return;
    this.data.copy(this.data, 0, n, this.len);
    this.len -= n;
  }
  view(): Buffer {
    return this.data.subarray(0, this.len);
  }
}

/**
 * Where the first line that is not blank or whitespace-only (spaces, tabs, CR) begins; -1 when `data` ends
 * before that is known (all of it blank so far, or a last line of only blanks without its line feed).
 */
export function firstLineStart(data: Buffer): number {
  let lineStart = 0;
  for (let p = 0; p < data.length; p++) {
    const c = data[p];
    if (c === NL) lineStart = p + 1;
    else if (c !== 0x20 && c !== 0x09 && c !== CR) return lineStart;
  }
  return -1;
}

/**
 * Cut an mbox stream into RawMessages. See the header comment for the separator, escaping and `auto` rules.
 * `input` may be gzip-compressed (detected by magic bytes).
 */
export async function* readMbox(
  input: AsyncIterable<Buffer | Uint8Array>,
  opts: ReadMboxOptions,
): AsyncGenerator<RawMessage> {
  const source = opts.source;
  const requested = opts.format ?? 'auto';
  const startAt = opts.startAt ?? 0;
  const buf = new ByteBuf();
  let base = opts.baseOffset ?? 0; // absolute offset of buf.data[0]

  // state
  let mode: 'start' | 'mbox' | 'eml' = 'start';
  let format: MboxFormat = requested === 'auto' ? 'mboxrd' : requested;
  let msgStart = 0; // index in buf of the current message's From_ line
  let bodyStart = 0; // index in buf of the first body byte
  let msgDate: Date | null = null;
  let scanPos = 0; // where the next search for "\nFrom " starts

  const maxBytes = opts.maxMessageBytes ?? Infinity;
  const headBytes = Math.min(HEAD_BYTES, maxBytes); // kept of an over-limit message
  // the message being cut while over the limit: its head, where its body started, its offset
  let over: { head: Buffer; bodyStartAbs: number; offset: number } | null = null;
  let emlOver = null as { head: Buffer; size: number } | null;
  const oversized = (head: Buffer, size: number, offset: number, date: Date | null, fmt: ArchiveFormat): RawMessage =>
    ({ bytes: head, source, offset, separatorDate: date, format: fmt, overLimit: { size, limit: maxBytes } });

  const make = (body: Buffer, offset: number, date: Date | null, fmt: ArchiveFormat): RawMessage => {
    // whole in one chunk, yet over the limit
    if (body.length > maxBytes) return oversized(Buffer.from(body.subarray(0, headBytes)), body.length, offset, date, fmt);
    const unescaped = unescapeBody(body, fmt);
    // `body` is a view into the reused buffer: copy it; an un-escaped result is already a fresh buffer
    return { bytes: unescaped === body ? Buffer.from(body) : unescaped, source, offset, separatorDate: date, format: fmt };
  };

  try {
  for await (const chunk of loneCrAsLfStream(maybeGunzip(input, opts.maxGzipRatio, opts.gzipRatioFloor))) {
    if (chunk.length === 0) continue;
    if (emlOver) {
      emlOver.size += chunk.length;
      continue;
    }
    // compact: everything before the current message is done with
    if (mode === 'mbox' && msgStart > 0) {
      buf.shift(msgStart);
      base += msgStart;
      bodyStart -= msgStart;
      scanPos -= msgStart;
      msgStart = 0;
      buf.shrink();
    }
    buf.append(chunk);
    let data = buf.view();

    if (mode === 'start') {
      // leading blank and whitespace-only lines belong to no message: dropped as they come (a long run of them
      // is never scanned twice), then the first line decides
      const first = firstLineStart(data);
      const blank = first === -1 ? data.lastIndexOf(NL) + 1 : first;
      if (blank > 0) {
        buf.shift(blank);
        base += blank;
        data = buf.view();
      }
      if (first === -1) continue; // need more
      const eol = data.indexOf(NL);
      if (eol === -1) {
        // first line not complete; decide early when it cannot be a From_ line
        const n = Math.min(5, data.length);
        if (data.compare(FROM_, 0, n, 0, n) !== 0 || data.length > MAX_FROM_LINE) mode = 'eml';
        if (mode === 'eml' && data.length > maxBytes) cutEml(data);
        continue;
      }
      const line = data.toString('latin1', 0, eol);
      const parsed = eol <= MAX_FROM_LINE ? parseFromLine(line) : null;
      if (!parsed) {
        mode = 'eml';
        if (data.length > maxBytes) cutEml(data);
        continue;
      }
      if (requested === 'auto') format = detectFormatFromSeparator(line);
      mode = 'mbox';
      msgStart = 0;
      bodyStart = eol + 1;
      scanPos = bodyStart - 1; // mboxrd: a From_ line right after a From_ line is an empty message
      msgDate = parsed.date;
    }
    if (mode === 'eml' && data.length > maxBytes) cutEml(data);
    if (mode !== 'mbox') continue;

    // scan for separators
    for (;;) {
      const idx = data.indexOf(FROM_NL, scanPos);
      if (idx === -1) {
        scanPos = Math.max(bodyStart - 1, data.length - (FROM_NL.length - 1));
        break;
      }
      const lineStart = idx + 1;
      const eol = data.indexOf(NL, lineStart);
      if (eol === -1) {
        if (data.length - lineStart > MAX_FROM_LINE) {
          scanPos = lineStart; // too long for a separator, whatever follows
          continue;
        }
        scanPos = idx; // wait for the rest of the line
        break;
      }
      scanPos = lineStart;
      if (eol - lineStart > MAX_FROM_LINE) continue;
      // the line before must be blank: "\n\nFrom " or "\n\r\nFrom "
      let sepLen = 0;
      if (data[idx - 1] === NL) sepLen = 1;
      else if (data[idx - 1] === CR && data[idx - 2] === NL) sepLen = 2;
      if (sepLen === 0 && format === 'pipermail') continue;
      const parsed = parseFromLine(data.toString('latin1', lineStart, eol));
      if (!parsed) continue;
      // a separator: the message ends before the blank line
      if (over) {
        if (over.offset >= startAt) yield oversized(over.head, base + lineStart - sepLen - over.bodyStartAbs, over.offset, msgDate, format);
        over = null;
      } else {
        const offset = base + msgStart;
        if (offset >= startAt) yield make(data.subarray(bodyStart, lineStart - sepLen), offset, msgDate, format);
      }
      msgStart = lineStart;
      bodyStart = eol + 1;
      scanPos = bodyStart - 1;
      msgDate = parsed.date;
    }
    // over the limit: keep the head, drop what was scanned (the next chunk's compaction frees it); two bytes before
    // the scan position stay for the blank-line check of a separator found there
    if (over || data.length - bodyStart > maxBytes) {
      over ??= { head: Buffer.from(data.subarray(bodyStart, bodyStart + headBytes)), bodyStartAbs: base + bodyStart, offset: base + msgStart };
      msgStart = bodyStart = Math.max(bodyStart, scanPos - 2);
    }
  }
  } catch (err) {
    // a gzip bomb or a broken stream: the over-limit message being cut is what the caller must hear about first
    if (over && over.offset >= startAt) yield oversized(over.head, base + buf.len - over.bodyStartAbs, over.offset, msgDate, format);
    throw err;
  }

  // end of stream
  const data = buf.view();
  if (emlOver) {
    if (base >= startAt) yield oversized(emlOver.head, emlOver.size, base, null, 'eml');
  } else if (over) {
    if (over.offset >= startAt) yield oversized(over.head, base + data.length - over.bodyStartAbs, over.offset, msgDate, format);
  } else if (mode === 'mbox') {
    let end = data.length;
    if (end > bodyStart && data[end - 1] === NL) {
      if (data[end - 2] === NL) end -= 1;
      else if (data[end - 2] === CR && data[end - 3] === NL) end -= 2;
    }
    const offset = base + msgStart;
    if (offset >= startAt) yield make(data.subarray(bodyStart, end), offset, msgDate, format);
  } else if (data.length > 0) {
    // not an mbox: the whole stream is one message (a stream of only blank lines holds none)
    if (base >= startAt && firstLineStart(data) !== -1) {
      yield make(data, base, null, 'eml');
    }
  }

  /** a stream that is one message, over the limit: keep its head, count the rest */
  function cutEml(data: Buffer): void {
    emlOver = { head: Buffer.from(data.subarray(0, headBytes)), size: data.length };
    buf.len = 0;
    buf.shrink();
  }
}

// ---- writer ---------------------------------------------------------------------------------------------------

/** mboxrd escaping: every line matching /^>*From / gets one more `>`. Strings in, string out; bytes in, bytes out. */
export function escapeMboxrd(body: string): string;
export function escapeMboxrd(body: Buffer): Buffer;
export function escapeMboxrd(body: Buffer | string): Buffer | string;
export function escapeMboxrd(body: Buffer | string): Buffer | string {
  // not /^.../m: that also matches after a lone \r, and the byte version and the reader split on \n only
  if (typeof body === 'string') return body.replace(/(^|\n)(>*From )/g, '$1>$2');
  const pieces: Buffer[] = [];
  let copied = 0;
  let lineStart = 0;
  while (lineStart < body.length) {
    let q = lineStart;
    while (q < body.length && body[q] === GT) q++;
    if (body.length - q >= 5 && body.compare(FROM_, 0, 5, q, q + 5) === 0) {
      pieces.push(body.subarray(copied, lineStart), GT_BUF);
      copied = lineStart;
    }
    const nl = body.indexOf(NL, q);
    if (nl === -1) break;
    lineStart = nl + 1;
  }
  if (pieces.length === 0) return body;
  pieces.push(body.subarray(copied));
  return Buffer.concat(pieces);
}
const GT_BUF = Buffer.from('>', 'latin1');

export interface MboxOutMessage {
  bytes: Buffer | string;
  /** goes on the From_ line; default `mboxrd@z` (as lore writes) */
  sender?: string;
  /** goes on the From_ line in asctime form (UTC); default the epoch, as lore writes */
  separatorDate?: Date | null;
}

/** asctime in UTC: `Thu Jan  1 00:00:00 1970` */
export function asctime(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${d.getUTCFullYear()}`
  );
}

/**
 * One message in mboxrd form: From_ line, escaped body, blank separator line. A body that does not end in a line
 * ending gets "\n" (mbox cannot carry that; readMbox returns the body with it). The separator line is "\r\n" when
 * the body ends in "\r\n", so CRLF archives stay CRLF and readMbox(formatMboxrd(x)) gives x back byte for byte.
 */
export function formatMboxrdMessage(msg: MboxOutMessage | Buffer | string): Buffer {
  const m: MboxOutMessage = typeof msg === 'string' || Buffer.isBuffer(msg) ? { bytes: msg } : msg;
  const body = typeof m.bytes === 'string' ? Buffer.from(m.bytes, 'utf8') : m.bytes;
  const crlf = body.length >= 2 && body[body.length - 2] === CR && body[body.length - 1] === NL;
  const eol = crlf ? '\r\n' : '\n';
  const sender = (m.sender ?? 'mboxrd@z').replace(/\s+/g, '_') || 'mboxrd@z';
  const from = `From ${sender} ${asctime(m.separatorDate ?? new Date(0))}${eol}`;
  const escaped = escapeMboxrd(body);
  const needsNl = body.length > 0 && body[body.length - 1] !== NL;
  return Buffer.concat([Buffer.from(from, 'latin1'), escaped, Buffer.from(needsNl ? '\n\n' : eol, 'latin1')]);
}

/** A whole mboxrd archive. For big downloads stream `formatMboxrdMessage` per message instead. */
export function formatMboxrd(messages: Iterable<MboxOutMessage | Buffer | string>): Buffer {
  const parts: Buffer[] = [];
  for (const m of messages) parts.push(formatMboxrdMessage(m));
  return Buffer.concat(parts);
}
