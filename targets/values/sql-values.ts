/**
 * The values a connection hands out for SQL types JavaScript has no exact type for.
 *
 * Every target's connection returns DATE, TIMESTAMP (without time zone) and TIMESTAMP WITH TIME
 * ZONE as these classes, whatever the engine's driver would make of them, so one formatter
 * (value-format.ts) prints them the same way on DuckDB, PostgreSQL and Hive:
 *
 * - `SqlDate`: a calendar day, `2024-01-01`.
 * - `SqlTimestamp`: a wall-clock time with no zone, `2024-01-01 12:34:56` (a fraction only when
 *   there is one, trailing zeros dropped, as DuckDB and PostgreSQL print it), up to nanoseconds.
 * - `SqlTimestampTz`: an instant, printed in UTC with its offset, `2024-01-01 10:34:56.5+00`.
 *
 * Each is also a JS `Date` (the day at midnight UTC; the wall clock read as UTC; the instant), so
 * code that compares or does arithmetic on dates keeps working; but its `text` is the value, to
 * the microsecond, and printing goes through `text`, never through `toISOString()`.
 * Values a `Date` cannot hold (infinity, years before 1 or after 9999) stay the engine's text.
 *
 * DECIMAL/NUMERIC values leave a connection's `stream()` as exact text with their scale (`'1.50'`),
 * as PostgreSQL's driver gives NUMERIC by default; BIGINT as a `bigint`.
 */

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIMESTAMP_RE = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;
const TIMESTAMPTZ_RE = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?\s*(?:(Z|UTC)|([+-])(\d{2})(?::?(\d{2}))?(?::?(\d{2}))?)$/;

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** `.5` for `500000`, nothing for `000000`: the fraction as DuckDB and PostgreSQL print it. */
function fraction(digits: string | undefined): string {
  const f = (digits ?? '').replace(/0+$/, '');
  return f ? `.${f}` : '';
}

const p2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

/** `YYYY-MM-DD` of days since 1970-01-01 (Hinnant's civil_from_days: integer arithmetic, no Date). */
function dayText(days: number): string {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return `${pad(y, 4)}-${p2(m)}-${p2(d)}`;
}

/** `YYYY-MM-DD HH:MM:SS[.f]` of a UTC instant plus microseconds, or undefined outside years 1-9999. */
function utcText(ms: number, subMicros: number): string | undefined {
  if (!(ms >= -62135596800000 && ms <= 253402300799999)) return undefined;
  const days = Math.floor(ms / 86_400_000);
  const inDay = ms - days * 86_400_000;
  const secs = Math.floor(inDay / 1000);
  const milli = inDay - secs * 1000;
  const time = `${p2(Math.floor(secs / 3600))}:${p2(Math.floor(secs / 60) % 60)}:${p2(secs % 60)}`;
  const frac = milli || subMicros ? fraction(`${pad(milli, 3)}${pad(subMicros, 3)}`) : '';
  return `${dayText(days)} ${time}${frac}`;
}

/** Milliseconds and the microseconds beyond them, of microseconds since the epoch. */
function splitMicros(micros: bigint): [number, number] {
  const sub = Number(((micros % 1000n) + 1000n) % 1000n);
  return [Number((micros - BigInt(sub)) / 1000n), sub];
}

function utcMillis(y: number, mo: number, d: number, h = 0, mi = 0, s = 0, ms = 0): number {
  const t = new Date(Date.UTC(2000, mo - 1, d, h, mi, s, ms));
  t.setUTCFullYear(y);
  return t.getTime();
}

/** A DATE. */
export class SqlDate extends Date {
  private constructor(
    /** `YYYY-MM-DD` */
    readonly text: string,
    ms: number,
  ) {
    super(ms);
  }

  /** The value as the engine prints it (not JS's date text). */
  override toString(): string {
    return this.text;
  }

  /** From `YYYY-MM-DD`; the text itself when it is no plain date (infinity, BC, year 10000+). */
  static fromText(text: string): SqlDate | string {
    const m = DATE_RE.exec(text);
    if (!m || m[1] === '0000') return text;
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const ms = utcMillis(y, mo, d);
    const back = new Date(ms);
    if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return text;
    return new SqlDate(text, ms);
  }

  /** From days since 1970-01-01 (DuckDB's DATE); undefined outside years 1-9999. */
  static fromDays(days: number): SqlDate | undefined {
    const ms = days * 86_400_000;
    const text = utcText(ms, 0);
    return text === undefined ? undefined : new SqlDate(text.slice(0, 10), ms);
  }
}

/** A TIMESTAMP WITHOUT TIME ZONE. */
export class SqlTimestamp extends Date {
  private constructor(
    /** `YYYY-MM-DD HH:MM:SS[.f]` */
    readonly text: string,
    ms: number,
  ) {
    super(ms);
  }

  /** The value as the engine prints it (not JS's date text). */
  override toString(): string {
    return this.text;
  }

  /** From `YYYY-MM-DD HH:MM:SS[.fffffffff]` (or a `T`); the text itself when it is none. */
  static fromText(text: string): SqlTimestamp | string {
    const m = TIMESTAMP_RE.exec(text.trim());
    if (!m || m[1] === '0000') return text;
    const n = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
    const ms = utcMillis(...n, Number((m[7] ?? '').slice(0, 3).padEnd(3, '0')));
    if (Number.isNaN(ms)) return text;
    return new SqlTimestamp(`${m[1]}-${m[2]}-${m[3]} ${m[4]}:${m[5]}:${m[6]}${fraction(m[7])}`, ms);
  }

  /** From microseconds since 1970-01-01 00:00 (DuckDB's TIMESTAMP); undefined outside years 1-9999. */
  static fromMicros(micros: bigint): SqlTimestamp | undefined {
    const [ms, sub] = splitMicros(micros);
    const text = utcText(ms, sub);
    return text === undefined ? undefined : new SqlTimestamp(text, ms);
  }
}

/** A TIMESTAMP WITH TIME ZONE: an instant, printed in UTC. */
export class SqlTimestampTz extends Date {
  private constructor(
    /** `YYYY-MM-DD HH:MM:SS[.f]+00` */
    readonly text: string,
    ms: number,
  ) {
    super(ms);
  }

  /** The value as the engine prints it (not JS's date text). */
  override toString(): string {
    return this.text;
  }

  /** From microseconds since the epoch (DuckDB's TIMESTAMPTZ). */
  static fromMicros(micros: bigint): SqlTimestampTz | string {
    const [ms, sub] = splitMicros(micros);
    const text = utcText(ms, sub);
    return text === undefined ? micros.toString() : new SqlTimestampTz(`${text}+00`, ms);
  }

  /**
   * From a wall clock with an offset (`2024-01-01 12:34:56.5+02`, `...+05:30`, `...Z`), as
   * PostgreSQL prints one in any session time zone (to the microsecond); the text itself when it is none.
   */
  static fromText(text: string): SqlTimestampTz | string {
    const m = TIMESTAMPTZ_RE.exec(text.trim());
    if (!m || m[1] === '0000') return text;
    const n = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
    const wall = utcMillis(...n);
    if (Number.isNaN(wall)) return text;
    const sign = m[9] === '-' ? -1 : 1;
    const offsetSeconds = m[8] ? 0 : sign * (Number(m[10] ?? 0) * 3600 + Number(m[11] ?? 0) * 60 + Number(m[12] ?? 0));
    const micros = BigInt(wall - offsetSeconds * 1000) * 1000n + BigInt((m[7] ?? '').slice(0, 6).padEnd(6, '0'));
    const v = SqlTimestampTz.fromMicros(micros);
    return typeof v === 'string' ? text : v;
  }
}

/** True for the values of this module. */
export function isSqlTemporal(v: unknown): v is SqlDate | SqlTimestamp | SqlTimestampTz {
  return v instanceof SqlDate || v instanceof SqlTimestamp || v instanceof SqlTimestampTz;
}
