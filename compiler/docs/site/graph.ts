/**
 * The lineage graph on a canvas: pan (drag), zoom (wheel, buttons), hover for
 * a node's neighbourhood, click to open. Only what is in view is drawn, labels
 * only when legible, so 10,000 nodes stay smooth.
 */
import { NODE_H, NODE_W } from './layout.js';

export interface GraphModel {
  /** Global index of each local node. */
  global: number[];
  name: string[];
  type: string[];
  status: (string | null)[];
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  /** Local edges, flat [from, to, ...]. */
  edges: number[];
  /** Local indexes to emphasise (the focused node). */
  focus?: Set<number>;
}

export const TYPE_COLOURS: Record<string, [string, string]> = {
  model: ['#3b82f6', '#e8f0fe'],
  source: ['#16a34a', '#e7f6ec'],
  seed: ['#a16207', '#faf1e0'],
  test: ['#6b7280', '#f0f1f3'],
  export: ['#9333ea', '#f3e8ff'],
};

export const STATUS_COLOURS: Record<string, string> = {
  success: '#16a34a',
  pass: '#16a34a',
  error: '#dc2626',
  fail: '#dc2626',
  'runtime error': '#dc2626',
  warn: '#d97706',
  skipped: '#9ca3af',
  cancelled: '#9ca3af',
};

const CELL = 400;

export class GraphView {
  readonly canvas: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  private scale = 1;
  private tx = 0;
  private ty = 0;
  private hover = -1;
  private frame = 0;
  private readonly parents: number[][];
  private readonly children: number[][];
  private readonly grid = new Map<string, number[]>();
  private readonly tip: HTMLDivElement;
  private readonly ro: ResizeObserver;
  private labels: string[] = [];

  constructor(
    host: HTMLElement,
    readonly model: GraphModel,
    private readonly onOpen: (globalIndex: number) => void,
  ) {
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'graph';
    this.canvas.setAttribute('role', 'img');
    this.canvas.setAttribute('aria-label', `Lineage graph of ${model.global.length} nodes`);
    host.appendChild(this.canvas);
    this.tip = document.createElement('div');
    this.tip.className = 'tip';
    host.appendChild(this.tip);
    this.ctx = this.canvas.getContext('2d')!;
    const n = model.global.length;
    this.parents = Array.from({ length: n }, () => []);
    this.children = Array.from({ length: n }, () => []);
    for (let k = 0; k < model.edges.length; k += 2) {
      this.children[model.edges[k]!]!.push(model.edges[k + 1]!);
      this.parents[model.edges[k + 1]!]!.push(model.edges[k]!);
    }
    for (let i = 0; i < n; i++) {
      const cx = Math.floor(model.x[i]! / CELL);
      const cy = Math.floor(model.y[i]! / CELL);
      for (let dx = -1; dx <= 0; dx++) {
        const k = `${cx + dx},${cy}`;
        const list = this.grid.get(k);
        if (list) list.push(i);
        else this.grid.set(k, [i]);
      }
    }
    this.bind();
    this.ro = new ResizeObserver(() => this.resize());
    this.ro.observe(this.canvas);
    this.resize();
    this.fit();
  }

  destroy(): void {
    this.ro.disconnect();
    cancelAnimationFrame(this.frame);
  }

  private resize(): void {
    const r = this.canvas.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    this.canvas.width = Math.max(1, Math.round(r.width * dpr));
    this.canvas.height = Math.max(1, Math.round(r.height * dpr));
    this.requestDraw();
  }

  fit(): void {
    const { x, y } = this.model;
    const n = this.model.global.length;
    if (!n) return;
    let minX = Infinity;
    let minY = Infinity;
    let maxX = -Infinity;
    let maxY = -Infinity;
    for (let i = 0; i < n; i++) {
      minX = Math.min(minX, x[i]! - NODE_W / 2);
      maxX = Math.max(maxX, x[i]! + NODE_W / 2);
      minY = Math.min(minY, y[i]! - NODE_H / 2);
      maxY = Math.max(maxY, y[i]! + NODE_H / 2);
    }
    const r = this.canvas.getBoundingClientRect();
    const w = r.width || 800;
    const hgt = r.height || 600;
    this.scale = Math.min(1.2, Math.max(0.005, Math.min((w - 40) / (maxX - minX), (hgt - 40) / (maxY - minY))));
    this.tx = (w - (maxX - minX) * this.scale) / 2 - minX * this.scale;
    this.ty = (hgt - (maxY - minY) * this.scale) / 2 - minY * this.scale;
    this.requestDraw();
  }

  zoom(factor: number, cx?: number, cy?: number): void {
    const r = this.canvas.getBoundingClientRect();
    const px = cx ?? r.width / 2;
    const py = cy ?? r.height / 2;
    const ns = Math.min(4, Math.max(0.003, this.scale * factor));
    this.tx = px - ((px - this.tx) * ns) / this.scale;
    this.ty = py - ((py - this.ty) * ns) / this.scale;
    this.scale = ns;
    this.requestDraw();
  }

  /** Centre a node (local index) at a legible zoom. */
  centreOn(i: number): void {
    const r = this.canvas.getBoundingClientRect();
    this.scale = Math.max(this.scale, 0.8);
    this.tx = r.width / 2 - this.model.x[i]! * this.scale;
    this.ty = r.height / 2 - this.model.y[i]! * this.scale;
    this.requestDraw();
  }

  /** Screen position (CSS pixels, relative to the canvas) of each node in view; for tests and a11y. */
  visibleNodes(): { index: number; name: string; x: number; y: number }[] {
    const r = this.canvas.getBoundingClientRect();
    const out: { index: number; name: string; x: number; y: number }[] = [];
    for (let i = 0; i < this.model.global.length; i++) {
      const sx = this.model.x[i]! * this.scale + this.tx;
      const sy = this.model.y[i]! * this.scale + this.ty;
      if (sx >= 0 && sy >= 0 && sx <= r.width && sy <= r.height) out.push({ index: this.model.global[i]!, name: this.model.name[i]!, x: sx, y: sy });
    }
    return out;
  }

  private bind(): void {
    const c = this.canvas;
    let down: { x: number; y: number; tx: number; ty: number; moved: boolean } | null = null;
    c.addEventListener('pointerdown', (e) => {
      down = { x: e.clientX, y: e.clientY, tx: this.tx, ty: this.ty, moved: false };
      c.setPointerCapture(e.pointerId);
    });
    c.addEventListener('pointermove', (e) => {
      const r = c.getBoundingClientRect();
      if (down) {
        const dx = e.clientX - down.x;
        const dy = e.clientY - down.y;
        if (Math.abs(dx) + Math.abs(dy) > 4) down.moved = true;
        if (down.moved) {
          c.classList.add('drag');
          this.tx = down.tx + dx;
          this.ty = down.ty + dy;
          this.requestDraw();
          return;
        }
      }
      const hit = this.hitTest(e.clientX - r.left, e.clientY - r.top);
      if (hit !== this.hover) {
        this.hover = hit;
        this.requestDraw();
      }
      if (hit >= 0) {
        this.tip.textContent = `${this.model.name[hit]} · ${this.model.type[hit]}${this.model.status[hit] ? ` · ${this.model.status[hit]}` : ''}`;
        this.tip.style.display = 'block';
        this.tip.style.left = `${e.clientX - r.left + 12}px`;
        this.tip.style.top = `${e.clientY - r.top + c.offsetTop + 12}px`;
        c.style.cursor = 'pointer';
      } else {
        this.tip.style.display = 'none';
        c.style.cursor = '';
      }
    });
    c.addEventListener('pointerup', (e) => {
      const r = c.getBoundingClientRect();
      const wasDrag = down?.moved;
      down = null;
      c.classList.remove('drag');
      if (wasDrag) return;
      const hit = this.hitTest(e.clientX - r.left, e.clientY - r.top);
      if (hit >= 0) this.onOpen(this.model.global[hit]!);
    });
    c.addEventListener('pointerleave', () => {
      this.hover = -1;
      this.tip.style.display = 'none';
      this.requestDraw();
    });
    c.addEventListener(
      'wheel',
      (e) => {
        e.preventDefault();
        const r = c.getBoundingClientRect();
        this.zoom(Math.exp(-e.deltaY * (e.deltaMode === 1 ? 0.05 : 0.0015)), e.clientX - r.left, e.clientY - r.top);
      },
      { passive: false },
    );
  }

  private hitTest(sx: number, sy: number): number {
    const x = (sx - this.tx) / this.scale;
    const y = (sy - this.ty) / this.scale;
    const list = this.grid.get(`${Math.floor(x / CELL)},${Math.floor(y / CELL)}`) ?? [];
    const pad = Math.max(0, 4 / this.scale - NODE_H / 2);
    for (const i of list) {
      if (Math.abs(this.model.x[i]! - x) <= NODE_W / 2 + pad && Math.abs(this.model.y[i]! - y) <= NODE_H / 2 + pad) return i;
    }
    return -1;
  }

  requestDraw(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  /** Draw now (also used to measure the first paint). */
  draw(): void {
    const ctx = this.ctx;
    const dpr = window.devicePixelRatio || 1;
    const W = this.canvas.width / dpr;
    const H = this.canvas.height / dpr;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    const s = this.scale;
    ctx.setTransform(dpr * s, 0, 0, dpr * s, dpr * this.tx, dpr * this.ty);
    const x0 = -this.tx / s - NODE_W;
    const y0 = -this.ty / s - NODE_H;
    const x1 = (W - this.tx) / s + NODE_W;
    const y1 = (H - this.ty) / s + NODE_H;
    const { x, y, edges, type, status } = this.model;
    const n = this.model.global.length;
    const inView = (i: number) => x[i]! >= x0 && x[i]! <= x1 && y[i]! >= y0 && y[i]! <= y1;
    const hw = NODE_W / 2;

    // neighbourhood of the hovered node
    const lit = new Set<number>();
    if (this.hover >= 0) {
      const walk = (start: number, next: number[][]) => {
        const stack = [start];
        while (stack.length) {
          const v = stack.pop()!;
          for (const u of next[v]!) if (!lit.has(u)) (lit.add(u), stack.push(u));
        }
      };
      lit.add(this.hover);
      walk(this.hover, this.parents);
      walk(this.hover, this.children);
    }

    // edges
    const curve = s > 0.12;
    ctx.lineWidth = 1.2 / s;
    ctx.strokeStyle = lit.size ? 'rgba(100,116,139,0.15)' : 'rgba(100,116,139,0.45)';
    ctx.beginPath();
    const litEdges: number[] = [];
    for (let k = 0; k < edges.length; k += 2) {
      const a = edges[k]!;
      const b = edges[k + 1]!;
      const ax = x[a]! + hw;
      const ay = y[a]!;
      const bx = x[b]! - hw;
      const by = y[b]!;
      if (Math.max(ax, bx) < x0 || Math.min(ax, bx) > x1 || Math.max(ay, by) < y0 || Math.min(ay, by) > y1) continue;
      if (lit.has(a) && lit.has(b)) {
        litEdges.push(a, b);
        continue;
      }
      ctx.moveTo(ax, ay);
      if (curve) {
        const mx = (ax + bx) / 2;
        ctx.bezierCurveTo(mx, ay, mx, by, bx, by);
      } else ctx.lineTo(bx, by);
    }
    ctx.stroke();
    if (litEdges.length) {
      ctx.strokeStyle = '#2f6fde';
      ctx.lineWidth = 2 / s;
      ctx.beginPath();
      for (let k = 0; k < litEdges.length; k += 2) {
        const a = litEdges[k]!;
        const b = litEdges[k + 1]!;
        const ax = x[a]! + hw;
        const bx = x[b]! - hw;
        const mx = (ax + bx) / 2;
        ctx.moveTo(ax, y[a]!);
        ctx.bezierCurveTo(mx, y[a]!, mx, y[b]!, bx, y[b]!);
      }
      ctx.stroke();
    }

    // nodes, batched by colour
    const visible: number[] = [];
    for (let i = 0; i < n; i++) if (inView(i)) visible.push(i);
    const byFill = new Map<string, number[]>();
    const byStroke = new Map<string, number[]>();
    for (const i of visible) {
      const [solid, light] = TYPE_COLOURS[type[i]!] ?? TYPE_COLOURS.model!;
      const dim = lit.size && !lit.has(i);
      const fill = dim ? '#f5f6f8' : s < 0.25 ? solid : light;
      (byFill.get(fill) ?? byFill.set(fill, []).get(fill)!).push(i);
      const st = status[i] ? STATUS_COLOURS[status[i]!] ?? '#9ca3af' : dim ? '#e5e7eb' : solid;
      (byStroke.get(st) ?? byStroke.set(st, []).get(st)!).push(i);
    }
    for (const [fill, list] of byFill) {
      ctx.fillStyle = fill;
      ctx.beginPath();
      for (const i of list) ctx.rect(x[i]! - hw, y[i]! - NODE_H / 2, NODE_W, NODE_H);
      ctx.fill();
    }
    if (s >= 0.08) {
      ctx.lineWidth = Math.max(1.5, 2 / s) ;
      for (const [stroke, list] of byStroke) {
        ctx.strokeStyle = stroke;
        ctx.beginPath();
        for (const i of list) ctx.rect(x[i]! - hw, y[i]! - NODE_H / 2, NODE_W, NODE_H);
        ctx.stroke();
      }
      // type stripe
      if (s >= 0.25) {
        for (const i of visible) {
          ctx.fillStyle = (TYPE_COLOURS[type[i]!] ?? TYPE_COLOURS.model!)[0];
          ctx.fillRect(x[i]! - hw, y[i]! - NODE_H / 2, 6, NODE_H);
        }
      }
    }
    if (this.model.focus?.size) {
      ctx.lineWidth = 4 / s;
      ctx.strokeStyle = '#111827';
      ctx.beginPath();
      for (const i of this.model.focus) ctx.rect(x[i]! - hw - 3 / s, y[i]! - NODE_H / 2 - 3 / s, NODE_W + 6 / s, NODE_H + 6 / s);
      ctx.stroke();
    }
    // labels when legible
    if (s * 13 >= 8 && visible.length < 4000) {
      if (this.labels.length !== n) this.labels = this.model.name.map((nm) => (nm.length > 25 ? `${nm.slice(0, 24)}…` : nm));
      ctx.fillStyle = '#111827';
      ctx.font = '13px system-ui, sans-serif';
      ctx.textBaseline = 'middle';
      for (const i of visible) ctx.fillText(this.labels[i]!, x[i]! - hw + 12, y[i]!, NODE_W - 18);
    }
  }
}
