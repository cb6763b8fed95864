// GET /api/order-changes
import { OrderChangePageSchema, OrderChangeQuery, ref } from '../schemas/index.ts';
import { listOrderChanges } from '../data/index.ts';
import { readErrors, type RoutePlugin } from './common.ts';

const orderChangeRoutes: RoutePlugin = async (app, { ctx }) => {
  app.get('/api/order-changes', {
    schema: {
      tags: ['detection'], summary: 'Watched calls moved ahead of or behind other calls by patches', querystring: OrderChangeQuery,
      response: { 200: ref(OrderChangePageSchema), ...readErrors },
    },
  }, async (req) => {
    const { limit, cursor, ...filters } = req.query;
    return listOrderChanges(ctx.db, filters, { limit, cursor });
  });
};
export default orderChangeRoutes;
