/**
 * tx retry, tx clone and tx run-operation on PostgreSQL (a real server: testing/services/postgres.ts,
 * a private database), in a tx project (project.yml):
 * - retry after a build with one failing model and one failing test re-runs exactly those and what
 *   they skipped, with the first run's flags;
 * - clone makes the state's relations (schema prod) appear in schema ci as views, keeps an existing
 *   one without --full-refresh and replaces it with it;
 * - run-operation calls a project macro that uses dbt's run_query, statement and adapter (dbt's
 *   global macros load for it in a tx project), reports each statement, and an unknown macro is
 *   did-you-mean, exit 2, nothing run.
 */
import { cpSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dedent, fixtureProject, type Files, type FixtureProject } from '../../testing/fixture-project.js';
import { postgresTargets, scratchDatabase, type ScratchDatabase } from '../../testing/postgres-scratch.js';

let pgdb: ScratchDatabase;
let env: Record<string, string>;
const fixtures: FixtureProject[] = [];
beforeAll(async () => {
  pgdb = await scratchDatabase('tx_workflow_pg');
  env = pgdb.env;
});
afterAll(async () => {
  for (const f of fixtures) f.cleanup();
  await pgdb?.close();
});

/** A tx project whose targets are schemas of the test database. */
function project(name: string, schemas: string[], files: Files, extra = ''): FixtureProject {
  const fx = fixtureProject({ 'project.yml': `name: ${name}\ntarget: ${schemas[0]}\ntargets:\n${postgresTargets(schemas.map((s) => [s, s]))}\n${extra}`, ...files });
  fixtures.push(fx);
  return fx;
}

const rows = (sql: string) => pgdb.rows(sql);

type Results = { results: { unique_id: string; status: string }[]; args: Record<string, unknown> };
const nameOf = (id: string): string => (id.startsWith('test.') ? id.split('.')[2]! : id.split('.').pop()!);

describe('retry, clone and run-operation on PostgreSQL', () => {
  it('tx retry re-runs exactly the failed model, the failed test and what they skipped, with the same flags', async () => {
    const fx = project('rtpg', ['rt'], {
      'models/good.sql': "select * from (values (1, 'a'), (null, 'b')) t(id, v) limit {{ var('lim') }}",
      'models/good_child.sql': "select * from {{ ref('good') }}",
      'models/broken.sql': "select no_such_column from {{ ref('good') }}",
      'models/after_broken.sql': "select * from {{ ref('broken') }}",
      'models/fine.sql': 'select 1 as n',
      'models/props.yml': 'version: 2\nmodels:\n  - name: good\n    columns:\n      - name: id\n        tests: [not_null]\n',
    }, 'vars:\n  lim: 10\n');
    const first = await fx.txWith({ env }, 'build', '--vars', '{lim: 5}', '--threads', '1');
    expect(first.code, first.output).toBe(1);
    const results = fx.json<Results>('target/run_results.json').results;
    const failed = results.filter((r) => ['error', 'fail', 'skipped'].includes(r.status)).map((r) => nameOf(r.unique_id)).sort();
    expect(failed).toEqual(expect.arrayContaining(['after_broken', 'broken', 'good_child', 'not_null_good_id']));
    expect(failed).not.toContain('fine');

    fx.write({
      'models/broken.sql': "select id from {{ ref('good') }}",
      'models/good.sql': "select * from (values (1, 'a'), (2, 'b')) t(id, v) limit {{ var('lim') }}",
    });
    const retry = await fx.txWith({ env }, 'retry');
    expect(retry.stderr).toBe('');
    expect(retry.code, retry.output).toBe(0);
    expect(fx.json<Results>('target/run_results.json').results.map((r) => nameOf(r.unique_id)).sort()).toEqual(failed);
    expect(await rows('select count(*)::int as n from rt.after_broken')).toEqual([{ n: 2 }]);
    expect(fx.json<Results>('target/run_results.json').args).toMatchObject({ which: 'build', vars: { lim: 5 }, threads: 1 });
    const again = await fx.txWith({ env }, 'retry');
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/Nothing to retry/);
  }, 400_000);

  it('tx clone makes the state\'s relations appear in another schema as views; an existing one is kept, and replaced with --full-refresh', async () => {
    const fx = project('clpg', ['prod', 'ci'], {
      'models/base.sql': "select 1 as id, 'ann'::text as name union all select 2, 'bob'",
      'models/child.sql': "select id from {{ ref('base') }}",
    }, 'models:\n  clpg:\n    +materialized: table\n');
    const prod = await fx.txWith({ env }, 'build');
    expect(prod.code, prod.output).toBe(0);
    cpSync(fx.path('target/manifest.json'), fx.path('prod-artifacts/manifest.json'));
    const r = await fx.txWith({ env }, 'clone', '--target', 'ci', '--state', 'prod-artifacts', '--select', 'base', 'child');
    expect(r.stderr).toBe('');
    expect(r.code, r.output).toBe(0);
    expect(r.stdout).toMatch(/OK cloned base: view "ci"\."base" over .*"prod"\."base"/);
    expect(await rows("select table_name, table_type from information_schema.tables where table_schema = 'ci' order by table_name")).toEqual([
      { table_name: 'base', table_type: 'VIEW' },
      { table_name: 'child', table_type: 'VIEW' },
    ]);
    expect(await rows('select count(*)::int as n from ci.child')).toEqual([{ n: 2 }]);

    // an existing relation: kept without --full-refresh, replaced with it
    await rows('drop view ci.base; create table ci.base as select 99 as id');
    const again = await fx.txWith({ env }, 'clone', '--target', 'ci', '--state', 'prod-artifacts', '--select', 'base');
    expect(again.code, again.output).toBe(0);
    expect(again.stdout).toMatch(/SKIP base: "ci"\."base" exists/);
    expect(await rows('select id from ci.base')).toEqual([{ id: 99 }]);
    const full = await fx.txWith({ env }, 'clone', '--target', 'ci', '--state', 'prod-artifacts', '--select', 'base', '--full-refresh');
    expect(full.code, full.output).toBe(0);
    expect(await rows('select id from ci.base order by id')).toEqual([{ id: 1 }, { id: 2 }]);
  }, 400_000);

  it('tx run-operation in a tx project runs a macro with run_query, statement and adapter against PostgreSQL; an unknown macro is did-you-mean, exit 2', async () => {
    const fx = project('oppg', ['ops'], {
      'models/m.sql': 'select 1 as n',
      'macros/ops.sql': dedent(`
        {% macro grant_log(role, n=1) %}
          {% if execute %}
            {% do run_query("create schema if not exists ops") %}
            {% call statement('make', fetch_result=false) %}
              create table if not exists ops.ops_log (role text, n int)
            {% endcall %}
            {% do run_query("insert into ops.ops_log values ('" ~ role ~ "', " ~ n ~ ")") %}
            {% set rel = api.Relation.create(schema='ops', identifier='ops_log') %}
            {% set cols = adapter.get_columns_in_relation(rel) | map(attribute='name') | join(',') %}
            {% set total = run_query("select sum(n) from ops.ops_log").columns[0].values()[0] %}
            {{ log('columns ' ~ cols ~ ' total ' ~ total, info=True) }}
          {% endif %}
        {% endmacro %}
      `),
    });
    const r = await fx.txWith({ env }, 'run-operation', 'grant_log', '--args', '{role: analyst, n: 3}');
    expect(r.stderr).toBe('');
    expect(r.code, r.output).toBe(0);
    expect(r.stdout).toMatch(/ran: insert into ops\.ops_log values \('analyst', 3\)/);
    expect(r.stdout).toMatch(/columns role,n total 3/);
    expect(r.stdout).toMatch(/Ran macro grant_log: 4 statements against target ops/);
    const second = await fx.txWith({ env }, 'run-operation', 'grant_log', '--args', 'role: dev');
    expect(second.code, second.output).toBe(0);
    expect(second.stdout).toMatch(/total 4/);
    expect(await rows('select role, n from ops.ops_log order by role')).toEqual([
      { role: 'analyst', n: 3 },
      { role: 'dev', n: 1 },
    ]);
    const bad = await fx.txWith({ env }, 'run-operation', 'grant_logs');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/no macro named `grant_logs`\n\s+hint: did you mean `grant_log`\?/);
    expect(await rows('select count(*)::int as n from ops.ops_log')).toEqual([{ n: 2 }]);
  }, 400_000);
});
