/**
 * dbt-duckdb's `external` materialization (issue 12): a model's rows written to files at
 * `location` (default `<external_root>/<name>.<format>`, a folder with `options.partition_by`),
 * and the relation a view over them that downstream `ref()`s read. tx and dbt-core 1.10 +
 * dbt-duckdb build copies of the same small project (parquet, csv with a delimiter, json from the
 * extension, a partitioned folder, the default location under the profile's `external_root`, a
 * model with no rows, a table downstream of the partitioned one): the same files hold the same
 * rows, and the downstream table is the same row for row. Then what tx refuses, and that a failing
 * model leaves no file (and the previous one whole).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbtCoreVenv, dbtEnv, noPythonFor, runDbt, writeProfiles } from './dbt-reference.js';
import { cliPath, duckdbMemory, queryDuckdb, runCli, writeFiles, type Row, type TxRun } from './fixture-project.js';

const noPython = await noPythonFor('dbt-core 1.10 + dbt-duckdb');

const work = mkdtempSync(join(tmpdir(), 'tx-extmodel-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const env = dbtEnv(work);

const ext = (cfg: string, sql: string) => `{{ config(materialized='external'${cfg}) }}\n${sql}\n`;
const PROJECT = {
  'dbt_project.yml': "name: extm\nversion: '1.0'\nconfig-version: 2\nprofile: extm\n",
  'seeds/people.csv': 'id,name,city,amount,joined\n1,ann,Oslo,10.5,2024-01-02\n2,bob,Rome,20,2024-02-03\n3,cid,Oslo,5.25,2024-03-04\n4,dee,"Rio, BR",7,2024-04-05\n5,eve,,1,2024-05-06\n',
  'models/people_parquet.sql': ext(", location='out/people.parquet'", "select * from {{ ref('people') }}"),
  'models/people_csv.sql': ext(", format='csv', delimiter=';'", "select id, name, city, amount from {{ ref('people') }}"),
  'models/people_json.sql': ext(", location='out/people.json'", "select id, name, joined from {{ ref('people') }}"),
  'models/people_part.sql': ext(", location='out/parts', options={'partition_by': 'city'}", "select id, name, city, amount from {{ ref('people') }}"),
  'models/people_default.sql': ext('', "select id, amount * 2 as doubled from {{ ref('people') }}"),
  'models/nobody.sql': ext(", location='out/nobody.csv'", "select id, name from {{ ref('people') }} where id < 0"),
  'models/by_city.sql': "{{ config(materialized='table') }}\nselect city, count(*) as n, sum(amount) as total, max(name) as last_name from {{ ref('people_part') }} group by city\n",
  'models/csv_again.sql': "{{ config(materialized='table') }}\nselect * from {{ ref('people_csv') }}\n",
};

const profile = (db: string) =>
  `extm:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: ${JSON.stringify(db)}\n      threads: 1\n      external_root: lake\n      config_options: {storage_compatibility_version: v1.5.0}\n`;

function copyOf(name: string, files: Record<string, string> = PROJECT): { dir: string; db: string } {
  const dir = join(work, name);
  writeFiles(dir, files);
  const db = join(dir, `${name}.duckdb`);
  writeFileSync(join(dir, 'profiles.yml'), profile(db));
  return { dir, db };
}

/** Every file under `dir`, relative, sorted. */
function listing(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else out.push(relative(dir, join(d, e.name)));
    }
  };
  if (existsSync(dir)) walk(dir);
  return out.sort();
}

const json = (rows: Row[]) => rows.map((x) => JSON.stringify(x, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)));
/** The rows of the files as DuckDB reads them, in a fixed order. */
const READS: Record<string, (dir: string) => string> = {
  people_parquet: (d) => `select * from read_parquet('${d}/out/people.parquet') order by all`,
  people_csv: (d) => `select * from read_csv('${d}/lake/people_csv.csv', delim=';', header=true) order by all`,
  people_json: (d) => `select * from read_json('${d}/out/people.json') order by all`,
  people_part: (d) => `select * from read_parquet('${d}/out/parts/*/*.parquet', hive_partitioning=true) order by all`,
  people_default: (d) => `select * from read_parquet('${d}/lake/people_default.parquet') order by all`,
  nobody: (d) => `select * from read_csv('${d}/out/nobody.csv', header=true, all_varchar=true) order by all`,
};

const txCopy = copyOf('tx');
let build: TxRun;
beforeAll(async () => {
  build = await runCli(['build'], { cwd: txCopy.dir, env, timeoutMs: 180_000 });
}, 240_000);

describe('external models with tx', () => {
  it('writes each file where dbt-duckdb would, and the relation is a view over it', async () => {
    expect(build.code, build.output).toBe(0);
    expect(build.output).toMatch(/OK=9 WARN=0 ERROR=0 SKIP=0/);
    expect(listing(join(txCopy.dir, 'lake'))).toEqual(['people_csv.csv', 'people_default.parquet']);
    expect(listing(join(txCopy.dir, 'out'))).toEqual(['nobody.csv', 'parts/city=Oslo/data_0.parquet', 'parts/city=Rio%2C%20BR/data_0.parquet', 'parts/city=Rome/data_0.parquet', 'parts/city=__HIVE_DEFAULT_PARTITION__/data_0.parquet', 'people.json', 'people.parquet'].sort());
    // the CSV as dbt-duckdb's COPY options write it: `;` and a header
    expect(readFileSync(join(txCopy.dir, 'lake', 'people_csv.csv'), 'utf8').split('\n')[0]).toBe('id;name;city;amount');
    // a model with no rows: one row of NULLs in the file (so it keeps its columns), none in the view
    expect(readFileSync(join(txCopy.dir, 'out', 'nobody.csv'), 'utf8')).toBe('id,name\n,\n');
    expect(await queryDuckdb(txCopy.db, 'select count(*)::int as n from main.nobody')).toEqual([{ n: 0 }]);
    const views = await queryDuckdb(txCopy.db, "select view_name, sql from duckdb_views() where not internal and view_name like 'people%' order by 1");
    expect(views.map((v) => v.view_name)).toEqual(['people_csv', 'people_default', 'people_json', 'people_parquet', 'people_part']);
    expect(String(views.find((v) => v.view_name === 'people_part')!.sql)).toContain(`read_parquet('${txCopy.dir}/out/parts/*/*.parquet', (union_by_name = CAST('f' AS BOOLEAN)))`);
    // the views read the files from anywhere (absolute locations): this process's cwd is not the project
    expect(await queryDuckdb(txCopy.db, 'select count(*)::int as n from main.people_part')).toEqual([{ n: 5 }]);
    expect(await queryDuckdb(txCopy.db, "select count(*)::int as n from main.by_city where city = 'Oslo' and n = 2")).toEqual([{ n: 1 }]);
    // no staging leftovers beside the files
    expect([...listing(join(txCopy.dir, 'out')), ...listing(join(txCopy.dir, 'lake'))].filter((f) => f.includes('.tx-'))).toEqual([]);
  });

  it('a second build replaces the files whole (partition folders too)', async () => {
    const again = await runCli(['build', '--select', 'people_part', 'people_parquet'], { cwd: txCopy.dir, env, timeoutMs: 180_000 });
    expect(again.code, again.output).toBe(0);
    expect(await duckdbMemory(READS.people_part!(txCopy.dir))).toHaveLength(5);
    expect(listing(join(txCopy.dir, 'out')).filter((f) => f.includes('.tx-'))).toEqual([]);
  });
});

describe.skipIf(noPython)('external models: tx equals dbt-core 1.10 + dbt-duckdb', () => {
  const venv = dbtCoreVenv();
  const dbtCopy = copyOf('dbt');
  const dbtProfiles = join(work, 'dbt-profiles');
  beforeAll(() => {
    writeProfiles(dbtProfiles, profile(dbtCopy.db));
    // dbt-duckdb's COPY does not create the folders a file goes into (tx does)
    for (const d of ['lake', 'out']) mkdirSync(join(dbtCopy.dir, d), { recursive: true });
  });

  it('the same files with the same rows, and the same downstream tables', async () => {
    const r = runDbt(venv(), dbtCopy.dir, ['build'], { env, profilesDir: dbtProfiles });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(build.code, build.output).toBe(0);
    for (const d of ['lake', 'out']) expect(listing(join(txCopy.dir, d)), d).toEqual(listing(join(dbtCopy.dir, d)));
    for (const [model, read] of Object.entries(READS)) {
      const mine = json(await duckdbMemory(read(txCopy.dir)));
      expect(mine.length, model).toBeGreaterThan(0);
      expect(mine, model).toEqual(json(await duckdbMemory(read(dbtCopy.dir))));
    }
    // the CSV and JSON files byte for byte (Parquet files carry the writer's version)
    for (const f of ['lake/people_csv.csv', 'out/people.json', 'out/nobody.csv']) expect(readFileSync(join(txCopy.dir, f), 'utf8'), f).toBe(readFileSync(join(dbtCopy.dir, f), 'utf8'));
    // the downstream tables, read through the views
    for (const t of ['by_city', 'csv_again']) {
      const rows = async (db: string) => json(await queryDuckdb(db, `select * from main.${t} order by all`));
      const mine = await rows(txCopy.db);
      expect(mine.length, t).toBeGreaterThan(0);
      expect(mine, t).toEqual(await rows(dbtCopy.db));
    }
    // the view's columns and types, as dbt-duckdb's view gives them
    const cols = async (db: string) => json(await queryDuckdb(db, "select table_name, column_name, data_type from information_schema.columns where table_name like 'people_%' or table_name = 'nobody' order by table_name, ordinal_position"));
    expect(await cols(txCopy.db)).toEqual(await cols(dbtCopy.db));
    // the views' SQL as DuckDB keeps it, the same but for tx's absolute locations (DuckDB 1.5 keeps
    // the literal False as CAST('f' AS BOOLEAN), the venv's DuckDB 2 as false)
    const viewSql = async (db: string, strip = '') =>
      (await queryDuckdb(db, "select view_name, sql from duckdb_views() where not internal order by 1")).map(
        (v) => `${String(v.view_name)}: ${String(v.sql).replaceAll(strip, '').replaceAll("CAST('f' AS BOOLEAN)", 'false').replaceAll("CAST('t' AS BOOLEAN)", 'true')}`,
      );
    const dbtViews = await viewSql(dbtCopy.db);
    expect(dbtViews).toHaveLength(6);
    expect(await viewSql(txCopy.db, `${txCopy.dir}/`)).toEqual(dbtViews);
  }, 300_000);
});

describe('what tx refuses, and failures', () => {
  const refused = async (name: string, model: string, re: RegExp) => {
    const bad = copyOf(name, { 'dbt_project.yml': PROJECT['dbt_project.yml'], 'seeds/people.csv': PROJECT['seeds/people.csv'], 'models/m.sql': model });
    const r = await runCli(['build'], { cwd: bad.dir, env });
    expect(r.code, r.output).toBe(2);
    expect(r.stderr).toMatch(re);
    expect(existsSync(bad.db), 'nothing built').toBe(false);
    expect(listing(bad.dir).filter((f) => /\.parquet$|^(out|lake)\//.test(f))).toEqual([]);
  };

  it('an unknown format: exit 2 naming the model file, as dbt-duckdb words it', async () => {
    await refused('badformat', ext(", format='orc'", 'select 1 as a'), /models\/m\.sql.*model `m` \(materialized external\): Invalid format: orc\. Allowed formats are: csv, parquet, json/s);
    await refused('badext', ext(", location='out/m.txt'", 'select 1 as a'), /models\/m\.sql.*format `txt` \(from the extension of `out\/m\.txt`\) is not one tx writes/s);
  });

  it('a location outside external_root and the export roots, or on an object store', async () => {
    await refused('outside', ext(", location='../elsewhere/m.parquet'", 'select 1 as a'), /models\/m\.sql.*location `\.\.\/elsewhere\/m\.parquet` .* is outside the project folder, external_root/s);
    await refused('abs', ext(", location='/tmp/tx-extmodel-nope/m.parquet'", 'select 1 as a'), /is outside the project folder, external_root/);
    await refused('s3', ext(", location='s3://bucket/m.parquet'", 'select 1 as a'), /location `s3:\/\/bucket\/m\.parquet`: tx writes external models to local paths only/);
  });

  it('on a target other than DuckDB: exit 2 before anything connects', async () => {
    const pg = copyOf('pg', { 'dbt_project.yml': PROJECT['dbt_project.yml'], 'models/m.sql': ext(", location='out/m.parquet'", 'select 1 as a') });
    writeFileSync(join(pg.dir, 'profiles.yml'), 'extm:\n  target: pg\n  outputs:\n    pg:\n      type: postgres\n      host: 127.0.0.1\n      port: 1\n      user: nobody\n      pass: x\n      dbname: nowhere\n      schema: s\n      threads: 1\n');
    const r = await runCli(['compile'], { cwd: pg.dir, env });
    expect(r.code, r.output).toBe(2);
    expect(r.stderr).toMatch(/models\/m\.sql.*the external materialization is dbt-duckdb's and runs on DuckDB only \(target type postgres\)/s);
    expect(existsSync(join(pg.dir, 'out'))).toBe(false);
  });

  it('glue_register, plugin and use_fsspec are named as unsupported', async () => {
    await refused('glue', ext(', glue_register=true', 'select 1 as a'), /models\/m\.sql.*`glue_register` \(registering the files in the AWS Glue catalog\) is not supported by tx/s);
    await refused('plugin', ext(", plugin='delta'", 'select 1 as a'), /`plugin: delta` is not supported: tx runs no dbt-duckdb plugins/);
    await refused('fsspec', ext(', use_fsspec=true', 'select 1 as a'), /`use_fsspec` is not supported/);
  });

  it('a failing model leaves no file; a failing rebuild leaves the previous file whole', async () => {
    const fx = copyOf('failing', {
      'dbt_project.yml': PROJECT['dbt_project.yml'],
      'models/good.sql': ext(", location='out/good.parquet'", 'select range as id from range(3)'),
      'models/bad.sql': ext(", location='out/bad.parquet'", "select cast('x' || range as integer) as id from range(3)"),
    });
    const first = await runCli(['build'], { cwd: fx.dir, env });
    expect(first.code, first.output).toBe(1);
    expect(first.output).toMatch(/Could not convert string 'x0' to INT32/);
    expect(listing(join(fx.dir, 'out'))).toEqual(['good.parquet']);
    const before = readFileSync(join(fx.dir, 'out', 'good.parquet'));
    // the good model's COPY now fails (a codec DuckDB lacks)
    writeFileSync(join(fx.dir, 'models', 'good.sql'), ext(", location='out/good.parquet', options={'compression': 'nonsense'}", 'select range * 10 as id from range(5)'));
    const second = await runCli(['build', '--select', 'good'], { cwd: fx.dir, env });
    expect(second.code, second.output).toBe(1);
    expect(second.output).toMatch(/compression argument/i);
    expect(listing(join(fx.dir, 'out'))).toEqual(['good.parquet']);
    expect(readFileSync(join(fx.dir, 'out', 'good.parquet')).equals(before)).toBe(true);
    expect(await queryDuckdb(fx.db, 'select sum(id)::int as s from main.good')).toEqual([{ s: 3 }]);
  });

  it('killed right after the COPY wrote the new file: the old file and view stay, the next build sweeps the leftover', async () => {
    const fx = copyOf('killed', { 'dbt_project.yml': PROJECT['dbt_project.yml'], 'models/good.sql': ext(", location='out/good.csv'", 'select range as id from range(3)') });
    const first = await runCli(['build'], { cwd: fx.dir, env });
    expect(first.code, first.output).toBe(0);
    const before = readFileSync(join(fx.dir, 'out', 'good.csv'), 'utf8');
    expect(before).toBe('id\n0\n1\n2\n');
    writeFileSync(join(fx.dir, 'models', 'good.sql'), ext(", location='out/good.csv'", 'select range * 10 as id from range(5)'));
    // tx stops dead right after its COPY ran (the failpoint of duckdb-connection.ts), then is killed
    const child = spawn(process.execPath, [cliPath(), 'build'], { cwd: fx.dir, env: { ...process.env, ...env, TX_TEST_PAUSE_AFTER: '^copy ' } as NodeJS.ProcessEnv, stdio: 'ignore' });
    const staged = () => listing(join(fx.dir, 'out')).filter((f) => f.startsWith('.tx-tmp-good.csv-'));
    for (let i = 0; i < 600 && staged().length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(staged(), 'the COPY wrote its hidden file').toHaveLength(1);
    await new Promise((r) => setTimeout(r, 300));
    const closed = new Promise((r) => child.on('close', r));
    child.kill('SIGKILL');
    await closed;
    expect(readFileSync(join(fx.dir, staged()[0]!.replace(/^/, 'out/')), 'utf8')).toBe('id\n0\n10\n20\n30\n40\n');
    expect(readFileSync(join(fx.dir, 'out', 'good.csv'), 'utf8')).toBe(before);
    expect(await queryDuckdb(fx.db, 'select count(*)::int as n from main.good')).toEqual([{ n: 3 }]);
    const again = await runCli(['build'], { cwd: fx.dir, env });
    expect(again.code, again.output).toBe(0);
    expect(listing(join(fx.dir, 'out'))).toEqual(['good.csv']);
    expect(readFileSync(join(fx.dir, 'out', 'good.csv'), 'utf8')).toBe('id\n0\n10\n20\n30\n40\n');
  });
});
