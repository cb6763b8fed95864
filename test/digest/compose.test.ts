import { describe, expect, it } from 'vitest';
import { simpleParser } from 'mailparser';
import { composeDigest, digestSubject, escapeHtml, filterForRecipient, formatAge, isEmptyDigest } from '../../server/digest/compose.ts';
import { loreLink } from '../../server/data/links.ts';
import { buildMessage } from '../../server/digest/mime.ts';
import { emptyWeek, msg, sampleWeek } from './literal.ts';
import { withoutVolatileHeaders } from './helpers.ts';

const decode = (s: string) =>
  s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
/** The HTML's visible text, whitespace collapsed, lower-cased. */
const htmlText = (html: string) =>
  decode(html.replace(/<title>[\s\S]*?<\/title>/, '').replace(/<\/?(?:code|a|strong|span)\b[^>]*>/g, '').replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ').toLowerCase();

/** Content lines of the text part (decoration stripped). */
function textContent(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.replace(/^\s*(?:\d+\.|-|\|)\s/, '').replace(/:$/, '').trim())
    .filter((l) => l && !/^-+$/.test(l) && l !== '(none)' && l !== '--');
}

describe('compose', () => {
  it('subject counts new and resolved regressions, list name and week', () => {
    const d = sampleWeek();
    expect(digestSubject(d)).toBe('[relapse] kexec: 1 new regression, 1 resolved — week 2010-W13');
    d.newRegressions.push({ ...d.newRegressions[0], key: 'R9' });
    expect(digestSubject(d)).toBe('[relapse] kexec: 2 new regressions, 1 resolved — week 2010-W13');
    d.acknowledged.push({ ...d.stillOpen[0], acknowledged: { reason: 'intended', by: 'maint', at: '2010-03-30T00:00:00Z' } });
    expect(digestSubject(d)).toBe('[relapse] kexec: 2 new regressions, 1 resolved, 1 acknowledged — week 2010-W13');
    expect(digestSubject({ ...emptyWeek(), list: 'linux-mm' })).toBe('[relapse] linux-mm: nothing changed — week 2010-W20');
  });

  it('text holds every item: the fix, the removing message with author and version, the removed lines, lore links', () => {
    const { text } = composeDigest(sampleWeek());
    expect(text).toContain("don't flush caches on the way down");
    expect(text).toContain('Tom Novak <tnovak@newco.example>, v1, 2010-03-30 09:15 UTC');
    expect(text).toContain('https://lore.kernel.org/kexec/m29@newco.example/');
    expect(text).toContain('iommu_flush_all_caches() removed from iommu_disable() [shutdown path], arch/x86/kernel/amd_iommu_init.c');
    expect(text).toContain('"[PATCH 2/2] x86/amd-iommu: flush caches in iommu_disable"');
    expect(text).toContain('2010-03-18 10:00 UTC');
    expect(text).toContain('| \tiommu_flush_all_caches(iommu);');
    expect(text).toMatch(/STILL OPEN FROM EARLIER WEEKS \(1\)[\s\S]*enable_iommus\(\) no longer before amd_iommu_init_passthrough\(\), amd_iommu_init_notifier\(\)[\s\S]*open 5 weeks/);
    expect(text).toMatch(/RESOLVED \(1\)[\s\S]*refixed by "\[PATCH\] x86\/amd-iommu: flush devices again"/);
    expect(text).toMatch(/FIXES THAT BECAME KNOWN \(1\)/);
    expect(text).toMatch(/SERIES THAT TOUCHED WATCHED CODE \(1\)[\s\S]*removed iommu_flush_all_caches\(\) in iommu_disable\(\)/);
    // new regressions come first
    expect(text.indexOf('NEW REGRESSIONS')).toBeLessThan(text.indexOf('STILL OPEN'));
  });

  it('text and HTML carry the same content', () => {
    for (const d of [sampleWeek(), emptyWeek()]) {
      const { text, html } = composeDigest(d);
      const h = htmlText(html);
      for (const line of textContent(text)) expect(h, line).toContain(line.replace(/\s+/g, ' ').toLowerCase());
      const hrefs = [...html.matchAll(/href="([^"]+)"/g)].map((m) => decode(m[1]));
      for (const href of hrefs) expect(text).toContain(href);
      const textLinks = text.match(/https:\/\/lore\.kernel\.org\/\S+\//g) ?? [];
      expect(new Set(hrefs)).toEqual(new Set(textLinks));
    }
  });

  it('HTML is mail-client safe: inline styles, no scripts, no remote images, no style sheets', () => {
    const { html } = composeDigest(sampleWeek());
    expect(html).not.toMatch(/<script|<img|<link|<style|<iframe|javascript:|@import|url\(/i);
    expect(html).toMatch(/<body style="/);
    expect(html).toMatch(/<h2 style="/);
  });

  it('escapes hostile subjects and names in HTML (and leaves the text part literal)', () => {
    const d = sampleWeek();
    const hostile = `<script>alert("x")</script><img src=http://evil.example/t.gif> & 'q'`;
    d.newRegressions[0].removedBy = [msg('evil@x.example', hostile, '2010-03-30T09:15:00.000Z', '<b onmouseover="x()">Mallory</b>', 'm@x.example')];
    d.series[0].title = hostile;
    const { html, text } = composeDigest(d);
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b onmouseover');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=http://evil.example/t.gif&gt; &amp; &#39;q&#39;');
    expect(html).toContain('&lt;b onmouseover=&quot;x()&quot;&gt;Mallory&lt;/b&gt;');
    expect(text).toContain(hostile);
    expect(escapeHtml(`a<b>"c"&'d'`)).toBe('a&lt;b&gt;&quot;c&quot;&amp;&#39;d&#39;');
  });

  it('an empty week says nothing changed', () => {
    const d = emptyWeek();
    expect(isEmptyDigest(d)).toBe(true);
    const { text } = composeDigest(d);
    expect(text).toMatch(/Nothing changed in week 2010-W20/);
    // still-open regressions alone are a reminder, not news
    d.stillOpen = sampleWeek().stillOpen;
    expect(isEmptyDigest(d)).toBe(true);
    expect(composeDigest(d).text).toContain('STILL OPEN FROM EARLIER WEEKS (1)');
  });

  it('lore links percent-encode what a path segment cannot hold', () => {
    expect(loreLink('kexec', '<20100329.abc@host.example>')).toBe('https://lore.kernel.org/kexec/20100329.abc@host.example/');
    expect(loreLink('kexec', 'a/b c+d=e@x')).toBe('https://lore.kernel.org/kexec/a%2Fb%20c+d=e@x/');
    expect(loreLink('kexec', 'x#y?z%@h')).toBe('https://lore.kernel.org/kexec/x%23y%3Fz%25@h/');
  });

  it('ages read in days, then weeks', () => {
    expect(formatAge(0)).toBe('0 days');
    expect(formatAge(1)).toBe('1 day');
    expect(formatAge(7)).toBe('1 week');
    expect(formatAge(23)).toBe('3 weeks (23 days)');
  });

  it('routes items by file pattern (MAINTAINERS-like); no patterns means everything', () => {
    const d = sampleWeek();
    const all = filterForRecipient(d, { email: 'a@x', files: [] });
    expect(all.newRegressions).toHaveLength(1);
    expect(all.recipient).toEqual({ email: 'a@x', files: [] });
    const init = filterForRecipient(d, { email: 'b@x', files: ['arch/x86/kernel/amd_iommu.c'] });
    expect(init.newRegressions).toHaveLength(0);
    expect(init.resolved).toHaveLength(1);
    expect(init.stillOpen).toHaveLength(0);
    const dir = filterForRecipient(d, { email: 'c@x', files: ['arch/x86/kernel/'] });
    expect(dir.newRegressions).toHaveLength(1);
    expect(dir.resolved).toHaveLength(1);
    const glob = filterForRecipient(d, { email: 'd@x', files: ['**/amd_iommu_init.c'] });
    expect(glob.newRegressions).toHaveLength(1);
    expect(glob.resolved).toHaveLength(0);
    const none = filterForRecipient(d, { email: 'e@x', files: ['kernel/kexec.c'] });
    expect(isEmptyDigest(none)).toBe(true);
    expect(composeDigest(dir).text).toContain('Only items touching arch/x86/kernel/ are listed.');
  });

  it('is deterministic: same data, same text and HTML; the message differs only in Date and Message-ID', async () => {
    const a = composeDigest(sampleWeek());
    const b = composeDigest(sampleWeek());
    expect(b).toEqual(a);
    const env = { from: 'relapse <relapse@test.example>', to: ['m@x.example'], week: '2010-W13' };
    const m1 = await buildMessage(a, { ...env, date: new Date('2010-04-05T08:00:00Z') });
    const m2 = await buildMessage(b, { ...env, date: new Date('2010-04-12T08:00:03Z') });
    expect(m1.raw.equals(m2.raw)).toBe(false); // Date / Message-ID
    expect(withoutVolatileHeaders(m2.raw)).toBe(withoutVolatileHeaders(m1.raw));
    // fixed Date and Message-ID: identical bytes
    const fixed = { ...env, date: new Date('2010-04-05T08:00:00Z'), messageId: '<fixed@test.example>' };
    expect((await buildMessage(a, fixed)).raw.equals((await buildMessage(b, fixed)).raw)).toBe(true);
    // different content, different boundary
    const other = await buildMessage(composeDigest(emptyWeek()), fixed);
    const boundary = (raw: Buffer) => /boundary="([^"]+)"/.exec(raw.toString())![1];
    expect(boundary(other.raw)).not.toBe(boundary(m1.raw));
  });

  it('the message is multipart/alternative with text/plain and text/html that parse back', async () => {
    const c = composeDigest(sampleWeek());
    const m = await buildMessage(c, { from: 'relapse <relapse@test.example>', to: ['m@x.example'], week: '2010-W13' });
    const head = m.raw.toString().split('\r\n\r\n')[0];
    expect(head).toMatch(/^Content-Type: multipart\/alternative;/m);
    expect(head).toMatch(/^MIME-Version: 1\.0/m);
    const p = await simpleParser(m.raw);
    expect(p.subject).toBe(c.subject);
    expect(p.text?.trimEnd()).toBe(c.text.trimEnd());
    expect(p.html).toBe(c.html);
    expect(p.messageId).toBe(m.messageId.replace(/^<|>$/g, '').replace(/^/, '<').replace(/$/, '>'));
  });
});
