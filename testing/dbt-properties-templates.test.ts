/**
 * Templates in properties files (issue 12), rendered when the file is read as dbt-core 1.10
 * renders them (SchemaYamlRenderer): a source's `schema`, `identifier`, `meta` and `config`
 * values, a model's `config` and `meta`, with `var()` (project vars and --vars), `env_var()`,
 * `target` and native values (a var holding a list is a list, `false` a boolean; `{{ 1 + 2 }}`,
 * folded by Jinja, the text "3"); a source's description rendered later, with var() too. tx compiles and builds,
 * dbt-core 1.10 + dbt-duckdb parses a copy; the manifests' rendered fields are equal. Bad input: a
 * var that has no value, a secret variable in a properties file.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dbtCoreVenv, dbtEnv, noPythonFor, readArtifact, runDbt } from './dbt-reference.js';
import { dedent, queryDuckdb, runCli, writeFiles } from './fixture-project.js';

const noPython = await noPythonFor('dbt-core 1.10 + dbt-duckdb');

const work = mkdtempSync(join(tmpdir(), 'tx-props-tpl-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const env = dbtEnv(work, { SRC_OWNER: 'team-data' });

const PROPS = dedent(`
  version: 2
  sources:
    - name: raw
      schema: "{{ var('raw_schema') }}"
      meta:
        owner: "{{ env_var('SRC_OWNER', 'nobody') }}"
        level: "{{ 1 + 2 }}"
        on_target: "{{ target.name }}-{{ target.type }}"
      config:
        enabled: "{{ var('raw_enabled', true) }}"
      tables:
        - name: orders
          identifier: "{{ var('prefix') }}_orders"
          description: "orders as {{ var('prefix') }} loads them"
          meta:
            kinds: "{{ var('kinds') }}"
            untouched: plain
          columns:
            - name: id
              data_tests: [unique]
  models:
    - name: order_count
      config:
        materialized: "{{ var('mat', 'table') }}"
        tags: ["{{ var('prefix') }}", fixed]
        meta:
          flag: "{{ var('flag') }}"
`);

const PROJECT = (db: string) => ({
  'dbt_project.yml': dedent(`
    name: propt
    version: '1.0'
    config-version: 2
    profile: propt
    vars:
      raw_schema: main
      prefix: shop
      kinds: [a, b]
      flag: false
  `),
  'profiles.yml': `propt:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: ${JSON.stringify(db)}\n      threads: 1\n`,
  'seeds/shop_orders.csv': 'id,amount\n1,10\n2,20\n3,5\n',
  'models/order_count.sql': "select count(*) as n, sum(amount) as total from {{ source('raw', 'orders') }}\n",
  'models/props.yml': PROPS,
});

type Node = { schema?: string; identifier?: string; meta?: unknown; config?: Record<string, unknown>; tags?: string[]; relation_name?: string; description?: string };
type Manifest = { nodes: Record<string, Node>; sources: Record<string, Node> };
const manifestOf = (dir: string) => readArtifact<Manifest>(dir);
const picked = (m: Manifest) => {
  const s = m.sources['source.propt.raw.orders']!;
  const n = m.nodes['model.propt.order_count']!;
  return {
    source: { schema: s.schema, identifier: s.identifier, meta: s.meta, enabled: s.config?.enabled, description: s.description },
    model: { materialized: n.config?.materialized, tags: n.config?.tags, nodeTags: n.tags, meta: n.config?.meta },
  };
};

describe.skipIf(noPython)('templates in properties files: tx against dbt-core 1.10 parse', () => {
  const venv = dbtCoreVenv();

  it('sources and models: the manifest fields dbt renders, rendered the same; the build reads the templated source', async () => {
    const txDir = join(work, 'tx');
    const dbtDir = join(work, 'dbt');
    writeFiles(txDir, PROJECT(join(txDir, 'tx.duckdb')));
    writeFiles(dbtDir, PROJECT(join(dbtDir, 'dbt.duckdb')));
    const d = runDbt(venv(), dbtDir, ['parse'], { env });
    expect(d.status, d.stdout + d.stderr).toBe(0);
    const b = await runCli(['build'], { cwd: txDir, env });
    expect(b.code, b.output).toBe(0);
    const tx = picked(manifestOf(txDir));
    const dbt = picked(manifestOf(dbtDir));
    expect(tx).toEqual(dbt);
    // what dbt rendered, spelled out (so the test says what it checks)
    expect(dbt.source.schema).toBe('main');
    expect(dbt.source.identifier).toBe('shop_orders');
    expect(dbt.source.description).toBe('orders as shop loads them');
    expect(dbt.source.meta).toEqual({ owner: 'team-data', level: '3', on_target: 'dev-duckdb', kinds: ['a', 'b'], untouched: 'plain' });
    expect(dbt.model.materialized).toBe('table');
    expect(dbt.model.meta).toEqual({ flag: false });
    // the source's relation is the rendered one: the model read the seed through it
    expect(await queryDuckdb(join(txDir, 'tx.duckdb'), 'select n, total from main.order_count')).toEqual([{ n: 3, total: 35 }]);
  }, 300_000);

  it('--vars reach the properties files: a view instead of a table, as dbt builds it', async () => {
    const dir = join(work, 'tx-vars');
    writeFiles(dir, PROJECT(join(dir, 'tx.duckdb')));
    const b = await runCli(['build', '--vars', '{mat: view}'], { cwd: dir, env });
    expect(b.code, b.output).toBe(0);
    expect(await queryDuckdb(join(dir, 'tx.duckdb'), "select table_type from information_schema.tables where table_name = 'order_count'")).toEqual([{ table_type: 'VIEW' }]);
  });
});

describe('templates in properties files: bad input', () => {
  it('a var with no value: exit 2 naming the properties file and the var, nothing built', async () => {
    const dir = join(work, 'bad-var');
    writeFiles(dir, PROJECT(join(dir, 'tx.duckdb')));
    writeFileSync(join(dir, 'models', 'props.yml'), PROPS.replace("var('raw_schema')", "var('no_such_schema_var')"));
    const r = await runCli(['build'], { cwd: dir, env });
    expect(r.code, r.output).toBe(2);
    expect(r.output).toMatch(/models\/props\.yml/);
    expect(r.output).toMatch(/no_such_schema_var/);
    expect(r.output).not.toMatch(/PASS|OK created/);
  });

  it('a secret environment variable in a properties file: exit 2 naming the file, the value never printed', async () => {
    const dir = join(work, 'bad-secret');
    writeFiles(dir, PROJECT(join(dir, 'tx.duckdb')));
    writeFileSync(join(dir, 'models', 'props.yml'), PROPS.replace("env_var('SRC_OWNER', 'nobody')", "env_var('DBT_ENV_SECRET_OWNER')"));
    const r = await runCli(['compile'], { cwd: dir, env: { ...env, DBT_ENV_SECRET_OWNER: 'very-secret-owner' } });
    expect(r.code, r.output).toBe(2);
    expect(r.output).toMatch(/models\/props\.yml/);
    expect(r.output).toMatch(/secret environment variable `DBT_ENV_SECRET_OWNER`/);
    expect(r.output).not.toContain('very-secret-owner');
  });
});
