/**
 * Python's truth, == and ordering (py.ts), case by case with CPython 3.11's answers: fast and
 * exact, next to py.test.ts's differential runs through python3 (these are what mutation testing
 * runs for every mutant of this part of py.ts).
 */
import { describe, expect, it } from 'vitest';
import { compare, DictView, eq, pyFloat, PyRange, truthy, type CompareOp } from './py.js';
import { Markup, PyError, Undefined, makeTuple } from './values.js';

const f = pyFloat;
const t = (...xs: unknown[]) => makeTuple(xs);
const d = (...kv: [unknown, unknown][]) => new Map(kv);
const undef = new Undefined('x', "'x' is undefined");
class Host {
  readonly a = 1;
}

function pyErr(fn: () => unknown): [string, string] {
  try {
    fn();
  } catch (e) {
    if (e instanceof PyError) return [e.type, e.message];
    throw e;
  }
  throw new Error('expected a Python exception');
}
/** [<, <=, >, >=] of a and b. */
const ops = (a: unknown, b: unknown) => (['<', '<=', '>', '>='] as CompareOp[]).map((op) => compare(op, a, b));

describe('bool(x)', () => {
  it('falsy and truthy values of every kind', () => {
    const falsy = ['', false, 0, -0, 0n, undefined, null, f(0), f(-0), [], t(), new Map(), new Set(), undef, new Markup(''), new PyRange(0, 0, 1), new PyRange(3, 1, 1), new DictView('dict_keys', new Map()), new DictView('dict_items', {}), {}];
    const truthyValues = [' ', 'a', true, 1, -1, Number.NaN, 5n, -1n, () => 0, f(0.5), f(Number.NaN), [0], t(0), d([0, 0]), new Set([0]), new Markup('x'), new PyRange(0, 1, 1), new PyRange(3, 1, -1), new DictView('dict_values', { a: 0 }), { a: 0 }, new Host()];
    expect(falsy.map(truthy)).toEqual(falsy.map(() => false));
    expect(truthyValues.map(truthy)).toEqual(truthyValues.map(() => true));
  });
});

describe('a == b', () => {
  it('numbers: int, float, bool and big ints are equal by value; nan never', () => {
    expect(eq(1, 1)).toBe(true);
    expect(eq(1, f(1))).toBe(true);
    expect(eq(f(1), 1)).toBe(true);
    expect(eq(true, 1)).toBe(true);
    expect(eq(1, true)).toBe(true);
    expect(eq(false, 0)).toBe(true);
    expect(eq(true, f(1))).toBe(true);
    expect(eq(2, true)).toBe(false);
    expect(eq(1, 2)).toBe(false);
    expect(eq(f(0.5), f(0.5))).toBe(true);
    expect(eq(2n ** 70n, 2n ** 70n)).toBe(true);
    expect(eq(5n, 5)).toBe(true);
    expect(eq(5, 5n)).toBe(true);
    expect(eq(5n, 6)).toBe(false);
    expect(eq(5n, '5')).toBe(false);
    const nan = Number.NaN;
    expect(eq(nan, nan)).toBe(false);
    const fnan = f(nan);
    expect(eq(fnan, fnan)).toBe(false);
    expect(eq(f(nan), f(nan))).toBe(false);
    const one = f(1);
    expect(eq(one, one)).toBe(true);
    expect(eq(1, '1')).toBe(false);
    expect(eq(1, null)).toBe(false);
    expect(eq(0, [])).toBe(false);
  });

  it('strings equal strings and Markup of the same text only', () => {
    expect(eq('a', 'a')).toBe(true);
    expect(eq('a', 'b')).toBe(false);
    expect(eq('a', new Markup('a'))).toBe(true);
    expect(eq(new Markup('a'), 'a')).toBe(true);
    expect(eq('a', new Markup('b'))).toBe(false);
    expect(eq(new Markup('b'), 'a')).toBe(false);
    expect(eq(new Markup('a'), new Markup('a'))).toBe(true);
    expect(eq(new Markup('a'), new Markup('b'))).toBe(false);
    expect(eq(new Markup('a'), 1)).toBe(false);
    expect(eq('1', 1)).toBe(false);
    expect(eq('', null)).toBe(false);
    expect(eq(['a'], 'a')).toBe(false);
  });

  it('None equals None; Undefined equals Undefined', () => {
    expect(eq(null, null)).toBe(true);
    expect(eq(null, undefined)).toBe(true);
    expect(eq(undefined, null)).toBe(true);
    expect(eq(null, 0)).toBe(false);
    expect(eq(null, {})).toBe(false);
    expect(eq(undef, new Undefined('y', 'other'))).toBe(true);
    expect(eq(undef, null)).toBe(false);
    expect(eq(undef, {})).toBe(false);
    expect(eq({}, undef)).toBe(false);
    expect(eq({}, null)).toBe(false);
    expect(eq({}, 'x')).toBe(false);
  });

  it('lists and tuples: same kind, same length, equal items', () => {
    expect(eq([1, 2], [1, f(2)])).toBe(true);
    expect(eq([1, 2], [1, 3])).toBe(false);
    expect(eq([1, 2], [1])).toBe(false);
    expect(eq([1], [1, 2])).toBe(false);
    expect(eq(t(1, 2), t(1, 2))).toBe(true);
    expect(eq(t(1, 2), [1, 2])).toBe(false);
    expect(eq([1, 2], t(1, 2))).toBe(false);
    expect(eq([], [])).toBe(true);
    expect(eq([[1, [2]]], [[1, [2]]])).toBe(true);
    expect(eq([[1, [2]]], [[1, [3]]])).toBe(false);
    expect(eq([Number.NaN], [Number.NaN])).toBe(false);
    const nan = Number.NaN;
    const same = [nan];
    // the same object is equal to itself (identity first, as CPython's list ==)
    expect(eq(same, same)).toBe(true);
    expect(eq([1], { 0: 1 })).toBe(false);
  });

  it('dicts: the same keys (by Python equality) with equal values, in any order; host objects as dicts', () => {
    expect(eq(d(['a', 1], ['b', 2]), d(['b', 2], ['a', f(1)]))).toBe(true);
    expect(eq(d([1, 'x']), d([true, 'x']))).toBe(true);
    expect(eq(d(['a', 1]), d(['a', 2]))).toBe(false);
    expect(eq(d(['a', 1]), d(['b', 1]))).toBe(false);
    expect(eq(d(['a', 1]), d(['a', 1], ['b', 2]))).toBe(false);
    expect(eq(d(['a', 1], ['b', 2]), d(['a', 1]))).toBe(false);
    expect(eq({ a: 1 }, d(['a', 1]))).toBe(true);
    expect(eq(d(['a', 1]), { a: 1 })).toBe(true);
    expect(eq({ a: 1 }, { a: 2 })).toBe(false);
    expect(eq(d(['a', null]), d(['b', null]))).toBe(false);
    expect(eq(d(), d())).toBe(true);
    expect(eq(d(['a', 1]), [['a', 1]])).toBe(false);
    expect(eq(d(), new Set())).toBe(false);
  });

  it('sets: the same elements by Python equality', () => {
    expect(eq(new Set([1, 2]), new Set([2, f(1)]))).toBe(true);
    expect(eq(new Set([1, 2]), new Set([1, 3]))).toBe(false);
    expect(eq(new Set([1]), new Set([1, 2]))).toBe(false);
    expect(eq(new Set([1, 2]), new Set([1]))).toBe(false);
    expect(eq(new Set(), new Set())).toBe(true);
    expect(eq(new Set([1]), [1])).toBe(false);
    expect(eq(new Set([1]), d([1, 1]))).toBe(false);
  });

  it('ranges: equal when they hold the same numbers', () => {
    const r = (a: number, b: number, s = 1) => new PyRange(a, b, s);
    expect(eq(r(0, 3), r(0, 3))).toBe(true);
    expect(eq(r(0, 3), r(0, 4))).toBe(false);
    expect(eq(r(0, 0), r(5, 2))).toBe(true);
    expect(eq(r(0, 3, 2), r(0, 4, 2))).toBe(true);
    expect(eq(r(0, 5, 2), r(0, 5, 3))).toBe(false);
    expect(eq(r(0, 3), r(1, 4))).toBe(false);
    expect(eq(r(2, 3), r(2, 9, 7))).toBe(true);
    expect(eq(r(2, 3), r(3, 4))).toBe(false);
    expect(eq(r(0, 3), [0, 1, 2])).toBe(false);
  });

  it('dict views: keys and items compare as sets; values never', () => {
    const a = d(['x', 1], ['y', 2]);
    const b = d(['y', 2], ['x', 1]);
    expect(eq(new DictView('dict_keys', a), new DictView('dict_keys', b))).toBe(true);
    expect(eq(new DictView('dict_items', a), new DictView('dict_items', b))).toBe(true);
    expect(eq(new DictView('dict_keys', a), new DictView('dict_keys', d(['x', 1], ['z', 2])))).toBe(false);
    expect(eq(new DictView('dict_keys', a), new DictView('dict_keys', d(['x', 1])))).toBe(false);
    expect(eq(new DictView('dict_items', a), new DictView('dict_items', d(['x', 1], ['y', 3])))).toBe(false);
    expect(eq(new DictView('dict_keys', a), new DictView('dict_items', a))).toBe(false);
    const v = new DictView('dict_values', a);
    expect(eq(v, new DictView('dict_values', a))).toBe(false);
    expect(eq(v, v)).toBe(true);
    expect(eq(new DictView('dict_keys', a), new Set(['x', 'y']))).toBe(false);
    expect(eq(new Host(), new Host())).toBe(false);
  });
});

describe('a < b and friends', () => {
  it('numbers of every kind, big ints and nan', () => {
    expect(ops(1, 2)).toEqual([true, true, false, false]);
    expect(ops(2, 2)).toEqual([false, true, false, true]);
    expect(ops(3, 2)).toEqual([false, false, true, true]);
    expect(ops(f(1.5), 2)).toEqual([true, true, false, false]);
    expect(ops(2, f(1.5))).toEqual([false, false, true, true]);
    expect(ops(true, 1)).toEqual([false, true, false, true]);
    expect(ops(false, f(0.5))).toEqual([true, true, false, false]);
    expect(ops(f(2), f(2))).toEqual([false, true, false, true]);
    expect(ops(2n ** 70n, 1)).toEqual([false, false, true, true]);
    expect(ops(1, 2n ** 70n)).toEqual([true, true, false, false]);
    expect(ops(5n, 5)).toEqual([false, true, false, true]);
    expect(ops(5n, f(Number.NaN))).toEqual([false, false, false, false]);
    expect(ops(Number.NaN, 1)).toEqual([false, false, false, false]);
    expect(ops(f(Number.NaN), f(1))).toEqual([false, false, false, false]);
  });

  it('strings by code point (not UTF-16 units), Markup as its text', () => {
    expect(ops('a', 'b')).toEqual([true, true, false, false]);
    expect(ops('b', 'a')).toEqual([false, false, true, true]);
    expect(ops('a', 'a')).toEqual([false, true, false, true]);
    expect(ops('ab', 'a')).toEqual([false, false, true, true]);
    expect(ops('a', 'ab')).toEqual([true, true, false, false]);
    expect(ops('', 'a')).toEqual([true, true, false, false]);
    // U+FF61 sorts before U+1F600 in code points, after it in UTF-16 units
    expect(ops('\uff61', '\u{1f600}')).toEqual([true, true, false, false]);
    expect(ops('\u{1f600}', '\uff61')).toEqual([false, false, true, true]);
    expect(ops('x\u{1f600}', 'x\uff61')).toEqual([false, false, true, true]);
    expect(ops(new Markup('a'), 'b')).toEqual([true, true, false, false]);
    expect(ops('b', new Markup('a'))).toEqual([false, false, true, true]);
    expect(ops(new Markup('a'), new Markup('a'))).toEqual([false, true, false, true]);
  });

  it('lists and tuples item by item, then by length', () => {
    expect(ops([1, 2], [1, 3])).toEqual([true, true, false, false]);
    expect(ops([1, 3], [1, 2])).toEqual([false, false, true, true]);
    expect(ops([1, 2], [1, 2])).toEqual([false, true, false, true]);
    expect(ops([1], [1, 0])).toEqual([true, true, false, false]);
    expect(ops([1, 0], [1])).toEqual([false, false, true, true]);
    expect(ops([], [])).toEqual([false, true, false, true]);
    expect(ops(t(1, 'b'), t(1, 'a'))).toEqual([false, false, true, true]);
    expect(ops([f(1), 'a'], [1, 'b'])).toEqual([true, true, false, false]);
    expect(ops([[1, 2]], [[1, 3]])).toEqual([true, true, false, false]);
    // equal items are skipped even when they cannot be ordered
    expect(ops([null, 1], [null, 2])).toEqual([true, true, false, false]);
  });

  it('sets: subset and superset', () => {
    const s = (...xs: number[]) => new Set(xs);
    expect(ops(s(1), s(1, 2))).toEqual([true, true, false, false]);
    expect(ops(s(1, 2), s(1))).toEqual([false, false, true, true]);
    expect(ops(s(1, 2), s(2, 1))).toEqual([false, true, false, true]);
    expect(ops(s(1, 3), s(1, 2))).toEqual([false, false, false, false]);
    expect(ops(s(3), s(1, 2))).toEqual([false, false, false, false]);
    expect(ops(s(1, 2), s(3))).toEqual([false, false, false, false]);
  });

  it('anything else is a TypeError naming both types; an Undefined raises its own error', () => {
    expect(pyErr(() => compare('<', 1, 'a'))).toEqual(['TypeError', "'<' not supported between instances of 'int' and 'str'"]);
    expect(pyErr(() => compare('>=', 'a', 1))).toEqual(['TypeError', "'>=' not supported between instances of 'str' and 'int'"]);
    expect(pyErr(() => compare('<=', [1], t(1)))).toEqual(['TypeError', "'<=' not supported between instances of 'list' and 'tuple'"]);
    expect(pyErr(() => compare('>', null, null))).toEqual(['TypeError', "'>' not supported between instances of 'NoneType' and 'NoneType'"]);
    expect(pyErr(() => compare('<', d(), d()))).toEqual(['TypeError', "'<' not supported between instances of 'dict' and 'dict'"]);
    expect(pyErr(() => compare('<', [1, 'a'], [1, 2]))).toEqual(['TypeError', "'<' not supported between instances of 'str' and 'int'"]);
    expect(pyErr(() => compare('<', new Set([1]), [1]))).toEqual(['TypeError', "'<' not supported between instances of 'set' and 'list'"]);
    expect(pyErr(() => compare('<', 5n, 'a'))).toEqual(['TypeError', "'<' not supported between instances of 'int' and 'str'"]);
    expect(pyErr(() => compare('<', undef, 1))).toEqual(['UndefinedError', "'x' is undefined"]);
    expect(pyErr(() => compare('<', 1, undef))).toEqual(['UndefinedError', "'x' is undefined"]);
    expect(pyErr(() => compare('<', undef, 'a'))).toEqual(['UndefinedError', "'x' is undefined"]);
  });
});
