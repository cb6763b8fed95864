// GET /api/threads/:id
import { IntIdParams, ThreadSchema, ref } from '../schemas/index.ts';
import { getThread } from '../data/index.ts';
import { notFound } from '../plugins/errors.ts';
import { readErrors, type RoutePlugin } from './common.ts';

const threadRoutes: RoutePlugin = async (app, { ctx }) => {
  app.get('/api/threads/:id', {
    schema: { tags: ['messages'], summary: 'A thread, its messages in thread order', params: IntIdParams('thread'), response: { 200: ref(ThreadSchema), ...readErrors } },
  }, async (req) => {
    const t = getThread(ctx.db, req.params.id);
    if (!t) throw notFound(`thread ${req.params.id}`);
    return t;
  });
};
export default threadRoutes;
