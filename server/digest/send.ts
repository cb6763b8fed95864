// Delivery of the weekly digest over SMTP (nodemailer), once per week and recipient.
// A delivery is claimed in digests_sent before it is attempted (one atomic statement, so two servers or a
// re-run cannot both send), confirmed with the Message-ID once the server took it, released if it failed.
// Failures are retried in-process with back-off, then recorded in digest_failures with the time of the next
// attempt (the schedule retries them), counted in /api/health (digest.failures; digestHealth() adds the latest
// error). The ledger's SQL is server/data/digests.ts; the policy (stale claims, back-off) is here.
import nodemailer, { type Transporter } from 'nodemailer';
import type { Db } from '../../ingest/store/db.ts';
import type { DigestRecipient, Settings } from '../../config/settings.ts';
import type { IsoWeek } from './iso-week.ts';
import { parseIsoWeek } from './iso-week.ts';
import { composeDigest, filterForRecipient, isEmptyDigest } from './compose.ts';
import { buildMessage } from './mime.ts';
import { gatherWeek } from '../data/digest-week.ts';
import { backingOff, claim, confirm, dueFailures, recordFailure, release, sentRecord } from '../data/digests.ts';
import type { WeekDigest } from '../data/digest-types.ts';

/** A claim older than this with no Message-ID is taken as a crashed sender's and may be taken over. */
export const STALE_CLAIM_MS = 15 * 60_000;
/** Persistent retries: delay before attempt n+1 is BASE * 2^(n-1), capped; none after MAX attempts. */
export const RETRY_BASE_MS = 60_000;
export const RETRY_CAP_MS = 6 * 3600_000;
export const RETRY_MAX_ATTEMPTS = 12;

export interface SendOptions {
  /** send even when the week was already sent to the recipient */
  force?: boolean;
  /** SMTP URL; defaults to settings.smtpUrl */
  smtpUrl?: string | null;
  /** a ready transport (tests); wins over smtpUrl */
  transport?: Transporter;
  /** in-process attempts per recipient (default 3) and the delays between them (default 1 s, 4 s) */
  attempts?: number;
  retryDelaysMs?: number[];
  /** persistent retry back-off base (default RETRY_BASE_MS) */
  retryBaseMs?: number;
  now?: () => Date;
  log?: (line: string) => void;
  /** the week's data, when the caller already gathered it */
  data?: WeekDigest;
}

export type DeliveryStatus = 'sent' | 'already-sent' | 'in-progress-elsewhere' | 'empty' | 'failed';

export interface DeliveryResult {
  recipient: string;
  status: DeliveryStatus;
  messageId?: string;
  error?: string;
  attempts?: number;
}

const normal = (email: string) => email.trim().toLowerCase();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The bare address of `Name <addr>` (or of a bare address). */
export function addressOf(s: string): string {
  const m = /<([^>]+)>\s*$/.exec(s);
  return (m ? m[1] : s).trim();
}

/** nodemailer SMTP options from smtp://user:pass@host:port (smtps:// for implicit TLS; query: requireTLS, ignoreTLS, tls.rejectUnauthorized). */
export function smtpOptionsFromUrl(url: string): Record<string, unknown> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`bad SMTP URL: ${url.replace(/\/\/[^@/]*@/, '//***@')}`);
  }
  if (u.protocol !== 'smtp:' && u.protocol !== 'smtps:') throw new Error(`SMTP URL must start with smtp:// or smtps:// (got ${u.protocol})`);
  const secure = u.protocol === 'smtps:';
  const o: Record<string, unknown> = {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : secure ? 465 : 587,
    secure,
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 30_000,
  };
  if (u.username) o.auth = { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) };
  const flag = (v: string) => v === '1' || v === 'true';
  for (const [k, v] of u.searchParams) {
    if (k === 'requireTLS' || k === 'ignoreTLS') o[k] = flag(v);
    else if (k === 'tls.rejectUnauthorized') o.tls = { rejectUnauthorized: flag(v) };
    else if (k === 'name') o.name = v;
  }
  return o;
}

export function createSmtpTransport(url: string): Transporter {
  return nodemailer.createTransport(smtpOptionsFromUrl(url));
}

export function retryDelayMs(attempts: number, base = RETRY_BASE_MS): number {
  return Math.min(RETRY_CAP_MS, base * 2 ** Math.max(0, attempts - 1));
}

// ---- delivery -----------------------------------------------------------------------------------

/**
 * Send week `week`'s digest to each recipient (narrowed to their file patterns) unless it was sent already.
 * Never throws for a delivery failure: the result says what happened to each recipient.
 */
export async function sendDigest(db: Db, settings: Settings, week: IsoWeek, recipients: DigestRecipient[], opts: SendOptions = {}): Promise<DeliveryResult[]> {
  const now = opts.now ?? (() => new Date());
  const log = opts.log ?? (() => {});
  const attempts = Math.max(1, opts.attempts ?? 3);
  const delays = opts.retryDelaysMs ?? [1000, 4000];
  const base = opts.retryBaseMs ?? RETRY_BASE_MS;
  const results: DeliveryResult[] = [];
  let data: WeekDigest | null = opts.data ?? null;
  let transport = opts.transport ?? null;
  const ownTransport = !transport;

  try {
    for (const r of recipients) {
      const email = normal(r.email);
      const sent = sentRecord(db, week.label, email);
      if (sent && !opts.force) {
        const fresh = sent.smtp_message_id || now().getTime() - new Date(sent.sent_at).getTime() < STALE_CLAIM_MS;
        if (fresh) {
          results.push({ recipient: email, status: sent.smtp_message_id ? 'already-sent' : 'in-progress-elsewhere', messageId: sent.smtp_message_id ?? undefined });
          log(`digest ${week.label} → ${email}: ${sent.smtp_message_id ? 'already sent' : 'being sent by another process'}`);
          continue;
        }
      }
      data ??= gatherWeek(db, week, settings.digest.list, settings.inboxes);
      const mine = filterForRecipient(data, { email: r.email, files: r.files ?? [] });
      if (isEmptyDigest(mine) && !settings.digest.sendEmpty) {
        results.push({ recipient: email, status: 'empty' });
        log(`digest ${week.label} → ${email}: nothing to say (sendEmpty is off)`);
        continue;
      }
      const at = now();
      const c = claim(db, week.label, email, at.toISOString(), new Date(at.getTime() - STALE_CLAIM_MS).toISOString(), !!opts.force);
      if (!c.ok) {
        results.push({ recipient: email, status: c.previous?.smtp_message_id ? 'already-sent' : 'in-progress-elsewhere' });
        continue;
      }
      let lastError = '';
      let tries = 0;
      let ok = false;
      let messageId = '';
      try {
        const msg = await buildMessage(composeDigest(mine), { from: settings.digest.from, to: [r.email], week: week.label, date: now() });
        messageId = msg.messageId;
        if (!transport) {
          const url = opts.smtpUrl ?? settings.smtpUrl;
          if (!url) throw new Error('no SMTP server configured (set RELAPSE_SMTP_URL or smtpUrl in the config file)');
          transport = createSmtpTransport(url);
        }
        for (tries = 1; tries <= attempts; tries++) {
          try {
            await transport.sendMail({ envelope: { from: addressOf(settings.digest.from), to: [addressOf(r.email)] }, raw: msg.raw });
            ok = true;
            break;
          } catch (e) {
            lastError = errorText(e);
            log(`digest ${week.label} → ${email}: attempt ${tries} failed: ${lastError}`);
            if (tries < attempts) await sleep(delays[Math.min(tries - 1, delays.length - 1)] ?? 1000);
          }
        }
        if (!ok) tries = attempts;
      } catch (e) {
        lastError = errorText(e);
        tries = Math.max(tries, 1);
      }
      if (ok) {
        confirm(db, week.label, email, now().toISOString(), messageId);
        results.push({ recipient: email, status: 'sent', messageId, attempts: tries });
        log(`digest ${week.label} → ${email}: sent ${messageId}`);
      } else {
        release(db, week.label, email, c.previous);
        const failedAt = now();
        const nextAttempt = (total: number) => total >= RETRY_MAX_ATTEMPTS ? null : new Date(failedAt.getTime() + retryDelayMs(total, base)).toISOString();
        const total = recordFailure(db, week.label, email, tries, lastError, failedAt.toISOString(), nextAttempt);
        results.push({ recipient: email, status: 'failed', error: lastError, attempts: total });
        log(`digest ${week.label} → ${email}: failed after ${total} attempt(s): ${lastError}`);
      }
    }
  } finally {
    if (ownTransport && transport) transport.close();
  }
  return results;
}

/** Retry failed deliveries whose time has come (called by the schedule). */
export async function retryFailures(db: Db, settings: Settings, opts: SendOptions = {}): Promise<DeliveryResult[]> {
  const now = (opts.now ?? (() => new Date()))();
  const out: DeliveryResult[] = [];
  for (const f of dueFailures(db, now)) {
    const configured = settings.digest.recipients.find((r) => normal(r.email) === f.recipient);
    const week = parseIsoWeek(f.week);
    // one attempt per due time: the back-off lives in digest_failures
    out.push(...(await sendDigest(db, settings, week, [configured ?? { email: f.recipient, files: [] }], { ...opts, attempts: 1 })));
  }
  return out;
}

function errorText(e: unknown): string {
  const err = e as { message?: string; code?: string; responseCode?: number; response?: string };
  const parts = [err?.code, err?.responseCode, err?.message ?? String(e)].filter((x) => x !== undefined && x !== '');
  return parts.join(' ').slice(0, 500) || 'unknown error';
}
