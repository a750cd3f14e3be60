import { Graph, alg } from '@dagrejs/graphlib';
import { TxError } from '../errors.js';

/**
 * The project's DAG: an edge runs from a node to each node that depends on it.
 * Small and central, after SQLMesh's dag.py: everything about order and
 * reachability lives here.
 */
export class Dag {
  private readonly g = new Graph({ directed: true });

  /** Add a node; `deps` are the ids it depends on (they must be added too). */
  add(id: string, deps: readonly string[]): void {
    this.g.setNode(id);
    for (const d of deps) {
      this.g.setNode(d);
      this.g.setEdge(d, id);
    }
  }

  has(id: string): boolean {
    return this.g.hasNode(id);
  }

  nodes(): string[] {
    return this.g.nodes();
  }

  /** Direct dependencies of `id`. */
  parents(id: string): string[] {
    return (this.g.predecessors(id) ?? []) as string[];
  }

  /** Direct dependents of `id`. */
  children(id: string): string[] {
    return (this.g.successors(id) ?? []) as string[];
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

  /** Throw a CYCLE error naming the whole cycle (`a → b → c → a`) if there is one. */
  assertAcyclic(label: (id: string) => string = (x) => x): void {
    const cycles = alg.findCycles(this.g);
    if (!cycles.length) return;
    // findCycles gives the members; recover the order by walking edges inside the cycle.
    const members = new Set(cycles[0]);
    const start = [...members].sort()[0]!;
    const order = [start];
    let cur = start;
    for (;;) {
      const next = this.children(cur).filter((c) => members.has(c)).sort()[0]!;
      if (next === start || order.includes(next)) break;
      order.push(next);
      cur = next;
    }
    const text = [...order, start].map(label).join(' → ');
    throw new TxError('CYCLE', `the DAG has a cycle: ${text}`, { hint: 'a model cannot depend on itself, directly or through others' });
  }

  /** Topological order restricted to `subset` (all nodes when absent). */
  order(subset?: Set<string>): string[] {
    const all = alg.topsort(this.g) as string[];
    return subset ? all.filter((n) => subset.has(n)) : all;
  }
}
