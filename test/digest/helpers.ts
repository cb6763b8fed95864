// Shared by the digest tests: a database made by ingesting the sample corpus, an SMTP server on 127.0.0.1,
// settings for the digest.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import { openDb, type Db } from '../../ingest/store/db.ts';
import { ingestPaths } from '../../ingest/run/pipeline.ts';
import { readWatchRulesData } from '../../config/watch-rules.ts';
import { DEFAULT_INBOXES, type Settings } from '../../config/settings.ts';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
export const CORPUS_DIR = path.join(ROOT, 'test', 'fixtures', 'corpus');
export const SHARED_CORPUS = '/work/shared/corpus';

/** test/fixtures/corpus, copied from the shared corpus when missing. */
export function corpusDir(): string {
  if (!fs.existsSync(path.join(CORPUS_DIR, 'archive.mbox')) || !fs.existsSync(path.join(CORPUS_DIR, 'truth.json'))) {
    fs.mkdirSync(CORPUS_DIR, { recursive: true });
    for (const f of fs.readdirSync(SHARED_CORPUS)) {
      const src = path.join(SHARED_CORPUS, f);
      if (fs.statSync(src).isFile() && !fs.existsSync(path.join(CORPUS_DIR, f))) fs.copyFileSync(src, path.join(CORPUS_DIR, f));
    }
  }
  return CORPUS_DIR;
}

export interface Truth {
  regressions: { key: string; fix: string; fixMessage: string; removedBy: string[]; status: string; resolvedBy?: string; resolution?: string }[];
  knownFixes: { key: string; file: string; function: string | null; path: string | null; call: string; introducedBy: string; movedTo?: string }[];
}

export const loadTruth = (): Truth => JSON.parse(fs.readFileSync(path.join(corpusDir(), 'truth.json'), 'utf8')) as Truth;
export const bare = (id: string) => id.replace(/^<|>$/g, '');

export function tmpDir(prefix = 'relapse-digest-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A fresh database file holding the sample corpus. */
export async function corpusDb(): Promise<{ db: Db; file: string; dir: string }> {
  const dir = tmpDir();
  const file = path.join(dir, 'relapse.db');
  const db = openDb(file);
  await ingestPaths(db, [path.join(corpusDir(), 'archive.mbox')], { rulesData: readWatchRulesData(), workers: 0 });
  return { db, file, dir };
}

export function testSettings(over: Partial<Settings['digest']> = {}, smtpUrl: string | null = null, db = ':memory:'): Settings {
  return {
    db,
    token: null,
    smtpUrl,
    digest: { from: 'relapse <relapse@test.example>', recipients: [], schedule: '0 8 * * 1', sendEmpty: false, list: 'kexec', ...over },
    rateLimit: { max: 1000, timeWindow: '1 minute' },
    watchRulesFile: '',
    declaredFixes: [],
    inboxes: DEFAULT_INBOXES,
    sync: { schedule: null, mirrors: null, retries: 3, backoffMs: 2000 },
  };
}

export interface Delivered {
  from: string;
  to: string[];
  raw: Buffer;
}

export interface TestSmtp {
  url: string;
  port: number;
  delivered: Delivered[];
  rcptAttempts: number;
  close(): Promise<void>;
  parsed(i: number): Promise<ParsedMail>;
}

/**
 * An SMTP server on 127.0.0.1 (port 0) that keeps what it is given. `refuse` rejects every recipient
 * (a 550); `refuseFirst` rejects the first n RCPT TO and accepts after. Requires AUTH (user/pass) when `auth`.
 */
export async function startSmtp(o: { refuse?: boolean; refuseFirst?: number; auth?: { user: string; pass: string } } = {}): Promise<TestSmtp> {
  const delivered: Delivered[] = [];
  const state = { rcpt: 0 };
  const server = new SMTPServer({
    disabledCommands: o.auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    authOptional: !o.auth,
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, cb) {
      if (o.auth && auth.username === o.auth.user && auth.password === o.auth.pass) cb(null, { user: auth.username });
      else cb(new Error('Invalid username or password'));
    },
    onRcptTo(address, _session, cb) {
      state.rcpt++;
      if (o.refuse || (o.refuseFirst !== undefined && state.rcpt <= o.refuseFirst)) {
        const err = new Error(`mailbox ${address.address} unavailable`) as Error & { responseCode: number };
        err.responseCode = 550;
        return cb(err);
      }
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        delivered.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks),
        });
        cb();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;
  const cred = o.auth ? `${encodeURIComponent(o.auth.user)}:${encodeURIComponent(o.auth.pass)}@` : '';
  return {
    url: `smtp://${cred}127.0.0.1:${port}`,
    port,
    delivered,
    get rcptAttempts() {
      return state.rcpt;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    parsed: (i: number) => simpleParser(delivered[i].raw),
  };
}

/** A port nothing listens on (bound then released). */
export async function closedPort(): Promise<number> {
  const net = await import('node:net');
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** The message bytes without the Date and Message-ID headers (for determinism checks). */
export function withoutVolatileHeaders(raw: Buffer): string {
  const text = raw.toString('latin1');
  const cut = text.indexOf('\r\n\r\n');
  const head = text.slice(0, cut).replace(/\r\n[ \t]+/g, ' ');
  const kept = head.split('\r\n').filter((l) => !/^(date|message-id):/i.test(l));
  return kept.join('\r\n') + text.slice(cut);
}
