import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { authorOf, listAddresses, personKey, type SenderFields } from '../../../ingest/core/author.ts';
import { parseMessage } from '../../../ingest/mail/message-parse.ts';
import type { Message } from '../../../ingest/core/model.ts';

const MAIL = fileURLToPath(new URL('../../fixtures/mail/', import.meta.url));
const LIST_POST = '<mailto:kexec@lists.example.org>';
const LIST_ID = 'Kexec mailing list <kexec.lists.example.org>';

const fields = (p: Partial<SenderFields>): SenderFields => ({
  from: { name: '', email: '' }, replyTo: [], originalFrom: null, listPost: LIST_POST, listId: LIST_ID, ...p,
});

async function parsed(name: string): Promise<Message> {
  const r = await parseMessage({ bytes: readFileSync(MAIL + name), source: 'test', offset: 0, separatorDate: null, format: 'eml' });
  if (!('message' in r)) throw new Error(r.quarantine);
  return r.message;
}

describe('listAddresses', () => {
  it('reads the List-Post mailto and the address a List-Id names', () => {
    expect(listAddresses('<mailto:Foo@Lists.Example.org?subject=x>', '<bar.lists.example.org>')).toEqual(['foo@lists.example.org', 'bar@lists.example.org']);
    expect(listAddresses(undefined, 'kexec')).toEqual([]); // a bare name names no address
  });
});

describe('authorOf', () => {
  it('takes a plain From as it is', () => {
    const from = { name: 'Ada Bauer', email: 'ada@amd.example' };
    expect(authorOf(fields({ from, replyTo: [{ name: 'Someone', email: 's@x.example' }] }))).toEqual({ author: from, rewritten: false });
  });

  it('takes the author from Reply-To when the list rewrote From and the names match', () => {
    const r = authorOf(fields({ from: { name: 'Ada Bauer via Kexec', email: 'kexec@lists.example.org' }, replyTo: [{ name: 'ada  BAUER', email: 'Ada@AMD.example' }] }));
    expect(r).toEqual({ author: { name: 'ada  BAUER', email: 'ada@amd.example' }, rewritten: true });
  });

  it('prefers X-Original-From', () => {
    const r = authorOf(fields({
      from: { name: 'Ada Bauer via Kexec', email: 'kexec@lists.example.org' },
      replyTo: [{ name: 'Ada Bauer', email: 'ada@home.example' }], originalFrom: { name: 'Ada Bauer', email: 'ada@amd.example' },
    }));
    expect(r.author.email).toBe('ada@amd.example');
  });

  it('never takes a Reply-To that names somebody else, nor the list: the address is then unknown', () => {
    const from = { name: 'Ada Bauer via Kexec', email: 'kexec@lists.example.org' };
    expect(authorOf(fields({ from, replyTo: [{ name: 'Bob', email: 'bob@x.example' }] }))).toEqual({ author: { name: 'Ada Bauer', email: '' }, rewritten: true });
    expect(authorOf(fields({ from, replyTo: [{ name: 'Ada Bauer', email: 'kexec@lists.example.org' }] })).author.email).toBe('');
  });

  it('sees a list address kept with the person\'s own name as rewritten too', () => {
    const r = authorOf(fields({ from: { name: 'Ada Bauer', email: 'kexec@lists.example.org' }, replyTo: [{ name: 'Ada Bauer', email: 'ada@amd.example' }] }));
    expect(r).toEqual({ author: { name: 'Ada Bauer', email: 'ada@amd.example' }, rewritten: true });
  });

  it('does not take a "via" name for a rewrite when nothing names the person', () => {
    const from = { name: 'Ada via Mobile', email: 'ada@amd.example' };
    expect(authorOf(fields({ from, listPost: undefined, listId: undefined }))).toEqual({ author: from, rewritten: false });
  });

  it('groups a name-only author by name', () => {
    expect(personKey({ name: 'Ada  Bauer', email: '' })).toBe(personKey({ name: 'ada bauer', email: '' }));
    expect(personKey({ name: 'Ada', email: 'A@X' })).toBe('a@x');
  });
});

describe('rewritten senders, read from mail', () => {
  it('Reply-To', async () => {
    const m = await parsed('dmarc-reply-to.eml');
    expect(m.from).toEqual({ name: 'Ada Bauer', email: 'ada@amd.example' });
    expect(m.fromRewritten).toBe(true);
    expect(m.list).toBe('kexec');
  });

  it('X-Original-From with an encoded name, beside a Reply-To that is the list', async () => {
    const m = await parsed('dmarc-original-from.eml');
    expect(m.from).toEqual({ name: 'Jörg Rödl', email: 'jr@amd.example' });
    expect(m.fromRewritten).toBe(true);
  });

  it('no author named: the name, no address, never the list', async () => {
    const m = await parsed('dmarc-no-author.eml');
    expect(m.from).toEqual({ name: 'Carl Dunn', email: '' });
    expect(m.fromRewritten).toBe(true);
  });
});
