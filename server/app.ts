// Builds the HTTP app (API, OpenAPI docs, dashboard, digest routes). Never listens: serve.ts does, tests inject.
import type { Settings } from '../config/settings.ts';
import crypto from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyServerOptions } from 'fastify';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Ajv } from 'ajv';
import type { AppContext } from './context.ts';
import { registerResponseCache } from './plugins/response-cache.ts';
import { sharedSchemas } from './schemas.ts';
import { isDateParam } from './data/index.ts';
import { errorBody, errorHandler, HttpError } from './plugins/errors.ts';
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

/** Longest path we route (Message-IDs can be long, but not this long), and longest URL with its query. */
export const MAX_PATH = 2048;
export const MAX_URL = 8192;

/** Hash of the inline <style> element swagger-ui's bundle adds (allowed by hash, not by 'unsafe-inline'). */
const SWAGGER_UI_STYLE = 'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w=';

export interface BuildOptions {
  logger?: FastifyServerOptions['logger'];
}

/** Loopback clients (127.0.0.0/8, ::1, and IPv4-mapped 127.x) are not rate limited. */
export function isLoopback(ip: string | undefined): boolean {
  if (!ip) return false;
  return ip === '::1' || /^127\./.test(ip) || /^::ffff:127\./i.test(ip);
}

/** Whether an If-None-Match header matches this ETag (weak comparison, as for GET). */
export function etagMatches(header: string, etag: string): boolean {
  const bare = (t: string) => t.trim().replace(/^W\//, '');
  return header.split(',').some((t) => t.trim() === '*' || bare(t) === bare(etag));
}

/** `format: 'date-or-time'`: what `since` and `until` take (YYYY-MM-DD or an ISO 8601 date-time). */
function addDateFormat(ajv: Ajv): Ajv {
  return ajv.addFormat('date-or-time', { type: 'string', validate: isDateParam });
}

/**
 * The app: security headers, rate limit, OpenAPI (/docs, /docs/json), the API routes, the dashboard (/) and the
 * digest routes.
 *
 * @example const app = await buildApp(ctx); const res = await app.inject('/api/health');
 */
/** fastify's trustProxy; a hop count as the function proxy-addr takes (trust the first n hops). */
function hops(t: Settings['trustProxy']): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof t === 'number') return (_address, hop) => hop < t;
  return t ?? false;
}

export async function buildApp(ctx: AppContext, opts: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger ?? false,
    routerOptions: { maxParamLength: MAX_PATH, ignoreTrailingSlash: true },
    bodyLimit: 256 * 1024,
    requestIdHeader: false,
    // behind a reverse proxy (config trustProxy): req.ip is the forwarded client, so the rate limit counts per client
    trustProxy: hops(ctx.settings.trustProxy),
    // URLs the router cannot take apart (bad percent-encoding, invalid UTF-8, over-long parameters)
    frameworkErrors: (err, _req, reply) => {
      const status = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 414 : 400;
      const message = status === 414 ? `path parameter is longer than ${MAX_PATH} bytes` : 'path is not valid percent-encoded UTF-8';
      (reply as unknown as FastifyReply).code(status).send(errorBody(status, message));
    },
    ajv: {
      plugins: [addDateFormat],
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setErrorHandler(errorHandler);

  // absurd URLs are refused before anything else looks at them
  app.addHook('onRequest', async (req) => {
    const url = req.raw.url ?? '';
    const q = url.indexOf('?');
    if ((q < 0 ? url.length : q) > MAX_PATH) throw new HttpError(414, `path is longer than ${MAX_PATH} bytes`);
    if (url.length > MAX_URL) throw new HttpError(414, `URL (with its query) is longer than ${MAX_URL} bytes`);
    if (q >= 0 && url.includes('%', q)) {
      try {
        decodeURIComponent(url.slice(q + 1));
      } catch {
        throw new HttpError(400, 'query string is not valid percent-encoded UTF-8');
      }
    }
  });

  registerResponseCache(app, ctx.db);

  // ETag on every 200 GET answered with a body we hold (JSON, text, bytes): If-None-Match gives a 304
  app.addHook('onSend', async (req, reply, payload) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || reply.statusCode !== 200) return payload;
    if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return payload;
    let etag = reply.getHeader('etag') as string | undefined;
    if (!etag) {
      etag = `"${crypto.createHash('sha1').update(payload).digest('base64url')}"`;
      reply.header('etag', etag);
      if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-cache');
    }
    const inm = req.headers['if-none-match'];
    if (typeof inm === 'string' && etagMatches(inm, etag)) {
      reply.code(304);
      reply.removeHeader('content-type');
      reply.removeHeader('content-length');
      return '';
    }
    return payload;
  });

  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: true,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        frameAncestors: ["'self'"],
        // served over plain HTTP on a LAN or loopback: upgrading would break every asset
        upgradeInsecureRequests: null,
      },
    },
    // the API is read by bots and other origins' dashboards; JSON is not embeddable anyway
    crossOriginResourcePolicy: { policy: 'cross-origin' },
    strictTransportSecurity: false,
  });

  const rl = ctx.settings.rateLimit;
  if (rl.max > 0) {
    await app.register(rateLimit, {
      global: true,
      max: rl.max,
      timeWindow: rl.timeWindow,
      allowList: (req) => isLoopback(req.ip),
    });
  }

  for (const s of sharedSchemas) app.addSchema(s);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'relapse',
        version: '0.1.0',
        description: 'Kexec mailing-list archive and the day a patch undoes a known fix. Message-IDs are written without ' +
          'angle brackets and URL-encoded in paths. Lists answer `{items, nextCursor}`; pass `nextCursor` back as `cursor`. ' +
          'Dates are ISO 8601 UTC; `since` is inclusive, `until` exclusive (a bare date includes that day). ' +
          'Writes need `Authorization: Bearer <token>`.',
      },
      tags: [
        { name: 'health' }, { name: 'messages' }, { name: 'patches' }, { name: 'detection' }, { name: 'events' },
      ],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`),
    },
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    staticCSP: true,
    // the plugin's CSP for the UI, less the HTTPS upgrade, plus the one <style> swagger-ui's bundle injects
    transformStaticCSP: (header) =>
      header.replace(/\s*upgrade-insecure-requests;?/, '').replace(/style-src 'self' https:\s*/, `style-src 'self' '${SWAGGER_UI_STYLE}' `),
    uiConfig: { deepLinking: true, validatorUrl: null } as Record<string, unknown>,
  });

  const routes = [
    healthRoutes, messageRoutes, threadRoutes, patchRoutes, seriesRoutes, callChangeRoutes, orderChangeRoutes, fixRoutes,
    regressionRoutes, quarantineRoutes, eventRoutes,
  ];
  for (const r of routes) await app.register(r, { ctx });
  await app.register(digestRoutes, { ctx });
  await app.register(dashboardPlugin, { ctx });

  return app as unknown as FastifyInstance;
}
