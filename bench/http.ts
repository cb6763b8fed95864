// HTTP figures: the app on 127.0.0.1 (a random port), autocannon against a few endpoints for a few seconds each.
// Ratios are to /api/health measured in the same run (these machines are noisy; absolute numbers mean little).
import { createRequire } from 'node:module';
import { loadSettings } from '../config/settings.ts';
import { openDb } from '../ingest/store/db.ts';
import { buildApp } from '../server/app.ts';
import { makeContext } from '../server/serve.ts';

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodeStats?: Record<string, { count: number }>;
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;

const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

export interface HttpBenchOptions {
  /** seconds per endpoint */
  seconds?: number;
  connections?: number;
  /** run the load generator in a worker thread, off the server's event loop (default true) */
  worker?: boolean;
}

/**
 * Requests per second and p50/p99 latency of the API on `dbPath`, loopback only.
 *
 * @example await benchHttp('bench/out/bench-on.db') // { health: { requestsPerSec: 9000, ... }, regressionsOpen: { ratioToHealth: 0.8, ... } }
 */
export async function benchHttp(dbPath: string, o: HttpBenchOptions = {}): Promise<Record<string, unknown>> {
  const seconds = o.seconds ?? 5;
  const connections = o.connections ?? 10;
  const db = openDb(dbPath);
  const settings = { ...loadSettings({ db: dbPath }), rateLimit: { max: 0, timeWindow: '1 minute' } };
  const app = await buildApp(makeContext(db, settings), { logger: false });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  try {
    const count = (db.prepare('SELECT count(*) AS n FROM messages WHERE is_patch = 1').get() as { n: number }).n;
    const pick = db.prepare('SELECT message_id FROM messages WHERE is_patch = 1 ORDER BY id LIMIT 1 OFFSET ?').get(Math.floor(count / 2)) as
      { message_id: string } | undefined;
    const messagePath = `/api/messages/${encodeURIComponent(pick?.message_id ?? 'none')}`;
    const openEtag = (await app.inject('/api/regressions?status=open')).headers.etag as string;

    const targets: [string, string, Record<string, string>?][] = [
      ['health', '/api/health'],
      ['regressionsOpen', '/api/regressions?status=open'],
      ['callChangesInit', '/api/call-changes?path=init'],
      ['messageById', messagePath],
      ['regressionsOpenNotModified', '/api/regressions?status=open', { 'if-none-match': openEtag }],
    ];
    const figures: Record<string, Record<string, unknown>> = {};
    for (const [name, path, headers] of targets) {
      const check = await app.inject({ url: path, headers });
      const r = await autocannon({
        url: base + path,
        headers: headers ?? {},
        connections,
        duration: seconds,
        workers: o.worker === false ? undefined : 1,
      });
      figures[name] = {
        path,
        status: check.statusCode,
        bytes: check.rawPayload.length,
        requestsPerSec: Math.round(r.requests.average),
        p50Ms: r.latency.p50,
        p99Ms: r.latency.p99,
        errors: r.errors + r.timeouts,
        non2xx: r.non2xx,
      };
    }
    const healthRps = Number(figures.health.requestsPerSec) || 1;
    for (const f of Object.values(figures)) f.ratioToHealth = +(Number(f.requestsPerSec) / healthRps).toFixed(2);
    return { what: `autocannon, ${connections} connections, ${seconds} s per endpoint, loopback`, messages: (db.prepare('SELECT count(*) AS n FROM messages').get() as { n: number }).n, ...figures };
  } finally {
    await app.close();
    db.close();
  }
}
