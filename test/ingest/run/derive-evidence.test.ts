// The evidence step streamed (issue 15: notices read a page at a time in SQLite's order, twice; evidence gathered in
// a temporary table, ranked and written from there) writes exactly what the notices held in memory, resolved by
// findEvidence and written the way the step wrote them before, gave: the same evidence rows (rank included), the same
// `accepted` columns of messages and series, the same Message-IDs whose acceptance changed. On real archives (the
// corpus, the real kexec list when present, a generated one) and on a hand-made one that has every kind of notice,
// from three starting points (as derived, a first import, columns out of date), read a page at a time of any size,
// the evidence found held or in a temporary table (from the first piece, or past a few); and when SQLite's order is
// not core's (a date Date.parse cannot read), through the notices held.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../../ingest/store/db.ts';
import { ingestPaths } from '../../../ingest/run/pipeline.ts';
import { deriveEvidence } from '../../../ingest/run/derive-evidence.ts';
import { dropEvidenceScratch, evidenceLookup, noticesInOrder, readNotices } from '../../../ingest/store/evidence-store.ts';
import { findEvidence, inProcessingOrder, processingOrder, strongest, type TargetedEvidence } from '../../../ingest/core/evidence.ts';
import type { Evidence } from '../../../ingest/core/model.ts';
import { formatMboxrd } from '../../../ingest/archive/mbox-reader.ts';
import { readWatchRulesData } from '../../../config/watch-rules.ts';
import { generateArchive } from '../../../bench/gen-archive.ts';
import { tempDirs } from '../../temp-dirs.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');
const CORPUS = path.join(ROOT, 'test', 'fixtures', 'corpus', 'archive.mbox');
const REAL_KEXEC = path.resolve(ROOT, '..', 'shared', 'corpus', 'real-kexec', 'kexec-2019-2020.mbox.gz');
const ACCEPTANCE = fileURLToPath(new URL('../../fixtures/mail/acceptance/', import.meta.url));
const tmp = tempDirs('relapse-evidence-step-');

/**
 * The step's write before issue 15 (evidence-store.ts's writeEvidence at 8265a51), kept here as the reference:
 * `rows` sorted by target, strongest first, all held.
 */
function writeHeld(db: Db, rows: TargetedEvidence[]): Set<string> {
  type Cols = [string | null, string | null, string | null, string | null];
  const colsOf = (e: Evidence | null | undefined): Cols => (e ? [e.messageId, e.by?.name ?? '', e.by?.email ?? '', e.date] : [null, null, null, null]);
  const same = (a: Cols, b: Cols) => a.every((x, i) => x === b[i]);
  db.prepare('DELETE FROM evidence').run();
  const ins = db.prepare(`INSERT OR IGNORE INTO evidence (target, kind, message_id, state, rank, by_name, by_email, date, tree, branch,
    commit_id, url) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const strongestOf = new Map<string, TargetedEvidence>();
  let rank = 0;
  for (let i = 0; i < rows.length; i++) {
    const e = rows[i];
    rank = i > 0 && rows[i - 1].target === e.target ? rank + 1 : 0;
    ins.run(e.target, e.kind, e.messageId ?? '', e.state, rank, e.by?.name ?? null, e.by?.email ?? null, e.date, e.tree, e.branch, e.commit, e.url);
    if (rank === 0) strongestOf.set(e.target, e);
  }
  const changed = new Set<string>();
  const target = db.prepare(`SELECT is_patch, series_id, accepted_message, accepted_by_name, accepted_by_email, accepted_date FROM messages
    WHERE message_id = ?`).raw(true);
  const upd = db.prepare('UPDATE messages SET accepted_message = ?, accepted_by_name = ?, accepted_by_email = ?, accepted_date = ? WHERE message_id = ?');
  const seriesToRead = new Set<number>();
  for (const [id, e] of strongestOf) {
    const r = target.get(id) as [number, number | null, ...Cols] | undefined;
    if (!r) continue;
    const [isPatch, seriesId, ...cur] = r;
    if (seriesId != null) seriesToRead.add(seriesId);
    const cols = colsOf(e);
    if (isPatch && !same(cols, cur as Cols)) { upd.run(...cols, id); changed.add(id); }
  }
  const stale = (db.prepare('SELECT message_id FROM messages WHERE accepted_message IS NOT NULL AND is_patch = 1').pluck().all() as string[])
    .filter((id) => !strongestOf.has(id));
  for (const id of stale) { upd.run(...colsOf(null), id); changed.add(id); }
  for (const id of db.prepare('SELECT id FROM series WHERE accepted_message IS NOT NULL').pluck().all() as number[]) seriesToRead.add(id);
  const seriesRow = db.prepare('SELECT cover, accepted_message, accepted_by_name, accepted_by_email, accepted_date FROM series WHERE id = ?').raw(true);
  const patchesOf = db.prepare('SELECT message_id FROM messages WHERE series_id = ? AND is_patch = 1').pluck();
  const updSeries = db.prepare('UPDATE series SET accepted_message = ?, accepted_by_name = ?, accepted_by_email = ?, accepted_date = ? WHERE id = ?');
  for (const id of [...seriesToRead].sort((a, b) => a - b)) {
    const row = seriesRow.get(id) as [string | null, ...Cols] | undefined;
    if (!row) continue;
    const [cover, ...cur] = row;
    const patches = patchesOf.all(id) as string[];
    const coverEv = cover ? strongestOf.get(cover) : undefined;
    const all = patches.length > 0 && patches.every((p) => strongestOf.has(p));
    const best = coverEv ?? (all ? strongest(patches.map((p) => strongestOf.get(p)!)) : null);
    const cols = colsOf(best);
    if (!same(cols, cur as Cols)) updSeries.run(...cols, id);
  }
  return changed;
}

/** The step as it was: every notice held, findEvidence, the held write. */
function inMemory(db: Db): Set<string> {
  try {
    return writeHeld(db, findEvidence(readNotices(db), evidenceLookup(db)));
  } finally {
    dropEvidenceScratch(db);
  }
}

/** Everything the step writes. */
function written(db: Db) {
  return {
    evidence: db.prepare('SELECT * FROM evidence ORDER BY target, kind, message_id').all(),
    messages: db.prepare(`SELECT message_id, accepted_message, accepted_by_name, accepted_by_email, accepted_date FROM messages
      WHERE accepted_message IS NOT NULL ORDER BY id`).all(),
    series: db.prepare(`SELECT id, accepted_message, accepted_by_name, accepted_by_email, accepted_date FROM series
      WHERE accepted_message IS NOT NULL ORDER BY id`).all(),
  };
}

/** Where the step starts from, each set up inside the transaction that is rolled back after it. */
const STARTS: Record<string, (db: Db) => void> = {
  derived: () => {},
  'first import': (db) => db.exec(`DELETE FROM evidence;
    UPDATE messages SET accepted_message = NULL, accepted_by_name = NULL, accepted_by_email = NULL, accepted_date = NULL;
    UPDATE series SET accepted_message = NULL, accepted_by_name = NULL, accepted_by_email = NULL, accepted_date = NULL`),
  'out of date': (db) => db.exec(`
    UPDATE messages SET accepted_message = 'gone@x', accepted_by_name = 'n', accepted_by_email = 'e', accepted_date = NULL WHERE is_patch = 1 AND id % 7 = 0;
    UPDATE messages SET accepted_date = '2001-01-01T00:00:00.000Z' WHERE accepted_message IS NOT NULL AND id % 3 = 0;
    UPDATE messages SET accepted_by_name = NULL WHERE accepted_message IS NOT NULL AND id % 5 = 1;
    UPDATE series SET accepted_message = 'gone@x', accepted_by_name = 'n', accepted_by_email = 'e' WHERE id % 5 = 0;
    UPDATE series SET accepted_message = NULL, accepted_by_name = NULL, accepted_by_email = NULL, accepted_date = NULL WHERE id % 5 = 1`),
};

/** What `step` writes and returns from `start`; nothing of it is kept. */
function outcome(db: Db, start: (db: Db) => void, step: (db: Db) => Set<string> | undefined) {
  db.exec('BEGIN');
  try {
    start(db);
    const changed = step(db);
    return { ...written(db), changed: changed && [...changed].sort() };
  } finally {
    db.exec('ROLLBACK');
  }
}

/** The streamed step ends where the in-memory one ends, from every start, at every page size. */
function expectSameAsInMemory(db: Db) {
  for (const [name, start] of Object.entries(STARTS)) {
    const want = outcome(db, start, inMemory);
    for (const held of [0, 5, undefined]) {
      for (const pageSize of held === 5 ? [undefined] : [1, 2, 3, 50, undefined]) {
        expect(outcome(db, start, (d) => deriveEvidence(d, { pageSize, held })), `${name}, pages of ${pageSize ?? 'default'}, ${held ?? 'default'} held`)
          .toEqual(want);
      }
    }
    expect(outcome(db, start, (d) => deriveEvidence(d, { changed: false })), `${name}, no changed set`).toEqual({ ...want, changed: undefined });
  }
  return outcome(db, () => {}, inMemory);
}

async function ingested(files: string[]): Promise<Db> {
  const db = openDb(path.join(tmp(), 'r.db'));
  await ingestPaths(db, files, { rulesData: readWatchRulesData(), workers: 0 });
  return db;
}

const joerg = 'Joerg Roedel <joro@8bytes.org>';
const ada = 'Ada Bauer <ada.bauer@amd.example>';
const vera = 'Vera Gold <vgold@redhat.example>';
const PULL = '0-pull@8bytes.org'; // sorts before pr-tracker-bot's answer by Message-ID (the fixture's id does not)

function mail(h: { from: string; subject: string; date: string; id: string; refs?: string[] }, body: string): string {
  const refs = h.refs ?? [];
  return [
    `From: ${h.from}`, `Subject: ${h.subject}`, `Date: ${h.date}`, `Message-ID: <${h.id}>`,
    ...(refs.length ? [`In-Reply-To: <${refs[refs.length - 1]}>`, `References: ${refs.map((r) => `<${r}>`).join(' ')}`] : []),
    'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', body,
  ].join('\n');
}
const patchBody = (who: string, fn: string) => `Change ${fn}.\n\nSigned-off-by: ${who}\n---\n kernel/kexec.c | 1 +\n\ndiff --git a/kernel/kexec.c b/kernel/kexec.c
--- a/kernel/kexec.c\n+++ b/kernel/kexec.c\n@@ -10,2 +10,3 @@ void ${fn}(void)\n {\n+\t${fn}_more();\n }\n`;
const fixture = (name: string) => fs.readFileSync(ACCEPTANCE + name + '.eml', 'utf8').replaceAll('20200417151402.GA1311@8bytes.org', PULL);

/**
 * Every kind of notice: a pull request naming four patches (one title posted twice) and pr-tracker-bot's answer, a
 * stable copy of one of them, b4's thank-you for one patch of a series, a stable copy found only through the commit
 * b4 named, tip-bot2's commit notice, a maintainer applying his own patch before he is seen applying anyone else's,
 * an answer on a message that is no patch, a tester, an acceptance with no readable date, and b4 listing one patch
 * twice.
 */
const EVERY_NOTICE = [
  mail({ from: ada, subject: '[PATCH] iommu/amd: Flush the completion-wait buffer before shutdown', date: 'Thu, 2 Apr 2020 10:00:00 +0000', id: 'ada-flush@amd.example' },
    patchBody(ada, 'amd_iommu_shutdown')),
  mail({ from: joerg, subject: '[PATCH] iommu/amd: Fix race in increase_address_space()/fetch_pte()', date: 'Fri, 3 Apr 2020 10:00:00 +0000', id: 'race-v1@8bytes.org' },
    patchBody(joerg, 'increase_address_space')),
  mail({ from: 'Qian Cai <cai@lca.pw>', subject: '[PATCH] iommu/amd: Fix legacy interrupt remapping for x2APIC-enabled system', date: 'Sat, 4 Apr 2020 10:00:00 +0000', id: 'qian@lca.pw' },
    patchBody('Qian Cai <cai@lca.pw>', 'iommu_setup_x2apic')),
  mail({ from: joerg, subject: '[PATCH] iommu/amd: Fix the configuration of GCR3 table root pointer', date: 'Sun, 5 Apr 2020 10:00:00 +0000', id: 'gcr3@8bytes.org' },
    patchBody(joerg, 'set_dte_entry')),
  mail({ from: joerg, subject: 'Re: [PATCH] iommu/amd: Fix the configuration of GCR3 table root pointer', date: 'Mon, 6 Apr 2020 10:00:00 +0000', id: 'own@8bytes.org', refs: ['gcr3@8bytes.org'] },
    'Applied to iommu/fixes.\n'),
  mail({ from: joerg, subject: '[PATCH v2] iommu/amd: Fix race in increase_address_space()/fetch_pte()', date: 'Wed, 8 Apr 2020 10:00:00 +0000', id: 'race-v2@8bytes.org', refs: ['race-v1@8bytes.org'] },
    patchBody(joerg, 'increase_address_space')),
  mail({ from: 'Dave Young <dyoung@redhat.com>', subject: 'Re: [PATCH] iommu/amd: Flush the completion-wait buffer before shutdown', date: 'Thu, 9 Apr 2020 10:00:00 +0000', id: 'tester@redhat.com', refs: ['ada-flush@amd.example'] },
    '> A kdump kernel found the command buffer still running.\n\nWith this patch applied, kdump works again.\n\nTested-by: Dave Young <dyoung@redhat.com>\n'),
  mail({ from: 'Qian Cai <cai@lca.pw>', subject: 'kexec: how is the x2APIC remap meant to work?', date: 'Fri, 10 Apr 2020 10:00:00 +0000', id: 'question@lca.pw' }, 'A question, no patch.\n'),
  mail({ from: joerg, subject: 'Re: kexec: how is the x2APIC remap meant to work?', date: 'Sat, 11 Apr 2020 10:00:00 +0000', id: 'elsewhere@8bytes.org', refs: ['question@lca.pw'] },
    'Applied, thanks.\n'),
  fixture('pull-request'),
  fixture('pr-tracker-bot'),
  fixture('stable-upstream'),
  mail({ from: vera, subject: '[PATCH 0/3] iommu/amd: shutdown cleanups', date: 'Fri, 1 May 2020 10:00:00 +0000', id: 'cleanup-0@redhat.example' }, 'Three cleanups.\n'),
  ...[1, 2, 3].map((i) => mail({
    from: vera, subject: `[PATCH ${i}/3] iommu/amd: cleanup ${['one', 'Simplify shutdown', 'three'][i - 1]}`, date: `Fri, 1 May 2020 10:0${i}:00 +0000`,
    id: `cleanup-${i}@redhat.example`, refs: ['cleanup-0@redhat.example'],
  }, patchBody(vera, `iommu_cleanup_${i}`))),
  mail({ from: joerg, subject: 'Re: [PATCH 0/3] iommu/amd: shutdown cleanups', date: 'Sun, 3 May 2020 10:00:00 +0000', id: 'ty@8bytes.org', refs: ['cleanup-0@redhat.example'] },
    'On Fri, 1 May 2020, Vera Gold wrote:\n> Three cleanups.\n\nApplied to iommu (x86/amd), thanks!\n\n[2/3] iommu/amd: cleanup Simplify shutdown\n      https://git.kernel.org/joro/c/abcdef123456\n\nBest regards,\n-- \nJoerg Roedel <joro@8bytes.org>\n'),
  mail({ from: 'Greg Kroah-Hartman <gregkh@linuxfoundation.org>', subject: '[PATCH 5.6 099/146] iommu/amd: Simplify the shutdown path', date: 'Tue, 12 May 2020 10:00:00 +0000', id: 'stable-renamed@linuxfoundation.org' },
    `From: ${vera}\n\ncommit abcdef1234567890abcdef1234567890abcdef12 upstream.\n\n${patchBody(vera, 'iommu_cleanup_2')}`),
  mail({ from: 'Dave Young <dyoung@redhat.com>', subject: '[PATCH] x86/efi: Update e820 with reserved EFI boot services data to fix kexec breakage', date: 'Wed, 4 Dec 2019 07:52:33 +0000', id: '20191204075233.GA10520@dhcp-128-65.nay.redhat.com' },
    patchBody('Dave Young <dyoung@redhat.com>', 'efi_reserve_boot_services')),
  fs.readFileSync(ACCEPTANCE + 'tip-bot2.eml', 'utf8'),
  mail({ from: vera, subject: '[PATCH] kexec: tidy the segment list', date: 'Wed, 13 May 2020 10:00:00 +0000', id: 'tidy@redhat.example' },
    patchBody(vera, 'kexec_tidy')),
  mail({ from: joerg, subject: 'Re: [PATCH] kexec: tidy the segment list', date: 'Thu, 14 May 2020 10:00:00 +0000', id: 'ty-twice@8bytes.org', refs: ['tidy@redhat.example'] },
    'Applied to iommu (next), thanks!\n\n[1/2] kexec: tidy the segment list\n      commit: 1111111aaaaa\n[2/2] kexec: tidy the segment list\n      commit: 2222222bbbbb\n'),
  mail({ from: joerg, subject: 'Re: [PATCH 3/3] iommu/amd: cleanup three', date: 'someday soon', id: 'undated@8bytes.org', refs: ['cleanup-0@redhat.example', 'cleanup-3@redhat.example'] },
    'Applied, thanks.\n'),
];

describe('the evidence step, streamed', () => {
  it('writes what the notices held in memory wrote, on an archive with every kind of notice', async () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'a.mbox'), formatMboxrd(EVERY_NOTICE));
    const db = await ingested([path.join(dir, 'a.mbox')]);
    const kinds = db.prepare("SELECT DISTINCT json_extract(notice, '$.kind') FROM messages WHERE notice IS NOT NULL ORDER BY 1").pluck().all();
    expect(kinds).toEqual(['b4-thanks', 'commit-notice', 'pull-merged', 'pull-request', 'reply', 'stable']);
    expect(db.prepare('SELECT count(*) FROM messages WHERE notice IS NOT NULL AND date IS NULL').pluck().get()).toBe(1);
    const got = expectSameAsInMemory(db);
    // what it found is what each kind of notice gives
    const of = (target: string) => got.evidence.filter((e) => (e as { target: string }).target === target)
      .sort((a, b) => (a as { rank: number }).rank - (b as { rank: number }).rank).map((e) => (e as { kind: string }).kind);
    expect(of('ada-flush@amd.example')).toEqual(['pull-merged', 'stable', 'pull-request']);
    expect(of('race-v2@8bytes.org')).toEqual(['pull-merged', 'pull-request']);
    expect(of('race-v1@8bytes.org')).toEqual([]);
    expect(of('gcr3@8bytes.org')).toEqual(['pull-merged', 'pull-request', 'reply']); // his own, he being an applier
    expect(of('cleanup-2@redhat.example')).toEqual(['stable', 'b4-thanks']); // the stable copy through b4's commit
    expect(of('cleanup-3@redhat.example')).toEqual(['reply']);
    expect(of('question@lca.pw')).toEqual(['reply']);
    expect(of(PULL)).toEqual(['pull-merged']);
    expect(of('20191204075233.GA10520@dhcp-128-65.nay.redhat.com')).toEqual(['commit-notice']);
    // b4 listing one patch twice: the first piece counts
    expect(got.evidence.filter((e) => (e as { target: string }).target === 'tidy@redhat.example'))
      .toEqual([expect.objectContaining({ kind: 'b4-thanks', commit_id: '1111111aaaaa', rank: 0 })]);
    db.close();
  }, 60_000);

  it('writes what the notices held in memory wrote, on the corpus and on a generated archive', async () => {
    const generated = path.join(tmp(), 'g.mbox');
    generateArchive(generated, { messages: 1500, seed: 15 });
    for (const file of [CORPUS, generated]) {
      const db = await ingested([file]);
      expect(db.prepare('SELECT count(*) FROM evidence').pluck().get(), file).toBeGreaterThan(3);
      expectSameAsInMemory(db);
      db.close();
    }
  }, 120_000);

  it.skipIf(!fs.existsSync(REAL_KEXEC))('writes what the notices held in memory wrote, on the real kexec list', async () => {
    const db = await ingested([REAL_KEXEC]);
    expect(db.prepare('SELECT count(DISTINCT json_extract(notice, \'$.kind\')) FROM messages WHERE notice IS NOT NULL').pluck().get()).toBeGreaterThan(3);
    expectSameAsInMemory(db);
    db.close();
  }, 300_000);

  it('resolves the notices held when SQLite cannot give their order (a date Date.parse cannot read)', async () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'a.mbox'), formatMboxrd(EVERY_NOTICE));
    const db = await ingested([path.join(dir, 'a.mbox')]);
    // pr-tracker-bot's date is text no Date.parse reads: SQLite puts it first (its time is NULL), before the pull
    // request it answers; JavaScript's sort compares it by Message-ID alone, after the pull request, so that it merges
    // the pull request's patches
    db.prepare("UPDATE messages SET date = 'the day after tomorrow' WHERE message_id LIKE '%pr-tracker-bot%'").run();
    db.exec('BEGIN');
    try {
      const streamed = [...noticesInOrder(db)()].map((n) => n.messageId);
      const held = readNotices(db).sort(processingOrder).map((n) => n.messageId);
      expect(streamed.indexOf(PULL)).toBeGreaterThan(streamed.findIndex((id) => id.includes('pr-tracker-bot')));
      expect(held.indexOf(PULL)).toBeLessThan(held.findIndex((id) => id.includes('pr-tracker-bot')));
      expect(held.indexOf(PULL)).toBeLessThan(streamed.indexOf(PULL));
      expect(() => [...inProcessingOrder(noticesInOrder(db)())]).toThrow(/out of processing order/);
    } finally {
      db.exec('ROLLBACK');
    }
    const got = expectSameAsInMemory(db);
    expect(got.evidence).toContainEqual(expect.objectContaining({ target: 'qian@lca.pw', kind: 'pull-merged', rank: 0 }));
    db.close();
  }, 60_000);

  it('reads the notices in core\'s order: time as Date.parse reads it, the undated last, Message-IDs by UTF-16 code unit, stable copies after all', () => {
    const db = openDb(path.join(tmp(), 'o.db'));
    const reply = JSON.stringify({ kind: 'reply', statement: { indexes: null, series: false, except: [], tree: null, branch: null, commit: null, url: null, sentence: 'Applied.' } });
    const stable = JSON.stringify({ kind: 'stable', commit: '0123456789ab', title: 't', author: null });
    const ins = db.prepare(`INSERT INTO messages (message_id, list, kind, date, notice, source, offset, size, ingested_at)
      VALUES (?, 'kexec', 'reply', ?, ?, 'test', 0, 0, '2020-01-01T00:00:00.000Z')`);
    const rows: [string, string | null, string][] = [
      ['a\u{1F600}@x', '2020-01-01T00:00:00.000Z', reply], // UTF-16 D83D: before U+FFFD in JavaScript, after it in UTF-8
      ['a\uFFFD@x', '2020-01-01T00:00:00.000Z', reply],
      ['b@x', '2020-01-01T01:00:00.000+01:00', reply], // the same time as the two above, written otherwise
      ['c@x', '+010000-01-01T00:00:00.000Z', reply], // after 9999 in time, before it as text
      ['d@x', '9999-12-31T00:00:00.000Z', reply],
      ['e@x', null, reply],
      ['f@x', '', reply],
      ['g@x', '1999-01-01T00:00:00.000Z', stable],
      ['h@x', '2019-12-31T23:59:59.999Z', reply],
    ];
    for (const r of rows) ins.run(...r);
    const held = readNotices(db).sort(processingOrder).map((n) => n.messageId);
    expect(held).toEqual(['h@x', 'a\u{1F600}@x', 'a\uFFFD@x', 'b@x', 'd@x', 'c@x', 'e@x', 'f@x', 'g@x']);
    for (const pageSize of [1, 2, 4, 100]) {
      db.exec('BEGIN');
      try {
        const read = noticesInOrder(db, pageSize);
        expect([...inProcessingOrder(read())].map((n) => n.messageId)).toEqual(held);
        expect([...read()].map((n) => n.messageId)).toEqual(held); // read again from the start
      } finally {
        db.exec('ROLLBACK');
      }
    }
    db.close();
  });
});
