// GET /api/health
import { HealthSchema, ref } from '../schemas/index.ts';
import { health } from '../data/index.ts';
import type { RoutePlugin } from './common.ts';

const healthRoutes: RoutePlugin = async (app, { ctx }) => {
  app.get('/api/health', {
    schema: { tags: ['health'], summary: 'Counts and freshness of the archive', response: { 200: ref(HealthSchema) } },
  }, async () => health(ctx.db));
};
export default healthRoutes;
