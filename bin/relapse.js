#!/usr/bin/env node
// Loads the TypeScript sources through tsx, so there is no build step to forget. A command that wants V8 flags this
// process was not started with (runtime-flags.js) runs in a child process started with them: signals are passed on
// to it, its exit (code or signal) is this process's, and it ends when this process ends, however (a SIGKILL
// cannot be passed on: the child sees the channel between them close).
import { spawn } from 'node:child_process';
import { v8FlagsFor } from './runtime-flags.js';

const wanted = v8FlagsFor(process.argv.slice(2));
const missing = wanted.filter((f) => !process.execArgv.includes(f));
if (missing.length) {
  const child = spawn(process.execPath, [...process.execArgv, ...missing, ...process.argv.slice(1)], { stdio: ['inherit', 'inherit', 'inherit', 'ipc'] });
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const pass = (signal) => child.kill(signal);
  for (const s of signals) process.on(s, pass);
  child.on('error', (e) => {
    console.error(`relapse: cannot start ${process.execPath}: ${e.message}`);
    process.exitCode = 2;
  });
  child.on('exit', (code, signal) => {
    for (const s of signals) process.off(s, pass);
    if (signal) process.kill(process.pid, signal);
    else process.exitCode = code ?? 1;
  });
} else {
  if (wanted.length && process.channel) {
    // started by the branch above: the channel must not keep this process alive, and its closing means that process
    // is gone; this one goes too, as if killed with it (what an interrupted ingest leaves, the next one resumes)
    process.channel.unref();
    process.on('disconnect', () => process.kill(process.pid, 'SIGKILL'));
  }
  const { register } = await import('tsx/esm/api');
  register();
  const { main } = await import('../server/cli.ts');
  await main(process.argv);
}
