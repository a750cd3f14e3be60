import { TxError, didYouMean } from '../errors.js';
import { MACRO_INFO } from '../template/jinja/compile.js';
import type { Dag } from '../graph/dag.js';
import { configFromHierarchy } from '../load/config-hierarchy.js';
import { propsKey, type ColumnProps, type NodeConfig, type Project, type TestSpec } from '../load/project-types.js';
import { refTarget, type NameIndex } from './package-names.js';
import { validateDefinition } from '../load/validate.js';
import type { TemplateEngine } from '../template/template-engine.js';
import { Kwargs } from '../template/jinja/values.js';
import { macroSignatures, rewriteTestBlocks, type MacroSignature } from '../data-tests/generic-test-blocks.js';
import { compileUnitTests } from '../data-tests/unit-tests.js';
import type { Dialect, Relation } from '../../targets/target.js';
import { BUILTIN_MACROS } from './builtin-macros.js';
import type { GraphNode, TestNodeInfo } from './nodes.js';
import { lineOfCall, sha } from './compile-project.js';
import { RelationValue, relationValue, splitArgs } from './template-context.js';
import { genericTestNames } from './test-names.js';
import { splitStatements, type SqlFlavour } from './single-statement.js';
import { StatementChecks } from './engine-statements.js';
import type { DbtRuntime } from './dbt-context.js';

const BUILTIN_FILE = '<tx built-in macros>';

/** While a test is rendered again for an audit: relations to use instead of nodes' own (node id → relation). */
let relationOverride: ReadonlyMap<string, Relation> | undefined;
const relOf = (n: GraphNode): Relation => relationOverride?.get(n.uniqueId) ?? n.relation!;
/** Renders a data test again with some nodes' relations replaced (set by compileTests for each generic and singular test). */
const testRenderers = new WeakMap<GraphNode, (over: ReadonlyMap<string, Relation>) => string>();

/**
 * The SQL of data test `test` with ref()/source() of the nodes in `over` resolved to the given relations
 * (audit before publish: the side version of the node under test), rendered again, never string-replaced.
 */
export function renderTestWith(test: GraphNode, over: ReadonlyMap<string, Relation>): string {
  const r = testRenderers.get(test);
  if (!r) throw new Error(`test ${test.uniqueId} cannot be rendered against another relation`);
  return r(over);
}

function withOverride(engine: TemplateEngine, over: ReadonlyMap<string, Relation>, fn: () => string): string {
  const saved = new Map(['ref', 'source', 'config'].map((g) => [g, engine.getGlobal(g)]));
  relationOverride = over;
  try {
    return fn();
  } finally {
    relationOverride = undefined;
    for (const [g, v] of saved) engine.setGlobal(g, v);
  }
}
const tagsOf = (c: NodeConfig): string[] => (Array.isArray(c.tags) ? c.tags.map(String) : c.tags ? [String(c.tags)] : []);
const THRESHOLD_RE = /^\s*(>=|<=|!=|==|=|>|<)\s*(\d+)\s*$/;
const severityOf = (c: Record<string, unknown>): 'error' | 'warn' => (String(c.severity ?? 'error').toLowerCase() === 'warn' ? 'warn' : 'error');
const kw = (o: Record<string, unknown>) => Kwargs.of(o);

/** Argument aliases of built-in tests: `accepted_range: {min: 0}` reads as `min_value: 0`. */
const ARG_ALIASES: Record<string, Record<string, string>> = { accepted_range: { min: 'min_value', max: 'max_value' } };

/** Shape checks of built-in tests' arguments: a message when malformed. */
const ARG_CHECKS: Record<string, (a: Record<string, unknown>) => string | undefined> = {
  accepted_values: (a) => {
    if (!Array.isArray(a.values) || !a.values.length) return '`values` must be a non-empty list, e.g. `values: [a, b]`';
    if (a.values.some((v) => v === null || typeof v === 'object')) return '`values` must hold scalars (text, numbers, booleans)';
    if (a.quote !== undefined && typeof a.quote !== 'boolean') return '`quote` must be true or false';
    return undefined;
  },
  relationships: (a) => {
    if (typeof a.to !== 'string' || !/^\s*(ref|source)\s*\(/.test(a.to)) return "`to` must be ref('model') or source('source', 'table')";
    if (typeof a.field !== 'string' || !a.field.trim()) return '`field` must name the column of `to` to match';
    return undefined;
  },
  accepted_range: (a) => {
    if (a.min_value === undefined && a.max_value === undefined) return 'give `min_value` (or `min`), `max_value` (or `max`), or both';
    for (const k of ['min_value', 'max_value']) {
      const v = a[k];
      if (v !== undefined && v !== null && typeof v !== 'number' && typeof v !== 'string') return `\`${k}\` must be a number or a SQL expression`;
    }
    if (a.inclusive !== undefined && typeof a.inclusive !== 'boolean') return '`inclusive` must be true or false';
    return undefined;
  },
  unique_combination_of_columns: (a) => {
    if (!Array.isArray(a.combination_of_columns) || !a.combination_of_columns.length || a.combination_of_columns.some((c) => typeof c !== 'string' || !c)) {
      return '`combination_of_columns` must be a non-empty list of column names';
    }
    return undefined;
  },
  expression_is_true: (a) => (typeof a.expression !== 'string' || !a.expression.trim() ? '`expression` must be a SQL boolean expression, e.g. "amount >= 0"' : undefined),
};

/** Signatures of every macro, later files overriding earlier ones (as the engine registers them). */
function signaturesOf(project: Project): Map<string, MacroSignature> {
  const out = new Map<string, MacroSignature>();
  for (const s of macroSignatures(BUILTIN_MACROS, BUILTIN_FILE)) out.set(s.name, s);
  for (const m of project.macros) for (const s of macroSignatures(rewriteTestBlocks(m.text), m.path)) out.set(s.name, s);
  // dbt packages' tests, by `package.test_name`
  for (const pkg of project.packages ?? []) for (const m of pkg.macros) for (const s of macroSignatures(rewriteTestBlocks(m.text), m.path)) out.set(`${pkg.name}.${s.name}`, s);
  return out;
}

/** Why `sql` is not a query, or undefined when it is (several statements are StatementChecks' to find: this looks at the first). */
export function notAQuery(sql: string, flavour: SqlFlavour = 'postgres'): string | undefined {
  const { statements } = splitStatements(sql, flavour);
  if (!statements.length) return 'is empty; a singular test is a query that returns the failing rows';
  const text = sql
    .slice(statements[0]!.start, statements[0]!.end)
    .replace(/--[^\n]*/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .trim();
  const first = /^\(*\s*([A-Za-z_]+)/.exec(text)?.[1]?.toLowerCase();
  if (!first || !['select', 'with', 'from', 'values', 'table'].includes(first)) {
    return `is not a query (it starts with \`${first ?? text.slice(0, 20)}\`); a singular test is a select that returns the failing rows`;
  }
  return undefined;
}

/** Check a test's config: known keys with the right types, thresholds like `>10`. */
function checkTestConfig(config: Record<string, unknown>, file: string, line: number | undefined, what: string): void {
  validateDefinition('test_config', config, file, line, what);
  for (const k of ['warn_if', 'error_if']) {
    const v = config[k];
    if (v !== undefined && !THRESHOLD_RE.test(String(v))) {
      throw new TxError('PROJECT', `\`${k}\` of ${what} must be a comparison with a count, like ">10" or "!=0"; got \`${String(v)}\``, { file, line });
    }
  }
  if (config.limit !== undefined && (typeof config.limit !== 'number' || config.limit < 0)) {
    throw new TxError('PROJECT', `\`limit\` of ${what} must be a whole number >= 0`, { file, line });
  }
}

/** Models with `contract: {enforced: true}` must declare every column with a data_type. */
function checkContracts(project: Project, nodes: Map<string, GraphNode>): void {
  for (const n of nodes.values()) {
    if (n.resourceType !== 'model') continue;
    const c = n.config.contract as { enforced?: boolean } | undefined;
    if (!c?.enforced) continue;
    const props = project.modelProps.get(propsKey(n.packageName, n.version ? n.path.split("/").pop()!.replace(/\.sql$/, "") : n.name));
    const file = props?.file ?? n.path;
    if (n.config.materialized === 'ephemeral') throw new TxError('PROJECT', `model \`${n.name}\` is ephemeral and cannot have an enforced contract (it is not a relation)`, { file, line: props?.line });
    if (!n.columns.length) {
      throw new TxError('PROJECT', `model \`${n.name}\` has an enforced contract but declares no columns`, { file, line: props?.line, hint: 'list every column under `columns:` with its `data_type`' });
    }
    const seen = new Set<string>();
    for (const col of n.columns) {
      if (!col.dataType) {
        throw new TxError('PROJECT', `column \`${col.name}\` of model \`${n.name}\` has no data_type; an enforced contract needs one for every column`, { file, line: col.line ?? props?.line, hint: 'e.g. `data_type: bigint`' });
      }
      if (seen.has(col.name.toLowerCase())) throw new TxError('PROJECT', `column \`${col.name}\` of model \`${n.name}\` is declared twice`, { file, line: col.line });
      seen.add(col.name.toLowerCase());
    }
  }
}

/** Data tests as graph nodes: generic ones from properties files, singular ones from the tests folder, unit tests. */
/** The folders of a generic test's properties file under the resource roots: dbt puts them in the test's fqn (`tx ls`, manifest.json). */
export function propertiesFolders(file: string, roots: readonly string[]): string[] {
  let rel = file;
  for (const r of roots) {
    const root = r.replace(/\/+$/, '');
    if (root && file.startsWith(`${root}/`)) {
      rel = file.slice(root.length + 1);
      break;
    }
  }
  return rel.split('/').slice(0, -1).filter((x) => x && x !== '.');
}

export function compileTests(
  project: Project,
  nodes: Map<string, GraphNode>,
  dag: Dag,
  byName: Map<string, string>,
  sourceIds: Map<string, string>,
  engine: TemplateEngine,
  dialect: Dialect,
  flavour: SqlFlavour = 'postgres',
  index?: { refs: NameIndex; sources: NameIndex },
  /** One statement per test: decided now (tokenizer) or when the caller settles them (the target's parser). */
  statementChecks: StatementChecks = new StatementChecks(flavour, undefined),
  /** Set by a render that read `execute` or asked the warehouse: such a test renders again when it runs (in a dbt project that asks the warehouse anywhere, every test does). */
  runtime?: Pick<DbtRuntime, 'introspected'>,
): void {
  const p = project.name;
  /** Runs a test's render; whether it read `execute` or asked the warehouse. */
  const introspecting = <T>(render: () => T): { value: T; introspected: boolean } => {
    if (!runtime) return { value: render(), introspected: false };
    const before = runtime.introspected;
    runtime.introspected = false;
    try {
      const value = render();
      return { value, introspected: runtime.introspected };
    } finally {
      runtime.introspected = before;
    }
  };
  // names seen from a package's test: the root project, that package, then any (dbt's search order)
  const findRef = (name: string, pkg?: string, explicit?: string): string | undefined => (index ? index.refs.find(name, pkg, explicit) : byName.get(name));
  /** The key of a node's properties: a model version's are under its file's name. */
  const propsName = (n: GraphNode): string => (n.version ? n.path.split('/').pop()!.replace(/\.sql$/, '') : n.name);
  const findSource = (key: string, pkg?: string): string | undefined => (index ? index.sources.find(key, pkg) : sourceIds.get(key));
  const pkgs = new Map((project.packages ?? []).map((x) => [x.name, x]));
  /** A test's config from dbt_project.yml `data_tests:` blocks: the package's own, then (root over package) the root's. */
  const testBlocks = (pkg: string | undefined, folders: string[], name: string): { own: Record<string, unknown>; root?: Record<string, unknown> } =>
    pkg
      ? { own: configFromHierarchy(pkgs.get(pkg)?.testsConfig ?? {}, pkg, folders, name, true), root: configFromHierarchy(project.testsConfig, pkg, folders, name, true) }
      : { own: configFromHierarchy(project.testsConfig, p, folders, name) };
  const used = new Set<string>();
  const blocksOf = new Map<string, ReturnType<typeof testBlocks>>();
  const signatures = signaturesOf(project);
  const testMacros = () => [...engine.macros.keys()].filter((m) => m.startsWith('test_')).map((m) => m.slice(5));
  const saved = new Map(['ref', 'source', 'config'].map((g) => [g, engine.getGlobal(g)]));
  checkContracts(project, nodes);

  // A generic test's `model` is get_where_subquery(relation), as in dbt. dbt's macro as tx ships it
  // gives the relation, or `(select * from r where <where>) dbt_subquery`: built here as a string,
  // with no render per test. A project's own get_where_subquery (dbt documents overriding it, say to
  // fill placeholders in `where`), its `<adapter>__`/`default__get_where_subquery`, or a dispatch:
  // entry for the dbt namespace (a package's) is called instead, with the test's config in `config`.
  const shippedMacro = (name: string): boolean => !!engine.macros.get(name)?.file.startsWith('<dbt global macros>/');
  const whereMacro = engine.getGlobal('get_where_subquery');
  const whereByMacro =
    typeof whereMacro === 'function' &&
    (!shippedMacro('get_where_subquery') || (project.dispatch ?? []).some((d) => d.macroNamespace === 'dbt') || [...engine.macros.keys()].some((n) => n.endsWith('__get_where_subquery') && !shippedMacro(n)));
  /** The `model` argument of a generic test on `relation` whose config is `config` (set as the `config` global before this is called). */
  const modelArgument = (relation: unknown, config: Record<string, unknown>): unknown => {
    if (whereByMacro) return (whereMacro as (...a: unknown[]) => unknown)(relation);
    return typeof config.where === 'string' && config.where.trim() ? `(select * from ${String(relation)} where ${config.where}) dbt_subquery` : relation;
  };

  /** Render one argument value: ref()/source() become relations (and dependencies), `{{ }}` is rendered. */
  const renderArg = (v: unknown, spec: TestSpec, key: string, deps: string[], pkg?: string): unknown => {
    if (Array.isArray(v)) return v.map((x) => renderArg(x, spec, key, deps, pkg));
    if (typeof v !== 'string') return v;
    const isCall = /^\s*(ref|source)\s*\(.*\)\s*$/s.test(v);
    if (!isCall && !v.includes('{{') && !v.includes('{%')) return v;
    const where = `${spec.file} (argument \`${key}\` of test \`${spec.name}\`)`;
    engine.setGlobal('ref', (...args: unknown[]) => {
      const { pos, kw } = splitArgs(args);
      const name = String(pos.length > 1 ? pos[1] : pos[0]);
      const t = refTarget(pos, kw);
      const id = findRef(t.key, pkg, t.pkg);
      if (!id) throw new TxError('REF', `test \`${spec.name}\` argument \`${key}\` refers to \`${name}\`, which does not exist`, { file: spec.file, line: spec.line, hint: didYouMean(name, byName.keys()) });
      const dep = nodes.get(id)!;
      if (!dep.relation) throw new TxError('REF', `test \`${spec.name}\` argument \`${key}\` refers to ephemeral model \`${name}\`, which is not a relation`, { file: spec.file, line: spec.line });
      deps.push(id);
      return relationValue(relOf(dep), dialect);
    });
    engine.setGlobal('source', (...args: unknown[]) => {
      const { pos } = splitArgs(args);
      const key2 = `${String(pos[0])}.${String(pos[1])}`;
      const id = findSource(key2, pkg);
      if (!id) throw new TxError('REF', `test \`${spec.name}\` argument \`${key}\` uses source \`${key2}\`, which is not declared`, { file: spec.file, line: spec.line, hint: didYouMean(key2, sourceIds.keys()) });
      deps.push(id);
      return relationValue(relOf(nodes.get(id)!), dialect);
    });
    // a dbt project's test gets ref()/source() arguments as relations, as in dbt (macros introspect them)
    const call = project.projectFile === 'dbt_project.yml' && isCall ? /^\s*(ref|source)\s*\(\s*((?:'[^']*'|"[^"]*")(?:\s*,\s*(?:'[^']*'|"[^"]*"))*)\s*\)\s*$/s.exec(v) : null;
    if (call) {
      const callArgs = [...call[2]!.matchAll(/'([^']*)'|"([^"]*)"/g)].map((m) => m[1] ?? m[2]);
      return (engine.getGlobal(call[1]!) as (...a: unknown[]) => unknown)(...callArgs);
    }
    try {
      return engine.renderString(isCall ? `{{ ${v} }}` : v, where).trim();
    } catch (e) {
      if (e instanceof TxError && e.location.file === spec.file) throw e;
      throw new TxError(e instanceof TxError ? e.code : 'TEMPLATE', `argument \`${key}\` of test \`${spec.name}\` does not render: ${(e as Error).message}`, { file: spec.file, line: spec.line });
    }
  };

  const add = (attached: GraphNode, spec: TestSpec, declared: ColumnProps[]) => {
    const testName = spec.name.includes('.') ? spec.name.split('.').pop()! : spec.name;
    const macroName = `test_${testName}`;
    // `dbt_utils.equality`: the test of an installed package
    const pkgOf0 = spec.name.includes('.') ? spec.name.split('.')[0]! : undefined;
    // a package's own test macro, named without its prefix in that package's properties
    const local = attached.packageName && !pkgOf0 && engine.macroOf(attached.packageName, macroName) ? attached.packageName : undefined;
    const pkgOf = pkgOf0 ?? local;
    const macro = (pkgOf ? engine.macroOf(pkgOf, macroName) : engine.getGlobal(macroName)) as ((...a: unknown[]) => unknown) | undefined;
    const what = `test \`${spec.name}\` on ${attached.resourceType} \`${attached.name}\`${spec.column ? `, column \`${spec.column}\`` : ''}`;
    const fail = (msg: string, hint?: string) => new TxError('PROJECT', msg, { file: spec.file, line: spec.line, hint });
    if (typeof macro !== 'function' || (!pkgOf && !engine.macros.has(macroName))) {
      throw new TxError('PROJECT', `unknown test \`${spec.name}\``, {
        file: spec.file,
        line: spec.line,
        hint: didYouMean(testName, testMacros()) ?? `known tests: ${testMacros().join(', ')}; define your own with {% test ${testName}(model, column_name) %} in macros/ or tests/generic/`,
      });
    }
    const builtin = !pkgOf && engine.macros.get(macroName)?.file === BUILTIN_FILE;

    // ---- config: project.yml `data_tests:` hierarchy, then the test's own
    checkTestConfig(spec.config, spec.file, spec.line, `the config of ${what}`);
    // (the same for every test of a kind in one properties file: 30,000 tests come from a few)
    const blocksKey = `${attached.packageName ?? ''}\u0000${spec.file}\u0000${testName}`;
    let blocks = blocksOf.get(blocksKey);
    if (!blocks) blocksOf.set(blocksKey, (blocks = testBlocks(attached.packageName, spec.file.split('/').slice(0, -1), testName)));
    const config: Record<string, unknown> = { ...blocks.own, ...spec.config, ...blocks.root };
    if (config.enabled === false) return;

    // ---- arguments against the macro's signature
    const args: Record<string, unknown> = {};
    const aliases = builtin ? (ARG_ALIASES[testName] ?? {}) : {};
    // `name:` names the test instead of the synthesized name, and is no argument (as in dbt)
    const customName = typeof spec.args.name === 'string' && spec.args.name ? spec.args.name : undefined;
    for (const [k, v] of Object.entries(spec.args)) {
      if (k === 'name' && customName) continue;
      const key = aliases[k] ?? k;
      if (key in args) throw fail(`${what} gives \`${key}\` twice (as \`${k}\` too)`);
      args[key] = v;
    }
    let column = spec.column;
    if ('column_name' in args) {
      if (column) throw fail(`${what} sits under a column and also gives \`column_name\`; use one`);
      if (typeof args.column_name !== 'string' || !args.column_name) throw fail(`\`column_name\` of ${what} must be a column name`);
      column = args.column_name;
      delete args.column_name;
    }
    const sig = signatures.get(pkgOf ? `${pkgOf}.${macroName}` : macroName);
    let takesColumn = true;
    if (sig) {
      const params = sig.params.map((x) => x.name);
      takesColumn = params.includes('column_name');
      const argNames = params.filter((x) => x !== 'model' && x !== 'column_name');
      // a test macro reading `kwargs` takes any argument, as in dbt
      const catchKwargs = !!(macro as unknown as Record<symbol, { catchKwargs?: boolean } | undefined>)[MACRO_INFO]?.catchKwargs;
      if (catchKwargs) takesColumn = true;
      for (const k of Object.keys(args)) {
        if (!argNames.includes(k) && !catchKwargs) {
          throw fail(
            `${what} has no argument \`${k}\``,
            didYouMean(k, argNames) ?? (argNames.length ? `its arguments: ${argNames.join(', ')}` : `\`${testName}\` takes no arguments`),
          );
        }
      }
      if (column && !takesColumn) throw fail(`\`${testName}\` is a model-level test and takes no column; list it under the tests of ${attached.resourceType} \`${attached.name}\``);
      for (const prm of sig.params) {
        if (prm.hasDefault || prm.name === 'model') continue;
        if (prm.name === 'column_name') {
          if (!column) throw fail(`test \`${spec.name}\` on \`${attached.name}\` needs a column: list it under a column's tests, or give \`column_name\``);
        } else if (!(prm.name in args)) {
          throw fail(`${what} needs the argument \`${prm.name}\``, `e.g. \`- ${testName}: {${sig.params.filter((q) => !q.hasDefault && q.name !== 'model' && q.name !== 'column_name').map((q) => `${q.name}: ...`).join(', ')}}\``);
        }
      }
    }
    if (builtin && ARG_CHECKS[testName]) {
      const problem = ARG_CHECKS[testName]!(args);
      if (problem) throw fail(`malformed arguments of ${what}: ${problem}`);
    }

    // ---- columns: declared ones now, the built relation's at run time
    const ownColumns = [...(column ? [column] : []), ...(builtin && testName === 'unique_combination_of_columns' ? (args.combination_of_columns as string[]) : [])];
    const declaredNames = declared.map((c) => c.name);
    for (const c of ownColumns) {
      if (declaredNames.length && !declaredNames.some((d) => d.toLowerCase() === c.toLowerCase())) {
        throw fail(`${what} names column \`${c}\`, which ${attached.resourceType} \`${attached.name}\` does not declare (its columns: ${declaredNames.join(', ')})`, didYouMean(c, declaredNames));
      }
    }
    const columnChecks: NonNullable<TestNodeInfo['columnChecks']> = ownColumns.length ? [{ nodeId: attached.uniqueId, columns: ownColumns }] : [];

    // ---- render arguments (ref/source become relations and dependencies)
    // the nodes its arguments ref(), then the node it tests: dbt's depends_on order (the test's kwargs, `model` last)
    const argDepIds: string[] = [];
    const rendered: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(args)) {
      const argDeps: string[] = [];
      rendered[k] = renderArg(v, spec, k, argDeps, attached.packageName);
      argDepIds.push(...argDeps);
      if (builtin && testName === 'relationships' && k === 'to') {
        const toNode = nodes.get(argDeps[0]!)!;
        const field = String(args.field);
        const toCols = toNode.columns.map((c) => c.name);
        if (toCols.length && !toCols.some((c) => c.toLowerCase() === field.toLowerCase())) {
          throw fail(`${what}: field \`${field}\` is not a column of \`${toNode.name}\` (its columns: ${toCols.join(', ')})`, didYouMean(field, toCols));
        }
        columnChecks.push({ nodeId: toNode.uniqueId, columns: [field] });
      }
    }
    // tx's own projects: column names quoted. A dbt project: as dbt passes them, quoted only where the
    // column says `quote: true`, so `name: CustomerID` matches an unquoted (case-folded) column.
    const dbtNames = project.projectFile === 'dbt_project.yml';
    const ident = (c: string, quote?: boolean): string => (dbtNames && quote !== true ? c : dialect.quoteIdentifier(c));
    if (builtin && testName === 'relationships') rendered.field = ident(String(args.field));
    if (builtin && testName === 'unique_combination_of_columns') rendered.combination_of_columns = (args.combination_of_columns as string[]).map((c) => ident(c));

    const deps = new Set<string>([...argDepIds, attached.uniqueId]);
    const relation: unknown = attached.relation
      ? relationValue(attached.relation, dialect)
      : new RelationValue({ schema: '', identifier: `__dbt__cte__${attached.name}` }, `(${(attached.compiledSql ?? '').trim()}) as ${dialect.quoteIdentifier(`__dbt__cte__${attached.name}`)}`);
    const columnArg: Record<string, unknown> = column && takesColumn ? { column_name: ident(column, spec.columnQuote) } : {};
    let sql: string;
    // config() inside a test macro (dbt_utils sets fail_calc, where, ...) configures the test, as in dbt
    const fromMacro: Record<string, unknown> = {};
    engine.setGlobal('config', Object.assign((...a: unknown[]) => (Object.assign(fromMacro, splitArgs(a).kw), ''), { get: (k: string, d?: unknown) => fromMacro[k] ?? config[k] ?? d, require: (k: string) => fromMacro[k] ?? config[k] }));
    let introspected: boolean;
    try {
      ({ value: sql, introspected } = introspecting(() => String(macro(kw({ ...rendered, ...columnArg, model: modelArgument(relation, config) })) ?? '')));
      for (const [k, v] of Object.entries(fromMacro)) if (!(k in spec.config)) config[k] = v;
    } catch (e) {
      throw e instanceof TxError
        ? new TxError(e.code, e.message, { file: spec.file, line: spec.line, hint: e.hint })
        : new TxError('TEMPLATE', `${what} failed to render: ${(e as Error).message}`, { file: spec.file, line: spec.line });
    }
    // a dbt test may render nothing while parsing (`{% if not execute %}{{ return('') }}`): it renders again when it runs
    const parsesEmpty = (project.projectFile === 'dbt_project.yml' || introspected) && engine.getGlobal('execute') === false;
    if (!sql.trim() && !parsesEmpty) throw fail(`${what} rendered to nothing; a test macro returns a query selecting the failing rows`);
    statementChecks.check(sql, (several) => fail(`the compiled SQL of ${what} ${several.problem}; a test is one query, and nothing was run`, "a value inside quotes can end the quote: write {{ value | literal }} (README: Putting a value into SQL safely)"));

    // dbt's names and unique id (compile/test-names.ts); a second identical test gets `_2`
    const onSource = attached.resourceType === 'source' && !!attached.source;
    // dbt names a test after the column name as passed: quoted where the column says `quote: true`
    const nameArgs: Record<string, unknown> = { ...spec.args, ...(column ? { column_name: dbtNames && spec.columnQuote === true ? dialect.quoteIdentifier(column) : column } : {}) };
    if (customName) delete nameArgs.name;
    const names = genericTestNames({
      packageName: attached.packageName ?? p,
      testName,
      namespace: pkgOf0,
      targetName: onSource ? `${attached.source!.sourceName}_${attached.source!.name}` : attached.version ? `${attached.name}_v${attached.version}` : attached.name,
      onSource,
      args: nameArgs,
      modelArg: `{{ get_where_subquery(${onSource ? `source('${attached.source!.sourceName}', '${attached.source!.name}')` : attached.version ? `ref('${attached.name}', version='${attached.version}')` : `ref('${attached.name}')`}) }}`,
      customName,
    });
    let name = names.name;
    let id = names.uniqueId;
    for (let i = 2; used.has(name); i++) {
      name = `${names.name}_${i}`;
      id = `${names.uniqueId}_${i}`;
    }
    used.add(name);
    const info: TestNodeInfo = {
      kind: 'generic',
      testName,
      namespace: pkgOf,
      shortName: name === names.name ? names.shortName : name,
      args: spec.args,
      column,
      attachedTo: attached.uniqueId,
      spec,
      severity: severityOf(config),
      columnChecks,
    };
    const tags = [...new Set([...attached.tags, ...tagsOf(config as NodeConfig)])];
    nodes.set(id, {
      uniqueId: id,
      resourceType: 'test',
      name,
      packageName: attached.packageName,
      path: spec.file,
      fqn: [attached.packageName ?? p, name],
      folders: [],
      config: { ...config, tags },
      tags,
      description: '',
      columns: [],
      compiledSql: sql.trim(),
      checksum: sha(sql),
      dependsOn: [...deps],
      refs: [],
      sources: [],
      test: info,
      ...(introspected ? { renderAtRun: true } : {}),
    });
    dag.add(id, [...deps]);
    testRenderers.set(nodes.get(id)!, (over) =>
      withOverride(engine, over, () => {
        const again: Record<string, unknown> = { ...rendered };
        for (const [k, v] of Object.entries(args)) if (typeof v === 'string' || Array.isArray(v)) again[k] = renderArg(v, spec, k, [], attached.packageName);
        if (builtin && testName === 'relationships') again.field = rendered.field;
        if (builtin && testName === 'unique_combination_of_columns') again.combination_of_columns = rendered.combination_of_columns;
        // the test's config, as when it compiled (get_where_subquery reads `where`; withOverride restores the global)
        engine.setGlobal('config', Object.assign(() => '', { get: (k: string, d?: unknown) => fromMacro[k] ?? config[k] ?? d, require: (k: string) => fromMacro[k] ?? config[k] }));
        const m = modelArgument(attached.relation ? relationValue(relOf(attached), dialect) : relation, config); // an ephemeral model: its subquery
        return String(macro(kw({ ...rendered, ...columnArg, ...again, model: m })) ?? '').trim();
      }),
    );
  };

  try {
    for (const n of [...nodes.values()]) {
      if (n.resourceType === 'test') continue;
      const specs: TestSpec[] = [];
      let declared: ColumnProps[] = n.columns;
      if (n.resourceType === 'model') {
        const props = project.modelProps.get(propsKey(n.packageName, propsName(n)));
        if (props) specs.push(...props.tests, ...props.columns.flatMap((c) => c.tests));
      } else if (n.resourceType === 'seed') {
        const props = project.seedProps.get(propsKey(n.packageName, n.name));
        if (props) specs.push(...props.tests, ...props.columns.flatMap((c) => c.tests));
        declared = props?.columns ?? [];
      } else if (n.resourceType === 'snapshot') {
        const snap = project.snapshots?.find((x) => x.name === n.name);
        if (snap) specs.push(...snap.tests, ...snap.columns.flatMap((c) => c.tests));
      } else if (n.source) specs.push(...n.source.tests, ...n.source.columns.flatMap((c) => c.tests));
      // dbt tests an ephemeral model through its SQL as a subquery; so does tx in a dbt project
      if (n.resourceType === 'model' && n.config.materialized === 'ephemeral' && specs.length && project.projectFile !== 'dbt_project.yml') {
        throw new TxError('PROJECT', `model \`${n.name}\` is ephemeral and cannot have tests (it is not a relation)`, { file: specs[0]!.file, line: specs[0]!.line });
      }
      for (const spec of specs) add(n, spec, declared);
    }

    // singular tests: tests/**/*.sql, rendered like models, one query returning the failing rows
    for (const f of project.singularTests) {
      const refs: string[] = [];
      const srcs: string[] = [];
      /** Set once the test is compiled: a ref() its compile did not see is then refused, as a model's (compile-project.ts). */
      let compiled = false;
      engine.setGlobal('ref', (...args: unknown[]) => {
        const { pos, kw } = splitArgs(args);
        const name = String(pos.length > 1 ? pos[1] : pos[0]);
        const t = refTarget(pos, kw);
        const id = findRef(t.key, f.package, t.pkg);
        if (!id) throw new TxError('REF', `test \`${f.name}\` refers to \`${name}\`, which does not exist`, { file: f.path, line: lineOfCall(f.text, 'ref', name), hint: didYouMean(name, byName.keys()) });
        const dep = nodes.get(id)!;
        if (!dep.relation) throw new TxError('REF', `test \`${f.name}\` refers to ephemeral model \`${name}\`, which is not a relation`, { file: f.path, line: lineOfCall(f.text, 'ref', name) });
        if (compiled) {
          if (!refs.includes(id)) {
            throw new TxError('REF', `test \`${f.name}\` refers to \`${dep.name}\` only as it runs, so tx could not know to run it after \`${dep.name}\` (a ref() inside {% if execute %} or a loop over query results); add the line \`-- depends_on: {{ ref('${dep.name}') }}\` at the top of the test, as dbt asks`, { file: f.path });
          }
          return relationValue(relOf(dep), dialect);
        }
        refs.push(id);
        return relationValue(relOf(dep), dialect);
      });
      engine.setGlobal('source', (...args: unknown[]) => {
        const { pos } = splitArgs(args);
        const key = `${String(pos[0])}.${String(pos[1])}`;
        const id = findSource(key, f.package);
        if (!id) throw new TxError('REF', `test \`${f.name}\` uses source \`${key}\`, which is not declared`, { file: f.path, line: lineOfCall(f.text, 'source', String(pos[1])), hint: didYouMean(key, sourceIds.keys()) });
        srcs.push(id);
        return relationValue(relOf(nodes.get(id)!), dialect);
      });
      const captured: Record<string, unknown> = {};
      engine.setGlobal('config', Object.assign((...args: unknown[]) => (Object.assign(captured, splitArgs(args).kw), ''), { get: (k: string, d?: unknown) => captured[k] ?? d }));
      const globals = ['ref', 'source', 'config'].map((g) => [g, engine.getGlobal(g)] as const);
      const { value: sql, introspected } = introspecting(() => engine.render(engine.prepare(f.text, f.path), f.package).trim().replace(/;\s*$/, ''));
      const configLine = lineOfCall(f.text, 'config', '');
      checkTestConfig(captured, f.path, configLine, `config() of test \`${f.name}\``);
      const blocks = testBlocks(f.package, f.folders, f.name);
      const config = { ...blocks.own, ...captured, ...blocks.root };
      if (config.enabled === false) continue;
      statementChecks.check(
        sql,
        (several) =>
          new TxError('PROJECT', `singular test \`${f.name}\` ${several.problem}; a singular test is one query that returns the failing rows, and nothing was run`, {
            file: f.path,
            line: several.line,
            hint: "a var or env_var inside quotes can end the quote: write {{ var('x') | literal }} instead of '{{ var('x') }}' (README: Putting a value into SQL safely)",
          }),
      );
      const problem0 = notAQuery(sql, flavour);
      // a dbt test that renders nothing but comments while parsing renders again when it runs
      const problem = problem0?.startsWith('is empty') && (project.projectFile === 'dbt_project.yml' || introspected) ? undefined : problem0;
      if (problem) {
        const firstCode = f.text.split('\n').findIndex((l) => l.trim() && !l.trim().startsWith('--') && !/^\s*\{[{%#]/.test(l));
        throw new TxError('PROJECT', `singular test \`${f.name}\` ${problem}`, { file: f.path, line: firstCode >= 0 ? firstCode + 1 : 1 });
      }
      const id = `test.${f.package ?? p}.${f.name}`;
      if (nodes.has(id)) throw new TxError('DUPLICATE', `two tests are named \`${f.name}\``, { file: f.path, hint: 'a singular test and a generic test share this name; rename the file' });
      const deps = [...new Set([...refs, ...srcs])];
      compiled = true;
      const tags = tagsOf(config as NodeConfig);
      nodes.set(id, {
        uniqueId: id,
        resourceType: 'test',
        name: f.name,
        packageName: f.package,
        path: f.path,
        fqn: [f.package ?? p, ...f.folders.slice(1), f.name],
        folders: f.folders,
        config: { ...config, tags },
        tags,
        description: '',
        columns: [],
        rawSql: f.text,
        compiledSql: sql,
        checksum: sha(f.text),
        dependsOn: deps,
        refs: [],
        sources: [],
        test: { kind: 'singular', severity: severityOf(config), attachedTo: deps[0] },
        ...(introspected ? { renderAtRun: true } : {}),
      });
      dag.add(id, deps);
      testRenderers.set(nodes.get(id)!, (over) =>
        withOverride(engine, over, () => {
          for (const [g, v] of globals) engine.setGlobal(g, v);
          return engine.render(engine.prepare(f.text, f.path), f.package).trim().replace(/;\s*$/, '');
        }),
      );
    }

    compileUnitTests(project, nodes, dag, engine, byName, sourceIds);
  } finally {
    for (const [g, v] of saved) engine.setGlobal(g, v);
  }
}

