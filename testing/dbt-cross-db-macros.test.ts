/**
 * dbt's cross-database macros (`dbt.*`, compiler/template/dbt-global-macros/) on the real engines:
 * one model calls each of them, tx and dbt-core 1.10 (dbt-duckdb, dbt-postgres) build it from the
 * same project, and the values must be equal (compared as each engine's text of the value).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryDuckdb, runCli } from './fixture-project.js';
import { dbtPostgresProfile } from './dbt-reference.js';
import { provisionDbtCore } from './services/dbt-venvs.js';
import { createTestDatabase, startPostgres, type PostgresService, type TestDatabase } from './services/postgres.js';
import { findPython } from './services/python-venv.js';
import { serviceUnavailable } from './services/require.js';

const noPython = (await findPython()) === null;
if (noPython) serviceUnavailable('python', 'no Python >= 3.8 with venv and ensurepip (TX_TEST_PYTHON) for dbt-core 1.10');

const work = mkdtempSync(join(tmpdir(), 'tx-dbt-xdb-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const D = "cast('2024-01-31' as date)";
const T = "cast('2024-03-15 10:20:30' as timestamp)";
const EXPRS: [string, string][] = [
  ['date_trunc_month', `{{ dbt.date_trunc('month', "${T}") }}`],
  ['dateadd_day', `{{ dbt.dateadd('day', 3, "${D}") }}`],
  ['dateadd_month', `{{ dbt.dateadd('month', 1, "${D}") }}`],
  ['dateadd_hour', `{{ dbt.dateadd('hour', -5, "${T}") }}`],
  ['datediff_day', `{{ dbt.datediff("${D}", "${T}", 'day') }}`],
  ['datediff_week', `{{ dbt.datediff("${D}", "${T}", 'week') }}`],
  ['datediff_month', `{{ dbt.datediff("${D}", "${T}", 'month') }}`],
  ['datediff_year', `{{ dbt.datediff("cast('2020-06-01' as date)", "${T}", 'year') }}`],
  ['datediff_hour', `{{ dbt.datediff("${D}", "${T}", 'hour') }}`],
  ['last_day_month', `{{ dbt.last_day("${D}", 'month') }}`],
  ['last_day_quarter', `{{ dbt.last_day("${D}", 'quarter') }}`],
  ['concat', `{{ dbt.concat(["'a'", "'b'", "'c'"]) }}`],
  ['hash', `{{ dbt.hash("'tx'") }}`],
  ['length', `{{ dbt.length("'hello'") }}`],
  ['position', `{{ dbt.position("'l'", "'hello'") }}`],
  ['replace', `{{ dbt.replace("'hello'", "'l'", "'L'") }}`],
  ['right', `{{ dbt.right("'hello'", 3) }}`],
  ['split_part_2', `{{ dbt.split_part("'a,b,c'", "','", 2) }}`],
  ['safe_cast', `{{ dbt.safe_cast("'42'", dbt.type_int()) }}`],
  ['cast_text', `{{ dbt.cast("42", dbt.type_string()) }}`],
  ['cast_bool', `{{ dbt.cast_bool_to_text("1 = 1") }}`],
  ['string_literal', `{{ dbt.string_literal("it''s") }}`],
  ['escape_quotes', `'{{ dbt.escape_single_quotes("it's") }}'`],
  ['type_numeric', `cast(1.5 as {{ dbt.type_numeric() }})`],
  ['type_bigint', `cast(7 as {{ dbt.type_bigint() }})`],
  ['type_float', `cast(0.25 as {{ dbt.type_float() }})`],
  ['type_boolean', `cast('true' as {{ dbt.type_boolean() }})`],
  ['type_timestamp', `cast('2024-01-01 00:00:00' as {{ dbt.type_timestamp() }})`],
];
const AGGS: [string, string][] = [
  ['listagg', `{{ dbt.listagg('v', "'|'", 'order by v') }}`],
  ['listagg_limit', `{{ dbt.listagg('v', "'|'", 'order by v', 2) }}`],
  ['any_value', `{{ dbt.any_value('k') }}`],
  ['bool_or', `{{ dbt.bool_or('v = ' ~ dbt.string_literal('b')) }}`],
];
/** `interval '1 quarter'` is not PostgreSQL (dbt-postgres fails on it as well): DuckDB only. */
const DUCKDB_ONLY: [string, string][] = [['dateadd_quarter', `{{ dbt.dateadd('quarter', 1, "${D}") }}`]];
const model = (exprs: [string, string][]) => [
  'with vals as (select 1 as k, \'c\' as v union all select 1, \'a\' union all select 1, \'b\'),',
  `aggs as (select ${AGGS.map(([n, e]) => `${e} as ${n}`).join(', ')} from vals),`,
  `spine as (select count(*) as spine_days, min(date_day) as spine_first from ({{ dbt.date_spine('day', "${D}", "cast('2024-02-10' as date)") }}) s),`,
  `series as (select count(*) as series_n, max(generated_number) as series_max from ({{ dbt.generate_series(13) }}) g),`,
  `sets as (select count(*) as except_n from (select 1 as x union all select 2 {{ dbt.except() }} select 2) e),`,
  `inter as (select count(*) as intersect_n from (select 1 as x union all select 2 {{ dbt.intersect() }} select 2) i)`,
  `select ${exprs.map(([n, e]) => `${e} as ${n}`).join(',\n  ')}, aggs.*, spine.*, series.*, sets.*, inter.*`,
  'from aggs cross join spine cross join series cross join sets cross join inter',
].join('\n');

function makeProject(dir: string, profile: string, duckdb = false): string {
  mkdirSync(join(dir, 'models'), { recursive: true });
  writeFileSync(join(dir, 'dbt_project.yml'), "name: xdb\nversion: '1.0'\nconfig-version: 2\nprofile: xdb\nmodels:\n  xdb:\n    +materialized: table\n");
  writeFileSync(join(dir, 'models', 'm.sql'), `${model(duckdb ? [...EXPRS, ...DUCKDB_ONLY] : EXPRS)}\n`);
  writeFileSync(join(dir, 'profiles.yml'), profile);
  return dir;
}

async function dbt(venvDir: string, args: string[], cwd: string): Promise<{ code: number | null; output: string; stdout: string }> {
  return await new Promise((done, fail) => {
    const child = spawn(join(venvDir, 'bin', args[0] === 'python' ? 'python' : 'dbt'), args[0] === 'python' ? args.slice(1) : args, {
      cwd,
      env: { ...process.env, HOME: cwd, DBT_PROFILES_DIR: undefined, DBT_SEND_ANONYMOUS_USAGE_STATS: 'false', DO_NOT_TRACK: '1', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => ((output += d), (stdout += d)));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 400_000);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, output, stdout });
    });
  });
}

describe.skipIf(noPython)('dbt.* cross-database macros: tx equals dbt-core 1.10', () => {
  it('on DuckDB (dbt-duckdb)', async () => {
    const txDir = makeProject(join(work, 'duck-tx'), `xdb:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: ${join(work, 'duck-tx', 'tx.duckdb')}\n`, true);
    const b = await runCli(['build'], { cwd: txDir, env: { DBT_PROFILES_DIR: txDir }, timeoutMs: 180_000 });
    expect(b.code, b.output).toBe(0);
    const venv = await provisionDbtCore();
    const dbtDb = join(work, 'duck-dbt', 'dbt.duckdb');
    const dbtDir = makeProject(join(work, 'duck-dbt'), `xdb:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: ${dbtDb}\n`, true);
    const r = await dbt(venv.dir, ['build', '--profiles-dir', dbtDir], dbtDir);
    expect(r.code, r.output).toBe(0);
    const sql = 'select columns(*)::varchar from main.m';
    const py = await dbt(venv.dir, ['python', '-c', `import duckdb,json\nc=duckdb.connect(${JSON.stringify(dbtDb)},read_only=True)\nr=c.execute(${JSON.stringify(sql)})\nprint(json.dumps([[d[0] for d in r.description], r.fetchall()]))`], dbtDir);
    expect(py.code, py.output).toBe(0);
    const [names, rows] = JSON.parse(py.stdout) as [string[], (string | null)[][]];
    const txRows = await queryDuckdb(join(txDir, 'tx.duckdb'), sql);
    expect(Object.keys(txRows[0]!)).toEqual(names);
    expect(Object.fromEntries(Object.entries(txRows[0]!))).toEqual(Object.fromEntries(names.map((n, i) => [n, rows[0]![i]])));
  }, 600_000);

  describe('on PostgreSQL (dbt-postgres)', () => {
    let svc: PostgresService;
    const dbs: TestDatabase[] = [];
    beforeAll(async () => {
      svc = await startPostgres();
    }, 120_000);
    afterAll(async () => {
      for (const d of dbs) await d.drop().catch(() => undefined);
      await svc?.stop();
    });
    it('builds the same values', async () => {
      const profile = (db: string) => dbtPostgresProfile('xdb', svc, db, 'xdb');
      const txDb = await createTestDatabase(svc, 'tx_xdb');
      const dbtDb = await createTestDatabase(svc, 'dbt_xdb');
      dbs.push(txDb, dbtDb);
      const txDir = makeProject(join(work, 'pg-tx'), profile(txDb.name));
      const b = await runCli(['build'], { cwd: txDir, env: { DBT_PROFILES_DIR: txDir }, timeoutMs: 180_000 });
      expect(b.code, b.output).toBe(0);
      const venv = await provisionDbtCore();
      const dbtDir = makeProject(join(work, 'pg-dbt'), profile(dbtDb.name));
      const r = await dbt(venv.dir, ['build', '--profiles-dir', dbtDir], dbtDir);
      expect(r.code, r.output).toBe(0);
      const read = async (url: string) => {
        const c = new pg.Client({ connectionString: url });
        await c.connect();
        try {
          const cols = (await c.query("select column_name from information_schema.columns where table_schema = 'xdb' and table_name = 'm' order by ordinal_position")).rows.map((x) => String(x.column_name));
          const row = (await c.query(`select ${cols.map((n) => `"${n}"::text as "${n}"`).join(', ')} from xdb.m`)).rows[0] as Record<string, string | null>;
          const types = (await c.query("select column_name, data_type from information_schema.columns where table_schema = 'xdb' and table_name = 'm' order by ordinal_position")).rows;
          return { row, types };
        } finally {
          await c.end();
        }
      };
      const a = await read(txDb.url);
      const d = await read(dbtDb.url);
      expect(a.types).toEqual(d.types);
      expect(a.row).toEqual(d.row);
    }, 600_000);
  });
});
