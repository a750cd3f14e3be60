/**
 * dbt's run-time context members for templates: `adapter` (dispatch, quote, introspection),
 * `api.Relation` / `api.Column`, `execute`, `statement` results (`store_result`/`load_result`),
 * `graph` and `exceptions`. Introspection reaches the warehouse through a synchronous bridge
 * (compiler/run/sync-warehouse.ts) because templates render synchronously; while a project is
 * parsed (`execute` false) it answers as dbt's parse does: nothing found, no rows.
 */
import { TxError } from '../errors.js';
import type { ColumnInfo, Dialect, Relation } from '../../targets/target.js';
import type { TemplateEngine } from '../template/template-engine.js';
import { makeTuple, PY_REPR, PY_STR } from '../template/jinja/values.js';
import { pyStr } from '../template/jinja/py.js';
import { DbtRelation, splitArgs } from './template-context.js';
import { dbtExceptions } from './dbt-exceptions.js';
import { alterColumnTypeSql, stringExpansions } from '../../targets/string-expansion.js';

/** The warehouse as templates see it at run time: synchronous calls. */
export interface WarehouseBridge {
  query(sql: string): { columns: string[]; rows: unknown[][]; rowsAffected?: number };
  execute(sql: string): { rowsAffected?: number };
  columns(relation: Relation): ColumnInfo[];
  /** 'table' | 'view' when the relation exists, else null. */
  relationType(relation: Relation): string | null;
  drop(relation: Relation): void;
  createSchema(relation: Relation): void;
}

/** What changes between parse and run: `execute`, the bridge, statement results of the node being rendered. */
export interface DbtRuntime {
  execute: boolean;
  bridge?: WarehouseBridge;
  /** At run time: opens the bridge for hooks and one-off strings (set by useWarehouse). */
  openBridge?: () => WarehouseBridge;
  results: Map<string, unknown>;
  /** Set when a render read `execute` or asked the warehouse: that node renders again when it runs. */
  introspected: boolean;
}

/** The adapter prefixes dispatch tries, in order (dbt: the adapter, its parents, then default). */
export function adapterPrefixes(type: string): string[] {
  if (type === 'hive') return ['spark', 'default'];
  return [type, 'default'];
}

/** dbt's Column: name, dtype and the helpers macros call (is_string, data_type, quoted, ...). */
export class DbtColumn {
  constructor(
    readonly column: string,
    readonly dtype: string,
    private readonly quoteFn: (s: string) => string,
    readonly char_size: number | null = null,
    readonly numeric_precision: number | null = null,
    readonly numeric_scale: number | null = null,
    /** the adapter's Column class: duckdb and postgres as dbt-duckdb / dbt-postgres write data_type */
    private readonly adapter?: string,
  ) {}
  get name(): string {
    return this.column;
  }
  get quoted(): string {
    return this.quoteFn(this.column);
  }
  get data_type(): string {
    // dbt's Column: a string is character varying(size), 256 when the size is not known; PostgresColumn
    // keeps text and an unsized character varying as they are
    if (this.is_string() && this.adapter === 'postgres' && (this.dtype.toLowerCase() === 'text' || (this.dtype.toLowerCase() === 'character varying' && this.char_size == null))) return this.dtype;
    if (this.is_string() && (this.char_size != null || this.adapter === 'duckdb' || this.adapter === 'postgres')) return `character varying(${this.string_size()})`;
    if (this.is_numeric() && this.numeric_precision != null && this.numeric_scale != null) return `${this.dtype}(${this.numeric_precision},${this.numeric_scale})`;
    return this.dtype;
  }
  is_string(): boolean {
    return ['text', 'character varying', 'character', 'varchar', 'string'].includes(this.dtype.toLowerCase().replace(/\(.*$/, '').trim());
  }
  is_number(): boolean {
    return this.is_integer() || this.is_float() || this.is_numeric();
  }
  is_integer(): boolean {
    return ['smallint', 'integer', 'bigint', 'smallserial', 'serial', 'bigserial', 'int2', 'int4', 'int8', 'int', 'tinyint', 'hugeint', 'ubigint', 'uinteger', 'usmallint', 'utinyint'].includes(this.dtype.toLowerCase());
  }
  is_float(): boolean {
    return ['real', 'float4', 'float', 'double precision', 'float8', 'double'].includes(this.dtype.toLowerCase());
  }
  is_numeric(): boolean {
    return ['numeric', 'decimal'].includes(this.dtype.toLowerCase().replace(/\(.*$/, '').trim());
  }
  string_size(): number {
    if (!this.is_string()) throw new TxError('TEMPLATE', 'Called string_size() on non-string field!');
    return this.dtype === 'text' ? 256 : (this.char_size ?? 256);
  }
  /** dbt's Column.can_expand_to; SparkColumn's (dbt-spark) is true for any two strings. */
  can_expand_to(...args: unknown[]): boolean {
    const { pos, kw } = splitArgs(args);
    const other = (pos[0] ?? kw.other_column) as DbtColumn;
    if (!this.is_string() || !other?.is_string?.()) return false;
    return this.adapter === 'hive' || other.string_size() > this.string_size();
  }
  [PY_STR](): string {
    return `<Column ${this.column} (${this.dtype})>`;
  }
  [PY_REPR](): string {
    return `<Column ${this.column} (${this.dtype})>`;
  }
}

/** `api.Column`: the type names macros ask for (translate_type('string') is `text`, as in dbt). */
export function columnApi(type: string): Record<string, unknown> {
  const labels: Record<string, string> = type === 'hive' ? { LONG: 'BIGINT' } : { STRING: 'TEXT' };
  const translate = (t: unknown) => labels[String(t).toUpperCase()] ?? String(t);
  return {
    translate_type: translate,
    numeric_type: (dtype: unknown, precision: unknown, scale: unknown) => (precision == null || scale == null ? String(dtype) : `${pyStr(dtype)}(${pyStr(precision)},${pyStr(scale)})`),
    string_type: (size: unknown) => `character varying(${pyStr(size)})`,
    create: (name: unknown, t: unknown) => new DbtColumn(String(name), translate(t), (s) => s),
  };
}

/** An agate table as macros read it: columns by index or name with values(), rows by index or attribute. */
export function agateTable(columns: string[], rows: unknown[][]): Record<string, unknown> {
  const named = <T>(items: T[], names: string[]): T[] => {
    const arr = [...items];
    names.forEach((n, i) => {
      if (!/^\d+$/.test(n) && !(n in arr)) Object.defineProperty(arr, n, { value: items[i], enumerable: false });
    });
    return arr;
  };
  const rowObjs = rows.map((r) => makeTuple(named(r, columns)));
  const colObjs = columns.map((name, i) => ({ name, values: () => makeTuple(rows.map((r) => r[i])) }));
  const cols = named(colObjs, columns);
  for (const [k, v] of Object.entries({
    keys: () => [...columns],
    values: () => [...colObjs],
    items: () => colObjs.map((c) => makeTuple([c.name, c])),
  })) {
    Object.defineProperty(cols, k, { value: v, enumerable: false });
  }
  // iterating a table gives its rows, as agate's Table does
  const table = [...rowObjs];
  for (const [k, v] of Object.entries({ columns: cols, rows: rowObjs, column_names: makeTuple([...columns]), print_table: () => '' })) {
    Object.defineProperty(table, k, { value: v, enumerable: false });
  }
  return table as unknown as Record<string, unknown>;
}

interface ContextOptions {
  engine: TemplateEngine;
  dialect: Dialect;
  targetType: string;
  rootProject: string;
  /** Packages installed (names), for dispatch's search order. */
  packages: string[];
  dispatch: { macroNamespace: string; searchOrder: string[] }[];
  rootMacros: Set<string>;
  runtime: DbtRuntime;
  log: (msg: string, info: boolean) => void;
  /** dbt's `graph` (nodes, sources), built when first read. */
  graph: () => Record<string, unknown>;
}

/** Install dbt's context members on the engine's globals. */
export function installDbtContext(o: ContextOptions): void {
  const { engine, dialect, runtime: rt } = o;
  const quote = (s: string) => dialect.quoteIdentifier(s);
  const relation = (r: Relation, type: string | null = null) => new DbtRelation(r, dialect, type);
  const asRelation = (x: unknown): Relation => {
    const r = x as { database?: unknown; schema?: unknown; identifier?: unknown };
    if (!r || typeof r !== 'object' || r.identifier == null) throw new TxError('TEMPLATE', `expected a relation, got ${pyStr(x)}`);
    return { database: r.database == null ? undefined : String(r.database), schema: String(r.schema ?? ''), identifier: String(r.identifier) };
  };
  /** Warehouse access: marks the node for run-time rendering; null at parse time. */
  const warehouse = (): WarehouseBridge | null => {
    rt.introspected = true;
    if (!rt.execute) return null;
    return rt.bridge ?? rt.openBridge?.() ?? null;
  };

  Object.defineProperty(engine.env.globals, 'execute', {
    configurable: true,
    enumerable: true,
    get: () => {
      rt.introspected = true;
      return rt.execute;
    },
  });

  // ---- dispatch, with dbt's search order (dbt-core providers.py BaseDatabaseWrapper.dispatch)
  const prefixes = adapterPrefixes(o.targetType);
  const lookup = (pkg: string | null, name: string): ((...a: unknown[]) => unknown) | undefined => {
    if (pkg === null) return engine.macroOf(null, name);
    if (pkg === o.rootProject) return o.rootMacros.has(name) ? (engine.getGlobal(name) as (...a: unknown[]) => unknown) : undefined;
    return engine.macroOf(pkg, name);
  };
  const dependencies = new Set(['dbt', o.rootProject, ...o.packages]);
  /** The macro dispatch finds for `name` in namespace `ns`, and the names it tried. */
  const resolve = (name: string, ns: string | null): { macro?: (...a: unknown[]) => unknown; attempts: string[] } => {
    let search: (string | null)[];
    if (ns == null) search = [null];
    else {
      const configured = o.dispatch.find((d) => d.macroNamespace === ns)?.searchOrder;
      search = configured ?? (dependencies.has(ns) ? [o.rootProject, ns] : [ns]);
    }
    const attempts: string[] = [];
    for (const pkg of search) {
      for (const prefix of prefixes) {
        const n = `${prefix}__${name}`;
        const m = lookup(pkg, n);
        attempts.push(pkg === null ? n : `${pkg}.${n}`);
        if (m) return { macro: m, attempts };
      }
    }
    return { attempts };
  };
  const dispatch = (...args: unknown[]): unknown => {
    const { pos, kw } = splitArgs(args);
    const name = String(pos[0] ?? kw.macro_name);
    const ns = (pos[1] ?? kw.macro_namespace ?? null) as string | null;
    if (name.includes('.')) {
      throw new TxError('TEMPLATE', `In adapter.dispatch, got a macro name of "${name}", but "." is not a valid macro name component. Did you mean \`adapter.dispatch("${name.split('.').pop()}", macro_namespace="${name.split('.')[0]}")\`?`);
    }
    if (pos[2] != null || kw.packages != null) throw new TxError('TEMPLATE', 'adapter.dispatch: the `packages` argument was removed in dbt 1.0; use the `dispatch:` config in dbt_project.yml');
    const { macro, attempts } = resolve(name, ns);
    if (macro) return macro;
    throw new TxError('TEMPLATE', `In dispatch: No macro named '${name}' found within namespace: '${ns ?? 'None'}'\n    Searched for: ${attempts.map((a) => `'${a}'`).join(', ')}`, {
      hint: ns ? `define ${prefixes.map((p) => `${p}__${name}`).join(' or ')} in package \`${ns}\` or in this project (with a dispatch: search_order naming it)` : undefined,
    });
  };

  const getRelation = (...args: unknown[]): unknown => {
    const { pos, kw } = splitArgs(args);
    const database = pos[0] ?? kw.database;
    const schema = pos[1] ?? kw.schema;
    const identifier = pos[2] ?? kw.identifier;
    const w = warehouse();
    if (!w) return null;
    const r: Relation = { database: database == null ? undefined : String(database), schema: String(schema), identifier: String(identifier) };
    const type = w.relationType(r);
    return type ? relation(r, type) : null;
  };
  const runExecute = (sql: string, fetch: boolean): unknown[] => {
    const w = warehouse();
    if (!w) return [{ _message: 'OK', code: 'OK', rows_affected: -1 }, agateTable([], [])];
    if (fetch) {
      const r = w.query(sql);
      return [{ _message: `SELECT ${r.rows.length}`, code: 'SELECT', rows_affected: r.rows.length }, agateTable(r.columns, r.rows)];
    }
    const r = w.execute(sql);
    return [{ _message: 'OK', code: 'OK', rows_affected: r.rowsAffected ?? -1 }, agateTable([], [])];
  };

  const adapter = {
    dispatch,
    quote: (s: unknown) => quote(String(s)),
    type: () => o.targetType,
    quote_as_configured: (s: unknown) => quote(String(s)),
    quote_seed_column: (s: unknown, q: unknown) => (q === false ? String(s) : quote(String(s))),
    get_relation: getRelation,
    load_relation: (r: unknown) => {
      const rel = asRelation(r);
      return getRelation(rel.database ?? null, rel.schema, rel.identifier);
    },
    get_columns_in_relation: (r: unknown) => {
      const w = warehouse();
      if (!w) return [];
      return w.columns(asRelation(r)).map((c) => columnOf(c, quote, o.targetType));
    },
    get_missing_columns: (from: unknown, to: unknown) => {
      const w = warehouse();
      if (!w) return [];
      const have = new Set(w.columns(asRelation(to)).map((c) => c.name.toLowerCase()));
      return w.columns(asRelation(from)).filter((c) => !have.has(c.name.toLowerCase())).map((c) => columnOf(c, quote, o.targetType));
    },
    // dbt-adapters SQLAdapter.expand_column_types: widen the target's strings that are narrower than the goal's,
    // through the project's `alter_column_type` macro when it has one (as dbt's execute_macro finds it), else
    // dbt's default__alter_column_type statements
    expand_target_column_types: (...args: unknown[]) => {
      const { pos, kw } = splitArgs(args);
      const from = asRelation(pos[0] ?? kw.from_relation);
      const to = asRelation(pos[1] ?? kw.to_relation);
      // dbt-spark: DESCRIBE's type names are never strings by Column's rules, nothing is altered
      // returns None, as dbt's does
      if (o.targetType === 'hive') return null;
      const w = warehouse();
      if (!w) return null;
      for (const e of stringExpansions(w.columns(to), w.columns(from), o.targetType)) {
        const own = o.rootMacros.has('alter_column_type') ? (engine.getGlobal('alter_column_type') as (...a: unknown[]) => unknown) : resolve('alter_column_type', 'dbt').macro;
        if (own) own(relation(to, 'table'), e.name, e.to);
        else for (const sql of alterColumnTypeSql(dialect.relationName(to), e.name, e.to, quote)) w.execute(sql);
      }
      return null;
    },
    drop_relation: (r: unknown) => {
      const w = warehouse();
      if (w) w.drop(asRelation(r));
      return '';
    },
    create_schema: (r: unknown) => {
      const w = warehouse();
      if (w) w.createSchema(asRelation(r));
      return '';
    },
    execute: (...args: unknown[]) => {
      const { pos, kw } = splitArgs(args);
      return makeTuple(runExecute(String(pos[0] ?? kw.sql), Boolean(pos[2] ?? kw.fetch ?? false)));
    },
    commit: () => '',
    already_exists: (schema: unknown, identifier: unknown) => getRelation(null, schema, identifier) !== null,
  };
  engine.setGlobal('adapter', adapter);
  engine.setGlobal('load_relation', adapter.load_relation);
  engine.setGlobal('api', {
    Relation: {
      create: (...args: unknown[]) => {
        const { pos, kw } = splitArgs(args);
        const database = pos[0] ?? kw.database;
        const schema = pos[1] ?? kw.schema;
        const identifier = pos[2] ?? kw.identifier;
        const type = (pos[3] ?? kw.type ?? null) as string | null;
        return relation({ database: database == null ? undefined : String(database), schema: schema == null ? '' : String(schema), identifier: String(identifier ?? '') }, type);
      },
      add_ephemeral_prefix: (name: unknown) => `__dbt__cte__${String(name)}`,
    },
    Column: columnApi(o.targetType),
  });

  engine.setGlobal('store_result', (...args: unknown[]) => {
    const { pos, kw } = splitArgs(args);
    const table = (kw.agate_table ?? pos[2] ?? agateTable([], [])) as Record<string, unknown>;
    rt.results.set(String(pos[0] ?? kw.name), { response: kw.response ?? pos[1] ?? null, table, data: [...(table.rows as unknown[])].map((r) => makeTuple([...(r as unknown[])])) });
    return '';
  });
  engine.setGlobal('store_raw_result', (...args: unknown[]) => {
    const { pos, kw } = splitArgs(args);
    const table = (kw.agate_table ?? agateTable([], [])) as Record<string, unknown>;
    rt.results.set(String(pos[0] ?? kw.name), { response: { _message: kw.message ?? 'OK', code: kw.code ?? 'OK', rows_affected: kw.rows_affected ?? -1 }, table, data: [] });
    return '';
  });
  engine.setGlobal('load_result', (name: unknown) => rt.results.get(String(name)) ?? null);
  engine.setGlobal('write', () => '');
  Object.defineProperty(engine.env.globals, 'graph', { configurable: true, enumerable: true, get: () => o.graph() });

  const exceptions = dbtExceptions(o.log);
  engine.setGlobal('exceptions', exceptions);
  engine.setGlobal('raise_compiler_error', exceptions.raise_compiler_error);
}

function columnOf(col: ColumnInfo, quote: (s: string) => string, targetType?: string): DbtColumn {
  // dbt-postgres reads information_schema.columns: its type names are lower-case (`integer`, `double precision`)
  const c = targetType === 'postgres' ? { ...col, type: col.type.toLowerCase() } : col;
  const m = /^(.*?)\s*\((\d+)(?:\s*,\s*(\d+))?\)\s*$/.exec(c.type);
  const base = m ? m[1]! : c.type;
  const lower = base.toLowerCase();
  if (m && /char|string|text/.test(lower)) return new DbtColumn(c.name, base, quote, Number(m[2]), null, null, targetType);
  // dbt-duckdb (information_schema's data_type) and dbt-spark (DESCRIBE's) keep DECIMAL(p,s) whole as the dtype
  if (m && /numeric|decimal/.test(lower) && targetType !== 'duckdb' && targetType !== 'hive') return new DbtColumn(c.name, base, quote, null, Number(m[2]), m[3] == null ? 0 : Number(m[3]), targetType);
  return new DbtColumn(c.name, c.type, quote, null, null, null, targetType);
}
