/**
 * Test config on real DuckDB: severity, warn_if/error_if, where, limit, tags, enabled,
 * store_failures (an audit table, named in the output) and the project.yml `data_tests:` hierarchy.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Fixture } from './test-fixture.js';

const fixtures: Fixture[] = [];
afterAll(() => fixtures.forEach((f) => f.cleanup()));

function project(tests: string, extra: Record<string, string> = {}): Fixture {
  const fx = new Fixture({
    // ten orders; amount is null for ids 3, 6 and 9; status 'x' for ids 2 and 4
    'models/orders.sql': `{{ config(materialized='table') }}
      select i as id,
             case when i % 3 = 0 then null else i * 10 end as amount,
             case when i in (2, 4) then 'x' else 'ok' end as status
      from range(1, 11) as t(i)
      `,
    'models/props.yml': `
      models:
        - name: orders
          columns:
            - name: id
            - name: status
            - name: amount
              data_tests:
${tests
  .split('\n')
  .map((l) => `                ${l}`)
  .join('\n')}
      `,
    ...extra,
  });
  fixtures.push(fx);
  return fx;
}

describe('severity and thresholds', () => {
  it('a warn-severity failure prints WARN and exits 0', () => {
    const fx = project('- not_null:\n    config: {severity: warn}');
    const r = fx.tx('build');
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/WARN not_null_orders_amount: 3 failing rows in orders\.amount/);
    expect(r.output).toMatch(/0 tests failed, 1 warned/);
    expect(fx.results().get('not_null_orders_amount')!.status).toBe('warn');
  });

  it('a singular test sets its severity with config()', () => {
    const fx = project('- accepted_range: {min_value: 0}', {
      'tests/few_orders.sql': "{{ config(severity='warn', tags=['nightly']) }}\nselect * from {{ ref('orders') }} where amount is null\n",
    });
    const r = fx.tx('build');
    expect(r.code, r.output).toBe(0);
    expect(fx.results().get('few_orders')).toMatchObject({ status: 'warn', failures: 3 });
    expect(fx.tx('test', '--select', 'tag:nightly').code).toBe(0);
    expect([...fx.results().keys()]).toEqual(['few_orders']);
  });

  it('error_if / warn_if thresholds decide between fail, warn and pass', () => {
    const fx = project(`- not_null:\n    config: {error_if: ">3", warn_if: ">=2"}`);
    const r = fx.tx('test');
    // not built yet: the test cannot run, and says so
    expect(r.code).toBe(1);
    expect(r.output).toMatch(/has no relation main\.orders to test/);
    expect(fx.tx('run').code).toBe(0);
    let t = fx.tx('test');
    expect(t.code, t.output).toBe(0);
    expect(fx.results().get('not_null_orders_amount')).toMatchObject({ status: 'warn', failures: 3 });
    fx.write('models/props.yml', fx.read('models/props.yml').replace('error_if: ">3"', 'error_if: ">2"'));
    t = fx.tx('test');
    expect(t.code).toBe(1);
    expect(fx.results().get('not_null_orders_amount')).toMatchObject({ status: 'fail', failures: 3 });
    fx.write('models/props.yml', fx.read('models/props.yml').replace('error_if: ">2"', 'error_if: ">5"').replace('warn_if: ">=2"', 'warn_if: ">4"'));
    t = fx.tx('test');
    expect(t.code).toBe(0);
    expect(fx.results().get('not_null_orders_amount')).toMatchObject({ status: 'pass', failures: 3 });
  });

  it('severity comes from the project.yml data_tests hierarchy, a test config overrides it', () => {
    const fx = project('- not_null\n- accepted_range:\n    min_value: 50\n    config: {severity: error}', {
      'project.yml': 'name: fx\ndata_tests:\n  +severity: warn\n',
    });
    // audited before publish: only the error-severity test gates orders (the warn one never does)
    const audited = fx.tx('build');
    expect(audited.code).toBe(1);
    expect(fx.results().get('orders')!.message).toMatch(/failed its audit \(accepted_range_orders_amount\w* failed\)/);
    const r = fx.tx('build', '--no-audit');
    expect(r.code).toBe(1);
    const res = fx.results();
    expect(res.get('not_null_orders_amount')!.status).toBe('warn');
    const range = [...res.entries()].find(([k]) => k.startsWith('accepted_range_orders_amount'))![1];
    expect(range).toMatchObject({ status: 'fail', failures: 3 }); // 10, 20 and 40 are below 50
  });
});

describe('accepted_range bounds', () => {
  it('inclusive by default; inclusive: false fails on the bounds; min/max read as min_value/max_value', () => {
    const fx = project('- accepted_range: {min_value: 10, max_value: 100}\n- accepted_range: {min: 10, max: 100, inclusive: false}\n- accepted_range: {max: 50}');
    const r = fx.tx('build');
    expect(r.code).toBe(1);
    const res = [...fx.results().entries()].filter(([k]) => k.startsWith('accepted_range_orders_amount')).map(([, v]) => [v.status, v.failures]);
    expect(res.sort()).toEqual([
      ['fail', 2], // 10 and 100 are outside (10, 100)
      ['fail', 3], // 70, 80 and 100 are above 50
      ['pass', 0],
    ]);
  });
});

describe('where, limit, tags, enabled', () => {
  it('where filters the rows tested; limit caps the failing rows', () => {
    const fx = project('- not_null');
    fx.write(
      'models/props.yml',
      `
      models:
        - name: orders
          data_tests:
            - not_null:
                column_name: amount
                config: {where: "id > 5"}
            - expression_is_true:
                expression: "amount is not null"
                config: {limit: 1}
          columns: [{name: id}, {name: amount}, {name: status}]
      `,
    );
    const r = fx.tx('build');
    expect(r.code).toBe(1);
    const res = [...fx.results().entries()];
    expect(res.find(([k]) => k.startsWith('not_null_orders_amount'))![1]).toMatchObject({ status: 'fail', failures: 2 }); // ids 6 and 9
    expect(res.find(([k]) => k.startsWith('expression_is_true_orders'))![1]).toMatchObject({ status: 'fail', failures: 1 }); // 3 rows, limit 1
  });

  it('tags select tests; enabled: false leaves a test out', () => {
    const fx = project(`- not_null:\n    config: {tags: [nightly]}\n- accepted_range:\n    min_value: 0\n    config: {enabled: false}`);
    expect(fx.tx('run').code).toBe(0);
    const r = fx.tx('test', '--select', 'tag:nightly');
    expect(r.code).toBe(1);
    expect([...fx.results().keys()]).toEqual(['not_null_orders_amount']);
    fx.tx('test');
    expect([...fx.results().keys()].some((k) => k.startsWith('accepted_range'))).toBe(false);
  });
});

describe('store_failures', () => {
  it('keeps the failing rows in a table of the audit schema and names it in the output', async () => {
    const fx = project('- not_null:\n    config: {store_failures: true}');
    const r = fx.tx('build');
    expect(r.code).toBe(1);
    expect(r.output).toContain('failing rows stored in main_dbt_test__audit.not_null_orders_amount');
    const rows = await fx.query('select id from main_dbt_test__audit.not_null_orders_amount order by id');
    expect(rows.map((x) => Number(x.id))).toEqual([3, 6, 9]);
    // fixed data: the table is replaced, now empty
    fx.write('models/orders.sql', "{{ config(materialized='table') }}\nselect 1 as id, 5 as amount, 'ok' as status\n");
    const again = fx.tx('build');
    expect(again.code, again.output).toBe(0);
    expect(await fx.query('select count(*) as n from main_dbt_test__audit.not_null_orders_amount')).toEqual([{ n: 0n }]);
  });
});
