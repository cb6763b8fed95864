import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import iconv from 'iconv-lite';
import type { Message, RawMessage } from '../../../ingest/core/model.ts';
import { parseMessage } from '../../../ingest/mail/message-parse.ts';

const MAIL = fileURLToPath(new URL('../../fixtures/mail/', import.meta.url));
const CORPUS = fileURLToPath(new URL('../../fixtures/corpus/', import.meta.url));

function raw(bytes: Buffer, separatorDate: Date | null = null): RawMessage {
  return { bytes, source: 'test', offset: 0, separatorDate, format: 'eml' };
}

function fixture(name: string): Buffer {
  return readFileSync(MAIL + name);
}

async function parsed(name: string, separatorDate: Date | null = null): Promise<Message> {
  const r = await parseMessage(raw(fixture(name), separatorDate), {});
  if (!('message' in r)) throw new Error(`${name} was quarantined: ${r.quarantine}`);
  return r.message;
}

function lineTexts(m: Message): string[] {
  return m.diff.flatMap((f) => f.hunks.flatMap((h) => h.lines.map((l) => l.text)));
}

describe('parseMessage: transfer encodings and charsets', () => {
  it('decodes a base64 patch', async () => {
    const m = await parsed('base64.eml');
    expect(m.messageId).toBe('b64-2@sous.example');
    expect(m.kind).toBe('patch');
    expect(m.isPatch).toBe(true);
    expect(m.subject).toMatchObject({ tags: ['PATCH'], index: 1, total: 2, title: 'x86/amd-iommu: flush device table on init' });
    expect(m.diff).toHaveLength(1);
    expect(m.diff[0]).toMatchObject({ path: 'arch/x86/kernel/amd_iommu.c', additions: 2, deletions: 0 });
    expect(lineTexts(m)).toContain('\tamd_iommu_flush_all_domains();');
    expect(m.trailers).toEqual([{ name: 'Signed-off-by', value: 'Chris Wren <cwren@sous.example>' }]);
    expect(m.inReplyTo).toBe('b64-1@sous.example');
    expect(m.references).toEqual(['b64-1@sous.example']);
    expect(m.ownText.startsWith('Stale device table entries survive a kexec')).toBe(true);
    expect(m.ownText).not.toContain('diff --git');
    expect(m.diffText).not.toContain('1.6.3.1');
  });

  it('decodes quoted-printable: tabs, =3D, soft breaks, a UTF-8 name', async () => {
    const m = await parsed('quoted-printable.eml');
    expect(m.from).toEqual({ name: 'Jörg Rödl', email: 'jroedl@amd.example' });
    expect(m.trailers).toEqual([{ name: 'Signed-off-by', value: 'Jörg Rödl <jroedl@amd.example>' }]);
    expect(m.ownText).toContain('flushes at the end of initialization');
    expect(lineTexts(m)).toContain('\t\tswiotlb = 1;');
    expect(m.diff[0]).toMatchObject({ additions: 0, deletions: 2 });
    expect(m.diffText).not.toContain('1.6.1.1');
    expect(m.subject.version).toBe(2);
  });

  it('decodes an iso-8859-1 body', async () => {
    const m = await parsed('latin1.eml');
    expect(m.trailers).toEqual([{ name: 'Acked-by', value: 'Olaf Nyström <olaf@suse.example>' }]);
    expect(m.ownText).toContain('grüße');
    expect(m.kind).toBe('reply');
  });

  it('reads invalid UTF-8 under a us-ascii label as windows-1252', async () => {
    const m = await parsed('windows-1252-as-us-ascii.eml');
    expect(m.ownText).toContain('The \u201clow\u201d reservation works here \u2013 tested');
    expect(m.trailers).toEqual([{ name: 'Tested-by', value: 'René François <rf@bull.example>' }]);
    expect(m.ownText).not.toContain('\ufffd');
  });

  it('reads valid UTF-8 under a us-ascii label as UTF-8', async () => {
    const m = await parsed('utf8-as-us-ascii.eml');
    expect(m.trailers).toEqual([{ name: 'Acked-by', value: 'Jörg Rödl <jroedl@amd.example>' }]);
    expect(m.from.name).toBe('Jörg Rödl');
  });

  it('decodes RFC 2047 words, joining a character split across two words', async () => {
    const m = await parsed('rfc2047-subject.eml');
    expect(m.subject.raw).toBe('[PATCH] kdump: J\u00f6rg\u2019s \u201cfix\u201d for \u00fcmlauts');
    expect(m.subject.title).toBe('kdump: J\u00f6rg\u2019s \u201cfix\u201d for \u00fcmlauts');
    expect(m.from).toEqual({ name: 'Olaf Nyström', email: 'olaf@suse.example' });
    expect(m.isPatch).toBe(false);
    expect(m.kind).toBe('other');
  });

  it('decodes ISO-2022-JP (subject, sender name, body) through mailparser', async () => {
    const m = await parsed('iso-2022-jp.eml');
    expect(m.subject.title).toBe('makedumpfile: 修正 for 大きな メモリ');
    expect(m.from).toEqual({ name: '熊谷 敦', email: 'kumagai@nec.example' });
    expect(m.ownText.startsWith('大きなメモリで makedumpfile が失敗する問題を修正します。')).toBe(true);
    expect(m.trailers).toEqual([{ name: 'Signed-off-by', value: '熊谷 敦 <kumagai@nec.example>' }]);
    expect(m.isPatch).toBe(true);
    expect(m.diff[0]).toMatchObject({ path: 'makedumpfile.c', additions: 1, deletions: 1 });
  });

  it('keeps mailparser from reflowing a format=flowed ISO-2022-JP patch', async () => {
    const flowed = Buffer.from(
      fixture('iso-2022-jp.eml')
        .toString('latin1')
        .replace('charset=ISO-2022-JP', 'charset=ISO-2022-JP;\n format=flowed; delsp=yes')
        .replace('\n int a;\n', '\n int a; \n'),
      'latin1',
    );
    const r = await parseMessage(raw(flowed), {});
    if (!('message' in r)) throw new Error(r.quarantine);
    expect(r.message.flowedStripped).toBe(true);
    expect(r.message.subject.title).toBe('makedumpfile: 修正 for 大きな メモリ');
    expect(r.message.diff[0].hunks[0].lines).toEqual([
      { op: 'context', text: 'int a; ' },
      { op: 'del', text: 'int b;' },
      { op: 'add', text: 'long b;' },
    ]);
  });

  it('handles CRLF line endings throughout', async () => {
    const m = await parsed('crlf.eml');
    expect(m.messageId).toBe('crlf-1@redhat.example');
    expect(m.subject.title).toBe('kdump: fix build on 32-bit');
    expect(m.isPatch).toBe(true);
    expect(m.diff[0]).toMatchObject({ path: 'kernel/kexec.c', additions: 1, deletions: 1 });
    expect(m.trailers).toEqual([{ name: 'Signed-off-by', value: 'Vera Gold <vgold@redhat.example>' }]);
    expect(m.ownText).not.toContain('\r');
    expect(m.diffText).not.toContain('\r');
    expect(m.date).toBe('2010-04-05T14:00:00.000Z');
  });
});

describe('parseMessage: attachments and format=flowed', () => {
  it('finds the patch in a text/x-patch attachment, with its sign-off', async () => {
    const m = await parsed('multipart-x-patch.eml');
    expect(m.isPatch).toBe(true);
    expect(m.diff).toHaveLength(1);
    expect(m.diff[0]).toMatchObject({ path: 'arch/x86/kernel/amd_iommu_init.c', additions: 1 });
    expect(m.ownText).toBe('v2: rebased; patch attached because my mailer mangles tabs.');
    expect(m.trailers).toEqual([{ name: 'Signed-off-by', value: 'Neil Hart <nhart@tux.example>' }]);
    expect(m.diffText).not.toContain('1.6.4.3');
  });

  it('finds a plain diff in a base64 octet-stream attachment named *.diff, inside nested multiparts', async () => {
    const m = await parsed('multipart-diff-attachment.eml');
    expect(m.isPatch).toBe(true);
    expect(m.diff).toHaveLength(1);
    expect(m.diff[0]).toMatchObject({ path: 'kexec/kexec.c', additions: 1, deletions: 1 });
    expect(m.ownText).toContain('The range check is off by one');
    expect(m.ownText).not.toContain('<p>'); // the html alternative is not body text
    expect(m.trailers).toEqual([{ name: 'Signed-off-by', value: 'Hana Ito <hana@kexec.example>' }]);
  });

  it('does not reflow a format=flowed patch', async () => {
    const m = await parsed('flowed-patch.eml');
    expect(m.flowedStripped).toBe(true);
    expect(m.isPatch).toBe(true);
    expect(m.diff[0].hunks[0].lines).toEqual([
      { op: 'context', text: '\t"alpha ", ' },
      { op: 'context', text: '\t"beta ", ' },
      { op: 'add', text: '\t"gamma ", ' },
      { op: 'context', text: '};' },
    ]);
    expect(m.ownText.split('\n')[0]).toBe('The table lines end with a blank on purpose. ');
  });

  it('says flowedStripped false when there was nothing to strip', async () => {
    expect((await parsed('base64.eml')).flowedStripped).toBe(false);
  });
});

describe('parseMessage: headers', () => {
  it('undoes pipermail obfuscation in From, ids and trailers, and ignores quoted trailers', async () => {
    const m = await parsed('pipermail-obfuscated.eml');
    expect(m.from).toEqual({ name: 'Simon Horne', email: 'horne@verge.example' });
    expect(m.messageId).toBe('pm-2@verge.example');
    expect(m.inReplyTo).toBe('pm-1@verge.example');
    expect(m.references).toEqual(['pm-1@verge.example']);
    expect(m.trailers).toEqual([{ name: 'Acked-by', value: 'Simon Horne <horne@verge.example>' }]);
    expect(m.ownText).toBe('Acked-by: Simon Horne <horne at verge.example>');
    expect(m.kind).toBe('reply');
  });

  it('gives a message without Message-ID a synthetic id from the sha256 of its bytes', async () => {
    const bytes = fixture('no-message-id.eml');
    const m = await parsed('no-message-id.eml');
    const expected = `synthetic-${createHash('sha256').update(bytes).digest('hex').slice(0, 24)}@relapse.invalid`;
    expect(m.synthetic).toBe(true);
    expect(m.messageId).toBe(expected);
    expect(m.inReplyTo).toBe('prealloc-34@amd.example');
    const other = await parseMessage(raw(Buffer.concat([bytes, Buffer.from('\n')])), {});
    expect('message' in other && other.message.messageId).not.toBe(expected);
  });

  it('falls back to the separator date when the Date header cannot be read, else null', async () => {
    const sep = new Date('2010-06-01T08:00:00Z');
    expect((await parsed('bad-date.eml', sep)).date).toBe('2010-06-01T08:00:00.000Z');
    const m = await parsed('bad-date.eml');
    expect(m.date).toBeNull();
    expect(m.messageId).toBe('baddate-44@newco.example');
    expect(m.kind).toBe('other');
  });

  it('prefers the Date header to the separator date', async () => {
    expect((await parsed('base64.eml', new Date('2000-01-01T00:00:00Z'))).date).toBe('2009-06-11T10:00:39.000Z');
  });

  it('takes the list from opts, else from List-Id, else kexec', async () => {
    const bytes = fixture('cover-letter.eml');
    const fromHeader = await parseMessage(raw(bytes), {});
    const fromOpts = await parseMessage(raw(bytes), { list: 'linux-kernel' });
    expect('message' in fromHeader && fromHeader.message.list).toBe('kexec');
    expect('message' in fromOpts && fromOpts.message.list).toBe('linux-kernel');
    const other = Buffer.from(bytes.toString('utf8').replace('kexec.lists.infradead.org', 'linux-mm.kvack.org'));
    const r = await parseMessage(raw(other), {});
    expect('message' in r && r.message.list).toBe('linux-mm');
    expect((await parsed('base64.eml')).list).toBe('kexec');
  });

  it('drops an mbox From_ line left in place, and leading blank lines', async () => {
    const bytes = Buffer.concat([Buffer.from('From horne at verge.example  Tue Mar 23 16:46:25 2010\n'), fixture('pipermail-obfuscated.eml')]);
    const r = await parseMessage(raw(bytes), {});
    expect('message' in r && r.message.messageId).toBe('pm-2@verge.example');
    const r2 = await parseMessage(raw(Buffer.concat([Buffer.from('\r\n\n'), fixture('base64.eml')])), {});
    expect('message' in r2 && r2.message.messageId).toBe('b64-2@sous.example');
  });

  it('reads References in order, deduplicated, with In-Reply-To appended when missing', async () => {
    const mail = [
      'From: A <a@example.org>',
      'Subject: Re: x',
      'Message-ID: <self@example.org>',
      'In-Reply-To: <parent@example.org> (A\'s message of "Mon, 1 Jun 2009")',
      'References: <root@example.org>',
      '  <mid@example.org> <root@example.org>',
      '',
      'text',
    ].join('\n');
    const r = await parseMessage(raw(Buffer.from(mail)));
    if (!('message' in r)) throw new Error(r.quarantine);
    expect(r.message.inReplyTo).toBe('parent@example.org');
    expect(r.message.references).toEqual(['root@example.org', 'mid@example.org', 'parent@example.org']);
  });

  it('reads the address forms of From', async () => {
    const cases: [string, { name: string; email: string }][] = [
      ['"Bauer, Ada" <Ada.Bauer@AMD.example>', { name: 'Bauer, Ada', email: 'Ada.Bauer@AMD.example' }], // as written: compared letter case aside (core/address.ts)
      ['ada.bauer@amd.example (Ada Bauer)', { name: 'Ada Bauer', email: 'ada.bauer@amd.example' }],
      ['<ada.bauer@amd.example>', { name: '', email: 'ada.bauer@amd.example' }],
      ['ada.bauer@amd.example', { name: '', email: 'ada.bauer@amd.example' }],
      ['=?UTF-8?B?SsO2cmcgUsO2ZGw=?= <jroedl@amd.example>', { name: 'Jörg Rödl', email: 'jroedl@amd.example' }],
    ];
    for (const [from, want] of cases) {
      const r = await parseMessage(raw(Buffer.from(`From: ${from}\nSubject: s\nMessage-ID: <x@y>\n\nbody\n`)));
      expect('message' in r && r.message.from).toEqual(want);
    }
  });

  it('reads a b4 change-id from a cover letter', async () => {
    expect((await parsed('cover-letter.eml')).changeId).toBe('20090611-clean-slate-abc123');
    expect((await parsed('base64.eml')).changeId).toBeNull();
  });
});

describe('parseMessage: kinds', () => {
  it('a cover letter is never a patch', async () => {
    const m = await parsed('cover-letter.eml');
    expect(m.kind).toBe('cover');
    expect(m.isPatch).toBe(false);
    expect(m.ownText).toContain('After a kexec');
    expect(m.ownText).not.toContain('Chris Wren <cwren@sous.example>'); // the signature is cut
  });

  it('a pull request is kind pull even with a diff', async () => {
    const m = await parsed('git-pull.eml');
    expect(m.kind).toBe('pull');
    expect(m.isPatch).toBe(false);
    const plain = Buffer.from(fixture('git-pull.eml').toString('utf8').replace('[GIT PULL] ', ''));
    const r = await parseMessage(raw(plain), {});
    expect('message' in r && r.message.kind).toBe('pull'); // recognised from the body alone
  });

  it('a reply quoting a diff is a reply; its own text says applied; quoted trailers are ignored', async () => {
    const m = await parsed('reply-quoted-diff.eml');
    expect(m.kind).toBe('reply');
    expect(m.isPatch).toBe(false);
    expect(m.diff).toEqual([]);
    expect(m.diffText).toBe('');
    expect(m.saysApplied).toBe(true);
    expect(m.ownText).not.toContain('wrote:');
    expect(m.ownText.split('\n').filter((l) => l.startsWith('>'))).toEqual([]);
    expect(m.trailers).toEqual([{ name: 'Reviewed-by', value: 'Ada Bauer <ada.bauer@amd.example>' }]);
    expect(m.references).toEqual(['b64-1@sous.example', 'b64-2@sous.example']);
  });

  it('a reply with its own unquoted diff is a proposal: a patch for the call index, in no series (issue 15)', async () => {
    const m = await parsed('reply-own-diff.eml');
    expect(m.subject.isReply).toBe(true);
    expect(m.kind).toBe('proposal');
    expect(m.isPatch).toBe(true);
    expect(m.diff[0]).toMatchObject({ path: 'arch/x86/kernel/crash.c', additions: 1, deletions: 1 });
    expect(m.ownText).toBe('That hides real errors. How about this instead:');
    expect(m.saysApplied).toBe(false);
  });

  it('a rename-only git diff is a patch', async () => {
    const mail = [
      'From: A <a@example.org>',
      'Subject: [PATCH] iommu/amd: move to drivers/iommu',
      'Message-ID: <mv@example.org>',
      '',
      'Move it.',
      '---',
      'diff --git a/arch/x86/kernel/amd_iommu_init.c b/drivers/iommu/amd_iommu_init.c',
      'similarity index 100%',
      'rename from arch/x86/kernel/amd_iommu_init.c',
      'rename to drivers/iommu/amd_iommu_init.c',
      '',
    ].join('\n');
    const r = await parseMessage(raw(Buffer.from(mail)));
    expect('message' in r && r.message.isPatch).toBe(true);
    expect('message' in r && r.message.diff[0].status).toBe('renamed');
  });
});

describe('parseMessage: quarantine and robustness', () => {
  it('quarantines junk with no header block', async () => {
    const r = await parseMessage(raw(fixture('junk.eml')), {});
    expect(r).toHaveProperty('quarantine');
    expect('quarantine' in r && r.quarantine).toMatch(/header/);
  });

  it('quarantines empty input and text without header fields', async () => {
    for (const s of ['', '\n\n', 'just a line of text\nand another\n', 'Note: a text file, not a mail\n\nbody\n']) {
      const r = await parseMessage(raw(Buffer.from(s)), {});
      expect(r).toHaveProperty('quarantine');
    }
  });

  it('never throws, whatever the bytes', async () => {
    const seeds = ['base64.eml', 'multipart-diff-attachment.eml', 'quoted-printable.eml'].map(fixture);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 400 }),
          fc.tuple(fc.constantFrom(...seeds), fc.nat(), fc.nat(), fc.uint8Array({ maxLength: 40 })).map(([seed, a, b, junk]) => {
            // a fixture with a slice cut out and junk put in its place
            const i = a % seed.length;
            const j = Math.min(seed.length, i + (b % 200));
            return Buffer.concat([seed.subarray(0, i), Buffer.from(junk), seed.subarray(j)]);
          }),
        ),
        async (bytes) => {
          const r = await parseMessage(raw(Buffer.from(bytes)), {});
          expect('message' in r || 'quarantine' in r).toBe(true);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('survives deeply nested multiparts', async () => {
    let body = 'leaf text\n';
    for (let i = 0; i < 50; i++) body = `--b${i}\nContent-Type: multipart/mixed; boundary="b${i + 1}"\n\n${body}\n--b${i}--\n`;
    const mail = `From: a@b.c\nSubject: deep\nMessage-ID: <deep@b.c>\nContent-Type: multipart/mixed; boundary="b0"\n\n${body}`;
    const r = await parseMessage(raw(Buffer.from(mail)));
    expect('message' in r && r.message.messageId).toBe('deep@b.c');
  });
});

// ---- the sample corpus against its truth ---------------------------------------------------------------

interface Truth {
  patches: string[];
  notPatches: string[];
  noMessageId: { subject: string; from: string }[];
  quarantine: { why: string; near: string }[];
  badDate: string[];
  mislabeledCharset: { messageId: string; name: string }[];
  acceptedBy: Record<string, string>;
  duplicates: string[];
  counts: { mboxMessages: number; uniqueMessageIds: number };
}

/** Naive mboxrd split: separator lines start messages; `>From ` with one or more `>` loses one. */
function splitMboxrd(data: Buffer): Buffer[] {
  const text = data.toString('latin1'); // byte-preserving
  const out: Buffer[] = [];
  for (const chunk of text.split(/^From mboxrd@z .*\n/m).slice(1)) {
    out.push(Buffer.from(chunk.replace(/^>(>*From )/gm, '$1'), 'latin1'));
  }
  return out;
}

describe('parseMessage over the sample corpus', async () => {
  const truth: Truth = JSON.parse(readFileSync(CORPUS + 'truth.json', 'utf8'));
  const chunks = splitMboxrd(readFileSync(CORPUS + 'archive.mbox'));
  const results = await Promise.all(chunks.map((b) => parseMessage(raw(b), {})));
  const messages = results.flatMap((r) => ('message' in r ? [r.message] : []));
  const quarantined = results.flatMap((r) => ('quarantine' in r ? [r.quarantine] : []));
  const byId = new Map(messages.map((m) => [m.messageId, m]));
  const strip = (id: string) => id.replace(/^<|>$/g, '');

  it('splits into as many messages as the mbox has separators', () => {
    expect(chunks.length).toBe(truth.counts.mboxMessages);
  });

  it('quarantines exactly the junk, and finds every other message id', () => {
    expect(quarantined).toHaveLength(truth.quarantine.length);
    expect(messages).toHaveLength(chunks.length - truth.quarantine.length);
    // duplicates are parsed twice here (the store keeps one); the truth counts ids the mails carry
    expect(new Set(messages.filter((m) => !m.synthetic).map((m) => m.messageId)).size).toBe(truth.counts.uniqueMessageIds);
  });

  it('says isPatch for every patch and for no other message', () => {
    const missing = truth.patches.filter((id) => byId.get(strip(id))?.isPatch !== true);
    const wrong = truth.notPatches.filter((id) => byId.get(strip(id))?.isPatch !== false);
    expect(missing).toEqual([]);
    expect(wrong).toEqual([]);
    const patches = new Set(truth.patches.map(strip));
    const extra = messages.filter((m) => m.isPatch && !patches.has(m.messageId)).map((m) => m.messageId);
    expect(extra).toEqual([]);
  });

  it('gives the message without Message-ID a synthetic id', () => {
    for (const want of truth.noMessageId) {
      const m = messages.find((x) => x.subject.raw === want.subject && x.from.email === want.from);
      expect(m?.synthetic).toBe(true);
      expect(m?.messageId).toMatch(/^synthetic-[0-9a-f]{24}@relapse\.invalid$/);
    }
    expect(messages.filter((m) => m.synthetic)).toHaveLength(truth.noMessageId.length);
  });

  it('parses the bad-date message anyway', () => {
    for (const id of truth.badDate) {
      const m = byId.get(strip(id));
      expect(m).toBeDefined();
      expect(m?.date).toBeNull(); // the test split gives no separator date
    }
  });

  it('decodes the mislabelled-charset Acked-by as UTF-8', () => {
    for (const { messageId, name } of truth.mislabeledCharset) {
      const m = byId.get(strip(messageId));
      const acks = m?.trailers.filter((t) => t.name === 'Acked-by') ?? [];
      expect(acks.some((t) => t.value.includes(name))).toBe(true);
    }
  });

  it('says applied for exactly the acceptance replies', () => {
    const accepting = new Set(Object.values(truth.acceptedBy).map(strip));
    const missed = [...accepting].filter((id) => byId.get(id)?.saysApplied !== true);
    const extra = messages.filter((m) => m.saysApplied && !accepting.has(m.messageId)).map((m) => m.messageId);
    expect(missed).toEqual([]);
    expect(extra).toEqual([]);
  });

  it('gives every message a date, a sender and a subject except where the truth says otherwise', () => {
    const badDates = new Set(truth.badDate.map(strip));
    for (const m of messages) {
      if (!badDates.has(m.messageId)) expect(m.date, m.messageId).not.toBeNull();
      expect(m.from.email, m.messageId).toMatch(/^[^\s@]+@[^\s@]+$/);
      expect(m.subject.raw.length, m.messageId).toBeGreaterThan(0);
    }
  });
});

describe('parseMessage: smaller header and MIME cases', () => {
  it('treats an empty Message-ID as missing', async () => {
    const r = await parseMessage(raw(Buffer.from('From: a@b.c\nSubject: s\nMessage-ID: <>\n\nbody\n')));
    expect('message' in r && r.message.synthetic).toBe(true);
  });

  it('keeps an obsolete "From :" header line (it is not a From_ separator)', async () => {
    const r = await parseMessage(raw(Buffer.from('From : Ada Bauer <ada.bauer@amd.example>\nSubject: s\nMessage-ID: <obs@b.c>\n\nbody\n')));
    expect('message' in r && r.message.from).toEqual({ name: 'Ada Bauer', email: 'ada.bauer@amd.example' });
  });

  it('finds an attachment by an RFC 2231 encoded file name', async () => {
    const diff = 'diff --git a/x.c b/x.c\n--- a/x.c\n+++ b/x.c\n@@ -1 +1 @@\n-a\n+b\n';
    const mail = [
      'From: a@b.c',
      'Subject: [PATCH] x',
      'Message-ID: <rfc2231@b.c>',
      'Content-Type: multipart/mixed; boundary=XYZ',
      '',
      '--XYZ',
      'Content-Type: text/plain',
      '',
      'See attachment.',
      '--XYZ',
      'Content-Type: application/octet-stream',
      "Content-Disposition: attachment; filename*=utf-8''fix%2Ddma.patch",
      '',
      diff + '--XYZ--',
      '',
    ].join('\n');
    const r = await parseMessage(raw(Buffer.from(mail)));
    expect('message' in r && r.message.isPatch).toBe(true);
    expect('message' in r && r.message.diff[0].path).toBe('x.c');
  });

  it('sniffs the charset of every text part: a multipart part, a base64 body, raw 8-bit header bytes', async () => {
    const cp1252 = (t: string) => iconv.encode(t, 'windows-1252');
    const multipart = Buffer.concat([
      Buffer.from('From: a@b.c\nSubject: s\nMessage-ID: <mp@b.c>\nContent-Type: multipart/mixed; boundary=XYZ\n\n--XYZ\nContent-Type: text/plain; charset=us-ascii\n\n'),
      cp1252('The \u201clow\u201d one \u2013 Tested-by: Ren\u00e9 <r@b.c>\n'),
      Buffer.from('--XYZ--\n'),
    ]);
    const r1 = await parseMessage(raw(multipart));
    expect('message' in r1 && r1.message.ownText).toBe('The \u201clow\u201d one \u2013 Tested-by: Ren\u00e9 <r@b.c>');
    const base64 = Buffer.from(
      'From: a@b.c\nSubject: s\nMessage-ID: <b64@b.c>\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n' +
        cp1252('Tested-by: Ren\u00e9 <r@b.c>\n').toString('base64') + '\n',
    );
    const r2 = await parseMessage(raw(base64));
    expect('message' in r2 && r2.message.trailers).toEqual([{ name: 'Tested-by', value: 'Ren\u00e9 <r@b.c>' }]);
    const header = Buffer.concat([Buffer.from('From: '), cp1252('Ren\u00e9 Dupont'), Buffer.from(' <r@b.c>\nSubject: caf'), cp1252('\u00e9'), Buffer.from('\nMessage-ID: <h@b.c>\n\nbody\n')]);
    const r3 = await parseMessage(raw(header));
    expect('message' in r3 && r3.message.from).toEqual({ name: 'Ren\u00e9 Dupont', email: 'r@b.c' });
    expect('message' in r3 && r3.message.subject.raw).toBe('caf\u00e9');
  });

  it('takes an inline text/plain part named *.patch as the patch, not as body text', async () => {
    const mail = [
      'From: a@b.c',
      'Subject: [PATCH] x',
      'Message-ID: <inline@b.c>',
      'Content-Type: multipart/mixed; boundary=XYZ',
      '',
      '--XYZ',
      'Content-Type: text/plain',
      '',
      'See attached.',
      '--XYZ',
      'Content-Type: text/plain; name="fix.patch"',
      'Content-Disposition: inline; filename="fix.patch"',
      '',
      'Fix it.',
      '',
      'Signed-off-by: A <a@b.c>',
      '---',
      'diff --git a/x.c b/x.c\n--- a/x.c\n+++ b/x.c\n@@ -1 +1 @@\n-a\n+b',
      '--XYZ--',
      '',
    ].join('\n');
    const r = await parseMessage(raw(Buffer.from(mail)));
    if (!('message' in r)) throw new Error(r.quarantine);
    expect(r.message.isPatch).toBe(true);
    expect(r.message.ownText).toBe('See attached.');
    expect(r.message.trailers).toEqual([{ name: 'Signed-off-by', value: 'A <a@b.c>' }]);
  });

  it('skips a binary octet-stream attachment', async () => {
    const mail = [
      'From: a@b.c',
      'Subject: firmware dump',
      'Message-ID: <bin@b.c>',
      'Content-Type: multipart/mixed; boundary=XYZ',
      '',
      '--XYZ',
      'Content-Type: text/plain',
      '',
      'Dump attached.',
      '--XYZ',
      'Content-Type: application/octet-stream; name=dump.bin',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from([0, 1, 2, 3, 0x64, 0x69, 0x66, 0x66]).toString('base64'),
      '--XYZ--',
      '',
    ].join('\n');
    const r = await parseMessage(raw(Buffer.from(mail)));
    expect('message' in r && r.message.kind).toBe('other');
    expect('message' in r && r.message.ownText).toBe('Dump attached.');
  });
});
