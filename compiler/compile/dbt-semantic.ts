/**
 * The dbt-only resources of a project's properties files (groups, exposures, semantic models,
 * metrics, saved queries) as dbt-core 1.10 writes them into manifest.json, field by field:
 * unique ids, fqn (the project, the folders of the properties file, the name), paths, config with
 * dbt's defaults (and the project's `exposures:`/`metrics:`/`semantic-models:`/`saved-queries:`
 * blocks), refs, sources and metrics references resolved into `depends_on.nodes`, semantic models'
 * entities, dimensions, measures and node relation, metrics' `type_params` with their input
 * measures, saved queries' query params and exports, a measure's `create_metric`, and disabled
 * resources apart. tx does not run them; it keeps them for the tools that read the manifest.
 */
import { posix } from 'node:path';
import { TxError } from '../errors.js';
import type { Project } from '../load/project-types.js';
import { configFromHierarchy } from '../load/config-hierarchy.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);
const obj = (v: unknown): Obj => (isObj(v) ? v : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);
const strOrNull = (v: unknown): string | null => (v === undefined || v === null ? null : String(v));
/** Python's str() of a YAML scalar (dbt writes `expr` through str()). */
const pyStr = (v: unknown): string | null => (v === undefined || v === null ? null : typeof v === 'boolean' ? (v ? 'True' : 'False') : String(v));

const TIME_GRAINS = ['nanosecond', 'microsecond', 'millisecond', 'second', 'minute', 'hour', 'day', 'week', 'month', 'quarter', 'year'];

export interface SemanticInput {
  project: string;
  createdAt: number;
  targetDatabase: string | null;
  targetSchema: string;
  /** the manifest's nodes and sources, built before (refs and sources resolve to them) */
  nodes: Obj;
  sources: Obj;
  /** the resource folders properties files live under (models, seeds, ...), to make `path` and fqn */
  roots: readonly string[];
}

export interface SemanticResources {
  exposures: Obj;
  metrics: Obj;
  groups: Obj;
  semantic_models: Obj;
  saved_queries: Obj;
  /** disabled exposures, metrics, semantic models and saved queries (dbt's `disabled`) */
  disabled: Obj;
}

/** `ref('x')`, `ref('pkg', 'x')`, `source('s', 't')`, `metric('m')`: the call and its string arguments. */
function parseCall(text: string, file: string, what: string): { fn: string; args: string[]; kw: Obj } {
  const m = /^\s*(?:\{\{\s*)?(ref|source|metric)\s*\((.*)\)\s*(?:\}\})?\s*$/s.exec(text);
  if (!m) throw new TxError('PROJECT', `${what}: cannot read \`${text}\`; write ref('model'), source('source', 'table') or metric('metric')`, { file });
  const args: string[] = [];
  const kw: Obj = {};
  const re = /\s*(?:(\w+)\s*=\s*)?(?:'([^']*)'|"([^"]*)"|([\w.]+))\s*(?:,|$)/gy;
  const body = m[2]!.trim();
  let x: RegExpExecArray | null;
  let at = 0;
  while (at < body.length && (x = re.exec(body))) {
    const val = x[2] ?? x[3] ?? x[4]!;
    if (x[1]) kw[x[1]] = val;
    else args.push(val);
    at = re.lastIndex;
  }
  if (at < body.length) throw new TxError('PROJECT', `${what}: cannot read the arguments of \`${text}\``, { file });
  return { fn: m[1]!, args, kw };
}

/** dbt's WhereFilterIntersection of a `filter:`/`where:` (a string or a list of them). */
function whereFilter(v: unknown): Obj | null {
  if (v === undefined || v === null) return null;
  return { where_filters: arr(v).map((w) => ({ where_sql_template: String(w) })) };
}

/** `7 days` → {count: 7, granularity: 'day'}, as dbt reads a metric's window. */
function timeWindow(v: unknown, file: string, what: string): Obj | null {
  if (v === undefined || v === null) return null;
  const parts = String(v).toLowerCase().split(' ');
  if (parts.length !== 2 || !/^\d+$/.test(parts[0]!)) throw new TxError('PROJECT', `${what}: invalid window \`${String(v)}\`; write \`<count> <granularity>\`, e.g. \`28 days\``, { file });
  let grain = parts[1]!;
  if (grain.endsWith('s') && TIME_GRAINS.includes(grain.slice(0, -1))) grain = grain.slice(0, -1);
  return { count: Number(parts[0]), granularity: grain };
}

const inputMeasure = (v: unknown): Obj => {
  if (!isObj(v)) return { name: String(v), filter: null, alias: null, join_to_timespine: false, fill_nulls_with: null };
  return { name: String(v.name), filter: whereFilter(v.filter), alias: strOrNull(v.alias), join_to_timespine: v.join_to_timespine === true, fill_nulls_with: v.fill_nulls_with ?? null };
};

const metricInput = (v: unknown, file: string, what: string): Obj => {
  if (!isObj(v)) return { name: String(v), filter: null, alias: null, offset_window: null, offset_to_grain: null };
  return { name: String(v.name), filter: whereFilter(v.filter), alias: strOrNull(v.alias), offset_window: timeWindow(v.offset_window, file, what), offset_to_grain: strOrNull(v.offset_to_grain) };
};

/** Stable sort by file path as a top-down directory walk visits it: a folder's own files first, then its subfolders. */
function walkOrder<T>(list: [T, string][]): [T, string][] {
  const key = (f: string) => {
    const parts = f.split('/');
    return { dirs: parts.slice(0, -1), file: parts[parts.length - 1]! };
  };
  const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  return list
    .map((x, i) => ({ x, i, k: key(x[1]) }))
    .sort((a, b) => {
      const n = Math.min(a.k.dirs.length, b.k.dirs.length);
      for (let j = 0; j < n; j++) if (a.k.dirs[j] !== b.k.dirs[j]) return cmp(a.k.dirs[j]!, b.k.dirs[j]!);
      return a.k.dirs.length - b.k.dirs.length || cmp(a.k.file, b.k.file) || a.i - b.i;
    })
    .map((e) => e.x);
}

export function semanticResources(c: { project: Project }, input: SemanticInput): SemanticResources {
  const p = input.project;
  const only = c.project.dbtOnly ?? {};
  const raw = c.project.raw as Obj;
  const out: SemanticResources = { exposures: {}, metrics: {}, groups: {}, semantic_models: {}, saved_queries: {}, disabled: {} };

  // in the order dbt reads properties files: a folder's files before its subfolders' (os.walk, top down), names sorted
  const entries = (key: string): [Obj, string][] => walkOrder((only[key] ?? []).map((e) => [e as Obj, String((e as Obj).original_file_path)]));
  const place = (file: string, name: string) => {
    let rel = file;
    for (const r of input.roots) {
      const root = r.replace(/\/+$/, '');
      if (root && file.startsWith(`${root}/`)) {
        rel = file.slice(root.length + 1);
        break;
      }
    }
    const folders = posix.dirname(rel).split('/').filter((x) => x && x !== '.');
    return { path: rel, fqn: [p, ...folders, name], folders: ['', ...folders] };
  };
  /** The project's config block for a resource type, at the resource's place (dbt's config hierarchy). */
  const projectConfig = (block: unknown, folders: string[], name: string): Obj => (isObj(block) ? configFromHierarchy(block, p, folders, name) : {});

  // ref() as dbt resolves it: the named package's node; without one, the root project's, else an installed package's
  const nodeByName = (name: string, pkg: string | undefined, file: string, who: string): string => {
    const kinds = ['model', 'seed', 'snapshot'];
    for (const kind of kinds) if (input.nodes[`${kind}.${pkg ?? p}.${name}`]) return `${kind}.${pkg ?? p}.${name}`;
    if (!pkg) for (const [id, n] of Object.entries(input.nodes)) if ((n as Obj).name === name && kinds.includes(String((n as Obj).resource_type))) return id;
    throw new TxError('PROJECT', `${who} depends on a node named \`${pkg ? `${pkg}.` : ''}${name}\` which was not found`, { file });
  };
  const sourceId = (s: string, t: string, file: string, who: string): string => {
    if (input.sources[`source.${p}.${s}.${t}`]) return `source.${p}.${s}.${t}`;
    for (const [id, x] of Object.entries(input.sources)) if ((x as Obj).source_name === s && (x as Obj).name === t) return id;
    throw new TxError('PROJECT', `${who} depends on a source named \`${s}.${t}\` which was not found`, { file });
  };

  // ---- groups: config from the project's `models:` block at the group's place, as dbt does
  for (const [g, file] of entries('groups')) {
    const name = String(g.name);
    const pl = place(file, name);
    out.groups[`group.${p}.${name}`] = {
      name,
      resource_type: 'group',
      package_name: p,
      path: pl.path,
      original_file_path: file,
      unique_id: `group.${p}.${name}`,
      owner: { email: null, name: null, ...obj(g.owner) },
      description: strOrNull(g.description),
      config: { meta: {}, ...projectConfig(c.project.modelsConfig, pl.folders, name), ...obj(g.config) },
    };
  }
  const groupNames = new Set(Object.values(out.groups).map((g) => (g as Obj).name as string));
  const checkGroup = (group: unknown, file: string, who: string) => {
    if (group === null || group === undefined) return;
    if (!groupNames.has(String(group))) {
      throw new TxError('PROJECT', `${who}: invalid group \`${String(group)}\`, expected one of [${[...groupNames].map((n) => `'${n}'`).join(', ')}]`, { file });
    }
  };

  const place2 = (x: Obj, file: string) => place(file, String(x.name));
  const disable = (id: string, o: Obj) => {
    out.disabled[id] = [o];
  };

  // ---- semantic models (measures by name, for metrics)
  const measureOwner = new Map<string, string>();
  const createdMetrics: [Obj, string, boolean][] = [];
  for (const [s, file] of entries('semantic_models')) {
    const name = String(s.name);
    const id = `semantic_model.${p}.${name}`;
    const pl = place2(s, file);
    const own = obj(s.config);
    const fromProject = projectConfig(raw['semantic-models'], pl.folders, name);
    const config: Obj = { enabled: true, group: null, meta: {}, ...fromProject, ...own };
    config.meta = { ...obj(fromProject.meta), ...obj(own.meta) };
    const unrendered = { ...own };
    const metaOf = (e: Obj) => ({ meta: { ...(config.meta as Obj), ...obj(obj(e.config).meta) } });
    const modelText = s.model === undefined || s.model === null ? null : String(s.model);
    const enabled = config.enabled !== false;
    checkGroup(config.group, file, `semantic model \`${name}\``);
    const o: Obj = {
      name,
      resource_type: 'semantic_model',
      package_name: p,
      path: pl.path,
      original_file_path: file,
      unique_id: id,
      fqn: pl.fqn,
      model: modelText,
      node_relation: null,
      description: strOrNull(s.description),
      label: strOrNull(s.label),
      defaults: isObj(s.defaults) ? { agg_time_dimension: strOrNull(s.defaults.agg_time_dimension) } : null,
      entities: arr(s.entities).map((e) => {
        const x = obj(e);
        return { name: String(x.name), type: String(x.type).toLowerCase(), description: strOrNull(x.description), label: strOrNull(x.label), role: strOrNull(x.role), expr: pyStr(x.expr), config: metaOf(x) };
      }),
      measures: arr(s.measures).map((m) => {
        const x = obj(m);
        const ap = isObj(x.agg_params) ? { percentile: x.agg_params.percentile ?? null, use_discrete_percentile: x.agg_params.use_discrete_percentile === true, use_approximate_percentile: x.agg_params.use_approximate_percentile === true } : null;
        const nad = isObj(x.non_additive_dimension)
          ? { name: String(x.non_additive_dimension.name), window_choice: String(x.non_additive_dimension.window_choice ?? 'min').toLowerCase(), window_groupings: arr(x.non_additive_dimension.window_groupings).map(String) }
          : null;
        return {
          name: String(x.name),
          agg: String(x.agg).toLowerCase(),
          description: strOrNull(x.description),
          label: strOrNull(x.label),
          create_metric: false,
          expr: pyStr(x.expr),
          agg_params: ap,
          non_additive_dimension: nad,
          agg_time_dimension: strOrNull(x.agg_time_dimension),
          config: metaOf(x),
        };
      }),
      dimensions: arr(s.dimensions).map((d) => {
        const x = obj(d);
        const tp = isObj(x.type_params) ? { time_granularity: String(x.type_params.time_granularity).toLowerCase(), validity_params: isObj(x.type_params.validity_params) ? { is_start: x.type_params.validity_params.is_start === true, is_end: x.type_params.validity_params.is_end === true } : null } : null;
        return { name: String(x.name), type: String(x.type).toLowerCase(), description: strOrNull(x.description), label: strOrNull(x.label), is_partition: x.is_partition === true, type_params: tp, expr: pyStr(x.expr), metadata: null, config: metaOf(x) };
      }),
      metadata: null,
      depends_on: { macros: [], nodes: [] as string[] },
      refs: [] as Obj[],
      created_at: input.createdAt,
      config,
      unrendered_config: unrendered,
      primary_entity: strOrNull(s.primary_entity),
      group: config.group ?? null,
    };
    if (modelText !== null) {
      const call = parseCall(modelText, file, `semantic model \`${name}\``);
      if (call.fn !== 'ref') throw new TxError('PROJECT', `semantic model \`${name}\`: \`model:\` must be a ref(), not \`${modelText}\``, { file });
      const refName = call.args.length > 1 ? call.args[1]! : (call.args[0] ?? String(call.kw.name));
      (o.refs as Obj[]).push({ name: refName, package: call.args.length > 1 ? call.args[0]! : null, version: call.kw.version ?? call.kw.v ?? null });
      if (enabled) {
        const target = nodeByName(refName, call.args.length > 1 ? call.args[0] : undefined, file, `semantic model \`${name}\``);
        (o.depends_on as Obj).nodes = [target];
        const n = obj(input.nodes[target]);
        o.node_relation = { alias: n.alias ?? refName, schema_name: n.schema ?? input.targetSchema, database: n.database ?? input.targetDatabase, relation_name: n.relation_name ?? null };
      }
    }
    if (enabled) {
      out.semantic_models[id] = o;
      for (const m of o.measures as Obj[]) measureOwner.set(String(m.name), id);
    } else disable(id, o);
    for (const m of arr(s.measures)) if (obj(m).create_metric === true) createdMetrics.push([obj(m), file, enabled]);
  }

  // ---- metrics: the declared ones, then one per measure with create_metric (as dbt)
  const metricSpecs: [Obj, string, boolean][] = [...entries('metrics').map(([m, f]): [Obj, string, boolean] => [m, f, false]), ...createdMetrics.map(([m, f, en]): [Obj, string, boolean] => [
    { name: m.name, label: m.label ?? m.name, type: 'simple', type_params: { measure: m.name, expr: m.name }, description: m.description ?? `Metric created from measure ${String(m.name)}`, config: { enabled: en } },
    f,
    true,
  ])];
  const built = new Map<string, Obj>();
  for (const [m, file] of metricSpecs) {
    const name = String(m.name);
    const id = `metric.${p}.${name}`;
    const what = `metric \`${name}\``;
    const pl = place2(m, file);
    const own = obj(m.config);
    const fromProject = projectConfig(raw.metrics, pl.folders, name);
    const config: Obj = { enabled: true, group: null, meta: {}, ...fromProject, ...own };
    config.meta = { ...obj(fromProject.meta), ...obj(own.meta) };
    checkGroup(config.group, file, what);
    const tp = obj(m.type_params);
    const type = String(m.type).toLowerCase();
    const ctp = obj(tp.cumulative_type_params);
    const conv = isObj(tp.conversion_type_params) ? tp.conversion_type_params : null;
    const o: Obj = {
      name,
      resource_type: 'metric',
      package_name: p,
      path: pl.path,
      original_file_path: file,
      unique_id: id,
      fqn: pl.fqn,
      description: m.description === undefined || m.description === null ? '' : String(m.description),
      label: String(m.label ?? ''),
      type,
      type_params: {
        measure: tp.measure === undefined || tp.measure === null ? null : inputMeasure(tp.measure),
        input_measures: [] as Obj[],
        numerator: tp.numerator === undefined || tp.numerator === null ? null : metricInput(tp.numerator, file, what),
        denominator: tp.denominator === undefined || tp.denominator === null ? null : metricInput(tp.denominator, file, what),
        expr: pyStr(tp.expr),
        window: timeWindow(tp.window, file, what),
        grain_to_date: strOrNull(tp.grain_to_date),
        metrics: arr(tp.metrics).map((x) => metricInput(x, file, what)),
        conversion_type_params: conv
          ? {
              base_measure: inputMeasure(conv.base_measure),
              conversion_measure: inputMeasure(conv.conversion_measure),
              entity: String(conv.entity),
              calculation: String(conv.calculation ?? 'conversion_rate').toLowerCase(),
              window: timeWindow(conv.window, file, what),
              constant_properties: Array.isArray(conv.constant_properties) ? conv.constant_properties : null,
            }
          : null,
        cumulative_type_params:
          type === 'cumulative'
            ? { window: timeWindow(ctp.window ?? tp.window, file, what), grain_to_date: strOrNull(ctp.grain_to_date ?? tp.grain_to_date), period_agg: String(ctp.period_agg ?? 'first').toLowerCase(), metric: null }
            : null,
        metric_aggregation_params: null,
      },
      filter: whereFilter(m.filter),
      metadata: null,
      time_granularity: strOrNull(m.time_granularity),
      meta: isObj(config.meta) && Object.keys(config.meta).length ? config.meta : obj(m.meta),
      tags: arr(m.tags).map(String),
      config,
      unrendered_config: { ...own },
      sources: [],
      depends_on: { macros: [], nodes: [] as string[] },
      refs: [],
      metrics: [],
      created_at: input.createdAt,
      group: config.group ?? null,
    };
    if (config.enabled !== false) built.set(name, o);
    else disable(id, o);
  }
  // input measures and dependencies, resolved as dbt's _process_metric_node does (derived and ratio metrics recurse)
  const done = new Set<string>();
  const resolve = (o: Obj, seen: string[]): void => {
    const name = String(o.name);
    if (done.has(name)) return;
    if (seen.includes(name)) throw new TxError('PROJECT', `metric \`${name}\` depends on itself (${[...seen, name].join(' → ')})`, { file: String(o.original_file_path) });
    const tp = o.type_params as Obj;
    const inputs = tp.input_measures as Obj[];
    const deps = (o.depends_on as Obj).nodes as string[];
    const addMeasure = (im: Obj) => {
      if (!inputs.some((x) => JSON.stringify(x) === JSON.stringify(im))) inputs.push(im);
    };
    const addDep = (id: string) => {
      if (!deps.includes(id)) deps.push(id);
    };
    const file = String(o.original_file_path);
    const measureModel = (im: Obj) => {
      const sm = measureOwner.get(String(im.name));
      if (!sm) throw new TxError('PROJECT', `metric \`${name}\`: a semantic model having a measure \`${String(im.name)}\` does not exist but was referenced`, { file });
      addDep(sm);
    };
    if (o.type === 'simple' || o.type === 'cumulative') {
      if (!tp.measure) throw new TxError('PROJECT', `metric \`${name}\` (${String(o.type)}) needs \`type_params.measure\``, { file });
      addMeasure(tp.measure as Obj);
      measureModel(tp.measure as Obj);
    } else if (o.type === 'conversion') {
      const conv = tp.conversion_type_params as Obj | null;
      if (!conv) throw new TxError('PROJECT', `metric \`${name}\` is a conversion metric and needs \`type_params.conversion_type_params\``, { file });
      for (const im of [conv.base_measure as Obj, conv.conversion_measure as Obj]) addMeasure(im);
      for (const im of [conv.base_measure as Obj, conv.conversion_measure as Obj]) measureModel(im);
    } else if (o.type === 'derived' || o.type === 'ratio') {
      if (o.type === 'ratio' && (!tp.numerator || !tp.denominator)) throw new TxError('PROJECT', `metric \`${name}\`: invalid ratio metric, both a numerator and a denominator must be specified`, { file });
      const ins = o.type === 'ratio' ? [tp.numerator as Obj, tp.denominator as Obj] : (tp.metrics as Obj[]);
      for (const i of ins) {
        const target = built.get(String(i.name));
        if (!target) throw new TxError('PROJECT', `metric \`${name}\`: the metric \`${String(i.name)}\` does not exist or is disabled, but was referenced`, { file });
        resolve(target, [...seen, name]);
        for (const im of (target.type_params as Obj).input_measures as Obj[]) addMeasure(im);
        addDep(String(target.unique_id));
      }
    } else throw new TxError('PROJECT', `metric \`${name}\`: unknown type \`${String(o.type)}\` (simple, ratio, cumulative, derived, conversion)`, { file });
    done.add(name);
  };
  for (const o of built.values()) {
    resolve(o, []);
    out.metrics[String(o.unique_id)] = o;
  }
  const metricId = (args: string[], file: string, who: string): string => {
    const name = args.length > 1 ? args[1]! : args[0]!;
    const o = built.get(name);
    if (!o) throw new TxError('PROJECT', `${who} depends on a metric named \`${name}\` which was not found`, { file });
    return String(o.unique_id);
  };

  // ---- exposures: depends_on rendered as dbt renders `{{ ref(...) }}`, sources first, then refs, then metrics
  for (const [e, file] of entries('exposures')) {
    const name = String(e.name);
    const id = `exposure.${p}.${name}`;
    const who = `exposure \`${name}\``;
    const pl = place2(e, file);
    const own = obj(e.config);
    const fromProject = projectConfig(raw.exposures, pl.folders, name);
    const config: Obj = { enabled: true, tags: [], meta: {}, ...fromProject, ...own };
    const tags = [...new Set([...arr(e.tags).map(String), ...arr(config.tags).map(String)])].sort();
    const meta = { ...obj(e.meta), ...obj(fromProject.meta), ...obj(own.meta) };
    config.tags = tags;
    config.meta = meta;
    const refs: Obj[] = [];
    const srcs: [string, string][] = [];
    const mets: string[][] = [];
    for (const d of arr(e.depends_on)) {
      const call = parseCall(String(d), file, who);
      if (call.fn === 'ref') refs.push({ name: call.args.length > 1 ? call.args[1]! : call.args[0]!, package: call.args.length > 1 ? call.args[0]! : null, version: call.kw.version ?? call.kw.v ?? null });
      else if (call.fn === 'source') srcs.push([call.args[0]!, call.args[1]!]);
      else mets.push(call.args);
    }
    const enabled = config.enabled !== false;
    const nodes: string[] = [];
    if (enabled) {
      const add = (x: string) => {
        if (!nodes.includes(x)) nodes.push(x);
      };
      for (const [s, t] of srcs) add(sourceId(s, t, file, who));
      for (const r of refs) add(nodeByName(String(r.name), r.package ? String(r.package) : undefined, file, who));
      for (const m of mets) add(metricId(m, file, who));
    }
    const o: Obj = {
      name,
      resource_type: 'exposure',
      package_name: p,
      path: pl.path,
      original_file_path: file,
      unique_id: id,
      fqn: pl.fqn,
      type: String(e.type),
      owner: { email: null, name: null, ...obj(e.owner) },
      description: e.description === undefined || e.description === null ? '' : String(e.description),
      label: strOrNull(e.label),
      maturity: strOrNull(e.maturity),
      meta,
      tags,
      config,
      unrendered_config: { ...fromProject, ...own },
      url: strOrNull(e.url),
      depends_on: { macros: [], nodes },
      refs,
      sources: srcs,
      metrics: mets,
      created_at: input.createdAt,
    };
    if (enabled) out.exposures[id] = o;
    else disable(id, o);
  }

  // ---- saved queries
  for (const [q, file] of entries('saved_queries')) {
    const name = String(q.name);
    const id = `saved_query.${p}.${name}`;
    const who = `saved query \`${name}\``;
    const pl = place2(q, file);
    const own = obj(q.config);
    const fromProject = projectConfig(raw['saved-queries'], pl.folders, name);
    const config: Obj = { enabled: true, group: null, meta: {}, export_as: null, schema: null, cache: { enabled: false }, ...fromProject, ...own };
    config.meta = { ...obj(fromProject.meta), ...obj(own.meta) };
    checkGroup(config.group, file, who);
    const qp = obj(q.query_params);
    const metrics = arr(qp.metrics).map(String);
    const enabled = config.enabled !== false;
    const o: Obj = {
      name,
      resource_type: 'saved_query',
      package_name: p,
      path: pl.path,
      original_file_path: file,
      unique_id: id,
      fqn: pl.fqn,
      query_params: { metrics, group_by: arr(qp.group_by).map(String), where: whereFilter(qp.where), order_by: arr(qp.order_by).map(String), limit: qp.limit ?? null },
      exports: arr(q.exports).map((x) => {
        const ex = obj(x);
        const ec = obj(ex.config);
        const combined: Obj = { ...config, ...ec };
        const schemaName = combined.schema_name ?? combined.schema ?? null;
        return {
          name: String(ex.name),
          config: { export_as: strOrNull(combined.export_as), schema_name: schemaName ?? input.targetSchema, alias: combined.alias ?? String(ex.name), database: combined.database ?? input.targetDatabase },
          unrendered_config: ec,
        };
      }),
      description: strOrNull(q.description),
      label: strOrNull(q.label),
      metadata: null,
      config,
      unrendered_config: { ...own },
      group: config.group ?? null,
      depends_on: { macros: [], nodes: enabled ? [...new Set(metrics.map((m) => metricId([m], file, who)))] : [] },
      created_at: input.createdAt,
      refs: [],
      tags: [...new Set([...arr(q.tags).map(String), ...arr(config.tags).map(String)])].sort(),
    };
    if (enabled) out.saved_queries[id] = o;
    else disable(id, o);
  }
  return out;
}

/** dbt's group_map: every group's name → the nodes, saved queries, semantic models and metrics in it. */
export function groupMap(groups: Obj, ...members: Obj[]): Record<string, string[]> {
  const map: Record<string, string[]> = {};
  for (const g of Object.values(groups)) map[String((g as Obj).name)] = [];
  for (const m of members) {
    for (const [id, o] of Object.entries(m)) {
      const g = (o as Obj).group;
      if (typeof g === 'string' && map[g]) map[g].push(id);
    }
  }
  return map;
}
