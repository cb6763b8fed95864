import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isMaildir, listMaildir, maildirMessage, readMaildir } from '../../../ingest/archive/maildir-reader.ts';
import type { RawMessage } from '../../../ingest/core/model.ts';

const INBOX = join(import.meta.dirname, '../../fixtures/archives/walk/inbox');
const tmp = mkdtempSync(join(tmpdir(), 'relapse-maildir-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function all(gen: AsyncGenerator<RawMessage>) {
  const out: RawMessage[] = [];
  for await (const m of gen) out.push(m);
  return out;
}

describe('readMaildir', () => {
  it('reads cur/ then new/, skips tmp/, keeps bytes as they are', async () => {
    const msgs = await all(readMaildir(INBOX));
    const cur = join(INBOX, 'cur', '1269900000.M1P1.host:2,S');
    const nw = join(INBOX, 'new', '1269900001.M2P2.host');
    expect(msgs).toEqual([
      { bytes: readFileSync(cur), source: cur, offset: 0, separatorDate: null, format: 'maildir' },
      { bytes: readFileSync(nw), source: nw, offset: 0, separatorDate: null, format: 'maildir' },
    ]);
    expect(await isMaildir(INBOX)).toBe(true);
    expect(await isMaildir(join(INBOX, 'cur'))).toBe(false);
  });

  it('sorts names, skips hidden files, strips a leading From_ line, reports bytes', async () => {
    const dir = join(tmp, 'md');
    for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(dir, sub), { recursive: true });
    writeFileSync(join(dir, 'new', 'b'), 'From: b@x\n\nb\n');
    writeFileSync(join(dir, 'new', 'a'), 'From a@x Wed Mar 31 11:24:17 2010\nFrom: a@x\n\na\n');
    writeFileSync(join(dir, 'new', 'C'), 'From: C@x\n\nC\n');
    writeFileSync(join(dir, 'new', '.hidden'), 'From: hidden@x\n\n');
    writeFileSync(join(dir, 'tmp', '0'), 'From: partial@x\n\n');
    let bytes = 0;
    const msgs = await all(readMaildir(dir, { onBytes: (n) => (bytes += n) }));
    expect(msgs.map((m) => m.source)).toEqual(['C', 'a', 'b'].map((n) => join(dir, 'new', n)));
    expect(msgs[1]!.bytes.toString()).toBe('From: a@x\n\na\n');
    expect(msgs[1]!.separatorDate).toEqual(new Date('2010-03-31T11:24:17Z'));
    const listed = await listMaildir(dir);
    expect(bytes).toBe(listed.reduce((s, f) => s + f.size, 0));
    expect(bytes).toBe(13 + 47 + 13);
  });

  it('does not strip a first line that is not a strict From_ line', () => {
    const b = Buffer.from('From someone, hello\n\nbody\n');
    expect(maildirMessage('p', b).bytes).toEqual(b);
  });
});
