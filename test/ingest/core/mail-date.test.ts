import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isoDate, parseMailDate } from '../../../ingest/core/mail-date.ts';

// Expected instants are worked out by hand from the zone offsets.
const GOOD: [string, string][] = [
  ['Mon, 1 Jun 2009 10:43:14 -0400', '2009-06-01T14:43:14.000Z'],
  ['Tue, 23 Mar 2010 12:46:25 +0000', '2010-03-23T12:46:25.000Z'],
  ['Tue, 23 Mar 2010 12:46:25 +0530', '2010-03-23T07:16:25.000Z'],
  ['Tue, 23 Mar 2010 12:46:25 -0000', '2010-03-23T12:46:25.000Z'],
  ['Tue, 23 Mar 2010 12:46:25 EDT', '2010-03-23T16:46:25.000Z'],
  ['Tue, 23 Mar 2010 12:46:25 PST', '2010-03-23T20:46:25.000Z'],
  ['Tue, 23 Mar 2010 12:46:25 GMT', '2010-03-23T12:46:25.000Z'],
  ['Tue, 23 Mar 2010 12:46:25 UT', '2010-03-23T12:46:25.000Z'],
  ['23 Mar 2010 12:46:25 -0400', '2010-03-23T16:46:25.000Z'], // no weekday
  ['Tue, 23 Mar 2010 12:46 -0400', '2010-03-23T16:46:00.000Z'], // no seconds
  ['Tue, 23 Mar 10 12:46:25 -0400', '2010-03-23T16:46:25.000Z'], // two-digit year < 50
  ['Wed, 3 Mar 99 12:46:25 +0000', '1999-03-03T12:46:25.000Z'], // two-digit year >= 50
  ['Wed, 3 Mar 099 12:46:25 +0000', '1999-03-03T12:46:25.000Z'], // three-digit year
  ['Tue, 23 Mar 2010 12:46:25 -0400 (EDT)', '2010-03-23T16:46:25.000Z'], // zone comment
  ['Tue, 23 Mar 2010 12:46:25 +0200 (CEST) garbage 17', '2010-03-23T10:46:25.000Z'], // junk after the zone
  ['Tue, 23 Mar 2010 12:46:25 (CEST)', '2010-03-23T10:46:25.000Z'], // only a comment zone
  ['Tue, 23 Mar 2010 12:46:25', '2010-03-23T12:46:25.000Z'], // no zone: UTC
  ['Tuesday, 23 March 2010 12:46:25 -0400', '2010-03-23T16:46:25.000Z'],
  ['Tue, 23 Mar. 2010 12:46:25 -0400', '2010-03-23T16:46:25.000Z'],
  ['Tue,23 Mar 2010 12:46:25 -0400', '2010-03-23T16:46:25.000Z'],
  ['  Tue, 23 Mar 2010 12:46:25 -0400  ', '2010-03-23T16:46:25.000Z'],
  ['Mon Jun  1 10:43:14 2009', '2009-06-01T10:43:14.000Z'], // asctime, as on From_ lines
  ['2010-03-23T12:46:25Z', '2010-03-23T12:46:25.000Z'],
  ['2010-03-23 12:46:25 -04:00', '2010-03-23T16:46:25.000Z'],
  ['Tue, 23 Mar 2010 12:46:60 +0000', '2010-03-23T12:46:59.000Z'], // leap second kept in its minute
  ['Sat, 29 Feb 2020 00:00:00 +0000', '2020-02-29T00:00:00.000Z'],
  ['Fri, 1 Jan 2010 01:00:00 +0100', '2010-01-01T00:00:00.000Z'],
];

const BAD = [
  'someday soon',
  '',
  'Tue, 31 Feb 2010 12:46:25 +0000',
  'Tue, 23 Foo 2010 12:46:25 +0000',
  'Tue, 23 Mar 2010 25:46:25 +0000',
  'Tue, 23 Mar 2010 12:61:25 +0000',
  'Tue, 23 Mar 2010 +0000',
  'Tue, 23 Mar 2010 12:46:25 +9900',
  '12:46:25',
  'Mar 2010',
  '32 Mar 2010 12:46:25 +0000',
];

describe('parseMailDate', () => {
  it.each(GOOD)('%j', (input, iso) => {
    expect(parseMailDate(input)?.toISOString()).toBe(iso);
  });
  it.each(BAD)('null for %j', (input) => {
    expect(parseMailDate(input)).toBeNull();
  });
  it('never throws and never returns an invalid Date', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (s) => {
        const d = parseMailDate(s);
        if (d !== null) expect(Number.isNaN(d.getTime())).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });
  it('round-trips dates formatted as RFC 5322 by Date#toUTCString', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('1971-01-01'), max: new Date('2099-12-31'), noInvalidDate: true }), (d) => {
        const whole = new Date(Math.floor(d.getTime() / 1000) * 1000);
        expect(parseMailDate(whole.toUTCString())?.getTime()).toBe(whole.getTime());
      }),
      { numRuns: 300 },
    );
  });
  it('reads the common RFC 5322 form as the general reader does, in range or not', () => {
    // Doubled blanks keep a date out of the one-pattern fast path, so the token reader reads the same fields:
    // both must agree, for junk weekdays, out-of-range days, hours and zones included.
    const two = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, '0'));
    const date = fc.record({
      weekday: fc.option(fc.constantFrom('Mon', 'tue', 'SUN', 'Foo', 'Mar', 'Jan'), { nil: undefined }),
      day: fc.integer({ min: 0, max: 39 }).map(String),
      month: fc.constantFrom('Jan', 'feb', 'MAR', 'Apr', 'Jun', 'Sep', 'Dec', 'Xyz', 'Tue'),
      year: fc.integer({ min: 1890, max: 2100 }).map(String),
      hh: two(25), mm: two(61), ss: fc.option(two(61), { nil: undefined }),
      sign: fc.constantFrom('+', '-'), zh: two(16), zm: two(61),
      comment: fc.option(fc.constantFrom('(EDT)', '(CEST)', '()'), { nil: undefined }),
    });
    fc.assert(
      fc.property(date, (d) => {
        const parts = [d.weekday ? `${d.weekday},` : '', d.day, d.month, d.year, `${d.hh}:${d.mm}${d.ss ? ':' + d.ss : ''}`, `${d.sign}${d.zh}${d.zm}`, d.comment ?? '']
          .filter(Boolean);
        const fast = parseMailDate(parts.join(' '));
        const general = parseMailDate(parts.join('  '));
        expect(fast?.getTime() ?? null).toBe(general?.getTime() ?? null);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('isoDate', () => {
  it('writes a date as toISOString does, across years 0000-9999, their leap days and their edges', () => {
    const edges = [-62167219200000, 253402300799999, 0, -1, Date.UTC(2000, 1, 29, 23, 59, 59, 999), Date.UTC(1900, 2, 1), Date.UTC(2100, 1, 28, 12)];
    for (const t of edges) expect(isoDate(new Date(t))).toBe(new Date(t).toISOString());
    fc.assert(
      fc.property(fc.integer({ min: -62167219200000, max: 253402300799999 }), (t) => {
        expect(isoDate(new Date(t))).toBe(new Date(t).toISOString());
      }),
      { numRuns: 20000 },
    );
  });
  it('leaves years outside 0000-9999 and invalid dates to toISOString', () => {
    for (const t of [-62167219200001, 253402300800000, 8.64e15, -8.64e15]) expect(isoDate(new Date(t))).toBe(new Date(t).toISOString());
    expect(() => isoDate(new Date(NaN))).toThrow(RangeError);
  });
});

describe('the days of a month', () => {
  it('takes the days each month has, leap years included, and no more', () => {
    const names = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
    for (const year of [1900, 1999, 2000, 2003, 2004, 2100, 2400, 9999]) {
      for (let month = 0; month < 12; month++) {
        for (let day = 27; day <= 31; day++) {
          const t = Date.UTC(year, month, day, 12, 0, 0);
          const real = new Date(t).getUTCDate() === day;
          expect(parseMailDate(`${day} ${names[month]} ${year} 12:00:00 +0000`)?.getTime() ?? null).toBe(real ? t : null);
        }
      }
    }
  });
});
