/**
 * tx's selector syntax (dbt's): `2+tag:x+1`, `@m`, `config.materialized:table`, space = union, comma =
 * intersection, with dbt's indirect selection of tests. A pure module over a plain graph (no file or Node
 * API): the CLI selects on the compiled DAG with it, and the docs site bundles it for the browser and
 * selects on its node index (compiler/docs/site/index-selection.ts). The methods that compare with an
 * earlier run (`state:modified`, `result:error`, `source_status:fresher`) come from the caller
 * (state.ts's stateMethods, over the --state artifacts).
 */
import { TxError, closest, didYouMean } from '../errors.js';
import type { TestNodeInfo } from '../compile/nodes.js';
import type { SemanticNode } from '../compile/semantic-nodes.js';

/** What selection reads of a node: the compiler's GraphNode has it, and so does a node of the docs site's index. */
export interface SelectableNode {
  uniqueId: string;
  name: string;
  resourceType: string;
  fqn: readonly string[];
  path: string;
  tags: readonly string[];
  config: Readonly<Record<string, unknown>>;
  dependsOn: readonly string[];
  test?: Pick<TestNodeInfo, 'kind' | 'testName' | 'attachedTo'>;
}

/** What the graph operators (`+`, `@`) read of the DAG: the compiler's Dag has it. */
export interface SelectableGraph {
  upstream(id: string, depth?: number): Iterable<string>;
  downstream(id: string, depth?: number): Iterable<string>;
}

const METHODS = ['tag', 'path', 'config', 'source', 'resource_type', 'test_type', 'fqn', 'file', 'package', 'test_name', 'exposure', 'metric', 'semantic_model', 'saved_query', 'group', 'state', 'result', 'source_status'];
export const RESOURCE_TYPES = ['model', 'seed', 'source', 'test', 'unit_test', 'snapshot', 'analysis', 'exposure', 'metric', 'semantic_model', 'saved_query'];
/** The methods that name a dbt-only resource by `name` or `package.name` (dbt's ExposureSelectorMethod and its siblings). */
const SEMANTIC_METHODS: Record<string, string> = { exposure: 'exposure', metric: 'metric', semantic_model: 'semantic model', saved_query: 'saved query' };

/** dbt's --indirect-selection: which tests a selected node brings along. */
export type IndirectSelection = 'eager' | 'cautious' | 'buildable' | 'empty';
export const INDIRECT_SELECTION_MODES: IndirectSelection[] = ['eager', 'cautious', 'buildable', 'empty'];

/** One selection criterion: a method and value with graph operators (`2+tag:x+`, `@m`). */
export interface Criteria {
  kind: 'criteria';
  raw: string;
  method: string;
  value: string;
  parents: boolean;
  parentsDepth?: number;
  children: boolean;
  childrenDepth?: number;
  childrensParents: boolean;
  indirect?: IndirectSelection;
}

/** A selection: criteria combined by union, intersection and difference (as dbt's SelectionSpec). */
export type SelectionSpec =
  | Criteria
  | { kind: 'union' | 'intersection' | 'difference'; parts: SelectionSpec[]; raw: string; expectExists?: boolean; indirect?: IndirectSelection };

/** A selector method that reads an earlier run's artifacts: the ids of `nodes` it matches for `method:value` (`atom` as written). */
export type StateMethod = (method: string, value: string, atom: string, nodes: ReadonlyMap<string, SelectableNode>) => Set<string>;
/** The methods a StateMethod answers (`state.modified.body:...` is method `state.modified.body` of `state`). */
const STATE_METHODS = ['state', 'result', 'source_status'];

/** What selection needs beyond the graph: the --state methods, the indirect selection mode, and where to report empty criteria. */
export interface SelectContext {
  /** state:, result: and source_status: (state.ts's stateMethods over the --state artifacts); without them, those methods are a usage error. */
  stateMethods?: Readonly<Record<string, StateMethod>>;
  indirect?: IndirectSelection;
  /** A criterion from the command line or selectors.yml that matched nothing (dbt's NoNodesForSelectionCriteria). */
  onNoMatch?: (raw: string, hint: string | undefined) => void;
  /** Exposures, metrics, semantic models and saved queries: selectable, with the DAG given to NodeSelector holding them. */
  semantic?: ReadonlyMap<string, SemanticNode>;
}

function globToRegex(glob: string): RegExp {
  const esc = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${esc}$`);
}

/** Nodes matching one method and value (no graph operators). */
function matchAtom(method: string, value: string, atom: string, nodes: ReadonlyMap<string, SelectableNode>, projectName: string, ctx: SelectContext): Set<string> {
  const out = new Set<string>();
  const base = method.split('.')[0]!;
  if (!METHODS.includes(base)) {
    throw new TxError('SELECTOR', `unknown selector method \`${method}\` in \`${atom}\``, { hint: didYouMean(method, METHODS) ?? `methods: ${METHODS.join(', ')}` });
  }
  if (!value) throw new TxError('SELECTOR', `selector \`${atom}\` has no value after \`${method}:\``);
  if (STATE_METHODS.includes(base)) {
    const m = ctx.stateMethods?.[base];
    if (!m) throw new TxError('USAGE', `\`${atom}\` compares with an earlier run, but this selection has no --state artifacts`);
    return m(method, value, atom, nodes);
  }
  const re = globToRegex(value);
  const semantic = ctx.semantic ?? new Map<string, SemanticNode>();
  if (SEMANTIC_METHODS[base]) {
    const parts = value.split('.');
    if (parts.length > 2) {
      const what = SEMANTIC_METHODS[base]!;
      throw new TxError('SELECTOR', `invalid ${what} selector value \`${value}\` in \`${atom}\``, { hint: `write ${base}:NAME or ${base}:PACKAGE.NAME` });
    }
    const [pkg, name] = parts.length === 2 ? [globToRegex(parts[0]!), globToRegex(parts[1]!)] : [/^/, re];
    for (const n of semantic.values()) if (n.resourceType === base && pkg.test(n.packageName) && name.test(n.name)) out.add(n.uniqueId);
    return out;
  }
  if (base === 'resource_type' && !RESOURCE_TYPES.includes(value)) throw new TxError('SELECTOR', `unknown resource_type \`${value}\``, { hint: didYouMean(value, RESOURCE_TYPES) });
  // dbt's non_source_nodes / all_nodes: names, tags, paths, files, packages and resource types find the semantic nodes too
  for (const n of semantic.values()) {
    let hit = false;
    switch (base) {
      case 'fqn':
        hit = fqnMatches(n.fqn, n.name, value, re);
        break;
      case 'tag':
        hit = n.tags.some((t) => re.test(t));
        break;
      case 'path':
      case 'file':
        hit = pathMatches(n.path, value, re, method === 'file');
        break;
      case 'resource_type':
        hit = n.resourceType === value;
        break;
      case 'package':
        hit = re.test(n.packageName);
        break;
      case 'group':
        // dbt's groupable_nodes: the project's nodes and metrics
        hit = n.resourceType === 'metric' && typeof n.config.group === 'string' && re.test(n.config.group);
        break;
      default:
        hit = false;
    }
    if (hit) out.add(n.uniqueId);
  }
  for (const n of nodes.values()) {
    let hit = false;
    switch (base) {
      case 'fqn':
        hit = (n.resourceType === 'source' && re.test(`${n.fqn[1]}.${n.name}`)) || fqnMatches(n.fqn, n.name, value, re, n.resourceType === 'test');
        break;
      case 'tag':
        hit = n.tags.some((t) => re.test(t));
        break;
      case 'path':
      case 'file':
        hit = pathMatches(n.path, value, re, method === 'file');
        break;
      case 'config': {
        const key = method.split('.').slice(1).join('.');
        if (!key) throw new TxError('SELECTOR', `\`config:\` needs a key, e.g. config.materialized:table`);
        const v = key.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], n.config);
        hit = Array.isArray(v) ? v.some((x) => re.test(String(x))) : v !== undefined && re.test(String(v));
        break;
      }
      case 'source': {
        if (n.resourceType !== 'source') break;
        const [s, t] = value.split('.');
        hit = globToRegex(s!).test(n.fqn[1]!) && (t === undefined || globToRegex(t).test(n.name));
        break;
      }
      case 'resource_type':
        hit = isResourceType(n, value);
        break;
      case 'group':
        hit = n.config.group !== undefined && n.config.group !== null && n.config.group !== '' && re.test(String(n.config.group));
        break;
      case 'test_type':
        if (!['generic', 'singular', 'unit', 'data'].includes(value)) throw new TxError('SELECTOR', `unknown test_type \`${value}\``, { hint: didYouMean(value, ['generic', 'singular', 'unit']) });
        hit = n.resourceType === 'test' && (value === 'data' ? n.test?.kind !== 'unit' : n.test?.kind === value);
        break;
      case 'test_name':
        hit = n.resourceType === 'test' && re.test(n.test?.testName ?? n.name);
        break;
      case 'package':
        hit = re.test(projectName);
        break;
      default:
        hit = false;
    }
    if (hit) out.add(n.uniqueId);
  }
  return out;
}

/** dbt's fqn method on a name or dotted path (plus tx's folder rule: a folder name selects what is inside it, tests aside). */
function fqnMatches(fqn: readonly string[], name: string, value: string, re: RegExp, isTest = false): boolean {
  if (re.test(name) || re.test(fqn.join('.'))) return true;
  if (value.includes('.') && (fqn.join('.').startsWith(`${value}.`) || fqn.slice(1).join('.').startsWith(`${value}.`))) return true;
  return !value.includes('*') && !isTest && fqn.slice(1, -1).includes(value);
}

/** path: a file or folder (or glob) of the project; file: a file name. */
function pathMatches(path: string, value: string, re: RegExp, file: boolean): boolean {
  const v = value.replace(/\/+$/, '');
  return path === v || path.startsWith(`${v}/`) || re.test(path) || (file && re.test(path.split('/').pop()!));
}

/** A node's resource type as dbt names it: unit tests are `unit_test`, `test` means data tests. */
export function isResourceType(n: SelectableNode, type: string): boolean {
  return type === 'unit_test' ? n.test?.kind === 'unit' : type === 'test' ? n.resourceType === 'test' && n.test?.kind !== 'unit' : n.resourceType === type;
}

const GRAPH_RE = /^(@)?(?:(\d*)\+)?([^+@]+?)(?:\+(\d*))?$/;
const FORMS = 'forms: name, +name, name+, 2+name, name+1, @name, tag:x, path:models/x, config.materialized:table, state:modified, result:error';

/** `2+tag:x+1` → its method, value and graph operators. */
export function parseCriteria(term: string, indirect?: IndirectSelection): Criteria {
  const m = GRAPH_RE.exec(term);
  if (!m) throw new TxError('SELECTOR', `invalid selector \`${term}\``, { hint: FORMS });
  // `@` already means "the node, everything downstream and all their parents": it takes no `+`.
  // `+` before or after the atom is always captured (a depth or ''), so a defined group means a `+`
  if (m[1] && (m[2] !== undefined || m[4] !== undefined)) {
    throw new TxError('SELECTOR', `invalid selector \`${term}\`: \`@\` cannot be combined with \`+\``, { hint: FORMS });
  }
  const [, at, upDepth, atom, downDepth] = m;
  const colon = atom!.indexOf(':');
  return {
    kind: 'criteria',
    raw: term,
    method: colon > 0 ? atom!.slice(0, colon) : 'fqn',
    value: colon > 0 ? atom!.slice(colon + 1) : atom!,
    parents: upDepth !== undefined,
    parentsDepth: upDepth ? Number(upDepth) : undefined,
    children: downDepth !== undefined,
    childrenDepth: downDepth ? Number(downDepth) : undefined,
    childrensParents: !!at,
    indirect,
  };
}

/** --select / --exclude as dbt parses them: each word a criterion, a comma an intersection, the words a union; exclude subtracted. */
export function specFromCli(select: string[] | undefined, exclude: string[] | undefined, indirect?: IndirectSelection): SelectionSpec {
  const union = (raw: string[], expectExists: boolean): SelectionSpec => ({
    kind: 'union',
    raw: raw.join(' '),
    indirect,
    parts: raw
      // Stryker disable next-line Regex: `\s` instead of `\s+` only adds empty words, which the filter drops
      .flatMap((e) => e.split(/\s+/))
      .filter(Boolean)
      .map((expr) => {
        const parts = expr.split(',').filter(Boolean);
        if (!parts.length) throw new TxError('SELECTOR', `invalid selector \`${expr}\``);
        return { kind: 'intersection' as const, raw: expr, expectExists, indirect, parts: parts.map((p) => parseCriteria(p, indirect)) };
      }),
  });
  const included = select?.length ? union(select, true) : union(['fqn:*', 'source:*'], false);
  return exclude?.length ? { kind: 'difference', raw: '', indirect, parts: [included, union(exclude, true)] } : included;
}

/** Tests, and the nodes each test reads (its parents), indexed once per graph. */
function testsByParent(nodes: ReadonlyMap<string, SelectableNode>): Map<string, SelectableNode[]> {
  const out = new Map<string, SelectableNode[]>();
  for (const n of nodes.values()) {
    if (n.resourceType !== 'test') continue;
    for (const p of parentsOf(n)) out.set(p, [...(out.get(p) ?? []), n]);
  }
  return out;
}
const parentsOf = (n: SelectableNode): readonly string[] => (n.dependsOn.length ? n.dependsOn : n.test?.attachedTo ? [n.test.attachedTo] : []);

/** The union of `sets`: the one set itself when only one is not empty. */
function unionOf(sets: Set<string>[]): Set<string> {
  const some = sets.filter((s) => s.size);
  if (some.length <= 1) return some[0] ?? new Set();
  const out = new Set<string>();
  for (const s of some) for (const x of s) out.add(x);
  return out;
}

/** The parts' sets combined as the spec says: union, intersection, or the first less the rest. */
function combine(kind: Exclude<SelectionSpec['kind'], 'criteria'>, sets: Set<string>[]): Set<string> {
  if (sets.length <= 1) return sets[0] ?? new Set();
  if (kind === 'union') return unionOf(sets);
  const [first, ...rest] = sets;
  const out = new Set<string>();
  if (kind === 'intersection') {
    for (const x of first!) if (rest.every((s) => s.has(x))) out.add(x);
    return out;
  }
  for (const x of first!) if (!rest.some((s) => s.has(x))) out.add(x);
  return out;
}

/** Evaluates a SelectionSpec on one graph with dbt's rules of direct and indirect (test) selection. */
export class NodeSelector {
  private tests?: Map<string, SelectableNode[]>;
  constructor(
    private readonly nodes: ReadonlyMap<string, SelectableNode>,
    private readonly dag: SelectableGraph,
    private readonly projectName: string,
    private readonly ctx: SelectContext = {},
  ) {}

  select(spec: SelectionSpec): Set<string> {
    return this.recurse(spec)[0];
  }

  private mode(spec: SelectionSpec): IndirectSelection {
    return spec.indirect ?? this.ctx.indirect ?? 'eager';
  }

  private recurse(spec: SelectionSpec): [Set<string>, Set<string>] {
    if (spec.kind === 'criteria') return this.criteria(spec);
    const bundles = spec.parts.map((p) => this.recurse(p));
    // each part's direct and indirect nodes together (the sets are this call's own: none is changed after)
    const indirect = combine(spec.kind, bundles.map(([d, i]) => (i.size ? unionOf([d, i]) : d)));
    const direct = this.incorporate(combine(spec.kind, bundles.map((b) => b[0])), indirect, this.mode(spec));
    if (spec.expectExists && direct.size === 0) this.ctx.onNoMatch?.(spec.raw, this.nearNames(spec));
    return [direct, indirect];
  }

  /** Near names of the nodes for a criterion that matched nothing. */
  private nearNames(spec: Exclude<SelectionSpec, Criteria>): string | undefined {
    const c = spec.parts.length === 1 && spec.parts[0]!.kind === 'criteria' ? spec.parts[0] : undefined;
    if (!c) return undefined;
    let candidates: string[];
    if (c.method === 'fqn') candidates = [...this.nodes.values()].filter((n) => n.resourceType !== 'test').map((n) => n.name);
    else if (SEMANTIC_METHODS[c.method]) candidates = [...(this.ctx.semantic?.values() ?? [])].filter((n) => n.resourceType === c.method).map((n) => n.name);
    else return undefined;
    const near = closest(c.value.split('.').pop()!, new Set(candidates));
    return near.length ? `did you mean ${near.map((x) => `\`${x}\``).join(', ')}?` : undefined;
  }

  private criteria(c: Criteria): [Set<string>, Set<string>] {
    const base = matchAtom(c.method, c.value, c.raw, this.nodes, this.projectName, this.ctx);
    // graph operators add to a copy (the loop reads base); without them, base is the selection
    const selected = c.parents || c.children || c.childrensParents ? new Set(base) : base;
    for (const id of base) {
      if (c.childrensParents) {
        // dbt's select_childrens_parents: the ancestors of the node and of its descendants
        for (const u of this.dag.upstream(id)) selected.add(u);
        for (const d of this.dag.downstream(id)) {
          selected.add(d);
          for (const u of this.dag.upstream(d)) selected.add(u);
        }
        continue;
      }
      if (c.parents) for (const u of this.dag.upstream(id, c.parentsDepth ?? Infinity)) selected.add(u);
      if (c.children) for (const d of this.dag.downstream(id, c.childrenDepth ?? Infinity)) selected.add(d);
    }
    const mode = this.mode(c);
    if (mode === 'empty') return [selected, new Set()];
    return this.expand(selected, mode);
  }

  /** dbt's expand_selection: the tests on selected nodes, directly or kept aside until their other parents show up. */
  private expand(selected: Set<string>, mode: IndirectSelection): [Set<string>, Set<string>] {
    this.tests ??= testsByParent(this.nodes);
    const direct = new Set(selected);
    const indirect = new Set<string>();
    const buildable = mode === 'buildable' ? this.selectedAndParents(selected, true) : undefined;
    for (const id of selected) {
      for (const t of this.tests.get(id) ?? []) {
        if (selected.has(t.uniqueId)) continue;
        const parents = parentsOf(t);
        if (mode === 'eager' || parents.every((p) => selected.has(p))) direct.add(t.uniqueId);
        else if (buildable && parents.every((p) => buildable.has(p))) direct.add(t.uniqueId);
        else indirect.add(t.uniqueId);
      }
    }
    return [direct, indirect];
  }

  private selectedAndParents(selected: Set<string>, withSources: boolean): Set<string> {
    const out = new Set(selected);
    for (const id of selected) for (const u of this.dag.upstream(id)) out.add(u);
    if (withSources) for (const n of this.nodes.values()) if (n.resourceType === 'source') out.add(n.uniqueId);
    return out;
  }

  /** dbt's incorporate_indirect_nodes: under cautious/buildable, tests kept aside join once all their parents are selected. */
  private incorporate(direct: Set<string>, indirect: Set<string>, mode: IndirectSelection): Set<string> {
    if (mode !== 'cautious' && mode !== 'buildable') return direct;
    const selected = new Set(direct);
    const allowed = mode === 'buildable' ? this.selectedAndParents(selected, false) : selected;
    for (const id of indirect) {
      if (selected.has(id)) continue;
      const n = this.nodes.get(id);
      // Stryker disable next-line OptionalChaining: an id not yet selected here is a test expand() kept aside, always in this.nodes
      if (n?.resourceType === 'test' && parentsOf(n).every((p) => allowed.has(p))) selected.add(id);
    }
    return selected;
  }
}

/** Resolve --select / --exclude into node ids, without bringing tests along. Space = union, comma = intersection. */
export function selectNodes(
  nodes: ReadonlyMap<string, SelectableNode>,
  dag: SelectableGraph,
  projectName: string,
  select: string[] | undefined,
  exclude: string[] | undefined,
  ctx: SelectContext = {},
): Set<string> {
  return new NodeSelector(nodes, dag, projectName, ctx).select(specFromCli(select, exclude, 'empty'));
}

/** Add the tests attached to selected nodes (a model selects its tests), unless excluded. */
export function withAttachedTests(selected: Set<string>, nodes: ReadonlyMap<string, SelectableNode>, excluded: Set<string> = new Set()): Set<string> {
  const out = new Set(selected);
  for (const n of nodes.values()) {
    if (n.resourceType !== 'test' || excluded.has(n.uniqueId)) continue;
    if (n.dependsOn.some((d) => selected.has(d))) out.add(n.uniqueId);
  }
  return out;
}
