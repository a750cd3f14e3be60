/**
 * Graph layout for the lineage view, shared by the generator (Node, whole DAG
 * precomputed) and the browser (focused views).
 *
 * Small graphs are laid out by dagre (@dagrejs/dagre). dagre's ordering and
 * positioning are superlinear: measured on this machine, a 400-node project
 * DAG takes 3-9 s and a 1,000-node one 8-280 s depending on options (elkjs and
 * @msagl/core behave alike: 25 s and 9 s at 1,000 nodes). So above
 * `DAGRE_MAX_NODES` the same Sugiyama scheme runs in linear passes: longest-path
 * layering, barycentre ordering sweeps on coordinates, and placement by
 * isotonic regression (each node as near its neighbours as the order allows).
 */
import dagre from '@dagrejs/dagre';

export const NODE_W = 190;
export const NODE_H = 30;
const RANK_GAP = 90;
const ROW_GAP = 12;
const ROW = NODE_H + ROW_GAP;

export interface LayoutInput {
  /** Number of nodes, indexed 0..n-1. */
  n: number;
  /** Edges as [from, to] index pairs (from = upstream). */
  edges: readonly (readonly [number, number])[];
  /** Sort key per node for the first ordering (e.g. folder path + name): keeps folders together. */
  groupKey?: (i: number) => string;
  /**
   * Cluster per node (e.g. the first folder, or a source's name). When one layered layout of a
   * big graph comes out far taller than wide, each cluster is laid out alone and the clusters
   * are packed in rows, so the whole DAG fits a screen; edges between clusters stay drawn.
   */
  cluster?: (i: number) => string;
}

export interface LayoutResult {
  /** Centre of each node. */
  x: Float64Array;
  y: Float64Array;
  width: number;
  height: number;
  engine: 'dagre' | 'layered';
  ms: number;
}

export const DAGRE_MAX_NODES = 150;

export function layoutGraph(input: LayoutInput, opts: { dagreMax?: number } = {}): LayoutResult {
  const t0 = now();
  const max = opts.dagreMax ?? DAGRE_MAX_NODES;
  const r = input.n <= max ? layoutDagre(input) : layoutClustered(input) ?? layoutLayered(input);
  return { ...r, ms: now() - t0 };
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

function layoutDagre({ n, edges }: LayoutInput): Omit<LayoutResult, 'ms'> {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: ROW_GAP, ranksep: RANK_GAP, marginx: 0, marginy: 0, ranker: n <= 60 ? 'network-simplex' : 'tight-tree' });
  g.setDefaultEdgeLabel(() => ({}));
  for (let i = 0; i < n; i++) g.setNode(String(i), { width: NODE_W, height: NODE_H });
  for (const [a, b] of edges) if (a !== b) g.setEdge(String(a), String(b));
  dagre.layout(g, { disableOptimalOrderHeuristic: n > 60 });
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const p = g.node(String(i)) as { x: number; y: number };
    x[i] = p.x;
    y[i] = p.y;
  }
  return normalise(x, y, 'dagre');
}

function normalise(x: Float64Array, y: Float64Array, engine: LayoutResult['engine']): Omit<LayoutResult, 'ms'> {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (let i = 0; i < x.length; i++) {
    minX = Math.min(minX, x[i]!);
    minY = Math.min(minY, y[i]!);
    maxX = Math.max(maxX, x[i]!);
    maxY = Math.max(maxY, y[i]!);
  }
  if (!x.length) return { x, y, width: 0, height: 0, engine };
  for (let i = 0; i < x.length; i++) {
    x[i] = x[i]! - minX + NODE_W / 2;
    y[i] = y[i]! - minY + NODE_H / 2;
  }
  return { x, y, width: maxX - minX + NODE_W, height: maxY - minY + NODE_H, engine };
}

/** Big DAGs with clusters: each cluster laid out alone, then packed in rows (undefined when not worth it). */
function layoutClustered(input: LayoutInput): Omit<LayoutResult, 'ms'> | undefined {
  const { n, edges, cluster, groupKey } = input;
  if (!cluster) return undefined;
  const members = new Map<string, number[]>();
  for (let i = 0; i < n; i++) {
    const k = cluster(i);
    const m = members.get(k);
    if (m) m.push(i);
    else members.set(k, [i]);
  }
  if (members.size < 4 || [...members.values()].some((m) => m.length > n / 2)) return undefined;
  const whole = layoutLayered(input);
  if (whole.height < 3 * whole.width) return whole;
  const local = new Int32Array(n);
  const boxes: { nodes: number[]; r: Omit<LayoutResult, 'ms'>; order: number }[] = [];
  const byCluster = new Map<string, [number, number][]>();
  const clusterOf = new Map<number, string>();
  for (const [k, m] of members) {
    m.forEach((v, j) => {
      local[v] = j;
      clusterOf.set(v, k);
    });
    byCluster.set(k, []);
  }
  for (const [a, b] of edges) if (clusterOf.get(a) === clusterOf.get(b)) byCluster.get(clusterOf.get(a)!)!.push([local[a]!, local[b]!]);
  for (const [k, m] of members) {
    const r = layoutLayered({ n: m.length, edges: byCluster.get(k)!, groupKey: groupKey ? (j) => groupKey(m[j]!) : undefined });
    let mean = 0;
    for (const v of m) mean += whole.x[v]!;
    boxes.push({ nodes: m, r, order: mean / m.length });
  }
  // upstream clusters first, then pack into rows about as wide as a 16:10 screen holds
  boxes.sort((a, b) => a.order - b.order);
  const gap = RANK_GAP * 2;
  const area = boxes.reduce((a, b) => a + (b.r.width + gap) * (b.r.height + gap), 0);
  const rowWidth = Math.max(Math.sqrt(area * 1.6), ...boxes.map((b) => b.r.width));
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  let cx = 0;
  let cy = 0;
  let rowH = 0;
  for (const b of boxes) {
    if (cx > 0 && cx + b.r.width > rowWidth) {
      cx = 0;
      cy += rowH + gap;
      rowH = 0;
    }
    b.nodes.forEach((v, j) => {
      x[v] = b.r.x[j]! + cx;
      y[v] = b.r.y[j]! + cy;
    });
    cx += b.r.width + gap;
    rowH = Math.max(rowH, b.r.height);
  }
  return normalise(x, y, 'layered');
}

/** Linear-time layered layout for large DAGs. */
export function layoutLayered({ n, edges, groupKey }: LayoutInput): Omit<LayoutResult, 'ms'> {
  const parents: number[][] = Array.from({ length: n }, () => []);
  const children: number[][] = Array.from({ length: n }, () => []);
  for (const [a, b] of edges) {
    if (a === b) continue;
    parents[b]!.push(a);
    children[a]!.push(b);
  }
  // 1. layering: longest path from the roots (Kahn's order), then roots pulled next to their first child
  const rank = new Int32Array(n);
  const indeg = new Int32Array(n);
  for (let i = 0; i < n; i++) indeg[i] = parents[i]!.length;
  const queue: number[] = [];
  for (let i = 0; i < n; i++) if (!indeg[i]) queue.push(i);
  for (let q = 0; q < queue.length; q++) {
    const v = queue[q]!;
    for (const c of children[v]!) {
      rank[c] = Math.max(rank[c]!, rank[v]! + 1);
      if (--indeg[c]! === 0) queue.push(c);
    }
  }
  if (queue.length < n) {
    // a cycle (should not happen in a tx DAG): leave its nodes on rank 0
    for (let i = 0; i < n; i++) if (indeg[i]) rank[i] = 0;
  }
  for (let i = 0; i < n; i++) {
    if (parents[i]!.length || !children[i]!.length) continue;
    let m = Infinity;
    for (const c of children[i]!) m = Math.min(m, rank[c]!);
    rank[i] = m - 1;
  }
  let maxRank = 0;
  for (let i = 0; i < n; i++) maxRank = Math.max(maxRank, rank[i]!);
  const ranks: number[][] = Array.from({ length: maxRank + 1 }, () => []);
  for (let i = 0; i < n; i++) ranks[rank[i]!]!.push(i);

  // 2. initial order: by group key (folders stay together), then placement top-down
  const y = new Float64Array(n);
  for (const r of ranks) {
    if (groupKey) {
      const keys = r.map(groupKey);
      const idx = r.map((_, i) => i).sort((a, b) => (keys[a]! < keys[b]! ? -1 : keys[a]! > keys[b]! ? 1 : 0));
      const sorted = idx.map((i) => r[i]!);
      r.splice(0, r.length, ...sorted);
    }
    r.forEach((v, i) => (y[v] = i * ROW));
  }
  // centre every rank on the tallest one
  const tallest = Math.max(...ranks.map((r) => r.length));
  for (const r of ranks) {
    const off = ((tallest - r.length) * ROW) / 2;
    for (const v of r) y[v] = y[v]! + off;
  }

  // 3. sweeps: order each rank by the barycentre of its neighbours' y, then place as near to it as order allows
  const sweep = (r: number[], neighbours: number[][]) => {
    const desired = new Float64Array(r.length);
    for (let i = 0; i < r.length; i++) {
      const v = r[i]!;
      const nb = neighbours[v]!;
      if (!nb.length) {
        desired[i] = y[v]!;
        continue;
      }
      let s = 0;
      for (const u of nb) s += y[u]!;
      desired[i] = s / nb.length;
    }
    const idx = r.map((_, i) => i).sort((a, b) => desired[a]! - desired[b]! || a - b);
    const ordered = idx.map((i) => r[i]!);
    const d = idx.map((i) => desired[i]!);
    const placed = isotonicPlace(d, ROW);
    r.splice(0, r.length, ...ordered);
    for (let i = 0; i < ordered.length; i++) y[ordered[i]!] = placed[i]!;
  };
  for (let it = 0; it < 4; it++) {
    for (let k = 1; k < ranks.length; k++) sweep(ranks[k]!, parents);
    for (let k = ranks.length - 2; k >= 0; k--) sweep(ranks[k]!, children);
  }
  for (let k = 1; k < ranks.length; k++) sweep(ranks[k]!, parents);

  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = rank[i]! * (NODE_W + RANK_GAP);
  return normalise(x, y, 'layered');
}

/**
 * Positions y_i as near to d_i as possible (least squares) with y_{i+1} - y_i >= gap:
 * with z_i = y_i - i*gap this is isotonic regression, solved by pool-adjacent-violators in O(n).
 */
export function isotonicPlace(d: readonly number[], gap: number): number[] {
  const n = d.length;
  const vals: number[] = [];
  const weights: number[] = [];
  const sizes: number[] = [];
  for (let i = 0; i < n; i++) {
    let v = d[i]! - i * gap;
    let w = 1;
    let s = 1;
    while (vals.length && vals[vals.length - 1]! > v) {
      const pv = vals.pop()!;
      const pw = weights.pop()!;
      const ps = sizes.pop()!;
      v = (pv * pw + v * w) / (pw + w);
      w += pw;
      s += ps;
    }
    vals.push(v);
    weights.push(w);
    sizes.push(s);
  }
  const out = new Array<number>(n);
  let i = 0;
  for (let b = 0; b < vals.length; b++) {
    for (let k = 0; k < sizes[b]!; k++, i++) out[i] = vals[b]! + i * gap;
  }
  return out;
}
