import { hash } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { TxError, didYouMean } from '../errors.js';
import { Dag } from '../graph/dag.js';
import { configFromHierarchy } from '../load/config-hierarchy.js';
import { propsKey, type ModelProps, type NodeConfig, type Project, type SqlFile } from '../load/project-types.js';
import { NameIndex, refTarget, versionKey } from './package-names.js';
import { validateDefinition } from '../load/validate.js';
import { formatFromPath } from '../load/properties.js';
import { MAX_TEMPLATE_ERRORS, TemplateEngine, type PreparedTemplate } from '../template/template-engine.js';
import { staticCalls } from '../template/static-calls.js';
import type { Stmt } from '../template/jinja/ast.js';
import { Kwargs } from '../template/jinja/values.js';
import type { Dialect, Relation } from '../../targets/target.js';
import { loadDialect } from '../../targets/registry.js';
import { BUILTIN_DBT_TEST_MACROS, BUILTIN_MACROS } from './builtin-macros.js';
import { installDbtContext, type DbtRuntime, type WarehouseBridge } from './dbt-context.js';
import { dbtGraph } from './dbt-graph.js';
import { dbtGlobalMacroFiles } from '../template/dbt-global-macros.js';
import { flavourOf } from './single-statement.js';
import { parsingEngineOf, StatementChecks, type Several } from './engine-statements.js';
import { sqlLiteral } from './sql-literal.js';
import { checkExports } from './check-exports.js';
import { checkTestColumns } from './check-test-columns.js';
import { seedFileProblem } from './check-seed-file.js';
import { compileTests, renderTestWith } from './compile-tests.js';
import { snapshotRelation } from './snapshot-relation.js';
import { pyStr } from '../template/jinja/py.js';
import { sampleFilter, type SampleWindow } from './sample-window.js';
import { snapshotSpec, type SnapshotFile } from '../load/snapshots.js';
import { CompileCache, globalCacheKey, quickHash, type CachedModel } from './compile-cache.js';
import { sqlFileHash } from '../artifacts/artifacts.js';
import { invocationId } from '../artifacts/dbt-meta.js';
import type { GraphNode } from './nodes.js';
import { resolveTarget, type ResolvedTarget } from './resolve-target.js';
import { externalSourceSql } from './duckdb-external-source.js';
import { externalModel } from './duckdb-external-model.js';
import { RelationValue, makeEnvVar, makeVar, relationValue, splitArgs } from './template-context.js';
import { DbtFlags, baseContextMembers, runStartedAt as runStartedAtValue } from '../template/context/base-context.js';

export interface CompileOptions {
  target?: string;
  /** --vars, already parsed. */
  vars?: Record<string, unknown>;
  runStartedAt?: Date;
  /** Where `log()` goes. */
  log?: (msg: string, info: boolean) => void;
  env?: NodeJS.ProcessEnv;
  /** Skip target/cache/compile.json (tests of the renderer itself). */
  noCache?: boolean;
  /** The command being run (dbt's flags.WHICH): build, run, test, compile, ... */
  command?: string;
  /** --full-refresh (dbt's flags.FULL_REFRESH). */
  fullRefresh?: boolean;
  /** --defer: relations of the --state run that ref() resolves to instead of a node's own (unselected nodes). */
  deferRelations?: Map<string, Relation>;
  /** Load dbt's global macros (run_query, statement, dbt.*) in a tx project too (dbt projects always have them): run-operation. */
  dbtGlobalMacros?: boolean;
  /** --empty: models read zero rows from their refs and sources (the compile cache is not used). */
  empty?: boolean;
  /** --sample: models and snapshots read only the window's rows of refs and sources that have `event_time` (the compile cache is not used). */
  sample?: SampleWindow;
}

/** The compiled project: every node rendered, the DAG, and the chosen target. */
export interface CompiledProject {
  project: Project;
  nodes: Map<string, GraphNode>;
  /** dbt analyses (analysis-paths), compiled for manifest.json and target/compiled; not in the DAG, never run. */
  analyses?: GraphNode[];
  dag: Dag;
  target: ResolvedTarget;
  dialect: Dialect;
  runStartedAt: Date;
  /** The command it was compiled for (dbt's flags.WHICH): `parse` and `list` write manifest.json as dbt parses, the others as dbt compiles. */
  command?: string;
  /** Render a model again at run time (incremental models need `is_incremental()` true). */
  renderModel(id: string, opts: { isIncremental: boolean }): Promise<string>;
  /** Refuse SQL of node `id` rendered again as it runs when it holds several statements (the compile error, file:line). */
  oneStatement(id: string, sql: string): Promise<void>;
  /** Render a node again as it runs (`execute` true, the warehouse reachable): nodes marked renderAtRun. The caller checks oneStatement(). */
  renderAtRun(id: string, bridge: WarehouseBridge, opts: { isIncremental: boolean; over?: ReadonlyMap<string, Relation> }): string;
  /** Until called with undefined (run time), hooks and one-off strings render with execute true and reach the warehouse through `open`. */
  useWarehouse(open: (() => WarehouseBridge) | undefined): void;
  /** Render a one-off string with the project's globals (hooks, export paths). */
  renderString(source: string, where: string, thisNode?: GraphNode): string;
  /** Another configured target (exports to `target:NAME`), rendered like the chosen one. */
  resolveOtherTarget(name: string): ResolvedTarget;
  /** Models rendered by this compile, and models whose SQL the compile cache served (tests count these). */
  /** `volatile`: models whose output may change with nothing changed (env_var(), the clock, introspection). */
  renderStats: { rendered: number; cached: number; volatile: number };
}

const EPHEMERAL_PREFIX = '__tx_cte__';
const BUILTIN_FILE = '<tx built-in macros>';
export const sha = (s: string): string => hash('sha256', s, 'hex');

/**
 * A file's compile-cache key from dbt's checksum of it (`trimmedSha`, sha256 of text.trim()): the
 * checksum alone when nothing surrounds the text, else with the whitespace around it (the
 * compiled SQL keeps it), so one hash of the file serves both.
 */
export function textKey(text: string, trimmedSha: string): string {
  const start = text.length - text.trimStart().length;
  // (all whitespace: all of it before the empty text)
  const end = Math.max(start, text.trimEnd().length);
  if (start === 0 && end === text.length) return trimmedSha;
  return `${trimmedSha}:${JSON.stringify([text.slice(0, start), text.slice(end)])}`;
}

/** The render cache's key of a model's dependencies' relations: short ones as they are ('=' first: never a base64 hash's start), long ones hashed. */
export const depsKey = (joined: string): string => (joined.length <= 120 ? `=${joined}` : quickHash(joined));

interface ModelWork {
  file: SqlFile;
  id: string;
  /** Parsed on first use: a model served from the cache is never parsed. */
  tpl(): PreparedTemplate;
  /** Drop the parsed template (parsed again if the model is rendered again at run time). */
  release(): void;
  textHash: string;
  /** dbt's checksum of the file (sha256 of its trimmed text). */
  rawChecksum: string;
  /** Whether its output may be cached (no env_var(), clock or dynamic capture). */
  cacheable: boolean;
  props?: ModelProps;
  config: NodeConfig;
  refs: string[];
  sources: [string, string][];
  usesIsIncremental: boolean;
  /** Set for a snapshot (rendered like a model, run by the snapshot materialization). */
  snap?: SnapshotFile;
}

/** Project → compiled nodes and DAG. Touches no database. */
export async function compileProject(project: Project, opts: CompileOptions = {}): Promise<CompiledProject> {
  const runStartedAt = opts.runStartedAt ?? new Date();
  const engine = new TemplateEngine();
  engine.addMacroFile(BUILTIN_MACROS, BUILTIN_FILE);
  // dbt's default__test_<name>, in the `dbt` namespace the built-in tests dispatch to
  engine.addMacroFile(BUILTIN_DBT_TEST_MACROS, BUILTIN_FILE, { name: 'dbt', global: true });
  // a dbt project: dbt's global macros (`dbt.*` and flat), then its packages' (namespaced), then its own
  const dbtProject = project.projectFile === 'dbt_project.yml';
  if (dbtProject || opts.dbtGlobalMacros) for (const m of dbtGlobalMacroFiles()) engine.addMacroFile(m.text, m.path, { name: 'dbt', global: true });
  for (const pkg of project.packages ?? []) for (const m of pkg.macros) engine.addMacroFile(m.text, m.path, { name: pkg.name, global: false });
  for (const m of project.macros) engine.addMacroFile(m.text, m.path);
  const rootMacros = new Set([...engine.macros].filter(([, i]) => project.macros.some((m) => m.path === i.file)).map(([n]) => n));

  // dbt's base context (modules, tojson/fromjson, toyaml/fromyaml, zip, set, local_md5, ...), then tx's members
  Object.assign(engine.env.globals, baseContextMembers());
  engine.setGlobal('flags', new DbtFlags({ WHICH: opts.command ?? 'compile', FULL_REFRESH: opts.fullRefresh ?? false, INVOCATION_COMMAND: `tx ${opts.command ?? 'compile'}` }));
  const vars = { ...project.vars, ...(opts.vars ?? {}) };
  const log = opts.log ?? (() => {});
  // a package's node sees, as in dbt (ModelConfiguredVar), its package's own vars under the root
  // project's (its global ones and its block for the package) under --vars; a root node the root's
  const pkgVars = new Map<string, Record<string, unknown>>();
  const rootRawVars = ((project.raw.vars ?? {}) as Record<string, unknown>);
  const varsOfNode = (): Record<string, unknown> => {
    const pkg = engine.templatePackage;
    const lp = pkg ? project.packages?.find((x) => x.name === pkg) : undefined;
    if (!lp) return vars;
    let v = pkgVars.get(lp.name);
    if (!v) {
      const scoped = rootRawVars[lp.name];
      v = { ...lp.vars, ...project.vars, ...(scoped && typeof scoped === 'object' && !Array.isArray(scoped) ? (scoped as Record<string, unknown>) : {}), ...(opts.vars ?? {}) };
      pkgVars.set(lp.name, v);
    }
    return v;
  };
  engine.setGlobal('var', makeVar(varsOfNode, (s, where) => engine.renderString(s, `project.yml (${where})`)));
  engine.setGlobal('env_var', makeEnvVar(opts.env ?? process.env));
  engine.setGlobal('run_started_at', runStartedAtValue(runStartedAt.getTime()));
  // the same UUID as every artifact's metadata.invocation_id and the OpenLineage parent run, as in dbt
  engine.setGlobal('invocation_id', invocationId());
  engine.setGlobal('log', (...args: unknown[]) => {
    const { pos, kw } = splitArgs(args);
    // Python's str() of the message, as dbt's event coerces it (a list prints as ['a', 1])
    log(pyStr(pos[0] ?? kw.msg), Boolean(pos[1] ?? kw.info));
    return '';
  });
  // doc('name') or doc('package', 'name'); while a description renders, the blocks it reads are kept (dbt's doc_blocks)
  let docsRead: string[] | undefined;
  engine.setGlobal('doc', (...args: unknown[]) => {
    const name = String(args.length > 1 ? args[1] : args[0]);
    const d = project.docs.get(name);
    if (!d) throw new TxError('REF', `doc(\`${name}\`) names no docs block`, { hint: didYouMean(name, project.docs.keys()) });
    const id = `doc.${project.name}.${name}`;
    if (docsRead && !docsRead.includes(id)) docsRead.push(id);
    return d.text;
  });
  /** A description rendered, with the docs blocks it read. */
  const renderDescription = (text: string, where: string): { text: string; docBlocks: string[] } => {
    docsRead = [];
    try {
      return { text: engine.renderString(text, where), docBlocks: docsRead };
    } finally {
      docsRead = undefined;
    }
  };

  const target = resolveTarget(project, opts.target, engine);
  const dialect = await loadDialect(target.config.type);
  engine.setGlobal('target', target.public);
  // dbt's adapter, api, execute, statement results, graph and exceptions (dbt-context.ts)
  const runtime: DbtRuntime = { execute: false, results: new Map(), introspected: false };
  let graphValue: Record<string, unknown> | undefined;
  let graphSize = -1;
  installDbtContext({
    engine,
    dialect,
    targetType: String(target.config.type),
    rootProject: project.name,
    packages: (project.packages ?? []).map((x) => x.name),
    dispatch: project.dispatch ?? [],
    rootMacros,
    runtime,
    log,
    // made again while nodes are still being added (a node rendered in pass 1 saw a partial graph, and
    // the same value was given at run time): at run time every node is in it, as in dbt's
    graph: () => {
      if (!graphValue || graphSize !== nodes.size) {
        graphValue = dbtGraph(project, nodes);
        graphSize = nodes.size;
      }
      return graphValue;
    },
  });
  for (const [name, ns] of engine.namespaces) if (!(name in engine.env.globals)) engine.setGlobal(name, ns);
  if (dbtProject && !(project.name in engine.env.globals)) engine.setGlobal(project.name, Object.fromEntries([...rootMacros].map((n) => [n, engine.getGlobal(n)])));
  // `{{ value | literal }}` / `{{ literal(value) }}`: a value as a SQL literal of the target (a project macro named literal wins)
  engine.env.filters.literal = (_env, value) => sqlLiteral(value, dialect);
  if (!engine.macros.has('literal')) engine.setGlobal('literal', (value: unknown) => sqlLiteral(value, dialect));
  const flavour = flavourOf(target.config.type);
  /** One statement per model and test: several (a var that closed a quote and added `; drop ...`) is an error before anything runs. */
  // decided by DuckDB's or PostgreSQL's own parser (engine-statements.ts), the tokenizer elsewhere
  const statementChecks = new StatementChecks(flavour, parsingEngineOf(target.config.type));
  const severalError = (what: string, file: string) => (several: Several): TxError =>
    new TxError('PROJECT', `the compiled SQL of ${what} ${several.problem}; a ${what.split(' ')[0]} is one query, and nothing was run`, {
      file,
      line: several.line,
      hint: "a var or env_var inside quotes can end the quote: write {{ var('x') | literal }} instead of '{{ var('x') }}' (README: Putting a value into SQL safely)",
    });
  /** At compile time: checked with the rest before compileProject returns (statementChecks.settle()). */
  const checkOneStatement = (sql: string, what: string, file: string): void => statementChecks.check(sql, severalError(what, file));

  const call = (name: string, ...args: unknown[]): string => engine.callMacro(name, args).trim();
  // The built-in naming macros run natively unless the project overrides them.
  const builtin = (m: string) => engine.macros.get(m)?.file === BUILTIN_FILE;
  const nativeNaming = builtin('generate_schema_name') && builtin('generate_alias_name') && builtin('generate_database_name');
  const tSchema = String(target.public.schema ?? '');
  const tDatabase = target.public.database == null ? '' : String(target.public.database);
  const relationFor = (name: string, config: NodeConfig, resourceType: string): Relation => {
    if (nativeNaming) {
      const cs = config.schema == null ? '' : String(config.schema).trim();
      const ca = config.alias == null ? '' : String(config.alias).trim();
      const cd = config.database == null ? '' : String(config.database).trim();
      return { database: (cd || tDatabase) || undefined, schema: cs ? `${tSchema}_${cs}` : tSchema, identifier: ca || name };
    }
    const node = { name, resource_type: resourceType, config };
    const schema = call('generate_schema_name', config.schema ?? null, node);
    const identifier = call('generate_alias_name', config.alias ?? null, node);
    const database = call('generate_database_name', config.database ?? null, node) || undefined;
    return { database, schema, identifier };
  };

  const nodes = new Map<string, GraphNode>();
  const p = project.name;
  // model/seed/snapshot names → ids, across the root project and its packages (dbt's search order)
  const refIndex = new NameIndex(p);
  const byName = refIndex.plain; // name → id, the root project's first
  const sourceIndex = new NameIndex(p);
  const pkgs = new Map((project.packages ?? []).map((x) => [x.name, x]));
  /**
   * A node's config from dbt_project.yml, as dbt-core 1.10 computes it: the package's own
   * blocks (below its properties and config()), and for a package's node the root project's
   * blocks after everything else (`models: <package>: ...` overrides the package).
   */
  type Kind = 'modelsConfig' | 'seedsConfig' | 'testsConfig' | 'snapshotsConfig';
  const ownBlocks = (kind: Kind, pkg: string | undefined, folders: string[], name: string): Record<string, unknown> =>
    pkg ? configFromHierarchy(pkgs.get(pkg)?.[kind] ?? {}, pkg, folders, name, true) : configFromHierarchy(project[kind] ?? {}, p, folders, name);
  // dbt_project.yml's config keys tx does not know (the root's blocks): in the node's config, not acted on
  const extraOf = (kind: 'models' | 'seeds', pkg: string | undefined, folders: string[], name: string): Record<string, unknown> | undefined => {
    const tree = project.extraConfig?.[kind] as Record<string, unknown> | undefined;
    return tree ? configFromHierarchy(tree, pkg ?? p, folders, name, !!pkg) : undefined;
  };
  const rootOverride = (kind: Kind, pkg: string | undefined, folders: string[], name: string): Record<string, unknown> | undefined =>
    pkg ? configFromHierarchy(project[kind] ?? {}, pkg, folders, name, true) : undefined;

  // ---- seeds
  for (const s of project.seeds) {
    const props = project.seedProps.get(propsKey(s.package, s.name));
    const config = mergeConfig(extraOf('seeds', s.package, s.folders, s.name), ownBlocks('seedsConfig', s.package, s.folders, s.name), props?.extraConfig, props?.config, rootOverride('seedsConfig', s.package, s.folders, s.name));
    if (props?.config) validateDefinition('seed_config', props.config, props.file, props.line, `seed \`${s.name}\` config`);
    if (config.enabled === false) continue;
    // an empty file, ragged rows, a quote never closed: exit 2 with file:line before anything runs
    const seedProblem = seedFileProblem(s.text, String(config.delimiter ?? (s.path.endsWith('.tsv') ? '\t' : ',')), String(config.quote ?? '"'), config.header !== false);
    if (seedProblem) throw new TxError('PROJECT', `seed \`${s.name}\` ${seedProblem.message}`, { file: s.path, line: seedProblem.line });
    const relation = relationFor(s.name, config, 'seed');
    const sp = s.package ?? p;
    const id = `seed.${sp}.${s.name}`;
    refIndex.set(sp, s.name, id);
    nodes.set(id, {
      uniqueId: id,
      resourceType: 'seed',
      name: s.name,
      packageName: s.package,
      path: s.path,
      fqn: [sp, ...s.folders.slice(1), s.name],
      folders: s.folders,
      relation,
      relationName: dialect.relationName(relation),
      config,
      tags: tagsOf(config),
      description: props?.description ?? '',
      columns: props?.columns ?? [],
      checksum: sha(s.text),
      dependsOn: [],
      refs: [],
      sources: [],
      seedPath: s.absPath,
    });
  }

  // ---- sources
  const sourceIds = sourceIndex.plain;
  const externalSources = new Map<string, string>();
  for (const s0 of project.sources) {
    const s = { ...s0 };
    if (s.path?.includes('{{')) {
      s.path = engine.renderString(s.path, `${s.file} (path of source ${s.sourceName}.${s.name})`).trim();
      if (!s.path) throw new TxError('SOURCE_FILE', `the path of file source \`${s.sourceName}.${s.name}\` rendered empty`, { file: s.file, line: s.line });
    }
    if (s.path && !s.format) {
      s.format = formatFromPath(s.path) ?? formatOfFolder(isAbsolute(s.path) ? s.path : join(project.dir, s.path));
      if (!s.format) {
        throw new TxError('SOURCE_FILE', `cannot infer the format of file source \`${s.sourceName}.${s.name}\` from \`${s.path}\``, {
          file: s.file,
          line: s.line,
          hint: 'use a known extension (.csv, .csv.gz, .parquet, .json, .jsonl, .ndjson, .avro, .orc) or set `format:`',
        });
      }
    }
    const sp = s.package ?? p;
    const id = `source.${sp}.${s.sourceName}.${s.name}`;
    sourceIndex.set(sp, `${s.sourceName}.${s.name}`, id);
    const relation: Relation = { database: s.database, schema: s.schema, identifier: s.identifier };
    // dbt-duckdb: a source with `external_location` renders as that location (a quoted path or a read_*() call)
    const external = target.config.type === 'duckdb' ? externalSourceSql(s, s.database ?? (tDatabase || undefined)) : undefined;
    if (external !== undefined) externalSources.set(id, external);
    nodes.set(id, {
      uniqueId: id,
      resourceType: 'source',
      name: s.name,
      packageName: s.package,
      path: s.file,
      fqn: [sp, s.sourceName, s.name],
      folders: [],
      relation,
      relationName: external ?? dialect.relationName(relation),
      config: { enabled: true, tags: s.tags },
      tags: s.tags,
      description: s.description,
      columns: s.columns,
      checksum: sha(JSON.stringify(s)),
      dependsOn: [],
      refs: [],
      sources: [],
      source: s,
    });
  }

  // ---- models, pass 1: capture config, refs and sources
  const work: ModelWork[] = [];
  const validConfigs = new Set<string>();
  // A var may be a template (`"{{ env_var('X') }}"`): its rendered value is part of the key, so a
  // changed environment never serves SQL rendered with the old value.
  const renderedVars = Object.fromEntries(
    Object.entries(vars).map(([k, v]) => {
      if (typeof v !== 'string' || !v.includes('{{')) return [k, v];
      try {
        return [k, { rendered: engine.renderString(v, `project.yml (var ${k})`) }];
      } catch (e) {
        return [k, { error: (e as Error).message }];
      }
    }),
  );
  // a dbt project whose templates may ask the warehouse renders models when they run: no cached SQL
  const introspective = dbtProject && ((project.packages ?? []).length > 0 || [...project.macros, ...project.models].some((m) => INTROSPECTION_RE.test(m.text)));
  const cache = opts.noCache || opts.empty || opts.sample || introspective ? null : CompileCache.open(project, globalCacheKey(project, [vars, renderedVars, target.public, opts.env === undefined ? null : 'custom-env']));
  const captures = new Map<string, CachedModel['capture']>();
  // Macros that read the environment or the clock make a model's output uncacheable.
  const impureMacros = new Set<string>();
  for (const m of project.macros) {
    if (/\b(env_var|run_started_at|invocation_id|modules|log)\b/.test(m.text)) {
      for (const [name, info] of engine.macros) if (info.file === m.path) impureMacros.add(name);
    }
  }
  // Macros that call ref/source/config/is_incremental make a model's capture dynamic.
  const unsafeMacros = new Set<string>();
  for (const m of project.macros) {
    if (/\b(ref|source|config|is_incremental)\s*\(/.test(m.text)) {
      for (const [name, info] of engine.macros) if (info.file === m.path) unsafeMacros.add(name);
    }
  }
  // a package's macros are namespaced: their names, read from the files
  for (const m of (project.packages ?? []).flatMap((x) => x.macros)) {
    if (/\b(ref|source|config|is_incremental)\s*\(/.test(m.text)) for (const x of m.text.matchAll(/\{%-?\s*macro\s+([A-Za-z_]\w*)/g)) unsafeMacros.add(x[1]!);
  }
  const modelNames = new Set(project.models.map((m) => propsKey(m.package, m.name)));
  for (const key of project.modelProps.keys()) {
    if (!modelNames.has(key)) {
      const mp = project.modelProps.get(key)!;
      const name = mp.name;
      if (project.projectFile === 'dbt_project.yml') {
        // dbt warns (NoNodeForYamlKey) and builds the rest: a dbt project builds unchanged
        const hint = didYouMean(name, modelNames);
        log(`${mp.file}:${mp.line ?? 1}: properties describe model \`${name}\`, but no ${name}.sql exists: ignored, as dbt does${hint ? ` (${hint})` : ''}`, true);
        continue;
      }
      throw new TxError('REF', `properties describe model \`${name}\`, but no models/**/${name}.sql exists`, {
        file: mp.file,
        line: mp.line,
        hint: didYouMean(name, modelNames),
      });
    }
  }
  // Template errors are collected, so one run reports every broken model (up to a cap).
  const templateErrors: TxError[] = [];
  const collect = (e: unknown): void => {
    if (!(e instanceof TxError) || e.code !== 'TEMPLATE') throw e;
    templateErrors.push(e);
    if (templateErrors.length >= MAX_TEMPLATE_ERRORS) throw combineErrors(templateErrors, true);
  };
  const failedModels = new Set<string>();
  for (const f of project.models) {
    try {
      captureModel(f);
    } catch (e) {
      collect(e);
      failedModels.add(f.name);
    }
  }
  // snapshots are rendered as models are (config(), ref(), source()); compiler/load/snapshots.ts
  for (const s of project.snapshots ?? []) {
    try {
      captureModel(s, s);
    } catch (e) {
      collect(e);
      failedModels.add(s.name);
    }
  }
  if (failedModels.size) {
    // Go on with the models that do not depend on a broken one, to report their errors too.
    let changed = true;
    while (changed) {
      changed = false;
      for (let i = work.length - 1; i >= 0; i--) {
        if (work[i]!.refs.some((r) => failedModels.has(r))) {
          failedModels.add(work[i]!.file.name);
          work.splice(i, 1);
          changed = true;
        }
      }
    }
    for (const name of failedModels) refIndex.delete(name);
  }
  function captureModel(f: SqlFile, snap?: SnapshotFile): void {
    const props = snap ? undefined : project.modelProps.get(propsKey(f.package, f.name));
    if (props?.config && Object.keys(props.config).length) validateDefinition('model_config', props.config, props.file, props.line, `model \`${f.name}\` config`);
    const fp = f.package ?? p;
    const base = snap
      ? mergeConfig({ materialized: 'snapshot' }, ownBlocks('snapshotsConfig', f.package, f.folders, f.name), snap.declared)
      : mergeConfig({ materialized: 'view' }, extraOf('models', f.package, f.folders, f.name), ownBlocks('modelsConfig', f.package, f.folders, f.name), props?.extraConfig, props?.config);
    let prepared: PreparedTemplate | undefined;
    const tpl = (): PreparedTemplate => (prepared ??= engine.prepare(f.text, f.path));
    // dbt's checksum of the file (sha256 of its text without the whitespace around it), and the
    // compile cache's key: that checksum with the whitespace itself, which the compiled SQL keeps
    const rawChecksum = sha(f.text.trim());
    const textHash = textKey(f.text, rawChecksum);
    const fromCache = snap ? undefined : cache?.capture(f.path, textHash);
    let cacheable = !!fromCache;
    const captured: Record<string, unknown> = {};
    const refs: string[] = [];
    const sources: [string, string][] = [];
    let usesIsIncremental = false;
    const provisional = relationFor(f.name, { ...base }, 'model');
    const cfgFn = Object.assign(
      (...args: unknown[]) => {
        const { pos, kw } = splitArgs(args);
        const given = (pos[0] && typeof pos[0] === 'object' ? pos[0] : kw) as Record<string, unknown>;
        const norm = normalizeHooks(given);
        // Most models repeat a few config() shapes: validate each distinct one once.
        const key = JSON.stringify(norm);
        if (!snap && !validConfigs.has(key)) {
          validateDefinition('model_config', norm, f.path, lineOfCall(f.text, 'config', ''), `config() of model \`${f.name}\``);
          validConfigs.add(key);
        }
        Object.assign(captured, norm);
        return '';
      },
      { get: (k: string, d?: unknown) => captured[k] ?? base[k] ?? d, require: (k: string) => captured[k] ?? base[k] },
    );
    // From the cache; else statically when the template allows it (no render); else render once in capture mode.
    const stat = fromCache ? null : staticCapture(tpl().ast, unsafeMacros, impureMacros);
    if (fromCache) {
      Object.assign(captured, fromCache.config);
      refs.push(...fromCache.refs);
      sources.push(...fromCache.sources);
      usesIsIncremental = fromCache.usesIsIncremental;
    } else if (stat) {
      // parsed again when rendered: 10,000 trees kept from here to the render pass outlive the
      // young generation, and the old one's collections cost more than parsing twice
      prepared = undefined;
      cacheable = stat.pure && !snap;
      refs.push(...stat.refs);
      sources.push(...stat.sources);
      usesIsIncremental = stat.usesIsIncremental;
      for (const c of stat.configs) cfgFn(kwArgs(c));
    } else {
      engine.setGlobal('config', cfgFn);
      engine.setGlobal('ref', (...args: unknown[]) => {
        const { pos, kw } = splitArgs(args);
        const name = String(pos.length > 1 ? pos[1] : pos[0] ?? kw.name);
        refs.push(refTarget(pos, kw).key);
        return new RelationValue({ schema: 'ref', identifier: name }, dialect.quoteIdentifier(name));
      });
      engine.setGlobal('source', (...args: unknown[]) => {
        const { pos } = splitArgs(args);
        sources.push([String(pos[0]), String(pos[1])]);
        return new RelationValue({ schema: String(pos[0]), identifier: String(pos[1]) }, `${dialect.quoteIdentifier(String(pos[0]))}.${dialect.quoteIdentifier(String(pos[1]))}`);
      });
      engine.setGlobal('is_incremental', () => {
        usesIsIncremental = true;
        return false;
      });
      engine.setGlobal('this', relationValue(provisional, dialect));
      engine.setGlobal('model', { name: f.name, unique_id: `model.${fp}.${f.name}`, package_name: fp, config: base, path: f.path });
      engine.render(tpl(), f.package);
    }
    const config = mergeConfig(base, captured, rootOverride(snap ? 'snapshotsConfig' : 'modelsConfig', f.package, f.folders, f.name));
    if (config.enabled === false) return;
    if (snap) snapshotSpec(f.name, config, { file: f.path, line: snap.line });
    // a model version: `model.<package>.<name>.v<v>`, ref'd as `<name>.v<v>` (and as `<name>` when it is the latest)
    const refName = f.versionOf ? versionKey(f.versionOf, f.version!) : f.name;
    const id = `${snap ? 'snapshot' : 'model'}.${fp}.${f.versionOf ? `${f.versionOf}.v${f.version}` : f.name}`;
    const prevId = refIndex.inPackage(fp, refName);
    if (prevId) {
      const what = snap ? `a snapshot and a ${prevId.split('.')[0]}` : 'a model and a seed';
      throw new TxError('DUPLICATE', `${what} are both named \`${f.name}\`${f.package ? ` in package \`${f.package}\`` : ''}`, { file: f.path, line: snap?.line, hint: 'ref() could not tell them apart; rename one' });
    }
    refIndex.set(fp, refName, id);
    if (f.versionOf && f.version === f.latestVersion) {
      if (refIndex.inPackage(fp, f.versionOf)) throw new TxError('DUPLICATE', `a model file is named \`${f.versionOf}\`, as the versioned model is`, { file: f.path, hint: 'ref() could not tell them apart; rename the file or list it among the versions' });
      refIndex.set(fp, f.versionOf, id);
    }
    const release = (): void => {
      prepared = undefined;
    };
    work.push({ file: f, id, tpl, release, textHash, rawChecksum, cacheable, props, config, refs, sources, usesIsIncremental, snap });
    if (cacheable) captures.set(f.path, { config: captured, refs, sources, usesIsIncremental });
  }

  // ---- resolve refs and sources, build nodes and the DAG
  const dag = new Dag();
  const disabledModels = new Set(project.models.map((m) => m.name).filter((n) => !byName.has(n) && !failedModels.has(n)));
  for (const w of work) {
    const deps: string[] = [];
    for (const r of w.refs) {
      const id = refIndex.find(r, w.file.package);
      if (!id) {
        // never suggest the model that holds the broken ref
        const others = [...byName.keys()].filter((n) => n !== w.file.name);
        const hint = disabledModels.has(r) ? `model \`${r}\` is disabled (enabled: false)` : didYouMean(r, others);
        throw new TxError('REF', `model \`${w.file.name}\` refers to \`${r}\`, which does not exist`, { file: w.file.path, line: lineOfCall(w.file.text, 'ref', r), hint });
      }
      deps.push(id);
    }
    for (const [s, t] of w.sources) {
      const id = sourceIndex.find(`${s}.${t}`, w.file.package);
      if (!id) {
        throw new TxError('REF', `model \`${w.file.name}\` uses source \`${s}.${t}\`, which is not declared in any properties file`, {
          file: w.file.path,
          line: lineOfCall(w.file.text, 'source', t),
          hint: didYouMean(`${s}.${t}`, sourceIds.keys()),
        });
      }
      deps.push(id);
    }
    const materialized = String(w.config.materialized ?? 'view');
    // a model version's relation is `<name>_v<v>` unless its config names one (dbt's generate_alias_name)
    const vf = w.file;
    const relation = w.snap ? snapshotRelation(relationFor(vf.name, w.config, 'snapshot'), w.config) : relationFor(vf.versionOf ? `${vf.versionOf}_v${vf.version}` : vf.name, w.config, 'model');
    nodes.set(w.id, {
      uniqueId: w.id,
      resourceType: w.snap ? 'snapshot' : 'model',
      name: vf.versionOf ?? vf.name,
      packageName: vf.package,
      ...(vf.versionOf ? { version: vf.version, latestVersion: vf.latestVersion } : {}),
      path: vf.path,
      fqn: [vf.package ?? p, ...vf.folders.slice(1), ...(vf.versionOf ? [vf.versionOf, `v${vf.version}`] : [vf.name])],
      folders: w.file.folders,
      relation: materialized === 'ephemeral' ? undefined : relation,
      relationName: materialized === 'ephemeral' ? undefined : dialect.relationName(relation),
      config: w.config,
      tags: tagsOf(w.config),
      description: w.props?.description ?? w.snap?.description ?? '',
      columns: w.props?.columns ?? w.snap?.columns ?? [],
      rawSql: w.file.text,
      checksum: w.textHash,
      rawChecksum: w.rawChecksum,
      dependsOn: [...new Set(deps)],
      refs: [...new Set(w.refs)],
      sources: w.sources,
      usesIsIncremental: w.usesIsIncremental,
    });
  }
  for (const n of nodes.values()) dag.add(n.uniqueId, n.dependsOn);
  // --defer: ref() of these nodes reads the state's relation (they are not built in this run)
  for (const [id, r] of opts.deferRelations ?? []) {
    const n = nodes.get(id);
    if (n && n.relation) {
      n.ownRelation = { relation: n.relation, relationName: n.relationName! };
      n.relation = r;
      n.relationName = dialect.relationName(r);
    }
  }
  const label = (id: string) => nodes.get(id)?.name ?? id;
  dag.assertAcyclic(label);

  // ---- models, pass 2: render with real relations
  const workById = new Map(work.map((w) => [w.id, w]));
  // --empty: ref() and source() read no rows, as dbt renders a relation limited to 0
  // --sample: a node with event_time is read within the window (dbt wraps the limited subquery, not the other way round;
  // as dbt's adapters, an alias on every target but DuckDB)
  const limited = (r: Relation, dep?: GraphNode): RelationValue => {
    const alias = (ns: string) => ` _dbt_${ns}_subq_${r.identifier.replace(/\W/g, '_')}`;
    const empty = opts.empty ? `(select * from ${dialect.relationName(r)} where false limit 0)${alias('limit')}` : undefined;
    const eventTime = dep && opts.sample ? (dep.resourceType === 'source' ? dep.source?.eventTime : dep.config.event_time) : undefined;
    if (typeof eventTime === 'string' && eventTime) return new RelationValue(r, `${sampleFilter(empty ?? dialect.relationName(r), eventTime, opts.sample!)}${target.config.type === 'duckdb' ? '' : alias('et_filter')}`);
    return empty ? new RelationValue(r, empty) : relationValue(r, dialect);
  };
  /** Set while a node renders as it runs: a ref() then must name a node it was compiled to depend on. */
  let renderingAtRun = false;
  const renderOne = (w: ModelWork, isIncremental: boolean): string => {
    const node = nodes.get(w.id)!;
    const ephemeralDeps: string[] = [];
    engine.setGlobal('config', Object.assign(() => '', { get: (k: string, d?: unknown) => w.config[k] ?? d, require: (k: string) => w.config[k] }));
    engine.setGlobal('ref', (...args: unknown[]) => {
      const { pos, kw } = splitArgs(args);
      const name = String(pos.length > 1 ? pos[1] : pos[0] ?? kw.name);
      const t = refTarget(pos, kw);
      const depId = refIndex.find(t.key, w.file.package, t.pkg) ?? refIndex.find(t.key, w.file.package);
      // (at compile, capture has refused an unknown name already; as it runs, a ref() the compile did not see may name anything)
      if (depId === undefined) throw new TxError('REF', `ref to \`${t.key}\`, which does not exist`, { file: w.file.path, hint: didYouMean(t.key, byName.keys()) });
      const dep = nodes.get(depId)!;
      // A ref() the compile did not see (inside {% if execute %}, or is_incremental(), with a name it
      // computes): the DAG does not order the two nodes, so this one could read the other's previous
      // version. dbt refuses it the same way (RefBadContextError).
      if (renderingAtRun && !node.dependsOn.includes(dep.uniqueId)) {
        throw new TxError('REF', `${node.resourceType} \`${node.name}\` refers to \`${dep.name}\` only as it runs, so tx could not know to build \`${dep.name}\` first (a ref() inside {% if execute %}, is_incremental() or a loop over query results, with a name it computes); add the line \`-- depends_on: {{ ref('${dep.name}') }}\` at the top of the ${node.resourceType}, as dbt asks`, {
          file: w.file.path,
        });
      }
      if (dep.resourceType === 'model' && dep.config.materialized === 'ephemeral') {
        ephemeralDeps.push(dep.uniqueId);
        const r = { schema: '', identifier: EPHEMERAL_PREFIX + name };
        return new RelationValue(r, dialect.quoteIdentifier(r.identifier));
      }
      return limited(dep.relation!, dep);
    });
    engine.setGlobal('source', (...args: unknown[]) => {
      const { pos } = splitArgs(args);
      const dep = nodes.get(sourceIndex.find(`${String(pos[0])}.${String(pos[1])}`, w.file.package)!)!;
      const external = externalSources.get(dep.uniqueId);
      // --empty: dbt-duckdb's relation needs no subquery alias (require_alias False)
      if (external !== undefined) return new RelationValue(dep.relation!, opts.empty ? `(select * from ${external} where false limit 0)` : external);
      return limited(dep.relation!, dep);
    });
    engine.setGlobal('is_incremental', () => isIncremental);
    engine.setGlobal('this', node.relation ? relationValue(node.relation, dialect) : new RelationValue({ schema: '', identifier: EPHEMERAL_PREFIX + node.name }, dialect.quoteIdentifier(EPHEMERAL_PREFIX + node.name)));
    engine.setGlobal('model', { name: node.name, unique_id: node.uniqueId, package_name: node.packageName ?? p, config: node.config, path: node.path });
    const sql = engine.render(w.tpl(), w.file.package);
    return ephemeralDeps.length ? injectCtes(sql, ephemeralDeps, (id) => ephemeralSql(id)) : sql;
  };
  const renderStats = { rendered: 0, cached: 0, volatile: 0 };
  const ephemeralCache = new Map<string, string>();
  const ephemeralIds = new Set(work.filter((w) => w.config.materialized === 'ephemeral').map((w) => w.id));
  const ephemeralSql = (id: string): string => {
    let s = ephemeralCache.get(id);
    if (s === undefined) {
      s = renderOne(workById.get(id)!, false);
      ephemeralCache.set(id, s);
    }
    return s;
  };
  for (const w of work) {
    try {
      renderForCompile(w);
    } catch (e) {
      collect(e);
    }
    // 10,000 compiled templates held to the end cost more in GC than parsing one again
    if (!ephemeralIds.has(w.id)) w.release();
  }
  if (templateErrors.length) throw combineErrors(templateErrors, false);
  await statementChecks.settle();
  function renderForCompile(w: ModelWork): void {
    const node = nodes.get(w.id)!;
    const deps = [node.relationName ?? '', ...w.refs.map((r) => nodes.get(refIndex.find(r, w.file.package)!)!), ...w.sources.map(([a, b]) => nodes.get(sourceIndex.find(`${a}.${b}`, w.file.package)!)!)];
    const hasEphemeral = deps.some((d) => typeof d !== 'string' && d.resourceType === 'model' && d.config.materialized === 'ephemeral');
    const depKey = depsKey(deps.map((d) => (typeof d === 'string' ? d : d.relationName ?? '')).join('\u0000'));
    const cached = w.cacheable && !hasEphemeral ? cache?.render(w.file.path, w.textHash, depKey) : undefined;
    runtime.introspected = false;
    node.compiledSql = cached?.sql ?? renderOne(w, false);
    if (runtime.introspected) node.renderAtRun = true;
    checkOneStatement(node.compiledSql, `${w.snap ? 'snapshot' : 'model'} \`${w.file.name}\``, w.file.path);
    renderStats[cached ? 'cached' : 'rendered']++;
    if (!w.cacheable) renderStats.volatile++;
    const capture = captures.get(w.file.path) ?? (w.cacheable ? cache?.capture(w.file.path, w.textHash) : undefined);
    if (cache && w.cacheable && capture) {
      node.compiledSqlHash = cached?.sqlHash ?? (hasEphemeral ? undefined : sqlFileHash(node.compiledSql));
      cache.put(w.file.path, { textHash: w.textHash, capture, render: hasEphemeral ? undefined : { depKey, sql: node.compiledSql, sqlHash: node.compiledSqlHash! } });
    }
  }
  cache?.save();

  // ---- analyses (dbt's analysis-paths): compiled for manifest.json and target/compiled, never run
  const analyses: GraphNode[] = [];
  for (const f of project.analyses ?? []) {
    const fp = f.package ?? p;
    // dbt puts an analysis under `analysis/` in its fqn and path, whatever its analysis-paths folder; the models: blocks configure it
    const folders = ['analysis', ...f.folders.slice(1)];
    const config = mergeConfig({ materialized: 'view' }, ownBlocks('modelsConfig', f.package, [f.folders[0]!, ...folders], f.name));
    const refs: string[] = [];
    const srcs: [string, string][] = [];
    const deps: string[] = [];
    const ephemeralDeps: string[] = [];
    const id = `analysis.${fp}.${f.name}`;
    engine.setGlobal('config', Object.assign((...args: unknown[]) => {
      const { pos, kw } = splitArgs(args);
      Object.assign(config, normalizeHooks((pos[0] && typeof pos[0] === 'object' ? pos[0] : kw) as Record<string, unknown>));
      return '';
    }, { get: (k: string, d?: unknown) => config[k] ?? d, require: (k: string) => config[k] }));
    engine.setGlobal('ref', (...args: unknown[]) => {
      const { pos, kw } = splitArgs(args);
      const t = refTarget(pos, kw);
      const depId = refIndex.find(t.key, f.package, t.pkg) ?? refIndex.find(t.key, f.package);
      if (!depId) throw new TxError('REF', `analysis \`${f.name}\` refs \`${t.key}\`, which does not exist`, { file: f.path, line: lineOfCall(f.text, 'ref', t.key), hint: didYouMean(t.key, [...nodes.values()].filter((n) => n.resourceType === 'model' || n.resourceType === 'seed' || n.resourceType === 'snapshot').map((n) => n.name)) });
      const dep = nodes.get(depId)!;
      refs.push(t.key);
      if (!deps.includes(depId)) deps.push(depId);
      if (dep.resourceType === 'model' && dep.config.materialized === 'ephemeral') {
        ephemeralDeps.push(depId);
        return new RelationValue({ schema: '', identifier: EPHEMERAL_PREFIX + dep.name }, dialect.quoteIdentifier(EPHEMERAL_PREFIX + dep.name));
      }
      return relationValue(dep.relation!, dialect);
    });
    engine.setGlobal('source', (...args: unknown[]) => {
      const { pos } = splitArgs(args);
      const key = `${String(pos[0])}.${String(pos[1])}`;
      const depId = sourceIndex.find(key, f.package);
      if (!depId) throw new TxError('REF', `analysis \`${f.name}\` uses source \`${key}\`, which is not declared`, { file: f.path, line: lineOfCall(f.text, 'source', String(pos[1])) });
      const dep = nodes.get(depId)!;
      srcs.push([String(pos[0]), String(pos[1])]);
      if (!deps.includes(depId)) deps.push(depId);
      return externalSources.get(depId) !== undefined ? new RelationValue(dep.relation!, externalSources.get(depId)!) : relationValue(dep.relation!, dialect);
    });
    engine.setGlobal('is_incremental', () => false);
    engine.setGlobal('model', { name: f.name, unique_id: id, package_name: fp, config, path: f.path });
    let sql: string;
    try {
      sql = engine.render(engine.prepare(f.text, f.path), f.package);
    } catch (e) {
      collect(e);
      continue;
    }
    if (ephemeralDeps.length) sql = injectCtes(sql, ephemeralDeps, (eid) => ephemeralSql(eid));
    analyses.push({
      uniqueId: id,
      resourceType: 'analysis',
      name: f.name,
      packageName: f.package,
      path: f.path,
      fqn: [fp, ...folders, f.name],
      folders,
      config,
      tags: Array.isArray(config.tags) ? config.tags.map(String) : typeof config.tags === 'string' ? [config.tags] : [],
      description: '',
      columns: [],
      // dbt reads a file stripped: raw_code and the checksum are of the stripped text
      rawSql: f.text.trim(),
      compiledSql: sql,
      checksum: sha(f.text),
      dependsOn: deps,
      refs,
      sources: srcs,
    });
  }
  if (templateErrors.length) throw combineErrors(templateErrors, false);

  // ---- descriptions may use doc()
  for (const n of nodes.values()) {
    if (n.description.includes('{{')) ({ text: n.description, docBlocks: n.docBlocks } = renderDescription(n.description, `${n.path} (description of ${n.name})`));
    for (const c of n.columns) if (c.description.includes('{{')) ({ text: c.description, docBlocks: c.docBlocks } = renderDescription(c.description, `${n.path} (description of ${n.name}.${c.name})`));
  }
  // sources' descriptions too, as dbt renders them (var(), doc(), env_var())
  for (const n of nodes.values()) {
    const s = n.source;
    if (!s) continue;
    const where = `${s.file} (description of source ${s.sourceName}.${s.name})`;
    if (s.description?.includes('{{')) ({ text: s.description, docBlocks: n.docBlocks } = renderDescription(s.description, where));
    if (s.sourceDescription?.includes('{{')) s.sourceDescription = engine.renderString(s.sourceDescription, where);
    for (const c of s.columns ?? []) if (c.description?.includes('{{')) ({ text: c.description, docBlocks: c.docBlocks } = renderDescription(c.description, `${s.file} (description of source column ${s.sourceName}.${s.name}.${c.name})`));
    n.description = s.description;
  }

  // ---- tests
  compileTests(project, nodes, dag, byName, sourceIds, engine, dialect, flavour, { refs: refIndex, sources: sourceIndex }, statementChecks, runtime);
  // a data test's relation, where store_failures keeps its failing rows: dbt's `schema: dbt_test__audit` by
  // default, through generate_schema_name and generate_alias_name as a model's (`main_dbt_test__audit.<test name>`)
  for (const n of nodes.values()) {
    if (n.resourceType !== 'test' || !n.test || n.test.kind === 'unit') continue;
    if (n.config.schema == null || n.config.schema === '') n.config.schema = 'dbt_test__audit';
    n.test.store = relationFor(n.name, n.config, 'test');
  }
  await statementChecks.settle();
  // dbt renders tests when they run: in a project whose templates ask the warehouse, so does tx
  if (introspective) for (const n of nodes.values()) if (n.resourceType === 'test' && n.test?.kind !== 'unit') n.renderAtRun = true;
  dag.assertAcyclic(label);

  const renderString = (source: string, where: string, thisNode?: GraphNode): string => {
    if (thisNode?.relation) engine.setGlobal('this', relationValue(thisNode.relation, dialect));
    engine.setGlobal('ref', (...args: unknown[]) => {
      const { pos } = splitArgs(args);
      const name = String(pos.length > 1 ? pos[1] : pos[0]);
      const id = byName.get(name);
      if (!id) throw new TxError('REF', `ref to \`${name}\`, which does not exist`, { hint: didYouMean(name, byName.keys()) });
      return relationValue(nodes.get(id)!.relation!, dialect);
    });
    // at run time (useWarehouse called) hooks and one-off strings render with execute true
    const prev = runtime.execute;
    runtime.execute = !!runtime.openBridge;
    try {
      return engine.renderString(source, where);
    } finally {
      runtime.execute = prev;
    }
  };
  // exports' destinations, before anything runs (a bad path is exit 2 at `tx compile`)
  checkExports(project, nodes, renderString);
  // dbt-duckdb's external models: their location and formats, checked before anything runs
  for (const n of nodes.values()) {
    if (n.resourceType === 'model' && n.config.materialized === 'external') {
      n.external = externalModel(n, { project, target: target.config as { type: string }, renderString, warn: (m) => log(m, true) });
    }
  }
  // a data test naming a column its seed or contracted model lacks: exit 2 before anything runs
  checkTestColumns(nodes, project.seeds);

  return {
    project,
    nodes,
    analyses,
    dag,
    command: opts.command,
    target,
    dialect,
    runStartedAt,
    renderModel: async (id, o) => {
      renderingAtRun = true;
      let sql: string;
      try {
        sql = renderOne(workById.get(id)!, o.isIncremental);
      } finally {
        renderingAtRun = false;
      }
      await statementChecks.checkNow(sql, severalError(`model \`${nodes.get(id)!.name}\``, nodes.get(id)!.path));
      return sql;
    },
    oneStatement: (id, sql) => {
      const node = nodes.get(id)!;
      return statementChecks.checkNow(sql, severalError(`${node.resourceType === 'snapshot' ? 'snapshot' : node.resourceType === 'test' ? 'test' : 'model'} \`${node.name}\``, node.path));
    },
    renderAtRun: (id, bridge, o) => {
      runtime.execute = true;
      runtime.bridge = bridge;
      runtime.results = new Map();
      try {
        const node = nodes.get(id)!;
        if (node.resourceType === 'test') return renderTestWith(node, o.over ?? new Map());
        // checked by the caller, which can wait for the parser: oneStatement()
        renderingAtRun = true;
        return renderOne(workById.get(id)!, o.isIncremental);
      } finally {
        renderingAtRun = false;
        runtime.execute = false;
        runtime.bridge = undefined;
      }
    },
    useWarehouse: (open) => {
      runtime.openBridge = open;
    },
    renderString,
    resolveOtherTarget: (name) => resolveTarget(project, name, engine),
    renderStats,
  };
}

// ------------------------------------------------------------------ helpers

/** Template text that may ask the warehouse while rendering (dbt's execute, run_query, statement, adapter introspection). */
const INTROSPECTION_RE = /\bexecute\b|\brun_query\b|\bstatement\b|\bload_result\b|\badapter\.(get_|load_|drop_|execute|create_)|\bgraph\b/;

/** Several template errors as one: the first with its place, the others listed under it. */
function combineErrors(errors: TxError[], capped: boolean): TxError {
  if (errors.length === 1) return errors[0]!;
  const [first, ...rest] = errors as [TxError, ...TxError[]];
  const more = rest.map((e) => `  ${e.format().replace(/\n/g, '\n  ')}`).join('\n');
  const tail = capped ? `\n  (stopped after ${errors.length} errors)` : '';
  return new TxError(first.code, `${first.message}${first.hint ? ` (hint: ${first.hint})` : ''}\nand ${rest.length} more template error${rest.length > 1 ? 's' : ''}:\n${more}${tail}`, {
    file: first.location.file,
    line: first.location.line,
    column: first.location.column,
    cause: first,
  });
}

function normalizeHooks(c: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(c)) out[k === 'pre-hook' ? 'pre_hook' : k === 'post-hook' ? 'post_hook' : k] = v;
  return out;
}

const isPlainObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function mergeConfig(...parts: (Record<string, unknown> | undefined)[]): NodeConfig {
  const out: NodeConfig = {};
  for (const p of parts) {
    if (!p) continue;
    // (keys, not entries: called several times per model, and the pairs were most of its cost)
    for (const k0 of Object.keys(p)) {
      const v = p[k0];
      const k = k0 === 'pre-hook' ? 'pre_hook' : k0 === 'post-hook' ? 'post_hook' : k0;
      if (k === 'tags') out.tags = [...new Set([...(out.tags ?? []), ...(Array.isArray(v) ? v.map(String) : [String(v)])])];
      // meta is updated key by key, as dbt merges it (MergeBehavior.Update)
      else if (k === 'meta' && isPlainObj(v) && isPlainObj(out.meta)) out.meta = { ...out.meta, ...v };
      else out[k] = v;
    }
  }
  return out;
}

function tagsOf(c: NodeConfig): string[] {
  return Array.isArray(c.tags) ? c.tags.map(String) : c.tags ? [String(c.tags)] : [];
}

/** Line of the first `fn('name'` call in a template, for error messages. */
export function lineOfCall(text: string, fn: string, name: string): number | undefined {
  const esc = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`\\b${fn}\\s*\\([^)]*${esc ? `['"]${esc}['"]` : ''}`);
  const m = re.exec(text);
  return m ? text.slice(0, m.index).split('\n').length : undefined;
}

/** Inline ephemeral models as CTEs at the front of the statement. */
function injectCtes(sql: string, ids: string[], sqlOf: (id: string) => string): string {
  const ordered: string[] = [];
  const seen = new Set<string>();
  const collect = (id: string): void => {
    if (seen.has(id)) return;
    seen.add(id);
    // an ephemeral's own ephemeral deps are already inlined in its SQL
    ordered.push(id);
  };
  ids.forEach(collect);
  const ctes = ordered.map((id) => {
    const name = id.split('.').pop()!;
    return `"${EPHEMERAL_PREFIX}${name}" as (\n${sqlOf(id).trim().replace(/;\s*$/, '')}\n)`;
  });
  const m = /^(\s*(?:--[^\n]*\n\s*|\/\*[\s\S]*?\*\/\s*)*)with(\s+recursive)?\s/i.exec(sql);
  if (m) return `${m[1]}with${m[2] ?? ''} ${ctes.join(',\n')},\n${sql.slice(m[0].length)}`;
  return `with ${ctes.join(',\n')}\n${sql}`;
}



const kwArgs = (o: Record<string, unknown>) => Kwargs.of(o);

/**
 * refs, sources, config() and is_incremental() of a template, read from its syntax tree.
 * Null when something is only known by rendering (non-literal arguments, a macro that
 * itself calls ref/config, ...).
 */
const IMPURE_NAMES = ['env_var', 'run_started_at', 'invocation_id', 'log', 'modules'];

function staticCapture(
  ast: Stmt[],
  unsafeMacros: Set<string>,
  impureMacros: Set<string>,
): { refs: string[]; sources: [string, string][]; configs: Record<string, unknown>[]; usesIsIncremental: boolean; pure: boolean } | null {
  const { calls, names, assigned, dynamic } = staticCalls(ast);
  const captured = ['ref', 'source', 'config', 'is_incremental'];
  // Rebound, passed around as values or called in ways the tree does not show: render instead.
  if (dynamic || captured.some((n) => names.has(n) || assigned.has(n))) return null;
  const pure = !IMPURE_NAMES.some((n) => names.has(n)) && !calls.some((c) => IMPURE_NAMES.includes(c.name) || impureMacros.has(c.name));
  const out = { refs: [] as string[], sources: [] as [string, string][], configs: [] as Record<string, unknown>[], usesIsIncremental: false, pure };
  for (const c of calls) {
    switch (c.name) {
      case 'ref':
        if (!c.args || !c.kw || !c.args.length || c.args.some((a) => typeof a !== 'string')) return null;
        out.refs.push(refTarget(c.args, c.kw).key);
        break;
      case 'source':
        if (!c.args || c.args.length !== 2 || c.args.some((a) => typeof a !== 'string')) return null;
        out.sources.push([String(c.args[0]), String(c.args[1])]);
        break;
      case 'config':
        if (!c.args || !c.kw) return null;
        if (c.args.length === 1 && c.args[0] && typeof c.args[0] === 'object') out.configs.push(c.args[0] as Record<string, unknown>);
        else if (c.args.length) return null;
        out.configs.push(c.kw);
        break;
      case 'is_incremental':
        out.usesIsIncremental = true;
        break;
      default:
        if (unsafeMacros.has(c.name)) return null;
    }
  }
  return out;
}

/** A folder source's format: that of the first data file inside (Spark part files). */
function formatOfFolder(dir: string): ReturnType<typeof formatFromPath> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return undefined;
  for (const f of (readdirSync(dir, { recursive: true }) as string[]).sort()) {
    const base = f.split('/').pop()!;
    if (base.startsWith('_') || base.startsWith('.') || base.endsWith('.crc')) continue;
    const fmt = formatFromPath(f);
    if (fmt) return fmt;
  }
  return undefined;
}
