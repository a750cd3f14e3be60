/**
 * dbt's four generic tests (not_null, unique, accepted_values, relationships) dispatch as dbt-core's
 * do: `adapter.dispatch('test_<name>', 'dbt')`, so a project's `default__test_not_null` or
 * `duckdb__test_unique`, or a package's `default__test_accepted_values` when `dispatch:` names the
 * package for the `dbt` namespace, replaces the SQL of the built-in test. Against dbt-core 1.10
 * (dbt-duckdb) on the same project: each test's failing-row count, its status, and (for the
 * overridden ones) its compiled SQL but for the relation's database part, with and without the
 * `dispatch:` entry. Without dbt: the same project on tx alone, and a tx project (project.yml).
 * A test's `model` argument is `get_where_subquery(relation)`, as in dbt: a project's own (dbt's docs
 * override it to fill placeholders in `where`), flat or as `duckdb__get_where_subquery`, is called.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dbtCoreVenv, dbtEnv, noPythonFor, runDbt, writeProfiles } from '../../testing/dbt-reference.js';
import { dedent, fixtureProject, type FixtureProject } from '../../testing/fixture-project.js';

const noPython = await noPythonFor('dbt-core 1.10');
const work = mkdtempSync(join(tmpdir(), 'tx-test-dispatch-'));
const fixtures: FixtureProject[] = [];
afterAll(() => {
  for (const f of fixtures) f.cleanup();
  rmSync(work, { recursive: true, force: true });
});

/** dbt's profiles folder for profile `name`: its own database file (its DuckDB's storage version is not tx's). */
const dbtProfiles = (folder: string, name: string): string => {
  const dir = join(work, folder);
  return writeProfiles(dir, `${name}:\n  target: dev\n  outputs:\n    dev: {type: duckdb, path: ${JSON.stringify(join(dir, `${name}.duckdb`))}, schema: main, threads: 1}\n`);
};

const DISPATCH = 'dispatch:\n  - macro_namespace: dbt\n    search_order: [tdp, shim, dbt]\n';

/** The project: its own not_null and unique SQL, a package with its own, the dispatch: entry or not. */
function project(withDispatch: boolean): FixtureProject {
  const fx = fixtureProject(
    {
      // failing tests warn, so the model is published and the test of two relations runs in both tools
      'dbt_project.yml': `name: tdp\nprofile: tdp\nconfig-version: 2\ndata_tests:\n  +severity: warn\n${withDispatch ? DISPATCH : ''}`,
      'profiles.yml': 'tdp:\n  target: dev\n  outputs:\n    dev: {type: duckdb, path: tdp.duckdb, schema: main, threads: 1}\n',
      'packages.yml': 'packages:\n  - local: shim\n',
      'seeds/items.csv': 'id,status,parent_id\n1,ok,10\n2,,10\n3,ok_late,11\n3,bad,12\n4,ok,99\n5,,\n',
      'seeds/parents.csv': 'id\n10\n11\n12\n',
      'models/i.sql': "select * from {{ ref('items') }}\n",
      // the project's: a null status is tolerated on row 2; an id may repeat once
      'macros/tests.sql': dedent(`
        {% macro default__test_not_null(model, column_name) %}
        select * from {{ model }} where {{ column_name }} is null and id <> 2
        {% endmacro %}
        {% macro duckdb__test_unique(model, column_name) %}
        select {{ column_name }} as unique_field, count(*) as n_records from {{ model }} group by 1 having count(*) > 2
        {% endmacro %}
      `),
      // the package's: values that start with one of the accepted ones pass; its not_null (everything
      // fails), though for the adapter, comes after the project's default__ in the search order (each
      // package is searched for every prefix before the next package) and is never used
      'shim/dbt_project.yml': 'name: shim\nconfig-version: 2\n',
      'shim/macros/shim.sql': dedent(`
        {% macro default__test_accepted_values(model, column_name, values, quote=true) %}
        select {{ column_name }} as value_field, count(*) as n_records
        from {{ model }}
        where {{ column_name }} is not null
          and not ({% for v in values %}{{ column_name }} like '{{ v }}%'{% if not loop.last %} or {% endif %}{% endfor %})
        group by {{ column_name }}
        {% endmacro %}
        {% macro duckdb__test_not_null(model, column_name) %}
        select 1 as everything_fails
        {% endmacro %}
      `),
      'models/props.yml': dedent(`
        version: 2
        models:
          - name: i
            columns:
              - name: status
                data_tests:
                  - not_null
                  - accepted_values:
                      values: [ok, bad]
              - name: id
                data_tests: [unique, not_null]
              - name: parent_id
                data_tests:
                  - relationships:
                      to: ref('parents')
                      field: id
      `),
    },
    { dbFile: 'tdp.duckdb', prefix: 'tx-test-dispatch-' },
  );
  fixtures.push(fx);
  return fx;
}

type Results = { results: { unique_id: string; status: string; failures: number | null }[] };
/** `<test name> <status> <failures>` of every test of a run, sorted. */
const outcomes = (r: Results): string[] =>
  r.results
    .filter((x) => x.unique_id.startsWith('test.'))
    .map((x) => `${x.unique_id.split('.')[2]} ${x.status} ${x.failures}`)
    .sort();
const flat = (s: string) => s.replace(/\s+/g, ' ').trim();
const compiledTest = (fx: FixtureProject, targetDir: string, name: string) => flat(fx.read(`${targetDir}/compiled/tdp/models/props.yml/${name}.sql`)).replaceAll('"tdp"."main".', '"main".');

// What each test finds on these rows, with the project's and (with dispatch:) the package's SQL:
// status is null on rows 2 and 5 (the project's not_null tolerates row 2); id 3 is there twice (the
// project's unique allows it); parent 99 has no parent; `ok_late` starts with `ok` (the package's
// accepted_values passes it, dbt's does not).
const EXPECTED = (withDispatch: boolean) =>
  [
    `accepted_values_i_status__ok__bad ${withDispatch ? 'pass 0' : 'warn 1'}`,
    'not_null_i_id pass 0',
    'not_null_i_status warn 1',
    'relationships_i_parent_id__id__ref_parents_ warn 1',
    'unique_i_id pass 0',
  ].sort();

describe('generic tests dispatch to a project\'s and a package\'s default__test_<name> (tx alone)', () => {
  it.each([true, false])('dispatch: for the dbt namespace %s: the project\'s SQL; the package\'s only when named', async (withDispatch) => {
    const fx = project(withDispatch);
    const deps = await fx.tx('deps');
    expect(deps.code, deps.stdout + deps.stderr).toBe(0);
    const r = await fx.tx('build');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(outcomes(fx.json<Results>('target/run_results.json'))).toEqual(EXPECTED(withDispatch));
    expect(compiledTest(fx, 'target', 'not_null_i_status')).toBe('select * from "main"."i" where status is null and id <> 2');
    expect(compiledTest(fx, 'target', 'unique_i_id')).toContain('having count(*) > 2');
    expect(compiledTest(fx, 'target', 'accepted_values_i_status__ok__bad')).toContain(withDispatch ? "status like 'ok%' or status like 'bad%'" : "not in ('ok', 'bad')");
  }, 120_000);

  it('a tx project (project.yml): the project\'s duckdb__test_not_null replaces the built-in SQL; other tests keep it', async () => {
    const fx = fixtureProject({
      'project.yml': 'name: txp\n',
      'seeds/items.csv': 'id,status\n1,ok\n2,\n2,ok\n',
      'models/i.sql': "select * from {{ ref('items') }}\n",
      'macros/tests.sql': "{% macro duckdb__test_not_null(model, column_name) %}select * from {{ model }} where {{ column_name }} is null and id <> 2{% endmacro %}\n",
      'models/props.yml': 'version: 2\nmodels:\n  - name: i\n    columns:\n      - name: status\n        data_tests: [not_null]\n      - name: id\n        data_tests: [unique]\n',
    });
    fixtures.push(fx);
    const r = await fx.tx('build');
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(outcomes(fx.json<Results>('target/run_results.json'))).toEqual(['not_null_i_status pass 0', 'unique_i_id fail 1']);
  }, 120_000);
});

describe.skipIf(noPython)('generic tests dispatch as in dbt-core 1.10 (dbt-duckdb)', () => {
  const venv = dbtCoreVenv();

  it.each([true, false])('dispatch: for the dbt namespace %s: the same outcomes and the same SQL of the overridden tests', async (withDispatch) => {
    const fx = project(withDispatch);
    // dbt's own database file (its DuckDB's storage version is not tx's)
    const profiles = dbtProfiles(`profiles-${withDispatch}`, 'tdp');
    const env = dbtEnv(work);
    const deps = runDbt(venv(), fx.dir, ['deps'], { env, profilesDir: profiles });
    expect(deps.status, deps.stdout + deps.stderr).toBe(0);
    const d = runDbt(venv(), fx.dir, ['build', '--target-path', 'dbt_target'], { env, profilesDir: profiles });
    expect(d.status, d.stdout + d.stderr).toBe(0);
    const dbtOutcomes = outcomes(fx.json<Results>('dbt_target/run_results.json'));
    expect(dbtOutcomes).toEqual(EXPECTED(withDispatch));
    const r = await fx.tx('build');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(outcomes(fx.json<Results>('target/run_results.json'))).toEqual(dbtOutcomes);
    // the overridden tests compile to dbt's SQL; relationships (tx's anti-join) only finds the same rows
    const overridden = ['not_null_i_status', 'not_null_i_id', 'unique_i_id', ...(withDispatch ? ['accepted_values_i_status__ok__bad'] : [])];
    for (const t of overridden) expect(compiledTest(fx, 'target', t), t).toBe(compiledTest(fx, 'dbt_target', t));
  }, 600_000);
});

/** A project overriding get_where_subquery (flat, or for the adapter) to fill a placeholder of `where`, as dbt's docs show. */
function whereProject(how: 'flat' | 'adapter'): FixtureProject {
  const name = how === 'flat' ? 'get_where_subquery' : 'duckdb__get_where_subquery';
  const fx = fixtureProject(
    {
      'dbt_project.yml': 'name: gws\nprofile: gws\nconfig-version: 2\n',
      'profiles.yml': 'gws:\n  target: dev\n  outputs:\n    dev: {type: duckdb, path: gws.duckdb, schema: main, threads: 1}\n',
      'seeds/s.csv': 'id,status\n1,a\n2,\n3,b\n',
      'models/m.sql': "select * from {{ ref('s') }}\n",
      'macros/where.sql': dedent(`
        {% macro ${name}(relation) -%}
          {% set where = config.get('where') %}
          {% if where %}
            {% set where = where | replace('__skip_id__', '2') %}
            {%- set filtered -%}(select * from {{ relation }} where {{ where }}) dbt_subquery{%- endset -%}
            {% do return(filtered) %}
          {%- else -%}
            {% do return(relation) %}
          {%- endif -%}
        {%- endmacro %}
      `),
      'models/props.yml': dedent(`
        version: 2
        models:
          - name: m
            columns:
              - name: status
                data_tests:
                  - not_null:
                      config:
                        where: "id <> __skip_id__"
              - name: id
                data_tests: [unique]
      `),
    },
    { dbFile: 'gws.duckdb', prefix: 'tx-where-override-' },
  );
  fixtures.push(fx);
  return fx;
}
const gwsTest = (fx: FixtureProject, targetDir: string, name: string) => flat(fx.read(`${targetDir}/compiled/gws/models/props.yml/${name}.sql`)).replaceAll('"gws"."main".', '"main".');

describe("a project's get_where_subquery (tx alone)", () => {
  it.each(['flat', 'adapter'] as const)('%s: the placeholder filled, the row it names left out; a test without where reads the relation', async (how) => {
    const fx = whereProject(how);
    const r = await fx.tx('build');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(gwsTest(fx, 'target', 'not_null_m_status')).toBe('select * from (select * from "main"."m" where id <> 2) dbt_subquery where status is null');
    expect(gwsTest(fx, 'target', 'unique_m_id')).toContain('from "main"."m"');
  }, 120_000);
});

describe.skipIf(noPython)("a project's get_where_subquery, as dbt-core 1.10 calls it", () => {
  const venv = dbtCoreVenv();
  it.each(['flat', 'adapter'] as const)('%s: the same outcomes and the same relation under the test', async (how) => {
    const fx = whereProject(how);
    const profiles = dbtProfiles(`profiles-gws-${how}`, 'gws');
    const d = runDbt(venv(), fx.dir, ['build', '--target-path', 'dbt_target'], { env: dbtEnv(work), profilesDir: profiles });
    expect(d.status, d.stdout + d.stderr).toBe(0);
    const r = await fx.tx('build');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(outcomes(fx.json<Results>('target/run_results.json'))).toEqual(outcomes(fx.json<Results>('dbt_target/run_results.json')));
    // dbt's not_null selects the column, tx's every column: the same relation under both
    const under = 'from (select * from "main"."m" where id <> 2) dbt_subquery where status is null';
    expect(gwsTest(fx, 'dbt_target', 'not_null_m_status')).toContain(under);
    expect(gwsTest(fx, 'target', 'not_null_m_status')).toContain(under);
  }, 600_000);
});
