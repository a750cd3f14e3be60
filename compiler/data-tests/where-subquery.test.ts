/**
 * `get_where_subquery`, dbt's global macro, in a dbt project's own generic test: the relation
 * filtered by the test's `where` config (dbt's `(select * from r where c) dbt_subquery`), the
 * relation itself without one. dbt-core 1.10 compiles the same test to the same SQL but for its
 * relation's database part and tx's inner `tx_where` alias (checked by hand; tx applies `where` to
 * `model` itself, so a test that calls the macro on `model` filters twice, as dbt does).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { dedent, fixtureProject } from '../../testing/fixture-project.js';

const fx = fixtureProject({
  'dbt_project.yml': 'name: wsq\nprofile: wsq\nconfig-version: 2\n',
  'profiles.yml': 'wsq:\n  target: dev\n  outputs:\n    dev: {type: duckdb, path: wsq.duckdb, schema: main, threads: 1}\n',
  'seeds/orders.csv': 'id,status,amount\n1,placed,10\n2,returned,-5\n3,placed,7\n',
  'models/o.sql': "select * from {{ ref('orders') }}\n",
  'tests/generic/no_neg.sql': dedent(`
    {% test no_neg(model, column_name) %}
    select * from {{ get_where_subquery(model) }} where {{ column_name }} < 0
    {% endtest %}
  `),
  'models/props.yml': dedent(`
    version: 2
    models:
      - name: o
        columns:
          - name: amount
            data_tests:
              - no_neg:
                  name: placed_not_negative
                  config:
                    where: "status = 'placed'"
              - no_neg:
                  name: all_not_negative
  `),
}, { dbFile: 'wsq.duckdb' });
afterAll(() => fx.cleanup());

describe('get_where_subquery in a generic test', () => {
  it("filters by the test's where, as dbt's macro does; without one it is the relation", async () => {
    const r = await fx.tx('build');
    // the returned order (-5) is outside the placed rows: only the unfiltered test fails
    expect(r.code, r.stdout + r.stderr).toBe(1);
    const out = r.stdout + r.stderr;
    expect(out).toMatch(/PASS placed_not_negative/);
    expect(out).toMatch(/FAIL all_not_negative/);
    const sql = (name: string) => fx.read(`target/compiled/wsq/models/props.yml/${name}.sql`).replace(/\s+/g, ' ').trim();
    expect(sql('placed_not_negative')).toBe(`select * from (select * from (select * from "main"."o" where status = 'placed') as tx_where where status = 'placed') dbt_subquery where amount < 0`);
    expect(sql('all_not_negative')).toBe('select * from "main"."o" where amount < 0');
    // listed as dbt lists it: the project's test macro, then dbt's get_where_subquery (a macro manifest.json lists)
    const m = fx.json<{ nodes: Record<string, { name: string; depends_on: { macros: string[] } }>; macros: Record<string, { package_name: string }> }>('target/manifest.json');
    const t = Object.values(m.nodes).find((n) => n.name === 'placed_not_negative')!;
    expect(t.depends_on.macros).toEqual(['macro.wsq.test_no_neg', 'macro.dbt.get_where_subquery']);
    expect(m.macros['macro.dbt.get_where_subquery']?.package_name).toBe('dbt');
  }, 120_000);
});
