// GET /api/patches, /api/patches/:messageId, .../diff
import { Type } from '@sinclair/typebox';
import { MessageIdParams, PatchPageSchema, PatchQuery, PatchSchema, ref } from '../schemas/index.ts';
import { getPatch, getPatchDiff, listPatches } from '../data/index.ts';
import { notFound } from '../plugins/errors.ts';
import { readErrors, type RoutePlugin } from './common.ts';

const patchRoutes: RoutePlugin = async (app, { ctx }) => {
  app.get('/api/patches', {
    schema: { tags: ['patches'], summary: 'Patches in date order', querystring: PatchQuery, response: { 200: ref(PatchPageSchema), ...readErrors } },
  }, async (req) => {
    const { limit, cursor, ...filters } = req.query;
    return listPatches(ctx.db, filters, { limit, cursor });
  });

  app.get('/api/patches/:messageId', {
    schema: {
      tags: ['patches'], summary: 'One patch: trailers (its own and from replies), files and hunks', params: MessageIdParams,
      response: { 200: ref(PatchSchema), ...readErrors },
    },
  }, async (req) => {
    const p = getPatch(ctx.db, req.params.messageId);
    if (!p) throw notFound(`patch ${req.params.messageId}`);
    return p;
  });

  app.get('/api/patches/:messageId/diff', {
    schema: {
      tags: ['patches'], summary: 'The diff the patch carries', params: MessageIdParams,
      response: { 200: { description: 'unified diff', content: { 'text/plain': { schema: Type.String() } } }, ...readErrors },
    },
  }, async (req, reply) => {
    const d = getPatchDiff(ctx.db, req.params.messageId);
    if (d === null) throw notFound(`patch ${req.params.messageId}`);
    return reply.type('text/plain; charset=utf-8').send(d);
  });
};
export default patchRoutes;
