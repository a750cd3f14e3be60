/**
 * What the differential test (filters.test.ts) cannot see from a result's str(): laziness,
 * namedtuple attributes, randomness, callables, and the FILTERS / TESTS tables themselves.
 */
import { describe, expect, it } from 'vitest';
import { FILTERS, type FilterEnv } from './filters.js';
import { TESTS } from './tests.js';
import { Markup, PyError, PyFloat, Undefined, isTuple } from './values.js';

const env: FilterEnv = {
  filter: (name) => FILTERS[name],
  test: (name) => TESTS[name],
  call: (fn, args) => (fn as (...a: unknown[]) => unknown)(...args),
};
const none = new Map<string, unknown>();
const f = (name: string, value: unknown, args: unknown[] = [], kwargs: Map<string, unknown> = none): unknown =>
  FILTERS[name]!(env, value, args, kwargs);

function pyErrorType(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof PyError) return e.type;
    throw e;
  }
  return undefined;
}

describe('jinja2 filters beyond str()', () => {
  it('map, select, reject, selectattr, rejectattr, unique, batch, slice, items are lazy generators', () => {
    for (const [name, args] of [
      ['map', ['nosuchfilter']],
      ['select', ['nosuchtest']],
      ['reject', ['nosuchtest']],
      ['selectattr', ['a', 'nosuchtest']],
      ['rejectattr', ['a', 'nosuchtest']],
    ] as const) {
      const gen = f(name, [1], [...args]) as Iterator<unknown>;
      expect(typeof gen.next).toBe('function');
      // jinja2 raises only when the generator runs
      expect(pyErrorType(() => gen.next()), name).toBe('TemplateRuntimeError');
    }
    const u = f('unique', [[1]]) as Iterator<unknown>;
    expect(pyErrorType(() => u.next())).toBe('TypeError');
    const s = f('slice', [1], [0]) as Iterator<unknown>;
    expect(pyErrorType(() => s.next())).toBe('ZeroDivisionError');
    const it = f('items', 5) as Iterator<unknown>;
    expect(pyErrorType(() => it.next())).toBe('TypeError');
  });

  it("groupby gives (grouper, list) tuples with .grouper and .list", () => {
    const groups = f('groupby', [{ c: 'NY', n: 1 }, { c: 'ca', n: 2 }, { c: 'ny', n: 3 }], ['c']) as unknown[];
    expect(groups).toHaveLength(2);
    const [ca, ny] = groups as (readonly unknown[] & { grouper: unknown; list: unknown[] })[];
    expect(isTuple(ca)).toBe(true);
    expect(ca!.grouper).toBe('ca');
    expect(ny!.grouper).toBe('NY'); // the first item's case
    expect(ny!.list.map((x) => (x as { n: number }).n)).toEqual([1, 3]);
    expect(ny![0]).toBe('NY');
    expect(ny![1]).toBe(ny!.list);
  });

  it('random picks an item of the sequence; an empty one gives Undefined', () => {
    for (let i = 0; i < 20; i++) expect([1, 2, 3]).toContain(f('random', [1, 2, 3]));
    expect('xyz').toContain(f('random', 'xyz') as string);
    expect(f('random', [])).toBeInstanceOf(Undefined);
  });

  it('first / last / max / min of an empty sequence give Undefined', () => {
    for (const name of ['first', 'last', 'max', 'min']) expect(f(name, []), name).toBeInstanceOf(Undefined);
  });

  it('round returns a float for a float, an int for an int (as Python round does)', () => {
    expect(f('round', new PyFloat(2.5))).toEqual(new PyFloat(2));
    expect(f('round', 7)).toBe(7);
    expect(f('round', 7, [0, 'ceil'])).toEqual(new PyFloat(7));
  });

  it('tojson and safe return Markup', () => {
    expect(f('tojson', { a: '<' })).toEqual(new Markup('{"a": "\\u003c"}'));
    expect(f('safe', '<b>')).toEqual(new Markup('<b>'));
  });

  it("dbt's text filters return their input unchanged; is_list tells lists", () => {
    const v = { a: [1] };
    for (const name of ['as_text', 'as_bool', 'as_number', 'as_native']) expect(f(name, v)).toBe(v);
    expect(f('is_list', [1])).toBe(true);
    expect(f('is_list', 'x')).toBe(false);
  });

  it('callable: functions (and Undefined, as in jinja2) are callable', () => {
    expect(TESTS.callable!(env, () => 1, [])).toBe(true);
    expect(TESTS.callable!(env, new Undefined('x', "'x' is undefined"), [])).toBe(true);
    expect(TESTS.callable!(env, 'x', [])).toBe(false);
  });

  it('sameas is identity', () => {
    const a = [1];
    expect(TESTS.sameas!(env, a, [a])).toBe(true);
    expect(TESTS.sameas!(env, a, [[1]])).toBe(false);
  });

  it('a wrong keyword is a TypeError naming it', () => {
    expect(() => f('sort', [1], [], new Map([['x', 1]]))).toThrow("got an unexpected keyword argument 'x'");
  });

  it('FILTERS and TESTS have no inherited names', () => {
    expect(FILTERS.constructor).toBeUndefined();
    expect(TESTS.toString).toBeUndefined();
    expect(Object.keys(FILTERS)).toContain('default');
  });
});
