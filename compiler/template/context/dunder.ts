/**
 * Python's operator protocol for the host objects of the base context (datetime, timedelta, ...):
 * they define methods named like Python's (__add__, __radd__, __sub__, __eq__, __lt__, ...) that
 * return NotImplemented for operands they do not know, exactly as Python's do. The evaluator's
 * operators call binaryDunder / compareDunder before giving up with Python's TypeError.
 */

/** Python's NotImplemented. */
export const NotImplemented: unique symbol = Symbol('NotImplemented');
export type NotImplementedT = typeof NotImplemented;

type Dunder = (other: unknown) => unknown;

function dunderOf(x: unknown, name: string): Dunder | undefined {
  if (x === null || typeof x !== 'object') return undefined;
  const f = (x as Record<string, unknown>)[name];
  return typeof f === 'function' ? (f as Dunder).bind(x) : undefined;
}

const BINARY: Record<string, [string, string]> = {
  '+': ['__add__', '__radd__'],
  '-': ['__sub__', '__rsub__'],
  '*': ['__mul__', '__rmul__'],
  '/': ['__truediv__', '__rtruediv__'],
  '//': ['__floordiv__', '__rfloordiv__'],
  '%': ['__mod__', '__rmod__'],
};

/** a OP b through a.__op__(b), then b.__rop__(a); NotImplemented when neither knows. */
export function binaryDunder(op: string, a: unknown, b: unknown): unknown {
  const names = BINARY[op];
  if (!names) return NotImplemented;
  const f = dunderOf(a, names[0]);
  if (f) {
    const r = f(b);
    if (r !== NotImplemented) return r;
  }
  const g = dunderOf(b, names[1]);
  if (g) {
    const r = g(a);
    if (r !== NotImplemented) return r;
  }
  return NotImplemented;
}

const COMPARE: Record<string, [string, string]> = {
  '==': ['__eq__', '__eq__'],
  '!=': ['__ne__', '__ne__'],
  '<': ['__lt__', '__gt__'],
  '<=': ['__le__', '__ge__'],
  '>': ['__gt__', '__lt__'],
  '>=': ['__ge__', '__le__'],
};

/** a OP b for a comparison, with Python's reflection; NotImplemented when neither side knows. */
export function compareDunder(op: string, a: unknown, b: unknown): unknown {
  const names = COMPARE[op];
  if (!names) return NotImplemented;
  const f = dunderOf(a, names[0]);
  if (f) {
    const r = f(b);
    if (r !== NotImplemented) return r;
  }
  const g = dunderOf(b, names[1]);
  if (g) {
    const r = g(a);
    if (r !== NotImplemented) return r;
  }
  return NotImplemented;
}

/** -a / +a / abs(a) through __neg__ / __pos__ / __abs__; NotImplemented when a has none. */
export function unaryDunder(name: '__neg__' | '__pos__' | '__abs__', a: unknown): unknown {
  if (a === null || typeof a !== 'object') return NotImplemented;
  const f = (a as Record<string, unknown>)[name];
  return typeof f === 'function' ? (f as () => unknown).call(a) : NotImplemented;
}

/**
 * A primitive key standing for a host object's Python hash-equality class (datetimes that are
 * equal give the same key), from its __pykey__ method; undefined for objects without one.
 */
export function pyKeyOf(x: unknown): string | undefined {
  if (x === null || typeof x !== 'object') return undefined;
  const f = (x as Record<string, unknown>).__pykey__;
  return typeof f === 'function' ? String((f as () => unknown).call(x)) : undefined;
}

/** bool(x) through __bool__ (timedelta(0) is falsy); undefined when x has none. */
export function boolDunder(x: unknown): boolean | undefined {
  if (x === null || typeof x !== 'object') return undefined;
  const f = (x as Record<string, unknown>).__bool__;
  return typeof f === 'function' ? Boolean((f as () => unknown).call(x)) : undefined;
}
