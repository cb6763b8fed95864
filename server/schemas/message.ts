// A message as the API answers it (Message, MessagePage, MessageKind) and the query of GET /api/messages.
import { Type, type Static } from '@sinclair/typebox';
import { MESSAGE_KINDS } from '../../ingest/core/model.ts';
import { AddressSchema, DateParam, IsoDate, Nullable, PageQuery, StringEnum, page, ref, text } from './common.ts';
import { EvidenceSchema } from './evidence.ts';

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

export const MessageQuery = Type.Object({
  list: text('list name'),
  from: text('sender: an exact e-mail address, or a part of the name or address', 256),
  since: Type.Optional(DateParam('messages dated at or after')),
  until: Type.Optional(DateParam('messages dated before')),
  q: text('words in the subject (case-insensitive substring)', 256),
  kind: Type.Optional(ref(MessageKindSchema)),
  ...PageQuery,
});
