import { Graph } from '@dagrejs/graphlib';
import { TxError } from '../errors.js';

/**
 * The project's DAG: an edge runs from a node to each node that depends on it.
 * Small and central, after SQLMesh's dag.py: everything about order and
 * reachability lives here.
 */
export class Dag {
  // Adjacency in plain maps: building a graphlib Graph of 10,000 models costs 10-20 times more,
  // which was a third of `tx compile`. `toGraphlib()` hands one out to those who want its algorithms.
  private readonly parentsOf = new Map<string, string[]>();
  private readonly childrenOf = new Map<string, string[]>();
  /** The whole graph's topological order, kept until a node or edge is added (selection and the run ask it several times). */
  private sorted?: string[];

  private node(id: string): void {
    if (!this.parentsOf.has(id)) {
      this.parentsOf.set(id, []);
      this.childrenOf.set(id, []);
    }
  }

  /** Add a node; `deps` are the ids it depends on (added too when missing). */
  add(id: string, deps: readonly string[]): void {
    this.sorted = undefined;
    this.node(id);
    const ps = this.parentsOf.get(id)!;
    for (const d of deps) {
      this.node(d);
      if (ps.includes(d)) continue;
      ps.push(d);
      this.childrenOf.get(d)!.push(id);
    }
  }

  /** The same graph as a graphlib Graph (edges run from a dependency to its dependent). */
  toGraphlib(): Graph {
    const g = new Graph({ directed: true });
    for (const n of this.parentsOf.keys()) g.setNode(n);
    for (const [n, ps] of this.parentsOf) for (const p of ps) g.setEdge(p, n);
    return g;
  }

  has(id: string): boolean {
    return this.parentsOf.has(id);
  }

  nodes(): string[] {
    return [...this.parentsOf.keys()];
  }

  /** Direct dependencies of `id`. */
  parents(id: string): string[] {
    return this.parentsOf.get(id) ?? [];
  }

  /** Direct dependents of `id`. */
  children(id: string): string[] {
    return this.childrenOf.get(id) ?? [];
  }

  /** All ancestors of `id` up to `depth` edges away (Infinity for all). */
  upstream(id: string, depth = Infinity): Set<string> {
    return this.walk(id, depth, (n) => this.parents(n));
  }

  /** All descendants of `id` up to `depth` edges away. */
  downstream(id: string, depth = Infinity): Set<string> {
    return this.walk(id, depth, (n) => this.children(n));
  }

  private walk(id: string, depth: number, next: (n: string) => string[]): Set<string> {
    const seen = new Set<string>();
    let frontier = [id];
    for (let d = 0; d < depth && frontier.length; d++) {
      const nf: string[] = [];
      for (const n of frontier) for (const m of next(n)) if (!seen.has(m)) {
        seen.add(m);
        nf.push(m);
      }
      frontier = nf;
    }
    return seen;
  }

  /** Throw a CYCLE error naming the whole cycle (`a → b → c → a`) if there is one. Iterative: 10,000-deep chains are fine. */
  assertAcyclic(label: (id: string) => string = (x) => x): void {
    // Kahn's count first (no sorting): a graph whose every node comes out has no cycle
    const indeg = new Map<string, number>();
    const ready: string[] = [];
    for (const n of this.parentsOf.keys()) {
      const d = this.parents(n).length;
      indeg.set(n, d);
      if (d === 0) ready.push(n);
    }
    let seen = 0;
    while (ready.length) {
      const n = ready.pop()!;
      seen++;
      for (const c of this.children(n)) {
        const d = indeg.get(c)! - 1;
        indeg.set(c, d);
        if (d === 0) ready.push(c);
      }
    }
    if (seen === indeg.size) return;
    // there is one: a depth-first walk in sorted order names it, the same cycle every time
    const state = new Map<string, 1 | 2>(); // 1 = on the stack, 2 = done
    for (const root of this.nodes().sort()) {
      if (state.has(root)) continue;
      const stack: [string, string[]][] = [[root, [...this.children(root)].sort()]];
      const path = [root];
      state.set(root, 1);
      while (stack.length) {
        const top = stack[stack.length - 1]!;
        const next = top[1].shift();
        if (next === undefined) {
          state.set(top[0], 2);
          stack.pop();
          path.pop();
          continue;
        }
        const st = state.get(next);
        if (st === 1) {
          const cycle = [...path.slice(path.indexOf(next)), next];
          throw new TxError('CYCLE', `the DAG has a cycle: ${cycle.map(label).join(' → ')}`, { hint: 'a model cannot depend on itself, directly or through others' });
        }
        if (st === 2) continue;
        state.set(next, 1);
        path.push(next);
        stack.push([next, [...this.children(next)].sort()]);
      }
    }
  }

  /** Topological order (Kahn, stable by id) restricted to `subset` (all nodes when absent). */
  order(subset?: Set<string>): string[] {
    const all = (this.sorted ??= this.kahn());
    return subset ? all.filter((n) => subset.has(n)) : [...all];
  }

  private kahn(): string[] {
    const indeg = new Map<string, number>();
    for (const n of this.parentsOf.keys()) indeg.set(n, this.parents(n).length);
    const ready = [...indeg].filter(([, d]) => d === 0).map(([n]) => n).sort();
    const out: string[] = [];
    for (let i = 0; i < ready.length; i++) {
      const n = ready[i]!;
      out.push(n);
      for (const c of this.children(n)) {
        const d = indeg.get(c)! - 1;
        indeg.set(c, d);
        if (d === 0) ready.push(c);
      }
    }
    return out;
  }
}
