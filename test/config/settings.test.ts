import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../config/settings.ts';

const write = (obj: unknown) => {
  const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'relapse-cfg-')), 'relapse.json');
  fs.writeFileSync(f, typeof obj === 'string' ? obj : JSON.stringify(obj));
  return f;
};

describe('settings', () => {
  it('defaults to ./data/relapse.db, no token, Monday 08:00 digests', () => {
    const s = loadSettings({}, { RELAPSE_CONFIG: write({}) });
    expect(s.db).toBe(path.join('data', 'relapse.db'));
    expect(s.token).toBeNull();
    expect(s.digest.schedule).toBe('0 8 * * 1');
  });

  it('takes the file, then the environment, then flags', () => {
    const cfg = write({ db: 'file.db', token: 'from-file', digest: { recipients: ['a@x', { email: 'b@x', files: ['drivers/iommu/**'] }] } });
    expect(loadSettings({}, { RELAPSE_CONFIG: cfg }).db).toBe('file.db');
    expect(loadSettings({}, { RELAPSE_CONFIG: cfg, RELAPSE_DB: 'env.db' }).db).toBe('env.db');
    expect(loadSettings({ db: 'flag.db' }, { RELAPSE_CONFIG: cfg, RELAPSE_DB: 'env.db' }).db).toBe('flag.db');
    expect(loadSettings({}, { RELAPSE_CONFIG: cfg, RELAPSE_TOKEN: 't' }).token).toBe('t');
    expect(loadSettings({}, { RELAPSE_CONFIG: cfg }).digest.recipients).toEqual([{ email: 'a@x', files: [] }, { email: 'b@x', files: ['drivers/iommu/**'] }]);
  });

  it('names the file when it is not valid JSON or missing', () => {
    const bad = write('{ nope');
    expect(() => loadSettings({}, { RELAPSE_CONFIG: bad })).toThrow(bad);
    expect(() => loadSettings({}, { RELAPSE_CONFIG: '/nonexistent/relapse.json' })).toThrow(/no such file/);
  });

  it("validates declaredFixes with the API's schema and names the entry that is wrong", () => {
    const good = { kind: 'order', file: 'arch/x86/kernel/amd_iommu_init.c', function: 'amd_iommu_init', path: 'init', call: 'enable_iommus', before: ['amd_iommu_init_passthrough'], introducedBy: '<fix@x>' };
    const s = loadSettings({}, { RELAPSE_CONFIG: write({ declaredFixes: [good] }) });
    expect(s.declaredFixes).toEqual([{ ...good, introducedBy: 'fix@x', note: undefined }]);
    expect(loadSettings({}, { RELAPSE_CONFIG: write({ declaredFixes: [{ kind: 'presence', file: 'f.c', call: 'flush' }] }) }).declaredFixes[0])
      .toMatchObject({ kind: 'presence', function: null, path: null, before: [], introducedBy: null });
    expect(() => loadSettings({}, { RELAPSE_CONFIG: write({ declaredFixes: [good, { ...good, kind: 'sometimes' }] }) })).toThrow(/declaredFixes\[1\]\.kind/);
    expect(() => loadSettings({}, { RELAPSE_CONFIG: write({ declaredFixes: [{ ...good, colour: 'red' }] }) })).toThrow(/declaredFixes\[0\]/);
    expect(() => loadSettings({}, { RELAPSE_CONFIG: write({ declaredFixes: [{ ...good, before: [] }] }) })).toThrow(/declaredFixes\[0\]\.before/);
    expect(() => loadSettings({}, { RELAPSE_CONFIG: write({ declaredFixes: { kind: 'presence' } }) })).toThrow(/must be an array/);
  });
});
