// Issue 13 item 7: a second, different message with a Message-ID already stored was dropped as a duplicate
// without a trace. The first is kept; the second is quarantined with its reason and bytes. A real copy (another
// archive's headers, a list footer) is still a plain duplicate.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sameMessage } from '../../../ingest/core/same-message.ts';
import { count, ingest, mail, mbox, newDb, tmpDir } from './helpers.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('sameMessage', () => {
  const m = { fromEmail: 'dev1@example.org', date: '2010-03-02T10:00:00.000Z', title: 'kexec: fix  it' };
  it('a copy (other case, other spacing, a date missing on one side) is the same message', () => {
    expect(sameMessage(m, { ...m })).toBe(true);
    expect(sameMessage(m, { ...m, fromEmail: 'Dev1@Example.org', title: 'kexec: fix it' })).toBe(true);
    expect(sameMessage(m, { ...m, date: null })).toBe(true);
  });
  it('another sender, date or subject is another message', () => {
    expect(sameMessage(m, { ...m, fromEmail: 'mallory@example.org' })).toBe(false);
    expect(sameMessage(m, { ...m, date: '2010-03-02T11:00:00.000Z' })).toBe(false);
    expect(sameMessage(m, { ...m, title: 'something else' })).toBe(false);
  });
});

describe('a Message-ID reused by a different message', () => {
  it('keeps the first, quarantines the second with its reason and bytes, and a re-ingest changes nothing', async () => {
    const d = tmpDir();
    dirs.push(d);
    const first = mail(1, { subject: '[PATCH] the real one', body: 'real body' });
    const impostor = mail(1, { subject: 'something else entirely', body: 'impostor body' });
    const copy = 'X-Mailing-List: another list\n' + first + '\n-- \nlist footer\n';
    fs.writeFileSync(path.join(d, 'a.mbox'), mbox([first, mail(2)]));
    fs.writeFileSync(path.join(d, 'b.mbox'), mbox([impostor, copy, mail(3)]));
    const db = newDb(d);
    const s1 = await ingest(db, [path.join(d, 'a.mbox')]);
    const s2 = await ingest(db, [path.join(d, 'b.mbox')]);
    expect(s1.new).toBe(2);
    expect(s2).toMatchObject({ new: 1, duplicate: 1, quarantined: 1 });
    expect(db.prepare('SELECT subject FROM messages WHERE message_id = ?').pluck().get('hostile-1@example.org')).toBe('[PATCH] the real one');
    const q = db.prepare('SELECT reason, source, raw FROM quarantine').all() as { reason: string; source: string; raw: Buffer }[];
    expect(q).toHaveLength(1);
    expect(q[0]!.reason).toBe('Message-ID reused with different content');
    expect(q[0]!.source).toBe(path.join(d, 'b.mbox'));
    expect(q[0]!.raw.toString()).toBe(impostor);
    expect(count(db, "SELECT count(*) FROM events WHERE type = 'message.quarantined'")).toBe(1);
    // within one archive too, and idempotent: the same quarantined bytes are not quarantined twice
    fs.writeFileSync(path.join(d, 'c.mbox'), mbox([mail(4), mail(4, { subject: 'not 4' })]));
    const s3 = await ingest(db, [path.join(d, 'a.mbox'), path.join(d, 'b.mbox'), path.join(d, 'c.mbox')]);
    expect(s3).toMatchObject({ new: 1, quarantined: 1 });
    fs.utimesSync(path.join(d, 'b.mbox'), new Date(), new Date(Date.now() + 5000)); // changed: read again
    const s4 = await ingest(db, [path.join(d, 'b.mbox')]);
    expect(s4).toMatchObject({ new: 0, quarantined: 0, duplicate: 3 });
    expect(count(db, 'SELECT count(*) FROM quarantine')).toBe(2);
    db.close();
  });
});
