// TypeBox schemas of the REST API, one file per resource (common.ts: the helpers and shapes they share). Each
// validates (requests), serializes (responses) and documents (OpenAPI, /docs). Shared resources carry an $id and are
// registered with `app.addSchema` in the order of `sharedSchemas`, so the OpenAPI document names them
// (components/schemas/Message ...); routes point at them with `ref()`. Importers take everything from here.
import type { TSchema } from '@sinclair/typebox';
import { AddressSchema, ErrorSchema, MessageRefSchema } from './common.ts';
import { AcceptedSchema, EvidenceSchema, PatchStateSchema } from './evidence.ts';
import { MessageKindSchema, MessagePageSchema, MessageSchema } from './message.ts';
import { ThreadMessageSchema, ThreadSchema } from './thread.ts';
import { HunkSchema, PatchFileSchema, PatchPageSchema, PatchSchema, PatchSummarySchema, TrailerSchema } from './patch.ts';
import { SeriesPageSchema, SeriesSchema } from './series.ts';
import { CallChangePageSchema, CallChangeSchema, OrderChangePageSchema, OrderChangeSchema } from './call-change.ts';
import { DeclareFixBodySchema, FixEventSchema, FixKindSchema, FixPageSchema, FixSchema, FixStatusSchema } from './fix.ts';
import {
  AcknowledgeBodySchema, RegressionFixSchema, RegressionPageSchema, RegressionSchema, RegressionStatusSchema, RemovalSchema,
} from './regression.ts';
import { QuarantinedSchema, QuarantinePageSchema } from './quarantine.ts';
import { EventPageSchema, EventSchema } from './event.ts';
import { HealthSchema } from './health.ts';

export * from './common.ts';
export * from './evidence.ts';
export * from './message.ts';
export * from './thread.ts';
export * from './patch.ts';
export * from './series.ts';
export * from './call-change.ts';
export * from './fix.ts';
export * from './regression.ts';
export * from './quarantine.ts';
export * from './event.ts';
export * from './health.ts';

/** Every schema with an $id, in dependency order, for `app.addSchema`. */
export const sharedSchemas: TSchema[] = [
  AddressSchema, MessageRefSchema, AcceptedSchema, EvidenceSchema, PatchStateSchema, ErrorSchema, MessageKindSchema, MessageSchema, MessagePageSchema,
  ThreadMessageSchema, ThreadSchema, TrailerSchema, HunkSchema, PatchFileSchema, PatchSummarySchema, PatchPageSchema,
  PatchSchema, SeriesSchema, SeriesPageSchema, CallChangeSchema, CallChangePageSchema, OrderChangeSchema,
  OrderChangePageSchema, FixKindSchema, FixStatusSchema, FixEventSchema, FixSchema, FixPageSchema, DeclareFixBodySchema,
  RegressionStatusSchema, RemovalSchema, RegressionFixSchema, RegressionSchema, RegressionPageSchema,
  AcknowledgeBodySchema, QuarantinedSchema, QuarantinePageSchema, EventSchema, EventPageSchema, HealthSchema,
];
