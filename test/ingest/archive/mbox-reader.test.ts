import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  escapeMboxrd,
  formatMboxrd,
  formatMboxrdMessage,
  parseFromLine,
  readMbox,
  unescapeBody,
} from '../../../ingest/archive/mbox-reader.ts';
import type { MboxFormat } from '../../../ingest/archive/mbox-reader.ts';
import type { RawMessage } from '../../../ingest/core/model.ts';

const FIX = join(import.meta.dirname, '../../fixtures/archives');
const CORPUS = new URL('../../fixtures/corpus', import.meta.url).pathname;
const hasCorpus = existsSync(join(CORPUS, 'archive.mbox'));

async function* chunked(buf: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, Math.min(buf.length, i + size));
}

async function read(
  buf: Buffer,
  opts: { format?: MboxFormat | 'auto'; chunk?: number; startAt?: number } = {},
): Promise<RawMessage[]> {
  const out: RawMessage[] = [];
  const { chunk = 65536, ...rest } = opts;
  for await (const m of readMbox(chunked(buf, chunk), { source: 'test', ...rest })) out.push(m);
  return out;
}

const fixture = (name: string) => readFileSync(join(FIX, name));
const text = (m: RawMessage) => m.bytes.toString('utf8');

describe('parseFromLine', () => {
  it('accepts the separator forms in the wild', () => {
    expect(parseFromLine('From mboxrd@z Thu Jan  1 00:00:00 1970')).toEqual({ sender: 'mboxrd@z', date: null });
    expect(parseFromLine('From nhorman at tuxdriver.com  Wed Mar 31 11:24:17 2010')).toEqual({
      sender: 'nhorman at tuxdriver.com',
      date: new Date('2010-03-31T11:24:17Z'),
    });
    expect(parseFromLine('From user@host Mon Jan 01 00:00:00 2001')?.date).toEqual(new Date('2001-01-01T00:00:00Z'));
    expect(parseFromLine('From user@host Wed Mar 31 11:24:17 2010 +0200')?.date).toEqual(
      new Date('2010-03-31T09:24:17Z'),
    );
    expect(parseFromLine('From user@host Wed Mar 31 11:24:17 PDT 2010')?.date).toEqual(
      new Date('2010-03-31T11:24:17Z'),
    );
    expect(parseFromLine('From user@host Wed Mar 31 11:24 2010')?.date).toEqual(new Date('2010-03-31T11:24:00Z'));
    expect(parseFromLine('From user@host Wed, 31 Mar 2010 11:24:17 +0000')?.date).toEqual(
      new Date('2010-03-31T11:24:17Z'),
    );
    expect(parseFromLine('From user@host Wed Mar 31 11:24:17 2010\r')?.sender).toBe('user@host');
    // git format-patch's constant date is a placeholder, not a date
    expect(parseFromLine('From 75f66533bc883f761a7adcab3281fe3323efbc90 Mon Sep 17 00:00:00 2001')).toEqual({
      sender: '75f66533bc883f761a7adcab3281fe3323efbc90',
      date: null,
    });
  });

  it('rejects body lines that merely start with From', () => {
    for (const line of [
      'From this point on, things differ.',
      'From: header@example.org',
      'From the kexec side this was the point',
      'From user@host yesterday at noon',
      'From user@host Wed Mar 31 11:24:17 2010 and more words',
      ' From user@host Wed Mar 31 11:24:17 2010',
      'From user@host Wed Feb 31 11:24:17 2010'.replace('Feb 31', 'Foo 31'),
    ]) {
      expect(parseFromLine(line), line).toBeNull();
    }
    // a well-formed line with an impossible date is still a separator, without a date
    expect(parseFromLine('From user@host Wed Feb 31 11:24:17 2010')).toEqual({ sender: 'user@host', date: null });
  });
});

describe('readMbox: mboxrd', () => {
  it('splits only on strict separators and un-escapes /^>+From /', async () => {
    const msgs = await read(fixture('escapes.mboxrd'));
    expect(msgs.map((m) => m.format)).toEqual(['mboxrd', 'mboxrd', 'mboxrd']);
    expect(text(msgs[0]!)).toBe(
      'From: A <a@example.org>\nSubject: one\nMessage-ID: <one@example.org>\n\n' +
        'From this point on, nothing splits.\n\nFrom the kexec side: also not a separator.\n' +
        'From escaped once\n>From escaped twice\n>>From escaped thrice\n> From quoted, not escaped\n\n' +
        'From x@y Mon Jan  1 00:00:00 2001\n\n',
    );
    // a separator without a blank line before it still splits in mboxrd (the corpus has one); nothing is stripped
    expect(text(msgs[1]!)).toMatch(/Subject: two\n[\s\S]*\nlast line without blank after\n$/);
    expect(text(msgs[2]!)).toBe('From: C <c@example.org>\nSubject: three\nMessage-ID: <three@example.org>\n\nbye\n');
  });

  it('gives offsets of the From_ lines and null for the epoch placeholder date', async () => {
    const file = fixture('escapes.mboxrd');
    const msgs = await read(file);
    for (const m of msgs) {
      expect(file.toString('latin1', m.offset, m.offset + 38)).toBe('From mboxrd@z Thu Jan  1 00:00:00 1970');
      expect(m.separatorDate).toBeNull();
      expect(m.source).toBe('test');
    }
    expect(msgs[0]!.offset).toBe(0);
  });

  it('keeps CRLF and strips exactly one CRLF blank line', async () => {
    const msgs = await read(fixture('crlf.mboxrd'));
    expect(msgs.map(text)).toEqual([
      'From: A <a@example.org>\r\nSubject: crlf one\r\n\r\nFrom escaped\r\nbody\r\n',
      'From: B <b@example.org>\r\nSubject: crlf two\r\n\r\nbody two\r\n',
    ]);
  });

  it('reads gzip input by its magic bytes', async () => {
    const plain = fixture('escapes.mboxrd');
    const a = await read(plain);
    const b = await read(gzipSync(plain), { chunk: 5 });
    expect(b).toEqual(a);
    // and concatenated gzip members, as `cat a.gz b.gz` makes
    const c = await read(Buffer.concat([gzipSync(plain.subarray(0, 100)), gzipSync(plain.subarray(100))]));
    expect(c).toEqual(a);
  });

  it('fails on truncated gzip data', async () => {
    const gz = gzipSync(fixture('escapes.mboxrd'));
    await expect(read(gz.subarray(0, gz.length - 12))).rejects.toThrow(/gzip/);
  });

  it('yields a stream without a From_ line as one eml message', async () => {
    const file = fixture('single.eml');
    const msgs = await read(file, { chunk: 3 });
    expect(msgs).toEqual([{ bytes: file, source: 'test', offset: 0, separatorDate: null, format: 'eml' }]);
    expect(await read(Buffer.alloc(0))).toEqual([]);
  });

  it('skips messages before startAt', async () => {
    const file = fixture('escapes.mboxrd');
    const all = await read(file);
    expect(await read(file, { startAt: all[1]!.offset })).toEqual(all.slice(1));
    expect(await read(file, { startAt: all[1]!.offset + 1 })).toEqual(all.slice(2));
  });
});

describe('readMbox: mboxo and auto', () => {
  it('mboxo un-escapes only a single >', async () => {
    const msgs = await read(fixture('sample.mboxo'), { format: 'mboxo' });
    expect(msgs.map((m) => m.format)).toEqual(['mboxo', 'mboxo']);
    expect(text(msgs[0]!)).toBe(
      'From: A <a@example.org>\nSubject: mboxo one\n\nFrom escaped by the writer\n>>From written as is\nFrom this point on\n',
    );
    expect(msgs.map((m) => m.separatorDate)).toEqual([
      new Date('2001-01-01T00:00:00Z'),
      new Date('2001-01-02T10:00:00Z'),
    ]);
  });

  it('auto: mboxrd by default, mboxo for git format-patch files, pipermail for `at` addresses', async () => {
    expect((await read(fixture('sample.mboxo')))[0]!.format).toBe('mboxrd');
    const patch = Buffer.from(
      'From 75f66533bc883f761a7adcab3281fe3323efbc90 Mon Sep 17 00:00:00 2001\nFrom: C <c@x>\n\n>>From kept\n',
    );
    const [m] = await read(patch);
    expect(m!.format).toBe('mboxo');
    expect(text(m!)).toBe('From: C <c@x>\n\n>>From kept\n');
    expect((await read(fixture('pipermail-raw.txt')))[0]!.format).toBe('pipermail');
  });
});

describe('readMbox: pipermail', () => {
  it('reads a slice of the real March 2010 archive', async () => {
    const msgs = await read(fixture('pipermail-2010-Mar-slice.txt'));
    expect(msgs).toHaveLength(3);
    expect(msgs.map((m) => m.format)).toEqual(['pipermail', 'pipermail', 'pipermail']);
    expect(msgs.map((m) => m.separatorDate?.toISOString())).toEqual([
      '2010-03-23T16:46:25.000Z',
      '2010-03-24T11:18:43.000Z',
      '2010-03-28T16:29:26.000Z',
    ]);
    expect(text(msgs[0]!).startsWith('From: horne at verge.example (Simon Horne)\n')).toBe(true);
    expect(text(msgs[0]!).endsWith('-- \n1.6.2.3\n\n')).toBe(true);
    const gz = await read(fixture('pipermail-2010-Mar-slice.txt.gz'), { chunk: 1 });
    expect(gz).toEqual(msgs);
  });

  it('leaves bodies raw and needs a blank line before a separator', async () => {
    const msgs = await read(fixture('pipermail-raw.txt'));
    expect(msgs).toHaveLength(2);
    const body = text(msgs[0]!);
    expect(body).toContain('\n>From stays as it is\nFrom ravi at in.example  Wed Mar 24 11:18:43 2010\nthe line');
    expect(body.endsWith('From this point on, no split either.\n\n')).toBe(true);
  });

  it.skipIf(!hasCorpus)('reads the whole corpus pipermail file', async () => {
    const msgs = await read(readFileSync(join(CORPUS, 'pipermail-2010-Mar.txt.gz')));
    const truth = JSON.parse(readFileSync(join(CORPUS, 'truth.json'), 'utf8'));
    expect(msgs).toHaveLength(truth.counts.pipermailMessages);
    expect(msgs.every((m) => /^From: \S+ at \S+ /.test(text(m)))).toBe(true);
  });
});

describe('readMbox: chunking and offsets', () => {
  const files = [
    'escapes.mboxrd',
    'crlf.mboxrd',
    'sample.mboxo',
    'pipermail-raw.txt',
    'pipermail-2010-Mar-slice.txt',
    'pipermail-2010-Mar-slice.txt.gz',
    'single.eml',
  ];
  for (const name of files) {
    it(`${name}: 1-byte, 7-byte and 64KiB chunks give the same messages`, async () => {
      const file = fixture(name);
      const big = await read(file, { chunk: 65536 });
      expect(big.length).toBeGreaterThan(0);
      expect(await read(file, { chunk: 1 })).toEqual(big);
      expect(await read(file, { chunk: 7 })).toEqual(big);
    });
  }

  it.skipIf(!hasCorpus)('corpus mbox: 286 separators, same at any chunk size, offsets at From_ lines', async () => {
    const file = readFileSync(join(CORPUS, 'archive.mbox'));
    const big = await read(file);
    expect(big).toHaveLength(286);
    for (const m of big) {
      expect(file.toString('latin1', m.offset, m.offset + 5)).toBe('From ');
      expect(m.offset === 0 || file[m.offset - 1] === 0x0a).toBe(true);
      const eol = file.indexOf(0x0a, m.offset);
      expect(parseFromLine(file.toString('latin1', m.offset, eol))).not.toBeNull();
    }
    expect(await read(file, { chunk: 7 })).toEqual(big);
    expect(await read(file, { chunk: 1 })).toEqual(big);
    // the junk message without a blank line after it is its own message
    expect(big.some((m) => text(m).includes('binary junk') && !text(m).includes('Message-ID'))).toBe(true);
  });

  it('yields before the input ends and keeps memory flat on a long stream', async () => {
    const msg = Buffer.from(
      'From mboxrd@z Thu Jan  1 00:00:00 1970\nFrom: a@b\nSubject: s\n\n' + 'x'.repeat(2000) + '\n\n',
    );
    const chunk = Buffer.concat(Array.from({ length: 32 }, () => msg)); // ~64 KiB, reused: the source holds nothing
    const total = 200 * 1024 * 1024;
    let fed = 0;
    async function* source() {
      while (fed < total) {
        fed += chunk.length;
        yield chunk;
      }
    }
    const rss0 = process.memoryUsage().rss;
    let n = 0;
    let fedAtFirst = -1;
    let maxRss = rss0;
    for await (const m of readMbox(source(), { source: 'big' })) {
      if (n === 0) fedAtFirst = fed;
      if (++n % 4096 === 0) maxRss = Math.max(maxRss, process.memoryUsage().rss);
      expect(m.bytes.length).toBe(msg.length - 40);
    }
    expect(n).toBe((fed / chunk.length) * 32);
    expect(fedAtFirst).toBe(chunk.length);
    expect(maxRss - rss0).toBeLessThan(120 * 1024 * 1024);
  }, 30_000);
});

describe('writer', () => {
  it('escapes /^>*From / lines, strings and bytes alike', () => {
    const body = 'From a\n>From b\n>>From c\n> From d\nx From e\r\nFrom f\rFrom g';
    const want = '>From a\n>>From b\n>>>From c\n> From d\nx From e\r\n>From f\rFrom g';
    expect(escapeMboxrd(body)).toBe(want);
    expect(escapeMboxrd(Buffer.from(body)).toString()).toBe(want);
    expect(unescapeBody(Buffer.from(want), 'mboxrd').toString()).toBe(body);
  });

  it('formats lore-style mboxrd, CRLF bodies with a CRLF blank line', () => {
    expect(formatMboxrdMessage('a\n').toString()).toBe('From mboxrd@z Thu Jan  1 00:00:00 1970\na\n\n');
    expect(formatMboxrdMessage({ bytes: 'a\r\n', separatorDate: new Date('2010-03-31T11:24:17Z') }).toString()).toBe(
      'From mboxrd@z Wed Mar 31 11:24:17 2010\r\na\r\n\r\n',
    );
  });

  it('adds the missing final newline (the only loss)', async () => {
    const [m] = await read(formatMboxrd(['no newline']));
    expect(text(m!)).toBe('no newline\n');
  });

  const line = fc.oneof(
    fc.constantFrom(
      'From ',
      'From x',
      '>From x',
      '>>From x',
      '>>>From ',
      'From mboxrd@z Thu Jan  1 00:00:00 1970',
      'From user@host Mon Jan 01 00:00:00 2001',
      '>From user at host  Wed Mar 31 11:24:17 2010',
      '',
      ' ',
      '\r',
      'Subject: x',
    ),
    fc.string({ maxLength: 12 }),
  );
  const body = (eol: string) =>
    fc.array(line, { maxLength: 12 }).map((lines) => (lines.length ? lines.join(eol) + eol : ''));

  it('round-trips arbitrary bodies through formatMboxrd -> readMbox (LF and CRLF, any chunking)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(body('\n'), body('\r\n')), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 64 }),
        async (bodies, chunk) => {
          const file = formatMboxrd(bodies);
          const got = await read(file, { chunk });
          expect(got.map(text)).toEqual(bodies);
          expect(got.every((m) => m.format === 'mboxrd')).toBe(true);
          for (const m of got) expect(file.toString('latin1', m.offset, m.offset + 5)).toBe('From ');
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('readMbox: shapes other readers read (test/fixtures/shapes)', () => {
  const SHAPES = join(import.meta.dirname, '../../fixtures/shapes');
  const shape = (name: string) => readFileSync(join(SHAPES, name));
  const firstLines = (msgs: RawMessage[]) => msgs.map((m) => text(m).split('\n')[0]);

  it('reads an mbox that starts with blank and whitespace-only lines', async () => {
    const file = shape('leading-blank-lines.mbox');
    for (const chunk of [1, 3, 65536]) {
      const msgs = await read(file, { chunk });
      expect(firstLines(msgs)).toEqual(['From: Mira Kovac <mira@dump.example>', 'From: Tomas Berg <tomas@dump.example>']);
      expect(msgs.map((m) => m.offset)).toEqual([8, file.indexOf('\nFrom nobody', 10) + 1]);
      expect(msgs.map((m) => m.format)).toEqual(['mboxrd', 'mboxrd']);
      expect(text(msgs[0]!).endsWith(' int y;\n')).toBe(true); // the blank separator line is not the message's
      expect(text(msgs[1]!).endsWith('Reviewed-by: Tomas Berg <tomas@dump.example>\n')).toBe(true);
    }
  });

  it('splits a format-patch (mboxo) file whose From_ lines follow the previous message without a blank line', async () => {
    const file = shape('from-without-blank-line.mbox');
    const msgs = await read(file, { chunk: 7 });
    expect(msgs.map((m) => m.format)).toEqual(['mboxo', 'mboxo']);
    expect(msgs.map((m) => /^Subject: (.*)$/m.exec(text(m))?.[1])).toEqual([
      '[PATCH 1/2] kexec: check the segment count',
      '[PATCH 2/2] kexec: say which segment is too big',
    ]);
    // nothing is taken off the end of the first: its last line is its own
    expect(text(msgs[0]!).endsWith('-- \n2.25.0\n')).toBe(true);
    expect(text(msgs[1]!).endsWith('-- \n2.25.0\n')).toBe(true);
  });

  it('still needs the blank line in pipermail, whose bodies are raw', async () => {
    const mbox = 'From a at b.example  Wed Mar 31 11:24:17 2010\nSubject: one\n\nquoting:\nFrom c at d.example  Wed Mar 31 11:24:17 2010\n';
    expect(await read(Buffer.from(mbox))).toHaveLength(1);
  });

  it('a single mail after blank lines: one eml message from its first line, however it is chunked', async () => {
    const mail = Buffer.from('\n \r\n\t\nFrom: a@b.example\nSubject: x\n\nbody\n');
    for (const chunk of [1, 2, 65536]) {
      expect((await read(mail, { chunk })).map((m) => [m.format, m.offset, text(m)])).toEqual([['eml', 6, 'From: a@b.example\nSubject: x\n\nbody\n']]);
    }
  });

  it('yields nothing for a file of blank and whitespace-only lines, however it is chunked', async () => {
    const file = shape('blank-only.mbox');
    expect(await read(file, { chunk: 1 })).toEqual([]);
    expect(await read(file)).toEqual([]);
  });

  // a correct mboxo writer: `From ` lines of a body get one `>`; the blank line after each message
  const formatMboxo = (bodies: string[], from: string) =>
    Buffer.from(bodies.map((b) => `${from}\n${b.replace(/(^|\n)From /g, '$1>From ')}${b && !b.endsWith('\n') ? '\n' : ''}\n`).join(''), 'utf8');
  const bodyLine = fc.oneof(
    fc.constantFrom('From ', 'From x', '>From x', '>>From x', 'From mboxrd@z Thu Jan  1 00:00:00 1970', 'From a@b Wed Mar 31 11:24:17 2010', '', ' ', 'Subject: x'),
    fc.string({ maxLength: 12 }),
  );
  const bodies = fc.array(
    fc.tuple(fc.array(bodyLine, { maxLength: 10 }), fc.constantFrom('\n', '\r\n')).map(([lines, eol]) => (lines.length ? lines.join(eol) + eol : '')),
    { minLength: 1, maxLength: 5 },
  );
  const leading = fc.array(fc.constantFrom('\n', '\r\n', ' \n', '\t\n', ' \t \r\n'), { maxLength: 6 }).map((l) => l.join(''));

  it('reads back what an mboxrd or mboxo writer wrote, after any number of leading blank lines', async () => {
    await fc.assert(
      fc.asyncProperty(
        bodies,
        leading,
        fc.constantFrom('mboxrd', 'mboxo'),
        fc.constantFrom('From mboxrd@z Thu Jan  1 00:00:00 1970', 'From MAILER-DAEMON Wed Mar 31 11:24:17 2010', 'From a@b.example Fri, 04 Dec 2026 19:00:00 +0000'),
        fc.integer({ min: 1, max: 64 }),
        async (sent, lead, writer, from, chunk) => {
          // mboxo cannot carry a body line that starts `>From ` (its readers take one `>` off): not for that writer
          const msgs = writer === 'mboxo' ? sent.map((b) => b.replace(/(^|\n)>+From /g, '$1From ')) : sent;
          const file = Buffer.concat([
            Buffer.from(lead, 'latin1'),
            writer === 'mboxrd' ? formatMboxrd(msgs.map((bytes) => ({ bytes, sender: from.split(' ')[1], separatorDate: new Date(Date.UTC(2010, 2, 31)) }))) : formatMboxo(msgs, from),
          ]);
          const got = await read(file, { chunk });
          expect(got.map(text)).toEqual(msgs);
          for (const m of got) expect(file.toString('latin1', m.offset, m.offset + 5)).toBe('From ');
        },
      ),
      { numRuns: 300 },
    );
  });
});
