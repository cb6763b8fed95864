// What an epoch's reader yields for histories that are not the plain one-message-per-commit kind, checked against
// git's own account of them: `git log --reverse --raw` naming each commit's `m`/`d` blobs and `git cat-file` giving
// their bytes (what the reader did itself before it read `git fast-export`). Duplicate blobs (a message posted
// twice, a deletion's `d`), commits writing other files or nothing, both `d` and `m` at once, paths that only end in
// `m`, a non-UTF-8 commit, a commit message that looks like fast-export's commands, a merge; read whole and from a
// known commit on. Real git repositories built by the test.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDirs } from '../../temp-dirs.ts';
import { openEpoch } from '../../../ingest/archive/public-inbox.ts';
import { mail } from './inbox-repo.ts';

const tmp = tempDirs('relapse-pi-history-');

const git = (dir: string, args: string[], input?: string | Buffer) =>
  execFileSync('git', ['-C', dir, ...args], { input, maxBuffer: 1 << 26 });

interface Read {
  commit: string;
  offset: number;
  purged: boolean;
  bytes: string;
}

/** git's account: each commit of `revs` oldest first, the `m`/`d` blobs it writes, their bytes. */
function byGit(dir: string, revs: string[], first: number): Read[] {
  const log = git(dir, ['log', '--reverse', '--root', '--raw', '--no-abbrev', '--no-renames', '--format=%x00%H', ...revs, '--']).toString('latin1');
  const out: Read[] = [];
  let commit = '';
  let offset = first - 1;
  for (const line of log.split('\n')) {
    if (line.startsWith('\0')) {
      commit = line.slice(1);
      offset++;
    } else if (line.startsWith(':')) {
      const [meta, file] = line.split('\t');
      const blob = meta.split(' ')[3];
      if ((file === 'm' || file === 'd') && !/^0+$/.test(blob)) {
        out.push({ commit, offset, purged: file === 'd', bytes: git(dir, ['cat-file', 'blob', blob]).toString('latin1') });
      }
    }
  }
  return out;
}

async function byReader(dir: string, known?: { commit: string; commits: number }): Promise<Read[]> {
  const real = fs.realpathSync(dir);
  const epoch = await openEpoch(dir, { state: () => known });
  const out: Read[] = [];
  for await (const raw of epoch.messages) {
    expect(raw.source.startsWith(`${real}#`)).toBe(true);
    out.push({ commit: raw.source.slice(real.length + 1), offset: raw.offset, purged: !!raw.purged, bytes: raw.bytes.toString('latin1') });
  }
  return out;
}

/** A `git fast-import` stream: blobs by mark, commits on master writing/deleting files. */
class Stream {
  private parts: Buffer[] = [];
  private marks = 0;
  private time = 1_600_000_000;

  blob(bytes: string | Buffer): string {
    const b = Buffer.from(bytes);
    const mark = `:${++this.marks}`;
    this.parts.push(Buffer.from(`blob\nmark ${mark}\ndata ${b.length}\n`), b, Buffer.from('\n'));
    return mark;
  }

  commit(changes: string[], o: { message?: string; branch?: string; from?: string; merge?: string } = {}): string {
    const mark = `:${++this.marks}`;
    const message = Buffer.from(o.message ?? 'message');
    const t = this.time++;
    this.parts.push(Buffer.from(`commit refs/heads/${o.branch ?? 'master'}\nmark ${mark}\nauthor a <a@example.org> ${t} +0000\n` +
      `committer c <c@example.org> ${t} +0000\ndata ${message.length}\n`), message,
    Buffer.from(`\n${o.from ? `from ${o.from}\n` : ''}${o.merge ? `merge ${o.merge}\n` : ''}${changes.map((c) => `${c}\n`).join('')}\n`));
    return mark;
  }

  import(dir: string): void {
    git(dir, ['fast-import', '--quiet'], Buffer.concat(this.parts));
    this.parts = [];
  }
}

const M = Array.from({ length: 12 }, (_, i) => mail(`h${i}@x`, `message ${i}`, {
  // a message that looks like fast-export's own commands: its bytes are counted, never read as lines
  body: i === 3 ? 'commit refs/heads/master\nM 100644 :1 m\n\nblob\ndata 3\nabc\n' : `Body ${i}.`,
}));

describe('public-inbox epoch reading, against git log --raw + git cat-file', () => {
  it('yields exactly what git names, at the same positions, read whole and from a known commit on', async () => {
    const dir = path.join(tmp(), 'e.git');
    execFileSync('git', ['init', '--quiet', '--bare', '-b', 'master', dir]);
    const s = new Stream();
    const b0 = s.blob(M[0]);
    s.commit([`M 100644 ${b0} m`]); // root
    const b1 = s.blob(M[1]);
    s.commit(['deleteall', `M 100644 ${b1} m`]);
    s.commit([`M 100644 ${s.blob('not mail')} notes`]); // another file only: counted, nothing yielded
    s.commit(['deleteall', `M 100644 ${b0} m`]); // the first message again: a blob streamed before
    s.commit(['deleteall', `M 100644 ${b1} d`]); // a deletion: `d` is the deleted message's blob
    s.commit(['deleteall', `M 100644 ${s.blob(M[2])} d`, `M 100644 ${s.blob(M[3])} m`]); // both at once
    s.commit([`M 100644 ${s.blob(M[4])} x m`, `M 100644 ${s.blob(M[5])} sub/m`, `M 100644 ${s.blob(M[6])} md`]); // not `m`
    s.commit([], { message: 'nothing' }); // an empty commit
    s.commit(['deleteall', `M 100644 ${s.blob(M[7])} m`], { message: 'data 5\nM 100644 :1 m\n\ncommit x\n' });
    s.import(dir);
    // a commit in another encoding (its header says so; fast-export is told to leave it as it is)
    const tree = git(dir, ['mktree'], `100644 blob ${git(dir, ['hash-object', '-w', '--stdin'], M[8]).toString().trim()}\tm\n`).toString().trim();
    const latin1 = git(dir, ['-c', 'i18n.commitEncoding=ISO-8859-1', 'commit-tree', tree, '-p', 'master', '-m', 'caf\xe9'], undefined).toString().trim();
    git(dir, ['update-ref', 'refs/heads/master', latin1]);
    const known = { commit: git(dir, ['rev-parse', 'HEAD']).toString().trim(), commits: 10 };
    const later = new Stream();
    later.commit(['deleteall', `M 100644 ${later.blob(M[0])} d`], { from: known.commit }); // deletes a message read before
    later.commit(['deleteall', `M 100644 ${later.blob(M[9])} m`]);
    later.import(dir);

    const whole = byGit(dir, ['HEAD'], 1);
    expect(whole.map((r) => `${r.offset}${r.purged ? 'd' : 'm'}`)).toEqual(['1m', '2m', '4m', '5d', '6d', '6m', '9m', '10m', '11d', '12m']);
    expect(await byReader(dir)).toEqual(whole);
    // git writing in small blocks (no `stdbuf`, or told not to use it): the same
    process.env.RELAPSE_NO_STDBUF = '1';
    try {
      expect(await byReader(dir)).toEqual(whole);
    } finally {
      delete process.env.RELAPSE_NO_STDBUF;
    }
    const rest = await byReader(dir, known);
    expect(rest).toEqual(byGit(dir, ['HEAD', `^${known.commit}`], 11));
    expect(rest.map((r) => r.offset)).toEqual([11, 12]);
  });

  it('a merge writes nothing of its own (git log names nothing for it); the commits of both sides are read', async () => {
    const dir = path.join(tmp(), 'merge.git');
    execFileSync('git', ['init', '--quiet', '--bare', '-b', 'master', dir]);
    const s = new Stream();
    const base = s.commit([`M 100644 ${s.blob(M[0])} m`]);
    const side = s.commit(['deleteall', `M 100644 ${s.blob(M[1])} m`], { branch: 'side', from: base });
    const main = s.commit(['deleteall', `M 100644 ${s.blob(M[2])} m`], { from: base });
    s.commit(['deleteall', `M 100644 ${s.blob(M[3])} m`], { from: main, merge: side });
    s.commit(['deleteall', `M 100644 ${s.blob(M[4])} m`]);
    s.import(dir);
    const read = await byReader(dir);
    const expected = byGit(dir, ['HEAD'], 1);
    // the two sides in date order, as git log has them (public-inbox writes no merges; a mirror could hold one)
    expect(read).toEqual(expected);
    expect(read.map((r) => r.bytes)).toEqual([M[0], M[1], M[2], M[4]]);
    expect(read.map((r) => r.offset)).toEqual([1, 2, 3, 5]);
  });
});
