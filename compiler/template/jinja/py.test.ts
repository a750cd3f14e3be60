/**
 * Differential tests of py.ts / py-methods.ts / py-format.ts: cases are data (tagged JSON values
 * and an operation), run once through the Python of the cached dbt-core venv (CPython with jinja2's
 * sandboxed environment at the version dbt-core 1.10 installs, as dbt runs templates; one process per
 * batch) and once through tx, and the two outcomes compared: str,
 * repr and type name of the result, or the exception's type and message.
 */

import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { provisionDbtCore } from '../../../testing/services/dbt-venvs.js';
import { findPython } from '../../../testing/services/python-venv.js';
import { serviceUnavailable } from '../../../testing/services/require.js';
import {
  Kwargs,
  Markup,
  PY_STR,
  PyError,
  PyFloat,
  Undefined,
  makeTuple,
} from './values.js';
import {
  add,
  compare,
  concat,
  contains,
  eq,
  floordiv,
  getAttr,
  getItem,
  iterate,
  len,
  makeDict,
  makeSet,
  mod,
  mul,
  neg,
  pos,
  pow,
  PyRange,
  PySlice,
  pyRepr,
  pyStr,
  sliceOf,
  sub,
  truediv,
  truthy,
  typeName,
  type CompareOp,
} from './py.js';
import { formatValue, strFormat } from './py-format.js';
import { seededRandom } from '../../../testing/seeded-random.js';

/** A Python value as JSON: ints and str as is, {f} float, {t} tuple, {d} dict, {o} plain object, {s} set. */
type V =
  | null
  | boolean
  | number
  | string
  | V[]
  | { f: string }
  | { t: V[] }
  | { d: [V, V][] }
  | { o: Record<string, V> }
  | { s: V[] }
  | { m: string }
  | { fn: 'len' | 'str' | 'neg' | 'lower' }
  | { slice: [V, V, V] }
  | { range: number[] };

const f = (x: string | number): V => ({ f: String(x) });
const t = (...xs: V[]): V => ({ t: xs });
const d = (...kv: [V, V][]): V => ({ d: kv });
const o = (x: Record<string, V>): V => ({ o: x });
const s = (...xs: V[]): V => ({ s: xs });
const m = (x: string): V => ({ m: x });
const fn = (name: 'len' | 'str' | 'neg' | 'lower'): V => ({ fn: name });
const sl = (a: V, b: V, c: V): V => ({ slice: [a, b, c] });
const rg = (...xs: number[]): V => ({ range: xs });

type Case =
  | { op: 'str' | 'repr' | 'bool' | 'len' | 'iter' | 'neg' | 'pos'; a: V }
  | { op: 'bin'; o: string; a: V; b: V }
  | { op: 'eq' | 'in'; a: V; b: V }
  | { op: 'cmp'; o: CompareOp; a: V; b: V }
  | { op: 'slice'; a: V; i: V; j: V; k: V }
  | { op: 'call'; a: V; m: string; args: V[]; kw?: Record<string, V> }
  | { op: 'fmt'; a: string; args: V[]; kw?: Record<string, V> }
  | { op: 'format'; a: V; spec: string }
  | { op: 'getattr'; a: V; name: string }
  | { op: 'getitem'; a: V; key: V }
  | { op: 'charmap'; a: string; m: string };

/** What one side did: a value (str, repr, type name), a set (sorted reprs), an Undefined, a callable, or an error. */
type Outcome =
  | { ok: true; str: string; repr: string; type: string; after?: string }
  | { set: string[]; type: string; after?: string }
  | { undef: string }
  | { callable: true }
  | { err: string; msg: string }
  | { skip: string };

const PYTHON = String.raw`
import json, sys, math
import jinja2, jinja2.sandbox, markupsafe
env = jinja2.sandbox.SandboxedEnvironment()

def dec(v):
    if isinstance(v, list): return [dec(x) for x in v]
    if isinstance(v, dict):
        if 'f' in v: return float(v['f'])
        if 't' in v: return tuple(dec(x) for x in v['t'])
        if 'd' in v: return {dec(k): dec(x) for k, x in v['d']}
        if 'o' in v: return {k: dec(x) for k, x in v['o'].items()}
        if 's' in v: return set(dec(x) for x in v['s'])
        if 'm' in v: return markupsafe.Markup(v['m'])
        if 'fn' in v: return {'len': len, 'str': str, 'neg': lambda x: -x, 'lower': lambda x: x.lower()}[v['fn']]
        if 'slice' in v: return slice(*dec(v['slice']))
        if 'range' in v: return range(*v['range'])
    return v

def big(r):
    return type(r) is int and abs(r) > 2**53

def outcome(r, after=None):
    if isinstance(r, jinja2.Undefined): return {'undef': r._undefined_message}
    if isinstance(r, complex): return {'skip': 'complex'}
    if big(r): return {'skip': 'big int'}
    if isinstance(r, (list, tuple)) and any(big(x) for x in r): return {'skip': 'big int'}
    if isinstance(r, (set, frozenset)):
        out = {'set': sorted(repr(x) for x in r), 'type': type(r).__name__}
    elif callable(r) and not isinstance(r, type):
        return {'callable': True}
    else:
        out = {'ok': True, 'str': str(r), 'repr': repr(r), 'type': type(r).__name__}
    if after is not None: out['after'] = after
    return out

OPS = {'+': lambda a, b: a + b, '-': lambda a, b: a - b, '*': lambda a, b: a * b, '/': lambda a, b: a / b,
       '//': lambda a, b: a // b, '%': lambda a, b: a % b, '**': lambda a, b: a ** b, '~': lambda a, b: str(a) + str(b)}
CMP = {'<': lambda a, b: a < b, '<=': lambda a, b: a <= b, '>': lambda a, b: a > b, '>=': lambda a, b: a >= b}

def run(c):
    op = c['op']
    a = dec(c['a']) if op != 'fmt' else c['a']
    if op == 'str': return str(a)
    if op == 'repr': return repr(a)
    if op == 'bool': return bool(a)
    if op == 'len': return len(a)
    if op == 'iter': return list(iter(a))
    if op == 'neg': return -a
    if op == 'pos': return +a
    if op == 'bin': return OPS[c['o']](a, dec(c['b']))
    if op == 'eq': return a == dec(c['b'])
    if op == 'cmp': return CMP[c['o']](a, dec(c['b']))
    if op == 'in': return a in dec(c['b'])
    if op == 'slice': return a[dec(c['i']):dec(c['j']):dec(c['k'])]
    if op == 'call':
        fn = env.getattr(a, c['m'])
        r = fn(*dec(c['args']), **{k: dec(x) for k, x in c.get('kw', {}).items()})
        return ('__after__', r, a)
    if op == 'fmt':
        fn = env.getattr(a, 'format')
        return fn(*dec(c['args']), **{k: dec(x) for k, x in c.get('kw', {}).items()})
    if op == 'format': return format(a, c['spec'])
    if op == 'getattr': return env.getattr(a, c['name'])
    if op == 'getitem': return env.getitem(a, dec(c['key']))
    if op == 'charmap': return '\x1f'.join(str(getattr(ch, c['m'])()) for ch in a)
    raise Exception('bad op ' + op)

res = []
for c in json.load(sys.stdin):
    try:
        r = run(c)
        if isinstance(r, tuple) and len(r) == 3 and r[0] == '__after__':
            a = r[2]
            after = '__set__' + repr(sorted(repr(x) for x in a)) if isinstance(a, set) else repr(a)
            res.append(outcome(r[1], after))
        else:
            res.append(outcome(r))
    except Exception as e:
        res.append({'err': type(e).__name__, 'msg': str(e)})
print(json.dumps(res))
`;

// Python (for the cached venv) is a test service: skipped loudly without it, unless TX_TEST_REQUIRE names python.
const noPython = (await findPython()) === null;
if (noPython) serviceUnavailable('python', 'no Python >= 3.8 with venv and ensurepip (TX_TEST_PYTHON) for the reference jinja2 of dbt-core 1.10');
/** The venv's python: its jinja2 and markupsafe are dbt-core 1.10's (the first python3 on PATH may have none, or others). */
let python = '';

/** Run the cases through the venv's Python (one process for the whole batch). */
function runPython(cases: Case[]): Outcome[] {
  const r = spawnSync(python, ['-c', PYTHON], {
    input: JSON.stringify(cases),
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    env: { ...process.env, PYTHONHASHSEED: '0', PYTHONIOENCODING: 'utf-8' },
  });
  if (r.status !== 0) throw new Error(`${python} failed: ${r.stderr ?? r.error}`);
  return JSON.parse(r.stdout) as Outcome[];
}

/** A tagged value as a tx value. */
function dec(v: V): unknown {
  if (Array.isArray(v)) return v.map(dec);
  if (v !== null && typeof v === 'object') {
    if ('f' in v) return new PyFloat(Number(v.f.replace('inf', 'Infinity').replace('nan', 'NaN')));
    if ('t' in v) return makeTuple(v.t.map(dec));
    if ('d' in v) return makeDict(v.d.map(([k, x]) => [dec(k), dec(x)]));
    if ('o' in v) return Object.fromEntries(Object.entries(v.o).map(([k, x]) => [k, dec(x)]));
    if ('s' in v) return makeSet(v.s.map(dec));
    if ('m' in v) return new Markup(v.m);
    if ('fn' in v) return HOST_FNS[v.fn];
    if ('slice' in v) return new PySlice(dec(v.slice[0]), dec(v.slice[1]), dec(v.slice[2]));
    if ('range' in v) {
      const [a, b, c] = v.range;
      return b === undefined ? new PyRange(0, a!, 1) : new PyRange(a!, b, c ?? 1);
    }
  }
  return v;
}

const HOST_FNS: Record<string, (x: unknown) => unknown> = {
  len: (x) => len(x),
  str: (x) => pyStr(x),
  neg: (x) => neg(x),
  lower: (x) => {
    const f = getAttr(x, 'lower');
    if (typeof f !== 'function') throw new PyError('AttributeError', `'${typeName(x)}' object has no attribute 'lower'`);
    return (f as () => unknown)();
  },
};

const BIN: Record<string, (a: unknown, b: unknown) => unknown> = {
  '+': add,
  '-': sub,
  '*': mul,
  '/': truediv,
  '//': floordiv,
  '%': mod,
  '**': pow,
  '~': concat,
};

function kwargs(kw: Record<string, V> | undefined): Kwargs[] {
  if (kw === undefined || Object.keys(kw).length === 0) return [];
  return [new Kwargs(new Map(Object.entries(kw).map(([k, x]) => [k, dec(x)])))];
}

function afterRepr(a: unknown): string {
  if (a instanceof Set) return '__set__' + pyRepr([...a].map((x) => pyRepr(x)).sort(pyOrder));
  return pyRepr(a);
}

/** Python's sorted() order of strs (code points). */
function pyOrder(x: string, y: string): number {
  return compare('<', x, y) ? -1 : eq(x, y) ? 0 : 1;
}

function runTxCase(c: Case): { value: unknown; after?: unknown } {
  switch (c.op) {
    case 'str':
      return { value: pyStr(dec(c.a)) };
    case 'repr':
      return { value: pyRepr(dec(c.a)) };
    case 'bool':
      return { value: truthy(dec(c.a)) };
    case 'len':
      return { value: len(dec(c.a)) };
    case 'iter':
      return { value: [...iterate(dec(c.a))] };
    case 'neg':
      return { value: neg(dec(c.a)) };
    case 'pos':
      return { value: pos(dec(c.a)) };
    case 'bin':
      return { value: BIN[c.o]!(dec(c.a), dec(c.b)) };
    case 'eq':
      return { value: eq(dec(c.a), dec(c.b)) };
    case 'cmp':
      return { value: compare(c.o, dec(c.a), dec(c.b)) };
    case 'in':
      return { value: contains(dec(c.b), dec(c.a)) };
    case 'slice':
      return { value: sliceOf(dec(c.a), dec(c.i), dec(c.j), dec(c.k)) };
    case 'call': {
      const a = dec(c.a);
      const fn = getAttr(a, c.m);
      if (typeof fn !== 'function') throw new Error(`no method ${c.m} on ${typeName(a)}: ${String(fn)}`);
      return { value: (fn as (...x: unknown[]) => unknown)(...c.args.map(dec), ...kwargs(c.kw)), after: a };
    }
    case 'fmt': {
      const kw = c.kw ? new Map(Object.entries(c.kw).map(([k, x]) => [k, dec(x)])) : undefined;
      return { value: strFormat(c.a, c.args.map(dec), kw) };
    }
    case 'format':
      return { value: formatValue(dec(c.a), c.spec) };
    case 'getattr':
      return { value: getAttr(dec(c.a), c.name) };
    case 'getitem':
      return { value: getItem(dec(c.a), dec(c.key)) };
    case 'charmap':
      return { value: [...c.a].map((ch) => pyStr((getAttr(ch, c.m) as () => unknown)())).join('\x1f') };
    default:
      throw new Error('bad case');
  }
}

/** What tx did with a case, in the Outcome form (a non-PyError exception is reported as 'JS:'). */
function runTx(c: Case): Outcome {
  try {
    const { value, after } = runTxCase(c);
    const afterOut = after === undefined ? {} : { after: afterRepr(after) };
    if (value instanceof Undefined) return { undef: value.hint };
    if (typeof value === 'function') return { callable: true };
    if (value instanceof Set) {
      return { set: [...value].map((x) => pyRepr(x)).sort(pyOrder), type: 'set', ...afterOut };
    }
    return { ok: true, str: pyStr(value), repr: pyRepr(value), type: typeName(value), ...afterOut };
  } catch (e) {
    if (e instanceof PyError) return { err: e.type, msg: e.message };
    return { err: 'JS:' + (e as Error).name, msg: (e as Error).message };
  }
}

/** Run all cases on both sides; return the differences (as printable lines) and the counts. */
function differential(cases: Case[]): { diffs: string[]; compared: number; skipped: number } {
  const py = runPython(cases);
  const diffs: string[] = [];
  let skipped = 0;
  let compared = 0;
  cases.forEach((c, i) => {
    const want = py[i]!;
    if ('skip' in want) {
      skipped++;
      return;
    }
    compared++;
    const got = runTx(c);
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      if (c.op === 'charmap' && 'str' in want && 'str' in got) {
        // Name the characters that differ.
        const w = want.str.split('\x1f');
        const g = got.str.split('\x1f');
        const chars = [...c.a];
        const bad = chars.flatMap((ch, k) =>
          w[k] === g[k] ? [] : [`U+${ch.codePointAt(0)!.toString(16)} python ${JSON.stringify(w[k])} tx ${JSON.stringify(g[k])}`],
        );
        diffs.push(`${c.m}: ${bad.slice(0, 12).join('; ')}${bad.length > 12 ? ` (+${bad.length - 12})` : ''}`);
        return;
      }
      diffs.push(`${JSON.stringify(c)}\n    python: ${JSON.stringify(want)}\n    tx:     ${JSON.stringify(got)}`);
    }
  });
  return { diffs, compared, skipped };
}

// ---------------------------------------------------------------------------------------------
// The cases

const INTS: V[] = [0, 1, -1, 2, 3, -7, 7, 10, 255, 2 ** 31, -(2 ** 40), 9007199254740991];
const FLOATS: V[] = [
  f('0.0'),
  f('-0.0'),
  f('1.0'),
  f('5.0'),
  f('1.5'),
  f('-2.5'),
  f('0.1'),
  f(0.1 + 0.2),
  f('1e16'),
  f('1e15'),
  f('1e-05'),
  f('0.0001'),
  f('123456.789'),
  f('1e22'),
  f('-1.5e-10'),
  f('inf'),
  f('-inf'),
  f('nan'),
  f('2.5e+300'),
  f('3.14159'),
];
const STRS: V[] = [
  '',
  'a',
  'abc',
  'é',
  '日本',
  '😀x',
  "it's",
  'a"b',
  'a"b\'c',
  'line\nbreak\tx\r',
  '\x00\x7f\x85\xa0',
  '\\back',
  '  hello world  ',
  'Hello World',
  '12',
  '-3',
  'aBc DEF',
  '\u200b\u2028',
];
const LISTS: V[] = [[], [1, 'a', null], [1, [2, 3]], [f('1.5'), true, false], ['b', 'a', 'c']];
const TUPLES: V[] = [t(), t(1), t(1, 'a'), t(t(), t(2))];
const DICTS: V[] = [d(), d(['a', 1], ['b', [1, 2]]), d([1, 'x'], ['k', null]), d([t(1, 2), 'tk']), o({ x: 1, y: 'z' })];
const SETS: V[] = [s(), s(1, 2, 3)];
const SCALARS: V[] = [null, true, false];

const ALL: V[] = [...SCALARS, ...INTS, ...FLOATS, ...STRS, ...LISTS, ...TUPLES, ...DICTS, ...SETS];
/** A smaller set for the cross products of binary operators. */
const SOME: V[] = [
  null,
  true,
  false,
  0,
  1,
  -1,
  3,
  -7,
  255,
  f('0.0'),
  f('-0.0'),
  f('1.5'),
  f('-2.5'),
  f(0.1 + 0.2),
  f('1e16'),
  f('inf'),
  f('nan'),
  '',
  'ab',
  'é',
  '%s',
  [],
  [1, 'a'],
  t(),
  t(1, 2),
  d(['a', 1]),
  s(1, 2),
];

function unaryCases(): Case[] {
  const out: Case[] = [];
  for (const a of ALL) for (const op of ['str', 'repr', 'bool', 'len', 'iter', 'neg', 'pos'] as const) out.push({ op, a });
  return out;
}

function binaryCases(): Case[] {
  const out: Case[] = [];
  for (const a of SOME) {
    for (const b of SOME) {
      for (const o of ['+', '-', '*', '/', '//', '%', '**', '~']) out.push({ op: 'bin', o, a, b });
      out.push({ op: 'eq', a, b });
      for (const o of ['<', '<=', '>', '>='] as const) out.push({ op: 'cmp', o, a, b });
      out.push({ op: 'in', a, b });
    }
  }
  return out;
}

function arithmeticCases(): Case[] {
  const nums: V[] = [0, 1, -1, 2, 3, -3, 7, -7, 10, 13, -13, 100, f('0.5'), f('-0.5'), f('2.0'), f('-3.0'), f('7.5'), f('1e-3'), f('-0.0'), true];
  const out: Case[] = [];
  for (const a of nums)
    for (const b of nums) for (const o of ['+', '-', '*', '/', '//', '%', '**']) out.push({ op: 'bin', o, a, b });
  return out;
}

function sliceCases(): Case[] {
  const seqs: V[] = ['abcdef', '日本語😀x', [1, 2, 3, 4, 5], t(1, 2, 3), ''];
  const bounds: V[] = [null, 0, 1, -1, 2, -2, 10, -10];
  const steps: V[] = [null, 1, 2, -1, -2, 3];
  const out: Case[] = [];
  for (const a of seqs) for (const i of bounds) for (const j of bounds) for (const k of steps) out.push({ op: 'slice', a, i, j, k });
  out.push({ op: 'slice', a: 'abc', i: null, j: null, k: 0 });
  out.push({ op: 'slice', a: 'abc', i: 'x', j: null, k: null });
  out.push({ op: 'slice', a: 5, i: null, j: 1, k: null });
  return out;
}

function accessCases(): Case[] {
  const out: Case[] = [];
  const objs: V[] = [d(['a', 1], ['items', 2], [1, 'one'], [true, 'T']), 'abc', [10, 20, 30], t(1, 2), null, 5, f('1.5'), s(1), o({ x: 1, y: [1, 2] }), d()];
  const names = ['a', 'items', 'keys', 'get', 'x', 'y', 'nope', 'upper', 'split', 'append', 'real', '__class__', '_private', 'add', 'values'];
  const keys: V[] = ['a', 'items', 1, 0, -1, 3, -4, true, f('1.0'), 'upper', 'x', 'nope', null, t(1, 2), '__class__'];
  for (const a of objs) {
    for (const name of names) out.push({ op: 'getattr', a, name });
    for (const key of keys) out.push({ op: 'getitem', a, key });
  }
  return out;
}

const STR_SUBJECTS: V[] = ['', 'abc', 'a,b,,c', '  hello  world  ', 'Hello World', 'they\'re bill\'s', '日本語😀日本', 'x\ty\tz', 'a\nb\r\nc\rd\n', 'ABC def', '123', '-42', '½²', 'ß ǆ é', 'mississippi', '\u2003a\u00a0b\x1c', 'snake_case_name', '   ', 'İi'];

function strMethodCases(): Case[] {
  const out: Case[] = [];
  const noArg = ['capitalize', 'casefold', 'lower', 'upper', 'swapcase', 'title', 'isalnum', 'isalpha', 'isascii', 'isdecimal', 'isdigit', 'isidentifier', 'islower', 'isnumeric', 'isspace', 'istitle', 'isupper', 'isprintable', 'split', 'rsplit', 'splitlines', 'strip', 'lstrip', 'rstrip', 'expandtabs'];
  const withArgs: [string, V[], Record<string, V>?][] = [
    ['split', [',']], ['split', [',', 1]], ['split', [null, 1]], ['split', [' ']], ['split', ['ss']], ['split', ['']], ['split', [], { sep: ',' }], ['split', [], { maxsplit: 1 }],
    ['rsplit', [',', 1]], ['rsplit', [null, 1]], ['rsplit', ['s', 2]], ['rsplit', [' ']],
    ['splitlines', [true]], ['splitlines', [], { keepends: true }],
    ['strip', ['ab']], ['strip', [' a']], ['lstrip', ['mis']], ['rstrip', ['pi']], ['strip', [null]], ['strip', [1]],
    ['find', ['s']], ['find', ['ss', 3]], ['find', ['', 2]], ['find', ['z']], ['find', ['日']], ['find', ['本', 2]], ['rfind', ['s']], ['rfind', ['ss', 0, 5]], ['rfind', ['日']],
    ['index', ['s']], ['index', ['zz']], ['rindex', ['i']], ['count', ['s']], ['count', ['']], ['count', ['ss', 1, -1]], ['count', ['日']], ['count', [1]],
    ['startswith', ['mis']], ['startswith', [t('x', 'ab', 'mi')]], ['startswith', ['ss', 2]], ['endswith', ['pi']], ['endswith', ['i', 0, 4]], ['startswith', [1]], ['endswith', ['']],
    ['replace', ['s', 'S']], ['replace', ['ss', '', 1]], ['replace', ['', '-']], ['replace', ['', '-', 2]], ['replace', ['a']], ['replace', ['a', 'b'], { count: 1 }],
    ['center', [11]], ['center', [12, '*']], ['center', [3]], ['center', [5, 'xy']], ['ljust', [8, '.']], ['rjust', [8]], ['zfill', [6]], ['zfill', [2]],
    ['partition', [',']], ['partition', ['ss']], ['partition', ['']], ['rpartition', ['s']], ['rpartition', ['zz']],
    ['join', [['x', 'y', 'z']]], ['join', [[]]], ['join', ['xyz']], ['join', [[1, 2]]], ['join', [t('a')]],
    ['removeprefix', ['mis']], ['removesuffix', ['pi']], ['removeprefix', ['']],
    ['expandtabs', [4]], ['expandtabs', [0]],
    ['translate', [d([97, 'A'], [98, null], [99, 100])]],
    ['format', []], ['upper', [1]],
    ['strip', [], { chars: 'a' }], ['startswith', [], { prefix: 'a' }], ['center', [5], { fillchar: '*' }], ['join', [], { iterable: [] }], ['count', ['a'], { start: 1 }],
    ['expandtabs', [], { tabsize: 2 }], ['find', []], ['split', [',', 1, 2]], ['split', [1]], ['split', [], { maxsplit: 'x' }], ['zfill', ['x']], ['ljust', []], ['partition', []], ['lower', [], { x: 1 }],
    ['replace', ['a', 'b', 'c']], ['rsplit', [], { sep: 's', maxsplit: 1 }], ['splitlines', [], { keepends: 1 }], ['index', ['a', 0, 1]], ['endswith', [t()]], ['startswith', [t('a', 1)]],
  ];
  for (const a of STR_SUBJECTS) {
    for (const m of noArg) out.push({ op: 'call', a, m, args: [] });
    for (const [m, args, kw] of withArgs) out.push({ op: 'call', a, m, args, ...(kw ? { kw } : {}) });
  }
  return out;
}

function containerMethodCases(): Case[] {
  const out: Case[] = [];
  const lists: V[] = [[], [3, 1, 2], ['b', 'a', 'C', 'a'], [1, f('1.0'), true, 2], [[2, 1], [1, 2], [1]], [1, 'a']];
  const listCalls: [string, V[], Record<string, V>?][] = [
    ['append', [4]], ['append', [[5]]], ['clear', []], ['copy', []], ['count', [1]], ['count', ['a']], ['extend', [[7, 8]]], ['extend', ['xy']], ['extend', [5]],
    ['index', [1]], ['index', ['a', 2]], ['index', [99]], ['insert', [0, 'z']], ['insert', [-1, 'z']], ['insert', [10, 'z']], ['pop', []], ['pop', [0]], ['pop', [-2]], ['pop', [10]],
    ['remove', [1]], ['remove', [99]], ['reverse', []], ['sort', []], ['sort', [], { reverse: true }], ['count', []],
    ['append', []], ['append', [1, 2]], ['sort', [1]], ['sort', [], { cmp: 1 }], ['pop', [], { index: 0 }], ['insert', [0]], ['extend', [[1]], { x: 1 }], ['copy', [1]], ['index', [1, 'a']],
  ];
  for (const a of lists) for (const [m, args, kw] of listCalls) out.push({ op: 'call', a, m, args, ...(kw ? { kw } : {}) });
  for (const a of [t(), t(1, 2, 1), t('a', t(1))]) {
    out.push({ op: 'call', a, m: 'count', args: [1] });
    out.push({ op: 'call', a, m: 'index', args: [1] });
  }
  const dicts: V[] = [d(), d(['a', 1], ['b', 2]), d([1, 'one'], [f('2.0'), 'two'], [t(1, 2), 'tuple']), o({ x: 1, y: null })];
  const dictCalls: [string, V[], Record<string, V>?][] = [
    ['get', ['a']], ['get', ['zz']], ['get', ['zz', 0]], ['get', [1]], ['get', [true]], ['get', [f('1.0')]], ['get', [2]], ['get', [t(1, 2)]], ['get', [[1]]],
    ['items', []], ['keys', []], ['values', []], ['copy', []], ['clear', []], ['pop', ['a']], ['pop', ['zz']], ['pop', ['zz', 'dflt']], ['popitem', []],
    ['setdefault', ['a', 5]], ['setdefault', ['new', 5]], ['setdefault', ['n2']], ['update', [d(['a', 9], ['c', 3])]], ['update', [[t('k', 'v')]]], ['update', [], { z: 26 }],
    ['update', [5]], ['update', [[1]]], ['update', [['ab']]], ['fromkeys', [['p', 'q']]], ['fromkeys', ['ab', 0]], ['get', []],
    ['get', ['a', 1, 2]], ['get', [], { key: 'a' }], ['pop', []], ['keys', [1]], ['update', [d(), d()]], ['update', [[t(1, 2, 3)]]], ['setdefault', []], ['items', [], { x: 1 }],
  ];
  for (const a of dicts) for (const [m, args, kw] of dictCalls) out.push({ op: 'call', a, m, args, ...(kw ? { kw } : {}) });
  const sets: V[] = [s(), s(1, 2, 3), s('a', 'b')];
  const setCalls: [string, V[]][] = [
    ['add', [4]], ['add', ['a']], ['add', [f('1.0')]], ['add', [[1]]], ['discard', [1]], ['discard', [99]], ['remove', [2]], ['remove', [99]], ['copy', []], ['clear', []],
    ['union', [[3, 4]]], ['union', [s(9), 'xy']], ['intersection', [[1, 2, 'a']]], ['difference', [[1]]], ['symmetric_difference', [[1, 5]]],
    ['issubset', [[1, 2, 3, 4]]], ['issuperset', [[1]]], ['isdisjoint', [['z']]], ['update', [[7], [8]]],
  ];
  for (const a of sets) for (const [m, args] of setCalls) out.push({ op: 'call', a, m, args });
  for (const a of [0, 5, -255, 2 ** 40, true]) for (const m of ['bit_length', 'conjugate', 'bit_count', 'as_integer_ratio']) out.push({ op: 'call', a, m, args: [] });
  for (const a of [f('1.0'), f('1.5'), f('-0.0')]) for (const m of ['is_integer', 'conjugate']) out.push({ op: 'call', a, m, args: [] });
  // Views: str, len, membership and iteration of keys()/values()/items().
  for (const a of [d(['a', 1], ['b', [2]]), d()]) {
    out.push({ op: 'call', a, m: 'items', args: [] }, { op: 'call', a, m: 'keys', args: [] }, { op: 'call', a, m: 'values', args: [] });
  }
  return out;
}

function formatCases(): Case[] {
  const out: Case[] = [];
  const numbers: V[] = [0, 1, -1, 42, -1234567, 255, 9007199254740991, true, f('0.0'), f('-0.0'), f('1.5'), f('2.5'), f('-2.5'), f('0.125'), f('3.14159'), f(0.1 + 0.2), f('1234567.891'), f('1e16'), f('1e-5'), f('123456789.0'), f('9.96'), f('0.000123456'), f('100.0'), f('1e300'), f('5e-324'), f('inf'), f('-inf'), f('nan')];
  const specs = ['', 'd', 'x', 'X', '#x', '#o', 'b', '#b', 'c', 'n', ',', '_', ',d', '_x', '010', '010,', '08,', '+', ' ', '-', '>8', '<8', '^8', '=8', '*^9', '0=10', '+010', 'e', 'E', '.0e', '.2e', '#.0e', 'f', 'F', '.0f', '#.0f', '.1f', '.2f', '.10f', ',.2f', '012,.2f', 'g', 'G', '.0g', '.1g', '.2g', '.3g', '#g', '#.3g', '.15g', '.17g', '%', '.0%', '.1%', '.0', '.1', '.3', '.17', '10.3', 's', 'z', 'z.1f', 'q', ',x', '.2d', '.', '.f', '>', '010.', ',,', '5,d', '_,', 'x>10', 'é^7', '0>+5', '#', '#,', '++', '.,2f', '1_000', '%%'];
  for (const a of numbers) for (const spec of specs) out.push({ op: 'format', a, spec });
  const strs: V[] = ['', 'abc', '日本', 'x😀'];
  for (const a of strs) for (const spec of ['', 's', '5', '<5', '>5', '^6', '*^7', '05', '.2', '8.1s', '=5', '+', 'd', ',', '#']) out.push({ op: 'format', a, spec });
  for (const a of [null, [1], d(['a', 1]), t(1)]) for (const spec of ['', '5', 's']) out.push({ op: 'format', a, spec });

  const fmts: [string, V[], Record<string, V>?][] = [
    ['{} {}', [1, 'a']], ['{0} {1} {0}', ['x', 'y']], ['{1}', [1]], ['{}{0}', [1, 2]], ['{0}{}', [1, 2]], ['{name}!', [], { name: 'tx' }], ['{x}', [1]],
    ['{0[1]}', [[5, 6]]], ['{0[a]}', [d(['a', 7])]], ['{0[1]}', [d([1, 7])]], ['{0[0][1]}', [[[1, 2]]]], ['{d[k]}', [], { d: d(['k', 'v']) }],
    ['{!r}', ['a']], ['{0!s:>5}', [1]], ['{!r:^9}', ['é']], ['{!a}', ['é日']], ['{!x}', [1]],
    ['{{}} {{{}}}', [3]], ['}}{{', []], ['{', []], ['}', []], ['a{', []], ['{0', [1]], ['{0[}', [1]], ['{0.}', [1]],
    ['{:{}}', [1, 5]], ['{:>{w}.{p}f}', [f('3.14159')], { w: 10, p: 2 }], ['{:{}{}}', ['x', '>', 4]],
    ['{0:,} and {0:_}', [1234567]], ['{:%Y}', [1]], ['{:5}|{:<5}|{:^5}', [1, 2, 3]], ['{0.real}', [5]], ['{0.imag}', [f('1.5')]],
    ['{} {}', [1]], ['{:d}', ['x']], ['{:s}', [1]], ['{:.2f}', [null]],
  ];
  for (const [a, args, kw] of fmts) out.push({ op: 'fmt', a, args, ...(kw ? { kw } : {}) });

  const pcts: [string, V][] = [
    ['%s', 1], ['%s', 'x'], ['%s', null], ['%s', [1, 2]], ['%s', t(1)], ['%s', t()], ['%s %s', t(1, 'a')], ['%s %s', t(1)], ['%s', t(1, 2)], ['%r', 'é'], ['%a', 'é'],
    ['%d', 42], ['%d', f('3.99')], ['%d', f('-3.99')], ['%d', 'x'], ['%d', true], ['%i|%u', t(1, 2)], ['%5d|%-5d|%05d', t(1, 2, -3)], ['%+d % d', t(5, 5)], ['%.3d', 7],
    ['%x %X %o', t(255, 255, 8)], ['%#x %#X %#o', t(255, 255, 8)], ['%x', f('1.5')], ['%x', -255], ['%#x', -255],
    ['%f', f('3.14159')], ['%.2f', f('2.675')], ['%.0f', f('0.5')], ['%.0f', f('1.5')], ['%#.0f', 2], ['%e', 12345], ['%.3E', f('0.000123456')], ['%g', f('1e-5')], ['%G', f('1e20')], ['%g', 100000], ['%g', 1000000], ['%#g', 1], ['%10.4f|', f('-3.14159')], ['%-10.2e|', f('1.5')], ['%010.2f', f('-1.5')], ['%f', 'x'], ['%f', f('inf')], ['%05f', f('nan')],
    ['%c', 65], ['%c', 'z'], ['%c', 'ab'], ['%c', 1114112],
    ['%(a)s-%(b)r', d(['a', 1], ['b', 'x'])], ['%(a)s', d()], ['%(a)s %s', d(['a', 1])], ['%s %(a)s', d(['a', 1])], ['%(a)s', [1]], ['%(a)s', 5], ['%s', d(['a', 1])],
    ['abc', t()], ['abc', 5], ['abc', [1]], ['abc', d()], ['100%%', t()], ['%', 1], ['%z', 1], ['%5%', t()], ['%-5%|', t()], ['%.2s', 'abcdef'], ['%5s|%-5s|', t('a', 'b')], ['%*d', t(5, 42)], ['%-*d|', t(5, 42)], ['%.*f', t(2, f('3.14159'))], ['%*d', t('x', 1)],
    ['%s', f('1e16')], ['%r', f('0.1')], ['日%é', 1], ['😀%\x01', 1], ['%😀', 1], ['%5日', 1], ['%s', 'é日😀'], ['%5s', '日本'], ['%ld', 5],
  ];
  for (const [a, b] of pcts) out.push({ op: 'bin', o: '%', a, b });
  return out;
}

function randomFloat(r: () => number): number {
  const kind = r();
  if (kind < 0.3) return Math.round((r() - 0.5) * 10 ** Math.floor(r() * 8)) / 10 ** Math.floor(r() * 6);
  if (kind < 0.6) return (r() - 0.5) * 10 ** Math.floor(r() * 40 - 20);
  if (kind < 0.8) return (Math.floor(r() * 2000) - 1000) / 8;
  return (r() - 0.5) * 2 ** Math.floor(r() * 200 - 100);
}

function randomCases(): Case[] {
  const r = seededRandom(20261204);
  const out: Case[] = [];
  const specs = ['', '.0f', '.1f', '.2f', '.3f', '.6f', '.12f', '.0e', '.1e', '.3e', '.16e', 'g', '.1g', '.2g', '.4g', '.10g', '.17g', '.3', '.12', '%', ',.2f', 'e', 'f'];
  for (let i = 0; i < 400; i++) {
    const x = randomFloat(r);
    out.push({ op: 'repr', a: f(x) });
    out.push({ op: 'format', a: f(x), spec: specs[Math.floor(r() * specs.length)]! });
    const y = r() < 0.5 ? Math.floor(r() * 21) - 10 : (r() - 0.5) * 20;
    out.push({ op: 'bin', o: '**', a: f(Math.abs(x) > 1e10 || Math.abs(x) < 1e-10 ? r() * 100 : Math.abs(x)), b: f(y) });
    out.push({ op: 'bin', o: r() < 0.5 ? '%' : '//', a: f(x), b: f(randomFloat(r) || 1) });
    out.push({ op: 'bin', o: '/', a: Math.floor((r() - 0.5) * 1e6), b: Math.floor((r() - 0.5) * 1e3) || 7 });
    out.push({ op: 'bin', o: '%', a: '%.3f|%e|%g|%10.4g', b: t(f(x), f(x), f(x), f(x)) });
  }
  return out;
}

function markupCases(): Case[] {
  const out: Case[] = [];
  const vals: V[] = [m('<b>x</b>'), m(''), '<i>', "a'b\"c&", 1, null, [1], m('&amp;')];
  for (const a of vals) {
    for (const b of vals) {
      out.push({ op: 'bin', o: '+', a, b }, { op: 'eq', a, b }, { op: 'bin', o: '~', a, b });
    }
    out.push({ op: 'str', a }, { op: 'repr', a }, { op: 'bool', a }, { op: 'len', a });
  }
  for (const b of ['<', 5, t('<', m('<'), f('1.5')), null, d(['k', '<'])] as V[]) {
    out.push({ op: 'bin', o: '%', a: m('<p>%s</p>'), b });
  }
  out.push({ op: 'bin', o: '%', a: m('%(k)s %(k)r'), b: d(['k', '<']) });
  out.push({ op: 'bin', o: '*', a: m('<a>'), b: 2 }, { op: 'bin', o: '%', a: m('%d|%.1f'), b: t(3, f('2.25')) });
  return out;
}

/** Every code point (by chunks) through repr and the str methods that depend on Unicode's tables. */
function unicodeCases(): Case[] {
  const out: Case[] = [];
  const methods = ['isalpha', 'isdigit', 'isdecimal', 'isnumeric', 'isspace', 'isalnum', 'isidentifier', 'isprintable', 'islower', 'isupper', 'istitle', 'lower', 'upper', 'title', 'casefold', 'swapcase', 'capitalize'];
  const chunk = 512;
  const ranges: [number, number][] = [[0, 0x33480], [0xe0000, 0xe0200], [0xf0000, 0xf0010], [0x10fff0, 0x110000]];
  for (const [lo, hi] of ranges) {
    for (let c = lo; c < hi; c += chunk) {
      let a = '';
      for (let x = c; x < Math.min(hi, c + chunk); x++) a += String.fromCodePoint(x);
      out.push({ op: 'repr', a });
      // Ideographs and Hangul syllables have no case: only their classes are tested there.
      const caseless = (c >= 0x3400 && c < 0xa000) || (c >= 0xac00 && c < 0xd7a4) || c >= 0x20000;
      for (const m of methods) if (!caseless || m.startsWith('is')) out.push({ op: 'charmap', a, m });
    }
  }
  return out;
}

/** Dict keys (1 == 1.0 == True), nested equality and order, sort keys, slices by getitem, views. */
function structureCases(): Case[] {
  const out: Case[] = [];
  const dicts: V[] = [
    d([1, 'a'], [f('1.0'), 'b'], [true, 'c']),
    d([0, 'z'], [false, 'f'], [f('-0.0'), 'n']),
    d([t(1, 2), 'x'], [t(f('1.0'), 2), 'y']),
    d(['a', 1], ['b', 2]),
    d(['b', 2], ['a', 1]),
    d([null, 'none'], ['', 'empty']),
  ];
  for (const a of dicts) {
    out.push({ op: 'repr', a }, { op: 'len', a }, { op: 'iter', a });
    for (const key of [1, f('1.0'), true, 0, false, t(1, 2), t(1, f('2.0')), null, '', 'a', [1], d(), s()] as V[]) {
      out.push({ op: 'getitem', a, key }, { op: 'in', a: key, b: a }, { op: 'call', a, m: 'get', args: [key] });
    }
    for (const b of dicts) out.push({ op: 'eq', a, b });
  }
  out.push({ op: 'repr', a: d([[1], 2]) }, { op: 'repr', a: s([1]) }, { op: 'repr', a: s(1, f('1.0'), true, 2) }, { op: 'len', a: s(0, false, f('0.0')) });
  const nested: V[] = [[1, [2, 3]], [1, [2, 4]], [1, [2]], [f('1.0'), [2, f('3.0')]], t(1, t(2, 3)), t(1, t(2, 'x')), [], t(), ['a', 1], ['a', 'b'], [null], [[]], s(1, 2), s(1), s(1, 2, 3), s(4)];
  for (const a of nested) {
    for (const b of nested) {
      out.push({ op: 'eq', a, b });
      for (const o of ['<', '<=', '>', '>='] as const) out.push({ op: 'cmp', o, a, b });
    }
  }
  const sortable: V[] = [['b', 'A', 'c', 'a'], [3, f('1.5'), true, 0, -2], [[2, 1], [1, 9], [1, 2, 3], []], [t(1, 'b'), t(1, 'a'), t(0, 'z')], ['ab', 'a', 'abc', ''], [1, 'a'], [null, null]];
  for (const a of sortable) {
    out.push({ op: 'call', a, m: 'sort', args: [] }, { op: 'call', a, m: 'sort', args: [], kw: { reverse: true } });
    for (const key of [fn('len'), fn('str'), fn('neg'), fn('lower')]) {
      out.push({ op: 'call', a, m: 'sort', args: [], kw: { key } }, { op: 'call', a, m: 'sort', args: [], kw: { key, reverse: true } });
    }
  }
  const seqs: V[] = ['abcdef', [1, 2, 3, 4], t(1, 2, 3), '日本😀x'];
  for (const a of seqs) {
    for (const key of [sl(1, 3, null), sl(null, null, -1), sl(-2, null, null), sl(null, null, 2), sl('a', null, null), sl(null, null, 0)]) out.push({ op: 'getitem', a, key });
  }
  for (const a of [5, null, d(['a', 1])]) out.push({ op: 'getitem', a, key: sl(1, 2, null) });
  const dd = d(['a', 1], ['b', t(1, 2)]);
  for (const m2 of ['keys', 'values', 'items']) out.push({ op: 'call', a: dd, m: m2, args: [] });
  for (const x of ['a', 1, t('a', 1), t('b', t(1, 2)), 'zz'] as V[]) out.push({ op: 'in', a: x, b: dd });
  return out;
}

function rangeAndFormatCases(): Case[] {
  const out: Case[] = [];
  const ranges: V[] = [rg(5), rg(0), rg(2, 10, 3), rg(10, 0, -2), rg(-5, 5), rg(3, 3), rg(5, 0), rg(0, 10, 7)];
  for (const a of ranges) {
    out.push({ op: 'repr', a }, { op: 'str', a }, { op: 'len', a }, { op: 'iter', a }, { op: 'bool', a });
    for (const key of [0, 1, -1, 5, -10, sl(1, null, null), sl(null, null, -1), sl(-2, null, null), sl(1, 4, 2), sl(10, -10, -3), 'x'] as V[]) {
      out.push({ op: 'getitem', a, key });
    }
    for (const x of [0, 2, 4, 8, -5, 10, f('2.0'), '2'] as V[]) out.push({ op: 'in', a: x, b: a });
    for (const b of ranges) out.push({ op: 'eq', a, b });
  }
  const fmts: [string, V[], Record<string, V>?][] = [
    ['{0.a} {0[b]}', [d(['a', 1], ['b', 2])]], ['{x.y}', [], { x: o({ y: 'z' }) }], ['{0[0]:>4}|{0[1]!r:<6}|', [t('ab', 'cd')]],
    ['{:{}>{}}', ['x', '*', 5]], ['{:{fill}^{width}}', ['mid'], { fill: '-', width: 9 }], ['{0:{1}}', [f('3.14159'), '.2f']], ['{:{}{}{}}', [1]],
    ['{a}{b}', [], { a: 1 }], ['{!r}', [t()]],
  ];
  for (const [a, args, kw] of fmts) out.push({ op: 'fmt', a, args, ...(kw ? { kw } : {}) });
  for (const a of ['{a}-{b}', '{a:>5}', '{c}']) out.push({ op: 'call', a, m: 'format_map', args: [d(['a', 1], ['b', 'x'])] });
  return out;
}

/** Sets of ints iterate and print in CPython's hash-table order. */
function setOrderCases(): Case[] {
  const out: Case[] = [];
  const r = seededRandom(42);
  const sets: V[] = [s(3, 1, 2), s(8, 16, 0, 24), s(-1, -2), s(-1, -2, -3, 5), s(100, 7, 1000, 3, 64, 9), s(true, 2, f('3.0')), s(2 ** 40, 5, -(2 ** 33))];
  for (let k = 0; k < 60; k++) {
    const n = 1 + Math.floor(r() * 40);
    const xs: V[] = [];
    for (let i = 0; i < n; i++) xs.push(Math.floor((r() - 0.3) * (k < 30 ? 64 : 100000)));
    sets.push(s(...xs));
  }
  for (const a of sets) {
    out.push({ op: 'str', a }, { op: 'iter', a }, { op: 'call', a, m: 'pop', args: [] });
  }
  out.push({ op: 'str', a: s('a') }, { op: 'str', a: s() });
  return out;
}

function randomValue(r: () => number, depth = 0): V {
  const k = Math.floor(r() * (depth > 1 ? 7 : 11));
  switch (k) {
    case 0:
      return Math.floor((r() - 0.5) * 20);
    case 1:
      return f(String(Math.round((r() - 0.5) * 200) / 8));
    case 2:
      return ['', 'a', 'Ab', 'é', '日本', 'x y', '%s', "'", '1', ' '][Math.floor(r() * 10)]!;
    case 3:
      return r() < 0.5;
    case 4:
      return null;
    case 5:
      return Math.floor((r() - 0.5) * 2000);
    case 6:
      return f(['0.0', '-0.0', 'inf', 'nan', '1e16', '0.1', '2.5'][Math.floor(r() * 7)]!);
    case 7:
      return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
    case 8:
      return t(...Array.from({ length: Math.floor(r() * 3) }, () => randomValue(r, depth + 1)));
    case 9:
      return d(...Array.from({ length: Math.floor(r() * 3) }, (_, i) => [['a', 'b', 1, 2][i % 4]!, randomValue(r, depth + 1)] as [V, V]));
    default:
      return s(...Array.from({ length: Math.floor(r() * 3) }, () => Math.floor(r() * 5)));
  }
}

function randomOperatorCases(): Case[] {
  const r = seededRandom(Number(process.env['TX_PY_FUZZ_SEED'] ?? 7));
  const out: Case[] = [];
  const ops = ['+', '-', '*', '/', '//', '%', '**', '~'];
  for (let i = 0; i < Number(process.env['TX_PY_FUZZ_N'] ?? 3000); i++) {
    const a = randomValue(r);
    const b = randomValue(r);
    const pick = r();
    if (pick < 0.45) out.push({ op: 'bin', o: ops[Math.floor(r() * ops.length)]!, a, b });
    else if (pick < 0.6) out.push({ op: 'eq', a, b });
    else if (pick < 0.75) out.push({ op: 'cmp', o: (['<', '<=', '>', '>='] as const)[Math.floor(r() * 4)]!, a, b });
    else if (pick < 0.85) out.push({ op: 'in', a, b });
    else if (pick < 0.95) out.push({ op: 'getitem', a, key: b });
    else out.push({ op: 'repr', a });
  }
  return out;
}

const METHOD_NAMES: Record<string, string[]> = {
  str: ['capitalize', 'casefold', 'swapcase', 'istitle', 'isidentifier', 'center', 'count', 'endswith', 'expandtabs', 'find', 'format', 'index', 'isalnum', 'join', 'ljust', 'lower', 'lstrip', 'partition', 'removeprefix', 'replace', 'rfind', 'rjust', 'rpartition', 'rsplit', 'rstrip', 'split', 'splitlines', 'startswith', 'strip', 'title', 'upper', 'zfill'],
  list: ['append', 'count', 'extend', 'index', 'insert', 'pop', 'remove', 'sort', 'copy', 'reverse'],
  dict: ['get', 'pop', 'setdefault', 'update', 'items', 'keys', 'values', 'copy', 'popitem', 'fromkeys'],
  set: ['add', 'discard', 'remove', 'union', 'intersection', 'difference', 'symmetric_difference', 'issubset', 'issuperset', 'isdisjoint', 'update'],
};

function randomMethodCases(): Case[] {
  const r = seededRandom(Number(process.env['TX_PY_FUZZ_SEED'] ?? 99));
  const out: Case[] = [];
  for (let i = 0; i < Number(process.env['TX_PY_FUZZ_N'] ?? 3000); i++) {
    const kind = (['str', 'str', 'list', 'dict', 'set'] as const)[Math.floor(r() * 5)]!;
    const a: V =
      kind === 'str'
        ? ['', 'a,b', ' x y ', 'Hello', 'aaa', '日本', 'a\tb\nc', 'ΣΑΣ ος', '😀a😀', '\u00a0x\u2003', 'MiXeD_case-1'][Math.floor(r() * 11)]!
        : kind === 'list'
          ? [[], [1, 2, 1], ['b', 'a'], [null, 1]][Math.floor(r() * 4)]!
          : kind === 'dict'
            ? [d(), d(['a', 1]), d([1, 'x'], ['b', null])][Math.floor(r() * 3)]!
            : [s(), s(1, 2), s(3)][Math.floor(r() * 3)]!;
    const names = METHOD_NAMES[kind]!;
    const m = names[Math.floor(r() * names.length)]!;
    const nargs = Math.floor(r() * 3);
    const args = Array.from({ length: nargs }, () => (r() < 0.5 ? ['a', ',', '', 1, 0, -1, 2][Math.floor(r() * 7)]! : randomValue(r, 1)));
    const kwNames = ['sep', 'maxsplit', 'keepends', 'key', 'reverse', 'tabsize', 'x'];
    const kw: Record<string, V> = {};
    if (r() < 0.15) kw[kwNames[Math.floor(r() * kwNames.length)]!] = ['a', ',', 1, 0, -1, true, null][Math.floor(r() * 7)]!;
    out.push({ op: 'call', a, m, args, ...(Object.keys(kw).length ? { kw } : {}) });
  }
  return out;
}

function randomFormatCases(): Case[] {
  const r = seededRandom(Number(process.env['TX_PY_FUZZ_SEED'] ?? 5));
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const out: Case[] = [];
  const values = (): V => pick<V>([0, 7, -42, 1234567, true, f(String((r() - 0.5) * 10 ** Math.floor(r() * 12 - 4))), f('0.5'), f('-0.0'), f('nan'), 'abc', '', null]);
  for (let i = 0; i < Number(process.env['TX_PY_FUZZ_N'] ?? 3000); i++) {
    const spec =
      (r() < 0.3 ? pick(['', '*', '0', 'x', ' ']) + pick(['<', '>', '^', '=']) : r() < 0.2 ? pick(['<', '>', '^', '=']) : '') +
      (r() < 0.3 ? pick(['+', '-', ' ']) : '') +
      (r() < 0.1 ? 'z' : '') +
      (r() < 0.2 ? '#' : '') +
      (r() < 0.2 ? '0' : '') +
      (r() < 0.5 ? String(Math.floor(r() * 16)) : '') +
      (r() < 0.2 ? pick([',', '_']) : '') +
      (r() < 0.4 ? '.' + String(Math.floor(r() * 12)) : '') +
      (r() < 0.7 ? pick(['d', 'x', 'X', 'o', 'b', 'c', 'e', 'E', 'f', 'F', 'g', 'G', '%', 'n', 's']) : '');
    out.push({ op: 'format', a: values(), spec });
    const conv = pick(['s', 'r', 'd', 'i', 'x', 'X', 'o', 'e', 'E', 'f', 'F', 'g', 'G', 'c', 'a']);
    const flags = (r() < 0.3 ? pick(['-', '+', ' ', '#', '0', '-0', '+0', '#0']) : '') + (r() < 0.4 ? String(Math.floor(r() * 12)) : '') + (r() < 0.3 ? '.' + String(Math.floor(r() * 8)) : '');
    out.push({ op: 'bin', o: '%', a: `[%${flags}${conv}]`, b: values() });
  }
  return out;
}

function randomStrFormatCases(): Case[] {
  const r = seededRandom(Number(process.env['TX_PY_FUZZ_SEED'] ?? 11));
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const out: Case[] = [];
  // Fields whose lookups find nothing would print an Undefined (jinja2 prints '', tx raises): the
  // arguments are chosen so that [0], [k] and .real always exist.
  const pieces = ['{}', '{0}', '{1}', '{2}', '{x}', '{y}', '{0[0]}', '{x[k]}', '{0!r}', '{!s}', '{:>5}', '{0:^{1}}', '{{', '}}', '{', '}', 'a', ' ', '{x!a:*<6}', '{:,}', '{1.real}', '{:d}', '{:.2f}', '{!z}', '{0:{y}}', '{[0]}', '{0[1]!r:}', '{!r', '{0!}', '{0:{1:{2}}}', '{0.}', '{a{b}', '{:{:{:}}}'];
  for (let i = 0; i < Number(process.env['TX_PY_FUZZ_N'] ?? 3000); i++) {
    const n = 1 + Math.floor(r() * 4);
    let fmt = '';
    for (let k = 0; k < n; k++) fmt += pick(pieces);
    const args: V[] = [pick<V>([[7, 8], 'ab', t(1, 2)]), pick<V>([1, f('2.5'), true, 10])];
    for (let k = Math.floor(r() * 3); k > 0; k--) args.push(pick<V>([1, 'ab', f('2.5'), [7, 8], 'é', 10, true, null, '>4', 'q']));
    args.length = Math.min(args.length, Math.floor(r() * 5));
    const kw: Record<string, V> = {};
    if (r() < 0.8) kw['x'] = pick<V>([d(['k', 'v']), d(['k', 3]), o({ k: 'w' })]);
    if (r() < 0.5) kw['y'] = pick<V>([f('0.5'), 'y', '>4', 5, 'q']);
    out.push({ op: 'fmt', a: fmt, args, kw });
  }
  return out;
}

function run(cases: Case[]): void {
  const { diffs, compared, skipped } = differential(cases);
  if (process.env['TX_PY_DIFF_VERBOSE']) console.log(`${compared} cases compared, ${skipped} skipped (big ints / complex results)`);
  if (diffs.length > 0) console.log(`${diffs.length} differences of ${compared}:\n` + diffs.slice(0, 40).join('\n'));
  expect(diffs.length).toBe(0);
  expect(compared).toBeGreaterThan(cases.length * 0.8);
}

describe.skipIf(noPython)('Python value semantics, differential against the Python of dbt-core 1.10', () => {
  beforeAll(async () => {
    python = (await provisionDbtCore()).python;
  });
  it('str, repr, truth, len, iteration, unary operators', () => run(unaryCases()));
  it('binary operators, ==, ordering and `in` across types', () => run(binaryCases()));
  it('int and float arithmetic', () => run(arithmeticCases()));
  it('slices', () => run(sliceCases()));
  it("jinja2's getattr and getitem", () => run(accessCases()));
  it('str methods', () => run(strMethodCases()));
  it('random str.format strings', () => run(randomStrFormatCases()));
  it('random format specs and % conversions', () => run(randomFormatCases()));
  it('random method calls, right or wrong', () => run(randomMethodCases()));
  it('random nested values through operators, ==, <, in, getitem', () => run(randomOperatorCases()));
  it('sets of ints in CPython order', () => run(setOrderCases()));
  it('range objects; str.format fields through jinja2 getattr/getitem; format_map', () => run(rangeAndFormatCases()));
  it('dict keys, nested ==/<, sort keys, slices through getitem', () => run(structureCases()));
  it('every code point: repr and the Unicode-table str methods (Python 3.11 knows Unicode 14)', () => run(unicodeCases()));
  it('Markup (markupsafe): escaping +, %, repr', () => run(markupCases()));
  it('random floats: repr, format specs, **, %, //, /', () => run(randomCases()));
  it('format(), str.format and % formatting', () => run(formatCases()));
  it('list, tuple, dict, set, int and float methods', () => run(containerMethodCases()));
});

describe('host objects (no Python counterpart to compare with)', () => {
  class Relation {
    readonly schema = 'analytics';
    readonly _secret = 'x';
    constructor(readonly identifier: string) {}
    render(): string {
      return `${this.schema}.${this.identifier}`;
    }
    [PY_STR](): string {
      return this.render();
    }
  }
  const rel = new Relation('orders');

  it('attributes: own properties, methods bound to the object, nothing from Object.prototype', () => {
    expect(getAttr(rel, 'schema')).toBe('analytics');
    expect((getAttr(rel, 'render') as () => string)()).toBe('analytics.orders');
    for (const name of ['toString', 'constructor', 'hasOwnProperty', 'nope']) {
      const u = getAttr(rel, name);
      expect(u).toBeInstanceOf(Undefined);
      expect((u as Undefined).hint).toBe(`'Relation object' has no attribute '${name}'`);
    }
    expect((getAttr(rel, '_secret') as Undefined).hint).toBe("access to attribute '_secret' of 'Relation' object is unsafe.");
    expect((getItem(rel, '_secret') as Undefined).hint).toBe("access to attribute '_secret' of 'Relation' object is unsafe.");
    expect(getItem(rel, 'identifier')).toBe('orders');
  });

  it('str() of host values: [PY_STR], functions, generators, plain objects as dicts', () => {
    expect(pyStr(rel)).toBe('analytics.orders');
    expect(pyStr([rel])).toBe('[analytics.orders]');
    expect(pyStr(function ref() {})).toBe('<function ref>');
    expect(pyStr((function* gen() {})())).toBe('<generator object>');
    expect(pyStr({ a: 1, b: [null, true] })).toBe("{'a': 1, 'b': [None, True]}");
    expect(pyStr(undefined)).toBe('None');
    expect(() => pyStr(new Undefined('x', "'x' is undefined"))).toThrow("'x' is undefined");
  });

  it('a plain object is a dict: its keys are items, and dict methods are its attributes', () => {
    const o = { _x: 1, items: 'own' };
    expect(getAttr(o, '_x')).toBe(1);
    expect(getAttr(o, 'items')).toBe('own');
    expect(pyStr((getAttr({ a: 1 }, 'items') as () => unknown)())).toBe("dict_items([('a', 1)])");
    expect(typeName(o)).toBe('dict');
  });

  it("str.format of a missing field formats jinja2's Undefined: '' (as jinja2 prints it; the differential test checks against jinja2)", () => {
    expect(strFormat('[{0.nope}]', [new Map()])).toBe('[]');
    expect(strFormat('[{0[9]}]', [[1]])).toBe('[]');
    expect(() => strFormat('{0.nope:>3}', [new Map()])).toThrow('unsupported format string passed to Undefined.__format__');
  });

  it('Undefined: attributes and operators raise, truth and length are empty', () => {
    const u = new Undefined('x', "'x' is undefined");
    expect(() => getAttr(u, 'y')).toThrow(PyError);
    expect(() => add(u, 1)).toThrow("'x' is undefined");
    expect(contains(u, 1)).toBe(false); // `1 in undefined` iterates nothing, as jinja2's Undefined
    expect(truthy(u)).toBe(false);
    expect(len(u)).toBe(0);
    expect([...iterate(u)]).toEqual([]);
    expect(eq(u, new Undefined('y', ''))).toBe(true);
  });
});
