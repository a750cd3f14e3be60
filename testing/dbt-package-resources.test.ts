/**
 * A dbt package's models, seeds, tests (generic and singular), snapshots and sources become nodes
 * of the project (issue 12), with dbt's package_name, fqn and unique ids (`model.<package>.<name>`),
 * configured by the package's own dbt_project.yml and overridden from the root project's
 * `models: <package>:` block, which wins even over the package model's config() call, as in
 * dbt-core 1.10. A local package (packages.yml `local:`) is built by tx and by dbt-core 1.10 +
 * dbt-duckdb on copies of the same project: `tx ls` and `dbt ls` list the same ids, and every
 * table and view of the two databases is the same, row for row.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbtCoreVenv, dbtEnv, lsIds, noPythonFor, runDbt, writeProfiles } from './dbt-reference.js';
import { dedent, queryDuckdb, runCli, writeFiles, type Row, type TxRun } from './fixture-project.js';

const noPython = await noPythonFor('dbt-core 1.10 + dbt-duckdb');

const work = mkdtempSync(join(tmpdir(), 'tx-pkg-res-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const env = dbtEnv(work);

/** The package: a seed (typed by its own dbt_project.yml), a macro, models in folders, a source, generic and singular tests, a snapshot. */
const PACKAGE = {
  'dbt_project.yml': dedent(`
    name: mypkg
    version: '1.0.0'
    config-version: 2
    models:
      mypkg:
        +materialized: table
        staging:
          +materialized: view
    seeds:
      mypkg:
        +column_types:
          price_cents: integer
  `),
  'seeds/pkg_products.csv': 'id,name,price_cents,updated_at\n1,apple,120,2024-01-01 10:00:00\n2,pear,95,2024-01-02 11:30:00\n3,plum,310,2024-01-03 09:15:00\n',
  'macros/cents.sql': '{% macro cents_to_dollars(col) %}({{ col }} / 100.0){% endmacro %}\n',
  'tests/generic/positive.sql': '{% test is_positive(model, column_name) %}\nselect * from {{ model }} where {{ column_name }} <= 0\n{% endtest %}\n',
  'tests/assert_three_products.sql': "select count(*) as n from {{ ref('pkg_products') }} having count(*) <> 3\n",
  'models/staging/stg_products.sql': "select id, name, {{ cents_to_dollars('price_cents') }} as price, updated_at from {{ ref('pkg_products') }}\n",
  'models/product_sales.sql': dedent(`
    {{ config(materialized='view') }}
    select p.id, p.name, p.price, s.qty, p.price * s.qty as revenue
    from {{ ref('stg_products') }} p join {{ source('raw', 'sales') }} s on s.product_id = p.id
  `),
  'models/schema.yml': dedent(`
    version: 2
    sources:
      - name: raw
        schema: main
        tables:
          - name: sales
            columns:
              - name: product_id
                data_tests: [not_null]
    models:
      - name: stg_products
        columns:
          - name: id
            data_tests: [unique, not_null]
          - name: price
            data_tests: [is_positive]
      - name: product_sales
        columns:
          - name: revenue
            data_tests: [not_null]
  `),
  'snapshots/products_snap.sql': dedent(`
    {% snapshot products_snapshot %}
    {{ config(unique_key='id', strategy='timestamp', updated_at='updated_at', target_schema='main') }}
    select * from {{ ref('pkg_products') }}
    {% endsnapshot %}
  `),
};

/** The root project: installs the package, overrides its config, refs its models with and without the package name. */
const ROOT = {
  'dbt_project.yml': dedent(`
    name: shop
    version: '1.0.0'
    config-version: 2
    profile: shop
    models:
      mypkg:
        staging:
          +schema: pkgstage
        product_sales:
          +materialized: table
  `),
  'packages.yml': 'packages:\n  - local: ../pkg\n',
  'models/top_products.sql': "select name, revenue from {{ ref('mypkg', 'product_sales') }} where revenue > (select min(revenue) from {{ ref('product_sales') }})\n",
};

const profile = (db: string) =>
  // the venv's duckdb (2.x) writes a newer storage format than @duckdb/node-api 1.5 reads
  `shop:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: ${JSON.stringify(db)}\n      threads: 1\n      config_options: {storage_compatibility_version: v1.5.0}\n`;

/** The source table the package reads, made before either tool builds. */
async function makeSource(db: string): Promise<void> {
  const instance = await DuckDBInstance.create(db);
  const conn = await instance.connect();
  await conn.run('create table main.sales as select * from (values (1, 3), (2, 5), (3, 1), (1, 2)) t(product_id, qty)');
  conn.closeSync();
  instance.closeSync();
}

function copyOf(name: string): { dir: string; db: string } {
  const base = join(work, name);
  writeFiles(join(base, 'pkg'), PACKAGE);
  writeFiles(join(base, 'shop'), ROOT);
  return { dir: join(base, 'shop'), db: join(base, 'shop', `${name}.duckdb`) };
}

const txCopy = copyOf('tx');
let deps: TxRun;
let build: TxRun;
let ls: TxRun;

beforeAll(async () => {
  writeFileSync(join(txCopy.dir, 'profiles.yml'), profile(txCopy.db));
  await makeSource(txCopy.db);
  deps = await runCli(['deps'], { cwd: txCopy.dir, env });
  build = await runCli(['build'], { cwd: txCopy.dir, env, timeoutMs: 180_000 });
  ls = await runCli(['ls', '--output', 'json'], { cwd: txCopy.dir, env });
}, 240_000);


describe('a local package\'s resources with tx', () => {
  it('tx deps installs it; tx build builds its seed, models, snapshot and tests: 11 of 11', () => {
    expect(deps.code, deps.output).toBe(0);
    expect(build.code, build.output).toBe(0);
    expect(build.output).toMatch(/OK=11 WARN=0 ERROR=0 SKIP=0/);
  });

  it('unique ids carry the package name', () => {
    expect(ls.code, ls.output).toBe(0);
    const ids = lsIds(ls.stdout);
    expect(ids).toContain('model.mypkg.product_sales');
    expect(ids).toContain('seed.mypkg.pkg_products');
    expect(ids).toContain('source.mypkg.raw.sales');
    expect(ids).toContain('snapshot.mypkg.products_snapshot');
    expect(ids).toContain('test.mypkg.assert_three_products');
    expect(ids).toContain('model.shop.top_products');
  });

  it('a package model referring to a model that does not exist: exit 2 naming the package file', async () => {
    const bad = copyOf('bad');
    writeFileSync(join(bad.dir, '..', 'pkg', 'models', 'broken.sql'), "select * from {{ ref('no_such_model') }}\n");
    writeFileSync(join(bad.dir, 'profiles.yml'), profile(bad.db));
    expect((await runCli(['deps'], { cwd: bad.dir, env })).code).toBe(0);
    const r = await runCli(['build'], { cwd: bad.dir, env });
    expect(r.code).toBe(2);
    expect(r.output).toMatch(/dbt_packages\/mypkg\/models\/broken\.sql/);
    expect(r.output).toMatch(/no_such_model/);
    await expect(queryDuckdb(bad.db, "select count(*) as n from information_schema.tables where table_schema <> 'information_schema'")).rejects.toThrow(/no DuckDB file/);
  });
});

describe('two packages with the same name', () => {
  it('tx deps: exit 2 naming packages.yml and its line, nothing installed', async () => {
    const base = join(work, 'twins');
    writeFiles(join(base, 'a'), { 'dbt_project.yml': "name: twin\nversion: '1.0'\nconfig-version: 2\n" });
    writeFiles(join(base, 'b'), { 'dbt_project.yml': "name: twin\nversion: '1.0'\nconfig-version: 2\n" });
    writeFiles(join(base, 'shop'), { 'dbt_project.yml': "name: shop\nversion: '1.0'\nconfig-version: 2\n", 'packages.yml': 'packages:\n  - local: ../a\n  - local: ../b\n' });
    const r = await runCli(['deps'], { cwd: join(base, 'shop'), env });
    expect(r.code).toBe(2);
    expect(r.output).toMatch(/two packages are named `twin`/);
    expect(r.output).toMatch(/packages\.yml:3/);
    expect(existsSync(join(base, 'shop', 'dbt_packages'))).toBe(false);
    expect(existsSync(join(base, 'shop', 'package-lock.yml'))).toBe(false);
  });
});

describe.skipIf(noPython)('a local package: tx equals dbt-core 1.10 + dbt-duckdb', () => {
  const venv = dbtCoreVenv();
  const dbtCopy = copyOf('dbt');
  const dbtProfiles = join(work, 'dbt-profiles');
  const dbt = (args: string[]) => runDbt(venv(), dbtCopy.dir, args, { env, profilesDir: dbtProfiles });

  beforeAll(async () => {
    writeProfiles(dbtProfiles, profile(dbtCopy.db));
    await makeSource(dbtCopy.db);
  }, 590_000);

  it('dbt ls lists the same unique ids as tx ls', () => {
    const d = dbt(['deps']);
    expect(d.status, d.stdout + d.stderr).toBe(0);
    const r = dbt(['ls', '--output', 'json', '--output-keys', 'unique_id']);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const dbtIds = lsIds(r.stdout);
    expect(dbtIds).toHaveLength(12);
    expect(lsIds(ls.stdout)).toEqual(dbtIds);
  }, 300_000);

  it('dbt build passes 11 of 11; every relation equals tx\'s: schema, kind, columns and types, rows in any order', async () => {
    const r = dbt(['build']);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/PASS=11 WARN=0 ERROR=0 SKIP=0/);
    const relations = async (db: string) =>
      (await queryDuckdb(db, "select table_schema, table_name, table_type from information_schema.tables where table_schema not in ('information_schema', 'pg_catalog') order by 1, 2")).map(
        (x) => `${String(x.table_schema)}.${String(x.table_name)} ${String(x.table_type)}`,
      );
    const txRel = await relations(txCopy.db);
    expect(txRel).toEqual(await relations(dbtCopy.db));
    // the package's staging folder in the schema the root project gave it; product_sales a table though its config() says view
    expect(txRel).toContain('main_pkgstage.stg_products VIEW');
    expect(txRel).toContain('main.product_sales BASE TABLE');
    expect(txRel).toContain('main.products_snapshot BASE TABLE');
    expect(txRel).toHaveLength(6);
    for (const entry of txRel) {
      const [schema, name] = entry.split(' ')[0]!.split('.') as [string, string];
      const columns = async (db: string) =>
        (await queryDuckdb(db, `select column_name, data_type from information_schema.columns where table_schema = '${schema}' and table_name = '${name}' order by ordinal_position`)).map(
          (x) => `${String(x.column_name)} ${String(x.data_type)}`,
        );
      expect(await columns(txCopy.db), entry).toEqual(await columns(dbtCopy.db));
      const rows = async (db: string): Promise<string[]> => (await queryDuckdb(db, `select * from "${schema}"."${name}"`)).map(canonical).sort();
      const txRows = await rows(txCopy.db);
      expect(txRows.length, entry).toBeGreaterThan(0);
      expect(txRows, entry).toEqual(await rows(dbtCopy.db));
    }
  }, 300_000);
});

function canonical(r: Row): string {
  return JSON.stringify(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? `${v}n` : v instanceof Date ? v.toISOString() : v === null ? null : typeof v === 'object' ? String(v) : v]));
}
