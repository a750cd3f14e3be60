/**
 * strftime and strptime as CPython 3.11 on glibc does them in the C locale: Python handles %f,
 * %z and %Z itself, glibc the rest (with its - _ 0 ^ # flags); strptime is _strptime's regex.
 */
import { PyError } from '../jinja/values.js';
import { strRepr } from '../jinja/py.js';
import { DAY_NAMES, MONTH_NAMES, daysInMonth, floorMod, isLeap, isoCalendar, ordToYmd, weekdayOf, ymdToOrd } from './calendar.js';

export interface StrftimeFields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  microsecond: number;
  /** UTC offset in microseconds, or null when naive. */
  utcoffset: bigint | null;
  tzname: string | null;
}

function num(n: number, width: number, flag: string, defaultPad: '0' | ' '): string {
  const s = String(Math.abs(n));
  const sign = n < 0 ? '-' : '';
  if (flag === '-') return sign + s;
  const padc = flag === '_' ? ' ' : flag === '0' ? '0' : defaultPad;
  return sign + s.padStart(width, padc);
}

function offsetZ(us: bigint): string {
  let v = us;
  const sign = v < 0n ? '-' : '+';
  if (v < 0n) v = -v;
  const total = Number(v);
  const h = Math.floor(total / 3_600_000_000);
  const m = Math.floor((total % 3_600_000_000) / 60_000_000);
  const s = Math.floor((total % 60_000_000) / 1_000_000);
  const micro = total % 1_000_000;
  let out = `${sign}${String(h).padStart(2, '0')}${String(m).padStart(2, '0')}`;
  if (s || micro) out += String(s).padStart(2, '0');
  if (micro) out += '.' + String(micro).padStart(6, '0');
  return out;
}

/** Python's date/datetime/time .strftime(format). */
export function strftime(fmt: string, f: StrftimeFields): string {
  const yday = ymdToOrd(f.year, f.month, f.day) - ymdToOrd(f.year, 1, 1); // 0-based
  const wdayMon = weekdayOf(f.year, f.month, f.day); // Monday 0
  const wdaySun = (wdayMon + 1) % 7; // Sunday 0
  let out = '';
  let i = 0;
  while (i < fmt.length) {
    const c = fmt[i]!;
    if (c !== '%') {
      out += c;
      i++;
      continue;
    }
    // Python's own directives first (only when directly after %)
    const next = fmt[i + 1];
    if (next === undefined) {
      out += '%';
      i++;
      continue;
    }
    if (next === 'f') {
      out += String(f.microsecond).padStart(6, '0');
      i += 2;
      continue;
    }
    if (next === 'z') {
      out += f.utcoffset !== null ? offsetZ(f.utcoffset) : '';
      i += 2;
      continue;
    }
    if (next === 'Z') {
      out += f.tzname ?? '';
      i += 2;
      continue;
    }
    // glibc: flags, width, E/O modifiers, conversion
    let j = i + 1;
    let flag = '';
    while (j < fmt.length && '-_0^#'.includes(fmt[j]!)) flag = fmt[j++]!;
    let widthText = '';
    while (j < fmt.length && /[0-9]/.test(fmt[j]!)) widthText += fmt[j++];
    while (j < fmt.length && (fmt[j] === 'E' || fmt[j] === 'O')) j++;
    const conv = fmt[j];
    if (conv === undefined) {
      out += fmt.slice(i);
      break;
    }
    const upper = flag === '^';
    const w = (d: number): number => (widthText ? Number(widthText) : d);
    let piece: string | undefined;
    switch (conv) {
      case 'a':
        piece = DAY_NAMES[wdayMon]!.slice(0, 3);
        break;
      case 'A':
        piece = DAY_NAMES[wdayMon]!;
        break;
      case 'b':
      case 'h':
        piece = MONTH_NAMES[f.month]!.slice(0, 3);
        break;
      case 'B':
        piece = MONTH_NAMES[f.month]!;
        break;
      case 'c':
        piece = strftime('%a %b %e %H:%M:%S %Y', { ...f, utcoffset: null, tzname: null });
        break;
      case 'C':
        piece = num(Math.floor(f.year / 100), w(1), flag, '0');
        break;
      case 'd':
        piece = num(f.day, w(2), flag, '0');
        break;
      case 'D':
        piece = strftime('%m/%d/%y', f);
        break;
      case 'e':
        piece = num(f.day, w(2), flag, ' ');
        break;
      case 'F':
        piece = `${num(f.year, widthText ? Math.max(Number(widthText) - 6, 1) : 1, flag === '' ? '0' : flag, '0')}-${num(f.month, 2, '', '0')}-${num(f.day, 2, '', '0')}`;
        break;
      case 'g':
        piece = num(floorMod(isoCalendar(f.year, f.month, f.day)[0], 100), w(2), flag, '0');
        break;
      case 'G':
        piece = num(isoCalendar(f.year, f.month, f.day)[0], w(1), flag, '0');
        break;
      case 'H':
        piece = num(f.hour, w(2), flag, '0');
        break;
      case 'I':
        piece = num(f.hour % 12 === 0 ? 12 : f.hour % 12, w(2), flag, '0');
        break;
      case 'j':
        piece = num(yday + 1, w(3), flag, '0');
        break;
      case 'k':
        piece = num(f.hour, w(2), flag, ' ');
        break;
      case 'l':
        piece = num(f.hour % 12 === 0 ? 12 : f.hour % 12, w(2), flag, ' ');
        break;
      case 'm':
        piece = num(f.month, w(2), flag, '0');
        break;
      case 'M':
        piece = num(f.minute, w(2), flag, '0');
        break;
      case 'n':
        piece = '\n';
        break;
      case 'p':
        piece = f.hour < 12 ? 'AM' : 'PM';
        if (flag === '#') piece = piece.toLowerCase();
        break;
      case 'P':
        piece = f.hour < 12 ? 'am' : 'pm';
        break;
      case 'r':
        piece = strftime('%I:%M:%S %p', f);
        break;
      case 'R':
        piece = strftime('%H:%M', f);
        break;
      case 'S':
        piece = num(f.second, w(2), flag, '0');
        break;
      case 't':
        piece = '\t';
        break;
      case 'T':
        piece = strftime('%H:%M:%S', f);
        break;
      case 'u':
        piece = num(wdayMon + 1, w(1), flag, '0');
        break;
      case 'U':
        piece = num(Math.floor((yday + 7 - wdaySun) / 7), w(2), flag, '0');
        break;
      case 'V':
        piece = num(isoCalendar(f.year, f.month, f.day)[1], w(2), flag, '0');
        break;
      case 'w':
        piece = num(wdaySun, w(1), flag, '0');
        break;
      case 'W':
        piece = num(Math.floor((yday + 7 - wdayMon) / 7), w(2), flag, '0');
        break;
      case 'x':
        piece = strftime('%m/%d/%y', f);
        break;
      case 'X':
        piece = strftime('%H:%M:%S', f);
        break;
      case 'y':
        piece = num(floorMod(f.year, 100), w(2), flag, '0');
        break;
      case 'Y':
        piece = num(f.year, w(1), flag, '0');
        break;
      case '%':
        piece = '%';
        break;
      default:
        piece = undefined;
    }
    if (piece === undefined) {
      // glibc copies an unknown conversion through as written
      out += fmt.slice(i, j + 1);
    } else {
      if (upper || (flag === '#' && /[aAbBhZ]/.test(conv))) piece = piece.toUpperCase();
      out += piece;
    }
    i = j + 1;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// strptime

const TIME_RE: Record<string, string> = {
  d: '(?<d>3[01]|[12]\\d|0[1-9]|[1-9]| [1-9])',
  f: '(?<f>[0-9]{1,6})',
  H: '(?<H>2[0-3]|[0-1]\\d|\\d)',
  I: '(?<I>1[0-2]|0[1-9]|[1-9])',
  G: '(?<G>\\d\\d\\d\\d)',
  j: '(?<j>36[0-6]|3[0-5]\\d|[12]\\d\\d|0[1-9]\\d|00[1-9]|[1-9]\\d|0[1-9]|[1-9])',
  m: '(?<m>1[0-2]|0[1-9]|[1-9])',
  M: '(?<M>[0-5]\\d|\\d)',
  S: '(?<S>6[0-1]|[0-5]\\d|\\d)',
  U: '(?<U>5[0-3]|[0-4]\\d|\\d)',
  w: '(?<w>[0-6])',
  u: '(?<u>[1-7])',
  V: '(?<V>5[0-3]|0[1-9]|[1-4]\\d|\\d)',
  y: '(?<y>\\d\\d)',
  Y: '(?<Y>\\d\\d\\d\\d)',
  z: '(?<z>[+-]\\d\\d:?[0-5]\\d(:?[0-5]\\d(\\.\\d{1,6})?)?|Z)',
  A: '(?<A>' + sortedAlt(DAY_NAMES.map((d) => d.toLowerCase())) + ')',
  a: '(?<a>' + sortedAlt(DAY_NAMES.map((d) => d.slice(0, 3).toLowerCase())) + ')',
  B: '(?<B>' + sortedAlt(MONTH_NAMES.slice(1).map((d) => d.toLowerCase())) + ')',
  b: '(?<b>' + sortedAlt(MONTH_NAMES.slice(1).map((d) => d.slice(0, 3).toLowerCase())) + ')',
  p: '(?<p>am|pm)',
  '%': '%',
};
TIME_RE.W = TIME_RE.U!.replace('<U>', '<W>');

// %Z asks ICU for the local zone's name: built on first use (it costs ~40 ms at start-up)
let zoneRe: string | undefined;
const timeRe = (d: string): string | undefined => (d === 'Z' ? (zoneRe ??= '(?<Z>' + sortedAlt(zoneNames()) + ')') : TIME_RE[d]);

function zoneNames(): string[] {
  // _strptime's LocaleTime.timezone: utc, gmt and the local zone's names (TZ=UTC here: UTC)
  const names = new Set(['utc', 'gmt']);
  const local = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' })
    .formatToParts(new Date())
    .find((x) => x.type === 'timeZoneName')?.value;
  if (local && /^[A-Za-z]+$/.test(local)) names.add(local.toLowerCase());
  return [...names];
}

function sortedAlt(items: string[]): string {
  return [...items].sort((a, b) => b.length - a.length).map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
}

function expand(format: string, seen: Set<string>): string {
  let fmt = format.replace(/([\\.^$*+?(){}[\]|])/g, '\\$1');
  fmt = fmt.replace(/\s+/g, '\\s+');
  let out = '';
  while (fmt.includes('%')) {
    const at = fmt.indexOf('%') + 1;
    if (at >= fmt.length) throw new PyError('ValueError', 'stray % in format');
    const d = fmt[at]!;
    out += fmt.slice(0, at - 1);
    if (d === 'c') out += expand('%a %b %d %H:%M:%S %Y', seen);
    else if (d === 'x') out += expand('%m/%d/%y', seen);
    else if (d === 'X') out += expand('%H:%M:%S', seen);
    else {
      const re = timeRe(d);
      if (re === undefined) throw new PyError('ValueError', `\u0000bad:${d === '\\' ? '%' : d}`);
      if (d !== '%') {
        if (seen.has(d)) throw new PyError('error', `redefinition of group name '${d}'`);
        seen.add(d);
      }
      out += re;
    }
    fmt = fmt.slice(at + 1);
  }
  return out + fmt;
}


export interface StrptimeResult {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  microsecond: number;
  gmtoffUs: bigint | null;
  tzname: string | null;
}

const PATTERNS = new Map<string, RegExp>();

/** _strptime(data_string, format): the fields, or Python's ValueError. */
export function strptimeFields(data: string, format: string): StrptimeResult {
  let pattern: string;
  try {
    pattern = expand(format, new Set());
  } catch (e) {
    if (e instanceof PyError && e.message.startsWith('\u0000bad:'))
      throw new PyError('ValueError', `'${e.message.slice(5)}' is a bad directive in format '${format}'`);
    if (e instanceof PyError && e.message === 'stray % in format') throw new PyError('ValueError', `stray % in format '${format}'`);
    throw e;
  }
  let re = PATTERNS.get(pattern);
  if (!re) {
    re = new RegExp('^(?:' + pattern + ')', 'iu');
    if (PATTERNS.size > 200) PATTERNS.clear();
    PATTERNS.set(pattern, re);
  }
  const found = re.exec(data);
  if (!found) throw new PyError('ValueError', `time data ${strRepr(data)} does not match format ${strRepr(format)}`);
  if (found[0].length !== data.length) throw new PyError('ValueError', `unconverted data remains: ${data.slice(found[0].length)}`);
  const g = found.groups ?? {};
  let year: number | null = null;
  let month = 1;
  let day = 1;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let fraction = 0;
  let gmtoff: number | null = null;
  let gmtoffFraction = 0;
  let isoYear: number | null = null;
  let isoWeek: number | null = null;
  let weekOfYear = -1;
  let weekOfYearStart = -1;
  let weekday: number | null = null;
  let julian: number | null = null;
  for (const key of Object.keys(g)) {
    const v = g[key];
    if (v === undefined) continue;
    switch (key) {
      case 'y': {
        year = Number(v);
        year += year <= 68 ? 2000 : 1900;
        break;
      }
      case 'Y':
        year = Number(v);
        break;
      case 'G':
        isoYear = Number(v);
        break;
      case 'm':
        month = Number(v);
        break;
      case 'B':
        month = MONTH_NAMES.findIndex((x) => x.toLowerCase() === v.toLowerCase());
        break;
      case 'b':
        month = MONTH_NAMES.findIndex((x, i) => i > 0 && x.slice(0, 3).toLowerCase() === v.toLowerCase());
        break;
      case 'd':
        day = Number(v);
        break;
      case 'H':
        hour = Number(v);
        break;
      case 'I': {
        hour = Number(v);
        const ampm = (g.p ?? '').toLowerCase();
        if (ampm === '' || ampm === 'am') {
          if (hour === 12) hour = 0;
        } else if (ampm === 'pm') {
          if (hour !== 12) hour += 12;
        }
        break;
      }
      case 'M':
        minute = Number(v);
        break;
      case 'S':
        second = Number(v);
        break;
      case 'f':
        fraction = Number(v.padEnd(6, '0'));
        break;
      case 'A':
        weekday = DAY_NAMES.findIndex((x) => x.toLowerCase() === v.toLowerCase());
        break;
      case 'a':
        weekday = DAY_NAMES.findIndex((x) => x.slice(0, 3).toLowerCase() === v.toLowerCase());
        break;
      case 'w':
        weekday = Number(v);
        weekday = weekday === 0 ? 6 : weekday - 1;
        break;
      case 'u':
        weekday = Number(v) - 1;
        break;
      case 'j':
        julian = Number(v);
        break;
      case 'U':
      case 'W':
        weekOfYear = Number(v);
        weekOfYearStart = key === 'W' ? 0 : 6;
        break;
      case 'V':
        isoWeek = Number(v);
        break;
      case 'z': {
        let z = v;
        if (z === 'Z' || z === 'z') {
          gmtoff = 0;
          break;
        }
        if (z[3] === ':') {
          z = z.slice(0, 3) + z.slice(4);
          if (z.length > 5) {
            if (z[5] !== ':') throw new PyError('ValueError', `Inconsistent use of : in ${v}`);
            z = z.slice(0, 5) + z.slice(6);
          }
        }
        const hours = Number(z.slice(1, 3));
        const minutes = Number(z.slice(3, 5));
        const seconds = Number(z.slice(5, 7) || '0');
        gmtoff = hours * 3600 + minutes * 60 + seconds;
        const rem = z.slice(8);
        gmtoffFraction = Number(rem.padEnd(6, '0') || '0');
        if (z.startsWith('-')) {
          gmtoff = -gmtoff;
          gmtoffFraction = -gmtoffFraction;
        }
        break;
      }
      default:
    }
  }
  if (year === null && isoYear !== null) {
    if (isoWeek === null || weekday === null)
      throw new PyError('ValueError', "ISO year directive '%G' must be used with the ISO week directive '%V' and a weekday directive ('%A', '%a', '%w', or '%u').");
    if (julian !== null)
      throw new PyError('ValueError', "Day of the year directive '%j' is not compatible with ISO year directive '%G'. Use '%Y' instead.");
  } else if (weekOfYear === -1 && isoWeek !== null) {
    if (weekday === null)
      throw new PyError('ValueError', "ISO week directive '%V' must be used with the ISO year directive '%G' and a weekday directive ('%A', '%a', '%w', or '%u').");
    throw new PyError('ValueError', "ISO week directive '%V' is incompatible with the year directive '%Y'. Use the ISO year '%G' instead.");
  }
  let leapYearFix = false;
  if (year === null && month === 2 && day === 29) {
    year = 1904;
    leapYearFix = true;
  } else if (year === null) year = 1900;
  if (julian === null && weekday !== null) {
    if (weekOfYear !== -1) {
      julian = julianFromUW(year, weekOfYear, weekday, weekOfYearStart === 0);
    } else if (isoYear !== null && isoWeek !== null) {
      const first = ymdToOrd(isoYear, 1, 4);
      const mon = first - floorMod(first + 6, 7);
      const ord = mon + (isoWeek - 1) * 7 + weekday;
      const [y] = ordToYmd(ord);
      year = y;
      julian = ord - ymdToOrd(y, 1, 1) + 1;
    }
    if (julian !== null && julian <= 0) {
      year -= 1;
      julian += isLeap(year) ? 366 : 365;
    }
  }
  if (julian === null) {
    if (month < 1 || month > 12) throw new PyError('ValueError', 'month must be in 1..12');
    if (day < 1 || day > daysInMonth(year, month)) throw new PyError('ValueError', 'day is out of range for month');
  } else {
    const [y, m, d] = ordToYmd(julian - 1 + ymdToOrd(year, 1, 1));
    year = y;
    month = m;
    day = d;
  }
  const tzname = g.Z ?? null;
  if (leapYearFix) year = 1900;
  return {
    year,
    month,
    day,
    hour,
    minute,
    second,
    microsecond: fraction,
    gmtoffUs: gmtoff === null ? null : BigInt(gmtoff) * 1_000_000n + BigInt(gmtoffFraction),
    tzname: gmtoff === null ? null : tzname,
  };
}

function julianFromUW(year: number, weekOfYear: number, dayOfWeek: number, weekStartsMon: boolean): number {
  let firstWeekday = weekdayOf(year, 1, 1);
  let dow = dayOfWeek;
  if (!weekStartsMon) {
    firstWeekday = (firstWeekday + 1) % 7;
    dow = (dow + 1) % 7;
  }
  const week0Length = (7 - firstWeekday) % 7;
  if (weekOfYear === 0) return 1 + dow - firstWeekday;
  return 1 + week0Length + 7 * (weekOfYear - 1) + dow;
}
