// Regressions: a known fix undone (Regression: the fix, the removing messages, how the call went), its status,
// the body of an acknowledgement, and the queries of GET /api/regressions and its Atom feed.
import { Type, type Static } from '@sinclair/typebox';
import { REGRESSION_STATUSES, RESOLUTIONS } from '../../ingest/core/model.ts';
import { AddressSchema, DateParam, IsoDate, MessageRefSchema, Nullable, PageQuery, StringEnum, page, ref, text } from './common.ts';
import { EvidenceSchema, PatchStateSchema } from './evidence.ts';
import { FixKindSchema } from './fix.ts';

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

export const RegressionQuery = Type.Object({
  status: Type.Optional(ref(RegressionStatusSchema)),
  since: Type.Optional(DateParam('first seen at or after')),
  until: Type.Optional(DateParam('first seen before')),
  file: text('file of the fix; `*` matches any characters'),
  call: text('the call removed', 256),
  ...PageQuery,
});

export const AtomQuery = Type.Object({
  status: Type.Optional(ref(RegressionStatusSchema)),
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
});
