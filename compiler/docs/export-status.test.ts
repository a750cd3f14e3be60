/** The docs site counts an export that did not run (not enabled, destination variable unset) as skipped, not as a success. */
import { describe, expect, it } from 'vitest';
import { fixtureProject } from '../../testing/fixture-project.js';
import { buildSiteData } from './build-site-data.js';
import { readArtifacts } from './read-artifacts.js';
import type { Manifest, ManifestNode, RunResults } from './manifest-types.js';

const model: ManifestNode = {
  unique_id: 'model.p.m', resource_type: 'model', name: 'm', path: 'models/m.sql', fqn: ['p', 'm'], relation_name: '"main"."m"', database: null, schema: 'main', alias: 'm',
  config: { exports: [{ to: 'output/', format: 'csv' }, { to: "{{ var('s3_uri') }}", enabled: "{{ var('s3_uri') != '' }}" }, { to: 'output/x', enabled: false }] },
  tags: [], description: '', columns: {}, raw_code: null, compiled_code: null, depends_on: { nodes: [] },
};
const manifest: Manifest = { metadata: { project_name: 'p', generated_at: '2026-01-02T11:00:00Z' }, nodes: { 'model.p.m': model }, sources: {} };
const result = (id: string, details?: Record<string, unknown>): RunResults['results'][number] => ({
  unique_id: id, status: 'success', message: 'ok', execution_time: 0.5, timing: [{ name: 'execute', completed_at: '2026-01-02T11:30:00Z' }], adapter_response: { rows_affected: 3 }, ...(details ? { details } : {}),
});

describe('export nodes on the docs site', () => {
  it('an export skipped at run time and one disabled in config are skipped; the one that ran is a success', () => {
    const runResults: RunResults = {
      metadata: { generated_at: '2026-01-02T11:31:00Z', command: 'build' },
      results: [
        result('model.p.m'),
        result('after:model.p.m', { exports: [{ destination: '/p/output/m', rows: 3, bytes: 10, files: 1 }], entries: [{ index: 0, status: 'success', destination: '/p/output/m' }, { index: 1, status: 'skipped' }, { index: 2, status: 'skipped' }] }),
      ],
    };
    const { index } = buildSiteData({ manifest, runResults, catalog: null, warnings: [] }, new Map());
    const status = (i: number) => index.nodes.status[index.nodes.id.indexOf(`export.p.m.${i}`)];
    expect([status(1), status(2), status(3)]).toEqual(['success', 'skipped', 'skipped']);
    expect(index.overview.statusCounts.export).toEqual({ success: 1, skipped: 2 });
  });

  it('artifacts of an older run (no per-entry outcome): an export disabled in config is still skipped', () => {
    const runResults: RunResults = { metadata: { generated_at: '2026-01-02T11:31:00Z', command: 'build' }, results: [result('model.p.m'), result('after:model.p.m')] };
    const { index } = buildSiteData({ manifest, runResults, catalog: null, warnings: [] }, new Map());
    expect(index.nodes.status[index.nodes.id.indexOf('export.p.m.3')]).toBe('skipped');
  });
});

describe('end to end', () => {
  it('tx build records each export entry; the site built from its artifacts counts the skipped one as skipped', async () => {
    const fx = fixtureProject({
      'models/m.sql': "{{ config(materialized='table') }}select 1 as id\n",
      'models/m.yml':
        "version: 2\nmodels:\n  - name: m\n    config:\n      exports:\n        - {to: output/, format: csv}\n        - {to: \"{{ var('s3_uri', '') }}\", enabled: \"{{ var('s3_uri', '') != '' }}\"}\n",
    });
    try {
      const r = await fx.tx('build');
      expect(r.code, r.output).toBe(0);
      const { index } = buildSiteData(readArtifacts(fx.path('target'), fx.dir), new Map());
      const status = (i: number) => index.nodes.status[index.nodes.id.indexOf(`export.fx.m.${i}`)];
      expect([status(1), status(2)]).toEqual(['success', 'skipped']);
    } finally {
      fx.cleanup();
    }
  });
});
