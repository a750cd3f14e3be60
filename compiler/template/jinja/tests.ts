/**
 * jinja2 3.1's built-in tests (`x is odd`, `x is divisibleby(3)`, ...), on tx's value model
 * (see values.ts), errors included as PyError with Python's exception type.
 */

import { PyBytes } from './py-bytes.js';
import { Kwargs, Markup, PY_MAPPING, PyError, PyFloat, Undefined, isPlainObject } from './values.js';
import { PyRange, checkHashable, compare, contains, eq, mod, pyStr, type CompareOp } from './py.js';
import type { FilterEnv, TestFn } from './filters.js';

/**
 * A test of the Python signature `fname(*names)` (names[0] is the value). Keyword arguments come
 * as a trailing Kwargs in args, as the evaluator passes them; Python's arity errors are raised.
 */
function arity(fname: string, names: readonly string[], fn: (env: FilterEnv, value: unknown, args: unknown[]) => boolean): TestFn {
  const n = names.length;
  return (env, value, args) => {
    const last = args[args.length - 1];
    if (last instanceof Kwargs) {
      const pos = args.slice(0, -1);
      const bound: unknown[] = new Array(n - 1).fill(UNSET);
      for (let i = 0; i < pos.length && i < n - 1; i++) bound[i] = pos[i];
      for (const [k, v] of last.values) {
        const i = names.indexOf(k);
        if (i < 0) throw new PyError('TypeError', `${fname}() got an unexpected keyword argument '${k}'`);
        if (i === 0 || i - 1 < pos.length) throw new PyError('TypeError', `${fname}() got multiple values for argument '${k}'`);
        bound[i - 1] = v;
      }
      if (pos.length > n - 1) return arity(fname, names, fn)(env, value, pos);
      const missing = names.slice(1).filter((_, i) => bound[i] === UNSET);
      if (missing.length > 0) throw missingArgs(fname, missing);
      return fn(env, value, bound);
    }
    if (args.length !== n - 1) {
      const given = args.length + 1;
      if (given > n)
        throw new PyError(
          'TypeError',
          `${fname}() takes ${n} positional argument${n === 1 ? '' : 's'} but ${given} were given`,
        );
      throw missingArgs(fname, names.slice(given));
    }
    return fn(env, value, args);
  };
}

const UNSET: unique symbol = Symbol('tx.unset');

function missingArgs(fname: string, names: readonly string[]): PyError {
  const missing = names.map((x) => `'${x}'`);
  return new PyError(
    'TypeError',
    `${fname}() missing ${missing.length} required positional argument${missing.length === 1 ? '' : 's'}: ${missing.join(' and ')}`,
  );
}

function one(fname: string, fn: (value: unknown) => boolean): TestFn {
  return arity(fname, ['value'], (_env, value) => fn(value));
}

function operatorTest(op: string, fn: (a: unknown, b: unknown) => boolean): TestFn {
  return (_env, value, args) => {
    if (args[args.length - 1] instanceof Kwargs) throw new PyError('TypeError', `${op}() takes no keyword arguments`);
    if (args.length !== 1) throw new PyError('TypeError', `${op} expected 2 arguments, got ${args.length + 1}`);
    return fn(value, args[0]);
  };
}

function cmp(op: CompareOp): TestFn {
  return operatorTest(op, (a, b) => compare(op, a, b));
}

function isDict(x: unknown): boolean {
  return x instanceof Map || isPlainObject(x);
}

/** `is mapping`: a dict, or a host object marked as one (dbt's Relation). */
function isMapping(x: unknown): boolean {
  return isDict(x) || (x !== null && typeof x === 'object' && (x as Record<symbol, unknown>)[PY_MAPPING] === true);
}

function strOf(x: unknown): string {
  if (typeof x === 'string') return x;
  if (x instanceof Undefined) return '';
  return pyStr(x);
}

const CASED_UPPER = /[\p{Uppercase}\p{Lt}]/u;
const CASED_LOWER = /\p{Lowercase}/u;

/** Python's str.islower(). */
function isLower(s: string): boolean {
  return CASED_LOWER.test(s) && !CASED_UPPER.test(s);
}

/** Python's str.isupper(). */
function isUpper(s: string): boolean {
  return /\p{Uppercase}/u.test(s) && !/[\p{Lowercase}\p{Lt}]/u.test(s);
}

function isNumber(x: unknown): boolean {
  return typeof x === 'number' || typeof x === 'boolean' || x instanceof PyFloat;
}

function isInteger(x: unknown): boolean {
  return (typeof x === 'number' && Number.isInteger(x)) || typeof x === 'bigint';
}

function isFloat(x: unknown): boolean {
  return x instanceof PyFloat || (typeof x === 'number' && !Number.isInteger(x));
}

function isIterable(x: unknown): boolean {
  if (typeof x === 'string' || x instanceof Markup || x instanceof Undefined) return true;
  if (x === null || typeof x !== 'object') return false;
  if (x instanceof PyFloat) return false;
  if (Array.isArray(x) || isDict(x) || x instanceof Set) return true;
  return typeof (x as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function';
}

/** len(x) works and x has __getitem__. */
function isSequence(x: unknown): boolean {
  return (
    typeof x === 'string' ||
    x instanceof Markup ||
    Array.isArray(x) ||
    isDict(x) ||
    x instanceof Undefined ||
    x instanceof PyRange ||
    x instanceof PyBytes
  );
}

/** The name `value in env.filters` looks up: a str (Markup too), else none; unhashable values raise. */
function nameOf(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v instanceof Markup) return v.value;
  checkHashable(v);
  return undefined;
}

function isCallable(x: unknown): boolean {
  return typeof x === 'function' || x instanceof Undefined;
}

/** jinja2's tests by name (a null-prototype object: 'constructor' is no test). */
export const TESTS: Record<string, TestFn> = Object.assign(Object.create(null) as Record<string, TestFn>, {
  odd: one('test_odd', (v) => eq(mod(v, 2), 1)),
  even: one('test_even', (v) => eq(mod(v, 2), 0)),
  divisibleby: arity('test_divisibleby', ['value', 'num'], (_env, v, args) => eq(mod(v, args[0]), 0)),
  defined: one('test_defined', (v) => !(v instanceof Undefined)),
  undefined: one('test_undefined', (v) => v instanceof Undefined),
  filter: arity('test_filter', ['value'], (env, v) => {
    const name = nameOf(v);
    return name !== undefined && env.filter(name) !== undefined;
  }),
  test: arity('test_test', ['value'], (env, v) => {
    const name = nameOf(v);
    return name !== undefined && env.test(name) !== undefined;
  }),
  none: one('test_none', (v) => v === null || v === undefined),
  boolean: one('test_boolean', (v) => v === true || v === false),
  false: one('test_false', (v) => v === false),
  true: one('test_true', (v) => v === true),
  integer: one('test_integer', isInteger),
  float: one('test_float', isFloat),
  lower: one('test_lower', (v) => isLower(strOf(v))),
  upper: one('test_upper', (v) => isUpper(strOf(v))),
  string: one('test_string', (v) => typeof v === 'string' || v instanceof Markup),
  mapping: one('test_mapping', isMapping),
  number: one('test_number', isNumber),
  sequence: one('test_sequence', isSequence),
  iterable: one('test_iterable', isIterable),
  callable: (_env, value, args) => {
    if (args[args.length - 1] instanceof Kwargs) throw new PyError('TypeError', 'callable() takes no keyword arguments');
    if (args.length > 0) throw new PyError('TypeError', `callable() takes exactly one argument (${args.length + 1} given)`);
    return isCallable(value);
  },
  sameas: arity('test_sameas', ['value', 'other'], (_env, v, args) => {
    const o = args[0];
    if (v === o) return true;
    // None is a singleton; JS undefined from the host is None too.
    return (v === null || v === undefined) && (o === null || o === undefined);
  }),
  escaped: one('test_escaped', (v) => v instanceof Markup),
  // An Undefined iterates as empty, so nothing is in it.
  in: arity('test_in', ['value', 'seq'], (_env, v, args) => !(args[0] instanceof Undefined) && contains(args[0], v)),
  '==': operatorTest('eq', eq),
  eq: operatorTest('eq', eq),
  equalto: operatorTest('eq', eq),
  '!=': operatorTest('ne', (a, b) => !eq(a, b)),
  ne: operatorTest('ne', (a, b) => !eq(a, b)),
  '>': cmp('>'),
  gt: cmp('>'),
  greaterthan: cmp('>'),
  ge: cmp('>='),
  '>=': cmp('>='),
  '<': cmp('<'),
  lt: cmp('<'),
  lessthan: cmp('<'),
  '<=': cmp('<='),
  le: cmp('<='),
} satisfies Record<string, TestFn>);

