/**
 * Unit tests for models (`unit_tests:` in properties files), compiled into test nodes.
 *
 *     unit_tests:
 *       - name: fills_missing_claims
 *         model: stg_prescribers
 *         overrides: {vars: {top_ranks: 2}, macros: {is_incremental: false}}
 *         given:
 *           - input: source('vendor', 'prescribers')
 *             rows: [{npi: 1, total_claim_count: 10}, ...]         # or format: csv + rows: | or fixture: name
 *         expect:
 *           rows: [{presc_id: 1, trx_cnt: 10}, ...]
 *
 * The model is rendered again with each ref()/source() pointing at a fixture table; the run
 * creates those tables from the given rows in a private in-memory DuckDB, runs the model's SQL
 * there and compares its output with the expected rows (only the columns `expect` names).
 * Nothing touches the warehouse. Fixture problems are project errors (exit 2) with file:line.
 */
import type { Relation } from '../../targets/target.js';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { TxError, didYouMean } from '../errors.js';
import type { Dag } from '../graph/dag.js';
import type { ColumnProps, Project, UnitTestSpec } from '../load/project-types.js';
import { readYaml, type YamlFile } from '../load/yaml-file.js';
import { unitTestFiles } from '../load/properties.js';
import type { TemplateEngine } from '../template/template-engine.js';
import type { GraphNode } from '../compile/nodes.js';
import { RelationValue, splitArgs } from '../compile/template-context.js';
import { parseCsvText } from './csv-text.js';

export type FixtureValue = string | number | boolean | null;

export interface FixtureColumn {
  name: string;
  /** Declared type (logical, e.g. `bigint`, or a warehouse type); untyped columns take the values' type. */
  type?: string;
}

/** One `given` input, ready to become a table in the unit test's private database. */
export interface FixtureTable {
  /** As the model calls it: `ref('x')`, `source('a', 'b')` or `this`. */
  input: string;
  /** Table name in the private database (unquoted). */
  table: string;
  columns: FixtureColumn[];
  /** Values aligned with `columns`. */
  rows: FixtureValue[][];
  /** `format: sql`: a query that returns the fixture rows. */
  sql?: string;
  file: string;
  line?: number;
  /**
   * The input's relation when its properties declare no columns: at run time its columns (names,
   * types, order) are read from the warehouse, as dbt does, and the rows fill them (null elsewhere).
   */
  columnsFrom?: Relation;
}

export interface UnitTestPlan {
  name: string;
  modelId: string;
  modelName: string;
  file: string;
  line?: number;
  /** The model's SQL with every input pointing at its fixture table. */
  sql: string;
  given: FixtureTable[];
  expect: { columns: string[]; rows: FixtureValue[][]; sql?: string; file: string; line?: number };
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);
const UNIT_KEYS = ['name', 'model', 'description', 'given', 'expect', 'overrides', 'config', 'versions'];
const GIVEN_KEYS = ['input', 'rows', 'format', 'fixture'];
const EXPECT_KEYS = ['rows', 'format', 'fixture'];
const FORMATS = ['dict', 'csv', 'sql'];

const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;

interface InputRef {
  key: string;
  input: string;
  table: string;
  kind: 'ref' | 'source' | 'this';
  name: string;
  source?: string;
}

/** Parse `ref('x')`, `ref('pkg', 'x')`, `source('a', 'b')` or `this`. */
function parseInput(text: string): InputRef | undefined {
  const t = text.trim();
  if (t === 'this') return { key: 'this', input: 'this', table: '__tx_given__this', kind: 'this', name: 'this' };
  const r = /^ref\s*\(\s*['"]([^'"]+)['"]\s*(?:,\s*['"]([^'"]+)['"]\s*)?\)$/.exec(t);
  if (r) {
    const name = r[2] ?? r[1]!;
    return { key: `ref:${name}`, input: `ref('${name}')`, table: `__tx_given__ref__${name}`, kind: 'ref', name };
  }
  const s = /^source\s*\(\s*['"]([^'"]+)['"]\s*,\s*['"]([^'"]+)['"]\s*\)$/.exec(t);
  if (s) return { key: `source:${s[1]}.${s[2]}`, input: `source('${s[1]}', '${s[2]}')`, table: `__tx_given__src__${s[1]}__${s[2]}`, kind: 'source', name: s[2]!, source: s[1]! };
  return undefined;
}

function scalar(v: unknown, where: () => string, file: string, line: number | undefined): FixtureValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Date) return v.toISOString();
  throw new TxError('PROJECT', `${where()} holds a ${Array.isArray(v) ? 'list' : 'map'}; fixture values must be scalars (text, numbers, booleans or null)`, { file, line });
}

/** Unit tests → test nodes attached to their models. */
export function compileUnitTests(
  project: Project,
  nodes: Map<string, GraphNode>,
  dag: Dag,
  engine: TemplateEngine,
  byName: Map<string, string>,
  sourceIds: Map<string, string>,
): void {
  if (!project.unitTests.length) return;
  const yamlCache = new Map<string, YamlFile>();
  const yamlOf = (file: string): YamlFile => {
    let y = yamlCache.get(file);
    if (!y) {
      y = readYaml(join(project.dir, file), file, project.projectFile === 'dbt_project.yml' ? 'pyyaml' : 'yaml-1.2');
      yamlCache.set(file, y);
    }
    return y;
  };
  const seen = new Set<string>();
  for (const spec of project.unitTests) {
    // the file as the loader parsed it (a spec made elsewhere: read again)
    const y = unitTestFiles.get(spec) ?? yamlOf(spec.file);
    const list = isObj(y.value) && Array.isArray(y.value.unit_tests) ? (y.value.unit_tests as unknown[]) : [];
    let index = list.findIndex((_, i) => y.lineOf(['unit_tests', i]) === spec.line);
    if (index < 0) index = list.findIndex((u) => isObj(u) && u.name === spec.name);
    const lineOf = (path: (string | number)[]) => (index < 0 ? spec.line : y.lineOf(['unit_tests', index, ...path]));
    const node = compileOne(project, spec, lineOf, nodes, engine, byName, sourceIds);
    if (!node) continue;
    if (seen.has(node.uniqueId) || nodes.has(node.uniqueId)) {
      throw new TxError('DUPLICATE', `two unit tests of model \`${node.test!.unit!.modelName}\` are named \`${spec.name}\``, { file: spec.file, line: spec.line });
    }
    seen.add(node.uniqueId);
    nodes.set(node.uniqueId, node);
    dag.add(node.uniqueId, node.dependsOn);
  }
}

function compileOne(
  project: Project,
  spec: UnitTestSpec,
  lineOf: (path: (string | number)[]) => number | undefined,
  nodes: Map<string, GraphNode>,
  engine: TemplateEngine,
  byName: Map<string, string>,
  sourceIds: Map<string, string>,
): GraphNode | undefined {
  const raw = spec.raw;
  const file = spec.file;
  const err = (msg: string, path: (string | number)[] = [], hint?: string) => new TxError('PROJECT', msg, { file, line: lineOf(path), hint });
  for (const k of Object.keys(raw)) {
    if (!UNIT_KEYS.includes(k)) throw err(`unit test \`${spec.name || '?'}\` has an unknown key \`${k}\``, [k], didYouMean(k, UNIT_KEYS) ?? `keys: ${UNIT_KEYS.join(', ')}`);
  }
  if (!spec.name || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(spec.name)) {
    throw err(`a unit test needs a \`name\` made of letters, digits and underscores${spec.name ? `; got \`${spec.name}\`` : ''}`, ['name']);
  }
  const what = `unit test \`${spec.name}\``;
  if (!spec.model) throw err(`${what} needs \`model:\`, the model it tests`, []);
  const config = isObj(raw.config) ? raw.config : {};
  if (raw.config !== undefined && !isObj(raw.config)) throw err(`\`config\` of ${what} must be a map`, ['config']);
  if (config.enabled === false) return undefined;
  // a package's unit test tests a model of that package first, as dbt resolves it
  const pkg = spec.package ?? project.name;
  const modelId = nodes.has(`model.${pkg}.${spec.model}`) ? `model.${pkg}.${spec.model}` : byName.get(spec.model);
  const model = modelId ? nodes.get(modelId) : undefined;
  if (!model || model.resourceType !== 'model') {
    const models = [...nodes.values()].filter((n) => n.resourceType === 'model').map((n) => n.name);
    throw err(`${what} tests model \`${spec.model}\`, which does not exist${project.models.some((m) => m.name === spec.model) ? ' (it is disabled)' : ''}`, ['model'], didYouMean(spec.model, models));
  }
  const modelFile = project.models.find((m) => m.path === model.path) ?? project.models.find((m) => m.name === model.name)!;

  // ---- the model's inputs
  const inputs = new Map<string, InputRef>();
  for (const r of model.refs) {
    const i = parseInput(`ref('${r}')`)!;
    inputs.set(i.key, i);
  }
  for (const [s, t] of model.sources) {
    const i = parseInput(`source('${s}', '${t}')`)!;
    inputs.set(i.key, i);
  }
  const inputList = () => [...inputs.values()].map((i) => i.input).join(', ') || '(none)';

  // ---- overrides
  const overrides = raw.overrides === undefined ? {} : raw.overrides;
  if (!isObj(overrides)) throw err(`\`overrides\` of ${what} must be a map (vars, macros, env_vars)`, ['overrides']);
  for (const k of Object.keys(overrides)) {
    if (!['vars', 'macros', 'env_vars'].includes(k)) throw err(`\`overrides\` of ${what} has an unknown key \`${k}\``, ['overrides', k], didYouMean(k, ['vars', 'macros', 'env_vars']));
    if (!isObj(overrides[k])) throw err(`\`overrides.${k}\` of ${what} must be a map`, ['overrides', k]);
  }
  const oVars = (overrides.vars ?? {}) as Obj;
  const oMacros = (overrides.macros ?? {}) as Obj;
  const oEnv = (overrides.env_vars ?? {}) as Obj;
  if ('is_incremental' in oMacros && typeof oMacros.is_incremental !== 'boolean') throw err(`\`overrides.macros.is_incremental\` of ${what} must be true or false`, ['overrides', 'macros', 'is_incremental']);
  if (oMacros.is_incremental === true) inputs.set('this', parseInput('this')!);

  // ---- given
  if (!Array.isArray(raw.given)) throw err(`${what} needs \`given:\`, a list of inputs with their rows (model \`${model.name}\` reads ${inputList()})`, raw.given === undefined ? [] : ['given']);
  const given: FixtureTable[] = [];
  const givenKeys = new Set<string>();
  raw.given.forEach((g, gi) => {
    const at = ['given', gi];
    if (!isObj(g)) throw err(`each entry of \`given\` of ${what} must be a map with \`input\` and \`rows\``, at);
    for (const k of Object.keys(g)) {
      if (!GIVEN_KEYS.includes(k)) throw err(`\`given\` entry of ${what} has an unknown key \`${k}\``, [...at, k], didYouMean(k, GIVEN_KEYS) ?? `keys: ${GIVEN_KEYS.join(', ')}`);
    }
    const inp = typeof g.input === 'string' ? parseInput(g.input) : undefined;
    if (!inp) throw err(`\`input\` of a given in ${what} must be ref('name'), source('source', 'table') or this; got ${JSON.stringify(g.input ?? null)}`, [...at, 'input']);
    if (!inputs.has(inp.key)) {
      const hint = didYouMean(inp.input, [...inputs.values()].map((i) => i.input));
      throw err(`${what} gives rows for ${inp.input}, which model \`${model.name}\` does not read (its inputs: ${inputList()})`, [...at, 'input'], hint);
    }
    if (givenKeys.has(inp.key)) throw err(`${what} gives ${inp.input} twice`, [...at, 'input']);
    givenKeys.add(inp.key);
    const declared = declaredColumns(inp, nodes, byName, sourceIds, model);
    const relation = declared.length ? undefined : inputRelation(inp, nodes, byName, sourceIds, model);
    const fixture = readFixture(project, file, g, at, lineOf, `${inp.input} in ${what}`, declared, inp, !!relation);
    if (relation && !fixture.sql) fixture.columnsFrom = relation;
    given.push(fixture);
  });
  const missing = [...inputs.values()].filter((i) => !givenKeys.has(i.key));
  if (missing.length) {
    throw err(`${what} gives no rows for ${missing.map((m) => m.input).join(', ')}, which model \`${model.name}\` reads`, ['given'], `add \`- input: ${missing[0]!.input}\` with \`rows: []\` if it may be empty`);
  }

  // ---- expect
  if (!isObj(raw.expect)) throw err(`${what} needs \`expect:\` with the rows the model should return`, raw.expect === undefined ? [] : ['expect']);
  for (const k of Object.keys(raw.expect)) {
    if (!EXPECT_KEYS.includes(k)) throw err(`\`expect\` of ${what} has an unknown key \`${k}\``, ['expect', k], didYouMean(k, EXPECT_KEYS) ?? `keys: ${EXPECT_KEYS.join(', ')}`);
  }
  const exp = readFixture(project, file, raw.expect, ['expect'], lineOf, `\`expect\` of ${what}`, [], undefined);

  // ---- render the model over the fixture tables
  const sql = renderModel(engine, modelFile.text, modelFile.path, model, oVars, oMacros, oEnv, modelFile.package);

  const tags = [...new Set([...(Array.isArray(config.tags) ? config.tags.map(String) : config.tags ? [String(config.tags)] : [])])];
  const plan: UnitTestPlan = {
    name: spec.name,
    modelId: model.uniqueId,
    modelName: model.name,
    file,
    line: spec.line,
    sql,
    given,
    expect: { columns: exp.columns.map((c) => c.name), rows: exp.rows, sql: exp.sql, file, line: lineOf(['expect']) },
  };
  const id = `unit_test.${pkg}.${model.name}.${spec.name}`;
  return {
    uniqueId: id,
    resourceType: 'test',
    name: spec.name,
    path: file,
    fqn: [pkg, model.name, spec.name],
    ...(spec.package ? { packageName: spec.package } : {}),
    folders: [],
    config: { ...config, tags },
    tags,
    description: typeof raw.description === 'string' ? raw.description : '',
    columns: [],
    checksum: createHash('sha256').update(JSON.stringify(raw)).digest('hex'),
    dependsOn: [model.uniqueId],
    refs: [],
    sources: [],
    test: { kind: 'unit', severity: 'error', attachedTo: model.uniqueId, unit: plan },
  };
}

/** Declared columns of an input (properties `columns:`), or none. */
function declaredColumns(inp: InputRef, nodes: Map<string, GraphNode>, byName: Map<string, string>, sourceIds: Map<string, string>, model: GraphNode): ColumnProps[] {
  if (inp.kind === 'this') return model.columns;
  const id = inp.kind === 'ref' ? byName.get(inp.name) : sourceIds.get(`${inp.source}.${inp.name}`);
  return (id ? nodes.get(id)?.columns : undefined) ?? [];
}

/** The relation an input reads (none for an ephemeral model). */
function inputRelation(inp: InputRef, nodes: Map<string, GraphNode>, byName: Map<string, string>, sourceIds: Map<string, string>, model: GraphNode): Relation | undefined {
  if (inp.kind === 'this') return model.relation;
  const id = inp.kind === 'ref' ? byName.get(inp.name) : sourceIds.get(`${inp.source}.${inp.name}`);
  return id ? nodes.get(id)?.relation : undefined;
}

/** Rows of a `given` entry or of `expect`, in any format, checked against declared columns. */
function readFixture(
  project: Project,
  file: string,
  g: Obj,
  at: (string | number)[],
  lineOf: (path: (string | number)[]) => number | undefined,
  what: string,
  declared: ColumnProps[],
  inp: InputRef | undefined,
  /** The warehouse will name the columns at run time (an input with a relation and no declared columns). */
  columnsLater = false,
): FixtureTable {
  const err = (msg: string, path: (string | number)[] = [], hint?: string) => new TxError('PROJECT', msg, { file, line: lineOf(path), hint });
  const format = g.format === undefined ? 'dict' : String(g.format);
  if (!FORMATS.includes(format)) throw err(`\`format\` of ${what} must be dict, csv or sql; got \`${format}\``, [...at, 'format'], didYouMean(format, FORMATS));
  if (g.rows !== undefined && g.fixture !== undefined) throw err(`${what} has both \`rows\` and \`fixture\`; use one`, [...at, 'fixture']);
  let text: string | undefined;
  let textLine = lineOf([...at, 'rows']);
  let textFile = file;
  if (g.fixture !== undefined) {
    if (format === 'dict') throw err(`a \`fixture\` file needs \`format: csv\` or \`format: sql\` (${what})`, [...at, 'fixture']);
    if (typeof g.fixture !== 'string' || !g.fixture) throw err(`\`fixture\` of ${what} must be a file name`, [...at, 'fixture']);
    const path = findFixture(project, file, g.fixture, format);
    if (!path) {
      throw err(`fixture \`${g.fixture}\` of ${what} not found`, [...at, 'fixture'], `looked for ${project.paths.tests[0] ?? 'tests'}/fixtures/${g.fixture}.${format}, and the path relative to the project and to ${file}`);
    }
    text = readFileSync(path, 'utf8');
    textFile = path.startsWith(project.dir) ? path.slice(project.dir.length + 1) : path;
    textLine = 1;
  } else if (format !== 'dict') {
    if (typeof g.rows !== 'string') throw err(`with \`format: ${format}\`, \`rows\` of ${what} must be text (use \`rows: |\`) or \`fixture:\` must name a file`, [...at, 'rows']);
    text = g.rows;
  }
  const out: FixtureTable = { input: inp?.input ?? 'expect', table: inp?.table ?? '__tx_expected', columns: [], rows: [], file, line: lineOf(at) };
  const declaredBy = new Map(declared.map((c) => [c.name.toLowerCase(), c]));
  const columnOf = (name: string, rowPath: (string | number)[]): string => {
    if (!declared.length) return name;
    const c = declaredBy.get(name.toLowerCase());
    if (!c) {
      const whose = inp ? `${inp.input}` : 'the model';
      throw err(`${what}: column \`${name}\` is not a column of ${whose} (declared: ${declared.map((d) => d.name).join(', ')})`, rowPath, didYouMean(name, declared.map((d) => d.name)));
    }
    return c.name;
  };

  if (format === 'sql') {
    out.sql = text!.trim().replace(/;\s*$/, '');
    if (!/^(\(|select\b|with\b|values\b|from\b)/i.test(out.sql.replace(/^(\s*--[^\n]*\n|\s*\/\*[\s\S]*?\*\/)*/g, '').trim())) {
      throw new TxError('PROJECT', `${what}: a \`format: sql\` fixture must be a query (select ...)`, { file: textFile, line: textLine });
    }
    return out;
  }

  // rows as maps (dict) or as CSV records
  let records: { values: Map<string, FixtureValue>; path: (string | number)[] }[] = [];
  const order: string[] = [];
  const addCol = (name: string) => {
    if (!order.some((o) => o.toLowerCase() === name.toLowerCase())) order.push(name);
  };
  if (format === 'csv') {
    const { header, rows } = parseCsvText(text!);
    // the header is line 1 of a fixture file, or the line after `rows: |`
    const headerLine = g.fixture !== undefined ? 1 : textLine === undefined ? undefined : textLine + 1;
    if (!header.length || header.some((h) => !h)) throw new TxError('PROJECT', `${what}: CSV rows need a header line naming every column`, { file: textFile, line: textLine });
    const cols = header.map((h) => columnOf(h, g.fixture !== undefined ? [...at, 'fixture'] : [...at, 'rows']));
    cols.forEach(addCol);
    records = rows.map((r, ri) => {
      if (r.length !== header.length) {
        throw new TxError('PROJECT', `${what}: CSV row ${ri + 1} has ${r.length} field${r.length === 1 ? '' : 's'}, the header has ${header.length}`, { file: textFile, line: headerLine === undefined ? undefined : headerLine + 1 + ri });
      }
      return { values: new Map(cols.map((c, i) => [c, r[i] ?? null])), path: [...at, 'rows'] };
    });
  } else {
    const rows = g.rows === undefined ? [] : g.rows;
    if (!Array.isArray(rows)) throw err(`\`rows\` of ${what} must be a list of maps (column: value), or text with \`format: csv\``, [...at, 'rows']);
    records = rows.map((r, ri) => {
      const rowPath = [...at, 'rows', ri];
      if (!isObj(r)) throw err(`row ${ri + 1} of ${what} must be a map of column: value`, rowPath);
      const values = new Map<string, FixtureValue>();
      for (const [k, v] of Object.entries(r)) {
        const name = columnOf(k, [...rowPath, k]);
        addCol(name);
        values.set(name, scalar(v, () => `row ${ri + 1} of ${what}, column \`${k}\``, file, lineOf([...rowPath, k])));
      }
      return { values, path: rowPath };
    });
  }
  if (inp && declared.length) {
    // every declared column exists in the fixture table; the ones the rows leave out are null
    out.columns = declared.map((c) => ({ name: c.name, type: c.dataType }));
  } else {
    if (inp && !order.length && !columnsLater) {
      throw err(`${what} has no rows and ${inp.input} declares no columns, so tx cannot tell its columns`, [...at], `declare the columns of ${inp.input} in its properties file, or give at least one row`);
    }
    out.columns = order.map((name) => ({ name }));
  }
  out.rows = records.map((r) => out.columns.map((c) => (r.values.has(c.name) ? r.values.get(c.name)! : null)));
  return out;
}

function findFixture(project: Project, ymlFile: string, name: string, format: string): string | undefined {
  const withExt = name.endsWith(`.${format}`) ? name : `${name}.${format}`;
  const candidates = [
    ...project.paths.tests.map((t) => join(project.dir, t, 'fixtures', withExt)),
    resolve(project.dir, name),
    resolve(project.dir, dirname(ymlFile), name),
    resolve(project.dir, withExt),
    resolve(project.dir, dirname(ymlFile), withExt),
  ];
  return candidates.find((c) => existsSync(c));
}

/** Render the model with ref()/source()/this pointing at fixture tables and the overrides applied. */
function renderModel(
  engine: TemplateEngine,
  text: string,
  path: string,
  model: GraphNode,
  vars: Obj,
  macros: Obj,
  envVars: Obj,
  /** The package the model belongs to: its macros are seen unprefixed. */
  pkg?: string,
): string {
  const names = ['ref', 'source', 'this', 'config', 'is_incremental', 'model', 'var', 'env_var', 'target', ...Object.keys(macros)];
  const saved = new Map(names.map((n) => [n, engine.getGlobal(n)]));
  const rel = (table: string) => new RelationValue({ schema: '', identifier: table }, quote(table));
  try {
    engine.setGlobal('ref', (...args: unknown[]) => {
      const { pos, kw } = splitArgs(args);
      const name = String(pos.length > 1 ? pos[1] : pos[0] ?? kw.name);
      return rel(parseInput(`ref('${name}')`)!.table);
    });
    engine.setGlobal('source', (...args: unknown[]) => {
      const { pos } = splitArgs(args);
      return rel(parseInput(`source('${String(pos[0])}', '${String(pos[1])}')`)!.table);
    });
    engine.setGlobal('this', rel('__tx_given__this'));
    // Unit tests run on an in-memory DuckDB whatever the target: macros that branch on
    // target.type must render their DuckDB form.
    engine.setGlobal('target', { ...(saved.get('target') as Obj), type: 'duckdb', name: 'unit_test' });
    engine.setGlobal('config', Object.assign(() => '', { get: (k: string, d?: unknown) => model.config[k] ?? d, require: (k: string) => model.config[k] }));
    engine.setGlobal('model', { name: model.name, unique_id: model.uniqueId, config: model.config, path: model.path });
    const incremental = macros.is_incremental === true;
    engine.setGlobal('is_incremental', () => incremental);
    const origVar = saved.get('var') as (...a: unknown[]) => unknown;
    engine.setGlobal('var', (...args: unknown[]) => {
      const name = String(splitArgs(args).pos[0]);
      return Object.prototype.hasOwnProperty.call(vars, name) ? vars[name] : origVar(...args);
    });
    const origEnv = saved.get('env_var') as (...a: unknown[]) => unknown;
    engine.setGlobal('env_var', (...args: unknown[]) => {
      const name = String(splitArgs(args).pos[0]);
      return Object.prototype.hasOwnProperty.call(envVars, name) ? String(envVars[name]) : origEnv(...args);
    });
    for (const [k, v] of Object.entries(macros)) if (k !== 'is_incremental') engine.setGlobal(k, () => v);
    return engine.render(engine.prepare(text, path), pkg).trim().replace(/;\s*$/, '');
  } finally {
    for (const [n, v] of saved) engine.setGlobal(n, v);
  }
}
