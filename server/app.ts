// Builds the HTTP app (API, OpenAPI docs, dashboard, digest routes) from its plugins and routes: composition
// only, in the order the hooks must run. Never listens: serve.ts does, tests inject.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyServerOptions } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppContext } from './context.ts';
import { errorHandler } from './plugins/errors.ts';
import { MAX_PATH, registerSecurityHeadersAndRateLimit, registerUrlGuard, routerErrors, trustedProxies } from './plugins/security.ts';
import { registerResponseCache } from './plugins/response-cache.ts';
import { registerEtag } from './plugins/etag.ts';
import { addDateFormat, registerOpenApi } from './plugins/openapi.ts';
import healthRoutes from './routes/health.ts';
import messageRoutes from './routes/messages.ts';
import threadRoutes from './routes/threads.ts';
import patchRoutes from './routes/patches.ts';
import seriesRoutes from './routes/series.ts';
import callChangeRoutes from './routes/call-changes.ts';
import orderChangeRoutes from './routes/order-changes.ts';
import fixRoutes from './routes/fixes.ts';
import regressionRoutes from './routes/regressions.ts';
import quarantineRoutes from './routes/quarantine.ts';
import eventRoutes from './routes/events.ts';
import dashboardPlugin from './dashboard/plugin.ts';
import digestRoutes from './digest/routes.ts';

export interface BuildOptions {
  logger?: FastifyServerOptions['logger'];
}

/**
 * The app: URL guard, response cache, ETags, security headers, rate limit, OpenAPI (/docs, /docs/json), the API
 * routes, the digest routes and the dashboard (/).
 *
 * @example const app = await buildApp(ctx); const res = await app.inject('/api/health');
 */
export async function buildApp(ctx: AppContext, opts: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger ?? false,
    routerOptions: { maxParamLength: MAX_PATH, ignoreTrailingSlash: true },
    bodyLimit: 256 * 1024,
    requestIdHeader: false,
    // behind a reverse proxy (config trustProxy): req.ip is the forwarded client, so the rate limit counts per client
    trustProxy: trustedProxies(ctx.settings.trustProxy),
    frameworkErrors: (err, req, reply) => routerErrors(err, req, reply as unknown as FastifyReply),
    ajv: {
      plugins: [addDateFormat],
    },
  }).withTypeProvider<TypeBoxTypeProvider>();
  const root = app as unknown as FastifyInstance;

  app.setErrorHandler(errorHandler);
  registerUrlGuard(root);
  registerResponseCache(root, ctx.db);
  registerEtag(root);
  await registerSecurityHeadersAndRateLimit(root, ctx.settings.rateLimit);
  await registerOpenApi(root);

  const routes = [
    healthRoutes, messageRoutes, threadRoutes, patchRoutes, seriesRoutes, callChangeRoutes, orderChangeRoutes, fixRoutes,
    regressionRoutes, quarantineRoutes, eventRoutes,
  ];
  for (const r of routes) await app.register(r, { ctx });
  await app.register(digestRoutes, { ctx });
  await app.register(dashboardPlugin, { ctx });

  return root;
}
