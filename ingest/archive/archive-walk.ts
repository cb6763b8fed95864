// Turns command-line paths into archives to read: files, directories walked here, maildirs (their messages
// listed by maildir-reader.ts).
//
// A path is
//   - `-`: standard input (mbox, gzip or a single message; read once);
//   - a public-inbox inbox directory (`git/0.git`, `git/1.git`, ...), a single epoch (a git repository, bare or
//     not) or a git bundle of one: read commit by commit through git (see public-inbox.ts), what is new since the
//     commit `epochState` gives for it. Found inside a walked directory too;
//   - a file: read whatever it holds (mbox / mboxrd / pipermail `.txt`, any of them gzipped, a single .eml). A file
//     named explicitly is always read, even if it does not look like mail: the parser quarantines junk;
//   - a directory: walked recursively in sorted order (names by code unit). A directory with `cur/` and `new/` is a
//     maildir and is read as one. Hidden entries (`.name`) are skipped, and so are files that do not look like an
//     archive: a file is one when it starts with gzip magic (and its first inflated bytes qualify), with `From `, or
//     with an RFC 5322 header line (`Name: value`). So README.md, *.json, index.html ... next to the archives are
//     passed over (reported through `onSkip`).
// Every path given is checked before anything is read: one that does not exist makes the walk throw an Error
// naming it, before the first archive is yielded (a typo fails before hours of ingest). A path that exists but
// cannot be read (permission denied, a symlink loop or a dangling link inside a directory or maildir, a directory
// that cannot be listed) also throws, unless the caller passes `onUnreadable`: then it is reported there with its
// reason and the walk goes on with everything else. Read errors while an archive's messages are read (gzip corrupt
// or truncated, I/O) are rethrown from its `messages` with the path in the message, after every message read
// before them was yielded.
//
// Progress: each archive reports `size` (bytes on disk; for a maildir the sum of its files; null for stdin) and
// `bytesRead()` (bytes taken from disk so far: compressed bytes for .gz), so a caller can draw a bar by bytes. An
// epoch estimates both: its repository's size on disk times the share of its commits to read, and read so far.
//
// Resume: `startAt(source)` gives, per archive, the offset (in the decompressed stream) of the first message to
// yield; messages before it are skipped. For an uncompressed file whose offset lands on a From_ line the reader
// seeks straight there (bytesRead() then starts at that offset); otherwise (gzip, or an offset that is not a
// message boundary) it reads from the start and skips cheaply. Pass back a RawMessage.offset to resume at that
// message, or the offset of the last stored message + 1 to resume after it (that seeks too: to the stored message,
// which is then skipped). Maildirs, stdin and single messages ignore it. An epoch resumes after the commit
// `epochState` gives, and says through `resumeAfter` what to remember after each message.

import { DEFAULT_MAX_MESSAGE_BYTES } from '../core/model.ts';
import { createReadStream } from 'node:fs';
import { lstat, open, readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { constants as zconst, gunzipSync } from 'node:zlib';
import type { RawMessage } from '../core/model.ts';
import { detectFormatFromSeparator, firstLineStart, parseFromLine, readMbox } from './mbox-reader.ts';
import type { MboxFormat } from './mbox-reader.ts';
import { isMaildir, listMaildir, readMaildir } from './maildir-reader.ts';
import { inboxEpochs, isEpoch, isGitBundle, openBundle, openEpoch, type EpochArchive, type EpochState } from './public-inbox.ts';

/** An archive to read: a mail file, maildir or stdin, or a public-inbox epoch. */
export type Archive = MailArchive | EpochArchive;

export interface MailArchive {
  /** the file path as walked (joined onto the path given), the maildir directory, or "-" for stdin */
  source: string;
  kind: 'file' | 'maildir' | 'stdin';
  /** the file starts with gzip magic */
  compressed: boolean;
  /** bytes on disk (compressed size for .gz; sum of files for a maildir); null when unknown (stdin) */
  size: number | null;
  /** the messages, read lazily when iterated; iterate each archive's messages before moving on */
  messages: AsyncGenerator<RawMessage>;
  /** bytes taken from disk / stdin so far (compressed bytes for .gz) */
  bytesRead(): number;
}

export interface WalkOptions {
  /** mbox flavour for every mbox file; default 'auto' (decided per file, see mbox-reader.ts) */
  format?: MboxFormat | 'auto';
  /** resume: offset of the first message to yield for an archive, by source; undefined or 0 = from the start */
  startAt?: (source: string) => number | undefined;
  /** what `-` reads; default process.stdin */
  stdin?: AsyncIterable<Buffer>;
  /** told about every file a directory walk passes over */
  onSkip?: (path: string, reason: string) => void;
  /**
   * told about every path that exists but cannot be read (with the reason, in words); when given, such a path is
   * passed over instead of ending the walk
   */
  onUnreadable?: (path: string, reason: string) => void;
  /** a message larger than this is yielded as its head with `overLimit` (default DEFAULT_MAX_MESSAGE_BYTES) */
  maxMessageBytes?: number;
  /** a gzip archive that inflates past this many times its size ends with an error (default DEFAULT_MAX_GZIP_RATIO) */
  maxGzipRatio?: number;
  /** public-inbox: the last commit stored from an epoch (by source), to read only what follows it */
  epochState?: (source: string) => EpochState | undefined;
}

export { DEFAULT_MAX_MESSAGE_BYTES };
/** mbox text deflates 3 to 10 times; a gzip bomb, hundreds or thousands (judged past the first 64 MiB inflated). */
export const DEFAULT_MAX_GZIP_RATIO = 100;

const limits = (o: WalkOptions) => ({
  maxMessageBytes: o.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
  maxGzipRatio: o.maxGzipRatio ?? DEFAULT_MAX_GZIP_RATIO,
});

const SNIFF_BYTES = 64 * 1024;

/** Why a path cannot be read, in words. */
export function reason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e?.code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOTDIR':
      return 'a component of the path is not a directory';
    case 'ELOOP':
      return 'too many symbolic links (a symlink loop)';
    case 'EISDIR':
      return 'a directory where a file was expected';
    case 'EIO':
      return 'input/output error';
    default:
      return e instanceof Error ? e.message : String(err);
  }
}

function pathError(path: string, err: unknown): Error {
  return new Error(`cannot read archive '${path}': ${reason(err)}`, { cause: err });
}

/** One line about a source for logs and progress bars. */
export function describeSource(a: Pick<Archive, 'source' | 'kind' | 'compressed' | 'size'>): string {
  if (a.kind === 'stdin') return 'standard input';
  if (a.kind === 'epoch') return `${a.source} (public-inbox epoch)`;
  const size = a.size === null ? '' : `, ${formatBytes(a.size)}`;
  return `${a.source} (${a.kind === 'maildir' ? 'maildir' : a.compressed ? 'gzip' : 'file'}${size})`;
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

async function readPrefix(path: string, position: number, length: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await fh.read(buf, 0, length, position);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

function isGzip(b: Buffer): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

/** The first inflated bytes of a gzip prefix (a partial stream is fine); empty when it does not inflate. */
function inflatePrefix(b: Buffer): Buffer {
  try {
    return gunzipSync(b, { finishFlush: zconst.Z_SYNC_FLUSH }).subarray(0, SNIFF_BYTES);
  } catch {
    return Buffer.alloc(0);
  }
}

/**
 * Whether bytes starting a file look like mail: gzip magic (its inflated start is judged), `From ` (after blank
 * or whitespace-only lines), or a header line `Name: value`.
 */
export function looksLikeArchive(prefix: Buffer): boolean {
  if (isGzip(prefix)) {
    const inner = inflatePrefix(prefix);
    return inner.length > 0 && !isGzip(inner) && looksLikeArchive(inner);
  }
  const p = firstLineStart(prefix);
  if (p === -1) return false; // blank
  const eol = prefix.indexOf(0x0a, p);
  const line = prefix.toString('latin1', p, eol === -1 ? Math.min(prefix.length, p + 1000) : eol);
  if (line.startsWith('From ')) return true;
  // a header field name as mail uses them (RFC 5322 allows more, which would let `{"a":` in)
  return /^[A-Za-z][A-Za-z0-9-]*:/.test(line);
}

/** Counts bytes passing through. */
function counter() {
  let n = 0;
  return {
    get: () => n,
    add: (k: number) => {
      n += k;
    },
    wrap: async function* (input: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
      for await (const chunk of input) {
        n += chunk.length;
        yield chunk;
      }
    },
  };
}

async function* withPath(path: string, gen: AsyncGenerator<RawMessage>): AsyncGenerator<RawMessage> {
  try {
    yield* gen;
  } catch (err) {
    if (err instanceof Error && err.message.includes(path)) throw err;
    throw new Error(`error reading archive '${path}': ${reason(err)}`, { cause: err });
  }
}

/** A single mbox / gzip / eml file as an Archive (exported for callers that read one file). */
export async function openArchiveFile(
  path: string,
  opts: Pick<WalkOptions, 'format' | 'startAt' | 'maxMessageBytes' | 'maxGzipRatio'> = {},
): Promise<MailArchive> {
  let size: number;
  let prefix: Buffer;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'ENOTFILE' });
    size = st.size;
    prefix = await readPrefix(path, 0, Math.min(SNIFF_BYTES, size));
  } catch (err) {
    throw pathError(path, err);
  }
  const compressed = isGzip(prefix);
  const count = counter();
  const startAt = opts.startAt?.(path) ?? 0;
  let format = opts.format ?? 'auto';

  async function* messages(): AsyncGenerator<RawMessage> {
    let seekTo = 0;
    // seek when the offset is a separator (preceded by "\n", a From_ line there). startAt - 1 is tried too, so
    // "last stored offset + 1" seeks to that message (readMbox then skips it, its offset being < startAt)
    for (const at of startAt > 0 && !compressed ? [startAt, startAt - 1] : []) {
      if (at <= 0 || at >= size) continue;
      const around = await readPrefix(path, at - 1, 4097);
      const eol = around.indexOf(0x0a, 1);
      if (around[0] === 0x0a && eol !== -1 && parseFromLine(around.toString('latin1', 1, eol))) {
        seekTo = at;
        if (format === 'auto') {
          // keep the file's own flavour: decided by its first line, as a read from the start would
          const p0 = Math.max(0, firstLineStart(prefix));
          const eol0 = prefix.indexOf(0x0a, p0);
          const first = prefix.toString('latin1', p0, eol0 === -1 ? prefix.length : eol0);
          format = parseFromLine(first) ? detectFormatFromSeparator(first) : 'mboxrd';
        }
        break;
      }
    }
    count.add(seekTo);
    const stream = createReadStream(path, { start: seekTo, highWaterMark: SNIFF_BYTES });
    yield* readMbox(count.wrap(stream), { source: path, format, startAt, baseOffset: seekTo, ...limits(opts) });
  }

  return {
    source: path,
    kind: 'file',
    compressed,
    size,
    messages: withPath(path, messages()),
    bytesRead: count.get,
  };
}

function stdinArchive(opts: WalkOptions): MailArchive {
  const count = counter();
  const input = opts.stdin ?? (process.stdin as AsyncIterable<Buffer>);
  let compressed = false;
  async function* peek(): AsyncGenerator<Buffer> {
    let first = true;
    for await (const chunk of count.wrap(input)) {
      if (first && chunk.length > 0) {
        compressed = isGzip(chunk);
        first = false;
      }
      yield chunk;
    }
  }
  const archive: MailArchive = {
    source: '-',
    kind: 'stdin',
    get compressed() {
      return compressed;
    },
    size: null,
    messages: withPath('-', readMbox(peek(), { source: '-', format: opts.format ?? 'auto', ...limits(opts) })),
    bytesRead: count.get,
  };
  return archive;
}

async function maildirArchive(dir: string, opts: WalkOptions): Promise<MailArchive> {
  const files = await listMaildir(dir, opts.onUnreadable && (() => {})); // reported once, when read
  const count = counter();
  return {
    source: dir,
    kind: 'maildir',
    compressed: false,
    size: files.reduce((s, f) => s + f.size, 0),
    messages: withPath(dir, readMaildir(dir, { onBytes: count.add, onUnreadable: opts.onUnreadable, maxMessageBytes: limits(opts).maxMessageBytes })),
    bytesRead: count.get,
  };
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The archives under `paths`, in order (see the header comment). Throws, before yielding anything, when a path
 * cannot be read.
 */
export async function* walkArchives(paths: string[], opts: WalkOptions = {}): AsyncGenerator<Archive> {
  // check every path first, so a typo fails before hours of ingest
  const kinds: ('stdin' | 'file' | 'dir' | 'unreadable')[] = [];
  let stdinSeen = false;
  for (const p of paths) {
    if (p === '-') {
      if (stdinSeen) throw new Error("standard input ('-') can be given only once");
      stdinSeen = true;
      kinds.push('stdin');
      continue;
    }
    try {
      const st = await stat(p);
      if (st.isDirectory()) {
        await readdir(p);
        kinds.push('dir');
      } else if (st.isFile()) {
        await (await open(p, 'r')).close();
        kinds.push('file');
      } else {
        throw new Error('not a regular file or directory');
      }
    } catch (err) {
      // a path that is not there at all is a typo: fail now; one that is there and cannot be read is reported
      if (!opts.onUnreadable || !(await exists(p))) throw pathError(p, err);
      opts.onUnreadable(p, reason(err));
      kinds.push('unreadable');
    }
  }

  for (let i = 0; i < paths.length; i++) {
    const p = paths[i]!;
    if (kinds[i] === 'stdin') yield stdinArchive(opts);
    else if (kinds[i] === 'file') {
      const a = await unlessUnreadable(p, opts, async () => {
        let prefix: Buffer;
        try {
          prefix = await readPrefix(p, 0, 20);
        } catch (err) {
          throw pathError(p, err);
        }
        return isGitBundle(prefix) ? await openBundle(p, { state: opts.epochState }) : await openArchiveFile(p, opts);
      });
      if (a) yield a;
    } else if (kinds[i] === 'dir') yield* walkDirectory(p, opts);
  }
}

/** The path itself is there (a dangling link counts: it is there, pointing nowhere). */
async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch {
    return false;
  }
}

/** `fn()`, or, when it fails and the caller takes unreadable paths, null after reporting `path`. */
async function unlessUnreadable<T>(path: string, opts: WalkOptions, fn: () => Promise<T>): Promise<T | null> {
  try {
    return await fn();
  } catch (err) {
    if (!opts.onUnreadable) throw err;
    opts.onUnreadable(path, reason((err as Error).cause ?? err));
    return null;
  }
}

/** Iterative depth-first walk in sorted order; symlinked directories are followed once. */
async function* walkDirectory(root: string, opts: WalkOptions): AsyncGenerator<Archive> {
  const seen = new Set<string>();
  // pending paths; a directory's entries are pushed reversed so the smallest name comes out first
  const stack: string[] = [root];
  while (stack.length > 0) {
    const path = stack.pop()!;
    let st;
    try {
      st = await stat(path);
    } catch (err) {
      if (path === root) throw pathError(path, err);
      const code = (err as NodeJS.ErrnoException).code;
      // a file gone meanwhile is passed over; a dangling link or a symlink loop is there and cannot be read
      if (opts.onUnreadable && code !== 'ENOENT') opts.onUnreadable(path, reason(err));
      else if (opts.onUnreadable && (await exists(path))) opts.onUnreadable(path, 'dangling symbolic link (its target does not exist)');
      else opts.onSkip?.(path, reason(err));
      continue;
    }
    if (st.isDirectory()) {
      let real: string;
      try {
        real = await realpath(path);
      } catch (err) {
        if (!opts.onUnreadable) throw pathError(path, err);
        opts.onUnreadable(path, reason(err));
        continue;
      }
      if (seen.has(real)) continue;
      seen.add(real);
      const epochs = await inboxEpochs(path);
      if (epochs) {
        for (const e of epochs) yield await openEpoch(e, { state: opts.epochState });
        continue;
      }
      if (await isEpoch(path)) {
        yield await openEpoch(path, { state: opts.epochState });
        continue;
      }
      if (await isMaildir(path)) {
        const md = await unlessUnreadable(path, opts, () => maildirArchive(path, opts));
        if (md) yield md;
        continue;
      }
      let names: string[];
      try {
        names = await readdir(path);
      } catch (err) {
        if (!opts.onUnreadable) throw pathError(path, err);
        opts.onUnreadable(path, reason(err));
        continue;
      }
      names = names.filter((n) => !n.startsWith('.')).sort(compareCodeUnits);
      for (let j = names.length - 1; j >= 0; j--) stack.push(join(path, names[j]!));
      continue;
    }
    if (!st.isFile()) {
      opts.onSkip?.(path, 'not a regular file');
      continue;
    }
    if (st.size === 0) {
      opts.onSkip?.(path, 'empty');
      continue;
    }
    let prefix: Buffer;
    try {
      prefix = await readPrefix(path, 0, Math.min(SNIFF_BYTES, st.size));
    } catch (err) {
      if (!opts.onUnreadable) throw pathError(path, err);
      opts.onUnreadable(path, reason(err));
      continue;
    }
    if (isGitBundle(prefix)) {
      yield await openBundle(path, { state: opts.epochState });
      continue;
    }
    if (!looksLikeArchive(prefix)) {
      opts.onSkip?.(path, 'does not look like a mail archive');
      continue;
    }
    const a = await unlessUnreadable(path, opts, () => openArchiveFile(path, opts));
    if (a) yield a;
  }
}
