/** Proleptic Gregorian calendar arithmetic, as CPython's datetime module does it. */

export const MINYEAR = 1;
export const MAXYEAR = 9999;

const DAYS_IN_MONTH = [-1, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const DAYS_BEFORE_MONTH = [-1, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];

export const DAY_NAMES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
export const MONTH_NAMES = ['', 'January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** Python's a // b for ints. */
export function floorDiv(a: number, b: number): number {
  return Math.floor(a / b);
}

/** Python's a % b for ints (the sign of b). */
export function floorMod(a: number, b: number): number {
  const r = a % b;
  return r !== 0 && r < 0 !== b < 0 ? r + b : r;
}

export function isLeap(y: number): boolean {
  return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
}

export function daysInMonth(y: number, m: number): number {
  return m === 2 && isLeap(y) ? 29 : DAYS_IN_MONTH[m]!;
}

export function daysBeforeMonth(y: number, m: number): number {
  return DAYS_BEFORE_MONTH[m]! + (m > 2 && isLeap(y) ? 1 : 0);
}

export function daysBeforeYear(y: number): number {
  const y1 = y - 1;
  return y1 * 365 + floorDiv(y1, 4) - floorDiv(y1, 100) + floorDiv(y1, 400);
}

/** 0001-01-01 is day 1. */
export function ymdToOrd(y: number, m: number, d: number): number {
  return daysBeforeYear(y) + daysBeforeMonth(y, m) + d;
}

export function ordToYmd(ord: number): [number, number, number] {
  let n = ord - 1;
  const n400 = floorDiv(n, 146097);
  n = floorMod(n, 146097);
  let year = n400 * 400 + 1;
  const n100 = floorDiv(n, 36524);
  n = floorMod(n, 36524);
  const n4 = floorDiv(n, 1461);
  n = floorMod(n, 1461);
  const n1 = floorDiv(n, 365);
  n = floorMod(n, 365);
  year += n100 * 100 + n4 * 4 + n1;
  if (n1 === 4 || n100 === 4) return [year - 1, 12, 31];
  const leap = n1 === 3 && (n4 !== 24 || n100 === 3);
  let month = (n + 50) >> 5;
  let preceding = DAYS_BEFORE_MONTH[month]! + (month > 2 && leap ? 1 : 0);
  if (preceding > n) {
    month -= 1;
    preceding -= DAYS_IN_MONTH[month]! + (month === 2 && leap ? 1 : 0);
  }
  return [year, month, n - preceding + 1];
}

/** Monday is 0. */
export function weekdayOf(y: number, m: number, d: number): number {
  return floorMod(ymdToOrd(y, m, d) + 6, 7);
}

/** The ordinal of the Monday of ISO week 1 of `year`. */
export function isoWeek1Monday(year: number): number {
  const firstDay = ymdToOrd(year, 1, 1);
  const firstWeekday = floorMod(firstDay + 6, 7);
  let week1Monday = firstDay - firstWeekday;
  if (firstWeekday > 3) week1Monday += 7;
  return week1Monday;
}

/** ISO (year, week, weekday). */
export function isoCalendar(y: number, m: number, d: number): [number, number, number] {
  let year = y;
  const today = ymdToOrd(y, m, d);
  let week1Monday = isoWeek1Monday(year);
  let week = floorDiv(today - week1Monday, 7);
  let day = floorMod(today - week1Monday, 7);
  if (week < 0) {
    year -= 1;
    week1Monday = isoWeek1Monday(year);
    week = floorDiv(today - week1Monday, 7);
    day = floorMod(today - week1Monday, 7);
  } else if (week >= 52) {
    if (today >= isoWeek1Monday(year + 1)) {
      year += 1;
      week = 0;
    }
  }
  return [year, week + 1, day + 1];
}

export function pad(n: number, width: number): string {
  const s = String(Math.abs(n)).padStart(width, '0');
  return n < 0 ? '-' + s : s;
}
