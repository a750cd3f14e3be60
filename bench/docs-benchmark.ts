/**
 * Docs site at scale: a synthetic 10,000-model project's artifacts (manifest with compiled SQL,
 * run results), `tx docs generate` on them (column lineage, layout, files), then headless
 * Chromium opens the site from file:// and times how long until it is interactive.
 *
 *   npm run build && node dist/bench/docs-benchmark.js [--models 10000] [--runs 3] [--out bench/out/docs-bench]
 *
 * "Interactive" = the app has parsed the index, built the graph, drawn the first frame of the
 * whole DAG and attached its handlers (it sets window.__txReady then), measured from navigation
 * start. Needs Debian's chromium (.ci/install-chromium).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { launchChromium } from '../compiler/docs/browser-fixture.js';
import { generateDocs } from '../compiler/docs/generate.js';
import type { Manifest, ManifestNode, RunResult, RunResults } from '../compiler/docs/manifest-types.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
}

const MODELS = Number(arg('models', '10000'));
const RUNS = Number(arg('runs', '3'));
const OUT = resolve(arg('out', 'bench/out/docs-bench'));

let seed = 42;
const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;

const COLS = ['id', 'c1', 'c2', 'c3', 'c4', 'c5'];

function base(id: string, type: string, name: string, fqn: string[], schema: string): ManifestNode {
  return {
    unique_id: id,
    resource_type: type,
    name,
    path: `${fqn.slice(1, -1).join('/') || 'models'}/${name}.sql`,
    fqn,
    relation_name: `"${schema}"."${name}"`,
    database: null,
    schema,
    alias: name,
    config: { materialized: 'table', tags: [fqn[1]!] },
    tags: [fqn[1]!],
    description: `Synthetic **${type}** ${name} of domain ${fqn[1]}.`,
    columns: {},
    raw_code: null,
    compiled_code: null,
    depends_on: { nodes: [] },
  };
}

/** A project of `n` models in domains of ~200: staging over sources, 4 layers, marts reading other domains. */
export function syntheticArtifacts(n: number): { manifest: Manifest; runResults: RunResults } {
  const nodes: Record<string, ManifestNode> = {};
  const sources: Record<string, ManifestNode> = {};
  const results: RunResult[] = [];
  const domains = Math.max(1, Math.round(n / 200));
  const layers = [0.3, 0.25, 0.2, 0.1, 0.15];
  const marts: string[][] = [];
  const now = Date.now();
  let made = 0;
  const result = (id: string, status: string, t: number, rows: number | null): void => {
    results.push({
      unique_id: id,
      status,
      message: status === 'error' ? 'Binder Error: column "c9" not found' : status,
      execution_time: t,
      timing: [{ name: 'execute', started_at: new Date(now - 60_000).toISOString(), completed_at: new Date(now - 59_000).toISOString() }],
      adapter_response: { rows_affected: rows },
      failures: status === 'fail' ? 3 : status === 'pass' ? 0 : null,
    });
  };
  for (let d = 0; d < domains; d++) {
    const dom = `d${d}`;
    const srcIds: string[] = [];
    for (let s = 0; s < 4; s++) {
      const name = `${dom}_src${s}`;
      const id = `source.bench.${dom}.${name}`;
      const node = base(id, 'source', name, ['bench', dom, name], 'raw');
      node.columns = Object.fromEntries(COLS.map((c) => [c, { name: c, description: `Column ${c}.`, data_type: c === 'id' ? 'bigint' : 'varchar' }]));
      node.source_name = dom;
      node.freshness = s === 0 ? { warn_after: { count: 12, period: 'hour' }, error_after: { count: 1, period: 'day' } } : null;
      sources[id] = node;
      srcIds.push(id);
      result(id, 'success', 0.2 + rnd(), 100_000);
    }
    const perDomain = Math.round(n / domains);
    const ids: string[][] = [];
    for (let L = 0; L < layers.length; L++) {
      ids.push([]);
      const cnt = L === layers.length - 1 ? perDomain - ids.slice(0, L).reduce((a, x) => a + x.length, 0) : Math.round(layers[L]! * perDomain);
      for (let i = 0; i < cnt && made < n; i++, made++) {
        const name = `${dom}_l${L}_m${i}`;
        const id = `model.bench.${name}`;
        const folder = L === 0 ? 'staging' : L === layers.length - 1 ? 'marts' : 'intermediate';
        const node = base(id, 'model', name, ['bench', dom, folder, name], 'main');
        let sql: string;
        let deps: string[];
        if (L === 0) {
          const src = pick(srcIds);
          deps = [src];
          sql = `select cast(id as bigint) as id, trim(c1) as c1, c2, c3, upper(c4) as c4, c5\nfrom ${sources[src]!.relation_name}\nwhere id is not null`;
        } else {
          const p0 = pick(ids[L - 1]!);
          let p1 = pick(ids[Math.max(0, L - (rnd() < 0.3 ? 2 : 1))]!);
          if (L >= 3 && d > 0 && rnd() < 0.15) p1 = pick(pick(marts));
          deps = [...new Set([p0, p1])];
          const r0 = nodes[p0]!.relation_name;
          const r1 = nodes[p1]!.relation_name;
          sql =
            `with base as (\n    select * from ${r0}\n),\nother as (\n    select id, c2, c3, c5 from ${r1}\n)\n` +
            `select\n    base.id,\n    base.c1,\n    coalesce(other.c2, base.c2) as c2,\n    base.c3 + other.c3 as c3,\n    base.c4,\n    sum(other.c5) over (partition by base.c1) as c5\n` +
            `from base\nleft join other on base.id = other.id`;
        }
        node.raw_code = sql.replace(/"main"\."([^"]+)"/g, "{{ ref('$1') }}");
        node.compiled_code = sql;
        node.depends_on = { nodes: deps };
        node.columns = Object.fromEntries(COLS.slice(0, 3).map((c) => [c, { name: c, description: `The ${c} of ${name}.`, data_type: null, tests: c === 'id' ? ['not_null'] : [] }]));
        nodes[id] = node;
        ids[L]!.push(id);
        const status = rnd() < 0.004 ? 'error' : rnd() < 0.004 ? 'skipped' : 'success';
        result(id, status, Math.round(rnd() * 2000) / 1000, status === 'success' ? Math.floor(rnd() * 1e6) : null);
        if (i % 5 === 0) {
          const tid = `test.bench.not_null_${name}_id`;
          const t = base(tid, 'test', `not_null_${name}_id`, ['bench', `not_null_${name}_id`], 'main');
          Object.assign(t, { relation_name: null, schema: null, alias: null, config: { tags: [] }, tags: [] });
          t.compiled_code = `select * from "main"."${name}" where id is null`;
          t.depends_on = { nodes: [id] };
          t.test_metadata = { name: 'not_null', kwargs: {}, column_name: 'id' };
          t.attached_node = id;
          t.severity = 'error';
          nodes[tid] = t;
          result(tid, rnd() < 0.01 ? 'fail' : 'pass', 0.05, null);
        }
      }
    }
    marts.push(ids[layers.length - 1]!.length ? ids[layers.length - 1]! : ids[0]!);
  }
  const generated = new Date(now - 120_000).toISOString();
  return {
    manifest: { metadata: { tx_version: 'bench', generated_at: generated, project_name: 'bench', target: { name: 'duckdb', schema: 'main' } }, nodes, sources },
    runResults: { metadata: { tx_version: 'bench', generated_at: new Date(now - 30_000).toISOString(), command: 'build' }, elapsed_time: 1234, results },
  };
}

function dirSize(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) total += e.isDirectory() ? dirSize(join(dir, e.name)) : statSync(join(dir, e.name)).size;
  return total;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  let t = performance.now();
  const { manifest, runResults } = syntheticArtifacts(MODELS);
  writeFileSync(join(OUT, 'manifest.json'), JSON.stringify(manifest));
  writeFileSync(join(OUT, 'run_results.json'), JSON.stringify(runResults));
  const nModels = Object.values(manifest.nodes).filter((x) => x.resource_type === 'model').length;
  const nTests = Object.keys(manifest.nodes).length - nModels;
  console.log(`synthetic project: ${nModels} models, ${Object.keys(manifest.sources).length} sources, ${nTests} tests (${((performance.now() - t) / 1000).toFixed(2)} s)`);

  t = performance.now();
  const report = await generateDocs({ targetDir: OUT });
  const genS = (performance.now() - t) / 1000;
  const site = join(OUT, 'docs');
  const indexKb = statSync(join(site, 'data', 'index.js')).size / 1024;
  console.log(
    `tx docs generate: ${genS.toFixed(2)} s (${Object.entries(report.timings).map(([k, v]) => `${k} ${v} ms`).join(', ')}); layout ${report.layoutEngine}; ` +
      `site ${(dirSize(site) / 1e6).toFixed(1)} MB, data/index.js ${indexKb.toFixed(0)} KB`,
  );

  // as a user runs it: `tx docs generate` in fresh processes (the bin), median of --runs; the
  // artifacts folder is the target path of an empty project beside it
  const proj = join(OUT, 'bench-project');
  mkdirSync(proj, { recursive: true });
  writeFileSync(join(proj, 'project.yml'), 'name: bench\n');
  const bin = fileURLToPath(new URL('../bin/tx.js', import.meta.url));
  const fresh: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    const p = spawnSync(bin, ['docs', 'generate', '--project-dir', proj, '--target-path', '..', '--no-catalog', '-q'], { encoding: 'utf8' });
    if (p.status !== 0) throw new Error(`tx docs generate exited ${p.status}: ${p.stderr}`);
    fresh.push((performance.now() - t0) / 1000);
  }
  console.log(`tx docs generate, fresh processes (dist/bin/tx.js): ${median(fresh).toFixed(2)} s median of ${RUNS} (runs: ${fresh.map((x) => x.toFixed(2)).join(', ')}); load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);

  const sizes = new Map<string, number>();
  const walk = (dir: string, rel: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name), `${rel}${e.name}/`);
      else {
        const key = rel.startsWith('data/nodes/') ? 'data/nodes/*' : `${rel}${e.name}`;
        sizes.set(key, (sizes.get(key) ?? 0) + statSync(join(dir, e.name)).size);
      }
    }
  };
  walk(site, '');
  console.log(`site files: ${[...sizes].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${(v / 1e6).toFixed(2)} MB`).join(', ')}`);
  if (process.argv.includes('--no-browser')) return;

  const browser = await launchChromium();
  const url = pathToFileURL(join(site, 'index.html')).href;
  const tti: Record<string, number[]> = { graph: [], overview: [], node: [], focus: [], redraw: [], search: [] };
  try {
    for (let r = 0; r < RUNS; r++) {
      const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 } });
      const page = await ctx.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      for (const [key, hash] of [['graph', '#/graph'], ['overview', '']] as const) {
        await page.goto('about:blank');
        await page.goto(url + hash);
        await page.waitForFunction(() => (window as unknown as { __txReady?: number }).__txReady !== undefined, null, { timeout: 60_000 });
        tti[key]!.push(await page.evaluate(() => (window as unknown as { __txReady: number }).__txReady));
      }
      // a node page opened from the graph: click → details chunk loaded → page rendered
      await page.goto(url + '#/graph');
      await page.waitForFunction(() => (window as unknown as { __txReady?: number }).__txReady !== undefined);
      const redraw = await page.evaluate(() => {
        const g = (window as unknown as { __txDebug: { graph: { draw(): void } } }).__txDebug.graph;
        const t0 = performance.now();
        for (let i = 0; i < 10; i++) g.draw();
        return (performance.now() - t0) / 10;
      });
      tti.redraw!.push(redraw);
      const id = 'model.bench.d20_l4_m5';
      const t0 = Date.now();
      await page.evaluate((h) => (location.hash = h), `#/node/${encodeURIComponent(id)}`);
      await page.waitForSelector('#columns tr[data-column="c3"] td[data-lineage] a.upcol');
      tti.node!.push(Date.now() - t0);
      const t1 = Date.now();
      await page.evaluate(() => (location.hash = `#/graph?select=${encodeURIComponent('+d20_l4_m5+')}`));
      await page.waitForFunction(() => /nodes, .* layout in/.test(document.getElementById('g-info')?.textContent ?? ''));
      tti.focus!.push(Date.now() - t1);
      const t2 = Date.now();
      await page.fill('#search', 'd49_l2_m1');
      await page.waitForSelector('#search-results li');
      tti.search!.push(Date.now() - t2);
      if (r === 0) {
        await page.press('#search', 'Escape');
        await page.locator('canvas.graph').click({ position: { x: 5, y: 5 } });
        mkdirSync(join(OUT, 'shots'), { recursive: true });
        await page.screenshot({ path: join(OUT, 'shots', 'focus.png') });
        await page.goto(url + '#/graph');
        await page.waitForFunction(() => (window as unknown as { __txReady?: number }).__txReady !== undefined);
        await page.screenshot({ path: join(OUT, 'shots', 'graph.png') });
        console.log(`whole graph: ${await page.evaluate(() => document.getElementById('g-info')?.textContent)}`);
      }
      if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
      await ctx.close();
    }
  } finally {
    await browser.close();
  }
  const fmt = (k: string) => `${median(tti[k]!).toFixed(0)} ms (runs: ${tti[k]!.map((x) => x.toFixed(0)).join(', ')})`;
  console.log(`time to interactive, whole ${report.nodes}-node graph (file://): ${fmt('graph')}`);
  console.log(`time to interactive, overview: ${fmt('overview')}`);
  console.log(`redraw of the whole graph (pan/zoom frame): ${median(tti.redraw!).toFixed(1)} ms`);
  console.log(`open a model page from the graph (chunk load + render): ${fmt('node')}`);
  console.log(`focused view +model+ (select + layout + draw): ${fmt('focus')}`);
  console.log(`search results: ${fmt('search')}`);
  const ok = median(tti.graph!) < 2000;
  console.log(ok ? 'OK: interactive within 2 s' : 'SLOW: more than 2 s to interactive');
  if (!ok) process.exitCode = 1;
}

await main();
