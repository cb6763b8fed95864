// Reading the Date header the way mail in the wild writes it: RFC 5322 plus its obsolete forms
// (RFC 5322 §4.3: alphabetic zones, two- and three-digit years, missing seconds), and the extra
// forms archives hold: no weekday, a comment or junk after the zone, the asctime order of an mbox
// From_ line ("Mon Jun  1 10:43:14 2009"), ISO 8601 from scripts. And writing the date read as ISO 8601
// (isoDate: toISOString's text, computed by hand, the builtin being the dearer half of the work).

const MONTHS: Readonly<Record<string, number>> = Object.freeze({
  jan: 0, feb: 1, mar: 2, apr: 3, may: 4, jun: 5, jul: 6, aug: 7, sep: 8, oct: 9, nov: 10, dec: 11,
});

const WEEKDAYS = new Set(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']);

// Zone names in minutes east of UTC. The first group is RFC 5322's obs-zone; the rest are names
// mailers wrote anyway (seen: "CEST", "MET DST" style comments promoted to the zone position).
const ZONES: Readonly<Record<string, number>> = Object.freeze({
  ut: 0, utc: 0, gmt: 0, z: 0,
  est: -300, edt: -240, cst: -360, cdt: -300, mst: -420, mdt: -360, pst: -480, pdt: -420,
  wet: 0, west: 60, bst: 60, cet: 60, cest: 120, met: 60, mest: 120, eet: 120, eest: 180,
  msk: 180, jst: 540, kst: 540, hst: -600, akst: -540, akdt: -480,
  aest: 600, aedt: 660, acst: 570, acdt: 630, awst: 480, nzst: 720, nzdt: 780,
});

const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;
const TIME_RE = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$/;
const NUM_ZONE_RE = /^(?:gmt|utc|ut)?([+-])(\d{2}):?(\d{2})$/i;
// The form nearly every mailer writes: "Thu, 11 Jun 2009 06:00:03 -0400 (EDT)". Read at once; what the token
// reader below makes of it is the same (a numeric zone wins over the comment).
const RFC5322_RE = /^(?:([A-Za-z]{3}),[ ]?)?(\d{1,2}) ([A-Za-z]{3}) (\d{4}) (\d{2}):(\d{2})(?::(\d{2}))? ([+-])(\d{2})(\d{2})(?: \([^()]*\))?$/;

/**
 * Parse a mail Date header. Returns null when no calendar date and time can be read from it, or when the
 * fields are out of range (31 Feb). A missing zone is taken as UTC; military one-letter zones too, as
 * RFC 5322 advises, since their sign was famously written both ways.
 *
 * @example parseMailDate('Tue, 23 Mar 2010 12:46:25 EDT')?.toISOString() // '2010-03-23T16:46:25.000Z'
 * @example parseMailDate('someday soon') // null
 */
export function parseMailDate(s: string): Date | null {
  if (typeof s !== 'string') return null;
  let text = s.trim();
  if (!text || text.length > 200) return null;

  const common = RFC5322_RE.exec(text);
  if (common && (!common[1] || WEEKDAYS.has(common[1].toLowerCase()))) {
    const month = MONTHS[common[3].toLowerCase()];
    if (month !== undefined) {
      const hh = Number(common[9]), mm = Number(common[10]);
      if (hh > 14 || mm > 59) return null;
      const offset = (common[8] === '-' ? -1 : 1) * (hh * 60 + mm);
      return build(+common[4], month, +common[2], +common[5], +common[6], common[7] ? +common[7] : 0, offset);
    }
  }

  const iso = ISO_RE.exec(text);
  if (iso) {
    let offset = 0;
    if (iso[7] && iso[7].toLowerCase() !== 'z') {
      const z = NUM_ZONE_RE.exec(iso[7]);
      if (!z) return null;
      offset = (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3]));
    }
    return build(+iso[1], +iso[2] - 1, +iso[3], +iso[4], +iso[5], iso[6] ? +iso[6] : 0, offset);
  }

  // comments: "-0400 (EDT)"; keep their words as a zone of last resort
  const comments: string[] = [];
  text = text.replace(/\(([^()]*)\)/g, (_m, c: string) => {
    comments.push(c.trim());
    return ' ';
  });

  let day = -1, month = -1, year = -1, hour = -1, minute = -1, second = 0;
  let offset: number | null = null;
  const numbers: string[] = [];
  const tokens = text.split(/[\s,]+/).filter(Boolean);
  for (const raw of tokens) {
    const tok = raw.replace(/\.$/, ''); // "Jun." and "Tue." were seen
    const lower = tok.toLowerCase();
    if (/^[a-z]+$/.test(lower)) {
      const three = lower.slice(0, 3);
      if (month < 0 && lower.length >= 3 && three in MONTHS && isMonthWord(lower)) { month = MONTHS[three]; continue; }
      if (WEEKDAYS.has(three) && isWeekdayWord(lower)) continue;
      if (hour >= 0 && offset === null && lower in ZONES) { offset = ZONES[lower]; continue; }
      if (hour >= 0 && offset === null && lower.length === 1) { offset = 0; continue; } // military zone
      continue; // junk word ("DST", "at", ...)
    }
    const time = TIME_RE.exec(tok);
    if (time && hour < 0) {
      hour = +time[1]; minute = +time[2]; second = time[3] ? +time[3] : 0;
      continue;
    }
    const zone = NUM_ZONE_RE.exec(tok);
    if (zone && offset === null && hour >= 0) {
      const hh = Number(zone[2]), mm = Number(zone[3]);
      if (hh > 14 || mm > 59) return null;
      offset = (zone[1] === '-' ? -1 : 1) * (hh * 60 + mm);
      continue;
    }
    if (/^\d{1,4}$/.test(tok)) {
      numbers.push(tok);
      continue;
    }
    // "1-Jun-2009" (seen from some VMS-era gateways)
    const dashed = /^(\d{1,2})-([a-z]{3})-(\d{2,4})$/i.exec(tok);
    if (dashed && dashed[2].toLowerCase() in MONTHS) {
      day = +dashed[1]; month = MONTHS[dashed[2].toLowerCase()]; year = expandYear(dashed[3]);
      continue;
    }
    // any other token is junk and ignored; the fields below must still all be found
  }

  for (const n of numbers) {
    if (n.length >= 3) { if (year < 0) year = expandYear(n); continue; }
    if (day < 0) day = +n;
    else if (year < 0) year = expandYear(n);
  }
  if (offset === null) {
    for (const c of comments) {
      const z = c.toLowerCase();
      if (z in ZONES) { offset = ZONES[z]; break; }
    }
  }
  if (day < 0 || month < 0 || year < 0 || hour < 0) return null;
  return build(year, month, day, hour, minute, second, offset ?? 0);
}

function isMonthWord(w: string): boolean {
  // "mar", "march", "sept"; not "maybe" or "decade"
  return w.length === 3 || /^(january|february|march|april|may|june|july|august|september|sept|october|november|december)$/.test(w);
}

function isWeekdayWord(w: string): boolean {
  return w.length === 3 || /^(monday|tuesday|wednesday|thursday|friday|saturday|sunday|tues|thur|thurs)$/.test(w);
}

/** RFC 5322 §4.3: 00-49 → 20xx, 50-99 and three digits → + 1900. */
function expandYear(y: string): number {
  const n = Number(y);
  if (y.length === 4) return n;
  if (y.length === 3) return n + 1900;
  return n < 50 ? 2000 + n : 1900 + n;
}

function build(year: number, month: number, day: number, hour: number, minute: number, second: number, offset: number): Date | null {
  if (year < 1900 || year > 9999) return null;
  if (month < 0 || month > 11 || day < 1 || day > 31) return null;
  if (hour > 23 || minute > 59 || second > 60) return null;
  if (second === 60) second = 59; // a leap second: keep the minute
  if (day > 28 && day > daysInMonth(year, month)) return null; // 31 Feb
  return new Date(Date.UTC(year, month, day, hour, minute, second) - offset * 60_000);
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The days of a month (0-11) of the Gregorian calendar, as Date counts them. */
function daysInMonth(year: number, month: number): number {
  return month === 1 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : MONTH_DAYS[month];
}

// isoDate's range: years 0000-9999, which toISOString writes with four digits
const ISO_MIN = -62167219200000; // 0000-01-01T00:00:00.000Z
const ISO_MAX = 253402300800000; // 10000-01-01T00:00:00.000Z
const DAY_MS = 86_400_000;
const TWO_DIGITS = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));

/**
 * A date as `toISOString` writes it (`2010-03-23T16:46:25.000Z`), computed from its time value: the builtin costs
 * as much as the rest of reading a date. Years outside 0000-9999 (six digits and a sign), and an invalid date (a
 * RangeError), are the builtin's.
 *
 * @example isoDate(new Date(Date.UTC(2010, 2, 23, 16, 46, 25))) // '2010-03-23T16:46:25.000Z'
 */
export function isoDate(date: Date): string {
  const t = date.getTime();
  if (!(t >= ISO_MIN && t < ISO_MAX)) return date.toISOString();
  const days = Math.floor(t / DAY_MS);
  let ms = t - days * DAY_MS;
  // the civil date of a day count (H. Hinnant's days_from_civil, inverted): 400-year eras from 0000-03-01
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const hour = Math.floor(ms / 3_600_000);
  ms -= hour * 3_600_000;
  const minute = Math.floor(ms / 60_000);
  ms -= minute * 60_000;
  const second = Math.floor(ms / 1000);
  ms -= second * 1000;
  return `${TWO_DIGITS[Math.floor(year / 100)]}${TWO_DIGITS[year % 100]}-${TWO_DIGITS[month]}-${TWO_DIGITS[day]}T${TWO_DIGITS[hour]}:${TWO_DIGITS[minute]}:${TWO_DIGITS[second]}.${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z`;
}
