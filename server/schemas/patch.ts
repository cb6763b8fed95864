// A patch: its summary in lists (PatchSummary, PatchPage), the whole of it (Patch: trailers, files, hunks) and
// the query of GET /api/patches.
import { Type, type Static } from '@sinclair/typebox';
import { AddressSchema, DateParam, IsoDate, Nullable, PageQuery, StringEnum, page, ref, text } from './common.ts';
import { AcceptedSchema, EvidenceSchema, PatchStateSchema } from './evidence.ts';

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
