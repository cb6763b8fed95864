// TypeBox schemas of the REST API: one per resource. Each validates (requests), serializes (responses) and
// documents (OpenAPI, /docs). Shared resources carry an $id and are registered with `app.addSchema`, so the
// OpenAPI document names them (components/schemas/Message ...); routes point at them with `ref()`.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { CALL_OPS, FIX_KINDS, FIX_STATUSES, MESSAGE_KINDS, REGRESSION_STATUSES, RESOLUTIONS, type DeclaredFix } from '../ingest/core/model.ts';

/** A `$ref` to a registered schema that keeps the static type of the target. */
export const ref = <T extends TSchema & { $id?: string }>(schema: T) => Type.Unsafe<Static<T>>(Type.Ref(schema.$id!));

/** A string enum (`{type: 'string', enum: [...]}`): clearer validation messages and OpenAPI than a union of literals. */
export const StringEnum = <const T extends readonly string[]>(values: T, options: Record<string, unknown> = {}) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });

const Nullable = <T extends TSchema>(t: T, description?: string) =>
  Type.Union([t, Type.Null()], description ? { description } : {});

const IsoDate = (description: string) => Type.String({ format: 'date-time', description });

/** Bytes (raw messages, mbox files) in the OpenAPI document; the handler sends a Buffer. */
export const Binary = Type.Unsafe<Buffer | string>({ type: 'string', format: 'binary' });

// ---- shared pieces ---------------------------------------------------------------------------

export const AddressSchema = Type.Object(
  { name: Type.String(), email: Type.String() },
  { $id: 'Address', description: 'A person: display name (may be empty) and e-mail address' },
);
export type Address = Static<typeof AddressSchema>;

export const MessageRefSchema = Type.Object(
  {
    messageId: Type.String({ description: 'Message-ID without angle brackets' }),
    subject: Type.String(),
    date: Nullable(IsoDate('ISO 8601 UTC')),
  },
  { $id: 'MessageRef', description: 'A message named by id, with its subject and date' },
);
export type MessageRef = Static<typeof MessageRefSchema>;

export const AcceptedSchema = Type.Object(
  {
    by: ref(AddressSchema),
    date: Nullable(IsoDate('when the acceptance reply was sent')),
    messageId: Type.String({ description: 'the reply that says it was applied' }),
  },
  { $id: 'Accepted', description: 'Who applied a patch or series, according to a reply on the list' },
);
export type Accepted = Static<typeof AcceptedSchema>;

export const EvidenceSchema = Type.Object(
  {
    kind: StringEnum(['reply', 'b4-thanks', 'pull-request', 'pull-merged', 'commit-notice', 'stable', 'declared'], {
      description: "reply: a maintainer's words; b4-thanks: b4's thank-you; pull-request: named in a pull request's shortlog; " +
        "pull-merged: pr-tracker-bot says the pull was merged; commit-notice: a commit bot (tip-bot2); stable: a stable copy " +
        'names the upstream commit; declared: a user declared the fix',
    }),
    state: StringEnum(['accepted', 'merged'], { description: "accepted: in a maintainer's tree; merged: upstream" }),
    by: Nullable(ref(AddressSchema)),
    date: Nullable(IsoDate('when the evidence was sent')),
    messageId: Nullable(Type.String({ description: 'the message that is the evidence' })),
    tree: Nullable(Type.String()),
    branch: Nullable(Type.String()),
    commit: Nullable(Type.String({ description: 'commit id, when the evidence gives one' })),
    url: Nullable(Type.String({ description: 'where the commit is, when known' })),
  },
  { $id: 'Evidence', description: 'One piece of evidence that a patch was taken, strongest first in lists' },
);
export type Evidence = Static<typeof EvidenceSchema>;
export const PatchStateSchema = StringEnum(['proposed', 'accepted', 'merged', 'superseded'], {
  $id: 'PatchState',
  description: "proposed: nothing says it was taken; accepted: in a maintainer's tree; merged: upstream; superseded: a newer version was posted and this one was not taken",
});

export const ErrorSchema = Type.Object(
  {
    statusCode: Type.Integer(),
    error: Type.String({ description: 'HTTP reason phrase' }),
    message: Type.String({ description: 'what was wrong, naming the parameter' }),
  },
  { $id: 'Error' },
);
export type ApiError = Static<typeof ErrorSchema>;

const page = <T extends TSchema>(item: T, id: string) =>
  Type.Object(
    {
      items: Type.Array(item),
      nextCursor: Nullable(Type.String(), 'pass as `cursor` to get the next page; null on the last page'),
    },
    { $id: id },
  );

/** A page of a list, as every list route answers it (the static type of `page()`'s schemas). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

// ---- messages and threads ----------------------------------------------------------------------

export const MessageKindSchema = StringEnum(MESSAGE_KINDS, { $id: 'MessageKind' });
export type MessageKind = Static<typeof MessageKindSchema>;

export const MessageSchema = Type.Object(
  {
    messageId: Type.String({ description: 'Message-ID without angle brackets' }),
    list: Type.String(),
    subject: Type.String({ description: 'the subject as sent (decoded)' }),
    title: Type.String({ description: 'subject without Re: and [PATCH ...] prefixes' }),
    from: ref(AddressSchema),
    date: Nullable(IsoDate('ISO 8601 UTC; null when the Date header could not be parsed')),
    inReplyTo: Nullable(Type.String()),
    references: Type.Array(Type.String(), { description: 'References, oldest first' }),
    parent: Nullable(Type.String({ description: 'parent in the thread tree (may differ from In-Reply-To)' })),
    threadId: Nullable(Type.Integer()),
    isPatch: Type.Boolean(),
    kind: ref(MessageKindSchema),
    seriesId: Nullable(Type.Integer({ description: 'the posting (series) a patch or cover letter belongs to' })),
    answers: Nullable(Type.String({ description: 'for replies: the patch or cover letter it answers' })),
    synthetic: Type.Boolean({ description: 'the mail had no Message-ID; this one was derived from its bytes' }),
    evidence: Type.Optional(Type.Array(ref(EvidenceSchema), {
      description: 'one message only: evidence about it (a patch, a cover, a pull request, or a message an acceptance answered when the patch was posted elsewhere), strongest first',
    })),
    fromRewritten: Type.Optional(Type.Boolean({
      description: "the list rewrote the sender (DMARC): `from` is the author it named in Reply-To or X-Original-From, or the name alone (no address)",
    })),
  },
  { $id: 'Message' },
);
export type Message = Static<typeof MessageSchema>;
export const MessagePageSchema = page(ref(MessageSchema), 'MessagePage');
export type MessagePage = Static<typeof MessagePageSchema>;

export const ThreadMessageSchema = Type.Object(
  {
    messageId: Type.String(),
    parent: Nullable(Type.String()),
    subject: Type.String(),
    from: ref(AddressSchema),
    date: Nullable(IsoDate('ISO 8601 UTC')),
    isPatch: Type.Boolean(),
    kind: ref(MessageKindSchema),
    depth: Type.Integer({ description: 'distance from the thread root (root = 0)' }),
  },
  { $id: 'ThreadMessage' },
);
export type ThreadMessage = Static<typeof ThreadMessageSchema>;

export const ThreadSchema = Type.Object(
  {
    id: Type.Integer(),
    root: Type.String({ description: 'Message-ID of the root (may be a message that is not archived)' }),
    subject: Type.String(),
    size: Type.Integer(),
    lastDate: Nullable(IsoDate('date of the newest message')),
    messages: Type.Array(ref(ThreadMessageSchema), { description: 'in thread order (depth first, by date)' }),
  },
  { $id: 'Thread' },
);
export type Thread = Static<typeof ThreadSchema>;

// ---- patches and series ------------------------------------------------------------------------

export const TrailerSchema = Type.Object(
  {
    name: Type.String({ description: 'canonical case: Signed-off-by, Acked-by, Reviewed-by ...' }),
    value: Type.String(),
    source: Type.String({ description: 'the message that carries it: the patch itself or a reply to it (or to its cover letter)' }),
  },
  { $id: 'Trailer' },
);
export type Trailer = Static<typeof TrailerSchema>;

export const HunkSchema = Type.Object(
  {
    header: Type.String({ description: 'text after the second @@ (the function, as git guessed it)' }),
    oldStart: Type.Integer(),
    oldLines: Type.Integer(),
    newStart: Type.Integer(),
    newLines: Type.Integer(),
  },
  { $id: 'Hunk' },
);
export type Hunk = Static<typeof HunkSchema>;

export const PatchFileSchema = Type.Object(
  {
    path: Type.String(),
    oldPath: Nullable(Type.String()),
    status: Type.String({ description: 'modified | added | deleted | renamed | binary | mode' }),
    additions: Type.Integer(),
    deletions: Type.Integer(),
    hunks: Type.Array(ref(HunkSchema)),
  },
  { $id: 'PatchFile' },
);
export type PatchFile = Static<typeof PatchFileSchema>;

export const PatchSummarySchema = Type.Object(
  {
    messageId: Type.String(),
    subject: Type.String(),
    title: Type.String(),
    from: ref(AddressSchema),
    date: Nullable(IsoDate('ISO 8601 UTC')),
    seriesId: Nullable(Type.Integer()),
    version: Type.Integer(),
    index: Nullable(Type.Integer({ description: 'position in the series, null for a lone patch' })),
    total: Nullable(Type.Integer()),
    tags: Type.Array(Type.String(), { description: 'bracket tags: PATCH, RFC, RESEND ...' }),
    accepted: Nullable(ref(AcceptedSchema)),
    state: ref(PatchStateSchema),
    evidence: Type.Array(ref(EvidenceSchema), { description: 'strongest first' }),
  },
  { $id: 'PatchSummary' },
);
export type PatchSummary = Static<typeof PatchSummarySchema>;
export const PatchPageSchema = page(ref(PatchSummarySchema), 'PatchPage');

export const PatchSchema = Type.Object(
  {
    ...PatchSummarySchema.properties,
    trailers: Type.Array(ref(TrailerSchema), {
      description: "the patch's own trailers, then those of replies to it or to its cover letter, each once, in date order",
    }),
    files: Type.Array(ref(PatchFileSchema)),
    backports: Type.Optional(Type.Array(Type.String(), {
      description: 'stable backports of this patch (AUTOSEL, "commit <sha> upstream."), by Message-ID, in date order',
    })),
  },
  { $id: 'Patch' },
);
export type Patch = Static<typeof PatchSchema>;

export const SeriesSchema = Type.Object(
  {
    id: Type.Integer(),
    title: Type.String(),
    version: Type.Integer(),
    total: Type.Integer(),
    complete: Type.Boolean({ description: 'every patch 1..total was received' }),
    author: ref(AddressSchema),
    date: Nullable(IsoDate('date of the first message of the posting')),
    cover: Nullable(Type.String({ description: 'Message-ID of the cover letter' })),
    patches: Type.Array(Type.String(), { description: 'Message-IDs of the patches, in order' }),
    previousVersion: Nullable(Type.Integer({ description: 'series id of the previous version' })),
    nextVersion: Nullable(Type.Integer({ description: 'series id of the next version' })),
    accepted: Nullable(ref(AcceptedSchema)),
    state: ref(PatchStateSchema),
    evidence: Type.Array(ref(EvidenceSchema), { description: "its cover's and its patches', strongest first" }),
    link: Type.Optional(Nullable(StringEnum(['version', 'resend', 'partial', 'backport'], {
      description: 'how it follows previousVersion: a new version, the same version sent again, a patch of a later version sent '
        + "into the earlier one's thread; backport: a stable backport, in no version chain",
    }))),
    backportOf: Type.Optional(Nullable(Type.Integer({ description: 'for a backport: the series id of the original posting' }))),
  },
  { $id: 'Series' },
);
export type Series = Static<typeof SeriesSchema>;
export const SeriesPageSchema = page(ref(SeriesSchema), 'SeriesPage');

// ---- the call index ----------------------------------------------------------------------------

export const CallChangeSchema = Type.Object(
  {
    messageId: Type.String(),
    seriesId: Nullable(Type.Integer()),
    subject: Type.String(),
    date: Nullable(IsoDate('date of the patch')),
    file: Type.String(),
    function: Nullable(Type.String()),
    path: Nullable(Type.String({ description: 'path class (init, shutdown ...), null when unclassified' })),
    call: Type.String(),
    op: StringEnum(CALL_OPS),
    line: Type.String({ description: 'the diff line carrying the call, without its +/-' }),
    rule: Type.String({ description: 'the watch rule that matched' }),
  },
  { $id: 'CallChange' },
);
export type CallChange = Static<typeof CallChangeSchema>;
export const CallChangePageSchema = page(ref(CallChangeSchema), 'CallChangePage');

export const OrderChangeSchema = Type.Object(
  {
    messageId: Type.String(),
    seriesId: Nullable(Type.Integer()),
    subject: Type.String(),
    date: Nullable(IsoDate('date of the patch')),
    file: Type.String(),
    function: Type.String(),
    path: Nullable(Type.String()),
    call: Type.String(),
    nowBefore: Type.Array(Type.String(), { description: 'calls it now comes before, that it came after' }),
    nowAfter: Type.Array(Type.String(), { description: 'calls it now comes after, that it came before' }),
    rule: Type.String(),
  },
  { $id: 'OrderChange' },
);
export type OrderChange = Static<typeof OrderChangeSchema>;
export const OrderChangePageSchema = page(ref(OrderChangeSchema), 'OrderChangePage');

// ---- fixes and regressions ---------------------------------------------------------------------

export const FixKindSchema = StringEnum(FIX_KINDS, { $id: 'FixKind' });
export const FixStatusSchema = StringEnum(FIX_STATUSES, {
  $id: 'FixStatus',
  description: 'active: in force; moved: superseded by movedTo; removed: an accepted patch took it out',
});

export const FixEventSchema = Type.Object(
  {
    type: Type.String({ description: 'introduced | moved | renamed | removed | refixed | declared' }),
    messageId: Nullable(Type.String()),
    date: Nullable(IsoDate('ISO 8601 UTC')),
    detail: Type.String(),
  },
  { $id: 'FixEvent' },
);
export type FixEvent = Static<typeof FixEventSchema>;

export const FixSchema = Type.Object(
  {
    id: Type.Integer(),
    key: Type.String({ description: 'stable key of the fix' }),
    kind: ref(FixKindSchema),
    file: Type.String({ description: 'current file name (renames followed)' }),
    function: Nullable(Type.String()),
    path: Nullable(Type.String()),
    call: Type.String(),
    before: Type.Array(Type.String(), { description: 'order fixes: the calls `call` must come before' }),
    status: ref(FixStatusSchema),
    introducedBy: Nullable(ref(MessageRefSchema)),
    history: Type.Array(ref(FixEventSchema)),
    declared: Type.Boolean({ description: 'declared by a user (config or API) rather than found in an accepted patch' }),
    evidence: Type.Array(ref(EvidenceSchema), { description: 'what says the fix was taken: its introducing patch\'s evidence (strongest first), and the declaration' }),
    movedFrom: Nullable(Type.Integer({ description: 'id of the fix this one was moved from' })),
    movedTo: Nullable(Type.Integer({ description: 'id of the fix this one moved to' })),
  },
  { $id: 'Fix' },
);
export type Fix = Static<typeof FixSchema>;
export const FixPageSchema = page(ref(FixSchema), 'FixPage');

export const DeclareFixBodySchema = Type.Object(
  {
    kind: ref(FixKindSchema),
    file: Type.String({ minLength: 1, maxLength: 1024 }),
    function: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 256 }))),
    path: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 64 }))),
    call: Type.String({ minLength: 1, maxLength: 256 }),
    before: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { maxItems: 64 })),
    introducedBy: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 998, description: 'Message-ID of the patch that introduced it' }))),
    note: Type.Optional(Type.String({ maxLength: 4096 })),
  },
  { $id: 'DeclareFixBody', additionalProperties: false },
);
export type DeclareFixBody = Static<typeof DeclareFixBodySchema>;

/**
 * A validated declaration (POST /api/fixes, or config's declaredFixes) as the rules take it, or the field that is
 * wrong: an order fix needs the calls it must come before. `introducedBy` is kept as given.
 */
export function declaredFixOf(b: DeclareFixBody): DeclaredFix | { field: string; message: string } {
  const before = b.kind === 'order' ? (b.before ?? []) : [];
  if (b.kind === 'order' && before.length === 0) return { field: 'before', message: 'an order fix needs the calls it must come before' };
  return {
    kind: b.kind, file: b.file, function: b.function ?? null, path: b.path ?? null, call: b.call, before,
    introducedBy: b.introducedBy ?? null, note: b.note,
  };
}

export const RegressionStatusSchema = StringEnum(
  REGRESSION_STATUSES,
  { $id: 'RegressionStatus', description: 'acknowledged: open, but a user acknowledged it; resolved wins over acknowledged' },
);
export type RegressionStatus = Static<typeof RegressionStatusSchema>;

export const RemovalSchema = Type.Object(
  {
    messageId: Type.String(),
    subject: Type.String(),
    date: Nullable(IsoDate('ISO 8601 UTC')),
    author: ref(AddressSchema),
    version: Type.Integer({ description: 'version of the series the removing patch was posted in' }),
    seriesId: Nullable(Type.Integer()),
    state: Type.Optional(ref(PatchStateSchema)),
    evidence: Type.Optional(Type.Array(ref(EvidenceSchema), { description: 'what says the removing patch was taken (a merged removal is the urgent case)' })),
  },
  { $id: 'Removal' },
);
export type Removal = Static<typeof RemovalSchema>;

export const RegressionFixSchema = Type.Object(
  {
    id: Nullable(Type.Integer()),
    key: Type.String(),
    kind: ref(FixKindSchema),
    file: Type.String(),
    function: Nullable(Type.String()),
    path: Nullable(Type.String()),
    call: Type.String(),
    before: Type.Array(Type.String()),
    introducedBy: Nullable(ref(MessageRefSchema)),
  },
  { $id: 'RegressionFix' },
);

export const RegressionSchema = Type.Object(
  {
    id: Type.Integer(),
    key: Type.String(),
    status: ref(RegressionStatusSchema),
    fix: ref(RegressionFixSchema),
    fixMessage: Nullable(ref(MessageRefSchema), 'the message that (re-)established the fix this removal undoes'),
    removedBy: Type.Array(ref(RemovalSchema), { description: 'every message that removes it, all versions, in date order' }),
    evidence: Type.Array(Type.String(), { description: 'the removed (or reordered) diff lines' }),
    firstSeen: Nullable(IsoDate('date of the first removing message')),
    resolvedBy: Nullable(Type.String({ description: 'Message-ID that resolved it' })),
    resolution: Nullable(StringEnum(RESOLUTIONS)),
    related: Type.Array(Type.String(), { description: 'patches that add the removed call back somewhere (re-fix candidates)' }),
    detail: Type.Optional(Type.Object({
      sites: Type.Array(Type.Object({
        messageId: Type.String(), file: Type.String(), function: Nullable(Type.String()), call: Type.String(),
        lines: Type.Array(Type.String(), { description: 'the removed (or reordered) diff lines' }),
      }), { description: 'every call site of the fix the removing chain takes out, all versions' }),
      versions: Type.Array(Type.Object({
        version: Type.Integer(), series: Type.String({ description: "the posting's anchor (cover or first patch Message-ID)" }),
        messages: Type.Array(Type.String()), taken: Type.Boolean({ description: 'a patch of this version was accepted' }),
      }), { description: 'each version of the removing chain that removes it, in date order' }),
      taken: Type.Boolean({ description: 'a version of the removing series was taken (accepted)' }),
      how: StringEnum(['removed', 'function-deleted', 'moved-out', 'reordered'], {
        description: 'removed from a function that stays; removed with its whole function; moved to a function outside the path class; reordered',
      }),
      movedTo: Nullable(Type.Object({ file: Type.String(), function: Nullable(Type.String()), path: Nullable(Type.String()) })),
      proposal: Type.Boolean({ description: "every removing message is a reply's diff (a proposal), none a posted patch" }),
    }, { description: 'what the removing chain took out, in which versions, and how the call went' })),
    acknowledged: Nullable(
      Type.Object({ reason: Type.String(), by: Nullable(Type.String()), at: IsoDate('when it was acknowledged') }),
    ),
  },
  { $id: 'Regression' },
);
export type Regression = Static<typeof RegressionSchema>;
export const RegressionPageSchema = page(ref(RegressionSchema), 'RegressionPage');

export const AcknowledgeBodySchema = Type.Object(
  {
    reason: Type.String({ minLength: 1, maxLength: 4096 }),
    by: Type.Optional(Type.String({ maxLength: 256, description: 'who acknowledges it (free text)' })),
  },
  { $id: 'AcknowledgeBody', additionalProperties: false },
);
export type AcknowledgeBody = Static<typeof AcknowledgeBodySchema>;

// ---- quarantine, events, health ----------------------------------------------------------------

export const QuarantinedSchema = Type.Object(
  {
    id: Type.Integer(),
    reason: Type.String(),
    source: Type.String({ description: 'archive it came from' }),
    offset: Type.Integer({ description: 'byte offset in the (decompressed) archive' }),
    size: Type.Integer(),
    sha256: Type.String(),
    createdAt: IsoDate('when it was quarantined'),
  },
  { $id: 'Quarantined' },
);
export type Quarantined = Static<typeof QuarantinedSchema>;
export const QuarantinePageSchema = page(ref(QuarantinedSchema), 'QuarantinePage');

export const EventSchema = Type.Object(
  {
    id: Type.Integer({ description: 'increasing; poll with cursor (or after=<id>) to get only newer events' }),
    at: IsoDate('when it happened'),
    type: Type.String({
      description: 'message.ingested | message.quarantined | fix.known | regression.opened | regression.resolved | regression.acknowledged',
    }),
    ref: Type.String({ description: 'Message-ID, fix key or regression key' }),
    link: Nullable(Type.String({ description: 'API path of the thing it is about, when it still exists' })),
    data: Type.Record(Type.String(), Type.Unknown()),
  },
  { $id: 'Event' },
);
export type Event = Static<typeof EventSchema>;
export const EventPageSchema = page(ref(EventSchema), 'EventPage');

export const HealthSchema = Type.Object(
  {
    status: Type.Literal('ok'),
    messages: Type.Integer(),
    patches: Type.Integer(),
    series: Type.Integer(),
    threads: Type.Integer(),
    quarantined: Type.Integer(),
    fixes: Type.Integer({ description: 'known fixes in force (status active)' }),
    regressions: Type.Object({ open: Type.Integer(), acknowledged: Type.Integer(), resolved: Type.Integer() }),
    newestMessage: Nullable(IsoDate('date of the newest archived message')),
    lastIngest: Nullable(IsoDate('when a message was last stored')),
    lastEventId: Type.Integer(),
    digest: Type.Object({ failures: Type.Integer({ description: 'digest deliveries failing (being retried)' }) }),
    sync: Type.Array(
      Type.Object({
        inbox: Type.String(),
        url: Type.String(),
        lastAttemptAt: IsoDate('when the inbox was last synced (or tried)'),
        lastSuccessAt: Nullable(IsoDate('when a sync of it last succeeded')),
        lastError: Nullable(Type.String({ description: "the last attempt's error (null when it succeeded)" })),
        failures: Type.Integer({ description: 'attempts failed in a row' }),
        newMessages: Type.Integer({ description: 'messages the last successful sync stored' }),
      }),
      { description: 'the last sync of each public-inbox inbox (relapse sync, serve --sync)' },
    ),
  },
  { $id: 'Health' },
);
export type Health = Static<typeof HealthSchema>;

/** Every schema with an $id, in dependency order, for `app.addSchema`. */
export const sharedSchemas: TSchema[] = [
  AddressSchema, MessageRefSchema, AcceptedSchema, EvidenceSchema, PatchStateSchema, ErrorSchema, MessageKindSchema, MessageSchema, MessagePageSchema,
  ThreadMessageSchema, ThreadSchema, TrailerSchema, HunkSchema, PatchFileSchema, PatchSummarySchema, PatchPageSchema,
  PatchSchema, SeriesSchema, SeriesPageSchema, CallChangeSchema, CallChangePageSchema, OrderChangeSchema,
  OrderChangePageSchema, FixKindSchema, FixStatusSchema, FixEventSchema, FixSchema, FixPageSchema, DeclareFixBodySchema,
  RegressionStatusSchema, RemovalSchema, RegressionFixSchema, RegressionSchema, RegressionPageSchema,
  AcknowledgeBodySchema, QuarantinedSchema, QuarantinePageSchema, EventSchema, EventPageSchema, HealthSchema,
];

// ---- request parameters ------------------------------------------------------------------------

/** `since` / `until`: a date (2010-03-01) or a date-time (2010-03-01T12:00:00Z); `until` of a bare date includes that day. */
export const DateParam = (what: string) =>
  Type.String({ format: 'date-or-time', maxLength: 40, description: `${what}: YYYY-MM-DD or an ISO 8601 date-time (UTC if no offset)` });

export const PageQuery = {
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 50, description: 'page size, 1..500' }),
  cursor: Type.Optional(Type.String({ maxLength: 1024, description: 'opaque: the nextCursor of the previous page' })),
};

const text = (description: string, maxLength = 1024) => Type.Optional(Type.String({ minLength: 1, maxLength, description }));

export const MessageIdParams = Type.Object({
  messageId: Type.String({ minLength: 1, maxLength: 998, description: 'Message-ID without angle brackets, URL-encoded' }),
});
export const IntIdParams = (what: string) => Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2 ** 53 - 1, description: `${what} id` }) });

export const MessageQuery = Type.Object({
  list: text('list name'),
  from: text('sender: an exact e-mail address, or a part of the name or address', 256),
  since: Type.Optional(DateParam('messages dated at or after')),
  until: Type.Optional(DateParam('messages dated before')),
  q: text('words in the subject (case-insensitive substring)', 256),
  kind: Type.Optional(ref(MessageKindSchema)),
  ...PageQuery,
});

export const PatchQuery = Type.Object({
  file: text('a file the patch touches; `*` matches any characters (arch/x86/*)'),
  since: Type.Optional(DateParam('patches dated at or after')),
  until: Type.Optional(DateParam('patches dated before')),
  author: text('an exact e-mail address, or a part of the name or address', 256),
  state: Type.Optional(StringEnum(['proposed', 'accepted', 'merged', 'superseded', 'pending'], {
    description: 'the patch state (see PatchState); pending: neither accepted nor merged' })),
  seriesId: Type.Optional(Type.Integer({ minimum: 1 })),
  ...PageQuery,
});

export const SeriesQuery = Type.Object({
  author: text('an exact e-mail address, or a part of the name or address', 256),
  since: Type.Optional(DateParam('series posted at or after')),
  until: Type.Optional(DateParam('series posted before')),
  complete: Type.Optional(Type.Boolean({ description: 'true: every patch received; false: some missing' })),
  accepted: Type.Optional(Type.Boolean()),
  ...PageQuery,
});

const nullableText = (description: string) => text(`${description}; the literal \`null\` asks for the ones without one`, 256);

export const CallChangeQuery = Type.Object({
  file: text('file; `*` matches any characters'),
  function: nullableText('function'),
  path: nullableText('path class (init, shutdown ...)'),
  call: text('the watched call', 256),
  op: Type.Optional(StringEnum(CALL_OPS)),
  since: Type.Optional(DateParam('patches dated at or after')),
  until: Type.Optional(DateParam('patches dated before')),
  messageId: text('only this patch', 998),
  ...PageQuery,
});

export const OrderChangeQuery = Type.Object({
  file: text('file; `*` matches any characters'),
  function: text('function', 256),
  path: nullableText('path class'),
  call: text('the watched call', 256),
  since: Type.Optional(DateParam('patches dated at or after')),
  until: Type.Optional(DateParam('patches dated before')),
  ...PageQuery,
});

export const FixQuery = Type.Object({
  file: text('file; `*` matches any characters'),
  function: nullableText('function'),
  path: nullableText('path class'),
  call: text('the watched call', 256),
  status: Type.Optional(ref(FixStatusSchema)),
  kind: Type.Optional(ref(FixKindSchema)),
  declared: Type.Optional(Type.Boolean()),
  ...PageQuery,
});

export const RegressionQuery = Type.Object({
  status: Type.Optional(ref(RegressionStatusSchema)),
  since: Type.Optional(DateParam('first seen at or after')),
  until: Type.Optional(DateParam('first seen before')),
  file: text('file of the fix; `*` matches any characters'),
  call: text('the call removed', 256),
  ...PageQuery,
});

export const EventQuery = Type.Object({
  since: Type.Optional(DateParam('events at or after')),
  after: Type.Optional(Type.Integer({ minimum: 0, description: 'only events with a greater id (what a poller saw last)' })),
  type: text('event type, or a prefix ending in a dot (regression.)', 64),
  ...PageQuery,
});

export const QuarantineQuery = Type.Object({ ...PageQuery });

export const AtomQuery = Type.Object({
  status: Type.Optional(ref(RegressionStatusSchema)),
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
});
