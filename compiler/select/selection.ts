/**
 * The one selection every command uses (ls, compile, show, build, run, seed, test, export, docs,
 * clone, retry): --select/--exclude or --selector NAME from selectors.yml, --indirect-selection,
 * --resource-type/--exclude-resource-type, --state; then the resource types the command runs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseYaml } from '../load/yaml-file.js';
import type { CompiledProject } from '../compile/compile-project.js';
import type { GraphNode } from '../compile/nodes.js';
import { TxError, didYouMean } from '../errors.js';
import { semanticGraph } from '../compile/semantic-nodes.js';
import { INDIRECT_SELECTION_MODES, NodeSelector, RESOURCE_TYPES, isResourceType, parseCriteria, specFromCli, type IndirectSelection, type SelectionSpec } from './selector.js';
import { stateMethods, type SelectState } from './state.js';

export interface SelectionOptions {
  select?: string[];
  exclude?: string[];
  /** A selector defined in selectors.yml. */
  selector?: string;
  resourceTypes?: string[];
  excludeResourceTypes?: string[];
  indirectSelection?: string;
  state?: SelectState;
}

export interface Selection {
  /** The nodes the command runs, in DAG order. */
  ids: string[];
  /**
   * Selected exposures, metrics, semantic models and saved queries, by unique id: listed by `ls`
   * (and any command without its own resource types), never run. Empty for build, run, seed, ...
   */
  resources: string[];
  /** Criteria that matched nothing, with near names (dbt's NoNodesForSelectionCriteria). */
  noMatch: { criterion: string; hint?: string }[];
}

/** The resource types each command acts on; the others list every selected node. */
const COMMAND_TYPES: Record<string, string[]> = {
  build: ['model', 'seed', 'source', 'test', 'unit_test', 'snapshot'],
  run: ['model', 'source'],
  seed: ['seed'],
  test: ['test', 'unit_test'],
  export: ['model', 'seed'],
  snapshot: ['snapshot'],
  clone: ['model', 'seed', 'snapshot'],
};
const RESOURCE_TYPE_NAMES = RESOURCE_TYPES;

function checkTypes(types: string[] | undefined, flag: string): string[] | undefined {
  if (!types?.length) return undefined;
  const out = types.flatMap((t) => t.split(/[\s,]+/)).filter(Boolean);
  for (const t of out) {
    if (t !== 'all' && !RESOURCE_TYPE_NAMES.includes(t)) throw new TxError('USAGE', `${flag}: unknown resource type \`${t}\``, { hint: didYouMean(t, RESOURCE_TYPE_NAMES) ?? `one of: ${RESOURCE_TYPE_NAMES.join(', ')}` });
  }
  return out.includes('all') ? RESOURCE_TYPE_NAMES : out;
}

/** Which nodes `command` acts on. Bad selectors throw (exit 2); criteria that match nothing are reported in `noMatch`. */
export function selectFor(c: CompiledProject, command: string, o: SelectionOptions): Selection {
  const indirect = o.indirectSelection ?? process.env.DBT_INDIRECT_SELECTION ?? 'eager';
  if (!INDIRECT_SELECTION_MODES.includes(indirect as IndirectSelection)) {
    throw new TxError('USAGE', `--indirect-selection must be one of ${INDIRECT_SELECTION_MODES.join(', ')}, got \`${indirect}\``, { hint: didYouMean(indirect, INDIRECT_SELECTION_MODES) });
  }
  const noMatch: Selection['noMatch'] = [];
  // exposures, metrics, semantic models and saved queries join the selection graph (not the build graph)
  const sem = semanticGraph(c);
  const selector = new NodeSelector(c.nodes, sem.dag, c.project.name, {
    semantic: sem.nodes,
    stateMethods: stateMethods(o.state),
    indirect: indirect as IndirectSelection,
    onNoMatch: (criterion, hint) => noMatch.push({ criterion, hint }),
  });
  let spec: SelectionSpec;
  if (o.selector) {
    if (o.select?.length || o.exclude?.length) throw new TxError('USAGE', '--selector cannot be combined with --select or --exclude', { hint: 'put the extra criteria in the selector definition' });
    spec = yamlSelector(c.project.dir, o.selector, indirect as IndirectSelection);
  } else if (!o.select?.length && !o.exclude?.length && defaultSelector(c.project.dir)) {
    spec = yamlSelector(c.project.dir, defaultSelector(c.project.dir)!, indirect as IndirectSelection);
  } else spec = specFromCli(o.select, o.exclude, indirect as IndirectSelection);
  const selected = selector.select(spec);

  const include = checkTypes(o.resourceTypes, '--resource-type');
  const exclude = checkTypes(o.excludeResourceTypes, '--exclude-resource-type');
  const commandTypes = COMMAND_TYPES[command];
  const keep = (n: GraphNode): boolean => {
    const typeOf = (t: string) => isResourceType(n, t);
    if (include && !include.some(typeOf)) return false;
    if (exclude?.some(typeOf)) return false;
    if (commandTypes && !commandTypes.some(typeOf)) return false;
    // sources run only where tx loads them (file sources)
    if (commandTypes && n.resourceType === 'source') return !!n.source?.path;
    return true;
  };
  const resources = commandTypes
    ? []
    : sem.dag.order(selected).filter((id) => {
        const n = sem.nodes.get(id);
        return !!n && (!include || include.includes(n.resourceType)) && !exclude?.includes(n.resourceType);
      });
  return { ids: c.dag.order(selected).filter((id) => c.nodes.has(id) && keep(c.nodes.get(id)!)), resources, noMatch };
}

// ------------------------------------------------------------------ selectors.yml

interface SelectorDef {
  name: string;
  default?: boolean;
  definition: unknown;
}

function readSelectors(dir: string): SelectorDef[] | undefined {
  const file = join(dir, 'selectors.yml');
  if (!existsSync(file)) return undefined;
  let doc: unknown;
  try {
    // a dbt project's selectors.yml is read as dbt reads it (PyYAML: `default: yes` is true)
    doc = parseYaml(readFileSync(file, 'utf8'), 'selectors.yml', existsSync(join(dir, 'dbt_project.yml')) ? 'pyyaml' : 'yaml-1.2').value;
  } catch (e) {
    if (e instanceof TxError) throw e;
    throw new TxError('YAML', `selectors.yml: ${(e as Error).message.split('\n')[0]}`, { file: 'selectors.yml' });
  }
  const list = (doc as { selectors?: unknown } | null)?.selectors;
  if (!Array.isArray(list)) throw new TxError('PROJECT', 'selectors.yml must have a `selectors:` list', { file: 'selectors.yml', hint: 'selectors:\n  - name: nightly\n    definition: tag:nightly' });
  return list.map((s, i) => {
    if (!s || typeof s !== 'object' || typeof (s as SelectorDef).name !== 'string' || !('definition' in s)) {
      throw new TxError('PROJECT', `selectors.yml: selector #${i + 1} needs \`name\` and \`definition\``, { file: 'selectors.yml' });
    }
    return s as SelectorDef;
  });
}

function defaultSelector(dir: string): string | undefined {
  const defs = readSelectors(dir) ?? [];
  const d = defs.filter((s) => s.default === true);
  if (d.length > 1) throw new TxError('PROJECT', `selectors.yml: more than one selector is \`default: true\` (${d.map((s) => s.name).join(', ')})`, { file: 'selectors.yml' });
  return d[0]?.name;
}

/** A selectors.yml definition as a SelectionSpec (dbt's graph/cli.py parse_from_definition). */
function yamlSelector(dir: string, name: string, indirect: IndirectSelection): SelectionSpec {
  const defs = readSelectors(dir);
  if (!defs) throw new TxError('USAGE', `--selector ${name}: the project has no selectors.yml`, { hint: 'define selectors in selectors.yml beside project.yml' });
  const byName = new Map(defs.map((d) => [d.name, d]));
  const stack: string[] = [];
  const bad = (msg: string) => new TxError('PROJECT', `selectors.yml (${stack[stack.length - 1]}): ${msg}`, { file: 'selectors.yml' });
  const resolve = (n: string): SelectionSpec => {
    const d = byName.get(n);
    if (!d) throw new TxError('USAGE', `no selector \`${n}\` in selectors.yml`, { file: 'selectors.yml', hint: didYouMean(n, byName.keys()) ?? `selectors: ${[...byName.keys()].join(', ')}` });
    if (stack.includes(n)) throw bad(`selector \`${n}\` refers to itself`);
    stack.push(n);
    const spec = parse(d.definition, true);
    stack.pop();
    return spec;
  };
  const parseList = (def: Record<string, unknown>, key: 'union' | 'intersection'): SelectionSpec => {
    const items = def[key];
    if (!Array.isArray(items)) throw bad(`\`${key}\` must be a list`);
    const include: SelectionSpec[] = [];
    let exclude: SelectionSpec | undefined;
    for (const it of items) {
      if (it && typeof it === 'object' && 'exclude' in it) {
        if (exclude) throw bad(`only one \`exclude\` per \`${key}\``);
        exclude = parseExclude((it as Record<string, unknown>).exclude);
      } else include.push(parse(it, false));
    }
    const base: SelectionSpec = { kind: key, parts: include, raw: key, indirect };
    return exclude ? { kind: 'difference', parts: [base, exclude], raw: key, indirect } : base;
  };
  const parseExclude = (v: unknown): SelectionSpec => {
    if (!Array.isArray(v)) throw bad('`exclude` must be a list');
    const parts = v.map((x) => parse(x, false));
    return parts.length === 1 ? parts[0]! : { kind: 'union', parts, raw: 'exclude', indirect };
  };
  const parse = (def: unknown, root: boolean): SelectionSpec => {
    if (typeof def === 'string') return withExpect(parseCriteria(def, indirect));
    if (!def || typeof def !== 'object' || Array.isArray(def)) throw bad('a definition is a string, a union, an intersection or a method/value mapping');
    const d = def as Record<string, unknown>;
    if ('union' in d || 'intersection' in d) {
      if (root && Object.keys(d).length > 1) throw bad(`a root definition has one \`union\` or \`intersection\` key, found ${Object.keys(d).join(', ')}`);
      return parseList(d, 'union' in d ? 'union' : 'intersection');
    }
    if (d.method === 'selector') return resolve(String(d.value));
    let method: string;
    let value: unknown;
    if (Object.keys(d).length === 1) [[method, value]] = Object.entries(d) as [[string, unknown]];
    else if ('method' in d && 'value' in d) {
      method = String(d.method);
      value = d.value;
    } else throw bad(`expected one key, or \`method\` and \`value\`; got ${Object.keys(d).join(', ')}`);
    const mode = d.indirect_selection === undefined ? indirect : String(d.indirect_selection);
    if (!INDIRECT_SELECTION_MODES.includes(mode as IndirectSelection)) throw bad(`indirect_selection must be one of ${INDIRECT_SELECTION_MODES.join(', ')}`);
    const c = parseCriteria(method === 'fqn' ? String(value) : `${method}:${String(value)}`, mode as IndirectSelection);
    const depth = (k: string) => (d[k] === undefined ? undefined : Number(d[k]));
    const crit: SelectionSpec = {
      ...c,
      raw: `${method}:${String(value)}`,
      parents: d.parents === true || c.parents,
      parentsDepth: depth('parents_depth') ?? c.parentsDepth,
      children: d.children === true || c.children,
      childrenDepth: depth('children_depth') ?? c.childrenDepth,
      childrensParents: d.childrens_parents === true || c.childrensParents,
    };
    const spec = 'exclude' in d ? ({ kind: 'difference', parts: [crit, parseExclude(d.exclude)], raw: crit.raw, indirect } as SelectionSpec) : crit;
    return withExpect(spec);
  };
  // a criterion of a definition that matches nothing is reported as a command-line one is
  const withExpect = (s: SelectionSpec): SelectionSpec => ({ kind: 'union', parts: [s], raw: s.raw, expectExists: true, indirect });
  return resolve(name);
}
