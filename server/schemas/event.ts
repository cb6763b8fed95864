// An event of the feed (ingested, quarantined, fix known, regression opened/resolved/acknowledged) and the query of
// GET /api/events.
import { Type, type Static } from '@sinclair/typebox';
import { DateParam, IsoDate, Nullable, PageQuery, page, ref, text } from './common.ts';

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

export const EventQuery = Type.Object({
  since: Type.Optional(DateParam('events at or after')),
  after: Type.Optional(Type.Integer({ minimum: 0, description: 'only events with a greater id (what a poller saw last)' })),
  type: text('event type, or a prefix ending in a dot (regression.)', 64),
  ...PageQuery,
});
