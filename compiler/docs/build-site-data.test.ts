/** Site data from artifacts: test status and source freshness for the overview, lineage in the manifest. */
import { describe, expect, it } from 'vitest';
import { buildSiteData } from './build-site-data.js';
import type { Manifest, ManifestNode, RunResults } from './manifest-types.js';

function n(id: string, type: string, extra: Partial<ManifestNode> = {}): ManifestNode {
  const name = id.split('.').pop()!;
  return {
    unique_id: id, resource_type: type, name, path: `models/${name}.sql`, fqn: ['p', name], relation_name: `"main"."${name}"`, database: null, schema: 'main', alias: name,
    config: {}, tags: [], description: '', columns: {}, raw_code: null, compiled_code: null, depends_on: { nodes: [] }, ...extra,
  };
}

const NOW = new Date('2026-01-02T12:00:00Z');
const manifest: Manifest = {
  metadata: { project_name: 'p', generated_at: '2026-01-02T11:00:00Z' },
  nodes: {
    'model.p.m': n('model.p.m', 'model', { depends_on: { nodes: ['source.p.s.fresh', 'source.p.s.stale'] }, config: { exports: [{ to: 's3://b/m', format: 'parquet' }] } }),
    'test.p.not_null_m_id': n('test.p.not_null_m_id', 'test', { depends_on: { nodes: ['model.p.m'] }, attached_node: 'model.p.m', test_metadata: { name: 'not_null', kwargs: {}, column_name: 'id' } }),
    'test.p.unique_m_id': n('test.p.unique_m_id', 'test', { depends_on: { nodes: ['model.p.m'] }, attached_node: 'model.p.m', test_metadata: { name: 'unique', kwargs: {}, column_name: 'id' } }),
  },
  sources: {
    'source.p.s.fresh': n('source.p.s.fresh', 'source', { freshness: { warn_after: { count: 2, period: 'hour' } }, loaded_at_field: 'ts' }),
    'source.p.s.stale': n('source.p.s.stale', 'source', { freshness: { error_after: { count: 1, period: 'day' } }, loaded_at_field: 'ts' }),
  },
};
const run = (id: string, status: string): RunResults['results'][number] => ({ unique_id: id, status, message: status, execution_time: 0.5, timing: [{ name: 'execute', completed_at: '2026-01-02T11:30:00Z' }], adapter_response: { rows_affected: 3 } });
const runResults: RunResults = {
  metadata: { generated_at: '2026-01-02T11:31:00Z', command: 'build' },
  results: [run('model.p.m', 'success'), run('test.p.not_null_m_id', 'pass'), run('test.p.unique_m_id', 'fail'), run('after:model.p.m', 'success')],
};

describe('site data', () => {
  it('counts test statuses and lists failures for the overview', () => {
    const { index } = buildSiteData({ manifest, runResults, catalog: null, warnings: [] }, new Map(), { generatedAt: NOW });
    expect(index.overview.statusCounts.test).toEqual({ pass: 1, fail: 1 });
    expect(index.overview.problems.map((p) => [index.nodes.name[p.node], p.status])).toContainEqual(['unique_m_id', 'fail']);
    // the export is a node downstream of its model, with the model's after-step status
    const e = index.nodes.id.indexOf('export.p.m.1');
    expect(index.nodes.type[e]).toBe('export');
    expect(index.nodes.status[e]).toBe('success');
  });

  it('judges source freshness from the catalog, and takes `tx source freshness` results over it', () => {
    // dbt's catalog v1: sources apart from nodes, the newest load time as a stat
    const entry = (id: string, at: string) => ({
      metadata: { type: 'BASE TABLE', schema: 's', name: id.split('.').pop()! },
      columns: { ts: { type: 'TIMESTAMP', index: 1, name: 'ts' } },
      stats: { max_loaded_at: { id: 'max_loaded_at', label: 'Max loaded at', value: at, include: true } },
      unique_id: id,
    });
    const catalog = {
      metadata: { generated_at: NOW.toISOString() },
      nodes: {},
      sources: { 'source.p.s.fresh': entry('source.p.s.fresh', '2026-01-02T11:00:00Z'), 'source.p.s.stale': entry('source.p.s.stale', '2025-12-30T12:00:00Z') },
    };
    const a = buildSiteData({ manifest, runResults, catalog, warnings: [] }, new Map(), { generatedAt: NOW }).index;
    const row = (ix: typeof a, name: string) => ix.overview.freshness.find((f) => ix.nodes.name[f.node] === name)!;
    expect(row(a, 'fresh')).toMatchObject({ status: 'pass', age_s: 3600, rule: 'warn after 2 hours' });
    expect(row(a, 'stale')).toMatchObject({ status: 'error', rule: 'error after 1 day' });
    expect(a.overview.problems.some((p) => a.nodes.name[p.node] === 'stale' && /freshness error/.test(p.message))).toBe(true);

    const sources = { metadata: {}, results: [{ unique_id: 'source.p.s.fresh', status: 'warn', max_loaded_at: '2026-01-02T08:00:00Z', max_loaded_at_time_ago_in_s: 14400, criteria: { warn_after: { count: 2, period: 'hour' } } }] };
    const b = buildSiteData({ manifest, runResults, catalog, sources, warnings: [] }, new Map(), { generatedAt: NOW }).index;
    expect(row(b, 'fresh')).toMatchObject({ status: 'warn', age_s: 14400, max_loaded_at: '2026-01-02T08:00:00Z' });
  });

  it('writes column lineage into the manifest it ships as columns[].depends_on', () => {
    const lineage = new Map([['model.p.m', { complete: true, columns: [{ name: 'id', depends_on: [{ node: 'source.p.s.fresh', column: 'id' }], transform: 'identity' as const }] }]]);
    const { manifest: out, nodes } = buildSiteData({ manifest, runResults, catalog: null, warnings: [] }, lineage, { generatedAt: NOW });
    expect(out.nodes['model.p.m']!.columns.id).toMatchObject({ depends_on: [{ node: 'source.p.s.fresh', column: 'id' }], lineage: { transform: 'identity', traced: true } });
    const m = nodes.find((x) => x.id === 'model.p.m')!;
    expect(m.columns.find((c) => c.name === 'id')!.tests.map((t) => [t.name, t.status])).toEqual([['not_null', 'pass'], ['unique', 'fail']]);
  });
});
