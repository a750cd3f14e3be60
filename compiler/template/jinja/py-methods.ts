/**
 * The methods of Python's built-in types (str, list, tuple, dict, set, int, float), bound to a
 * value: methodOf('a,b', 'split') is a function called as fn(',') or fn(',', kwargs).
 * Behaviour and errors follow CPython 3.11. Positions in str are code points.
 */

import { Kwargs, Markup, PyError, PyFloat, Undefined, isPlainObject, isTuple, makeTuple } from './values.js';
import {
  DictView,
  MISSING,
  checkHashable,
  codePoints,
  compare,
  dictDelete,
  dictLookup,
  dictSet,
  eq,
  iterate,
  len,
  pyFloat,
  pyRepr,
  setAdd,
  setHas,
  typeName,
} from './py.js';
import { strFormat, strFormatMap } from './py-format.js';

type Dict = Map<unknown, unknown> | Record<string, unknown>;
type Method<T> = (self: T, pos: unknown[], kw: Map<string, unknown> | undefined) => unknown;

// ---------------------------------------------------------------------------------------------
// Arguments

function undefinedArg(x: unknown): void {
  if (x instanceof Undefined) throw new PyError('UndefinedError', x.hint);
}

/** Check the count of arguments; positional-only methods reject keywords (CPython's messages). */
function arity(name: string, pos: unknown[], kw: Map<string, unknown> | undefined, min: number, max: number, style: 'at' | 'expected' | 'exactly' | 'none' = 'at'): void {
  if (kw !== undefined && kw.size > 0) throw new PyError('TypeError', `${name}() takes no keyword arguments`);
  const n = pos.length;
  for (const x of pos) undefinedArg(x);
  if (n >= min && n <= max) return;
  const short = name.replace(/^\w+\./, '');
  if (style === 'none') throw new PyError('TypeError', `${name}() takes no arguments (${n} given)`);
  if (style === 'exactly') {
    throw new PyError('TypeError', `${name}() takes exactly one argument (${n} given)`);
  }
  if (style === 'expected') {
    if (n < min) throw new PyError('TypeError', `${short} expected at least ${min} argument${min === 1 ? '' : 's'}, got ${n}`);
    throw new PyError('TypeError', `${short} expected at most ${max} argument${max === 1 ? '' : 's'}, got ${n}`);
  }
  if (n < min) throw new PyError('TypeError', `${short}() takes at least ${min} argument${min === 1 ? '' : 's'} (${n} given)`);
  throw new PyError('TypeError', `${short}() takes at most ${max} argument${max === 1 ? '' : 's'} (${n} given)`);
}

/** Bind positional and keyword arguments to names (for methods that accept keywords). */
function bind(name: string, pos: unknown[], kw: Map<string, unknown> | undefined, names: string[], min: number): unknown[] {
  if (pos.length > names.length) {
    throw new PyError('TypeError', `${name}() takes at most ${names.length} argument${names.length === 1 ? '' : 's'} (${pos.length} given)`);
  }
  const out: unknown[] = pos.slice();
  if (kw !== undefined) {
    for (const [k, v] of kw) {
      const i = names.indexOf(k);
      if (i < 0) throw new PyError('TypeError', `'${k}' is an invalid keyword argument for ${name}()`);
      if (i < pos.length) throw new PyError('TypeError', `argument for ${name}() given by name ('${k}') and position (${i + 1})`);
      out[i] = v;
    }
  }
  for (let i = 0; i < min; i++) {
    if (out[i] === undefined) throw new PyError('TypeError', `${name}() missing required argument '${names[i]}' (pos ${i + 1})`);
  }
  for (const x of out) undefinedArg(x);
  return out;
}

function asIndex(x: unknown): number {
  if (typeof x === 'number' && Number.isInteger(x)) return x;
  if (typeof x === 'boolean') return x ? 1 : 0;
  throw new PyError('TypeError', `'${typeName(x)}' object cannot be interpreted as an integer`);
}

function optIndex(x: unknown): number | undefined {
  return x === undefined || x === null ? undefined : asIndex(x);
}

function asStr(x: unknown, what = 'must be str'): string {
  if (typeof x === 'string') return x;
  if (x instanceof Markup) return x.value;
  throw new PyError('TypeError', `${what}, not ${typeName(x)}`);
}

// ---------------------------------------------------------------------------------------------
// str

const SURROGATE = /[\uD800-\uDFFF]/;
const WS = '\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000';
const WS_SET = new Set(WS);
const WS_RUN = new RegExp(`[${WS}]+`, 'u');
const LINE_BREAK = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/;

/** Python's start/end arguments (slice-style) over a length n. */
function range(n: number, start: unknown, end: unknown): [number, number] {
  let a = optIndex(start) ?? 0;
  let b = optIndex(end) ?? n;
  if (a < 0) a = Math.max(0, a + n);
  if (b < 0) b = Math.max(0, b + n);
  else if (b > n) b = n;
  return [a, b];
}

/** A str as code points when it has astral characters (positions differ), else itself. */
function cps(s: string): string | string[] {
  return SURROGATE.test(s) ? Array.from(s) : s;
}

function findIn(s: string, sub: string, start: unknown, end: unknown, reverse: boolean): number {
  const seq = cps(s);
  const n = seq.length;
  const [a, b] = range(n, start, end);
  if (a > n) return -1;
  const subLen = typeof seq === 'string' ? sub.length : Array.from(sub).length;
  if (b - a < subLen) return -1;
  if (typeof seq === 'string') {
    if (reverse) {
      const i = s.lastIndexOf(sub, b - sub.length);
      return i >= a ? i : -1;
    }
    const i = s.indexOf(sub, a);
    return i >= 0 && i + sub.length <= b ? i : -1;
  }
  const subCps = Array.from(sub);
  const matches = (i: number): boolean => subCps.every((c, j) => seq[i + j] === c);
  if (reverse) {
    for (let i = b - subLen; i >= a; i--) if (matches(i)) return i;
  } else {
    for (let i = a; i + subLen <= b; i++) if (matches(i)) return i;
  }
  return -1;
}

function countIn(s: string, sub: string, start: unknown, end: unknown): number {
  const seq = cps(s);
  const n = seq.length;
  const [a, b] = range(n, start, end);
  if (a > n) return 0;
  if (sub === '') return Math.max(0, b - a) + 1;
  const part = typeof seq === 'string' ? s.slice(a, b) : seq.slice(a, b).join('');
  return part.split(sub).length - 1;
}

function padCheck(fill: unknown): string {
  if (fill === undefined) return ' ';
  const f = asStr(fill, 'The fill character must be a unicode character');
  if (Array.from(f).length !== 1) throw new PyError('TypeError', 'The fill character must be exactly one character long');
  return f;
}

function splitWhitespace(s: string, maxsplit: number): string[] {
  const out: string[] = [];
  let rest = s.replace(new RegExp(`^[${WS}]+`, 'u'), '');
  while (rest.length > 0) {
    if (maxsplit >= 0 && out.length >= maxsplit) {
      out.push(rest);
      break;
    }
    const m = WS_RUN.exec(rest);
    if (!m) {
      out.push(rest);
      break;
    }
    out.push(rest.slice(0, m.index));
    rest = rest.slice(m.index + m[0].length);
  }
  return out;
}

function rsplitWhitespace(s: string, maxsplit: number): string[] {
  const out: string[] = [];
  let rest = s.replace(new RegExp(`[${WS}]+$`, 'u'), '');
  while (rest.length > 0) {
    if (maxsplit >= 0 && out.length >= maxsplit) {
      out.push(rest);
      break;
    }
    const m = new RegExp(`[${WS}]+(?=[^${WS}]*$)`, 'u').exec(rest);
    if (!m) {
      out.push(rest);
      break;
    }
    out.push(rest.slice(m.index + m[0].length));
    rest = rest.slice(0, m.index);
  }
  return out.reverse();
}

function splitArgs(name: string, pos: unknown[], kw: Map<string, unknown> | undefined): [string | null, number] {
  const [sep, max] = bind(name, pos, kw, ['sep', 'maxsplit'], 0);
  const maxsplit = max === undefined ? -1 : asIndex(max);
  if (sep === undefined || sep === null) return [null, maxsplit];
  const s = asStr(sep, 'must be str or None');
  if (s === '') throw new PyError('ValueError', 'empty separator');
  return [s, maxsplit];
}

function split(s: string, pos: unknown[], kw: Map<string, unknown> | undefined): string[] {
  const [sep, maxsplit] = splitArgs('split', pos, kw);
  if (sep === null) return splitWhitespace(s, maxsplit);
  const parts = s.split(sep);
  if (maxsplit < 0 || parts.length - 1 <= maxsplit) return parts;
  return [...parts.slice(0, maxsplit), parts.slice(maxsplit).join(sep)];
}

function rsplit(s: string, pos: unknown[], kw: Map<string, unknown> | undefined): string[] {
  const [sep, maxsplit] = splitArgs('rsplit', pos, kw);
  if (sep === null) return rsplitWhitespace(s, maxsplit);
  const parts = s.split(sep);
  if (maxsplit < 0 || parts.length - 1 <= maxsplit) return parts;
  const cut = parts.length - maxsplit;
  return [parts.slice(0, cut).join(sep), ...parts.slice(cut)];
}

function stripChars(name: string, pos: unknown[], kw: Map<string, unknown> | undefined): Set<string> | null {
  arity(`str.${name}`, pos, kw, 0, 1, 'expected');
  const c = pos[0];
  if (c === undefined || c === null) return null;
  if (typeof c !== 'string' && !(c instanceof Markup)) throw new PyError('TypeError', `${name} arg must be None or str`);
  return new Set(Array.from(typeof c === 'string' ? c : c.value));
}

function strip(s: string, chars: Set<string> | null, left: boolean, right: boolean): string {
  const set = chars ?? WS_SET;
  const arr = cps(s);
  let a = 0;
  let b = arr.length;
  if (left) while (a < b && set.has(arr[a]!)) a++;
  if (right) while (b > a && set.has(arr[b - 1]!)) b--;
  return typeof arr === 'string' ? arr.slice(a, b) : arr.slice(a, b).join('');
}

const CASED = /[\p{Lu}\p{Ll}\p{Lt}]/u;

function isCased(ch: string): boolean {
  return CASED.test(ch) || ch.toLowerCase() !== ch.toUpperCase();
}

function title(s: string): string {
  let out = '';
  let prevCased = false;
  for (const ch of s) {
    if (prevCased) out += ch.toLowerCase();
    else out += ch.length === 1 && TITLE_SPECIAL.has(ch) ? TITLE_SPECIAL.get(ch)! : ch.toUpperCase();
    prevCased = isCased(ch);
  }
  return out;
}

const TITLE_SPECIAL = new Map([
  ['ǆ', 'ǅ'],
  ['Ǆ', 'ǅ'],
  ['ǉ', 'ǈ'],
  ['Ǉ', 'ǈ'],
  ['ǌ', 'ǋ'],
  ['Ǌ', 'ǋ'],
  ['ǳ', 'ǲ'],
  ['Ǳ', 'ǲ'],
  ['ß', 'Ss'],
]);

function swapcase(s: string): string {
  let out = '';
  for (const ch of s) {
    const u = ch.toUpperCase();
    out += u !== ch ? u : ch.toLowerCase();
  }
  return out;
}

function allChars(s: string, re: RegExp): boolean {
  if (s.length === 0) return false;
  for (const ch of s) if (!re.test(ch)) return false;
  return true;
}

const ALPHA = /^[\p{L}]$/u;
const DECIMAL = /^\p{Nd}$/u;
const DIGIT = /^[\p{Nd}\u00b2\u00b3\u00b9\u2070-\u2079\u2080-\u2089\u2460-\u2468\u2474-\u247c\u2488-\u2490\u24ea\u24f5-\u24fd\u24ff\u2776-\u277e\u2780-\u2788\u278a-\u2792\u1369-\u1371\u19da\u{10a40}-\u{10a43}\u{1f100}-\u{1f10a}]$/u;
const NUMERIC = /^[\p{N}\u3007\u4e00\u4e8c\u4e09\u56db\u4e94\u516d\u4e03\u516b\u4e5d\u5341\u767e\u5343\u4e07\u5104\u5146\u96f6\u58f9\u8cb3\u53c3\u8086\u4f0d\u9678\u67d2\u634c\u7396\u62fe\u4f70\u4edf]$/u;
const ALNUM = new RegExp(`^(?:${ALPHA.source.slice(1, -1)}|${NUMERIC.source.slice(1, -1)})$`, 'u');
const SPACE = new RegExp(`^[${WS}]$`, 'u');
const IDENT = /^[\p{L}\p{Nl}_\u1885\u1886\u2118\u212e\u309b\u309c][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}_\u00b7\u0387\u1369-\u1371\u19da\u1885\u1886\u2118\u212e\u309b\u309c]*$/u;

function isLowerOrUpper(s: string, lower: boolean): boolean {
  let cased = false;
  for (const ch of s) {
    const up = ch.toUpperCase();
    const lo = ch.toLowerCase();
    if (lower ? /\p{Lu}|\p{Lt}/u.test(ch) : /\p{Ll}|\p{Lt}/u.test(ch)) return false;
    if (up !== lo || CASED.test(ch)) cased = true;
  }
  return cased;
}

function isTitle(s: string): boolean {
  let cased = false;
  let prevCased = false;
  for (const ch of s) {
    if (/\p{Lu}|\p{Lt}/u.test(ch)) {
      if (prevCased) return false;
      prevCased = true;
      cased = true;
    } else if (/\p{Ll}/u.test(ch)) {
      if (!prevCased) return false;
      prevCased = true;
      cased = true;
    } else prevCased = false;
  }
  return cased;
}

function affix(name: string, s: string, pos: unknown[], kw: Map<string, unknown> | undefined, end: boolean): boolean {
  arity(name, pos, kw, 1, 3, 'at');
  const [p, start, stop] = pos;
  const seq = cps(s);
  const n = seq.length;
  const [a, b] = range(n, start, stop);
  const part = a > n ? null : typeof seq === 'string' ? s.slice(a, Math.max(a, b)) : seq.slice(a, Math.max(a, b)).join('');
  const test = (x: unknown): boolean => {
    const q = typeof x === 'string' ? x : x instanceof Markup ? x.value : undefined;
    if (q === undefined) {
      throw new PyError(
        'TypeError',
        isTuple(p)
          ? `tuple for ${name} must only contain str, not ${typeName(x)}`
          : `${name} first arg must be str or a tuple of str, not ${typeName(x)}`,
      );
    }
    if (part === null) return false;
    return end ? part.endsWith(q) : part.startsWith(q);
  };
  if (isTuple(p)) {
    for (const x of p) if (test(x)) return true;
    return false;
  }
  return test(p);
}

function replace(s: string, pos: unknown[], kw: Map<string, unknown> | undefined): string {
  if (kw !== undefined && kw.size > 0) throw new PyError('TypeError', 'str.replace() takes no keyword arguments');
  arity('str.replace', pos, kw, 2, 3, 'expected');
  const old = asStr(pos[0], `replace() argument 1 must be str`);
  const neu = asStr(pos[1], `replace() argument 2 must be str`);
  const count = pos[2] === undefined ? -1 : asIndex(pos[2]);
  if (count < 0) {
    if (old === '') return neu + codePoints(s).join(neu) + (s === '' ? '' : neu);
    return s.split(old).join(neu);
  }
  if (old === '') {
    const chars = codePoints(s);
    let out = '';
    let done = 0;
    for (let i = 0; i <= chars.length; i++) {
      if (done < count) {
        out += neu;
        done++;
      }
      if (i < chars.length) out += chars[i];
    }
    return out;
  }
  const parts = s.split(old);
  if (parts.length - 1 <= count) return parts.join(neu);
  return parts.slice(0, count + 1).join(neu) + old + parts.slice(count + 1).join(old);
}

function justify(name: string, s: string, pos: unknown[], kw: Map<string, unknown> | undefined, how: 'l' | 'r' | 'c'): string {
  arity(`str.${name}`, pos, kw, 1, 2, 'expected');
  const width = asIndex(pos[0]);
  const fill = padCheck(pos[1]);
  const n = len(s);
  if (width <= n) return s;
  const marg = width - n;
  if (how === 'l') return s + fill.repeat(marg);
  if (how === 'r') return fill.repeat(marg) + s;
  const left = Math.floor(marg / 2) + (marg & width & 1);
  return fill.repeat(left) + s + fill.repeat(marg - left);
}

function expandtabs(s: string, pos: unknown[], kw: Map<string, unknown> | undefined): string {
  const [ts] = bind('expandtabs', pos, kw, ['tabsize'], 0);
  const tab = ts === undefined ? 8 : asIndex(ts);
  let out = '';
  let col = 0;
  for (const ch of s) {
    if (ch === '\t') {
      if (tab > 0) {
        const n = tab - (col % tab);
        out += ' '.repeat(n);
        col += n;
      }
    } else {
      out += ch;
      col = ch === '\n' || ch === '\r' ? 0 : col + 1;
    }
  }
  return out;
}

function splitlines(s: string, pos: unknown[], kw: Map<string, unknown> | undefined): string[] {
  const [ke] = bind('splitlines', pos, kw, ['keepends'], 0);
  const keep = ke !== undefined && ke !== false && ke !== 0 && ke !== null;
  const out: string[] = [];
  let rest = s;
  while (rest.length > 0) {
    const m = LINE_BREAK.exec(rest);
    if (!m) {
      out.push(rest);
      break;
    }
    out.push(rest.slice(0, keep ? m.index + m[0].length : m.index));
    rest = rest.slice(m.index + m[0].length);
  }
  return out;
}

function partition(s: string, pos: unknown[], kw: Map<string, unknown> | undefined, right: boolean): unknown {
  arity(right ? 'str.rpartition' : 'str.partition', pos, kw, 1, 1, 'exactly');
  const sep = asStr(pos[0], 'must be str');
  if (sep === '') throw new PyError('ValueError', 'empty separator');
  const i = right ? s.lastIndexOf(sep) : s.indexOf(sep);
  if (i < 0) return right ? makeTuple(['', '', s]) : makeTuple([s, '', '']);
  return makeTuple([s.slice(0, i), sep, s.slice(i + sep.length)]);
}

function join(s: string, pos: unknown[], kw: Map<string, unknown> | undefined): string {
  arity('str.join', pos, kw, 1, 1, 'exactly');
  const parts: string[] = [];
  let i = 0;
  for (const x of iterate(pos[0])) {
    if (typeof x === 'string') parts.push(x);
    else if (x instanceof Markup) parts.push(x.value);
    else throw new PyError('TypeError', `sequence item ${i}: expected str instance, ${typeName(x)} found`);
    i++;
  }
  return parts.join(s);
}

function zfill(s: string, pos: unknown[], kw: Map<string, unknown> | undefined): string {
  arity('str.zfill', pos, kw, 1, 1, 'exactly');
  const width = asIndex(pos[0]);
  const n = len(s);
  if (width <= n) return s;
  const fill = '0'.repeat(width - n);
  if (s[0] === '+' || s[0] === '-') return s[0] + fill + s.slice(1);
  return fill + s;
}

function translate(s: string, pos: unknown[], kw: Map<string, unknown> | undefined): string {
  arity('str.translate', pos, kw, 1, 1, 'exactly');
  const table = pos[0];
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    let v: unknown = MISSING;
    if (table instanceof Map || isPlainObject(table)) v = dictLookup(table as Dict, c);
    else if (Array.isArray(table) || typeof table === 'string') v = c < len(table) ? (Array.isArray(table) ? table[c] : codePoints(table)[c]) : MISSING;
    else throw new PyError('TypeError', `'${typeName(table)}' object is not subscriptable`);
    if (v === MISSING) out += ch;
    else if (v === null) continue;
    else if (typeof v === 'string') out += v;
    else if (typeof v === 'number' && Number.isInteger(v)) out += String.fromCodePoint(v);
    else throw new PyError('TypeError', 'character mapping must return integer, None or str');
  }
  return out;
}

function find(name: string, s: string, pos: unknown[], kw: Map<string, unknown> | undefined, reverse: boolean, raise: boolean): number {
  arity(`str.${name}`, pos, kw, 1, 3, 'at');
  const sub = asStr(pos[0]);
  const i = findIn(s, sub, pos[1], pos[2], reverse);
  if (i < 0 && raise) throw new PyError('ValueError', 'substring not found');
  return i;
}

function noArgs(name: string, fn: (s: string) => unknown): Method<string> {
  return (s, pos, kw) => {
    arity(`str.${name}`, pos, kw, 0, 0, 'none');
    return fn(s);
  };
}

const STR_METHODS: Record<string, Method<string>> = {
  capitalize: noArgs('capitalize', (s) => {
    const chars = codePoints(s);
    if (chars.length === 0) return '';
    const first = chars[0]!;
    return (TITLE_SPECIAL.get(first) ?? first.toUpperCase()) + chars.slice(1).join('').toLowerCase();
  }),
  casefold: noArgs('casefold', (s) => s.toLowerCase().replace(/ß/g, 'ss').replace(/ς/g, 'σ')),
  center: (s, pos, kw) => justify('center', s, pos, kw, 'c'),
  count: (s, pos, kw) => {
    arity('str.count', pos, kw, 1, 3, 'at');
    return countIn(s, asStr(pos[0]), pos[1], pos[2]);
  },
  endswith: (s, pos, kw) => affix('endswith', s, pos, kw, true),
  expandtabs,
  find: (s, pos, kw) => find('find', s, pos, kw, false, false),
  format: (s, pos, kw) => strFormat(s, pos, kw),
  format_map: (s, pos, kw) => {
    arity('str.format_map', pos, kw, 1, 1, 'exactly');
    return strFormatMap(s, pos[0]);
  },
  index: (s, pos, kw) => find('index', s, pos, kw, false, true),
  isalnum: noArgs('isalnum', (s) => allChars(s, ALNUM)),
  isalpha: noArgs('isalpha', (s) => allChars(s, ALPHA)),
  isascii: noArgs('isascii', (s) => /^[\x00-\x7f]*$/.test(s)),
  isdecimal: noArgs('isdecimal', (s) => allChars(s, DECIMAL)),
  isdigit: noArgs('isdigit', (s) => allChars(s, DIGIT)),
  isidentifier: noArgs('isidentifier', (s) => IDENT.test(s)),
  islower: noArgs('islower', (s) => isLowerOrUpper(s, true)),
  isnumeric: noArgs('isnumeric', (s) => allChars(s, NUMERIC)),
  isprintable: noArgs('isprintable', (s) => !/[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u.test(s.replace(/ /g, ''))),
  isspace: noArgs('isspace', (s) => allChars(s, SPACE)),
  istitle: noArgs('istitle', isTitle),
  isupper: noArgs('isupper', (s) => isLowerOrUpper(s, false)),
  join,
  ljust: (s, pos, kw) => justify('ljust', s, pos, kw, 'l'),
  lower: noArgs('lower', (s) => s.toLowerCase()),
  lstrip: (s, pos, kw) => strip(s, stripChars('lstrip', pos, kw), true, false),
  partition: (s, pos, kw) => partition(s, pos, kw, false),
  removeprefix: (s, pos, kw) => {
    arity('str.removeprefix', pos, kw, 1, 1, 'exactly');
    const p = asStr(pos[0], 'removeprefix() argument must be str');
    return p !== '' && s.startsWith(p) ? s.slice(p.length) : s;
  },
  removesuffix: (s, pos, kw) => {
    arity('str.removesuffix', pos, kw, 1, 1, 'exactly');
    const p = asStr(pos[0], 'removesuffix() argument must be str');
    return p !== '' && s.endsWith(p) ? s.slice(0, s.length - p.length) : s;
  },
  replace,
  rfind: (s, pos, kw) => find('rfind', s, pos, kw, true, false),
  rindex: (s, pos, kw) => find('rindex', s, pos, kw, true, true),
  rjust: (s, pos, kw) => justify('rjust', s, pos, kw, 'r'),
  rpartition: (s, pos, kw) => partition(s, pos, kw, true),
  rsplit,
  rstrip: (s, pos, kw) => strip(s, stripChars('rstrip', pos, kw), false, true),
  split,
  splitlines,
  startswith: (s, pos, kw) => affix('startswith', s, pos, kw, false),
  strip: (s, pos, kw) => strip(s, stripChars('strip', pos, kw), true, true),
  swapcase: noArgs('swapcase', swapcase),
  title: noArgs('title', title),
  translate,
  upper: noArgs('upper', (s) => s.toUpperCase()),
  zfill,
};

// ---------------------------------------------------------------------------------------------
// list and tuple

function seqIndex(name: string, self: readonly unknown[], pos: unknown[], kw: Map<string, unknown> | undefined): number {
  arity(name, pos, kw, 1, 3, 'at');
  const [a, b] = range(self.length, pos[1], pos[2]);
  for (let i = a; i < b && i < self.length; i++) if (eq(self[i], pos[0])) return i;
  throw new PyError('ValueError', isTuple(self) ? 'tuple.index(x): x not in tuple' : `${pyRepr(pos[0])} is not in list`);
}

function seqCount(name: string, self: readonly unknown[], pos: unknown[], kw: Map<string, unknown> | undefined): number {
  arity(name, pos, kw, 1, 1, 'exactly');
  let n = 0;
  for (const x of self) if (eq(x, pos[0])) n++;
  return n;
}

function sortList(self: unknown[], pos: unknown[], kw: Map<string, unknown> | undefined): null {
  if (pos.length > 0) throw new PyError('TypeError', 'sort() takes no positional arguments');
  let key: unknown = null;
  let reverse: unknown = false;
  if (kw !== undefined) {
    for (const [k, v] of kw) {
      if (k === 'key') key = v;
      else if (k === 'reverse') reverse = v;
      else throw new PyError('TypeError', `'${k}' is an invalid keyword argument for sort()`);
    }
  }
  const rev = reverse === true || (typeof reverse === 'number' && reverse !== 0) || (reverse instanceof PyFloat && reverse.value !== 0);
  const keys = key === null || key === undefined ? self.slice() : self.map((x) => (key as (v: unknown) => unknown)(x));
  const idx = self.map((_, i) => i);
  const lt = (a: unknown, b: unknown): boolean => compare('<', a, b);
  // Python sorts stably; reverse=True keeps equal items in their original order too.
  if (rev) idx.sort((i, j) => (lt(keys[j], keys[i]) ? -1 : lt(keys[i], keys[j]) ? 1 : 0));
  else idx.sort((i, j) => (lt(keys[i], keys[j]) ? -1 : lt(keys[j], keys[i]) ? 1 : 0));
  const sorted = idx.map((i) => self[i]);
  self.splice(0, self.length, ...sorted);
  return null;
}

const TUPLE_METHODS: Record<string, Method<readonly unknown[]>> = {
  count: (self, pos, kw) => seqCount('tuple.count', self, pos, kw),
  index: (self, pos, kw) => seqIndex('index', self, pos, kw),
};

const LIST_METHODS: Record<string, Method<unknown[]>> = {
  append: (self, pos, kw) => {
    arity('list.append', pos, kw, 1, 1, 'exactly');
    self.push(pos[0]);
    return null;
  },
  clear: (self, pos, kw) => {
    arity('list.clear', pos, kw, 0, 0, 'none');
    self.length = 0;
    return null;
  },
  copy: (self, pos, kw) => {
    arity('list.copy', pos, kw, 0, 0, 'none');
    return self.slice();
  },
  count: (self, pos, kw) => seqCount('list.count', self, pos, kw),
  extend: (self, pos, kw) => {
    arity('list.extend', pos, kw, 1, 1, 'exactly');
    const items = [...iterate(pos[0])];
    for (const x of items) self.push(x);
    return null;
  },
  index: (self, pos, kw) => seqIndex('index', self, pos, kw),
  insert: (self, pos, kw) => {
    arity('insert', pos, kw, 2, 2, 'expected');
    let i = asIndex(pos[0]);
    const n = self.length;
    if (i < 0) i = Math.max(0, i + n);
    else if (i > n) i = n;
    self.splice(i, 0, pos[1]);
    return null;
  },
  pop: (self, pos, kw) => {
    arity('pop', pos, kw, 0, 1, 'expected');
    if (self.length === 0) throw new PyError('IndexError', 'pop from empty list');
    let i = pos[0] === undefined ? -1 : asIndex(pos[0]);
    if (i < 0) i += self.length;
    if (i < 0 || i >= self.length) throw new PyError('IndexError', 'pop index out of range');
    return self.splice(i, 1)[0];
  },
  remove: (self, pos, kw) => {
    arity('list.remove', pos, kw, 1, 1, 'exactly');
    for (let i = 0; i < self.length; i++) {
      if (eq(self[i], pos[0])) {
        self.splice(i, 1);
        return null;
      }
    }
    throw new PyError('ValueError', 'list.remove(x): x not in list');
  },
  reverse: (self, pos, kw) => {
    arity('list.reverse', pos, kw, 0, 0, 'none');
    self.reverse();
    return null;
  },
  sort: sortList,
};

// ---------------------------------------------------------------------------------------------
// dict (a Map, or a plain host object)

function dictKeys(d: Dict): unknown[] {
  return d instanceof Map ? [...d.keys()] : Object.keys(d);
}

function copyDict(d: Dict): Map<unknown, unknown> {
  return d instanceof Map ? new Map(d) : new Map(Object.entries(d));
}

function updateDict(d: Dict, other: unknown): void {
  if (other === undefined) return;
  if (other instanceof Map) {
    for (const [k, v] of other) dictSet(d, k, v);
    return;
  }
  if (isPlainObject(other)) {
    for (const k of Object.keys(other)) dictSet(d, k, other[k]);
    return;
  }
  let i = 0;
  for (const item of iterate(other)) {
    if (typeof item === 'string' || Array.isArray(item)) {
      const pair = typeof item === 'string' ? codePoints(item) : item;
      if (pair.length !== 2) {
        throw new PyError('ValueError', `dictionary update sequence element #${i} has length ${pair.length}; 2 is required`);
      }
      dictSet(d, pair[0], pair[1]);
    } else throw new PyError('TypeError', `cannot convert dictionary update sequence element #${i} to a sequence`);
    i++;
  }
}

const DICT_METHODS: Record<string, Method<Dict>> = {
  clear: (d, pos, kw) => {
    arity('dict.clear', pos, kw, 0, 0, 'none');
    if (d instanceof Map) d.clear();
    else for (const k of Object.keys(d)) delete d[k];
    return null;
  },
  copy: (d, pos, kw) => {
    arity('dict.copy', pos, kw, 0, 0, 'none');
    return copyDict(d);
  },
  fromkeys: (_d, pos, kw) => {
    arity('fromkeys', pos, kw, 1, 2, 'expected');
    const out = new Map<unknown, unknown>();
    const v = pos[1] === undefined ? null : pos[1];
    for (const k of iterate(pos[0])) dictSet(out, k, v);
    return out;
  },
  get: (d, pos, kw) => {
    arity('get', pos, kw, 1, 2, 'expected');
    const v = dictLookup(d, pos[0]);
    return v === MISSING ? (pos[1] === undefined ? null : pos[1]) : v;
  },
  items: (d, pos, kw) => {
    arity('dict.items', pos, kw, 0, 0, 'none');
    return new DictView('dict_items', d);
  },
  keys: (d, pos, kw) => {
    arity('dict.keys', pos, kw, 0, 0, 'none');
    return new DictView('dict_keys', d);
  },
  pop: (d, pos, kw) => {
    arity('pop', pos, kw, 1, 2, 'expected');
    const v = dictLookup(d, pos[0]);
    if (v === MISSING) {
      if (pos.length > 1) return pos[1];
      throw new PyError('KeyError', pyRepr(pos[0]));
    }
    dictDelete(d, pos[0]);
    return v;
  },
  popitem: (d, pos, kw) => {
    arity('dict.popitem', pos, kw, 0, 0, 'none');
    const keys = dictKeys(d);
    if (keys.length === 0) throw new PyError('KeyError', "'popitem(): dictionary is empty'");
    const k = keys[keys.length - 1];
    const v = dictLookup(d, k);
    dictDelete(d, k);
    return makeTuple([k, v]);
  },
  setdefault: (d, pos, kw) => {
    arity('setdefault', pos, kw, 1, 2, 'expected');
    const v = dictLookup(d, pos[0]);
    if (v !== MISSING) return v;
    const dflt = pos[1] === undefined ? null : pos[1];
    dictSet(d, pos[0], dflt);
    return dflt;
  },
  update: (d, pos, kw) => {
    if (pos.length > 1) throw new PyError('TypeError', `update expected at most 1 argument, got ${pos.length}`);
    for (const x of pos) undefinedArg(x);
    updateDict(d, pos[0]);
    if (kw !== undefined) for (const [k, v] of kw) dictSet(d, k, v);
    return null;
  },
  values: (d, pos, kw) => {
    arity('dict.values', pos, kw, 0, 0, 'none');
    return new DictView('dict_values', d);
  },
};

// ---------------------------------------------------------------------------------------------
// set

function toSet(x: unknown): Set<unknown> {
  if (x instanceof Set) return x;
  const s = new Set<unknown>();
  for (const v of iterate(x)) {
    checkHashable(v);
    setAdd(s, v);
  }
  return s;
}

function setOp(name: string, fn: (self: Set<unknown>, others: Set<unknown>[]) => unknown): Method<Set<unknown>> {
  return (self, pos, kw) => {
    if (kw !== undefined && kw.size > 0) throw new PyError('TypeError', `set.${name}() takes no keyword arguments`);
    for (const x of pos) undefinedArg(x);
    return fn(self, pos.map(toSet));
  };
}

const SET_METHODS: Record<string, Method<Set<unknown>>> = {
  add: (self, pos, kw) => {
    arity('set.add', pos, kw, 1, 1, 'exactly');
    checkHashable(pos[0]);
    setAdd(self, pos[0]);
    return null;
  },
  clear: (self, pos, kw) => {
    arity('set.clear', pos, kw, 0, 0, 'none');
    self.clear();
    return null;
  },
  copy: (self, pos, kw) => {
    arity('set.copy', pos, kw, 0, 0, 'none');
    return new Set(self);
  },
  difference: setOp('difference', (self, others) => {
    const out = new Set<unknown>();
    for (const x of self) if (!others.some((o) => setHas(o, x))) out.add(x);
    return out;
  }),
  discard: (self, pos, kw) => {
    arity('set.discard', pos, kw, 1, 1, 'exactly');
    for (const x of self) if (eq(x, pos[0])) self.delete(x);
    return null;
  },
  intersection: setOp('intersection', (self, others) => {
    const out = new Set<unknown>();
    for (const x of self) if (others.every((o) => setHas(o, x))) out.add(x);
    return out;
  }),
  isdisjoint: (self, pos, kw) => {
    arity('set.isdisjoint', pos, kw, 1, 1, 'exactly');
    const o = toSet(pos[0]);
    for (const x of self) if (setHas(o, x)) return false;
    return true;
  },
  issubset: (self, pos, kw) => {
    arity('set.issubset', pos, kw, 1, 1, 'exactly');
    const o = toSet(pos[0]);
    for (const x of self) if (!setHas(o, x)) return false;
    return true;
  },
  issuperset: (self, pos, kw) => {
    arity('set.issuperset', pos, kw, 1, 1, 'exactly');
    for (const x of toSet(pos[0])) if (!setHas(self, x)) return false;
    return true;
  },
  pop: (self, pos, kw) => {
    arity('set.pop', pos, kw, 0, 0, 'none');
    for (const x of self) {
      self.delete(x);
      return x;
    }
    throw new PyError('KeyError', "'pop from an empty set'");
  },
  remove: (self, pos, kw) => {
    arity('set.remove', pos, kw, 1, 1, 'exactly');
    checkHashable(pos[0]);
    for (const x of self) {
      if (eq(x, pos[0])) {
        self.delete(x);
        return null;
      }
    }
    throw new PyError('KeyError', pyRepr(pos[0]));
  },
  symmetric_difference: (self, pos, kw) => {
    arity('set.symmetric_difference', pos, kw, 1, 1, 'exactly');
    const o = toSet(pos[0]);
    const out = new Set<unknown>();
    for (const x of self) if (!setHas(o, x)) out.add(x);
    for (const x of o) if (!setHas(self, x)) setAdd(out, x);
    return out;
  },
  union: setOp('union', (self, others) => {
    const out = new Set(self);
    for (const o of others) for (const x of o) setAdd(out, x);
    return out;
  }),
  update: setOp('update', (self, others) => {
    for (const o of others) for (const x of o) setAdd(self, x);
    return null;
  }),
};

// ---------------------------------------------------------------------------------------------
// int and float

const INT_METHODS: Record<string, Method<number>> = {
  bit_length: (n, pos, kw) => {
    arity('int.bit_length', pos, kw, 0, 0, 'none');
    const a = Math.abs(n);
    return a === 0 ? 0 : a < 2 ** 31 ? 32 - Math.clz32(a) : BigInt(a).toString(2).length;
  },
  bit_count: (n, pos, kw) => {
    arity('int.bit_count', pos, kw, 0, 0, 'none');
    return [...BigInt(Math.abs(n)).toString(2)].filter((c) => c === '1').length;
  },
  conjugate: (n, pos, kw) => {
    arity('int.conjugate', pos, kw, 0, 0, 'none');
    return n;
  },
  as_integer_ratio: (n, pos, kw) => {
    arity('int.as_integer_ratio', pos, kw, 0, 0, 'none');
    return makeTuple([n, 1]);
  },
};

const FLOAT_METHODS: Record<string, Method<number>> = {
  is_integer: (x, pos, kw) => {
    arity('float.is_integer', pos, kw, 0, 0, 'none');
    return Number.isInteger(x);
  },
  conjugate: (x, pos, kw) => {
    arity('float.conjugate', pos, kw, 0, 0, 'none');
    return pyFloat(x);
  },
};

// ---------------------------------------------------------------------------------------------

function bound<T>(table: Record<string, Method<T>>, self: T, name: string): ((...args: unknown[]) => unknown) | undefined {
  if (!Object.prototype.hasOwnProperty.call(table, name)) return undefined;
  const m = table[name]!;
  const fn = (...args: unknown[]): unknown => {
    const last = args[args.length - 1];
    if (last instanceof Kwargs) return m(self, args.slice(0, -1), last.values);
    return m(self, args, undefined);
  };
  return fn;
}

/** The bound method `name` of value, or undefined when its type has none. */
export function methodOf(value: unknown, name: string): ((...args: unknown[]) => unknown) | undefined {
  if (typeof value === 'string') return bound(STR_METHODS, value, name);
  if (value instanceof Markup) return bound(STR_METHODS, value.value, name);
  if (Array.isArray(value)) return isTuple(value) ? bound(TUPLE_METHODS, value, name) : bound(LIST_METHODS, value, name);
  if (value instanceof Map || isPlainObject(value)) return bound(DICT_METHODS, value as Dict, name);
  if (value instanceof Set) return bound(SET_METHODS, value, name);
  if (typeof value === 'boolean') return bound(INT_METHODS, value ? 1 : 0, name);
  if (typeof value === 'number') {
    return Number.isInteger(value) ? bound(INT_METHODS, value, name) : bound(FLOAT_METHODS, value, name);
  }
  if (value instanceof PyFloat) return bound(FLOAT_METHODS, value.value, name);
  return undefined;
}

/** The names of a value's Python methods (for `x is callable`-style lookups and messages). */
export function hasMethod(value: unknown, name: string): boolean {
  return methodOf(value, name) !== undefined;
}
