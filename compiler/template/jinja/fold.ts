/**
 * jinja2's constant folding, as far as it shows in what a template renders. jinja2 (with
 * `optimized=True`, as dbt leaves it) evaluates at compile time every expression whose
 * parts are all constant (`as_const`: no variable, no call, no filter that takes the context)
 * and, when the value has a "safe repr", writes that repr into the generated Python source in
 * its place; a `{{ }}` whose expression is constant is printed at compile time whatever its
 * value. Three things then differ from evaluating the same expression as it runs:
 *
 * - a constant subscript with a slice goes through `environment.getitem`, which turns a
 *   TypeError or LookupError into an undefined value: `{{ (2)[1:] }}` prints '' where
 *   `{% set n = 2 %}{{ n[1:] }}` raises "'int' object is not subscriptable";
 * - a folded negative number is written as `-2`, so `-2 ** x` in the generated source is
 *   Python's `-(2 ** x)`: `{{ (-2) ** n }}` with n = 2 is -4 in jinja2;
 * - an infinite or NaN float is written `inf` or `nan`, names Python does not know: a NameError
 *   where that code runs (`{% set x = [1e400] %}`), though `{{ 1e400 }}` prints `inf`.
 *
 * The compiler (compile.ts) asks `mayFold` before it evaluates a node's closures at compile
 * time in folding mode, and keeps the value when `hasSafeRepr`.
 */
import type { Expr } from './ast.js';
import { PyRange } from './py.js';
import { Markup, PyFloat, isTuple, makeTuple } from './values.js';

/** Thrown by a closure evaluated for folding where jinja2's as_const raises Impossible. */
export const IMPOSSIBLE: unique symbol = Symbol('jinja2 Impossible');

/** jinja2's filters that take the context (`pass_context`): never folded. */
export const CONTEXT_FILTERS = new Set(['map', 'random', 'reject', 'rejectattr', 'select', 'selectattr']);

/**
 * Whether `e` can be constant at all, judged by its syntax: no variable and no call where
 * as_const must evaluate it. `and`/`or`, `x if c else y` and comparisons may stop before a
 * variable (`false and n` is constant), so only their first operand is judged here; the
 * evaluation decides the rest.
 */
export function mayFold(e: Expr): boolean {
  switch (e.k) {
    case 'const':
      return true;
    case 'name':
    case 'call':
    case 'slice':
      return false;
    case 'getattr':
      return mayFold(e.o);
    case 'getitem':
      if (e.i.k === 'slice') return mayFold(e.o) && [e.i.start, e.i.stop, e.i.step].every((x) => x === null || mayFold(x));
      return mayFold(e.o) && mayFold(e.i);
    case 'filter':
    case 'test':
      if (e.k === 'filter' && (!e.node || CONTEXT_FILTERS.has(e.name))) return false;
      return mayFold(e.node!) && e.args.every(mayFold) && e.kw.every(([, x]) => mayFold(x)) && (!e.dynArgs || mayFold(e.dynArgs)) && (!e.dynKw || mayFold(e.dynKw));
    case 'list':
    case 'tuple':
      return e.items.every(mayFold);
    case 'dict':
      return e.items.every(([k, v]) => mayFold(k) && mayFold(v));
    case 'cond':
      return mayFold(e.test);
    case 'bin':
      return e.op === 'and' || e.op === 'or' ? mayFold(e.a) : mayFold(e.a) && mayFold(e.b);
    case 'un':
      return mayFold(e.a);
    case 'compare':
      return mayFold(e.first);
  }
}

/** jinja2's has_safe_repr: the values a folded constant may hold (their exact types). */
export function hasSafeRepr(v: unknown, depth = 0): boolean {
  if (depth > 100) return false;
  if (v === null || typeof v === 'boolean' || typeof v === 'string' || typeof v === 'bigint') return true;
  if (typeof v === 'number') return Number.isInteger(v);
  if (v instanceof PyFloat || v instanceof PyRange || v instanceof Markup) return true;
  if (Array.isArray(v)) return v.every((x) => hasSafeRepr(x, depth + 1));
  if (v instanceof Set) return [...v].every((x) => hasSafeRepr(x, depth + 1));
  if (v instanceof Map) return [...v].every(([k, x]) => hasSafeRepr(k, depth + 1) && hasSafeRepr(x, depth + 1));
  return false;
}

/** A folded value as the generated source re-creates it at each evaluation: lists, dicts and sets new each time. */
export function freshCopy(v: unknown): unknown {
  if (Array.isArray(v)) {
    const items = v.map(freshCopy);
    return isTuple(v) ? makeTuple(items) : items;
  }
  if (v instanceof Map) return new Map([...v].map(([k, x]) => [k, freshCopy(x)]));
  if (v instanceof Set) return new Set(v);
  return v;
}

/** Whether a folded value is written with a leading minus in the generated source (`-2`, `-0.5`, `-0.0`). */
export function writtenNegative(v: unknown): boolean {
  if (typeof v === 'number') return v < 0;
  if (typeof v === 'bigint') return v < 0n;
  if (v instanceof PyFloat) return v.value < 0 || Object.is(v.value, -0);
  return false;
}

/**
 * The name Python would look up for a folded value holding an infinite or NaN float, which
 * jinja2 writes into its generated source as `inf` or `nan` (`-inf` reads the name `inf`);
 * undefined when the value holds none.
 */
export function unwritableName(v: unknown, depth = 0): 'inf' | 'nan' | undefined {
  if (depth > 100) return undefined;
  if (v instanceof PyFloat) return Number.isNaN(v.value) ? 'nan' : Number.isFinite(v.value) ? undefined : 'inf';
  if (Array.isArray(v) || v instanceof Set) {
    for (const x of v) {
      const n = unwritableName(x, depth + 1);
      if (n) return n;
    }
  } else if (v instanceof Map) {
    for (const [k, x] of v) {
      const n = unwritableName(k, depth + 1) ?? unwritableName(x, depth + 1);
      if (n) return n;
    }
  }
  return undefined;
}
