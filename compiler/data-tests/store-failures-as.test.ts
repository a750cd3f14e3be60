/**
 * `store_failures_as` (dbt 1.7+): a test's failing rows kept as a `table`, a `view` of its query, or not
 * at all (`ephemeral`), settled against `store_failures` as dbt-core 1.10's TestConfig does (the first,
 * when set, wins at any level). Against dbt-core 1.10 (dbt-duckdb) on the same project: the relations in
 * the audit schema, their kind and their rows, and the two keys in manifest.json. Without dbt: a
 * view under audit-before-publish is made once the new version is published, and none when it was
 * refused; a bad value is a clear error before anything runs.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dbtCoreVenv, dbtEnv, noPythonFor, runDbt, writeProfiles } from '../../testing/dbt-reference.js';
import { dedent, fixtureProject, type FixtureProject } from '../../testing/fixture-project.js';

const noPython = await noPythonFor('dbt-core 1.10');
const work = mkdtempSync(join(tmpdir(), 'tx-store-failures-as-'));
const fixtures: FixtureProject[] = [];
afterAll(() => {
  for (const f of fixtures) f.cleanup();
  rmSync(work, { recursive: true, force: true });
});

function project(): FixtureProject {
  const fx = fixtureProject(
    {
      // the project's tests warn (never audited: they run after the publish, as in dbt) but one
      'dbt_project.yml': 'name: sfa\nprofile: sfa\nconfig-version: 2\ndata_tests:\n  sfa:\n    +severity: warn\n',
      'profiles.yml': 'sfa:\n  target: dev\n  outputs:\n    dev: {type: duckdb, path: sfa.duckdb, schema: main, threads: 1}\n',
      'seeds/s.csv': 'id,status\n1,a\n2,\n3,b\n3,c\n4,\n',
      'models/m.sql': "{{ config(materialized='table') }}\nselect * from {{ ref('s') }}\n",
      'models/props.yml': dedent(`
        version: 2
        models:
          - name: m
            columns:
              - name: status
                data_tests:
                  - not_null:
                      name: status_as_view
                      config: {store_failures_as: view}
                  - not_null:
                      name: status_as_table
                      config: {store_failures_as: table}
                  - not_null:
                      name: status_ephemeral_wins
                      config: {store_failures_as: ephemeral, store_failures: true}
                  - not_null:
                      name: status_as_wins_over_false
                      config: {store_failures_as: view, store_failures: false}
              - name: id
                data_tests:
                  - unique:
                      name: id_store_failures
                      config: {store_failures: true}
                  - not_null:
                      name: id_passes_as_view
                      config: {store_failures_as: view, severity: error}
      `),
    },
    { dbFile: 'sfa.duckdb', prefix: 'tx-sfa-' },
  );
  fixtures.push(fx);
  return fx;
}

const STORED = [
  'id_passes_as_view VIEW 0',
  'id_store_failures BASE TABLE 1',
  'status_as_table BASE TABLE 2',
  'status_as_view VIEW 2',
  'status_as_wins_over_false VIEW 2',
];

/** `<relation> <kind> <rows>` of each relation in tx's audit schema, by name. */
async function storedFailures(fx: FixtureProject): Promise<string[]> {
  const rows = await fx.query("select table_name, table_type from information_schema.tables where table_schema = 'main_dbt_test__audit' order by 1");
  const out: string[] = [];
  for (const x of rows) out.push(`${String(x.table_name)} ${String(x.table_type)} ${Number((await fx.query(`select count(*) as n from main_dbt_test__audit.${String(x.table_name)}`))[0]!.n)}`);
  return out;
}

type Manifest = { nodes: Record<string, { name: string; resource_type: string; config: { store_failures: unknown; store_failures_as: unknown } }> };
const keys = (m: Manifest) =>
  Object.fromEntries(
    Object.values(m.nodes)
      .filter((n) => n.resource_type === 'test')
      .map((n) => [n.name, [n.config.store_failures, n.config.store_failures_as]]),
  );

describe('store_failures_as (tx alone)', () => {
  it('table, view, ephemeral: what the audit schema holds, and the lines that say so', async () => {
    const fx = project();
    const r = await fx.tx('build');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const stored = await storedFailures(fx);
    expect(stored).toEqual(STORED);
    expect(r.stdout + r.stderr).toMatch(/failing rows in the view main_dbt_test__audit\.status_as_view/);
    expect(r.stdout + r.stderr).toMatch(/failing rows stored in main_dbt_test__audit\.status_as_table/);
    // the audited test (error severity, the table's only parent) made its view after the publish
    expect(r.stdout + r.stderr).toMatch(/PASS id_passes_as_view/);
    expect(keys(fx.json<Manifest>('target/manifest.json'))).toMatchObject({ status_ephemeral_wins: [false, 'ephemeral'], status_as_wins_over_false: [true, 'view'], id_store_failures: [true, 'table'] });
    // each view reads the published table, the audited one too (never the side version it was tested on)
    const views = await fx.query("select view_name, sql from duckdb_views() where schema_name = 'main_dbt_test__audit' order by 1");
    expect(views.map((v) => String(v.view_name))).toEqual(['id_passes_as_view', 'status_as_view', 'status_as_wins_over_false']);
    for (const v of views) {
      expect(String(v.sql).replace(/"/g, '')).toMatch(/\bmain\.m\b/);
      expect(String(v.sql)).not.toMatch(/__tx/);
    }
  }, 120_000);

  it('a view under an audit that fails: no view over a version that was not published; then a passing build makes it', async () => {
    const fx = fixtureProject({
      'project.yml': 'name: sfv\nvars:\n  bad: 0\n',
      'models/t.sql': "{{ config(materialized='table') }}\nselect 1 as id union all select {{ var('bad') }} * 0 + 2\nunion all select case when {{ var('bad') }} = 1 then null else 3 end\n",
      'models/props.yml': 'version: 2\nmodels:\n  - name: t\n    columns:\n      - name: id\n        data_tests:\n          - not_null:\n              config: {store_failures_as: view}\n',
    });
    fixtures.push(fx);
    const bad = await fx.tx('build', '--vars', '{bad: 1}');
    expect(bad.code, bad.output).toBe(1);
    expect(bad.output).toMatch(/no view of the failing rows: the new version was not published/);
    expect(await fx.query("select table_name from information_schema.tables where table_schema = 'main_dbt_test__audit'")).toEqual([]);
    const good = await fx.tx('build');
    expect(good.code, good.output).toBe(0);
    expect(await fx.query("select table_name, table_type from information_schema.tables where table_schema = 'main_dbt_test__audit'")).toEqual([{ table_name: 'not_null_t_id', table_type: 'VIEW' }]);
    // from a view to a table and back, under the audit: each build replaces what the other left
    fx.write({ 'models/props.yml': 'version: 2\nmodels:\n  - name: t\n    columns:\n      - name: id\n        data_tests:\n          - not_null:\n              config: {store_failures_as: table}\n' });
    const table = await fx.tx('build');
    expect(table.code, table.output).toBe(0);
    expect(await fx.query("select table_type from information_schema.tables where table_schema = 'main_dbt_test__audit'")).toEqual([{ table_type: 'BASE TABLE' }]);
    fx.write({ 'models/props.yml': 'version: 2\nmodels:\n  - name: t\n    columns:\n      - name: id\n        data_tests:\n          - not_null:\n              config: {store_failures_as: view}\n' });
    const view = await fx.tx('build');
    expect(view.code, view.output).toBe(0);
    expect(await fx.query("select table_type from information_schema.tables where table_schema = 'main_dbt_test__audit'")).toEqual([{ table_type: 'VIEW' }]);
  }, 120_000);

  // with one thread (the profile's threads: 1), the audit's render asks the warehouse on the connection the
  // build holds: asked on the session's own, it waited for ever and tx ended with exit 0 and nothing built
  it("an audited test that reads the warehouse to write its query, one thread: it renders on the build's connection, and its view again over the published table", async () => {
    const fx = fixtureProject({
      'dbt_project.yml': 'name: sfr\nprofile: sfr\nconfig-version: 2\n',
      'profiles.yml': 'sfr:\n  target: dev\n  outputs:\n    dev: {type: duckdb, path: sfr.duckdb, schema: main, threads: 1}\n',
      'models/t.sql': "{{ config(materialized='table') }}\nselect 1 as id, 'a' as name\n",
      // the query names the relation's columns, which only the warehouse knows
      'tests/generic/no_nulls.sql': dedent(`
        {% test no_nulls(model) %}
        {%- set cols = adapter.get_columns_in_relation(model) -%}
        select * from {{ model }} where {% for c in cols %}{{ c.name }} is null{% if not loop.last %} or {% endif %}{% endfor %}{% if not cols %}1 = 0{% endif %}
        {% endtest %}
      `),
      'models/props.yml': 'version: 2\nmodels:\n  - name: t\n    data_tests:\n      - no_nulls:\n          config: {store_failures_as: view}\n',
    });
    fixtures.push(fx);
    const r = await fx.tx('build');
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/OK created table main\.t \(audited: 1 test passed before publish\)/);
    expect(fx.read('target/run/sfr/models/props.yml/no_nulls_t_.sql')).toMatch(/"main"\."t__tx_new" where id is null or name is null/);
    const views = await fx.query("select sql from duckdb_views() where schema_name = 'main_dbt_test__audit'");
    expect(views.length).toBe(1);
    // (DuckDB keeps a view's SQL as it prints it: upper case, parenthesised)
    const sql = String(views[0]!.sql).replace(/["()]/g, '');
    expect(sql).toMatch(/id is null or name is null/i);
    expect(sql).toMatch(/\bmain\.t\b/);
    expect(sql).not.toMatch(/__tx/);
  }, 120_000);

  it('a value dbt does not accept: exit 2 naming the file and line, nothing run', async () => {
    const fx = project();
    fx.write({ 'models/props.yml': 'version: 2\nmodels:\n  - name: m\n    columns:\n      - name: id\n        data_tests:\n          - unique:\n              config: {store_failures_as: tabel}\n' });
    const r = await fx.tx('build');
    expect(r.code, r.output).toBe(2);
    expect(r.stderr).toMatch(/models\/props\.yml:\d+: .*store_failures_as/);
    expect(fx.exists('sfa.duckdb')).toBe(false);
  }, 120_000);
});

describe.skipIf(noPython)('store_failures_as as dbt-core 1.10 (dbt-duckdb) keeps failing rows', () => {
  const venv = dbtCoreVenv();
  it('the same relations, kinds and rows in the audit schema; the same two keys in manifest.json', async () => {
    const fx = project();
    const profiles = join(work, 'profiles');
    const dbtDb = join(profiles, 'sfa.duckdb');
    writeProfiles(profiles, `sfa:\n  target: dev\n  outputs:\n    dev: {type: duckdb, path: ${JSON.stringify(dbtDb)}, schema: main, threads: 1}\n`);
    const d = runDbt(venv(), fx.dir, ['build', '--target-path', 'dbt_target'], { env: dbtEnv(work), profilesDir: profiles });
    expect(d.status, d.stdout + d.stderr).toBe(0);
    // dbt's database file, read with the venv's own duckdb (its storage version is not tx's)
    const script = `import duckdb, json\nc = duckdb.connect(${JSON.stringify(dbtDb)}, read_only=True)\nout = []\nfor (n, t) in c.execute("select table_name, table_type from information_schema.tables where table_schema = 'main_dbt_test__audit' order by 1").fetchall():\n    out.append(f"{n} {t} {c.execute(f'select count(*) from main_dbt_test__audit.{n}').fetchone()[0]}")\nprint(json.dumps(out))\n`;
    const dbtStored = JSON.parse(execFileSync(join(venv().dir, 'bin', 'python'), ['-c', script], { encoding: 'utf8' })) as string[];
    expect(dbtStored).toEqual(STORED);
    const r = await fx.tx('build');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const stored = await storedFailures(fx);
    expect(stored).toEqual(dbtStored);
    expect(keys(fx.json<Manifest>('target/manifest.json'))).toEqual(keys(fx.json<Manifest>('dbt_target/manifest.json')));
  }, 600_000);
});
