// Maildir reader: one message per file in `cur/` and `new/` (`tmp/` holds deliveries in progress and is skipped).
//
// Files are read in sorted order (cur/ before new/, names by code unit) so two runs yield the same sequence; maildir
// names start with the delivery time, so that is also roughly chronological. Hidden files are skipped.
// Each RawMessage has format 'maildir', offset 0 and source = the file's path. A file that starts with a strict
// mbox From_ line (some mbox-to-maildir converters keep it) has that line removed and its date kept as
// separatorDate; otherwise the bytes are the file's bytes, untouched, except that a file whose first line ends in
// a lone CR (old Mac line ends) has its lone CRs read as LF (./line-ends.ts).

import { lstat, open, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { RawMessage } from '../core/model.ts';
import { HEAD_BYTES, parseFromLine } from './mbox-reader.ts';
import { loneCrAsLf } from './line-ends.ts';

/** True when `dir` has the `cur/` and `new/` subdirectories of a maildir. */
export async function isMaildir(dir: string): Promise<boolean> {
  const isDir = async (p: string) => {
    try {
      return (await stat(p)).isDirectory();
    } catch {
      return false;
    }
  };
  return (await isDir(join(dir, 'cur'))) && (await isDir(join(dir, 'new')));
}

/**
 * The message files of a maildir, in reading order, with their sizes. An entry that cannot be looked at (a
 * dangling link, a symlink loop) is passed to `onUnreadable` with its error and left out; without it, it throws.
 */
export async function listMaildir(dir: string, onUnreadable?: (path: string, err: unknown) => void): Promise<{ path: string; size: number }[]> {
  const out: { path: string; size: number }[] = [];
  for (const sub of ['cur', 'new']) {
    const d = join(dir, sub);
    let names: string[];
    try {
      names = await readdir(d);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new Error(`cannot read maildir folder ${d}: ${(err as Error).message}`, { cause: err });
    }
    names.sort(compareCodeUnits);
    for (const name of names) {
      if (name.startsWith('.')) continue;
      const p = join(d, name);
      let st;
      try {
        st = await stat(p);
      } catch (err) {
        if (!onUnreadable) throw err;
        // gone meanwhile (delivered-then-moved): nothing to say; still there (a link to nowhere): unreadable
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || (await lstat(p).then(() => true, () => false))) onUnreadable(p, err);
        continue;
      }
      if (st.isFile()) out.push({ path: p, size: st.size });
    }
  }
  return out;
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** One maildir file's bytes as a RawMessage (pure). */
export function maildirMessage(path: string, bytes: Buffer): RawMessage {
  let separatorDate: Date | null = null;
  bytes = loneCrAsLf(bytes);
  if (bytes.length >= 5 && bytes.toString('latin1', 0, 5) === 'From ') {
    const eol = bytes.indexOf(0x0a);
    const parsed = eol === -1 ? null : parseFromLine(bytes.toString('latin1', 0, eol));
    if (parsed) {
      separatorDate = parsed.date;
      bytes = bytes.subarray(eol + 1);
    }
  }
  return { bytes, source: path, offset: 0, separatorDate, format: 'maildir' };
}

export interface ReadMaildirOptions {
  /** called with each file's size after it was read (progress by bytes) */
  onBytes?: (n: number) => void;
  /**
   * told about each message file that cannot be read (permission denied, a dangling link, a symlink loop), with
   * the reason; the other files are read. Without it such a file ends the read with an Error naming it.
   */
  onUnreadable?: (path: string, reason: string) => void;
  /** a file larger than this is read only as far as its head (HEAD_BYTES) and yielded with `overLimit` */
  maxMessageBytes?: number;
}

function why(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ENOENT') return 'dangling symbolic link (its target does not exist)';
  if (e?.code === 'ELOOP') return 'too many symbolic links (a symlink loop)';
  if (e?.code === 'EACCES' || e?.code === 'EPERM') return 'permission denied';
  return e instanceof Error ? e.message : String(err);
}

async function readHead(path: string, n: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** Yield every message of the maildir at `dir` (one over `maxMessageBytes` as its head, with `overLimit`). */
export async function* readMaildir(dir: string, opts: ReadMaildirOptions = {}): AsyncGenerator<RawMessage> {
  const report = opts.onUnreadable;
  const max = opts.maxMessageBytes ?? Infinity;
  for (const { path, size } of await listMaildir(dir, report && ((p, err) => report(p, why(err))))) {
    let bytes: Buffer;
    try {
      if (size > max) {
        const head = await readHead(path, Math.min(HEAD_BYTES, max));
        opts.onBytes?.(size);
        yield { ...maildirMessage(path, head), overLimit: { size, limit: max } };
        continue;
      }
      bytes = await readFile(path);
    } catch (err) {
      // delivered-then-moved (new/ -> cur/) while we walked: not an error
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      if (report) {
        report(path, why(err));
        continue;
      }
      throw new Error(`cannot read maildir message ${path}: ${(err as Error).message}`, { cause: err });
    }
    opts.onBytes?.(bytes.length);
    yield maildirMessage(path, bytes);
  }
}
