// What the route files share: the plugin type, error responses for the OpenAPI document, and write access.
import crypto from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../context.ts';
import { ErrorSchema, ref } from '../schemas/index.ts';
import { HttpError } from '../plugins/errors.ts';

export type RoutePlugin = FastifyPluginAsyncTypebox<{ ctx: AppContext }>;

const err = ref(ErrorSchema);
/** Error responses a read route can give (documented; serialized through the same schema). */
export const readErrors = { 400: err, 404: err } as const;
export const writeErrors = { 400: err, 401: err, 403: err, 404: err } as const;

const digest = (s: string) => crypto.createHash('sha256').update(s).digest();

/**
 * onRequest hook for writes: `Authorization: Bearer <token>` with the token from the settings. Without a
 * configured token writes are disabled (403); a missing or wrong token is a 401.
 */
export function requireToken(ctx: AppContext) {
  return async function checkToken(req: FastifyRequest, _reply: FastifyReply): Promise<void> {
    const token = ctx.settings.token;
    if (!token) throw new HttpError(403, 'writes are disabled: no API token is configured (set RELAPSE_TOKEN or "token" in the config file)');
    const challenge = { 'www-authenticate': 'Bearer realm="relapse"' };
    const h = req.headers.authorization;
    const m = typeof h === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(h) : null;
    if (!m) throw new HttpError(401, 'header Authorization: Bearer <token> is required for writes', challenge);
    if (!crypto.timingSafeEqual(digest(m[1]), digest(token))) throw new HttpError(401, 'header Authorization: the token is not valid', challenge);
  };
}

export const bearer = [{ bearer: [] as string[] }];
