/**
 * tx's selector syntax for the browser: a port of compiler/select/selector.ts
 * over the site's compact node index (no Node APIs, no compiler imports).
 * selector.test.ts checks that both give the same answers.
 *
 *   name  +name  name+  2+name  name+1  @name  tag:x  path:models/x  config.materialized:table
 *   source:vendor.prescribers  resource_type:model  test_type:generic  test_name:not_null  fqn:x
 * Space = union, comma = intersection.
 */
import type { SiteIndex } from './site-data.js';

export interface SelNode {
  name: string;
  fqn: string[];
  path: string;
  tags: string[];
  type: string;
  config: Record<string, unknown>;
  testKind?: string;
  testName?: string;
}

export interface SelGraph {
  nodes: SelNode[];
  parents: (i: number) => readonly number[];
  children: (i: number) => readonly number[];
  projectName: string;
}

export class SelectorError extends Error {}

const METHODS = ['tag', 'path', 'config', 'source', 'resource_type', 'test_type', 'fqn', 'file', 'package', 'test_name', 'exposure'];
const RESOURCE_TYPES = ['model', 'seed', 'source', 'test', 'unit_test'];

function globToRegex(glob: string): RegExp {
  const esc = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${esc}$`);
}

function matchAtom(atom: string, g: SelGraph): Set<number> {
  const out = new Set<number>();
  const colon = atom.indexOf(':');
  let method = 'fqn';
  let value = atom;
  if (colon > 0) {
    method = atom.slice(0, colon);
    value = atom.slice(colon + 1);
    const base = method.split('.')[0]!;
    if (!METHODS.includes(base)) throw new SelectorError(`unknown selector method \`${method}\` in \`${atom}\` (methods: ${METHODS.join(', ')})`);
    if (!value) throw new SelectorError(`selector \`${atom}\` has no value after \`${method}:\``);
  }
  const re = globToRegex(value);
  const kind = method.split('.')[0];
  if (kind === 'resource_type' && !RESOURCE_TYPES.includes(value)) throw new SelectorError(`unknown resource_type \`${value}\` (one of ${RESOURCE_TYPES.join(', ')})`);
  if (kind === 'test_type' && !['generic', 'singular', 'unit', 'data'].includes(value)) throw new SelectorError(`unknown test_type \`${value}\` (generic, singular, unit)`);
  const configKey = kind === 'config' ? method.split('.').slice(1).join('.') : '';
  if (kind === 'config' && !configKey) throw new SelectorError('`config:` needs a key, e.g. config.materialized:table');
  g.nodes.forEach((n, i) => {
    let hit = false;
    switch (kind) {
      case 'fqn':
        hit = re.test(n.name) || re.test(n.fqn.join('.')) || (n.type === 'source' && re.test(`${n.fqn[1]}.${n.name}`));
        if (!hit && value.includes('.')) hit = n.fqn.join('.').startsWith(`${value}.`) || n.fqn.slice(1).join('.').startsWith(`${value}.`);
        if (!hit && !value.includes('*')) hit = n.fqn.slice(1, -1).includes(value) && n.type !== 'test';
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
        const v = configKey.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], n.config);
        hit = Array.isArray(v) ? v.some((x) => re.test(String(x))) : v !== undefined && re.test(String(v));
        break;
      }
      case 'source': {
        if (n.type !== 'source') break;
        const [s, t] = value.split('.');
        hit = globToRegex(s!).test(n.fqn[1]!) && (t === undefined || globToRegex(t).test(n.name));
        break;
      }
      case 'resource_type':
        // as on the command line: unit tests are `unit_test`, `test` means data tests
        hit = value === 'unit_test' ? n.type === 'test' && n.testKind === 'unit' : value === 'test' ? n.type === 'test' && n.testKind !== 'unit' : n.type === value;
        break;
      case 'test_type':
        hit = n.type === 'test' && (value === 'data' ? n.testKind !== 'unit' : n.testKind === value);
        break;
      case 'test_name':
        hit = n.type === 'test' && re.test(n.testName ?? n.name);
        break;
      case 'package':
        hit = re.test(g.projectName);
        break;
      default:
        hit = false;
    }
    if (hit) out.add(i);
  });
  return out;
}

function walk(g: SelGraph, start: number, depth: number, next: (i: number) => readonly number[]): Set<number> {
  const seen = new Set<number>();
  let frontier = [start];
  for (let d = 0; d < depth && frontier.length; d++) {
    const nf: number[] = [];
    for (const n of frontier) {
      for (const m of next(n)) {
        if (!seen.has(m)) {
          seen.add(m);
          nf.push(m);
        }
      }
    }
    frontier = nf;
  }
  return seen;
}

const GRAPH_RE = /^(@)?(?:(\d*)\+)?([^+@]+?)(?:\+(\d*))?$/;

function matchTerm(term: string, g: SelGraph): Set<number> {
  const m = GRAPH_RE.exec(term);
  if (!m) throw new SelectorError(`invalid selector \`${term}\` (forms: name, +name, name+, 2+name, name+1, @name, tag:x, path:models/x, config.materialized:table)`);
  const [, at, upDepth, atom, downDepth] = m;
  const hasUp = term.includes('+') && term.indexOf('+') < term.indexOf(atom!);
  const hasDown = term.endsWith('+') || /\+\d+$/.test(term);
  const base = matchAtom(atom!, g);
  const out = new Set(base);
  for (const id of base) {
    if (at) {
      for (const d of walk(g, id, Infinity, g.children)) {
        out.add(d);
        for (const u of walk(g, d, Infinity, g.parents)) out.add(u);
      }
      continue;
    }
    if (hasUp) for (const u of walk(g, id, upDepth ? Number(upDepth) : Infinity, g.parents)) out.add(u);
    if (hasDown) for (const d of walk(g, id, downDepth ? Number(downDepth) : Infinity, g.children)) out.add(d);
  }
  return out;
}

function resolve(g: SelGraph, exprs: string[]): Set<number> {
  const out = new Set<number>();
  for (const expr of exprs.flatMap((e) => e.split(/\s+/)).filter(Boolean)) {
    const parts = expr.split(',').filter(Boolean);
    if (!parts.length) throw new SelectorError(`invalid selector \`${expr}\``);
    let acc: Set<number> | undefined;
    for (const p of parts) {
      const s = matchTerm(p, g);
      acc = acc ? new Set([...acc].filter((x) => s.has(x))) : s;
    }
    for (const x of acc!) out.add(x);
  }
  return out;
}

/** Same contract as selectNodes: all nodes when `select` is empty, minus `exclude`. */
export function selectIndexes(g: SelGraph, select: string[] | undefined, exclude: string[] | undefined): Set<number> {
  let selected = select && select.some((s) => s.trim()) ? resolve(g, select) : new Set(g.nodes.map((_, i) => i));
  if (exclude && exclude.some((s) => s.trim())) {
    const ex = resolve(g, exclude);
    selected = new Set([...selected].filter((x) => !ex.has(x)));
  }
  return selected;
}

/** The selector's view of the site index (parents/children from its edge list). */
export function selGraphFromIndex(idx: SiteIndex): SelGraph {
  const n = idx.nodes.id.length;
  const parents: number[][] = Array.from({ length: n }, () => []);
  const children: number[][] = Array.from({ length: n }, () => []);
  for (let k = 0; k < idx.edges.length; k += 2) {
    children[idx.edges[k]!]!.push(idx.edges[k + 1]!);
    parents[idx.edges[k + 1]!]!.push(idx.edges[k]!);
  }
  return {
    projectName: idx.meta.project,
    nodes: idx.nodes.id.map((_, i) => ({
      name: idx.nodes.name[i]!,
      fqn: idx.nodes.fqn[i]!,
      path: idx.nodes.path[i]!,
      tags: idx.nodes.tags[i]!,
      type: idx.nodes.type[i]!,
      config: idx.nodes.config[i]!,
      testKind: idx.nodes.testKind[i] ?? undefined,
      testName: idx.nodes.testName[i] ?? undefined,
    })),
    parents: (i) => parents[i]!,
    children: (i) => children[i]!,
  };
}
