// Domain types shared by the pure core (ingest/core) and the edges (mail, archive, store, run, server), and the
// enum lists (as const) the API schemas derive theirs from.
// Plain data only: no classes, no I/O handles.
import type { Notice } from './notice.ts';

/**
 * The per-message size limit's default (config `limits.maxMessageBytes`): far above real mail (vger and infradead
 * lists refuse mail past a few hundred KB; lore's largest kexec messages are well under 1 MB), and below what an
 * ingest can parse and store within its 400 MB memory goal (measured: a 24-26 MiB patch mail peaks near 400 MB;
 * storing costs about four times the message, as SQLite builds the row with its raw bytes and diff text).
 */
export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

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
  /**
   * set when the message was larger than the reader's limit: `bytes` then holds only its head, `size` is the whole
   * message's size; it is quarantined, not parsed
   */
  overLimit?: { size: number; limit: number };
  /** a public-inbox deletion (the blob `d` of a purge commit, or a message a rewritten history dropped): the
   * message these bytes are is to be removed, not stored */
  purged?: boolean;
}

/**
 * One mail as ingest/mail reads it: decoded header values, the sender, the text parts and the attachments.
 * What core/message.ts interprets; plain data, no mail-library types.
 */
export interface ParsedMail {
  /** unfolded raw header values by lower-case field name, in order of appearance */
  fields: Map<string, string[]>;
  /** the Subject, RFC 2047-decoded */
  subject: string;
  /** the author as the From (else Sender) field names them; an empty address when there is none */
  from: Address;
  /** Reply-To's addresses and X-Original-From's (where a list that rewrites From leaves the author): core/author.ts */
  replyTo?: Address[];
  originalFrom?: Address | null;
  /** the text parts, joined */
  text: string;
  /** attachments: text null when the content is binary (a part named *.patch or *.diff is always text) */
  attachments: { contentType: string; filename: string; text: string | null }[];
  /** format=flowed was turned off before decoding */
  flowedStripped: boolean;
}

export type ArchiveFormat = 'mboxrd' | 'mboxo' | 'pipermail' | 'eml' | 'maildir' | 'public-inbox';

export interface Address {
  name: string;
  /** as the sender wrote it (letter case kept); compare with core/address.ts's addressKey */
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

/** proposal: a reply that carries a diff (a reviewer's suggestion, an "untested diff"): indexed, in no series */
export const MESSAGE_KINDS = ['patch', 'cover', 'reply', 'pull', 'other', 'proposal'] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];

/** A parsed message: everything the derivations need, nothing of the wire format. */
export interface Message {
  messageId: string;
  /** true when the mail had no Message-ID and one was derived from its bytes */
  synthetic: boolean;
  list: string;
  subject: SubjectInfo;
  from: Address;
  /** the list rewrote the sender (DMARC): `from` is the author it named in Reply-To / X-Original-From, or by name only (core/author.ts) */
  fromRewritten?: boolean;
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
  /** the mail's own text says, as a maintainer's reply, that a patch or series was taken (notice.kind 'reply') */
  saysApplied: boolean;
  /** what the mail says about patches being taken (reply, b4 thank-you, pull request, bots, stable copy), else null */
  notice: Notice | null;
  /** format=flowed was stripped before parsing */
  flowedStripped: boolean;
  /** change-id: trailer or header (b4), when present */
  changeId: string | null;
  /** Supersedes: pointer to an earlier version, when present */
  supersedes: string | null;
  /**
   * a stable backport's upstream commit ("commit <sha> upstream."); '' when the subject says it is a stable
   * backport (AUTOSEL, STABLE, "[PATCH 5.4 012/100]") without naming it; absent for any other patch
   */
  upstreamCommit?: string;
}

/** A message that could not be parsed at all. */
export interface QuarantinedMessage {
  reason: string;
  raw: RawMessage;
}

// ---- detection ------------------------------------------------------------------------------

export type PathClass = string; // 'init' | 'shutdown' | whatever a rule names

export const CALL_OPS = ['added', 'removed'] as const;
export type CallOp = (typeof CALL_OPS)[number];

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
  /** the changed diff lines (with their +/- sign) in the function that carry the call, when known */
  lines?: string[];
}

/** One raw message read and indexed (ingest/run/parse-one.ts), as the store takes it: or why it is quarantined. */
export type Parsed =
  | { ok: true; message: Message; callChanges: CallChange[]; orderChanges: OrderChange[] }
  | { ok: false; reason: string };

/** What the fix and regression rules need to know about one patch (built by the store from derived data). */
export interface PatchFacts {
  messageId: string;
  subject: string;
  /** ISO 8601 UTC or null */
  date: string | null;
  author: Address;
  /** the posting this patch belongs to (a lone patch is a posting of its own) */
  seriesId: string;
  /** shared by every version of the same series (v1, v2, v3 ...): the id of the first version's posting */
  chainId: string;
  version: number;
  /** position in the series (1-based), null for a lone patch */
  index: number | null;
  tags: string[];
  /** set from the strongest evidence that the patch (or its series) was taken, when there is any */
  accepted: { by: Address; date: string | null; messageId: string } | null;
  callChanges: CallChange[];
  orderChanges: OrderChange[];
  /** git renames the patch carries */
  renames: { from: string; to: string }[];
  /** a reply's diff (kind proposal): in no series; its removals are reported as a proposal's */
  proposal?: boolean;
  /** functions the patch deletes whole (every line of them it shows is removed): call-index.ts deletedFunctions */
  deletedFunctions?: { file: string; function: string }[];
}

export const FIX_KINDS = ['presence', 'order'] as const;
export type FixKind = (typeof FIX_KINDS)[number];

/** A fix a user declared (config or API) rather than one an accepted patch established. */
export interface DeclaredFix {
  kind: FixKind;
  file: string;
  function: string | null;
  path: PathClass | null;
  call: string;
  /** order fixes: the calls `call` must come before */
  before: string[];
  /** the message that introduced the fix, when known */
  introducedBy: string | null;
  note?: string;
}

export interface FixEvent {
  /** what happened: introduced | moved | renamed | removed | refixed | declared */
  type: string;
  messageId: string | null;
  date: string | null;
  detail: string;
}

/** What a fix is, however it became known; `file` is its current name (renames followed). */
export type KnownFix = Omit<DeclaredFix, 'note'> & {
  /** stable key derived from what the fix is (kind, file, function, call, introducing message) */
  key: string;
  declared: boolean;
  /** key of the fix this one was moved from by an accepted series, else null */
  movedFrom: string | null;
  /** key of the fix this one moved to, else null */
  movedTo: string | null;
  /** active: in force; moved: superseded by movedTo; removed: an accepted patch took it out */
  status: FixStatus;
  history: FixEvent[];
};

/** active: in force; moved: superseded by another fix; removed: an accepted patch took it out */
export const FIX_STATUSES = ['active', 'moved', 'removed'] as const;
export type FixStatus = (typeof FIX_STATUSES)[number];

/** acknowledged: open, but a user acknowledged it (the API's reading; the rules say open or resolved) */
export const REGRESSION_STATUSES = ['open', 'resolved', 'acknowledged'] as const;
export type RegressionStatus = (typeof REGRESSION_STATUSES)[number];

/** how a regression was resolved: the call came back (refixed), or the removing patch was dropped */
export const RESOLUTIONS = ['refixed', 'dropped'] as const;
export type Resolution = (typeof RESOLUTIONS)[number];

export interface Regression {
  /** stable key: the fix key plus the first removing message */
  key: string;
  fixKey: string;
  /** the message that (re-)established the fix this removal undoes */
  fixMessage: string | null;
  /** every message that removes it, all versions of the series, in date order */
  removedBy: string[];
  /** the removed (or reordered) diff lines */
  evidence: string[];
  firstSeen: string | null;
  status: Exclude<RegressionStatus, 'acknowledged'>;
  resolvedBy: string | null;
  resolution: Resolution | null;
  /** patches that add the removed call back anywhere (re-fix candidates) */
  related: string[];
  /** what was removed, where, in which versions, and how */
  detail?: RegressionDetail;
}

/** One call site a removing chain takes out. */
export interface RemovedSite {
  messageId: string;
  file: string;
  function: string | null;
  call: string;
  /** the removed (or reordered) diff lines */
  lines: string[];
}

export interface RegressionDetail {
  /** every call site of the fix the chain removes, across its versions, in date order */
  sites: RemovedSite[];
  /** each version of the removing chain that removes it, in date order; taken: a patch of it was accepted */
  versions: { version: number; series: string; messages: string[]; taken: boolean }[];
  /** a version of the removing series was taken (accepted) */
  taken: boolean;
  /**
   * how the call went: removed from a function that stays; removed with its whole function (deleted); moved to a
   * function outside the fix's path class; reordered (order fixes)
   */
  how: 'removed' | 'function-deleted' | 'moved-out' | 'reordered';
  /** moved-out: where the series put the call */
  movedTo: { file: string; function: string | null; path: string | null } | null;
  /** every removing message is a proposal (a reply's diff), none a posted patch */
  proposal: boolean;
}

// ---- evidence that a patch was taken (evidence.ts) ---------------------------------------------

/** reply: a maintainer's words; b4-thanks: b4's thank-you; pull-request: named in a pull's shortlog; pull-merged:
 * pr-tracker-bot says the pull was merged; commit-notice: a commit bot (tip-bot2); stable: a stable copy names the
 * upstream commit; declared: a user said so (config or API) */
export type EvidenceKind = 'reply' | 'b4-thanks' | 'pull-request' | 'pull-merged' | 'commit-notice' | 'stable' | 'declared';

/** One piece of evidence that a patch was taken. */
export interface Evidence {
  kind: EvidenceKind;
  /** accepted: in a maintainer's tree; merged: upstream */
  state: 'accepted' | 'merged';
  by: Address | null;
  date: string | null;
  /** the message that is the evidence */
  messageId: string | null;
  tree: string | null;
  branch: string | null;
  commit: string | null;
  url: string | null;
}

/** proposed: nothing says it was taken; accepted: in a maintainer's tree; merged: upstream; superseded: a newer
 * version was posted and this one was not taken */
export type PatchState = 'proposed' | 'accepted' | 'merged' | 'superseded';
