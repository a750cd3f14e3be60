/**
 * dbt's modules.pytz: pytz.timezone(name), pytz.utc, FixedOffset and the exception names, with
 * pytz's semantics (a zone object is its first, LMT, offset until localize()d; localize resolves
 * ambiguous and non-existent wall times as pytz does; normalize; astimezone through fromutc).
 * Offsets come from the platform's time zone data through Intl; abbreviations (EST, CEST, ...)
 * from Intl's English names, a table where those differ from tzdata, else tzdata's numeric form.
 */
import { Markup, PY_REPR, PY_STR, PyError } from '../jinja/values.js';
import { strRepr, typeName } from '../jinja/py.js';
import { bind, p } from './args.js';
import { PyDateTime, TZINFO, TimeDelta, type TzInfo } from './python-datetime.js';

const US = 1_000_000n;
const HOUR_US = 3_600_000_000n;
const DAY_US = 86_400_000_000n;
const EPOCH_TOTAL_US = 719163n * DAY_US; // ordinal of 1970-01-01 (719163) in µs from day 0

function reprTd(td: TimeDelta): string {
  return (td as unknown as { [PY_STR]: () => string })[PY_STR]();
}

// ---------------------------------------------------------------------------------------------
// zone data from Intl

const OFFSET_FORMATS = new Map<string, Intl.DateTimeFormat>();

/** UTC offset in seconds of `zone` at an epoch instant (ms). */
function offsetSecondsAt(zone: string, epochMs: number): number {
  let f = OFFSET_FORMATS.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' });
    OFFSET_FORMATS.set(zone, f);
  }
  const clampedMs = Math.max(Math.min(epochMs, 8.64e15), -8.64e15);
  const name = f.formatToParts(new Date(clampedMs)).find((x) => x.type === 'timeZoneName')?.value ?? 'GMT';
  const m = /^GMT(?:([+-])(\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(name);
  if (!m || m[1] === undefined) return 0;
  const secs = Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4] ?? 0);
  return m[1] === '-' ? -secs : secs;
}

const ABBREVIATIONS: Record<string, [string, string]> = {
  'Asia/Shanghai': ['CST', 'CDT'],
  'Asia/Chongqing': ['CST', 'CDT'],
  'Asia/Harbin': ['CST', 'CDT'],
  'Asia/Taipei': ['CST', 'CDT'],
  PRC: ['CST', 'CDT'],
  ROC: ['CST', 'CDT'],
  'Asia/Hong_Kong': ['HKT', 'HKST'],
  Hongkong: ['HKT', 'HKST'],
  'Asia/Macau': ['CST', 'CDT'],
  'Asia/Seoul': ['KST', 'KDT'],
  ROK: ['KST', 'KDT'],
  'Asia/Pyongyang': ['KST', 'KDT'],
  'Asia/Tokyo': ['JST', 'JDT'],
  Japan: ['JST', 'JDT'],
  'Asia/Kolkata': ['IST', '+0630'],
  'Asia/Calcutta': ['IST', '+0630'],
  'Asia/Jerusalem': ['IST', 'IDT'],
  'Asia/Tel_Aviv': ['IST', 'IDT'],
  Israel: ['IST', 'IDT'],
  'Asia/Manila': ['PST', 'PDT'],
  'Asia/Jakarta': ['WIB', 'WIB'],
  'Asia/Pontianak': ['WIB', 'WIB'],
  'Asia/Makassar': ['WITA', 'WITA'],
  'Asia/Jayapura': ['WIT', 'WIT'],
  'Asia/Karachi': ['PKT', 'PKST'],
  'Europe/Moscow': ['MSK', 'MSD'],
  'Europe/Simferopol': ['MSK', 'MSD'],
  'Europe/Dublin': ['GMT', 'IST'],
  Eire: ['GMT', 'IST'],
  'Europe/London': ['GMT', 'BST'],
  GB: ['GMT', 'BST'],
  'Africa/Johannesburg': ['SAST', 'SAST'],
  'Africa/Lagos': ['WAT', 'WAT'],
  'Africa/Nairobi': ['EAT', 'EAT'],
  'Africa/Maputo': ['CAT', 'CAT'],
  'Pacific/Auckland': ['NZST', 'NZDT'],
  NZ: ['NZST', 'NZDT'],
  'Pacific/Honolulu': ['HST', 'HDT'],
};

/** Zones tzdata names with numbers although Intl knows an English abbreviation. */
const NUMERIC = new Set(['Asia/Dubai', 'Asia/Muscat', 'Asia/Singapore', 'Singapore', 'Asia/Kuala_Lumpur', 'Asia/Kuching', 'Asia/Brunei']);

const NEGATIVE_DST = new Set(['Europe/Dublin', 'Eire']);

const NAME_LOCALES = ['en-US', 'en-GB', 'en-AU', 'en-NZ', 'en-ZA', 'en-IE', 'en-CA'];
const NAME_FORMATS = new Map<string, Intl.DateTimeFormat>();

function numericAbbr(offsetSecs: number): string {
  const sign = offsetSecs < 0 ? '-' : '+';
  const a = Math.abs(offsetSecs);
  const h = Math.floor(a / 3600);
  const m = Math.floor((a % 3600) / 60);
  return `${sign}${String(h).padStart(2, '0')}${m ? String(m).padStart(2, '0') : ''}`;
}

/** Intl only names zones' abbreviations from about 1970 on; these instants stand in for earlier ones. */
const REFERENCE_MS = [2024, 2010, 1995, 1980].flatMap((y) => [Date.UTC(y, 0, 15), Date.UTC(y, 6, 15)]);

function abbreviationAt(zone: string, epochMs: number, offsetSecs: number, isDst: boolean): string {
  const table = ABBREVIATIONS[zone];
  if (table) return table[isDst ? 1 : 0];
  const name = intlAbbreviation(zone, epochMs, offsetSecs);
  if (name !== null) return name;
  if (epochMs < 0) {
    for (const ref of REFERENCE_MS) {
      if (offsetSecondsAt(zone, ref) !== offsetSecs) continue;
      const refName = intlAbbreviation(zone, ref, offsetSecs);
      if (refName !== null) return refName;
    }
  }
  return numericAbbr(offsetSecs);
}

function intlAbbreviation(zone: string, epochMs: number, offsetSecs: number): string | null {
  if (!NUMERIC.has(zone)) {
    for (const loc of NAME_LOCALES) {
      const key = `${loc}|${zone}`;
      let f = NAME_FORMATS.get(key);
      if (!f) {
        f = new Intl.DateTimeFormat(loc, { timeZone: zone, timeZoneName: 'short' });
        NAME_FORMATS.set(key, f);
      }
      const name = f.formatToParts(new Date(epochMs)).find((x) => x.type === 'timeZoneName')?.value ?? '';
      if (/^[A-Z]{2,5}$/.test(name) && (name !== 'GMT' || offsetSecs === 0) && name !== 'UTC') return name;
    }
  }
  return null;
}

/** pytz rounds offsets to whole minutes (only LMT has seconds in tzdata). */
function roundToMinute(secs: number): number {
  return Math.floor((secs + 30) / 60) * 60;
}

interface Local {
  offset: number; // seconds (rounded)
  dst: number; // seconds
  name: string;
}

/** Milliseconds since the epoch of a UTC calendar instant (any year, unlike Date.UTC's 0-99). */
function utcMs(year: number, month0: number, day: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month0, day);
  return d.getTime();
}

interface YearInfo {
  /** Offsets in force from each instant on (first entry: from the year's start). */
  starts: number[];
  offsets: number[];
  jan: number;
  jul: number;
}

/** Offsets are probed month by month and transitions located by bisection, once per zone-year. */
class ZoneData {
  readonly lmtRaw: number;
  readonly tzinfos = new Map<string, PytzDst>();
  private readonly years = new Map<number, YearInfo>();
  private readonly locals = new Map<string, Local>();
  constructor(readonly zone: string) {
    this.lmtRaw = offsetSecondsAt(zone, utcMs(1800, 0, 1));
  }

  private year(y: number): YearInfo {
    let info = this.years.get(y);
    if (info) return info;
    const probes: number[] = [];
    for (let m = 0; m <= 12; m++) probes.push(utcMs(y, m, 1));
    const offs = probes.map((ms) => offsetSecondsAt(this.zone, ms));
    const starts = [probes[0]!];
    const offsets = [offs[0]!];
    for (let i = 0; i < 12; i++) {
      if (offs[i] === offs[i + 1]) continue;
      // bisect to the second where the offset changes (at most one change a month)
      let lo = probes[i]!;
      let hi = probes[i + 1]!;
      while (hi - lo > 1000) {
        const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
        if (offsetSecondsAt(this.zone, mid) === offs[i]) lo = mid;
        else hi = mid;
      }
      starts.push(hi);
      offsets.push(offs[i + 1]!);
    }
    info = { starts, offsets, jan: offs[0]!, jul: offs[6]! };
    if (this.years.size > 400) this.years.clear();
    this.years.set(y, info);
    return info;
  }

  /** The (offset, dst, abbreviation) in force at a UTC instant (µs since the epoch). */
  localAt(epochUs: bigint): Local {
    const ms = Number(epochUs / 1000n);
    const year = new Date(ms).getUTCFullYear();
    const info = this.year(year);
    let raw = info.offsets[0]!;
    for (let i = 1; i < info.starts.length; i++) if (ms >= info.starts[i]!) raw = info.offsets[i]!;
    if (raw === this.lmtRaw && (raw % 60 !== 0 || year < 1850)) return { offset: roundToMinute(raw), dst: 0, name: 'LMT' };
    // Ireland's tzdata has negative DST: Irish Standard Time in summer, GMT as "DST" in winter
    const negative = NEGATIVE_DST.has(this.zone) && year >= 1971;
    const std = negative ? Math.max(info.jan, info.jul) : Math.min(info.jan, info.jul);
    const dst = raw - std;
    const isDst = negative ? dst === 0 : dst > 0;
    const key = `${year}|${raw}|${dst}`;
    let local = this.locals.get(key);
    if (!local) {
      local = { offset: roundToMinute(raw), dst, name: abbreviationAt(this.zone, ms, raw, isDst) };
      if (this.locals.size > 2000) this.locals.clear();
      this.locals.set(key, local);
    }
    return local;
  }

  tzinfo(l: Local): PytzDst {
    const key = `${l.offset}|${l.dst}|${l.name}`;
    let t = this.tzinfos.get(key);
    if (!t) {
      t = new PytzDst(this, l);
      this.tzinfos.set(key, t);
    }
    return t;
  }
}

// ---------------------------------------------------------------------------------------------
// tzinfo classes

function naiveTotalUs(dt: PyDateTime): bigint {
  return dt.totalUs;
}

/** pytz reads dt.tzinfo first: anything else fails with AttributeError (a date: fails later). */
function requireDt(dt: unknown, fn: string): PyDateTime {
  if (dt instanceof PyDateTime) return dt;
  if (dt !== null && typeof dt === 'object' && 'tzinfo' in dt) throw new PyError('TypeError', `${fn}() argument must be a datetime.datetime`);
  throw new PyError('AttributeError', `'${typeName(dt)}' object has no attribute 'tzinfo'`);
}

/** pytz's DstTzInfo: one instance per (zone, offset, dst, abbreviation); timezone() gives LMT's. */
export class PytzDst implements TzInfo {
  static {
    Object.defineProperty(this, 'name', { value: 'DstTzInfo' });
  }
  readonly [TZINFO] = true as const;
  readonly _utcoffset: TimeDelta;
  readonly _dst: TimeDelta;
  readonly _tzname: string;
  constructor(
    private readonly data: ZoneData,
    l: Local,
  ) {
    this._utcoffset = TimeDelta.of(0, l.offset);
    this._dst = TimeDelta.of(0, l.dst);
    this._tzname = l.name;
  }
  get zone(): string {
    return this.data.zone;
  }

  fromutc(dtArg: unknown): PyDateTime {
    const dt = requireDt(dtArg, 'fromutc');
    if (dt.tzinfo !== null && !(dt.tzinfo instanceof PytzDst && dt.tzinfo.data === this.data))
      throw new PyError('ValueError', 'fromutc: dt.tzinfo is not self');
    const utcTotal = naiveTotalUs(dt);
    const l = this.data.localAt(utcTotal - EPOCH_TOTAL_US);
    const tz = this.data.tzinfo(l);
    return PyDateTime.fromTotalUs(utcTotal + BigInt(l.offset) * US, tz, 0);
  }

  normalize(...args: unknown[]): PyDateTime {
    const [dtArg] = bind('normalize', [p('dt'), p('is_dst', false)], args);
    const dt = requireDt(dtArg, 'normalize');
    if (dt.tzinfo === null) throw new PyError('ValueError', 'Naive time - no tzinfo set');
    const off = dt.utcoffset()!;
    return this.fromutc(PyDateTime.fromTotalUs(dt.totalUs - off.totalUs, null, 0));
  }

  localize(...args: unknown[]): PyDateTime {
    const [dtArg, isDst] = bind('localize', [p('dt'), p('is_dst', false)], args);
    const dt = requireDt(dtArg, 'localize');
    if (dt.tzinfo !== null) throw new PyError('ValueError', 'Not naive datetime (tzinfo is already set)');
    const naive = naiveTotalUs(dt);
    // candidates: the zone's state a day before and a day after, kept when they map back
    const possible = new Map<bigint, PyDateTime>();
    for (const delta of [-DAY_US, DAY_US]) {
      const l = this.data.localAt(naive + delta - EPOCH_TOTAL_US);
      const tz = this.data.tzinfo(l);
      const loc = this.normalize(dt.withTz(tz));
      const utc = loc.totalUs - (loc.tzinfo as PytzDst)._utcoffset.totalUs;
      if (loc.totalUs === naive && !possible.has(utc)) possible.set(utc, loc);
    }
    const found = [...possible.values()];
    if (found.length === 1) return found[0]!;
    if (found.length === 0) {
      if (isDst === null) throw new PyError('NonExistentTimeError', dt[PY_STR]());
      const six = 6n * HOUR_US;
      if (isDst) {
        const shifted = this.localize(PyDateTime.fromTotalUs(naive + six, null, 0), true);
        return shifted.plusUs(-six);
      }
      const shifted = this.localize(PyDateTime.fromTotalUs(naive - six, null, 0), false);
      return shifted.plusUs(six);
    }
    if (isDst === null) throw new PyError('AmbiguousTimeError', dt[PY_STR]());
    let filtered = found.filter((x) => ((x.tzinfo as PytzDst)._dst.totalUs !== 0n) === !!isDst);
    if (filtered.length === 1) return filtered[0]!;
    if (filtered.length === 0) filtered = found;
    const byUtc = filtered.map((x) => ({ utc: x.totalUs - (x.tzinfo as PytzDst)._utcoffset.totalUs, x }));
    byUtc.sort((a, b) => (a.utc < b.utc ? -1 : a.utc > b.utc ? 1 : 0));
    return (isDst ? byUtc[0]! : byUtc[byUtc.length - 1]!).x;
  }

  private localized(dt: unknown, isDst: unknown): PytzDst | null {
    if (dt === null || dt === undefined) return null;
    const d = requireDt(dt, 'utcoffset');
    if (d.tzinfo === this) return this;
    return this.localize(d, isDst).tzinfo as PytzDst;
  }
  utcoffset(...args: unknown[]): TimeDelta | null {
    const [dt, isDst] = bind('utcoffset', [p('dt'), p('is_dst', null)], args);
    return this.localized(dt, isDst)?._utcoffset ?? null;
  }
  dst(...args: unknown[]): TimeDelta | null {
    const [dt, isDst] = bind('dst', [p('dt'), p('is_dst', null)], args);
    return this.localized(dt, isDst)?._dst ?? null;
  }
  tzname(...args: unknown[]): string | null {
    const [dt, isDst] = bind('tzname', [p('dt'), p('is_dst', null)], args);
    if (dt === null || dt === undefined) return this.data.zone;
    return this.localized(dt, isDst)!._tzname;
  }
  [PY_STR](): string {
    return this.data.zone;
  }
  [PY_REPR](): string {
    const kind = this._dst.totalUs !== 0n ? 'DST' : 'STD';
    const sign = this._utcoffset.totalUs > 0n ? '+' : '';
    return `<DstTzInfo '${this.data.zone}' ${this._tzname}${sign}${reprTd(this._utcoffset)} ${kind}>`;
  }
}

/** pytz's StaticTzInfo: a zone with one offset (EST, Etc/GMT+5, GMT, ...). */
export class PytzStatic implements TzInfo {
  static {
    Object.defineProperty(this, 'name', { value: 'StaticTzInfo' });
  }
  readonly [TZINFO] = true as const;
  readonly _utcoffset: TimeDelta;
  constructor(
    readonly zone: string,
    offsetSecs: number,
    readonly _tzname: string,
  ) {
    this._utcoffset = TimeDelta.of(0, offsetSecs);
  }
  fromutc(dtArg: unknown): PyDateTime {
    const dt = requireDt(dtArg, 'fromutc');
    if (dt.tzinfo !== null && dt.tzinfo !== this) throw new PyError('ValueError', 'fromutc: dt.tzinfo is not self');
    return dt.withTz(this).plusUs(this._utcoffset.totalUs);
  }
  utcoffset(..._args: unknown[]): TimeDelta {
    return this._utcoffset;
  }
  dst(..._args: unknown[]): TimeDelta {
    return TimeDelta.of(0);
  }
  tzname(..._args: unknown[]): string {
    return this._tzname;
  }
  localize(...args: unknown[]): PyDateTime {
    const [dtArg] = bind('localize', [p('dt'), p('is_dst', false)], args);
    const dt = requireDt(dtArg, 'localize');
    if (dt.tzinfo !== null) throw new PyError('ValueError', 'Not naive datetime (tzinfo is already set)');
    return dt.withTz(this);
  }
  normalize(...args: unknown[]): PyDateTime {
    const [dtArg] = bind('normalize', [p('dt'), p('is_dst', false)], args);
    const dt = requireDt(dtArg, 'normalize');
    if (dt.tzinfo === this) return dt;
    if (dt.tzinfo === null) throw new PyError('ValueError', 'Naive time - no tzinfo set');
    return dt.astimezone(this);
  }
  [PY_STR](): string {
    return this.zone;
  }
  [PY_REPR](): string {
    return `<StaticTzInfo '${this.zone}'>`;
  }
}

/** pytz.utc. */
export class PytzUtc implements TzInfo {
  static {
    Object.defineProperty(this, 'name', { value: 'UTC' });
  }
  readonly [TZINFO] = true as const;
  readonly zone = 'UTC';
  fromutc(dtArg: unknown): PyDateTime {
    const dt = requireDt(dtArg, 'fromutc');
    if (dt.tzinfo === null) return dt.withTz(this);
    if (dt.tzinfo !== this) throw new PyError('ValueError', 'fromutc: dt.tzinfo is not self');
    return dt;
  }
  utcoffset(..._args: unknown[]): TimeDelta {
    return TimeDelta.of(0);
  }
  dst(..._args: unknown[]): TimeDelta {
    return TimeDelta.of(0);
  }
  tzname(..._args: unknown[]): string {
    return 'UTC';
  }
  localize(...args: unknown[]): PyDateTime {
    const [dtArg] = bind('localize', [p('dt'), p('is_dst', false)], args);
    const dt = requireDt(dtArg, 'localize');
    if (dt.tzinfo !== null) throw new PyError('ValueError', 'Not naive datetime (tzinfo is already set)');
    return dt.withTz(this);
  }
  normalize(...args: unknown[]): PyDateTime {
    const [dtArg] = bind('normalize', [p('dt'), p('is_dst', false)], args);
    const dt = requireDt(dtArg, 'normalize');
    if (dt.tzinfo === this) return dt;
    if (dt.tzinfo === null) throw new PyError('ValueError', 'Naive time - no tzinfo set');
    return dt.astimezone(this);
  }
  [PY_STR](): string {
    return 'UTC';
  }
  [PY_REPR](): string {
    return '<UTC>';
  }
}

export const PYTZ_UTC = new PytzUtc();

/** pytz's _FixedOffset (pytz.FixedOffset(minutes)). */
export class PytzFixed implements TzInfo {
  static {
    Object.defineProperty(this, 'name', { value: '_FixedOffset' });
  }
  readonly [TZINFO] = true as const;
  readonly zone = null;
  private readonly offset: TimeDelta;
  constructor(readonly minutes: number) {
    this.offset = TimeDelta.of(0, minutes * 60);
  }
  fromutc(dtArg: unknown): PyDateTime {
    const dt = requireDt(dtArg, 'fromutc');
    return dt.withTz(this).plusUs(this.offset.totalUs);
  }
  utcoffset(..._args: unknown[]): TimeDelta {
    return this.offset;
  }
  dst(..._args: unknown[]): TimeDelta {
    return TimeDelta.of(0);
  }
  tzname(..._args: unknown[]): null {
    return null;
  }
  localize(...args: unknown[]): PyDateTime {
    const [dtArg] = bind('localize', [p('dt'), p('is_dst', false)], args);
    const dt = requireDt(dtArg, 'localize');
    if (dt.tzinfo !== null) throw new PyError('ValueError', 'Not naive datetime (tzinfo is already set)');
    return dt.withTz(this);
  }
  normalize(...args: unknown[]): PyDateTime {
    const [dtArg] = bind('normalize', [p('dt'), p('is_dst', false)], args);
    const dt = requireDt(dtArg, 'normalize');
    if (dt.tzinfo === null) throw new PyError('ValueError', 'Naive time - no tzinfo set');
    return dt.astimezone(this);
  }
  [PY_REPR](): string {
    return `pytz.FixedOffset(${this.minutes})`;
  }
}

// ---------------------------------------------------------------------------------------------
// module

const STATIC_UTC_NAMES = new Set(['Etc/UTC', 'Etc/UCT', 'Etc/Universal', 'Etc/Zulu', 'UCT', 'Universal', 'Zulu']);
const STATIC_GMT_NAMES = new Set(['GMT', 'Etc/GMT', 'Etc/GMT+0', 'Etc/GMT-0', 'Etc/GMT0', 'Etc/Greenwich', 'GMT+0', 'GMT-0', 'GMT0', 'Greenwich']);

/** tzdata's backward links that Intl accepts but does not list (for pytz's case-insensitive lookup). */
const LINK_NAMES = [
  'US/Eastern', 'US/Central', 'US/Mountain', 'US/Pacific', 'US/Alaska', 'US/Hawaii', 'US/Arizona', 'US/East-Indiana',
  'US/Michigan', 'US/Aleutian', 'US/Samoa', 'Canada/Eastern', 'Canada/Central', 'Canada/Mountain', 'Canada/Pacific',
  'Canada/Atlantic', 'Canada/Newfoundland', 'Australia/ACT', 'Australia/NSW', 'Australia/Victoria', 'Australia/Queensland',
  'Australia/West', 'Australia/South', 'Brazil/East', 'Mexico/General', 'Asia/Calcutta', 'Asia/Saigon', 'Asia/Katmandu',
  'Asia/Rangoon', 'Europe/Kiev', 'America/Buenos_Aires', 'America/Indianapolis', 'Etc/GMT', 'CET', 'EET', 'MET', 'WET',
  'CST6CDT', 'EST5EDT', 'MST7MDT', 'PST8PDT', 'EST', 'MST', 'HST', 'Cuba', 'Egypt', 'Iceland', 'Iran', 'Jamaica',
  'Libya', 'Navajo', 'Poland', 'Portugal', 'Singapore', 'Turkey', 'W-SU',
];

let canonicalNames: Map<string, string> | null = null;

function allZones(): string[] {
  return (Intl as unknown as { supportedValuesOf(k: string): string[] }).supportedValuesOf('timeZone');
}

function canonicalCase(name: string): string | null {
  if (!canonicalNames) {
    canonicalNames = new Map();
    for (const z of allZones()) canonicalNames.set(z.toLowerCase(), z);
    for (const z of [...STATIC_UTC_NAMES, ...STATIC_GMT_NAMES, ...Object.keys(ABBREVIATIONS), ...LINK_NAMES]) canonicalNames.set(z.toLowerCase(), z);
  }
  const known = canonicalNames.get(name.toLowerCase());
  if (known) return known;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return name;
  } catch {
    return null;
  }
}

const ZONES = new Map<string, TzInfo>();


/** pytz.timezone(zone). */
export function timezone(...args: unknown[]): TzInfo {
  const [zoneIn] = bind('timezone', [p('zone')], args);
  const zoneArg = zoneIn instanceof Markup ? zoneIn.value : zoneIn;
  if (typeof zoneArg !== 'string') throw new PyError('UnknownTimeZoneError', String(zoneArg));
  if (zoneArg.toUpperCase() === 'UTC') return PYTZ_UTC;
  const name = zoneArg.includes('..') || zoneArg.startsWith('/') ? null : canonicalCase(zoneArg.replace(/ /g, '_'));
  if (name === null) throw new PyError('UnknownTimeZoneError', strRepr(zoneArg));
  let tz = ZONES.get(name);
  if (tz) return tz;
  if (STATIC_UTC_NAMES.has(name)) tz = new PytzStatic(name, 0, 'UTC');
  else if (STATIC_GMT_NAMES.has(name)) tz = new PytzStatic(name, 0, 'GMT');
  else {
    const etc = /^Etc\/GMT([+-])(\d{1,2})$/.exec(name);
    if (etc) {
      const hours = Number(etc[2]) * (etc[1] === '+' ? -1 : 1);
      tz = new PytzStatic(name, hours * 3600, numericAbbr(hours * 3600));
    } else {
      const data = new ZoneData(name);
      tz = data.tzinfo({ offset: roundToMinute(data.lmtRaw), dst: 0, name: 'LMT' });
    }
  }
  ZONES.set(name, tz);
  return tz;
}

function fixedOffset(...args: unknown[]): TzInfo {
  const [minutes] = bind('FixedOffset', [p('offset')], args);
  if (typeof minutes !== 'number' || !Number.isInteger(minutes)) throw new PyError('TypeError', 'FixedOffset needs an int');
  if (minutes === 0) return PYTZ_UTC;
  if (Math.abs(minutes) >= 1440) throw new PyError('ValueError', 'absolute offset is too large');
  return new PytzFixed(minutes);
}

function errorClass(type: string) {
  return (...args: unknown[]): PyError => new PyError(type, args.map(String).join(', '));
}

export function pytzModule(): Record<string, unknown> {
  const zones = allZones();
  return {
    timezone,
    utc: PYTZ_UTC,
    FixedOffset: fixedOffset,
    AmbiguousTimeError: errorClass('AmbiguousTimeError'),
    InvalidTimeError: errorClass('InvalidTimeError'),
    NonExistentTimeError: errorClass('NonExistentTimeError'),
    UnknownTimeZoneError: errorClass('UnknownTimeZoneError'),
    all_timezones: [...zones],
    all_timezones_set: new Set(zones),
    common_timezones: [...zones],
    common_timezones_set: new Set(zones),
  };
}
