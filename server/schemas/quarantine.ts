// A quarantined message (kept with its reason and bytes) and the query of GET /api/quarantine.
import { Type, type Static } from '@sinclair/typebox';
import { IsoDate, PageQuery, page, ref } from './common.ts';

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

export const QuarantineQuery = Type.Object({ ...PageQuery });
