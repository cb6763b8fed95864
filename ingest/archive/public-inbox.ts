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
// Messages come from the commits of HEAD oldest first, from one `git fast-export`, which walks the history, finds
// what each commit changes and streams the changed blobs ahead of the commit, in one buffered pipe (the archive is
// never held in memory: what is in flight is bounded by the pipe and one commit's blobs). Which messages, in which
// order, at which positions, is what `git log --reverse --raw` names: a commit (not a merge) adding or changing `m`
// yields its message; one writing `d` yields the deleted message marked `purged`, for the store to remove. Each
// message's source is `<epoch>#<commit id>` and its offset the commit's position in the epoch's history (1 = the
// first commit; every commit counts, whatever it writes).
// Why fast-export rather than `git log --raw` naming the blobs and `git cat-file --batch` streaming them (as this
// reader did first, and still does for a rewrite's dropped messages): cat-file writes each blob with a write of its
// own, and the reader wakes for each; with log's walk beside it that cost about twice git's own work of reading the
// blobs (100,000 messages: 4.2 s of CPU against 2.3 s now, reader and git together; an mbox's reader takes 0.45 s).
//
// Incremental reading: `known` is the last commit stored from this epoch. When it is HEAD, nothing is read; when
// it is an ancestor of HEAD, only the commits after it are read; otherwise the epoch was rewritten (lore purges
// spam by rewriting history): the commits not reachable from the known one are read (Message-ID deduplication
// keeps what was stored), and the messages only the old history held (their blobs are in old commits and in no
// new one) are yielded `purged`, before the rest. When the known commit is gone from the repository (a bundle
// cloned afresh, a mirror garbage-collected) the whole epoch is read again and such removals cannot be seen.
// `resumeAfter` tells the pipeline the commit to remember after a batch (none for those removals: an ingest
// stopped among them finds the same rewrite again).
import { spawn, spawnSync } from 'node:child_process';
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
  constructor(private readonly input: StreamReader) {}

  /** Whether the input ended with nothing left unread. */
  drained(): Promise<boolean> {
    return this.input.atEnd();
  }

  async object(): Promise<{ id: string; type: string; bytes: Buffer | null }> {
    const header = await this.input.line();
    if (header === null) throw new Error('git cat-file ended early');
    const [id = '', type = '', size = ''] = header.split(' ');
    if (type === 'missing' || type === 'ambiguous') return { id, type, bytes: null };
    const bytes = await this.input.bytes(Number(size));
    if ((await this.input.line()) !== '') throw new Error('git cat-file ended early');
    return { id, type, bytes };
  }
}

/**
 * Lines and counted bytes out of a stream of chunks (git's output). What is held is `buf` from `pos` on: the
 * current chunk, with the unfinished end of the one before it carried in front (a line is never copied otherwise).
 * Counted bytes are copied once into a buffer of their own (what is yielded must not hold on to git's chunks), or
 * passed over unread. The callers that read many lines look for them in `buf` themselves, and wait for a chunk
 * (`fill`) only when the next line is not all there: a wait for each line would cost more than git's own work.
 */
class StreamReader {
  buf: Buffer = Buffer.alloc(0);
  pos = 0;
  private ended = false;
  private readonly it: AsyncIterator<Buffer>;

  constructor(input: AsyncIterable<Buffer>) {
    this.it = input[Symbol.asyncIterator]();
  }

  /** Take the next chunk after what is unread; false at the end of the input. */
  async fill(): Promise<boolean> {
    if (this.ended) return false;
    const r = await this.it.next();
    if (r.done) {
      this.ended = true;
      return false;
    }
    this.buf = this.pos < this.buf.length ? Buffer.concat([this.buf.subarray(this.pos), r.value]) : r.value;
    this.pos = 0;
    return true;
  }

  /** The next line without its newline (latin1: git's own lines are ASCII), or null at the end of the input. */
  async line(): Promise<string | null> {
    let eol: number;
    while ((eol = this.buf.indexOf(0x0a, this.pos)) === -1) {
      if (!(await this.fill())) {
        if (this.pos < this.buf.length) throw new Error('git output ended in the middle of a line');
        return null;
      }
    }
    const line = this.buf.toString('latin1', this.pos, eol);
    this.pos = eol + 1;
    return line;
  }

  /** The next `n` bytes when they are all held (copied, or passed over when `keep` is false), else null. */
  bytesHeld(n: number, keep: boolean): Buffer | null {
    if (this.buf.length - this.pos < n) return null;
    const out = keep ? Buffer.allocUnsafe(n) : EMPTY;
    if (keep) this.buf.copy(out, 0, this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** The next `n` bytes, copied; `keep` false passes over them (nothing is held). */
  async bytes(n: number, keep = true): Promise<Buffer> {
    const held = this.bytesHeld(n, keep);
    if (held) return held;
    const out = keep ? Buffer.allocUnsafe(n) : EMPTY;
    let have = 0;
    for (;;) {
      const take = Math.min(n - have, this.buf.length - this.pos);
      if (keep) this.buf.copy(out, have, this.pos, this.pos + take);
      have += take;
      this.pos += take;
      if (have === n) return out;
      if (!(await this.fill())) throw new Error('git output ended early');
    }
  }

  /** Whether the input ended with nothing left unread. */
  async atEnd(): Promise<boolean> {
    while (this.pos === this.buf.length) if (!(await this.fill())) return true;
    return false;
  }
}

const EMPTY = Buffer.alloc(0);

/**
 * The blobs of `entries`, in order, as raw messages of `source` (the messages a rewrite dropped, see openEpoch).
 *
 * The blob ids are pumped into `git cat-file --batch --buffer` as the entries come, on their own: git does not
 * flush after each answer (though it still writes each blob's bytes with a write of their own: see exportedMessages
 * for the reading of a whole epoch), and it flushes the last ones when its input ends. The pump waits only on the
 * pipe into git (which fills only when git waits for its answers to be read), so the entries in flight are bounded
 * by the pipes' sizes.
 */
async function* blobs(dir: string, source: string, entries: AsyncIterable<Entry>): AsyncGenerator<RawMessage> {
  const cat = spawn('git', inRepo(dir, 'cat-file', '--batch', '--buffer'), { stdio: ['pipe', 'pipe', 'pipe'], env: gitEnv() });
  const exited = exitOf(cat);
  const err = stderrOf(cat);
  cat.stdin.on('error', () => {}); // a dead cat-file shows as its reader ending early
  const reader = new BatchReader(new StreamReader(cat.stdout));
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
  let drained = false;
  try {
    for (;;) {
      if (answered === asked.length && (await reader.drained())) {
        drained = true;
        break;
      }
      let o;
      try {
        o = await reader.object();
      } catch (x) {
        if (pumpError) throw pumpError;
        throw new Error(`${(x as Error).message} in ${dir}: ${err()}`);
      }
      const e = asked[answered];
      if (!e) throw new Error(`git cat-file answered more than was asked in ${dir}`);
      asked[answered++] = undefined as never; // let the entry go
      if (!o.bytes) throw new Error(`blob ${e.blob} of commit ${e.commit} is ${o.type} in ${dir}`);
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
    if (!drained) stop(cat);
    cat.stdin.end();
    await pump;
    await exited;
  }
}

/** git's error output, kept up to a bound (a warning a commit could fill memory with). */
function stderrOf(p: ReturnType<typeof spawn>): () => string {
  const err: Buffer[] = [];
  let kept = 0;
  p.stderr!.on('data', (b: Buffer) => {
    if (kept < 64 * 1024) err.push(b);
    kept += b.length;
  });
  return () => Buffer.concat(err).toString('utf8').trim();
}

/** One object at a time out of `git cat-file --batch`, started when first asked (see exportedMessages). */
class ObjectFetcher {
  private cat: ReturnType<typeof spawn> | null = null;
  private reader: BatchReader | null = null;
  private err: () => string = () => '';

  constructor(private readonly dir: string) {}

  /** The bytes of the object `spec` names (`<commit>:<path>`, or an id); null when it is missing. */
  async get(spec: string): Promise<Buffer | null> {
    if (!this.cat) {
      this.cat = spawn('git', inRepo(this.dir, 'cat-file', '--batch'), { stdio: ['pipe', 'pipe', 'pipe'], env: gitEnv() });
      this.cat.stdin!.on('error', () => {});
      this.cat.on('error', () => {});
      this.err = stderrOf(this.cat);
      this.reader = new BatchReader(new StreamReader(this.cat.stdout!));
    }
    this.cat.stdin!.write(`${spec}\n`);
    try {
      return (await this.reader!.object()).bytes;
    } catch (x) {
      throw new Error(`${(x as Error).message} in ${this.dir}: ${this.err()}`);
    }
  }

  async close(): Promise<void> {
    if (!this.cat) return;
    const exited = exitOf(this.cat);
    this.cat.stdin!.end();
    stop(this.cat);
    await exited;
  }
}

/**
 * Bytes of blobs held while waiting for the commit that names them: an epoch's commit writes one message, but a
 * commit of another repository may write many files (fast-export streams every changed blob, whatever its path).
 * Blobs past this are passed over, and fetched by commit and path if the commit turns out to name them.
 */
const MAX_PENDING_BYTES = 64 << 20;

const bytesOf = (s: string) => Buffer.from(s, 'latin1');
const DATA = bytesOf('data ');
const MARK = bytesOf('mark ');
const ORIGINAL_OID = bytesOf('original-oid ');
const MERGE = bytesOf('merge ');
/** The lines that start an object or a command of a fast-export stream, by their first byte. */
const COMMANDS = new Map(['blob\n', 'commit ', 'reset ', 'tag ', 'feature ', 'progress ', 'done\n', 'alias\n']
  .map((c) => [c.charCodeAt(0), bytesOf(c)]));

/** Whether the line `buf[s, eol)` starts with `word` (a word ending in a newline: is exactly it). */
function startsWith(buf: Buffer, s: number, eol: number, word: Buffer): boolean {
  const n = word[word.length - 1] === 0x0a ? word.length - 1 : word.length;
  if (eol - s < n || (n < word.length && eol - s !== n)) return false;
  for (let i = 0; i < n; i++) if (buf[s + i] !== word[i]) return false;
  return true;
}

/** The decimal number in `buf[s, eol)`; -1 when it is none. */
function decimal(buf: Buffer, s: number, eol: number): number {
  if (s === eol || eol - s > 15) return -1;
  let n = 0;
  for (let i = s; i < eol; i++) {
    const d = buf[i] - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

let stdbuf: boolean | undefined;

/**
 * Whether git's output can be written in large blocks, through coreutils' `stdbuf -o` (git writes through stdio, in
 * blocks of 4 KiB to a pipe: a wake-up of the reader each, which cost git and the reader together a third again of
 * git's own work). Where `stdbuf` cannot run git (there is none: macOS, busybox), or RELAPSE_NO_STDBUF=1 says not to,
 * git runs as it is: the same output, in smaller writes.
 */
function largeWrites(): boolean {
  if (process.env.RELAPSE_NO_STDBUF === '1') return false;
  stdbuf ??= spawnSync('stdbuf', ['-o4M', 'git', '--version'], { stdio: 'ignore', env: gitEnv() }).status === 0;
  return stdbuf;
}

/**
 * The messages the commits of `revs` write as `m` (or delete as `d`), oldest first, from one `git fast-export`:
 * git walks the history, finds what each commit changes and streams the blobs, buffered, in one pipe (`git
 * cat-file --batch` writes each blob with a write of its own, and its reader then wakes for each).
 *
 * What is yielded is what `git log --reverse --raw` names: for each commit that is no merge, the paths `m` and `d`
 * it adds or changes against its parent (all of them for a root commit), in path order; every commit counts for
 * the positions. fast-export streams a blob once: a commit naming a blob it streamed before (a deletion's `d` is
 * the deleted message's blob, written earlier as `m`) names it by its mark, and its bytes are then fetched by
 * commit and path from a `git cat-file --batch` started for that.
 */
async function* exportedMessages(dir: string, source: string, revs: string[], firstPosition: number, onRead: () => void): AsyncGenerator<RawMessage> {
  const args = inRepo(dir, 'fast-export', '--reencode=no', '--show-original-ids', '--reference-excluded-parents', '--date-order', ...revs);
  const [cmd, ...rest] = largeWrites() ? ['stdbuf', '-o4M', 'git', ...args] : ['git', ...args];
  const p = spawn(cmd, rest,
    // git 2.49 aborted on a signed commit unless told not to (a signature is of no interest here; 2.50 strips it)
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...gitEnv(), FAST_EXPORT_SIGNED_COMMITS_NOABORT: '1' } });
  const exited = exitOf(p);
  const err = stderrOf(p);
  const input = new StreamReader(p.stdout!);
  const fetcher = new ObjectFetcher(dir);
  // blobs streamed since the last commit, by mark (null: too big to hold)
  const pending = new Map<string, Buffer | null>();
  let pendingBytes = 0;
  let position = firstPosition - 1;
  let finished = false;
  // what is being read: a blob, a commit (its header, message and file commands), or another command (0)
  let object: 'blob' | 'commit' | 0 = 0;
  let mark = '';
  let commit = '';
  let merge = false;
  let writes: { path: string; ref: string }[] = [];
  try {
    for (;;) {
      const buf = input.buf;
      const s = input.pos;
      const eol = buf.indexOf(0x0a, s);
      const end = eol === -1 && !(await input.fill());
      if (eol === -1 && !end) continue;
      if (end) {
        // the commit read last is whole only if git ended well
        const code = await exited;
        if (code !== 0) throw new Error(`exit ${code}`);
        if (s < buf.length) throw new Error('its output ended in the middle of a line');
      }
      if (!end) input.pos = eol + 1;
      const c = end ? -1 : buf[s];
      const command = COMMANDS.get(c);
      const starts = !!command && startsWith(buf, s, eol, command);
      if (object === 'commit' && (end || eol === s || starts)) {
        // the commit ends (with a blank line, or none before the next command): its messages
        position++;
        if (!merge && writes.length) {
          if (writes.length > 1) writes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
          for (const w of writes) {
            const byMark = w.ref.charCodeAt(0) === 0x3a; /* : */
            let bytes = byMark ? pending.get(w.ref) : null;
            if (!bytes) {
              // a blob streamed for an earlier commit, one too big to hold, or one named by id (a submodule)
              bytes = await fetcher.get(byMark ? `${commit}:${w.path}` : w.ref);
              if (!bytes) throw new Error(`blob ${w.path} of commit ${commit} is missing`);
            }
            onRead();
            yield { bytes, source: `${source}#${commit}`, offset: position, separatorDate: null, format: 'public-inbox', ...(w.path === 'd' ? { purged: true } : {}) };
          }
        }
        pending.clear();
        pendingBytes = 0;
        writes = [];
        merge = false;
        commit = '';
        object = 0;
      }
      if (end) break;
      if (starts) {
        object = c === 0x62 /* blob */ ? 'blob' : c === 0x63 /* commit */ ? 'commit' : 0;
        mark = '';
      } else if (c === 0x64 /* d */ && startsWith(buf, s, eol, DATA)) {
        const n = decimal(buf, s + 5, eol);
        if (n < 0) throw new Error(`git fast-export wrote '${buf.toString('latin1', s, Math.min(eol, s + 80))}' in ${dir}`);
        // a blob's bytes (held while there is room), or a commit's or tag's message (passed over)
        const keep = object === 'blob' && pendingBytes + n <= MAX_PENDING_BYTES;
        const bytes = input.bytesHeld(n, keep) ?? (await input.bytes(n, keep));
        if (object === 'blob') {
          pending.set(mark, keep ? bytes : null);
          if (keep) pendingBytes += n;
          object = 0;
        }
      } else if (object === 'commit') {
        if (c === 0x4d /* M */ && buf[s + 1] === 0x20) {
          // M <mode> <:mark or id> <path>
          const a = buf.indexOf(0x20, s + 2);
          const b = a === -1 ? -1 : buf.indexOf(0x20, a + 1);
          if (b !== -1 && b < eol && eol - b === 2 && (buf[b + 1] === 0x6d /* m */ || buf[b + 1] === 0x64 /* d */)) {
            writes.push({ path: buf[b + 1] === 0x6d ? 'm' : 'd', ref: buf.toString('latin1', a + 1, b) });
          }
        } else if (c === 0x6f /* o */ && !commit && startsWith(buf, s, eol, ORIGINAL_OID)) commit = buf.toString('latin1', s + 13, eol);
        else if (c === 0x6d /* m */ && startsWith(buf, s, eol, MERGE)) merge = true;
      } else if (object === 'blob' && c === 0x6d /* m */ && startsWith(buf, s, eol, MARK)) mark = buf.toString('latin1', s + 5, eol);
    }
    finished = true;
  } catch (e) {
    // git's own words when it has some (a corrupt or missing object ends its output early)
    stop(p);
    await exited;
    const said = oneLine(err());
    throw new Error(`git fast-export failed in ${dir}: ${said || (e as Error).message}`, { cause: e });
  } finally {
    if (!finished) stop(p);
    await fetcher.close();
    await exited;
  }
}

/**
 * The number of commits in `revs`. A repacked repository's bitmap (lore's mirrors, `git gc`) or commit-graph answers
 * without reading every commit (100,000 commits: 0.01-0.03 s against 0.3 s of walking).
 */
async function count(dir: string, revs: string[]): Promise<number> {
  return Number((await git(inRepo(dir, 'rev-list', '--count', '--use-bitmap-index', ...revs, '--'))).stdout.trim());
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
        for await (const raw of blobs(dir, source, fromList(removals))) {
          removal.add(raw);
          yield raw;
        }
      }
      if (toRead) yield* exportedMessages(dir, source, revs, first, () => read++);
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
