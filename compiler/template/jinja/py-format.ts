/**
 * Python's string formatting: printf-style `str % args`, str.format / str.format_map, and
 * format(value, spec) with the full format-spec mini-language. Floats are rounded from their
 * exact binary value, half to even, as CPython does.
 */

import { Markup, PyError, PyFloat, Undefined, isPlainObject, isTuple, PY_REPR } from './values.js';
import { PyBytes } from './py-bytes.js';
import { PyRange, floatRepr, getAttr, getItem, intRepr, pyRepr, pyStr, typeName } from './py.js';

// ---------------------------------------------------------------------------------------------
// Decimal digits of a double

interface Digits {
  /** Significant digits, no leading zeros; '' for zero. The value is 0.digits × 10^point. */
  digits: string;
  point: number;
}

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The exact decimal expansion of a finite, non-negative double. */
function exactDigits(x: number): Digits {
  if (x === 0) return { digits: '', point: 0 };
  if (Number.isSafeInteger(x)) {
    const s = String(x);
    const t = s.replace(/0+$/, '');
    return { digits: t, point: s.length };
  }
  F64[0] = x;
  const hi = U32[LITTLE ? 1 : 0]!;
  const lo = U32[LITTLE ? 0 : 1]!;
  const biased = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e2: number;
  if (biased === 0) e2 = -1074;
  else {
    mant |= 1n << 52n;
    e2 = biased - 1075;
  }
  let s: string;
  let point: number;
  if (e2 >= 0) {
    s = (mant << BigInt(e2)).toString();
    point = s.length;
  } else {
    s = (mant * 5n ** BigInt(-e2)).toString();
    point = s.length + e2;
  }
  const lead = s.match(/^0*/)![0].length;
  s = s.slice(lead);
  return { digits: s.replace(/0+$/, ''), point };
}

/** Round to n significant digits (n may be <= 0), half to even. */
function roundDigits(d: Digits, n: number): Digits {
  const { digits, point } = d;
  if (n >= digits.length) return d;
  if (n < 0) return { digits: '', point };
  const c = digits.charCodeAt(n) - 48;
  let up: boolean;
  if (c > 5) up = true;
  else if (c < 5) up = false;
  else if (digits.length > n + 1) up = true;
  else up = n > 0 && (digits.charCodeAt(n - 1) - 48) % 2 === 1;
  let kept = digits.slice(0, n);
  if (!up) return { digits: kept.replace(/0+$/, ''), point };
  // Increment the kept digits.
  let i = kept.length - 1;
  while (i >= 0 && kept[i] === '9') i--;
  if (i < 0) return { digits: '1', point: point + 1 };
  kept = kept.slice(0, i) + String.fromCharCode(kept.charCodeAt(i) + 1);
  return { digits: kept, point };
}

function zeros(n: number): string {
  return n > 0 ? '0'.repeat(n) : '';
}

/** Fixed notation of |x| with prec digits after the point (no sign). */
function fixedAbs(x: number, prec: number, alt: boolean): string {
  const d = roundDigits(exactDigits(x), exactDigits(x).point + prec);
  const { digits, point } = d;
  let intPart: string;
  let frac: string;
  if (digits === '') {
    intPart = '0';
    frac = zeros(prec);
  } else if (point <= 0) {
    intPart = '0';
    frac = (zeros(-point) + digits + zeros(prec)).slice(0, prec);
  } else {
    intPart = digits.slice(0, point) + zeros(point - digits.length);
    frac = (digits.slice(point) + zeros(prec)).slice(0, prec);
  }
  return prec > 0 || alt ? `${intPart}.${frac}` : intPart;
}

function expSuffix(exp: number, upper: boolean): string {
  const sign = exp < 0 ? '-' : '+';
  const a = Math.abs(exp);
  return `${upper ? 'E' : 'e'}${sign}${a < 10 ? '0' : ''}${a}`;
}

/** Exponent notation of |x| with prec digits after the point (no sign). */
function expAbs(x: number, prec: number, alt: boolean, upper: boolean): string {
  const d = roundDigits(exactDigits(x), prec + 1);
  const digits = d.digits === '' ? '0' : d.digits;
  const exp = d.digits === '' ? 0 : d.point - 1;
  const all = digits + zeros(prec + 1 - digits.length);
  const mant = prec > 0 || alt ? `${all[0]}.${all.slice(1)}` : all[0]!;
  return mant + expSuffix(exp, upper);
}

/** General ('g') notation of |x|; addDot0 is str.format's no-type behaviour. */
function generalAbs(x: number, precIn: number, alt: boolean, upper: boolean, addDot0: boolean): string {
  const prec = precIn === 0 ? 1 : precIn;
  const d = roundDigits(exactDigits(x), prec);
  const exp = d.digits === '' ? 0 : d.point - 1;
  const useExp = exp < -4 || exp >= (addDot0 ? prec - 1 : prec);
  let out: string;
  if (useExp) {
    const digits = d.digits === '' ? '0' : d.digits;
    let rest = digits.slice(1);
    if (alt) rest += zeros(prec - 1 - rest.length);
    out = (rest.length > 0 || alt ? `${digits[0]}.${rest}` : digits[0]!) + expSuffix(exp, upper);
  } else {
    out = fixedAbs(x, Math.max(0, prec - 1 - exp), alt);
    if (!alt && out.includes('.')) out = out.replace(/0+$/, '').replace(/\.$/, '');
    if (addDot0 && !out.includes('.')) out += '.0';
  }
  return out;
}

function nonFinite(x: number, upper: boolean): string | undefined {
  if (x === Infinity || x === -Infinity) return upper ? 'INF' : 'inf';
  if (x !== x) return upper ? 'NAN' : 'nan';
  return undefined;
}

/** |x| in a float presentation type (e E f F g G, or '' for repr-like / r). */
function floatBody(x: number, type: string, prec: number | undefined, alt: boolean): string {
  const upper = type === 'E' || type === 'F' || type === 'G';
  const nf = nonFinite(x, upper);
  if (nf !== undefined) return nf;
  const a = Math.abs(x);
  switch (type) {
    case 'e':
    case 'E':
      return expAbs(a, prec ?? 6, alt, upper);
    case 'f':
    case 'F':
      return fixedAbs(a, prec ?? 6, alt);
    case 'g':
    case 'G':
      return generalAbs(a, prec ?? 6, alt, upper, false);
    default:
      // No type: repr without precision, else 'g' that keeps a '.0'.
      if (prec === undefined) {
        const r = floatRepr(a);
        if (!alt || r.includes('.')) return r;
        const e = r.indexOf('e');
        return e < 0 ? r + '.' : `${r.slice(0, e)}.${r.slice(e)}`;
      }
      return generalAbs(a, prec, alt, false, true);
  }
}

// ---------------------------------------------------------------------------------------------
// Grouping and padding

/** Insert separators every `every` digits from the right, padding with zeros to minWidth (CPython's rules). */
function groupDigits(digits: string, sep: string, every: number, minWidth: number): string {
  const parts: string[] = [];
  let remaining = digits.length;
  let mw = minWidth;
  let end = digits.length;
  for (;;) {
    const l = Math.min(every, Math.max(remaining, mw, 1));
    const nZeros = Math.max(0, l - remaining);
    const nChars = Math.max(0, Math.min(remaining, l));
    parts.push(zeros(nZeros) + digits.slice(end - nChars, end));
    end -= nChars;
    remaining -= nChars;
    mw -= l;
    if (remaining <= 0 && mw <= 0) break;
    mw -= sep.length;
  }
  return parts.reverse().join(sep);
}

interface Spec {
  fill: string;
  align: string; // '' | '<' | '>' | '^' | '='
  sign: string; // '' | '+' | '-' | ' '
  z: boolean;
  alt: boolean;
  zero: boolean;
  width: number;
  grouping: string; // '' | ',' | '_'
  precision: number | undefined;
  type: string;
}

/** A presentation type in CPython's messages: 'x', or '\\xe9' outside printable ASCII. */
function codeName(type: string): string {
  const c = type.codePointAt(0) ?? 0;
  return c > 32 && c < 128 ? `'${type}'` : `'\\x${c.toString(16)}'`;
}

const ALIGNS = '<>=^';

/** CPython's parse_internal_render_format_spec: [[fill]align][sign][z][#][0][width][,|_][.precision][type]. */
function parseSpec(spec: string, value: unknown, defaultType: string): Spec {
  const c = Array.from(spec);
  const n = c.length;
  let i = 0;
  let fill = '';
  let align = '';
  if (n >= 2 && ALIGNS.includes(c[1]!)) {
    fill = c[0]!;
    align = c[1]!;
    i = 2;
  } else if (n >= 1 && ALIGNS.includes(c[0]!)) {
    align = c[0]!;
    i = 1;
  }
  let sign = '';
  if (i < n && (c[i] === '+' || c[i] === '-' || c[i] === ' ')) sign = c[i++]!;
  let z = false;
  if (i < n && c[i] === 'z') {
    z = true;
    i++;
  }
  let alt = false;
  if (i < n && c[i] === '#') {
    alt = true;
    i++;
  }
  let zero = false;
  if (!fill && i < n && c[i] === '0') {
    zero = true;
    i++;
  }
  const digits = (): string => {
    let d = '';
    while (i < n && c[i]! >= '0' && c[i]! <= '9') d += c[i++];
    if (d.length > 18) throw new PyError('ValueError', 'Too many decimal digits in format string');
    return d;
  };
  const w = digits();
  let grouping = '';
  if (i < n && c[i] === ',') {
    grouping = ',';
    i++;
  }
  if (i < n && c[i] === '_') {
    if (grouping) throw new PyError('ValueError', "Cannot specify both ',' and '_'.");
    grouping = '_';
    i++;
  }
  if (i < n && c[i] === ',' && grouping === '_') throw new PyError('ValueError', "Cannot specify both ',' and '_'.");
  let precision: number | undefined;
  if (i < n && c[i] === '.') {
    i++;
    const p = digits();
    if (p === '') throw new PyError('ValueError', 'Format specifier missing precision');
    precision = Number(p);
  }
  if (n - i > 1) {
    throw new PyError('ValueError', `Invalid format specifier '${spec}' for object of type '${typeName(value)}'`);
  }
  const type = i < n ? c[i]! : defaultType;
  if (grouping && !'defgEGF%'.includes(type) && !(grouping === '_' && 'boxX'.includes(type))) {
    throw new PyError('ValueError', `Cannot specify '${grouping}' with ${codeName(type)}.`);
  }
  return { fill, align, sign, z, alt, zero, width: w === '' ? -1 : Number(w), grouping, precision, type };
}

function pad(s: string, spec: Spec, defaultAlign: string, lenOf: (s: string) => number): string {
  const w = spec.width;
  const n = lenOf(s);
  if (w <= n) return s;
  const fill = spec.fill || ' ';
  const total = w - n;
  const align = spec.align || defaultAlign;
  if (align === '<') return s + fill.repeat(total);
  if (align === '^') {
    const left = Math.floor(total / 2);
    return fill.repeat(left) + s + fill.repeat(total - left);
  }
  return fill.repeat(total) + s;
}

function cpLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** Assemble sign, prefix, integer digits (grouped), rest; with fill and alignment. */
function assembleNumber(
  spec: Spec,
  negative: boolean,
  prefix: string,
  intDigits: string,
  rest: string,
  groupEvery: number,
): string {
  const sign = negative ? '-' : spec.sign === '+' ? '+' : spec.sign === ' ' ? ' ' : '';
  let fill = spec.fill;
  let align = spec.align;
  if (spec.zero && !fill) {
    fill = '0';
    if (!align) align = '=';
  }
  if (!align) align = '>';
  if (!fill) fill = ' ';
  let digits = intDigits;
  if (spec.grouping && intDigits !== '') {
    const minWidth = fill === '0' && align === '=' ? spec.width - sign.length - prefix.length - rest.length : 0;
    digits = groupDigits(intDigits, spec.grouping, groupEvery, minWidth);
  }
  const body = digits + rest;
  const len = sign.length + prefix.length + cpLength(body);
  if (spec.width <= len) return sign + prefix + body;
  const total = spec.width - len;
  if (align === '=') return sign + prefix + fill.repeat(total) + body;
  const s = sign + prefix + body;
  if (align === '<') return s + fill.repeat(total);
  if (align === '^') {
    const left = Math.floor(total / 2);
    return fill.repeat(left) + s + fill.repeat(total - left);
  }
  return fill.repeat(total) + s;
}

// ---------------------------------------------------------------------------------------------
// format(value, spec)

function formatInt(n: number | bigint, spec: Spec, value: unknown): string {
  let type = spec.type;
  if (spec.precision !== undefined && 'bcdoxXn'.includes(type)) {
    throw new PyError('ValueError', 'Precision not allowed in integer format specifier');
  }
  if (spec.z && 'bcdoxXn'.includes(type)) {
    throw new PyError('ValueError', 'Negative zero coercion (z) not allowed in integer format specifier');
  }
  if ('eEfFgG%'.includes(type) && type !== '') {
    const f = Number(n);
    if (!Number.isFinite(f)) throw new PyError('OverflowError', 'int too large to convert to float');
    return formatFloat(f, spec);
  }
  if (type === '') type = 'd';
  if (!'bcdoxXn'.includes(type)) {
    throw new PyError('ValueError', `Unknown format code ${codeName(type)} for object of type '${typeName(value)}'`);
  }
  if (spec.grouping && 'bcoxXn'.includes(type) && !(spec.grouping === '_' && type !== 'c' && type !== 'n')) {
    throw new PyError('ValueError', `Cannot specify '${spec.grouping}' with ${codeName(type)}.`);
  }
  if (type === 'c') {
    if (spec.sign) throw new PyError('ValueError', "Sign not allowed with integer format specifier 'c'");
    if (spec.alt) throw new PyError('ValueError', "Alternate form (#) not allowed with integer format specifier 'c'");
    if (typeof n === 'bigint' && (n >= 2n ** 63n || n < -(2n ** 63n))) throw new PyError('OverflowError', 'Python int too large to convert to C long');
    if (n < 0 || n > 0x10ffff) throw new PyError('OverflowError', '%c arg not in range(0x110000)');
    return pad(String.fromCodePoint(Number(n)), spec.zero && !spec.fill ? { ...spec, fill: '0' } : spec, '>', cpLength);
  }
  const negative = n < 0;
  const a = negative ? -n : n;
  let digits: string;
  let prefix = '';
  let every = 3;
  switch (type) {
    case 'b':
      digits = a.toString(2);
      prefix = spec.alt ? '0b' : '';
      every = 4;
      break;
    case 'o':
      digits = a.toString(8);
      prefix = spec.alt ? '0o' : '';
      every = 4;
      break;
    case 'x':
      digits = a.toString(16);
      prefix = spec.alt ? '0x' : '';
      every = 4;
      break;
    case 'X':
      digits = a.toString(16).toUpperCase();
      prefix = spec.alt ? '0X' : '';
      every = 4;
      break;
    default:
      digits = typeof a === 'bigint' ? a.toString() : intRepr(a);
  }
  return assembleNumber(spec, negative, prefix, digits, '', every);
}

function formatFloat(x: number, spec: Spec): string {
  let type = spec.type;
  if (!'eEfFgGn%'.includes(type)) {
    throw new PyError('ValueError', `Unknown format code ${codeName(type)} for object of type 'float'`);
  }
  if (type === 'n') type = 'g';
  let v = x;
  let pct = '';
  if (type === '%') {
    v = x * 100;
    type = 'f';
    pct = '%';
  }
  let body = floatBody(v, type, spec.precision, spec.alt);
  let negative = v < 0 || Object.is(v, -0);
  // z: a negative value that rounds to zero prints without its sign.
  if (spec.z && negative && Number.isFinite(v) && !/[1-9]/.test(body.replace(/e.*$/i, ''))) negative = false;
  if (v !== v) negative = false;
  body += pct;
  const m = /^(\d*)([\s\S]*)$/.exec(body)!;
  return assembleNumber(spec, negative, '', m[1]!, m[2]!, 3);
}

function formatStr(s: string, spec: Spec, value: unknown): string {
  if (spec.type !== '' && spec.type !== 's') {
    throw new PyError('ValueError', `Unknown format code ${codeName(spec.type)} for object of type '${typeName(value)}'`);
  }
  if (spec.sign === ' ') throw new PyError('ValueError', 'Space not allowed in string format specifier');
  if (spec.sign) throw new PyError('ValueError', 'Sign not allowed in string format specifier');
  if (spec.z) throw new PyError('ValueError', 'Negative zero coercion (z) not allowed in string format specifier');
  if (spec.alt) throw new PyError('ValueError', 'Alternate form (#) not allowed in string format specifier');
  if (spec.grouping) throw new PyError('ValueError', `Cannot specify '${spec.grouping}' with 's'.`);
  if (spec.align === '=') throw new PyError('ValueError', "'=' alignment not allowed in string format specifier");
  let t = s;
  if (spec.precision !== undefined) t = Array.from(t).slice(0, spec.precision).join('');
  const sp = spec.zero && !spec.fill ? { ...spec, fill: '0' } : spec;
  return pad(t, sp, '<', cpLength);
}

/** Stands for an Undefined under %r: its repr is `Undefined`. */
class UndefinedRepr {
  [PY_REPR](): string {
    return 'Undefined';
  }
}

/** Python's format(value, spec). */
export function formatValue(value: unknown, spec: string): string {
  // jinja2's Undefined formats as '' (object.__format__ of its empty str()); a spec is refused
  if (value instanceof Undefined) {
    if (spec === '') return '';
    throw new PyError('TypeError', 'unsupported format string passed to Undefined.__format__');
  }
  if (spec === '') return pyStr(value);
  if (typeof value === 'string' || value instanceof Markup) {
    const s = typeof value === 'string' ? value : value.value;
    return formatStr(s, parseSpec(spec, value, 's'), value);
  }
  if (typeof value === 'boolean') return formatInt(value ? 1 : 0, parseSpec(spec, value, 'd'), value);
  if ((typeof value === 'number' && Number.isInteger(value)) || typeof value === 'bigint') return formatInt(value, parseSpec(spec, value, 'd'), value);
  if (typeof value === 'number' || value instanceof PyFloat) {
    const x = typeof value === 'number' ? value : value.value;
    const sp = parseSpec(spec, value, '');
    if (sp.type === '' || 'eEfFgGn%'.includes(sp.type)) return formatFloat(x, sp);
    throw new PyError('ValueError', `Unknown format code ${codeName(sp.type)} for object of type 'float'`);
  }
  // a host object's own __format__ (a date formats through strftime: '{:%Y}'.format(d))
  const own = value !== null && typeof value === 'object' ? (value as { __format__?: unknown }).__format__ : undefined;
  if (typeof own === 'function') return String((own as (s: string) => unknown).call(value, spec));
  // Anything else formats as object.__format__ does: str() for an empty spec (above), else an error.
  throw new PyError('TypeError', `unsupported format string passed to ${typeName(value)}.__format__`);
}

// ---------------------------------------------------------------------------------------------
// str.format

type Args = { pos: readonly unknown[]; kw: (name: string) => unknown };

const NO_KEY: unique symbol = Symbol('no-key');

/**
 * string.Formatter's auto_arg_index: the next automatic index, or false once a field named by a
 * number was used.
 */
interface Numbering {
  auto: number | false;
}

/** SandboxedFormatter.get_field: the first name from the arguments, then attributes and items by jinja2's rules. */
function lookupField(field: string, args: Args): unknown {
  let i = 0;
  while (i < field.length && field[i] !== '.' && field[i] !== '[') i++;
  const first = field.slice(0, i);
  let obj: unknown;
  if (/^[0-9]+$/.test(first)) {
    const idx = Number(first);
    if (idx >= args.pos.length) throw new PyError('IndexError', 'tuple index out of range');
    obj = args.pos[idx];
  } else {
    const v = args.kw(first);
    if (v === NO_KEY) throw new PyError('KeyError', pyRepr(first));
    obj = v;
  }
  while (i < field.length) {
    if (field[i] === '.') {
      let j = i + 1;
      while (j < field.length && field[j] !== '.' && field[j] !== '[') j++;
      const attr = field.slice(i + 1, j);
      if (attr === '') throw new PyError('ValueError', 'Empty attribute in format string');
      obj = getAttr(obj, attr);
      i = j;
    } else {
      const j = field.indexOf(']', i);
      if (j < 0) throw new PyError('ValueError', "Missing ']' in format string");
      const key = field.slice(i + 1, j);
      if (key === '') throw new PyError('ValueError', 'Empty attribute in format string');
      obj = getItem(obj, /^[0-9]+$/.test(key) ? Number(key) : key);
      i = j + 1;
      if (i < field.length && field[i] !== '.' && field[i] !== '[') {
        throw new PyError('ValueError', "Only '.' or '[' may follow ']' in format field specifier");
      }
    }
  }
  return obj;
}

function convert(value: unknown, conv: string | undefined): unknown {
  if (conv === undefined) return value;
  if (conv === 'r') return pyRepr(value);
  if (conv === 's') return pyStr(value);
  if (conv === 'a') return asciiRepr(value);
  throw new PyError('ValueError', `Unknown conversion specifier ${conv}`);
}

/** Python's ascii(x). */
export function asciiRepr(value: unknown): string {
  return pyRepr(value).replace(/[^\x00-\x7f]/gu, (ch) => {
    const c = ch.codePointAt(0)!;
    if (c < 0x100) return '\\x' + c.toString(16).padStart(2, '0');
    if (c < 0x10000) return '\\u' + c.toString(16).padStart(4, '0');
    return '\\U' + c.toString(16).padStart(8, '0');
  });
}

interface Field {
  name: string;
  conversion: string | undefined;
  spec: string;
  end: number;
}

/** CPython's parse_field: a replacement field starting after its '{' at i. */
function parseField(fmt: string, i: number): Field {
  const n = fmt.length;
  let j = i;
  let c = '';
  while (j < n) {
    c = fmt[j++]!;
    if (c === '{') throw new PyError('ValueError', "unexpected '{' in field name");
    if (c === '[') {
      while (j < n && fmt[j] !== ']') j++;
      continue;
    }
    if (c === '}' || c === ':' || c === '!') break;
  }
  const name = fmt.slice(i, c === '}' || c === ':' || c === '!' ? j - 1 : j);
  if (c !== '}' && c !== ':' && c !== '!') throw new PyError('ValueError', "expected '}' before end of string");
  if (c === '}') return { name, conversion: undefined, spec: '', end: j };
  let conversion: string | undefined;
  if (c === '!') {
    if (j >= n) throw new PyError('ValueError', 'end of string while looking for conversion specifier');
    conversion = fmt[j++]!;
    if (j < n) {
      const d = fmt[j++]!;
      if (d === '}') return { name, conversion, spec: '', end: j };
      if (d !== ':') throw new PyError('ValueError', "expected ':' after conversion specifier");
    }
  }
  const specStart = j;
  let count = 1;
  while (j < n) {
    const d = fmt[j++]!;
    if (d === '{') count++;
    else if (d === '}' && --count === 0) return { name, conversion, spec: fmt.slice(specStart, j - 1), end: j };
  }
  throw new PyError('ValueError', "unmatched '{' in format spec");
}

/** string.Formatter._vformat (as jinja2's sandbox runs it for str.format). */
function vformat(fmt: string, args: Args, num: Numbering, depth: number): string {
  if (depth < 0) throw new PyError('ValueError', 'Max string recursion exceeded');
  let out = '';
  let i = 0;
  const n = fmt.length;
  while (i < n) {
    // Literal text up to a '{' or '}'.
    let j = i;
    while (j < n && fmt[j] !== '{' && fmt[j] !== '}') j++;
    out += fmt.slice(i, j);
    if (j >= n) break;
    const c = fmt[j]!;
    if (fmt[j + 1] === c) {
      out += c;
      i = j + 2;
      continue;
    }
    if (c === '}') throw new PyError('ValueError', "Single '}' encountered in format string");
    if (j + 1 >= n) throw new PyError('ValueError', "Single '{' encountered in format string");
    const field = parseField(fmt, j + 1);
    i = field.end;
    let name = field.name;
    if (name === '') {
      if (num.auto === false) {
        throw new PyError('ValueError', 'cannot switch from manual field specification to automatic field numbering');
      }
      name = String(num.auto++);
    } else if (/^[0-9]+$/.test(name)) {
      if (num.auto) {
        throw new PyError('ValueError', 'cannot switch from manual field specification to automatic field numbering');
      }
      num.auto = false;
    }
    const value = convert(lookupField(name, args), field.conversion);
    const spec = vformat(field.spec, args, num, depth - 1);
    out += formatValue(value, spec);
  }
  return out;
}

function kwLookup(kw: Map<string, unknown> | Record<string, unknown> | undefined): (name: string) => unknown {
  return (name) => {
    if (kw === undefined) return NO_KEY;
    if (kw instanceof Map) return kw.has(name) ? kw.get(name) : NO_KEY;
    return Object.prototype.hasOwnProperty.call(kw, name) ? kw[name] : NO_KEY;
  };
}

/** Python's fmt.format(*pos, **kw). */
export function strFormat(fmt: string, pos: readonly unknown[], kw?: Map<string, unknown>): string {
  return vformat(fmt, { pos, kw: kwLookup(kw) }, { auto: 0 }, 2);
}

/** Python's fmt.format_map(mapping). */
export function strFormatMap(fmt: string, mapping: unknown): string {
  let kw: (name: string) => unknown;
  if (mapping instanceof Map || isPlainObject(mapping)) kw = kwLookup(mapping as Map<string, unknown>);
  else {
    kw = () => {
      throw new PyError('TypeError', `'${typeName(mapping)}' object is not subscriptable`);
    };
  }
  return vformat(fmt, { pos: [], kw }, { auto: 0 }, 2);
}

// ---------------------------------------------------------------------------------------------
// printf-style formatting

function isMappingArg(x: unknown): boolean {
  // CPython: PyMapping_Check(args) && !tuple && !str -- anything with __getitem__: a list, a dict,
  // a range, jinja2's Undefined ('abc' % undefined_name is 'abc')
  return x instanceof Map || isPlainObject(x) || (Array.isArray(x) && !isTuple(x)) || x instanceof PyRange || x instanceof Undefined || x instanceof PyBytes;
}

function realNumber(x: unknown): number | undefined {
  if (typeof x === 'number') return x;
  if (typeof x === 'bigint') {
    // Python's float(int): exact when it fits, rounded, and an error past the largest float
    const f = Number(x);
    if (!Number.isFinite(f)) throw new PyError('OverflowError', 'int too large to convert to float');
    return f;
  }
  if (x instanceof PyFloat) return x.value;
  if (typeof x === 'boolean') return x ? 1 : 0;
  return undefined;
}

function padPercent(s: string, width: number, left: boolean): string {
  const n = cpLength(s);
  if (width <= n) return s;
  return left ? s + ' '.repeat(width - n) : ' '.repeat(width - n) + s;
}

/**
 * Python's `fmt % args`. wrap, when given, wraps each argument taken (markupsafe's Markup % escapes
 * its arguments this way).
 */
export function percentFormat(fmt: string, args: unknown, wrap?: (arg: unknown) => unknown): string {
  // CPython's unicode_format state: a tuple gives (len, 0); any other value (-1, -2).
  const list: readonly unknown[] = isTuple(args) ? args : [];
  let argLen = isTuple(args) ? args.length : -1;
  let argIdx = isTuple(args) ? 0 : -2;
  const dict = isMappingArg(args) ? args : undefined;
  const nextArg = (): unknown => {
    if (argIdx < argLen) {
      const idx = argIdx++;
      return argLen < 0 ? args : list[idx];
    }
    throw new PyError('TypeError', 'not enough arguments for format string');
  };
  let out = '';
  let i = 0;
  const n = fmt.length;
  while (i < n) {
    const pct = fmt.indexOf('%', i);
    if (pct < 0) {
      out += fmt.slice(i);
      break;
    }
    out += fmt.slice(i, pct);
    i = pct + 1;
    if (i >= n) throw new PyError('ValueError', 'incomplete format');
    let value: unknown = undefined;
    let haveValue = false;
    if (fmt[i] === '(') {
      if (dict === undefined) throw new PyError('TypeError', 'format requires a mapping');
      let depth = 1;
      let j = i + 1;
      while (j < n && depth > 0) {
        if (fmt[j] === '(') depth++;
        else if (fmt[j] === ')') depth--;
        j++;
      }
      if (depth > 0) throw new PyError('ValueError', 'incomplete format key');
      const key = fmt.slice(i + 1, j - 1);
      if (Array.isArray(dict)) throw new PyError('TypeError', 'list indices must be integers or slices, not str');
      if (dict instanceof PyRange) throw new PyError('TypeError', 'range indices must be integers or slices, not str');
      if (dict instanceof PyBytes) throw new PyError('TypeError', 'byte indices must be integers or slices, not str');
      if (dict instanceof Undefined) throw new PyError(dict.exc, dict.hint);
      const d = dict as Map<unknown, unknown> | Record<string, unknown>;
      const has = d instanceof Map ? d.has(key) : Object.prototype.hasOwnProperty.call(d, key);
      if (!has) throw new PyError('KeyError', pyRepr(key));
      value = d instanceof Map ? d.get(key) : d[key];
      haveValue = true;
      argLen = -1;
      argIdx = -1;
      i = j;
    }
    let left = false;
    let plus = false;
    let space = false;
    let alt = false;
    let zero = false;
    for (; i < n; i++) {
      const f = fmt[i];
      if (f === '-') left = true;
      else if (f === '+') plus = true;
      else if (f === ' ') space = true;
      else if (f === '#') alt = true;
      else if (f === '0') zero = true;
      else break;
    }
    let width = -1;
    if (fmt[i] === '*') {
      const w = nextArg();
      if (typeof w !== 'number' || !Number.isInteger(w)) throw new PyError('TypeError', '* wants int');
      width = w;
      if (width < 0) {
        left = true;
        width = -width;
      }
      i++;
    } else {
      const m = /^\d+/.exec(fmt.slice(i, i + 20));
      if (m) {
        width = Number(m[0]);
        i += m[0].length;
      }
    }
    let prec = -1;
    if (fmt[i] === '.') {
      i++;
      if (fmt[i] === '*') {
        const p = nextArg();
        if (typeof p !== 'number' || !Number.isInteger(p)) throw new PyError('TypeError', '* wants int');
        prec = Math.max(0, p);
        i++;
      } else {
        const m = /^\d+/.exec(fmt.slice(i, i + 20));
        prec = m ? Number(m[0]) : 0;
        if (m) i += m[0].length;
      }
    }
    while (i < n && (fmt[i] === 'h' || fmt[i] === 'l' || fmt[i] === 'L')) i++;
    if (i >= n) throw new PyError('ValueError', 'incomplete format');
    const conv = fmt[i]!;
    const convIndex = i;
    i++;
    if (conv === '%' && convIndex === pct + 1) {
      out += '%';
      continue;
    }
    if (!haveValue) value = nextArg();
    if (wrap !== undefined) value = wrap(value);
    if (value instanceof Undefined) {
      // str() of jinja2's Undefined is '' and its repr() is 'Undefined'; numbers refuse it
      if (conv === 's') value = '';
      else if (conv === 'r' || conv === 'a') value = new UndefinedRepr();
      // %x, %o and %X want __index__, which Undefined lacks (a TypeError); %d, %f, … call its __int__ or __float__, which raise
      else if (conv === 'x' || conv === 'X' || conv === 'o') throw new PyError('TypeError', `%${conv} format: an integer is required, not Undefined`);
      else if (conv === 'c') throw new PyError('TypeError', '%c requires int or char');
      else if ('diufFeEgG'.includes(conv)) throw new PyError(value.exc, value.hint);
      // (an unknown conversion is the ValueError below)
    }
    let body: string;
    let sign = '';
    let prefix = '';
    let numeric = false;
    switch (conv) {
      case 's':
        body = pyStr(value);
        if (prec >= 0) body = Array.from(body).slice(0, prec).join('');
        break;
      case 'r':
        body = pyRepr(value);
        if (prec >= 0) body = Array.from(body).slice(0, prec).join('');
        break;
      case 'a':
        body = asciiRepr(value);
        if (prec >= 0) body = Array.from(body).slice(0, prec).join('');
        break;
      case 'd':
      case 'i':
      case 'u': {
        if (typeof value === 'bigint') {
          // an int beyond 2**53, exact
          numeric = true;
          if (value < 0n) sign = '-';
          body = (value < 0n ? -value : value).toString();
          if (prec > body.length) body = zeros(prec - body.length) + body;
          break;
        }
        const x = realNumber(value);
        if (x === undefined) {
          throw new PyError('TypeError', `%${conv} format: a real number is required, not ${typeName(value)}`);
        }
        if (!Number.isFinite(x)) {
          throw new PyError(
            x !== x ? 'ValueError' : 'OverflowError',
            x !== x ? 'cannot convert float NaN to integer' : 'cannot convert float infinity to integer',
          );
        }
        const t = Math.trunc(x);
        numeric = true;
        if (t < 0) sign = '-';
        body = intRepr(Math.abs(t));
        if (prec > body.length) body = zeros(prec - body.length) + body;
        break;
      }
      case 'x':
      case 'X':
      case 'o': {
        if (!(typeof value === 'number' && Number.isInteger(value)) && typeof value !== 'boolean' && typeof value !== 'bigint') {
          throw new PyError('TypeError', `%${conv} format: an integer is required, not ${typeName(value)}`);
        }
        const x = typeof value === 'boolean' ? (value ? 1 : 0) : value;
        numeric = true;
        if (x < 0) sign = '-';
        const a = typeof x === 'bigint' ? (x < 0n ? -x : x) : Math.abs(x);
        body = conv === 'o' ? a.toString(8) : a.toString(16);
        if (conv === 'X') body = body.toUpperCase();
        if (prec > body.length) body = zeros(prec - body.length) + body;
        if (alt) prefix = conv === 'o' ? '0o' : conv === 'x' ? '0x' : '0X';
        break;
      }
      case 'e':
      case 'E':
      case 'f':
      case 'F':
      case 'g':
      case 'G': {
        const x = realNumber(value);
        if (x === undefined) throw new PyError('TypeError', `must be real number, not ${typeName(value)}`);
        numeric = true;
        if (x < 0 || Object.is(x, -0)) sign = '-';
        body = floatBody(x, conv, prec < 0 ? 6 : prec, alt);
        break;
      }
      case 'c': {
        if (typeof value === 'string') {
          if (cpLength(value) !== 1) throw new PyError('TypeError', '%c requires int or char');
          body = value;
        } else if (typeof value === 'bigint') {
          throw new PyError('OverflowError', '%c arg not in range(0x110000)');
        } else if (typeof value === 'number' && Number.isInteger(value)) {
          if (value < 0 || value > 0x10ffff) throw new PyError('OverflowError', '%c arg not in range(0x110000)');
          body = String.fromCodePoint(value);
        } else if (typeof value === 'boolean') {
          body = value ? '\x01' : '\x00';
        } else throw new PyError('TypeError', '%c requires int or char');
        break;
      }
      default: {
        const code = fmt.codePointAt(convIndex)!;
        const shown = code >= 31 && code <= 126 ? conv : '?';
        const at = cpLength(fmt.slice(0, convIndex));
        throw new PyError('ValueError', `unsupported format character '${shown}' (0x${code.toString(16)}) at index ${at}`);
      }
    }
    if (numeric) {
      if (!sign) sign = plus ? '+' : space ? ' ' : '';
      const len = sign.length + prefix.length + body.length;
      if (width > len) {
        if (left) body = sign + prefix + body + ' '.repeat(width - len);
        else if (zero) body = sign + prefix + '0'.repeat(width - len) + body;
        else body = ' '.repeat(width - len) + sign + prefix + body;
      } else body = sign + prefix + body;
      out += body;
    } else out += padPercent(body, width, left);
  }
  if (argIdx < argLen && dict === undefined) {
    throw new PyError('TypeError', 'not all arguments converted during string formatting');
  }
  return out;
}
