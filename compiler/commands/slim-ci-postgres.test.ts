/**
 * Slim CI on PostgreSQL (a real server: testing/services/postgres.ts): a production build in schema
 * prod, its manifest saved; a changed model body and a changed macro; `build --select
 * state:modified+ --defer --state` in schema ci builds exactly those and their children and reads
 * the unchanged parent from prod.
 */
import { cpSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureProject, type FixtureProject } from '../../testing/fixture-project.js';
import { postgresTargets, scratchDatabase, type ScratchDatabase } from '../../testing/postgres-scratch.js';

let pgdb: ScratchDatabase;
let fx: FixtureProject;
let env: Record<string, string>;
beforeAll(async () => {
  pgdb = await scratchDatabase('tx_slim_ci');
  env = pgdb.env;
  fx = fixtureProject({
    'project.yml': `name: slimpg\ntarget: prod\ntargets:\n${postgresTargets([['prod', 'prod'], ['ci', 'ci']])}\nmodels:\n  slimpg:\n    +materialized: table\n`,
    'macros/fmt.sql': '{% macro fmt(c) %}upper({{ c }}){% endmacro %}',
    'models/base.sql': "select 1 as id, 'ann'::text as name union all select 2, 'bob'",
    'models/m_body.sql': "select id, name from {{ ref('base') }}",
    'models/m_macro.sql': "select id, {{ fmt('name') }} as name from {{ ref('base') }}",
    'models/downstream.sql': "select count(*) as n from {{ ref('m_body') }}",
    'models/untouched.sql': "select count(*) as n from {{ ref('base') }}",
  });
});
afterAll(async () => {
  fx?.cleanup();
  await pgdb?.close();
});

const rows = (sql: string) => pgdb.rows(sql);

describe('slim CI on PostgreSQL', () => {
  it('state:modified+ --defer builds exactly the changed models and their children, reading the parent from prod', async () => {
    const prod = await fx.txWith({ env }, 'build');
    expect(prod.stderr).toBe('');
    expect(prod.code).toBe(0);
    cpSync(fx.path('target/manifest.json'), fx.path('prod-artifacts/manifest.json'));
    fx.write({
      'models/m_body.sql': "select id, name, 'v2'::text as version from {{ ref('base') }}",
      'macros/fmt.sql': '{% macro fmt(c) %}lower({{ c }}){% endmacro %}',
    });
    const ci = await fx.txWith({ env }, 'build', '--target', 'ci', '--select', 'state:modified+', '--defer', '--state', 'prod-artifacts');
    expect(ci.stderr).toBe('');
    expect(ci.code).toBe(0);
    const ran = fx.json<{ results: { unique_id: string }[] }>('target/run_results.json').results.map((r) => r.unique_id).sort();
    expect(ran).toEqual(['model.slimpg.downstream', 'model.slimpg.m_body', 'model.slimpg.m_macro']);
    const ciTables = await rows("select table_name from information_schema.tables where table_schema = 'ci' order by table_name");
    expect(ciTables.map((r) => r.table_name)).toEqual(['downstream', 'm_body', 'm_macro']);
    expect(fx.read('target/compiled/slimpg/models/m_body.sql')).toMatch(/"prod"\."base"/);
    expect(await rows('select id, name, version from ci.m_body order by id')).toEqual([
      { id: 1, name: 'ann', version: 'v2' },
      { id: 2, name: 'bob', version: 'v2' },
    ]);
    expect(await rows('select name from ci.m_macro order by id')).toEqual([{ name: 'ann' }, { name: 'bob' }]);
  }, 400_000);
});
