/**
 * jinja2 3.1's built-in filters, as dbt-core 1.10 configures them (a SandboxedEnvironment,
 * autoescape off), plus dbt's text-mode filters (as_text, as_bool, as_number, as_native, is_list).
 *
 * Each filter binds its arguments by the Python signature of the jinja2 function it stands for
 * and behaves as that function does on tx's value model (see values.ts), Python exceptions
 * included (PyError with the exception's type name). Inside filters, str() of an Undefined is ''
 * as in jinja2; whether printing an Undefined is an error is the evaluator's business.
 * map/select/reject/selectattr/rejectattr/unique/batch/slice/items/reverse return lazy JS
 * generators (errors surface when they run, as in Python).
 *
 * filters.test.ts checks all of this against Python's jinja2 case by case. Known differences:
 *   - random uses Math.random (Python's Mersenne Twister is not reproduced);
 *   - sum adds floats one by one as CPython 3.11 does (3.12+ uses a compensated sum);
 *   - upper/lower/title use JS's Unicode case mapping (Node's Unicode version, not Python's);
 *   - sameas is JS identity (=== for str and numbers), where CPython's `is` depends on caching;
 *   - unique/groupby keys that are bound methods or host objects compare by identity;
 *   - attr on a plain host object: an own function is an attribute, other own properties are
 *     dict items (as for a dict); on other host objects it is py.ts's getAttr.
 */

import {
  Kwargs,
  Markup,
  PyError,
  PyFloat,
  Undefined,
  isPlainObject,
  isTuple,
  makeTuple,
} from './values.js';
import { PyBytes } from './py-bytes.js';
import { normInt } from './py-bigint.js';
import { NotImplemented, unaryDunder } from '../context/dunder.js';
import {
  DictView,
  PyRange,
  add,
  checkHashable,
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
  pyIndex,
  pyMethod,
  pyRepr,
  pyStr,
  sliceOf,
  strRepr,
  sub,
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
  return new PyError(u.exc, u.hint);
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
  // (an Undefined has no __index__ either: TypeError, not UndefinedError)
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

// Letters whose title case is not "the upper case, all but its first letter lowered" (Python
// 3.11's Unicode data): digraphs, Greek with ypogegrammeni, Georgian Mkhedruli (its own title).
const TITLE_EXCEPTIONS =
  '149:2bc.4e,1c4:1c5,1c5:1c5,1c6:1c5,1c7:1c8,1c8:1c8,1c9:1c8,1ca:1cb,1cb:1cb,1cc:1cb,1f1:1f2,1f2:1f2,' +
  '1f3:1f2,10d0:10d0,10d1:10d1,10d2:10d2,10d3:10d3,10d4:10d4,10d5:10d5,10d6:10d6,10d7:10d7,10d8:10d8,' +
  '10d9:10d9,10da:10da,10db:10db,10dc:10dc,10dd:10dd,10de:10de,10df:10df,10e0:10e0,10e1:10e1,10e2:10e2,' +
  '10e3:10e3,10e4:10e4,10e5:10e5,10e6:10e6,10e7:10e7,10e8:10e8,10e9:10e9,10ea:10ea,10eb:10eb,10ec:10ec,' +
  '10ed:10ed,10ee:10ee,10ef:10ef,10f0:10f0,10f1:10f1,10f2:10f2,10f3:10f3,10f4:10f4,10f5:10f5,10f6:10f6,' +
  '10f7:10f7,10f8:10f8,10f9:10f9,10fa:10fa,10fd:10fd,10fe:10fe,10ff:10ff,1f80:1f88,1f81:1f89,1f82:1f8a,' +
  '1f83:1f8b,1f84:1f8c,1f85:1f8d,1f86:1f8e,1f87:1f8f,1f88:1f88,1f89:1f89,1f8a:1f8a,1f8b:1f8b,1f8c:1f8c,' +
  '1f8d:1f8d,1f8e:1f8e,1f8f:1f8f,1f90:1f98,1f91:1f99,1f92:1f9a,1f93:1f9b,1f94:1f9c,1f95:1f9d,1f96:1f9e,' +
  '1f97:1f9f,1f98:1f98,1f99:1f99,1f9a:1f9a,1f9b:1f9b,1f9c:1f9c,1f9d:1f9d,1f9e:1f9e,1f9f:1f9f,1fa0:1fa8,' +
  '1fa1:1fa9,1fa2:1faa,1fa3:1fab,1fa4:1fac,1fa5:1fad,1fa6:1fae,1fa7:1faf,1fa8:1fa8,1fa9:1fa9,1faa:1faa,' +
  '1fab:1fab,1fac:1fac,1fad:1fad,1fae:1fae,1faf:1faf,1fb2:1fba.345,1fb3:1fbc,1fb4:386.345,' +
  '1fb7:391.342.345,1fbc:1fbc,1fc2:1fca.345,1fc3:1fcc,1fc4:389.345,1fc7:397.342.345,1fcc:1fcc,' +
  '1ff2:1ffa.345,1ff3:1ffc,1ff4:38f.345,1ff7:3a9.342.345,1ffc:1ffc';
let titleTable: Map<string, string> | null = null;

/** The title case of one code point (str.capitalize() title-cases its first character). */
function titleFirst(ch: string): string {
  if (ch.charCodeAt(0) < 0x80) return ch.toUpperCase();
  if (!titleTable) {
    titleTable = new Map();
    for (const item of TITLE_EXCEPTIONS.split(',')) {
      const [cp, to] = item.split(':') as [string, string];
      titleTable.set(String.fromCodePoint(parseInt(cp, 16)), String.fromCodePoint(...to.split('.').map((h) => parseInt(h, 16))));
    }
  }
  const hit = titleTable.get(ch);
  if (hit !== undefined) return hit;
  const up = ch.toUpperCase();
  const first = String.fromCodePoint(up.codePointAt(0)!);
  return first.length === up.length ? up : first + up.slice(first.length).toLowerCase();
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
  if (typeof x === 'bigint') {
    const f = Number(x);
    if (!Number.isFinite(f)) throw new PyError('OverflowError', 'int too large to convert to float');
    return f;
  }
  // float(b'1.5') reads the bytes as ASCII text
  if (x instanceof PyBytes) {
    try {
      if (x.data.some((c) => c > 127)) throw new PyError('ValueError', '');
      return parsePyFloat(String.fromCharCode(...x.data));
    } catch (e) {
      if (e instanceof PyError && e.type === 'ValueError') throw new PyError('ValueError', `could not convert string to float: ${pyRepr(x)}`);
      throw e;
    }
  }
  throw new PyError('TypeError', `float() argument must be a string or a real number, not '${typeName(x)}'`);
}

const DIGITS = '0123456789abcdefghijklmnopqrstuvwxyz';

/** Python's int(str, base). */
function parsePyInt(str: string, base: number): number | bigint {
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
  // exact: a number to 2**53, a big int beyond ('ff…' | int(0, 16) of an md5)
  return normInt(neg ? -big : big);
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

/** Python's round(x) with no ndigits: an int, ties to even. */
function roundToInt(v: unknown): number {
  if (isIntValue(v)) return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  const f = numberOrUndef(v);
  if (f === undefined) throw new PyError('TypeError', `type ${typeName(v)} doesn't define __round__ method`);
  if (f !== f) throw new PyError('ValueError', 'cannot convert float NaN to integer');
  if (!Number.isFinite(f)) throw new PyError('OverflowError', 'cannot convert float infinity to integer');
  const r = roundFloat(f, 0);
  return r === 0 ? 0 : r;
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

// HTML5's named character references (html.entities.html5): name:hex code points, comma-separated.
const HTML5_ENTITIES =
  'Aacute:c1,aacute:e1,Abreve:102,abreve:103,ac:223e,acd:223f,acE:223e.333,Acirc:c2,acirc:e2,acute:b4,Acy:410,' +
  'acy:430,AElig:c6,aelig:e6,af:2061,Afr:1d504,afr:1d51e,Agrave:c0,agrave:e0,alefsym:2135,aleph:2135,Alpha:391,' +
  'alpha:3b1,Amacr:100,amacr:101,amalg:2a3f,AMP:26,amp:26,And:2a53,and:2227,andand:2a55,andd:2a5c,' +
  'andslope:2a58,andv:2a5a,ang:2220,ange:29a4,angle:2220,angmsd:2221,angmsdaa:29a8,angmsdab:29a9,angmsdac:29aa,' +
  'angmsdad:29ab,angmsdae:29ac,angmsdaf:29ad,angmsdag:29ae,angmsdah:29af,angrt:221f,angrtvb:22be,angrtvbd:299d,' +
  'angsph:2222,angst:c5,angzarr:237c,Aogon:104,aogon:105,Aopf:1d538,aopf:1d552,ap:2248,apacir:2a6f,apE:2a70,' +
  'ape:224a,apid:224b,apos:27,ApplyFunction:2061,approx:2248,approxeq:224a,Aring:c5,aring:e5,Ascr:1d49c,' +
  'ascr:1d4b6,Assign:2254,ast:2a,asymp:2248,asympeq:224d,Atilde:c3,atilde:e3,Auml:c4,auml:e4,awconint:2233,' +
  'awint:2a11,backcong:224c,backepsilon:3f6,backprime:2035,backsim:223d,backsimeq:22cd,Backslash:2216,' +
  'Barv:2ae7,barvee:22bd,Barwed:2306,barwed:2305,barwedge:2305,bbrk:23b5,bbrktbrk:23b6,bcong:224c,Bcy:411,' +
  'bcy:431,bdquo:201e,becaus:2235,Because:2235,because:2235,bemptyv:29b0,bepsi:3f6,bernou:212c,Bernoullis:212c,' +
  'Beta:392,beta:3b2,beth:2136,between:226c,Bfr:1d505,bfr:1d51f,bigcap:22c2,bigcirc:25ef,bigcup:22c3,' +
  'bigodot:2a00,bigoplus:2a01,bigotimes:2a02,bigsqcup:2a06,bigstar:2605,bigtriangledown:25bd,' +
  'bigtriangleup:25b3,biguplus:2a04,bigvee:22c1,bigwedge:22c0,bkarow:290d,blacklozenge:29eb,blacksquare:25aa,' +
  'blacktriangle:25b4,blacktriangledown:25be,blacktriangleleft:25c2,blacktriangleright:25b8,blank:2423,' +
  'blk12:2592,blk14:2591,blk34:2593,block:2588,bne:3d.20e5,bnequiv:2261.20e5,bNot:2aed,bnot:2310,Bopf:1d539,' +
  'bopf:1d553,bot:22a5,bottom:22a5,bowtie:22c8,boxbox:29c9,boxDL:2557,boxDl:2556,boxdL:2555,boxdl:2510,' +
  'boxDR:2554,boxDr:2553,boxdR:2552,boxdr:250c,boxH:2550,boxh:2500,boxHD:2566,boxHd:2564,boxhD:2565,boxhd:252c,' +
  'boxHU:2569,boxHu:2567,boxhU:2568,boxhu:2534,boxminus:229f,boxplus:229e,boxtimes:22a0,boxUL:255d,boxUl:255c,' +
  'boxuL:255b,boxul:2518,boxUR:255a,boxUr:2559,boxuR:2558,boxur:2514,boxV:2551,boxv:2502,boxVH:256c,boxVh:256b,' +
  'boxvH:256a,boxvh:253c,boxVL:2563,boxVl:2562,boxvL:2561,boxvl:2524,boxVR:2560,boxVr:255f,boxvR:255e,' +
  'boxvr:251c,bprime:2035,Breve:2d8,breve:2d8,brvbar:a6,Bscr:212c,bscr:1d4b7,bsemi:204f,bsim:223d,bsime:22cd,' +
  'bsol:5c,bsolb:29c5,bsolhsub:27c8,bull:2022,bullet:2022,bump:224e,bumpE:2aae,bumpe:224f,Bumpeq:224e,' +
  'bumpeq:224f,Cacute:106,cacute:107,Cap:22d2,cap:2229,capand:2a44,capbrcup:2a49,capcap:2a4b,capcup:2a47,' +
  'capdot:2a40,CapitalDifferentialD:2145,caps:2229.fe00,caret:2041,caron:2c7,Cayleys:212d,ccaps:2a4d,' +
  'Ccaron:10c,ccaron:10d,Ccedil:c7,ccedil:e7,Ccirc:108,ccirc:109,Cconint:2230,ccups:2a4c,ccupssm:2a50,Cdot:10a,' +
  'cdot:10b,cedil:b8,Cedilla:b8,cemptyv:29b2,cent:a2,CenterDot:b7,centerdot:b7,Cfr:212d,cfr:1d520,CHcy:427,' +
  'chcy:447,check:2713,checkmark:2713,Chi:3a7,chi:3c7,cir:25cb,circ:2c6,circeq:2257,circlearrowleft:21ba,' +
  'circlearrowright:21bb,circledast:229b,circledcirc:229a,circleddash:229d,CircleDot:2299,circledR:ae,' +
  'circledS:24c8,CircleMinus:2296,CirclePlus:2295,CircleTimes:2297,cirE:29c3,cire:2257,cirfnint:2a10,' +
  'cirmid:2aef,cirscir:29c2,ClockwiseContourIntegral:2232,CloseCurlyDoubleQuote:201d,CloseCurlyQuote:2019,' +
  'clubs:2663,clubsuit:2663,Colon:2237,colon:3a,Colone:2a74,colone:2254,coloneq:2254,comma:2c,commat:40,' +
  'comp:2201,compfn:2218,complement:2201,complexes:2102,cong:2245,congdot:2a6d,Congruent:2261,Conint:222f,' +
  'conint:222e,ContourIntegral:222e,Copf:2102,copf:1d554,coprod:2210,Coproduct:2210,COPY:a9,copy:a9,' +
  'copysr:2117,CounterClockwiseContourIntegral:2233,crarr:21b5,Cross:2a2f,cross:2717,Cscr:1d49e,cscr:1d4b8,' +
  'csub:2acf,csube:2ad1,csup:2ad0,csupe:2ad2,ctdot:22ef,cudarrl:2938,cudarrr:2935,cuepr:22de,cuesc:22df,' +
  'cularr:21b6,cularrp:293d,Cup:22d3,cup:222a,cupbrcap:2a48,CupCap:224d,cupcap:2a46,cupcup:2a4a,cupdot:228d,' +
  'cupor:2a45,cups:222a.fe00,curarr:21b7,curarrm:293c,curlyeqprec:22de,curlyeqsucc:22df,curlyvee:22ce,' +
  'curlywedge:22cf,curren:a4,curvearrowleft:21b6,curvearrowright:21b7,cuvee:22ce,cuwed:22cf,cwconint:2232,' +
  'cwint:2231,cylcty:232d,Dagger:2021,dagger:2020,daleth:2138,Darr:21a1,dArr:21d3,darr:2193,dash:2010,' +
  'Dashv:2ae4,dashv:22a3,dbkarow:290f,dblac:2dd,Dcaron:10e,dcaron:10f,Dcy:414,dcy:434,DD:2145,dd:2146,' +
  'ddagger:2021,ddarr:21ca,DDotrahd:2911,ddotseq:2a77,deg:b0,Del:2207,Delta:394,delta:3b4,demptyv:29b1,' +
  'dfisht:297f,Dfr:1d507,dfr:1d521,dHar:2965,dharl:21c3,dharr:21c2,DiacriticalAcute:b4,DiacriticalDot:2d9,' +
  'DiacriticalDoubleAcute:2dd,DiacriticalGrave:60,DiacriticalTilde:2dc,diam:22c4,Diamond:22c4,diamond:22c4,' +
  'diamondsuit:2666,diams:2666,die:a8,DifferentialD:2146,digamma:3dd,disin:22f2,div:f7,divide:f7,' +
  'divideontimes:22c7,divonx:22c7,DJcy:402,djcy:452,dlcorn:231e,dlcrop:230d,dollar:24,Dopf:1d53b,dopf:1d555,' +
  'Dot:a8,dot:2d9,DotDot:20dc,doteq:2250,doteqdot:2251,DotEqual:2250,dotminus:2238,dotplus:2214,dotsquare:22a1,' +
  'doublebarwedge:2306,DoubleContourIntegral:222f,DoubleDot:a8,DoubleDownArrow:21d3,DoubleLeftArrow:21d0,' +
  'DoubleLeftRightArrow:21d4,DoubleLeftTee:2ae4,DoubleLongLeftArrow:27f8,DoubleLongLeftRightArrow:27fa,' +
  'DoubleLongRightArrow:27f9,DoubleRightArrow:21d2,DoubleRightTee:22a8,DoubleUpArrow:21d1,' +
  'DoubleUpDownArrow:21d5,DoubleVerticalBar:2225,DownArrow:2193,Downarrow:21d3,downarrow:2193,' +
  'DownArrowBar:2913,DownArrowUpArrow:21f5,DownBreve:311,downdownarrows:21ca,downharpoonleft:21c3,' +
  'downharpoonright:21c2,DownLeftRightVector:2950,DownLeftTeeVector:295e,DownLeftVector:21bd,' +
  'DownLeftVectorBar:2956,DownRightTeeVector:295f,DownRightVector:21c1,DownRightVectorBar:2957,DownTee:22a4,' +
  'DownTeeArrow:21a7,drbkarow:2910,drcorn:231f,drcrop:230c,Dscr:1d49f,dscr:1d4b9,DScy:405,dscy:455,dsol:29f6,' +
  'Dstrok:110,dstrok:111,dtdot:22f1,dtri:25bf,dtrif:25be,duarr:21f5,duhar:296f,dwangle:29a6,DZcy:40f,dzcy:45f,' +
  'dzigrarr:27ff,Eacute:c9,eacute:e9,easter:2a6e,Ecaron:11a,ecaron:11b,ecir:2256,Ecirc:ca,ecirc:ea,ecolon:2255,' +
  'Ecy:42d,ecy:44d,eDDot:2a77,Edot:116,eDot:2251,edot:117,ee:2147,efDot:2252,Efr:1d508,efr:1d522,eg:2a9a,' +
  'Egrave:c8,egrave:e8,egs:2a96,egsdot:2a98,el:2a99,Element:2208,elinters:23e7,ell:2113,els:2a95,elsdot:2a97,' +
  'Emacr:112,emacr:113,empty:2205,emptyset:2205,EmptySmallSquare:25fb,emptyv:2205,EmptyVerySmallSquare:25ab,' +
  'emsp13:2004,emsp14:2005,emsp:2003,ENG:14a,eng:14b,ensp:2002,Eogon:118,eogon:119,Eopf:1d53c,eopf:1d556,' +
  'epar:22d5,eparsl:29e3,eplus:2a71,epsi:3b5,Epsilon:395,epsilon:3b5,epsiv:3f5,eqcirc:2256,eqcolon:2255,' +
  'eqsim:2242,eqslantgtr:2a96,eqslantless:2a95,Equal:2a75,equals:3d,EqualTilde:2242,equest:225f,' +
  'Equilibrium:21cc,equiv:2261,equivDD:2a78,eqvparsl:29e5,erarr:2971,erDot:2253,Escr:2130,escr:212f,esdot:2250,' +
  'Esim:2a73,esim:2242,Eta:397,eta:3b7,ETH:d0,eth:f0,Euml:cb,euml:eb,euro:20ac,excl:21,exist:2203,Exists:2203,' +
  'expectation:2130,ExponentialE:2147,exponentiale:2147,fallingdotseq:2252,Fcy:424,fcy:444,female:2640,' +
  'ffilig:fb03,fflig:fb00,ffllig:fb04,Ffr:1d509,ffr:1d523,filig:fb01,FilledSmallSquare:25fc,' +
  'FilledVerySmallSquare:25aa,fjlig:66.6a,flat:266d,fllig:fb02,fltns:25b1,fnof:192,Fopf:1d53d,fopf:1d557,' +
  'ForAll:2200,forall:2200,fork:22d4,forkv:2ad9,Fouriertrf:2131,fpartint:2a0d,frac12:bd,frac13:2153,frac14:bc,' +
  'frac15:2155,frac16:2159,frac18:215b,frac23:2154,frac25:2156,frac34:be,frac35:2157,frac38:215c,frac45:2158,' +
  'frac56:215a,frac58:215d,frac78:215e,frasl:2044,frown:2322,Fscr:2131,fscr:1d4bb,gacute:1f5,Gamma:393,' +
  'gamma:3b3,Gammad:3dc,gammad:3dd,gap:2a86,Gbreve:11e,gbreve:11f,Gcedil:122,Gcirc:11c,gcirc:11d,Gcy:413,' +
  'gcy:433,Gdot:120,gdot:121,gE:2267,ge:2265,gEl:2a8c,gel:22db,geq:2265,geqq:2267,geqslant:2a7e,ges:2a7e,' +
  'gescc:2aa9,gesdot:2a80,gesdoto:2a82,gesdotol:2a84,gesl:22db.fe00,gesles:2a94,Gfr:1d50a,gfr:1d524,Gg:22d9,' +
  'gg:226b,ggg:22d9,gimel:2137,GJcy:403,gjcy:453,gl:2277,gla:2aa5,glE:2a92,glj:2aa4,gnap:2a8a,gnapprox:2a8a,' +
  'gnE:2269,gne:2a88,gneq:2a88,gneqq:2269,gnsim:22e7,Gopf:1d53e,gopf:1d558,grave:60,GreaterEqual:2265,' +
  'GreaterEqualLess:22db,GreaterFullEqual:2267,GreaterGreater:2aa2,GreaterLess:2277,GreaterSlantEqual:2a7e,' +
  'GreaterTilde:2273,Gscr:1d4a2,gscr:210a,gsim:2273,gsime:2a8e,gsiml:2a90,GT:3e,Gt:226b,gt:3e,gtcc:2aa7,' +
  'gtcir:2a7a,gtdot:22d7,gtlPar:2995,gtquest:2a7c,gtrapprox:2a86,gtrarr:2978,gtrdot:22d7,gtreqless:22db,' +
  'gtreqqless:2a8c,gtrless:2277,gtrsim:2273,gvertneqq:2269.fe00,gvnE:2269.fe00,Hacek:2c7,hairsp:200a,half:bd,' +
  'hamilt:210b,HARDcy:42a,hardcy:44a,hArr:21d4,harr:2194,harrcir:2948,harrw:21ad,Hat:5e,hbar:210f,Hcirc:124,' +
  'hcirc:125,hearts:2665,heartsuit:2665,hellip:2026,hercon:22b9,Hfr:210c,hfr:1d525,HilbertSpace:210b,' +
  'hksearow:2925,hkswarow:2926,hoarr:21ff,homtht:223b,hookleftarrow:21a9,hookrightarrow:21aa,Hopf:210d,' +
  'hopf:1d559,horbar:2015,HorizontalLine:2500,Hscr:210b,hscr:1d4bd,hslash:210f,Hstrok:126,hstrok:127,' +
  'HumpDownHump:224e,HumpEqual:224f,hybull:2043,hyphen:2010,Iacute:cd,iacute:ed,ic:2063,Icirc:ce,icirc:ee,' +
  'Icy:418,icy:438,Idot:130,IEcy:415,iecy:435,iexcl:a1,iff:21d4,Ifr:2111,ifr:1d526,Igrave:cc,igrave:ec,ii:2148,' +
  'iiiint:2a0c,iiint:222d,iinfin:29dc,iiota:2129,IJlig:132,ijlig:133,Im:2111,Imacr:12a,imacr:12b,image:2111,' +
  'ImaginaryI:2148,imagline:2110,imagpart:2111,imath:131,imof:22b7,imped:1b5,Implies:21d2,in:2208,incare:2105,' +
  'infin:221e,infintie:29dd,inodot:131,Int:222c,int:222b,intcal:22ba,integers:2124,Integral:222b,intercal:22ba,' +
  'Intersection:22c2,intlarhk:2a17,intprod:2a3c,InvisibleComma:2063,InvisibleTimes:2062,IOcy:401,iocy:451,' +
  'Iogon:12e,iogon:12f,Iopf:1d540,iopf:1d55a,Iota:399,iota:3b9,iprod:2a3c,iquest:bf,Iscr:2110,iscr:1d4be,' +
  'isin:2208,isindot:22f5,isinE:22f9,isins:22f4,isinsv:22f3,isinv:2208,it:2062,Itilde:128,itilde:129,Iukcy:406,' +
  'iukcy:456,Iuml:cf,iuml:ef,Jcirc:134,jcirc:135,Jcy:419,jcy:439,Jfr:1d50d,jfr:1d527,jmath:237,Jopf:1d541,' +
  'jopf:1d55b,Jscr:1d4a5,jscr:1d4bf,Jsercy:408,jsercy:458,Jukcy:404,jukcy:454,Kappa:39a,kappa:3ba,kappav:3f0,' +
  'Kcedil:136,kcedil:137,Kcy:41a,kcy:43a,Kfr:1d50e,kfr:1d528,kgreen:138,KHcy:425,khcy:445,KJcy:40c,kjcy:45c,' +
  'Kopf:1d542,kopf:1d55c,Kscr:1d4a6,kscr:1d4c0,lAarr:21da,Lacute:139,lacute:13a,laemptyv:29b4,lagran:2112,' +
  'Lambda:39b,lambda:3bb,Lang:27ea,lang:27e8,langd:2991,langle:27e8,lap:2a85,Laplacetrf:2112,laquo:ab,' +
  'Larr:219e,lArr:21d0,larr:2190,larrb:21e4,larrbfs:291f,larrfs:291d,larrhk:21a9,larrlp:21ab,larrpl:2939,' +
  'larrsim:2973,larrtl:21a2,lat:2aab,lAtail:291b,latail:2919,late:2aad,lates:2aad.fe00,lBarr:290e,lbarr:290c,' +
  'lbbrk:2772,lbrace:7b,lbrack:5b,lbrke:298b,lbrksld:298f,lbrkslu:298d,Lcaron:13d,lcaron:13e,Lcedil:13b,' +
  'lcedil:13c,lceil:2308,lcub:7b,Lcy:41b,lcy:43b,ldca:2936,ldquo:201c,ldquor:201e,ldrdhar:2967,ldrushar:294b,' +
  'ldsh:21b2,lE:2266,le:2264,LeftAngleBracket:27e8,LeftArrow:2190,Leftarrow:21d0,leftarrow:2190,' +
  'LeftArrowBar:21e4,LeftArrowRightArrow:21c6,leftarrowtail:21a2,LeftCeiling:2308,LeftDoubleBracket:27e6,' +
  'LeftDownTeeVector:2961,LeftDownVector:21c3,LeftDownVectorBar:2959,LeftFloor:230a,leftharpoondown:21bd,' +
  'leftharpoonup:21bc,leftleftarrows:21c7,LeftRightArrow:2194,Leftrightarrow:21d4,leftrightarrow:2194,' +
  'leftrightarrows:21c6,leftrightharpoons:21cb,leftrightsquigarrow:21ad,LeftRightVector:294e,LeftTee:22a3,' +
  'LeftTeeArrow:21a4,LeftTeeVector:295a,leftthreetimes:22cb,LeftTriangle:22b2,LeftTriangleBar:29cf,' +
  'LeftTriangleEqual:22b4,LeftUpDownVector:2951,LeftUpTeeVector:2960,LeftUpVector:21bf,LeftUpVectorBar:2958,' +
  'LeftVector:21bc,LeftVectorBar:2952,lEg:2a8b,leg:22da,leq:2264,leqq:2266,leqslant:2a7d,les:2a7d,lescc:2aa8,' +
  'lesdot:2a7f,lesdoto:2a81,lesdotor:2a83,lesg:22da.fe00,lesges:2a93,lessapprox:2a85,lessdot:22d6,' +
  'lesseqgtr:22da,lesseqqgtr:2a8b,LessEqualGreater:22da,LessFullEqual:2266,LessGreater:2276,lessgtr:2276,' +
  'LessLess:2aa1,lesssim:2272,LessSlantEqual:2a7d,LessTilde:2272,lfisht:297c,lfloor:230a,Lfr:1d50f,lfr:1d529,' +
  'lg:2276,lgE:2a91,lHar:2962,lhard:21bd,lharu:21bc,lharul:296a,lhblk:2584,LJcy:409,ljcy:459,Ll:22d8,ll:226a,' +
  'llarr:21c7,llcorner:231e,Lleftarrow:21da,llhard:296b,lltri:25fa,Lmidot:13f,lmidot:140,lmoust:23b0,' +
  'lmoustache:23b0,lnap:2a89,lnapprox:2a89,lnE:2268,lne:2a87,lneq:2a87,lneqq:2268,lnsim:22e6,loang:27ec,' +
  'loarr:21fd,lobrk:27e6,LongLeftArrow:27f5,Longleftarrow:27f8,longleftarrow:27f5,LongLeftRightArrow:27f7,' +
  'Longleftrightarrow:27fa,longleftrightarrow:27f7,longmapsto:27fc,LongRightArrow:27f6,Longrightarrow:27f9,' +
  'longrightarrow:27f6,looparrowleft:21ab,looparrowright:21ac,lopar:2985,Lopf:1d543,lopf:1d55d,loplus:2a2d,' +
  'lotimes:2a34,lowast:2217,lowbar:5f,LowerLeftArrow:2199,LowerRightArrow:2198,loz:25ca,lozenge:25ca,lozf:29eb,' +
  'lpar:28,lparlt:2993,lrarr:21c6,lrcorner:231f,lrhar:21cb,lrhard:296d,lrm:200e,lrtri:22bf,lsaquo:2039,' +
  'Lscr:2112,lscr:1d4c1,Lsh:21b0,lsh:21b0,lsim:2272,lsime:2a8d,lsimg:2a8f,lsqb:5b,lsquo:2018,lsquor:201a,' +
  'Lstrok:141,lstrok:142,LT:3c,Lt:226a,lt:3c,ltcc:2aa6,ltcir:2a79,ltdot:22d6,lthree:22cb,ltimes:22c9,' +
  'ltlarr:2976,ltquest:2a7b,ltri:25c3,ltrie:22b4,ltrif:25c2,ltrPar:2996,lurdshar:294a,luruhar:2966,' +
  'lvertneqq:2268.fe00,lvnE:2268.fe00,macr:af,male:2642,malt:2720,maltese:2720,Map:2905,map:21a6,mapsto:21a6,' +
  'mapstodown:21a7,mapstoleft:21a4,mapstoup:21a5,marker:25ae,mcomma:2a29,Mcy:41c,mcy:43c,mdash:2014,mDDot:223a,' +
  'measuredangle:2221,MediumSpace:205f,Mellintrf:2133,Mfr:1d510,mfr:1d52a,mho:2127,micro:b5,mid:2223,midast:2a,' +
  'midcir:2af0,middot:b7,minus:2212,minusb:229f,minusd:2238,minusdu:2a2a,MinusPlus:2213,mlcp:2adb,mldr:2026,' +
  'mnplus:2213,models:22a7,Mopf:1d544,mopf:1d55e,mp:2213,Mscr:2133,mscr:1d4c2,mstpos:223e,Mu:39c,mu:3bc,' +
  'multimap:22b8,mumap:22b8,nabla:2207,Nacute:143,nacute:144,nang:2220.20d2,nap:2249,napE:2a70.338,' +
  'napid:224b.338,napos:149,napprox:2249,natur:266e,natural:266e,naturals:2115,nbsp:a0,nbump:224e.338,' +
  'nbumpe:224f.338,ncap:2a43,Ncaron:147,ncaron:148,Ncedil:145,ncedil:146,ncong:2247,ncongdot:2a6d.338,' +
  'ncup:2a42,Ncy:41d,ncy:43d,ndash:2013,ne:2260,nearhk:2924,neArr:21d7,nearr:2197,nearrow:2197,nedot:2250.338,' +
  'NegativeMediumSpace:200b,NegativeThickSpace:200b,NegativeThinSpace:200b,NegativeVeryThinSpace:200b,' +
  'nequiv:2262,nesear:2928,nesim:2242.338,NestedGreaterGreater:226b,NestedLessLess:226a,NewLine:a,nexist:2204,' +
  'nexists:2204,Nfr:1d511,nfr:1d52b,ngE:2267.338,nge:2271,ngeq:2271,ngeqq:2267.338,ngeqslant:2a7e.338,' +
  'nges:2a7e.338,nGg:22d9.338,ngsim:2275,nGt:226b.20d2,ngt:226f,ngtr:226f,nGtv:226b.338,nhArr:21ce,nharr:21ae,' +
  'nhpar:2af2,ni:220b,nis:22fc,nisd:22fa,niv:220b,NJcy:40a,njcy:45a,nlArr:21cd,nlarr:219a,nldr:2025,' +
  'nlE:2266.338,nle:2270,nLeftarrow:21cd,nleftarrow:219a,nLeftrightarrow:21ce,nleftrightarrow:21ae,nleq:2270,' +
  'nleqq:2266.338,nleqslant:2a7d.338,nles:2a7d.338,nless:226e,nLl:22d8.338,nlsim:2274,nLt:226a.20d2,nlt:226e,' +
  'nltri:22ea,nltrie:22ec,nLtv:226a.338,nmid:2224,NoBreak:2060,NonBreakingSpace:a0,Nopf:2115,nopf:1d55f,' +
  'Not:2aec,not:ac,NotCongruent:2262,NotCupCap:226d,NotDoubleVerticalBar:2226,NotElement:2209,NotEqual:2260,' +
  'NotEqualTilde:2242.338,NotExists:2204,NotGreater:226f,NotGreaterEqual:2271,NotGreaterFullEqual:2267.338,' +
  'NotGreaterGreater:226b.338,NotGreaterLess:2279,NotGreaterSlantEqual:2a7e.338,NotGreaterTilde:2275,' +
  'NotHumpDownHump:224e.338,NotHumpEqual:224f.338,notin:2209,notindot:22f5.338,notinE:22f9.338,notinva:2209,' +
  'notinvb:22f7,notinvc:22f6,NotLeftTriangle:22ea,NotLeftTriangleBar:29cf.338,NotLeftTriangleEqual:22ec,' +
  'NotLess:226e,NotLessEqual:2270,NotLessGreater:2278,NotLessLess:226a.338,NotLessSlantEqual:2a7d.338,' +
  'NotLessTilde:2274,NotNestedGreaterGreater:2aa2.338,NotNestedLessLess:2aa1.338,notni:220c,notniva:220c,' +
  'notnivb:22fe,notnivc:22fd,NotPrecedes:2280,NotPrecedesEqual:2aaf.338,NotPrecedesSlantEqual:22e0,' +
  'NotReverseElement:220c,NotRightTriangle:22eb,NotRightTriangleBar:29d0.338,NotRightTriangleEqual:22ed,' +
  'NotSquareSubset:228f.338,NotSquareSubsetEqual:22e2,NotSquareSuperset:2290.338,NotSquareSupersetEqual:22e3,' +
  'NotSubset:2282.20d2,NotSubsetEqual:2288,NotSucceeds:2281,NotSucceedsEqual:2ab0.338,' +
  'NotSucceedsSlantEqual:22e1,NotSucceedsTilde:227f.338,NotSuperset:2283.20d2,NotSupersetEqual:2289,' +
  'NotTilde:2241,NotTildeEqual:2244,NotTildeFullEqual:2247,NotTildeTilde:2249,NotVerticalBar:2224,npar:2226,' +
  'nparallel:2226,nparsl:2afd.20e5,npart:2202.338,npolint:2a14,npr:2280,nprcue:22e0,npre:2aaf.338,nprec:2280,' +
  'npreceq:2aaf.338,nrArr:21cf,nrarr:219b,nrarrc:2933.338,nrarrw:219d.338,nRightarrow:21cf,nrightarrow:219b,' +
  'nrtri:22eb,nrtrie:22ed,nsc:2281,nsccue:22e1,nsce:2ab0.338,Nscr:1d4a9,nscr:1d4c3,nshortmid:2224,' +
  'nshortparallel:2226,nsim:2241,nsime:2244,nsimeq:2244,nsmid:2224,nspar:2226,nsqsube:22e2,nsqsupe:22e3,' +
  'nsub:2284,nsubE:2ac5.338,nsube:2288,nsubset:2282.20d2,nsubseteq:2288,nsubseteqq:2ac5.338,nsucc:2281,' +
  'nsucceq:2ab0.338,nsup:2285,nsupE:2ac6.338,nsupe:2289,nsupset:2283.20d2,nsupseteq:2289,nsupseteqq:2ac6.338,' +
  'ntgl:2279,Ntilde:d1,ntilde:f1,ntlg:2278,ntriangleleft:22ea,ntrianglelefteq:22ec,ntriangleright:22eb,' +
  'ntrianglerighteq:22ed,Nu:39d,nu:3bd,num:23,numero:2116,numsp:2007,nvap:224d.20d2,nVDash:22af,nVdash:22ae,' +
  'nvDash:22ad,nvdash:22ac,nvge:2265.20d2,nvgt:3e.20d2,nvHarr:2904,nvinfin:29de,nvlArr:2902,nvle:2264.20d2,' +
  'nvlt:3c.20d2,nvltrie:22b4.20d2,nvrArr:2903,nvrtrie:22b5.20d2,nvsim:223c.20d2,nwarhk:2923,nwArr:21d6,' +
  'nwarr:2196,nwarrow:2196,nwnear:2927,Oacute:d3,oacute:f3,oast:229b,ocir:229a,Ocirc:d4,ocirc:f4,Ocy:41e,' +
  'ocy:43e,odash:229d,Odblac:150,odblac:151,odiv:2a38,odot:2299,odsold:29bc,OElig:152,oelig:153,ofcir:29bf,' +
  'Ofr:1d512,ofr:1d52c,ogon:2db,Ograve:d2,ograve:f2,ogt:29c1,ohbar:29b5,ohm:3a9,oint:222e,olarr:21ba,' +
  'olcir:29be,olcross:29bb,oline:203e,olt:29c0,Omacr:14c,omacr:14d,Omega:3a9,omega:3c9,Omicron:39f,omicron:3bf,' +
  'omid:29b6,ominus:2296,Oopf:1d546,oopf:1d560,opar:29b7,OpenCurlyDoubleQuote:201c,OpenCurlyQuote:2018,' +
  'operp:29b9,oplus:2295,Or:2a54,or:2228,orarr:21bb,ord:2a5d,order:2134,orderof:2134,ordf:aa,ordm:ba,' +
  'origof:22b6,oror:2a56,orslope:2a57,orv:2a5b,oS:24c8,Oscr:1d4aa,oscr:2134,Oslash:d8,oslash:f8,osol:2298,' +
  'Otilde:d5,otilde:f5,Otimes:2a37,otimes:2297,otimesas:2a36,Ouml:d6,ouml:f6,ovbar:233d,OverBar:203e,' +
  'OverBrace:23de,OverBracket:23b4,OverParenthesis:23dc,par:2225,para:b6,parallel:2225,parsim:2af3,parsl:2afd,' +
  'part:2202,PartialD:2202,Pcy:41f,pcy:43f,percnt:25,period:2e,permil:2030,perp:22a5,pertenk:2031,Pfr:1d513,' +
  'pfr:1d52d,Phi:3a6,phi:3c6,phiv:3d5,phmmat:2133,phone:260e,Pi:3a0,pi:3c0,pitchfork:22d4,piv:3d6,planck:210f,' +
  'planckh:210e,plankv:210f,plus:2b,plusacir:2a23,plusb:229e,pluscir:2a22,plusdo:2214,plusdu:2a25,pluse:2a72,' +
  'PlusMinus:b1,plusmn:b1,plussim:2a26,plustwo:2a27,pm:b1,Poincareplane:210c,pointint:2a15,Popf:2119,' +
  'popf:1d561,pound:a3,Pr:2abb,pr:227a,prap:2ab7,prcue:227c,prE:2ab3,pre:2aaf,prec:227a,precapprox:2ab7,' +
  'preccurlyeq:227c,Precedes:227a,PrecedesEqual:2aaf,PrecedesSlantEqual:227c,PrecedesTilde:227e,preceq:2aaf,' +
  'precnapprox:2ab9,precneqq:2ab5,precnsim:22e8,precsim:227e,Prime:2033,prime:2032,primes:2119,prnap:2ab9,' +
  'prnE:2ab5,prnsim:22e8,prod:220f,Product:220f,profalar:232e,profline:2312,profsurf:2313,prop:221d,' +
  'Proportion:2237,Proportional:221d,propto:221d,prsim:227e,prurel:22b0,Pscr:1d4ab,pscr:1d4c5,Psi:3a8,psi:3c8,' +
  'puncsp:2008,Qfr:1d514,qfr:1d52e,qint:2a0c,Qopf:211a,qopf:1d562,qprime:2057,Qscr:1d4ac,qscr:1d4c6,' +
  'quaternions:210d,quatint:2a16,quest:3f,questeq:225f,QUOT:22,quot:22,rAarr:21db,race:223d.331,Racute:154,' +
  'racute:155,radic:221a,raemptyv:29b3,Rang:27eb,rang:27e9,rangd:2992,range:29a5,rangle:27e9,raquo:bb,' +
  'Rarr:21a0,rArr:21d2,rarr:2192,rarrap:2975,rarrb:21e5,rarrbfs:2920,rarrc:2933,rarrfs:291e,rarrhk:21aa,' +
  'rarrlp:21ac,rarrpl:2945,rarrsim:2974,Rarrtl:2916,rarrtl:21a3,rarrw:219d,rAtail:291c,ratail:291a,ratio:2236,' +
  'rationals:211a,RBarr:2910,rBarr:290f,rbarr:290d,rbbrk:2773,rbrace:7d,rbrack:5d,rbrke:298c,rbrksld:298e,' +
  'rbrkslu:2990,Rcaron:158,rcaron:159,Rcedil:156,rcedil:157,rceil:2309,rcub:7d,Rcy:420,rcy:440,rdca:2937,' +
  'rdldhar:2969,rdquo:201d,rdquor:201d,rdsh:21b3,Re:211c,real:211c,realine:211b,realpart:211c,reals:211d,' +
  'rect:25ad,REG:ae,reg:ae,ReverseElement:220b,ReverseEquilibrium:21cb,ReverseUpEquilibrium:296f,rfisht:297d,' +
  'rfloor:230b,Rfr:211c,rfr:1d52f,rHar:2964,rhard:21c1,rharu:21c0,rharul:296c,Rho:3a1,rho:3c1,rhov:3f1,' +
  'RightAngleBracket:27e9,RightArrow:2192,Rightarrow:21d2,rightarrow:2192,RightArrowBar:21e5,' +
  'RightArrowLeftArrow:21c4,rightarrowtail:21a3,RightCeiling:2309,RightDoubleBracket:27e7,' +
  'RightDownTeeVector:295d,RightDownVector:21c2,RightDownVectorBar:2955,RightFloor:230b,rightharpoondown:21c1,' +
  'rightharpoonup:21c0,rightleftarrows:21c4,rightleftharpoons:21cc,rightrightarrows:21c9,rightsquigarrow:219d,' +
  'RightTee:22a2,RightTeeArrow:21a6,RightTeeVector:295b,rightthreetimes:22cc,RightTriangle:22b3,' +
  'RightTriangleBar:29d0,RightTriangleEqual:22b5,RightUpDownVector:294f,RightUpTeeVector:295c,' +
  'RightUpVector:21be,RightUpVectorBar:2954,RightVector:21c0,RightVectorBar:2953,ring:2da,risingdotseq:2253,' +
  'rlarr:21c4,rlhar:21cc,rlm:200f,rmoust:23b1,rmoustache:23b1,rnmid:2aee,roang:27ed,roarr:21fe,robrk:27e7,' +
  'ropar:2986,Ropf:211d,ropf:1d563,roplus:2a2e,rotimes:2a35,RoundImplies:2970,rpar:29,rpargt:2994,' +
  'rppolint:2a12,rrarr:21c9,Rrightarrow:21db,rsaquo:203a,Rscr:211b,rscr:1d4c7,Rsh:21b1,rsh:21b1,rsqb:5d,' +
  'rsquo:2019,rsquor:2019,rthree:22cc,rtimes:22ca,rtri:25b9,rtrie:22b5,rtrif:25b8,rtriltri:29ce,' +
  'RuleDelayed:29f4,ruluhar:2968,rx:211e,Sacute:15a,sacute:15b,sbquo:201a,Sc:2abc,sc:227b,scap:2ab8,Scaron:160,' +
  'scaron:161,sccue:227d,scE:2ab4,sce:2ab0,Scedil:15e,scedil:15f,Scirc:15c,scirc:15d,scnap:2aba,scnE:2ab6,' +
  'scnsim:22e9,scpolint:2a13,scsim:227f,Scy:421,scy:441,sdot:22c5,sdotb:22a1,sdote:2a66,searhk:2925,seArr:21d8,' +
  'searr:2198,searrow:2198,sect:a7,semi:3b,seswar:2929,setminus:2216,setmn:2216,sext:2736,Sfr:1d516,sfr:1d530,' +
  'sfrown:2322,sharp:266f,SHCHcy:429,shchcy:449,SHcy:428,shcy:448,ShortDownArrow:2193,ShortLeftArrow:2190,' +
  'shortmid:2223,shortparallel:2225,ShortRightArrow:2192,ShortUpArrow:2191,shy:ad,Sigma:3a3,sigma:3c3,' +
  'sigmaf:3c2,sigmav:3c2,sim:223c,simdot:2a6a,sime:2243,simeq:2243,simg:2a9e,simgE:2aa0,siml:2a9d,simlE:2a9f,' +
  'simne:2246,simplus:2a24,simrarr:2972,slarr:2190,SmallCircle:2218,smallsetminus:2216,smashp:2a33,' +
  'smeparsl:29e4,smid:2223,smile:2323,smt:2aaa,smte:2aac,smtes:2aac.fe00,SOFTcy:42c,softcy:44c,sol:2f,' +
  'solb:29c4,solbar:233f,Sopf:1d54a,sopf:1d564,spades:2660,spadesuit:2660,spar:2225,sqcap:2293,' +
  'sqcaps:2293.fe00,sqcup:2294,sqcups:2294.fe00,Sqrt:221a,sqsub:228f,sqsube:2291,sqsubset:228f,sqsubseteq:2291,' +
  'sqsup:2290,sqsupe:2292,sqsupset:2290,sqsupseteq:2292,squ:25a1,Square:25a1,square:25a1,' +
  'SquareIntersection:2293,SquareSubset:228f,SquareSubsetEqual:2291,SquareSuperset:2290,' +
  'SquareSupersetEqual:2292,SquareUnion:2294,squarf:25aa,squf:25aa,srarr:2192,Sscr:1d4ae,sscr:1d4c8,' +
  'ssetmn:2216,ssmile:2323,sstarf:22c6,Star:22c6,star:2606,starf:2605,straightepsilon:3f5,straightphi:3d5,' +
  'strns:af,Sub:22d0,sub:2282,subdot:2abd,subE:2ac5,sube:2286,subedot:2ac3,submult:2ac1,subnE:2acb,subne:228a,' +
  'subplus:2abf,subrarr:2979,Subset:22d0,subset:2282,subseteq:2286,subseteqq:2ac5,SubsetEqual:2286,' +
  'subsetneq:228a,subsetneqq:2acb,subsim:2ac7,subsub:2ad5,subsup:2ad3,succ:227b,succapprox:2ab8,' +
  'succcurlyeq:227d,Succeeds:227b,SucceedsEqual:2ab0,SucceedsSlantEqual:227d,SucceedsTilde:227f,succeq:2ab0,' +
  'succnapprox:2aba,succneqq:2ab6,succnsim:22e9,succsim:227f,SuchThat:220b,Sum:2211,sum:2211,sung:266a,sup1:b9,' +
  'sup2:b2,sup3:b3,Sup:22d1,sup:2283,supdot:2abe,supdsub:2ad8,supE:2ac6,supe:2287,supedot:2ac4,Superset:2283,' +
  'SupersetEqual:2287,suphsol:27c9,suphsub:2ad7,suplarr:297b,supmult:2ac2,supnE:2acc,supne:228b,supplus:2ac0,' +
  'Supset:22d1,supset:2283,supseteq:2287,supseteqq:2ac6,supsetneq:228b,supsetneqq:2acc,supsim:2ac8,supsub:2ad4,' +
  'supsup:2ad6,swarhk:2926,swArr:21d9,swarr:2199,swarrow:2199,swnwar:292a,szlig:df,Tab:9,target:2316,Tau:3a4,' +
  'tau:3c4,tbrk:23b4,Tcaron:164,tcaron:165,Tcedil:162,tcedil:163,Tcy:422,tcy:442,tdot:20db,telrec:2315,' +
  'Tfr:1d517,tfr:1d531,there4:2234,Therefore:2234,therefore:2234,Theta:398,theta:3b8,thetasym:3d1,thetav:3d1,' +
  'thickapprox:2248,thicksim:223c,ThickSpace:205f.200a,thinsp:2009,ThinSpace:2009,thkap:2248,thksim:223c,' +
  'THORN:de,thorn:fe,Tilde:223c,tilde:2dc,TildeEqual:2243,TildeFullEqual:2245,TildeTilde:2248,times:d7,' +
  'timesb:22a0,timesbar:2a31,timesd:2a30,tint:222d,toea:2928,top:22a4,topbot:2336,topcir:2af1,Topf:1d54b,' +
  'topf:1d565,topfork:2ada,tosa:2929,tprime:2034,TRADE:2122,trade:2122,triangle:25b5,triangledown:25bf,' +
  'triangleleft:25c3,trianglelefteq:22b4,triangleq:225c,triangleright:25b9,trianglerighteq:22b5,tridot:25ec,' +
  'trie:225c,triminus:2a3a,TripleDot:20db,triplus:2a39,trisb:29cd,tritime:2a3b,trpezium:23e2,Tscr:1d4af,' +
  'tscr:1d4c9,TScy:426,tscy:446,TSHcy:40b,tshcy:45b,Tstrok:166,tstrok:167,twixt:226c,twoheadleftarrow:219e,' +
  'twoheadrightarrow:21a0,Uacute:da,uacute:fa,Uarr:219f,uArr:21d1,uarr:2191,Uarrocir:2949,Ubrcy:40e,ubrcy:45e,' +
  'Ubreve:16c,ubreve:16d,Ucirc:db,ucirc:fb,Ucy:423,ucy:443,udarr:21c5,Udblac:170,udblac:171,udhar:296e,' +
  'ufisht:297e,Ufr:1d518,ufr:1d532,Ugrave:d9,ugrave:f9,uHar:2963,uharl:21bf,uharr:21be,uhblk:2580,ulcorn:231c,' +
  'ulcorner:231c,ulcrop:230f,ultri:25f8,Umacr:16a,umacr:16b,uml:a8,UnderBar:5f,UnderBrace:23df,' +
  'UnderBracket:23b5,UnderParenthesis:23dd,Union:22c3,UnionPlus:228e,Uogon:172,uogon:173,Uopf:1d54c,uopf:1d566,' +
  'UpArrow:2191,Uparrow:21d1,uparrow:2191,UpArrowBar:2912,UpArrowDownArrow:21c5,UpDownArrow:2195,' +
  'Updownarrow:21d5,updownarrow:2195,UpEquilibrium:296e,upharpoonleft:21bf,upharpoonright:21be,uplus:228e,' +
  'UpperLeftArrow:2196,UpperRightArrow:2197,Upsi:3d2,upsi:3c5,upsih:3d2,Upsilon:3a5,upsilon:3c5,UpTee:22a5,' +
  'UpTeeArrow:21a5,upuparrows:21c8,urcorn:231d,urcorner:231d,urcrop:230e,Uring:16e,uring:16f,urtri:25f9,' +
  'Uscr:1d4b0,uscr:1d4ca,utdot:22f0,Utilde:168,utilde:169,utri:25b5,utrif:25b4,uuarr:21c8,Uuml:dc,uuml:fc,' +
  'uwangle:29a7,vangrt:299c,varepsilon:3f5,varkappa:3f0,varnothing:2205,varphi:3d5,varpi:3d6,varpropto:221d,' +
  'vArr:21d5,varr:2195,varrho:3f1,varsigma:3c2,varsubsetneq:228a.fe00,varsubsetneqq:2acb.fe00,' +
  'varsupsetneq:228b.fe00,varsupsetneqq:2acc.fe00,vartheta:3d1,vartriangleleft:22b2,vartriangleright:22b3,' +
  'Vbar:2aeb,vBar:2ae8,vBarv:2ae9,Vcy:412,vcy:432,VDash:22ab,Vdash:22a9,vDash:22a8,vdash:22a2,Vdashl:2ae6,' +
  'Vee:22c1,vee:2228,veebar:22bb,veeeq:225a,vellip:22ee,Verbar:2016,verbar:7c,Vert:2016,vert:7c,' +
  'VerticalBar:2223,VerticalLine:7c,VerticalSeparator:2758,VerticalTilde:2240,VeryThinSpace:200a,Vfr:1d519,' +
  'vfr:1d533,vltri:22b2,vnsub:2282.20d2,vnsup:2283.20d2,Vopf:1d54d,vopf:1d567,vprop:221d,vrtri:22b3,Vscr:1d4b1,' +
  'vscr:1d4cb,vsubnE:2acb.fe00,vsubne:228a.fe00,vsupnE:2acc.fe00,vsupne:228b.fe00,Vvdash:22aa,vzigzag:299a,' +
  'Wcirc:174,wcirc:175,wedbar:2a5f,Wedge:22c0,wedge:2227,wedgeq:2259,weierp:2118,Wfr:1d51a,wfr:1d534,' +
  'Wopf:1d54e,wopf:1d568,wp:2118,wr:2240,wreath:2240,Wscr:1d4b2,wscr:1d4cc,xcap:22c2,xcirc:25ef,xcup:22c3,' +
  'xdtri:25bd,Xfr:1d51b,xfr:1d535,xhArr:27fa,xharr:27f7,Xi:39e,xi:3be,xlArr:27f8,xlarr:27f5,xmap:27fc,' +
  'xnis:22fb,xodot:2a00,Xopf:1d54f,xopf:1d569,xoplus:2a01,xotime:2a02,xrArr:27f9,xrarr:27f6,Xscr:1d4b3,' +
  'xscr:1d4cd,xsqcup:2a06,xuplus:2a04,xutri:25b3,xvee:22c1,xwedge:22c0,Yacute:dd,yacute:fd,YAcy:42f,yacy:44f,' +
  'Ycirc:176,ycirc:177,Ycy:42b,ycy:44b,yen:a5,Yfr:1d51c,yfr:1d536,YIcy:407,yicy:457,Yopf:1d550,yopf:1d56a,' +
  'Yscr:1d4b4,yscr:1d4ce,YUcy:42e,yucy:44e,Yuml:178,yuml:ff,Zacute:179,zacute:17a,Zcaron:17d,zcaron:17e,' +
  'Zcy:417,zcy:437,Zdot:17b,zdot:17c,zeetrf:2128,ZeroWidthSpace:200b,Zeta:396,zeta:3b6,Zfr:2128,zfr:1d537,' +
  'ZHcy:416,zhcy:436,zigrarr:21dd,Zopf:2124,zopf:1d56b,Zscr:1d4b5,zscr:1d4cf,zwj:200d,zwnj:200c';
// The legacy names also recognized without the ';'.
const HTML5_NO_SEMI =
  'Aacute aacute Acirc acirc acute AElig aelig Agrave agrave AMP amp Aring aring Atilde atilde Auml ' +
  'auml brvbar Ccedil ccedil cedil cent COPY copy curren deg divide Eacute eacute Ecirc ecirc Egrave ' +
  'egrave ETH eth Euml euml frac12 frac14 frac34 GT gt Iacute iacute Icirc icirc iexcl Igrave igrave ' +
  'iquest Iuml iuml laquo LT lt macr micro middot nbsp not Ntilde ntilde Oacute oacute Ocirc ocirc ' +
  'Ograve ograve ordf ordm Oslash oslash Otilde otilde Ouml ouml para plusmn pound QUOT quot raquo REG ' +
  'reg sect shy sup1 sup2 sup3 szlig THORN thorn times Uacute uacute Ucirc ucirc Ugrave ugrave uml Uuml ' +
  'uuml Yacute yacute yen yum';

let entityTable: Map<string, string> | null = null;

/** html.entities.html5 as a Map (keys with ';', and the legacy ones without), built on first use. */
function entities(): Map<string, string> {
  if (entityTable) return entityTable;
  const m = new Map<string, string>();
  for (const item of HTML5_ENTITIES.split(',')) {
    const i = item.indexOf(':');
    m.set(item.slice(0, i) + ';', String.fromCodePoint(...item.slice(i + 1).split('.').map((h) => parseInt(h, 16))));
  }
  for (const name of HTML5_NO_SEMI.split(' ')) m.set(name, m.get(name + ';')!);
  entityTable = m;
  return m;
}

const INVALID_CHARREFS: Record<number, string> = {
  0x00: '\ufffd', 0x0d: '\r', 0x80: '\u20ac', 0x81: '\x81', 0x82: '\u201a', 0x83: '\u0192', 0x84: '\u201e',
  0x85: '\u2026', 0x86: '\u2020', 0x87: '\u2021', 0x88: '\u02c6', 0x89: '\u2030', 0x8a: '\u0160', 0x8b: '\u2039',
  0x8c: '\u0152', 0x8d: '\x8d', 0x8e: '\u017d', 0x8f: '\x8f', 0x90: '\x90', 0x91: '\u2018', 0x92: '\u2019',
  0x93: '\u201c', 0x94: '\u201d', 0x95: '\u2022', 0x96: '\u2013', 0x97: '\u2014', 0x98: '\u02dc', 0x99: '\u2122',
  0x9a: '\u0161', 0x9b: '\u203a', 0x9c: '\u0153', 0x9d: '\x9d', 0x9e: '\u017e', 0x9f: '\u0178',
};

/** Python's html.unescape. */
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
    const table = entities();
    const hit = table.get(ref);
    if (hit !== undefined) return hit;
    // The longest known name that prefixes the reference (html.unescape's rule).
    for (let x = ref.length - 1; x > 1; x--) {
      const prefix = table.get(ref.slice(0, x));
      if (prefix !== undefined) return prefix + ref.slice(x);
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

/** environment.getitem(obj, part); an Undefined part finds nothing (no container holds one). */
function lookup(obj: unknown, part: unknown): unknown {
  if (part instanceof Undefined) {
    if (obj instanceof Undefined) throw undefinedError(obj);
    return new Undefined('', `${typeName(obj)} object has no element Undefined`);
  }
  return getItem(obj, part);
}

function makeAttrGetter(attribute: unknown, lower: boolean, dflt: unknown = null): Getter {
  const parts = attributeParts(attribute);
  if (parts.length === 0) return lower ? ignoreCase : (x) => x;
  return (item) => {
    for (const part of parts) {
      item = lookup(item, part);
      if (dflt !== null && dflt !== undefined && item instanceof Undefined) item = dflt;
    }
    return lower ? ignoreCase(item) : item;
  };
}

/**
 * make_multi_attrgetter: a list of the comma-separated attributes' values. With one attribute
 * (or none) the key is that value itself, to be compared with pySorted's eqFirst.
 */
function makeMultiAttrGetter(attribute: unknown, lower: boolean): Getter {
  const split = typeof attribute === 'string' ? attribute.split(',') : [attribute];
  const parts = split.map(attributeParts);
  if (parts.length === 1) return makeAttrGetter(attribute, lower);
  return (item) => {
    const out: unknown[] = new Array(parts.length);
    for (let i = 0; i < parts.length; i++) {
      let v = item;
      for (const part of parts[i]!) v = lookup(v, part);
      out[i] = lower ? ignoreCase(v) : v;
    }
    return out;
  };
}

/** sorted()'s reverse argument: an int (bool) only. */
function sortedReverse(reverse: unknown): boolean {
  return intArg(reverse) !== 0;
}

/** Python's sorted(items, key=key, reverse=reverse): stable, only `<` between keys. */
function pySorted(items: Iterable<unknown>, key: Getter | null, reverse: boolean, eqFirst = false): unknown[] {
  const list = Array.from(items);
  if (list.length < 2) {
    if (key && list.length === 1) key(list[0]);
    return list;
  }
  const keys = key ? list.map(key) : list;
  const idx = list.map((_, i) => i);
  let cmp: (a: number, b: number) => number;
  const kind = keyKind(keys);
  if (kind === 'str') {
    const ks = keys as string[];
    cmp = (a, b) => (ks[a]! < ks[b]! ? -1 : ks[a]! > ks[b]! ? 1 : 0);
  } else if (kind === 'num') {
    const ks = keys.map((k) => (k instanceof PyFloat ? k.value : (k as number)));
    cmp = (a, b) => ks[a]! - ks[b]!;
  } else {
    // A key that was a one-item list compares as Python's lists do: == first, then <.
    const lt = eqFirst
      ? (x: unknown, y: unknown): boolean => x !== y && !eq(x, y) && compare('<', x, y)
      : (x: unknown, y: unknown): boolean => compare('<', x, y);
    cmp = (a, b) => (lt(keys[a], keys[b]) ? -1 : lt(keys[b], keys[a]) ? 1 : 0);
  }
  idx.sort(reverse ? (a, b) => cmp(b, a) : cmp);
  return idx.map((i) => list[i]);
}

const SURROGATE_ANY = /[\uD800-\uDFFF]/;

/** 'str' when every key is a str without surrogates (UTF-16 order is then code point order),
 *  'num' when every key is an int or a non-NaN float, else 'any'. */
function keyKind(keys: readonly unknown[]): 'str' | 'num' | 'any' {
  const k0 = keys[0];
  if (typeof k0 === 'string') {
    for (const k of keys) if (typeof k !== 'string' || SURROGATE_ANY.test(k)) return 'any';
    return 'str';
  }
  if (typeof k0 === 'number' || k0 instanceof PyFloat) {
    for (const k of keys) {
      const n = typeof k === 'number' ? k : k instanceof PyFloat ? k.value : NaN;
      if (n !== n) return 'any';
    }
    return 'num';
  }
  return 'any';
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

const JSON_PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

function jsonString(s: string): string {
  if (JSON_PLAIN.test(s)) return `"${s}"`;
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
  if (typeof k === 'bigint') return k.toString();
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
    if (typeof x === 'bigint') return x.toString();
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
      const sorted = pySorted(entries, (e) => (e as unknown[])[0], false) as [unknown, unknown][];
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
// (Python's \d is any Unicode decimal digit, its \S anything but Python's whitespace)
const PD = '\\p{Nd}';
const PNS = `[^${PY_SPACE_CLASS}]`;
const HTTP_RE = new RegExp(
  '^(' +
    `(https?://|www\\.)((${W.slice(0, -1)}%-]+\\.)+)?([a-z]{2,63}|xn--${W.slice(0, -1)}%]{2,59})` +
    `|(${W.slice(0, -1)}%-]{2,63}\\.)+(com|net|int|edu|gov|org|info|mil)` +
    `|(https?://)(((${PD}{1,3})(\\.${PD}{1,3}){3})|(\\[([${PD}a-f]{0,4}:){2}([${PD}a-f]{0,4}:?){1,6}\\]))` +
    `)(?::${PD}{1,5})?(?:[/?#]${PNS}*)?$`,
  'iu',
);
const EMAIL_RE = new RegExp(`^${PNS}+@${W}${W.slice(0, -1)}.-]*\\.${W}+$`, 'u');
const URI_SCHEME_RE = /^([\p{L}\p{N}_.+-]{2,}:(\/){0,2})$/u;

function urlize(
  text: unknown,
  trimUrlLimit: unknown,
  rel: string | null,
  target: string | null,
  extraSchemes: string[] | null,
): string {
  // Only a link that is shown compares its length with the limit (so only then can it raise).
  const trim = (x: string): string =>
    trimUrlLimit !== null && trimUrlLimit !== undefined && compare('>', cpLen(x), trimUrlLimit)
      ? `${cpSlice(x, 0, intArg(trimUrlLimit))}...`
      : x;
  const words = escape(text).value.split(PY_WS_RUN);
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

const PY_WS_RUN = new RegExp(`([${PY_SPACE_CLASS}]+)`);

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
      if (!Number.isInteger(spaceLeft) && breakLongWords)
        throw new PyError('TypeError', 'slice indices must be integers or None or have an __index__ method');
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
  if (typeof value === 'bigint') return value < 0n ? -value : value;
  if (value instanceof PyFloat) return new PyFloat(Math.abs(value.value));
  if (typeof value === 'number') return new PyFloat(Math.abs(value));
  if (typeof value === 'boolean') return value ? 1 : 0;
  // a host object's __abs__ (timedelta)
  const r = unaryDunder('__abs__', value);
  if (r !== NotImplemented) return r;
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
    const s = args.length === 0 && kwargs.size === 0 ? value : bind(fname, [P_S], value, args, kwargs)[0];
    if (typeof s === 'string') return fn(s);
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
  }, sortedReverse(reverse));
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
  // (Markup % args escapes the arguments: py.ts's mod does it as markupsafe does)
  return mod(softStr(value), kwargs.size > 0 ? new Map(kwargs) : makeTuple([...args]));
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
  if (isIntValue(v) || typeof v === 'bigint') return v;
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
  else if (isDict(seq) || seq instanceof PyRange || seq instanceof DictView || seq instanceof Undefined || seq instanceof PyBytes)
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
    let f: FilterFn | undefined;
    func = (item) => {
      f ??= lookupFilter(env, name);
      return f(env, item, rest, kwargs);
    };
  }
  for (const item of iterate(value)) yield func(item);
}

function lookupFilter(env: FilterEnv, name: unknown): FilterFn {
  const f = typeof name === 'string' ? env.filter(name) : undefined;
  if (f === undefined) throw new PyError('TemplateRuntimeError', `No filter named ${pyRepr(name)}.`);
  return f;
}

function callTest(env: FilterEnv, name: unknown, value: unknown, args: unknown[], kwargs: Map<string, unknown>): boolean {
  const t = typeof name === 'string' ? env.test(name) : undefined;
  if (t === undefined) throw new PyError('TemplateRuntimeError', `No test named ${pyRepr(name)}.`);
  // (keyword arguments reach a test as a trailing Kwargs, as the evaluator passes them)
  return t(env, value, kwargs.size > 0 ? [...args, new Kwargs(kwargs)] : args);
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
  return pyIndex(seq, i); // random.choice indexes: a dict by key, a set not at all
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
    if (o === '') return str === '' ? w : codePoints(str).length === str.length ? w + str.split('').join(w) + w : w + codePoints(str).join(w) + w;
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
  if (method !== 'common' && method !== 'ceil' && method !== 'floor') {
    checkHashable(method); // `method not in {...}` hashes it
    throw filterArgumentError('method must be common, ceil or floor');
  }
  if (method === 'common') {
    if (precision === null || precision === undefined) return roundToInt(v);
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
  if (slices instanceof Undefined) throw undefinedError(slices); // length // slices
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
  return pySorted(iterate(v), key, sortedReverse(reverse), true);
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

const WORD_BEGIN_SPLIT = new RegExp(`([-${PY_SPACE_CLASS}({[<]+)`, 'u');

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
  let s: string;
  if (isStr(v) || indent === null || indent === undefined) s = jsonDumps(v, null);
  else if (isStr(indent)) s = jsonDumps(v, rawStr(indent));
  else {
    const spaces = mul(' ', indent); // as json's encoder does: ' ' * indent
    s = jsonDumps(v, typeof spaces === 'string' ? spaces : rawStr(spaces as Markup));
  }
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
  if (!isStr(s)) {
    // jinja2 slices it and then adds `end` (killwords) or calls .rsplit on the slice: as Python fails there
    const head = sliceOf(s, null, sub(length, endLen), null);
    if (truthy(killwords)) return add(head, end);
    throw new PyError('AttributeError', `'${typeName(head)}' object has no attribute 'rsplit'`);
  }
  const str = rawStr(s);
  const n = intArg(length) - endLen;
  // Markup + str escapes the str.
  const endStr = s instanceof Markup ? escape(end).value : sstr(end);
  const head = n >= 0 ? cpSlice(str, 0, n) : cpSlice(str, 0, Math.max(0, cpLen(str) + n));
  const i = truthy(killwords) ? -1 : head.lastIndexOf(' ');
  return like(s, (i < 0 ? head : head.slice(0, i)) + endStr);
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
  const tgt = target === null || target === undefined ? null : sstr(target);
  return urlize(v, trimUrlLimit, relStr, truthy(tgt) ? tgt : null, schemes);
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
  // bytes split into lines, and then textwrap's str patterns refuse them
  if (s instanceof PyBytes) {
    if (s.size === 0) return '';
    throw new PyError('TypeError', 'cannot use a string pattern on a bytes-like object');
  }
  if (!isStr(s)) throw new PyError('AttributeError', `'${typeName(s)}' object has no attribute 'splitlines'`);
  return pySplitlines(rawStr(s))
    .map((line) => {
      // TextWrapper compares its width only when it wraps a line.
      compare('<=', width, 0);
      const w = numberOrUndef(width)!;
      return textwrap(line, w, truthy(breakLongWords), truthy(breakOnHyphens)).join(wrap);
    })
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

/** jinja2's filters by name (a null-prototype object: 'constructor' is no filter). */
export const FILTERS: Record<string, FilterFn> = Object.assign(Object.create(null) as Record<string, FilterFn>, {
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
} satisfies Record<string, FilterFn>);

// Helpers other modules of the evaluator may want (json.dumps, pprint.pformat, '%.Nf', round()).
export { jsonDumps, pformat, formatFixed, roundFloat, parsePyFloat, parsePyInt, NO_KWARGS };
