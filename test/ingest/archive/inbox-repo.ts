// Builds public-inbox v2 epochs for tests with the real git (plumbing: hash-object, mktree, commit-tree), laid
// out as public-inbox does: one message per commit in the blob `m`, a deletion as a commit writing `d`.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const git = (dir: string, args: string[], input?: string | Buffer, env: NodeJS.ProcessEnv = {}) =>
  execFileSync('git', ['-C', dir, ...args], { input, env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 1 << 28 }).trim();

type Step = { file: 'm' | 'd'; bytes: Buffer };

/** A bare epoch repository whose history is a list of steps (a message written as `m`, or deleted as `d`). */
export class TestEpoch {
  readonly steps: Step[] = [];

  constructor(readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true });
    execFileSync('git', ['init', '--quiet', '--bare', '-b', 'master', dir]);
  }

  /** Commit a message (as public-inbox's import does); returns the commit id. */
  add(message: string | Buffer): string {
    return this.commit({ file: 'm', bytes: Buffer.from(message) });
  }

  /** Commit many messages at once (one `git fast-import`: a commit each, as {@link add} writes them). */
  addMany(messages: (string | Buffer)[]): void {
    const parts: Buffer[] = [];
    const had = this.steps.length > 0;
    messages.forEach((m, i) => {
      const bytes = Buffer.from(m);
      const t = 1_600_000_000 + this.steps.length;
      parts.push(Buffer.from(`blob\nmark :${2 * i + 1}\ndata ${bytes.length}\n`), bytes, Buffer.from('\n'));
      parts.push(Buffer.from(`commit refs/heads/master\nmark :${2 * i + 2}\nauthor a <a@example.org> ${t} +0000\n` +
        `committer c <c@example.org> ${t} +0000\ndata 8\nmessage\n${i === 0 && had ? 'from refs/heads/master^0\n' : ''}` +
        `deleteall\nM 100644 :${2 * i + 1} m\n\n`));
      this.steps.push({ file: 'm', bytes });
    });
    git(this.dir, ['fast-import', '--quiet', '--force'], Buffer.concat(parts));
  }

  /** Commit a deletion of `message` (public-inbox's purge/learn rm: `m` removed, the message written as `d`). */
  remove(message: string | Buffer): string {
    return this.commit({ file: 'd', bytes: Buffer.from(message) });
  }

  head(): string {
    return git(this.dir, ['rev-parse', 'HEAD']);
  }

  /** Rewrite history without the steps `drop` picks (lore's purge by rewriting): the commits after the first dropped change. */
  rewrite(drop: (step: Step, i: number) => boolean): void {
    const keep = this.steps.filter((s, i) => !drop(s, i));
    this.steps.length = 0;
    git(this.dir, ['update-ref', '-d', 'refs/heads/master']);
    for (const s of keep) this.commit(s);
  }

  /** Move master back `n` commits (a mirror cut short); `restore` puts the head back. */
  cut(n: number): string {
    const was = this.head();
    git(this.dir, ['update-ref', 'refs/heads/master', `HEAD~${n}`]);
    return was;
  }

  restore(commit: string): void {
    git(this.dir, ['update-ref', 'refs/heads/master', commit]);
  }

  /** A bundle of the epoch's history. */
  bundle(file: string): string {
    git(this.dir, ['bundle', 'create', '--quiet', file, 'master']);
    return file;
  }

  private commit(step: Step): string {
    const blob = git(this.dir, ['hash-object', '-w', '--stdin'], step.bytes);
    const tree = git(this.dir, ['mktree'], `100644 blob ${blob}\t${step.file}\n`);
    const parent = this.steps.length ? ['-p', this.head()] : [];
    // dates by position: the same history written again gives the same commits
    const date = `@${1_600_000_000 + this.steps.length} +0000`;
    const who = { GIT_AUTHOR_NAME: 'a', GIT_AUTHOR_EMAIL: 'a@example.org', GIT_COMMITTER_NAME: 'c', GIT_COMMITTER_EMAIL: 'c@example.org' };
    const commit = git(this.dir, ['commit-tree', tree, ...parent, '-m', step.file === 'm' ? 'message' : 'delete'], undefined,
      { ...who, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date });
    git(this.dir, ['update-ref', 'refs/heads/master', commit]);
    this.steps.push(step);
    return commit;
  }
}

/** A v2 inbox directory `dir` with its epochs `git/N.git`. */
export function testInbox(dir: string, epochs = 1): TestEpoch[] {
  return Array.from({ length: epochs }, (_, n) => new TestEpoch(path.join(dir, 'git', `${n}.git`)));
}

/** A small plain-text mail. */
export function mail(id: string, subject: string, o: { inReplyTo?: string; date?: string; from?: string; body?: string } = {}): string {
  return [
    `From: ${o.from ?? 'Dev One <dev1@example.org>'}`,
    `To: kexec@lists.infradead.org`,
    `Subject: ${subject}`,
    `Date: ${o.date ?? 'Mon, 29 Mar 2010 10:00:00 +0000'}`,
    `Message-ID: <${id}>`,
    ...(o.inReplyTo ? [`In-Reply-To: <${o.inReplyTo}>`, `References: <${o.inReplyTo}>`] : []),
    'List-Id: <kexec.lists.infradead.org>',
    '',
    o.body ?? `Body of ${subject}.`,
    '',
  ].join('\n');
}
