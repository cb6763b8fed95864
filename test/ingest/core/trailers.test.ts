import { describe, expect, it } from 'vitest';
import { changeIdOf, parseTrailers, supersedesOf } from '../../../ingest/core/trailers.ts';

describe('parseTrailers', () => {
  it('reads every kind of trailer, in order, in canonical case', () => {
    const text = [
      'x86/amd-iommu: flush on init',
      '',
      'Fixes: abcdef123456 ("x86/amd-iommu: do not flush twice")',
      'reported-by: Neil Hart <nhart@tux.example>',
      'SUGGESTED-BY: Vera Gold <vgold@redhat.example>',
      'Link: https://lore.kernel.org/r/20100402.abc@tux.example',
      'Closes: https://bugzilla.example/show_bug.cgi?id=42',
      'Cc: stable@vger.kernel.org # 2.6.33',
      'Signed-off-by: Chris Wren <cwren@sous.example>',
      'Acked-by : Ada Bauer <ada.bauer@amd.example>',
      'Reviewed-by: Eric Bell <ebell@xmission.example>',
      'Tested-by: Tim Novak <tnovak@newco.example>',
    ].join('\n');
    expect(parseTrailers(text)).toEqual([
      { name: 'Fixes', value: 'abcdef123456 ("x86/amd-iommu: do not flush twice")' },
      { name: 'Reported-by', value: 'Neil Hart <nhart@tux.example>' },
      { name: 'Suggested-by', value: 'Vera Gold <vgold@redhat.example>' },
      { name: 'Link', value: 'https://lore.kernel.org/r/20100402.abc@tux.example' },
      { name: 'Closes', value: 'https://bugzilla.example/show_bug.cgi?id=42' },
      { name: 'Cc', value: 'stable@vger.kernel.org # 2.6.33' },
      { name: 'Signed-off-by', value: 'Chris Wren <cwren@sous.example>' },
      { name: 'Acked-by', value: 'Ada Bauer <ada.bauer@amd.example>' },
      { name: 'Reviewed-by', value: 'Eric Bell <ebell@xmission.example>' },
      { name: 'Tested-by', value: 'Tim Novak <tnovak@newco.example>' },
    ]);
  });

  it('ignores quoted, indented and diff lines', () => {
    const text = [
      '> Signed-off-by: Quoted Person <q@example.org>',
      '  > Acked-by: Nested Quote <n@example.org>',
      '    Acked-by: Indented In A Commit Quote <i@example.org>',
      '+Signed-off-by: added line <a@example.org>',
      ' Reviewed-by: context line <c@example.org>',
      'Acked-by: Real Person <r@example.org>',
    ].join('\n');
    expect(parseTrailers(text)).toEqual([{ name: 'Acked-by', value: 'Real Person <r@example.org>' }]);
  });

  it('ignores other "Name: value" lines and empty values', () => {
    expect(parseTrailers('Subject: not a trailer\nNote: neither\nSigned-off-by:\nCo-developed-by: X <x@y.z>')).toEqual([]);
  });

  it('keeps CRLF text clean and undoes pipermail address obfuscation inside brackets', () => {
    expect(parseTrailers('Acked-by: Simon Horne <horne at verge.example>\r\nCc: a at b\r\n')).toEqual([
      { name: 'Acked-by', value: 'Simon Horne <horne@verge.example>' },
      { name: 'Cc', value: 'a at b' },
    ]);
  });

  it('keeps a UTF-8 name as is', () => {
    expect(parseTrailers('Acked-by: Jörg Rödl <jroedl@amd.example>')[0].value).toBe('Jörg Rödl <jroedl@amd.example>');
  });

  it('gives nothing for empty text', () => {
    expect(parseTrailers('')).toEqual([]);
  });
});

describe('changeIdOf', () => {
  it('reads a b4 change-id from a cover letter footer', () => {
    expect(changeIdOf('Intro.\n\n---\nbase-commit: 1a2b3c\nchange-id: 20240101-foo-abc123\n\nBest regards,\n')).toBe(
      '20240101-foo-abc123',
    );
  });
  it('reads a Gerrit Change-Id trailer', () => {
    expect(changeIdOf('fix\n\nChange-Id: I0123456789abcdef0123456789abcdef01234567\n')).toBe(
      'I0123456789abcdef0123456789abcdef01234567',
    );
  });
  it('is null when absent or only quoted', () => {
    expect(changeIdOf('no id here')).toBeNull();
    expect(changeIdOf('> change-id: 20240101-foo-abc123')).toBeNull();
  });
});

describe('supersedesOf', () => {
  it('reads the pointer without angle brackets', () => {
    expect(supersedesOf('v2 of the fix.\nSupersedes: <20100402.abc@tux.example>\n')).toBe('20100402.abc@tux.example');
  });
  it('is null when absent', () => {
    expect(supersedesOf('nothing')).toBeNull();
  });
});
