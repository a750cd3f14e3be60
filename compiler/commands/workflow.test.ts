/**
 * The daily workflow through the built CLI on real DuckDB files: slim CI (state:modified+ with
 * --defer against a production build), bad --state folders, tx retry after a failing model and a
 * failing test, tx init then build, --empty, run-operation (dbt and tx projects), clone, and a selection that matches nothing (warns; exit 1
 * under --warn-error) the same way in ls, compile and build.
 * Each test runs tx several times as separate processes: 400 s each, for a loaded 2-core machine.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { dedent, fixtureProject, runCli, type Files, type FixtureProject } from '../../testing/fixture-project.js';

const fixtures: FixtureProject[] = [];
const project = (files: Files) => {
  const fx = fixtureProject(files);
  fixtures.push(fx);
  return fx;
};
afterAll(() => {
  for (const f of fixtures) f.cleanup();
});

type Results = { results: { unique_id: string; status: string }[]; args: Record<string, unknown> };
/** A node's name from its unique id (`test.<project>.<name>.<hash>` for tests, as dbt writes them). */
const nameOf = (id: string): string => (id.startsWith('test.') ? id.split('.')[2]! : id.split('.').pop()!);
const ran = (fx: FixtureProject): string[] => fx.json<Results>('target/run_results.json').results.map((r) => nameOf(r.unique_id)).sort();

// prod and ci share one DuckDB file, in two schemas (as a CI job reads production through --defer)
const SLIM: Files = {
  'project.yml': dedent(`
    name: slim
    vars:
      tag_v: one
      body_v: 1
    target: prod
    targets:
      prod: {type: duckdb, path: target/wh.duckdb, schema: prod}
      ci: {type: duckdb, path: target/wh.duckdb, schema: ci}
    models:
      slim:
        +materialized: table
  `),
  'seeds/people.csv': 'id,name\n1,ann\n2,bob\n',
  'macros/fmt.sql': '{% macro fmt(c) %}upper({{ c }}){% endmacro %}\n{% macro shout(c) %}{{ fmt(c) }}{% endmacro %}',
  'models/base.sql': "select id, name from {{ ref('people') }}",
  'models/m_body.sql': "select id, name from {{ ref('base') }}",
  'models/m_macro.sql': "select id, {{ shout('name') }} as name from {{ ref('base') }}",
  'models/m_var_config.sql': "{{ config(tags=[var('tag_v')]) }}select id from {{ ref('base') }}",
  'models/m_var_body.sql': "select id, {{ var('body_v') }} as v from {{ ref('base') }}",
  'models/downstream.sql': "select * from {{ ref('m_body') }}",
  'models/untouched.sql': "select count(*) as n from {{ ref('base') }}",
  'models/props.yml': 'version: 2\nmodels:\n  - name: m_body\n    columns:\n      - name: id\n        tests: [not_null]\n',
};

describe.concurrent('slim CI: state:modified+ with --defer', () => {
  it('builds exactly the changed models and their children, reading unselected parents from the production schema', async () => {
    const fx = project(SLIM);
    const prod = await fx.tx('build');
    expect(prod.stderr).toBe('');
    expect(prod.code).toBe(0);
    cpSync(fx.path('target/manifest.json'), fx.path('prod-artifacts/manifest.json'));
    cpSync(fx.path('target/run_results.json'), fx.path('prod-artifacts/run_results.json'));

    // one body, one macro (reached through the macro that calls it), one var used in a config
    fx.write({
      'models/m_body.sql': "select id, name, 'v2' as version from {{ ref('base') }}",
      'macros/fmt.sql': '{% macro fmt(c) %}lower({{ c }}){% endmacro %}\n{% macro shout(c) %}{{ fmt(c) }}{% endmacro %}',
    });
    const ci = await fx.tx('build', '--target', 'ci', '--select', 'state:modified+', '--defer', '--state', 'prod-artifacts', '--vars', '{tag_v: two, body_v: 2}');
    expect(ci.stderr).toBe('');
    expect(ci.code).toBe(0);
    // m_var_body uses the changed var only in its SQL: not modified, as dbt counts it (raw code compared)
    expect(ran(fx)).toEqual(['downstream', 'm_body', 'm_macro', 'm_var_config', 'not_null_m_body_id']);
    expect(ci.stdout).toMatch(/Deferring \d+ unselected nodes? to the relations in prod-artifacts: .*base → "wh"\."prod"\."base"/);
    // only the selected models exist in ci; their parent was read from prod
    const wh = fx.path('target/wh.duckdb');
    const ciTables = (await fx.relations(wh)).filter((r) => r.schema === 'ci').map((r) => r.name).sort();
    expect(ciTables).toEqual(['downstream', 'm_body', 'm_macro', 'm_var_config']);
    expect(fx.read('target/compiled/slim/models/m_body.sql')).toMatch(/"prod"\."base"/);
    expect(await fx.query('select id, name, version from ci.m_body order by id', wh)).toEqual([
      { id: 1, name: 'ann', version: 'v2' },
      { id: 2, name: 'bob', version: 'v2' },
    ]);
    expect(await fx.query('select name from ci.m_macro order by id', wh)).toEqual([{ name: 'ann' }, { name: 'bob' }]);
    const args = fx.json<Results>('target/run_results.json').args;
    expect(args).toMatchObject({ which: 'build', select: ['state:modified+'], state: 'prod-artifacts', defer: true });
  }, 400_000);

  it('without --favor-state a parent that exists in the target is read there; with it, from the state', async () => {
    const fx = project(SLIM);
    expect((await fx.tx('build')).code).toBe(0);
    cpSync(fx.path('target/manifest.json'), fx.path('prod-artifacts/manifest.json'));
    const base = await fx.tx('build', '--target', 'ci', '--select', '+base');
    expect(base.code, base.stdout + base.stderr).toBe(0); // ci.base exists now
    fx.write({ 'models/m_body.sql': "select id from {{ ref('base') }} where id > 1" });
    expect((await fx.tx('run', '--target', 'ci', '--select', 'state:modified', '--defer', '--state', 'prod-artifacts')).code).toBe(0);
    expect(fx.read('target/compiled/slim/models/m_body.sql')).toMatch(/"ci"\."base"/);
    expect((await fx.tx('run', '--target', 'ci', '--select', 'state:modified', '--defer', '--favor-state', '--state', 'prod-artifacts')).code).toBe(0);
    expect(fx.read('target/compiled/slim/models/m_body.sql')).toMatch(/"prod"\."base"/);
  }, 400_000);

  it('a missing, empty, foreign or newer state is exit 2 and builds nothing', async () => {
    const fx = project(SLIM);
    mkdirSync(fx.path('empty-state'), { recursive: true });
    mkdirSync(fx.path('other'), { recursive: true });
    writeFileSync(fx.path('other/manifest.json'), JSON.stringify({ metadata: { dbt_schema_version: 'https://schemas.getdbt.com/dbt/manifest/v12.json', project_name: 'another' }, nodes: {}, sources: {}, macros: {} }));
    mkdirSync(fx.path('newer'), { recursive: true });
    writeFileSync(fx.path('newer/manifest.json'), JSON.stringify({ metadata: { dbt_schema_version: 'https://schemas.getdbt.com/dbt/manifest/v13.json', project_name: 'slim' }, nodes: {}, sources: {}, macros: {} }));
    const cases: [string[], RegExp][] = [
      [['--state', 'nope'], /--state folder `nope` does not exist/],
      [['--state', 'empty-state'], /holds no manifest\.json, run_results\.json or sources\.json/],
      [['--state', 'other'], /manifest of project `another`, not of `slim`/],
      [['--state', 'newer'], /schema version v13, newer than the v12/],
      [[], /no --state was given/],
    ];
    for (const [flags, msg] of cases) {
      const r = await fx.tx('build', '--select', 'state:modified+', ...flags);
      expect(r.code, flags.join(' ')).toBe(2);
      expect(r.stderr).toMatch(msg);
    }
    const d = await fx.tx('build', '--defer');
    expect(d.code).toBe(2);
    expect(d.stderr).toMatch(/--defer needs --state DIR/);
    // compile and show --defer read the state the same way
    for (const args of [['compile', '--select', 'm_body'], ['show', '--select', 'm_body']]) {
      const c = await fx.tx(...args, '--defer', '--state', 'other');
      expect(c.code, args[0]).toBe(2);
      expect(c.stderr, args[0]).toMatch(/manifest of project `another`, not of `slim`/);
    }
    expect(fx.exists('target/wh.duckdb')).toBe(false);
  }, 400_000);
});

describe.concurrent('tx retry', () => {
  it('re-runs exactly the failed model, the failed test and what they skipped, with the same flags', async () => {
    const fx = project({
      'project.yml': 'name: rt\nvars:\n  lim: 10\n',
      'models/good.sql': "select * from (values (1, 'a'), (null, 'b')) t(id, v) limit {{ var('lim') }}",
      'models/good_child.sql': "select * from {{ ref('good') }}",
      'models/broken.sql': "select no_such_column from {{ ref('good') }}",
      'models/after_broken.sql': "select * from {{ ref('broken') }}",
      'models/fine.sql': 'select 1 as n',
      'models/props.yml': 'version: 2\nmodels:\n  - name: good\n    columns:\n      - name: id\n        tests: [not_null]\n',
    });
    const first = await fx.tx('build', '--vars', '{lim: 5}', '--threads', '1');
    expect(first.code).toBe(1);
    const failed = fx.json<Results>('target/run_results.json').results.filter((r) => ['error', 'fail', 'skipped'].includes(r.status)).map((r) => nameOf(r.unique_id)).sort();
    // (with audit before publish, good itself errors when its not_null test fails)
    expect(failed).toEqual(expect.arrayContaining(['after_broken', 'broken', 'good_child', 'not_null_good_id']));
    expect(failed).not.toContain('fine');

    fx.write({
      'models/broken.sql': "select id from {{ ref('good') }}",
      'models/good.sql': "select * from (values (1, 'a'), (2, 'b')) t(id, v) limit {{ var('lim') }}",
    });
    const retry = await fx.tx('retry');
    expect(retry.stderr).toBe('');
    expect(retry.code).toBe(0);
    // fine succeeded the first time: not run again
    expect(ran(fx)).toEqual(failed);
    expect(await fx.query('select count(*)::int as n from main.after_broken')).toEqual([{ n: 2 }]);
    // the previous run's flags: --vars and --threads came along
    expect(fx.json<Results>('target/run_results.json').args).toMatchObject({ which: 'build', vars: { lim: 5 }, threads: 1 });
    const again = await fx.tx('retry');
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/Nothing to retry/);
  }, 400_000);

  it('with no previous run: exit 2', async () => {
    const fx = project({ 'models/a.sql': 'select 1 as n' });
    const r = await fx.tx('retry');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no previous run: .*run_results\.json does not exist/);
    expect(fx.exists('fx.duckdb')).toBe(false); // nothing built
  }, 400_000);
});

describe.concurrent('tx init, --empty, and selections that match nothing', () => {
  it('tx init NAME scaffolds a project that builds at once, and refuses to overwrite one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tx-init-'));
    try {
      const init = await runCli(['init', 'shop'], { cwd: dir });
      expect(init.code).toBe(0);
      const build = await runCli(['build'], { cwd: join(dir, 'shop') });
      expect(build.stderr).toBe('');
      expect(build.code).toBe(0);
      expect(build.stdout).toMatch(/Finished build of 6 nodes .* OK=6 WARN=0 ERROR=0 SKIP=0/);
      const again = await runCli(['init'], { cwd: join(dir, 'shop') });
      expect(again.code).toBe(2);
      expect(again.stderr).toMatch(/project\.yml already exists; refusing to overwrite/);
      expect((await runCli(['init', 'shop'], { cwd: dir })).code).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 400_000);

  it('--empty builds every model with its columns and zero rows', async () => {
    const fx = project({
      'seeds/s.csv': 'id,name\n1,a\n',
      'models/m.sql': "{{ config(materialized='table') }}select id, upper(name) as name from {{ ref('s') }}",
      'models/n.sql': "{{ config(materialized='table') }}select count(*) as c, max(id) as top from {{ ref('m') }}",
    });
    const r = await fx.tx('build', '--empty');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await fx.query('select count(*)::int as n from main.m')).toEqual([{ n: 0 }]);
    expect(await fx.query('select c::int as c, top from main.n')).toEqual([{ c: 0, top: null }]);
    expect(fx.read('target/compiled/fx/models/m.sql')).toMatch(/\(select \* from "main"\."s" where false limit 0\) _dbt_limit_subq_s/);
    const cols = await fx.query("select column_name from information_schema.columns where table_name = 'm' order by ordinal_position");
    expect(cols).toEqual([{ column_name: 'id' }, { column_name: 'name' }]);
  }, 400_000);

  it('ls, compile and build treat a criterion that matches nothing alike: a warning naming it and near names, exit 0; exit 1 under --warn-error', async () => {
    const fx = project({ 'models/orders.sql': 'select 1 as id', 'models/customers.sql': 'select 1 as id' });
    for (const cmd of ['ls', 'compile', 'build']) {
      const r = await fx.tx(cmd, '--select', 'order');
      expect(r.code, cmd).toBe(0);
      expect(`${r.stdout}${r.stderr}`).toMatch(/The selection criterion `order` does not match any enabled nodes \(did you mean `orders`\?\)/);
    }
    for (const cmd of ['ls', 'build']) expect((await fx.tx(cmd, '--select', 'order', '--warn-error')).code, cmd).toBe(1);
    expect((await fx.tx('compile', '--select', 'order', '--warn-error-options', '{error: all, warn: [NoNodesForSelectionCriteria]}')).code).toBe(0);
    expect(fx.exists('fx.duckdb')).toBe(false);
    const ls = await fx.tx('ls', '--select', 'orders', '--output', 'name');
    expect(ls.stdout.trim()).toBe('orders');
  }, 400_000);
});

describe.concurrent('run-operation, clone, parse', () => {
  it('tx run-operation calls a macro with execute true against the target and reports each statement; an unknown macro is did-you-mean, exit 2', async () => {
    const fx = project({
      'dbt_project.yml': 'name: ops\nprofile: ops\nconfig-version: 2\n',
      'profiles.yml': 'ops:\n  target: dev\n  outputs:\n    dev: {type: duckdb, path: target/ops.duckdb, schema: main}\n',
      'models/m.sql': 'select 1 as n',
      'macros/ops.sql': dedent(`
        {% macro record(role, n=1) %}
          {% if execute %}
            {% do run_query("create table if not exists main.ops_log as select 'x' as role, 0 as n where false") %}
            {% do run_query("insert into main.ops_log values ('" ~ role ~ "', " ~ n ~ ")") %}
          {% endif %}
        {% endmacro %}
      `),
    });
    const r = await fx.tx('run-operation', 'record', '--args', '{role: analyst, n: 3}');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ran: insert into main\.ops_log values \('analyst', 3\)/);
    expect(r.stdout).toMatch(/Ran macro record: 2 statements against target dev/);
    expect((await fx.tx('run-operation', 'record', '--args', 'role: dev')).code).toBe(0);
    expect(await fx.query('select role, n from main.ops_log order by role', fx.path('target/ops.duckdb'))).toEqual([
      { role: 'analyst', n: 3 },
      { role: 'dev', n: 1 },
    ]);
    const bad = await fx.tx('run-operation', 'recrd');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/no macro named `recrd`\n\s+hint: did you mean `record`\?/);
    expect(await fx.query('select count(*)::int as n from main.ops_log', fx.path('target/ops.duckdb'))).toEqual([{ n: 2 }]); // nothing ran
    const badArgs = await fx.tx('run-operation', 'record', '--args', '[1, 2]');
    expect(badArgs.code).toBe(2);
    expect(badArgs.stderr).toMatch(/--args must be a mapping/);
  }, 400_000);

  it('tx run-operation works in a tx project (project.yml): dbt\'s run_query, statement and dbt.* load for it', async () => {
    const fx = project({
      'project.yml': 'name: txops\ntargets:\n  dev: {type: duckdb, path: target/ops.duckdb, schema: main}\ntarget: dev\n',
      'models/m.sql': 'select 1 as n',
      'macros/ops.sql': dedent(`
        {% macro stamp(label) %}
          {% call statement('make') %}create table if not exists main.stamps (label varchar, stamped_at timestamp){% endcall %}
          {% do run_query("insert into main.stamps select '" ~ label ~ "', " ~ dbt.current_timestamp()) %}
          {{ log('stamps: ' ~ run_query('select count(*) from main.stamps').columns[0].values()[0], info=True) }}
          {{ log([label, 1, none, true], info=True) }}
        {% endmacro %}
      `),
    });
    const r = await fx.tx('run-operation', 'stamp', '--args', '{label: first}');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/stamps: 1/);
    expect(r.stdout).toContain("['first', 1, None, True]"); // Python's str() of the message, as dbt logs it
    expect(r.stdout).toMatch(/Ran macro stamp: 3 statements against target dev/);
    expect(await fx.query('select label from main.stamps', fx.path('target/ops.duckdb'))).toEqual([{ label: 'first' }]);
    // the project's models still compile as a tx project's: dbt's macros are for the operation only
    expect((await fx.tx('build')).code).toBe(0);
  }, 400_000);

  it('tx clone makes the selected relations of the state appear in another schema as views, and leaves existing ones without --full-refresh', async () => {
    const fx = project(SLIM);
    expect((await fx.tx('build')).code).toBe(0);
    cpSync(fx.path('target/manifest.json'), fx.path('prod-artifacts/manifest.json'));
    const r = await fx.tx('clone', '--target', 'ci', '--state', 'prod-artifacts', '--select', 'base', 'm_body');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/OK cloned base: view "ci"\."base" over "wh"\."prod"\."base"/);
    const wh = fx.path('target/wh.duckdb');
    expect((await fx.relations(wh)).filter((x) => x.schema === 'ci').map((x) => `${x.name}:${x.type}`).sort()).toEqual(['base:view', 'm_body:view']);
    expect(await fx.query('select count(*)::int as n from ci.m_body', wh)).toEqual([{ n: 2 }]);
    const again = await fx.tx('clone', '--target', 'ci', '--state', 'prod-artifacts', '--select', 'base');
    expect(again.stdout).toMatch(/SKIP base: "ci"\."base" exists/);
    const none = await fx.tx('clone', '--target', 'ci');
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/tx clone needs --state DIR/);
  }, 400_000);

  it('tx docs generate --select reads column types for the selected nodes only', async () => {
    const fx = project({ 'models/a.sql': 'select 1 as n', 'models/b.sql': "select * from {{ ref('a') }}" });
    expect((await fx.tx('build')).code).toBe(0);
    const r = await fx.tx('docs', 'generate', '--select', 'b');
    expect(r.code).toBe(0);
    expect(Object.keys(fx.json<{ nodes: Record<string, unknown> }>('target/catalog.json').nodes)).toEqual(['model.fx.b']);
    const none = await fx.tx('docs', 'generate', '--select', 'bb', '--warn-error');
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/The selection criterion `bb` does not match any enabled nodes \(did you mean `b`/);
  }, 400_000);

  it('tx parse writes the manifest without opening the database', async () => {
    const fx = project({ 'models/a.sql': 'select 1 as n', 'models/b.sql': "select * from {{ ref('a') }}" });
    const r = await fx.tx('parse');
    expect(r.code).toBe(0);
    const m = fx.json<{ nodes: Record<string, { depends_on: { nodes: string[] } }> }>('target/manifest.json');
    expect(m.nodes['model.fx.b']!.depends_on.nodes).toEqual(['model.fx.a']);
    expect(fx.exists('fx.duckdb')).toBe(false);
  }, 400_000);
});

/** Run SQL on a DuckDB file (the test's own writes, outside tx). */
async function duckdbExec(file: string, sql: string): Promise<void> {
  mkdirSync(join(file, '..'), { recursive: true });
  const db = await DuckDBInstance.create(file);
  try {
    const conn = await db.connect();
    await conn.run(sql);
    conn.closeSync();
  } finally {
    db.closeSync();
  }
}

describe.concurrent('source_status:fresher and --warn-error on tests', () => {
  it('selects the sources loaded since the --state freshness run, and what reads them', async () => {
    const fx = project({
      'models/sources.yml': dedent(`
        version: 2
        sources:
          - name: shop
            loaded_at_field: loaded_at
            freshness:
              warn_after: {count: 100, period: day}
            tables:
              - name: orders
              - name: customers
      `),
      'models/o.sql': "select * from {{ source('shop', 'orders') }}",
      'models/c.sql': "select * from {{ source('shop', 'customers') }}",
    });
    await duckdbExec(fx.dbFile, "create schema shop; create table shop.orders as select 1 as id, timestamp '2026-01-01 00:00:00' as loaded_at; create table shop.customers as select 1 as id, timestamp '2026-01-01 00:00:00' as loaded_at;");
    expect((await fx.tx('source', 'freshness')).code).toBe(0);
    cpSync(fx.path('target/sources.json'), fx.path('before/sources.json'));
    await duckdbExec(fx.dbFile, "insert into shop.orders values (2, timestamp '2026-02-01 00:00:00')");
    expect((await fx.tx('source', 'freshness')).code).toBe(0);
    const r = await fx.tx('ls', '--select', 'source_status:fresher+', '--state', 'before', '--output', 'name');
    expect(r.stderr).toBe('');
    // a source by dbt's search name, source.table
    expect(r.stdout.trim().split('\n').sort()).toEqual(['o', 'shop.orders']);
    const noState = await fx.tx('ls', '--select', 'source_status:fresher');
    expect(noState.code).toBe(2);
  }, 400_000);

  it('--warn-error makes a test that warns fail (exit 1); --warn-error-options can keep it a warning', async () => {
    const fx = project({
      'models/m.sql': 'select null as id',
      'models/props.yml': 'version: 2\nmodels:\n  - name: m\n    columns:\n      - name: id\n        tests:\n          - not_null:\n              config: {severity: warn}\n',
    });
    const plain = await fx.tx('build');
    expect(plain.code).toBe(0);
    expect(fx.json<Results>('target/run_results.json').results.map((r) => r.status).sort()).toEqual(['success', 'warn']);
    const strict = await fx.tx('build', '--warn-error');
    expect(strict.code).toBe(1);
    expect(fx.json<Results>('target/run_results.json').results.map((r) => r.status).sort()).toEqual(['fail', 'success']);
    const kept = await fx.tx('build', '--warn-error-options', '{error: all, warn: [LogTestResult]}');
    expect(kept.code).toBe(0);
    const only = await fx.tx('build', '--warn-error-options', '{include: [LogTestResult]}');
    expect(only.code).toBe(1);
  }, 400_000);
});
