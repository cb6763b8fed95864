// public-inbox archives (lore.kernel.org's format) as archives to read, through the system `git` in child
// processes (git reads its own packs; mirrors are made with git anyway, so no git library is needed).
//
// Layout (public-inbox-v2-format(5)): an inbox directory `NAME/` holds its epochs as bare repositories
// `NAME/git/0.git`, `NAME/git/1.git`, ... (a big list has several; epochs are read in numeric order). Each commit of
// an epoch's history writes one message as the blob `m` at the root of its tree; a deletion (public-inbox's spam
// purge, `public-inbox-learn rm`) is a commit that removes `m` and writes the deleted message as the blob `d`.
//
// What is read:
//   - an inbox directory: its epochs in order (the rest of the directory, Xapian and SQLite indexes, is not read);
//   - an epoch: a git repository, bare (HEAD, objects/, refs/) or with a work tree, whose HEAD tree holds `m` or
//     `d` (a bare one without commits is an empty epoch);
//   - a git bundle of an epoch (`# v2 git bundle` / `# v3 git bundle`): cloned into a temporary mirror, read,
//     and the mirror removed.
// Messages come from the commits of HEAD oldest first (`git log --reverse --raw` names each commit's blobs,
// `git cat-file --batch` streams them: the archive is never held in memory, what is in flight is bounded by pipes).
// A commit writing `m` yields its message; a commit writing `d` yields the deleted message marked `purged`, for
// the store to remove. Each message's source is `<epoch>#<commit id>` and its offset the commit's position in
// the epoch's history (1 = the first commit).
//
// Incremental reading: `known` is the last commit stored from this epoch. When it is HEAD, nothing is read; when
// it is an ancestor of HEAD, only the commits after it are read; otherwise the epoch was rewritten (lore purges
// spam by rewriting history): the commits not reachable from the known one are read (Message-ID deduplication
// keeps what was stored), and the messages only the old history held (their blobs are in old commits and in no
// new one) are yielded `purged`, before the rest. When the known commit is gone from the repository (a bundle
// cloned afresh, a mirror garbage-collected) the whole epoch is read again and such removals cannot be seen.
// `resumeAfter` tells the pipeline the commit to remember after a batch (none for those removals: an ingest
// stopped among them finds the same rewrite again).
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, readdir, realpath, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { RawMessage } from '../core/model.ts';

/** The last commit stored from an epoch and its position in the epoch's history. */
export interface EpochState {
  commit: string;
  commits: number;
}

/** What an opened epoch tells its reader (the pipeline); the messages are read lazily. */
export interface EpochArchive {
  /** the epoch's key: its git directory, or the bundle file, as resolved on disk */
  source: string;
  kind: 'epoch';
  compressed: boolean;
  /** estimated bytes to read: the repository's size on disk times the share of its commits to read */
  size: number;
  /** commits to read */
  commits: number;
  /** HEAD is the commit last stored: nothing to read */
  upToDate: boolean;
  /** the known commit is not an ancestor of HEAD */
  rewritten: boolean;
  /** HEAD and its position: what to remember once every message is stored (null for an epoch without commits) */
  head: EpochState | null;
  messages: AsyncGenerator<RawMessage>;
  bytesRead(): number;
  /** the commit to remember once every message up to `raw` is stored; null for none */
  resumeAfter(raw: RawMessage): EpochState | null;
}

const ZERO = /^0+$/;

/** Runs git; resolves with its output, rejects (naming the command and git's words) when it fails. */
export function git(args: string[], opts: { cwd?: string; ok?: number[] } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn('git', args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'], env: gitEnv() });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    p.stdout.on('data', (b: Buffer) => out.push(b));
    p.stderr.on('data', (b: Buffer) => err.push(b));
    p.on('error', (e) => reject(new Error(`cannot run git (is it installed?): ${e.message}`, { cause: e })));
    p.on('close', (code) => {
      const r = { code: code ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8').trim() };
      if (r.code === 0 || opts.ok?.includes(r.code)) resolve(r);
      else reject(new Error(`git ${subcommand(args)} failed: ${oneLine(r.stderr) || `exit ${r.code}`}`));
    });
  });
}

/** The git command in `args` (after the options that take a value: -c, -C). */
function subcommand(args: string[]): string {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '-c' || args[i] === '-C') i++;
    else if (!args[i].startsWith('-')) return args[i];
  }
  return args.join(' ');
}

/** git's message on one line: its `fatal:`/`error:` lines when it has some, else all of it. */
export function oneLine(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const fatal = lines.filter((l) => /^(fatal|error):/.test(l));
  return (fatal.length ? fatal : lines).join('; ');
}

/** No prompt for credentials (a sync runs unattended), nothing from the terminal. */
export function gitEnv(): NodeJS.ProcessEnv {
  return { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: 'echo', LC_ALL: 'C' };
}

/** git with `dir` as its repository; the directory is trusted whoever owns it (the user named it). */
const inRepo = (dir: string, ...args: string[]) => ['-c', `safe.directory=${dir}`, '-C', dir, ...args];

async function isDir(p: string): Promise<boolean> {
  return stat(p).then((s) => s.isDirectory(), () => false);
}

/** 'bare' for a directory holding HEAD, objects/ and refs/; 'worktree' for one holding .git; else null. */
export async function gitRepoKind(dir: string): Promise<'bare' | 'worktree' | null> {
  if ((await stat(join(dir, '.git')).catch(() => null)) !== null) return 'worktree';
  const head = await stat(join(dir, 'HEAD')).catch(() => null);
  if (head?.isFile() && (await isDir(join(dir, 'objects'))) && (await isDir(join(dir, 'refs')))) return 'bare';
  return null;
}

/** The epochs of an inbox directory (`dir/git/N.git`), in numeric order; null when it is not one. */
export async function inboxEpochs(dir: string): Promise<string[] | null> {
  const names = await readdir(join(dir, 'git')).catch(() => null);
  if (!names) return null;
  const epochs = names.filter((n) => /^\d+\.git$/.test(n)).sort((a, b) => parseInt(a, 10) - parseInt(b, 10));
  return epochs.length ? epochs.map((n) => join(dir, 'git', n)) : null;
}

/** Whether a file's first bytes are a git bundle's header. */
export function isGitBundle(prefix: Buffer): boolean {
  const head = prefix.toString('latin1', 0, 20);
  return head.startsWith('# v2 git bundle\n') || head.startsWith('# v3 git bundle\n');
}

async function resolveHead(dir: string): Promise<string | null> {
  const r = await git(inRepo(dir, 'rev-parse', '--verify', '-q', 'HEAD^{commit}'), { ok: [1, 128] });
  return r.code === 0 ? r.stdout.trim() : null;
}

/**
 * Whether `dir` is a public-inbox epoch: a bare repository, or one with a work tree whose HEAD tree holds `m` or
 * `d` (a bare repository without commits is an empty epoch).
 */
export async function isEpoch(dir: string): Promise<boolean> {
  const kind = await gitRepoKind(dir);
  if (!kind) return false;
  const head = await resolveHead(dir);
  if (!head) return kind === 'bare';
  const r = await git(inRepo(dir, 'ls-tree', '--name-only', head, '--', 'm', 'd'));
  return r.stdout.split('\n').some((n) => n === 'm' || n === 'd');
}

/** Bytes of a repository's objects on disk (packs and loose objects). */
async function objectBytes(gitDir: string): Promise<number> {
  let total = 0;
  const walk = async (d: string, depth: number): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = join(d, e.name);
      if (e.isDirectory() && depth < 2) await walk(p, depth + 1);
      else if (e.isFile()) total += (await stat(p).catch(() => ({ size: 0 }))).size;
    }
  };
  await walk(join(gitDir, 'objects'), 0);
  return total;
}

async function gitDirOf(dir: string): Promise<string> {
  return (await gitRepoKind(dir)) === 'worktree'
    ? (await git(inRepo(dir, 'rev-parse', '--absolute-git-dir'))).stdout.trim()
    : dir;
}

/** One entry of `git log --raw`: a commit and the blob it wrote as `m` (a message) or `d` (a deletion). */
interface Entry {
  commit: string;
  position: number;
  blob: string;
  purged: boolean;
}

/**
 * The commits of `revs` oldest first, with the blob each writes as `m` or `d` (commits writing neither are
 * counted, not yielded). Streams git's output.
 */
async function* logEntries(dir: string, revs: string[], firstPosition: number): AsyncGenerator<Entry> {
  const p = spawn('git', inRepo(dir, 'log', '--reverse', '--root', '--raw', '--no-abbrev', '--no-renames', '--format=%x00%H', ...revs, '--'),
    { stdio: ['ignore', 'pipe', 'pipe'], env: gitEnv() });
  const exited = exitOf(p);
  const err: Buffer[] = [];
  p.stderr.on('data', (b: Buffer) => err.push(b));
  let commit = '';
  let position = firstPosition - 1;
  let finished = false;
  try {
    for await (const line of createInterface({ input: p.stdout, crlfDelay: Infinity })) {
      if (line.charCodeAt(0) === 0) {
        commit = line.slice(1);
        position++;
      } else if (line.charCodeAt(0) === 0x3a /* : */) {
        // :old-mode new-mode old-blob new-blob status<TAB>path
        const tab = line.indexOf('\t');
        const path = line.slice(tab + 1);
        if (path !== 'm' && path !== 'd') continue;
        const blob = line.slice(1, tab).split(' ')[3];
        if (!blob || ZERO.test(blob)) continue;
        yield { commit, position, blob, purged: path === 'd' };
      }
    }
    finished = true;
  } finally {
    if (!finished) stop(p);
    const code = await exited;
    if (finished && code !== 0) throw new Error(`git log failed in ${dir}: ${Buffer.concat(err).toString('utf8').trim() || `exit ${code}`}`);
  }
}

/** Stop a child whose output is no longer wanted (its pipes are closed too: unread output would keep it open). */
function stop(p: ReturnType<typeof spawn>): void {
  p.kill();
  p.stdout?.destroy();
  p.stderr?.destroy();
}

function exitOf(p: ReturnType<typeof spawn>): Promise<number> {
  return new Promise((resolve) => {
    if (p.exitCode !== null) resolve(p.exitCode);
    p.once('close', (code) => resolve(code ?? -1));
    p.once('error', () => resolve(-1));
  });
}

/** Resolves when a stream that refused a write takes more (or closes). */
function writable(w: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      w.off('drain', done);
      w.off('close', done);
      resolve();
    };
    w.on('drain', done);
    w.on('close', done);
  });
}

/** Reads `git cat-file --batch` answers: a header line, then that many bytes and a newline. */
class BatchReader {
  /** unread bytes: `head` and the chunks after it (joined only when an object spans them) */
  private head: Buffer = Buffer.alloc(0);
  private tail: Buffer[] = [];
  private length = 0;
  private ended = false;
  private readonly it: AsyncIterator<Buffer>;

  constructor(input: AsyncIterable<Buffer>) {
    this.it = input[Symbol.asyncIterator]();
  }

  /** Hold at least `n` bytes in `head`; false when the input ends first. */
  private async need(n: number): Promise<boolean> {
    while (this.length < n) {
      if (this.ended) return false;
      const r = await this.it.next();
      if (r.done) {
        this.ended = true;
        return false;
      }
      this.tail.push(r.value);
      this.length += r.value.length;
    }
    if (this.head.length < n) {
      this.head = Buffer.concat([this.head, ...this.tail]);
      this.tail = [];
    }
    return true;
  }

  private skip(n: number): void {
    this.head = this.head.subarray(n);
    this.length -= n;
  }

  /** Whether the input ended with nothing left unread. */
  drained(): boolean {
    return this.ended && this.length === 0;
  }

  async object(): Promise<{ id: string; type: string; bytes: Buffer | null }> {
    let eol: number;
    for (let want = 1; (eol = this.head.indexOf(0x0a)) === -1; want = this.head.length + 1) {
      if (!(await this.need(want))) throw new Error('git cat-file ended early');
    }
    const [id = '', type = '', size = ''] = this.head.toString('latin1', 0, eol).split(' ');
    if (type === 'missing' || type === 'ambiguous') {
      this.skip(eol + 1);
      return { id, type, bytes: null };
    }
    const n = Number(size);
    if (!(await this.need(eol + 1 + n + 1))) throw new Error('git cat-file ended early');
    // a copy: the chunk it was cut from goes on to the next objects
    const bytes = Buffer.from(this.head.subarray(eol + 1, eol + 1 + n));
    this.skip(eol + 1 + n + 1);
    return { id, type, bytes };
  }
}

/**
 * The blobs of `entries`, in order, as raw messages of `source`; `onRead` is told of each entry read.
 *
 * The blob ids are pumped into `git cat-file --batch --buffer` as the entries come, on their own: git writes its
 * answers in large buffered chunks (one per object, unbuffered, cost more than git's own work), and it flushes the
 * last ones when its input ends. The pump waits only on the pipe into git (which fills only when git waits for its
 * answers to be read), so the entries in flight are bounded by the pipes' sizes.
 */
async function* blobs(dir: string, source: string, entries: AsyncIterable<Entry>, onRead: (e: Entry) => void): AsyncGenerator<RawMessage> {
  const cat = spawn('git', inRepo(dir, 'cat-file', '--batch', '--buffer'), { stdio: ['pipe', 'pipe', 'pipe'], env: gitEnv() });
  const exited = exitOf(cat);
  const err: Buffer[] = [];
  cat.stderr.on('data', (b: Buffer) => err.push(b));
  cat.stdin.on('error', () => {}); // a dead cat-file shows as its reader ending early
  const reader = new BatchReader(cat.stdout);
  const asked: Entry[] = [];
  let stopped = false;
  let pumpError: unknown = null;
  const pump = (async () => {
    // ids written a few hundred at a time: one write (and one wake-up of git) each would cost more than the reading
    let ids = '';
    let n = 0;
    const send = async () => {
      const ok = cat.stdin.write(ids);
      ids = '';
      n = 0;
      if (!ok && !cat.stdin.destroyed) await writable(cat.stdin);
    };
    try {
      for await (const e of entries) {
        if (stopped) break;
        asked.push(e);
        ids += `${e.blob}\n`;
        if (++n >= 256) await send();
      }
      if (n && !stopped) await send();
    } catch (e) {
      pumpError = e;
    } finally {
      cat.stdin.end();
    }
  })();
  let answered = 0;
  try {
    for (;;) {
      let o;
      try {
        o = await reader.object();
      } catch (x) {
        if (pumpError) throw pumpError;
        // the input ended: every entry asked for is answered (or git failed)
        if (answered === asked.length && (x as Error).message.includes('ended early') && reader.drained()) break;
        throw new Error(`${(x as Error).message} in ${dir}: ${Buffer.concat(err).toString('utf8').trim()}`);
      }
      const e = asked[answered];
      if (!e) throw new Error(`git cat-file answered more than was asked in ${dir}`);
      asked[answered++] = undefined as never; // let the entry go
      if (!o.bytes) throw new Error(`blob ${e.blob} of commit ${e.commit} is ${o.type} in ${dir}`);
      onRead(e);
      yield { bytes: o.bytes, source: `${source}#${e.commit}`, offset: e.position, separatorDate: null, format: 'public-inbox', ...(e.purged ? { purged: true } : {}) };
      if (answered > 4096 && answered * 2 > asked.length) {
        asked.splice(0, answered);
        answered = 0;
      }
    }
    await pump;
    if (pumpError) throw pumpError;
  } finally {
    stopped = true;
    if (answered < asked.length || !reader.drained()) stop(cat);
    cat.stdin.end();
    await pump;
    await exited;
  }
}

async function count(dir: string, revs: string[]): Promise<number> {
  return Number((await git(inRepo(dir, 'rev-list', '--count', ...revs, '--'))).stdout.trim());
}

/** The ids of the `m` blobs the commits of `revs` write. */
async function messageBlobs(dir: string, revs: string[]): Promise<Set<string>> {
  const out = new Set<string>();
  for await (const e of logEntries(dir, revs, 1)) if (!e.purged) out.add(e.blob);
  return out;
}

async function* fromList<T>(xs: T[]): AsyncGenerator<T> {
  yield* xs;
}

/**
 * Open one epoch (a git directory, bare or with a work tree) to read what is new since the commit `state` gives
 * for it, if any (see the header).
 * `source` names it in messages and state (default: the directory as resolved on disk).
 */
export async function openEpoch(
  dir: string,
  opts: { state?: (source: string) => EpochState | undefined; source?: string; onClose?: () => Promise<void> } = {},
): Promise<EpochArchive> {
  const source = opts.source ?? (await realpath(dir));
  const gitDir = await gitDirOf(dir);
  const onDisk = objectBytes(gitDir); // meanwhile
  const head = await resolveHead(dir);
  const known = opts.state?.(source);
  let revs: string[] = [];
  let removals: Entry[] = [];
  let rewritten = false;
  let total = 0;
  let toRead = 0;
  if (head && known?.commit !== head) {
    revs = [head];
    if (known) {
      const exists = (await git(inRepo(dir, 'cat-file', '-e', `${known.commit}^{commit}`), { ok: [1, 128] })).code === 0;
      const ancestor = exists && (await git(inRepo(dir, 'merge-base', '--is-ancestor', known.commit, head), { ok: [1] })).code === 0;
      rewritten = !ancestor;
      if (exists) {
        revs = [head, `^${known.commit}`];
        if (rewritten) {
          // messages only the old history holds: their blobs are in no new commit
          const fresh = await messageBlobs(dir, revs);
          const seen = new Set<string>();
          for await (const e of logEntries(dir, [known.commit, `^${head}`], 1)) {
            if (e.purged || fresh.has(e.blob) || seen.has(e.blob)) continue;
            seen.add(e.blob);
            removals.push({ ...e, purged: true });
          }
        }
      }
    }
    // a full walk of the history only where the position where reading starts is not known otherwise
    toRead = await count(dir, revs);
    total = known && !rewritten && revs.length > 1 ? known.commits + toRead : revs.length > 1 ? await count(dir, [head]) : toRead;
  }
  const first = total - toRead + 1;
  const size = total ? Math.round(((await onDisk) * toRead) / total) : (await onDisk, 0);
  let read = 0;
  const removal = new WeakSet<RawMessage>();

  async function* messages(): AsyncGenerator<RawMessage> {
    try {
      if (removals.length) {
        for await (const raw of blobs(dir, source, fromList(removals), () => {})) {
          removal.add(raw);
          yield raw;
        }
      }
      if (toRead) yield* blobs(dir, source, logEntries(dir, revs, first), () => read++);
    } finally {
      await opts.onClose?.();
    }
  }

  return {
    source,
    kind: 'epoch',
    compressed: true,
    size,
    commits: toRead,
    upToDate: !!head && known?.commit === head,
    rewritten,
    head: head ? { commit: head, commits: total || (known?.commits ?? 0) } : null,
    messages: messages(),
    bytesRead: () => (toRead ? Math.round((size * read) / toRead) : 0),
    resumeAfter: (raw) => {
      if (removal.has(raw)) return null;
      const hash = raw.source.lastIndexOf('#');
      return { commit: raw.source.slice(hash + 1), commits: raw.offset };
    },
  };
}

/**
 * Open a git bundle of an epoch: it is cloned into a temporary mirror, which is removed once the messages are
 * read (or the process exits). Its source is the bundle file.
 */
export async function openBundle(file: string, opts: { state?: (source: string) => EpochState | undefined } = {}): Promise<EpochArchive> {
  const source = await realpath(file);
  const tmp = await mkdtemp(join(os.tmpdir(), 'relapse-bundle-'));
  const mirror = join(tmp, 'epoch.git');
  const cleanup = () => rmSync(tmp, { recursive: true, force: true });
  process.once('exit', cleanup);
  try {
    await git(['clone', '--mirror', '--quiet', source, mirror]);
  } catch (e) {
    cleanup();
    process.off('exit', cleanup);
    throw new Error(`cannot read git bundle '${file}': ${(e as Error).message}`, { cause: e });
  }
  return openEpoch(mirror, {
    state: opts.state,
    source,
    onClose: async () => {
      await rm(tmp, { recursive: true, force: true });
      process.off('exit', cleanup);
    },
  });
}
