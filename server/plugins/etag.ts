// ETag on every 200 GET answered with a body we hold (JSON, text, bytes): a SHA-1 of the body unless the route
// set one; If-None-Match then gives a 304 without the body.
import crypto from 'node:crypto';
import type { FastifyInstance } from 'fastify';

/** Whether an If-None-Match header matches this ETag (weak comparison, as for GET). */
export function etagMatches(header: string, etag: string): boolean {
  const bare = (t: string) => t.trim().replace(/^W\//, '');
  return header.split(',').some((t) => t.trim() === '*' || bare(t) === bare(etag));
}

export function registerEtag(app: FastifyInstance): void {
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
}
