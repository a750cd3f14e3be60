/**
 * Data tests, store_failures, the build gate and an enforced contract on PostgreSQL (a real server:
 * see testing/services/postgres.ts), through the CLI.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresTargets, scratchDatabase, type ScratchDatabase } from '../../testing/postgres-scratch.js';
import { Fixture } from './test-fixture.js';

let pgdb: ScratchDatabase;
let fx: Fixture;

beforeAll(async () => {
  pgdb = await scratchDatabase('tx_data_tests');
  fx = new Fixture({
    'project.yml': `name: fx\ntarget: pg\ntargets:\n${postgresTargets([['pg', 'app']])}\n`,
    'models/report.sql': "{{ config(materialized='table') }}\nselect 1 as id, 'x'::text as city union all select 2, null\n",
    'models/after.sql': "{{ config(materialized='table') }}\nselect count(*) as n from {{ ref('report') }}\n",
    'models/p.yml': `
      models:
        - name: report
          config:
            contract: {enforced: true}
          columns:
            - name: id
              data_type: integer
              data_tests: [unique, not_null]
            - name: city
              data_type: text
              data_tests:
                - not_null: {config: {store_failures: true}}
      `,
  });
  fx.env = pgdb.env;
});
afterAll(async () => {
  fx?.cleanup();
  await pgdb?.close();
});

const rows = (sql: string) => pgdb.rows(sql);

const tx = (...args: string[]) => fx.tx(...args);

describe('data tests and contracts on PostgreSQL', () => {
  it('a failing test stores its rows in the audit schema and skips downstream; exit 1', async () => {
    const r = tx('build');
    expect(r.code, r.output).toBe(1);
    const res = fx.results();
    expect(res.get('unique_report_id')!.status).toBe('pass');
    expect(res.get('not_null_report_city')).toMatchObject({ status: 'fail', failures: 1 });
    expect(res.get('after')!.status).toBe('skipped');
    expect(r.output).toContain('failing rows stored in app_dbt_test__audit.not_null_report_city');
    expect(await rows('select id from app_dbt_test__audit.not_null_report_city')).toEqual([{ id: 2 }]);
    // audited before publish: the failing first version of report was never created
    expect(res.get('report')!.status).toBe('error');
    expect(await rows("select table_name from information_schema.tables where table_schema = 'app' and table_name = 'report'")).toEqual([]);
  });

  it('a contract violation fails before the table is replaced', async () => {
    // a previous version to keep: published without audit (its not_null test fails)
    expect(tx('build', '--no-audit').code).toBe(1);
    fx.write('models/report.sql', "{{ config(materialized='table') }}\nselect 1::bigint as id, 'y'::text as city\n");
    const r = tx('build');
    expect(r.code, r.output).toBe(1);
    expect(r.output).toMatch(/contract violated: column `id` is bigint, the contract says integer/);
    expect(await rows('select id, city from app.report order by id')).toEqual([
      { id: 1, city: 'x' },
      { id: 2, city: null },
    ]);
    fx.write('models/report.sql', "{{ config(materialized='table') }}\nselect 1 as id, 'y'::text as city\n");
    const ok = tx('build');
    expect(ok.code, ok.output).toBe(0);
    expect(await rows('select * from app.after')).toEqual([{ n: '1' }]);
  });
});

describe('store_failures_as: view on PostgreSQL', () => {
  it("a view of the failing rows over the published table survives the table's next swap; a table replaces it and back", async () => {
    const v = new Fixture({
      'project.yml': `name: fxv\ntarget: pg\ntargets:\n${postgresTargets([['pg', 'sv']])}\nvars:\n  extra: 0\n`,
      'models/r.sql': "{{ config(materialized='table') }}\nselect 1 as id, 'x'::text as city union all select 2, null\n{% if var('extra') %}union all select 3, null{% endif %}\n",
      'models/p.yml': 'models:\n  - name: r\n    columns:\n      - name: city\n        data_tests:\n          - not_null: {config: {store_failures_as: view, severity: warn}}\n',
    });
    v.env = pgdb.env;
    try {
      const first = v.tx('build');
      expect(first.code, first.output).toBe(0);
      expect(first.output).toContain('failing rows in the view sv_dbt_test__audit.not_null_r_city');
      expect(await rows("select table_type from information_schema.tables where table_schema = 'sv_dbt_test__audit'")).toEqual([{ table_type: 'VIEW' }]);
      // PostgreSQL binds a view to its table: the swap of r keeps the view, which reads the new rows
      const second = v.tx('build', '--vars', '{extra: 1}');
      expect(second.code, second.output).toBe(0);
      expect(await rows('select id from sv_dbt_test__audit.not_null_r_city order by id')).toEqual([{ id: 2 }, { id: 3 }]);
      v.write('models/p.yml', 'models:\n  - name: r\n    columns:\n      - name: city\n        data_tests:\n          - not_null: {config: {store_failures_as: table, severity: warn}}\n');
      const table = v.tx('build');
      expect(table.code, table.output).toBe(0);
      expect(await rows("select table_type from information_schema.tables where table_schema = 'sv_dbt_test__audit'")).toEqual([{ table_type: 'BASE TABLE' }]);
      v.write('models/p.yml', 'models:\n  - name: r\n    columns:\n      - name: city\n        data_tests:\n          - not_null: {config: {store_failures_as: view, severity: warn}}\n');
      const view = v.tx('build');
      expect(view.code, view.output).toBe(0);
      expect(await rows("select table_type from information_schema.tables where table_schema = 'sv_dbt_test__audit'")).toEqual([{ table_type: 'VIEW' }]);
    } finally {
      v.cleanup();
    }
  });
});

// An incremental model's audit runs inside its build transaction; a test that asks the warehouse
// (here for the model's columns) must ask on that transaction's connection, where the column the
// new version adds exists. Asked on another connection, it saw the committed table: no `note`
// column, so the test checked `id` only, passed, and a version with null notes was published.
describe('an audited test that asks the warehouse, inside an incremental build on PostgreSQL', () => {
  it("sees the transaction's new column: the test fails, the version is refused, the table keeps its previous state", async () => {
    const v = new Fixture({
      'project.yml': `name: fxi\ntarget: pg\ntargets:\n${postgresTargets([['pg', 'inc']])}\nvars:\n  v: 1\n`,
      'models/events.sql': `
        {{ config(materialized='incremental', on_schema_change='append_new_columns') }}
        {% if var('v') == 1 %}select 1 as id{% else %}select 2 as id, null::text as note{% endif %}
        `,
      'models/p.yml': `
        models:
          - name: events
            data_tests: [no_null_columns]
        `,
      'macros/no_null_columns.sql': `
        {% test no_null_columns(model) %}
        select * from {{ model }} where {% for c in adapter.get_columns_in_relation(model) %}{{ c.name }} is null or {% endfor %}false
        {% endtest %}
        `,
    });
    v.env = pgdb.env;
    try {
      const first = v.tx('build');
      expect(first.code, first.output).toBe(0);
      const second = v.tx('build', '--vars', '{v: 2}');
      expect(second.code, second.output).toBe(1);
      expect(second.output).toMatch(/ERROR model events[\s\S]*failed its audit/);
      expect(await rows("select column_name from information_schema.columns where table_schema = 'inc' and table_name = 'events' order by 1")).toEqual([{ column_name: 'id' }]);
      expect(await rows('select id from inc.events')).toEqual([{ id: 1 }]);
    } finally {
      v.cleanup();
    }
  });
});
