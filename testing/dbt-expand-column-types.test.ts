/**
 * `adapter.expand_target_column_types` (issue 12) against dbt-core 1.10: one dbt project, copied
 * unchanged, is built twice by dbt and by tx, the second time (`--vars '{wide: true}'`) with wider
 * strings. On PostgreSQL (dbt-postgres) the incremental model's varchar(5) column becomes
 * varchar(20) and moves to the end (dbt's default__alter_column_type), a varchar(3) fed text becomes
 * varchar(256), a wider column fed narrower strings stays, the snapshot's column widens the same way,
 * and a model calling the member directly widens another model's table: information_schema's columns
 * and the rows are the same. On DuckDB (dbt-duckdb) strings have no size: the same calls change
 * nothing and raise nothing. On Spark (tx's Hive target; dbt-spark's Column never takes DESCRIBE's
 * `string`/`varchar(n)` for a string, so dbt-spark alters nothing) the direct call alters nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryDuckdb, runCli, writeFiles } from './fixture-project.js';
import { dbtCoreVenv, dbtEnv, dbtPostgresProfile, noPythonFor, runDbt } from './dbt-reference.js';
import { postgresForSuite, queryRows } from './postgres-scratch.js';
import { openHiveSession, type HiveSessionHandle } from './services/hive-client.js';
import { skipEachWithout } from './services/service-suite.js';
import { startSparkThriftServer, type HiveService } from './services/spark.js';

const noPython = await noPythonFor('dbt-core 1.10 with dbt-postgres and dbt-duckdb');

const work = mkdtempSync(join(tmpdir(), 'tx-dbt-expand-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const env = dbtEnv(work);

const wide = (narrow: string, wider: string) => `{% if var('wide', false) %}${wider}{% else %}${narrow}{% endif %}`;

const files = (profile: string): Record<string, string> => ({
  'dbt_project.yml': "name: widen\nversion: '1.0'\nconfig-version: 2\nprofile: widen\nmodels:\n  widen:\n    +materialized: table\n",
  'profiles.yml': profile,
  // name: varchar(5) then varchar(20); note: varchar(3) then text (256); code: varchar(10) then varchar(8) (stays)
  'models/events.sql': [
    "{{ config(materialized='incremental') }}",
    `select ${wide("cast('short' as varchar(5))", "cast('a much longer name!' as varchar(20))")} as name,`,
    `  ${wide('1', '2')} as id,`,
    `  ${wide("cast('xy' as varchar(3))", "cast('a note longer than three' as text)")} as note,`,
    `  ${wide("cast('ab' as varchar(10))", "cast('abcdefgh' as varchar(8))")} as code`,
    '',
  ].join('\n'),
  'models/src.sql': `select 1 as id, ${wide("cast('short' as varchar(5))", "cast('a much longer name!' as varchar(20))")} as name\n`,
  'snapshots/snap.sql': "{% snapshot snap %}\n{{ config(target_schema=target.schema, unique_key='id', strategy='check', check_cols='all') }}\nselect * from {{ ref('src') }}\n{% endsnapshot %}\n",
  'models/narrow.sql': "select cast('ab' as varchar(4)) as label, 1 as n\n",
  'models/wide_src.sql': "select cast('a label of thirty characters....' as varchar(30)) as label, 1 as n\n",
  // the member called directly: widens narrow.label to wide_src's size (nothing on DuckDB)
  'models/direct.sql': [
    "-- depends_on: {{ ref('wide_src') }} {{ ref('narrow') }}",
    "{% set out = {'none': 'n/a'} %}",
    "{% if execute and var('wide', false) %}",
    "{% do out.update({'none': adapter.expand_target_column_types(from_relation=ref('wide_src'), to_relation=ref('narrow')) is none}) %}",
    '{% endif %}',
    "select '{{ out.none }}' as returned_none, 1 as n",
    '',
  ].join('\n'),
});

const COLUMNS = (schema: string) =>
  `select table_name::text, column_name::text, ordinal_position::int as pos, data_type::text, character_maximum_length::int as len
     from information_schema.columns where table_schema = '${schema}' and table_name in ('events', 'snap', 'narrow')
    order by table_name, ordinal_position`;

describe.skipIf(noPython)('expand_target_column_types: tx equals dbt-core 1.10', () => {
  const venv = dbtCoreVenv();

  describe('on PostgreSQL (dbt-postgres)', () => {
    const pg = postgresForSuite();

    it('widens the incremental, snapshot and directly named columns as dbt does, with the same rows', async () => {
      const profile = (db: string) => dbtPostgresProfile('widen', pg.svc(), db, 'widen');
      const txDb = await pg.scratch('tx_widen');
      const dbtDb = await pg.scratch('dbt_widen');
      const txDir = join(work, 'pg-tx');
      const dbtDir = join(work, 'pg-dbt');
      writeFiles(txDir, files(profile(txDb.db.name)));
      writeFiles(dbtDir, files(profile(dbtDb.db.name)));
      for (const args of [['build'], ['build', '--vars', '{wide: true}']]) {
        const d = runDbt(venv(), dbtDir, args, { env });
        expect(d.status, d.stdout + d.stderr).toBe(0);
        const t = await runCli(args, { cwd: txDir, env, timeoutMs: 300_000 });
        expect(t.code, t.output).toBe(0);
      }
      const read = async (url: string) => ({
        columns: await queryRows(url, COLUMNS('widen')),
        events: await queryRows(url, 'select * from widen.events order by id'),
        snap: await queryRows(url, 'select id, name, dbt_valid_to is null as current from widen.snap order by dbt_valid_from, name'),
        narrow: await queryRows(url, 'select * from widen.narrow'),
        direct: await queryRows(url, 'select * from widen.direct'),
      });
      const ref = await read(dbtDb.db.url);
      const got = await read(txDb.db.url);
      expect(got).toEqual(ref);
      // what dbt did, spelled out
      const cols = (t: string) => ref.columns.filter((c) => c.table_name === t).map((c) => `${c.column_name} ${c.data_type}${c.len ? `(${c.len})` : ''}`);
      expect(cols('events')).toEqual(['id integer', 'code character varying(10)', 'name character varying(20)', 'note character varying(256)']);
      expect(cols('snap').filter((c) => !c.startsWith('dbt_'))).toEqual(['id integer', 'name character varying(20)']);
      expect(cols('narrow')).toEqual(['n integer', 'label character varying(30)']);
      expect(ref.events).toEqual([
        { id: 1, code: 'ab', name: 'short', note: 'xy' },
        { id: 2, code: 'abcdefgh', name: 'a much longer name!', note: 'a note longer than three' },
      ]);
      expect(ref.direct).toEqual([{ returned_none: 'True', n: 1 }]);
    }, 600_000);
  });

  it('on DuckDB (dbt-duckdb): strings have no size, nothing is altered and nothing fails', async () => {
    const duck = (db: string) => `widen:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: ${JSON.stringify(db)}\n      threads: 1\n`;
    const txDir = join(work, 'duck-tx');
    const dbtDir = join(work, 'duck-dbt');
    writeFiles(txDir, files(duck(join(txDir, 'tx.duckdb'))));
    writeFiles(dbtDir, files(duck(join(dbtDir, 'dbt.duckdb'))));
    for (const args of [['build'], ['build', '--vars', '{wide: true}']]) {
      const d = runDbt(venv(), dbtDir, args, { env });
      expect(d.status, d.stdout + d.stderr).toBe(0);
      const t = await runCli(args, { cwd: txDir, env, timeoutMs: 300_000 });
      expect(t.code, t.output).toBe(0);
    }
    const sql = [
      "select table_name, column_name, ordinal_position::int as pos, data_type from information_schema.columns where table_name in ('events', 'narrow', 'direct') order by table_name, ordinal_position",
      'select * from main.events order by id',
      'select * from main.direct',
    ];
    // dbt-duckdb's file is read with its own duckdb (a newer storage version than tx's)
    const py = spawnSync(join(venv().dir, 'bin', 'python'), ['-c', `import duckdb,json\nc=duckdb.connect(${JSON.stringify(join(dbtDir, 'dbt.duckdb'))},read_only=True)\nout=[]\nfor q in ${JSON.stringify(sql)}:\n  r=c.execute(q)\n  out.append([dict(zip([x[0] for x in r.description], row)) for row in r.fetchall()])\nprint(json.dumps(out))`], { encoding: 'utf8' });
    expect(py.status, py.stderr).toBe(0);
    const ref = JSON.parse(py.stdout) as Record<string, unknown>[][];
    const got = [];
    for (const q of sql) got.push(await queryDuckdb(join(txDir, 'tx.duckdb'), q));
    expect(got).toEqual(ref);
    expect(ref[0]!.filter((c) => c.table_name === 'events').map((c) => c.column_name)).toEqual(['name', 'id', 'note', 'code']);
    expect(ref[2]).toEqual([{ returned_none: 'True', n: 1 }]);
  }, 600_000);
});

describe('expand_target_column_types on Spark (dbt-spark thrift profile): alters nothing', () => {
  let hive: HiveService | null = null;
  let session: HiveSessionHandle | undefined;
  const schema = `tx_widen_${Math.random().toString(36).slice(2, 8)}`;
  beforeAll(async () => {
    hive = await startSparkThriftServer();
    if (hive) session = await openHiveSession(hive.host, hive.port);
  }, 300_000);
  afterAll(async () => {
    await session?.execute(`drop database if exists ${schema} cascade`).catch(() => undefined);
    await session?.close();
  });
  skipEachWithout(() => hive);

  it('the direct call returns None and raises nothing; the narrow table keeps its column type', async () => {
    const profile = `widen:\n  target: spark\n  outputs:\n    spark:\n      type: spark\n      method: thrift\n      host: ${hive!.host}\n      port: ${hive!.port}\n      user: tx\n      schema: ${schema}\n      threads: 1\n`;
    const dir = join(work, 'spark-tx');
    const all = files(profile);
    writeFiles(dir, {
      'dbt_project.yml': all['dbt_project.yml']!,
      'profiles.yml': profile,
      'models/narrow.sql': "select cast('ab' as varchar(4)) as label, 1 as n\n",
      'models/wide_src.sql': "select cast('a label of thirty characters....' as string) as label, 1 as n\n",
      'models/direct.sql': all['models/direct.sql']!,
    });
    const types = async () => (await session!.query(`describe ${schema}.narrow`)).map((r) => `${String(r.col_name)} ${String(r.data_type)}`);
    for (const args of [['build'], ['build', '--vars', '{wide: true}']]) {
      const t = await runCli(args, { cwd: dir, env, timeoutMs: 600_000 });
      expect(t.code, t.output).toBe(0);
    }
    // Spark's CTAS keeps no string size: varchar(4) lands as string
    expect(await types()).toEqual(['label string', 'n int']);
    expect((await session!.query(`select * from ${schema}.direct`)).map((r) => ({ ...r }))).toEqual([{ returned_none: 'True', n: 1 }]);
  }, 600_000);
});
