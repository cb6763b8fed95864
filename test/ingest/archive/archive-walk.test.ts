import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import {
  describeSource,
  looksLikeArchive,
  openArchiveFile,
  walkArchives,
} from '../../../ingest/archive/archive-walk.ts';
import type { Archive } from '../../../ingest/archive/archive-walk.ts';
import { formatMboxrd } from '../../../ingest/archive/mbox-reader.ts';
import type { RawMessage } from '../../../ingest/core/model.ts';

const ARCH = join(import.meta.dirname, '../../fixtures/archives');
const WALK = join(ARCH, 'walk');
const tmp = mkdtempSync(join(tmpdir(), 'relapse-walk-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A message with its bytes summarised: deep equality on multi-MB Buffers is slow in vitest. */
function summary(m: RawMessage) {
  return { ...m, bytes: createHash('sha256').update(m.bytes).digest('hex') + `:${m.bytes.length}` };
}

async function drain(a: Archive): Promise<RawMessage[]> {
  const out: RawMessage[] = [];
  for await (const m of a.messages) out.push(m);
  return out;
}

async function walkAll(paths: string[], opts: Parameters<typeof walkArchives>[1] = {}) {
  const out: { archive: Archive; msgs: RawMessage[]; bytesAfter: number }[] = [];
  for await (const a of walkArchives(paths, opts)) {
    const msgs = await drain(a);
    out.push({ archive: a, msgs, bytesAfter: a.bytesRead() });
  }
  return out;
}

describe('walkArchives', () => {
  it('walks a directory mixing mbox, gzip, eml, maildir and pipermail, in sorted order', async () => {
    const skipped: string[] = [];
    const got = await walkAll([WALK], { onSkip: (p) => skipped.push(p) });
    expect(got.map((g) => [g.archive.source, g.archive.kind, g.archive.compressed])).toEqual([
      [join(WALK, 'a.mbox'), 'file', false],
      [join(WALK, 'b.mbox.gz'), 'file', true],
      [join(WALK, 'c.eml'), 'file', false],
      [join(WALK, 'inbox'), 'maildir', false],
      [join(WALK, 'sub', '2010-March.txt'), 'file', false],
    ]);
    expect(got.map((g) => g.msgs.map((m) => m.format))).toEqual([
      ['mboxrd', 'mboxrd'],
      ['mboxrd', 'mboxrd'],
      ['eml'],
      ['maildir', 'maildir'],
      ['pipermail', 'pipermail', 'pipermail'],
    ]);
    expect(skipped.sort()).toEqual([join(WALK, 'data.json'), join(WALK, 'notes.md')]);
    // progress by bytes: everything read at the end, compressed bytes for the .gz
    for (const g of got) {
      expect(g.bytesAfter).toBe(g.archive.size);
      if (g.archive.kind === 'file') expect(g.archive.size).toBe(statSync(g.archive.source).size);
    }
    // file messages carry their file as source
    expect(got[1]!.msgs.every((m) => m.source === join(WALK, 'b.mbox.gz'))).toBe(true);
    expect(got[1]!.msgs[0]!.bytes.toString()).toContain('\r\n');
  });

  it('reads a file named explicitly even when it does not look like mail', async () => {
    const [g] = await walkAll([join(WALK, 'notes.md')]);
    expect(g!.msgs.map((m) => m.format)).toEqual(['eml']);
  });

  it('fails before yielding anything when a path cannot be read, naming it', async () => {
    const missing = join(tmp, 'no-such-archive.mbox');
    const it1 = walkArchives([join(WALK, 'a.mbox'), missing]);
    await expect(it1.next()).rejects.toThrow(`cannot read archive '${missing}': no such file or directory`);
    const throughFile = join(WALK, 'a.mbox', 'x');
    await expect(walkAll([throughFile])).rejects.toThrow(throughFile);
    await expect(walkAll(['-', '-'], { stdin: (async function* () {})() })).rejects.toThrow(/only once/);
  });

  it('names the file when its data is broken', async () => {
    const bad = join(tmp, 'broken.mbox.gz');
    const gz = gzipSync(readFileSync(join(WALK, 'a.mbox')));
    writeFileSync(bad, gz.subarray(0, gz.length - 20));
    await expect(walkAll([bad])).rejects.toThrow(new RegExp(`'${bad.replace(/[.]/g, '\\.')}'.*gzip`));
  });

  it('reads stdin, gzipped or not', async () => {
    const file = readFileSync(join(ARCH, 'escapes.mboxrd'));
    for (const bytes of [file, gzipSync(file)]) {
      async function* stdin() {
        for (let i = 0; i < bytes.length; i += 100) yield bytes.subarray(i, i + 100);
      }
      const [g] = await walkAll(['-'], { stdin: stdin() });
      expect(g!.archive.source).toBe('-');
      expect(g!.archive.size).toBeNull();
      expect(g!.msgs).toHaveLength(3);
      expect(g!.msgs.every((m) => m.source === '-')).toBe(true);
      expect(g!.bytesAfter).toBe(bytes.length);
      expect(g!.archive.compressed).toBe(bytes !== file);
    }
  });

  it('follows a symlinked directory loop only once', async () => {
    const dir = join(tmp, 'loop');
    mkdirSync(dir);
    writeFileSync(join(dir, 'x.mbox'), formatMboxrd(['Subject: x\n\nx\n']));
    symlinkSync(dir, join(dir, 'again'));
    const got = await walkAll([dir]);
    expect(got.map((g) => g.archive.source)).toEqual([join(dir, 'x.mbox')]);
  });
});

describe('resume (startAt)', () => {
  const bodies = Array.from({ length: 5 }, (_, i) => `Subject: m${i}\n\n${'x'.repeat(i === 0 ? 3_000_000 : 100)}\n`);
  const file = join(tmp, 'resume.mbox');
  writeFileSync(file, formatMboxrd(bodies));
  const gzFile = join(tmp, 'resume.mbox.gz');
  writeFileSync(gzFile, gzipSync(readFileSync(file)));

  it('yields exactly the messages at or after the offset, plain or gzip', async () => {
    const all = await drain(await openArchiveFile(file));
    expect(all).toHaveLength(5);
    for (const path of [file, gzFile]) {
      for (const m of all) {
        for (const startAt of [m.offset, m.offset + 1]) {
          const got = await drain(await openArchiveFile(path, { startAt: () => startAt }));
          expect(got.map(summary), `${path} @${startAt}`).toEqual(
            all.filter((x) => x.offset >= startAt).map((x) => summary({ ...x, source: path })),
          );
        }
      }
    }
  });

  it('seeks straight to a message boundary in an uncompressed file', async () => {
    const all = await drain(await openArchiveFile(file));
    const startAt = all[2]!.offset; // after a 3 MB first message
    const a = await openArchiveFile(file, { startAt: () => startAt });
    const first = await a.messages.next();
    expect(first.value.offset).toBe(startAt);
    // nothing before startAt was read: only the seek position plus the chunk(s) after it
    expect(a.bytesRead()).toBeGreaterThanOrEqual(startAt);
    expect(a.bytesRead()).toBeLessThan(startAt + 256 * 1024);
    await a.messages.return(undefined);
    // proof of the seek: the same file with junk before startAt still resumes (a read from the start would see
    // no From_ line at the top and take the whole file for one message at offset 0)
    const junked = join(tmp, 'junked.mbox');
    const bytes = readFileSync(file);
    writeFileSync(junked, Buffer.concat([Buffer.alloc(startAt - 1, 'z'), Buffer.from('\n'), bytes.subarray(startAt)]));
    const resumed = await drain(await openArchiveFile(junked, { startAt: () => startAt }));
    expect(resumed.map((m) => [m.offset, m.format])).toEqual(all.slice(2).map((m) => [m.offset, 'mboxrd']));
    // "last stored offset + 1" seeks to that message and skips it
    const after = await drain(await openArchiveFile(junked, { startAt: () => startAt + 1 }));
    expect(after.map((m) => m.offset)).toEqual(all.slice(3).map((m) => m.offset));
    // the same through walkArchives, keyed by source
    const got = await walkAll([file], { startAt: (s) => (s === file ? startAt : undefined) });
    expect(got[0]!.msgs.map((m) => m.offset)).toEqual(all.slice(2).map((m) => m.offset));
    expect(got[0]!.bytesAfter).toBe(statSync(file).size);
  });
});

describe('helpers', () => {
  it('looksLikeArchive sniffs content, not names', () => {
    expect(looksLikeArchive(Buffer.from('From mboxrd@z Thu Jan  1 00:00:00 1970\n'))).toBe(true);
    expect(looksLikeArchive(Buffer.from('\n\nFrom x'))).toBe(true);
    expect(looksLikeArchive(readFileSync(join(import.meta.dirname, '../../fixtures/shapes/leading-blank-lines.mbox')))).toBe(true);
    expect(looksLikeArchive(Buffer.from(' \n\t\n'))).toBe(false);
    expect(looksLikeArchive(Buffer.from('Return-Path: <a@b>\n'))).toBe(true);
    expect(looksLikeArchive(Buffer.from('# Title\n'))).toBe(false);
    expect(looksLikeArchive(Buffer.from('{"a": 1}'))).toBe(false);
    expect(looksLikeArchive(gzipSync('From: a@b\n\nx\n'))).toBe(true);
    expect(looksLikeArchive(gzipSync('{"a": 1}'))).toBe(false);
    // a gzip prefix cut short still sniffs
    expect(looksLikeArchive(gzipSync('From: a@b\n\n' + 'y'.repeat(200_000)).subarray(0, 40))).toBe(true);
  });

  it('describeSource', () => {
    expect(describeSource({ source: 'x.mbox.gz', kind: 'file', compressed: true, size: 3 * 1024 * 1024 })).toBe(
      'x.mbox.gz (gzip, 3.0 MiB)',
    );
    expect(describeSource({ source: '-', kind: 'stdin', compressed: false, size: null })).toBe('standard input');
  });
});
