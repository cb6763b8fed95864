// GET /api/call-changes
import { CallChangePageSchema, CallChangeQuery, ref } from '../schemas/index.ts';
import { listCallChanges } from '../data/index.ts';
import { readErrors, type RoutePlugin } from './common.ts';

const callChangeRoutes: RoutePlugin = async (app, { ctx }) => {
  app.get('/api/call-changes', {
    schema: {
      tags: ['detection'],
      summary: 'Watched calls added or removed by patches',
      description: 'In the order patches were indexed (archive order). `path=null` (or `function=null`) asks for the changes without a path class (function).',
      querystring: CallChangeQuery,
      response: { 200: ref(CallChangePageSchema), ...readErrors },
    },
  }, async (req) => {
    const { limit, cursor, ...filters } = req.query;
    return listCallChanges(ctx.db, filters, { limit, cursor });
  });
};
export default callChangeRoutes;
