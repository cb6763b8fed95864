// GET /api/series, /api/series/:id
import { IntIdParams, SeriesPageSchema, SeriesQuery, SeriesSchema, ref } from '../schemas/index.ts';
import { getSeries, listSeries } from '../data/index.ts';
import { notFound } from '../plugins/errors.ts';
import { readErrors, type RoutePlugin } from './common.ts';

const seriesRoutes: RoutePlugin = async (app, { ctx }) => {
  app.get('/api/series', {
    schema: { tags: ['patches'], summary: 'Series (one per posted version) in date order', querystring: SeriesQuery, response: { 200: ref(SeriesPageSchema), ...readErrors } },
  }, async (req) => {
    const { limit, cursor, ...filters } = req.query;
    return listSeries(ctx.db, filters, { limit, cursor });
  });

  app.get('/api/series/:id', {
    schema: { tags: ['patches'], summary: 'One series with its patches and neighbouring versions', params: IntIdParams('series'), response: { 200: ref(SeriesSchema), ...readErrors } },
  }, async (req) => {
    const s = getSeries(ctx.db, req.params.id);
    if (!s) throw notFound(`series ${req.params.id}`);
    return s;
  });
};
export default seriesRoutes;
