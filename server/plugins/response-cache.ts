// Answers to GET /api/* kept while the database has not changed. The key includes SQLite's data_version
// (bumped by any other connection's commit: an ingest, another server) and this connection's
// total_changes (its own writes), so a cached answer is never stale; pollers asking the same question
// again cost a lookup instead of a query and a serialisation.
import type { FastifyInstance } from 'fastify';
import type { Db } from '../../ingest/store/db.ts';
import { databaseVersion } from '../data/version.ts';

const MAX_ENTRIES = 512;
const MAX_PAYLOAD = 512 * 1024;

interface Entry { version: string; payload: string; contentType: string }

export function registerResponseCache(app: FastifyInstance, db: Db): void {
  const entries = new Map<string, Entry>();
  const version = databaseVersion(db);
  const cacheable = (method: string, url: string) => method === 'GET' && url.startsWith('/api/');

  app.decorateRequest('cacheVersion', '');
  app.addHook('preHandler', async (req, reply) => {
    if (!cacheable(req.method, req.url)) return;
    const v = version();
    (req as unknown as { cacheVersion: string }).cacheVersion = v;
    const hit = entries.get(req.url);
    if (!hit || hit.version !== v) return;
    entries.delete(req.url); // most recently used last
    entries.set(req.url, hit);
    reply.header('content-type', hit.contentType);
    return reply.send(hit.payload);
  });
  app.addHook('onSend', async (req, reply, payload) => {
    const v = (req as unknown as { cacheVersion: string }).cacheVersion;
    if (!v || reply.statusCode !== 200 || typeof payload !== 'string' || payload.length > MAX_PAYLOAD) return payload;
    const contentType = String(reply.getHeader('content-type') ?? '');
    if (!contentType.includes('json')) return payload;
    if (entries.get(req.url)?.version !== v) {
      entries.delete(req.url);
      entries.set(req.url, { version: v, payload, contentType });
      if (entries.size > MAX_ENTRIES) entries.delete(entries.keys().next().value!);
    }
    return payload;
  });
}
