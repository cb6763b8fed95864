// A thread: its messages in thread order with their depth (Thread, ThreadMessage).
import { Type, type Static } from '@sinclair/typebox';
import { AddressSchema, IsoDate, Nullable, ref } from './common.ts';
import { MessageKindSchema } from './message.ts';

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
