// The stored form of a file's hunks (patch_files.hunks) is JSON.stringify's of their five fields: hunksJson
// writes it by hand, and must write exactly that.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { hunksJson } from '../../../ingest/store/store.ts';
import type { DiffHunk } from '../../../ingest/core/model.ts';

const reference = (hunks: DiffHunk[]) =>
  JSON.stringify(hunks.map((h) => ({ header: h.header, oldStart: h.oldStart, oldLines: h.oldLines, newStart: h.newStart, newLines: h.newLines })));

describe('hunksJson', () => {
  it('writes what JSON.stringify writes of the headers and ranges, whatever the header holds', () => {
    const hunk = fc.record({
      header: fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom('static int "x"\\', '\u2028\u0000\ud800', '')),
      oldStart: fc.nat(), oldLines: fc.nat(), newStart: fc.nat(), newLines: fc.nat(),
      lines: fc.constant([] as DiffHunk['lines']),
    });
    fc.assert(fc.property(fc.array(hunk, { maxLength: 6 }), (hunks) => {
      expect(hunksJson(hunks)).toBe(reference(hunks));
    }), { numRuns: 3000 });
  });
  it('leaves ranges that are not whole numbers, and a missing header, to JSON.stringify', () => {
    const odd = [
      { header: 'a', oldStart: Infinity, oldLines: 1, newStart: 1, newLines: 1, lines: [] },
      { header: 'b', oldStart: 1e21, oldLines: -0, newStart: 0.5, newLines: NaN, lines: [] },
      { header: undefined as unknown as string, oldStart: 1, oldLines: 1, newStart: 1, newLines: 1, lines: [] },
    ];
    for (const h of odd) expect(hunksJson([h])).toBe(reference([h]));
    expect(hunksJson([])).toBe('[]');
  });
});
