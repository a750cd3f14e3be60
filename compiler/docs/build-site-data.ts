/**
 * Artifacts (+ column lineage) → the site's data: the compact index, one detail
 * record per node, and the manifest enriched with `columns[].depends_on`.
 */
import { columnLineageFor, type ModelLineage } from './column-lineage.js';
import type { Artifacts } from './read-artifacts.js';
import { txVersionOf } from '../artifacts/dbt-meta.js';
import { catalogView, type Manifest, type ManifestNode, type RunResult } from './manifest-types.js';
import { renderMarkdown } from './markdown.js';
import { layoutGraph, type LayoutResult } from './site/layout.js';
import type { FreshnessRow, NodeType, Overview, SiteColumn, SiteIndex, SiteNode, SiteRun } from './site/site-data.js';

interface Entry {
  id: string;
  type: NodeType;
  m?: ManifestNode;
  /** Exports: the model and the export's config. */
  exportOf?: { model: string; index: number; cfg: Record<string, unknown> };
}

export interface SiteData {
  index: SiteIndex;
  nodes: SiteNode[];
  /** manifest.json with catalog types and columns[].depends_on / lineage added. */
  manifest: Manifest;
  layout: LayoutResult;
}

const PERIOD_S: Record<string, number> = { minute: 60, hour: 3600, day: 86400 };

function ruleSeconds(r: unknown): number | null {
  if (!r || typeof r !== 'object') return null;
  const { count, period } = r as { count?: number; period?: string };
  if (typeof count !== 'number' || !period) return null;
  const unit = PERIOD_S[String(period).replace(/s$/, '')];
  return unit ? count * unit : null;
}

function ruleText(r: unknown, word: string): string | null {
  if (!r || typeof r !== 'object') return null;
  const { count, period } = r as { count?: number; period?: string };
  return count != null && period ? `${word} after ${count} ${period}${count === 1 || String(period).endsWith('s') ? '' : 's'}` : null;
}

function toRun(r: RunResult | undefined): SiteRun | null {
  if (!r) return null;
  const t = r.timing?.find((x) => x.completed_at) ?? r.timing?.[0];
  return {
    status: r.status,
    message: r.message ?? '',
    execution_time: Number(r.execution_time ?? 0),
    rows: r.adapter_response?.rows_affected ?? null,
    failures: r.failures ?? null,
    completed_at: t?.completed_at ?? null,
    ...(r.details ? { details: r.details } : {}),
  };
}

/**
 * The outcome of one export entry: the model's export step, unless this entry did not run (`enabled`
 * false, or its destination variable unset), which is skipped, not a success.
 */
function exportRun(r: RunResult | undefined, index: number, cfg: Record<string, unknown>): SiteRun | null {
  const run = toRun(r);
  if (!run) return null;
  const entries = (run.details as { entries?: { index: number; status: string }[] } | undefined)?.entries;
  const entry = entries?.find((x) => x.index === index);
  if (cfg.enabled === false || entry?.status === 'skipped') {
    return { ...run, status: 'skipped', message: 'not run: the export is not enabled (enabled: false, or its destination variable is unset)', rows: null, execution_time: 0 };
  }
  return run;
}

export function buildSiteData(a: Artifacts, lineage: Map<string, ModelLineage>, opts: { generatedAt?: Date; dagreMax?: number } = {}): SiteData {
  const now = opts.generatedAt ?? new Date();
  const { manifest, runResults, catalog } = a;
  // unit tests are apart from nodes in dbt's manifest; the site shows them among the tests
  const all = [...Object.values(manifest.nodes), ...Object.values(manifest.sources), ...Object.values(manifest.unit_tests ?? {})];
  const entries: Entry[] = [];
  for (const m of all) {
    const type = (m.resource_type === 'unit_test' ? 'test' : ['model', 'source', 'seed', 'test'].includes(m.resource_type) ? m.resource_type : 'model') as NodeType;
    entries.push({ id: m.unique_id, type, m });
  }
  // exports listed in a model's config become nodes downstream of it
  for (const m of all) {
    const exps = Array.isArray(m.config?.exports) ? (m.config.exports as Record<string, unknown>[]) : [];
    exps.forEach((cfg, i) => entries.push({ id: `export.${m.unique_id.split('.').slice(1).join('.')}.${i + 1}`, type: 'export', exportOf: { model: m.unique_id, index: i, cfg } }));
  }
  const idx = new Map(entries.map((e, i) => [e.id, i]));
  const results = new Map<string, RunResult>();
  for (const r of runResults?.results ?? []) results.set(r.unique_id, r);

  // edges: depends_on of manifest nodes, and model → export
  const parents: number[][] = entries.map(() => []);
  const children: number[][] = entries.map(() => []);
  const edgeList: [number, number][] = [];
  entries.forEach((e, i) => {
    const deps = e.m ? e.m.depends_on?.nodes ?? [] : e.exportOf ? [e.exportOf.model] : [];
    for (const d of deps) {
      const j = idx.get(d);
      if (j === undefined || parents[i]!.includes(j)) continue;
      parents[i]!.push(j);
      children[j]!.push(i);
      edgeList.push([j, i]);
    }
  });

  const statusOf = (e: Entry): string | null => {
    if (e.exportOf) return exportRun(results.get(`after:${e.exportOf.model}`), e.exportOf.index, e.exportOf.cfg)?.status ?? null;
    return results.get(e.id)?.status ?? null;
  };

  // tests by attached node and column
  const testsOf = new Map<number, { node: number; name: string; column: string | null; status: string | null }[]>();
  entries.forEach((e, i) => {
    if (e.type !== 'test' || !e.m) return;
    const attached = e.m.attached_node ?? e.m.depends_on?.nodes?.[0];
    const j = attached ? idx.get(attached) : undefined;
    if (j === undefined) return;
    const list = testsOf.get(j) ?? [];
    list.push({ node: i, name: e.m.test_metadata?.name ?? e.m.name, column: columnOf(e.m), status: statusOf(e) });
    testsOf.set(j, list);
  });

  // column lineage in index form, and the reverse (used_by)
  const usedBy = new Map<string, { node: number; column: string }[]>();
  const lineageOf = new Map<string, ModelLineage>(lineage);
  for (const [modelId, l] of lineageOf) {
    const mi = idx.get(modelId);
    if (mi === undefined) continue;
    for (const c of l.columns) {
      for (const d of c.depends_on) {
        const k = `${d.node}\u0000${d.column.toLowerCase()}`;
        const list = usedBy.get(k);
        if (list) list.push({ node: mi, column: c.name });
        else usedBy.set(k, [{ node: mi, column: c.name }]);
      }
    }
  }

  // freshness of sources
  const freshness = new Map<number, FreshnessRow>();
  entries.forEach((e, i) => {
    if (e.type !== 'source' || !e.m) return;
    const r = results.get(e.id);
    const run = toRun(r);
    const maxLoaded = catalogView(catalog, e.id)?.max_loaded_at ?? null;
    const ref = maxLoaded ?? run?.completed_at ?? null;
    const age = ref ? Math.max(0, Math.round((now.getTime() - Date.parse(ref)) / 1000)) : null;
    const f = (e.m.freshness ?? null) as Record<string, unknown> | null;
    const warn = ruleSeconds(f?.warn_after);
    const err = ruleSeconds(f?.error_after);
    let status = 'unknown';
    if ((warn != null || err != null) && age != null) status = err != null && age > err ? 'error' : warn != null && age > warn ? 'warn' : 'pass';
    const rule = [ruleText(f?.warn_after, 'warn'), ruleText(f?.error_after, 'error')].filter(Boolean).join(', ') || null;
    // `tx source freshness` measured it: its verdict wins
    const checked = a.sources?.results.find((x) => x.unique_id === e.id);
    if (checked) {
      const c = checked.criteria ?? {};
      const checkedRule = [ruleText(c.warn_after, 'warn'), ruleText(c.error_after, 'error')].filter(Boolean).join(', ') || rule;
      freshness.set(i, { node: i, loaded_at: run?.completed_at ?? null, rows: run?.rows ?? null, max_loaded_at: checked.max_loaded_at ?? null, rule: checkedRule, status: checked.status, age_s: checked.max_loaded_at_time_ago_in_s ?? null });
      return;
    }
    freshness.set(i, { node: i, loaded_at: run?.completed_at ?? null, rows: run?.rows ?? null, max_loaded_at: maxLoaded, rule, status, age_s: age });
  });

  // details per node
  const exportsOf = new Map<number, { node: number; to: string; format: string | null }[]>();
  entries.forEach((e, i) => {
    if (!e.exportOf) return;
    const mi = idx.get(e.exportOf.model)!;
    exportsOf.set(mi, [...(exportsOf.get(mi) ?? []), { node: i, to: String(e.exportOf.cfg.to ?? ''), format: (e.exportOf.cfg.format as string | undefined) ?? null }]);
  });

  // Only columns change below: copy the nodes and their columns, share everything else (a deep
  // copy of a 10,000-model manifest costs about half a second).
  const withOwnColumns = (map: Record<string, ManifestNode>): Record<string, ManifestNode> => {
    const out: Record<string, ManifestNode> = {};
    for (const [k, n] of Object.entries(map)) {
      out[k] = n.columns ? { ...n, columns: Object.fromEntries(Object.entries(n.columns).map(([c, v]) => [c, { ...v }])) } : { ...n };
    }
    return out;
  };
  const enriched: Manifest = { ...manifest, nodes: manifest.nodes && withOwnColumns(manifest.nodes), sources: manifest.sources && withOwnColumns(manifest.sources) };
  const nodes: SiteNode[] = entries.map((e, i) => {
    const run = e.exportOf ? exportRun(results.get(`after:${e.exportOf.model}`), e.exportOf.index, e.exportOf.cfg) : toRun(results.get(e.id));
    if (e.exportOf) {
      const cfg = e.exportOf.cfg;
      const model = idx.get(e.exportOf.model)!;
      const { to, format, compression, ...rest } = cfg;
      return {
        id: e.id,
        name: `${entries[model]!.m?.name ?? e.exportOf.model} → ${String(to ?? '')}`,
        type: 'export',
        description_html: '',
        path: entries[model]!.m?.path ?? '',
        relation: null,
        materialized: null,
        tags: [],
        config: cfg,
        raw_sql: null,
        compiled_sql: null,
        depends_on: parents[i]!,
        referenced_by: children[i]!,
        run,
        columns: [],
        tests: [],
        lineage_note: null,
        export: { model, to: String(to ?? ''), format: (format as string | undefined) ?? null, compression: (compression as string | undefined) ?? null, options: rest },
        exports: [],
      };
    }
    const m = e.m!;
    const cat = catalogView(catalog, m.unique_id);
    const l = lineageOf.get(m.unique_id);
    const declared = Object.values(m.columns ?? {});
    const names: string[] = [];
    const seen = new Set<string>();
    const add = (n: string) => {
      if (!seen.has(n.toLowerCase())) {
        seen.add(n.toLowerCase());
        names.push(n);
      }
    };
    // warehouse order when known, then the SELECT's order, then declared-only columns
    for (const c of cat?.columns ?? []) add(c.name);
    for (const c of l?.columns ?? []) add(c.name);
    for (const c of declared) add(c.name);
    const tests = testsOf.get(i) ?? [];
    const columns: SiteColumn[] = names.map((name) => {
      const d = declared.find((c) => c.name.toLowerCase() === name.toLowerCase());
      const type = cat?.columns.find((c) => c.name.toLowerCase() === name.toLowerCase())?.type ?? d?.data_type ?? null;
      let lin: SiteColumn['lineage'] = null;
      if (e.type === 'model') {
        const cl = columnLineageFor(l, name);
        lin = {
          depends_on: cl.depends_on.map((u) => {
            const j = idx.get(u.node);
            return j === undefined ? { node: -1, id: u.node, column: u.column } : { node: j, column: u.column };
          }),
          transform: cl.transform,
          ...(cl.untraced ? { untraced: cl.untraced } : {}),
        };
        // the manifest-like data the site ships: columns[].depends_on
        const mc = enriched[m.resource_type === 'source' ? 'sources' : 'nodes'][m.unique_id]!.columns;
        const target = Object.values(mc).find((c) => c.name.toLowerCase() === name.toLowerCase());
        const rec = target ?? (mc[name] = { name, description: '', meta: {}, data_type: null, constraints: [], quote: null, config: { meta: {}, tags: [] }, tags: [], granularity: null, doc_blocks: [] });
        Object.assign(rec, { depends_on: cl.depends_on, lineage: { transform: cl.transform, traced: !cl.untraced, ...(cl.untraced ? { reason: cl.untraced } : {}) } });
      }
      if (type && !d?.data_type) {
        const mc = enriched[m.resource_type === 'source' ? 'sources' : 'nodes'][m.unique_id]!.columns;
        const target = Object.values(mc).find((c) => c.name.toLowerCase() === name.toLowerCase());
        if (target) target.data_type = type;
      }
      return {
        name,
        type,
        description_html: renderMarkdown(d?.description),
        declared: !!d,
        tests: tests.filter((t) => t.column && t.column.toLowerCase() === name.toLowerCase()).map((t) => ({ node: t.node, name: t.name, status: t.status })),
        lineage: lin,
        used_by: usedBy.get(`${m.unique_id}\u0000${name.toLowerCase()}`) ?? [],
      };
    });
    const node: SiteNode = {
      id: m.unique_id,
      name: m.name,
      type: e.type,
      description_html: renderMarkdown(m.description),
      path: m.original_file_path ?? m.path,
      relation: m.relation_name ?? null,
      materialized: (m.config?.materialized as string | undefined) ?? null,
      tags: m.tags ?? [],
      config: m.config ?? {},
      raw_sql: m.raw_code ?? null,
      compiled_sql: m.compiled_code ?? null,
      depends_on: parents[i]!,
      referenced_by: children[i]!,
      run,
      columns,
      tests,
      lineage_note: e.type === 'model' ? (l?.error ?? (l && !l.complete ? 'Some output columns could not be named from the SQL alone.' : null)) : null,
      exports: exportsOf.get(i) ?? [],
    };
    if (e.type === 'source') {
      node.source = {
        source_name: m.source_name ?? m.fqn[1] ?? '',
        source_description_html: renderMarkdown(m.source_description),
        location: m.external?.location ?? null,
        format: m.external?.file_format ?? m.external?.format ?? null,
        loaded_at_field: m.loaded_at_field ?? null,
        freshness: freshness.get(i) ?? null,
      };
    }
    if (e.type === 'test') {
      const attached = m.attached_node ?? m.depends_on?.nodes?.[0];
      node.test = {
        kind: m.unique_id.startsWith('unit_test.') ? 'unit' : m.test_metadata ? 'generic' : 'singular',
        test_name: m.test_metadata?.name ?? null,
        column: columnOf(m),
        kwargs: m.test_metadata?.kwargs ?? {},
        attached: attached ? idx.get(attached) ?? -1 : -1,
        severity: m.severity ?? (typeof m.config?.severity === 'string' ? m.config.severity.toLowerCase() : null),
      };
    }
    return node;
  });

  // layout of the whole DAG without tests (the graph's default view), precomputed
  const shown = entries.map((_, i) => i).filter((i) => entries[i]!.type !== 'test');
  const localOf = new Map(shown.map((g, l) => [g, l]));
  const shownEdges: [number, number][] = [];
  for (const [a, b] of edgeList) {
    const la = localOf.get(a);
    const lb = localOf.get(b);
    if (la !== undefined && lb !== undefined) shownEdges.push([la, lb]);
  }
  const layout = layoutGraph(
    {
      n: shown.length,
      edges: shownEdges,
      groupKey: (l) => {
        const e = entries[shown[l]!]!;
        return `${e.m?.fqn.slice(0, -1).join('/') ?? ''}/${e.m?.name ?? e.id}`;
      },
      // first folder of a model (domain), a source's source name, an export's model's
      cluster: (l) => {
        const e = entries[shown[l]!]!;
        const m = e.m ?? entries[idx.get(e.exportOf!.model)!]!.m!;
        return m.fqn[1] ?? '';
      },
    },
    { dagreMax: opts.dagreMax ?? 200 },
  );
  const xs: (number | null)[] = entries.map(() => null);
  const ys: (number | null)[] = entries.map(() => null);
  shown.forEach((g, l) => {
    xs[g] = Math.round(layout.x[l]!);
    ys[g] = Math.round(layout.y[l]!);
  });

  const counts: Record<string, number> = {};
  const statusCounts: Record<string, Record<string, number>> = {};
  const problems: Overview['problems'] = [];
  entries.forEach((e, i) => {
    counts[e.type] = (counts[e.type] ?? 0) + 1;
    const s = statusOf(e) ?? 'not run';
    const sc = (statusCounts[e.type] ??= {});
    sc[s] = (sc[s] ?? 0) + 1;
    if (['error', 'fail', 'warn', 'cancelled'].includes(s)) problems.push({ node: i, status: s, message: nodes[i]!.run?.message ?? '' });
  });
  for (const f of freshness.values()) {
    if (['warn', 'error', 'runtime error'].includes(f.status)) {
      problems.push({ node: f.node, status: f.status === 'runtime error' ? 'error' : f.status, message: `source freshness ${f.status}: newest data ${f.max_loaded_at ?? 'unknown'}${f.rule ? ` (${f.rule})` : ''}` });
    }
  }
  const slowest = nodes
    .map((n, i) => ({ node: i, time: n.run?.execution_time ?? 0 }))
    .filter((x) => x.time > 0)
    .sort((a, b) => b.time - a.time)
    .slice(0, 10);

  const index: SiteIndex = {
    meta: {
      project: manifest.metadata.project_name ?? 'project',
      tx_version: String(txVersionOf(manifest.metadata.dbt_version) ?? manifest.metadata.tx_version ?? ''),
      generated_at: now.toISOString(),
      manifest_generated_at: manifest.metadata.generated_at ?? null,
      run_results_generated_at: runResults?.metadata?.generated_at ?? null,
      run_command: (runResults?.args?.which as string | undefined) ?? (runResults?.metadata?.command as string | undefined) ?? null,
      run_elapsed: runResults?.elapsed_time ?? null,
      catalog_generated_at: catalog?.metadata?.generated_at ?? null,
      target: (a.txRun?.metadata.target?.name as string | undefined) ?? null,
      warnings: a.warnings,
      layout: { engine: layout.engine, ms: Math.round(layout.ms), width: Math.round(layout.width), height: Math.round(layout.height) },
    },
    nodes: {
      id: entries.map((e) => e.id),
      name: nodes.map((n) => n.name),
      type: entries.map((e) => e.type),
      status: entries.map(statusOf),
      x: xs,
      y: ys,
      fqn: entries.map((e) => (e.m ? selectorFqn(e.m) : [manifest.metadata.project_name ?? '', e.id])),
      path: nodes.map((n) => n.path),
      tags: nodes.map((n) => n.tags),
      config: entries.map((e) => (e.m ? compactConfig(e.m.config) : {})),
      testKind: nodes.map((n) => n.test?.kind ?? null),
      testName: nodes.map((n) => n.test?.test_name ?? null),
      attached: nodes.map((n) => n.test?.attached ?? -1),
      time: nodes.map((n) => (n.run ? Math.round(n.run.execution_time * 1000) / 1000 : null)),
    },
    edges: edgeList.flat(),
    overview: { counts, statusCounts, problems, freshness: [...freshness.values()], slowest },
  };
  return { index, nodes, manifest: enriched, layout };
}

/** A test's column: dbt writes it on the node (`column_name`); older manifests in test_metadata. */
function columnOf(m: ManifestNode): string | null {
  return m.column_name ?? m.test_metadata?.column_name ?? null;
}

/**
 * The fqn the site's selectors match, as tx's command line does: a generic test's is the project
 * and its name (the manifest's, as dbt writes it, also has the folders of its properties file).
 */
function selectorFqn(m: ManifestNode): string[] {
  return m.resource_type === 'test' && m.test_metadata ? [m.fqn[0] ?? '', m.name] : m.fqn;
}

/** Config without bulky values (exports, hooks), for selectors in the browser. */
function compactConfig(c: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(c ?? {})) {
    if (k === 'exports' || k === 'post_hook' || k === 'pre_hook' || k === 'post-hook' || k === 'pre-hook') continue;
    if (v === null || ['string', 'number', 'boolean'].includes(typeof v) || (Array.isArray(v) && v.every((x) => typeof x !== 'object'))) out[k] = v;
  }
  return out;
}
