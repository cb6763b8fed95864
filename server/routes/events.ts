// GET /api/events
import { EventPageSchema, EventQuery, ref } from '../schemas/index.ts';
import { listEvents } from '../data/index.ts';
import { readErrors, type RoutePlugin } from './common.ts';

const eventRoutes: RoutePlugin = async (app, { ctx }) => {
  app.get('/api/events', {
    schema: {
      tags: ['events'],
      summary: 'What happened, oldest first: a feed for bots that poll',
      description: 'Keep the last `nextCursor` (or the last `id`, as `after`) and ask again; types: message.ingested, message.quarantined, ' +
        'fix.known, regression.opened, regression.resolved, regression.acknowledged. `type=regression.` gives every regression event.',
      querystring: EventQuery,
      response: { 200: ref(EventPageSchema), ...readErrors },
    },
  }, async (req) => {
    const { limit, cursor, ...filters } = req.query;
    return listEvents(ctx.db, filters, { limit, cursor });
  });
};
export default eventRoutes;
