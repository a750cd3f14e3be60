/**
 * Python value semantics over tx's value model (see values.ts): str(), repr(), truth, the
 * operators, comparison, `in`, jinja2's getattr/getitem, slicing, iteration and len().
 * Every function here behaves as CPython 3.11 does (as jinja2 runs it for dbt), errors included:
 * a Python exception is a PyError carrying the exception's type name and str().
 */

import {
  Markup,
  PY_REPR,
  PY_STR,
  PyError,
  PyFloat,
  Undefined,
  isPlainObject,
  isTuple,
  makeTuple,
} from './values.js';
import { methodOf } from './py-methods.js';
import { percentFormat } from './py-format.js';
import { NOT_BIG, bigBinary, bigCompare, normInt } from './py-bigint.js';
import { PyBytes } from './py-bytes.js';

// ---------------------------------------------------------------------------------------------
// Kinds

/** A float result: every float is a PyFloat so that 5.0 stays a float. */
export function pyFloat(n: number): PyFloat {
  return new PyFloat(n);
}

function isIntNumber(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x);
}

/** The number of an int, bool or float, or undefined for anything else. */
function numOf(x: unknown): number | undefined {
  if (typeof x === 'number') return x;
  if (x instanceof PyFloat) return x.value;
  if (typeof x === 'boolean') return x ? 1 : 0;
  return undefined;
}

/** True for a float (PyFloat, or a non-integer JS number from the host). */
function isPyFloat(x: unknown): boolean {
  return x instanceof PyFloat || (typeof x === 'number' && !Number.isInteger(x));
}

function isDictLike(x: unknown): x is Map<unknown, unknown> | Record<string, unknown> {
  return x instanceof Map || isPlainObject(x);
}

/** Python's type name of a value, as error messages print it. */
export function typeName(x: unknown): string {
  if (x === null || x === undefined) return 'NoneType';
  switch (typeof x) {
    case 'string':
      return 'str';
    case 'number':
      return Number.isInteger(x) ? 'int' : 'float';
    case 'bigint':
      return 'int';
    case 'boolean':
      return 'bool';
    case 'function':
      return 'function';
    case 'bigint':
      return 'int';
    default:
  }
  if (x instanceof PyFloat) return 'float';
  if (Array.isArray(x)) return isTuple(x) ? 'tuple' : 'list';
  if (x instanceof Map || isPlainObject(x)) return 'dict';
  if (x instanceof Set) return 'set';
  if (x instanceof Undefined) return 'Undefined';
  if (x instanceof Markup) return 'Markup';
  if (x instanceof DictView) return x.kind;
  if (x instanceof PyRange) return 'range';
  if (x instanceof PyBytes) return 'bytes';
  const name = (x as { constructor?: { name?: string } }).constructor?.name;
  if (typeof (x as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function') return 'generator';
  return name && name !== 'Object' ? name : 'object';
}

/** jinja2's object_type_repr: "'dict object'" style names used in Undefined hints. */
function objectTypeRepr(x: unknown): string {
  if (x === null || x === undefined) return 'None';
  if (x instanceof Markup) return 'markupsafe.Markup object';
  return `${typeName(x)} object`;
}

// ---------------------------------------------------------------------------------------------
// Dict views and range (objects that Python has and the value model does not)

export type DictViewKind = 'dict_keys' | 'dict_values' | 'dict_items';

/** dict.keys() / .values() / .items(): live views that iterate, have len and support `in`. */
export class DictView {
  constructor(
    readonly kind: DictViewKind,
    readonly dict: Map<unknown, unknown> | Record<string, unknown>,
  ) {}
  *[Symbol.iterator](): Iterator<unknown> {
    const d = this.dict;
    if (d instanceof Map) {
      if (this.kind === 'dict_keys') yield* d.keys();
      else if (this.kind === 'dict_values') yield* d.values();
      else for (const [k, v] of d) yield makeTuple([k, v]);
    } else {
      for (const k of Object.keys(d)) {
        if (this.kind === 'dict_keys') yield k;
        else if (this.kind === 'dict_values') yield d[k];
        else yield makeTuple([k, d[k]]);
      }
    }
  }
  get size(): number {
    return this.dict instanceof Map ? this.dict.size : Object.keys(this.dict).length;
  }
  [PY_STR](): string {
    return this[PY_REPR]();
  }
  [PY_REPR](): string {
    const parts: string[] = [];
    for (const x of this) parts.push(pyRepr(x));
    return `${this.kind}([${parts.join(', ')}])`;
  }
}

/** Python's range object (range() is a global the context provides; it renders as range(a, b)). */
export class PyRange {
  constructor(
    readonly start: number,
    readonly stop: number,
    readonly step: number,
  ) {
    if (step === 0) throw new PyError('ValueError', 'range() arg 3 must not be zero');
  }
  get size(): number {
    const { start, stop, step } = this;
    if (step > 0) return start < stop ? Math.floor((stop - start - 1) / step) + 1 : 0;
    return start > stop ? Math.floor((start - stop - 1) / -step) + 1 : 0;
  }
  at(i: number): number {
    return this.start + i * this.step;
  }
  *[Symbol.iterator](): Iterator<number> {
    const n = this.size;
    for (let i = 0; i < n; i++) yield this.start + i * this.step;
  }
  [PY_STR](): string {
    return this[PY_REPR]();
  }
  [PY_REPR](): string {
    return this.step === 1 ? `range(${this.start}, ${this.stop})` : `range(${this.start}, ${this.stop}, ${this.step})`;
  }
}

// ---------------------------------------------------------------------------------------------
// str() and repr()

function undefinedError(u: Undefined): PyError {
  return new PyError(u.exc, u.hint);
}

/** Python's repr of an int (exact digits also beyond 1e21). */
export function intRepr(n: number): string {
  if (n > -1e21 && n < 1e21) return String(n);
  return BigInt(n).toString();
}

/** Python's repr of a float: the shortest round-trip digits, exponent when < 1e-4 or >= 1e16. */
export function floatRepr(n: number): string {
  if (n !== n) return 'nan';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  if (n === 0) return Object.is(n, -0) ? '-0.0' : '0.0';
  if (Number.isInteger(n) && n > -1e16 && n < 1e16) return `${n}.0`;
  const abs = n < 0 ? -n : n;
  if (abs >= 1e-4 && abs < 1e16) return String(n);
  // toExponential() gives the shortest round-trip digits, as Python's repr does.
  const s = abs.toExponential();
  const e = s.indexOf('e');
  const mant = s.slice(0, e);
  const exp = Number(s.slice(e + 1));
  const expStr = exp < 0 ? `-${String(-exp).padStart(2, '0')}` : `+${String(exp).padStart(2, '0')}`;
  return `${n < 0 ? '-' : ''}${mant}e${expStr}`;
}

/**
 * Code points that JavaScript's Unicode (17) knows and Python 3.11's (14.0) does not: Python sees
 * them as unassigned (not printable, not letters, no case). Ranges of hex code points.
 */
const NEWER_THAN_PYTHON =
  '88f 897 c5c cdc cf3 ece 1acf-1add 1ae0-1aeb 1b4e-1b4f 1b7f 1c89-1c8a 20c1 2427-2429 2b96 2ffc-2fff 31e4-31e5 31ef a7cb-a7cf a7d2 a7d4 a7da-a7dc a7f1 fbc3-fbd2 fd90-fd91 fdc8-fdce 105c0-105f3 10940-10959 10d40-10d65 10d69-10d85 10d8e-10d8f 10ec2-10ec7 10ed0-10ed8 10efa-10eff 1123f-11241 11380-11389 1138b 1138e 11390-113b5 113b7-113c0 113c2 113c5 113c7-113ca 113cc-113d5 113d7-113d8 113e1-113e2 116d0-116e3 11b00-11b09 11b60-11b67 11bc0-11be1 11bf0-11bf9 11db0-11ddb 11de0-11de9 11f00-11f10 11f12-11f3a 11f3e-11f5a 1342f 13439-13455 13460-143fa 16100-16139 16d40-16d79 16ea0-16eb8 16ebb-16ed3 16ff2-16ff6 187f8-187ff 18cff 18d09-18d1e 18d80-18df2 1b132 1b155 1cc00-1ccfc 1cd00-1ceb3 1ceba-1ced0 1cee0-1cef0 1d2c0-1d2d3 1df25-1df2a 1e030-1e06d 1e08f 1e4d0-1e4f9 1e5d0-1e5fa 1e5ff 1e6c0-1e6de 1e6e0-1e6f5 1e6fe-1e6ff 1f6d8 1f6dc 1f774-1f77f 1f7d9 1f8b2-1f8bb 1f8c0-1f8c1 1f8d0-1f8d8 1fa54-1fa57 1fa75-1fa77 1fa87-1fa8a 1fa8e-1fa8f 1faad-1faaf 1fabb-1fabf 1fac6 1fac8 1facd-1facf 1fada-1fadc 1fadf 1fae8-1faea 1faef 1faf7-1faf8 1fbcb-1fbef 1fbfa 2b739-2b73f 2cea2-2cead 2ebf0-2ee5d 31350-33479';

let newerRanges: Uint32Array | undefined;

/** Whether Python 3.11 sees this code point as unassigned while JavaScript does not. */
export function unassignedInPython(cp: number): boolean {
  if (cp < 0x88f) return false;
  if (newerRanges === undefined) {
    const parts = NEWER_THAN_PYTHON.split(' ');
    newerRanges = new Uint32Array(parts.length * 2);
    parts.forEach((p, i) => {
      const [a, b] = p.split('-');
      newerRanges![2 * i] = parseInt(a!, 16);
      newerRanges![2 * i + 1] = parseInt(b ?? a!, 16);
    });
  }
  const r = newerRanges;
  let lo = 0;
  let hi = r.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (cp < r[2 * mid]!) hi = mid - 1;
    else if (cp > r[2 * mid + 1]!) lo = mid + 1;
    else return true;
  }
  return false;
}

const PLAIN_ASCII = /^[\x20-\x26\x28-\x5b\x5d-\x7e]*$/;
const NON_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;

/** Python's repr of a str. */
export function strRepr(s: string): string {
  if (PLAIN_ASCII.test(s)) return `'${s}'`;
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === quote || ch === '\\') out += '\\' + ch;
    else if (c === 10) out += '\\n';
    else if (c === 13) out += '\\r';
    else if (c === 9) out += '\\t';
    else if (c >= 0x20 && c < 0x7f) out += ch;
    else if (c <= 0x7f || (c < 0xa1 && c >= 0x80) || NON_PRINTABLE.test(ch) || unassignedInPython(c)) {
      if (c < 0x100) out += '\\x' + c.toString(16).padStart(2, '0');
      else if (c < 0x10000) out += '\\u' + c.toString(16).padStart(4, '0');
      else out += '\\U' + c.toString(16).padStart(8, '0');
    } else out += ch;
  }
  return out + quote;
}

function seqRepr(items: Iterable<unknown>, open: string, close: string, seen: Set<unknown>): string {
  let out = open;
  let first = true;
  for (const x of items) {
    if (!first) out += ', ';
    first = false;
    out += reprIn(x, seen);
  }
  return out + close;
}

function reprIn(x: unknown, seen: Set<unknown>): string {
  if (typeof x === 'string') return strRepr(x);
  if (typeof x !== 'object' || x === null) return pyStr(x);
  if (x instanceof PyFloat) return floatRepr(x.value);
  if (x instanceof Markup) return `Markup(${strRepr(x.value)})`;
  if (x instanceof Undefined) return 'Undefined'; // jinja2's Undefined.__repr__
  const r = (x as { [PY_REPR]?: unknown })[PY_REPR];
  if (typeof r === 'function') return String(r.call(x));
  if (seen.has(x)) {
    if (Array.isArray(x)) return isTuple(x) ? '(...)' : '[...]';
    return '{...}';
  }
  seen.add(x);
  try {
    if (Array.isArray(x)) {
      if (isTuple(x)) return x.length === 1 ? `(${reprIn(x[0], seen)},)` : seqRepr(x, '(', ')', seen);
      return seqRepr(x, '[', ']', seen);
    }
    if (x instanceof Map) {
      let out = '{';
      let first = true;
      for (const [k, v] of x) {
        if (!first) out += ', ';
        first = false;
        out += reprIn(k, seen) + ': ' + reprIn(v, seen);
      }
      return out + '}';
    }
    if (isPlainObject(x)) {
      let out = '{';
      let first = true;
      for (const k of Object.keys(x)) {
        if (!first) out += ', ';
        first = false;
        out += strRepr(k) + ': ' + reprIn(x[k], seen);
      }
      return out + '}';
    }
    if (x instanceof Set) return x.size === 0 ? 'set()' : seqRepr(setOrder(x), '{', '}', seen);
    const s = (x as { [PY_STR]?: unknown })[PY_STR];
    if (typeof s === 'function') return String(s.call(x));
    if (typeof (x as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function') return '<generator object>';
    return `<${typeName(x)} object>`;
  } finally {
    seen.delete(x);
  }
}

/** Python's repr(x). */
export function pyRepr(x: unknown): string {
  if (typeof x === 'string') return strRepr(x);
  return reprIn(x, new Set());
}

/** Python's str(x), as jinja2 prints `{{ x }}` (an Undefined raises; the evaluator decides). */
export function pyStr(x: unknown): string {
  switch (typeof x) {
    case 'string':
      return x;
    case 'number':
      return Number.isInteger(x) ? intRepr(x) : floatRepr(x);
    case 'boolean':
      return x ? 'True' : 'False';
    case 'undefined':
      return 'None';
    case 'function':
      return `<function ${x.name || '<lambda>'}>`;
    case 'bigint':
      return x.toString();
    default:
  }
  if (x === null) return 'None';
  if (x instanceof PyFloat) return floatRepr(x.value);
  if (x instanceof Markup) return x.value;
  if (x instanceof Undefined) throw undefinedError(x);
  const s = (x as { [PY_STR]?: unknown })[PY_STR];
  if (typeof s === 'function') return String(s.call(x));
  return reprIn(x, new Set());
}

// ---------------------------------------------------------------------------------------------
// Truth

/** Python's bool(x). */
export function truthy(x: unknown): boolean {
  switch (typeof x) {
    case 'string':
      return x.length > 0;
    case 'boolean':
      return x;
    case 'number':
      return x !== 0; // nan is true
    case 'bigint':
      return x !== 0n;
    case 'undefined':
      return false;
    case 'function':
      return true;
    default:
  }
  if (x === null) return false;
  if (x instanceof PyFloat) return x.value !== 0;
  if (Array.isArray(x)) return x.length > 0;
  if (x instanceof Map || x instanceof Set) return x.size > 0;
  if (x instanceof Undefined) return false;
  if (x instanceof Markup) return x.value.length > 0;
  if (x instanceof DictView || x instanceof PyRange || x instanceof PyBytes) return x.size > 0;
  if (isPlainObject(x)) {
    for (const _ in x) return true;
    return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Equality and ordering

/** Python's a == b. */
export function eq(a: unknown, b: unknown): boolean {
  if (a === b) {
    // nan != nan, even the same nan
    if (typeof a === 'number') return a === a;
    return !(a instanceof PyFloat) || a.value === a.value;
  }
  const ta = typeof a;
  const tb = typeof b;
  if (ta === 'bigint' || tb === 'bigint') return bigCompare(a, b) === 0;
  if (ta === 'string' || tb === 'string') {
    if (ta === 'string' && b instanceof Markup) return a === b.value;
    if (tb === 'string' && a instanceof Markup) return a.value === b;
    return false;
  }
  const na = numOf(a);
  if (na !== undefined) {
    const nb = numOf(b);
    return nb !== undefined && na === nb;
  }
  if (a === null || a === undefined) return b === null || b === undefined;
  if (typeof a !== 'object' || typeof b !== 'object' || b === null) return false;
  if (a instanceof Undefined) return b instanceof Undefined;
  if (a instanceof Markup) return b instanceof Markup && a.value === b.value;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || isTuple(a) !== isTuple(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && !eq(a[i], b[i])) return false;
    return true;
  }
  if (isDictLike(a)) {
    if (!isDictLike(b)) return false;
    if (dictSize(a) !== dictSize(b)) return false;
    for (const [k, v] of dictEntries(a)) {
      const found = dictLookup(b, k);
      if (found === MISSING || !eq(v, found)) return false;
    }
    return true;
  }
  if (a instanceof Set) {
    if (!(b instanceof Set) || a.size !== b.size) return false;
    for (const x of a) if (!setHas(b, x)) return false;
    return true;
  }
  if (a instanceof PyRange) {
    if (!(b instanceof PyRange)) return false;
    const n = a.size;
    return n === b.size && (n === 0 || (a.start === b.start && (n === 1 || a.step === b.step)));
  }
  if (a instanceof DictView && b instanceof DictView && a.kind === b.kind && a.kind !== 'dict_values') {
    const sa = [...a];
    const sb = [...b];
    return sa.length === sb.length && sa.every((x) => sb.some((y) => eq(x, y)));
  }
  return false;
}

export type CompareOp = '<' | '<=' | '>' | '>=';

function cmpResult(op: CompareOp, c: number): boolean {
  switch (op) {
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    default:
      return c >= 0;
  }
}

function notSupported(op: string, a: unknown, b: unknown): PyError {
  return new PyError('TypeError', `'${op}' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`);
}

/** Python's order of two str: by code point (JavaScript's `<` compares UTF-16 code units). */
export function strCmp(a: string, b: string): number {
  // Code point order: UTF-16 order differs only across surrogates.
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      const cx = a.codePointAt(i)!;
      const cy = b.codePointAt(i)!;
      return cx < cy ? -1 : 1;
    }
  }
  return a.length - b.length;
}

/** Python's <, <=, >, >=. */
export function compare(op: CompareOp, a: unknown, b: unknown): boolean {
  if (typeof a === 'bigint' || typeof b === 'bigint') {
    const c = bigCompare(a, b);
    if (c !== undefined) return c !== c ? false : cmpResult(op, c);
  }
  if (typeof a === 'string' && typeof b === 'string') return cmpResult(op, strCmp(a, b));
  if (typeof a === 'number' && typeof b === 'number') {
    switch (op) {
      case '<':
        return a < b;
      case '<=':
        return a <= b;
      case '>':
        return a > b;
      default:
        return a >= b;
    }
  }
  if (a instanceof Undefined) throw undefinedError(a);
  if (b instanceof Undefined) throw undefinedError(b);
  const na = numOf(a);
  const nb = numOf(b);
  if (na !== undefined && nb !== undefined) {
    switch (op) {
      case '<':
        return na < nb;
      case '<=':
        return na <= nb;
      case '>':
        return na > nb;
      default:
        return na >= nb;
    }
  }
  const sa = a instanceof Markup ? a.value : a;
  const sb = b instanceof Markup ? b.value : b;
  if (typeof sa === 'string' && typeof sb === 'string') return cmpResult(op, strCmp(sa, sb));
  if (Array.isArray(a) && Array.isArray(b) && isTuple(a) === isTuple(b)) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      if (!eq(a[i], b[i])) return compare(op, a[i], b[i]);
    }
    return cmpResult(op, a.length - b.length);
  }
  if (a instanceof Set && b instanceof Set) {
    const sub = (x: Set<unknown>, y: Set<unknown>): boolean => [...x].every((v) => setHas(y, v));
    switch (op) {
      case '<':
        return a.size < b.size && sub(a, b);
      case '<=':
        return sub(a, b);
      case '>':
        return a.size > b.size && sub(b, a);
      default:
        return sub(b, a);
    }
  }
  throw notSupported(op, a, b);
}

// ---------------------------------------------------------------------------------------------
// Dict keys: Python's hashing (1, 1.0 and True are one key; tuples by value)

const MISSING: unique symbol = Symbol('tx.py.missing');
export { MISSING };

/** Raise TypeError for a value Python cannot hash (list, dict, set). */
export function checkHashable(k: unknown): void {
  if (Array.isArray(k)) {
    if (!isTuple(k)) throw new PyError('TypeError', "unhashable type: 'list'");
    for (const x of k) checkHashable(x);
  } else if (k instanceof Map || isPlainObject(k)) throw new PyError('TypeError', "unhashable type: 'dict'");
  else if (k instanceof Set) throw new PyError('TypeError', "unhashable type: 'set'");
}

/**
 * A primitive standing for a Python key's hash-equality class: keys that Python sees as the same
 * key give the same toPyKey (1, 1.0, True -> 1; a tuple -> a string of its parts' keys).
 */
export function toPyKey(k: unknown): unknown {
  if (typeof k === 'string' || typeof k === 'number') return k;
  if (typeof k === 'boolean') return k ? 1 : 0;
  if (k instanceof PyFloat) return k.value;
  if (k === undefined) return null;
  if (k instanceof Markup) return k.value;
  if (isTuple(k)) return '\u0000tuple:' + k.map((x) => JSON.stringify(toPyKey(x)) ?? 'null').join(',');
  checkHashable(k);
  return k;
}

function needsScan(k: unknown): boolean {
  return typeof k !== 'string';
}

/** The key stored in map that Python considers equal to k, or MISSING. */
export function findKey(map: Map<unknown, unknown> | Set<unknown>, k: unknown): unknown {
  if (map.has(k)) {
    if (typeof k !== 'number' || k === k) return k;
  }
  if (!needsScan(k)) return MISSING;
  checkHashable(k);
  const pk = toPyKey(k);
  for (const key of map.keys()) {
    if (typeof key !== 'string' && toPyKey(key) === pk) return key;
  }
  return MISSING;
}

function dictSize(d: Map<unknown, unknown> | Record<string, unknown>): number {
  return d instanceof Map ? d.size : Object.keys(d).length;
}

function dictEntries(d: Map<unknown, unknown> | Record<string, unknown>): Iterable<[unknown, unknown]> {
  return d instanceof Map ? d.entries() : Object.entries(d);
}

/** d[k] with Python key equality, or MISSING (a dict as a Map or a plain host object). */
export function dictLookup(d: Map<unknown, unknown> | Record<string, unknown>, k: unknown): unknown {
  if (d instanceof Map) {
    if (typeof k === 'string') return d.has(k) ? d.get(k) : MISSING;
    const key = findKey(d, k);
    return key === MISSING ? MISSING : d.get(key);
  }
  if (typeof k === 'string') return Object.prototype.hasOwnProperty.call(d, k) ? d[k] : MISSING;
  if (k instanceof Markup) return dictLookup(d, k.value);
  checkHashable(k);
  return MISSING;
}

/** d[k] = v with Python key equality (an equal existing key keeps its place and identity). */
export function dictSet(d: Map<unknown, unknown> | Record<string, unknown>, k: unknown, v: unknown): void {
  if (d instanceof Map) {
    if (typeof k === 'string') {
      d.set(k, v);
      return;
    }
    const key = findKey(d, k);
    d.set(key === MISSING ? k : key, v);
    return;
  }
  if (typeof k === 'string') d[k] = v;
  else if (k instanceof Markup) d[k.value] = v;
  else {
    checkHashable(k);
    throw new PyError('TypeError', `keys of this dict must be str, not ${typeName(k)}`);
  }
}

/** del d[k]: returns whether k was there. */
export function dictDelete(d: Map<unknown, unknown> | Record<string, unknown>, k: unknown): boolean {
  if (d instanceof Map) {
    const key = findKey(d, k);
    if (key === MISSING) return false;
    d.delete(key);
    return true;
  }
  const key = k instanceof Markup ? k.value : k;
  if (typeof key === 'string' && Object.prototype.hasOwnProperty.call(d, key)) {
    delete d[key];
    return true;
  }
  return false;
}

/** Python's membership in a set (1, 1.0 and True are one element). */
export function setHas(s: Set<unknown>, x: unknown): boolean {
  return findKey(s, x) !== MISSING;
}

/** s.add(x) with Python equality. */
export function setAdd(s: Set<unknown>, x: unknown): void {
  if (typeof x === 'string') s.add(x);
  else if (findKey(s, x) === MISSING) s.add(x);
}

/** hash() of an int, bool or integral float (Python's ints hash to themselves, -1 to -2). */
function intHash(x: unknown): number | undefined {
  let n: number;
  if (typeof x === 'number' && Number.isInteger(x)) n = x;
  else if (typeof x === 'boolean') n = x ? 1 : 0;
  else if (x instanceof PyFloat && Number.isInteger(x.value)) n = x.value;
  else return undefined;
  if (n >= 2 ** 61 - 1 || n <= -(2 ** 61 - 1)) return undefined;
  return n === -1 ? -2 : n;
}

/** CPython's probe for a free slot (setobject.c: linear probes, then perturbed jumps). */
function setSlot(table: Int32Array, mask: number, hash: number): number {
  let i = hash & mask;
  let perturb = BigInt.asUintN(64, BigInt(hash));
  for (;;) {
    const last = i + 9 <= mask ? i + 9 : i;
    for (let j = i; j <= last; j++) if (table[j] === -1) return j;
    perturb >>= 5n;
    i = (i * 5 + 1 + Number(perturb & BigInt(mask))) & mask;
  }
}

/**
 * A set's elements in Python's iteration order. Python orders a set by its hash table; for ints
 * (and bools, integral floats) that order is known and tx reproduces it, as if the elements had
 * been added in the order the JS Set holds them. Other sets (str hashes are random per Python
 * process) keep their insertion order.
 */
export function setOrder(s: Set<unknown>): unknown[] {
  const items = [...s];
  if (items.length < 2) return items;
  const hashes: number[] = [];
  for (const x of items) {
    const h = intHash(x);
    if (h === undefined) return items;
    hashes.push(h);
  }
  let mask = 7;
  let table = new Int32Array(8).fill(-1);
  let fill = 0;
  for (let k = 0; k < items.length; k++) {
    table[setSlot(table, mask, hashes[k]!)] = k;
    fill++;
    if (fill * 5 >= mask * 3) {
      let size = 8;
      while (size <= fill * 4) size <<= 1;
      const old = table;
      table = new Int32Array(size).fill(-1);
      mask = size - 1;
      for (const idx of old) if (idx >= 0) table[setSlot(table, mask, hashes[idx]!)] = idx;
    }
  }
  const out: unknown[] = [];
  for (const idx of table) if (idx >= 0) out.push(items[idx]);
  return out;
}

/** A dict literal {k: v, ...}: later equal keys overwrite the value and keep the first key. */
export function makeDict(entries: [unknown, unknown][]): Map<unknown, unknown> {
  const m = new Map<unknown, unknown>();
  for (const [k, v] of entries) dictSet(m, k, v);
  return m;
}

/** A set literal {a, b, ...}. */
export function makeSet(items: Iterable<unknown>): Set<unknown> {
  const s = new Set<unknown>();
  for (const x of items) {
    checkHashable(x);
    setAdd(s, x);
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// Arithmetic

function unsupported(op: string, a: unknown, b: unknown): PyError {
  return new PyError('TypeError', `unsupported operand type(s) for ${op}: '${typeName(a)}' and '${typeName(b)}'`);
}

function checkUndef(a: unknown, b: unknown): void {
  if (a instanceof Undefined) throw undefinedError(a);
  if (b instanceof Undefined) throw undefinedError(b);
}

/** Numbers of both operands and whether the result is a float, or undefined when not numbers. */
function bothNums(a: unknown, b: unknown): [number, number, boolean] | undefined {
  const na = numOf(a);
  if (na === undefined) return undefined;
  const nb = numOf(b);
  if (nb === undefined) return undefined;
  return [na, nb, isPyFloat(a) || isPyFloat(b)];
}

function strOf(x: unknown): string | undefined {
  if (typeof x === 'string') return x;
  if (x instanceof Markup) return x.value;
  return undefined;
}

function repeatCount(n: unknown): number | undefined {
  if (typeof n === 'boolean') return n ? 1 : 0;
  if (isIntNumber(n)) return n;
  return undefined;
}

function repeatSeq(seq: unknown, n: number): unknown {
  if (n > 0 && n * len(seq) > 2 ** 28) throw new PyError('MemoryError', '');
  if (seq instanceof PyBytes) {
    const out = new Uint8Array(Math.max(0, n) * seq.size);
    for (let i = 0; i < n; i++) out.set(seq.data, i * seq.size);
    return new PyBytes(out);
  }
  if (typeof seq === 'string') return n <= 0 ? '' : seq.repeat(n);
  if (seq instanceof Markup) return new Markup(n <= 0 ? '' : seq.value.repeat(n));
  const arr = seq as unknown[];
  const out: unknown[] = [];
  for (let i = 0; i < n; i++) for (const x of arr) out.push(x);
  return isTuple(arr) ? makeTuple(out) : out;
}

function isSeq(x: unknown): boolean {
  return typeof x === 'string' || Array.isArray(x) || x instanceof Markup || x instanceof PyBytes;
}

/** markupsafe's escape of a str. */
export function escapeHtml(s: string): string {
  if (!/[&<>"']/.test(s)) return s;
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&#34;')
    .replace(/'/g, '&#39;');
}

/** markupsafe's _MarkupEscapeHelper: an argument of Markup % whose str() and repr() are escaped. */
class EscapedArg {
  constructor(readonly value: unknown) {}
  [PY_STR](): string {
    return this.value instanceof Markup ? this.value.value : escapeHtml(pyStr(this.value));
  }
  [PY_REPR](): string {
    return escapeHtml(pyRepr(this.value));
  }
}

function escapeArg(x: unknown): unknown {
  return typeof x === 'number' || typeof x === 'boolean' || x instanceof PyFloat ? x : new EscapedArg(x);
}

/** Python's a + b. */
export function add(a: unknown, b: unknown): unknown {
  if (typeof a === 'bigint' || typeof b === 'bigint') {
    const big = bigBinary('+', a, b);
    if (big !== NOT_BIG) return big;
  }
  if (typeof a === 'string' && typeof b === 'string') return a + b;
  if (typeof a === 'number' && typeof b === 'number' && Number.isInteger(a) && Number.isInteger(b)) {
    const r = a + b;
    return Number.isSafeInteger(r) ? r : bigBinary('+', a, b);
  }
  checkUndef(a, b);
  const nums = bothNums(a, b);
  if (nums) return nums[2] ? pyFloat(nums[0] + nums[1]) : nums[0] + nums[1];
  const sa = strOf(a);
  if (sa !== undefined) {
    const sb = strOf(b);
    if (a instanceof Markup || b instanceof Markup) {
      // markupsafe: the str side is escaped; anything else is not added.
      if (sb === undefined) throw unsupported('+', a, b);
      return new Markup((a instanceof Markup ? sa : escapeHtml(sa)) + (b instanceof Markup ? sb : escapeHtml(sb)));
    }
    if (sb === undefined) throw new PyError('TypeError', `can only concatenate str (not "${typeName(b)}") to str`);
    return sa + sb;
  }
  if (Array.isArray(a)) {
    if (isTuple(a)) {
      if (!isTuple(b)) throw new PyError('TypeError', `can only concatenate tuple (not "${typeName(b)}") to tuple`);
      return makeTuple([...a, ...b]);
    }
    if (!Array.isArray(b) || isTuple(b))
      throw new PyError('TypeError', `can only concatenate list (not "${typeName(b)}") to list`);
    return [...a, ...b];
  }
  if (a instanceof PyBytes) {
    if (!(b instanceof PyBytes)) throw new PyError('TypeError', `can't concat ${typeName(b)} to bytes`);
    const out = new Uint8Array(a.size + b.size);
    out.set(a.data);
    out.set(b.data, a.size);
    return new PyBytes(out);
  }
  throw unsupported('+', a, b);
}

/** Python's a - b. */
export function sub(a: unknown, b: unknown): unknown {
  if (typeof a === 'bigint' || typeof b === 'bigint') {
    const big = bigBinary('-', a, b);
    if (big !== NOT_BIG) return big;
  }
  if (typeof a === 'number' && typeof b === 'number' && Number.isInteger(a) && Number.isInteger(b)) {
    const r = a - b;
    return Number.isSafeInteger(r) ? r : bigBinary('-', a, b);
  }
  checkUndef(a, b);
  const nums = bothNums(a, b);
  if (nums) return nums[2] ? pyFloat(nums[0] - nums[1]) : nums[0] - nums[1];
  if (a instanceof Set && b instanceof Set) {
    const out = new Set<unknown>();
    for (const x of a) if (!setHas(b, x)) out.add(x);
    return out;
  }
  throw unsupported('-', a, b);
}

/** Multiply two ints exactly where the result fits in a double's integers. */
function intMul(a: number, b: number): number {
  const r = a * b;
  if (Number.isSafeInteger(r)) return r + 0;
  if (!Number.isFinite(r)) throw intTooLarge();
  return Number(BigInt(a) * BigInt(b));
}

/**
 * tx's ints are doubles: exact to 2**53, approximate beyond, and none past 1.8e308 (where Python
 * would go on with a bigger int).
 */
function intTooLarge(): PyError {
  return new PyError('OverflowError', 'int too large for tx (it holds ints up to about 1.8e308)');
}

/** Python's a * b. */
export function mul(a: unknown, b: unknown): unknown {
  if (typeof a === 'bigint' || typeof b === 'bigint') {
    const big = bigBinary('*', a, b);
    if (big !== NOT_BIG) return big;
  }
  if (typeof a === 'number' && typeof b === 'number' && Number.isInteger(a) && Number.isInteger(b)) {
    const r = a * b;
    // (an int has no negative zero: -1 * 0 is 0)
    return Number.isSafeInteger(r) ? r + 0 : bigBinary('*', a, b);
  }
  checkUndef(a, b);
  const nums = bothNums(a, b);
  if (nums) return nums[2] ? pyFloat(nums[0] * nums[1]) : intMul(nums[0], nums[1]);
  if (isSeq(a)) {
    const n = repeatCount(b);
    if (n !== undefined) return repeatSeq(a, n);
    throw new PyError('TypeError', `can't multiply sequence by non-int of type '${typeName(b)}'`);
  }
  if (isSeq(b)) {
    const n = repeatCount(a);
    if (n !== undefined) return repeatSeq(b, n);
    throw new PyError('TypeError', `can't multiply sequence by non-int of type '${typeName(a)}'`);
  }
  throw unsupported('*', a, b);
}

/** Python's a / b (always a float for numbers). */
export function truediv(a: unknown, b: unknown): unknown {
  if (typeof a === 'bigint' || typeof b === 'bigint') {
    const big = bigBinary('/', a, b);
    if (big !== NOT_BIG) return big;
  }
  checkUndef(a, b);
  const nums = bothNums(a, b);
  if (!nums) throw unsupported('/', a, b);
  const [x, y, isF] = nums;
  if (y === 0) throw new PyError('ZeroDivisionError', isF ? 'float division by zero' : 'division by zero');
  return pyFloat(x / y);
}

function floorDivNum(x: number, y: number): number {
  // CPython's float floor division (float_divmod).
  const mod = x % y;
  let div = (x - mod) / y;
  if (mod !== 0 && y < 0 !== mod < 0) div -= 1;
  if (div !== 0) {
    let floordiv = Math.floor(div);
    if (div - floordiv > 0.5) floordiv += 1;
    return floordiv;
  }
  return 0 * (x / y); // signed zero
}

function floatMod(x: number, y: number): number {
  let mod = x % y;
  if (mod !== 0) {
    if (y < 0 !== mod < 0) mod += y;
  } else {
    mod = y < 0 ? -0 : 0;
  }
  return mod;
}

function intFloorDiv(x: number, y: number): number {
  if (Number.isSafeInteger(x) && Number.isSafeInteger(y)) {
    const q = Math.floor(x / y);
    if (Number.isSafeInteger(q) && Math.abs(x) < 2 ** 52) {
      // Correct a rounding of x / y near an integer.
      const r = x - q * y;
      if (r !== 0 && r < 0 !== y < 0) return q - 1;
      if ((y > 0 && r >= y) || (y < 0 && r <= y)) return q + 1;
      return q;
    }
  }
  const bx = BigInt(x);
  const by = BigInt(y);
  let q = bx / by;
  if (bx % by !== 0n && bx < 0n !== by < 0n) q -= 1n;
  return Number(q);
}

function intMod(x: number, y: number): number {
  const r = x % y;
  return r !== 0 && r < 0 !== y < 0 ? r + y : r === 0 ? 0 : r;
}

/** Python's a // b. */
export function floordiv(a: unknown, b: unknown): unknown {
  if (typeof a === 'bigint' || typeof b === 'bigint') {
    const big = bigBinary('//', a, b);
    if (big !== NOT_BIG) return big;
  }
  checkUndef(a, b);
  const nums = bothNums(a, b);
  if (!nums) throw unsupported('//', a, b);
  const [x, y, isF] = nums;
  if (y === 0) throw new PyError('ZeroDivisionError', isF ? 'float floor division by zero' : 'integer division or modulo by zero');
  if (isF) return pyFloat(y !== y || x !== x ? NaN : floorDivNum(x, y));
  return intFloorDiv(x, y);
}

/** Python's a % b (printf-style formatting when a is a str). */
export function mod(a: unknown, b: unknown): unknown {
  if (typeof a === 'bigint' || typeof b === 'bigint') {
    const big = bigBinary('%', a, b);
    if (big !== NOT_BIG) return big;
  }
  if (typeof a === 'number' && typeof b === 'number' && Number.isInteger(a) && Number.isInteger(b) && b !== 0) return intMod(a, b);
  // str % x formats x (an Undefined prints as '' under %s, as jinja2's does)
  if (typeof a === 'string') return percentFormat(a, b);
  if (a instanceof Markup) return new Markup(percentFormat(a.value, b, escapeArg));
  checkUndef(a, b);
  const nums = bothNums(a, b);
  if (!nums) throw unsupported('%', a, b);
  const [x, y, isF] = nums;
  if (y === 0) throw new PyError('ZeroDivisionError', isF ? 'float modulo' : 'integer modulo by zero');
  if (isF) return pyFloat(floatMod(x, y));
  return intMod(x, y);
}

function intPow(x: number, y: number): number {
  const r = Math.pow(x, y);
  if (Number.isSafeInteger(r) && Math.abs(r) < 2 ** 52) {
    // Math.pow may be off by an ulp; confirm exactly.
    if (y <= 64) {
      let e = 1;
      for (let i = 0; i < y; i++) e *= x;
      if (Number.isSafeInteger(e)) return e;
    }
    return r;
  }
  if (!Number.isFinite(r)) throw intTooLarge();
  if (y > 4096) return r;
  return Number(BigInt(x) ** BigInt(y));
}

// C's pow(), correctly rounded (glibc's pow, which CPython calls, is; V8's Math.pow is not).

const FRAC = 200;
const FRAC_N = BigInt(FRAC);
const ONE = 1n << FRAC_N;

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(16).length * 4 - (Math.clz32(Number.parseInt(n.toString(16)[0]!, 16)) - 28);
}

/** m × 2^e for an integer m of at most 53 bits, exactly (the result is already rounded). */
function scale2(m: number, e: number): number {
  let v = m;
  let k = e;
  while (k > 1000) {
    v *= 2 ** 1000;
    k -= 1000;
  }
  while (k < -1000) {
    v *= 2 ** -1000;
    k += 1000;
  }
  return v * 2 ** k;
}

/** The double nearest q × 2^e (ties to even); sticky: the true value is a little above q × 2^e. */
function nearestDouble(q: bigint, e: number, sticky: boolean): number {
  if (q === 0n) return 0;
  const bits = bitLength(q);
  const lead = e + bits - 1;
  if (lead > 1023) return Infinity;
  const prec = lead < -1022 ? 53 - (-1022 - lead) : 53;
  const drop = bits - prec;
  if (drop <= 0) return scale2(Number(q), e);
  let kept = q >> BigInt(drop);
  const rem = q - (kept << BigInt(drop));
  const half = 1n << BigInt(drop - 1);
  if (rem > half || (rem === half && (sticky || (kept & 1n) === 1n))) kept += 1n;
  return scale2(Number(kept), e + drop);
}

/** A finite positive double as m × 2^e with an integer m. */
function decompose(x: number): [bigint, number] {
  let e = 0;
  let m = x;
  while (!Number.isInteger(m)) {
    m *= 2 ** 64;
    e -= 64;
  }
  return [BigInt(m), e];
}

function atanhSeries(t: bigint): bigint {
  const t2 = (t * t) >> FRAC_N;
  let term = t;
  let sum = 0n;
  for (let i = 1n; term !== 0n; i += 2n) {
    sum += term / i;
    term = (term * t2) / ONE; // truncates toward zero, so a negative t ends too
  }
  return sum;
}

let ln2Fixed: bigint | undefined;
function LN2(): bigint {
  ln2Fixed ??= 2n * atanhSeries(ONE / 3n);
  return ln2Fixed;
}

/** ln(x) in fixed point (FRAC bits) for a finite positive double. */
function lnFixed(x: number): bigint {
  const [m, e] = decompose(x);
  const mb = bitLength(m);
  let k = e + mb - 1;
  let r = m << BigInt(FRAC - (mb - 1)); // r in [1, 2)
  // Center on 1: r in [sqrt(1/2), sqrt(2)).
  if (r > (ONE * 181n) / 128n) {
    k += 1;
    r >>= 1n;
  }
  const t = ((r - ONE) << FRAC_N) / (r + ONE);
  return 2n * atanhSeries(t) + BigInt(k) * LN2();
}

/** exp(z) for z in fixed point, as q × 2^e. */
function expFixed(z: bigint, approx: number): [bigint, number] {
  const k = Math.round(approx / Math.LN2);
  const r = z - BigInt(k) * LN2();
  let term = ONE;
  let sum = ONE;
  for (let i = 1n; term !== 0n; i++) {
    term = (term * r) / (i << FRAC_N);
    sum += term;
  }
  return [sum, k - FRAC];
}

function exactIntPow(x: number, n: number): number {
  const [m, e] = decompose(x);
  const a = Math.abs(n);
  const mn = m ** BigInt(a);
  if (n > 0) return nearestDouble(mn, e * a, false);
  const shift = bitLength(mn) + 64;
  const num = 1n << BigInt(shift);
  const q = num / mn;
  return nearestDouble(q, -e * a - shift, q * mn !== num);
}

/** C's pow(x, y) for doubles, correctly rounded. */
function cPow(x: number, y: number): number {
  if (x === 1 || y === 0) return 1;
  if (x !== x || y !== y) return NaN;
  if (x === -1 && (y === Infinity || y === -Infinity)) return 1;
  if (x === 0 || !Number.isFinite(x) || !Number.isFinite(y)) return Math.pow(x, y);
  if (y === 1) return x;
  const negative = x < 0 && Number.isInteger(y) && Math.abs(y % 2) === 1;
  const a = Math.abs(x);
  let r: number;
  const approx = y * Math.log(a);
  if (approx > 710) r = Infinity;
  else if (approx < -746) r = 0;
  else if (Number.isInteger(y) && Math.abs(y) <= 64) r = exactIntPow(a, y);
  else {
    const [my, ey] = decompose(Math.abs(y));
    let z = lnFixed(a) * my;
    z = ey >= 0 ? z << BigInt(ey) : z >> BigInt(-ey);
    if (y < 0) z = -z;
    const [q, e] = expFixed(z, approx);
    r = nearestDouble(q, e, true);
  }
  return negative ? -r : r;
}

/** Python's a ** b. */
export function pow(a: unknown, b: unknown): unknown {
  if (typeof a === 'bigint' || typeof b === 'bigint') {
    const big = bigBinary('**', a, b);
    if (big !== NOT_BIG) return big;
  }
  checkUndef(a, b);
  const nums = bothNums(a, b);
  if (!nums) throw unsupported('** or pow()', a, b);
  const [x, y, isF] = nums;
  if (!isF) {
    if (y >= 0) {
      const r = Math.pow(x, y);
      if (!Number.isSafeInteger(r) && Number.isSafeInteger(x) && Number.isSafeInteger(y)) return bigBinary('**', x, y);
      return intPow(x, y);
    }
    if (x === 0) throw new PyError('ZeroDivisionError', '0.0 cannot be raised to a negative power');
    return pyFloat(cPow(x, y));
  }
  if (x === 0 && y < 0) throw new PyError('ZeroDivisionError', '0.0 cannot be raised to a negative power');
  if (x < 0 && !Number.isInteger(y) && Number.isFinite(y) && Number.isFinite(x)) {
    // Python returns a complex number here; tx has none, and says so.
    throw new PyError('ValueError', `(${pyRepr(a)}) ** ${pyRepr(b)} is a complex number in Python, which tx's templates do not support`);
  }
  const r = cPow(x, y);
  if (!Number.isFinite(r) && Number.isFinite(x) && Number.isFinite(y))
    throw new PyError('OverflowError', "(34, 'Numerical result out of range')");
  return pyFloat(r);
}

/** Python's -a. */
export function neg(a: unknown): unknown {
  if (typeof a === 'bigint') return normInt(-a);
  if (isIntNumber(a)) return a === 0 ? 0 : -a;
  if (a instanceof Undefined) throw undefinedError(a);
  if (a instanceof PyFloat) return pyFloat(-a.value);
  if (typeof a === 'number') return pyFloat(-a);
  if (typeof a === 'boolean') return a ? -1 : 0;
  throw new PyError('TypeError', `bad operand type for unary -: '${typeName(a)}'`);
}

/** Python's +a. */
export function pos(a: unknown): unknown {
  if (isIntNumber(a) || typeof a === 'bigint') return a;
  if (a instanceof Undefined) throw undefinedError(a);
  if (a instanceof PyFloat) return a;
  if (typeof a === 'number') return pyFloat(a);
  if (typeof a === 'boolean') return a ? 1 : 0;
  throw new PyError('TypeError', `bad operand type for unary +: '${typeName(a)}'`);
}

/** jinja2's `a ~ b`: str(a) + str(b). */
export function concat(a: unknown, b: unknown): string {
  return (typeof a === 'string' ? a : pyStr(a)) + (typeof b === 'string' ? b : pyStr(b));
}

// ---------------------------------------------------------------------------------------------
// Membership, length, iteration

/** Python's `item in container`. */
export function contains(container: unknown, item: unknown): boolean {
  if (typeof container === 'string' || container instanceof Markup) {
    const s = typeof container === 'string' ? container : container.value;
    if (typeof item === 'string') return s.includes(item);
    if (item instanceof Markup) return s.includes(item.value);
    throw new PyError('TypeError', `'in <string>' requires string as left operand, not ${typeName(item)}`);
  }
  if (container instanceof Undefined) return false; // iterates as empty
  if (Array.isArray(container)) {
    for (const x of container) if (x === item || eq(x, item)) return true;
    return false;
  }
  if (container instanceof Map || isPlainObject(container)) return dictLookup(container, item) !== MISSING;
  if (container instanceof Set) {
    if (item instanceof Set) return false; // Python looks a set up as a frozenset: never an element here
    checkHashable(item);
    return setHas(container, item);
  }
  if (container instanceof DictView) {
    if (container.kind === 'dict_keys') return dictLookup(container.dict, item) !== MISSING;
    for (const x of container) if (eq(x, item)) return true;
    return false;
  }
  if (container instanceof PyRange) {
    const n = numOf(item);
    if (n === undefined || !Number.isInteger(n)) return false;
    const { start, step } = container;
    const i = (n - start) / step;
    return Number.isInteger(i) && i >= 0 && i < container.size;
  }
  if (container !== null && typeof container === 'object' && Symbol.iterator in container) {
    for (const x of container as Iterable<unknown>) if (eq(x, item)) return true;
    return false;
  }
  throw new PyError('TypeError', `argument of type '${typeName(container)}' is not iterable`);
}

const SURROGATE = /[\uD800-\uDFFF]/;

/** Python's len(x) (an Undefined has length 0). */
export function len(x: unknown): number {
  if (typeof x === 'string') return SURROGATE.test(x) ? codePointLength(x) : x.length;
  if (Array.isArray(x)) return x.length;
  if (x instanceof Map || x instanceof Set) return x.size;
  if (isPlainObject(x)) return Object.keys(x).length;
  if (x instanceof Undefined) return 0;
  if (x instanceof Markup) return len(x.value);
  if (x instanceof DictView || x instanceof PyRange || x instanceof PyBytes) return x.size;
  throw new PyError('TypeError', `object of type '${typeName(x)}' has no len()`);
}

function codePointLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d < 0xe000) i++;
    }
    n++;
  }
  return n;
}

/** The code points of a str (as an array of one-character strings). */
export function codePoints(s: string): string[] {
  return SURROGATE.test(s) ? Array.from(s) : s.split('');
}

const EMPTY: readonly unknown[] = [];

/** Python's iter(x): str -> characters, dict -> keys, Undefined -> nothing. */
export function iterate(x: unknown): Iterable<unknown> {
  if (Array.isArray(x)) return x;
  if (typeof x === 'string') return codePoints(x);
  if (x instanceof Map) return x.keys();
  if (x instanceof Set) return setOrder(x);
  if (x instanceof Undefined) return EMPTY;
  if (isPlainObject(x)) return Object.keys(x);
  if (x instanceof Markup) return codePoints(x.value);
  // bytes iterate as their byte values (ints)
  if (x instanceof PyBytes) return x.data;
  if (x !== null && typeof x === 'object' && typeof (x as Iterable<unknown>)[Symbol.iterator] === 'function')
    return x as Iterable<unknown>;
  throw new PyError('TypeError', `'${typeName(x)}' object is not iterable`);
}

// ---------------------------------------------------------------------------------------------
// Indexing and slicing

function indexOf(key: unknown): number | undefined {
  if (isIntNumber(key)) return key;
  if (typeof key === 'boolean') return key ? 1 : 0;
  return undefined;
}

/** Python's obj[key]: raises IndexError / KeyError / TypeError as Python does. */
export function pyIndex(obj: unknown, key: unknown): unknown {
  if (obj instanceof Undefined) throw undefinedError(obj);
  if (typeof obj === 'string' || obj instanceof Markup || Array.isArray(obj)) {
    const kind = typeof obj === 'string' ? 'string' : obj instanceof Markup ? 'string' : isTuple(obj) ? 'tuple' : 'list';
    let i = indexOf(key);
    if (i === undefined) {
      throw new PyError('TypeError', `${kind === 'string' ? 'string' : kind} indices must be integers or slices, not ${typeName(key)}`);
    }
    if (Array.isArray(obj)) {
      if (i < 0) i += obj.length;
      if (i < 0 || i >= obj.length) throw new PyError('IndexError', `${kind} index out of range`);
      return obj[i];
    }
    const s = typeof obj === 'string' ? obj : obj.value;
    let ch: string;
    if (!SURROGATE.test(s)) {
      if (i < 0) i += s.length;
      if (i < 0 || i >= s.length) throw new PyError('IndexError', 'string index out of range');
      ch = s[i]!;
    } else {
      const cps = Array.from(s);
      if (i < 0) i += cps.length;
      if (i < 0 || i >= cps.length) throw new PyError('IndexError', 'string index out of range');
      ch = cps[i]!;
    }
    // markupsafe: an item of Markup is Markup
    return obj instanceof Markup ? new Markup(ch) : ch;
  }
  if (obj instanceof PyBytes) {
    let i = indexOf(key);
    if (i === undefined) throw new PyError('TypeError', `byte indices must be integers or slices, not ${typeName(key)}`);
    if (i < 0) i += obj.data.length;
    if (i < 0 || i >= obj.data.length) throw new PyError('IndexError', 'index out of range');
    return obj.data[i];
  }
  if (obj instanceof Map || isPlainObject(obj)) {
    const v = dictLookup(obj, key);
    if (v === MISSING) throw new PyError('KeyError', pyRepr(key));
    return v;
  }
  if (obj instanceof PyRange) {
    let i = indexOf(key);
    if (i === undefined) throw new PyError('TypeError', `range indices must be integers or slices, not ${typeName(key)}`);
    if (i < 0) i += obj.size;
    if (i < 0 || i >= obj.size) throw new PyError('IndexError', 'range object index out of range');
    return obj.at(i);
  }
  throw new PyError('TypeError', `'${typeName(obj)}' object is not subscriptable`);
}

/** jinja2's Undefined for a missing attribute or item of obj. */
export function missingOf(obj: unknown, name: unknown): Undefined {
  if (typeof name === 'string') return new Undefined(name, `${strRepr(objectTypeRepr(obj))} has no attribute ${strRepr(name)}`);
  return new Undefined(name instanceof Undefined ? 'Undefined' : pyStr(name), `${objectTypeRepr(obj)} has no element ${pyRepr(name)}`);
}

function unsafeUndefined(obj: unknown, name: string): Undefined {
  return new Undefined(name, `access to attribute ${strRepr(name)} of ${strRepr(typeName(obj))} object is unsafe.`, 'SecurityError');
}

/** The Python attribute `name` of obj (methods bound to obj), or MISSING. */
function pyAttribute(obj: unknown, name: string): unknown {
  if (obj === null || obj === undefined) return MISSING;
  if (isPlainObject(obj)) {
    if (Object.prototype.hasOwnProperty.call(obj, name)) {
      // A host object's own property is its attribute (a function is bound to it).
      const v = obj[name];
      return bindMember(v, obj);
    }
    const m = methodOf(obj, name);
    return m === undefined ? MISSING : m;
  }
  const m = methodOf(obj, name);
  if (m !== undefined) return m;
  if (typeof obj === 'number' || typeof obj === 'boolean' || obj instanceof PyFloat) {
    const n = numOf(obj)!;
    const f = isPyFloat(obj);
    switch (name) {
      case 'real':
        return f ? pyFloat(n) : n;
      case 'imag':
        return f ? pyFloat(0) : 0;
      case 'numerator':
        return f ? MISSING : n;
      case 'denominator':
        return f ? MISSING : 1;
      default:
        return MISSING;
    }
  }
  if (typeof obj === 'object' && !(obj instanceof Map) && !Array.isArray(obj) && !(obj instanceof Set)) {
    if (obj instanceof Undefined || obj instanceof PyFloat || obj instanceof Markup) return MISSING;
    if (obj instanceof DictView || obj instanceof PyRange) {
      if (obj instanceof PyRange && (name === 'start' || name === 'stop' || name === 'step')) return obj[name];
      return MISSING;
    }
    // A host object's property or method (not Object.prototype's: toString, constructor, ...).
    if (name in obj && !(name in Object.prototype && !Object.prototype.hasOwnProperty.call(obj, name))) {
      const v = (obj as Record<string, unknown>)[name];
      return bindMember(v, obj);
    }
  }
  return MISSING;
}

/**
 * A host object's member as an attribute: a method is bound to the object; a function that
 * carries members of its own (a class such as modules.datetime.datetime, with strptime, now, ...)
 * is returned as it is, so those stay reachable.
 */
function bindMember(v: unknown, obj: unknown): unknown {
  if (typeof v !== 'function') return v;
  if (Object.keys(v).length > 0) return v;
  return (v as (...a: unknown[]) => unknown).bind(obj);
}

/** A bound Python method of a value (str, list, dict, set, int, float), or undefined. */
export function pyMethod(value: unknown, name: string): ((...args: unknown[]) => unknown) | undefined {
  return methodOf(value, name);
}

/**
 * Python's dunder attributes that every object has (or that tx's types have): the sandbox refuses
 * them (an Undefined saying the access is unsafe); other names starting with '__' are missing.
 */
const DUNDERS = new Set(
  (
    'class doc init new repr str hash eq ne lt le gt ge getattribute setattr delattr dir format reduce ' +
    'reduce_ex sizeof subclasshook init_subclass'
  )
    .split(' ')
    .map((n) => `__${n}__`),
);

function isUnsafe(name: string): boolean {
  return name.charCodeAt(0) === 95 && name.charCodeAt(1) === 95;
}

/** jinja2's (sandboxed) Environment.getattr: `obj.name` — the attribute, else the item. */
/** Dunder attributes each builtin type has beyond object's (Python 3.11's dir()): the sandbox refuses them. */
const TYPE_DUNDERS: Record<string, Set<string>> = Object.fromEntries(
  Object.entries({
    str: 'add contains getitem getnewargs iter len mod mul rmod rmul',
    list: 'add class_getitem contains delitem getitem iadd imul iter len mul reversed rmul setitem',
    dict: 'class_getitem contains delitem getitem ior iter len or reversed ror setitem',
    tuple: 'add class_getitem contains getitem getnewargs iter len mul rmul',
    set: 'and class_getitem contains iand ior isub iter ixor len or rand ror rsub rxor sub xor',
    int: 'abs add and bool ceil divmod float floor floordiv getnewargs index int invert lshift mod mul neg or pos pow radd rand rdivmod rfloordiv rlshift rmod rmul ror round rpow rrshift rshift rsub rtruediv rxor sub truediv trunc xor',
    float: 'abs add bool ceil divmod float floor floordiv getformat getnewargs int mod mul neg pos pow radd rdivmod rfloordiv rmod rmul round rpow rsub rtruediv sub truediv trunc',
    bool: 'abs add and bool ceil divmod float floor floordiv getnewargs index int invert lshift mod mul neg or pos pow radd rand rdivmod rfloordiv rlshift rmod rmul ror round rpow rrshift rshift rsub rtruediv rxor sub truediv trunc xor',
    NoneType: 'bool',
  }).map(([t, names]) => [t, new Set(names.split(' ').filter(Boolean).map((n) => `__${n}__`))]),
);

export function getAttr(obj: unknown, name: string): unknown {
  if (isUnsafe(name)) {
    if (obj instanceof Undefined) throw undefinedError(obj);
    if (DUNDERS.has(name) || TYPE_DUNDERS[typeName(obj)]?.has(name)) return unsafeUndefined(obj, name);
  } else if (isPlainObject(obj) && Object.prototype.hasOwnProperty.call(obj, name)) {
    // The hot path: a host object's own property.
    const v = obj[name];
    return bindMember(v, obj);
  }
  if (obj instanceof Undefined) throw undefinedError(obj);
  if (obj instanceof Map) {
    // A dict's method wins over a key of the same name.
    const m = methodOf(obj, name);
    if (m !== undefined) return m;
    const v = obj.get(name);
    return v !== undefined || obj.has(name) ? v : missingOf(obj, name);
  }
  // a tuple carrying named fields (groupby's (grouper, list) namedtuples)
  if (Array.isArray(obj) && Object.prototype.hasOwnProperty.call(obj, name) && !/^\d+$/.test(name)) return (obj as unknown as Record<string, unknown>)[name];
  const v = pyAttribute(obj, name);
  if (v !== MISSING) {
    // The sandbox refuses attributes starting with '_' (a dict's keys are items, not attributes).
    return name.charCodeAt(0) === 95 && !isPlainObject(obj) ? unsafeUndefined(obj, name) : v;
  }
  if (isPlainObject(obj)) return missingOf(obj, name);
  try {
    return pyIndex(obj, name);
  } catch (e) {
    if (e instanceof PyError && (e.type === 'TypeError' || e.type === 'KeyError' || e.type === 'IndexError'))
      return missingOf(obj, name);
    throw e;
  }
}

/** jinja2's (sandboxed) Environment.getitem: `obj[key]` — the item, else the attribute. */
export function getItem(obj: unknown, key: unknown): unknown {
  if (obj instanceof Undefined) throw undefinedError(obj);
  if (typeof key === 'string') {
    // a tuple carrying named fields (groupby's (grouper, list) namedtuples)
    if (Array.isArray(obj) && Object.prototype.hasOwnProperty.call(obj, key) && !/^\d+$/.test(key)) return (obj as unknown as Record<string, unknown>)[key];
    if (obj instanceof Map) {
      const v = obj.get(key);
      if (v !== undefined || obj.has(key)) return v;
    } else if (isPlainObject(obj)) {
      if (Object.prototype.hasOwnProperty.call(obj, key)) return obj[key];
      // A host object's item is its own property; then its dict methods.
      if (isUnsafe(key) && DUNDERS.has(key)) return unsafeUndefined(obj, key);
      const m = methodOf(obj, key);
      return m !== undefined ? m : missingOf(obj, key);
    }
  }
  if (isIntNumber(key)) {
    if (Array.isArray(obj)) {
      const i = key < 0 ? key + obj.length : key;
      return i >= 0 && i < obj.length ? obj[i] : missingOf(obj, key);
    }
  }
  if (key instanceof PySlice) {
    try {
      return sliceOf(obj, key.start, key.stop, key.step);
    } catch (e) {
      if (!(e instanceof PyError) || e.type !== 'TypeError') throw e;
      return missingOf(obj, key);
    }
  }
  try {
    return pyIndex(obj, key);
  } catch (e) {
    if (!(e instanceof PyError) || !(e.type === 'TypeError' || e.type === 'KeyError' || e.type === 'IndexError')) throw e;
  }
  if (typeof key === 'string') {
    if (isUnsafe(key) && DUNDERS.has(key)) return unsafeUndefined(obj, key);
    const v = pyAttribute(obj, key);
    if (v !== MISSING) return key.charCodeAt(0) === 95 && !isPlainObject(obj) ? unsafeUndefined(obj, key) : v;
  }
  return missingOf(obj, key);
}

/** Python's slice(start, stop, step): getItem(obj, slice) is obj[start:stop:step]. */
export class PySlice {
  constructor(
    readonly start: unknown,
    readonly stop: unknown,
    readonly step: unknown,
  ) {}
  [PY_STR](): string {
    return this[PY_REPR]();
  }
  [PY_REPR](): string {
    return `slice(${pyRepr(this.start)}, ${pyRepr(this.stop)}, ${pyRepr(this.step)})`;
  }
}

function sliceBound(x: unknown): number | null {
  if (x === null || x === undefined) return null;
  // (Undefined has no __index__)
  const n = indexOf(x);
  if (n === undefined) throw new PyError('TypeError', 'slice indices must be integers or None or have an __index__ method');
  return n;
}

/** The indexes a Python slice selects in a sequence of length n. */
export function sliceIndexes(n: number, start: unknown, stop: unknown, step: unknown): number[] {
  const [a, b, st] = sliceIndices(n, start, stop, step);
  const out: number[] = [];
  if (st > 0) for (let i = a; i < b; i += st) out.push(i);
  else for (let i = a; i > b; i += st) out.push(i);
  return out;
}

/** Python's slice(start, stop, step).indices(n): the bounds clamped to a sequence of length n. */
export function sliceIndices(n: number, start: unknown, stop: unknown, step: unknown): [number, number, number] {
  const st = sliceBound(step) ?? 1;
  if (st === 0) throw new PyError('ValueError', 'slice step cannot be zero');
  const a = sliceBound(start);
  const b = sliceBound(stop);
  if (st > 0) {
    return [
      a === null ? 0 : a < 0 ? Math.max(0, a + n) : Math.min(a, n),
      b === null ? n : b < 0 ? Math.max(0, b + n) : Math.min(b, n),
      st,
    ];
  }
  return [
    a === null ? n - 1 : a < 0 ? Math.max(-1, a + n) : Math.min(a, n - 1),
    b === null ? -1 : b < 0 ? Math.max(-1, b + n) : Math.min(b, n - 1),
    st,
  ];
}

/** The [start, stop) of a step-1 slice over a length n. */
function sliceBounds1(n: number, start: unknown, stop: unknown): [number, number] {
  const a0 = sliceBound(start);
  const b0 = sliceBound(stop);
  const a = a0 === null ? 0 : a0 < 0 ? Math.max(0, a0 + n) : Math.min(a0, n);
  const b = b0 === null ? n : b0 < 0 ? Math.max(0, b0 + n) : Math.min(b0, n);
  return [a, b];
}

function isStepOne(step: unknown): boolean {
  return step === null || step === undefined || step === 1 || step === true;
}

/** Python's obj[start:stop:step] for str, list and tuple (None for a missing bound). */
export function sliceOf(obj: unknown, start: unknown, stop: unknown, step: unknown): unknown {
  if (obj instanceof Undefined) throw undefinedError(obj);
  if (typeof obj === 'string' || obj instanceof Markup) {
    const s = typeof obj === 'string' ? obj : obj.value;
    let r: string;
    if (isStepOne(step) && !SURROGATE.test(s)) {
      const [a, b] = sliceBounds1(s.length, start, stop);
      r = a < b ? s.slice(a, b) : '';
    } else {
      const cps = Array.from(s);
      r = sliceIndexes(cps.length, start, stop, step).map((i) => cps[i]).join('');
    }
    return obj instanceof Markup ? new Markup(r) : r;
  }
  if (Array.isArray(obj)) {
    let out: unknown[];
    if (isStepOne(step)) {
      const [a, b] = sliceBounds1(obj.length, start, stop);
      out = a < b ? obj.slice(a, b) : [];
    } else out = sliceIndexes(obj.length, start, stop, step).map((i) => obj[i]);
    return isTuple(obj) ? makeTuple(out) : out;
  }
  if (obj instanceof PyRange) {
    // A range sliced is a range.
    const [a, b, st] = sliceIndices(obj.size, start, stop, step);
    return new PyRange(obj.at(a), obj.at(b), obj.step * st);
  }
  if (obj instanceof PyBytes) {
    const d = obj.data;
    return new PyBytes(Uint8Array.from(isStepOne(step) ? (([a, b]) => (a < b ? d.subarray(a, b) : []))(sliceBounds1(d.length, start, stop)) : sliceIndexes(d.length, start, stop, step).map((i) => d[i]!)));
  }
  if (obj instanceof Map || isPlainObject(obj)) throw new PyError('TypeError', "unhashable type: 'slice'");
  throw new PyError('TypeError', `'${typeName(obj)}' object is not subscriptable`);
}
