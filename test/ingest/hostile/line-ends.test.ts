// Issue 13 item 5: a file with CR-only line ends (old Mac) became one quarantined "empty message". Now its lone
// CRs are read as LF, byte for byte, whatever the file's chunking, and every message in it is stored.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { firstLineEnd, loneCrAsLf, loneCrAsLfStream } from '../../../ingest/archive/line-ends.ts';
import { count, ingest, mail, mbox, newDb, tmpDir } from './helpers.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function viaStream(chunks: Buffer[]): Promise<Buffer> {
  async function* gen() {
    for (const c of chunks) yield Buffer.from(c);
  }
  const out: Buffer[] = [];
  for await (const b of loneCrAsLfStream(gen())) out.push(b);
  return Buffer.concat(out);
}

describe('lone CR line ends', () => {
  it('the first line ending decides', () => {
    expect(firstLineEnd(Buffer.from('a\rb\r'), true)).toBe('cr');
    expect(firstLineEnd(Buffer.from('a\r\nb\r'), true)).toBe('other');
    expect(firstLineEnd(Buffer.from('a\nb\rc'), true)).toBe('other');
    expect(firstLineEnd(Buffer.from('abc\r'), false)).toBe(null); // LF may follow
    expect(loneCrAsLf(Buffer.from('a\rb\r\nc\r')).toString()).toBe('a\nb\r\nc\n');
    const crlf = Buffer.from('a\r\nb\rc');
    expect(loneCrAsLf(crlf)).toBe(crlf); // untouched, not even copied
  });

  it('a stream in chunks of any size reads the same as the whole, and keeps its length', async () => {
    const text = fc.array(fc.constantFrom('a', 'F', ' ', '\r', '\n', '\r\n'), { maxLength: 60 }).map((a) => a.join(''));
    await fc.assert(fc.asyncProperty(text, fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 20 }), async (s, sizes) => {
      const whole = Buffer.from(s, 'latin1');
      const chunks: Buffer[] = [];
      for (let at = 0, i = 0; at < whole.length; i++) {
        const n = sizes[i % sizes.length]!;
        chunks.push(whole.subarray(at, at + n));
        at += n;
      }
      const got = await viaStream(chunks);
      expect(got.length).toBe(whole.length);
      expect(got.toString('latin1')).toBe(loneCrAsLf(whole).toString('latin1'));
    }), { numRuns: 500 });
  });

  it('ingests every message of a CR-only mbox, a gzipped one, a CR-only .eml and a maildir file', async () => {
    const d = tmpDir();
    dirs.push(d);
    const cr = (s: string) => s.replace(/\n/g, '\r');
    const mb = cr(mbox([1, 2, 3].map((n) => mail(n))));
    expect(mb).not.toContain('\n');
    fs.writeFileSync(path.join(d, 'mac.mbox'), mb, 'latin1');
    fs.writeFileSync(path.join(d, 'mac2.mbox.gz'), zlib.gzipSync(Buffer.from(cr(mbox([4, 5].map((n) => mail(n)))), 'latin1')));
    fs.writeFileSync(path.join(d, 'one.eml'), cr(mail(6)));
    for (const sub of ['cur', 'new', 'tmp']) fs.mkdirSync(path.join(d, 'md', sub), { recursive: true });
    fs.writeFileSync(path.join(d, 'md', 'cur', '1.host:2,S'), cr(mail(7)));
    const db = newDb(d);
    const s = await ingest(db, [path.join(d, 'mac.mbox'), path.join(d, 'mac2.mbox.gz'), path.join(d, 'one.eml'), path.join(d, 'md')]);
    expect(s.quarantined).toBe(0);
    expect(s.new).toBe(7);
    for (let n = 1; n <= 7; n++) {
      expect(db.prepare('SELECT subject FROM messages WHERE message_id = ?').pluck().get(`hostile-${n}@example.org`)).toBe(`note ${n}`);
    }
    expect(count(db, "SELECT count(*) FROM message_bodies WHERE own_text LIKE '%body of note%'")).toBe(7);
    db.close();
  });
});
