/**
 * dbt's modules.itertools: count, cycle, repeat, accumulate, chain, compress, islice, starmap,
 * tee, zip_longest, product, permutations, combinations, combinations_with_replacement — lazy
 * PyIterators, with Python's argument errors. (dbt wraps each in a deprecation warning wrapper,
 * so chain.from_iterable is not reachable from templates; it is not offered here either.)
 */
import { PyError, PyFloat, isKwargs, makeTuple } from '../jinja/values.js';
import { add, iterate, truthy, typeName } from '../jinja/py.js';
import { bind, p } from './args.js';
import { NotImplemented, binaryDunder } from './dunder.js';
import { PyIterator } from './python-iterator.js';

type Fn = (...a: unknown[]) => unknown;

function pyAdd(a: unknown, b: unknown): unknown {
  const r = binaryDunder('+', a, b);
  return r !== NotImplemented ? r : add(a, b);
}

function isNumber(x: unknown): boolean {
  return typeof x === 'number' || typeof x === 'boolean' || x instanceof PyFloat;
}

function callable(f: unknown, what: string): Fn {
  if (typeof f !== 'function') throw new PyError('TypeError', `'${typeName(f)}' object is not callable${what}`);
  return f as Fn;
}

function nonNegInt(x: unknown, msg: string): number {
  if (typeof x === 'boolean') return x ? 1 : 0;
  if (typeof x !== 'number' || !Number.isInteger(x)) throw new PyError('TypeError', `'${typeName(x)}' object cannot be interpreted as an integer`);
  if (x < 0) throw new PyError('ValueError', msg);
  return x;
}

function materialize(x: unknown): unknown[] {
  return [...iterate(x)];
}

function count(...args: unknown[]): PyIterator {
  const [start, step] = bind('count', [p('start', 0), p('step', 1)], args);
  if (!isNumber(start) || !isNumber(step)) throw new PyError('TypeError', 'a number is required');
  const it = new PyIterator(
    'itertools.count',
    (function* () {
      let n = start;
      for (;;) {
        yield n;
        n = pyAdd(n, step);
      }
    })(),
  );
  return it;
}

function cycle(...args: unknown[]): PyIterator {
  const [iterable] = bind('cycle', [p('iterable')], args);
  const src = iterate(iterable);
  return new PyIterator(
    'itertools.cycle',
    (function* () {
      const saved: unknown[] = [];
      for (const x of src) {
        saved.push(x);
        yield x;
      }
      if (saved.length === 0) return;
      for (;;) yield* saved;
    })(),
  );
}

function repeat(...args: unknown[]): PyIterator {
  const [obj, times] = bind('repeat', [p('object'), p('times', undefined)], args);
  let n = -1;
  if (times !== undefined) {
    if (typeof times !== 'number' || !Number.isInteger(times)) throw new PyError('TypeError', `'${typeName(times)}' object cannot be interpreted as an integer`);
    n = Math.max(times, 0);
  }
  const it = new PyIterator(
    'itertools.repeat',
    (function* () {
      if (n < 0) for (;;) yield obj;
      for (let i = 0; i < n; i++) yield obj;
    })(),
  );
  return it;
}

function accumulate(...args: unknown[]): PyIterator {
  const [iterable, func, initial] = bind('accumulate', [p('iterable'), p('func', null), p('initial', null, true)], args);
  const src = iterate(iterable);
  const f = func === null ? pyAdd : callable(func, '');
  return new PyIterator(
    'itertools.accumulate',
    (function* () {
      let total: unknown;
      let started = false;
      if (initial !== null) {
        total = initial;
        started = true;
        yield total;
      }
      for (const x of src) {
        if (!started) {
          total = x;
          started = true;
        } else total = f(total, x);
        yield total;
      }
    })(),
  );
}

function chain(...args: unknown[]): PyIterator {
  if (isKwargs(args[args.length - 1])) throw new PyError('TypeError', 'chain() takes no keyword arguments');
  return new PyIterator(
    'itertools.chain',
    (function* () {
      for (const a of args) yield* iterate(a);
    })(),
  );
}

function compress(...args: unknown[]): PyIterator {
  const [data, selectors] = bind('compress', [p('data'), p('selectors')], args);
  const d = iterate(data)[Symbol.iterator]();
  const s = iterate(selectors)[Symbol.iterator]();
  return new PyIterator(
    'itertools.compress',
    (function* () {
      for (;;) {
        const a = d.next();
        const b = s.next();
        if (a.done || b.done) return;
        if (truthy(b.value)) yield a.value;
      }
    })(),
  );
}

function isliceArg(x: unknown, which: string): number | null {
  if (x === null) return null;
  if (typeof x === 'boolean') return x ? 1 : 0;
  if (typeof x === 'number' && Number.isInteger(x) && x >= 0) return x;
  throw new PyError(
    'ValueError',
    which === 'Stop'
      ? 'Stop argument for islice() must be None or an integer: 0 <= x <= sys.maxsize.'
      : which === 'Step'
        ? 'Step for islice() must be a positive integer or None.'
        : 'Indices for islice() must be None or an integer: 0 <= x <= sys.maxsize.',
  );
}

function islice(...args: unknown[]): PyIterator {
  if (isKwargs(args[args.length - 1])) throw new PyError('TypeError', 'islice() takes no keyword arguments');
  if (args.length < 2 || args.length > 4)
    throw new PyError('TypeError', args.length < 2 ? `islice expected at least 2 arguments, got ${args.length}` : `islice expected at most 4 arguments, got ${args.length}`);
  let start = 0;
  let stop: number | null;
  let step = 1;
  if (args.length === 2) stop = isliceArg(args[1], 'Stop');
  else {
    start = isliceArg(args[1], 'Indices') ?? 0;
    stop = isliceArg(args[2], 'Indices');
    if (args.length === 4) {
      const s = args[3] === null ? 1 : isliceArg(args[3], 'Step');
      if (s === null || s === 0) throw new PyError('ValueError', 'Step for islice() must be a positive integer or None.');
      step = s;
    }
  }
  const src = iterate(args[0])[Symbol.iterator]();
  return new PyIterator(
    'itertools.islice',
    (function* () {
      let i = 0;
      let nextIndex = start;
      for (;;) {
        if (stop !== null && nextIndex >= stop) {
          // consume up to stop as CPython does
          while (i < stop) {
            if (src.next().done) return;
            i++;
          }
          return;
        }
        const r = src.next();
        if (r.done) return;
        if (i === nextIndex) {
          yield r.value;
          nextIndex += step;
        }
        i++;
      }
    })(),
  );
}

function starmap(...args: unknown[]): PyIterator {
  const [func, iterable] = bind('starmap', [p('function'), p('iterable')], args);
  const src = iterate(iterable);
  return new PyIterator(
    'itertools.starmap',
    (function* () {
      for (const x of src) yield callable(func, '')(...materialize(x));
    })(),
  );
}

function tee(...args: unknown[]): unknown {
  const [iterable, nArg] = bind('tee', [p('iterable'), p('n', 2)], args);
  const n = nonNegInt(nArg, 'n must be >= 0');
  const src = iterate(iterable)[Symbol.iterator]();
  const buffers: unknown[][] = Array.from({ length: n }, () => []);
  let done = false;
  const pull = (): void => {
    const r = src.next();
    if (r.done) done = true;
    else for (const b of buffers) b.push(r.value);
  };
  return makeTuple(
    buffers.map(
      (buf) =>
        new PyIterator(
          'itertools._tee',
          (function* () {
            for (;;) {
              if (buf.length === 0) {
                if (done) return;
                pull();
                if (buf.length === 0) return;
              }
              yield buf.shift();
            }
          })(),
        ),
    ),
  );
}

function zipLongest(...args: unknown[]): PyIterator {
  let fill: unknown = null;
  let pos = args;
  const last = args[args.length - 1];
  if (isKwargs(last)) {
    for (const k of last.values.keys()) if (k !== 'fillvalue') throw new PyError('TypeError', `zip_longest() got an unexpected keyword argument '${k}'`);
    fill = last.values.get('fillvalue') ?? null;
    pos = args.slice(0, -1);
  }
  const its = pos.map((a) => iterate(a)[Symbol.iterator]());
  return new PyIterator(
    'itertools.zip_longest',
    (function* () {
      if (its.length === 0) return;
      const active = its.map(() => true);
      for (;;) {
        const row: unknown[] = [];
        for (let i = 0; i < its.length; i++) {
          if (!active[i]) {
            row.push(fill);
            continue;
          }
          const r = its[i]!.next();
          if (r.done) {
            active[i] = false;
            row.push(fill);
          } else row.push(r.value);
        }
        if (!active.some((a) => a)) return;
        yield makeTuple(row);
      }
    })(),
  );
}

function product(...args: unknown[]): PyIterator {
  let rep = 1;
  let pos = args;
  const last = args[args.length - 1];
  if (isKwargs(last)) {
    for (const k of last.values.keys()) if (k !== 'repeat') throw new PyError('TypeError', `product() got an unexpected keyword argument '${k}'`);
    if (last.values.has('repeat')) rep = nonNegInt(last.values.get('repeat'), 'repeat argument cannot be negative');
    pos = args.slice(0, -1);
  }
  const pools: unknown[][] = [];
  const base = pos.map(materialize);
  for (let i = 0; i < rep; i++) pools.push(...base);
  return new PyIterator(
    'itertools.product',
    (function* () {
      let result: unknown[][] = [[]];
      for (const pool of pools) {
        const next: unknown[][] = [];
        for (const x of result) for (const y of pool) next.push([...x, y]);
        result = next;
      }
      for (const r of result) yield makeTuple(r);
    })(),
  );
}

function permutations(...args: unknown[]): PyIterator {
  const [iterable, rArg] = bind('permutations', [p('iterable'), p('r', null)], args);
  const pool = materialize(iterable);
  const n = pool.length;
  const r = rArg === null ? n : nonNegInt(rArg, 'r must be non-negative');
  return new PyIterator(
    'itertools.permutations',
    (function* () {
      if (r > n) return;
      const indices = [...Array(n).keys()];
      const cycles = Array.from({ length: r }, (_, i) => n - i);
      yield makeTuple(indices.slice(0, r).map((i) => pool[i]));
      while (n) {
        let i = r - 1;
        for (; i >= 0; i--) {
          cycles[i]! -= 1;
          if (cycles[i] === 0) {
            const moved = indices.splice(i, 1)[0]!;
            indices.push(moved);
            cycles[i] = n - i;
          } else {
            const j = cycles[i]!;
            const a = indices[i]!;
            indices[i] = indices[n - j]!;
            indices[n - j] = a;
            yield makeTuple(indices.slice(0, r).map((k) => pool[k]));
            break;
          }
        }
        if (i < 0) return;
      }
    })(),
  );
}

function combinations(...args: unknown[]): PyIterator {
  const [iterable, rArg] = bind('combinations', [p('iterable'), p('r')], args);
  const pool = materialize(iterable);
  const n = pool.length;
  const r = nonNegInt(rArg, 'r must be non-negative');
  return new PyIterator(
    'itertools.combinations',
    (function* () {
      if (r > n) return;
      const idx = [...Array(r).keys()];
      yield makeTuple(idx.map((i) => pool[i]));
      for (;;) {
        let i = r - 1;
        while (i >= 0 && idx[i] === i + n - r) i--;
        if (i < 0) return;
        idx[i]! += 1;
        for (let j = i + 1; j < r; j++) idx[j] = idx[j - 1]! + 1;
        yield makeTuple(idx.map((k) => pool[k]));
      }
    })(),
  );
}

function combinationsWithReplacement(...args: unknown[]): PyIterator {
  const [iterable, rArg] = bind('combinations_with_replacement', [p('iterable'), p('r')], args);
  const pool = materialize(iterable);
  const n = pool.length;
  const r = nonNegInt(rArg, 'r must be non-negative');
  return new PyIterator(
    'itertools.combinations_with_replacement',
    (function* () {
      if (!n && r) return;
      const idx = new Array<number>(r).fill(0);
      yield makeTuple(idx.map((i) => pool[i]));
      for (;;) {
        let i = r - 1;
        while (i >= 0 && idx[i] === n - 1) i--;
        if (i < 0) return;
        const v = idx[i]! + 1;
        for (let j = i; j < r; j++) idx[j] = v;
        yield makeTuple(idx.map((k) => pool[k]));
      }
    })(),
  );
}

export function itertoolsModule(): Record<string, unknown> {
  return {
    count,
    cycle,
    repeat,
    accumulate,
    chain,
    compress,
    islice,
    starmap,
    tee,
    zip_longest: zipLongest,
    product,
    permutations,
    combinations,
    combinations_with_replacement: combinationsWithReplacement,
  };
}
