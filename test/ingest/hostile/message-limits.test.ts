// Issue 13 item 2: one 100 MB message killed the ingest (heap out of memory, nothing stored, every rerun the same),
// and a gzip bomb took gigabytes. Now a message over the size limit is yielded as its head and quarantined with its
// reason, source, offset and size; a gzip archive inflating past the ratio limit is reported and the ingest goes
// on. The hostile inputs are generated here, at a small limit (the default is 16 MiB).
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { readMbox } from '../../../ingest/archive/mbox-reader.ts';
import type { RawMessage } from '../../../ingest/core/model.ts';
import { count, ingest, mail, mbox, newDb, tmpDir } from './helpers.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function read(bytes: Buffer, sizes: number[], opts: { maxMessageBytes?: number; maxGzipRatio?: number } = {}) {
  async function* chunks() {
    for (let at = 0, i = 0; at < bytes.length; i++) {
      const n = sizes[i % sizes.length]!;
      yield bytes.subarray(at, at + n);
      at += n;
    }
  }
  const out: RawMessage[] = [];
  for await (const m of readMbox(chunks(), { source: 'x', ...opts })) out.push(m);
  return out;
}

const LIMIT = 20_000;
const big = (n: number, size: number) => mail(n, { body: ('From the start, a long line of text ' + n + '\n').repeat(Math.ceil(size / 37)) });

describe('the mbox reader under a message size limit', () => {
  it('yields an over-limit message as its head with its size, and every other message as without a limit', async () => {
    const archive = Buffer.from(mbox([mail(1), big(2, 300_000), mail(3), big(4, 50_000), mail(5)]));
    const free = await read(archive, [65536]);
    expect(free).toHaveLength(5);
    await fc.assert(fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 40_000 }), { minLength: 1, maxLength: 8 }), async (sizes) => {
      const got = await read(archive, sizes, { maxMessageBytes: LIMIT });
      expect(got.map((m) => m.offset)).toEqual(free.map((m) => m.offset));
      got.forEach((m, i) => {
        const whole = free[i]!.bytes;
        if (whole.length > LIMIT) {
          expect(m.overLimit).toEqual({ size: whole.length, limit: LIMIT });
          expect(m.bytes.length).toBe(LIMIT); // the head, not the body
          expect(whole.subarray(0, LIMIT).equals(m.bytes)).toBe(true);
        } else {
          expect(m.overLimit).toBeUndefined();
          expect(m.bytes.equals(whole)).toBe(true);
        }
      });
    }), { numRuns: 40 });
  });

  it('a single message (no mbox) over the limit, and an over-limit last message', async () => {
    const eml = Buffer.from(big(7, 100_000));
    const [one] = await read(eml, [4096], { maxMessageBytes: LIMIT });
    expect(one!.overLimit).toEqual({ size: eml.length, limit: LIMIT });
    expect(one!.format).toBe('eml');
    const last = Buffer.from(mbox([mail(1), big(2, 100_000)]));
    const got = await read(last, [1000], { maxMessageBytes: LIMIT });
    expect(got.map((m) => !!m.overLimit)).toEqual([false, true]);
  });

  it('a long line that starts with "From " is not held whole', async () => {
    const line = Buffer.from(mbox([mail(1, { body: 'x\n\nFrom ' + 'y'.repeat(200_000) }), mail(2)]));
    const got = await read(line, [3000], { maxMessageBytes: LIMIT });
    expect(got.map((m) => [!!m.overLimit, m.bytes.length <= LIMIT])).toEqual([[true, true], [false, true]]);
  });

  it('a gzip bomb stops with an error once it inflates past the ratio; what came before it is yielded', async () => {
    const bomb = zlib.gzipSync(Buffer.concat([Buffer.from(mbox([mail(1), mail(2)])), Buffer.from(mbox([mail(3, { body: '' })])), Buffer.alloc(30 << 20, 0x61)]));
    expect(bomb.length).toBeLessThan(100_000);
    const out: RawMessage[] = [];
    async function* one() {
      yield bomb;
    }
    const err = await (async () => {
      try {
        for await (const m of readMbox(one(), { source: 'x', maxMessageBytes: LIMIT, maxGzipRatio: 50, gzipRatioFloor: 1 << 20 })) out.push(m);
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err?.message).toMatch(/over 50 times its compressed size \(a gzip bomb\?\)/);
    expect(out.map((m) => !!m.overLimit)).toEqual([false, false, true]);
  });
});

describe('ingest with hostile sizes', () => {
  it('quarantines the over-limit message with reason, source, offset, size and head; stores the rest; a rerun adds nothing', async () => {
    const d = tmpDir();
    dirs.push(d);
    const file = path.join(d, 'a.mbox');
    const huge = big(2, 2_000_000);
    fs.writeFileSync(file, mbox([mail(1), huge, mail(3)]));
    for (const sub of ['cur', 'new', 'tmp']) fs.mkdirSync(path.join(d, 'md', sub), { recursive: true });
    fs.writeFileSync(path.join(d, 'md', 'cur', '1:2,S'), big(4, 500_000));
    fs.writeFileSync(path.join(d, 'md', 'cur', '2:2,S'), mail(5));
    const bomb = path.join(d, 'bomb.mbox.gz');
    fs.writeFileSync(bomb, zlib.gzipSync(Buffer.concat([Buffer.from(mbox([mail(6)])), Buffer.from('From mboxrd@z Thu Jan  1 00:00:00 1970\n' + mail(7, { body: '' })), Buffer.alloc(80 << 20, 0x62)])));
    fs.writeFileSync(path.join(d, 'z.mbox'), mbox([mail(8)]));
    const db = newDb(d);
    for (const workers of [0, 1]) {
      const s = await ingest(db, [file, path.join(d, 'md'), bomb, path.join(d, 'z.mbox')], { maxMessageBytes: 100_000, maxGzipRatio: 100, workers });
      if (workers === 0) {
        expect(s).toMatchObject({ new: 5, quarantined: 3 });
        expect(s.unreadable).toEqual([{ path: bomb, reason: expect.stringMatching(/gzip bomb/) }]);
      } else expect(s).toMatchObject({ new: 0, quarantined: 0 });
    }
    const q = db.prepare('SELECT reason, source, offset, size, raw FROM quarantine ORDER BY id').all() as { reason: string; source: string; offset: number; size: number; raw: Buffer }[];
    expect(q.map((x) => x.source)).toEqual([file, path.join(d, 'md', 'cur', '1:2,S'), bomb]);
    const whole = mbox([mail(1)]).length;
    expect(q[0]).toMatchObject({ offset: whole, size: Buffer.byteLength(huge), reason: `message of ${Buffer.byteLength(huge)} bytes is over the size limit of 100000 bytes; only its first 65536 bytes are kept` });
    expect(q[0]!.raw.length).toBe(65536);
    expect(q[0]!.raw.toString()).toContain('Message-ID: <hostile-2@example.org>');
    expect(q[1]!.size).toBe(fs.statSync(path.join(d, 'md', 'cur', '1:2,S')).size);
    expect(q[2]!.reason).toMatch(/^message of \d+ bytes is over the size limit/);
    for (const n of [1, 3, 5, 6, 8]) expect(count(db, 'SELECT count(*) FROM messages WHERE message_id = ?', `hostile-${n}@example.org`)).toBe(1);
    db.close();
  }, 60_000);
});
