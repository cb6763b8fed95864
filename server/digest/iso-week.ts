// ISO 8601 week arithmetic, in UTC. A week runs Monday 00:00 to the next Monday 00:00 (exclusive);
// week 1 of a year is the week holding its first Thursday (equivalently, January 4th).
// Pure: no clock reads except where `now` is a parameter.

export interface IsoWeek {
  /** ISO week-numbering year (may differ from the calendar year around New Year) */
  year: number;
  /** 1..53 */
  week: number;
  /** canonical label, e.g. 2010-W13 */
  label: string;
  /** Monday 00:00 UTC */
  start: Date;
  /** the next Monday 00:00 UTC (exclusive end) */
  end: Date;
}

const DAY = 86_400_000;

export class InvalidWeekError extends Error {
  constructor(input: string, why: string) {
    super(`invalid week "${input}": ${why} (expected an ISO week such as 2010-W13)`);
    this.name = 'InvalidWeekError';
  }
}

/** Monday 00:00 UTC of ISO week 1 of `year`. */
function week1Monday(year: number): number {
  const jan4 = Date.UTC(year, 0, 4);
  const dow = (new Date(jan4).getUTCDay() + 6) % 7; // Monday = 0
  return jan4 - dow * DAY;
}

/** Number of ISO weeks in a year: 53 when it starts on a Thursday, or is a leap year starting on a Wednesday. */
export function weeksInYear(year: number): number {
  return Math.round((week1Monday(year + 1) - week1Monday(year)) / (7 * DAY));
}

export function formatWeek(year: number, week: number): string {
  return `${String(year).padStart(4, '0')}-W${String(week).padStart(2, '0')}`;
}

function make(year: number, week: number): IsoWeek {
  const start = week1Monday(year) + (week - 1) * 7 * DAY;
  return { year, week, label: formatWeek(year, week), start: new Date(start), end: new Date(start + 7 * DAY) };
}

/** Parse `YYYY-Www` (also `YYYYWww`, lower-case w); throws InvalidWeekError. */
export function parseIsoWeek(input: string): IsoWeek {
  const s = String(input ?? '').trim();
  const m = /^(\d{4})-?[Ww](\d{1,2})$/.exec(s);
  if (!m) throw new InvalidWeekError(s, 'not of the form YYYY-Www');
  const year = Number(m[1]);
  const week = Number(m[2]);
  if (year < 1970 || year > 9998) throw new InvalidWeekError(s, 'year out of range');
  const max = weeksInYear(year);
  if (week < 1 || week > max) throw new InvalidWeekError(s, `${year} has weeks 01 to ${max}`);
  return make(year, week);
}

/** true when `input` names a valid ISO week. */
export function isIsoWeek(input: string): boolean {
  try {
    parseIsoWeek(input);
    return true;
  } catch {
    return false;
  }
}

/** The ISO week a moment falls in (UTC). */
export function weekOf(date: Date | string | number): IsoWeek {
  const t = new Date(date).getTime();
  if (Number.isNaN(t)) throw new Error(`weekOf: not a date: ${String(date)}`);
  const day = Math.floor(t / DAY) * DAY;
  const dow = (new Date(day).getUTCDay() + 6) % 7;
  const thursday = new Date(day + (3 - dow) * DAY);
  const year = thursday.getUTCFullYear();
  const week = 1 + Math.floor((day - dow * DAY - week1Monday(year)) / (7 * DAY));
  return make(year, week);
}

/** The last week that has fully ended at `now` (the week before the one `now` is in). */
export function lastCompleteWeek(now: Date = new Date()): IsoWeek {
  const current = weekOf(now);
  return weekOf(current.start.getTime() - 1);
}

export function nextWeek(w: IsoWeek): IsoWeek {
  return weekOf(w.end);
}

export function previousWeek(w: IsoWeek): IsoWeek {
  return weekOf(w.start.getTime() - 1);
}

/** Whether an ISO date string (or Date) lies in [start, end). Null / unparseable dates never do. */
export function inWeek(w: IsoWeek, date: string | Date | null | undefined): boolean {
  if (date == null) return false;
  const t = new Date(date).getTime();
  return !Number.isNaN(t) && t >= w.start.getTime() && t < w.end.getTime();
}
