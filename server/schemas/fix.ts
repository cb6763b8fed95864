// Known fixes: a fix and its history (Fix, FixEvent, FixKind, FixStatus), the body of a declaration
// (DeclareFixBody, also config's declaredFixes) with declaredFixOf, and the query of GET /api/fixes.
import { Type, type Static } from '@sinclair/typebox';
import { FIX_KINDS, FIX_STATUSES, type DeclaredFix } from '../../ingest/core/model.ts';
import { IsoDate, MessageRefSchema, Nullable, PageQuery, StringEnum, nullableText, page, ref, text } from './common.ts';
import { EvidenceSchema } from './evidence.ts';

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
