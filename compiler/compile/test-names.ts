import { hash } from 'node:crypto';
import { pyRepr, pyStr } from '../template/jinja/py.js';

/**
 * The names dbt gives a generic test, so tx's unique ids are dbt's and the tools that key their
 * history on them (Elementary, dbt_artifacts, orchestrators) carry on: the test, its target and
 * every argument spelled out (`accepted_values_orders_status__placed__shipped`), a short name of
 * at most 63 characters for the compiled file and relation, and a unique id ending in ten hex
 * digits of an md5 over the name and the test's metadata. Rules of dbt-core 1.10
 * (parser/generic_test_builders.py and parser/schema_generic_tests.py).
 */
export interface GenericTestNames {
  /** The node's name (and the last part of its fqn): dbt's full synthesized name. */
  name: string;
  /** The compiled file's name and the relation's alias: the full name, or a hash of it when long. */
  shortName: string;
  uniqueId: string;
}

export interface GenericTestIdentity {
  packageName: string;
  /** `accepted_values`, without the package. */
  testName: string;
  /** `dbt_utils` for `dbt_utils.accepted_range`. */
  namespace?: string;
  /** The model or seed name, or `<source>_<table>` for a source table. */
  targetName: string;
  onSource: boolean;
  /** The test's arguments as written (configs left out), with `column_name` when it has one. */
  args: Record<string, unknown>;
  /** dbt's `model` argument: `{{ get_where_subquery(ref('orders')) }}`. */
  modelArg: string;
  /** A name given with `name:` in the test's entry. */
  customName?: string;
}

const md5 = (s: string): string => hash('md5', s, 'hex');

/**
 * `Object.keys(o)` sorted by code units (as `sort()` sorts them): a test's few keys by insertion,
 * which allocates nothing, where `Array.prototype.sort` makes work arrays for each call (at 30,000
 * tests, a fifth of what naming them allocated).
 */
function sortedKeys(o: object): string[] {
  const keys = Object.keys(o);
  if (keys.length > 16) return keys.sort();
  for (let i = 1; i < keys.length; i++) {
    const k = keys[i]!;
    let j = i - 1;
    for (; j >= 0 && keys[j]! > k; j--) keys[j + 1] = keys[j]!;
    keys[j + 1] = k;
  }
  return keys;
}

/** dbt's synthesize_generic_test_names: (short, full). */
export function synthesizeTestNames(testType: string, targetName: string, args: Record<string, unknown>): { short: string; full: string } {
  let unique = '';
  let first = true;
  for (const k of sortedKeys(args)) {
    if (k === 'model') continue;
    const v = args[k];
    const parts = Array.isArray(v) ? v : v !== null && typeof v === 'object' ? Object.values(v) : [v];
    for (const p of parts) {
      unique += (first ? '' : '__') + pyStr(p).replace(/[^0-9a-zA-Z_]+/g, '_');
      first = false;
    }
  }
  const identifier = `${testType}_${targetName}`;
  const full = `${identifier}_${unique}`;
  return { full, short: full.length >= 64 ? `${identifier.slice(0, 30)}_${md5(full)}` : full };
}

/** Python's repr of dbt's hashable form of test metadata: dicts with sorted keys, every leaf str()'d. */
function hashableRepr(v: unknown): string {
  if (Array.isArray(v)) {
    let out = '[';
    for (let i = 0; i < v.length; i++) out += (i ? ', ' : '') + hashableRepr(v[i]);
    return `${out}]`;
  }
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    let out = '{';
    let first = true;
    for (const k of sortedKeys(o)) {
      out += `${first ? '' : ', '}${pyRepr(k)}: ${hashableRepr(o[k])}`;
      first = false;
    }
    return `${out}}`;
  }
  return pyRepr(pyStr(v));
}

export function genericTestNames(t: GenericTestIdentity): GenericTestNames {
  let name: string;
  let shortName: string;
  if (t.customName) name = shortName = t.customName;
  else {
    let type = t.onSource ? `source_${t.testName}` : t.testName;
    if (t.namespace) type = `${t.namespace}_${type}`;
    const s = synthesizeTestNames(type, t.targetName, t.args);
    name = s.full;
    shortName = s.short;
  }
  const metadata = { namespace: t.namespace ?? null, name: t.testName, kwargs: { ...t.args, model: t.modelArg } };
  const suffix = md5(name + hashableRepr(metadata)).slice(-10);
  return { name, shortName, uniqueId: `test.${t.packageName}.${name}.${suffix}` };
}
