/**
 * A generic test's `where` config and `get_where_subquery`, dbt's global macro, in a dbt project's
 * own generic test, against dbt-core 1.10 (dbt-duckdb) on the same project: tx compiles the project's
 * test to dbt's SQL (its `model` is `(select * from r where c) dbt_subquery`, and a test that calls
 * the macro on it filters again, as dbt's does), but for the relation's database part, which
 * dbt-duckdb writes and tx leaves out; a built-in test reads the same filtered relation; the filtered test passes and the other fails on the rows; manifest.json lists
 * the project's test macro and dbt's get_where_subquery, as dbt's.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dbtCoreVenv, dbtEnv, noPythonFor, runDbt } from '../../testing/dbt-reference.js';
import { dedent, fixtureProject } from '../../testing/fixture-project.js';

const noPython = await noPythonFor('dbt-core 1.10');
const work = mkdtempSync(join(tmpdir(), 'tx-where-subquery-'));
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
          - name: id
            data_tests:
              - not_null:
                  name: placed_id_not_null
                  config:
                    where: "status = 'placed'"
  `),
}, { dbFile: 'wsq.duckdb' });
afterAll(() => {
  fx.cleanup();
  rmSync(work, { recursive: true, force: true });
});

const flat = (s: string) => s.replace(/\s+/g, ' ').trim();

describe.skipIf(noPython)("a generic test's where, and get_where_subquery, as dbt-core 1.10 compiles them", () => {
  const venv = dbtCoreVenv();

  it('the same SQL as dbt (but the database part), the rows it finds, dbt depends_on.macros', async () => {
    // dbt's own database file (its DuckDB's storage version is not tx's)
    const profiles = join(work, 'profiles');
    mkdirSync(profiles, { recursive: true });
    writeFileSync(join(profiles, 'profiles.yml'), `wsq:\n  target: dev\n  outputs:\n    dev: {type: duckdb, path: ${JSON.stringify(join(work, 'wsq.duckdb'))}, schema: main, threads: 1}\n`);
    const d = runDbt(venv(), fx.dir, ['compile', '--target-path', 'dbt_target'], { env: dbtEnv(work), profilesDir: profiles });
    expect(d.status, d.stdout + d.stderr).toBe(0);
    const r = await fx.tx('build');
    // the returned order (-5) is outside the placed rows: only the unfiltered test fails
    const out = r.stdout + r.stderr;
    expect(r.code, out).toBe(1);
    expect(out).toMatch(/PASS placed_not_negative/);
    expect(out).toMatch(/FAIL all_not_negative/);
    expect(out).toMatch(/PASS placed_id_not_null/);
    const compiled = (t: string) => ({ dbt: flat(fx.read(`dbt_target/compiled/wsq/models/props.yml/${t}.sql`)).replaceAll('"wsq"."main".', '"main".'), tx: flat(fx.read(`target/compiled/wsq/models/props.yml/${t}.sql`)) });
    // the project's own test: dbt's SQL
    for (const t of ['placed_not_negative', 'all_not_negative']) expect(compiled(t).tx, t).toBe(compiled(t).dbt);
    // tx's built-in not_null keeps every column of a failing row (tx shows them; dbt's selects the
    // column): the same filtered relation under it
    const nn = compiled('placed_id_not_null');
    const from = `from (select * from "main"."o" where status = 'placed') dbt_subquery where id is null`;
    expect(nn.dbt).toContain(from);
    expect(nn.tx).toContain(from);
    expect(flat(fx.read('target/compiled/wsq/models/props.yml/placed_not_negative.sql'))).toContain(`(select * from (select * from "main"."o" where status = 'placed') dbt_subquery where status = 'placed') dbt_subquery`);
    type M = { nodes: Record<string, { name: string; resource_type: string; depends_on: { macros: string[] } }>; macros: Record<string, { package_name: string }> };
    const dbtM = JSON.parse(readFileSync(fx.path('dbt_target/manifest.json'), 'utf8')) as M;
    const txM = fx.json<M>('target/manifest.json');
    const macrosOf = (m: M) => Object.fromEntries(Object.values(m.nodes).filter((n) => n.resource_type === 'test').map((n) => [n.name, n.depends_on.macros]));
    expect(macrosOf(txM)).toEqual(macrosOf(dbtM));
    expect(macrosOf(txM).placed_not_negative).toEqual(['macro.wsq.test_no_neg', 'macro.dbt.get_where_subquery']);
    expect(txM.macros['macro.dbt.get_where_subquery']?.package_name).toBe('dbt');
  }, 600_000);
});
