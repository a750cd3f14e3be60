/**
 * The pure members of dbt's base context (dbt-core 1.10, core/dbt/context/base.py) as host values
 * for tx's Jinja2 evaluator: modules (datetime, pytz, re, itertools), tojson, fromjson, toyaml,
 * fromyaml, set, set_strict, zip, zip_strict, local_md5, diff_of_two_dicts and print.
 *
 * Errors are PyError with Python's exception type name; dbt's own compiler errors keep their
 * class names (SetStrictWrongTypeError, ZipStrictWrongTypeError: both dbt CompilationErrors).
 */
import { createHash } from 'node:crypto';
import { Markup, PyError, isKwargs, isPlainObject, makeTuple } from '../jinja/values.js';
import { dictSet, iterate, makeSet, pyIndex, pyStr, typeName } from '../jinja/py.js';
import { bind, p } from './args.js';
import { datetimeModule } from './datetime-module.js';
import { itertoolsModule } from './python-itertools.js';
import { PyIterator } from './python-iterator.js';
import { jsonDumps, jsonLoads } from './python-json.js';
import { reModule } from './python-re.js';
import { yamlSafeDump } from './python-yaml-dump.js';
import { yamlSafeLoad } from './python-yaml-load.js';
import { PYTZ_UTC, pytzModule } from './pytz.js';
import { PyDateTime } from './python-datetime.js';

const YAML_ERRORS = new Set([
  'YAMLError',
  'RepresenterError',
  'ReaderError',
  'ScannerError',
  'ParserError',
  'ComposerError',
  'ConstructorError',
  'EmitterError',
  'SerializerError',
]);

function isValueError(e: unknown): boolean {
  return e instanceof PyError && (e.type === 'ValueError' || e.type === 'JSONDecodeError' || e.type === 'UnicodeEncodeError');
}

function pySet(value: unknown): Set<unknown> {
  return makeSet(iterate(value));
}

function pyZip(args: unknown[]): PyIterator {
  const its = args.map((a) => iterate(a)[Symbol.iterator]());
  return new PyIterator('zip', zipGen(its));
}

function* zipGen(its: Iterator<unknown>[]): Generator<unknown> {
  if (its.length === 0) return;
  for (;;) {
    const row: unknown[] = [];
    for (const it of its) {
      const r = it.next();
      if (r.done) return;
      row.push(r.value);
    }
    yield makeTuple(row);
  }
}

function casefold(s: unknown): string {
  if (typeof s === 'string') return s.toUpperCase().toLowerCase();
  if (s instanceof Markup) return s.value.toUpperCase().toLowerCase();
  throw new PyError('AttributeError', `'${typeName(s)}' object has no attribute 'casefold'`);
}

function dictEntries(d: unknown): [unknown, unknown][] {
  if (d instanceof Map) return [...d.entries()];
  if (isPlainObject(d)) return Object.entries(d);
  throw new PyError('AttributeError', `'${typeName(d)}' object has no attribute 'items'`);
}

function md5(value: unknown): string {
  if (typeof value !== 'string' && !(value instanceof Markup))
    throw new PyError('AttributeError', `'${typeName(value)}' object has no attribute 'encode'`);
  const s = typeof value === 'string' ? value : value.value;
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s))
    throw new PyError('UnicodeEncodeError', "'utf-8' codec can't encode character: surrogates not allowed");
  return createHash('md5').update(s, 'utf8').digest('hex');
}

/**
 * dbt's `run_started_at`: an aware datetime in pytz.utc (dbt: datetime.now(tz=pytz.utc)) for the
 * given instant (milliseconds since the epoch; default now).
 */
export function runStartedAt(epochMs: number = Date.now()): PyDateTime {
  const utc = PyDateTime.fromTotalUs(BigInt(Math.round(epochMs * 1000)) + EPOCH_TOTAL_US, null, 0);
  return PYTZ_UTC.fromutc(utc);
}

const EPOCH_TOTAL_US = 719163n * 86_400_000_000n;

/** The dbt-core version whose template context tx reproduces. */
export const DBT_VERSION = '1.10.23';

/** dbt's `flags` (an argparse Namespace): dbt's defaults, then what the command sets. */
export class DbtFlags {
  CACHE_SELECTED_ONLY = false;
  DEBUG = false;
  EMPTY: boolean | null = null;
  FAIL_FAST = false;
  FULL_REFRESH = false;
  INDIRECT_SELECTION = 'eager';
  INTROSPECT = true;
  INVOCATION_COMMAND = 'dbt ';
  LOG_CACHE_EVENTS = false;
  LOG_FORMAT = 'default';
  LOG_PATH = 'logs';
  NO_PRINT: boolean | null = null;
  PARTIAL_PARSE = true;
  PRINTER_WIDTH = 80;
  PROFILES_DIR: string | null = null;
  QUIET = false;
  SEND_ANONYMOUS_USAGE_STATS = false;
  STATIC_PARSER = true;
  STORE_FAILURES = false;
  TARGET_PATH: string | null = null;
  USE_COLORS = true;
  USE_EXPERIMENTAL_PARSER = false;
  VERSION_CHECK = true;
  WARN_ERROR: boolean | null = null;
  WHICH = 'run';
  WRITE_JSON = true;
  constructor(set: Partial<Record<string, unknown>> = {}) {
    Object.assign(this, set);
  }
}

let pytz: Record<string, unknown> | undefined;

/** The pure members of dbt's base context; call once per render context. */
export function baseContextMembers(): Record<string, unknown> {
  return {
    dbt_version: DBT_VERSION,
    flags: new DbtFlags(),
    thread_id: 'MainThread',
    modules: {
      // its zone list asks ICU for every zone (tens of ms): built when a template first reads it
      get pytz(): Record<string, unknown> {
        return (pytz ??= pytzModule());
      },
      datetime: datetimeModule(),
      re: reModule(),
      itertools: itertoolsModule(),
    },
    fromjson: (...args: unknown[]): unknown => {
      const [string, dflt] = bind('fromjson', [p('string'), p('default', null)], args);
      try {
        return jsonLoads(string);
      } catch (e) {
        if (isValueError(e)) return dflt;
        throw e;
      }
    },
    tojson: (...args: unknown[]): unknown => {
      const [value, dflt, sortKeys] = bind('tojson', [p('value'), p('default', null), p('sort_keys', false)], args);
      try {
        return jsonDumps(value, !!sortKeys);
      } catch (e) {
        if (isValueError(e)) return dflt;
        throw e;
      }
    },
    fromyaml: (...args: unknown[]): unknown => {
      const [value, dflt] = bind('fromyaml', [p('value'), p('default', null)], args);
      try {
        // dbt loads with libyaml's CSafeLoader, which wants a str (or a stream)
        if (typeof value !== 'string' && !(value instanceof Markup)) throw new PyError('TypeError', 'a string or stream input is required');
        return yamlSafeLoad(typeof value === 'string' ? value : value.value);
      } catch (e) {
        if (e instanceof PyError && (e.type === 'AttributeError' || isValueError(e) || YAML_ERRORS.has(e.type))) return dflt;
        throw e;
      }
    },
    toyaml: (...args: unknown[]): unknown => {
      const [value, dflt, sortKeys] = bind('toyaml', [p('value'), p('default', null), p('sort_keys', false)], args);
      try {
        return yamlSafeDump(value, !!sortKeys);
      } catch (e) {
        if (e instanceof PyError && (isValueError(e) || YAML_ERRORS.has(e.type))) return dflt;
        throw e;
      }
    },
    set: (...args: unknown[]): unknown => {
      const [value, dflt] = bind('_set', [p('value'), p('default', null)], args);
      try {
        return pySet(value);
      } catch (e) {
        if (e instanceof PyError && e.type === 'TypeError') return dflt;
        throw e;
      }
    },
    set_strict: (...args: unknown[]): unknown => {
      const [value] = bind('set_strict', [p('value')], args);
      try {
        return pySet(value);
      } catch (e) {
        if (e instanceof PyError && e.type === 'TypeError') throw new PyError('SetStrictWrongTypeError', e.message);
        throw e;
      }
    },
    zip: (...args: unknown[]): unknown => {
      const last = args[args.length - 1];
      let dflt: unknown = null;
      let pos = args;
      if (isKwargs(last)) {
        const kw = last.values;
        for (const k of kw.keys()) if (k !== 'default') throw new PyError('TypeError', `_zip() got an unexpected keyword argument '${k}'`);
        if (kw.has('default')) dflt = kw.get('default');
        pos = args.slice(0, -1);
      }
      try {
        return pyZip(pos);
      } catch (e) {
        if (e instanceof PyError && e.type === 'TypeError') return dflt;
        throw e;
      }
    },
    zip_strict: (...args: unknown[]): unknown => {
      const pos = bindVarargs('zip_strict', args);
      try {
        return pyZip(pos);
      } catch (e) {
        if (e instanceof PyError && e.type === 'TypeError') throw new PyError('ZipStrictWrongTypeError', e.message);
        throw e;
      }
    },
    print: (...args: unknown[]): string => {
      const [msg] = bind('print', [p('msg')], args);
      process.stdout.write(pyStr(msg) + '\n');
      return '';
    },
    diff_of_two_dicts: (...args: unknown[]): unknown => {
      const [a, b] = bind('diff_of_two_dicts', [p('dict_a'), p('dict_b')], args);
      const bLowered = new Map<string, string[]>();
      for (const [k, v] of dictEntries(b)) bLowered.set(casefold(k), [...iterate(v)].map(casefold));
      const diff = new Map<unknown, unknown>();
      for (const k of [...iterate(a)]) {
        const v = pyIndex(a, k);
        const lowered = bLowered.get(casefold(k));
        if (lowered !== undefined) {
          const d = [...iterate(v)].filter((x) => !lowered.includes(casefold(x)));
          if (d.length > 0) dictSet(diff, k, d);
        } else dictSet(diff, k, v);
      }
      return diff;
    },
    local_md5: (...args: unknown[]): string => {
      const [value] = bind('local_md5', [p('value')], args);
      return md5(value);
    },
  };
}

function bindVarargs(fn: string, args: unknown[]): unknown[] {
  const last = args[args.length - 1];
  if (isKwargs(last)) {
    const kw = last.values;
    const first = kw.keys().next().value;
    if (first !== undefined) throw new PyError('TypeError', `${fn}() got an unexpected keyword argument '${first}'`);
    return args.slice(0, -1);
  }
  return args;
}
