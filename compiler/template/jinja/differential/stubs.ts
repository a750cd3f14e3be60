/**
 * The small dbt context that the differential test gives both sides for package macros and
 * project models: the mirror, one for one, of stub_context() in render.py. Keep both tiny and
 * identical (the real dbt context members are another issue's).
 */
import { PY_STR, PyError, splitArgs } from '../values.js';

export const STUB_VARS: Record<string, unknown> = {
  min_years_of_exp: 20,
  max_years_of_exp: 50,
  top_ranks: 5,
  persist_targets: 'postgres, hive',
  'dbt_date:time_zone': 'America/Los_Angeles',
};

const TYPE_LABELS: Record<string, string> = {
  STRING: 'TEXT',
  TIMESTAMP: 'TIMESTAMP',
  FLOAT: 'FLOAT',
  INTEGER: 'INT',
  BOOLEAN: 'BOOLEAN',
};

/** Macro namespaces by package name: macro name -> callable. */
export type Namespaces = Map<string, Map<string, unknown>>;

function compilationError(msg: string): PyError {
  return new PyError('CompilationError', msg);
}

function arg(pos: unknown[], kw: Map<string, unknown>, i: number, name: string): unknown {
  return kw.has(name) ? kw.get(name) : pos[i];
}

/** What ref() and source() give: a mapping (dbt_utils checks metadata.type) printing as its quoted name. */
function relation(database: string, schema: string, identifier: string): Map<string, unknown> {
  const m = new Map<string, unknown>([
    ['database', database],
    ['schema', schema],
    ['identifier', identifier],
    ['metadata', new Map([['type', 'BaseRelation']])],
  ]);
  Object.defineProperty(m, PY_STR, { value: () => `"${database}"."${schema}"."${identifier}"` });
  return m;
}

/**
 * adapter.dispatch resolves `duckdb__name`, then `default__name`, in the root project (`root`: the
 * case's top-level packages), then in the macro namespace named, then in the `dbt` package.
 */
export function stubContext(packages: Namespaces, root: readonly string[]): Record<string, unknown> {
  const adapter = {
    dispatch: (...args: unknown[]): unknown => {
      const { pos, kw } = splitArgs(args);
      const macroName = String(arg(pos, kw, 0, 'macro_name'));
      const namespace = arg(pos, kw, 1, 'macro_namespace');
      for (const pkg of [...root, typeof namespace === 'string' && namespace !== '' ? namespace : 'dbt', 'dbt']) {
        const ns = packages.get(pkg) ?? new Map<string, unknown>();
        for (const prefix of ['duckdb__', 'default__']) {
          if (ns.has(prefix + macroName)) return ns.get(prefix + macroName);
        }
      }
      throw compilationError(
        `In dispatch: No macro named '${macroName}' found within namespace: '${namespace === undefined || namespace === null ? 'None' : String(namespace)}'`,
      );
    },
    quote: (identifier: unknown): string => `"${String(identifier)}"`,
    type: (): string => 'duckdb',
  };
  return {
    adapter,
    api: {
      Column: {
        translate_type: (dtype: unknown): string => TYPE_LABELS[String(dtype).toUpperCase()] ?? String(dtype),
        numeric_type: (dtype: unknown, precision: unknown, scale: unknown): unknown =>
          precision === null || precision === undefined || scale === null || scale === undefined
            ? dtype
            : `${String(dtype)}(${String(precision)},${String(scale)})`,
      },
    },
    load_result: (): null => null,
    target: { type: 'duckdb', name: 'dev', database: 'db', schema: 'main', threads: 1, profile_name: 'tx' },
    execute: false,
    exceptions: {
      raise_compiler_error: (msg: unknown): never => {
        throw compilationError(String(msg));
      },
      warn: (): string => '',
    },
    model: { name: 'my_model', package_name: 'my_project', unique_id: 'model.my_project.my_model' },
    this: '"db"."main"."my_model"',
    ref: (...args: unknown[]): Map<string, unknown> => {
      const { pos } = splitArgs(args);
      return relation('db', 'main', String(pos[pos.length - 1]));
    },
    source: (sourceName: unknown, tableName: unknown): Map<string, unknown> => relation('db', String(sourceName), String(tableName)),
    config: (): string => '',
    var: (...args: unknown[]): unknown => {
      const { pos, kw } = splitArgs(args);
      const name = String(arg(pos, kw, 0, 'name'));
      if (Object.hasOwn(STUB_VARS, name)) return STUB_VARS[name];
      if (pos.length > 1 || kw.has('default')) return arg(pos, kw, 1, 'default');
      throw compilationError(`Required var '${name}' not found in config`);
    },
    // tx's literal() (a value as a SQL literal), for the example project's models
    literal: (value: unknown): string => (typeof value === 'string' ? `'${value.replace(/'/g, "''")}'` : String(value)),
  };
}
