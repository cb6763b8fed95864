// The one place that reads environment variables and the optional config file.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import { DEFAULT_MAX_MESSAGE_BYTES, type DeclaredFix } from '../ingest/core/model.ts';
import { declaredFixOf, DeclareFixBodySchema, FixKindSchema, type DeclareFixBody } from '../server/schemas/index.ts';
import { Cron } from 'croner';

export const CONFIG_DIR = path.dirname(fileURLToPath(import.meta.url));

export interface DigestRecipient {
  email: string;
  /** globs of files this maintainer looks after (MAINTAINERS-style); empty = everything */
  files: string[];
}

/** A public-inbox archive to follow (`relapse sync`): its name (the mirror's directory), URL and list. */
export interface Inbox {
  name: string;
  /** where its epochs are served (`URL/0`, `URL/1`, ...): lore's https URL, a file:// URL or a path */
  url: string;
  /** the list its messages belong to */
  list: string;
}

export const DEFAULT_INBOXES: Inbox[] = [{ name: 'kexec', url: 'https://lore.kernel.org/kexec', list: 'kexec' }];

export interface Settings {
  db: string;
  token: string | null;
  smtpUrl: string | null;
  digest: {
    from: string;
    recipients: DigestRecipient[];
    /** cron expression, UTC */
    schedule: string;
    sendEmpty: boolean;
    list: string;
  };
  rateLimit: { max: number; timeWindow: string };
  watchRulesFile: string;
  /** validated with the API's own schema (POST /api/fixes) */
  declaredFixes: DeclaredFix[];
  /** ingest limits: a message over maxMessageBytes is quarantined with its head; a gzip over maxGzipRatio stops */
  limits?: { maxMessageBytes: number; maxGzipRatio: number };
  /**
   * Behind a reverse proxy: which proxies to believe about the client (X-Forwarded-For), as fastify's trustProxy
   * takes it: addresses or ranges (`["loopback"]`, `["10.0.0.0/8"]`), a hop count, or true (every hop; only when
   * nothing else can reach the port). When set, the rate limit counts per forwarded client, and only a request
   * that really comes from loopback is exempt. Unset: the socket's address.
   */
  trustProxy?: boolean | number | string[];
  inboxes: Inbox[];
  sync: {
    /** cron expression (UTC) on which `serve` syncs the inboxes; null = no scheduled sync */
    schedule: string | null;
    /** where mirrors live; null = `lore/` beside the database */
    mirrors: string | null;
    /** retries of a failing fetch, and the first back-off (doubling) */
    retries: number;
    backoffMs: number;
  };
}

export interface SettingsFile {
  db?: string;
  token?: string;
  smtpUrl?: string;
  digest?: Partial<Settings['digest']> & { recipients?: (string | DigestRecipient)[] };
  rateLimit?: Partial<Settings['rateLimit']>;
  watchRules?: string;
  declaredFixes?: unknown[];
  limits?: Partial<NonNullable<Settings['limits']>>;
  trustProxy?: boolean | number | string | string[];
  inboxes?: unknown;
  sync?: unknown;
}

/** `trustProxy` from the config file or RELAPSE_TRUST_PROXY ("true", "2", "loopback,10.0.0.0/8"). */
function trustProxy(v: boolean | number | string | string[] | undefined): Settings['trustProxy'] {
  if (v === undefined || v === '' || v === false || v === 'false') return undefined;
  if (v === true || v === 'true') return true;
  if (typeof v === 'number' || /^\d+$/.test(String(v))) return Number(v);
  const list = (Array.isArray(v) ? v : String(v).split(',')).map((s) => String(s).trim()).filter(Boolean);
  return list.length ? list : undefined;
}

/** A positive whole number from the environment, or undefined when unset. */
function positive(name: string, v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  if (!/^\d+$/.test(v) || Number(v) <= 0) throw new Error(`${name} must be a positive whole number, got "${v}"`);
  return Number(v);
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** The `inboxes` of a config file, checked: names unique and usable as a directory, URLs and lists strings. */
export function validateInboxes(v: unknown, where = 'inboxes'): Inbox[] {
  if (!Array.isArray(v)) throw new Error(`${where} must be an array of { name, url, list }`);
  const seen = new Set<string>();
  return v.map((x, i) => {
    const o = x as Record<string, unknown>;
    if (!o || typeof o !== 'object') throw new Error(`${where}[${i}] must be an object { name, url, list }`);
    if (typeof o.name !== 'string' || !NAME.test(o.name)) throw new Error(`${where}[${i}].name must be letters, digits, '.', '_' or '-'`);
    if (seen.has(o.name)) throw new Error(`${where}[${i}].name '${o.name}' is given twice`);
    seen.add(o.name);
    if (typeof o.url !== 'string' || !o.url.trim()) throw new Error(`${where}[${i}].url must be a URL or path`);
    if (o.list !== undefined && (typeof o.list !== 'string' || !o.list.trim())) throw new Error(`${where}[${i}].list must be a list name`);
    return { name: o.name, url: o.url.trim().replace(/\/+$/, ''), list: (o.list as string | undefined)?.trim() ?? o.name };
  });
}

/** A cron expression croner accepts; throws naming `where` otherwise. */
export function validateCron(v: unknown, where: string): string {
  if (typeof v !== 'string') throw new Error(`${where} must be a cron expression`);
  try {
    new Cron(v, { paused: true, timezone: 'UTC' }).stop();
  } catch (e) {
    throw new Error(`${where}: ${(e as Error).message}`);
  }
  return v;
}

function validateSync(v: unknown): Settings['sync'] {
  const o = (v ?? {}) as Record<string, unknown>;
  if (typeof o !== 'object' || Array.isArray(o)) throw new Error('sync must be an object { schedule, mirrors, retries, backoffMs }');
  const count = (k: string, dflt: number) => {
    const x = o[k] ?? dflt;
    if (typeof x !== 'number' || !Number.isInteger(x) || x < 0) throw new Error(`sync.${k} must be a whole number`);
    return x;
  };
  if (o.mirrors !== undefined && (typeof o.mirrors !== 'string' || !o.mirrors)) throw new Error('sync.mirrors must be a directory');
  return {
    schedule: o.schedule === undefined || o.schedule === null ? null : validateCron(o.schedule, 'sync.schedule'),
    mirrors: (o.mirrors as string | undefined) ?? null,
    retries: count('retries', 3),
    backoffMs: count('backoffMs', 2000),
  };
}


/**
 * Settings from (lowest first) defaults, `config/relapse.json` or RELAPSE_CONFIG, environment variables,
 * then explicit overrides (CLI flags).
 */
export function loadSettings(overrides: Partial<Pick<Settings, 'db' | 'token'>> = {}, env = process.env): Settings {
  const file = env.RELAPSE_CONFIG ?? path.join(CONFIG_DIR, 'relapse.json');
  let fromFile: SettingsFile = {};
  if (fs.existsSync(file)) {
    try {
      fromFile = JSON.parse(fs.readFileSync(file, 'utf8')) as SettingsFile;
    } catch (e) {
      throw new Error(`config ${file}: ${(e as Error).message}`);
    }
  } else if (env.RELAPSE_CONFIG) {
    throw new Error(`config ${file}: no such file`);
  }
  const recipients = (fromFile.digest?.recipients ?? []).map((r) =>
    typeof r === 'string' ? { email: r, files: [] } : { email: r.email, files: r.files ?? [] },
  );
  const where = `config ${file}`;
  const checked = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      throw new Error(`${where}: ${(e as Error).message}`);
    }
  };
  const inboxes = fromFile.inboxes === undefined ? DEFAULT_INBOXES : checked(() => validateInboxes(fromFile.inboxes));
  const sync = checked(() => validateSync(fromFile.sync));
  if (env.RELAPSE_DIGEST_TO) for (const email of env.RELAPSE_DIGEST_TO.split(',')) recipients.push({ email: email.trim(), files: [] });
  return {
    db: overrides.db ?? env.RELAPSE_DB ?? fromFile.db ?? path.join('data', 'relapse.db'),
    token: overrides.token ?? env.RELAPSE_TOKEN ?? fromFile.token ?? null,
    smtpUrl: env.RELAPSE_SMTP_URL ?? fromFile.smtpUrl ?? null,
    digest: {
      from: fromFile.digest?.from ?? 'relapse <relapse@localhost>',
      recipients,
      schedule: fromFile.digest?.schedule ?? '0 8 * * 1',
      sendEmpty: fromFile.digest?.sendEmpty ?? false,
      list: fromFile.digest?.list ?? 'kexec',
    },
    rateLimit: { max: fromFile.rateLimit?.max ?? 300, timeWindow: fromFile.rateLimit?.timeWindow ?? '1 minute' },
    watchRulesFile: env.RELAPSE_WATCH_RULES ?? fromFile.watchRules ?? path.join(CONFIG_DIR, 'watch-rules.json'),
    declaredFixes: declaredFixesOf(file, fromFile.declaredFixes),
    trustProxy: trustProxy(env.RELAPSE_TRUST_PROXY ?? fromFile.trustProxy),
    limits: {
      maxMessageBytes: positive('RELAPSE_MAX_MESSAGE_BYTES', env.RELAPSE_MAX_MESSAGE_BYTES) ?? fromFile.limits?.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
      maxGzipRatio: positive('RELAPSE_MAX_GZIP_RATIO', env.RELAPSE_MAX_GZIP_RATIO) ?? fromFile.limits?.maxGzipRatio ?? 100,
    },
    inboxes,
    sync,
  };
}

let checkDeclaredFix: ValidateFunction<DeclareFixBody> | null = null;

/** config's declaredFixes, checked by the schema the API validates POST /api/fixes with; an error names the entry. */
function declaredFixesOf(file: string, raw: unknown): DeclaredFix[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw new Error(`config ${file}: declaredFixes must be an array`);
  checkDeclaredFix ??= new Ajv({ strict: false }).addSchema(FixKindSchema).compile<DeclareFixBody>(DeclareFixBodySchema);
  return raw.map((entry, i) => {
    if (!checkDeclaredFix!(entry)) {
      const e = checkDeclaredFix!.errors?.[0];
      throw new Error(`config ${file}: declaredFixes[${i}]${e?.instancePath.replace(/\//g, '.') ?? ''} ${e?.message ?? 'is not valid'}`);
    }
    const fix = declaredFixOf(entry);
    if ('field' in fix) throw new Error(`config ${file}: declaredFixes[${i}].${fix.field} ${fix.message}`);
    return { ...fix, introducedBy: fix.introducedBy?.trim().replace(/^<(.*)>$/s, '$1') ?? null };
  });
}
