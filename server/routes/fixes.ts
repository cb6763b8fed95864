// GET /api/fixes, /api/fixes/:id; POST /api/fixes (declare one; token)
import { declareFix } from '../../ingest/run/commands.ts';
import { declaredFixOf, DeclareFixBodySchema, ErrorSchema, FixPageSchema, FixQuery, FixSchema, IntIdParams, ref } from '../schemas/index.ts';
import { messageIdParam, findDeclaredFix, getFix, getMessage, listFixes } from '../data/index.ts';
import { badRequest, errorBody, notFound } from '../plugins/errors.ts';
import { bearer, readErrors, requireToken, writeErrors, type RoutePlugin } from './common.ts';

const fixRoutes: RoutePlugin = async (app, { ctx }) => {
  app.get('/api/fixes', {
    schema: {
      tags: ['detection'],
      summary: 'Known fixes: accepted additions, accepted order changes, and declared fixes',
      description: '`path=null` (or `function=null`) asks for the fixes without a path class (function).',
      querystring: FixQuery,
      response: { 200: ref(FixPageSchema), ...readErrors },
    },
  }, async (req) => {
    const { limit, cursor, ...filters } = req.query;
    return listFixes(ctx.db, filters, { limit, cursor });
  });

  app.get('/api/fixes/:id', {
    schema: { tags: ['detection'], summary: 'One known fix with its history', params: IntIdParams('fix'), response: { 200: ref(FixSchema), ...readErrors } },
  }, async (req) => {
    const f = getFix(ctx.db, req.params.id);
    if (!f) throw notFound(`fix ${req.params.id}`);
    return f;
  });

  app.post('/api/fixes', {
    onRequest: requireToken(ctx),
    schema: {
      tags: ['detection'],
      summary: 'Declare a known fix (the rules then watch for patches that undo it)',
      description: 'Needs `Authorization: Bearer <token>`. An order fix needs `before`: the calls `call` must come before.',
      security: bearer,
      body: ref(DeclareFixBodySchema),
      response: { 201: ref(FixSchema), 202: ref(ErrorSchema), ...writeErrors },
    },
  }, async (req, reply) => {
    const parsed = declaredFixOf(req.body);
    if ('field' in parsed) throw badRequest(parsed.field, parsed.message);
    const introducedBy = parsed.introducedBy ? messageIdParam(parsed.introducedBy) : null;
    if (introducedBy && !getMessage(ctx.db, introducedBy)) throw badRequest('introducedBy', `no message ${introducedBy} in the archive`);
    const declared = { ...parsed, introducedBy };
    // one transaction: the declaration and the detection it changes land together or not at all
    declareFix(ctx.db, declared, ctx.redetect);
    const fix = findDeclaredFix(ctx.db, declared);
    if (!fix) {
      return reply.code(202).send(errorBody(202, 'declared; the rules derived no known fix from it (yet)'));
    }
    return reply.code(201).header('location', `/api/fixes/${fix.id}`).send(fix);
  });
};
export default fixRoutes;
