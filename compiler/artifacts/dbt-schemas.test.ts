/**
 * tx's artifacts against dbt's published artifact schemas, and against what dbt-core itself writes.
 *
 * - The four artifacts (manifest v12, run_results v6, catalog v1, sources v3) of the example
 *   project, of a failing build and of ../shared/dbt/jaffle_shop are validated in one Python
 *   process by dbt-artifacts-parser's pydantic models (extra keys forbidden): zero errors.
 * - Semantic truth: ids, fqn, files, checksums, dependencies, macros, compiled code, columns and
 *   types, tests, graph maps, thread and invocation ids, rows affected — checked against the
 *   project's files and tx's own report, not just the shape.
 * - A consumer script reads the manifest and run results through dbt-artifacts-parser, as
 *   orchestrators do, and its DAG and statuses are compared with what tx reported.
 * - dbt-core 1.10 builds jaffle_shop (dbt-duckdb); its manifest is compared key by key with tx's.
 *
 * The Python venvs are cached in ~/.cache/tx (testing/services/dbt-venvs.ts).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, copyProject, dedent, fixtureProject, type FixtureProject, type TxRun } from '../../testing/fixture-project.js';
import { provisionDbtArtifacts, provisionDbtCore } from '../../testing/services/dbt-venvs.js';
import { findPython } from '../../testing/services/python-venv.js';
import { serviceUnavailable } from '../../testing/services/require.js';


// Python (for the cached venvs) is a test service: skipped loudly without it, unless TX_TEST_REQUIRE names python
const noPython = (await findPython()) === null;
if (noPython) serviceUnavailable('python', 'no Python >= 3.8 with venv and ensurepip (TX_TEST_PYTHON) for dbt-artifacts-parser and openlineage-python');

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const PY = join(REPO_ROOT, 'compiler', 'artifacts', 'python');
// ../shared beside the checkout (a worktree under wt/ finds it one level further up)
const JAFFLE = [join(REPO_ROOT, '..', 'shared', 'dbt', 'jaffle_shop'), join(REPO_ROOT, '..', '..', 'shared', 'dbt', 'jaffle_shop')].find((d) => existsSync(d)) ?? join(REPO_ROOT, '..', 'shared', 'dbt', 'jaffle_shop');
const CUSTOM_ENV = { DBT_ENV_CUSTOM_ENV_RUN_REASON: 'nightly-check' };

function py(python: string, script: string, args: string[]): Obj {
  const r = spawnSync(python, [join(PY, script), ...args], { encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`${script} failed (${r.status}):\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Obj;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const jsonLines = (out: string): Obj[] =>
  out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Obj);

/** A project whose build fails: an error, a failing test, skipped models, a disabled model, a unit test, freshness results of both kinds. */
const FAILING: Record<string, string> = {
  'project.yml': 'name: failing\n',
  'seeds/s.csv': 'id,label\n1,one\n2,two\n',
  'data/events.csv': 'id,loaded_at\n1,2026-01-01 00:00:00\n2,2026-01-02 00:00:00\n',
  'models/props.yml': dedent(`
    version: 2
    sources:
      - name: raw
        loaded_at_field: loaded_at
        freshness:
          warn_after: {count: 1, period: day}
        tables:
          - name: events
            path: data/events.csv
          - name: none_match
            path: data/events.csv
            freshness:
              error_after: {count: 1, period: day}
              filter: "id < 0"
    models:
      - name: good
        description: Rows of the seed.
        columns:
          - name: id
            data_type: integer
            tests:
              - not_null
              - accepted_values:
                  values: [1]
    unit_tests:
      - name: good_keeps_rows
        model: good
        given:
          - input: ref('s')
            rows: [{id: 1, label: one}]
        expect:
          rows: [{id: 1, label: one}]
  `),
  'models/good.sql': "{{ config(materialized='table') }}\nselect id, label from {{ ref('s') }}\n",
  'models/after_good.sql': "select * from {{ ref('good') }}\n",
  'models/bad.sql': "select no_such_column from {{ ref('s') }}\n",
  'models/after_bad.sql': "select * from {{ ref('bad') }}\n",
  'models/off.sql': "{{ config(enabled=false) }}\nselect 1 as x\n",
  'models/inv.sql': "select '{{ invocation_id }}' as invocation\n",
  'models/eph.sql': "{{ config(materialized='ephemeral') }}\nselect id from {{ source('raw', 'events') }}\n",
  'models/uses_eph.sql': "select count(*) as n from {{ ref('eph') }}\n",
  'tests/assert_no_big_ids.sql': "select * from {{ ref('s') }} where id > 100\n",
};

interface Built {
  dir: string;
  build: TxRun;
  /** Artifacts right after `tx build` (before docs generate rewrites the manifest with lineage). */
  manifest: Obj;
  runResults: Obj;
  txRun: Obj;
}

let artifactsPython: string;
let example: Built & { ls: Obj[]; docsManifest: Obj; catalog: Obj; sources: Obj; consumer: Obj; fx: FixtureProject };
let failing: Built & { fx: FixtureProject; fresh: TxRun; catalog: Obj; sources: Obj; consumer: Obj };
let jaffle: Built & { fx: FixtureProject; catalog: Obj };
let report: Obj;
const kept: string[] = [];

async function buildAndRead(fx: FixtureProject): Promise<Built> {
  const build = await fx.txWith({ env: CUSTOM_ENV, timeoutMs: 240_000 }, 'build', '--log-format', 'json');
  const manifest = fx.json('target/manifest.json');
  const runResults = fx.json('target/run_results.json');
  const txRun = fx.json('target/tx_run.json');
  cpSync(fx.path('target/manifest.json'), fx.path('target/manifest.build.json'));
  return { dir: fx.dir, build, manifest, runResults, txRun };
}

beforeAll(async () => {
  if (noPython) return;
  artifactsPython = (await provisionDbtArtifacts()).python;

  const ex = fixtureProject({}, { prefix: 'tx-dbt-example-' });
  copyProject(ex.dir);
  const exBuilt = await buildAndRead(ex);
  const ls = jsonLines((await ex.tx('ls', '--output', 'json')).stdout);
  const exConsumer = py(artifactsPython, 'consumer.py', [ex.path('target')]);
  const docs = await ex.tx('docs', 'generate');
  expect(docs.code, docs.output).toBe(0);
  const fresh = await ex.tx('source', 'freshness');
  expect(fresh.code, fresh.output).toBe(0);
  example = { ...exBuilt, fx: ex, ls, docsManifest: ex.json('target/manifest.json'), catalog: ex.json('target/catalog.json'), sources: ex.json('target/sources.json'), consumer: exConsumer };

  const fl = fixtureProject(FAILING, { prefix: 'tx-dbt-failing-' });
  const flBuilt = await buildAndRead(fl);
  const flConsumer = py(artifactsPython, 'consumer.py', [fl.path('target')]);
  const flFresh = await fl.tx('source', 'freshness');
  await fl.tx('docs', 'generate');
  failing = { ...flBuilt, fx: fl, fresh: flFresh, catalog: fl.json('target/catalog.json'), sources: fl.json('target/sources.json'), consumer: flConsumer };

  // jaffle_shop as it is: tx reads its dbt_project.yml (no profiles.yml: the embedded DuckDB)
  const jf = fixtureProject({}, { prefix: 'tx-dbt-jaffle-', copyFrom: JAFFLE });
  jf.remove('project.yml'); // the fixture helper adds one; a folder with both project files is an error
  const jfBuilt = await buildAndRead(jf);
  await jf.tx('docs', 'generate');
  await jf.tx('source', 'freshness'); // no source: sources.json with no results
  jaffle = { ...jfBuilt, fx: jf, catalog: jf.json('target/catalog.json') };

  // every artifact of the three projects, validated in one Python process
  const files: string[] = [];
  for (const [label, p] of [['example', example], ['failing', failing], ['jaffle', jaffle]] as const) {
    files.push(`${label}-build:manifest=${join(p.dir, 'target', 'manifest.build.json')}`);
    files.push(`${label}-docs:manifest=${join(p.dir, 'target', 'manifest.json')}`);
    files.push(`${label}:run_results=${join(p.dir, 'target', 'run_results.json')}`);
    files.push(`${label}:catalog=${join(p.dir, 'target', 'catalog.json')}`);
    if (existsSync(join(p.dir, 'target', 'sources.json'))) files.push(`${label}:sources=${join(p.dir, 'target', 'sources.json')}`);
  }
  report = py(artifactsPython, 'validate_dbt_artifacts.py', files);
}, 600_000);

afterAll(() => {
  for (const p of [example?.fx, failing?.fx, jaffle?.fx]) p?.cleanup();
  for (const d of kept) rmSync(d, { recursive: true, force: true });
});

describe.skipIf(noPython)("dbt's artifact schemas (dbt-artifacts-parser, extra keys forbidden)", () => {
  it('every artifact of the example project, a failing build and jaffle_shop validates with zero errors', () => {
    const kinds = Object.keys(report).sort();
    expect(kinds).toEqual(
      expect.arrayContaining([
        'example-build:manifest', 'example-docs:manifest', 'example:run_results', 'example:catalog', 'example:sources',
        'failing-build:manifest', 'failing-docs:manifest', 'failing:run_results', 'failing:catalog', 'failing:sources',
        'jaffle-build:manifest', 'jaffle-docs:manifest', 'jaffle:run_results', 'jaffle:catalog', 'jaffle:sources',
      ]),
    );
    const errors = Object.fromEntries(Object.entries(report).map(([k, v]) => [k, (v as Obj).errors === 0 ? 0 : (v as Obj).first]));
    expect(errors).toEqual(Object.fromEntries(kinds.map((k) => [k, 0])));
  });

  it('the validator does reject what dbt\'s schemas forbid (a tx_* key, a seed with depends_on.nodes, a result without thread_id)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tx-dbt-neg-'));
    kept.push(dir);
    const m = structuredClone(example.manifest);
    m.metadata.tx_version = '0';
    m.nodes['seed.healthcare.us_states'].depends_on.nodes = [];
    const r = structuredClone(example.runResults);
    delete r.results[0].thread_id;
    writeFileSync(join(dir, 'm.json'), JSON.stringify(m));
    writeFileSync(join(dir, 'r.json'), JSON.stringify(r));
    const neg = py(artifactsPython, 'validate_dbt_artifacts.py', [`manifest=${join(dir, 'm.json')}`, `run_results=${join(dir, 'r.json')}`]);
    // (a node is a union of dbt's node types: pydantic reports the seed against each of them)
    expect(neg.manifest.errors).toBeGreaterThanOrEqual(2);
    expect(neg.manifest.first).toContain('metadata.tx_version: extra_forbidden: Extra inputs are not permitted');
    expect(neg.manifest.first).toContain('nodes.seed.healthcare.us_states.Nodes.depends_on.nodes: extra_forbidden: Extra inputs are not permitted');
    expect(neg.run_results.first).toEqual([expect.stringMatching(/^results\.0\.thread_id: missing/)]);
  });
});

describe.skipIf(noPython)('the example project: semantic truth', () => {
  it('builds', () => {
    expect(example.build.code, example.build.stderr).toBe(0);
  });

  it('metadata: dbt schema version, a dbt version that says tx, one invocation id for every artifact, env from DBT_ENV_CUSTOM_ENV_*', () => {
    const m = example.manifest.metadata;
    expect(m).toMatchObject({
      dbt_schema_version: 'https://schemas.getdbt.com/dbt/manifest/v12.json',
      dbt_version: expect.stringMatching(/^1\.10\.0\+tx\.\d+\.\d+\.\d+/),
      project_name: 'healthcare',
      adapter_type: 'duckdb',
      env: { RUN_REASON: 'nightly-check' },
    });
    expect(Date.parse(m.generated_at)).toBeGreaterThan(Date.now() - 3_600_000);
    expect(example.runResults.metadata).toMatchObject({ dbt_schema_version: 'https://schemas.getdbt.com/dbt/run-results/v6.json', invocation_id: m.invocation_id, env: { RUN_REASON: 'nightly-check' } });
    expect(example.txRun.metadata.invocation_id).toBe(m.invocation_id);
    // later commands are other invocations
    expect(example.catalog.metadata).toMatchObject({ dbt_schema_version: 'https://schemas.getdbt.com/dbt/catalog/v1.json' });
    expect(example.catalog.metadata.invocation_id).not.toBe(m.invocation_id);
    expect(example.sources.metadata).toMatchObject({ dbt_schema_version: 'https://schemas.getdbt.com/dbt/sources/v3.json' });
  });

  it('every node: id, package, files, fqn and checksum are true to the project', () => {
    const all = { ...example.manifest.nodes, ...example.manifest.sources, ...example.manifest.unit_tests } as Record<string, Obj>;
    expect(Object.keys(all).length).toBeGreaterThan(40);
    for (const [id, n] of Object.entries(all)) {
      expect(n.unique_id, id).toBe(id);
      expect(n.package_name, id).toBe('healthcare');
      expect(id.split('.')[1], id).toBe('healthcare');
      expect(existsSync(example.fx.path(n.original_file_path)), `${id}: ${n.original_file_path}`).toBe(true);
      expect(n.fqn[0], id).toBe('healthcare');
      expect(n.fqn[n.fqn.length - 1], id).toBe(n.name);
      if (n.resource_type === 'model' || n.resource_type === 'seed') {
        expect(n.original_file_path.endsWith(n.path), id).toBe(true);
        expect(n.checksum, id).toEqual({ name: 'sha256', checksum: sha256(example.fx.read(n.original_file_path).trim()) });
      }
    }
    expect(example.manifest.nodes['model.healthcare.city_report']).toMatchObject({ path: 'marts/city_report.sql', original_file_path: 'models/marts/city_report.sql', fqn: ['healthcare', 'marts', 'city_report'] });
  });

  it('dependencies: depends_on, refs, sources, macros, parent_map and child_map agree with each other and the SQL', () => {
    const m = example.manifest;
    const all = { ...m.nodes, ...m.sources } as Record<string, Obj>;
    const childOf = new Map<string, Set<string>>();
    for (const [id, parents] of Object.entries(m.parent_map as Record<string, string[]>)) {
      for (const p of parents) {
        expect(all[p] ?? m.unit_tests[p], `${id} ← ${p}`).toBeDefined();
        (childOf.get(p) ?? childOf.set(p, new Set()).get(p)!).add(id);
      }
    }
    for (const [id, children] of Object.entries(m.child_map as Record<string, string[]>)) expect([...(childOf.get(id) ?? [])].sort(), id).toEqual([...children].sort());
    for (const [id, n] of Object.entries(all)) {
      if (n.resource_type === 'source' || n.resource_type === 'seed') {
        expect(m.parent_map[id], id).toEqual([]);
        continue;
      }
      expect([...n.depends_on.nodes].sort(), id).toEqual([...m.parent_map[id]].sort());
      for (const mac of n.depends_on.macros) expect(m.macros[mac], `${id} uses ${mac}`).toBeDefined();
      const byRef = n.refs.map((r: Obj) => all[`model.healthcare.${r.name}`] ?? all[`seed.healthcare.${r.name}`]);
      const bySource = n.sources.map(([s, t]: [string, string]) => all[`source.healthcare.${s}.${t}`]);
      for (const d of [...byRef, ...bySource]) expect(n.depends_on.nodes, id).toContain(d.unique_id);
    }
    const stg = m.nodes['model.healthcare.stg_prescribers'];
    expect(stg.sources).toEqual([['vendor', 'prescribers']]);
    // the model calls the project's macros: depends_on.macros names them, and they are in macros
    for (const name of ['years_from_text', 'full_name']) {
      expect(stg.raw_code).toContain(`${name}(`);
      expect(stg.depends_on.macros).toContain(`macro.healthcare.${name}`);
      expect(m.macros[`macro.healthcare.${name}`]).toMatchObject({ resource_type: 'macro', original_file_path: `macros/${name}.sql`, macro_sql: expect.stringContaining(`macro ${name}(`) });
    }
  });

  it('compiled code is the file tx wrote; columns carry the warehouse types after docs generate; lineage is on the columns', () => {
    for (const n of Object.values(example.manifest.nodes as Record<string, Obj>)) {
      if (n.resource_type !== 'model') continue;
      expect(n.compiled, n.unique_id).toBe(true);
      expect(readFileSync(example.fx.path(n.compiled_path), 'utf8'), n.unique_id).toBe(`${n.compiled_code}\n`);
    }
    const city = example.docsManifest.nodes['model.healthcare.city_report'];
    const cat = example.catalog.nodes['model.healthcare.city_report'];
    expect(Object.keys(cat.columns)).toEqual(['city', 'state_name', 'county_name', 'population', 'zip_counts', 'trx_counts', 'presc_counts']);
    // declared types stay (lower case in the properties file); each is the warehouse's type
    for (const [name, c] of Object.entries(cat.columns as Record<string, Obj>)) expect(String(city.columns[name].data_type).toUpperCase(), name).toBe(c.type);
    // a model without declared types gets the warehouse's
    const stgCities = example.docsManifest.nodes['model.healthcare.stg_cities'];
    for (const [name, c] of Object.entries(example.catalog.nodes['model.healthcare.stg_cities'].columns as Record<string, Obj>)) expect(stgCities.columns[name]?.data_type?.toUpperCase(), name).toBe(c.type);
    expect(cat.metadata).toMatchObject({ type: 'BASE TABLE', schema: 'main', name: 'city_report' });
    expect(city.columns.trx_counts.depends_on).toEqual([{ node: 'model.healthcare.stg_prescribers', column: 'trx_cnt' }]);
    // sources are apart from nodes in the catalog, as in dbt
    expect(Object.keys(example.catalog.sources).sort()).toEqual(['source.healthcare.vendor.prescribers', 'source.healthcare.vendor.us_cities']);
  });

  it('tests: generic ones with attached_node, column_name and test_metadata; singular ones without; unit tests in unit_tests', () => {
    const nodes = Object.values(example.manifest.nodes as Record<string, Obj>).filter((n) => n.resource_type === 'test');
    const generic = nodes.filter((n) => n.test_metadata);
    expect(generic.length).toBeGreaterThan(20);
    for (const t of generic) {
      const attached = example.manifest.nodes[t.attached_node] ?? example.manifest.sources[t.attached_node];
      expect(attached, t.unique_id).toBeDefined();
      expect(t.depends_on.nodes, t.unique_id).toContain(t.attached_node);
      expect(t.depends_on.macros[0], t.unique_id).toMatch(/^macro\.(dbt|tx|healthcare)\.test_/);
      if (t.column_name) {
        expect(t.test_metadata.kwargs.column_name, t.unique_id).toBe(t.column_name);
        expect(Object.keys(attached.columns).map((c) => c.toLowerCase()), t.unique_id).toContain(t.column_name.toLowerCase());
      }
    }
    expect(generic.find((t) => /^test\.healthcare\.not_null_stg_prescribers_presc_id\.[0-9a-f]{10}$/.test(t.unique_id))).toMatchObject({
      attached_node: 'model.healthcare.stg_prescribers',
      column_name: 'presc_id',
      test_metadata: { name: 'not_null', namespace: null },
      config: { severity: 'ERROR' },
    });
    const singular = nodes.filter((n) => !n.test_metadata);
    expect(singular.map((n) => n.name).sort()).toEqual(['assert_cities_agree_with_us_states', 'assert_city_report_claims_match_staging', 'assert_top_prescribers_at_most_top_ranks_per_state']);
    for (const s of singular) expect(s.attached_node, s.unique_id).toBeUndefined();
    const units = Object.values(example.manifest.unit_tests as Record<string, Obj>);
    expect(units.length).toBe(3);
    for (const u of units) {
      expect(example.manifest.nodes[`model.healthcare.${u.model}`], u.unique_id).toBeDefined();
      expect(u.given.length, u.unique_id).toBeGreaterThan(0);
    }
  });

  it('run results: every node that ran, with thread, timing, rows affected and compiled code; tx-only details in tx_run.json', () => {
    const byId: Record<string, Obj> = Object.fromEntries(example.runResults.results.map((r: Obj) => [r.unique_id, r]));
    const ids = new Set([...Object.keys(example.manifest.nodes), ...Object.keys(example.manifest.sources), ...Object.keys(example.manifest.unit_tests)]);
    for (const r of example.runResults.results as Obj[]) {
      expect(ids.has(r.unique_id), r.unique_id).toBe(true);
      expect(r.thread_id, r.unique_id).toMatch(/^Thread-[12] \(worker\)$/);
      expect(Date.parse(r.timing[0].completed_at), r.unique_id).toBeGreaterThanOrEqual(Date.parse(r.timing[0].started_at));
    }
    expect(byId['model.healthcare.city_report']).toMatchObject({ status: 'success', adapter_response: { rows_affected: 77 }, relation_name: '"main"."city_report"', compiled_code: example.manifest.nodes['model.healthcare.city_report'].compiled_code });
    expect(byId['model.healthcare.top_prescribers']).toMatchObject({ status: 'success', adapter_response: { rows_affected: 34 } });
    expect(byId['seed.healthcare.us_states'].adapter_response.rows_affected).toBe(56);
    // no export step and no tx-only key in run_results.json; both in tx_run.json
    expect(Object.keys(byId).some((id) => id.startsWith('after:'))).toBe(false);
    const tx: Record<string, Obj> = Object.fromEntries(example.txRun.results.map((r: Obj) => [r.unique_id, r]));
    expect(tx['source.healthcare.vendor.prescribers'].details).toMatchObject({ rows_rejected: expect.any(Number) });
    expect(tx['model.healthcare.city_report'].details.validation).toBeDefined();
    expect(tx['after:model.healthcare.city_report']).toMatchObject({ status: 'success', details: { exports: [expect.objectContaining({ rows: 77 })] } });
  });

  it("a consumer reading tx's artifacts with dbt-artifacts-parser sees the DAG and the statuses tx reported", () => {
    expect(example.consumer).toMatchObject({ manifest: 'ManifestV12', run_results: 'RunResultsV6' });
    // statuses: what tx printed for each node (the JSON log lines)
    const printed = Object.fromEntries(jsonLines(example.build.stdout).filter((l) => l.node && l.status && !String(l.node).startsWith('after:')).map((l) => [l.node, l.status]));
    expect(example.consumer.status).toEqual(printed);
    // the DAG: what `tx ls` reports as each node's dependencies
    const listed = example.ls.flatMap((n) => (n.depends_on as string[]).map((p) => [p, n.unique_id])).sort();
    const consumerEdges = (example.consumer.edges as [string, string][]).filter(([, c]) => example.ls.some((n) => n.unique_id === c));
    expect(consumerEdges).toEqual(listed);
    expect(example.consumer.models).toEqual(['model.healthcare.city_report', 'model.healthcare.stg_cities', 'model.healthcare.stg_prescribers', 'model.healthcare.top_prescribers']);
  });
});

describe.skipIf(noPython)('a failing build', () => {
  it('records error, fail, skipped and pass results, disabled models, and both kinds of freshness result', () => {
    expect(failing.build.code).toBe(1);
    const status = Object.fromEntries(failing.runResults.results.map((r: Obj) => [r.unique_id, r.status]));
    expect(status).toMatchObject({
      'model.failing.bad': 'error',
      'model.failing.after_bad': 'skipped',
      // its error test fails on the new version: audited before publish, it is not published
      'model.failing.good': 'error',
      'model.failing.after_good': 'skipped',
      'unit_test.failing.good.good_keeps_rows': 'pass',
      'test.failing.assert_no_big_ids': 'pass',
    });
    const failed = failing.runResults.results.find((r: Obj) => String(r.unique_id).startsWith('test.failing.accepted_values_good_id'));
    expect(failed).toMatchObject({ status: 'fail', failures: 1 });
    expect(failing.runResults.results.find((r: Obj) => r.unique_id === 'model.failing.good').message).toMatch(/audit/);
    expect(failing.runResults.results.find((r: Obj) => r.unique_id === 'model.failing.bad').message).toMatch(/no_such_column/);
    expect(failing.consumer.status).toEqual(status);
    // {{ invocation_id }} in a model is the artifacts' invocation id, as in dbt
    const inv = failing.runResults.results.find((r: Obj) => r.unique_id === 'model.failing.inv');
    expect(inv.compiled_code.trim()).toBe(`select '${failing.runResults.metadata.invocation_id}' as invocation`);
    expect(Object.keys(failing.manifest.disabled)).toEqual(['model.failing.off']);
    expect(failing.manifest.disabled['model.failing.off'][0]).toMatchObject({ resource_type: 'model', config: { enabled: false }, original_file_path: 'models/off.sql' });
    expect(failing.manifest.nodes['model.failing.eph']).toMatchObject({ relation_name: null, config: { materialized: 'ephemeral' } });
    expect(failing.manifest.nodes['model.failing.good'].columns.id.data_type).toBe('integer');
    // freshness: one measured (old data past warn_after: warn), one with no rows (a runtime error with its message)
    expect(failing.fresh.code).toBe(1);
    const fresh = Object.fromEntries(failing.sources.results.map((r: Obj) => [r.unique_id, r]));
    expect(fresh['source.failing.raw.events']).toMatchObject({ status: 'warn', max_loaded_at: '2026-01-02T00:00:00.000Z', criteria: { warn_after: { count: 1, period: 'day' } }, thread_id: expect.any(String) });
    expect(fresh['source.failing.raw.none_match']).toMatchObject({ status: 'runtime error', error: expect.stringMatching(/no rows match the filter/) });
  });
});

describe.skipIf(noPython)('jaffle_shop: tx against dbt-core 1.10 on the same project', () => {
  let dbtTarget: string;
  let diff: Obj;
  beforeAll(async () => {
    const dbt = await provisionDbtCore();
    const dbtDir = mkdtempSync(join(tmpdir(), 'tx-dbt-core-jaffle-'));
    kept.push(dbtDir);
    cpSync(JAFFLE, dbtDir, { recursive: true });
    writeFileSync(join(dbtDir, 'profiles.yml'), `jaffle_shop:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: ${join(dbtDir, 'jaffle.duckdb')}\n      threads: 2\n`);
    const env = { ...process.env, DBT_SEND_ANONYMOUS_USAGE_STATS: 'false', DBT_PROFILES_DIR: dbtDir };
    const r = spawnSync(join(dbt.dir, 'bin', 'dbt'), ['build', '--project-dir', dbtDir], { cwd: dbtDir, env, encoding: 'utf8', maxBuffer: 64 << 20, timeout: 300_000 });
    if (r.status !== 0) throw new Error(`dbt build failed:\n${r.stdout}\n${r.stderr}`);
    dbtTarget = join(dbtDir, 'target');
    cpSync(join(dbtTarget, 'run_results.json'), join(dbtTarget, 'run_results.build.json'));
    const d = spawnSync(join(dbt.dir, 'bin', 'dbt'), ['docs', 'generate', '--project-dir', dbtDir], { cwd: dbtDir, env, encoding: 'utf8', maxBuffer: 64 << 20, timeout: 300_000 });
    if (d.status !== 0) throw new Error(`dbt docs generate failed:\n${d.stdout}\n${d.stderr}`);
    const txTarget = mkdtempSync(join(tmpdir(), 'tx-jaffle-build-'));
    kept.push(txTarget);
    cpSync(join(jaffle.dir, 'target', 'manifest.build.json'), join(txTarget, 'manifest.json'));
    diff = py(artifactsPython, 'compare_with_dbt.py', [dbtTarget, txTarget]);
  }, 600_000);

  it('builds with tx', () => {
    expect(jaffle.build.code, jaffle.build.output).toBe(0);
    expect(jaffle.runResults.results).toHaveLength(28);
  });

  it("every dbt node is in tx's manifest with the same keys and the same ids, paths, fqn, checksums, config, refs, dependencies and graph maps", () => {
    expect(diff.missing).toEqual([]);
    expect(diff.matched).toBe(28);
    expect(diff.top_level_key_differences).toEqual([]);
    expect(diff.metadata_keys_missing_in_tx).toEqual([]);
    // generic tests too: dbt's spelled-out names and hashed unique ids (compile/test-names.ts)
    expect(diff.differences).toEqual([]);
  });

  it('run results and catalog have the keys dbt writes', () => {
    const dbtRr = JSON.parse(readFileSync(join(dbtTarget, 'run_results.build.json'), 'utf8')) as Obj;
    const keys = (rr: Obj) => [...new Set((rr.results as Obj[]).flatMap((r) => Object.keys(r)))].sort();
    expect(keys(jaffle.runResults)).toEqual(keys(dbtRr));
    expect(Object.keys(jaffle.runResults.metadata).sort()).toEqual(Object.keys(dbtRr.metadata).sort());
    const dbtCatalog = JSON.parse(readFileSync(join(dbtTarget, 'catalog.json'), 'utf8')) as Obj;
    expect(Object.keys(jaffle.catalog.nodes).sort()).toEqual(Object.keys(dbtCatalog.nodes).sort());
    expect(Object.keys(jaffle.catalog).sort()).toEqual(Object.keys(dbtCatalog).sort());
    // the same columns in the same order (types differ where tx's seed loader infers BIGINT and dbt's INTEGER)
    for (const [id, e] of Object.entries(dbtCatalog.nodes as Record<string, Obj>)) expect(Object.keys(jaffle.catalog.nodes[id].columns), id).toEqual(Object.keys(e.columns));
  });
});
