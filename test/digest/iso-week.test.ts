import { describe, expect, it } from 'vitest';
import { InvalidWeekError, isIsoWeek, lastCompleteWeek, nextWeek, parseIsoWeek, previousWeek, weekOf, weeksInYear, inWeek } from '../../server/digest/iso-week.ts';

describe('ISO weeks', () => {
  it('parses a week into Monday 00:00 .. next Monday 00:00 UTC', () => {
    const w = parseIsoWeek('2010-W13');
    expect(w.label).toBe('2010-W13');
    expect(w.start.toISOString()).toBe('2010-03-29T00:00:00.000Z');
    expect(w.end.toISOString()).toBe('2010-04-05T00:00:00.000Z');
  });

  it('2009 has 53 weeks; 2009-W53 runs into January 2010', () => {
    expect(weeksInYear(2009)).toBe(53);
    const w = parseIsoWeek('2009-W53');
    expect(w.start.toISOString()).toBe('2009-12-28T00:00:00.000Z');
    expect(w.end.toISOString()).toBe('2010-01-04T00:00:00.000Z');
  });

  it('2010-W01 starts on 2010-01-04 (1-3 January belong to 2009-W53)', () => {
    expect(parseIsoWeek('2010-W01').start.toISOString()).toBe('2010-01-04T00:00:00.000Z');
    expect(weekOf('2010-01-01T12:00:00Z').label).toBe('2009-W53');
    expect(weekOf('2010-01-03T23:59:59.999Z').label).toBe('2009-W53');
    expect(weekOf('2010-01-04T00:00:00Z').label).toBe('2010-W01');
  });

  it('late-December days can belong to week 1 of the next year', () => {
    expect(weekOf('2008-12-29T00:00:00Z').label).toBe('2009-W01');
    expect(weekOf('2014-12-29T10:00:00Z').label).toBe('2015-W01');
    expect(weekOf('2020-12-31T10:00:00Z').label).toBe('2020-W53');
  });

  it('knows which years have 53 weeks', () => {
    const long = [2004, 2009, 2015, 2020, 2026];
    for (let y = 2000; y <= 2030; y++) expect(weeksInYear(y), String(y)).toBe(long.includes(y) ? 53 : 52);
  });

  it('rejects malformed and out-of-range weeks with a clear error', () => {
    for (const bad of ['2010-W54', '2010-W53', '2010-W00', '2010-13', 'W13', '2010-W1x', '', 'next week', '2010-W013']) {
      expect(() => parseIsoWeek(bad), bad).toThrow(InvalidWeekError);
      expect(isIsoWeek(bad)).toBe(false);
    }
    expect(() => parseIsoWeek('2010-W53')).toThrow(/2010 has weeks 01 to 52/);
    expect(parseIsoWeek('2010w5').label).toBe('2010-W05');
  });

  it('every day maps into the week that contains it, round trip over years', () => {
    for (let t = Date.UTC(2008, 11, 20); t < Date.UTC(2011, 0, 10); t += 86_400_000 / 2) {
      const w = weekOf(t);
      expect(t).toBeGreaterThanOrEqual(w.start.getTime());
      expect(t).toBeLessThan(w.end.getTime());
      expect(w.start.getUTCDay()).toBe(1);
      expect(parseIsoWeek(w.label).start.getTime()).toBe(w.start.getTime());
    }
  });

  it('last complete week, next and previous', () => {
    expect(lastCompleteWeek(new Date('2010-04-05T08:00:00Z')).label).toBe('2010-W13');
    expect(lastCompleteWeek(new Date('2010-04-04T23:59:59Z')).label).toBe('2010-W12');
    expect(lastCompleteWeek(new Date('2010-01-05T00:00:00Z')).label).toBe('2009-W53');
    expect(nextWeek(parseIsoWeek('2009-W53')).label).toBe('2010-W01');
    expect(previousWeek(parseIsoWeek('2010-W01')).label).toBe('2009-W53');
  });

  it('inWeek: start inclusive, end exclusive, null never', () => {
    const w = parseIsoWeek('2010-W13');
    expect(inWeek(w, '2010-03-29T00:00:00Z')).toBe(true);
    expect(inWeek(w, '2010-04-04T23:59:59.999Z')).toBe(true);
    expect(inWeek(w, '2010-04-05T00:00:00Z')).toBe(false);
    expect(inWeek(w, null)).toBe(false);
    expect(inWeek(w, 'garbage')).toBe(false);
  });
});
