/**
 * The methods of Python's built-in types (str, list, tuple, dict, set, int, float), bound to a
 * value: methodOf('a,b', 'split') is a function called as fn(',') or fn(',', kwargs).
 * Behaviour and errors follow CPython 3.11. Positions in str are code points.
 */

import { Kwargs, Markup, PyError, PyFloat, Undefined, isPlainObject, isTuple, makeTuple } from './values.js';
import {
  DictView,
  escapeHtml,
  pyStr,
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
  setOrder,
  typeName,
  unassignedInPython,
} from './py.js';
import { strFormat, strFormatMap } from './py-format.js';
import { encodeStr } from './py-bytes.js';
import { normInt } from './py-bigint.js';

type Dict = Map<unknown, unknown> | Record<string, unknown>;
type Method<T> = (self: T, pos: unknown[], kw: Map<string, unknown> | undefined) => unknown;

// ---------------------------------------------------------------------------------------------
// Arguments

function undefinedArg(x: unknown): void {
  if (x instanceof Undefined) throw new PyError(x.exc, x.hint);
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
    if (min === max) throw new PyError('TypeError', `${short} expected ${min} argument${min === 1 ? '' : 's'}, got ${n}`);
    if (n < min) throw new PyError('TypeError', `${short} expected at least ${min} argument${min === 1 ? '' : 's'}, got ${n}`);
    throw new PyError('TypeError', `${short} expected at most ${max} argument${max === 1 ? '' : 's'}, got ${n}`);
  }
  if (n < min) throw new PyError('TypeError', `${short}() takes at least ${min} argument${min === 1 ? '' : 's'} (${n} given)`);
  throw new PyError('TypeError', `${short}() takes at most ${max} argument${max === 1 ? '' : 's'} (${n} given)`);
}

/** Bind positional and keyword arguments to names (for methods that accept keywords). */
function bind(name: string, pos: unknown[], kw: Map<string, unknown> | undefined, names: string[], min: number): unknown[] {
  const given = pos.length + (kw === undefined ? 0 : kw.size);
  if (given > names.length) {
    throw new PyError('TypeError', `${name}() takes at most ${names.length} argument${names.length === 1 ? '' : 's'} (${given} given)`);
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

function asStr(x: unknown, what = 'must be str'): string {
  if (typeof x === 'string') return x;
  if (x instanceof Markup) return x.value;
  // CPython's argument-clinic errors ("... argument must be str") name None as 'None'.
  const type = x === null && what.includes('argument') ? 'None' : typeName(x);
  throw new PyError('TypeError', `${what}, not ${type}`);
}

// ---------------------------------------------------------------------------------------------
// str

const SURROGATE = /[\uD800-\uDFFF]/;
const WS = '\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000';
const WS_SET = new Set(WS);
const WS_RUN = new RegExp(`[${WS}]+`, 'u');
const LINE_BREAK = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/;

/** Python's start/end arguments (slice-style) over a length n. */
function range(n: number, start: unknown, end: unknown, noneOk = true): [number, number] {
  const bound = (x: unknown): number | undefined => {
    if (x === undefined || (noneOk && x === null)) return undefined;
    if (typeof x === 'number' && Number.isInteger(x)) return x;
    if (typeof x === 'boolean') return x ? 1 : 0;
    throw new PyError('TypeError', `slice indices must be integers${noneOk ? ' or None' : ''} or have an __index__ method`);
  };
  let a = bound(start) ?? 0;
  let b = bound(end) ?? n;
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

// Unicode: CPython 3.11's tables (Unicode 14.0) where JavaScript's (newer) differ.

// Generated from CPython 3.11's unicodedata (Unicode 14.0.0).
/** Code point -> str.title() of it, where that differs from str.upper(). */
const TITLE_TABLE = 'df:53,73 1c4:1c5 1c5:1c5 1c6:1c5 1c7:1c8 1c8:1c8 1c9:1c8 1ca:1cb 1cb:1cb 1cc:1cb 1f1:1f2 1f2:1f2 1f3:1f2 587:535,582 10d0:10d0 10d1:10d1 10d2:10d2 10d3:10d3 10d4:10d4 10d5:10d5 10d6:10d6 10d7:10d7 10d8:10d8 10d9:10d9 10da:10da 10db:10db 10dc:10dc 10dd:10dd 10de:10de 10df:10df 10e0:10e0 10e1:10e1 10e2:10e2 10e3:10e3 10e4:10e4 10e5:10e5 10e6:10e6 10e7:10e7 10e8:10e8 10e9:10e9 10ea:10ea 10eb:10eb 10ec:10ec 10ed:10ed 10ee:10ee 10ef:10ef 10f0:10f0 10f1:10f1 10f2:10f2 10f3:10f3 10f4:10f4 10f5:10f5 10f6:10f6 10f7:10f7 10f8:10f8 10f9:10f9 10fa:10fa 10fd:10fd 10fe:10fe 10ff:10ff 1f80:1f88 1f81:1f89 1f82:1f8a 1f83:1f8b 1f84:1f8c 1f85:1f8d 1f86:1f8e 1f87:1f8f 1f88:1f88 1f89:1f89 1f8a:1f8a 1f8b:1f8b 1f8c:1f8c 1f8d:1f8d 1f8e:1f8e 1f8f:1f8f 1f90:1f98 1f91:1f99 1f92:1f9a 1f93:1f9b 1f94:1f9c 1f95:1f9d 1f96:1f9e 1f97:1f9f 1f98:1f98 1f99:1f99 1f9a:1f9a 1f9b:1f9b 1f9c:1f9c 1f9d:1f9d 1f9e:1f9e 1f9f:1f9f 1fa0:1fa8 1fa1:1fa9 1fa2:1faa 1fa3:1fab 1fa4:1fac 1fa5:1fad 1fa6:1fae 1fa7:1faf 1fa8:1fa8 1fa9:1fa9 1faa:1faa 1fab:1fab 1fac:1fac 1fad:1fad 1fae:1fae 1faf:1faf 1fb2:1fba,345 1fb3:1fbc 1fb4:386,345 1fb7:391,342,345 1fbc:1fbc 1fc2:1fca,345 1fc3:1fcc 1fc4:389,345 1fc7:397,342,345 1fcc:1fcc 1ff2:1ffa,345 1ff3:1ffc 1ff4:38f,345 1ff7:3a9,342,345 1ffc:1ffc fb00:46,66 fb01:46,69 fb02:46,6c fb03:46,66,69 fb04:46,66,6c fb05:53,74 fb06:53,74 fb13:544,576 fb14:544,565 fb15:544,56b fb16:54e,576 fb17:544,56d';
/** Code point -> str.casefold() of it, where that differs from str.lower(). */
const CASEFOLD_TABLE = 'b5:3bc df:73,73 149:2bc,6e 17f:73 1f0:6a,30c 345:3b9 390:3b9,308,301 3b0:3c5,308,301 3c2:3c3 3d0:3b2 3d1:3b8 3d5:3c6 3d6:3c0 3f0:3ba 3f1:3c1 3f5:3b5 587:565,582 13a0:13a0 13a1:13a1 13a2:13a2 13a3:13a3 13a4:13a4 13a5:13a5 13a6:13a6 13a7:13a7 13a8:13a8 13a9:13a9 13aa:13aa 13ab:13ab 13ac:13ac 13ad:13ad 13ae:13ae 13af:13af 13b0:13b0 13b1:13b1 13b2:13b2 13b3:13b3 13b4:13b4 13b5:13b5 13b6:13b6 13b7:13b7 13b8:13b8 13b9:13b9 13ba:13ba 13bb:13bb 13bc:13bc 13bd:13bd 13be:13be 13bf:13bf 13c0:13c0 13c1:13c1 13c2:13c2 13c3:13c3 13c4:13c4 13c5:13c5 13c6:13c6 13c7:13c7 13c8:13c8 13c9:13c9 13ca:13ca 13cb:13cb 13cc:13cc 13cd:13cd 13ce:13ce 13cf:13cf 13d0:13d0 13d1:13d1 13d2:13d2 13d3:13d3 13d4:13d4 13d5:13d5 13d6:13d6 13d7:13d7 13d8:13d8 13d9:13d9 13da:13da 13db:13db 13dc:13dc 13dd:13dd 13de:13de 13df:13df 13e0:13e0 13e1:13e1 13e2:13e2 13e3:13e3 13e4:13e4 13e5:13e5 13e6:13e6 13e7:13e7 13e8:13e8 13e9:13e9 13ea:13ea 13eb:13eb 13ec:13ec 13ed:13ed 13ee:13ee 13ef:13ef 13f0:13f0 13f1:13f1 13f2:13f2 13f3:13f3 13f4:13f4 13f5:13f5 13f8:13f0 13f9:13f1 13fa:13f2 13fb:13f3 13fc:13f4 13fd:13f5 1c80:432 1c81:434 1c82:43e 1c83:441 1c84:442 1c85:442 1c86:44a 1c87:463 1c88:a64b 1e96:68,331 1e97:74,308 1e98:77,30a 1e99:79,30a 1e9a:61,2be 1e9b:1e61 1e9e:73,73 1f50:3c5,313 1f52:3c5,313,300 1f54:3c5,313,301 1f56:3c5,313,342 1f80:1f00,3b9 1f81:1f01,3b9 1f82:1f02,3b9 1f83:1f03,3b9 1f84:1f04,3b9 1f85:1f05,3b9 1f86:1f06,3b9 1f87:1f07,3b9 1f88:1f00,3b9 1f89:1f01,3b9 1f8a:1f02,3b9 1f8b:1f03,3b9 1f8c:1f04,3b9 1f8d:1f05,3b9 1f8e:1f06,3b9 1f8f:1f07,3b9 1f90:1f20,3b9 1f91:1f21,3b9 1f92:1f22,3b9 1f93:1f23,3b9 1f94:1f24,3b9 1f95:1f25,3b9 1f96:1f26,3b9 1f97:1f27,3b9 1f98:1f20,3b9 1f99:1f21,3b9 1f9a:1f22,3b9 1f9b:1f23,3b9 1f9c:1f24,3b9 1f9d:1f25,3b9 1f9e:1f26,3b9 1f9f:1f27,3b9 1fa0:1f60,3b9 1fa1:1f61,3b9 1fa2:1f62,3b9 1fa3:1f63,3b9 1fa4:1f64,3b9 1fa5:1f65,3b9 1fa6:1f66,3b9 1fa7:1f67,3b9 1fa8:1f60,3b9 1fa9:1f61,3b9 1faa:1f62,3b9 1fab:1f63,3b9 1fac:1f64,3b9 1fad:1f65,3b9 1fae:1f66,3b9 1faf:1f67,3b9 1fb2:1f70,3b9 1fb3:3b1,3b9 1fb4:3ac,3b9 1fb6:3b1,342 1fb7:3b1,342,3b9 1fbc:3b1,3b9 1fbe:3b9 1fc2:1f74,3b9 1fc3:3b7,3b9 1fc4:3ae,3b9 1fc6:3b7,342 1fc7:3b7,342,3b9 1fcc:3b7,3b9 1fd2:3b9,308,300 1fd3:3b9,308,301 1fd6:3b9,342 1fd7:3b9,308,342 1fe2:3c5,308,300 1fe3:3c5,308,301 1fe4:3c1,313 1fe6:3c5,342 1fe7:3c5,308,342 1ff2:1f7c,3b9 1ff3:3c9,3b9 1ff4:3ce,3b9 1ff6:3c9,342 1ff7:3c9,342,3b9 1ffc:3c9,3b9 ab70:13a0 ab71:13a1 ab72:13a2 ab73:13a3 ab74:13a4 ab75:13a5 ab76:13a6 ab77:13a7 ab78:13a8 ab79:13a9 ab7a:13aa ab7b:13ab ab7c:13ac ab7d:13ad ab7e:13ae ab7f:13af ab80:13b0 ab81:13b1 ab82:13b2 ab83:13b3 ab84:13b4 ab85:13b5 ab86:13b6 ab87:13b7 ab88:13b8 ab89:13b9 ab8a:13ba ab8b:13bb ab8c:13bc ab8d:13bd ab8e:13be ab8f:13bf ab90:13c0 ab91:13c1 ab92:13c2 ab93:13c3 ab94:13c4 ab95:13c5 ab96:13c6 ab97:13c7 ab98:13c8 ab99:13c9 ab9a:13ca ab9b:13cb ab9c:13cc ab9d:13cd ab9e:13ce ab9f:13cf aba0:13d0 aba1:13d1 aba2:13d2 aba3:13d3 aba4:13d4 aba5:13d5 aba6:13d6 aba7:13d7 aba8:13d8 aba9:13d9 abaa:13da abab:13db abac:13dc abad:13dd abae:13de abaf:13df abb0:13e0 abb1:13e1 abb2:13e2 abb3:13e3 abb4:13e4 abb5:13e5 abb6:13e6 abb7:13e7 abb8:13e8 abb9:13e9 abba:13ea abbb:13eb abbc:13ec abbd:13ed abbe:13ee abbf:13ef fb00:66,66 fb01:66,69 fb02:66,6c fb03:66,66,69 fb04:66,66,6c fb05:73,74 fb06:73,74 fb13:574,576 fb14:574,565 fb15:574,56b fb16:57e,576 fb17:574,56d';
/** Code points that are str.isdigit() but not decimal digits (Nd). */
const DIGIT_EXTRA = 'b2-b3 b9 1369-1371 19da 2070 2074-2079 2080-2089 2460-2468 2474-247c 2488-2490 24ea 24f5-24fd 24ff 2776-277e 2780-2788 278a-2792 10a40-10a43 10e60-10e68 11052-1105a 1f100-1f10a';
/** Code points that are str.isnumeric() outside the N categories. */
const NUMERIC_EXTRA = '3405 3483 382a 3b4d 4e00 4e03 4e07 4e09 4e5d 4e8c 4e94 4e96 4ebf-4ec0 4edf 4ee8 4f0d 4f70 5104 5146 5169 516b 516d 5341 5343-5345 534c 53c1-53c4 56db 58f1 58f9 5e7a 5efe-5eff 5f0c-5f0e 5f10 62fe 634c 67d2 6f06 7396 767e 8086 842c 8cae 8cb3 8d30 9621 9646 964c 9678 96f6 f96b f973 f978 f9b2 f9d1 f9d3 f9fd 20001 20064 200e2 20121 2092a 20983 2098c 2099c 20aea 20afd 20b19 22390 22998 23b1b 2626d 2f890';

function parseMapping(t: string): Map<number, string> {
  const m = new Map<number, string>();
  for (const entry of t.split(' ')) {
    const [cp, to] = entry.split(':');
    m.set(parseInt(cp!, 16), String.fromCodePoint(...to!.split(',').map((h) => parseInt(h, 16))));
  }
  return m;
}

function parseRanges(t: string): Set<number> {
  const s = new Set<number>();
  for (const part of t.split(' ')) {
    const [a, b] = part.split('-');
    const lo = parseInt(a!, 16);
    const hi = parseInt(b ?? a!, 16);
    for (let c = lo; c <= hi; c++) s.add(c);
  }
  return s;
}

let titleMap: Map<number, string> | undefined;
let foldMap: Map<number, string> | undefined;
let digitExtra: Set<number> | undefined;
let numericExtra: Set<number> | undefined;

const ASCII = /^[\x00-\x7f]*$/;
const CASED = /\p{Cased}/u;
const CASE_IGNORABLE = /\p{Case_Ignorable}/u;
const LOWERCASE = /\p{Lowercase}/u;
const UPPERCASE = /\p{Uppercase}/u;
const TITLECASE = /\p{Lt}/u;
const LETTER = /\p{L}/u;
const DECIMAL = /\p{Nd}/u;
const NUMBER = /\p{N}/u;
const XID_START = /^[\p{XID_Start}_]$/u;
const XID_CONTINUE = /^\p{XID_Continue}$/u;
const NOT_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;

/** Whether Python 3.11 knows the character (JavaScript's Unicode has characters added since). */
function known(ch: string): boolean {
  return !unassignedInPython(ch.codePointAt(0)!);
}

/** Lowercase in Python's Unicode 14 and not in JavaScript's, and the other way round. */
const LOWER_IN_PYTHON = new Set([0x295]);
const NOT_LOWER_IN_PYTHON = new Set([0x10fc, 0xa7f2, 0xa7f3, 0xa7f4, 0xab69]);

/** Cased: lowercase, uppercase or titlecase (Unicode's definition). */
function isCased(ch: string): boolean {
  return CASED.test(ch) ? known(ch) && (isLowerCh(ch) || isUpperCh(ch) || isTitleCh(ch)) : isLowerCh(ch);
}

function isLowerCh(ch: string): boolean {
  const cp = ch.codePointAt(0)!;
  if (LOWERCASE.test(ch)) return known(ch) && !NOT_LOWER_IN_PYTHON.has(cp);
  return LOWER_IN_PYTHON.has(cp);
}

function isUpperCh(ch: string): boolean {
  return UPPERCASE.test(ch) && known(ch);
}

function isTitleCh(ch: string): boolean {
  return TITLECASE.test(ch) && known(ch);
}

/** A JavaScript case mapping of a character, unless Python 3.11 knows neither it nor its result. */
function mapped(ch: string, m: string): string {
  if (m === ch || !known(ch)) return ch;
  for (const c of m) if (!known(c)) return ch;
  return m;
}

function upperChar(ch: string): string {
  return mapped(ch, ch.toUpperCase());
}

function titleChar(ch: string): string {
  titleMap ??= parseMapping(TITLE_TABLE);
  return titleMap.get(ch.codePointAt(0)!) ?? upperChar(ch);
}

/** CPython's lower_ucs4: the lower case of chars[i], Σ final or not by its context. */
function lowerAt(chars: string[], i: number): string {
  const ch = chars[i]!;
  if (ch !== 'Σ') return mapped(ch, ch.toLowerCase());
  let j = i - 1;
  while (j >= 0 && CASE_IGNORABLE.test(chars[j]!)) j--;
  let final = j >= 0 && isCased(chars[j]!);
  if (final && i + 1 < chars.length) {
    let k = i + 1;
    while (k < chars.length && CASE_IGNORABLE.test(chars[k]!)) k++;
    final = k === chars.length || !isCased(chars[k]!);
  }
  return final ? 'ς' : 'σ';
}

function lower(s: string): string {
  if (ASCII.test(s)) return s.toLowerCase();
  const chars = Array.from(s);
  let out = '';
  for (let i = 0; i < chars.length; i++) out += lowerAt(chars, i);
  return out;
}

function upper(s: string): string {
  if (ASCII.test(s)) return s.toUpperCase();
  let out = '';
  for (const ch of s) out += upperChar(ch);
  return out;
}

function casefold(s: string): string {
  if (ASCII.test(s)) return s.toLowerCase();
  foldMap ??= parseMapping(CASEFOLD_TABLE);
  let out = '';
  for (const ch of s) out += foldMap.get(ch.codePointAt(0)!) ?? mapped(ch, ch.toLowerCase());
  return out;
}

function title(s: string): string {
  const chars = Array.from(s);
  let out = '';
  let prevCased = false;
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    out += prevCased ? lowerAt(chars, i) : titleChar(ch);
    prevCased = isCased(ch);
  }
  return out;
}

function capitalize(s: string): string {
  const chars = Array.from(s);
  if (chars.length === 0) return '';
  let out = titleChar(chars[0]!);
  for (let i = 1; i < chars.length; i++) out += lowerAt(chars, i);
  return out;
}

function swapcase(s: string): string {
  const chars = Array.from(s);
  let out = '';
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (isUpperCh(ch)) out += lowerAt(chars, i);
    else if (isLowerCh(ch)) out += upperChar(ch);
    else out += ch;
  }
  return out;
}

function isDigitCh(ch: string): boolean {
  if (DECIMAL.test(ch)) return known(ch);
  digitExtra ??= parseRanges(DIGIT_EXTRA);
  return digitExtra.has(ch.codePointAt(0)!);
}

function isNumericCh(ch: string): boolean {
  if (NUMBER.test(ch)) return known(ch);
  numericExtra ??= parseRanges(NUMERIC_EXTRA);
  return numericExtra.has(ch.codePointAt(0)!);
}

const CHAR_TESTS = {
  alpha: (ch: string) => LETTER.test(ch) && known(ch),
  decimal: (ch: string) => DECIMAL.test(ch) && known(ch),
  digit: isDigitCh,
  numeric: isNumericCh,
  alnum: (ch: string) => (LETTER.test(ch) && known(ch)) || isNumericCh(ch),
  space: (ch: string) => WS_SET.has(ch),
};

/** Python's str.isX(): not empty and every character passes. */
function allChars(s: string, test: (ch: string) => boolean): boolean {
  if (s.length === 0) return false;
  for (const ch of s) if (!test(ch)) return false;
  return true;
}

function isLowerOrUpper(s: string, lower: boolean): boolean {
  let cased = false;
  for (const ch of s) {
    if (lower ? isUpperCh(ch) || isTitleCh(ch) : isLowerCh(ch) || isTitleCh(ch)) return false;
    if (!cased && (lower ? isLowerCh(ch) : isUpperCh(ch))) cased = true;
  }
  return cased;
}

function isTitle(s: string): boolean {
  let cased = false;
  let prevCased = false;
  for (const ch of s) {
    if (isUpperCh(ch) || isTitleCh(ch)) {
      if (prevCased) return false;
      prevCased = true;
      cased = true;
    } else if (isLowerCh(ch)) {
      if (!prevCased) return false;
      prevCased = true;
      cased = true;
    } else prevCased = false;
  }
  return cased;
}

function isIdentifier(s: string): boolean {
  let first = true;
  for (const ch of s) {
    if (!(first ? XID_START : XID_CONTINUE).test(ch) || !known(ch)) return false;
    first = false;
  }
  return !first;
}

function isPrintable(s: string): boolean {
  for (const ch of s) if (ch !== ' ' && (NOT_PRINTABLE.test(ch) || !known(ch))) return false;
  return true;
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
  const keep = ke !== undefined && asIndex(ke) !== 0;
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
  const items = pos[0];
  if (items === null || typeof items !== 'object' || items instanceof PyFloat) {
    if (typeof items !== 'string') throw new PyError('TypeError', 'can only join an iterable');
  }
  for (const x of iterate(items)) {
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
  arity(name, pos, kw, 1, 3, 'at');
  range(0, pos[1], pos[2]); // CPython checks the bounds before the substring
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
  capitalize: noArgs('capitalize', capitalize),
  casefold: noArgs('casefold', casefold),
  center: (s, pos, kw) => justify('center', s, pos, kw, 'c'),
  count: (s, pos, kw) => {
    arity('count', pos, kw, 1, 3, 'at');
    range(0, pos[1], pos[2]);
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
  isalnum: noArgs('isalnum', (s) => allChars(s, CHAR_TESTS.alnum)),
  isalpha: noArgs('isalpha', (s) => allChars(s, CHAR_TESTS.alpha)),
  isascii: noArgs('isascii', (s) => /^[\x00-\x7f]*$/.test(s)),
  isdecimal: noArgs('isdecimal', (s) => allChars(s, CHAR_TESTS.decimal)),
  isdigit: noArgs('isdigit', (s) => allChars(s, CHAR_TESTS.digit)),
  isidentifier: noArgs('isidentifier', isIdentifier),
  islower: noArgs('islower', (s) => isLowerOrUpper(s, true)),
  isnumeric: noArgs('isnumeric', (s) => allChars(s, CHAR_TESTS.numeric)),
  isprintable: noArgs('isprintable', isPrintable),
  isspace: noArgs('isspace', (s) => allChars(s, CHAR_TESTS.space)),
  istitle: noArgs('istitle', isTitle),
  isupper: noArgs('isupper', (s) => isLowerOrUpper(s, false)),
  join,
  ljust: (s, pos, kw) => justify('ljust', s, pos, kw, 'l'),
  lower: noArgs('lower', lower),
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
  upper: noArgs('upper', upper),
  zfill,
  encode: (s, pos, kw) => encodeStr(s, kw && kw.size ? [...pos, new Kwargs(kw)] : pos),
};

// ---------------------------------------------------------------------------------------------
// list and tuple

function seqIndex(name: string, self: readonly unknown[], pos: unknown[], kw: Map<string, unknown> | undefined): number {
  arity(name, pos, kw, 1, 3, 'expected');
  const [a, b] = range(self.length, pos[1], pos[2], false);
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
  const given = pos.length + (kw === undefined ? 0 : kw.size);
  if (given > 2) throw new PyError('TypeError', `sort() takes at most 2 arguments (${given} given)`);
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
  const rev = asIndex(reverse) !== 0;
  if (key !== null && key !== undefined && typeof key !== 'function' && self.length > 0) {
    if (key instanceof Undefined) throw new PyError(key.exc, key.hint);
    throw new PyError('TypeError', `'${typeName(key)}' object is not callable`);
  }
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
  index: (self, pos, kw) => seqIndex('tuple.index', self, pos, kw),
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
  index: (self, pos, kw) => seqIndex('list.index', self, pos, kw),
  insert: (self, pos, kw) => {
    arity('list.insert', pos, kw, 2, 2, 'expected');
    let i = asIndex(pos[0]);
    const n = self.length;
    if (i < 0) i = Math.max(0, i + n);
    else if (i > n) i = n;
    self.splice(i, 0, pos[1]);
    return null;
  },
  pop: (self, pos, kw) => {
    arity('list.pop', pos, kw, 0, 1, 'expected');
    let i = pos[0] === undefined ? -1 : asIndex(pos[0]);
    if (self.length === 0) throw new PyError('IndexError', 'pop from empty list');
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
    arity('dict.fromkeys', pos, kw, 1, 2, 'expected');
    const out = new Map<unknown, unknown>();
    const v = pos[1] === undefined ? null : pos[1];
    for (const k of iterate(pos[0])) dictSet(out, k, v);
    return out;
  },
  get: (d, pos, kw) => {
    arity('dict.get', pos, kw, 1, 2, 'expected');
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
    arity('dict.pop', pos, kw, 1, 2, 'expected');
    // An empty dict answers before hashing the key.
    const v = (d instanceof Map ? d.size : Object.keys(d).length) === 0 ? MISSING : dictLookup(d, pos[0]);
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
    arity('dict.setdefault', pos, kw, 1, 2, 'expected');
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
    if (kw !== undefined && kw.size > 0) throw new PyError('TypeError', `${name}() takes no keyword arguments`);
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
    if (pos[0] instanceof Set) return null; // looked up as a frozenset: never an element here
    checkHashable(pos[0]);
    for (const x of self) if (eq(x, pos[0])) self.delete(x);
    return null;
  },
  intersection: (self, pos, kw) => {
    if (kw !== undefined && kw.size > 0) throw new PyError('TypeError', 'intersection() takes no keyword arguments');
    // As CPython: keep the elements of the smaller set, or of the other iterable when it is no set.
    let out = new Set(self);
    for (const o of pos) {
      undefinedArg(o);
      const next = new Set<unknown>();
      if (o instanceof Set) {
        const [small, big] = o.size < out.size ? [o, out] : [out, o];
        for (const x of small) if (setHas(big, x)) setAdd(next, x);
      } else {
        for (const x of iterate(o)) {
          checkHashable(x);
          if (setHas(out, x)) setAdd(next, x);
        }
      }
      out = next;
    }
    return out;
  },
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
    if (self.size === 0) throw new PyError('KeyError', "'pop from an empty set'");
    const x = setOrder(self)[0];
    self.delete(x);
    return x;
  },
  remove: (self, pos, kw) => {
    arity('set.remove', pos, kw, 1, 1, 'exactly');
    if (!(pos[0] instanceof Set)) checkHashable(pos[0]);
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
  hex: (x, pos, kw) => {
    arity('float.hex', pos, kw, 0, 0, 'none');
    return floatHex(x);
  },
  as_integer_ratio: (x, pos, kw) => {
    arity('float.as_integer_ratio', pos, kw, 0, 0, 'none');
    if (Number.isNaN(x)) throw new PyError('ValueError', 'cannot convert NaN to integer ratio');
    if (!Number.isFinite(x)) throw new PyError('OverflowError', 'cannot convert Infinity to integer ratio');
    const { sign, mantissa, exponent } = floatParts(x);
    if (mantissa === 0n) return makeTuple([0, 1]);
    // mantissa * 2**exponent in lowest terms (the denominator a power of two)
    let n = mantissa;
    let e = exponent;
    while (e < 0 && (n & 1n) === 0n) {
      n >>= 1n;
      e++;
    }
    const num = e >= 0 ? n << BigInt(e) : n;
    const den = e >= 0 ? 1n : 1n << BigInt(-e);
    return makeTuple([normInt(sign ? -num : num), normInt(den)]);
  },
};

/** A finite double as sign, integer mantissa and power of two (x = ±mantissa * 2**exponent), from its bits. */
function floatParts(x: number): { sign: boolean; mantissa: bigint; exponent: number; biased: number; fraction: bigint } {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, x);
  const bits = dv.getBigUint64(0);
  const sign = bits >> 63n === 1n;
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  // a subnormal has no implicit leading 1 and the exponent of the smallest normal
  const mantissa = biased === 0 ? fraction : fraction | (1n << 52n);
  return { sign, mantissa, exponent: (biased === 0 ? 1 : biased) - 1075, biased, fraction };
}

/** Python's float.hex(): `0x1.<13 hex digits>p±e`, subnormals as `0x0.…p-1022`. */
function floatHex(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const { sign, biased, fraction } = floatParts(x);
  const s = sign ? '-' : '';
  if (biased === 0 && fraction === 0n) return `${s}0x0.0p+0`;
  const digits = fraction.toString(16).padStart(13, '0');
  if (biased === 0) return `${s}0x0.${digits}p-1022`;
  const e = biased - 1023;
  return `${s}0x1.${digits}p${e < 0 ? '-' : '+'}${Math.abs(e)}`;
}

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

/** An argument to a Markup method, escaped as markupsafe escapes it (Markup and numbers pass). */
function escapeItem(v: unknown): unknown {
  if (v instanceof Markup || typeof v === 'number' || typeof v === 'boolean' || v instanceof PyFloat) return v instanceof Markup ? v.value : v;
  return escapeHtml(typeof v === 'string' ? v : pyStr(v));
}

/** The bound method `name` of value, or undefined when its type has none. */
export function methodOf(value: unknown, name: string): ((...args: unknown[]) => unknown) | undefined {
  if (typeof value === 'string') return bound(STR_METHODS, value, name);
  if (value instanceof Markup) {
    // markupsafe: join and format escape what they take in and give Markup back
    if (name === 'join') return (...args: unknown[]) => new Markup(String(STR_METHODS.join!(value.value, [[...iterate(args[0])].map(escapeItem)], undefined)));
    if (name === 'format') {
      return (...args: unknown[]) => {
        const kwArg = args.length && args[args.length - 1] instanceof Kwargs ? (args.pop() as Kwargs).values : undefined;
        const kw = kwArg ? new Map([...kwArg].map(([k, v]) => [k, escapeItem(v)])) : undefined;
        return new Markup(String(strFormat(value.value, args.map(escapeItem), kw)));
      };
    }
    return bound(STR_METHODS, value.value, name);
  }
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
