// GET /api/quarantine, /api/quarantine/:id, .../raw
import { Binary, IntIdParams, QuarantinePageSchema, QuarantineQuery, QuarantinedSchema, ref } from '../schemas/index.ts';
import { getQuarantineRaw, getQuarantined, listQuarantine } from '../data/index.ts';
import { notFound } from '../plugins/errors.ts';
import { readErrors, type RoutePlugin } from './common.ts';

const quarantineRoutes: RoutePlugin = async (app, { ctx }) => {
  app.get('/api/quarantine', {
    schema: { tags: ['messages'], summary: 'Messages that could not be parsed', querystring: QuarantineQuery, response: { 200: ref(QuarantinePageSchema), ...readErrors } },
  }, async (req) => listQuarantine(ctx.db, req.query));

  app.get('/api/quarantine/:id', {
    schema: { tags: ['messages'], summary: 'One quarantined message', params: IntIdParams('quarantine'), response: { 200: ref(QuarantinedSchema), ...readErrors } },
  }, async (req) => {
    const q = getQuarantined(ctx.db, req.params.id);
    if (!q) throw notFound(`quarantined message ${req.params.id}`);
    return q;
  });

  app.get('/api/quarantine/:id/raw', {
    schema: {
      tags: ['messages'], summary: 'The bytes of a quarantined message', params: IntIdParams('quarantine'),
      response: { 200: { description: 'as archived', content: { 'application/octet-stream': { schema: Binary } } }, ...readErrors },
    },
  }, async (req, reply) => {
    const raw = getQuarantineRaw(ctx.db, req.params.id);
    if (!raw) throw notFound(`quarantined message ${req.params.id}`);
    return reply.type('application/octet-stream').send(raw);
  });
};
export default quarantineRoutes;
