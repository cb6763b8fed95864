// Acceptance as evidence, end to end: an archive with a pull request naming patches of three authors (one posted
// twice), pr-tracker-bot's answer, a stable copy, a series of which b4's thank-you takes one patch, and a tester's
// reply; ingested by the pipeline into a real SQLite file, read through the API, the dashboard and the digest.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { loadSettings } from '../../config/settings.ts';
import { readWatchRulesData } from '../../config/watch-rules.ts';
import { formatMboxrd } from '../../ingest/archive/mbox-reader.ts';
import { openDb, type Db } from '../../ingest/store/db.ts';
import { ingestPaths } from '../../ingest/run/pipeline.ts';
import { deriveAll } from '../../ingest/run/derive.ts';
import { buildApp } from '../../server/app.ts';
import { makeContext } from '../../server/serve.ts';

const FIX = fileURLToPath(new URL('../fixtures/mail/acceptance/', import.meta.url));
const fixture = (name: string) => fs.readFileSync(FIX + name + '.eml', 'utf8');

const ada = 'Ada Bauer <ada.bauer@amd.example>';
const joerg = 'Joerg Roedel <joro@8bytes.org>';
const vera = 'Vera Gold <vgold@redhat.example>';

function mail(h: { from: string; subject: string; date: string; id: string; replyTo?: string; refs?: string[] }, body: string): string {
  return [
    `From: ${h.from}`, 'To: kexec@lists.infradead.org', `Subject: ${h.subject}`, `Date: ${h.date}`, `Message-ID: <${h.id}>`,
    ...(h.replyTo ? [`In-Reply-To: <${h.replyTo}>`, `References: ${(h.refs ?? [h.replyTo]).map((r) => `<${r}>`).join(' ')}`] : []),
    'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', body,
  ].join('\n');
}

function diff(fn: string, lines: string): string {
  return `---\n drivers/iommu/amd_iommu.c | 1 +\n\ndiff --git a/drivers/iommu/amd_iommu.c b/drivers/iommu/amd_iommu.c
--- a/drivers/iommu/amd_iommu.c
+++ b/drivers/iommu/amd_iommu.c
@@ -2310,6 +2310,6 @@ static void ${fn}(void)
 {
 	disable_iommus();
${lines}
 	iommu_feature_disable(iommu, CONTROL_IOMMU_EN);
 }
-- 
2.25.1
`;
}

const ARCHIVE = [
  mail({ from: ada, subject: '[PATCH] iommu/amd: Flush the completion-wait buffer before shutdown', date: 'Thu, 2 Apr 2020 10:00:00 +0000', id: 'ada-flush@amd.example' },
    `A kdump kernel found the command buffer still running.\n\nSigned-off-by: ${ada}\n${diff('amd_iommu_shutdown', ' \tiommu_completion_wait(iommu);\n+\tamd_iommu_flush_all_devices();')}`),
  mail({ from: joerg, subject: '[PATCH] iommu/amd: Fix race in increase_address_space()/fetch_pte()', date: 'Fri, 3 Apr 2020 10:00:00 +0000', id: 'race-v1@8bytes.org' },
    `First try.\n\nSigned-off-by: ${joerg}\n${diff('increase_address_space', '+\tspin_lock(&domain->lock);')}`),
  mail({ from: 'Qian Cai <cai@lca.pw>', subject: '[PATCH] iommu/amd: Fix legacy interrupt remapping for x2APIC-enabled system', date: 'Sat, 4 Apr 2020 10:00:00 +0000', id: 'qian@lca.pw' },
    `Remap.\n\nSigned-off-by: Qian Cai <cai@lca.pw>\n${diff('iommu_setup_x2apic', '+\tx2apic = true;')}`),
  mail({ from: joerg, subject: '[PATCH] iommu/amd: Fix the configuration of GCR3 table root pointer', date: 'Sun, 5 Apr 2020 10:00:00 +0000', id: 'gcr3@8bytes.org' },
    `GCR3.\n\nSigned-off-by: ${joerg}\n${diff('set_dte_entry', '+\tgcr3 = true;')}`),
  mail({ from: joerg, subject: '[PATCH v2] iommu/amd: Fix race in increase_address_space()/fetch_pte()', date: 'Wed, 8 Apr 2020 10:00:00 +0000', id: 'race-v2@8bytes.org', replyTo: 'race-v1@8bytes.org' },
    `Second try.\n\nSigned-off-by: ${joerg}\n${diff('increase_address_space', '+\tspin_lock_irqsave(&domain->lock, flags);')}`),
  mail({ from: 'Dave Young <dyoung@redhat.com>', subject: 'Re: [PATCH] iommu/amd: Flush the completion-wait buffer before shutdown', date: 'Thu, 9 Apr 2020 10:00:00 +0000', id: 'tester@redhat.com', replyTo: 'ada-flush@amd.example' },
    '> A kdump kernel found the command buffer still running.\n\nWith this patch applied, kdump works again.\n\nTested-by: Dave Young <dyoung@redhat.com>\n'),
  fixture('pull-request'),
  fixture('pr-tracker-bot'),
  fixture('stable-upstream'),
  mail({ from: vera, subject: '[PATCH 0/3] iommu/amd: shutdown cleanups', date: 'Fri, 1 May 2020 10:00:00 +0000', id: 'cleanup-0@redhat.example' }, 'Three cleanups.\n'),
  ...[1, 2, 3].map((i) => mail({
    from: vera, subject: `[PATCH ${i}/3] iommu/amd: cleanup ${['one', 'Simplify shutdown', 'three'][i - 1]}`, date: `Fri, 1 May 2020 10:0${i}:00 +0000`,
    id: `cleanup-${i}@redhat.example`, replyTo: 'cleanup-0@redhat.example',
  }, `Cleanup ${i}.\n\nSigned-off-by: ${vera}\n${i === 2 ? diff('amd_iommu_shutdown', ' \tiommu_completion_wait(iommu);\n-\tamd_iommu_flush_all_devices();') : diff('iommu_cleanup_' + i, `+\tcleanup${i}();`)}`)),
  mail({ from: joerg, subject: 'Re: [PATCH 0/3] iommu/amd: shutdown cleanups', date: 'Sun, 3 May 2020 10:00:00 +0000', id: 'ty@8bytes.org', replyTo: 'cleanup-0@redhat.example' },
    'On Fri, 1 May 2020, Vera Gold wrote:\n> Three cleanups.\n\nApplied to iommu (x86/amd), thanks!\n\n[2/3] iommu/amd: cleanup Simplify shutdown\n      https://git.kernel.org/joro/c/abcdef123456\n\nBest regards,\n-- \nJoerg Roedel <joro@8bytes.org>\n'),
];

let app: FastifyInstance;
let db: Db;
let dir: string;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'relapse-evidence-'));
  const mbox = path.join(dir, 'archive.mbox');
  fs.writeFileSync(mbox, formatMboxrd(ARCHIVE));
  const dbPath = path.join(dir, 'relapse.db');
  db = openDb(dbPath);
  await ingestPaths(db, [mbox], { rulesData: readWatchRulesData(), workers: 0 });
  app = await buildApp(makeContext(db, { ...loadSettings({ db: dbPath }, {}), token: 'test-token' }));
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  db?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const get = async (url: string) => {
  const res = await app.inject(url);
  expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
  return res.json();
};
const patchOf = (id: string) => get(`/api/patches/${encodeURIComponent(id)}`);
const PULL = '20200417151402.GA1311@8bytes.org';
const BOT = '158724030982.3402.1316542938402851092.pr-tracker-bot@kernel.org';

describe('evidence through the API', () => {
  it('GET /api/patches?state=merged: the pull request\'s patches, the newest posting of a title posted twice', async () => {
    const merged = (await get('/api/patches?state=merged')).items.map((p: { messageId: string }) => p.messageId).sort();
    expect(merged).toEqual(['ada-flush@amd.example', 'gcr3@8bytes.org', 'qian@lca.pw', 'race-v2@8bytes.org']);
    const accepted = (await get('/api/patches?state=accepted')).items.map((p: { messageId: string }) => p.messageId);
    expect(accepted).toEqual(['cleanup-2@redhat.example']);
    expect((await app.inject('/api/patches?state=landed')).statusCode).toBe(400);
  });

  it('a patch carries its state and evidence, strongest first, and `accepted` from the strongest', async () => {
    const p = await patchOf('ada-flush@amd.example');
    expect(p.state).toBe('merged');
    expect(p.evidence.map((e: { kind: string }) => e.kind)).toEqual(['pull-merged', 'stable', 'pull-request']);
    expect(p.evidence[0]).toEqual({
      kind: 'pull-merged', state: 'merged', by: { name: '', email: 'pr-tracker-bot@kernel.org' }, date: '2020-04-18T20:05:09.000Z', messageId: BOT,
      tree: 'torvalds/linux.git', branch: null, commit: '2e602db7290bf0a7a1ee8d2d2f2d3e4c1e0f3e8e', url: 'https://git.kernel.org/torvalds/c/2e602db7290bf0a7a1ee8d2d2f2d3e4c1e0f3e8e',
    });
    expect(p.evidence[1]).toMatchObject({ kind: 'stable', commit: '5b7a2b3c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6', messageId: '20200421164612.123456789@linuxfoundation.org' });
    expect(p.accepted).toEqual({ by: { name: '', email: 'pr-tracker-bot@kernel.org' }, date: '2020-04-18T20:05:09.000Z', messageId: BOT });
  });

  it('the older posting of a title is superseded, a patch nothing took is proposed', async () => {
    expect(await patchOf('race-v1@8bytes.org')).toMatchObject({ state: 'superseded', evidence: [], accepted: null });
    expect(await patchOf('cleanup-1@redhat.example')).toMatchObject({ state: 'proposed', evidence: [] });
  });

  it("b4's subset takes only the listed patch, with its commit; the series stays proposed", async () => {
    const p = await patchOf('cleanup-2@redhat.example');
    expect(p.state).toBe('accepted');
    expect(p.evidence).toEqual([{ kind: 'b4-thanks', state: 'accepted', by: { name: 'Joerg Roedel', email: 'joro@8bytes.org' }, date: '2020-05-03T10:00:00.000Z',
      messageId: 'ty@8bytes.org', tree: 'iommu', branch: 'x86/amd', commit: 'abcdef123456', url: 'https://git.kernel.org/joro/c/abcdef123456' }]);
    const s = await get(`/api/series/${p.seriesId}`);
    expect(s.state).toBe('proposed');
    expect(s.accepted).toBeNull();
    expect(s.evidence.map((e: { messageId: string }) => e.messageId)).toEqual(['ty@8bytes.org']);
  });

  it('the pull request message carries the merge; a series of one merged patch is merged', async () => {
    const m = await get(`/api/messages/${encodeURIComponent(PULL)}`);
    expect(m.evidence).toMatchObject([{ kind: 'pull-merged', messageId: BOT }]);
    const q = await patchOf('qian@lca.pw');
    expect((await get(`/api/series/${q.seriesId}`)).state).toBe('merged');
  });

  it("a tester's reply is no evidence", async () => {
    const all = (await get('/api/patches?limit=100')).items.flatMap((p: { evidence: { messageId: string }[] }) => p.evidence.map((e) => e.messageId));
    expect(all).not.toContain('tester@redhat.com');
  });

  it('the known fix shows its introducing patch\'s evidence; the regression says its removal was taken', async () => {
    const fixes = (await get('/api/fixes')).items;
    const fix = fixes.find((f: { introducedBy: { messageId: string } | null }) => f.introducedBy?.messageId === 'ada-flush@amd.example');
    expect(fix.evidence.map((e: { kind: string }) => e.kind)).toEqual(['pull-merged', 'stable', 'pull-request']);
    const regs = (await get('/api/regressions')).items;
    expect(regs).toHaveLength(1);
    expect(regs[0].removedBy).toMatchObject([{ messageId: 'cleanup-2@redhat.example', state: 'accepted', evidence: [{ kind: 'b4-thanks' }] }]);
  });
});

describe('evidence on the dashboard and in the digest', () => {
  it('the patch page lists the evidence with git.kernel.org commit links', async () => {
    const res = await app.inject('/patches/ada-flush%40amd.example');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('data-state="merged"');
    expect(res.body).toContain('href="https://git.kernel.org/torvalds/c/2e602db7290bf0a7a1ee8d2d2f2d3e4c1e0f3e8e"');
    expect(res.body).toContain('href="https://git.kernel.org/torvalds/c/5b7a2b3c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6"');
  });

  it('the regression page says the removing series was accepted, and shows the fix\'s evidence', async () => {
    const id = (await get('/api/regressions')).items[0].id;
    const res = await app.inject(`/regressions/${id}`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(/id="reg-removal-taken"><strong>accepted<\/strong> into <span class="mono">iommu<\/span>/);
    expect(res.body).toContain('pull request merged');
  });

  it('the digest cites the fix\'s evidence and when the removal was taken', async () => {
    const known = await get('/api/digest/2020-W14');
    expect(known.fixesKnown[0].evidence[0]).toMatchObject({ kind: 'pull-merged', state: 'merged', link: 'https://git.kernel.org/torvalds/c/2e602db7290bf0a7a1ee8d2d2f2d3e4c1e0f3e8e' });
    const week = await get('/api/digest/2020-W18');
    expect(week.newRegressions[0].removalTaken).toMatchObject({ kind: 'b4-thanks', tree: 'iommu', date: '2020-05-03T10:00:00.000Z', commit: 'abcdef123456' });
    const eml = await app.inject('/api/digest/2020-W18.eml');
    const text = eml.body.replace(/=\r?\n/g, ''); // quoted-printable soft breaks
    expect(text).toContain('Removal taken: applied by Joerg Roedel to iommu (x86/amd), 2020-05-03, commit abcdef123456 https://git.kernel.org/joro/c/abcdef123456');
  });
});

describe('evidence derivation', () => {
  const rows = () => db.prepare('SELECT * FROM evidence ORDER BY target, kind, message_id').all();

  it('deriving again changes nothing', () => {
    const before = rows();
    expect(before.length).toBeGreaterThan(10);
    deriveAll(db);
    expect(rows()).toEqual(before);
  });

  it('a database stored before notices were read gets them from the messages\' own text', async () => {
    const before = rows();
    db.prepare('UPDATE messages SET notice = NULL').run();
    db.prepare("DELETE FROM meta WHERE key = 'evidence.notices'").run();
    deriveAll(db);
    expect(rows()).toEqual(before);
    expect((await get('/api/patches?state=merged')).items).toHaveLength(4);
  });
});

describe('a declared fix', () => {
  it('shows its declaration as evidence, after what the list says of its introducing patch', async () => {
    const res = await app.inject({
      method: 'POST', url: '/api/fixes', headers: { authorization: 'Bearer test-token' },
      payload: { kind: 'presence', file: 'drivers/iommu/amd_iommu.c', function: 'increase_address_space', call: 'iommu_flush_tlb', introducedBy: 'race-v2@8bytes.org' },
    });
    expect([201, 202], res.body).toContain(res.statusCode);
    const fix = (await get('/api/fixes?limit=100')).items.find((f: { declared: boolean; call: string }) => f.declared && f.call === 'iommu_flush_tlb');
    expect(fix.evidence.map((e: { kind: string }) => e.kind)).toEqual(['pull-merged', 'pull-request', 'declared']);
    expect(fix.evidence[2]).toMatchObject({ kind: 'declared', state: 'accepted', messageId: 'race-v2@8bytes.org', by: null });
  });
});
