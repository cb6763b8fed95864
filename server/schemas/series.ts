// A series (one posting of a patch set, linked to its other versions) and the query of GET /api/series.
import { Type, type Static } from '@sinclair/typebox';
import { AddressSchema, DateParam, IsoDate, Nullable, PageQuery, StringEnum, page, ref, text } from './common.ts';
import { AcceptedSchema, EvidenceSchema, PatchStateSchema } from './evidence.ts';

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

export const SeriesQuery = Type.Object({
  author: text('an exact e-mail address, or a part of the name or address', 256),
  since: Type.Optional(DateParam('series posted at or after')),
  until: Type.Optional(DateParam('series posted before')),
  complete: Type.Optional(Type.Boolean({ description: 'true: every patch received; false: some missing' })),
  accepted: Type.Optional(Type.Boolean()),
  ...PageQuery,
});
