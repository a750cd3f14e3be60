/**
 * Data tests declared on snapshots (on a `{% snapshot %}` block's properties and on a snapshot
 * declared in YAML), against dbt-core 1.10 (dbt-duckdb) on the same dbt project:
 * - `build --no-audit` runs the same tests with the same unique ids, attached nodes and results
 *   (one failing accepted_values), each after its snapshot, and writes the YAML snapshot's
 *   manifest path and compiled file where dbt does (`props.yml/s_yaml.sql`, beside its tests' files);
 * - `build` (audit before publish): the snapshot whose test fails is not published, the others are;
 * - `tx test --select s_block` runs just that snapshot's tests.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dedent, fixtureProject, writeFiles, type Files, type FixtureProject } from '../../testing/fixture-project.js';
import { provisionDbtCore } from '../../testing/services/dbt-venvs.js';
import { findPython } from '../../testing/services/python-venv.js';
import { serviceUnavailable } from '../../testing/services/require.js';

const noPython = (await findPython()) === null;
if (noPython) serviceUnavailable('python', 'no Python >= 3.8 with venv and ensurepip (TX_TEST_PYTHON) for dbt-core');

const FILES: Files = {
  'dbt_project.yml': 'name: sn\nprofile: sn\nconfig-version: 2\n',
  'profiles.yml': 'sn:\n  target: dev\n  outputs:\n    dev: {type: duckdb, path: wh.duckdb, schema: main, threads: 1}\n',
  'models/src.sql': "{{ config(materialized='table') }}\nselect * from (values (1, 'a', cast('2024-01-01' as timestamp)), (2, 'b', cast('2024-01-01' as timestamp))) t(id, name, updated_at)",
  'snapshots/s.sql': dedent(`
    {% snapshot s_block %}
    {{ config(unique_key='id', strategy='timestamp', updated_at='updated_at') }}
    select * from {{ ref('src') }}
    {% endsnapshot %}
  `),
  'snapshots/props.yml': dedent(`
    snapshots:
      - name: s_block
        columns:
          - name: id
            data_tests: [unique, not_null]
          - name: name
            data_tests:
              - accepted_values:
                  values: ['a']
      - name: s_yaml
        relation: ref('src')
        config: {unique_key: id, strategy: check, check_cols: all}
        columns:
          - name: id
            tests: [not_null]
  `),
  'models/after.sql': "select * from {{ ref('s_yaml') }}",
};

type Results = { results: { unique_id: string; status: string }[] };
type Manifest = { nodes: Record<string, { path: string; original_file_path: string; attached_node?: string | null; resource_type: string }> };
const tests = (m: Manifest) =>
  Object.fromEntries(
    Object.entries(m.nodes)
      .filter(([, n]) => n.resource_type === 'test')
      .map(([id, n]) => [id, { attached_node: n.attached_node, original_file_path: n.original_file_path }]),
  );
const statuses = (r: Results) => Object.fromEntries(r.results.map((x) => [x.unique_id, x.status]));

let dbtBin = '';
const dirs: string[] = [];
const fixtures: FixtureProject[] = [];
beforeAll(async () => {
  if (noPython) return;
  dbtBin = join((await provisionDbtCore()).dir, 'bin', 'dbt');
}, 600_000);
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  for (const f of fixtures) f.cleanup();
});

describe('data tests on snapshots', () => {
  it.skipIf(noPython)('run in build after their snapshot, with dbt\'s ids, results and paths; a failing one keeps its snapshot unpublished under audit', async () => {
    const dbtDir = mkdtempSync(join(tmpdir(), 'tx-snaptests-dbt-'));
    dirs.push(dbtDir);
    writeFiles(dbtDir, FILES);
    const d = spawnSync(dbtBin, ['build', '--profiles-dir', dbtDir, '--project-dir', dbtDir], { cwd: dbtDir, encoding: 'utf8', timeout: 300_000, env: { ...process.env, DBT_SEND_ANONYMOUS_USAGE_STATS: 'false' } });
    expect(d.status, d.stdout).toBe(1); // the accepted_values test fails
    const theirManifest = JSON.parse(readFileSync(join(dbtDir, 'target/manifest.json'), 'utf8')) as Manifest;
    const theirResults = JSON.parse(readFileSync(join(dbtDir, 'target/run_results.json'), 'utf8')) as Results;

    const fx = fixtureProject(FILES, { dbFile: 'wh.duckdb' });
    fixtures.push(fx);
    const r = await fx.tx('build', '--no-audit');
    expect(r.code, r.output).toBe(1);
    const m = fx.json<Manifest>('target/manifest.json');
    expect(Object.keys(tests(theirManifest))).toHaveLength(4);
    expect(tests(m)).toEqual(tests(theirManifest));
    expect(statuses(fx.json<Results>('target/run_results.json'))).toEqual(statuses(theirResults));
    expect(Object.values(statuses(theirResults)).filter((s) => s === 'fail')).toHaveLength(1);
    // the YAML snapshot: dbt's path, and its file beside (not in place of) the folder of its properties file's tests
    for (const id of ['snapshot.sn.s_yaml', 'snapshot.sn.s_block']) expect(m.nodes[id]!.path, id).toBe(theirManifest.nodes[id]!.path);
    expect(existsSync(join(dbtDir, 'target/run/sn/snapshots/props.yml/props.yml/s_yaml.sql'))).toBe(true);
    expect(fx.read('target/compiled/sn/snapshots/props.yml/props.yml/s_yaml.sql')).toMatch(/"main"\."src"/);
    // and under target/run, as dbt writes the snapshots' files there
    expect(fx.read('target/run/sn/snapshots/props.yml/props.yml/s_yaml.sql')).toMatch(/"main"\."src"/);
    expect(fx.read('target/run/sn/snapshots/s.sql')).toMatch(/"main"\."src"/);
    expect(fx.read('target/compiled/sn/snapshots/props.yml/not_null_s_yaml_id.sql')).toMatch(/"main"\."s_yaml"/);
    // each test ran after its snapshot: the tests read the snapshot tables
    expect(await fx.query('select count(*)::int as n from main.s_block')).toEqual([{ n: 2 }]);

    // audit before publish: s_block's failing test keeps its new version out; s_yaml and its child are published
    const fresh = fixtureProject(FILES, { dbFile: 'wh.duckdb' });
    fixtures.push(fresh);
    const a = await fresh.tx('build');
    expect(a.code, a.output).toBe(1);
    expect(a.output).toMatch(/ERROR snapshot s_block: the new version failed its audit \(accepted_values_s_block_name__a failed\)/);
    const rels = (await fresh.relations()).map((x) => x.name).sort();
    expect(rels).toEqual(['after', 's_yaml', 'src']);

    // tx test --select a snapshot: exactly its tests
    const t = await fx.tx('test', '--select', 's_block');
    expect(t.code, t.output).toBe(1);
    expect(Object.keys(statuses(fx.json<Results>('target/run_results.json'))).sort()).toEqual(
      Object.entries(tests(m))
        .filter(([, n]) => n.attached_node === 'snapshot.sn.s_block')
        .map(([id]) => id)
        .sort(),
    );
  }, 600_000);
});
