// Maildir reader: one message per file in `cur/` and `new/` (`tmp/` holds deliveries in progress and is skipped).
//
// Files are read in sorted order (cur/ before new/, names by code unit) so two runs yield the same sequence; maildir
// names start with the delivery time, so that is also roughly chronological. Hidden files are skipped.
// Each RawMessage has format 'maildir', offset 0 and source = the file's path. A file that starts with a strict
// mbox From_ line (some mbox-to-maildir converters keep it) has that line removed and its date kept as
// separatorDate; otherwise the bytes are the file's bytes, untouched, except that a file whose first line ends in
// a lone CR (old Mac line ends) has its lone CRs read as LF (./line-ends.ts).

import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { RawMessage } from '../core/model.ts';
import { parseFromLine } from './mbox-reader.ts';
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

/** The message files of a maildir, in reading order, with their sizes. */
export async function listMaildir(dir: string): Promise<{ path: string; size: number }[]> {
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
      const st = await stat(p);
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
}

/** Yield every message of the maildir at `dir`. */
export async function* readMaildir(dir: string, opts: ReadMaildirOptions = {}): AsyncGenerator<RawMessage> {
  for (const { path } of await listMaildir(dir)) {
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (err) {
      // delivered-then-moved (new/ -> cur/) while we walked: not an error
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new Error(`cannot read maildir message ${path}: ${(err as Error).message}`, { cause: err });
    }
    opts.onBytes?.(bytes.length);
    yield maildirMessage(path, bytes);
  }
}
