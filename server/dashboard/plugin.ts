// The maintainer dashboard: server-rendered pages (one module per page under ./pages) and their static assets.
// Registered without a prefix by server/app.ts, after @fastify/helmet (whose CSP allows only this origin's
// scripts and styles: the pages carry no inline script, handler or style attribute).
import { listArchiveUrl } from '../data/links.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.ts';
import { HttpError } from '../plugins/errors.ts';
import { assets } from './assets.ts';
import type { SafeHtml } from './html.ts';
import { errorPage } from './layout.ts';
import { loadCallChanges, loadFunction, loadOverview, loadPatch, loadRegression, loadThread, loadTimeline } from './load.ts';
import { callChangesPage } from './pages/call-changes.ts';
import { functionPage } from './pages/function-history.ts';
import { overviewPage } from './pages/overview.ts';
import { patchPage } from './pages/patch.ts';
import { regressionPage } from './pages/regression.ts';
import { threadPage } from './pages/thread.ts';
import { timelinePage } from './pages/timeline.ts';

function send(reply: FastifyReply, page: SafeHtml, status = 200): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-cache')
    .send(page.value);
}

const notFound = (reply: FastifyReply, what: string) => send(reply, errorPage('Not found', `${what} is not in the database.`), 404);

/** Wrap a page handler: bad parameters become a 400 page (not the API's JSON error). */
function page<R extends FastifyRequest>(fn: (req: R, reply: FastifyReply) => FastifyReply) {
  return async (req: R, reply: FastifyReply) => {
    try {
      return fn(req, reply);
    } catch (e) {
      if (e instanceof HttpError && e.statusCode === 400) return send(reply, errorPage('Bad request', e.message), 400);
      throw e;
    }
  };
}

const positiveInt = (s: string) => (/^[1-9]\d{0,15}$/.test(s) ? Number(s) : null);

type Q = { Querystring: Record<string, unknown> };

export default async function dashboardPlugin(app: FastifyInstance, opts: { ctx: AppContext }): Promise<void> {
  const { ctx } = opts;
  const files = assets();

  app.get<{ Params: { name: string }; Querystring: { v?: string } }>('/static/:name', { schema: { hide: true } }, async (req, reply) => {
    const a = files.get(req.params.name);
    if (!a) return reply.code(404).type('text/plain; charset=utf-8').send('not found');
    const etag = `"${a.hash}"`;
    reply
      .header('content-type', a.type)
      .header('etag', etag)
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', req.query.v === a.hash ? 'public, max-age=31536000, immutable' : 'public, max-age=300');
    if (req.headers['if-none-match'] === etag) return reply.code(304).send();
    return reply.send(a.body);
  });

  app.get<Q>('/', { schema: { hide: true } }, page((req: FastifyRequest<Q>, reply) => send(reply, overviewPage(loadOverview(ctx.db, req.query)))));

  app.get<Q>('/timeline', { schema: { hide: true } }, page((req: FastifyRequest<Q>, reply) => send(reply, timelinePage(loadTimeline(ctx.db, req.query)))));

  app.get<Q>('/call-changes', { schema: { hide: true } }, page((req: FastifyRequest<Q>, reply) => send(reply, callChangesPage(loadCallChanges(ctx.db, req.query)))));

  app.get<{ Params: { id: string } }>('/regressions/:id', { schema: { hide: true } }, page((req: FastifyRequest<{ Params: { id: string } }>, reply) => {
    const id = positiveInt(req.params.id);
    const d = id === null ? null : loadRegression(ctx.db, id);
    return d ? send(reply, regressionPage({ ...d, archiveUrl: (list) => listArchiveUrl(ctx.settings.inboxes, list) })) : notFound(reply, `Regression ${req.params.id}`);
  }));

  type Fn = { Params: { file: string; function: string } };
  app.get<Fn>('/functions/:file/:function', { schema: { hide: true } }, page((req: FastifyRequest<Fn>, reply) => {
    const { file, function: fn } = req.params;
    if (!file || !fn || file.length > 1024 || fn.length > 256) return notFound(reply, 'That function');
    return send(reply, functionPage(loadFunction(ctx.db, file, fn)));
  }));

  type Th = { Params: { id: string }; Querystring: { m?: string } };
  app.get<Th>('/threads/:id', { schema: { hide: true } }, page((req: FastifyRequest<Th>, reply) => {
    const id = positiveInt(req.params.id);
    const d = id === null ? null : loadThread(ctx.db, id, typeof req.query.m === 'string' ? req.query.m : undefined);
    return d ? send(reply, threadPage(d)) : notFound(reply, `Thread ${req.params.id}`);
  }));

  type Pa = { Params: { messageId: string } };
  app.get<Pa>('/patches/:messageId', { schema: { hide: true } }, page((req: FastifyRequest<Pa>, reply) => {
    const id = req.params.messageId;
    const d = id && id.length <= 998 ? loadPatch(ctx.db, id) : null;
    return d ? send(reply, patchPage({ ...d, archiveUrl: listArchiveUrl(ctx.settings.inboxes, d.list) })) : notFound(reply, 'That message');
  }));
}
