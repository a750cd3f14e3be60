/**
 * jinja2 3.1's built-in filters, as dbt-core 1.10 configures them (a SandboxedEnvironment,
 * autoescape off), plus dbt's text-mode filters (as_text, as_bool, as_number, as_native, is_list).
 *
 * Each filter binds its arguments by the Python signature of the jinja2 function it stands for
 * and behaves as that function does on tx's value model (see values.ts), Python exceptions
 * included (PyError with the exception's type name). Inside filters, str() of an Undefined is ''
 * as in jinja2; whether printing an Undefined is an error is the evaluator's business.
 */

import {
  Markup,
  PyError,
  PyFloat,
  Undefined,
  isPlainObject,
  isTuple,
  makeTuple,
} from './values.js';
import {
  DictView,
  PyRange,
  add,
  codePoints,
  compare,
  eq,
  floatRepr,
  getAttr,
  getItem,
  iterate,
  len,
  missingOf,
  mod,
  mul,
  pyMethod,
  pyRepr,
  pyStr,
  strRepr,
  toPyKey,
  truthy,
  typeName,
} from './py.js';

export interface FilterEnv {
  /** A filter by name, for map('upper') and friends. */
  filter(name: string): FilterFn | undefined;
  /** A test by name, for select('odd') and friends. */
  test(name: string): TestFn | undefined;
  /** Call any template callable (macros, host functions). */
  call(fn: unknown, args: unknown[], kwargs?: Map<string, unknown>): unknown;
}

export type FilterFn = (env: FilterEnv, value: unknown, args: unknown[], kwargs: Map<string, unknown>) => unknown;
export type TestFn = (env: FilterEnv, value: unknown, args: unknown[]) => boolean;

// ---------------------------------------------------------------------------------------------
// Argument binding

const REQUIRED: unique symbol = Symbol('tx.required');
type Param = readonly [name: string, dflt: unknown];
const NO_KWARGS: Map<string, unknown> = new Map();

/**
 * Bind (value, ...args, **kwargs) to a Python signature: params[0] is the value's parameter.
 * Returns the bound values in parameter order (the value first).
 */
function bind(fname: string, params: readonly Param[], value: unknown, args: unknown[], kwargs: Map<string, unknown>): unknown[] {
  const n = params.length;
  const given = args.length + 1;
  if (given > n) {
    const required = params.filter((p) => p[1] === REQUIRED).length;
    const takes = required === n ? `${n}` : `from ${required} to ${n}`;
    throw new PyError(
      'TypeError',
      `${fname}() takes ${takes} positional argument${n === 1 ? '' : 's'} but ${given} ${given === 1 ? 'was' : 'were'} given`,
    );
  }
  const out: unknown[] = new Array(n);
  out[0] = value;
  for (let i = 0; i < args.length; i++) out[i + 1] = args[i];
  for (let i = given; i < n; i++) out[i] = REQUIRED;
  if (kwargs.size > 0) {
    for (const [k, v] of kwargs) {
      let idx = -1;
      for (let i = 0; i < n; i++) {
        if (params[i]![0] === k) {
          idx = i;
          break;
        }
      }
      if (idx < 0) throw new PyError('TypeError', `${fname}() got an unexpected keyword argument '${k}'`);
      if (idx < given) throw new PyError('TypeError', `${fname}() got multiple values for argument '${k}'`);
      out[idx] = v;
    }
  }
  const missing: string[] = [];
  for (let i = given; i < n; i++) {
    if (out[i] === REQUIRED) {
      const d = params[i]![1];
      if (d === REQUIRED) missing.push(`'${params[i]![0]}'`);
      else out[i] = d;
    }
  }
  if (missing.length > 0) {
    const list = missing.length === 1 ? missing[0] : `${missing.slice(0, -1).join(', ')} and ${missing[missing.length - 1]}`;
    throw new PyError(
      'TypeError',
      `${fname}() missing ${missing.length} required positional argument${missing.length === 1 ? '' : 's'}: ${list}`,
    );
  }
  return out;
}

/** A Python builtin that takes exactly one positional argument (abs, len, escape, str). */
function oneArg(fname: string, args: unknown[], kwargs: Map<string, unknown>): void {
  if (kwargs.size > 0) throw new PyError('TypeError', `${fname}() takes no keyword arguments`);
  if (args.length > 0) throw new PyError('TypeError', `${fname}() takes exactly one argument (${args.length + 1} given)`);
}

// ---------------------------------------------------------------------------------------------
// Small Python helpers

function undefinedError(u: Undefined): PyError {
  return new PyError('UndefinedError', u.hint);
}

/** str(x) as jinja2's filters see it: an Undefined is ''. */
function sstr(x: unknown): string {
  if (typeof x === 'string') return x;
  if (x instanceof Undefined) return '';
  return pyStr(x);
}

/** markupsafe's soft_str: a Markup stays Markup, anything else becomes str. */
function softStr(x: unknown): string | Markup {
  if (x instanceof Markup) return x;
  return sstr(x);
}

function rawStr(x: string | Markup): string {
  return typeof x === 'string' ? x : x.value;
}

/** Keep Markup-ness of the input on a str method's result. */
function like(src: string | Markup, s: string): string | Markup {
  return typeof src === 'string' ? s : new Markup(s);
}

function isStr(x: unknown): x is string | Markup {
  return typeof x === 'string' || x instanceof Markup;
}

function isDict(x: unknown): x is Map<unknown, unknown> | Record<string, unknown> {
  return x instanceof Map || isPlainObject(x);
}

function isIntValue(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x);
}

/** An int argument (bool counts), or TypeError as Python's index protocol raises. */
function intArg(x: unknown, what = 'integer'): number {
  if (isIntValue(x)) return x;
  if (typeof x === 'boolean') return x ? 1 : 0;
  if (x instanceof Undefined) throw undefinedError(x);
  throw new PyError('TypeError', `'${typeName(x)}' object cannot be interpreted as an ${what}`);
}

function numberOrUndef(x: unknown): number | undefined {
  if (typeof x === 'number') return x;
  if (x instanceof PyFloat) return x.value;
  if (typeof x === 'boolean') return x ? 1 : 0;
  return undefined;
}

function isFloatValue(x: unknown): boolean {
  return x instanceof PyFloat || (typeof x === 'number' && !Number.isInteger(x));
}

const SURROGATE = /[\uD800-\uDFFF]/;

function cpLen(s: string): number {
  return SURROGATE.test(s) ? codePoints(s).length : s.length;
}

/** s[a:b] by code points (a, b >= 0, clamped). */
function cpSlice(s: string, a: number, b?: number): string {
  if (!SURROGATE.test(s)) return s.slice(a, b);
  return codePoints(s).slice(a, b).join('');
}

const PY_SPACE = /^[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$/;
const PY_SPACE_CLASS = '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PY_STRIP = new RegExp(`^[${PY_SPACE_CLASS}]+|[${PY_SPACE_CLASS}]+$`, 'g');
const PY_SPLIT_WS = new RegExp(`[${PY_SPACE_CLASS}]+`);

/** str.strip() with no argument. */
function pyStrip(s: string): string {
  return s.replace(PY_STRIP, '');
}

/** str.split() with no argument. */
function pySplitWs(s: string): string[] {
  const t = pyStrip(s);
  return t === '' ? [] : t.split(PY_SPLIT_WS);
}

const LINE_BREAK = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/g;

/** str.splitlines(keepends). */
function pySplitlines(s: string, keepends = false): string[] {
  const out: string[] = [];
  let pos = 0;
  LINE_BREAK.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = LINE_BREAK.exec(s)) !== null) {
    out.push(s.slice(pos, keepends ? m.index + m[0].length : m.index));
    pos = m.index + m[0].length;
  }
  if (pos < s.length) out.push(s.slice(pos));
  return out;
}

/** Python's str.upper()/lower() (JS's full case mapping matches for all but a few letters). */
function pyUpper(s: string): string {
  return s.toUpperCase();
}
function pyLower(s: string): string {
  return s.toLowerCase();
}

/** The first code point's title case (str.capitalize/title use title case for it). */
function titleFirst(ch: string): string {
  switch (ch) {
    case '\u01c4':
    case '\u01c5':
    case '\u01c6':
      return '\u01c5';
    case '\u01c7':
    case '\u01c8':
    case '\u01c9':
      return '\u01c8';
    case '\u01ca':
    case '\u01cb':
    case '\u01cc':
      return '\u01cb';
    case '\u01f1':
    case '\u01f2':
    case '\u01f3':
      return '\u01f2';
    case '\u0149':
      return '\u02bcN';
    default: {
      // A letter whose upper case is several letters (ß, ligatures): title case is the first one
      // upper, the rest lower ('ﬁ' -> 'Fi').
      const up = ch.toUpperCase();
      const first = String.fromCodePoint(up.codePointAt(0)!);
      if (first.length === up.length) return up;
      return first + up.slice(first.length).toLowerCase();
    }
  }
}

function pyCapitalize(s: string): string {
  if (s === '') return s;
  const first = String.fromCodePoint(s.codePointAt(0)!);
  return titleFirst(first) + s.slice(first.length).toLowerCase();
}

/** Python's float(str): whitespace, sign, underscores between digits, inf/nan; else ValueError. */
const FLOAT_RE = /^[+-]?(?:(?:\d(?:_?\d)*)?\.?\d(?:_?\d)*(?:[eE][+-]?\d(?:_?\d)*)?|\d(?:_?\d)*\.(?:[eE][+-]?\d(?:_?\d)*)?)$/;
const SPECIAL_FLOAT = /^([+-]?)(inf|infinity|nan)$/i;

const NON_ASCII_DIGIT = /[^\x00-\x7f]/;
const ND = /\p{Nd}/u;
const ND_ALL = /\p{Nd}/gu;

/** Python's int()/float() read any Unicode decimal digit (category Nd) as its ASCII digit. */
function asciiDigits(s: string): string {
  if (!NON_ASCII_DIGIT.test(s)) return s;
  return s.replace(ND_ALL, (d) => {
    const cp = d.codePointAt(0)!;
    if (cp < 0x80) return d;
    // Nd characters come in runs of ten, zero first: the digit is the offset in its run.
    let start = cp;
    while (start > 0 && ND.test(String.fromCodePoint(start - 1))) start--;
    return String((cp - start) % 10);
  });
}

function parsePyFloat(str: string): number {
  const s = asciiDigits(pyStrip(str));
  const sp = SPECIAL_FLOAT.exec(s);
  if (sp) {
    if (sp[2]!.toLowerCase() === 'nan') return NaN;
    return sp[1] === '-' ? -Infinity : Infinity;
  }
  if (!FLOAT_RE.test(s)) throw new PyError('ValueError', `could not convert string to float: ${strRepr(str)}`);
  return Number(s.replace(/_/g, ''));
}

/** Python's float(x). */
function pyFloatOf(x: unknown): number {
  if (x instanceof PyFloat) return x.value;
  if (typeof x === 'number') return x;
  if (typeof x === 'boolean') return x ? 1 : 0;
  if (typeof x === 'string') return parsePyFloat(x);
  if (x instanceof Markup) return parsePyFloat(x.value);
  if (x instanceof Undefined) throw undefinedError(x);
  throw new PyError('TypeError', `float() argument must be a string or a real number, not '${typeName(x)}'`);
}

const DIGITS = '0123456789abcdefghijklmnopqrstuvwxyz';

/** Python's int(str, base). */
function parsePyInt(str: string, base: number): number {
  const bad = (): PyError => new PyError('ValueError', `invalid literal for int() with base ${base}: ${strRepr(str)}`);
  if (base !== 0 && (base < 2 || base > 36)) throw new PyError('ValueError', 'int() base must be >= 2 and <= 36, or 0');
  let s = asciiDigits(pyStrip(str));
  let neg = false;
  if (s.startsWith('+') || s.startsWith('-')) {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  let b = base;
  const lower = s.slice(0, 2).toLowerCase();
  let prefixed = false;
  if ((b === 0 || b === 16) && lower === '0x') [b, prefixed] = [16, true];
  else if ((b === 0 || b === 8) && lower === '0o') [b, prefixed] = [8, true];
  else if ((b === 0 || b === 2) && lower === '0b') [b, prefixed] = [2, true];
  if (prefixed) {
    s = s.slice(2);
    if (s.startsWith('_')) s = s.slice(1);
  } else if (b === 0) {
    b = 10;
    if (/^0+(_?0)*$/.test(s)) return 0;
    if (s.startsWith('0')) throw bad();
  }
  if (s === '' || s.startsWith('_') || s.endsWith('_') || s.includes('__')) throw bad();
  let big = 0n;
  const bb = BigInt(b);
  for (const ch of s) {
    if (ch === '_') continue;
    const d = DIGITS.indexOf(ch.toLowerCase());
    if (d < 0 || d >= b) throw bad();
    big = big * bb + BigInt(d);
  }
  const n = Number(big);
  return neg ? (n === 0 ? 0 : -n) : n;
}

/** Python's int(x) for a non-str x. */
function pyIntOf(x: unknown): number {
  if (isIntValue(x)) return x;
  if (typeof x === 'boolean') return x ? 1 : 0;
  if (x instanceof Undefined) throw undefinedError(x);
  const f = x instanceof PyFloat ? x.value : typeof x === 'number' ? x : undefined;
  if (f !== undefined) return truncFloat(f);
  throw new PyError(
    'TypeError',
    `int() argument must be a string, a bytes-like object or a real number, not '${typeName(x)}'`,
  );
}

function truncFloat(f: number): number {
  if (f !== f) throw new PyError('ValueError', 'cannot convert float NaN to integer');
  if (f === Infinity || f === -Infinity) throw new PyError('OverflowError', 'cannot convert float infinity to integer');
  const t = Math.trunc(f);
  return t === 0 ? 0 : t;
}

// ---------------------------------------------------------------------------------------------
// Exact decimal rounding of doubles (Python's round() and '%.Nf' are correctly rounded, ties to even)

/** A double as digits * 10^-scale exactly (digits without sign). */
function exactDecimal(x: number): { neg: boolean; digits: bigint; scale: number } {
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, x);
  const hi = buf.getUint32(0);
  const lo = buf.getUint32(4);
  const neg = hi >>> 31 === 1;
  const expBits = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp: number;
  if (expBits === 0) exp = -1074;
  else {
    mant |= 1n << 52n;
    exp = expBits - 1075;
  }
  if (exp >= 0) return { neg, digits: mant << BigInt(exp), scale: 0 };
  return { neg, digits: mant * 5n ** BigInt(-exp), scale: -exp };
}

/** x rounded to `ndigits` decimal places (half to even on the exact value) as [neg, int, scale]. */
function roundExact(x: number, ndigits: number): { neg: boolean; q: bigint; scale: number } {
  const { neg, digits, scale } = exactDecimal(x);
  const drop = scale - ndigits;
  if (drop <= 0) return { neg, q: digits * 10n ** BigInt(-drop), scale: ndigits };
  const p = 10n ** BigInt(drop);
  let q = digits / p;
  const r = digits % p;
  const twice = r * 2n;
  if (twice > p || (twice === p && q % 2n === 1n)) q += 1n;
  return { neg, q, scale: ndigits };
}

/** Python's f'{x:.{p}f}' for a finite double, p >= 0. */
function formatFixed(x: number, p: number): string {
  if (x !== x) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  const { neg, q } = roundExact(x, p);
  let s = q.toString();
  if (p > 0) {
    s = s.padStart(p + 1, '0');
    s = `${s.slice(0, s.length - p)}.${s.slice(s.length - p)}`;
  }
  return neg ? `-${s}` : s;
}

/** Python's round(float, ndigits). */
function roundFloat(x: number, ndigits: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  if (ndigits > 400) return x;
  const { neg, q, scale } = roundExact(x, ndigits);
  const s = scale >= 0 ? `${q}e-${scale}` : `${q}e${-scale}`;
  const v = Number(s);
  if (!Number.isFinite(v)) throw new PyError('OverflowError', 'rounded value too large to represent');
  return neg ? -v : v;
}

/** Python's round(int, ndigits) (ndigits < 0 rounds half to even). */
function roundInt(n: number, ndigits: number): number {
  if (ndigits >= 0) return n;
  const p = 10n ** BigInt(-ndigits);
  const b = BigInt(n);
  let q = b / p;
  let r = b % p;
  if (r < 0n) {
    q -= 1n;
    r += p;
  }
  const twice = r * 2n;
  if (twice > p || (twice === p && (q % 2n === 1n || q % 2n === -1n))) q += 1n;
  const v = Number(q * p);
  return v === 0 ? 0 : v;
}

// ---------------------------------------------------------------------------------------------
// HTML escaping (markupsafe)

const HTML_SPECIAL = /[&<>'"]/;

function escapeHtml(s: string): string {
  if (!HTML_SPECIAL.test(s)) return s;
  return s.replace(/&/g, '&amp;').replace(/>/g, '&gt;').replace(/</g, '&lt;').replace(/'/g, '&#39;').replace(/"/g, '&#34;');
}

/** markupsafe.escape. */
export function escape(x: unknown): Markup {
  if (x instanceof Markup) return x;
  if (typeof x === 'string') return new Markup(escapeHtml(x));
  if (x !== null && typeof x === 'object' && typeof (x as { __html__?: unknown }).__html__ === 'function')
    return new Markup(String((x as { __html__: () => unknown }).__html__()));
  return new Markup(escapeHtml(sstr(x)));
}

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
  copy: '\u00a9',
  reg: '\u00ae',
  raquo: '\u00bb',
  laquo: '\u00ab',
  hellip: '\u2026',
  mdash: '\u2014',
  ndash: '\u2013',
  euro: '\u20ac',
  trade: '\u2122',
  middot: '\u00b7',
  times: '\u00d7',
  deg: '\u00b0',
};
// html.unescape's entities accepted without the ';' (HTML5's legacy list, the common ones).
const NO_SEMI = new Set(['amp', 'lt', 'gt', 'quot', 'nbsp', 'copy', 'reg', 'raquo', 'laquo', 'times', 'deg', 'middot']);
const INVALID_CHARREFS: Record<number, string> = {
  0x00: '\ufffd', 0x0d: '\r', 0x80: '\u20ac', 0x81: '\x81', 0x82: '\u201a', 0x83: '\u0192', 0x84: '\u201e',
  0x85: '\u2026', 0x86: '\u2020', 0x87: '\u2021', 0x88: '\u02c6', 0x89: '\u2030', 0x8a: '\u0160', 0x8b: '\u2039',
  0x8c: '\u0152', 0x8d: '\x8d', 0x8e: '\u017d', 0x8f: '\x8f', 0x90: '\x90', 0x91: '\u2018', 0x92: '\u2019',
  0x93: '\u201c', 0x94: '\u201d', 0x95: '\u2022', 0x96: '\u2013', 0x97: '\u2014', 0x98: '\u02dc', 0x99: '\u2122',
  0x9a: '\u0161', 0x9b: '\u203a', 0x9c: '\u0153', 0x9d: '\x9d', 0x9e: '\u017e', 0x9f: '\u0178',
};

/** Python's html.unescape (numeric references exactly; named ones for the common entities). */
function htmlUnescape(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)/g, (m, ref: string) => {
    if (ref[0] === '#') {
      const hex = ref[1] === 'x' || ref[1] === 'X';
      const num = parseInt(ref.slice(hex ? 2 : 1).replace(';', ''), hex ? 16 : 10);
      if (num in INVALID_CHARREFS) return INVALID_CHARREFS[num]!;
      if ((num >= 0xd800 && num <= 0xdfff) || num > 0x10ffff) return '\ufffd';
      if ((num >= 0x1 && num <= 0x8) || (num >= 0xe && num <= 0x1f) || (num >= 0x7f && num <= 0x9f) ||
        (num >= 0xfdd0 && num <= 0xfdef) || num === 0xb || (num & 0xfffe) === 0xfffe)
        return '';
      return String.fromCodePoint(num);
    }
    const name = ref.endsWith(';') ? ref.slice(0, -1) : ref;
    if (ref.endsWith(';') && name in NAMED_ENTITIES) return NAMED_ENTITIES[name]!;
    // Longest legacy entity that prefixes the text (html.unescape's rule).
    for (let i = Math.min(name.length, 6); i > 1; i--) {
      const p = name.slice(0, i);
      if (NO_SEMI.has(p)) return NAMED_ENTITIES[p]! + ref.slice(i);
    }
    return m;
  });
}

/** Markup.striptags(). */
function stripTags(value: string): string {
  const parts: string[] = [];
  let pos = 0;
  for (;;) {
    const start = value.indexOf('<', pos);
    if (start === -1) break;
    let end: number;
    if (value.startsWith('<!--', start)) {
      end = value.indexOf('-->', start + 4);
      if (end === -1) break;
      end += 3;
    } else {
      end = value.indexOf('>', start);
      if (end === -1) break;
      end += 1;
    }
    parts.push(value.slice(pos, start));
    pos = end;
  }
  if (pos > 0) {
    parts.push(value.slice(pos));
    value = parts.join('');
  }
  return htmlUnescape(pySplitWs(value).join(' '));
}

// ---------------------------------------------------------------------------------------------
// Attribute getters (jinja2's make_attrgetter / make_multi_attrgetter)

type Getter = (item: unknown) => unknown;

function attributeParts(attr: unknown): unknown[] {
  if (attr === null || attr === undefined) return [];
  if (typeof attr === 'string') return attr.split('.').map((x) => (/^[0-9]+$/.test(x) ? Number(x) : x));
  return [attr];
}

function ignoreCase(v: unknown): unknown {
  if (typeof v === 'string') return pyLower(v);
  if (v instanceof Markup) return new Markup(pyLower(v.value));
  return v;
}

function makeAttrGetter(attribute: unknown, lower: boolean, dflt: unknown = null): Getter {
  const parts = attributeParts(attribute);
  if (parts.length === 0) return lower ? ignoreCase : (x) => x;
  return (item) => {
    for (const part of parts) {
      item = getItem(item, part);
      if (dflt !== null && dflt !== undefined && item instanceof Undefined) item = dflt;
    }
    return lower ? ignoreCase(item) : item;
  };
}

function makeMultiAttrGetter(attribute: unknown, lower: boolean): Getter {
  const split = typeof attribute === 'string' ? attribute.split(',') : [attribute];
  const parts = split.map(attributeParts);
  return (item) => {
    const out: unknown[] = new Array(parts.length);
    for (let i = 0; i < parts.length; i++) {
      let v = item;
      for (const part of parts[i]!) v = getItem(v, part);
      out[i] = lower ? ignoreCase(v) : v;
    }
    return out;
  };
}

/** Python's sorted(items, key=key, reverse=reverse): stable, only `<` between keys. */
function pySorted(items: Iterable<unknown>, key: Getter | null, reverse: boolean): unknown[] {
  const list = Array.from(items);
  if (list.length < 2) {
    if (key && list.length === 1) key(list[0]);
    return list;
  }
  const keys = key ? list.map(key) : list;
  const idx = list.map((_, i) => i);
  const lt = (a: number, b: number): number => {
    const ka = keys[a];
    const kb = keys[b];
    if (compare('<', ka, kb)) return -1;
    if (compare('<', kb, ka)) return 1;
    return 0;
  };
  idx.sort(reverse ? (a, b) => lt(b, a) : lt);
  return idx.map((i) => list[i]);
}

// ---------------------------------------------------------------------------------------------
// Lazy iterators: a JS generator is a Python generator to the evaluator

function isIterator(x: unknown): boolean {
  return (
    x !== null &&
    typeof x === 'object' &&
    !Array.isArray(x) &&
    !(x instanceof Map) &&
    !(x instanceof Set) &&
    !isPlainObject(x) &&
    typeof (x as { next?: unknown }).next === 'function'
  );
}

// ---------------------------------------------------------------------------------------------
// json.dumps(sort_keys=True) as jinja2's tojson calls it

function jsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c >= 0x20 && c <= 0x7e) out += s[i];
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x08) out += '\\b';
    else if (c === 0x0c) out += '\\f';
    else out += '\\u' + c.toString(16).padStart(4, '0');
  }
  return out + '"';
}

function jsonFloat(x: number): string {
  if (x !== x) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  return floatRepr(x);
}

function jsonKey(k: unknown): string | null {
  if (typeof k === 'string') return k;
  if (k instanceof Markup) return k.value;
  if (isIntValue(k)) return pyStr(k);
  if (isFloatValue(k)) return jsonFloat(numberOrUndef(k)!);
  if (k === true) return 'true';
  if (k === false) return 'false';
  if (k === null || k === undefined) return 'null';
  return null;
}

function jsonDumps(value: unknown, indent: string | null): string {
  const stack = new Set<unknown>();
  const enc = (x: unknown, level: number): string => {
    if (typeof x === 'string') return jsonString(x);
    if (x === null || x === undefined) return 'null';
    if (x === true) return 'true';
    if (x === false) return 'false';
    if (typeof x === 'number') return Number.isInteger(x) ? pyStr(x) : jsonFloat(x);
    if (x instanceof PyFloat) return jsonFloat(x.value);
    if (x instanceof Markup) return jsonString(x.value);
    const isArr = Array.isArray(x);
    if (!isArr && !isDict(x)) throw new PyError('TypeError', `Object of type ${typeName(x)} is not JSON serializable`);
    if (stack.has(x)) throw new PyError('ValueError', 'Circular reference detected');
    stack.add(x);
    let parts: string[];
    let open: string;
    let close: string;
    if (isArr) {
      [open, close] = ['[', ']'];
      parts = (x as unknown[]).map((v) => enc(v, level + 1));
    } else {
      [open, close] = ['{', '}'];
      const entries: [unknown, unknown][] = x instanceof Map ? [...x] : Object.entries(x as Record<string, unknown>);
      const sorted = pySorted(
        entries.map((e) => makeTuple([e[0], e[1]])),
        (e) => (e as unknown[])[0],
        false,
      ) as unknown[][];
      parts = [];
      for (const [k, v] of sorted) {
        const ks = jsonKey(k);
        if (ks === null) throw new PyError('TypeError', `keys must be str, int, float, bool or None, not ${typeName(k)}`);
        parts.push(`${jsonString(ks)}: ${enc(v, level + 1)}`);
      }
    }
    stack.delete(x);
    if (parts.length === 0) return open + close;
    if (indent === null) return open + parts.join(', ') + close;
    const inner = '\n' + indent.repeat(level + 1);
    return open + inner + parts.join(',' + inner) + '\n' + indent.repeat(level) + close;
  };
  return enc(value, 0);
}

// ---------------------------------------------------------------------------------------------
// pprint.pformat (width 80, sort_dicts=True)

function safeKeyLt(a: unknown, b: unknown): boolean {
  try {
    return compare('<', a, b);
  } catch (e) {
    if (!(e instanceof PyError) || e.type !== 'TypeError') throw e;
    const ta = typeName(a);
    const tb = typeName(b);
    return ta < tb;
  }
}

function sortedItems(d: Map<unknown, unknown> | Record<string, unknown>): [unknown, unknown][] {
  const entries: [unknown, unknown][] = d instanceof Map ? [...d] : Object.entries(d);
  return entries
    .map((e, i) => [e, i] as const)
    .sort((x, y) => (safeKeyLt(x[0][0], y[0][0]) ? -1 : safeKeyLt(y[0][0], x[0][0]) ? 1 : x[1] - y[1]))
    .map((x) => x[0]);
}

function safeRepr(x: unknown): string {
  if (isDict(x)) {
    const items = sortedItems(x);
    if (items.length === 0) return '{}';
    return '{' + items.map(([k, v]) => `${safeRepr(k)}: ${safeRepr(v)}`).join(', ') + '}';
  }
  if (Array.isArray(x)) {
    if (isTuple(x)) {
      if (x.length === 1) return `(${safeRepr(x[0])},)`;
      return '(' + x.map(safeRepr).join(', ') + ')';
    }
    return '[' + (x as unknown[]).map(safeRepr).join(', ') + ']';
  }
  if (x instanceof Undefined) return 'Undefined';
  return pyRepr(x);
}

const PPRINT_PARTS = new RegExp(`[^${PY_SPACE_CLASS}]*[${PY_SPACE_CLASS}]*`, 'g');

function pformat(obj: unknown): string {
  const width = 80;
  let out = '';
  const write = (s: string): void => {
    out += s;
  };
  const format = (o: unknown, indent: number, allowance: number, level: number): void => {
    const rep = safeRepr(o);
    const maxWidth = width - indent - allowance;
    if (cpLen(rep) > maxWidth) {
      if (isDict(o)) return pprintDict(o, indent, allowance, level + 1);
      if (Array.isArray(o)) {
        if (isTuple(o)) return pprintTuple(o, indent, allowance, level + 1);
        return pprintList(o, indent, allowance, level + 1);
      }
      if (typeof o === 'string') return pprintStr(o, indent, allowance, level + 1);
    }
    write(rep);
  };
  const formatItems = (items: readonly unknown[], indent: number, allowance: number, level: number): void => {
    indent += 1;
    const delimnl = ',\n' + ' '.repeat(indent);
    let delim = '';
    for (let i = 0; i < items.length; i++) {
      const last = i === items.length - 1;
      write(delim);
      delim = delimnl;
      format(items[i], indent, last ? allowance : 1, level);
    }
  };
  const pprintList = (o: readonly unknown[], indent: number, allowance: number, level: number): void => {
    write('[');
    formatItems(o, indent, allowance + 1, level);
    write(']');
  };
  const pprintTuple = (o: readonly unknown[], indent: number, allowance: number, level: number): void => {
    write('(');
    const endchar = o.length === 1 ? ',)' : ')';
    formatItems(o, indent, allowance + endchar.length, level);
    write(endchar);
  };
  const pprintDict = (
    o: Map<unknown, unknown> | Record<string, unknown>,
    indent: number,
    allowance: number,
    level: number,
  ): void => {
    write('{');
    const items = sortedItems(o);
    if (items.length > 0) {
      const ind = indent + 1;
      const delimnl = ',\n' + ' '.repeat(ind);
      const allow = allowance + 1;
      items.forEach(([k, v], i) => {
        const last = i === items.length - 1;
        const rep = safeRepr(k);
        write(rep);
        write(': ');
        format(v, ind + cpLen(rep) + 2, last ? allow : 1, level);
        if (!last) write(delimnl);
      });
    }
    write('}');
  };
  const pprintStr = (o: string, indent: number, allowance: number, level: number): void => {
    if (o.length === 0) {
      write(strRepr(o));
      return;
    }
    const chunks: string[] = [];
    const lines = pySplitlines(o, true);
    if (level === 1) {
      indent += 1;
      allowance += 1;
    }
    let maxWidth1 = width - indent;
    let rep = '';
    lines.forEach((line, i) => {
      rep = strRepr(line);
      if (i === lines.length - 1) maxWidth1 -= allowance;
      if (cpLen(rep) <= maxWidth1) chunks.push(rep);
      else {
        const parts = line.match(PPRINT_PARTS)!;
        parts.pop(); // re.findall's empty last match
        let maxWidth2 = width - indent;
        let current = '';
        parts.forEach((part, j) => {
          const candidate = current + part;
          if (j === parts.length - 1 && i === lines.length - 1) maxWidth2 -= allowance;
          if (cpLen(strRepr(candidate)) > maxWidth2) {
            if (current) chunks.push(strRepr(current));
            current = part;
          } else current = candidate;
        });
        if (current) chunks.push(strRepr(current));
      }
    });
    if (chunks.length === 1) {
      write(rep);
      return;
    }
    if (level === 1) write('(');
    chunks.forEach((c, i) => {
      if (i > 0) write('\n' + ' '.repeat(indent));
      write(c);
    });
    if (level === 1) write(')');
  };
  format(obj, 0, 0, 0);
  return out;
}

// ---------------------------------------------------------------------------------------------
// urlize / urlencode (jinja2.utils)

const W = '[\\p{L}\\p{N}_]';
const HTTP_RE = new RegExp(
  '^(' +
    `(https?://|www\\.)((${W.slice(0, -1)}%-]+\\.)+)?([a-z]{2,63}|xn--${W.slice(0, -1)}%]{2,59})` +
    `|(${W.slice(0, -1)}%-]{2,63}\\.)+(com|net|int|edu|gov|org|info|mil)` +
    '|(https?://)((([\\d]{1,3})(\\.[\\d]{1,3}){3})|(\\[([\\da-f]{0,4}:){2}([\\da-f]{0,4}:?){1,6}\\]))' +
    ')(?::[\\d]{1,5})?(?:[/?#]\\S*)?$',
  'iu',
);
const EMAIL_RE = new RegExp(`^\\S+@${W}${W.slice(0, -1)}.-]*\\.${W}+$`, 'u');
const URI_SCHEME_RE = /^([\p{L}\p{N}_.+-]{2,}:(\/){0,2})$/u;

function urlize(
  text: unknown,
  trimUrlLimit: number | null,
  rel: string | null,
  target: string | null,
  extraSchemes: string[] | null,
): string {
  const trim = (x: string): string =>
    trimUrlLimit !== null && cpLen(x) > trimUrlLimit ? `${cpSlice(x, 0, trimUrlLimit)}...` : x;
  const words = escape(text).value.split(/(\s+)/u);
  const relAttr = rel ? ` rel="${escape(rel).value}"` : '';
  const targetAttr = target ? ` target="${escape(target).value}"` : '';
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    let head = '';
    let middle = word;
    let tail = '';
    let m = /^([(<]|&lt;)+/.exec(middle);
    if (m) {
      head = m[0];
      middle = middle.slice(m[0].length);
    }
    if (/([)>.,\n]|&gt;)$/.test(middle)) {
      m = /([)>.,\n]|&gt;)+$/.exec(middle);
      if (m) {
        tail = m[0];
        middle = middle.slice(0, m.index);
      }
    }
    for (const [startChar, endChar] of [
      ['(', ')'],
      ['<', '>'],
      ['&lt;', '&gt;'],
    ] as const) {
      const startCount = middle.split(startChar).length - 1;
      if (startCount <= middle.split(endChar).length - 1) continue;
      const moves = Math.min(startCount, tail.split(endChar).length - 1);
      for (let j = 0; j < moves; j++) {
        const endIndex = tail.indexOf(endChar) + endChar.length;
        middle += tail.slice(0, endIndex);
        tail = tail.slice(endIndex);
      }
    }
    if (HTTP_RE.test(middle)) {
      if (middle.startsWith('https://') || middle.startsWith('http://'))
        middle = `<a href="${middle}"${relAttr}${targetAttr}>${trim(middle)}</a>`;
      else middle = `<a href="https://${middle}"${relAttr}${targetAttr}>${trim(middle)}</a>`;
    } else if (middle.startsWith('mailto:') && EMAIL_RE.test(middle.slice(7))) {
      middle = `<a href="${middle}">${middle.slice(7)}</a>`;
    } else if (
      middle.includes('@') &&
      !middle.startsWith('www.') &&
      !middle.startsWith('@') &&
      !middle.includes(':') &&
      EMAIL_RE.test(middle)
    ) {
      middle = `<a href="mailto:${middle}">${middle}</a>`;
    } else if (extraSchemes !== null) {
      for (const scheme of extraSchemes) {
        if (middle !== scheme && middle.startsWith(scheme))
          middle = `<a href="${middle}"${relAttr}${targetAttr}>${middle}</a>`;
      }
    }
    words[i] = `${head}${middle}${tail}`;
  }
  return words.join('');
}

const UNRESERVED = /^[A-Za-z0-9_.\-~]$/;

/** jinja2.utils.url_quote: UTF-8 percent-encoding; "/" kept unless for a query string. */
function urlQuote(obj: unknown, forQs: boolean): string {
  const s = sstr(obj);
  let out = '';
  for (const ch of s) {
    if (UNRESERVED.test(ch) || (!forQs && ch === '/')) out += ch;
    else if (forQs && ch === ' ') out += '+';
    else {
      const bytes = Buffer.from(ch, 'utf8');
      for (const b of bytes) out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// textwrap.wrap as jinja2's wordwrap calls it

const TW_WS = '[\\t\\n\\v\\f\\r ]';
const TW_NWS = '[^\\t\\n\\v\\f\\r ]';
const TW_WP = '[\\p{L}\\p{N}_!"\'&.,?]';
const TW_LT = '[\\p{L}\\p{Nl}\\p{No}_]';
const WORDSEP_RE = new RegExp(
  `(${TW_WS}+|(?<=${TW_WP})-{2,}(?=${W})|${TW_NWS}+?(?:-(?:(?<=${TW_LT}{2}-)|(?<=${TW_LT}-${TW_LT}-))(?=${TW_LT}-?${TW_LT})|(?=${TW_WS}|$)|(?<=${TW_WP})(?=-{2,}${W})))`,
  'u',
);
const WORDSEP_SIMPLE_RE = new RegExp(`(${TW_WS}+)`, 'u');

function textwrap(text: string, width: number, breakLongWords: boolean, breakOnHyphens: boolean): string[] {
  const chunks = text.split(breakOnHyphens ? WORDSEP_RE : WORDSEP_SIMPLE_RE).filter((c) => c !== undefined && c !== '');
  const lines: string[] = [];
  if (width <= 0) throw new PyError('ValueError', `invalid width ${width} (must be > 0)`);
  chunks.reverse();
  while (chunks.length > 0) {
    const curLine: string[] = [];
    let curLen = 0;
    if (pyStrip(chunks[chunks.length - 1]!) === '' && lines.length > 0) chunks.pop();
    while (chunks.length > 0) {
      const l = cpLen(chunks[chunks.length - 1]!);
      if (curLen + l <= width) {
        curLine.push(chunks.pop()!);
        curLen += l;
      } else break;
    }
    if (chunks.length > 0 && cpLen(chunks[chunks.length - 1]!) > width) {
      const spaceLeft = width < 1 ? 1 : width - curLen;
      if (breakLongWords) {
        let end = spaceLeft;
        const chunk = chunks[chunks.length - 1]!;
        const cps = codePoints(chunk);
        if (breakOnHyphens && cps.length > spaceLeft) {
          const hyphen = cps.slice(0, spaceLeft).lastIndexOf('-');
          if (hyphen > 0 && cps.slice(0, hyphen).some((c) => c !== '-')) end = hyphen + 1;
        }
        curLine.push(cps.slice(0, end).join(''));
        chunks[chunks.length - 1] = cps.slice(end).join('');
      } else if (curLine.length === 0) curLine.push(chunks.pop()!);
      curLen = curLine.reduce((a, c) => a + cpLen(c), 0);
    }
    if (curLine.length > 0 && pyStrip(curLine[curLine.length - 1]!) === '') {
      curLen -= cpLen(curLine[curLine.length - 1]!);
      curLine.pop();
    }
    if (curLine.length > 0) lines.push(curLine.join(''));
  }
  return lines;
}

// ---------------------------------------------------------------------------------------------
// Filters

function filterArgumentError(msg: string): PyError {
  return new PyError('FilterArgumentError', msg);
}

const P_VALUE: Param = ['value', REQUIRED];
const P_S: Param = ['s', REQUIRED];

function doAbs(_env: FilterEnv, value: unknown, args: unknown[], kwargs: Map<string, unknown>): unknown {
  oneArg('abs', args, kwargs);
  if (isIntValue(value)) return value < 0 ? -value : value;
  if (value instanceof PyFloat) return new PyFloat(Math.abs(value.value));
  if (typeof value === 'number') return new PyFloat(Math.abs(value));
  if (typeof value === 'boolean') return value ? 1 : 0;
  throw new PyError('TypeError', `bad operand type for abs(): '${typeName(value)}'`);
}

function doAttr(_env: FilterEnv, value: unknown, args: unknown[], kwargs: Map<string, unknown>): unknown {
  const [obj, name] = bind('do_attr', [['obj', REQUIRED], ['name', REQUIRED]], value, args, kwargs);
  if (typeof name !== 'string') throw new PyError('TypeError', `attribute name must be string, not '${typeName(name)}'`);
  if (obj instanceof Undefined) throw undefinedError(obj);
  if (name.startsWith('_')) {
    return new Undefined(name, `access to attribute ${strRepr(name)} of ${strRepr(typeName(obj))} object is unsafe.`);
  }
  if (obj instanceof Map) {
    const m = pyMethod(obj, name);
    return m === undefined ? missingOf(obj, name) : m;
  }
  if (isPlainObject(obj)) {
    // A dict: its items are no attributes; a host object's own function is its method.
    const own = Object.prototype.hasOwnProperty.call(obj, name) ? obj[name] : undefined;
    if (typeof own === 'function') return getAttr(obj, name);
    const m = pyMethod(obj, name);
    return m === undefined ? missingOf(obj, name) : m;
  }
  if (Array.isArray(obj) || typeof obj === 'string' || obj instanceof Markup || obj instanceof Set) {
    const m = pyMethod(obj, name);
    return m === undefined ? missingOf(obj, name) : m;
  }
  return getAttr(obj, name);
}

function* batchGen(value: unknown, linecount: unknown, fill: unknown): Generator<unknown[]> {
  let tmp: unknown[] = [];
  for (const item of iterate(value)) {
    if (eq(tmp.length, linecount)) {
      yield tmp;
      tmp = [];
    }
    tmp.push(item);
  }
  if (tmp.length > 0) {
    if (fill !== null && fill !== undefined && compare('<', tmp.length, linecount)) {
      const n = intArg(linecount);
      for (let i = tmp.length; i < n; i++) tmp.push(fill);
    }
    yield tmp;
  }
}

function doBatch(_env: FilterEnv, value: unknown, args: unknown[], kwargs: Map<string, unknown>): unknown {
  const [v, linecount, fill] = bind('do_batch', [P_VALUE, ['linecount', REQUIRED], ['fill_with', null]], value, args, kwargs);
  return batchGen(v, linecount, fill);
}

function strFilter(fname: string, fn: (s: string) => string): FilterFn {
  return (_env, value, args, kwargs) => {
    const [s] = bind(fname, [P_S], value, args, kwargs);
    const ss = softStr(s);
    return like(ss, fn(rawStr(ss)));
  };
}

function doCenter(_env: FilterEnv, value: unknown, args: unknown[], kwargs: Map<string, unknown>): unknown {
  const [v, width] = bind('do_center', [P_VALUE, ['width', 80]], value, args, kwargs);
  const ss = softStr(v);
  const s = rawStr(ss);
  const w = intArg(width);
  const n = cpLen(s);
  if (w <= n) return ss;
  const marg = w - n;
  const left = Math.floor(marg / 2) + (marg & w & 1);
  return like(ss, ' '.repeat(left) + s + ' '.repeat(marg - left));
}

function doLength(_env: FilterEnv, value: unknown, args: unknown[], kwargs: Map<string, unknown>): unknown {
  oneArg('len', args, kwargs);
  if (isIterator(value)) throw new PyError('TypeError', `object of type '${typeName(value)}' has no len()`);
  return len(value);
}

function doDefault(_env: FilterEnv, value: unknown, args: unknown[], kwargs: Map<string, unknown>): unknown {
  if (args.length === 0 && kwargs.size === 0) return value instanceof Undefined ? '' : value;
  const [v, dflt, boolean] = bind('do_default', [P_VALUE, ['default_value', ''], ['boolean', false]], value, args, kwargs);
  if (v instanceof Undefined || (truthy(boolean) && !truthy(v))) return dflt;
  return v;
}

function dictItems(value: unknown): unknown[][] {
  if (value instanceof Map) return [...value].map(([k, v]) => makeTuple([k, v]) as unknown[]);
  if (isPlainObject(value)) return Object.entries(value).map(([k, v]) => makeTuple([k, v]) as unknown[]);
  if (value instanceof Undefined) throw undefinedError(value);
  throw new PyError('AttributeError', `'${typeName(value)}' object has no attribute 'items'`);
}

function doDictsort(_env: FilterEnv, value: unknown, args: unknown[], kwargs: Map<string, unknown>): unknown {
  const [v, caseSensitive, by, reverse] = bind(
    'do_dictsort',
    [P_VALUE, ['case_sensitive', false], ['by', 'key'], ['reverse', false]],
    value,
    args,
    kwargs,
  );
  let pos: number;
  if (eq(by, 'key')) pos = 0;
  else if (eq(by, 'value')) pos = 1;
  else throw filterArgumentError('You can only sort by either "key" or "value"');
  const cs = truthy(caseSensitive);
  return pySorted(dictItems(v), (item) => {
    const x = (item as unknown[])[pos];
    return cs ? x : ignoreCase(x);
  }, truthy(reverse));
}

function doEscape(_env: FilterEnv, value: unknown, args: unknown[], kwargs: Map<string, unknown>): unknown {
  oneArg('escape', args, kwargs);
  return escape(value);
}

function doFilesizeformat(_env: FilterEnv, value: unknown, args: unknown[], kwargs: Map<string, unknown>): unknown {
  const [v, binary] = bind('do_filesizeformat', [P_VALUE, ['binary', false]], value, args, kwargs);
  const bytes = pyFloatOf(v);
  const bin = truthy(binary);
  const base = bin ? 1024 : 1000;
  const prefixes = bin
    ? ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB']
    : ['kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
  if (bytes === 1) return '1 Byte';
  if (bytes < base) return `${pyStr(truncFloat(bytes))} Bytes`;
  let unit = 0;
  let prefix = '';
  for (let i = 0; i < prefixes.length; i++) {
    unit = base ** (i + 2);
    prefix = prefixes[i]!;
    // Python compares the float with the exact int base ** (i + 2).
    const less = bytes === unit ? BigInt(bytes) < BigInt(base) ** BigInt(i + 2) : bytes < unit;
    if (less) return `${formatFixed((base * bytes) / unit, 1)} ${prefix}`;
  }
  return `${formatFixed((base * bytes) / unit, 1)} ${prefix}`;
}

function doFirst(_env: FilterEnv, value: unknown, args: unknown[], kwargs: Map<string, unknown>): unknown {
  const [seq] = bind('sync_do_first', [['seq', REQUIRED]], value, args, kwargs);
  for (const x of iterate(seq)) return x;
  return new Undefined('', 'No first item, sequence was empty.');
}

function doFloat(_env: FilterEnv, value: unknown, args: unknown[], kwargs: Map<string, unknown>): unknown {
  const [v, dflt] = bind('do_float', [P_VALUE, ['default', new PyFloat(0)]], value, args, kwargs);
  if (v instanceof PyFloat) return v;
  try {
    return new PyFloat(pyFloatOf(v));
  } catch (e) {
    if (e instanceof PyError && (e.type === 'TypeError' || e.type === 'ValueError')) return dflt;
    throw e;
  }
}

function doForceescape(_env: FilterEnv, value: unknown, args: unknown[], kwargs: Map<string, unknown>): unknown {
  const [v] = bind('do_forceescape', [P_VALUE], value, args, kwargs);
  return new Markup(escapeHtml(v instanceof Markup ? v.value : sstr(v)));
}

function doFormat(_env: FilterEnv, value: unknown, args: unknown[], kwargs: Map<string, unknown>): unknown {
  if (args.length > 0 && kwargs.size > 0)
    throw filterArgumentError("can't handle positional and keyword arguments at the same time");
  const s = softStr(value);
  return mod(s, kwargs.size > 0 ? new Map(kwargs) : makeTuple([...args]));
}

/** A namedtuple (grouper, list): a tuple with .grouper and .list. */
function groupTuple(grouper: unknown, list: unknown[]): unknown {
  const t: unknown[] = [grouper, list];
  Object.defineProperty(t, 'grouper', { value: grouper });
  Object.defineProperty(t, 'list', { value: list });
  return makeTuple(t);
}

function doGroupby(_env: FilterEnv, value: unknown, args: unknown[], kwargs: Map<string, unknown>): unknown {
  const [v, attribute, dflt, caseSensitive] = bind(
    'sync_do_groupby',
    [P_VALUE, ['attribute', REQUIRED], ['default', null], ['case_sensitive', false]],
    value,
    args,
    kwargs,
  );
  const cs = truthy(caseSensitive);
  const expr = makeAttrGetter(attribute, !cs, dflt);
  const sorted = pySorted(iterate(v), expr, false);
  const out: unknown[] = [];
  let curKey: unknown;
  let cur: unknown[] | null = null;
  for (const item of sorted) {
    const k = expr(item);
    if (cur !== null && eq(k, curKey)) cur.push(item);
    else {
      if (cur !== null) out.push([curKey, cur]);
      curKey = k;
      cur = [item];
    }
  }
  if (cur !== null) out.push([curKey, cur]);
  const outExpr = cs ? null : makeAttrGetter(attribute, false, dflt);
  return out.map((g) => {
    const [k, items] = g as [unknown, unknown[]];
    return groupTuple(outExpr ? outExpr(items[0]) : k, items);
  });
}

function doIndent(_env: FilterEnv, value: unknown, args: unknown[], kwargs: Map<string, unknown>): unknown {
  const [s, width, first, blank] = bind(
    'do_indent',
    [P_S, ['width', 4], ['first', false], ['blank', false]],
    value,
    args,
    kwargs,
  );
  let indention: string;
  if (typeof width === 'string') indention = width;
  else if (width instanceof Markup) indention = width.value;
  else {
    const r = mul(' ', width);
    if (typeof r !== 'string') throw new PyError('TypeError', `can't multiply sequence by non-int of type '${typeName(width)}'`);
    indention = r;
  }
  if (!isStr(s)) {
    if (s instanceof Undefined) throw undefinedError(s);
    // list += '\n' extends the list; then a list has no splitlines.
    if (Array.isArray(s) && !isTuple(s)) throw new PyError('AttributeError', "'list' object has no attribute 'splitlines'");
    throw new PyError('TypeError', `unsupported operand type(s) for +=: '${typeName(s)}' and 'str'`);
  }
  const str = rawStr(s) + '\n';
  let rv: string;
  if (truthy(blank)) rv = pySplitlines(str).join('\n' + indention);
  else {
    const lines = pySplitlines(str);
    rv = lines.shift()!;
    if (lines.length > 0) rv += '\n' + lines.map((line) => (line ? indention + line : line)).join('\n');
  }
  if (truthy(first)) rv = indention + rv;
  return like(s, rv);
}

function doInt(_env: FilterEnv, value: unknown, args: unknown[], kwargs: Map<string, unknown>): unknown {
  const [v, dflt, base] = bind('do_int', [P_VALUE, ['default', 0], ['base', 10]], value, args, kwargs);
  if (isIntValue(v)) return v;
  try {
    if (isStr(v)) {
      if (!isIntValue(base) && typeof base !== 'boolean') {
        throw new PyError('TypeError', `'${typeName(base)}' object cannot be interpreted as an integer`);
      }
      return parsePyInt(rawStr(v), intArg(base));
    }
    return pyIntOf(v);
  } catch (e) {
    if (!(e instanceof PyError) || (e.type !== 'TypeError' && e.type !== 'ValueError')) throw e;
    try {
      return truncFloat(pyFloatOf(v));
    } catch (e2) {
      if (e2 instanceof PyError && (e2.type === 'TypeError' || e2.type === 'ValueError' || e2.type === 'OverflowError'))
        return dflt;
      throw e2;
    }
  }
}

function* itemsGen(value: unknown): Generator<unknown> {
  if (value instanceof Undefined) return;
  if (!isDict(value)) throw new PyError('TypeError', 'Can only get item pairs from a mapping.');
  yield* dictItems(value);
}

function doItems(_env: FilterEnv, value: unknown, args: unknown[], kwargs: Map<string, unknown>): unknown {
  const [v] = bind('do_items', [P_VALUE], value, args, kwargs);
  return itemsGen(v);
}

function doJoin(_env: FilterEnv, value: unknown, args: unknown[], kwargs: Map<string, unknown>): unknown {
  let v = value;
  let d: unknown = '';
  let attribute: unknown = null;
  if (args.length > 0 || kwargs.size > 0)
    [v, d, attribute] = bind('sync_do_join', [P_VALUE, ['d', ''], ['attribute', null]], value, args, kwargs);
  const sep = sstr(d);
  if (Array.isArray(v) && (attribute === null || attribute === undefined)) {
    let out = '';
    for (let i = 0; i < v.length; i++) {
      if (i > 0) out += sep;
      out += sstr(v[i]);
    }
    return out;
  }
  const get = attribute === null || attribute === undefined ? null : makeAttrGetter(attribute, false);
  const parts: string[] = [];
  for (const x of iterate(v)) parts.push(sstr(get ? get(x) : x));
  return parts.join(sep);
}

function doLast(_env: FilterEnv, value: unknown, args: unknown[], kwargs: Map<string, unknown>): unknown {
  const [seq] = bind('do_last', [['seq', REQUIRED]], value, args, kwargs);
  let items: readonly unknown[];
  if (Array.isArray(seq)) items = seq;
  else if (typeof seq === 'string') items = codePoints(seq);
  else if (seq instanceof Markup) items = codePoints(seq.value).map((c) => new Markup(c));
  else if (isDict(seq) || seq instanceof PyRange || seq instanceof DictView || seq instanceof Undefined)
    items = Array.from(iterate(seq));
  else throw new PyError('TypeError', `'${typeName(seq)}' object is not reversible`);
  if (items.length === 0) return new Undefined('', 'No last item, sequence was empty.');
  return items[items.length - 1];
}

function doList(_env: FilterEnv, value: unknown, args: unknown[], kwargs: Map<string, unknown>): unknown {
  const [v] = bind('sync_do_list', [P_VALUE], value, args, kwargs);
  return Array.from(iterate(v));
}

function* mapGen(env: FilterEnv, value: unknown, args: unknown[], kwargs: Map<string, unknown>): Generator<unknown> {
  if (!truthy(value)) return;
  let func: (item: unknown) => unknown;
  if (args.length === 0 && kwargs.has('attribute')) {
    const rest = new Map(kwargs);
    const attribute = rest.get('attribute');
    rest.delete('attribute');
    const dflt = rest.has('default') ? rest.get('default') : null;
    rest.delete('default');
    if (rest.size > 0) throw filterArgumentError(`Unexpected keyword argument ${strRepr(rest.keys().next().value!)}`);
    func = makeAttrGetter(attribute, false, dflt);
  } else {
    if (args.length === 0) throw filterArgumentError('map requires a filter argument');
    const name = args[0];
    const rest = args.slice(1);
    func = (item) => callFilter(env, name, item, rest, kwargs);
  }
  for (const item of iterate(value)) yield func(item);
}

function callFilter(env: FilterEnv, name: unknown, value: unknown, args: unknown[], kwargs: Map<string, unknown>): unknown {
  const f = typeof name === 'string' ? env.filter(name) : undefined;
  if (f === undefined) throw new PyError('TemplateRuntimeError', `No filter named ${pyRepr(name)}.`);
  return f(env, value, args, kwargs);
}

function callTest(env: FilterEnv, name: unknown, value: unknown, args: unknown[], kwargs: Map<string, unknown>): boolean {
  const t = typeof name === 'string' ? env.test(name) : undefined;
  if (t === undefined) throw new PyError('TemplateRuntimeError', `No test named ${pyRepr(name)}.`);
  if (kwargs.size > 0)
    throw new PyError('TypeError', `test_${String(name)}() got an unexpected keyword argument '${kwargs.keys().next().value!}'`);
  return t(env, value, args);
}

function doMap(env: FilterEnv, value: unknown, args: unknown[], kwargs: Map<string, unknown>): unknown {
  return mapGen(env, value, args, kwargs);
}

function minOrMax(fname: string, op: '<' | '>'): FilterFn {
  return (_env, value, args, kwargs) => {
    const [v, caseSensitive, attribute] = bind(
      fname,
      [P_VALUE, ['case_sensitive', false], ['attribute', null]],
      value,
      args,
      kwargs,
    );
    const it = iterate(v)[Symbol.iterator]();
    const first = it.next();
    if (first.done) return new Undefined('', 'No aggregated item, sequence was empty.');
    const key = makeAttrGetter(attribute, !truthy(caseSensitive));
    let best = first.value;
    let bestKey = key(best);
    for (let r = it.next(); !r.done; r = it.next()) {
      const k = key(r.value);
      if (compare(op, k, bestKey)) {
        best = r.value;
        bestKey = k;
      }
    }
    return best;
  };
}

function doPprint(_env: FilterEnv, value: unknown, args: unknown[], kwargs: Map<string, unknown>): unknown {
  const [v] = bind('do_pprint', [P_VALUE], value, args, kwargs);
  return pformat(v);
}

function doRandom(_env: FilterEnv, value: unknown, args: unknown[], kwargs: Map<string, unknown>): unknown {
  const [seq] = bind('do_random', [['seq', REQUIRED]], value, args, kwargs);
  const n = len(seq);
  if (n === 0) return new Undefined('', 'No random item, sequence was empty.');
  const i = Math.floor(Math.random() * n);
  if (isStr(seq)) return codePoints(rawStr(seq))[i];
  if (Array.isArray(seq)) return seq[i];
  if (seq instanceof PyRange) return seq.at(i);
  return getItem(seq, i);
}

function* selectGen(
  env: FilterEnv,
  value: unknown,
  args: unknown[],
  kwargs: Map<string, unknown>,
  negate: boolean,
  lookupAttr: boolean,
): Generator<unknown> {
  if (!truthy(value)) return;
  let trans: Getter | null = null;
  let off = 0;
  if (lookupAttr) {
    if (args.length === 0) throw filterArgumentError('Missing parameter for attribute name');
    trans = makeAttrGetter(args[0], false);
    off = 1;
  }
  let func: (item: unknown) => boolean;
  if (args.length > off) {
    const name = args[off];
    const rest = args.slice(off + 1);
    func = (item) => callTest(env, name, item, rest, kwargs);
  } else func = truthy;
  for (const item of iterate(value)) {
    const r = func(trans ? trans(item) : item);
    if (r !== negate) yield item;
  }
}

function doReplace(_env: FilterEnv, value: unknown, args: unknown[], kwargs: Map<string, unknown>): unknown {
  const [s, old, nw, count] = bind('do_replace', [P_S, ['old', REQUIRED], ['new', REQUIRED], ['count', null]], value, args, kwargs);
  let n = count === null || count === undefined ? -1 : intArg(count);
  const str = sstr(s);
  const o = sstr(old);
  const w = sstr(nw);
  if (n < 0) {
    if (o === '') return codePoints(str).length === str.length ? w + str.split('').join(w) + w : w + codePoints(str).join(w) + w;
    return str.split(o).join(w);
  }
  if (n === 0) return str;
  if (o === '') {
    const cps = codePoints(str);
    let out = '';
    for (let i = 0; i <= cps.length; i++) {
      if (n > 0) {
        out += w;
        n--;
      }
      if (i < cps.length) out += cps[i];
    }
    return out;
  }
  let out = '';
  let pos = 0;
  while (n > 0) {
    const i = str.indexOf(o, pos);
    if (i < 0) break;
    out += str.slice(pos, i) + w;
    pos = i + o.length;
    n--;
  }
  return out + str.slice(pos);
}

function* reversedGen(items: readonly unknown[]): Generator<unknown> {
  for (let i = items.length - 1; i >= 0; i--) yield items[i];
}

function doReverse(_env: FilterEnv, value: unknown, args: unknown[], kwargs: Map<string, unknown>): unknown {
  const [v] = bind('do_reverse', [P_VALUE], value, args, kwargs);
  if (typeof v === 'string') return codePoints(v).reverse().join('');
  if (v instanceof Markup) return new Markup(codePoints(v.value).reverse().join(''));
  if (Array.isArray(v)) return reversedGen(v);
  if (isDict(v) || v instanceof PyRange || v instanceof DictView || v instanceof Undefined)
    return reversedGen(Array.from(iterate(v)));
  try {
    return Array.from(iterate(v)).reverse();
  } catch (e) {
    if (e instanceof PyError && e.type === 'TypeError') throw filterArgumentError('argument must be iterable');
    throw e;
  }
}

function doRound(_env: FilterEnv, value: unknown, args: unknown[], kwargs: Map<string, unknown>): unknown {
  const [v, precision, method] = bind(
    'do_round',
    [P_VALUE, ['precision', 0], ['method', 'common']],
    value,
    args,
    kwargs,
  );
  if (method !== 'common' && method !== 'ceil' && method !== 'floor')
    throw filterArgumentError('method must be common, ceil or floor');
  if (method === 'common') {
    const p = intArg(precision);
    if (isIntValue(v)) return roundInt(v, p);
    if (typeof v === 'boolean') return roundInt(v ? 1 : 0, p);
    const f = numberOrUndef(v);
    if (f === undefined) throw new PyError('TypeError', `type ${typeName(v)} doesn't define __round__ method`);
    return new PyFloat(roundFloat(f, p));
  }
  let scale: number | PyFloat;
  if (isIntValue(precision) || typeof precision === 'boolean') {
    const p = precision === true ? 1 : precision === false ? 0 : (precision as number);
    scale = p >= 0 ? 10 ** p : new PyFloat(10 ** p);
  } else {
    const pf = precision instanceof PyFloat ? precision.value : typeof precision === 'number' ? precision : undefined;
    if (pf === undefined)
      throw new PyError('TypeError', `unsupported operand type(s) for ** or pow(): 'int' and '${typeName(precision)}'`);
    scale = new PyFloat(10 ** pf);
  }
  const prod = mul(v, scale);
  const pn = numberOrUndef(prod);
  if (pn === undefined || typeof prod === 'boolean')
    throw new PyError('TypeError', `must be real number, not ${typeName(prod)}`);
  const r = (method === 'ceil' ? Math.ceil(pn) : Math.floor(pn)) + 0; // an int: no -0
  if (isFloatValue(prod)) truncFloat(pn); // inf / nan raise as math.ceil does
  return new PyFloat(r / numberOrUndef(scale)!);
}

function doSafe(_env: FilterEnv, value: unknown, args: unknown[], kwargs: Map<string, unknown>): unknown {
  const [v] = bind('do_mark_safe', [P_VALUE], value, args, kwargs);
  return v instanceof Markup ? v : new Markup(sstr(v));
}

function* sliceGen(value: unknown, slices: unknown, fill: unknown): Generator<unknown[]> {
  const seq = Array.from(iterate(value));
  const length = seq.length;
  const n = intArg(slices);
  if (n === 0) throw new PyError('ZeroDivisionError', 'integer division or modulo by zero');
  const itemsPer = Math.floor(length / n);
  const withExtra = ((length % n) + n) % n;
  let offset = 0;
  for (let i = 0; i < n; i++) {
    const start = offset + i * itemsPer;
    if (i < withExtra) offset += 1;
    const end = offset + (i + 1) * itemsPer;
    const tmp = seq.slice(start, end);
    if (fill !== null && fill !== undefined && i >= withExtra) tmp.push(fill);
    yield tmp;
  }
}

function doSlice(_env: FilterEnv, value: unknown, args: unknown[], kwargs: Map<string, unknown>): unknown {
  const [v, slices, fill] = bind('sync_do_slice', [P_VALUE, ['slices', REQUIRED], ['fill_with', null]], value, args, kwargs);
  return sliceGen(v, slices, fill);
}

function doSort(_env: FilterEnv, value: unknown, args: unknown[], kwargs: Map<string, unknown>): unknown {
  const [v, reverse, caseSensitive, attribute] = bind(
    'do_sort',
    [P_VALUE, ['reverse', false], ['case_sensitive', false], ['attribute', null]],
    value,
    args,
    kwargs,
  );
  const key = makeMultiAttrGetter(attribute, !truthy(caseSensitive));
  return pySorted(iterate(v), key, truthy(reverse));
}

function doString(_env: FilterEnv, value: unknown, args: unknown[], kwargs: Map<string, unknown>): unknown {
  oneArg('soft_str', args, kwargs);
  return softStr(value);
}

function doStriptags(_env: FilterEnv, value: unknown, args: unknown[], kwargs: Map<string, unknown>): unknown {
  const [v] = bind('do_striptags', [P_VALUE], value, args, kwargs);
  return stripTags(v instanceof Markup ? v.value : sstr(v));
}

function doSum(_env: FilterEnv, value: unknown, args: unknown[], kwargs: Map<string, unknown>): unknown {
  const [iterable, attribute, start] = bind(
    'sync_do_sum',
    [['iterable', REQUIRED], ['attribute', null], ['start', 0]],
    value,
    args,
    kwargs,
  );
  if (isStr(start)) throw new PyError('TypeError', "sum() can't sum strings [use ''.join(seq) instead]");
  const get = attribute === null || attribute === undefined ? null : makeAttrGetter(attribute, false);
  let acc = start;
  for (const x of iterate(iterable)) acc = add(acc, get ? get(x) : x);
  return acc;
}

const WORD_BEGIN_SPLIT = /([-\s({[<]+)/u;

function doTitle(_env: FilterEnv, value: unknown, args: unknown[], kwargs: Map<string, unknown>): unknown {
  const [s] = bind('do_title', [P_S], value, args, kwargs);
  const ss = softStr(s);
  const parts = rawStr(ss).split(WORD_BEGIN_SPLIT);
  let out = '';
  for (const item of parts) {
    if (!item) continue;
    const first = String.fromCodePoint(item.codePointAt(0)!);
    out += pyUpper(first) + pyLower(item.slice(first.length));
  }
  return out;
}

function doTojson(_env: FilterEnv, value: unknown, args: unknown[], kwargs: Map<string, unknown>): unknown {
  const [v, indent] = bind('do_tojson', [P_VALUE, ['indent', null]], value, args, kwargs);
  let ind: string | null = null;
  if (indent !== null && indent !== undefined) {
    if (typeof indent === 'string') ind = indent;
    else ind = ' '.repeat(Math.max(0, intArg(indent)));
  }
  const s = jsonDumps(v, ind);
  return new Markup(s.replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/'/g, '\\u0027'));
}

function doTrim(_env: FilterEnv, value: unknown, args: unknown[], kwargs: Map<string, unknown>): unknown {
  const [v, chars] = bind('do_trim', [P_VALUE, ['chars', null]], value, args, kwargs);
  const ss = softStr(v);
  const s = rawStr(ss);
  if (chars === null || chars === undefined) return like(ss, pyStrip(s));
  if (!isStr(chars)) throw new PyError('TypeError', 'strip arg must be None or str');
  const set = new Set(codePoints(rawStr(chars)));
  const cps = codePoints(s);
  let a = 0;
  let b = cps.length;
  while (a < b && set.has(cps[a]!)) a++;
  while (b > a && set.has(cps[b - 1]!)) b--;
  return like(ss, cps.slice(a, b).join(''));
}

function doTruncate(_env: FilterEnv, value: unknown, args: unknown[], kwargs: Map<string, unknown>): unknown {
  const [s, length, killwords, end, leeway] = bind(
    'do_truncate',
    [P_S, ['length', 255], ['killwords', false], ['end', '...'], ['leeway', null]],
    value,
    args,
    kwargs,
  );
  const lw = leeway === null || leeway === undefined ? 5 : leeway;
  const endLen = len(end);
  if (!compare('>=', length, endLen)) throw new PyError('AssertionError', `expected length >= ${endLen}, got ${pyStr(length)}`);
  if (!compare('>=', lw, 0)) throw new PyError('AssertionError', `expected leeway >= 0, got ${pyStr(lw)}`);
  if (compare('<=', len(s), add(length, lw))) return s;
  if (!isStr(s)) throw new PyError('TypeError', `unsupported operand type(s) for +: '${typeName(s)}' and '${typeName(end)}'`);
  const str = rawStr(s);
  const n = intArg(length) - endLen;
  const endStr = sstr(end);
  const head = n >= 0 ? cpSlice(str, 0, n) : cpSlice(str, 0, Math.max(0, cpLen(str) + n));
  if (truthy(killwords)) return head + endStr;
  const i = head.lastIndexOf(' ');
  return (i < 0 ? head : head.slice(0, i)) + endStr;
}

function* uniqueGen(value: unknown, caseSensitive: unknown, attribute: unknown): Generator<unknown> {
  const getter = makeAttrGetter(attribute, !truthy(caseSensitive));
  const seen = new Set<unknown>();
  let undefSeen = false;
  for (const item of iterate(value)) {
    const key = getter(item);
    if (key instanceof Undefined) {
      if (undefSeen) continue;
      undefSeen = true;
      yield item;
      continue;
    }
    const k = toPyKey(key);
    if (!seen.has(k)) {
      seen.add(k);
      yield item;
    }
  }
}

function doUnique(_env: FilterEnv, value: unknown, args: unknown[], kwargs: Map<string, unknown>): unknown {
  const [v, caseSensitive, attribute] = bind(
    'sync_do_unique',
    [P_VALUE, ['case_sensitive', false], ['attribute', null]],
    value,
    args,
    kwargs,
  );
  return uniqueGen(v, caseSensitive, attribute);
}

function doUrlencode(_env: FilterEnv, value: unknown, args: unknown[], kwargs: Map<string, unknown>): unknown {
  const [v] = bind('do_urlencode', [P_VALUE], value, args, kwargs);
  if (isStr(v)) return urlQuote(rawStr(v), false);
  let items: Iterable<unknown>;
  if (isDict(v)) items = dictItems(v);
  else {
    try {
      items = iterate(v);
    } catch (e) {
      if (e instanceof PyError && e.type === 'TypeError') return urlQuote(v, false);
      throw e;
    }
  }
  const parts: string[] = [];
  for (const item of items) {
    const pair = Array.from(iterate(item));
    if (pair.length !== 2)
      throw new PyError(
        'ValueError',
        pair.length > 2 ? 'too many values to unpack (expected 2)' : `not enough values to unpack (expected 2, got ${pair.length})`,
      );
    parts.push(`${urlQuote(pair[0], true)}=${urlQuote(pair[1], true)}`);
  }
  return parts.join('&');
}

function doUrlize(_env: FilterEnv, value: unknown, args: unknown[], kwargs: Map<string, unknown>): unknown {
  const [v, trimUrlLimit, nofollow, target, rel, extraSchemes] = bind(
    'do_urlize',
    [P_VALUE, ['trim_url_limit', null], ['nofollow', false], ['target', null], ['rel', null], ['extra_schemes', null]],
    value,
    args,
    kwargs,
  );
  const relParts = new Set(pySplitWs(sstr(truthy(rel) ? rel : '')));
  if (truthy(nofollow)) relParts.add('nofollow');
  relParts.add('noopener');
  const relStr = [...relParts].sort().join(' ') || null;
  let schemes: string[] | null = null;
  if (extraSchemes !== null && extraSchemes !== undefined) {
    schemes = Array.from(iterate(extraSchemes)).map((x) => {
      if (!isStr(x) || !URI_SCHEME_RE.test(rawStr(x))) throw filterArgumentError(`${pyRepr(x)} is not a valid URI scheme prefix.`);
      return rawStr(x);
    });
  }
  const limit = trimUrlLimit === null || trimUrlLimit === undefined ? null : intArg(trimUrlLimit);
  const tgt = target === null || target === undefined ? null : sstr(target);
  return urlize(v, limit, relStr, truthy(tgt) ? tgt : null, schemes);
}

const WORD_RE = /[\p{L}\p{N}_]+/gu;

function doWordcount(_env: FilterEnv, value: unknown, args: unknown[], kwargs: Map<string, unknown>): unknown {
  const [s] = bind('do_wordcount', [P_S], value, args, kwargs);
  const m = sstr(s).match(WORD_RE);
  return m ? m.length : 0;
}

function doWordwrap(_env: FilterEnv, value: unknown, args: unknown[], kwargs: Map<string, unknown>): unknown {
  const [s, width, breakLongWords, wrapstring, breakOnHyphens] = bind(
    'do_wordwrap',
    [P_S, ['width', 79], ['break_long_words', true], ['wrapstring', null], ['break_on_hyphens', true]],
    value,
    args,
    kwargs,
  );
  const wrap = wrapstring === null || wrapstring === undefined ? '\n' : sstr(wrapstring);
  if (s instanceof Undefined) throw undefinedError(s);
  if (!isStr(s)) throw new PyError('AttributeError', `'${typeName(s)}' object has no attribute 'splitlines'`);
  const w = intArg(width);
  return pySplitlines(rawStr(s))
    .map((line) => textwrap(line, w, truthy(breakLongWords), truthy(breakOnHyphens)).join(wrap))
    .join(wrap);
}

const ATTR_KEY_RE = /[\t\n\v\f\r\x1c-\x1f /=>]/;

function doXmlattr(_env: FilterEnv, value: unknown, args: unknown[], kwargs: Map<string, unknown>): unknown {
  const [d, autospace] = bind('do_xmlattr', [['d', REQUIRED], ['autospace', true]], value, args, kwargs);
  const items: string[] = [];
  for (const [key, v] of dictItems(d)) {
    if (v === null || v === undefined || v instanceof Undefined) continue;
    if (typeof key !== 'string') {
      if (!isStr(key)) throw new PyError('TypeError', `expected string or bytes-like object, got '${typeName(key)}'`);
    }
    const ks = rawStr(key as string | Markup);
    if (ATTR_KEY_RE.test(ks)) throw new PyError('ValueError', `Invalid character in attribute name: ${pyRepr(key)}`);
    items.push(`${escape(key).value}="${escape(v).value}"`);
  }
  let rv = items.join(' ');
  if (truthy(autospace) && rv) rv = ' ' + rv;
  return rv;
}

// dbt's text-mode filters (dbt_common.clients.jinja.TEXT_FILTERS): identity, and is_list.
function identityFilter(fname: string): FilterFn {
  return (_env, value, args, kwargs) => {
    if (kwargs.size > 0) throw new PyError('TypeError', `<lambda>() got an unexpected keyword argument '${kwargs.keys().next().value!}'`);
    if (args.length > 0) throw new PyError('TypeError', `<lambda>() takes 1 positional argument but ${args.length + 1} were given`);
    void fname;
    return value;
  };
}

function doIsList(_env: FilterEnv, value: unknown, args: unknown[], kwargs: Map<string, unknown>): unknown {
  const [v] = bind('is_list', [P_VALUE], value, args, kwargs);
  return Array.isArray(v) && !isTuple(v);
}

export const FILTERS: Record<string, FilterFn> = {
  abs: doAbs,
  attr: doAttr,
  batch: doBatch,
  capitalize: strFilter('do_capitalize', pyCapitalize),
  center: doCenter,
  count: doLength,
  d: doDefault,
  default: doDefault,
  dictsort: doDictsort,
  e: doEscape,
  escape: doEscape,
  filesizeformat: doFilesizeformat,
  first: doFirst,
  float: doFloat,
  forceescape: doForceescape,
  format: doFormat,
  groupby: doGroupby,
  indent: doIndent,
  int: doInt,
  items: doItems,
  join: doJoin,
  last: doLast,
  length: doLength,
  list: doList,
  lower: strFilter('do_lower', pyLower),
  map: doMap,
  max: minOrMax('do_max', '>'),
  min: minOrMax('do_min', '<'),
  pprint: doPprint,
  random: doRandom,
  reject: (env, value, args, kwargs) => selectGen(env, value, args, kwargs, true, false),
  rejectattr: (env, value, args, kwargs) => selectGen(env, value, args, kwargs, true, true),
  replace: doReplace,
  reverse: doReverse,
  round: doRound,
  safe: doSafe,
  select: (env, value, args, kwargs) => selectGen(env, value, args, kwargs, false, false),
  selectattr: (env, value, args, kwargs) => selectGen(env, value, args, kwargs, false, true),
  slice: doSlice,
  sort: doSort,
  string: doString,
  striptags: doStriptags,
  sum: doSum,
  title: doTitle,
  tojson: doTojson,
  trim: doTrim,
  truncate: doTruncate,
  unique: doUnique,
  upper: strFilter('do_upper', pyUpper),
  urlencode: doUrlencode,
  urlize: doUrlize,
  wordcount: doWordcount,
  wordwrap: doWordwrap,
  xmlattr: doXmlattr,
  // dbt (text rendering mode)
  as_text: identityFilter('as_text'),
  as_bool: identityFilter('as_bool'),
  as_native: identityFilter('as_native'),
  as_number: identityFilter('as_number'),
  is_list: doIsList,
};

// Helpers other modules of the evaluator may want (json.dumps, pprint.pformat, '%.Nf', round()).
export { jsonDumps, pformat, formatFixed, roundFloat, parsePyFloat, parsePyInt, NO_KWARGS };
