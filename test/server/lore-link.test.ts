// Links to lore: a message's own list's inbox, else lore's /r/ redirect; digest subjects name the lists covered.
import { describe, expect, it } from 'vitest';
import { loreLink } from '../../server/data/links.ts';
import { hrefLore } from '../../server/dashboard/html.ts';
import { digestSubject } from '../../server/digest/compose.ts';
import { emptyWeek, sampleWeek } from '../digest/literal.ts';

describe('loreLink', () => {
  it('links into the message\'s own list', () => {
    expect(loreLink('linux-arm-kernel', '<a.b@host>')).toBe('https://lore.kernel.org/linux-arm-kernel/a.b@host/');
    expect(loreLink('linux-kernel', 'a@b')).toBe('https://lore.kernel.org/lkml/a@b/');
  });

  it('uses lore\'s /r/ redirect where the inbox is not known', () => {
    expect(loreLink(null, '<a/b@host>')).toBe('https://lore.kernel.org/r/a%2Fb@host');
    expect(loreLink('', 'a@b')).toBe('https://lore.kernel.org/r/a@b');
    expect(loreLink('not a list', 'a@b')).toBe('https://lore.kernel.org/r/a@b');
  });

  it('is what the dashboard links too', () => {
    expect(hrefLore('a@b', 'iommu')).toBe(loreLink('iommu', 'a@b'));
    expect(hrefLore('a@b')).toBe('https://lore.kernel.org/r/a@b');
  });
});

describe('digest subject', () => {
  it('names the lists the digest covers', () => {
    expect(digestSubject({ ...sampleWeek(), lists: ['iommu', 'kexec'] })).toMatch(/^\[relapse\] iommu, kexec: /);
    expect(digestSubject({ ...emptyWeek(), list: 'kexec', lists: ['linux-mm'] })).toBe('[relapse] linux-mm: nothing changed — week 2010-W20');
  });
});
