/**
 * Python's arbitrary-precision ints beyond 2**53: an int that a double cannot hold exactly is a
 * JS bigint (an int literal, or the result of int arithmetic); one that fits goes back to a
 * number. Only int-by-int arithmetic ever makes one; a float operand turns it into a float.
 */
import { PyError, PyFloat } from './values.js';

/** Returned when an operation is not one for bigints. */
export const NOT_BIG: unique symbol = Symbol('not big');

const MAX = BigInt(Number.MAX_SAFE_INTEGER);

/** A bigint as a number when it fits exactly. */
export function normInt(b: bigint): number | bigint {
  return b >= -MAX && b <= MAX ? Number(b) : b;
}

function asBig(x: unknown): bigint | undefined {
  if (typeof x === 'bigint') return x;
  if (typeof x === 'number' && Number.isInteger(x)) return BigInt(x);
  if (typeof x === 'boolean') return x ? 1n : 0n;
  return undefined;
}

function floatOf(x: unknown): number | undefined {
  if (x instanceof PyFloat) return x.value;
  if (typeof x === 'number') return x;
  if (typeof x === 'bigint') return Number(x);
  if (typeof x === 'boolean') return x ? 1 : 0;
  return undefined;
}

/** Most digits a result may have before it is refused (Python 3.11's int/str limit is 4300). */
const MAX_BITS = 4300 * 3.33;

/**
 * a OP b where one side is a bigint, or where both are ints and the exact result is beyond
 * 2**53; NOT_BIG when the operands are not numbers of that kind.
 */
export function bigBinary(op: string, a: unknown, b: unknown): unknown {
  const x = asBig(a);
  const y = asBig(b);
  if (x === undefined || y === undefined) {
    if (typeof a !== 'bigint' && typeof b !== 'bigint') return NOT_BIG;
    const fx = floatOf(a);
    const fy = floatOf(b);
    if (fx === undefined || fy === undefined) return NOT_BIG;
    switch (op) {
      case '+':
        return new PyFloat(fx + fy);
      case '-':
        return new PyFloat(fx - fy);
      case '*':
        return new PyFloat(fx * fy);
      case '/':
        if (fy === 0) throw new PyError('ZeroDivisionError', 'float division by zero');
        return new PyFloat(fx / fy);
      default:
        return NOT_BIG;
    }
  }
  switch (op) {
    case '+':
      return normInt(x + y);
    case '-':
      return normInt(x - y);
    case '*':
      return normInt(x * y);
    case '/':
      if (y === 0n) throw new PyError('ZeroDivisionError', 'division by zero');
      return new PyFloat(trueDivide(x, y));
    case '//': {
      if (y === 0n) throw new PyError('ZeroDivisionError', 'integer division or modulo by zero');
      let q = x / y;
      if (x % y !== 0n && x < 0n !== y < 0n) q -= 1n;
      return normInt(q);
    }
    case '%': {
      if (y === 0n) throw new PyError('ZeroDivisionError', 'integer modulo by zero');
      let r = x % y;
      if (r !== 0n && r < 0n !== y < 0n) r += y;
      return normInt(r);
    }
    case '**': {
      if (y < 0n) return NOT_BIG;
      const ax = x < 0n ? -x : x;
      const bits = ax > 1n ? Number(y) * Math.log2(Number(ax)) : 0;
      if (bits > MAX_BITS * 8) throw new PyError('ValueError', 'Exceeds the limit (4300 digits) for integer string conversion');
      return normInt(x ** y);
    }
    default:
      return NOT_BIG;
  }
}

/** Python's == and ordering between a bigint and another number. */
export function bigCompare(a: unknown, b: unknown): number | undefined {
  if (typeof a !== 'bigint' && typeof b !== 'bigint') return undefined;
  const x = asBig(a);
  const y = asBig(b);
  if (x !== undefined && y !== undefined) return x < y ? -1 : x > y ? 1 : 0;
  const fx = floatOf(a);
  const fy = floatOf(b);
  if (fx === undefined || fy === undefined) return undefined;
  return fx < fy ? -1 : fx > fy ? 1 : fx === fy ? 0 : NaN;
}

const bitLength = (n: bigint): number => (n === 0n ? 0 : n.toString(2).length);

/**
 * x / y of two ints correctly rounded, as Python's int true division is (converting each to a
 * float first rounds twice: 1 / -(3 ** 42) came out one unit off). The quotient is taken to 55
 * bits with a sticky bit for the remainder, so the one rounding to 53 bits is the right one.
 */
export function trueDivide(x: bigint, y: bigint): number {
  const neg = x < 0n !== y < 0n;
  const a = x < 0n ? -x : x;
  const b = y < 0n ? -y : y;
  if (a === 0n) return neg ? -0 : 0;
  const limit = 1n << 53n;
  if (a <= limit && b <= limit) return (neg ? -1 : 1) * (Number(a) / Number(b));
  const k = 55 - (bitLength(a) - bitLength(b));
  const n = k >= 0 ? a << BigInt(k) : a;
  const d = k >= 0 ? b : b << BigInt(-k);
  let q = n / d;
  if (n % d !== 0n) q |= 1n;
  // q * 2**-k, in two steps so that neither power overflows on its own
  const half = Math.trunc(-k / 2);
  const r = Number(q) * 2 ** half * 2 ** (-k - half);
  if (!Number.isFinite(r)) throw new PyError('OverflowError', 'integer division result too large for a float');
  return neg ? -r : r;
}
