/**
 * The dbt-only resources of a dbt project (groups, exposures, semantic models, metrics, saved
 * queries) in tx's manifest.json, against what dbt-core 1.10's `dbt parse` writes for the same
 * project: ../shared/dbt/jaffle_shop (copied) with properties files that declare every kind, a
 * time spine, a measure with `create_metric`, a disabled exposure, group membership through
 * dbt_project.yml and an `exposures:` config block. Compared value by value
 * (python/compare_semantic_with_dbt.py), graph maps and group_map too; the manifest validates against
 * manifest v12 (dbt-artifacts-parser, extra keys forbidden). Bad input: a reference to nothing and
 * an undeclared group stop `tx compile` with exit 2 naming the file.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, fixtureProject, type FixtureProject, type TxRun } from '../../testing/fixture-project.js';
import { JAFFLE, jaffleWithSemantics } from '../../testing/jaffle-semantic.js';
import { provisionDbtArtifacts, provisionDbtCore } from '../../testing/services/dbt-venvs.js';
import { findPython } from '../../testing/services/python-venv.js';
import { serviceUnavailable } from '../../testing/services/require.js';

const noPython = (await findPython()) === null;
if (noPython) serviceUnavailable('python', 'no Python >= 3.8 with venv and ensurepip (TX_TEST_PYTHON) for dbt-core and dbt-artifacts-parser');

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const PY = join(REPO_ROOT, 'compiler', 'artifacts', 'python');
function py(python: string, script: string, args: string[]): Obj {
  const r = spawnSync(python, [join(PY, script), ...args], { encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`${script} failed (${r.status}):\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Obj;
}

let fx: FixtureProject;
let compiled: TxRun;
let manifest: Obj;
let dbtManifest: Obj;
let diff: Obj;
let schema: Obj;
const kept: string[] = [];

beforeAll(async () => {
  if (noPython) return;
  const artifactsPython = (await provisionDbtArtifacts()).python;
  const dbt = await provisionDbtCore();

  fx = fixtureProject({}, { prefix: 'tx-dbt-semantic-', copyFrom: JAFFLE });
  fx.remove('project.yml');
  jaffleWithSemantics(fx.dir);
  compiled = await fx.tx('compile');
  manifest = fx.json('target/manifest.json');

  const dbtDir = mkdtempSync(join(tmpdir(), 'tx-dbt-core-semantic-'));
  kept.push(dbtDir);
  jaffleWithSemantics(dbtDir);
  // the same DuckDB file name as tx's default, so databases agree
  writeFileSync(join(dbtDir, 'profiles.yml'), `jaffle_shop:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: ${join(dbtDir, 'jaffle_shop.duckdb')}\n      threads: 2\n`);
  const env = { ...process.env, DBT_SEND_ANONYMOUS_USAGE_STATS: 'false', DBT_PROFILES_DIR: dbtDir };
  const r = spawnSync(join(dbt.dir, 'bin', 'dbt'), ['parse', '--project-dir', dbtDir], { cwd: dbtDir, env, encoding: 'utf8', maxBuffer: 64 << 20, timeout: 300_000 });
  if (r.status !== 0) throw new Error(`dbt parse failed:\n${r.stdout}\n${r.stderr}`);
  dbtManifest = JSON.parse(readFileSync(join(dbtDir, 'target', 'manifest.json'), 'utf8')) as Obj;
  diff = py(artifactsPython, 'compare_semantic_with_dbt.py', [join(dbtDir, 'target', 'manifest.json'), fx.path('target/manifest.json')]);
  schema = py(artifactsPython, 'validate_dbt_artifacts.py', [`manifest=${fx.path('target/manifest.json')}`]);
}, 600_000);

afterAll(() => {
  fx?.cleanup();
  for (const d of kept) rmSync(d, { recursive: true, force: true });
});

describe.skipIf(noPython)("dbt-only resources in tx's manifest, against dbt-core 1.10's", () => {
  it('tx compiles the project and notes what it does not run', () => {
    expect(compiled.code, compiled.output).toBe(0);
    expect(compiled.output).toMatch(/tx writes to manifest.json and does not run 4 exposures, 2 groups, 8 metrics, 2 saved_queries, 3 semantic_models/);
  });

  it('the manifest with them validates against manifest v12 (zero errors)', () => {
    expect(schema.manifest).toEqual({ errors: 0, first: [] });
  });

  it('dbt writes every kind; tx writes the same resources with the same values, key by key', () => {
    // what dbt wrote: 3 exposures + 1 disabled, 9 metrics (one from create_metric), 2 groups, 3 semantic models, 2 saved queries
    expect(diff.counts).toEqual({ exposures: 3, metrics: 9, groups: 2, semantic_models: 3, saved_queries: 2, disabled: 1 });
    expect(diff.differences).toEqual([]);
  });

  it('the values are the project\'s: ids, refs resolved to nodes, measures, type params, group membership', () => {
    const e = manifest.exposures['exposure.jaffle_shop.weekly_revenue'];
    expect(e).toMatchObject({
      fqn: ['jaffle_shop', 'weekly_revenue'],
      path: 'semantic.yml',
      original_file_path: 'models/semantic.yml',
      depends_on: { nodes: ['model.jaffle_shop.orders', 'model.jaffle_shop.customers'] },
      meta: { tier: 1, team: 'bi' },
    });
    expect(manifest.exposures['exposure.jaffle_shop.raw_orders_audit'].depends_on.nodes).toEqual(['source.jaffle_shop.shop_raw.raw_orders', 'model.jaffle_shop.stg_orders']);
    expect(manifest.disabled['exposure.jaffle_shop.retired_report'][0].config.enabled).toBe(false);
    expect(manifest.semantic_models['semantic_model.jaffle_shop.payments']).toMatchObject({ fqn: ['jaffle_shop', 'marts', 'payments'], path: 'marts/semantic2.yml', node_relation: { alias: 'stg_payments', schema_name: 'main' }, group: 'finance' });
    expect(manifest.metrics['metric.jaffle_shop.average_order_value'].type_params.input_measures.map((m: Obj) => m.name)).toEqual(['order_total', 'order_count']);
    expect(manifest.metrics['metric.jaffle_shop.payment_amount']).toMatchObject({ description: 'Metric created from measure payment_amount', depends_on: { nodes: ['semantic_model.jaffle_shop.payments'] } });
    expect(manifest.child_map['model.jaffle_shop.orders']).toEqual(expect.arrayContaining(['exposure.jaffle_shop.weekly_revenue', 'semantic_model.jaffle_shop.orders']));
    expect(manifest.parent_map['saved_query.jaffle_shop.revenue_by_status']).toEqual(['metric.jaffle_shop.order_count', 'metric.jaffle_shop.order_total']);
    expect(manifest.nodes['model.jaffle_shop.orders'].group).toBe('finance');
    expect(manifest.group_map.marketing).toEqual(expect.arrayContaining(['model.jaffle_shop.customers', ...Object.keys(manifest.nodes).filter((id) => id.startsWith('test.jaffle_shop.unique_customers_customer_id'))]));
    // and dbt agrees on the graph around them (the comparison above checks every entry)
    expect(dbtManifest.child_map['model.jaffle_shop.orders']).toEqual(expect.arrayContaining(['exposure.jaffle_shop.weekly_revenue']));
  });
});

describe.skipIf(noPython)('bad dbt-only input', () => {
  const broken = async (files: Record<string, string>): Promise<TxRun> => {
    const b = fixtureProject({ 'dbt_project.yml': "name: b\nconfig-version: 2\nprofile: b\n", 'models/m.sql': 'select 1 as id\n', ...files }, { prefix: 'tx-dbt-semantic-bad-' });
    try {
      return await b.tx('compile');
    } finally {
      b.cleanup();
    }
  };

  it('an exposure on a model that does not exist: exit 2, naming the file and the model', async () => {
    const r = await broken({ 'models/x.yml': 'version: 2\nexposures:\n  - name: dash\n    type: dashboard\n    owner: {email: a@b.c}\n    depends_on: [ref("nope")]\n' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/models\/x\.yml/);
    expect(r.stderr).toMatch(/exposure `dash` depends on a node named `nope` which was not found/);
  });

  it('a model in a group nobody declared: exit 2, as dbt', async () => {
    const r = await broken({ 'models/x.yml': 'version: 2\ngroups:\n  - name: sales\n    owner: {email: a@b.c}\nmodels:\n  - name: m\n    config:\n      group: finanse\n' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/invalid group `finanse`, expected one of \['sales'\]/);
  });

  it('a metric on a measure no semantic model has: exit 2', async () => {
    const r = await broken({ 'models/x.yml': 'version: 2\nmetrics:\n  - name: m1\n    label: M1\n    type: simple\n    type_params: {measure: ghost}\n' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/metric `m1`: a semantic model having a measure `ghost` does not exist/);
  });
});
