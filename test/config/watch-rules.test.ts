import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadWatchRules, readWatchRulesData, validateWatchRules } from '../../config/watch-rules.ts';
import { compileWatchRule } from '../../ingest/core/watch.ts';

const good = () => ({
  name: 'amd_iommu',
  files: ['arch/x86/kernel/amd_iommu*.c', 'drivers/iommu/amd/*.c'],
  paths: { init: { functions: ['amd_iommu_init*'], annotations: ['__init'] }, shutdown: { functions: ['*shutdown*'], annotations: [] } },
  calls: { contains: ['flush'] },
  order: { contains: ['enable', 'flush'] },
});

describe('validateWatchRules', () => {
  it('accepts a good rule and fills defaults', () => {
    const [r] = validateWatchRules([{ name: 'x', files: ['a/*.c'], calls: { regex: '^flush_' } }]);
    expect(r).toEqual({ name: 'x', files: ['a/*.c'], paths: {}, calls: { regex: '^flush_' }, order: null });
    expect(validateWatchRules([good()])[0]).toEqual(good());
  });

  const bad: [string, (r: Record<string, unknown>) => unknown, string][] = [
    ['empty glob in files', (r) => ({ ...r, files: ['a/*.c', ''] }), 'watch rule "amd_iommu" field files[1]: must be a non-empty glob string'],
    ['non-string glob', (r) => ({ ...r, files: ['a/*.c', 'b/*.c', 3] }), 'watch rule "amd_iommu" field files[2]: must be a non-empty glob string'],
    ['absolute glob', (r) => ({ ...r, files: ['/abs/*.c'] }), 'watch rule "amd_iommu" field files[0]: must be relative'],
    ['no files', (r) => ({ ...r, files: [] }), 'watch rule "amd_iommu" field files: must be a non-empty array'],
    ['missing name', (r) => ({ ...r, name: '' }), 'watch rule #1 field name: must be a non-empty string'],
    ['unknown field', (r) => ({ ...r, file: ['x'] }), 'watch rule "amd_iommu" field file: unknown field'],
    ['bad function glob', (r) => ({ ...r, paths: { init: { functions: ['amd iommu'], annotations: [] } } }), 'watch rule "amd_iommu" field paths.init.functions[0]: must be a glob over C identifiers'],
    ['bad annotation', (r) => ({ ...r, paths: { init: { functions: [], annotations: ['__init)'] } } }), 'watch rule "amd_iommu" field paths.init.annotations[0]: must be a C identifier'],
    ['path not an object', (r) => ({ ...r, paths: { init: ['x'] } }), 'watch rule "amd_iommu" field paths.init: must be an object'],
    ['missing calls', (r) => { const { calls: _c, ...rest } = r; return rest; }, 'watch rule "amd_iommu" field calls: is required'],
    ['bad regex', (r) => ({ ...r, calls: { regex: 'flush(' } }), 'watch rule "amd_iommu" field calls.regex: invalid regular expression'],
    ['empty contains', (r) => ({ ...r, order: { contains: [] } }), 'watch rule "amd_iommu" field order.contains: must be a non-empty array'],
    ['empty spec', (r) => ({ ...r, calls: {} }), 'watch rule "amd_iommu" field calls: needs "contains" or "regex"'],
    ['unknown spec field', (r) => ({ ...r, calls: { contain: ['flush'] } }), 'watch rule "amd_iommu" field calls.contain: unknown field'],
  ];
  for (const [what, mutate, message] of bad) {
    it(`names the field: ${what}`, () => {
      expect(() => validateWatchRules([mutate(good())])).toThrow(message);
    });
  }

  it('names the second rule, and duplicate names', () => {
    expect(() => validateWatchRules([good(), { ...good(), name: 'ioat', files: ['drivers/dma/ioat/*.c', ''] }]))
      .toThrow('watch rule "ioat" field files[1]');
    expect(() => validateWatchRules([good(), good()])).toThrow('watch rule "amd_iommu" field name: duplicate rule name');
    expect(() => validateWatchRules({ rules: [] })).toThrow('watch rules: must be an array');
    expect(() => validateWatchRules([42])).toThrow('watch rule #1: must be an object');
  });
});

describe('loading', () => {
  it('ships the default rule in config/watch-rules.json', () => {
    const rules = loadWatchRules();
    expect(rules.map((r) => r.name)).toEqual(['amd_iommu']);
    const c = compileWatchRule(rules[0]);
    for (const f of ['arch/x86/kernel/amd_iommu.c', 'arch/x86/kernel/amd_iommu_init.c', 'drivers/iommu/amd_iommu_init.c', 'drivers/iommu/amd/init.c']) {
      expect([f, c.matchesFile(f)]).toEqual([f, true]);
    }
    expect(c.matchesFile('drivers/iommu/amd/sub/x.c')).toBe(false);
    expect(c.isCall('iommu_flush_all_caches')).toBe(true);
    expect(c.isCall('iommu_disable')).toBe(false);
    expect(c.isOrdered('enable_iommus')).toBe(true);
    expect(c.isOrdered('amd_iommu_init_notifier')).toBe(false);
    expect(c.pathOf('prealloc_protection_domains', 'static void __init prealloc_protection_domains(void)')).toBe('init');
    expect(c.pathOf('prealloc_protection_domains', 'static void prealloc_protection_domains(int __init_x)')).toBeNull();
  });

  it('reads a file or inline JSON, and reports a bad file with its name', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'relapse-rules-'));
    const ok = path.join(dir, 'ok.json');
    writeFileSync(ok, JSON.stringify([good()]));
    expect(loadWatchRules(ok)[0].name).toBe('amd_iommu');
    expect(readWatchRulesData(ok)).toEqual([good()]);
    expect(loadWatchRules(JSON.stringify([good()]))[0].files).toHaveLength(2);
    const broken = path.join(dir, 'broken.json');
    writeFileSync(broken, '[{"name": ');
    expect(() => loadWatchRules(broken)).toThrow(`watch rules file ${broken}: invalid JSON`);
    const wrong = path.join(dir, 'wrong.json');
    writeFileSync(wrong, JSON.stringify([{ ...good(), files: ['ok/*.c', ''] }]));
    expect(() => readWatchRulesData(wrong)).toThrow(`${wrong}: watch rule "amd_iommu" field files[1]: must be a non-empty glob string`);
    expect(() => loadWatchRules(path.join(dir, 'missing.json'))).toThrow('cannot read');
  });
});
