// Interpreting one read mail (ParsedMail, from ingest/mail) as a Message: ids, date, own text, the diff (in
// the body, else in attachments that carry one), kind, trailers, the acceptance words, change-id. Pure: no I/O,
// no mail library (reading MIME is ingest/mail's).
//
// What is done here for a patch list:
// - pipermail's `user at host` ids are read back as `user@host`; Message-ID normalised, a synthetic id (a hash of
//   the bytes) for mail without one; an In-Reply-To that names no id falls back to the last References entry;
// - the list from List-Id unless the caller names it;
// - the author: From, unless the list rewrote it (DMARC): then the person core/author.ts finds, marked fromRewritten;
// - own text: unquoted lines, without attribution lines, up to the diff, a signature, an "Original Message" or a
//   mailing list's footer (Mailman's "____\nfoo mailing list\nfoo@...\nhttps://.../listinfo/foo");
// - a stable backport's upstream commit ("commit <sha> upstream.", "[ Upstream commit <sha> ]");
// - kind: cover (0/N, or a first message with a diffstat and no diff), pull (GIT PULL tag or git request-pull's wording outside quotes), patch (a diff that
//   changes something), proposal (a diff that changes something, in a reply: "Re: [PATCH 3/5]" with a reviewer's
//   diff; it is a patch for the call index, but belongs to no series), reply, other.
import { createHash } from 'node:crypto';
import type { DiffFile, Message, MessageKind, ParsedMail, RawMessage } from './model.ts';
import { extractDiff, parseDiff } from './diff.ts';
import { parseSubject } from './subject.ts';
import { changeIdOf, parseTrailers, supersedesOf } from './trailers.ts';
import { readNotice } from './notice.ts';
import { isoDate, parseMailDate } from './mail-date.ts';
import { authorOf } from './author.ts';

export interface InterpretOptions {
  /** list name to record; default: from List-Id, else 'kexec' */
  list?: string;
  /** which files' diff lines are wanted (parseDiff's linesOf): all when not given */
  diffLinesOf?: (names: string[]) => boolean;
}

export type ParseResult = { message: Message } | { quarantine: string };

type Fields = ParsedMail['fields'];

const DEFAULT_LIST = 'kexec';
/** header fields at least one of which a mail must have to count as one */
const MAIL_FIELDS = ['from', 'subject', 'date', 'message-id', 'to', 'in-reply-to', 'references', 'sender'];
// Content types and file names whose content is a patch when attached
const DIFF_TYPES = new Set(['text/x-patch', 'text/x-diff', 'text/patch', 'text/diff', 'application/x-patch', 'application/x-diff']);
/** a file name that says the attachment is a patch */
export const DIFF_NAME_RE = /\.(?:patch|diff)$/i;
// git request-pull's wording, "git" or "Git" depending on its version
const PULL_RE = /are available in the git repository at/gi;
// git's diffstat summary line
const DIFFSTAT_RE = /^ ?\d+ files? changed(?:, \d+ insertions?\(\+\))?(?:, \d+ deletions?\(-\))?\s*$/m;
// a stable backport's first line: "commit <sha> upstream." (stable review), "[ Upstream commit <sha> ]" (AUTOSEL)
const UPSTREAM_RE = /^(?:commit ([0-9a-f]{12,40}) upstream\.?|\[ *Upstream commit ([0-9a-f]{12,40}) *\])[ \t]*$/im;
// a stable branch named in a subject's brackets: "5.4", "4.19", "6.1.y" (kernel 3.x onwards; not kexec-tools' 2.0.x)
const STABLE_BRANCH_RE = /^(?:[3-9]|[1-9]\d)\.\d{1,2}(?:\.y)?$/i;
// cheap tests before the line-by-line readers run over a whole body: one look for either field, then which
const BODY_FIELD_RE = /^(?:change-id|supersedes)[ \t]*:/im;
const CHANGE_ID_RE = /^change-id[ \t]*:/im;
const SUPERSEDES_RE = /^supersedes[ \t]*:/im;

function field(head: Fields, name: string): string | undefined {
  return head.get(name)?.[0];
}

function hasMailField(head: Fields): boolean {
  for (const f of MAIL_FIELDS) if (head.has(f)) return true;
  return false;
}

/**
 * Interpret one read mail: ids, date, own text, diff, kind, trailers, acceptance, change-id. A mail with none
 * of the mail header fields comes back as `{ quarantine: reason }`.
 *
 * @example interpretMail(raw, mail, { list: 'kexec' })  // { message } | { quarantine }
 */
export function interpretMail(raw: RawMessage, mail: ParsedMail, opts: InterpretOptions = {}): ParseResult {
  const head = mail.fields;
  if (!hasMailField(head)) return { quarantine: 'no header block: no mail header fields' };
  const body = mail.text;

  // ids
  let messageId = firstId(field(head, 'message-id'));
  let synthetic = false;
  if (!messageId) {
    messageId = `synthetic-${createHash('sha256').update(raw.bytes).digest('hex').slice(0, 24)}@relapse.invalid`;
    synthetic = true;
  }
  const references: string[] = [];
  for (const id of allIds((head.get('references') ?? []).join(' '))) {
    if (id !== messageId && !references.includes(id)) references.push(id);
  }
  let inReplyTo = replyIdOf(field(head, 'in-reply-to'), references);
  if (inReplyTo === messageId) inReplyTo = null;
  if (inReplyTo && !references.includes(inReplyTo)) references.push(inReplyTo);

  const subject = parseSubject(mail.subject.trim());
  const sender = authorOf({
    from: mail.from, replyTo: mail.replyTo ?? [], originalFrom: mail.originalFrom ?? null,
    listPost: field(head, 'list-post'), listId: field(head, 'list-id'),
  });
  const from = sender.author;
  const headerDate = field(head, 'date');
  const parsedDate = headerDate ? parseMailDate(headerDate) : null;
  const sep = raw.separatorDate instanceof Date && !Number.isNaN(raw.separatorDate.getTime()) ? raw.separatorDate : null;
  const when = parsedDate ?? sep;
  const date = when ? isoDate(when) : null;

  // the body: own text, diff, trailers
  const bodyDiff = extractDiff(body);
  let diffText = bodyDiff;
  const attachmentNotes: string[] = [];
  if (!diffText) {
    const found: string[] = [];
    for (const att of diffCarriers(mail)) {
      const d = extractDiff(att);
      if (!d) continue;
      found.push(d);
      attachmentNotes.push(textBeforeDiff(att, d));
    }
    diffText = found.join('');
  }
  const diff = parseDiff(diffText, { linesOf: opts.diffLinesOf });
  const hasDiff = diff.some(carriesChange);

  const own = ownTextOf(linesUpTo(body, bodyDiff ? bodyDiff.slice(0, bodyDiff.indexOf('\n')) : null), bodyDiff);

  // a cover letter: "0/N", or (without one) a first message with a diffstat and no diff of its own, which the
  // series grouping takes for a cover only when its author's patches answer it
  const isCover = !subject.isReply && ((subject.index === 0 && subject.total !== null) ||
    (subject.index === null && !inReplyTo && !references.length && !hasDiff && DIFFSTAT_RE.test(own)));
  const isPull =
    !subject.isReply &&
    (subject.tags.includes('GIT PULL') || subject.tags.includes('PULL') || saysUnquoted(body, PULL_RE));
  let kind: MessageKind;
  // a 0/N cover stays a cover though it carries request-pull's wording; a cover by its diffstat alone is no pull
  if (isCover && subject.index === 0) kind = 'cover';
  else if (isPull) kind = 'pull';
  else if (isCover) kind = 'cover';
  else if (hasDiff) kind = subject.isReply ? 'proposal' : 'patch';
  else if (subject.isReply || inReplyTo) kind = 'reply';
  else kind = 'other';
  const isPatch = kind === 'patch' || kind === 'proposal';

  // For a patch the trailers are in the commit message, above the "---" that starts git's notes; when the
  // patch came as an attachment its commit message is there too.
  const trailerSource = isPatch
    ? [commitMessageOf(own), ...attachmentNotes.map(commitMessageOf)].join('\n')
    : own;

  // what the mail says of patches being taken (the acceptance sentence is read once, here)
  const notice = readNotice({ kind, isPatch, title: subject.title, subject: subject.raw, from, ownText: own });
  const bodyFields = BODY_FIELD_RE.test(body);
  const message: Message = {
    messageId,
    synthetic,
    list: opts.list || listOf(field(head, 'list-id')) || DEFAULT_LIST,
    subject,
    from,
    ...(sender.rewritten ? { fromRewritten: true } : {}),
    date,
    inReplyTo,
    references,
    kind,
    isPatch,
    ownText: own,
    diffText,
    diff,
    trailers: parseTrailers(trailerSource),
    saysApplied: notice?.kind === 'reply',
    notice,
    flowedStripped: mail.flowedStripped,
    changeId: headerToken(field(head, 'x-change-id')) ?? (bodyFields && CHANGE_ID_RE.test(body) ? changeIdOf(body) : null),
    supersedes: firstId(field(head, 'supersedes')) ?? (bodyFields && SUPERSEDES_RE.test(body) ? supersedesOf(body) : null),
    ...upstreamOf(isPatch, own, subject.tags),
  };
  return { message };
}

/**
 * A stable backport's upstream commit, for a patch that names one; '' for one whose subject says it is a stable
 * backport (AUTOSEL, STABLE, a stable branch such as "5.4" or "4.19.y") without naming the commit.
 */
function upstreamOf(isPatch: boolean, own: string, tags: string[]): { upstreamCommit?: string } {
  if (!isPatch) return {};
  const m = own.includes('pstream') ? UPSTREAM_RE.exec(own) : null;
  if (m) return { upstreamCommit: (m[1] ?? m[2]).toLowerCase() };
  return tags.some((t) => t === 'AUTOSEL' || t === 'STABLE' || STABLE_BRANCH_RE.test(t)) ? { upstreamCommit: '' } : {};
}

/** Attachments that may carry a patch, as text: patch types and names, and octet-streams that are not binary. */
function diffCarriers(mail: ParsedMail): string[] {
  const out: string[] = [];
  for (const att of mail.attachments) {
    const namedDiff = DIFF_NAME_RE.test(att.filename);
    const type = att.contentType;
    if (!(DIFF_TYPES.has(type) || namedDiff || type === 'application/octet-stream' || type === 'text/plain')) continue;
    if (att.text === null) continue; // binary (a part named *.patch or *.diff is always read as text)
    out.push(normaliseEol(att.text));
  }
  return out;
}

function normaliseEol(s: string): string {
  return s.includes('\r') ? s.replace(/\r\n/g, '\n') : s;
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
 * Outlook "Original Message" separator (everything below which is quoted without `>`), or a list's footer.
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
    // "----- Original Message -----" above the whole original ends the own text; above quoted lines
    // (answers written between them) it is only a marker
    if (line.startsWith('--') && ORIGINAL_MESSAGE_RE.test(line)) {
      if (nextContentIsQuoted(lines, i + 1)) continue;
      break;
    }
    if (line.startsWith('____') && isListFooter(lines, i)) break;
    // every attribution form ends in a colon
    if (endsInColon(line) && ATTRIBUTION_RE.test(line) && (line.startsWith('On ') || nextContentIsQuoted(lines, i + 1))) {
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

/** Whether the line's last character before trailing white space (as `\s` and trimEnd count it) is a colon. */
function endsInColon(line: string): boolean {
  const t = line.trimEnd();
  return t.charCodeAt(t.length - 1) === 0x3a;
}

// Mailman's footer: a rule of underscores, then "<list> mailing list", the list's address, its listinfo page
const FOOTER_RULE_RE = /^_{10,}[ \t\r]*$/;
const FOOTER_LINE_RE = /\bmailing list\b|\/listinfo\/|\/mailman\//i;

/** Does a mailing list's footer start at line `i` (a rule, and a list line within the next three)? */
function isListFooter(lines: string[], i: number): boolean {
  if (!FOOTER_RULE_RE.test(lines[i])) return false;
  for (let j = i + 1; j < lines.length && j <= i + 3; j++) if (FOOTER_LINE_RE.test(lines[j])) return true;
  return false;
}

function nextContentIsQuoted(lines: string[], from: number): boolean {
  for (let i = from; i < lines.length && i < from + 3; i++) {
    if (lines[i].trim() === '') continue;
    return isQuoted(lines[i]);
  }
  return false;
}

/**
 * The body's lines up to the first that is `line` (all when none is): what ownTextOf reads, without a line
 * string for each line of a big diff below it.
 */
function linesUpTo(body: string, line: string | null): string[] {
  if (line === null) return body.split('\n');
  for (let at = body.indexOf(line); at >= 0; at = body.indexOf(line, at + 1)) {
    const end = at + line.length;
    if ((at === 0 || body[at - 1] === '\n') && (end === body.length || body[end] === '\n')) return body.slice(0, end).split('\n');
  }
  return body.split('\n');
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

// ---- ids, addresses, list ----------------------------------------------------------------------------

const WHITE_RE = /\s/;

/** `<horne at verge.example>` → `horne@verge.example`: pipermail obfuscates ids as it does addresses. */
function cleanId(id: string): string {
  if (!WHITE_RE.test(id)) return id; // both steps below need white space
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

/** The first id of a field; a bare word when nothing is bracketed and nothing has an @. */
function firstId(v: string | undefined): string | null {
  if (!v) return null;
  const ids = allIds(v);
  if (!ids.length) {
    const bare = cleanId((v.trim().split(/\s+/)[0] ?? '').replace(/[<>]/g, ''));
    return bare || null;
  }
  return ids[0];
}

/**
 * The parent an In-Reply-To field names: its first id with an `@` (old mailers write
 * `Your message of "Mon, 1 Jun 2009" <id@host>`). A field that holds no such id (garbage, `mumble`, a date) falls
 * back to the last References entry, as notmuch and JWZ do; without References, to a bracketed id, else none.
 */
function replyIdOf(v: string | undefined, references: string[]): string | null {
  if (!v) return null;
  const ids = allIds(v);
  const id = ids.find((x) => x.includes('@'));
  if (id) return id;
  if (references.length) return references[references.length - 1];
  return /<[^<>]*[^<>\s][^<>]*>/.test(v) ? (ids[0] ?? null) : null;
}

function headerToken(v: string | undefined): string | null {
  const t = v?.trim().split(/\s+/)[0];
  return t || null;
}

/** `<kexec.lists.infradead.org>` → `kexec`. */
function listOf(listId: string | undefined): string | null {
  if (!listId) return null;
  const bracketed = /<([^<>]+)>/.exec(listId);
  const id = (bracketed ? bracketed[1] : listId).trim().toLowerCase();
  const name = id.split('.')[0].trim();
  return name || null;
}
