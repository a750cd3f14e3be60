/**
 * The value model of tx's Jinja2 evaluator: how Python values live in JavaScript.
 *
 *   Python          JavaScript
 *   str             string
 *   int             number (always an integer)
 *   float           PyFloat (every float, so 5.0 renders "5.0"); a non-integer JS number
 *                   arriving from the host is read as a float too (see isFloat)
 *   bool            boolean
 *   None            null (JS undefined from the host is read as None too)
 *   list            Array
 *   tuple           a frozen Array marked by makeTuple (isTuple)
 *   dict            Map (made by templates), or a plain object from the host (isPlainObject)
 *   set             Set
 *   undefined name  Undefined (jinja2's Undefined: falsy, iterates as empty; printing one is a
 *                   tx error, see the README's template section)
 *   Markup          Markup (a str that is already escaped)
 *   callable        a JS function; called as fn(...positional) or fn(...positional, kwargs)
 *                   with a trailing Kwargs instance when keyword arguments were given
 *   object          any other object: attributes are its properties; [PY_STR] / [PY_REPR]
 *                   give its str() / repr() when it has them
 *
 * Errors raised by template code are PyError, carrying the Python exception type name
 * (TypeError, ValueError, KeyError, ...), so that messages match jinja2's.
 */

export class PyFloat {
  constructor(readonly value: number) {}
}

const TUPLE = Symbol('tx.tuple');

export type PyTuple = readonly unknown[];

/** A Python tuple: a frozen array carrying a marker. */
export function makeTuple(items: unknown[]): PyTuple {
  Object.defineProperty(items, TUPLE, { value: true });
  return Object.freeze(items);
}

export function isTuple(x: unknown): x is PyTuple {
  return Array.isArray(x) && (x as unknown as Record<symbol, unknown>)[TUPLE] === true;
}

/** Keyword arguments of a call, passed as the last argument. */
export class Kwargs {
  constructor(readonly values: Map<string, unknown>) {}
  static of(o: Record<string, unknown>): Kwargs {
    return new Kwargs(new Map(Object.entries(o)));
  }
}

export function isKwargs(x: unknown): x is Kwargs {
  return x instanceof Kwargs;
}

/** Split a host function's arguments into positional ones and keyword ones. */
export function splitArgs(args: unknown[]): { pos: unknown[]; kw: Map<string, unknown> } {
  const last = args[args.length - 1];
  if (last instanceof Kwargs) return { pos: args.slice(0, -1), kw: last.values };
  return { pos: args, kw: new Map() };
}

/**
 * jinja2's Undefined. `name` is the missing name (or attribute), `hint` the message jinja2 gives
 * when it is used: "'foo' is undefined" or "'dict object' has no attribute 'bar'".
 */
export class Undefined {
  constructor(
    readonly name: string,
    readonly hint: string,
    /** The exception using it raises: UndefinedError, or SecurityError for an unsafe attribute. */
    readonly exc: string = 'UndefinedError',
  ) {}
}

/** The exception that using an Undefined raises. */
export function undefinedErrorOf(u: Undefined): PyError {
  return new PyError(u.exc, u.hint);
}

export function isUndefined(x: unknown): x is Undefined {
  return x instanceof Undefined;
}

/** A string that is already HTML-safe (jinja2's markupsafe.Markup). */
export class Markup {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** An object's Python str(), when it defines one. */
export const PY_STR = Symbol('tx.py.str');
/** An object's Python repr(), when it defines one. */
export const PY_REPR = Symbol('tx.py.repr');

/** A Python exception raised while rendering: `type` is its class name (TypeError, ...). */
export class PyError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

export function isFloat(x: unknown): boolean {
  return x instanceof PyFloat || (typeof x === 'number' && !Number.isInteger(x));
}

/** The number inside an int or a float (for host code). */
export function numberOf(x: unknown): number {
  return x instanceof PyFloat ? x.value : (x as number);
}

/** A plain JS object from the host, read as a dict. */
export function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== 'object') return false;
  const p = Object.getPrototypeOf(x);
  return p === Object.prototype || p === null;
}

/** Marks a host object that `is mapping` should accept (dbt's Relation is a mapping in dbt). */
export const PY_MAPPING = Symbol('tx.py.mapping');

export function isDict(x: unknown): boolean {
  return x instanceof Map || isPlainObject(x);
}
