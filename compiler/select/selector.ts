import { TxError, didYouMean } from '../errors.js';
import type { Dag } from '../graph/dag.js';
import type { GraphNode } from '../compile/nodes.js';

const METHODS = ['tag', 'path', 'config', 'source', 'resource_type', 'test_type', 'fqn', 'file', 'package', 'test_name', 'exposure'];
const RESOURCE_TYPES = ['model', 'seed', 'source', 'test', 'unit_test'];

function globToRegex(glob: string): RegExp {
  const esc = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${esc}$`);
}

/** Nodes matching one atom (no graph operators). */
function matchAtom(atom: string, nodes: Map<string, GraphNode>, projectName: string): Set<string> {
  const out = new Set<string>();
  const colon = atom.indexOf(':');
  let method = 'fqn';
  let value = atom;
  if (colon > 0) {
    method = atom.slice(0, colon);
    value = atom.slice(colon + 1);
    const base = method.split('.')[0]!;
    if (!METHODS.includes(base)) {
      throw new TxError('SELECTOR', `unknown selector method \`${method}\` in \`${atom}\``, { hint: didYouMean(method, METHODS) ?? `methods: ${METHODS.join(', ')}` });
    }
    if (!value) throw new TxError('SELECTOR', `selector \`${atom}\` has no value after \`${method}:\``);
  }
  const re = globToRegex(value);
  for (const n of nodes.values()) {
    let hit = false;
    switch (method.split('.')[0]) {
      case 'fqn':
        hit = re.test(n.name) || re.test(n.fqn.join('.')) || (n.resourceType === 'source' && re.test(`${n.fqn[1]}.${n.name}`));
        if (!hit && value.includes('.')) hit = n.fqn.join('.').startsWith(`${value}.`) || n.fqn.slice(1).join('.').startsWith(`${value}.`);
        // a folder name selects what is inside it
        if (!hit && !value.includes('*')) hit = n.fqn.slice(1, -1).includes(value) && n.resourceType !== 'test';
        break;
      case 'tag':
        hit = n.tags.some((t) => re.test(t));
        break;
      case 'path':
      case 'file': {
        const v = value.replace(/\/+$/, '');
        hit = n.path === v || n.path.startsWith(`${v}/`) || re.test(n.path) || (method === 'file' && re.test(n.path.split('/').pop()!));
        break;
      }
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
        if (!RESOURCE_TYPES.includes(value)) throw new TxError('SELECTOR', `unknown resource_type \`${value}\``, { hint: didYouMean(value, RESOURCE_TYPES) });
        // unit tests are test nodes; `test` means data tests, as in dbt
        hit = value === 'unit_test' ? n.test?.kind === 'unit' : value === 'test' ? n.resourceType === 'test' && n.test?.kind !== 'unit' : n.resourceType === value;
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

const GRAPH_RE = /^(@)?(?:(\d*)\+)?([^+@]+?)(?:\+(\d*))?$/;

/** One term with graph operators: `+model`, `model+`, `2+model`, `@model`, `model+3`. */
function matchTerm(term: string, nodes: Map<string, GraphNode>, dag: Dag, projectName: string): Set<string> {
  const m = GRAPH_RE.exec(term);
  const forms = 'forms: name, +name, name+, 2+name, name+1, @name, tag:x, path:models/x, config.materialized:table';
  if (!m) throw new TxError('SELECTOR', `invalid selector \`${term}\``, { hint: forms });
  // `@` already means "the node, everything downstream and all their parents": it takes no `+`.
  if (m[1] && (m[2] !== undefined || m[4] !== undefined || /^@\+|\+$/.test(term))) {
    throw new TxError('SELECTOR', `invalid selector \`${term}\`: \`@\` cannot be combined with \`+\``, { hint: forms });
  }
  const [, at, upDepth, atom, downDepth] = m;
  const hasUp = term.includes('+') && term.indexOf('+') < term.indexOf(atom!);
  const hasDown = term.endsWith('+') || /\+\d+$/.test(term);
  const base = matchAtom(atom!, nodes, projectName);
  const out = new Set(base);
  for (const id of base) {
    if (at) {
      for (const d of dag.downstream(id)) {
        out.add(d);
        for (const u of dag.upstream(d)) out.add(u);
      }
      continue;
    }
    if (hasUp) for (const u of dag.upstream(id, upDepth ? Number(upDepth) : Infinity)) out.add(u);
    if (hasDown) for (const d of dag.downstream(id, downDepth ? Number(downDepth) : Infinity)) out.add(d);
  }
  return out;
}

/** Resolve --select / --exclude into node ids. Space = union, comma = intersection. */
export function selectNodes(
  nodes: Map<string, GraphNode>,
  dag: Dag,
  projectName: string,
  select: string[] | undefined,
  exclude: string[] | undefined,
): Set<string> {
  const resolve = (exprs: string[]): Set<string> => {
    const out = new Set<string>();
    for (const expr of exprs.flatMap((e) => e.split(/\s+/)).filter(Boolean)) {
      const parts = expr.split(',').filter(Boolean);
      if (!parts.length) throw new TxError('SELECTOR', `invalid selector \`${expr}\``);
      let acc: Set<string> | undefined;
      for (const p of parts) {
        const s = matchTerm(p, nodes, dag, projectName);
        acc = acc ? new Set([...acc].filter((x) => s.has(x))) : s;
      }
      for (const x of acc!) out.add(x);
    }
    return out;
  };
  let selected = select && select.length ? resolve(select) : new Set(nodes.keys());
  if (exclude && exclude.length) {
    const ex = resolve(exclude);
    selected = new Set([...selected].filter((x) => !ex.has(x)));
  }
  return selected;
}

/** Add the tests attached to selected nodes (a model selects its tests), unless excluded. */
export function withAttachedTests(selected: Set<string>, nodes: Map<string, GraphNode>, excluded: Set<string> = new Set()): Set<string> {
  const out = new Set(selected);
  for (const n of nodes.values()) {
    if (n.resourceType !== 'test' || excluded.has(n.uniqueId)) continue;
    if (n.dependsOn.length && n.dependsOn.some((d) => selected.has(d) && nodes.get(d)?.resourceType !== 'test')) out.add(n.uniqueId);
  }
  return out;
}
