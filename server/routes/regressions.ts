// GET /api/regressions, /api/regressions/:id, /api/regressions.atom; POST /api/regressions/:id/acknowledge (token)
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { acknowledgeRegression } from '../../ingest/run/commands.ts';
import {
  AcknowledgeBodySchema, AtomQuery, IntIdParams, RegressionPageSchema, RegressionQuery, RegressionSchema, ref,
} from '../schemas/index.ts';
import { getRegression, listRegressions, regressionKey } from '../data/index.ts';
import { notFound } from '../plugins/errors.ts';
import { regressionsAtom } from './regressions-atom.ts';
import { bearer, readErrors, requireToken, writeErrors, type RoutePlugin } from './common.ts';

function baseUrl(req: FastifyRequest): string {
  const host = /^[A-Za-z0-9.:[\]-]{1,255}$/.test(req.host ?? '') ? req.host : 'localhost';
  return `${req.protocol}://${host}`;
}

const regressionRoutes: RoutePlugin = async (app, { ctx }) => {
  app.get('/api/regressions', {
    schema: {
      tags: ['detection'], summary: 'Regressions: patches that undo a known fix (oldest first)', querystring: RegressionQuery,
      response: { 200: ref(RegressionPageSchema), ...readErrors },
    },
  }, async (req) => {
    const { limit, cursor, ...filters } = req.query;
    return listRegressions(ctx.db, filters, { limit, cursor });
  });

  app.get('/api/regressions.atom', {
    schema: {
      tags: ['detection'], summary: 'Atom feed of regressions, newest first', querystring: AtomQuery,
      response: { 200: { description: 'Atom 1.0', content: { 'application/atom+xml': { schema: Type.String() } } }, ...readErrors },
    },
  }, async (req, reply) => {
    const page = listRegressions(ctx.db, { status: req.query.status, order: 'newest' }, { limit: req.query.limit });
    return reply.type('application/atom+xml; charset=utf-8').send(regressionsAtom(page.items, baseUrl(req)));
  });

  app.get('/api/regressions/:id', {
    schema: { tags: ['detection'], summary: 'One regression', params: IntIdParams('regression'), response: { 200: ref(RegressionSchema), ...readErrors } },
  }, async (req) => {
    const r = getRegression(ctx.db, req.params.id);
    if (!r) throw notFound(`regression ${req.params.id}`);
    return r;
  });

  app.post('/api/regressions/:id/acknowledge', {
    onRequest: requireToken(ctx),
    schema: {
      tags: ['detection'],
      summary: 'Acknowledge a regression (it then reads "acknowledged" while open)',
      description: 'Needs `Authorization: Bearer <token>`. Acknowledging again replaces the reason.',
      security: bearer,
      params: IntIdParams('regression'),
      body: ref(AcknowledgeBodySchema),
      response: { 200: ref(RegressionSchema), ...writeErrors },
    },
  }, async (req) => {
    const key = regressionKey(ctx.db, req.params.id);
    if (!key) throw notFound(`regression ${req.params.id}`);
    acknowledgeRegression(ctx.db, key, req.body.reason, req.body.by ?? null);
    return getRegression(ctx.db, req.params.id)!;
  });
};
export default regressionRoutes;
