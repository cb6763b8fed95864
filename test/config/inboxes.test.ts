// Inboxes and the sync schedule in the config file: defaults, validation, and lore links built on each inbox's URL.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_INBOXES, loadSettings } from '../../config/settings.ts';
import { listArchiveUrl, loreLink } from '../../server/data/links.ts';
import { gatherWeek } from '../../server/data/digest-week.ts';
import { parseIsoWeek } from '../../server/digest/iso-week.ts';
import { corpusDb } from '../helper.ts';

const write = (obj: unknown) => {
  const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'relapse-cfg-')), 'relapse.json');
  fs.writeFileSync(f, JSON.stringify(obj));
  return f;
};
const load = (obj: unknown) => loadSettings({}, { RELAPSE_CONFIG: write(obj) });

describe('inboxes and sync in the config', () => {
  it('follows the kexec list on lore by default, with no scheduled sync', () => {
    const s = load({});
    expect(s.inboxes).toEqual([{ name: 'kexec', url: 'https://lore.kernel.org/kexec', list: 'kexec' }]);
    expect(s.inboxes).toEqual(DEFAULT_INBOXES);
    expect(s.sync).toEqual({ schedule: null, mirrors: null, retries: 3, backoffMs: 2000 });
  });

  it('takes inboxes (list defaults to the name) and a schedule', () => {
    const s = load({ inboxes: [{ name: 'kexec', url: 'https://lore.kernel.org/kexec/' }, { name: 'iommu', url: 'file:///srv/iommu', list: 'iommu' }],
      sync: { schedule: '*/10 * * * *', mirrors: '/srv/mirrors', retries: 5, backoffMs: 100 } });
    expect(s.inboxes).toEqual([{ name: 'kexec', url: 'https://lore.kernel.org/kexec', list: 'kexec' }, { name: 'iommu', url: 'file:///srv/iommu', list: 'iommu' }]);
    expect(s.sync).toEqual({ schedule: '*/10 * * * *', mirrors: '/srv/mirrors', retries: 5, backoffMs: 100 });
  });

  it.each([
    [{ inboxes: {} }, /inboxes must be an array/],
    [{ inboxes: [{ url: 'https://x/y' }] }, /inboxes\[0\]\.name/],
    [{ inboxes: [{ name: '../up', url: 'https://x/y' }] }, /inboxes\[0\]\.name/],
    [{ inboxes: [{ name: 'a', url: 'x' }, { name: 'a', url: 'y' }] }, /inboxes\[1\]\.name 'a' is given twice/],
    [{ inboxes: [{ name: 'a', url: '' }] }, /inboxes\[0\]\.url/],
    [{ inboxes: [{ name: 'a', url: 'x', list: 3 }] }, /inboxes\[0\]\.list/],
    [{ sync: { schedule: 'every ten minutes' } }, /sync\.schedule/],
    [{ sync: { retries: -1 } }, /sync\.retries must be a whole number/],
    [{ sync: [] }, /sync must be an object/],
  ])('refuses %j, naming the field', (cfg, msg) => {
    expect(() => load(cfg)).toThrow(msg);
  });

  it('builds lore links on the configured inbox URL of the list; other lists stay on lore', () => {
    const inboxes = [{ name: 'k', url: 'https://lore.example.org/kexec-mirror', list: 'kexec' }, { name: 'l', url: '/srv/local', list: 'local' }];
    expect(listArchiveUrl(inboxes, 'kexec')).toBe('https://lore.example.org/kexec-mirror');
    expect(listArchiveUrl(inboxes, 'local')).toBeNull(); // a path is not browsable: loreLink finds lore's inbox
    expect(listArchiveUrl(inboxes, 'linux-mm')).toBeNull();
    expect(loreLink('linux-mm', 'a@b', listArchiveUrl(inboxes, 'linux-mm'))).toBe('https://lore.kernel.org/linux-mm/a@b/');
    expect(loreLink('kexec', '<a/b@x>', listArchiveUrl(inboxes, 'kexec'))).toBe('https://lore.example.org/kexec-mirror/a%2Fb@x/');
  });

  it("the digest's message links use the list's configured URL", async () => {
    const { db } = await corpusDb();
    const base = 'https://lore.example.org/kexec-mirror';
    const week = gatherWeek(db, parseIsoWeek("2010-W13"), 'kexec', [{ url: base, list: 'kexec' }]);
    const links = JSON.stringify(week).match(/"link":"[^"]+"/g) ?? [];
    expect(links.length).toBeGreaterThan(0);
    for (const l of links) expect(l).toMatch(new RegExp(`^"link":"${base}/`));
    db.close();
  });
});
