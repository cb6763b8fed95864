// The V8 flags of a command (bin/runtime-flags.js), and bin/relapse.js starting a command again with them: its
// output, its exit status and a signal reach the caller as if it had run in the first process.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { v8FlagsFor } from '../../bin/runtime-flags.js';
import { generateArchive } from '../../bench/gen-archive.ts';

const BIN = path.join(import.meta.dirname, '..', '..', 'bin', 'relapse.js');
const SHAPES = path.join(import.meta.dirname, '..', 'fixtures', 'shapes');
const tmpDb = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'relapse-bin-')), 'r.db');

describe('v8FlagsFor', () => {
  it('runs the batch commands single-threaded where the parse workers take every core', () => {
    expect(v8FlagsFor(['ingest', 'a.mbox'], 2)).toEqual(['--single-threaded']);
    expect(v8FlagsFor(['sync', '--db', 'x.db'], 1)).toEqual(['--single-threaded']);
  });

  it('leaves V8 its helper threads with idle cores, for servers, and for everything else', () => {
    expect(v8FlagsFor(['ingest', 'a.mbox'], 4)).toEqual([]);
    expect(v8FlagsFor(['serve', '--port', '3000'], 2)).toEqual([]);
    expect(v8FlagsFor(['demo'], 2)).toEqual([]);
    expect(v8FlagsFor(['--help'], 2)).toEqual([]);
    expect(v8FlagsFor([], 2)).toEqual([]);
  });
});

// on a machine of more than two cores the command runs in the first process: the same expectations hold
describe('bin/relapse.js', () => {
  it('prints the command output and exits with its status', () => {
    const ok = spawnSync(process.execPath, [BIN, 'ingest', '--db', tmpDb(), '--workers', '0', path.join(SHAPES, 'leading-blank-lines.mbox')], { encoding: 'utf8' });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/^ingest: 2 new, 0 duplicate, 0 quarantined messages;/);
    const empty = path.join(SHAPES, 'blank-only.mbox');
    const failed = spawnSync(process.execPath, [BIN, 'ingest', '--db', tmpDb(), '--workers', '0', empty], { encoding: 'utf8' });
    expect(failed.status).toBe(1);
    expect(failed.stderr).toContain(`relapse: no message found in ${empty}`);
  });

  it('ends the command when it is killed itself (a SIGKILL cannot be passed on)', async () => {
    const db = tmpDb();
    // an archive whose ingest takes seconds: killed at its start, the command must not go on with it
    const archive = path.join(path.dirname(db), 'big.mbox');
    generateArchive(archive, { messages: 20_000, seed: 3 });
    const p = spawn(process.execPath, [BIN, 'ingest', '--db', db, '--workers', '0', archive], { stdio: 'ignore' });
    const running = () => spawnSync('pgrep', ['-f', db], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean);
    for (let i = 0; i < 200 && !fs.existsSync(db); i++) await new Promise((r) => setTimeout(r, 25));
    expect(running().length).toBeGreaterThan(0);
    p.kill('SIGKILL');
    await once(p, 'exit');
    for (let i = 0; i < 40 && running().length; i++) await new Promise((r) => setTimeout(r, 50));
    expect(running()).toEqual([]);
  }, 30_000);

  it('passes a signal on and ends by it, leaving no process behind', async () => {
    const db = tmpDb();
    // reading standard input that never ends: the command waits until it is stopped
    const p = spawn(process.execPath, [BIN, 'ingest', '--db', db, '--workers', '0', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const running = () => spawnSync('pgrep', ['-f', db], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean);
    for (let i = 0; i < 100 && !fs.existsSync(db); i++) await new Promise((r) => setTimeout(r, 50));
    expect(running().length).toBeGreaterThan(0);
    p.kill('SIGTERM');
    const [code, signal] = await once(p, 'exit');
    expect({ code, signal }).toEqual({ code: null, signal: 'SIGTERM' });
    for (let i = 0; i < 40 && running().length; i++) await new Promise((r) => setTimeout(r, 50));
    expect(running()).toEqual([]);
    p.stdin.destroy();
  });
});
