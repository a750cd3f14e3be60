/**
 * Python's datetime module (date, time, datetime, timedelta, tzinfo, timezone) as host values for
 * the Jinja2 evaluator: attributes are properties, methods take Python arguments (a trailing
 * Kwargs for keywords), str()/repr() via PY_STR/PY_REPR, operators via __add__/__sub__/__eq__/...
 * methods that return NotImplemented for unknown operands (see dunder.ts).
 */
import { Markup, PY_REPR, PY_STR, PyError, PyFloat, isKwargs, makeTuple } from '../jinja/values.js';
import { strRepr } from '../jinja/py.js';
import { bind, p } from './args.js';
import {
  MAXYEAR,
  MINYEAR,
  daysInMonth,
  isoCalendar,
  isoWeek1Monday,
  ordToYmd,
  pad,
  weekdayOf,
  ymdToOrd,
} from './calendar.js';
import { NotImplemented } from './dunder.js';
import { strftime, strptimeFields } from './python-strftime.js';

const US_PER_DAY = 86_400_000_000n;
const KEEP = Symbol('keep');
const MAX_ORDINAL = ymdToOrd(MAXYEAR, 12, 31);

function typeNameOf(x: unknown): string {
  if (x === null || x === undefined) return 'NoneType';
  if (typeof x === 'string') return 'str';
  if (typeof x === 'boolean') return 'bool';
  if (typeof x === 'number') return Number.isInteger(x) ? 'int' : 'float';
  if (x instanceof PyFloat) return 'float';
  if (Array.isArray(x)) return 'list';
  const n = (x as { constructor?: { name?: string } }).constructor?.name;
  return n && n !== 'Object' ? n : 'dict';
}

/** An int argument (bool counts as int, as in Python). */
export function intArg(x: unknown): number {
  if (typeof x === 'boolean') return x ? 1 : 0;
  if (typeof x === 'number' && Number.isInteger(x)) return x;
  throw new PyError('TypeError', `'${typeNameOf(x)}' object cannot be interpreted as an integer`);
}

function isInt(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x);
}

function numArg(x: unknown): number | undefined {
  if (typeof x === 'number') return x;
  if (typeof x === 'boolean') return x ? 1 : 0;
  if (x instanceof PyFloat) return x.value;
  return undefined;
}

function isFloatArg(x: unknown): boolean {
  return x instanceof PyFloat || (typeof x === 'number' && !Number.isInteger(x));
}

/** Round half to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  if (Math.abs(x % 1) === 0.5 && r % 2 !== 0) return r - 1;
  return r;
}

function bigRoundDiv(a: bigint, b: bigint): bigint {
  // a / b rounded half to even (b > 0)
  let q = a / b;
  let r = a % b;
  if (r < 0n) {
    q -= 1n;
    r += b;
  }
  const twice = 2n * r;
  if (twice > b || (twice === b && q % 2n !== 0n)) q += 1n;
  return q;
}

function bigFloorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return (a % b !== 0n && a < 0n !== b < 0n) ? q - 1n : q;
}

// ---------------------------------------------------------------------------------------------
// timedelta

export class TimeDelta {
  static {
    Object.defineProperty(this, 'name', { value: 'datetime.timedelta' });
  }
  readonly days: number;
  readonly seconds: number;
  readonly microseconds: number;

  constructor(totalUs: bigint) {
    const days = bigFloorDiv(totalUs, US_PER_DAY);
    const rest = totalUs - days * US_PER_DAY;
    if (days > 999_999_999n || days < -999_999_999n)
      throw new PyError('OverflowError', `days=${days}; must have magnitude <= 999999999`);
    this.days = Number(days);
    this.seconds = Number(rest / 1_000_000n);
    this.microseconds = Number(rest % 1_000_000n);
  }

  static of(days: number, seconds = 0, microseconds = 0): TimeDelta {
    return new TimeDelta(BigInt(days) * US_PER_DAY + BigInt(seconds) * 1_000_000n + BigInt(microseconds));
  }

  get totalUs(): bigint {
    return BigInt(this.days) * US_PER_DAY + BigInt(this.seconds) * 1_000_000n + BigInt(this.microseconds);
  }

  total_seconds(...args: unknown[]): PyFloat {
    noArgs('total_seconds', args);
    return new PyFloat(Number(this.totalUs) / 1e6);
  }

  [PY_STR](): string {
    let s = '';
    if (this.days !== 0) s = `${this.days} day${Math.abs(this.days) !== 1 ? 's' : ''}, `;
    const h = Math.floor(this.seconds / 3600);
    const m = Math.floor((this.seconds % 3600) / 60);
    const sec = this.seconds % 60;
    s += `${h}:${pad(m, 2)}:${pad(sec, 2)}`;
    if (this.microseconds) s += `.${pad(this.microseconds, 6)}`;
    return s;
  }

  [PY_REPR](): string {
    const parts: string[] = [];
    if (this.days) parts.push(`days=${this.days}`);
    if (this.seconds) parts.push(`seconds=${this.seconds}`);
    if (this.microseconds) parts.push(`microseconds=${this.microseconds}`);
    return `datetime.timedelta(${parts.length ? parts.join(', ') : '0'})`;
  }

  __pykey__(): string {
    return `timedelta:${this.totalUs}`;
  }

  __add__(o: unknown): unknown {
    if (o instanceof TimeDelta) return new TimeDelta(this.totalUs + o.totalUs);
    return NotImplemented;
  }
  __radd__(o: unknown): unknown {
    return this.__add__(o);
  }
  __sub__(o: unknown): unknown {
    if (o instanceof TimeDelta) return new TimeDelta(this.totalUs - o.totalUs);
    return NotImplemented;
  }
  __rsub__(o: unknown): unknown {
    if (o instanceof TimeDelta) return new TimeDelta(o.totalUs - this.totalUs);
    return NotImplemented;
  }
  __neg__(): TimeDelta {
    return new TimeDelta(-this.totalUs);
  }
  __pos__(): TimeDelta {
    return this;
  }
  __abs__(): TimeDelta {
    return this.days < 0 ? this.__neg__() : this;
  }
  __mul__(o: unknown): unknown {
    if (typeof o === 'boolean' || isInt(o)) return new TimeDelta(this.totalUs * BigInt(intArg(o)));
    if (isFloatArg(o)) {
      const f = numArg(o)!;
      if (!Number.isFinite(f)) throw new PyError(Number.isNaN(f) ? 'ValueError' : 'OverflowError', Number.isNaN(f) ? 'cannot convert float NaN to integer' : 'cannot convert float infinity to integer');
      return new TimeDelta(BigInt(roundHalfEven(Number(this.totalUs) * f)));
    }
    return NotImplemented;
  }
  __rmul__(o: unknown): unknown {
    return this.__mul__(o);
  }
  __truediv__(o: unknown): unknown {
    if (o instanceof TimeDelta) {
      if (o.totalUs === 0n) throw new PyError('ZeroDivisionError', 'division by zero');
      return new PyFloat(Number(this.totalUs) / Number(o.totalUs));
    }
    if (isInt(o) || typeof o === 'boolean') {
      const n = BigInt(intArg(o));
      if (n === 0n) throw new PyError('ZeroDivisionError', 'division by zero');
      return new TimeDelta(n < 0n ? bigRoundDiv(-this.totalUs, -n) : bigRoundDiv(this.totalUs, n));
    }
    if (isFloatArg(o)) {
      const f = numArg(o)!;
      if (f === 0) throw new PyError('ZeroDivisionError', 'division by zero');
      return new TimeDelta(BigInt(roundHalfEven(Number(this.totalUs) / f)));
    }
    return NotImplemented;
  }
  __floordiv__(o: unknown): unknown {
    if (o instanceof TimeDelta) {
      if (o.totalUs === 0n) throw new PyError('ZeroDivisionError', 'integer division or modulo by zero');
      return Number(bigFloorDiv(this.totalUs, o.totalUs));
    }
    if (isInt(o) || typeof o === 'boolean') {
      const n = BigInt(intArg(o));
      if (n === 0n) throw new PyError('ZeroDivisionError', 'integer division or modulo by zero');
      return new TimeDelta(bigFloorDiv(this.totalUs, n));
    }
    return NotImplemented;
  }
  __mod__(o: unknown): unknown {
    if (o instanceof TimeDelta) {
      if (o.totalUs === 0n) throw new PyError('ZeroDivisionError', 'integer division or modulo by zero');
      return new TimeDelta(this.totalUs - bigFloorDiv(this.totalUs, o.totalUs) * o.totalUs);
    }
    return NotImplemented;
  }
  __eq__(o: unknown): unknown {
    return o instanceof TimeDelta ? this.totalUs === o.totalUs : NotImplemented;
  }
  __ne__(o: unknown): unknown {
    return o instanceof TimeDelta ? this.totalUs !== o.totalUs : NotImplemented;
  }
  __lt__(o: unknown): unknown {
    return o instanceof TimeDelta ? this.totalUs < o.totalUs : NotImplemented;
  }
  __le__(o: unknown): unknown {
    return o instanceof TimeDelta ? this.totalUs <= o.totalUs : NotImplemented;
  }
  __gt__(o: unknown): unknown {
    return o instanceof TimeDelta ? this.totalUs > o.totalUs : NotImplemented;
  }
  __ge__(o: unknown): unknown {
    return o instanceof TimeDelta ? this.totalUs >= o.totalUs : NotImplemented;
  }
  __bool__(): boolean {
    return this.totalUs !== 0n;
  }
}

const TD_PARAMS = [
  p('days', 0),
  p('seconds', 0),
  p('microseconds', 0),
  p('milliseconds', 0),
  p('minutes', 0),
  p('hours', 0),
  p('weeks', 0),
];
const TD_SCALE = [86_400_000_000, 1_000_000, 1, 1000, 60_000_000, 3_600_000_000, 604_800_000_000];

/** datetime.timedelta(days=0, seconds=0, microseconds=0, milliseconds=0, minutes=0, hours=0, weeks=0). */
export function timedelta(...args: unknown[]): TimeDelta {
  const vals = bind('timedelta', TD_PARAMS, args);
  let total = 0n;
  let frac = 0;
  vals.forEach((v, i) => {
    const scale = TD_SCALE[i]!;
    if (typeof v === 'boolean' || isInt(v)) {
      total += BigInt(intArg(v)) * BigInt(scale);
      return;
    }
    const f = numArg(v);
    if (f === undefined) throw new PyError('TypeError', `unsupported type for timedelta ${TD_PARAMS[i]!.name} component: ${typeNameOf(v)}`);
    if (!Number.isFinite(f)) throw new PyError(Number.isNaN(f) ? 'ValueError' : 'OverflowError', Number.isNaN(f) ? 'cannot convert float NaN to integer' : 'cannot convert float infinity to integer');
    const whole = Math.trunc(f);
    total += BigInt(whole) * BigInt(scale);
    frac += (f - whole) * scale;
  });
  const fw = Math.floor(frac);
  const rem = frac - fw;
  total += BigInt(fw);
  if (rem > 0.5 || (rem === 0.5 && total % 2n !== 0n)) total += 1n;
  return new TimeDelta(total);
}
Object.assign(timedelta, {
  min: new TimeDelta(-999_999_999n * US_PER_DAY),
  max: new TimeDelta(999_999_999n * US_PER_DAY + US_PER_DAY - 1n),
  resolution: new TimeDelta(1n),
});

// ---------------------------------------------------------------------------------------------
// tzinfo

export const TZINFO: unique symbol = Symbol('tx.py.tzinfo');

/** A tzinfo: utcoffset / dst / tzname of a datetime (or null), fromutc of a UTC datetime. */
export interface TzInfo {
  readonly [TZINFO]: true;
  utcoffset(dt: unknown): unknown;
  dst(dt: unknown): unknown;
  tzname(dt: unknown): unknown;
  fromutc(dt: unknown): unknown;
}

export function isTzInfo(x: unknown): x is TzInfo {
  return x !== null && typeof x === 'object' && (x as { [TZINFO]?: unknown })[TZINFO] === true;
}

function tdOrNone(x: unknown, what: string): TimeDelta | null {
  if (x === null || x === undefined) return null;
  if (!(x instanceof TimeDelta))
    throw new PyError('TypeError', `tzinfo.${what}() must return None or timedelta, not '${typeNameOf(x)}'`);
  if (x.totalUs <= -US_PER_DAY || x.totalUs >= US_PER_DAY)
    throw new PyError('ValueError', `offset must be a timedelta strictly between -timedelta(hours=24) and timedelta(hours=24), not ${x[PY_REPR]()}.`);
  return x;
}

/** The base class datetime.tzinfo: abstract. */
export class TzInfoBase implements TzInfo {
  static {
    Object.defineProperty(this, 'name', { value: 'datetime.tzinfo' });
  }
  readonly [TZINFO] = true as const;
  utcoffset(_dt: unknown): unknown {
    throw new PyError('NotImplementedError', 'a tzinfo subclass must implement utcoffset()');
  }
  dst(_dt: unknown): unknown {
    throw new PyError('NotImplementedError', 'a tzinfo subclass must implement dst()');
  }
  tzname(_dt: unknown): unknown {
    throw new PyError('NotImplementedError', 'tzinfo subclass must override tzname()');
  }
  fromutc(dt: unknown): unknown {
    if (!(dt instanceof PyDateTime)) throw new PyError('TypeError', 'fromutc() requires a datetime argument');
    if (dt.tzinfo !== this) throw new PyError('ValueError', 'dt.tzinfo is not self');
    const off = tdOrNone(this.utcoffset(dt), 'utcoffset');
    const dst = tdOrNone(this.dst(dt), 'dst');
    if (off === null) throw new PyError('ValueError', 'fromutc: non-None utcoffset() result required');
    if (dst === null) throw new PyError('ValueError', 'fromutc: non-None dst() result required');
    let out = dt.plusUs(off.totalUs - dst.totalUs);
    const dst2 = tdOrNone(this.dst(out), 'dst');
    if (dst2 === null) throw new PyError('ValueError', 'fromutc: tz.dst() gave inconsistent results; cannot convert');
    out = out.plusUs(dst2.totalUs);
    return out;
  }
  [PY_REPR](): string {
    return '<datetime.tzinfo object>';
  }
}

function offsetText(td: TimeDelta, sep: string): string {
  let us = td.totalUs;
  const sign = us < 0n ? '-' : '+';
  if (us < 0n) us = -us;
  const total = Number(us);
  const h = Math.floor(total / 3_600_000_000);
  const m = Math.floor((total % 3_600_000_000) / 60_000_000);
  const s = Math.floor((total % 60_000_000) / 1_000_000);
  const micro = total % 1_000_000;
  let out = `${sign}${pad(h, 2)}${sep}${pad(m, 2)}`;
  if (s || micro) out += `${sep}${pad(s, 2)}`;
  if (micro) out += `.${pad(micro, 6)}`;
  return out;
}

/** datetime.timezone: a fixed offset from UTC. */
export class FixedTimezone implements TzInfo {
  static {
    Object.defineProperty(this, 'name', { value: 'datetime.timezone' });
  }
  readonly [TZINFO] = true as const;
  constructor(
    readonly offset: TimeDelta,
    readonly name: string | null = null,
  ) {}
  utcoffset(_dt?: unknown): TimeDelta {
    return this.offset;
  }
  dst(_dt?: unknown): null {
    return null;
  }
  tzname(_dt?: unknown): string {
    if (this.name !== null) return this.name;
    if (this.offset.totalUs === 0n) return 'UTC';
    return 'UTC' + offsetText(this.offset, ':');
  }
  fromutc(dt: unknown): PyDateTime {
    if (!(dt instanceof PyDateTime)) throw new PyError('TypeError', 'fromutc() argument must be a datetime instance or None');
    if (dt.tzinfo !== this) throw new PyError('ValueError', 'fromutc: dt.tzinfo is not self');
    return dt.plusUs(this.offset.totalUs);
  }
  [PY_STR](): string {
    return this.tzname();
  }
  [PY_REPR](): string {
    if (this === UTC_TIMEZONE) return 'datetime.timezone.utc';
    if (this.name === null) return `datetime.timezone(${this.offset[PY_REPR]()})`;
    return `datetime.timezone(${this.offset[PY_REPR]()}, ${JSON.stringify(this.name).replace(/^"|"$/g, "'")})`;
  }
  __pykey__(): string {
    return `timezone:${this.offset.totalUs}`;
  }
  __eq__(o: unknown): unknown {
    return o instanceof FixedTimezone ? this.offset.totalUs === o.offset.totalUs : NotImplemented;
  }
}

export const UTC_TIMEZONE = new FixedTimezone(TimeDelta.of(0));

/** datetime.timezone(offset, name=None); timezone(timedelta(0)) is timezone.utc. */
export function timezone(...args: unknown[]): FixedTimezone {
  const [offset, name] = bind('timezone', [p('offset'), p('name', null)], args);
  if (!(offset instanceof TimeDelta))
    throw new PyError('TypeError', `timezone() argument 1 must be datetime.timedelta, not ${typeNameOf(offset)}`);
  if (name !== null && typeof name !== 'string')
    throw new PyError('TypeError', `timezone() argument 2 must be str, not ${typeNameOf(name)}`);
  if (offset.totalUs <= -US_PER_DAY || offset.totalUs >= US_PER_DAY)
    throw new PyError('ValueError', 'offset must be a timedelta strictly between -timedelta(hours=24) and timedelta(hours=24).');
  if (name === null && offset.totalUs === 0n) return UTC_TIMEZONE;
  return new FixedTimezone(offset, name as string | null);
}
Object.assign(timezone, {
  utc: UTC_TIMEZONE,
  min: new FixedTimezone(TimeDelta.of(0, -86340)),
  max: new FixedTimezone(TimeDelta.of(0, 86340)),
});

function tzArg(x: unknown): TzInfo | null {
  if (x === null || x === undefined) return null;
  if (!isTzInfo(x)) throw new PyError('TypeError', `tzinfo argument must be None or of a tzinfo subclass, not type '${typeNameOf(x)}'`);
  return x;
}

// ---------------------------------------------------------------------------------------------
// the real clock

/** Microseconds since the epoch, now. */
function nowUs(): bigint {
  const ms = performance.timeOrigin + performance.now();
  return BigInt(Math.floor(ms * 1000));
}

/** The system's local UTC offset (seconds) at an epoch instant in microseconds. */
function localOffsetSeconds(epochUs: bigint): number {
  const d = new Date(Number(epochUs / 1000n));
  return -d.getTimezoneOffset() * 60;
}

const EPOCH_ORD = ymdToOrd(1970, 1, 1);

/** Naive datetime fields of an epoch instant (µs) shifted by offsetUs. */
function fromEpochUs(epochUs: bigint, tz: TzInfo | null): PyDateTime {
  const total = epochUs + BigInt(EPOCH_ORD) * US_PER_DAY;
  return PyDateTime.fromTotalUs(total, tz, 0);
}

// ---------------------------------------------------------------------------------------------
// date

/** A C method of no arguments: "weekday() takes no arguments (1 given)". */
function noArgs(fn: string, args: unknown[]): void {
  if (args.length > 0) throw new PyError('TypeError', `${fn}() takes no arguments (${args.length} given)`);
}

function checkDate(y: number, m: number, d: number): void {
  if (y < MINYEAR || y > MAXYEAR) throw new PyError('ValueError', `year ${y} is out of range`);
  if (m < 1 || m > 12) throw new PyError('ValueError', 'month must be in 1..12');
  if (d < 1 || d > daysInMonth(y, m)) throw new PyError('ValueError', 'day is out of range for month');
}

function checkTime(h: number, mi: number, s: number, us: number, fold: number): void {
  if (h < 0 || h > 23) throw new PyError('ValueError', 'hour must be in 0..23');
  if (mi < 0 || mi > 59) throw new PyError('ValueError', 'minute must be in 0..59');
  if (s < 0 || s > 59) throw new PyError('ValueError', 'second must be in 0..59');
  if (us < 0 || us > 999999) throw new PyError('ValueError', 'microsecond must be in 0..999999');
  if (fold !== 0 && fold !== 1) throw new PyError('ValueError', 'fold must be either 0 or 1');
}

function strArg(x: unknown, fn: string): string {
  if (x instanceof Markup) return x.value;
  if (typeof x !== 'string') throw new PyError('TypeError', `${fn}: argument must be str`);
  return x;
}

/** datetime.IsoCalendarDate: a tuple (year, week, weekday) that also has those attributes. */
function isoCalendarDate(y: number, w: number, d: number): unknown {
  const t = [y, w, d];
  for (const [k, v] of [['year', y], ['week', w], ['weekday', d]] as const) Object.defineProperty(t, k, { value: v });
  Object.defineProperty(t, PY_REPR, { value: () => `datetime.IsoCalendarDate(year=${y}, week=${w}, weekday=${d})` });
  return makeTuple(t);
}

export class PyDate {
  static {
    Object.defineProperty(this, 'name', { value: 'datetime.date' });
  }
  constructor(
    readonly year: number,
    readonly month: number,
    readonly day: number,
  ) {}

  toordinal(...args: unknown[]): number {
    noArgs('toordinal', args);
    return ymdToOrd(this.year, this.month, this.day);
  }
  weekday(...args: unknown[]): number {
    noArgs('weekday', args);
    return weekdayOf(this.year, this.month, this.day);
  }
  isoweekday(...args: unknown[]): number {
    noArgs('isoweekday', args);
    return this.weekday() + 1;
  }
  isocalendar(...args: unknown[]): unknown {
    noArgs('isocalendar', args);
    const [y, w, d] = isoCalendar(this.year, this.month, this.day);
    return isoCalendarDate(y, w, d);
  }
  dateIso(): string {
    return `${pad(this.year, 4)}-${pad(this.month, 2)}-${pad(this.day, 2)}`;
  }
  isoformat(...args: unknown[]): string {
    bind('isoformat', [], args);
    return this.dateIso();
  }
  strftime(...args: unknown[]): string {
    const [fmtArg] = bind('strftime', [p('format')], args);
    const fmt = fmtArg instanceof Markup ? fmtArg.value : fmtArg;
    if (typeof fmt !== 'string') throw new PyError('TypeError', `strftime() argument 1 must be str, not ${typeNameOf(fmt)}`);
    return strftime(fmt, { year: this.year, month: this.month, day: this.day, hour: 0, minute: 0, second: 0, microsecond: 0, utcoffset: null, tzname: null });
  }
  ctime(...args: unknown[]): string {
    noArgs('ctime', args);
    return strftime('%a %b %e %H:%M:%S %Y', { year: this.year, month: this.month, day: this.day, hour: 0, minute: 0, second: 0, microsecond: 0, utcoffset: null, tzname: null });
  }
  replace(...args: unknown[]): PyDate {
    const [y, m, d] = bind('replace', [p('year', this.year), p('month', this.month), p('day', this.day)], args);
    return makeDate(intArg(y), intArg(m), intArg(d));
  }
  [PY_STR](): string {
    return this.dateIso();
  }
  [PY_REPR](): string {
    return `datetime.date(${this.year}, ${this.month}, ${this.day})`;
  }
  __format__(spec: unknown): string {
    return typeof spec === 'string' && spec !== '' ? this.strftime(spec) : this[PY_STR]();
  }
  __pykey__(): string {
    return `date:${this.toordinal()}`;
  }
  __add__(o: unknown): unknown {
    if (o instanceof TimeDelta && !(this instanceof PyDateTime)) return dateFromOrd(this.toordinal() + o.days);
    return NotImplemented;
  }
  __radd__(o: unknown): unknown {
    return this.__add__(o);
  }
  __sub__(o: unknown): unknown {
    if (this instanceof PyDateTime) return NotImplemented;
    if (o instanceof TimeDelta) return dateFromOrd(this.toordinal() - o.days);
    if (o instanceof PyDate && !(o instanceof PyDateTime)) return TimeDelta.of(this.toordinal() - o.toordinal());
    return NotImplemented;
  }
  private cmpDate(o: unknown): number | typeof NotImplemented {
    if (!(o instanceof PyDate) || o instanceof PyDateTime || this instanceof PyDateTime) return NotImplemented;
    return Math.sign(this.toordinal() - o.toordinal());
  }
  __eq__(o: unknown): unknown {
    const c = this.cmpDate(o);
    return c === NotImplemented ? NotImplemented : c === 0;
  }
  __ne__(o: unknown): unknown {
    const c = this.cmpDate(o);
    return c === NotImplemented ? NotImplemented : c !== 0;
  }
  __lt__(o: unknown): unknown {
    const c = this.cmpDate(o);
    return c === NotImplemented ? NotImplemented : c < 0;
  }
  __le__(o: unknown): unknown {
    const c = this.cmpDate(o);
    return c === NotImplemented ? NotImplemented : c <= 0;
  }
  __gt__(o: unknown): unknown {
    const c = this.cmpDate(o);
    return c === NotImplemented ? NotImplemented : c > 0;
  }
  __ge__(o: unknown): unknown {
    const c = this.cmpDate(o);
    return c === NotImplemented ? NotImplemented : c >= 0;
  }
}

function makeDate(y: number, m: number, d: number): PyDate {
  checkDate(y, m, d);
  return new PyDate(y, m, d);
}

function dateFromOrd(ord: number): PyDate {
  if (ord < 1 || ord > ymdToOrd(MAXYEAR, 12, 31)) throw new PyError('OverflowError', 'date value out of range');
  const [y, m, d] = ordToYmd(ord);
  return new PyDate(y, m, d);
}

/** datetime.date(year, month, day) with its class methods. */
export function date(...args: unknown[]): PyDate {
  const [y, m, d] = bind('date', [p('year'), p('month'), p('day')], args);
  return makeDate(intArg(y), intArg(m), intArg(d));
}
Object.assign(date, {
  today: (...args: unknown[]): PyDate => {
    bind('today', [], args);
    return datetimeNow(null).date();
  },
  fromordinal: (...args: unknown[]): PyDate => {
    const [n] = bind('fromordinal', [p('ordinal')], args);
    const ord = intArg(n);
    if (ord < 1) throw new PyError('ValueError', 'ordinal must be >= 1');
    if (ord > MAX_ORDINAL) throw new PyError('ValueError', `year ${ordToYmd(ord)[0]} is out of range`);
    return dateFromOrd(ord);
  },
  fromtimestamp: (...args: unknown[]): PyDate => {
    const [ts] = bind('fromtimestamp', [p('timestamp')], args);
    return fromTimestamp(ts, null, 'local').date();
  },
  fromisoformat: (...args: unknown[]): PyDate => {
    const [s] = bind('fromisoformat', [p('date_string')], args);
    const str = strArg(s, 'fromisoformat');
    const r = parseIsoDate(str, 0);
    if (!r || r.end !== str.length) throw new PyError('ValueError', `Invalid isoformat string: ${strRepr(str)}`);
    return makeDate(r.y, r.m, r.d);
  },
  fromisocalendar: (...args: unknown[]): PyDate => {
    const [y, w, d] = bind('fromisocalendar', [p('year'), p('week'), p('day')], args);
    return fromIsoCalendar(intArg(y), intArg(w), intArg(d));
  },
  min: new PyDate(1, 1, 1),
  max: new PyDate(9999, 12, 31),
  resolution: TimeDelta.of(1),
});

function fromIsoCalendar(y: number, w: number, d: number): PyDate {
  if (y < MINYEAR || y > MAXYEAR) throw new PyError('ValueError', `Year is out of range: ${y}`);
  if (w <= 0 || w >= 53) {
    let outOfRange = true;
    if (w === 53) {
      const first = weekdayOf(y, 1, 1);
      if (first === 3 || (first === 2 && (y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0)))) outOfRange = false;
    }
    if (outOfRange) throw new PyError('ValueError', `Invalid week: ${w}`);
  }
  if (d <= 0 || d > 7) throw new PyError('ValueError', `Invalid weekday: ${d} (range is [1, 7])`);
  return dateFromOrd(isoWeek1Monday(y) + (w - 1) * 7 + (d - 1));
}


// ---------------------------------------------------------------------------------------------
// time

export class PyTime {
  static {
    Object.defineProperty(this, 'name', { value: 'datetime.time' });
  }
  constructor(
    readonly hour: number,
    readonly minute: number,
    readonly second: number,
    readonly microsecond: number,
    readonly tzinfo: TzInfo | null,
    readonly fold: number,
  ) {}

  utcoffset(...args: unknown[]): TimeDelta | null {
    noArgs('utcoffset', args);
    return this.tzinfo ? tdOrNone(this.tzinfo.utcoffset(null), 'utcoffset') : null;
  }
  dst(...args: unknown[]): TimeDelta | null {
    noArgs('dst', args);
    return this.tzinfo ? tdOrNone(this.tzinfo.dst(null), 'dst') : null;
  }
  tzname(...args: unknown[]): unknown {
    noArgs('tzname', args);
    return this.tzinfo ? this.tzinfo.tzname(null) : null;
  }
  isoformat(...args: unknown[]): string {
    const [timespec] = bind('isoformat', [p('timespec', 'auto')], args);
    let s = timeIso(this.hour, this.minute, this.second, this.microsecond, timespec);
    const off = this.utcoffset();
    if (off) s += offsetText(off, ':');
    return s;
  }
  strftime(...args: unknown[]): string {
    const [fmtArg] = bind('strftime', [p('format')], args);
    const fmt = fmtArg instanceof Markup ? fmtArg.value : fmtArg;
    if (typeof fmt !== 'string') throw new PyError('TypeError', `strftime() argument 1 must be str, not ${typeNameOf(fmt)}`);
    const off = this.utcoffset();
    const name = this.tzname();
    return strftime(fmt, {
      year: 1900,
      month: 1,
      day: 1,
      hour: this.hour,
      minute: this.minute,
      second: this.second,
      microsecond: this.microsecond,
      utcoffset: off ? off.totalUs : null,
      tzname: typeof name === 'string' ? name : null,
    });
  }
  /** format(t, spec): strftime(spec), str(t) for an empty spec, as Python's time.__format__. */
  __format__(spec: unknown): string {
    return typeof spec === 'string' && spec !== '' ? this.strftime(spec) : this[PY_STR]();
  }
  replace(...args: unknown[]): PyTime {
    const [h, mi, s, us, tz, fold] = bind(
      'replace',
      [p('hour', this.hour), p('minute', this.minute), p('second', this.second), p('microsecond', this.microsecond), p('tzinfo', this.tzinfo), p('fold', this.fold, true)],
      args,
    );
    return makeTime(intArg(h), intArg(mi), intArg(s), intArg(us), tzArg(tz), intArg(fold));
  }
  [PY_STR](): string {
    return this.isoformat();
  }
  [PY_REPR](): string {
    let s: string;
    if (this.microsecond) s = `datetime.time(${this.hour}, ${this.minute}, ${this.second}, ${this.microsecond}`;
    else if (this.second) s = `datetime.time(${this.hour}, ${this.minute}, ${this.second}`;
    else s = `datetime.time(${this.hour}, ${this.minute}`;
    if (this.tzinfo) s += `, tzinfo=${reprOf(this.tzinfo)}`;
    if (this.fold) s += ', fold=1';
    return s + ')';
  }
  private usOfDay(): bigint {
    return BigInt(((this.hour * 60 + this.minute) * 60 + this.second) * 1_000_000 + this.microsecond);
  }
  private cmpTime(o: unknown, eqOnly: boolean): number | typeof NotImplemented | 'ne' {
    if (!(o instanceof PyTime)) return NotImplemented;
    let a = this.usOfDay();
    let b = o.usOfDay();
    if (this.tzinfo !== o.tzinfo) {
      const oa = this.utcoffset();
      const ob = o.utcoffset();
      if ((oa === null) !== (ob === null)) {
        if (eqOnly) return 'ne';
        throw new PyError('TypeError', "can't compare offset-naive and offset-aware times");
      }
      if (oa && ob) {
        a -= oa.totalUs;
        b -= ob.totalUs;
      }
    }
    return a < b ? -1 : a > b ? 1 : 0;
  }
  __pykey__(): string {
    const off = this.utcoffset();
    return `time:${this.usOfDay() - (off ? off.totalUs : 0n)}`;
  }
  __eq__(o: unknown): unknown {
    const c = this.cmpTime(o, true);
    return c === NotImplemented ? NotImplemented : c === 0;
  }
  __ne__(o: unknown): unknown {
    const c = this.cmpTime(o, true);
    return c === NotImplemented ? NotImplemented : c !== 0;
  }
  __lt__(o: unknown): unknown {
    const c = this.cmpTime(o, false) as number | typeof NotImplemented;
    return c === NotImplemented ? NotImplemented : c < 0;
  }
  __le__(o: unknown): unknown {
    const c = this.cmpTime(o, false) as number | typeof NotImplemented;
    return c === NotImplemented ? NotImplemented : c <= 0;
  }
  __gt__(o: unknown): unknown {
    const c = this.cmpTime(o, false) as number | typeof NotImplemented;
    return c === NotImplemented ? NotImplemented : c > 0;
  }
  __ge__(o: unknown): unknown {
    const c = this.cmpTime(o, false) as number | typeof NotImplemented;
    return c === NotImplemented ? NotImplemented : c >= 0;
  }
}

function reprOf(x: unknown): string {
  const r = (x as { [PY_REPR]?: () => string })[PY_REPR];
  return typeof r === 'function' ? r.call(x) : String(x);
}

function timeIso(h: number, mi: number, s: number, us: number, timespec: unknown): string {
  let spec = timespec;
  if (typeof spec !== 'string') throw new PyError('TypeError', `isoformat() argument 'timespec' must be str, not ${typeNameOf(spec)}`);
  if (spec === 'auto') spec = us ? 'microseconds' : 'seconds';
  switch (spec) {
    case 'hours':
      return pad(h, 2);
    case 'minutes':
      return `${pad(h, 2)}:${pad(mi, 2)}`;
    case 'seconds':
      return `${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}`;
    case 'milliseconds':
      return `${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}.${pad(Math.floor(us / 1000), 3)}`;
    case 'microseconds':
      return `${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}.${pad(us, 6)}`;
    default:
      throw new PyError('ValueError', 'Unknown timespec value');
  }
}

function makeTime(h: number, mi: number, s: number, us: number, tz: TzInfo | null, fold: number): PyTime {
  checkTime(h, mi, s, us, fold);
  return new PyTime(h, mi, s, us, tz, fold);
}

const TIME_PARAMS = [p('hour', 0), p('minute', 0), p('second', 0), p('microsecond', 0), p('tzinfo', null), p('fold', 0, true)];

/** datetime.time(hour=0, minute=0, second=0, microsecond=0, tzinfo=None, *, fold=0). */
export function time(...args: unknown[]): PyTime {
  const [h, mi, s, us, tz, fold] = bind('time', TIME_PARAMS, args);
  return makeTime(intArg(h), intArg(mi), intArg(s), intArg(us), tzArg(tz), intArg(fold));
}
Object.assign(time, {
  fromisoformat: (...args: unknown[]): PyTime => {
    const [s] = bind('fromisoformat', [p('time_string')], args);
    const str = strArg(s, 'fromisoformat');
    const t = parseIsoTime(str.startsWith('T') ? str.slice(1) : str);
    if (!t) throw new PyError('ValueError', `Invalid isoformat string: ${strRepr(str)}`);
    return makeTime(t.h, t.mi, t.s, t.us, t.tz, 0);
  },
  min: new PyTime(0, 0, 0, 0, null, 0),
  max: new PyTime(23, 59, 59, 999999, null, 0),
  resolution: TimeDelta.of(0, 0, 1),
});

// ---------------------------------------------------------------------------------------------
// datetime

export class PyDateTime extends PyDate {
  static {
    Object.defineProperty(this, 'name', { value: 'datetime.datetime' });
  }
  constructor(
    year: number,
    month: number,
    day: number,
    readonly hour: number,
    readonly minute: number,
    readonly second: number,
    readonly microsecond: number,
    readonly tzinfo: TzInfo | null,
    readonly fold: number,
  ) {
    super(year, month, day);
  }

  /** Microseconds since 0001-01-01T00:00 (day 1) of these naive fields. */
  get totalUs(): bigint {
    return (
      BigInt(this.toordinal()) * US_PER_DAY +
      BigInt(((this.hour * 60 + this.minute) * 60 + this.second) * 1_000_000 + this.microsecond)
    );
  }

  static fromTotalUs(total: bigint, tz: TzInfo | null, fold: number): PyDateTime {
    const ord = bigFloorDiv(total, US_PER_DAY);
    if (ord < 1n || ord > BigInt(ymdToOrd(MAXYEAR, 12, 31))) throw new PyError('OverflowError', 'date value out of range');
    let rest = Number(total - ord * US_PER_DAY);
    const [y, m, d] = ordToYmd(Number(ord));
    const us = rest % 1_000_000;
    rest = Math.floor(rest / 1_000_000);
    return new PyDateTime(y, m, d, Math.floor(rest / 3600), Math.floor((rest % 3600) / 60), rest % 60, us, tz, fold);
  }

  /** The same tzinfo, the fields moved by us microseconds (no normalization, as Python). */
  plusUs(us: bigint): PyDateTime {
    return PyDateTime.fromTotalUs(this.totalUs + us, this.tzinfo, 0);
  }

  withTz(tz: TzInfo | null): PyDateTime {
    return new PyDateTime(this.year, this.month, this.day, this.hour, this.minute, this.second, this.microsecond, tz, this.fold);
  }

  utcoffset(...args: unknown[]): TimeDelta | null {
    noArgs('utcoffset', args);
    return this.tzinfo ? tdOrNone(this.tzinfo.utcoffset(this), 'utcoffset') : null;
  }
  dst(...args: unknown[]): TimeDelta | null {
    noArgs('dst', args);
    return this.tzinfo ? tdOrNone(this.tzinfo.dst(this), 'dst') : null;
  }
  tzname(...args: unknown[]): unknown {
    noArgs('tzname', args);
    return this.tzinfo ? this.tzinfo.tzname(this) : null;
  }
  date(...args: unknown[]): PyDate {
    noArgs('date', args);
    return new PyDate(this.year, this.month, this.day);
  }
  time(...args: unknown[]): PyTime {
    noArgs('time', args);
    return new PyTime(this.hour, this.minute, this.second, this.microsecond, null, this.fold);
  }
  timetz(...args: unknown[]): PyTime {
    noArgs('timetz', args);
    return new PyTime(this.hour, this.minute, this.second, this.microsecond, this.tzinfo, this.fold);
  }
  /** UTC microseconds since the epoch (naive: read as local time). */
  epochUs(): bigint {
    const off = this.utcoffset();
    const local = this.totalUs - BigInt(EPOCH_ORD) * US_PER_DAY;
    if (off) return local - off.totalUs;
    // local time: Python's mktime-like search
    let guess = local - BigInt(localOffsetSeconds(local)) * 1_000_000n;
    guess = local - BigInt(localOffsetSeconds(guess)) * 1_000_000n;
    return guess;
  }
  timestamp(...args: unknown[]): PyFloat {
    noArgs('timestamp', args);
    return new PyFloat(Number(this.epochUs()) / 1e6);
  }
  astimezone(...args: unknown[]): PyDateTime {
    const [tzA] = bind('astimezone', [p('tz', null)], args);
    let tz = tzArg(tzA);
    const off = this.utcoffset();
    const epoch = this.epochUs();
    if (tz === null) {
      const secs = localOffsetSeconds(epoch);
      tz = new FixedTimezone(TimeDelta.of(0, secs), localZoneName(epoch));
    }
    if (tz === this.tzinfo && off) return this;
    const utc = fromEpochUs(epoch, tz);
    return tz.fromutc(utc) as PyDateTime;
  }
  override isoformat(...args: unknown[]): string {
    const [sep, timespec] = bind('isoformat', [p('sep', 'T'), p('timespec', 'auto')], args);
    if (typeof sep !== 'string' || [...sep].length !== 1)
      throw new PyError('TypeError', `isoformat() argument 1 must be a unicode character, not ${typeNameOf(sep)}`);
    let s = this.dateIso() + sep + timeIso(this.hour, this.minute, this.second, this.microsecond, timespec);
    const off = this.utcoffset();
    if (off) s += offsetText(off, ':');
    return s;
  }
  override strftime(...args: unknown[]): string {
    const [fmtArg] = bind('strftime', [p('format')], args);
    const fmt = fmtArg instanceof Markup ? fmtArg.value : fmtArg;
    if (typeof fmt !== 'string') throw new PyError('TypeError', `strftime() argument 1 must be str, not ${typeNameOf(fmt)}`);
    const off = this.utcoffset();
    const name = this.tzname();
    return strftime(fmt, {
      year: this.year,
      month: this.month,
      day: this.day,
      hour: this.hour,
      minute: this.minute,
      second: this.second,
      microsecond: this.microsecond,
      utcoffset: off ? off.totalUs : null,
      tzname: typeof name === 'string' ? name : null,
    });
  }
  override ctime(...args: unknown[]): string {
    noArgs('ctime', args);
    return strftime('%a %b %e %H:%M:%S %Y', {
      year: this.year,
      month: this.month,
      day: this.day,
      hour: this.hour,
      minute: this.minute,
      second: this.second,
      microsecond: 0,
      utcoffset: null,
      tzname: null,
    });
  }
  override replace(...args: unknown[]): PyDateTime {
    const [y, m, d, h, mi, s, us, tz, fold] = bind(
      'replace',
      [
        p('year', this.year),
        p('month', this.month),
        p('day', this.day),
        p('hour', this.hour),
        p('minute', this.minute),
        p('second', this.second),
        p('microsecond', this.microsecond),
        p('tzinfo', this.tzinfo),
        p('fold', this.fold, true),
      ],
      args,
    );
    return makeDateTime(intArg(y), intArg(m), intArg(d), intArg(h), intArg(mi), intArg(s), intArg(us), tzArg(tz), intArg(fold));
  }
  utctimetuple(): never {
    throw new PyError('NotImplementedError', 'utctimetuple is not supported');
  }
  override [PY_STR](): string {
    return this.isoformat(' ');
  }
  override [PY_REPR](): string {
    const head = `datetime.datetime(${this.year}, ${this.month}, ${this.day}, ${this.hour}, ${this.minute}`;
    let s: string;
    if (this.microsecond) s = `${head}, ${this.second}, ${this.microsecond}`;
    else if (this.second) s = `${head}, ${this.second}`;
    else s = head;
    if (this.fold) s += ', fold=1';
    if (this.tzinfo) s += `, tzinfo=${reprOf(this.tzinfo)}`;
    return s + ')';
  }
  override __pykey__(): string {
    const off = this.utcoffset();
    return `datetime:${this.totalUs - (off ? off.totalUs : 0n)}`;
  }
  override __add__(o: unknown): unknown {
    if (o instanceof TimeDelta) return this.plusUs(o.totalUs);
    return NotImplemented;
  }
  override __radd__(o: unknown): unknown {
    return this.__add__(o);
  }
  override __sub__(o: unknown): unknown {
    if (o instanceof TimeDelta) return this.plusUs(-o.totalUs);
    if (o instanceof PyDateTime) {
      let a = this.totalUs;
      let b = o.totalUs;
      if (this.tzinfo !== o.tzinfo) {
        const oa = this.utcoffset();
        const ob = o.utcoffset();
        if ((oa === null) !== (ob === null)) throw new PyError('TypeError', "can't subtract offset-naive and offset-aware datetimes");
        if (oa && ob) {
          a -= oa.totalUs;
          b -= ob.totalUs;
        }
      }
      return new TimeDelta(a - b);
    }
    return NotImplemented;
  }
  private cmpDt(o: unknown, eqOnly: boolean): number | typeof NotImplemented | 'ne' {
    if (!(o instanceof PyDateTime)) {
      if (o instanceof PyDate) {
        if (eqOnly) return 'ne';
        throw new PyError('TypeError', `can't compare datetime.datetime to datetime.date`);
      }
      return NotImplemented;
    }
    let a = this.totalUs;
    let b = o.totalUs;
    if (this.tzinfo !== o.tzinfo) {
      const oa = this.utcoffset();
      const ob = o.utcoffset();
      if ((oa === null) !== (ob === null)) {
        if (eqOnly) return 'ne';
        throw new PyError('TypeError', "can't compare offset-naive and offset-aware datetimes");
      }
      if (oa && ob) {
        a -= oa.totalUs;
        b -= ob.totalUs;
      }
    }
    return a < b ? -1 : a > b ? 1 : 0;
  }
  override __eq__(o: unknown): unknown {
    const c = this.cmpDt(o, true);
    return c === NotImplemented ? NotImplemented : c === 0;
  }
  override __ne__(o: unknown): unknown {
    const c = this.cmpDt(o, true);
    return c === NotImplemented ? NotImplemented : c !== 0;
  }
  override __lt__(o: unknown): unknown {
    const c = this.cmpDt(o, false) as number | typeof NotImplemented;
    return c === NotImplemented ? NotImplemented : c < 0;
  }
  override __le__(o: unknown): unknown {
    const c = this.cmpDt(o, false) as number | typeof NotImplemented;
    return c === NotImplemented ? NotImplemented : c <= 0;
  }
  override __gt__(o: unknown): unknown {
    const c = this.cmpDt(o, false) as number | typeof NotImplemented;
    return c === NotImplemented ? NotImplemented : c > 0;
  }
  override __ge__(o: unknown): unknown {
    const c = this.cmpDt(o, false) as number | typeof NotImplemented;
    return c === NotImplemented ? NotImplemented : c >= 0;
  }
}

function localZoneName(epochUs: bigint): string {
  const parts = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(new Date(Number(epochUs / 1000n)));
  return parts.find((x) => x.type === 'timeZoneName')?.value ?? 'UTC';
}

export function makeDateTime(y: number, m: number, d: number, h: number, mi: number, s: number, us: number, tz: TzInfo | null, fold: number): PyDateTime {
  checkDate(y, m, d);
  checkTime(h, mi, s, us, fold);
  return new PyDateTime(y, m, d, h, mi, s, us, tz, fold);
}

function datetimeNow(tz: TzInfo | null): PyDateTime {
  const epoch = nowUs();
  if (tz) return tz.fromutc(fromEpochUs(epoch, tz)) as PyDateTime;
  return fromEpochUs(epoch + BigInt(localOffsetSeconds(epoch)) * 1_000_000n, null);
}

function fromTimestamp(ts: unknown, tz: TzInfo | null, mode: 'local' | 'utc'): PyDateTime {
  const n = numArg(ts);
  if (n === undefined) throw new PyError('TypeError', `'${typeNameOf(ts)}' object cannot be interpreted as an integer`);
  if (!Number.isFinite(n)) throw new PyError('ValueError', Number.isNaN(n) ? 'Invalid value NaN (not a number)' : 'cannot convert float infinity to integer');
  const epoch = isInt(ts) ? BigInt(ts) * 1_000_000n : BigInt(roundHalfEven(n * 1e6));
  if (tz) return tz.fromutc(fromEpochUs(epoch, tz)) as PyDateTime;
  if (mode === 'utc') return fromEpochUs(epoch, null);
  return fromEpochUs(epoch + BigInt(localOffsetSeconds(epoch)) * 1_000_000n, null);
}

const DT_PARAMS = [
  p('year'),
  p('month'),
  p('day'),
  p('hour', 0),
  p('minute', 0),
  p('second', 0),
  p('microsecond', 0),
  p('tzinfo', null),
  p('fold', 0, true),
];

/** datetime.datetime(year, month, day, hour=0, ..., tzinfo=None, *, fold=0) and its class methods. */
export function datetime(...args: unknown[]): PyDateTime {
  const [y, m, d, h, mi, s, us, tz, fold] = bind('datetime', DT_PARAMS, args);
  return makeDateTime(intArg(y), intArg(m), intArg(d), intArg(h), intArg(mi), intArg(s), intArg(us), tzArg(tz), intArg(fold));
}
Object.assign(datetime, {
  now: (...args: unknown[]): PyDateTime => {
    const [tz] = bind('now', [p('tz', null)], args);
    return datetimeNow(tzArg(tz));
  },
  utcnow: (...args: unknown[]): PyDateTime => {
    bind('utcnow', [], args);
    return fromEpochUs(nowUs(), null);
  },
  today: (...args: unknown[]): PyDateTime => {
    bind('today', [], args);
    return datetimeNow(null);
  },
  fromtimestamp: (...args: unknown[]): PyDateTime => {
    const [ts, tz] = bind('fromtimestamp', [p('timestamp'), p('tz', null)], args);
    return fromTimestamp(ts, tzArg(tz), 'local');
  },
  utcfromtimestamp: (...args: unknown[]): PyDateTime => {
    const [ts] = bind('utcfromtimestamp', [p('timestamp')], args);
    return fromTimestamp(ts, null, 'utc');
  },
  fromordinal: (...args: unknown[]): PyDateTime => {
    const [n] = bind('fromordinal', [p('ordinal')], args);
    const ord = intArg(n);
    if (ord < 1) throw new PyError('ValueError', 'ordinal must be >= 1');
    if (ord > MAX_ORDINAL) throw new PyError('ValueError', `year ${ordToYmd(ord)[0]} is out of range`);
    const d = dateFromOrd(ord);
    return new PyDateTime(d.year, d.month, d.day, 0, 0, 0, 0, null, 0);
  },
  combine: (...args: unknown[]): PyDateTime => {
    const [d, t, tz] = bind('combine', [p('date'), p('time'), p('tzinfo', KEEP)], args);
    if (!(d instanceof PyDate)) throw new PyError('TypeError', `combine() argument 1 must be datetime.date, not ${typeNameOf(d)}`);
    if (!(t instanceof PyTime)) throw new PyError('TypeError', `combine() argument 2 must be datetime.time, not ${typeNameOf(t)}`);
    const zone = tz === KEEP ? t.tzinfo : tzArg(tz);
    return new PyDateTime(d.year, d.month, d.day, t.hour, t.minute, t.second, t.microsecond, zone, t.fold);
  },
  fromisoformat: (...args: unknown[]): PyDateTime => {
    const [s] = bind('fromisoformat', [p('date_string')], args);
    const str = strArg(s, 'fromisoformat');
    return parseIsoDateTime(str);
  },
  fromisocalendar: (...args: unknown[]): PyDateTime => {
    const [y, w, d] = bind('fromisocalendar', [p('year'), p('week'), p('day')], args);
    const dd = fromIsoCalendar(intArg(y), intArg(w), intArg(d));
    return new PyDateTime(dd.year, dd.month, dd.day, 0, 0, 0, 0, null, 0);
  },
  strptime: (...args: unknown[]): PyDateTime => {
    if (isKwargs(args[args.length - 1])) throw new PyError('TypeError', 'strptime() takes no keyword arguments');
    const [sArg, fArg] = bind('strptime', [p('date_string'), p('format')], args);
    const s = sArg instanceof Markup ? sArg.value : sArg;
    const f = fArg instanceof Markup ? fArg.value : fArg;
    if (typeof s !== 'string') throw new PyError('TypeError', `strptime() argument 1 must be str, not ${typeNameOf(s)}`);
    if (typeof f !== 'string') throw new PyError('TypeError', `strptime() argument 2 must be str, not ${typeNameOf(f)}`);
    return strptimeImpl(s, f);
  },
  min: new PyDateTime(1, 1, 1, 0, 0, 0, 0, null, 0),
  max: new PyDateTime(9999, 12, 31, 23, 59, 59, 999999, null, 0),
  resolution: TimeDelta.of(0, 0, 1),
});

/** datetime.tzinfo(): the abstract base (as dbt exposes it). */
export function tzinfo(...args: unknown[]): TzInfoBase {
  bind('tzinfo', [], args);
  return new TzInfoBase();
}

// ---------------------------------------------------------------------------------------------
// ISO 8601 parsing (Python 3.11's fromisoformat)

interface IsoDate {
  y: number;
  m: number;
  d: number;
  end: number;
}

function digitsAt(s: string, i: number, n: number): number | null {
  if (i + n > s.length) return null;
  const part = s.slice(i, i + n);
  return /^[0-9]+$/.test(part) ? Number(part) : null;
}

function parseIsoDate(s: string, start: number): IsoDate | null {
  const y = digitsAt(s, start, 4);
  if (y === null) return null;
  let i = start + 4;
  const dash = s[i] === '-';
  if (dash) i++;
  if (s[i] === 'W') {
    i++;
    const w = digitsAt(s, i, 2);
    if (w === null) return null;
    i += 2;
    let wd = 1;
    if (dash ? s[i] === '-' : /[0-9]/.test(s[i] ?? '')) {
      if (dash) i++;
      const x = digitsAt(s, i, 1);
      if (x === null) return null;
      wd = x;
      i++;
    }
    const d = fromIsoCalendar(y, w, wd);
    return { y: d.year, m: d.month, d: d.day, end: i };
  }
  const m = digitsAt(s, i, 2);
  if (m === null) return null;
  i += 2;
  if (dash) {
    if (s[i] !== '-') return null;
    i++;
  }
  const d = digitsAt(s, i, 2);
  if (d === null) return null;
  return { y, m, d, end: i + 2 };
}

interface IsoTime {
  h: number;
  mi: number;
  s: number;
  us: number;
  tz: TzInfo | null;
}

function parseHms(s: string): { h: number; mi: number; s: number; us: number } | null {
  const m = /^(\d{2})(?:(:?)(\d{2})(?:\2(\d{2})(?:[.,](\d+))?)?)?$/.exec(s);
  if (!m) return null;
  let us = 0;
  if (m[5] !== undefined) {
    const frac = m[5];
    if (frac.length < 1) return null;
    us = Number(frac.slice(0, 6).padEnd(6, '0'));
  }
  return { h: Number(m[1]), mi: m[3] !== undefined ? Number(m[3]) : 0, s: m[4] !== undefined ? Number(m[4]) : 0, us };
}

function parseIsoTime(str: string): IsoTime | null {
  const tzAt = str.search(/[+\-Z]/);
  // CPython 3.11 tolerates spaces between the time and its offset
  const timePart = tzAt >= 0 ? str.slice(0, tzAt).replace(/ +$/, '') : str;
  const t = parseHms(timePart);
  if (!t) return null;
  let tz: TzInfo | null = null;
  if (tzAt >= 0) {
    const rest = str.slice(tzAt);
    if (rest === 'Z') tz = UTC_TIMEZONE;
    else {
      const sign = rest[0] === '-' ? -1 : 1;
      const o = parseHms(rest.slice(1));
      if (!o) return null;
      const us = BigInt(sign) * (BigInt(((o.h * 60 + o.mi) * 60 + o.s) * 1_000_000 + o.us));
      if (us <= -US_PER_DAY || us >= US_PER_DAY) return null;
      tz = us === 0n ? UTC_TIMEZONE : new FixedTimezone(new TimeDelta(us));
    }
  }
  return { ...t, tz };
}

function parseIsoDateTime(str: string): PyDateTime {
  const bad = (): PyError => new PyError('ValueError', `Invalid isoformat string: ${strRepr(str)}`);
  const d = parseIsoDate(str, 0);
  if (!d) throw bad();
  if (d.end === str.length) return makeDateTime(d.y, d.m, d.d, 0, 0, 0, 0, null, 0);
  const rest = str.slice(d.end + 1);
  if (rest === '') throw bad();
  const t = parseIsoTime(rest);
  if (!t) throw bad();
  return makeDateTime(d.y, d.m, d.d, t.h, t.mi, t.s, t.us, t.tz, 0);
}


function strptimeImpl(s: string, f: string): PyDateTime {
  const r = strptimeFields(s, f);
  let tz: TzInfo | null = null;
  if (r.gmtoffUs !== null) {
    const td = new TimeDelta(r.gmtoffUs);
    tz = r.tzname !== null ? new FixedTimezone(td, r.tzname) : td.totalUs === 0n ? UTC_TIMEZONE : new FixedTimezone(td);
  }
  return makeDateTime(r.year, r.month, r.day, r.hour, r.minute, r.second, r.microsecond, tz, 0);
}
