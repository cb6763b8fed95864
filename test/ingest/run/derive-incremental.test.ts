// Re-deriving only what new messages can change must end exactly where deriving the whole archive
// ends: same threads, series, versions, acceptance and regressions, whatever order the mail came in.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../../ingest/store/db.ts';
import { ingestPaths } from '../../../ingest/run/pipeline.ts';
import { deriveAll, deriveNew } from '../../../ingest/run/derive.ts';
import { readWatchRulesData } from '../../../config/watch-rules.ts';
import { generateArchive } from '../../../bench/gen-archive.ts';

const FIX = path.join(import.meta.dirname, '..', '..', 'fixtures', 'corpus');
const rulesData = readWatchRulesData();
const tmpDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'relapse-incr-'));

/** The derived state, by content (row ids differ between databases). */
function state(db: Db) {
  const messages = db.prepare(`SELECT m.message_id, t.root, m.parent, m.thread_pos, m.answers, s.anchor AS series, m.accepted_message
    FROM messages m LEFT JOIN threads t ON t.id = m.thread_id LEFT JOIN series s ON s.id = m.series_id ORDER BY m.message_id`).all();
  const series = db.prepare(`SELECT s.anchor, s.title, s.version, s.total, s.cover, s.complete, p.anchor AS previous, n.anchor AS next,
      c.anchor AS chain, s.accepted_message
    FROM series s LEFT JOIN series p ON p.id = s.previous_id LEFT JOIN series n ON n.id = s.next_id LEFT JOIN series c ON c.id = s.chain_id
    ORDER BY s.anchor`).all();
  const threads = db.prepare('SELECT root, size, last_date FROM threads ORDER BY root').all();
  const regressions = db.prepare('SELECT key, status, removed_by, resolved_by, resolution, related FROM regressions ORDER BY key').all();
  const fixes = db.prepare('SELECT key, status, file, function FROM fixes ORDER BY key').all();
  return { messages, series, threads, regressions, fixes };
}

function shuffled<T>(xs: T[], seed: number): T[] {
  const out = [...xs];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Ingest `parts` one after another, re-deriving only what each one changes. */
async function incrementally(parts: string[]): Promise<Db> {
  const db = openDb(path.join(tmpDir(), 'r.db'));
  for (const p of parts) {
    await ingestPaths(db, [p], { rulesData, workers: 0, skipDerive: true });
    deriveNew(db, [], 1); // never fall back to the whole archive
  }
  return db;
}

async function whole(file: string): Promise<Db> {
  const db = openDb(path.join(tmpDir(), 'r.db'));
  await ingestPaths(db, [file], { rulesData, workers: 0, skipDerive: true });
  deriveAll(db);
  return db;
}

function split(file: string, chunks: number, seed: number): string[] {
  const messages = fs.readFileSync(file, 'latin1').split(/(?=^From mboxrd@z )/m);
  const order = shuffled(messages, seed);
  const dir = tmpDir();
  const size = Math.ceil(order.length / chunks);
  return Array.from({ length: chunks }, (_, i) => {
    const f = path.join(dir, `part-${i}.mbox`);
    fs.writeFileSync(f, order.slice(i * size, (i + 1) * size).join(''), 'latin1');
    return f;
  });
}

describe('incremental derivation', () => {
  it('ends where a whole derivation ends, on the corpus in shuffled chunks', async () => {
    const file = path.join(FIX, 'archive.mbox');
    const want = state(await whole(file));
    expect(want.regressions.length).toBeGreaterThan(0);
    for (const [chunks, seed] of [[7, 1], [23, 2], [60, 3]] as const) {
      expect(state(await incrementally(split(file, chunks, seed))), `${chunks} chunks, seed ${seed}`).toEqual(want);
    }
  });

  it('ends where a whole derivation ends, on a generated archive fed in order', async () => {
    const file = path.join(tmpDir(), 'g.mbox');
    generateArchive(file, { messages: 1200, seed: 5 });
    const want = state(await whole(file));
    const text = fs.readFileSync(file, 'latin1').split(/(?=^From mboxrd@z )/m);
    const dir = tmpDir();
    const parts = [0, 1, 2, 3, 4, 5].map((i) => {
      const f = path.join(dir, `p${i}.mbox`);
      fs.writeFileSync(f, text.slice(i * 200, (i + 1) * 200 + (i === 5 ? text.length : 0)).join(''), 'latin1');
      return f;
    });
    expect(state(await incrementally(parts))).toEqual(want);
  });

  it('reads only the part of the archive a new reply touches', async () => {
    const db = await whole(path.join(FIX, 'archive.mbox'));
    const reply = `From mboxrd@z Thu Jan  1 00:00:00 1970
From: Late Reviewer <late@example.org>
Subject: Re: [PATCH] x86/amd-iommu: flush all devices on init again
Date: Mon, 3 Jan 2011 10:00:00 +0000
Message-ID: <late-reply@example.org>
In-Reply-To: <ku9qjf-21-git-send-email-cwren@sous.example>
References: <ku9qjf-21-git-send-email-cwren@sous.example>

Looks right.

Reviewed-by: Late Reviewer <late@example.org>
`;
    const f = path.join(tmpDir(), 'late.mbox');
    fs.writeFileSync(f, reply);
    const before = state(db);
    await ingestPaths(db, [f], { rulesData, workers: 0, skipDerive: true });
    const r = deriveNew(db, [], 1);
    // one thread re-threaded and one author's series re-grouped, not the archive's 129
    expect(r.threads).toBeLessThan(10);
    expect(r.series).toBeLessThan(20);
    const after = state(db);
    const threadOf = (s: typeof before, id: string) => (s.messages as { message_id: string; root: string }[]).find((m) => m.message_id === id)!.root;
    expect(threadOf(after, 'late-reply@example.org')).toBe(threadOf(before, 'ku9qjf-21-git-send-email-cwren@sous.example'));
    expect(after.regressions).toEqual(before.regressions);
  });

  it('joins a late message to the thread of replies that name it only in the middle of their references', async () => {
    const mail = (id: string, refs: string[], subject = 'Re: x') =>
      `From mboxrd@z Thu Jan  1 00:00:00 1970\nFrom: a@example.org\nSubject: ${subject}\nDate: Mon, 3 Jan 2011 10:00:00 +0000\nMessage-ID: <${id}>\n` +
      (refs.length ? `In-Reply-To: <${refs[refs.length - 1]}>\nReferences: ${refs.map((r) => `<${r}>`).join(' ')}\n` : '') + '\nbody\n\n';
    const dir = tmpDir();
    const files = {
      // c waits for a, n and b; d waits for a and x
      first: [mail('c@x', ['a@x', 'n@x', 'b@x']), mail('d@x', ['a@x', 'x@x'])],
      // n names nothing (it was in the middle of c's references); e shares the placeholder x with d
      second: [mail('n@x', [], 'x'), mail('e@x', ['x@x'])],
    };
    const write = (name: string, mails: string[]) => {
      const f = path.join(dir, name);
      fs.writeFileSync(f, mails.join(''));
      return f;
    };
    // each late message on its own, so neither can pull the other's thread in
    const parts = [write('first.mbox', files.first), write('n.mbox', [files.second[0]]), write('e.mbox', [files.second[1]])];
    const both = write('both.mbox', [...files.first, ...files.second]);
    const want = state(await whole(both));
    const got = state(await incrementally(parts));
    expect(got).toEqual(want);
    const roots = new Set((got.messages as { root: string }[]).map((m) => m.root));
    expect(roots.size).toBe(1); // all four in one thread
  });
});
