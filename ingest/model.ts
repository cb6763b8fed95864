// Domain types shared by the pure core (ingest/*) and the edges (store, server).
// Plain data only: no classes, no I/O handles.

/** One message as cut out of an archive, before MIME parsing. */
export interface RawMessage {
  bytes: Buffer;
  /** archive path (or "-" for stdin) */
  source: string;
  /** byte offset of the message (its From_ line, if any) in the decompressed archive */
  offset: number;
  /** date on the mbox From_ separator, when it had one that parses */
  separatorDate: Date | null;
  format: ArchiveFormat;
}

export type ArchiveFormat = 'mboxrd' | 'mboxo' | 'pipermail' | 'eml' | 'maildir';

export interface Address {
  name: string;
  email: string;
}

/** What a subject line says once `Re:` and `[...]` prefixes are taken apart. */
export interface SubjectInfo {
  /** the subject as sent (decoded) */
  raw: string;
  /** title without reply markers or bracket prefixes */
  title: string;
  /** upper-cased bracket tags other than version/index: PATCH, RFC, RESEND, GIT PULL, NET-NEXT ... */
  tags: string[];
  /** 1 when no version was given */
  version: number;
  index: number | null;
  total: number | null;
  isReply: boolean;
}

export type DiffLineOp = 'context' | 'add' | 'del';

export interface DiffLine {
  op: DiffLineOp;
  /** the line without its leading ' ', '+' or '-' */
  text: string;
}

export interface DiffHunk {
  /** text after the second @@: the function the hunk starts in, as git guessed it */
  header: string;
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  lines: DiffLine[];
}

export type FileStatus = 'modified' | 'added' | 'deleted' | 'renamed' | 'binary' | 'mode';

export interface DiffFile {
  /** path after the change (new path) */
  path: string;
  /** path before the change when it differs (renames), else null */
  oldPath: string | null;
  status: FileStatus;
  additions: number;
  deletions: number;
  hunks: DiffHunk[];
}

export interface Trailer {
  /** canonical case: Signed-off-by, Acked-by, Reviewed-by, Tested-by, Reported-by, Fixes, Link, Closes, Cc */
  name: string;
  value: string;
}

export type MessageKind = 'patch' | 'cover' | 'reply' | 'pull' | 'other';

/** A parsed message: everything the derivations need, nothing of the wire format. */
export interface Message {
  messageId: string;
  /** true when the mail had no Message-ID and one was derived from its bytes */
  synthetic: boolean;
  list: string;
  subject: SubjectInfo;
  from: Address;
  /** ISO 8601 UTC, null when neither the Date header nor the separator gave one */
  date: string | null;
  inReplyTo: string | null;
  /** References, oldest first, without angle brackets */
  references: string[];
  kind: MessageKind;
  isPatch: boolean;
  /** the author's own text (quoted lines removed) before any diff */
  ownText: string;
  /** the unified diff text as carried by the mail (body or attachment), '' when none */
  diffText: string;
  diff: DiffFile[];
  trailers: Trailer[];
  /** the mail's own text says a patch or series was applied */
  saysApplied: boolean;
  /** format=flowed was stripped before parsing */
  flowedStripped: boolean;
  /** change-id: trailer or header (b4), when present */
  changeId: string | null;
  /** Supersedes: pointer to an earlier version, when present */
  supersedes: string | null;
}

/** A message that could not be parsed at all. */
export interface QuarantinedMessage {
  reason: string;
  raw: RawMessage;
}

// ---- detection ------------------------------------------------------------------------------

export type PathClass = string; // 'init' | 'shutdown' | whatever a rule names

export type CallOp = 'added' | 'removed';

/** A watched call added to or removed from a function by one patch. */
export interface CallChange {
  messageId: string;
  file: string;
  function: string | null;
  path: PathClass | null;
  call: string;
  op: CallOp;
  /** the diff line that carries the call, without its +/- */
  line: string;
  rule: string;
}

/** A watched call whose position relative to other calls in one function flipped in one patch. */
export interface OrderChange {
  messageId: string;
  file: string;
  function: string;
  path: PathClass | null;
  call: string;
  /** calls it now comes before, that it came after */
  nowBefore: string[];
  /** calls it now comes after, that it came before */
  nowAfter: string[];
  rule: string;
}
