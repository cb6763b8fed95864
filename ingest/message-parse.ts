// One raw mail in, one Message (or a quarantine reason) out. Pure: no I/O, no database.
//
// The MIME walk is done here rather than by mailparser's simpleParser, for two reasons found on the
// sample corpus: simpleParser, even with its HTML and link work skipped, parses some 7k messages a second
// (MIME alone), where this whole parse, diff included, does over 20k; and it decodes a text part labelled
// us-ascii or utf-8 with Buffer's UTF-8 decoder, which turns invalid bytes into U+FFFD before windows-1252
// could be tried. Mail on patch lists is almost always one text/plain part, so the walk only has to be
// right, not general: multipart trees (iteratively, depth-limited), message/rfc822, base64,
// quoted-printable, RFC 2047, RFC 2231. simpleParser is still called for the rare mail in a charset
// iconv-lite cannot decode (ISO-2022-JP, which Japanese Thunderbird sent by default): its decoders take
// over the subject, the sender's name and the body text of that mail.
import { createHash } from 'node:crypto';
import { isUtf8 } from 'node:buffer';
import iconv from 'iconv-lite';
import { simpleParser } from 'mailparser';
import type { Address, DiffFile, Message, MessageKind, RawMessage } from './model.ts';
import { extractDiff, parseDiff } from './diff.ts';
import { parseSubject } from './subject.ts';
import { changeIdOf, parseTrailers, supersedesOf } from './trailers.ts';
import { saysApplied } from './acceptance-text.ts';
import { parseMailDate } from './mail-date.ts';

export interface ParseOptions {
  /** list name to record; default: from List-Id, else 'kexec' */
  list?: string;
}

export type ParseResult = { message: Message } | { quarantine: string };

const DEFAULT_LIST = 'kexec';
/** how deep multiparts may nest before the rest is ignored (a hostile mail can nest thousands) */
const MAX_MIME_DEPTH = 8;
/** how many MIME parts one mail may have before the rest is ignored */
const MAX_MIME_PARTS = 256;
/** header fields at least one of which a mail must have to count as one */
const MAIL_FIELDS = ['from', 'subject', 'date', 'message-id', 'to', 'in-reply-to', 'references', 'sender'];
// "Name: value", the first line of a header block (obs-fields allow blanks before the colon)
const FIELD_LINE_RE = /^[\x21-\x39\x3b-\x7e]+[ \t]*:/;
// Content types and file names whose content is a patch when attached
const DIFF_TYPES = new Set(['text/x-patch', 'text/x-diff', 'text/patch', 'text/diff', 'application/x-patch', 'application/x-diff']);
const DIFF_NAME_RE = /\.(?:patch|diff)$/i;
// git request-pull's wording, "git" or "Git" depending on its version
const PULL_RE = /are available in the git repository at/gi;
// cheap tests before the line-by-line readers run over a whole body
const CHANGE_ID_RE = /^change-id[ \t]*:/im;
const SUPERSEDES_RE = /^supersedes[ \t]*:/im;

/**
 * Parse one mail. Never throws: input that cannot be a mail (no header block, binary junk, empty) and
 * any unexpected failure come back as `{ quarantine: reason }`.
 *
 * @example const r = await parseMessage(raw, { list: 'kexec' });
 *   if ('message' in r) r.message.isPatch
 */
export async function parseMessage(raw: RawMessage, opts: ParseOptions = {}): Promise<ParseResult> {
  try {
    const first = parse(raw, opts);
    if (!first.library) return first.result;
    const decoded = await decodeWithMailparser(raw.bytes.subarray(first.library.start), first.library);
    return parse(raw, opts, decoded).result;
  } catch (err) {
    return quarantineFor(err);
  }
}

/**
 * {@link parseMessage} without the promise, for bulk import loops. Never throws. The one difference: a mail
 * in a charset only mailparser decodes (ISO-2022-JP) keeps that text undecoded (its ASCII, diffs included,
 * reads right).
 */
export function parseMessageSync(raw: RawMessage, opts: ParseOptions = {}): ParseResult {
  try {
    return parse(raw, opts).result;
  } catch (err) {
    return quarantineFor(err);
  }
}

function quarantineFor(err: unknown): ParseResult {
  return { quarantine: `parse error: ${err instanceof Error ? err.message : String(err)}` };
}

/** Which texts of a mail are in a charset only mailparser decodes, and where its header block starts. */
interface LibraryNeed {
  start: number;
  subject: boolean;
  from: boolean;
  text: boolean;
}

/** Texts mailparser decoded, to use in place of ours. */
interface Decoded {
  subject?: string;
  fromName?: string;
  text?: string;
}

const MAILPARSER_OPTIONS = { skipHtmlToText: true, skipTextToHtml: true, skipTextLinks: true, skipImageLinks: true };

async function decodeWithMailparser(bytes: Buffer, need: LibraryNeed): Promise<Decoded> {
  const mail = await simpleParser(withoutFlowed(bytes), MAILPARSER_OPTIONS);
  const out: Decoded = {};
  if (need.subject && typeof mail.subject === 'string') out.subject = mail.subject;
  if (need.from && mail.from?.value[0]?.name) out.fromName = mail.from.value[0].name;
  if (need.text && typeof mail.text === 'string') out.text = mail.text;
  return out;
}

/**
 * Turn `format=flowed` (and `delsp=yes`) in Content-Type fields into their defaults, so mailparser does not
 * reflow a diff. Only Content-Type lines and their continuations are touched.
 */
function withoutFlowed(bytes: Buffer): Buffer {
  if (bytes.indexOf('flowed', 0, 'latin1') < 0) return bytes;
  const lines = bytes.toString('latin1').split('\n');
  let inContentType = false;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (/^content-type[ \t]*:/i.test(l)) inContentType = true;
    else if (!/^[ \t]/.test(l)) inContentType = false;
    if (inContentType) {
      lines[i] = l.replace(/\bformat[ \t]*=[ \t]*"?flowed"?/gi, 'format=fixed').replace(/\bdelsp[ \t]*=[ \t]*"?yes"?/gi, 'delsp=no');
    }
  }
  return Buffer.from(lines.join('\n'), 'latin1');
}

// ---- the message ---------------------------------------------------------------------------------

interface Parsed {
  result: ParseResult;
  /** set when some text is in a charset only mailparser decodes */
  library: LibraryNeed | null;
}

function parse(raw: RawMessage, opts: ParseOptions, decoded: Decoded = {}): Parsed {
  const bytes = raw?.bytes;
  if (!Buffer.isBuffer(bytes) || bytes.length === 0) return quarantined('empty message');

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
  if (start >= bytes.length) return quarantined('empty message');
  const firstEol = bytes.indexOf(0x0a, start);
  const firstLine = bytes.toString('latin1', start, firstEol < 0 ? Math.min(bytes.length, start + 1000) : firstEol);
  if (!FIELD_LINE_RE.test(firstLine)) return quarantined('no header block: the first line is not a header field');

  const split = splitHead(bytes, start);
  const head = parseFields(decodeHeaderBytes(bytes.subarray(start, split.headEnd)));
  if (!MAIL_FIELDS.some((f) => head.has(f))) return quarantined('no header block: no mail header fields');

  const content = walkMime(head, bytes.subarray(split.bodyStart));
  const body = decoded.text !== undefined ? normaliseEol(decoded.text) : content.text.join('\n');

  // ids
  let messageId = firstId(field(head, 'message-id'), false);
  let synthetic = false;
  if (!messageId) {
    messageId = `synthetic-${createHash('sha256').update(bytes).digest('hex').slice(0, 24)}@relapse.invalid`;
    synthetic = true;
  }
  let inReplyTo = firstId(field(head, 'in-reply-to'), true);
  if (inReplyTo === messageId) inReplyTo = null;
  const references: string[] = [];
  for (const id of allIds((head.get('references') ?? []).join(' '))) {
    if (id !== messageId && !references.includes(id)) references.push(id);
  }
  if (inReplyTo && !references.includes(inReplyTo)) references.push(inReplyTo);

  libraryCharsetMet = false;
  const subject = parseSubject((decoded.subject ?? decodeWords(field(head, 'subject') ?? '')).trim());
  const subjectNeedsLibrary = libraryCharsetMet;
  libraryCharsetMet = false;
  const from = parseAddress(field(head, 'from') ?? field(head, 'sender') ?? '');
  if (decoded.fromName !== undefined) from.name = decoded.fromName.replace(/\s+/g, ' ').trim();
  const fromNeedsLibrary = libraryCharsetMet;
  const headerDate = field(head, 'date');
  const parsedDate = headerDate ? parseMailDate(headerDate) : null;
  const sep = raw.separatorDate instanceof Date && !Number.isNaN(raw.separatorDate.getTime()) ? raw.separatorDate : null;
  const date = (parsedDate ?? sep)?.toISOString() ?? null;

  // the body: own text, diff, trailers
  const lines = body.split('\n');
  const bodyDiff = extractDiff(body);
  let diffText = bodyDiff;
  const attachmentNotes: string[] = [];
  if (!diffText) {
    const found: string[] = [];
    for (const att of content.diffCarriers) {
      const d = extractDiff(att);
      if (!d) continue;
      found.push(d);
      attachmentNotes.push(textBeforeDiff(att, d));
    }
    diffText = found.join('');
  }
  const diff = parseDiff(diffText);
  const hasDiff = diff.some(carriesChange);

  const own = ownTextOf(lines, bodyDiff);

  const isCover = !subject.isReply && subject.index === 0 && subject.total !== null;
  const isPull =
    !subject.isReply &&
    (subject.tags.includes('GIT PULL') || subject.tags.includes('PULL') || saysUnquoted(body, PULL_RE));
  let kind: MessageKind;
  if (isCover) kind = 'cover';
  else if (isPull) kind = 'pull';
  else if (hasDiff) kind = 'patch';
  else if (subject.isReply || inReplyTo) kind = 'reply';
  else kind = 'other';
  const isPatch = kind === 'patch';

  // For a patch the trailers are in the commit message, above the "---" that starts git's notes; when the
  // patch came as an attachment its commit message is there too.
  const trailerSource = isPatch
    ? [commitMessageOf(own), ...attachmentNotes.map(commitMessageOf)].join('\n')
    : own;

  const message: Message = {
    messageId,
    synthetic,
    list: opts.list || listOf(field(head, 'list-id')) || DEFAULT_LIST,
    subject,
    from,
    date,
    inReplyTo,
    references,
    kind,
    isPatch,
    ownText: own,
    diffText,
    diff,
    trailers: parseTrailers(trailerSource),
    saysApplied: saysApplied(own),
    flowedStripped: content.flowed,
    changeId: headerToken(field(head, 'x-change-id')) ?? (CHANGE_ID_RE.test(body) ? changeIdOf(body) : null),
    supersedes: firstId(field(head, 'supersedes'), false) ?? (SUPERSEDES_RE.test(body) ? supersedesOf(body) : null),
  };
  const needsLibrary = subjectNeedsLibrary || fromNeedsLibrary || content.textNeedsLibrary;
  return {
    result: { message },
    library: needsLibrary ? { start, subject: subjectNeedsLibrary, from: fromNeedsLibrary, text: content.textNeedsLibrary } : null,
  };
}

function quarantined(reason: string): Parsed {
  return { result: { quarantine: reason }, library: null };
}

/** Does `re` (global) match on a line that is not quoted? */
function saysUnquoted(text: string, re: RegExp): boolean {
  re.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    const lineStart = text.lastIndexOf('\n', m.index) + 1;
    if (!isQuoted(text.slice(lineStart, m.index))) return true;
  }
  return false;
}

function carriesChange(f: DiffFile): boolean {
  // a git diff that only renames, changes a mode, adds an empty file or touches a binary is a patch too
  return f.hunks.length > 0 || f.status !== 'modified';
}

// ---- own text --------------------------------------------------------------------------------------

function isQuoted(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 0x3e) return true; // '>'
    if (c !== 0x20 && c !== 0x09) return false;
  }
  return false;
}

// "On Thu, 11 Jun 2009 06:00:03 -0400, Chris Wren wrote:", "X <x@y> writes:", "Quoting X (date):",
// "* X <x@y> [2009-06-11 06:00]:" (mutt), and the German / French / Spanish forms.
const ATTRIBUTION_RE = /(?:\b(?:wrote|writes|said|schrieb|escribió|a écrit)\s*:|^quoting\b.*:|^\*.*\]:)\s*$/i;
const ORIGINAL_MESSAGE_RE = /^-{2,}\s*Original Message\s*-{2,}\s*$/i;

/**
 * The author's own text: unquoted lines, without attribution lines, up to the diff, a `-- ` signature or an
 * Outlook "Original Message" separator (everything below which is quoted without `>`).
 */
function ownTextOf(lines: string[], diff: string): string {
  const diffStart = diff ? diff.slice(0, diff.indexOf('\n')) : null;
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i];
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (isQuoted(line)) continue;
    if (line === '-- ' || line === '--') break;
    if (diffStart !== null && line === diffStart) break;
    if (ORIGINAL_MESSAGE_RE.test(line)) break;
    if (ATTRIBUTION_RE.test(line) && (line.startsWith('On ') || nextContentIsQuoted(lines, i + 1))) {
      // a two-line "On <date>, <long name>\n<address> wrote:"
      if (!/^On\s/.test(line) && out.length && /^On\s/.test(out[out.length - 1]) && !ATTRIBUTION_RE.test(out[out.length - 1])) out.pop();
      continue;
    }
    out.push(line);
  }
  while (out.length && out[0].trim() === '') out.shift();
  while (out.length && out[out.length - 1].trim() === '') out.pop();
  return out.join('\n');
}

function nextContentIsQuoted(lines: string[], from: number): boolean {
  for (let i = from; i < lines.length && i < from + 3; i++) {
    if (lines[i].trim() === '') continue;
    return isQuoted(lines[i]);
  }
  return false;
}

/** The commit message: own text above git's `---` separator. */
function commitMessageOf(text: string): string {
  const m = /^---[ \t]*$/m.exec(text);
  return m ? text.slice(0, m.index) : text;
}

/** An attachment's text above its diff (where a format-patch file keeps the commit message). */
function textBeforeDiff(text: string, diff: string): string {
  const first = diff.slice(0, diff.indexOf('\n'));
  const lines = text.split('\n');
  const out: string[] = [];
  for (const l of lines) {
    const line = l.endsWith('\r') ? l.slice(0, -1) : l;
    if (line === first) break;
    if (!isQuoted(line)) out.push(line);
  }
  return out.join('\n');
}

// ---- header fields ---------------------------------------------------------------------------------

type Fields = Map<string, string[]>;

function field(head: Fields, name: string): string | undefined {
  return head.get(name)?.[0];
}

/** Split header block from body: the first empty line (LF or CRLF) ends the header block. */
function splitHead(buf: Buffer, start: number): { headEnd: number; bodyStart: number } {
  if (buf[start] === 0x0a) return { headEnd: start, bodyStart: start + 1 };
  if (buf[start] === 0x0d && buf[start + 1] === 0x0a) return { headEnd: start, bodyStart: start + 2 };
  const lf = buf.indexOf('\n\n', start, 'latin1');
  const crlf = buf.indexOf('\n\r\n', start, 'latin1');
  if (lf < 0 && crlf < 0) return { headEnd: buf.length, bodyStart: buf.length };
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return { headEnd: crlf + 1, bodyStart: crlf + 3 };
  return { headEnd: lf + 1, bodyStart: lf + 2 };
}

/** Header bytes are ASCII by the RFCs; raw 8-bit in them is UTF-8 when it is valid UTF-8, else windows-1252. */
function decodeHeaderBytes(buf: Buffer): string {
  return isUtf8(buf) ? buf.toString('utf8') : decodeWindows1252(buf);
}

/** Unfolded header fields by lower-case name, values trimmed, in order of appearance. */
function parseFields(text: string): Fields {
  const fields: Fields = new Map();
  let name = '';
  let value = '';
  const flush = () => {
    if (!name) return;
    const list = fields.get(name);
    const v = value.trim();
    if (list) list.push(v);
    else fields.set(name, [v]);
    name = '';
  };
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '') continue;
    const c = line.charCodeAt(0);
    if (c === 0x20 || c === 0x09) {
      if (name) value += line; // unfolding keeps the whitespace, drops the line break
      continue;
    }
    flush();
    const colon = line.indexOf(':');
    if (colon <= 0) continue; // a junk line inside the header block
    name = line.slice(0, colon).trim().toLowerCase();
    value = line.slice(colon + 1);
  }
  flush();
  return fields;
}

interface Params {
  value: string;
  params: Record<string, string>;
}

/** `type/subtype; a=b; c="d; e"`, with RFC 2231 `name*=utf-8''x` and `name*0=` continuations. */
function parseParams(header: string | undefined): Params {
  const out: Params = { value: '', params: {} };
  if (!header) return out;
  const segments: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < header.length; i++) {
    const ch = header[i];
    if (quoted && ch === '\\' && i + 1 < header.length) { cur += header[++i]; continue; }
    if (ch === '"') { quoted = !quoted; cur += ch; continue; }
    if (ch === ';' && !quoted) { segments.push(cur); cur = ''; continue; }
    cur += ch;
  }
  segments.push(cur);
  out.value = segments[0].replace(/\([^)]*\)/g, '').trim().toLowerCase();
  const continued: Record<string, { parts: string[]; charset: string | null }> = {};
  for (const seg of segments.slice(1)) {
    const eq = seg.indexOf('=');
    if (eq < 0) continue;
    const key = seg.slice(0, eq).trim().toLowerCase();
    let val = seg.slice(eq + 1).trim();
    if (val.startsWith('"') && val.endsWith('"') && val.length >= 2) val = val.slice(1, -1);
    const star = /^([^*]+)(?:\*(\d+))?(\*)?$/.exec(key);
    if (!star || (star[2] === undefined && star[3] === undefined)) {
      out.params[key] = val;
      continue;
    }
    const base = star[1];
    const entry = (continued[base] ??= { parts: [], charset: null });
    let piece = val;
    if (star[3]) {
      // extended value: charset'language'percent-encoded, charset only on the first piece
      const m = /^([^']*)'[^']*'(.*)$/.exec(val);
      if (m) { entry.charset = m[1] || entry.charset; piece = m[2]; }
      piece = `\u0000${piece}`; // mark as percent-encoded
    }
    entry.parts[star[2] === undefined ? 0 : Number(star[2])] = piece;
  }
  for (const [base, entry] of Object.entries(continued)) {
    const bytes: number[] = [];
    for (const p of entry.parts) {
      if (p === undefined) continue;
      if (p.startsWith('\u0000')) {
        const s = p.slice(1);
        for (let i = 0; i < s.length; i++) {
          if (s[i] === '%' && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) { bytes.push(parseInt(s.slice(i + 1, i + 3), 16)); i += 2; }
          else bytes.push(s.charCodeAt(i) & 0xff);
        }
      } else {
        for (const b of Buffer.from(p, 'utf8')) bytes.push(b);
      }
    }
    out.params[base] = decodeCharset(Buffer.from(bytes), entry.charset ?? 'utf-8');
  }
  return out;
}

// ---- ids, addresses, list ----------------------------------------------------------------------------

/** `<horne at verge.example>` → `horne@verge.example`: pipermail obfuscates ids as it does addresses. */
function cleanId(id: string): string {
  const deob = /^([^\s@]+)\s+at\s+([^\s@]+)$/i.exec(id.trim());
  return (deob ? `${deob[1]}@${deob[2]}` : id).replace(/\s+/g, '');
}

/** All bracketed ids of a field, in order; without brackets, the @-bearing words. */
function allIds(v: string | undefined): string[] {
  if (!v) return [];
  const ids: string[] = [];
  const re = /<([^<>]*)>/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(v))) {
    const id = cleanId(m[1]);
    if (id) ids.push(id);
  }
  if (ids.length) return ids;
  for (const w of v.split(/[\s,]+/)) if (w.includes('@')) ids.push(cleanId(w));
  return ids;
}

/**
 * The first id of a field. `preferAddressLike`: In-Reply-To of old mailers reads
 * `Your message of "Mon, 1 Jun 2009" <id@host>`; prefer an id with an @ when there is one.
 */
function firstId(v: string | undefined, preferAddressLike: boolean): string | null {
  if (!v) return null;
  const ids = allIds(v);
  if (!ids.length) {
    const bare = cleanId((v.trim().split(/\s+/)[0] ?? '').replace(/[<>]/g, ''));
    return bare || null;
  }
  return (preferAddressLike ? ids.find((id) => id.includes('@')) : undefined) ?? ids[0];
}

function headerToken(v: string | undefined): string | null {
  const t = v?.trim().split(/\s+/)[0];
  return t || null;
}

/** From: `Name <a@b>`, `"Last, First" <a@b>`, `a@b (Name)`, `a@b`, and pipermail's `a at b (Name)`. */
function parseAddress(v: string): Address {
  let s = v.trim();
  // a list of addresses: the first one (commas outside quotes and brackets)
  let depth = 0, quoted = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === '"' && s[i - 1] !== '\\') quoted = !quoted;
    else if (!quoted && ch === '<') depth++;
    else if (!quoted && ch === '>') depth = Math.max(0, depth - 1);
    else if (!quoted && depth === 0 && ch === ',' && /[@<]/.test(s.slice(0, i)) && /[@<]/.test(s.slice(i))) { s = s.slice(0, i); break; }
  }
  let name = '';
  let email = '';
  const lt = s.lastIndexOf('<');
  const gt = lt >= 0 ? s.indexOf('>', lt) : -1;
  if (lt >= 0 && gt > lt) {
    email = s.slice(lt + 1, gt);
    name = s.slice(0, lt).trim();
    if (!name) name = (/\(([^)]*)\)/.exec(s.slice(gt + 1))?.[1] ?? '').trim();
  } else {
    const m = /^(.*?)\s*\(([^()]*)\)\s*$/.exec(s);
    if (m) { email = m[1]; name = m[2]; }
    else email = s;
  }
  name = unquote(decodeWords(name)).replace(/\s+/g, ' ').trim();
  email = email.trim().replace(/^mailto:/i, '');
  const deob = /^([^\s@]+)\s+at\s+([^\s@]+\.[^\s@]+)$/i.exec(email);
  if (deob) email = `${deob[1]}@${deob[2]}`;
  return { name, email: email.toLowerCase() };
}

function unquote(s: string): string {
  const t = s.trim();
  if (t.length >= 2 && t.startsWith('"') && t.endsWith('"')) return t.slice(1, -1).replace(/\\(.)/g, '$1');
  return t.replace(/"/g, '');
}

/** `<kexec.lists.infradead.org>` → `kexec`. */
function listOf(listId: string | undefined): string | null {
  if (!listId) return null;
  const bracketed = /<([^<>]+)>/.exec(listId);
  const id = (bracketed ? bracketed[1] : listId).trim().toLowerCase();
  const name = id.split('.')[0].trim();
  return name || null;
}

// ---- RFC 2047 encoded words ---------------------------------------------------------------------------

const ENCODED_WORD_RE = /=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=/g;

/**
 * Decode encoded words. Adjacent words (only whitespace between) of one charset are joined before decoding,
 * since mailers split a multi-byte character across two words.
 */
function decodeWords(s: string): string {
  if (!s.includes('=?')) return s;
  const runs: { start: number; end: number; charset: string; bytes: Buffer[] }[] = [];
  let m: RegExpExecArray | null;
  ENCODED_WORD_RE.lastIndex = 0;
  while ((m = ENCODED_WORD_RE.exec(s))) {
    const charset = m[1].split('*')[0].toLowerCase(); // RFC 2231 language suffix: utf-8*en
    const bytes = m[2].toLowerCase() === 'b' ? Buffer.from(m[3], 'base64') : decodeQWord(m[3]);
    const last = runs[runs.length - 1];
    if (last && last.charset === charset && /^[ \t\r\n]*$/.test(s.slice(last.end, m.index))) {
      last.bytes.push(bytes);
      last.end = m.index + m[0].length;
    } else if (last && /^[ \t\r\n]*$/.test(s.slice(last.end, m.index))) {
      // whitespace between encoded words of different charsets is dropped as well
      runs.push({ start: last.end, end: m.index + m[0].length, charset, bytes: [bytes] });
    } else {
      runs.push({ start: m.index, end: m.index + m[0].length, charset, bytes: [bytes] });
    }
  }
  let out = '';
  let pos = 0;
  for (const r of runs) {
    out += s.slice(pos, r.start) + decodeCharset(Buffer.concat(r.bytes), r.charset);
    pos = r.end;
  }
  return out + s.slice(pos);
}

function decodeQWord(text: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '_') bytes.push(0x20);
    else if (ch === '=' && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 1, i + 3))) { bytes.push(parseInt(text.slice(i + 1, i + 3), 16)); i += 2; }
    else bytes.push(text.charCodeAt(i) & 0xff);
  }
  return Buffer.from(bytes);
}

// ---- MIME -----------------------------------------------------------------------------------------------

interface Content {
  /** decoded text/plain parts meant to be read, in order */
  text: string[];
  /** decoded attachments that may carry a patch */
  diffCarriers: string[];
  /** a text part said format=flowed; it was not reflowed */
  flowed: boolean;
  /** a text part is in a charset only mailparser decodes */
  textNeedsLibrary: boolean;
}

/**
 * Walk the MIME tree, iteratively: text/plain parts become body text, patch-like attachments diff
 * carriers; html and other types are skipped. format=flowed is never applied (it would rejoin diff
 * lines that end in a space), which is what "stripping" the parameter amounts to.
 */
function walkMime(rootHead: Fields, rootBody: Buffer): Content {
  const content: Content = { text: [], diffCarriers: [], flowed: false, textNeedsLibrary: false };
  const stack: { head: Fields; body: Buffer; depth: number }[] = [{ head: rootHead, body: rootBody, depth: 0 }];
  let seen = 0;
  while (stack.length && seen++ < MAX_MIME_PARTS) {
    const { head, body, depth } = stack.pop()!;
    const ctype = parseParams(field(head, 'content-type'));
    const type = ctype.value || 'text/plain';
    if (type.startsWith('multipart/') && depth < MAX_MIME_DEPTH) {
      const parts = ctype.params.boundary ? splitMultipart(body, ctype.params.boundary) : null;
      if (parts) {
        for (let i = parts.length - 1; i >= 0; i--) {
          const p = parts[i];
          const s = splitHead(p, 0);
          stack.push({ head: parseFields(decodeHeaderBytes(p.subarray(0, s.headEnd))), body: p.subarray(s.bodyStart), depth: depth + 1 });
        }
        continue;
      }
      // a multipart whose boundary never shows: what a reader sees is the text itself
      content.text.push(decodeText(body, undefined));
      continue;
    }
    if ((type === 'message/rfc822' || type === 'message/global') && depth < MAX_MIME_DEPTH) {
      const inner = transferDecode(body, field(head, 'content-transfer-encoding'));
      const s = splitHead(inner, 0);
      stack.push({ head: parseFields(decodeHeaderBytes(inner.subarray(0, s.headEnd))), body: inner.subarray(s.bodyStart), depth: depth + 1 });
      continue;
    }
    const disposition = parseParams(field(head, 'content-disposition'));
    const filename = disposition.params.filename ?? ctype.params.name ?? '';
    const isAttachment = disposition.value === 'attachment';
    const namedDiff = DIFF_NAME_RE.test(filename);
    if (type === 'text/plain' && !isAttachment && !namedDiff) {
      if (ctype.params.format?.toLowerCase() === 'flowed') content.flowed = true;
      libraryCharsetMet = false;
      content.text.push(normaliseEol(decodeText(transferDecode(body, field(head, 'content-transfer-encoding')), ctype.params.charset)));
      if (libraryCharsetMet) content.textNeedsLibrary = true;
      continue;
    }
    const carrier =
      DIFF_TYPES.has(type) || namedDiff || type === 'application/octet-stream' || (type === 'text/plain' && isAttachment);
    if (!carrier) continue;
    const decoded = transferDecode(body, field(head, 'content-transfer-encoding'));
    if (type === 'application/octet-stream' && !namedDiff && looksBinary(decoded)) continue;
    content.diffCarriers.push(normaliseEol(decodeText(decoded, ctype.params.charset)));
  }
  return content;
}

/** The parts between `--boundary` lines; null when no boundary line is found. */
function splitMultipart(body: Buffer, boundary: string): Buffer[] | null {
  const delim = Buffer.from(`--${boundary}`, 'latin1');
  const parts: Buffer[] = [];
  let pos = 0;
  let partStart = -1;
  let found = false;
  for (;;) {
    const at = body.indexOf(delim, pos);
    if (at < 0) break;
    pos = at + 1;
    if (at > 0 && body[at - 1] !== 0x0a) continue; // not at a line start
    let k = at + delim.length;
    const close = body[k] === 0x2d && body[k + 1] === 0x2d;
    if (close) k += 2;
    while (k < body.length && (body[k] === 0x20 || body[k] === 0x09 || body[k] === 0x0d)) k++;
    if (k < body.length && body[k] !== 0x0a) continue; // a longer boundary that starts like this one
    found = true;
    if (partStart >= 0) {
      let end = at; // the line break before a delimiter belongs to the delimiter
      if (end > partStart && body[end - 1] === 0x0a) end--;
      if (end > partStart && body[end - 1] === 0x0d) end--;
      parts.push(body.subarray(partStart, end));
    }
    if (close) { partStart = -1; break; }
    partStart = Math.min(k + 1, body.length);
    pos = partStart;
  }
  if (partStart >= 0 && partStart < body.length) parts.push(body.subarray(partStart)); // no closing delimiter
  return found ? parts : null;
}

function transferDecode(body: Buffer, encoding: string | undefined): Buffer {
  const enc = (encoding ?? '').trim().toLowerCase();
  if (enc === 'base64') return Buffer.from(body.toString('latin1'), 'base64');
  if (enc === 'quoted-printable') return decodeQuotedPrintable(body);
  return body; // 7bit, 8bit, binary, and anything unknown: as is
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

function decodeQuotedPrintable(buf: Buffer): Buffer {
  const out = Buffer.allocUnsafe(buf.length);
  let o = 0;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (c !== 0x3d) { out[o++] = c; continue; }
    const hi = i + 1 < buf.length ? hexValue(buf[i + 1]) : -1;
    const lo = i + 2 < buf.length ? hexValue(buf[i + 2]) : -1;
    if (hi >= 0 && lo >= 0) { out[o++] = hi * 16 + lo; i += 2; continue; }
    // soft line break, possibly with trailing blanks a gateway added: "=  \r\n"
    let j = i + 1;
    while (j < buf.length && (buf[j] === 0x20 || buf[j] === 0x09)) j++;
    if (j < buf.length && buf[j] === 0x0a) { i = j; continue; }
    if (j + 1 < buf.length && buf[j] === 0x0d && buf[j + 1] === 0x0a) { i = j + 1; continue; }
    if (j >= buf.length) { i = j; continue; }
    out[o++] = c; // a stray '=': keep it
  }
  return out.subarray(0, o);
}

function looksBinary(buf: Buffer): boolean {
  const end = Math.min(buf.length, 8192);
  for (let i = 0; i < end; i++) if (buf[i] === 0) return true;
  return false;
}

function normaliseEol(s: string): string {
  return s.includes('\r') ? s.replace(/\r\n/g, '\n') : s;
}

// ---- charsets -------------------------------------------------------------------------------------------

// Labels under which mailers send whatever their user typed: the bytes decide (UTF-8 when valid, else
// windows-1252). Seen: an Acked-by with a UTF-8 name under charset=us-ascii.
const SNIFFED_CHARSETS = new Set(['', 'us-ascii', 'ascii', 'us', 'ansi_x3.4-1968', 'iso646-us', 'utf-8', 'utf8', 'unknown-8bit', 'x-unknown', 'unknown', 'default']);

/** Decode a text part's bytes by its label, trusting the bytes over a us-ascii/utf-8/missing label. */
function decodeText(buf: Buffer, charset: string | undefined): string {
  const cs = (charset ?? '').trim().toLowerCase();
  if (SNIFFED_CHARSETS.has(cs)) return isUtf8(buf) ? buf.toString('utf8') : decodeWindows1252(buf);
  return decodeCharset(buf, cs);
}

// Charsets iconv-lite lacks and mailparser (through libmime and encoding-japanese) decodes.
const LIBRARY_CHARSET_RE = /^(?:iso-?2022-?jp(?:-[0-9a-z]+)?|csiso2022jp)$/;

/**
 * Set when a decode met a charset of LIBRARY_CHARSET_RE. Parsing is synchronous, so one module-level
 * flag, cleared before each decode that is watched, cannot be mixed up between messages.
 */
let libraryCharsetMet = false;

function decodeCharset(buf: Buffer, charset: string): string {
  const cs = charset.trim().toLowerCase();
  if (SNIFFED_CHARSETS.has(cs)) return isUtf8(buf) ? buf.toString('utf8') : decodeWindows1252(buf);
  if (cs === 'iso-8859-1' || cs === 'latin1' || cs === 'latin-1' || cs === 'windows-1252' || cs === 'cp1252') {
    return decodeWindows1252(buf); // what "latin-1" mail means in practice (the WHATWG encoding standard agrees)
  }
  if (LIBRARY_CHARSET_RE.test(cs)) libraryCharsetMet = true;
  try {
    if (iconv.encodingExists(cs)) return iconv.decode(buf, cs);
  } catch {
    // fall through: an unknown label reads like a missing one
  }
  return isUtf8(buf) ? buf.toString('utf8') : decodeWindows1252(buf);
}

// windows-1252's 0x80-0x9f; the five bytes it leaves undefined stay latin-1 (C1 controls)
const CP1252_HIGH = [
  0x20ac, 0x81, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8d, 0x017d, 0x8f,
  0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x9d, 0x017e, 0x0178,
];

function decodeWindows1252(buf: Buffer): string {
  const s = buf.toString('latin1');
  return /[\x80-\x9f]/.test(s) ? s.replace(/[\x80-\x9f]/g, (c) => String.fromCharCode(CP1252_HIGH[c.charCodeAt(0) - 0x80])) : s;
}

function startsWithAscii(buf: Buffer, at: number, text: string): boolean {
  if (buf.length - at < text.length) return false;
  for (let i = 0; i < text.length; i++) if (buf[at + i] !== text.charCodeAt(i)) return false;
  return true;
}
