// The shape of a watch rule (config/watch-rules.json), as a TypeBox schema and the types derived from it.
// watch-rules.ts validates and compiles rules; it imports these types only.
import { Type, type Static } from '@sinclair/typebox';

/** Identifiers a rule selects: any substring in `contains`, or a match of `regex` (either suffices). */
export const MatchSpecSchema = Type.Object(
  {
    contains: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
    regex: Type.Optional(Type.String({ minLength: 1 })),
    /** regex flags, any of i, m, s, u */
    flags: Type.Optional(Type.String({ pattern: '^[imsu]*$' })),
  },
  { additionalProperties: false },
);

/** How a function is recognised as belonging to a path class. */
export const PathRuleSchema = Type.Object(
  {
    /** globs over function names (`amd_iommu_init*`, `*_resume`) */
    functions: Type.Array(Type.String({ minLength: 1 })),
    /** tokens on the definition line that put a function in this class (`__init`) */
    annotations: Type.Array(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' })),
  },
  { additionalProperties: false },
);

export const WatchRuleSchema = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    description: Type.Optional(Type.String()),
    /** globs over repository paths (`drivers/iommu/amd/*.c`) */
    files: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
    /** path classes in priority order: name globs of every class are tried first, then annotations */
    paths: Type.Record(Type.String(), PathRuleSchema),
    /** which `identifier(` occurrences are indexed as calls */
    calls: MatchSpecSchema,
    /** which calls take part in order fixes; null: none */
    order: Type.Union([MatchSpecSchema, Type.Null()]),
  },
  { additionalProperties: false },
);

export type MatchSpec = Static<typeof MatchSpecSchema>;
export type PathRule = Static<typeof PathRuleSchema>;
/** A validated, normalized watch rule (plain data: safe to send to a worker or serialize). */
export type WatchRule = Static<typeof WatchRuleSchema>;
