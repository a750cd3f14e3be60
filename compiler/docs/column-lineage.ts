/**
 * Column-level lineage: for each output column of a model, the upstream
 * columns (of other project nodes) its value comes from.
 *
 * The compiled SQL is parsed by DuckDB (`json_serialize_sql` returns the
 * parser's syntax tree as JSON, with no need for the tables to exist), and the
 * tree is walked with scopes: CTEs, derived tables, aliases, `*` (with
 * EXCLUDE/REPLACE), joins (USING), set operations, scalar subqueries, window
 * functions and lambdas. A column is traced only when every reference in its
 * expression resolves with certainty; otherwise it is reported as untraced
 * with the reason, and nothing is guessed.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { catalogView, type Catalog, type Manifest, type ManifestNode } from './manifest-types.js';

export interface UpstreamColumn {
  node: string;
  column: string;
}

/** How the value relates to its upstream columns. */
export type Transform = 'identity' | 'expression' | 'constant';

export interface ColumnLineage {
  name: string;
  /** Upstream columns this column's value is computed from (sorted). Certain ones only. */
  depends_on: UpstreamColumn[];
  transform: Transform;
  /** Present when the column cannot be fully traced: why. `depends_on` then lists what is certain. */
  untraced?: string;
}

export interface ModelLineage {
  /** Output columns of the SELECT, in order, when they could all be named. */
  columns: ColumnLineage[];
  /** False when `*` over a relation with unknown columns (or similar) leaves the column list open. */
  complete: boolean;
  /** Whole-statement problem (parse error, not a SELECT). */
  error?: string;
}

// ---------------------------------------------------------------------------------------------
// Internal representation while walking a statement.

type Json = Record<string, unknown>;

interface Info {
  deps: Map<string, UpstreamColumn>;
  transform: Transform;
  problems: string[];
}

interface OutCol {
  name: string;
  info: Info;
}

interface Relation {
  columns: OutCol[];
  /** False: more columns may exist than `columns` lists. */
  complete: boolean;
  problems: string[];
}

interface Binding {
  /** Lower-case alias (or table name) used to qualify columns. */
  alias: string;
  /** Lower-case `schema.table` for `schema.table.column` references to base tables. */
  qualified?: string;
  /** A project node read directly: a qualified column resolves to node.column with certainty. */
  node?: string;
  rel: Relation;
  /** When references into this binding cannot be traced (table function, unknown table). */
  opaque?: string;
}

interface Scope {
  bindings: Binding[];
  /** Columns merged by JOIN ... USING, lower-case name → binding indexes that share it. */
  using: Map<string, number[]>;
  parent?: Scope;
  /** Earlier select-list aliases (DuckDB lets later items use them). */
  aliases?: Map<string, Info>;
  /** Lambda parameters in effect. */
  lambdaParams?: Set<string>;
}

interface Env {
  ctes: Map<string, Relation>;
}

const lc = (s: string) => s.toLowerCase();
const key = (u: UpstreamColumn) => `${u.node}\u0000${u.column}`;

function info(transform: Transform, deps: UpstreamColumn[] = [], problems: string[] = []): Info {
  return { deps: new Map(deps.map((d) => [key(d), d])), transform, problems };
}

function merge(parts: Info[], transform: Transform): Info {
  const out = info(transform);
  for (const p of parts) {
    for (const [k, v] of p.deps) out.deps.set(k, v);
    for (const pr of p.problems) if (!out.problems.includes(pr)) out.problems.push(pr);
  }
  return out;
}

/** Known columns of project nodes: name → ordered column list (complete or not). */
export interface NodeColumns {
  columns: string[];
  complete: boolean;
}

/** Find the project node a `schema.table` (or bare `table`) reference names. */
class RelationIndex {
  private readonly byQualified = new Map<string, string>();
  private readonly byName = new Map<string, string[]>();

  constructor(nodes: ManifestNode[], private readonly defaultSchema: string) {
    for (const n of nodes) {
      if (!n.schema || !(n.alias ?? n.identifier)) continue;
      const ident = lc(n.alias ?? n.identifier ?? n.name);
      this.byQualified.set(`${lc(n.schema)}.${ident}`, n.unique_id);
      if (n.database) this.byQualified.set(`${lc(n.database)}.${lc(n.schema)}.${ident}`, n.unique_id);
      this.byName.set(ident, [...(this.byName.get(ident) ?? []), n.unique_id]);
    }
  }

  find(catalog: string, schema: string, table: string): string | undefined {
    const t = lc(table);
    if (catalog && schema) return this.byQualified.get(`${lc(catalog)}.${lc(schema)}.${t}`);
    if (schema) return this.byQualified.get(`${lc(schema)}.${t}`);
    return this.byQualified.get(`${lc(this.defaultSchema)}.${t}`);
  }
}

// ---------------------------------------------------------------------------------------------

class StatementWalker {
  constructor(
    private readonly relations: RelationIndex,
    private readonly known: Map<string, NodeColumns>,
    private readonly self: string,
  ) {}

  /** A query node (SELECT_NODE / SET_OPERATION_NODE / ...) → its output relation. */
  query(node: Json, env: Env, outer: Scope | undefined): Relation {
    const ctes = new Map(env.ctes);
    const cteMap = (node.cte_map as { map?: { key: string; value: Json }[] } | undefined)?.map ?? [];
    for (const { key: name, value } of cteMap) {
      const q = (value.query as Json | undefined)?.node as Json | undefined;
      if (!q) {
        ctes.set(lc(name), { columns: [], complete: false, problems: [`CTE \`${name}\` has no query`] });
        continue;
      }
      // a recursive CTE reads itself: give it an opaque placeholder while walking its body
      ctes.set(lc(name), { columns: [], complete: false, problems: [`\`${name}\` is recursive`] });
      let rel = this.query(q, { ctes }, outer);
      const aliases = (value.aliases as string[] | undefined) ?? [];
      if (aliases.length) rel = renameColumns(rel, aliases);
      ctes.set(lc(name), rel);
    }
    const inner: Env = { ctes };
    switch (node.type) {
      case 'SELECT_NODE':
        return this.select(node, inner, outer);
      case 'SET_OPERATION_NODE':
        return this.setOperation(node, inner, outer);
      default:
        return { columns: [], complete: false, problems: [`unsupported query form ${String(node.type)}`] };
    }
  }

  private setOperation(node: Json, env: Env, outer: Scope | undefined): Relation {
    const branches: Json[] = [];
    if (Array.isArray(node.children)) branches.push(...(node.children as Json[]));
    else branches.push(node.left as Json, node.right as Json);
    const rels = branches.map((b) => this.query(b, env, outer));
    const first = rels[0]!;
    const byName = String(node.setop_type ?? '').includes('BY_NAME');
    const columns: OutCol[] = first.columns.map((c, i) => {
      const parts = rels.map((r) => (byName ? r.columns.find((x) => lc(x.name) === lc(c.name)) : r.columns[i]));
      const present = parts.filter((p): p is OutCol => !!p);
      const missing = parts.length - present.length;
      const m = merge(
        present.map((p) => p.info),
        present.every((p) => p.info.transform === 'constant') ? 'constant' : present.length === 1 && present[0]!.info.transform === 'identity' ? 'identity' : 'expression',
      );
      if (missing) m.problems.push(`a branch of the ${String(node.setop_type).toLowerCase()} has no column ${byName ? `\`${c.name}\`` : `#${i + 1}`}`);
      // several branches each passing a column through is still a plain copy of one of them
      if (present.length > 1 && present.every((p) => p.info.transform === 'identity')) m.transform = 'identity';
      return { name: c.name, info: m };
    });
    return { columns, complete: rels.every((r) => r.complete), problems: rels.flatMap((r) => r.problems) };
  }

  private select(node: Json, env: Env, outer: Scope | undefined): Relation {
    const scope: Scope = { bindings: [], using: new Map(), parent: outer, aliases: new Map() };
    const problems: string[] = [];
    this.from(node.from_table as Json | null, env, scope, outer, problems);
    const columns: OutCol[] = [];
    let complete = true;
    for (const item of (node.select_list as Json[]) ?? []) {
      if (item.class === 'STAR' && !item.expr) {
        const star = this.star(item, scope, env);
        if (!star.complete) complete = false;
        problems.push(...star.problems);
        columns.push(...star.columns);
        continue;
      }
      if (item.class === 'STAR') {
        complete = false;
        problems.push('`COLUMNS(...)` picks columns by pattern; they are not traced');
        continue;
      }
      const i = this.expr(item, scope, env);
      const name = outputName(item);
      columns.push({ name, info: i });
      if (item.alias) scope.aliases!.set(lc(String(item.alias)), i);
    }
    return { columns, complete, problems };
  }

  /** `*`, `t.*`, with EXCLUDE / REPLACE / RENAME. */
  private star(item: Json, scope: Scope, env: Env): Relation {
    const relName = item.relation_name ? lc(String(item.relation_name)) : '';
    const exclude = new Set(
      ((item.exclude_list as unknown[]) ?? []).map((e) => lc(typeof e === 'string' ? e : ((e as { column_names?: string[] }).column_names ?? []).slice(-1)[0] ?? String(e))),
    );
    const replace = new Map<string, Json>();
    for (const r of (item.replace_list as { key?: string; value?: Json }[]) ?? []) if (r.key && r.value) replace.set(lc(r.key), r.value);
    const rename = new Map<string, string>();
    for (const r of (item.rename_list as { key?: unknown; value?: string }[]) ?? []) {
      const k = typeof r.key === 'string' ? r.key : ((r.key as { column_names?: string[] })?.column_names ?? []).slice(-1)[0];
      if (k && r.value) rename.set(lc(k), r.value);
    }
    const bindings = relName ? scope.bindings.filter((b) => b.alias === relName || b.qualified === relName) : scope.bindings;
    if (relName && !bindings.length) return { columns: [], complete: false, problems: [`\`${relName}.*\` names no table in its FROM`] };
    const out: OutCol[] = [];
    const problems: string[] = [];
    let complete = true;
    const seenUsing = new Set<string>();
    for (const b of bindings) {
      if (b.opaque) {
        complete = false;
        problems.push(`\`*\` over ${b.opaque}`);
        continue;
      }
      if (!b.rel.complete) {
        complete = false;
        problems.push(...(b.rel.problems.length ? b.rel.problems : [`\`*\` over \`${b.alias}\`, whose columns are not known (generate docs with a catalog)`]));
      }
      for (const c of b.rel.columns) {
        const n = lc(c.name);
        if (exclude.has(n)) continue;
        if (!relName && scope.using.has(n)) {
          if (seenUsing.has(n)) continue;
          seenUsing.add(n);
          out.push({ name: c.name, info: this.usingColumn(n, scope) });
          continue;
        }
        const rep = replace.get(n);
        out.push({ name: rename.get(n) ?? c.name, info: rep ? this.expr(rep, scope, env) : c.info });
      }
    }
    return { columns: out, complete, problems };
  }

  private usingColumn(name: string, scope: Scope): Info {
    const idx = scope.using.get(name)!;
    const parts = idx.map((i) => this.lookup(scope.bindings[i]!, name));
    const m = merge(parts, 'expression');
    // both sides hold equal values after an inner join; the column is a copy of the first side
    if (parts.every((p) => p.transform === 'identity')) {
      const first = parts[0]!;
      return { deps: new Map(first.deps), transform: 'identity', problems: m.problems };
    }
    return m;
  }

  private from(t: Json | null, env: Env, scope: Scope, outer: Scope | undefined, problems: string[]): void {
    if (!t) return;
    switch (t.type) {
      case 'EMPTY':
        return;
      case 'BASE_TABLE': {
        const schema = String(t.schema_name ?? '');
        const table = String(t.table_name ?? '');
        const catalog = String(t.catalog_name ?? '');
        const alias = lc(String(t.alias || table));
        const colAliases = (t.column_name_alias as string[] | undefined) ?? [];
        const cte = !schema && !catalog ? env.ctes.get(lc(table)) : undefined;
        if (cte) {
          scope.bindings.push({ alias, rel: colAliases.length ? renameColumns(cte, colAliases) : cte });
          return;
        }
        const node = this.relations.find(catalog, schema, table);
        const shown = [catalog, schema, table].filter(Boolean).join('.');
        if (!node) {
          scope.bindings.push({ alias, qualified: schema ? lc(`${schema}.${table}`) : undefined, rel: { columns: [], complete: false, problems: [] }, opaque: `\`${shown}\`, which is not a node of this project` });
          return;
        }
        if (node === this.self) {
          scope.bindings.push({ alias, rel: { columns: [], complete: false, problems: [] }, opaque: `\`${shown}\`, the model itself (incremental)` });
          return;
        }
        const known = this.known.get(node);
        const cols: OutCol[] = (known?.columns ?? []).map((c) => ({ name: c, info: info('identity', [{ node, column: c }]) }));
        let rel: Relation = { columns: cols, complete: !!known?.complete, problems: [] };
        if (colAliases.length) rel = renameColumns(rel, colAliases);
        scope.bindings.push({ alias, qualified: lc(`${schema || ''}.${table}`), node: colAliases.length ? undefined : node, rel });
        return;
      }
      case 'SUBQUERY': {
        const q = (t.subquery as Json | undefined)?.node as Json | undefined;
        let rel: Relation = q ? this.query(q, env, t.lateral ? scope : outer) : { columns: [], complete: false, problems: ['empty subquery'] };
        const colAliases = (t.column_name_alias as string[] | undefined) ?? [];
        if (colAliases.length) rel = renameColumns(rel, colAliases);
        scope.bindings.push({ alias: lc(String(t.alias || 'unnamed_subquery')), rel });
        return;
      }
      case 'EXPRESSION_LIST': {
        const rows = (t.values as Json[][]) ?? [];
        const width = rows[0]?.length ?? 0;
        const colAliases = (t.column_name_alias as string[] | undefined) ?? [];
        const columns: OutCol[] = [];
        for (let i = 0; i < width; i++) {
          const parts = rows.map((r) => this.expr(r[i]!, scope, env));
          columns.push({ name: colAliases[i] ?? `col${i}`, info: merge(parts, parts.every((p) => p.transform === 'constant') ? 'constant' : 'expression') });
        }
        scope.bindings.push({ alias: lc(String(t.alias || 'valueslist')), rel: { columns, complete: true, problems: [] } });
        return;
      }
      case 'JOIN': {
        this.from(t.left as Json, env, scope, outer, problems);
        const leftCount = scope.bindings.length;
        this.from(t.right as Json, env, scope, outer, problems);
        let usingCols = ((t.using_columns as string[] | undefined) ?? []).map(lc);
        if (t.ref_type === 'NATURAL') {
          const left = scope.bindings.slice(0, leftCount);
          const right = scope.bindings.slice(leftCount);
          if ([...left, ...right].some((b) => b.opaque || !b.rel.complete)) {
            problems.push('NATURAL JOIN over relations whose columns are not all known');
          }
          const ln = new Set(left.flatMap((b) => b.rel.columns.map((c) => lc(c.name))));
          usingCols = [...new Set(right.flatMap((b) => b.rel.columns.map((c) => lc(c.name))))].filter((c) => ln.has(c));
        }
        for (const c of usingCols) {
          const owners = scope.bindings.map((b, i) => (b.rel.columns.some((x) => lc(x.name) === c) || (b.node && !b.rel.complete) ? i : -1)).filter((i) => i >= 0);
          const leftOwner = owners.filter((i) => i < leftCount).slice(-1);
          const rightOwner = owners.filter((i) => i >= leftCount).slice(0, 1);
          const prev = scope.using.get(c);
          const joinType = String(t.join_type ?? 'INNER');
          // value of a USING column: left side (inner/left join), right side (right join), either (full join)
          const sides = joinType === 'RIGHT' ? rightOwner : joinType === 'OUTER' || joinType === 'FULL' ? [...leftOwner, ...rightOwner] : leftOwner;
          scope.using.set(c, prev && joinType !== 'RIGHT' ? prev : sides.length ? sides : [...leftOwner, ...rightOwner]);
        }
        return;
      }
      case 'TABLE_FUNCTION': {
        const fn = (t.function as Json | undefined)?.function_name;
        scope.bindings.push({
          alias: lc(String(t.alias || fn || 'table_function')),
          rel: { columns: [], complete: false, problems: [] },
          opaque: `the table function \`${String(fn)}(...)\``,
        });
        return;
      }
      default:
        scope.bindings.push({ alias: lc(String(t.alias || t.type)), rel: { columns: [], complete: false, problems: [] }, opaque: `a ${String(t.type).toLowerCase().replace(/_/g, ' ')}` });
    }
  }

  /** The value of column `name` read from a binding. */
  private lookup(b: Binding, name: string): Info {
    if (b.opaque) return info('expression', [], [`reads \`${name}\` from ${b.opaque}`]);
    const c = b.rel.columns.find((x) => lc(x.name) === lc(name));
    if (c) return c.info;
    if (b.node) {
      const actual = this.known.get(b.node)?.columns.find((x) => lc(x) === lc(name)) ?? name;
      return info('identity', [{ node: b.node, column: actual }]);
    }
    if (!b.rel.complete) return info('expression', [], [`\`${b.alias}.${name}\` comes from columns that are not known${b.rel.problems.length ? `: ${b.rel.problems.join('; ')}` : ''}`]);
    return info('expression', [], [`\`${b.alias}\` has no column \`${name}\``]);
  }

  private has(b: Binding, name: string): boolean | undefined {
    if (b.rel.columns.some((x) => lc(x.name) === lc(name))) return true;
    if (b.opaque || !b.rel.complete) return undefined;
    return false;
  }

  private findBinding(scope: Scope, alias: string): Binding | undefined {
    for (let s: Scope | undefined = scope; s; s = s.parent) {
      const b = s.bindings.find((x) => x.alias === alias);
      if (b) return b;
    }
    return undefined;
  }

  private columnRef(names: string[], scope: Scope): Info {
    const first = lc(names[0]!);
    if (names.length === 1 && scope.lambdaParams?.has(first)) return info('expression');
    if (names.length >= 2) {
      const b = this.findBinding(scope, first);
      if (b) return this.lookup(b, names[1]!);
      if (names.length >= 3) {
        const q = `${first}.${lc(names[1]!)}`;
        for (let s: Scope | undefined = scope; s; s = s.parent) {
          const qb = s.bindings.find((x) => x.qualified === q);
          if (qb) return this.lookup(qb, names[2]!);
        }
      }
      // `col.field`: a struct field of an unqualified column
      const base = this.unqualified(names[0]!, scope);
      if (!base.problems.length) return { ...base, transform: 'expression' };
      return info('expression', [], [`\`${names.join('.')}\` names no table or column in scope`]);
    }
    return this.unqualified(names[0]!, scope);
  }

  private unqualified(name: string, scope: Scope): Info {
    const n = lc(name);
    for (let s: Scope | undefined = scope; s; s = s.parent) {
      if (s.using.has(n)) return this.usingColumn(n, s);
      if (s.bindings.length === 1) {
        const b = s.bindings[0]!;
        const h = this.has(b, n);
        if (h !== false) {
          // a lone table with unknown columns: the column must be its (or the query fails)
          if (h === undefined && !b.opaque && !b.node && s.aliases?.has(n)) return s.aliases.get(n)!;
          return this.lookup(b, n);
        }
      } else if (s.bindings.length > 1) {
        const verdicts = s.bindings.map((b) => this.has(b, n));
        const yes = s.bindings.filter((_, i) => verdicts[i] === true);
        const maybe = s.bindings.filter((_, i) => verdicts[i] === undefined);
        if (yes.length === 1 && !maybe.length) return this.lookup(yes[0]!, n);
        if (yes.length > 1) return info('expression', [], [`\`${name}\` is ambiguous: ${yes.map((b) => `\`${b.alias}\``).join(', ')} all have it`]);
        if (yes.length + maybe.length > 0) {
          return info('expression', [], [
            `\`${name}\` is not qualified, and it could come from ${[...yes, ...maybe].map((b) => `\`${b.alias}\``).join(' or ')} (columns of ${maybe.map((b) => `\`${b.alias}\``).join(', ')} not known)`,
          ]);
        }
      }
      if (s.aliases?.has(n)) return s.aliases.get(n)!;
    }
    return info('expression', [], [`\`${name}\` names no column in scope`]);
  }

  /** The value of an expression: which upstream columns feed it. */
  expr(e: Json, scope: Scope, env: Env): Info {
    switch (e.class) {
      case 'COLUMN_REF': {
        const r = this.columnRef((e.column_names as string[]) ?? [], scope);
        return r;
      }
      case 'CONSTANT':
        return info('constant');
      case 'PARAMETER':
        return info('constant');
      case 'CAST': {
        const inner = this.expr(e.child as Json, scope, env);
        return { ...inner, transform: inner.transform === 'constant' ? 'constant' : 'expression' };
      }
      case 'SUBQUERY': {
        const q = (e.subquery as Json | undefined)?.node as Json | undefined;
        const parts: Info[] = [];
        if (e.child) parts.push(this.expr(e.child as Json, scope, env));
        if (q) {
          const rel = this.query(q, env, scope);
          parts.push(...rel.columns.map((c) => c.info));
          if (!rel.complete) parts.push(info('expression', [], rel.problems.length ? rel.problems : ['a subquery with unknown columns']));
        }
        return merge(parts, 'expression');
      }
      case 'LAMBDA': {
        const params = new Set<string>();
        const collect = (x: unknown): void => {
          if (!x || typeof x !== 'object') return;
          const j = x as Json;
          if (j.class === 'COLUMN_REF') params.add(lc(((j.column_names as string[]) ?? []).join('.')));
          for (const v of Object.values(j)) if (v && typeof v === 'object') collect(v);
        };
        const lhs = e.lhs as Json | undefined;
        if (lhs) collect(lhs);
        for (const p of (e.parameters as string[] | undefined) ?? []) params.add(lc(p));
        const inner: Scope = { ...scope, lambdaParams: new Set([...(scope.lambdaParams ?? []), ...params]) };
        return merge([this.expr((e.expr as Json) ?? {}, inner, env)], 'expression');
      }
      case 'STAR':
        // count(*) and the like: no column is read
        if (e.expr || e.columns) return info('expression', [], ['`COLUMNS(...)` inside an expression is not traced']);
        return info('expression');
      default: {
        const parts: Info[] = [];
        walkChildren(e, (child) => parts.push(this.expr(child, scope, env)));
        const allConst = parts.length > 0 && parts.every((p) => p.transform === 'constant') && e.class !== 'FUNCTION' && e.class !== 'WINDOW';
        return merge(parts, allConst ? 'constant' : 'expression');
      }
    }
  }
}

/** Visit the sub-expressions of an expression node (whatever its class). */
function walkChildren(e: Json, visit: (child: Json) => void): void {
  for (const [k, v] of Object.entries(e)) {
    if (k === 'cast_type' || k === 'value' || k === 'type' || k === 'class') continue;
    if (Array.isArray(v)) {
      for (const x of v) visitValue(x, visit);
    } else visitValue(v, visit);
  }
}

function visitValue(v: unknown, visit: (child: Json) => void): void {
  if (!v || typeof v !== 'object') return;
  if (Array.isArray(v)) {
    for (const x of v) visitValue(x, visit);
    return;
  }
  const j = v as Json;
  if (typeof j.class === 'string') visit(j);
  else walkChildren(j, visit); // wrappers such as ORDER BY items ({type, expression}) and CASE checks
}

function renameColumns(rel: Relation, names: string[]): Relation {
  return { ...rel, columns: rel.columns.map((c, i) => (i < names.length ? { name: names[i]!, info: c.info } : c)) };
}

/** DuckDB's name for an unaliased select item: a column keeps its name; others are unnamed here. */
function outputName(item: Json): string {
  if (item.alias) return String(item.alias);
  if (item.class === 'COLUMN_REF') return ((item.column_names as string[]) ?? []).slice(-1)[0] ?? '?';
  return '';
}

// ---------------------------------------------------------------------------------------------

/** Parse many statements with DuckDB at once: text → syntax tree JSON (or a parse error). */
export async function parseStatements(sqls: string[]): Promise<(Json | { error: string })[]> {
  if (!sqls.length) return [];
  const inst = await DuckDBInstance.create(':memory:');
  // Two connections each take the next batch: one query is one thread in DuckDB, and the
  // JSON of one batch is parsed here while the other batch is serialized.
  const conns = [await inst.connect(), await inst.connect()];
  try {
    const out: (Json | { error: string })[] = new Array(sqls.length);
    const BATCH = 500;
    let next = 0;
    const work = async (conn: (typeof conns)[number]): Promise<void> => {
      while (next < sqls.length) {
        const from = next;
        next += BATCH;
        const p = await conn.prepare('select json_serialize_sql(unnest($1::varchar[])) as j');
        p.bindList(1, sqls.slice(from, from + BATCH));
        const rows = (await p.runAndReadAll()).getRows();
        rows.forEach(([j], k) => {
          const parsed = JSON.parse(String(j)) as { error: boolean; error_message?: string; statements?: Json[] };
          if (parsed.error) out[from + k] = { error: `DuckDB cannot parse the compiled SQL: ${parsed.error_message ?? 'unknown error'}` };
          else if (parsed.statements?.length !== 1) out[from + k] = { error: `expected one SELECT statement, found ${parsed.statements?.length ?? 0}` };
          else out[from + k] = parsed.statements[0]!;
        });
      }
    };
    await Promise.all(conns.map(work));
    return out;
  } finally {
    for (const c of conns) c.closeSync();
    inst.closeSync();
  }
}

/** Strip a trailing semicolon and comments-only tail, which json_serialize_sql would count as statements. */
function cleanSql(sql: string): string {
  return sql.trim().replace(/;\s*$/, '');
}

function toColumnLineage(c: OutCol): ColumnLineage {
  const deps = [...c.info.deps.values()].sort((a, b) => (a.node === b.node ? a.column.localeCompare(b.column) : a.node.localeCompare(b.node)));
  const transform: Transform = c.info.transform === 'identity' && deps.length !== 1 ? 'expression' : c.info.transform;
  const out: ColumnLineage = { name: c.name, depends_on: deps, transform };
  if (c.info.problems.length) out.untraced = c.info.problems.join('; ');
  return out;
}

export interface LineageInput {
  manifest: Manifest;
  catalog?: Catalog | null;
}

/**
 * Column lineage of every model (and snapshot-like node with SQL and a relation) in the manifest,
 * computed in DAG order so that `*` over an upstream model expands to that model's columns.
 */
export async function computeColumnLineage({ manifest, catalog }: LineageInput): Promise<Map<string, ModelLineage>> {
  const all = [...Object.values(manifest.nodes), ...Object.values(manifest.sources)];
  // unqualified names resolve to the target's schema: the schema of any model or seed without a custom one
  const plain = all.find((n) => (n.resource_type === 'model' || n.resource_type === 'seed') && n.config?.schema == null && n.schema);
  const defaultSchema = String(plain?.schema ?? 'main');
  const relations = new RelationIndex(all, defaultSchema);
  const known = new Map<string, NodeColumns>();
  // what is known before any SQL is walked: the catalog (exact) and declared source/seed columns
  for (const n of all) {
    const cat = catalogView(catalog, n.unique_id);
    if (cat && cat.columns.length) known.set(n.unique_id, { columns: cat.columns.map((c) => c.name), complete: true });
    else if (n.resource_type === 'source' && Object.keys(n.columns).length) known.set(n.unique_id, { columns: Object.keys(n.columns), complete: true });
    else if (Object.keys(n.columns ?? {}).length) known.set(n.unique_id, { columns: Object.keys(n.columns), complete: false });
  }
  const models = all.filter((n) => n.resource_type === 'model' && n.compiled_code);
  const order = topoOrder(models);
  const parsed = await parseStatements(order.map((n) => cleanSql(n.compiled_code!)));
  const out = new Map<string, ModelLineage>();
  order.forEach((n, i) => {
    const tree = parsed[i]!;
    if ('error' in tree && typeof tree.error === 'string') {
      out.set(n.unique_id, { columns: [], complete: false, error: tree.error });
      return;
    }
    const stmt = tree as Json;
    const q = stmt.node as Json | undefined;
    if (!q || !['SELECT_NODE', 'SET_OPERATION_NODE'].includes(String(q.type))) {
      out.set(n.unique_id, { columns: [], complete: false, error: 'the compiled SQL is not a SELECT' });
      return;
    }
    let rel: Relation;
    try {
      rel = new StatementWalker(relations, known, n.unique_id).query(q, { ctes: new Map() }, undefined);
    } catch (e) {
      out.set(n.unique_id, { columns: [], complete: false, error: `lineage failed: ${(e as Error).message}` });
      return;
    }
    // unaliased expressions have names only the warehouse knows: take them from the catalog by position
    const cat = catalogView(catalog, n.unique_id)?.columns;
    let columns = rel.columns;
    if (cat && rel.complete && cat.length === columns.length) columns = columns.map((c, j) => ({ name: cat[j]!.name, info: c.info }));
    const lineage: ModelLineage = { columns: columns.filter((c) => c.name).map(toColumnLineage), complete: rel.complete && columns.every((c) => c.name) };
    if (!rel.complete && rel.problems.length) lineage.error = [...new Set(rel.problems)].join('; ');
    out.set(n.unique_id, lineage);
    if (!known.get(n.unique_id)?.complete && lineage.complete) known.set(n.unique_id, { columns: lineage.columns.map((c) => c.name), complete: true });
    else if (!known.has(n.unique_id) && lineage.columns.length) known.set(n.unique_id, { columns: lineage.columns.map((c) => c.name), complete: false });
  });
  return out;
}

/**
 * The lineage of one declared/known column of a model: the traced entry, or an
 * untraced one that says why.
 */
export function columnLineageFor(model: ModelLineage | undefined, column: string): ColumnLineage {
  if (!model) return { name: column, depends_on: [], transform: 'expression', untraced: 'the model has no compiled SQL' };
  const hit = model.columns.find((c) => lc(c.name) === lc(column));
  if (hit) return hit;
  if (model.error) return { name: column, depends_on: [], transform: 'expression', untraced: model.error };
  if (!model.complete) return { name: column, depends_on: [], transform: 'expression', untraced: 'the SELECT has columns that could not be named (an unaliased expression or `*` over unknown columns)' };
  return { name: column, depends_on: [], transform: 'expression', untraced: 'the compiled SELECT has no column of this name' };
}

function topoOrder(models: ManifestNode[]): ManifestNode[] {
  const byId = new Map(models.map((m) => [m.unique_id, m]));
  const state = new Map<string, number>();
  const out: ManifestNode[] = [];
  for (const m of models) {
    if (state.has(m.unique_id)) continue;
    // iterative DFS: parents first
    const stack: [ManifestNode, number][] = [[m, 0]];
    state.set(m.unique_id, 1);
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const deps = top[0].depends_on?.nodes ?? [];
      if (top[1] < deps.length) {
        const d = byId.get(deps[top[1]++]!);
        if (d && !state.has(d.unique_id)) {
          state.set(d.unique_id, 1);
          stack.push([d, 0]);
        }
      } else {
        stack.pop();
        state.set(top[0].unique_id, 2);
        out.push(top[0]);
      }
    }
  }
  return out;
}
