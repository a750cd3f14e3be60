/**
 * `tx build` as the gate: a failed error-severity test skips everything downstream (a warning does
 * not), and an enforced contract fails the build before the table is replaced. With audit before
 * publish (the default), a test on one model runs on its new version before it replaces the old one.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Fixture } from './test-fixture.js';

const fixtures: Fixture[] = [];
afterAll(() => fixtures.forEach((f) => f.cleanup()));

function pipeline(severity: 'error' | 'warn'): Fixture {
  const fx = new Fixture({
    'models/raw.sql': "{{ config(materialized='table') }}\nselect * from (values (1, 'a'), (2, null)) as t(id, name)\n",
    'models/clean.sql': "{{ config(materialized='table') }}\nselect id, upper(name) as name from {{ ref('raw') }}\n",
    'models/report.sql': "{{ config(materialized='table') }}\nselect count(*) as n from {{ ref('clean') }}\n",
    'models/other.sql': "{{ config(materialized='table') }}\nselect 42 as answer\n",
    'models/p.yml': `
      models:
        - name: raw
          columns:
            - name: name
              data_tests:
                - not_null: {config: {severity: ${severity}}}
        - name: clean
          columns:
            - name: id
              data_tests: [unique]
        - name: other
          columns:
            - name: answer
              data_tests: [not_null]
      `,
  });
  fixtures.push(fx);
  return fx;
}

describe('tx build skips downstream of a failed test', () => {
  it('an error-severity failure skips the children and their tests, builds the rest, exits 1', async () => {
    const fx = pipeline('error');
    const r = fx.tx('build', '--junit-xml', 'ci/junit.xml');
    expect(r.code, r.output).toBe(1);
    const res = fx.results();
    // the new version of raw failed its audit: never published (no previous version: no table at all)
    expect(res.get('raw')).toMatchObject({ status: 'error' });
    expect(res.get('raw')!.message).toMatch(/failed its audit \(not_null_raw_name failed\): not published/);
    expect(res.get('not_null_raw_name')).toMatchObject({ status: 'fail', failures: 1 });
    expect(res.get('clean')).toMatchObject({ status: 'skipped', message: 'skipped because raw did not succeed' });
    expect(res.get('report')!.status).toBe('skipped');
    expect(res.get('unique_clean_id')!.status).toBe('skipped');
    expect(res.get('other')!.status).toBe('success');
    expect(res.get('not_null_other_answer')!.status).toBe('pass');
    expect(r.output).toMatch(/1 test skipped because something upstream failed/);
    const tables = (await fx.query("select table_name from information_schema.tables where table_schema = 'main' order by 1")).map((x) => x.table_name);
    expect(tables).toEqual(['other']);
    const xml = fx.read('ci/junit.xml');
    expect(xml).toMatch(/tests="3" failures="1" errors="0" skipped="1"/);
    expect(xml).toMatch(/name="not_null_raw_name \(raw\.name\)"[^>]*>\s*<failure message="not_null_raw_name: 1 failing row in raw\.name/);
    expect(xml).toMatch(/name="unique_clean_id \(clean\.id\)"[^>]*>\s*<skipped message="skipped because clean did not succeed"\/>/);
  });

  it('a warning lets everything run and exits 0', () => {
    const fx = pipeline('warn');
    const r = fx.tx('build');
    expect(r.code, r.output).toBe(0);
    const res = fx.results();
    expect(res.get('not_null_raw_name')!.status).toBe('warn');
    expect(res.get('clean')!.status).toBe('success');
    expect(res.get('report')!.status).toBe('success');
    expect(r.output).toMatch(/OK=6 WARN=1 ERROR=0 SKIP=0/);
  });
});

describe('contracts (DuckDB)', () => {
  function contracted(materialized: 'table' | 'view' | 'incremental'): Fixture {
    const fx = new Fixture({
      'models/report.sql': `{{ config(materialized='${materialized}') }}\nselect 1 as id, 'x' as city, 2.5 as cost\n`,
      'models/after.sql': "select * from {{ ref('report') }}\n",
      'models/p.yml': `
        models:
          - name: report
            config:
              contract: {enforced: true}
            columns:
              - {name: id, data_type: int}
              - {name: city, data_type: text}
              - {name: cost, data_type: "decimal(2,1)"}
        `,
    });
    fixtures.push(fx);
    return fx;
  }

  it.each(['table', 'view', 'incremental'] as const)('a %s that matches builds; one that does not fails naming the columns and keeps the previous version', async (mat) => {
    const fx = contracted(mat);
    const ok = fx.tx('build');
    expect(ok.code, ok.output).toBe(0);
    // the output changes: a type and a new column
    fx.write('models/report.sql', `{{ config(materialized='${mat}') }}\nselect 1 as id, 7 as city, 2.5 as cost, 1 as extra\n`);
    const bad = fx.tx('build');
    expect(bad.code, bad.output).toBe(1);
    expect(bad.output).toMatch(/ERROR model report: contract violated: column `city` is INTEGER, the contract says text; column `extra` is in the output but not in the contract/);
    expect(fx.results().get('after')!.status).toBe('skipped');
    const cols = await fx.query("select column_name, data_type from information_schema.columns where table_name = 'report' order by ordinal_position");
    expect(cols).toEqual([
      { column_name: 'id', data_type: 'INTEGER' },
      { column_name: 'city', data_type: 'VARCHAR' },
      { column_name: 'cost', data_type: 'DECIMAL(2,1)' },
    ]);
    expect(await fx.query('select * from main.report')).toEqual([{ id: 1, city: 'x', cost: 2.5 }]);
  });

  it('a missing column is named too', () => {
    const fx = contracted('table');
    fx.write('models/report.sql', "{{ config(materialized='table') }}\nselect 1 as id, 2.5 as cost\n");
    const r = fx.tx('build');
    expect(r.code).toBe(1);
    expect(r.output).toContain("column `city` is missing from the model's output");
  });
});
