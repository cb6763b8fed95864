// Detection through the real ingest pipeline (threads, series, acceptance derived, not taken from
// truth): call changes, known fixes and regressions of the sample corpus, order independence, and
// the real 2010 order fix.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../ingest/store/db.ts';
import { ingestPaths } from '../../ingest/run/pipeline.ts';
import { readWatchRulesData } from '../../config/watch-rules.ts';
import { Store } from '../../ingest/store/store.ts';
import { detectAll } from '../../ingest/run/derive.ts';

const FIX = path.join(import.meta.dirname, '..', 'fixtures', 'corpus');
const truth = JSON.parse(fs.readFileSync(path.join(FIX, 'truth.json'), 'utf8'));
const bare = (id: string) => id.replace(/^<|>$/g, '');
const tmpDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'relapse-det-'));
const rulesData = readWatchRulesData();

async function ingest(files: string[]): Promise<Db> {
  const db = openDb(path.join(tmpDir(), 'r.db'));
  await ingestPaths(db, files, { rulesData, workers: 0 });
  return db;
}

type RegRow = { key: string; fix_key: string; status: string; removed_by: string; resolved_by: string | null; resolution: string | null; related: string };
const regressions = (db: Db) => db.prepare('SELECT key, fix_key, status, removed_by, resolved_by, resolution, related FROM regressions ORDER BY key').all() as RegRow[];

let db: Db;
beforeAll(async () => {
  db = await ingest([path.join(FIX, 'archive.mbox')]);
});

describe('detection on the sample corpus, end to end', () => {
  it('indexes exactly the call changes of truth.json (precision and recall 1.0)', () => {
    const key = (c: { messageId?: string; message_id?: string; file: string; function: string | null; path: string | null; call: string; op: string }) =>
      [bare(c.messageId ?? c.message_id!), c.file, c.function, c.path, c.call, c.op].join('|');
    const got = new Set((db.prepare('SELECT * FROM call_changes').all() as never[]).map(key));
    const want = new Set<string>(truth.callChanges.map(key));
    expect([...got].filter((k) => !want.has(k))).toEqual([]);
    expect([...want].filter((k) => !got.has(k))).toEqual([]);
  });

  it('knows the fixes accepted patches established, at their latest place', () => {
    const fixes = db.prepare('SELECT * FROM fixes').all() as { file: string; function: string; path: string; call: string; kind: string; status: string; before: string; introduced_by: string }[];
    const renamed = (f: string) => [f, ...truth.renames.filter((r: { from: string }) => r.from === f).map((r: { to: string }) => r.to)];
    for (const w of truth.knownFixes.filter((f: { movedTo?: string }) => !f.movedTo)) {
      const g = fixes.find((f) => renamed(w.file).includes(f.file) && f.function === w.function && f.call === w.call && f.status === 'active');
      expect(g, w.key).toBeTruthy();
      expect(g!.introduced_by).toBe(bare(w.introducedBy));
      if (w.kind === 'order') expect(JSON.parse(g!.before)).toEqual(expect.arrayContaining(w.before));
    }
    // nothing unaccepted became a fix
    const accepted = new Set((db.prepare('SELECT message_id FROM messages WHERE accepted_message IS NOT NULL').all() as { message_id: string }[]).map((r) => r.message_id));
    for (const f of fixes) expect(accepted.has(f.introduced_by)).toBe(true);
  });

  it('reports exactly the regressions of truth.json with every removing version, status and resolution', () => {
    const got = regressions(db);
    expect(got).toHaveLength(truth.regressions.length);
    for (const w of truth.regressions) {
      const g = got.find((r) => JSON.parse(r.removed_by).includes(bare(w.removedBy[0])));
      expect(g, w.key).toBeTruthy();
      expect(JSON.parse(g!.removed_by).sort()).toEqual(w.removedBy.map(bare).sort());
      expect(g!.status).toBe(w.status);
      expect(g!.resolved_by).toBe(w.resolvedBy ? bare(w.resolvedBy) : null);
      if (w.resolution) expect(g!.resolution).toBe(w.resolution);
    }
    for (const c of truth.refixCandidates) {
      const fixMsg = truth.knownFixes.find((f: { key: string }) => f.key === c.regressionOf).introducedBy;
      const r = got.find((x) => x.fix_key.includes(bare(fixMsg)) && JSON.parse(x.related).includes(bare(c.patch)));
      expect(r, c.patch).toBeTruthy();
    }
  });

  it('gives the same regressions whatever order the messages arrive in', async () => {
    // split the archive into two halves and ingest the later half first
    const text = fs.readFileSync(path.join(FIX, 'archive.mbox'), 'latin1');
    const parts = text.split(/(?=^From mboxrd@z )/m);
    const dir = tmpDir();
    const late = path.join(dir, 'a-late.mbox'), early = path.join(dir, 'b-early.mbox');
    const shuffled = [...parts].reverse();
    fs.writeFileSync(late, shuffled.slice(0, parts.length / 2).join(''), 'latin1');
    fs.writeFileSync(early, shuffled.slice(parts.length / 2).join(''), 'latin1');
    const other = openDb(path.join(dir, 'r.db'));
    await ingestPaths(other, [late], { rulesData, workers: 0 });
    await ingestPaths(other, [early], { rulesData, workers: 0 });
    expect(regressions(other)).toEqual(regressions(db));
  });
});

describe('the real 2010 fix', () => {
  const real = path.join(FIX, 'real', '75f66533-x86-amd-iommu-enable-iommu-before-attaching-devices.patch');

  it('ingested alone, shows enable_iommus moved ahead of passthrough and notifier in amd_iommu_init', async () => {
    const one = await ingest([real]);
    const o = one.prepare('SELECT * FROM order_changes WHERE call = ?').get('enable_iommus') as { function: string; path: string; now_before: string };
    expect(o.function).toBe('amd_iommu_init');
    expect(o.path).toBe('init');
    expect(JSON.parse(o.now_before)).toEqual(expect.arrayContaining(['amd_iommu_init_passthrough', 'amd_iommu_init_notifier']));
  });

  it('declared as a known fix, a patch that moves it back opens a regression', async () => {
    const one = await ingest([real]);
    const store = new Store(one);
    store.declareFix({ kind: 'order', file: 'arch/x86/kernel/amd_iommu_init.c', function: 'amd_iommu_init', path: 'init', call: 'enable_iommus',
      before: ['amd_iommu_init_passthrough', 'amd_iommu_init_notifier'], introducedBy: 'real-75f66533@relapse.invalid' });
    detectAll(one, store);
    expect(regressions(one)).toHaveLength(0);
    // the reverse of the real diff: enable_iommus goes back after the attach code
    const patch = fs.readFileSync(real, 'utf8');
    const reversed = patch
      .replace(/^Subject: .*$/m, 'Subject: [PATCH] x86/amd-iommu: enable iommu late again\nMessage-Id: <move-back@example.org>')
      .replace(/^(@@ -\d+(?:,\d+)? \+\d+(?:,\d+)? @@.*|[+-].*)$/gm, (l) =>
        l.startsWith('@@') ? l.replace(/-(\d+(?:,\d+)?) \+(\d+(?:,\d+)?)/, '-$2 +$1')
          : l.startsWith('+++') || l.startsWith('---') ? l : (l[0] === '+' ? '-' : '+') + l.slice(1));
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'move-back.mbox'), reversed);
    await ingestPaths(one, [path.join(dir, 'move-back.mbox')], { rulesData, workers: 0 });
    const regs = regressions(one);
    expect(regs).toHaveLength(1);
    expect(regs[0].status).toBe('open');
    expect(JSON.parse(regs[0].removed_by)).toEqual(['move-back@example.org']);
  });
});
