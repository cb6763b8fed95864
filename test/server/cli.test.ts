// The command line's ingest: an archive that yields no message is named and fails the command.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../server/cli.ts';

const SHAPES = path.join(import.meta.dirname, '..', 'fixtures', 'shapes');
const tmpDb = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'relapse-cli-')), 'r.db');

describe('relapse ingest', () => {
  afterEach(() => {
    process.exitCode = 0;
    vi.restoreAllMocks();
  });

  it('says which file yielded no message and exits 1', async () => {
    const out: string[] = [];
    const err: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((s: string) => void out.push(s));
    vi.spyOn(console, 'error').mockImplementation((s: string) => void err.push(s));
    const empty = path.join(SHAPES, 'blank-only.mbox');
    await main(['node', 'relapse', 'ingest', '--db', tmpDb(), '--workers', '0', empty, path.join(SHAPES, 'leading-blank-lines.mbox')]);
    expect(process.exitCode).toBe(1);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^ingest: 2 new, 0 duplicate, 0 quarantined messages; 1 patches, 1 series.*; no message in 1 archive\(s\): .*blank-only\.mbox;/);
    expect(err).toEqual([`relapse: no message found in ${empty}`]);
  });

  it('exits 0 when every archive yielded messages', async () => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    await main(['node', 'relapse', 'ingest', '--db', tmpDb(), '--workers', '0', path.join(SHAPES, 'leading-blank-lines.mbox')]);
    expect(process.exitCode ?? 0).toBe(0);
  });
});
