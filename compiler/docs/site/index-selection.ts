/**
 * Selection on the docs site: the site's node index seen as the graph that tx's own selector
 * (compiler/select/selector.ts, bundled into the site's script) selects on, so a selector typed in the
 * browser picks what it picks on the command line.
 */
import { TxError } from '../../errors.js';
import { selectNodes, type SelectableGraph, type SelectableNode } from '../../select/selector.js';
import type { SiteIndex } from './site-data.js';

/** The index as selectNodes reads it: nodes by unique id and the DAG's ancestors and descendants. */
interface IndexGraph {
  nodes: Map<string, SelectableNode>;
  dag: SelectableGraph;
  projectName: string;
  /** A node's position in the index, by unique id. */
  position: Map<string, number>;
}

function indexGraph(idx: SiteIndex): IndexGraph {
  const ids = idx.nodes.id;
  const parents: string[][] = ids.map(() => []);
  const children: string[][] = ids.map(() => []);
  for (let k = 0; k < idx.edges.length; k += 2) {
    children[idx.edges[k]!]!.push(ids[idx.edges[k + 1]!]!);
    parents[idx.edges[k + 1]!]!.push(ids[idx.edges[k]!]!);
  }
  const position = new Map(ids.map((id, i) => [id, i]));
  const nodes = new Map<string, SelectableNode>();
  ids.forEach((id, i) => {
    const kind = idx.nodes.testKind[i];
    const attached = idx.nodes.attached[i]!;
    nodes.set(id, {
      uniqueId: id,
      name: idx.nodes.name[i]!,
      resourceType: idx.nodes.type[i]!,
      fqn: idx.nodes.fqn[i]!,
      path: idx.nodes.path[i]!,
      tags: idx.nodes.tags[i]!,
      config: idx.nodes.config[i]!,
      dependsOn: parents[i]!,
      test: kind === 'generic' || kind === 'singular' || kind === 'unit' ? { kind, testName: idx.nodes.testName[i] ?? undefined, attachedTo: attached >= 0 ? ids[attached] : undefined } : undefined,
    });
  });
  const walk = (id: string, depth: number, next: string[][]): Set<string> => {
    const seen = new Set<string>();
    let frontier = [id];
    for (let d = 0; d < depth && frontier.length; d++) {
      const nf: string[] = [];
      for (const n of frontier) for (const m of next[position.get(n)!]!) if (!seen.has(m)) {
        seen.add(m);
        nf.push(m);
      }
      frontier = nf;
    }
    return seen;
  };
  return {
    nodes,
    position,
    projectName: idx.meta.project,
    dag: { upstream: (id, depth = Infinity) => walk(id, depth, parents), downstream: (id, depth = Infinity) => walk(id, depth, children) },
  };
}

/**
 * Selection on the index: `select` minus `exclude` → the positions of the nodes picked, with selectNodes'
 * contract (every node when both are empty, which needs no matching and no graph, so the first screen does
 * not build one). A bad selector throws selectNodes' TxError.
 */
export function indexSelector(idx: SiteIndex): (select: string[] | undefined, exclude: string[] | undefined) => Set<number> {
  let g: IndexGraph | undefined;
  const given = (s: string[] | undefined) => (s?.some((x) => x.trim()) ? s : undefined);
  return (select, exclude) => {
    if (!given(select) && !given(exclude)) return new Set(idx.nodes.id.keys());
    g ??= indexGraph(idx);
    return new Set([...selectNodes(g.nodes, g.dag, g.projectName, given(select), given(exclude))].map((id) => g!.position.get(id)!));
  };
}

/** What the site shows for an error of selectIndexes: a selector's message and hint, anything else as it is. */
export function selectionErrorText(e: unknown): string {
  return e instanceof TxError ? `${e.message}${e.hint ? ` (${e.hint})` : ''}` : String(e);
}
