// GET /api/regressions, /api/regressions/:id, /api/regressions.atom; POST /api/regressions/:id/acknowledge (token)
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { acknowledgeRegression } from '../../ingest/run/commands.ts';
import {
  AcknowledgeBodySchema, AtomQuery, IntIdParams, RegressionPageSchema, RegressionQuery, RegressionSchema, ref, type Regression,
} from '../schemas.ts';
import { getRegression, listRegressions, regressionKey } from '../data/index.ts';
import { notFound } from '../plugins/errors.ts';
import { bearer, readErrors, requireToken, writeErrors, type RoutePlugin } from './common.ts';

/** Text for XML 1.0: markup characters escaped, characters XML cannot carry dropped. */
export function xmlText(s: string): string {
  return s
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

function baseUrl(req: FastifyRequest): string {
  const host = /^[A-Za-z0-9.:[\]-]{1,255}$/.test(req.host ?? '') ? req.host : 'localhost';
  return `${req.protocol}://${host}`;
}

const EPOCH = '1970-01-01T00:00:00.000Z';

function where(r: Regression): string {
  const fn = r.fix.function ? `${r.fix.function}()` : r.fix.file;
  return `${r.fix.call}() ${r.fix.kind === 'order' ? 'moved out of order in' : 'removed from'} ${fn}`;
}

/** An Atom feed of regressions, newest first. */
export function regressionsAtom(regressions: Regression[], base: string): string {
  const updated = regressions.map((r) => r.firstSeen ?? EPOCH).sort().pop() ?? EPOCH;
  const entries = regressions.map((r) => {
    const first = r.removedBy[0];
    const lines = [
      `${where(r)} (${r.fix.file}${r.fix.path ? `, ${r.fix.path} path` : ''})`,
      `status: ${r.status}${r.resolution ? ` (${r.resolution})` : ''}`,
      r.fix.introducedBy ? `fix introduced by: ${r.fix.introducedBy.subject} <${r.fix.introducedBy.messageId}>` : '',
      ...r.removedBy.map((m) => `removed by v${m.version}: ${m.subject} <${m.messageId}> (${m.author.name || m.author.email})`),
      r.evidence.length ? `\n${r.evidence.map((l) => `-${l}`).join('\n')}` : '',
    ].filter(Boolean);
    return `  <entry>
    <id>urn:relapse:regression:${xmlText(encodeURIComponent(r.key))}</id>
    <title>${xmlText(`[${r.status}] ${where(r)}${first ? `: ${first.subject}` : ''}`)}</title>
    <published>${xmlText(r.firstSeen ?? EPOCH)}</published>
    <updated>${xmlText(r.firstSeen ?? EPOCH)}</updated>
    <author><name>${xmlText(first?.author.name || first?.author.email || 'unknown')}</name>${first?.author.email ? `<email>${xmlText(first.author.email)}</email>` : ''}</author>
    <link rel="alternate" type="text/html" href="${xmlText(`${base}/regressions/${r.id}`)}"/>
    <link rel="related" type="application/json" href="${xmlText(`${base}/api/regressions/${r.id}`)}"/>
    <category term="${xmlText(r.status)}"/>
    <content type="text">${xmlText(lines.join('\n'))}</content>
  </entry>`;
  });
  return `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <id>urn:relapse:regressions</id>
  <title>relapse: regressions</title>
  <subtitle>patches that undo a known fix</subtitle>
  <updated>${xmlText(updated)}</updated>
  <link rel="self" type="application/atom+xml" href="${xmlText(`${base}/api/regressions.atom`)}"/>
  <link rel="alternate" type="text/html" href="${xmlText(`${base}/`)}"/>
  <generator>relapse</generator>
${entries.join('\n')}
</feed>
`;
}

const regressionRoutes: RoutePlugin = async (app, { ctx }) => {
  app.get('/api/regressions', {
    schema: {
      tags: ['detection'], summary: 'Regressions: patches that undo a known fix (oldest first)', querystring: RegressionQuery,
      response: { 200: ref(RegressionPageSchema), ...readErrors },
    },
  }, async (req) => {
    const { limit, cursor, ...filters } = req.query;
    return listRegressions(ctx.db, filters, { limit, cursor });
  });

  app.get('/api/regressions.atom', {
    schema: {
      tags: ['detection'], summary: 'Atom feed of regressions, newest first', querystring: AtomQuery,
      response: { 200: { description: 'Atom 1.0', content: { 'application/atom+xml': { schema: Type.String() } } }, ...readErrors },
    },
  }, async (req, reply) => {
    const page = listRegressions(ctx.db, { status: req.query.status, order: 'newest' }, { limit: req.query.limit });
    return reply.type('application/atom+xml; charset=utf-8').send(regressionsAtom(page.items, baseUrl(req)));
  });

  app.get('/api/regressions/:id', {
    schema: { tags: ['detection'], summary: 'One regression', params: IntIdParams('regression'), response: { 200: ref(RegressionSchema), ...readErrors } },
  }, async (req) => {
    const r = getRegression(ctx.db, req.params.id);
    if (!r) throw notFound(`regression ${req.params.id}`);
    return r;
  });

  app.post('/api/regressions/:id/acknowledge', {
    onRequest: requireToken(ctx),
    schema: {
      tags: ['detection'],
      summary: 'Acknowledge a regression (it then reads "acknowledged" while open)',
      description: 'Needs `Authorization: Bearer <token>`. Acknowledging again replaces the reason.',
      security: bearer,
      params: IntIdParams('regression'),
      body: ref(AcknowledgeBodySchema),
      response: { 200: ref(RegressionSchema), ...writeErrors },
    },
  }, async (req) => {
    const key = regressionKey(ctx.db, req.params.id);
    if (!key) throw notFound(`regression ${req.params.id}`);
    acknowledgeRegression(ctx.db, key, req.body.reason, req.body.by ?? null);
    return getRegression(ctx.db, req.params.id)!;
  });
};
export default regressionRoutes;
