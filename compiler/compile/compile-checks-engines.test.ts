/**
 * Compile-time checks of issue 13 on real engines (DuckDB, PostgreSQL, Hive on a Spark Thrift Server):
 * - a var value that closes a quote and adds `; drop table <schema>.sentinel; --` is refused by
 *   `tx compile` and `tx build` with exit 2 and file:line, nothing runs, and the sentinel table is
 *   still there; so is a var inside a `--` comment that ends it with a carriage return; the same
 *   value through `| literal` builds and round-trips exactly;
 * - on DuckDB and PostgreSQL their own parser decides: a model whose `;`s sit in a dollar quote, an
 *   E'' string with an escaped quote and a nested comment, with one trailing `;`, builds;
 * - seeds: an empty (0-byte) file and a ragged row are exit 2 with file:line; a header-only file
 *   loads as an empty table with the header's columns, as in dbt.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureProject, type FixtureProject } from '../../testing/fixture-project.js';
import { openHiveSession, type HiveSessionHandle } from '../../testing/services/hive-client.js';
import { createTestDatabase, startPostgres, type TestDatabase } from '../../testing/services/postgres.js';
import { skipEachWithout } from '../../testing/services/service-suite.js';
import { startSparkThriftServer, type HiveService } from '../../testing/services/spark.js';

const INJECTION = "x'; drop table SCHEMA.sentinel; --";
/** A quote, a backslash before a quote (Hive's escape character), and the injection. */
const NASTY = "it's \\' x'; drop table SCHEMA.sentinel; --";

function files(targets: string): Record<string, string> {
  return {
    'project.yml': `name: inj\n${targets}`,
    // the unsafe model: the var between quotes, as a new user writes it
    'models/filtered.sql': `select status from {{ ref('statuses') }}\nwhere status <> '{{ var('status_filter') }}'\n`,
    'models/statuses.sql': `select 'y' as status union all select 'z' as status\n`,
    'models/safe.sql': `select s from (select {{ var('safe_value') | literal }} as s union all select 'y' as s) as t\nwhere s <> {{ literal(var('status_filter')) }}\n`,
  };
}

/** Seeds on `target`: header-only loads empty; ragged and empty files are exit 2 with file:line. */
async function seeds(fx: FixtureProject, target: string, rowsOf: (table: string) => Promise<number>): Promise<void> {
  fx.remove('models');
  fx.write({ 'seeds/header_only.csv': 'a,b\n' });
  const ok = await fx.txWith({ timeoutMs: 300_000 }, 'seed', '--target', target);
  expect(ok.code, ok.output).toBe(0);
  expect(await rowsOf('header_only')).toBe(0);
  fx.write({ 'seeds/ragged.csv': 'id,name\n1,a\n2\n3,c\n' });
  const ragged = await fx.txWith({ timeoutMs: 300_000 }, 'seed', '--target', target);
  expect(ragged.code, ragged.output).toBe(2);
  expect(ragged.stderr).toContain('seeds/ragged.csv:3: seed `ragged` line 3 has 1 field where the header (line 1) has 2: `2`');
  fx.remove('seeds/ragged.csv');
  fx.write({ 'seeds/empty.csv': '' });
  const empty = await fx.txWith({ timeoutMs: 300_000 }, 'seed', '--target', target);
  expect(empty.code, empty.output).toBe(2);
  expect(empty.stderr).toContain('seeds/empty.csv:1: seed `empty` is an empty file (0 bytes)');
  expect(empty.stdout).not.toMatch(/loaded seed/);
}

/** `;` where only the engine's lexer knows they are inside something (DuckDB and PostgreSQL). */
const ENGINE_SYNTAX = "select $q$a;b$q$ as s, E'it\\'s; fine' as t /* a /* nested ; */ still; a comment */ ;\n";

async function refuses(fx: FixtureProject, target: string, schema: string, sentinelCount: () => Promise<number>, engineSyntax?: () => Promise<unknown[]>): Promise<void> {
  const vars = JSON.stringify({ status_filter: INJECTION.replace('SCHEMA', schema), safe_value: NASTY.replace(/SCHEMA/g, schema) });
  for (const command of ['compile', 'build']) {
    const r = await fx.txWith({ timeoutMs: 300_000 }, command, '--target', target, '--vars', vars);
    expect(r.code, r.output).toBe(2);
    expect(r.stderr).toContain('models/filtered.sql:2: the compiled SQL of model `filtered` holds 2 statements');
    expect(r.stderr).toContain(`\`drop table ${schema}.sentinel\` follows`);
    expect(r.stderr).toContain('| literal');
    expect(r.stdout).not.toMatch(/OK created/); // nothing ran
    expect(await sentinelCount()).toBe(1);
  }
  fx.remove('models/filtered.sql');
  // a var inside a comment: a carriage return ends a `--` comment in every engine's lexer
  fx.write({ 'models/noted.sql': "select 1 as id -- note: {{ var('note') }}\n" });
  const noted = await fx.txWith({ timeoutMs: 300_000 }, 'build', '--target', target, '--vars', JSON.stringify({ ...JSON.parse(vars), note: `hi\r; drop table ${schema}.sentinel; --` }));
  expect(noted.code, noted.output).toBe(2);
  expect(noted.stderr).toContain(`models/noted.sql:1: the compiled SQL of model \`noted\` holds 2 statements: a \`;\` on line 1 ends the first, and \`drop table ${schema}.sentinel\` follows`);
  expect(noted.stdout).not.toMatch(/OK created/);
  expect(await sentinelCount()).toBe(1);
  fx.remove('models/noted.sql');
  if (engineSyntax) fx.write({ 'models/engine_syntax.sql': ENGINE_SYNTAX });
  // the same values through `literal`: the unsafe model removed, the build runs and the value round-trips
  const ok = await fx.txWith({ timeoutMs: 300_000 }, 'build', '--target', target, '--vars', vars);
  expect(ok.code, ok.output).toBe(0);
  expect(await sentinelCount()).toBe(1);
  if (engineSyntax) expect(await engineSyntax()).toEqual([{ s: 'a;b', t: "it's; fine" }]);
}

describe('DuckDB', () => {
  it('refuses the injection at compile time (the sentinel stays, | literal round-trips the value); seeds: empty and ragged are exit 2, header-only is an empty table', async () => {
    const fx = fixtureProject(files('target: duckdb\ntargets:\n  duckdb: {type: duckdb, path: inj.duckdb}\n'), { dbFile: 'inj.duckdb' });
    try {
      const { DuckDBInstance } = await import('@duckdb/node-api');
      const db = await DuckDBInstance.create(fx.dbFile);
      const c = await db.connect();
      await c.run('create table main.sentinel as select 1 as id');
      c.closeSync();
      db.closeSync();
      await refuses(fx, 'duckdb', 'main', async () => (await fx.query("select count(*) as n from information_schema.tables where table_name = 'sentinel'"))[0]!.n as number, () => fx.query('select s, t from main.engine_syntax'));
      const rows = await fx.query('select s from main.safe order by s');
      expect(rows).toEqual([{ s: NASTY.replace('SCHEMA', 'main') }, { s: 'y' }]);
      await seeds(fx, 'duckdb', async (t) => Number((await fx.query(`select count(*) as n from main.${t}`))[0]!.n));
      expect(await fx.query("select column_name from information_schema.columns where table_name = 'header_only' order by ordinal_position")).toEqual([{ column_name: 'a' }, { column_name: 'b' }]);
    } finally {
      fx.cleanup();
    }
  });
});

describe('PostgreSQL', () => {
  let db: TestDatabase | undefined;
  let admin: pg.Client | undefined;
  beforeAll(async () => {
    const svc = await startPostgres();
    db = await createTestDatabase(svc, 'tx_one_statement');
    admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
    await db?.drop();
  });

  it('refuses the injection at compile time (the sentinel stays, | literal round-trips the value); seeds: empty and ragged are exit 2, header-only is an empty table', async () => {
    const u = new URL(db!.url);
    const target = `target: postgres\ntargets:\n  postgres: {type: postgres, host: ${u.hostname}, port: ${u.port || 5432}, user: ${decodeURIComponent(u.username)}, password: "${decodeURIComponent(u.password)}", database: ${u.pathname.slice(1)}, schema: main, sslmode: disable}\n`;
    const fx = fixtureProject(files(target));
    try {
      await admin!.query('create schema main; create table main.sentinel as select 1 as id');
      const count = async () => Number((await admin!.query("select count(*) as n from pg_tables where schemaname = 'main' and tablename = 'sentinel'")).rows[0].n);
      await refuses(fx, 'postgres', 'main', count, async () => (await admin!.query('select s, t from main.engine_syntax')).rows);
      const rows = (await admin!.query('select s from main.safe order by s')).rows;
      expect(rows.map((r) => r.s).sort()).toEqual([NASTY.replace('SCHEMA', 'main'), 'y'].sort());
      await seeds(fx, 'postgres', async (t) => Number((await admin!.query(`select count(*) as n from main.${t}`)).rows[0].n));
      expect((await admin!.query("select column_name from information_schema.columns where table_schema = 'main' and table_name = 'header_only' order by ordinal_position")).rows).toEqual([{ column_name: 'a' }, { column_name: 'b' }]);
    } finally {
      fx.cleanup();
    }
  });
});

describe('Hive (Spark Thrift Server)', () => {
  let hive: HiveService | null = null;
  let session: HiveSessionHandle | undefined;
  const schema = `tx_inj_${Math.random().toString(36).slice(2, 8)}`;
  beforeAll(async () => {
    hive = await startSparkThriftServer();
    if (!hive) return;
    session = await openHiveSession(hive.host, hive.port);
  }, 600_000);
  afterAll(async () => {
    try {
      await session?.query(`drop database if exists \`${schema}\` cascade`);
      await session?.close();
    } finally {
      await hive?.stop();
    }
  }, 120_000);
  skipEachWithout(() => hive);

  it('refuses the injection at compile time (the sentinel stays, | literal round-trips the value); seeds: empty and ragged are exit 2, header-only is an empty table', async () => {
    const target = `target: hive\ntargets:\n  hive: {type: hive, host: ${hive!.host}, port: ${hive!.port}, schema: ${schema}, auth: NONE, user: tx}\n`;
    const fx = fixtureProject(files(target));
    try {
      await session!.query(`create database if not exists \`${schema}\``);
      await session!.query(`create table \`${schema}\`.sentinel as select 1 as id`);
      const count = async () => (await session!.query(`show tables in \`${schema}\` like 'sentinel'`)).length;
      await refuses(fx, 'hive', schema, count);
      const rows = await session!.query(`select s from \`${schema}\`.safe`);
      expect(rows.map((r) => r.s).sort()).toEqual([NASTY.replace('SCHEMA', schema), 'y'].sort());
      await seeds(fx, 'hive', async (t) => Number((await session!.query(`select count(*) as n from \`${schema}\`.${t}`))[0]!.n));
      expect((await session!.query(`describe \`${schema}\`.header_only`)).map((r) => r.col_name)).toEqual(['a', 'b']);
    } finally {
      fx.cleanup();
    }
  }, 600_000);
});
