// What stands between a request and the routes: URLs the router cannot or should not take apart (too long,
// bad percent-encoding) are refused first; then security headers (helmet: a CSP that allows only this origin)
// and a rate limit for clients other than loopback.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import type { Settings } from '../../config/settings.ts';
import { errorBody, HttpError } from './errors.ts';

/** Longest path we route (Message-IDs can be long, but not this long), and longest URL with its query. */
export const MAX_PATH = 2048;
export const MAX_URL = 8192;

/** Loopback clients (127.0.0.0/8, ::1, and IPv4-mapped 127.x) are not rate limited. */
export function isLoopback(ip: string | undefined): boolean {
  if (!ip) return false;
  return ip === '::1' || /^127\./.test(ip) || /^::ffff:127\./i.test(ip);
}

/**
 * Fastify's `frameworkErrors`: URLs the router cannot take apart (bad percent-encoding, invalid UTF-8, over-long
 * parameters).
 */
export function routerErrors(err: { code?: string }, _req: FastifyRequest, reply: FastifyReply): void {
  const status = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 414 : 400;
  const message = status === 414 ? `path parameter is longer than ${MAX_PATH} bytes` : 'path is not valid percent-encoded UTF-8';
  reply.code(status).send(errorBody(status, message));
}

/** Absurd URLs are refused before anything else looks at them (register first). */
export function registerUrlGuard(app: FastifyInstance): void {
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
}

/** Security headers (CSP and the rest) and, when configured, the rate limit. */
export async function registerSecurityHeadersAndRateLimit(app: FastifyInstance, rl: Settings['rateLimit']): Promise<void> {
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

  if (rl.max > 0) {
    await app.register(rateLimit, {
      global: true,
      max: rl.max,
      timeWindow: rl.timeWindow,
      allowList: (req) => isLoopback(req.ip),
    });
  }
}

/** fastify's trustProxy from config's: a hop count becomes the function proxy-addr takes (trust the first n hops). */
export function trustedProxies(t: Settings['trustProxy']): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof t === 'number') return (_address, hop) => hop < t;
  return t ?? false;
}
