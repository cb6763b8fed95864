// `relapse serve --sync`: a real server syncs a growing local public-inbox on a one-second schedule while a
// client polls the API; the new regression appears in the API, the Atom feed and /api/events without a restart,
// and no request fails meanwhile.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { serve, type Server } from '../../server/serve.ts';
import { readMbox } from '../../ingest/archive/mbox-reader.ts';
import { ARCHIVE, bare, truth } from '../helper.ts';
import { TestEpoch } from '../ingest/archive/inbox-repo.ts';

let server: Server | null = null;
const dirs: string[] = [];
const env = { config: process.env.RELAPSE_CONFIG, log: process.env.RELAPSE_LOG_LEVEL };
afterEach(async () => {
  await server?.close();
  server = null;
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  if (env.config === undefined) delete process.env.RELAPSE_CONFIG;
  else process.env.RELAPSE_CONFIG = env.config;
  if (env.log === undefined) delete process.env.RELAPSE_LOG_LEVEL;
  else process.env.RELAPSE_LOG_LEVEL = env.log;
});

async function messagesOf(file: string): Promise<{ id: string; bytes: Buffer }[]> {
  const out = [];
  for await (const raw of readMbox(fs.createReadStream(file), { source: file })) {
    const id = /^Message-ID:\s*<([^>]+)>/im.exec(raw.bytes.toString('latin1'))?.[1] ?? '';
    out.push({ id, bytes: raw.bytes });
  }
  return out;
}

type Reg = { id: number; removedBy: { messageId: string }[] };

describe('relapse serve --sync', () => {
  it('new mail appears in the API, the feed and the events within a sync; no request fails', async () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'relapse-serve-sync-'));
    dirs.push(d);
    // an open regression made by one patch: the inbox first holds everything but that patch
    const r = truth.regressions.find((x) => x.status === 'open' && x.removedBy.length === 1)!;
    const undo = bare(r.removedBy[0]);
    const all = await messagesOf(ARCHIVE);
    const held = all.filter((m) => m.id === undo);
    expect(held.length).toBe(1);
    const up = path.join(d, 'upstream', 'kexec');
    const epoch = new TestEpoch(path.join(up, 'git', '0.git'));
    epoch.addMany(all.filter((m) => m.id !== undo).map((m) => m.bytes));

    process.env.RELAPSE_CONFIG = path.join(d, 'relapse.json');
    process.env.RELAPSE_LOG_LEVEL = 'silent';
    fs.writeFileSync(process.env.RELAPSE_CONFIG, JSON.stringify({
      inboxes: [{ name: 'kexec', url: pathToFileURL(up).href, list: 'kexec' }],
      sync: { retries: 0 },
    }));
    server = await serve({ db: path.join(d, 'r.db'), host: '127.0.0.1', port: 0, schedule: false, sync: '* * * * * *', handleSignals: false });
    const base = server.url;
    expect(fs.existsSync(path.join(d, 'lore'))).toBe(false); // nothing before the first tick

    // a client polling all the while: every answer must be a 200
    const failures: string[] = [];
    let polls = 0;
    let polling = true;
    const poller = (async () => {
      while (polling) {
        for (const p of ['/api/health', '/api/regressions?limit=50', '/api/regressions.atom', '/api/events?type=regression.', '/api/messages?limit=5']) {
          const res = await fetch(base + p).catch((e: Error) => ({ status: 0, text: async () => e.message }));
          polls++;
          if (res.status !== 200) failures.push(`${p}: ${res.status} ${await res.text()}`);
        }
      }
    })();
    const until = async <T>(what: string, fn: () => Promise<T>, ok: (v: T) => boolean): Promise<T> => {
      const end = Date.now() + 60_000;
      for (;;) {
        const v = await fn();
        if (ok(v)) return v;
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await new Promise((res) => setTimeout(res, 100));
      }
    };
    const get = async <T>(p: string) => (await (await fetch(base + p)).json()) as T;
    const regressions = () => get<{ items: Reg[] }>('/api/regressions?limit=50');

    const h1 = await until('the first sync', () => get<{ messages: number; sync: { newMessages: number }[] }>('/api/health'), (h) => h.sync.length > 0);
    expect(h1.messages).toBe(truth.counts.uniqueMessageIds + truth.noMessageId.length - 1);
    expect(h1.sync[0]).toMatchObject({ inbox: 'kexec', lastError: null, failures: 0 });
    expect((await regressions()).items.some((x) => x.removedBy.some((m) => m.messageId === undo))).toBe(false);

    // the patch arrives upstream; the next tick brings it in
    epoch.add(held[0].bytes);
    const reg = await until('the regression', regressions, (p) => p.items.some((x) => x.removedBy.some((m) => m.messageId === undo)));
    const g = reg.items.find((x) => x.removedBy.some((m) => m.messageId === undo))!;
    expect(await (await fetch(`${base}/api/regressions.atom`)).text()).toContain(`/regressions/${g.id}`);
    const events = await get<{ items: { type: string; data: { removedBy?: string[] } }[] }>('/api/events?type=regression.opened&limit=500');
    expect(events.items.some((e) => JSON.stringify(e.data).includes(undo))).toBe(true);
    expect((await get<{ messages: number }>('/api/health')).messages).toBe(h1.messages + 1);

    polling = false;
    await poller;
    expect(failures).toEqual([]);
    expect(polls).toBeGreaterThan(10);
  }, 120_000);
});
