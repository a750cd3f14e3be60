/**
 * dbt-spark profiles and dbt's cross-database macros on Spark (issue 12):
 * - a profiles.yml output `type: spark, method: thrift` (host, port, user, schema, auth,
 *   server_side_parameters; env_var() in it) becomes tx's Hive target, and an unchanged dbt
 *   project builds on a real Spark Thrift Server; what dbt-spark refuses (database other than
 *   schema) and what tx cannot do (TLS) are exit 2 naming profiles.yml and the line; other
 *   methods (http, odbc, session) and dbt-hive outputs are left out with a note, and are exit 2
 *   naming the file, output and method when they are the output in use;
 * - each `dbt.*` cross-database macro is one model built on Spark through that profile, and its
 *   value equals the value tx builds on DuckDB from the same model (which
 *   testing/dbt-cross-db-macros.test.ts proves equal to dbt-duckdb's).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dedent, queryDuckdb, runCli, writeFiles } from './fixture-project.js';
import { openHiveSession, type HiveSessionHandle } from './services/hive-client.js';
import { skipEachWithout } from './services/service-suite.js';
import { startSparkThriftServer, type HiveService } from './services/spark.js';

const work = mkdtempSync(join(tmpdir(), 'tx-spark-profile-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const home = join(work, 'home');

const D = "cast('2024-01-31' as date)";
const T = "cast('2024-03-15 10:20:30' as timestamp)";
/** One model each: name → the macro call it selects (as `v`). */
const MACROS: [string, string][] = [
  ['date_trunc_month', `{{ dbt.date_trunc('month', "${T}") }}`],
  ['dateadd_day', `{{ dbt.dateadd('day', 3, "${D}") }}`],
  ['dateadd_month', `{{ dbt.dateadd('month', 1, "${D}") }}`],
  ['dateadd_hour', `{{ dbt.dateadd('hour', -5, "${T}") }}`],
  ['datediff_day', `{{ dbt.datediff("${D}", "${T}", 'day') }}`],
  ['datediff_week', `{{ dbt.datediff("${D}", "${T}", 'week') }}`],
  ['datediff_month', `{{ dbt.datediff("${D}", "${T}", 'month') }}`],
  ['datediff_year', `{{ dbt.datediff("cast('2020-06-01' as date)", "${T}", 'year') }}`],
  ['datediff_hour', `{{ dbt.datediff("${D}", "${T}", 'hour') }}`],
  ['datediff_quarter', `{{ dbt.datediff("cast('2023-11-20' as date)", "${T}", 'quarter') }}`],
  ['datediff_month_back', `{{ dbt.datediff("${T}", "${D}", 'month') }}`],
  ['last_day_month', `{{ dbt.last_day("${D}", 'month') }}`],
  ['last_day_quarter', `{{ dbt.last_day("${D}", 'quarter') }}`],
  ['concat', `{{ dbt.concat(["'a'", "'b'", "'c'"]) }}`],
  ['hash', `{{ dbt.hash("'tx'") }}`],
  ['length', `{{ dbt.length("'hello'") }}`],
  ['position', `{{ dbt.position("'l'", "'hello'") }}`],
  ['replace', `{{ dbt.replace("'hello'", "'l'", "'L'") }}`],
  ['right', `{{ dbt.right("'hello'", 3) }}`],
  ['split_part_2', `{{ dbt.split_part("'a,b,c'", "','", 2) }}`],
  ['split_part_neg', `{{ dbt.split_part("'a,b,c'", "','", -1) }}`],
  ['safe_cast', `{{ dbt.safe_cast("'42'", dbt.type_int()) }}`],
  ['safe_cast_bad', `{{ dbt.safe_cast("'x42'", dbt.type_int()) }}`],
  ['cast_text', `{{ dbt.cast("42", dbt.type_string()) }}`],
  ['cast_bool', `{{ dbt.cast_bool_to_text("1 = 1") }}`],
  // a quote inside goes through escape_single_quotes: `''` is no escape in Spark SQL (adjacent literals)
  ['string_literal', `{{ dbt.string_literal(dbt.escape_single_quotes("it's")) }}`],
  ['escape_quotes', `'{{ dbt.escape_single_quotes("it's") }}'`],
  ['type_numeric', `cast(1.5 as {{ dbt.type_numeric() }})`],
  ['type_bigint', `cast(7 as {{ dbt.type_bigint() }})`],
  ['type_float', `cast(0.25 as {{ dbt.type_float() }})`],
  ['type_boolean', `cast('true' as {{ dbt.type_boolean() }})`],
  ['type_timestamp', `cast('2024-01-01 00:00:00' as {{ dbt.type_timestamp() }})`],
  ['current_timestamp_is_today', `cast({{ dbt.current_timestamp() }} as date) = current_date`],
];
const VALS = "(select 1 as k, 'c' as v union all select 1, 'a' union all select 1, 'b') vals";
const AGGS: [string, string][] = [
  ['listagg', `select {{ dbt.listagg('v', "'|'", 'order by v') }} as v from ${VALS}`],
  ['listagg_limit', `select {{ dbt.listagg('v', "'|'", 'order by v', 2) }} as v from ${VALS}`],
  ['any_value', `select {{ dbt.any_value('k') }} as v from ${VALS}`],
  ['bool_or', `select {{ dbt.bool_or("v = 'b'") }} as v from ${VALS}`],
  ['date_spine', `select count(*) as v from ({{ dbt.date_spine('day', "${D}", "cast('2024-02-10' as date)") }}) s`],
  ['generate_series', `select max(generated_number) as v from ({{ dbt.generate_series(13) }}) g`],
  ['except', 'select count(*) as v from (select 1 as x union all select 2 {{ dbt.except() }} select 2) e'],
  ['intersect', 'select count(*) as v from (select 1 as x union all select 2 {{ dbt.intersect() }} select 2) i'],
];
const MODELS: [string, string][] = [...MACROS.map(([n, e]): [string, string] => [n, `select ${e} as v`]), ...AGGS];

const schema = `tx_spark_prof_${Math.random().toString(36).slice(2, 8)}`;
const profileYml = (output: string) => `xdb:\n  target: spark\n  outputs:\n    spark:\n${output.replace(/^/gm, '      ')}\n`;
const SPARK_OUTPUT = dedent(`
  type: spark
  method: thrift
  host: "{{ env_var('SPARK_HOST') }}"
  port: "{{ env_var('SPARK_PORT') | as_number }}"
  user: tx
  schema: ${schema}
  threads: 2
  server_side_parameters:
    spark.sql.session.timeZone: UTC
`);

function project(name: string, profile: string | null): string {
  const dir = join(work, name);
  writeFiles(dir, {
    'dbt_project.yml': "name: xdb\nversion: '1.0'\nconfig-version: 2\nprofile: xdb\nmodels:\n  xdb:\n    +materialized: table\n",
    ...Object.fromEntries(MODELS.map(([n, sql]) => [`models/${n}.sql`, `${sql}\n`])),
    ...(profile ? { 'profiles.yml': profile } : {}),
  });
  return dir;
}

describe('spark profile outputs: what dbt-spark refuses and what tx cannot do', () => {
  const compile = async (output: string) => {
    const dir = project(`bad-${Math.random().toString(36).slice(2, 8)}`, profileYml(output));
    return await runCli(['ls'], { cwd: dir, env: { HOME: home, DBT_PROFILES_DIR: undefined, SPARK_HOST: '127.0.0.1', SPARK_PORT: '1' } });
  };
  it('database other than schema, and use_ssl: exit 2 naming profiles.yml and the output', async () => {
    const r = await compile(`type: spark\nmethod: thrift\nhost: h\nuser: u\nschema: a\ndatabase: b`);
    expect(r.code).toBe(2);
    expect(r.output).toMatch(/profiles\.yml:4/);
    expect(r.output).toMatch(/database must be omitted or have the same value as schema/);
    const r2 = await compile(`type: spark\nmethod: thrift\nhost: h\nuser: u\nschema: a\nuse_ssl: true`);
    expect(r2.code).toBe(2);
    expect(r2.output).toMatch(/use_ssl/);
  });
  it('a typo\'d key is an error with did-you-mean', async () => {
    const r = await compile(`type: spark\nmethod: thrift\nhost: h\nuser: u\nschmea: a`);
    expect(r.code).toBe(2);
    expect(r.output).toMatch(/unknown key `schmea`.*type spark/);
    expect(r.output).toMatch(/schema/);
  });
  it('the output in use with method http, odbc or session: exit 2 naming profiles.yml, the output and the method', async () => {
    for (const method of ['http', 'odbc', 'session']) {
      const r = await compile(`type: spark\nmethod: ${method}\nhost: h\ntoken: t\ncluster: c\nschema: a`);
      expect(r.code, r.output).toBe(2);
      expect(r.output).toMatch(/profiles\.yml:5/);
      expect(r.output).toMatch(new RegExp(`output \`spark\` of profile \`xdb\` is one tx cannot build on: type spark, method ${method}: tx connects with the thrift method only`));
      expect(r.output).toMatch(/method: thrift/);
    }
  });
  it('a dbt-hive output, or a misspelt type, in use: exit 2 saying what to write', async () => {
    const r = await compile(`type: hive\nhost: h\nport: 10000\nschema: a\nauth_type: ldap`);
    expect(r.code, r.output).toBe(2);
    expect(r.output).toMatch(/output `spark` of profile `xdb` is one tx cannot build on: type hive \(dbt-hive\)/);
    expect(r.output).toMatch(/type: spark`, `method: thrift`/);
    const r2 = await compile(`type: postgress\nhost: h\nuser: u\ndbname: d\nschema: a`);
    expect(r2.code, r2.output).toBe(2);
    expect(r2.output).toMatch(/type postgress/);
    expect(r2.output).toMatch(/did you mean `postgres`/i);
  });
  it('an http output that is not in use is left out with a note; the thrift one builds', async () => {
    const dir = project(`mixed-${Math.random().toString(36).slice(2, 8)}`, `xdb:\n  target: duck\n  outputs:\n    duck: {type: duckdb}\n    dbx: {type: spark, method: http, host: h, token: t, cluster: c, schema: a}\n`);
    const r = await runCli(['ls'], { cwd: dir, env: { HOME: home, DBT_PROFILES_DIR: undefined } });
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/dbx \(type spark, method http: tx connects with the thrift method only\)/);
    const r2 = await runCli(['ls', '--target', 'dbx'], { cwd: dir, env: { HOME: home, DBT_PROFILES_DIR: undefined } });
    expect(r2.code, r2.output).toBe(2);
    expect(r2.output).toMatch(/output `dbx` of profile `xdb`/);
  });
});

describe('a dbt project on Spark through a dbt-spark profile', () => {
  let hive: HiveService | null = null;
  let session: HiveSessionHandle | undefined;
  beforeAll(async () => {
    hive = await startSparkThriftServer();
    if (hive) session = await openHiveSession(hive.host, hive.port);
  }, 300_000);
  afterAll(async () => {
    await session?.execute(`drop database if exists ${schema} cascade`).catch(() => undefined);
    await session?.close();
  });
  skipEachWithout(() => hive);

  it('every dbt.* cross-database macro builds on Spark and equals its value on DuckDB', async () => {
    const sparkDir = project('spark', profileYml(SPARK_OUTPUT));
    const env = { HOME: home, DBT_PROFILES_DIR: undefined, SPARK_HOST: hive!.host, SPARK_PORT: String(hive!.port) };
    const built = await runCli(['build'], { cwd: sparkDir, env, timeoutMs: 600_000 });
    expect(built.output).toMatch(/using profile `xdb`/);
    expect(built.output).toMatch(/on target spark \(hive\)/);
    const duckDir = project('duck', null);
    const duck = await runCli(['build'], { cwd: duckDir, env: { HOME: home, DBT_PROFILES_DIR: undefined }, timeoutMs: 300_000 });
    expect(duck.code, duck.output).toBe(0);
    const failed: string[] = [];
    const values: Record<string, [string, string]> = {};
    for (const [name] of MODELS) {
      const s = await session!.query(`select cast(v as string) as v from ${schema}.${name}`).catch((e: Error) => (failed.push(`${name}: ${e.message.split('\n')[0]}`), null));
      const d = await queryDuckdb(join(duckDir, 'xdb.duckdb'), `select cast(v as varchar) as v from main."${name}"`);
      if (s) values[name] = [normal(s[0]!.v), normal(d[0]!.v)];
    }
    expect(built.code, built.output).toBe(0);
    expect(failed).toEqual([]);
    const differ = Object.entries(values).filter(([, [s, d]]) => s !== d).map(([n, [s, d]]) => `${n}: spark ${s}, duckdb ${d}`);
    expect(differ).toEqual([]);
    expect(Object.keys(values)).toHaveLength(MODELS.length);
  }, 600_000);
});

/** A value's text as both engines print it: dates without a midnight time, numbers without trailing zeros, booleans lower case. */
function normal(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  let s = String(v).trim();
  s = s.replace(/^(\d{4}-\d{2}-\d{2})[ T]00:00:00(\.0+)?$/, '$1').replace(/^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})\.0+$/, '$1');
  if (/^-?\d+\.\d+$/.test(s)) s = String(Number(s));
  return s.toLowerCase();
}
