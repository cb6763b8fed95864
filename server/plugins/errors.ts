// The one error model: HttpError (a status and a message; badRequest names the parameter, notFound the thing)
// thrown by routes, plugins and the data layer alike, and the one error handler. Below 500:
// `{statusCode, error, message}`. 500 and up: logged with method, URL and params; the client gets a plain
// "Internal Server Error".
import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiError } from '../schemas/index.ts';

/** Whether an error (SQLite's or the file system's) says the disk (or the database's room to grow) is full. */
export function isDiskFull(e: unknown): boolean {
  const code = (e as { code?: string })?.code ?? '';
  return code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'SQLITE_IOERR_SHMSIZE' || code === 'SQLITE_IOERR_WRITE' || code === 'SQLITE_IOERR_SHMMAP';
}

/** An error with an HTTP status, for routes, plugins and the data layer to throw. */
export class HttpError extends Error {
  constructor(readonly statusCode: number, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
    this.name = 'HttpError';
  }
}

export const notFound = (what: string) => new HttpError(404, `${what} not found`);
/** Bad input from a client: `<param>: <problem>`. */
export const badRequest = (param: string, problem: string) => new HttpError(400, `${param}: ${problem}`);

export function errorBody(statusCode: number, message: string): ApiError {
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message };
}

const PLACE: Record<string, string> = {
  querystring: 'query parameter',
  params: 'path parameter',
  body: 'body field',
  headers: 'header',
};

interface ValidationIssue {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

/** Echo a bit of what the client sent, safely (the message is JSON, but keep it short). */
function shown(v: unknown): string {
  if (v === undefined) return '';
  const s = typeof v === 'string' ? v : JSON.stringify(v) ?? '';
  return ` (got ${JSON.stringify(s.length > 60 ? s.slice(0, 60) + '…' : s)})`;
}

function pick(obj: unknown, path: string[]): unknown {
  let cur = obj;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

/** "query parameter 'limit' must be a whole number (got "abc")" from an ajv error. */
export function validationMessage(issue: ValidationIssue, context: string | undefined, req: FastifyRequest): string {
  const place = PLACE[context ?? ''] ?? 'parameter';
  const path = issue.instancePath.split('/').filter(Boolean).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  const p = issue.params;
  if (issue.keyword === 'required') return `${place} '${[...path, String(p.missingProperty)].join('.')}' is required`;
  if (issue.keyword === 'additionalProperties') return `${place} '${[...path, String(p.additionalProperty)].join('.')}' is not known`;
  const name = path.join('.') || '(whole)';
  const source = context === 'querystring' ? req.query : context === 'params' ? req.params : context === 'body' ? req.body : req.headers;
  let raw = pick(source, path);
  // the query as sent (coercion may already have changed the parsed value)
  if (context === 'querystring' && path.length === 1) {
    const u = new URL(req.url, 'http://x');
    if (u.searchParams.has(path[0])) raw = u.searchParams.get(path[0]);
  }
  let what: string;
  switch (issue.keyword) {
    case 'type':
      what = p.type === 'integer' ? 'must be a whole number' : p.type === 'boolean' ? 'must be true or false' : `must be of type ${String(p.type)}`;
      break;
    case 'enum':
      what = `must be one of: ${(p.allowedValues as unknown[]).join(', ')}`;
      break;
    case 'format':
      what = p.format === 'date-or-time' || p.format === 'date-time'
        ? 'must be a date (YYYY-MM-DD) or an ISO 8601 date-time such as 2010-03-01T12:00:00Z'
        : `must be a valid ${String(p.format)}`;
      break;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      what = `${issue.message ?? 'is out of range'}`;
      if (name === 'limit') what = 'must be a whole number from 1 to 500';
      break;
    default:
      what = issue.message ?? 'is not valid';
  }
  return `${place} '${name}' ${what}${shown(raw)}`;
}

export function errorHandler(this: unknown, err: FastifyError & { headers?: Record<string, string> }, req: FastifyRequest, reply: FastifyReply): void {
  if (err.validation?.length) {
    const msg = validationMessage(err.validation[0] as ValidationIssue, err.validationContext, req);
    reply.code(400).send(errorBody(400, msg));
    return;
  }
  if (err.code === 'SQLITE_BUSY' || err.code === 'SQLITE_LOCKED') {
    // a long write (an ingest, a reindex) held the database past the busy timeout: worth a retry, not a bug
    req.log.warn({ method: req.method, url: req.url, code: err.code }, 'database busy');
    reply.code(503).header('retry-after', '5').send(errorBody(503, 'the database is busy with a write (an ingest?); retry shortly'));
    return;
  }
  if (isDiskFull(err)) {
    // the disk (or the database's size limit) is full: nothing the client did; reads still work
    req.log.error({ method: req.method, url: req.url, code: err.code }, 'disk full');
    reply.code(503).header('retry-after', '60').send(errorBody(503, 'the disk holding the database is full: the change was not saved; free some space and retry'));
    return;
  }
  const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
  if (status < 500) {
    for (const [k, v] of Object.entries(err.headers ?? {})) reply.header(k, v);
    if (status >= 400 && status !== 404 && status !== 429) req.log.info({ statusCode: status, msg: err.message }, 'client error');
    reply.code(status).send(errorBody(status, err.message));
    return;
  }
  req.log.error({ err, method: req.method, url: req.url, params: req.params }, 'request failed');
  reply.code(status).send(errorBody(status, STATUS_CODES[status] ?? 'Internal Server Error'));
}
