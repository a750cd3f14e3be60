/**
 * Run-time introspection (issue 12) against dbt-core 1.10: one model asks the warehouse while it
 * runs (`execute`, `adapter.get_relation` of a table and of nothing, `get_columns_in_relation`,
 * `get_missing_columns`, a `statement` block and `load_result`, `run_query` and its table's
 * columns and rows, `adapter.create_schema`, `adapter.drop_relation`, `api.Relation.create`,
 * `this.incorporate`, `graph.nodes`/`graph.sources`) and writes what it got as a row. tx and
 * dbt-core 1.10 build the same project on DuckDB (dbt-duckdb) and on PostgreSQL (dbt-postgres):
 * the rows are equal, and so are the side effects (the schema created, the table dropped). On
 * Spark (a dbt-spark thrift profile, tx's Hive target; no dbt-spark here to compare with) every
 * value but the column types equals tx's on DuckDB, and the types are Spark's names.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryDuckdb, runCli, writeFiles } from './fixture-project.js';
import { dbtPostgresProfile } from './dbt-reference.js';
import { provisionDbtCore } from './services/dbt-venvs.js';
import { createTestDatabase, startPostgres, type PostgresService, type TestDatabase } from './services/postgres.js';
import { openHiveSession, type HiveSessionHandle } from './services/hive-client.js';
import { findPython, type Venv } from './services/python-venv.js';
import { serviceUnavailable } from './services/require.js';
import { skipEachWithout } from './services/service-suite.js';
import { startSparkThriftServer, type HiveService } from './services/spark.js';

const noPython = (await findPython()) === null;
if (noPython) serviceUnavailable('python', 'no Python >= 3.8 with venv (TX_TEST_PYTHON) for dbt-core 1.10 with dbt-duckdb and dbt-postgres');

const work = mkdtempSync(join(tmpdir(), 'tx-dbt-introspection-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const env = { HOME: join(work, 'home'), DBT_PROFILES_DIR: undefined, DBT_SEND_ANONYMOUS_USAGE_STATS: 'false', DO_NOT_TRACK: '1', NO_COLOR: '1' };

const INTRO = "-- depends_on: {{ ref('to_drop') }}\n{% set base_rel = ref('base') %}\n{% set narrow_rel = ref('narrow') %}\n{% set out = {} %}\n{% if execute %}\n{% set rel = adapter.get_relation(database=this.database, schema=this.schema, identifier='base') %}\n{% set absent = adapter.get_relation(database=this.database, schema=this.schema, identifier='no_such_table') %}\n{% set cols = adapter.get_columns_in_relation(base_rel) %}\n{% set missing = adapter.get_missing_columns(base_rel, narrow_rel) %}\n{% call statement('cnt', fetch_result=True) %}select count(*) as c from {{ base_rel }}{% endcall %}\n{% set cnt = load_result('cnt') %}\n{% set q = run_query('select max(id) as m, sum(amount) as s from ' ~ base_rel) %}\n{% do adapter.create_schema(api.Relation.create(database=this.database, schema=this.schema ~ '_extra')) %}\n{% do adapter.drop_relation(api.Relation.create(database=this.database, schema=this.schema, identifier='to_drop', type='table')) %}\n{% do out.update({\n  'rel_identifier': rel.identifier, 'rel_type': rel.type, 'absent_is_none': absent is none,\n  'col_names': cols | map(attribute='name') | join(','),\n  'col_types': cols | map(attribute='dtype') | join(','),\n  'col_data_types': cols | map(attribute='data_type') | join(','),\n  'missing_cols': missing | map(attribute='name') | join(','),\n  'cnt': cnt['data'][0][0], 'cnt_status_ok': cnt['response'] is not none,\n  'max_id': q.columns[0].values()[0], 'sum_amount': q.columns[1].values()[0], 'q_columns': q.column_names | join(','), 'q_rows': q.rows | length,\n}) %}\n{% endif %}\n{% set inc = this.incorporate(path={'identifier': 'other_name'}) %}\nselect\n  '{{ out.get(\"rel_identifier\") }}' as rel_identifier,\n  '{{ out.get(\"rel_type\") }}' as rel_type,\n  '{{ out.get(\"absent_is_none\") }}' as absent_is_none,\n  '{{ out.get(\"col_names\") }}' as col_names,\n  '{{ out.get(\"col_types\") }}' as col_types,\n  '{{ out.get(\"col_data_types\") }}' as col_data_types,\n  '{{ out.get(\"missing_cols\") }}' as missing_cols,\n  '{{ out.get(\"cnt\") }}' as cnt,\n  '{{ out.get(\"max_id\") }}' as max_id,\n  '{{ out.get(\"sum_amount\") }}' as sum_amount,\n  '{{ out.get(\"q_columns\") }}' as q_columns,\n  '{{ out.get(\"q_rows\") }}' as q_rows,\n  '{{ inc.identifier }}' as inc_identifier,\n  '{{ inc.schema }}' as inc_schema,\n  '{{ graph.nodes.values() | selectattr(\"resource_type\", \"equalto\", \"model\") | map(attribute=\"name\") | sort | join(\",\") }}' as model_names,\n  '{{ graph.sources.values() | map(attribute=\"name\") | sort | join(\",\") }}' as source_names,\n  '{{ execute }}' as exec_flag\n";

const files = (profile: string, spark = false): Record<string, string> => ({
  'dbt_project.yml': "name: intro\nversion: '1.0'\nconfig-version: 2\nprofile: intro\nmodels:\n  intro:\n    +materialized: table\n",
  'profiles.yml': profile,
  'models/base.sql': spark
    ? "select 1 as id, 'a' as name, cast(2.5 as double) as amount, cast('x' as string) as code, cast(1.25 as decimal(10,2)) as price\nunion all select 2, 'b', 4.0, 'y', 2.5\n"
    : "select 1 as id, 'a' as name, cast(2.5 as double precision) as amount, cast('x' as varchar(10)) as code, cast(1.25 as numeric(10,2)) as price\nunion all select 2, 'b', 4.0, 'y', 2.5\n",
  'models/narrow.sql': 'select 1 as id\n',
  'models/to_drop.sql': 'select 1 as x\n',
  'models/sources.yml': 'version: 2\nsources:\n  - name: raw\n    tables:\n      - name: things\n',
  'models/intro.sql': INTRO,
});

describe.skipIf(noPython)('run-time introspection: tx equals dbt-core 1.10', () => {
  let venv: Venv;
  beforeAll(async () => {
    venv = await provisionDbtCore();
  }, 590_000);
  const dbtBuild = (dir: string) => spawnSync(join(venv.dir, 'bin', 'dbt'), ['build', '--profiles-dir', dir], { cwd: dir, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 400_000 });

  it('on DuckDB (dbt-duckdb): the same row, the same schema created and table dropped', async () => {
    const duck = (db: string) => `intro:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: ${JSON.stringify(db)}\n      threads: 1\n`;
    const txDir = join(work, 'duck-tx');
    const dbtDir = join(work, 'duck-dbt');
    writeFiles(txDir, files(duck(join(txDir, 'tx.duckdb'))));
    writeFiles(dbtDir, files(duck(join(dbtDir, 'dbt.duckdb'))));
    const b = await runCli(['build'], { cwd: txDir, env, timeoutMs: 180_000 });
    expect(b.code, b.output).toBe(0);
    const d = dbtBuild(dbtDir);
    expect(d.status, d.stdout + d.stderr).toBe(0);
    const sql = [
      'select * from main.intro',
      "select count(*)::varchar as n from information_schema.schemata where schema_name = 'main_extra'",
      "select count(*)::varchar as n from information_schema.tables where table_name = 'to_drop'",
    ];
    // dbt-duckdb's file is read with its own duckdb (a newer storage version than tx's)
    const py = spawnSync(join(venv.dir, 'bin', 'python'), ['-c', `import duckdb,json\nc=duckdb.connect(${JSON.stringify(join(dbtDir, 'dbt.duckdb'))},read_only=True)\nout=[]\nfor q in ${JSON.stringify(sql)}:\n  r=c.execute(q)\n  out.append([dict(zip([x[0] for x in r.description], row)) for row in r.fetchall()])\nprint(json.dumps(out))`], { encoding: 'utf8' });
    expect(py.status, py.stderr).toBe(0);
    const ref = JSON.parse(py.stdout) as Record<string, unknown>[][];
    const got = [];
    for (const q of sql) got.push(await queryDuckdb(join(txDir, 'tx.duckdb'), q));
    expect(got).toEqual(ref);
    // what dbt gave, spelled out
    expect(ref[0]![0]).toMatchObject({ rel_identifier: 'base', rel_type: 'table', absent_is_none: 'True', col_names: 'id,name,amount,code,price', missing_cols: 'name,amount,code,price', cnt: '2', max_id: '2', sum_amount: '6.5', q_columns: 'm,s', inc_identifier: 'other_name', model_names: 'base,intro,narrow,to_drop', source_names: 'things', exec_flag: 'True' });
    expect(ref.slice(1)).toEqual([[{ n: '1' }], [{ n: '0' }]]);
  }, 600_000);

  describe('on PostgreSQL (dbt-postgres)', () => {
    let svc: PostgresService;
    const dbs: TestDatabase[] = [];
    beforeAll(async () => {
      svc = await startPostgres();
    }, 120_000);
    afterAll(async () => {
      for (const x of dbs) await x.drop().catch(() => undefined);
      await svc?.stop();
    });

    it('the same row, the same schema created and table dropped', async () => {
      const profile = (db: string) => dbtPostgresProfile('intro', svc, db, 'intro');
      const txDb = await createTestDatabase(svc, 'tx_intro');
      const dbtDb = await createTestDatabase(svc, 'dbt_intro');
      dbs.push(txDb, dbtDb);
      const txDir = join(work, 'pg-tx');
      const dbtDir = join(work, 'pg-dbt');
      writeFiles(txDir, files(profile(txDb.name)));
      writeFiles(dbtDir, files(profile(dbtDb.name)));
      const b = await runCli(['build'], { cwd: txDir, env, timeoutMs: 180_000 });
      expect(b.code, b.output).toBe(0);
      const d = dbtBuild(dbtDir);
      expect(d.status, d.stdout + d.stderr).toBe(0);
      const read = async (url: string) => {
        const c = new pg.Client({ connectionString: url });
        await c.connect();
        try {
          return [
            (await c.query('select * from intro.intro')).rows,
            (await c.query("select count(*)::text as n from information_schema.schemata where schema_name = 'intro_extra'")).rows,
            (await c.query("select count(*)::text as n from information_schema.tables where table_name = 'to_drop'")).rows,
          ];
        } finally {
          await c.end();
        }
      };
      const got = await read(txDb.url);
      const ref = await read(dbtDb.url);
      expect(got).toEqual(ref);
      expect(ref[0]![0]).toMatchObject({ rel_identifier: 'base', rel_type: 'table', absent_is_none: 'True', col_names: 'id,name,amount,code,price', missing_cols: 'name,amount,code,price', cnt: '2', max_id: '2', inc_identifier: 'other_name', model_names: 'base,intro,narrow,to_drop', exec_flag: 'True' });
      expect(ref.slice(1)).toEqual([[{ n: '1' }], [{ n: '0' }]]);
    }, 600_000);
  });
});

describe('run-time introspection on Spark (dbt-spark thrift profile)', () => {
  let hive: HiveService | null = null;
  let session: HiveSessionHandle | undefined;
  const schema = `tx_intro_${Math.random().toString(36).slice(2, 8)}`;
  beforeAll(async () => {
    hive = await startSparkThriftServer();
    if (hive) session = await openHiveSession(hive.host, hive.port);
  }, 300_000);
  afterAll(async () => {
    for (const db of [schema, `${schema}_extra`]) await session?.execute(`drop database if exists ${db} cascade`).catch(() => undefined);
    await session?.close();
  });
  skipEachWithout(() => hive);

  it('the same values as on DuckDB, Spark\'s column types; the schema created and the table dropped', async () => {
    const profile = `intro:\n  target: spark\n  outputs:\n    spark:\n      type: spark\n      method: thrift\n      host: ${hive!.host}\n      port: ${hive!.port}\n      user: tx\n      schema: ${schema}\n      threads: 1\n`;
    const sparkDir = join(work, 'spark-tx');
    writeFiles(sparkDir, files(profile, true));
    const b = await runCli(['build'], { cwd: sparkDir, env, timeoutMs: 600_000 });
    expect(b.code, b.output).toBe(0);
    const duckDir = join(work, 'spark-duck-tx');
    writeFiles(duckDir, files(`intro:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: ${JSON.stringify(join(duckDir, 'tx.duckdb'))}\n`, true));
    const d = await runCli(['build'], { cwd: duckDir, env, timeoutMs: 180_000 });
    expect(d.code, d.output).toBe(0);
    const spark = (await session!.query(`select * from ${schema}.intro`))[0] as Record<string, unknown>;
    const duck = (await queryDuckdb(join(duckDir, 'tx.duckdb'), 'select * from main.intro'))[0]!;
    const typeless = (r: Record<string, unknown>) => Object.fromEntries(Object.entries(r).filter(([k]) => !/^col_(data_)?types$|^inc_schema$/.test(k)).map(([k, v]) => [k, String(v)]));
    expect(typeless(spark)).toEqual(typeless(duck));
    expect(spark.inc_schema).toBe(schema);
    expect(String(spark.col_types).toLowerCase()).toBe('int,string,double,string,decimal(10,2)');
    const dbs = (await session!.query('show databases')).map((r) => String(Object.values(r)[0]));
    expect(dbs).toContain(`${schema}_extra`);
    const tables = (await session!.query(`show tables in ${schema}`)).map((r) => String(r.tableName ?? Object.values(r)[1]));
    expect(tables).not.toContain('to_drop');
    expect(tables).toContain('intro');
  }, 600_000);
});
