// The week's digest as plain data: what digest-week.ts gathers from the database and digest/compose.ts renders.
// Also the shape GET /api/digest/:week returns.

export interface Person {
  name: string;
  email: string;
}

/** A message the digest mentions, with its lore link. */
export interface MessageRef {
  /** without angle brackets */
  messageId: string;
  subject: string;
  author: Person;
  /** ISO 8601 UTC, null when unknown */
  date: string | null;
  version: number;
  /** https://lore.kernel.org/<list>/<messageId>/ */
  link: string;
}

export interface FixRef {
  key: string;
  kind: 'presence' | 'order';
  call: string;
  function: string | null;
  /** init | shutdown | ... (the watch rule's path class) */
  path: string | null;
  file: string;
  /** order fixes: the calls `call` must come before */
  before: string[];
  status: string;
  declared: boolean;
  /** the message that introduced the fix (its subject and date), null for a declared fix without one */
  introducedBy: MessageRef | null;
}

/** Evidence that a patch was taken, as the digest cites it. */
export interface EvidenceRef {
  /** reply | b4-thanks | pull-request | pull-merged | commit-notice | stable | declared */
  kind: string;
  /** accepted: in a maintainer's tree; merged: upstream */
  state: 'accepted' | 'merged';
  by: Person | null;
  date: string | null;
  tree: string | null;
  branch: string | null;
  commit: string | null;
  /** the commit's URL when known, else the evidence message's lore link, else null */
  link: string | null;
}

export interface Acknowledgement {
  reason: string;
  by: string | null;
  at: string;
}

interface RegressionBase {
  key: string;
  fix: FixRef;
  /** the message that (re-)established the fix this removal undoes (may differ from fix.introducedBy) */
  fixMessage: MessageRef | null;
  /** every removing message, all versions, in date order */
  removedBy: MessageRef[];
  firstSeen: string | null;
  /** files the item touches (fix file and the removing patches' files), for routing by file pattern */
  files: string[];
}

export interface NewRegression extends RegressionBase {
  /** status at the end of the week */
  status: 'open' | 'resolved' | 'acknowledged';
  /** the removed (or reordered) lines */
  evidence: string[];
  resolvedBy: MessageRef | null;
  resolution: string | null;
  acknowledged: Acknowledgement | null;
  /** when the removing series was itself taken (its strongest evidence), null when nothing says so */
  removalTaken?: EvidenceRef | null;
}

export interface OpenRegression extends RegressionBase {
  /** whole days from firstSeen to the end of the week */
  ageDays: number;
}

export interface ResolvedRegression extends RegressionBase {
  resolvedBy: MessageRef;
  resolution: string | null;
}

export interface AcknowledgedRegression extends RegressionBase {
  acknowledged: Acknowledgement;
}

export interface KnownFixItem {
  fix: FixRef;
  /** when the fix became known: its introducing message's date (or the declaration's) */
  date: string | null;
  files: string[];
  /** what says the fix was taken, strongest first */
  evidence?: EvidenceRef[];
}

export interface SeriesCall {
  messageId: string;
  file: string;
  function: string | null;
  path: string | null;
  call: string;
  /** added | removed | reordered */
  op: string;
  /** reordered calls: what it now comes before or after */
  detail?: string;
}

export interface SeriesItem {
  id: number;
  title: string;
  version: number;
  total: number;
  author: Person;
  date: string | null;
  /** the cover letter, else the first patch */
  head: MessageRef;
  patches: MessageRef[];
  /** watched calls the series adds or removes */
  calls: SeriesCall[];
  files: string[];
}

export interface WeekDigest {
  /** e.g. 2010-W13 */
  week: string;
  /** Monday 00:00 UTC */
  start: string;
  /** next Monday 00:00 UTC, exclusive */
  end: string;
  /** the configured list name (digest.list) */
  list: string;
  /** the lists the digest's messages were posted to (from their List-Id), sorted; the subject names these */
  lists?: string[];
  /** set when the digest was narrowed to one recipient's file patterns */
  recipient?: { email: string; files: string[] } | null;
  newRegressions: NewRegression[];
  stillOpen: OpenRegression[];
  resolved: ResolvedRegression[];
  acknowledged: AcknowledgedRegression[];
  fixesKnown: KnownFixItem[];
  series: SeriesItem[];
}
