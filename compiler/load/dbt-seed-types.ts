/**
 * Seed column types as dbt infers them (dbt_common's agate type tester, then the adapter's
 * convert_*_type): a column is the first of Number, Date, DateTime, ISODateTime, Boolean, Text
 * that every value casts to ("" and "null" are null for all); a Number column is `integer` when
 * no value has decimal places after normalising (1.0 is 1), else `double`. tx applies this to
 * the seeds of dbt projects, so their tables have the types dbt-duckdb and dbt-postgres give.
 */

/** tx's logical types (targets' typeName maps them per engine). */
export type DbtSeedType = 'integer' | 'double' | 'date' | 'timestamp' | 'boolean' | 'string';

const NULLS = new Set(['null', '']);

/** Python's csv reader (excel dialect with the given delimiter and quote): header and rows. */
export function parseCsvRows(text: string, delimiter = ',', quote = '"'): string[][] {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  let fieldStarted = false;
  const endField = (): void => {
    row.push(field);
    field = '';
    fieldStarted = false;
  };
  const endRow = (): void => {
    endField();
    // a blank line is no row, as in Python's csv module
    if (!(row.length === 1 && row[0] === '')) rows.push(row);
    row = [];
  };
  while (i < text.length) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === quote) {
        if (text[i + 1] === quote) {
          field += quote;
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        continue;
      }
      field += ch;
      i++;
      continue;
    }
    if (ch === quote && !fieldStarted) {
      quoted = true;
      fieldStarted = true;
      i++;
      continue;
    }
    if (ch === delimiter) {
      endField();
      i++;
      continue;
    }
    if (ch === '\r' || ch === '\n') {
      endRow();
      i += ch === '\r' && text[i + 1] === '\n' ? 2 : 1;
      continue;
    }
    field += ch;
    fieldStarted = true;
    i++;
  }
  if (fieldStarted || field !== '' || row.length) endRow();
  return rows;
}

const CURRENCY = ['؋', '$', 'ƒ', '៛', '¥', '₡', '₱', '£', '€', '¢', '﷼', '₪', '₩', '₭', '₮', '₦', '฿', '₤', '₫'];
const DECIMAL = /^[+-]?(?:(\d(?:_?\d)*)(?:\.((?:\d(?:_?\d)*)?))?|\.(\d(?:_?\d)*))(?:[eE]([+-]?\d(?:_?\d)*))?$/;
const SPECIAL = /^[+-]?(?:inf|infinity|s?nan\d*)$/i;

/** agate's Number.cast: null, or the decimal places after normalising (-1 for inf/nan), or undefined when not a number. */
function numberPlaces(raw: string): number | null | undefined {
  let d = raw.trim();
  if (NULLS.has(d.toLowerCase())) return null;
  d = stripChars(d, '%');
  if (d.startsWith('-')) d = d.slice(1);
  for (const c of CURRENCY) d = stripChars(d, c);
  d = d.replace(/,/g, '');
  if (SPECIAL.test(d)) return -1;
  const m = DECIMAL.exec(d);
  if (!m) return undefined;
  const whole = (m[1] ?? '').replace(/_/g, '');
  const frac = (m[2] ?? m[3] ?? '').replace(/_/g, '');
  const exp = Number((m[4] ?? '0').replace(/_/g, ''));
  // normalize(): trailing zeros of the digits go; places = -(exponent)
  let digits = (whole + frac).replace(/^0+/, '');
  let exponent = exp - frac.length;
  if (!digits) return 0;
  while (digits.endsWith('0')) {
    digits = digits.slice(0, -1);
    exponent++;
  }
  return Math.max(0, -exponent);
}

/** Python's str.strip(chars) for one character. */
function stripChars(s: string, c: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && s.startsWith(c, a)) a += c.length;
  while (b > a && s.endsWith(c, b)) b -= c.length;
  return s.slice(a, b);
}

const MONTH = '(1[0-2]|0[1-9]|[1-9])';
const DAY = '(3[01]|[12]\\d|0[1-9]|[1-9]| [1-9])';
const DATE_RE = new RegExp(`^(\\d{4})-${MONTH}-${DAY}$`);
const DATETIME_RE = new RegExp(`^(\\d{4})-${MONTH}-${DAY} (2[0-3]|[01]\\d|\\d):([0-5]\\d|\\d):(6[01]|[0-5]\\d|\\d)$`);
const ISO_RE = /^(\d{4})-?(\d{2})-?(\d{2})T\d{2}(?::?\d{2}(?::?\d{2}(?:[.,]\d+)?)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?$/;

const validDay = (y: number, m: number, d: number): boolean => d <= new Date(Date.UTC(y, m, 0)).getUTCDate();

function isDate(v: string, re: RegExp): boolean {
  const m = re.exec(v);
  return !!m && validDay(Number(m[1]), Number(m[2]), Number(m[3]!.trim()));
}

type Kind = 'number' | 'date' | 'datetime' | 'isodatetime' | 'boolean' | 'text';
const ORDER: Kind[] = ['number', 'date', 'datetime', 'isodatetime', 'boolean', 'text'];

function fits(kind: Kind, raw: string): boolean {
  const t = raw.trim();
  switch (kind) {
    case 'number':
      return numberPlaces(raw) !== undefined;
    case 'date':
      return NULLS.has(t.toLowerCase()) || isDate(t, DATE_RE);
    case 'datetime':
      return NULLS.has(t.toLowerCase()) || isDate(t, DATETIME_RE);
    case 'isodatetime':
      return NULLS.has(t.toLowerCase()) || ISO_RE.test(t);
    case 'boolean': {
      const b = raw.replace(/,/g, '').trim().toLowerCase();
      return NULLS.has(b) || b === 'true' || b === 'false';
    }
    case 'text':
      return true;
  }
}

/** Column name → type, as dbt would create the seed's table. */
export function inferDbtSeedTypes(text: string, delimiter = ',', quote = '"'): Record<string, DbtSeedType> {
  const [header, ...rows] = parseCsvRows(text, delimiter, quote);
  if (!header) return {};
  const out: Record<string, DbtSeedType> = {};
  header.forEach((name, i) => {
    const possible = new Set<Kind>(ORDER);
    let sawValue = false;
    for (const r of rows) {
      if (r.length <= i) continue;
      sawValue = true;
      for (const k of [...possible]) if (!fits(k, r[i]!)) possible.delete(k);
      if (possible.size === 1) break;
    }
    // agate's Integer type only takes Python ints: a column without a cell stays Integer
    if (!sawValue) {
      out[name] = 'integer';
      return;
    }
    const kind = ORDER.find((k) => possible.has(k))!;
    if (kind === 'number') {
      let places = 0;
      for (const r of rows) {
        const p = r.length > i ? numberPlaces(r[i]!) : null;
        if (p != null && p > places) places = p;
      }
      out[name] = places > 0 ? 'double' : 'integer';
    } else out[name] = kind === 'date' ? 'date' : kind === 'datetime' || kind === 'isodatetime' ? 'timestamp' : kind === 'boolean' ? 'boolean' : 'string';
  });
  return out;
}
