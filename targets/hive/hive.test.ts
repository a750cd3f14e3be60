/**
 * The Hive target against a real Spark Thrift Server (testing/services/spark.ts starts one per
 * file; TX_TEST_HIVE_URL uses a running one). Skipped loudly when Java/Python are missing, a
 * failure when TX_TEST_REQUIRE names hive.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import avro from 'avsc';
import { afterAll, beforeAll, describe, expect, it, type TestContext, vi } from 'vitest';
import { REPO_ROOT, copyProject, queryDuckdb, runCli } from '../../testing/fixture-project.js';
import { freePort } from '../../testing/services/free-port.js';
import { serviceUnavailable } from '../../testing/services/require.js';
import { startSparkThriftServer, type HiveService } from '../../testing/services/spark.js';
import { createDuckdbTarget } from '../duckdb/index.js';
import { TargetError, type ModelBuild, type Target, type TargetConfig, type TargetLog, type TargetSession } from '../target.js';
import { HiveConnection } from './hive-connection.js';
import { hiveDialect as d } from './hive-dialect.js';
import { createHiveTarget } from './index.js';

let hive: HiveService | null = null;

const schema = `tx_hive_${Math.random().toString(36).slice(2, 8)}`;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tx-hive-test-'));

interface Captured extends TargetLog {
  statements: string[];
  infos: string[];
  warnings: string[];
}
function captureLog(): Captured {
  const statements: string[] = [];
  const infos: string[] = [];
  const warnings: string[] = [];
  return {
    statements,
    infos,
    warnings,
    statement: (sql) => statements.push(sql),
    info: (m) => infos.push(m),
    warn: (m) => warnings.push(m),
  };
}

function targetConfig(extra: Record<string, unknown> = {}): TargetConfig {
  return { type: 'hive', host: hive!.host, port: String(hive!.port), schema, auth: 'NONE', user: 'tx', connect_timeout: 30, ...extra };
}

async function openSession(extra: Record<string, unknown> = {}, log: TargetLog = captureLog()): Promise<{ target: Target; session: TargetSession }> {
  const target = createHiveTarget('hive', targetConfig(extra), work);
  const session = await target.open({ log, threads: 2 });
  return { target, session };
}

const rel = (identifier: string) => ({ schema, identifier });
function model(identifier: string, sql: string, extra: Partial<ModelBuild> = {}): ModelBuild {
  return { uniqueId: `model.test.${identifier}`, relation: rel(identifier), sql, materialized: 'table', fullRefresh: false, options: {}, ...extra };
}

/** A TCP proxy in front of the server whose connections the test can cut, like a network fault. */
async function tcpProxy(host: string, port: number): Promise<{ port: number; cut(): void; close(): Promise<void>; connections(): number }> {
  const pairs = new Set<[net.Socket, net.Socket]>();
  let total = 0;
  const server = net.createServer((client) => {
    total++;
    const upstream = net.connect(port, host);
    const pair: [net.Socket, net.Socket] = [client, upstream];
    pairs.add(pair);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    cut: () => {
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
      pairs.clear();
    },
    connections: () => total,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const count = async (s: TargetSession, identifier: string): Promise<number> =>
  Number((await s.connection.query(`SELECT count(*) AS n FROM ${d.relationName(rel(identifier))}`))[0]!.n);

/** `it`, skipped (loudly, once, by startSparkThriftServer) when there is no server. */
function test(name: string, fn: (ctx: TestContext) => Promise<void>, timeoutMs?: number): void {
  it(
    name,
    async (ctx) => {
      if (!hive) return ctx.skip();
      await fn(ctx);
    },
    timeoutMs,
  );
}

/** One comparable string per row: numbers of any JS type by value, dates as ISO, keys sorted. */
function canon(rows: Record<string, unknown>[]): string[] {
  const value = (v: unknown): unknown => {
    if (typeof v === 'bigint') return Number(v);
    if (typeof v === 'number') return Number.isInteger(v) ? v : Number(v.toPrecision(12));
    if (v instanceof Date) return v.toISOString();
    return v;
  };
  return rows.map((r) => JSON.stringify(Object.keys(r).sort().map((k) => [k, value(r[k])]))).sort();
}

describe('hive target on the Spark Thrift Server', () => {
  let session: TargetSession;
  let target: Target;
  let log: Captured;
  let suiteStart = 0;

  beforeAll(async () => {
    const t0 = Date.now();
    // null (after a loud line) without Java/Python; throws when TX_TEST_REQUIRE names hive.
    hive = await startSparkThriftServer();
    if (!hive) return;
    console.log(`[timing] Spark Thrift Server start: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    suiteStart = Date.now();
    log = captureLog();
    ({ target, session } = await openSession({}, log));
    await session.ensureSchema(schema);
  });

  afterAll(async () => {
    try {
      await session?.connection.execute(`DROP DATABASE IF EXISTS ${d.quoteIdentifier(schema)} CASCADE`);
      await session?.close();
    } finally {
      const t1 = Date.now();
      await hive?.stop();
      fs.rmSync(work, { recursive: true, force: true });
      console.log(`[timing] hive suite: ${((Date.now() - suiteStart) / 1000).toFixed(1)} s; server stop ${((Date.now() - t1) / 1000).toFixed(1)} s`);
    }
  });

  test('pings the server and reports its version', async () => {
    expect(await target.ping()).toMatch(/^Spark SQL 3\.5\.\d+ \(HiveServer2 at 127\.0\.0\.1:\d+, auth NONE\)$/);
  });

  test('ensureSchema asks the server once per database per session, also when called at once', async () => {
    const conn = session.connection;
    const real = conn.execute.bind(conn);
    const creates: string[] = [];
    conn.execute = ((sql: string, o?: Parameters<typeof real>[1]) => {
      if (/^CREATE DATABASE/i.test(sql)) creates.push(sql);
      return real(sql, o);
    }) as typeof conn.execute;
    const other = `${schema}_once`;
    try {
      await session.ensureSchema(schema); // beforeAll made sure of it already
      await Promise.all([session.ensureSchema(other), session.ensureSchema(other), session.ensureSchema(other.toUpperCase())]);
      await session.ensureSchema(other);
      expect(creates).toEqual([`CREATE DATABASE IF NOT EXISTS ${d.quoteIdentifier(other)}`]);
      expect((await conn.query(`SHOW DATABASES LIKE ${d.literal(other)}`)).length).toBe(1);
      // a failed attempt is not remembered: an invalid name fails each time it is asked
      await expect(session.ensureSchema('bad`name; nope')).rejects.toThrow();
      await expect(session.ensureSchema('bad`name; nope')).rejects.toThrow();
      expect(creates.length).toBe(3);
    } finally {
      conn.execute = real;
      await real(`DROP DATABASE IF EXISTS ${d.quoteIdentifier(other)} CASCADE`).catch(() => undefined);
    }
  });

  test('creates the database when missing and quotes identifiers with backticks', async () => {
    // beforeAll's ensureSchema created the database.
    expect((await session.connection.query(`SHOW DATABASES LIKE ${d.literal(schema)}`)).length).toBe(1);
    // A reserved word as table name; a backtick, a space and mixed case in column names.
    const r = rel('select');
    await session.materialize(model('select', "SELECT 1 AS `a``b`, 'it''s \\\\ here' AS `the order`, 3 AS `Upper`"));
    expect(await session.columns(r)).toEqual([
      { name: 'a`b', type: 'INT' },
      { name: 'the order', type: 'STRING' },
      { name: 'Upper', type: 'INT' },
    ]);
    const rows = await session.connection.query(`SELECT * FROM ${d.relationName(r)}`);
    // Spark reads 'it''s' as two adjacent literals: "its"; \\ is one backslash.
    expect(rows).toEqual([{ 'a`b': 1, 'the order': 'its \\ here', Upper: 3 }]);
    const lit = d.literal("quote ' backslash \\ newline \n end");
    expect((await session.connection.query(`SELECT ${lit} AS s`))[0]!.s).toBe("quote ' backslash \\ newline \n end");
    expect(await session.relationExists({ schema, identifier: 'SELECT' })).toBe(true); // names are case-insensitive
    await session.dropRelation(r);
    expect(await session.relationExists(r)).toBe(false);
    expect(await session.relationExists({ schema: 'no_such_db_tx', identifier: 't' })).toBe(false);
    expect(await session.columns({ schema: 'no_such_db_tx', identifier: 't' })).toEqual([]);
  });

  test('view: CREATE OR REPLACE VIEW, contract checked before the replace', async () => {
    const v = model('v_people', "SELECT 1 AS id, 'ann' AS name", { materialized: 'view' });
    expect((await session.materialize(v)).action).toBe('created view');
    await session.materialize({ ...v, sql: "SELECT 2 AS id, 'bob' AS name" });
    expect(await session.connection.query(`SELECT * FROM ${d.relationName(rel('v_people'))}`)).toEqual([{ id: 2, name: 'bob' }]);
    const bad = session.materialize({ ...v, sql: "SELECT 3 AS id, 'cy' AS nm", contract: { columns: [{ name: 'id', dataType: 'integer' }, { name: 'name', dataType: 'string' }] } });
    await expect(bad).rejects.toThrow(/contract violated: column `name` is missing.*column `nm` is in the output but not in the contract/);
    expect(await session.connection.query(`SELECT * FROM ${d.relationName(rel('v_people'))}`)).toEqual([{ id: 2, name: 'bob' }]);
    // A contract that holds (logical types map to Hive's: integer = INT, string = STRING).
    await session.materialize({ ...v, contract: { columns: [{ name: 'id', dataType: 'integer' }, { name: 'name', dataType: 'varchar' }] } });
    expect(await session.relationExists(rel('v_people__tx_contract'))).toBe(false);
    // A view replacing a table of the same name.
    await session.materialize(model('was_table', 'SELECT 1 AS x'));
    await session.materialize(model('was_table', 'SELECT 2 AS x', { materialized: 'view' }));
    expect(await session.connection.query(`SELECT x FROM ${d.relationName(rel('was_table'))}`)).toEqual([{ x: 2 }]);
    expect((await session.connection.query(`SHOW VIEWS IN ${d.quoteIdentifier(schema)} LIKE 'was_table'`)).length).toBe(1);
  });

  test('table: CTAS beside, swap by rename; failures leave the old table intact with Hive’s own message', async () => {
    const m = model('people', "SELECT id, concat('p', id) AS name FROM range(0, 10)");
    const r1 = await session.materialize(m);
    expect(r1).toEqual({ action: 'created table', rowsAffected: 10 });
    const r2 = await session.materialize({ ...m, sql: "SELECT id, concat('q', id) AS name FROM range(0, 7)" });
    expect(r2.rowsAffected).toBe(7);
    expect(await count(session, 'people')).toBe(7);
    // Leftovers of a killed run are in the way of the next build: dropped, and the build goes on.
    for (const leftover of ['people__tx_new', 'people__tx_old']) {
      await session.connection.execute(`CREATE TABLE ${d.relationName(rel(leftover))} USING parquet AS SELECT 1 AS junk`);
    }
    await session.materialize({ ...m, sql: "SELECT id, concat('q', id) AS name FROM range(0, 7)" });
    expect(log.infos.filter((i) => /dropping `[^`]+`\.`people__tx_(new|old)`, left over from an earlier run/.test(i))).toHaveLength(2);
    // The swap renamed the old table aside and dropped it; nothing is left over.
    const tables = (await session.connection.query(`SHOW TABLES IN ${d.quoteIdentifier(schema)}`)).map((x) => String(x.tableName));
    expect(tables.filter((t) => t.startsWith('people'))).toEqual(['people']);
    expect(log.statements.some((s) => /ALTER TABLE `[^`]+`\.`people` RENAME TO `[^`]+`\.`people__tx_old`/.test(s))).toBe(true);
    expect(log.statements.some((s) => /^-- swap: `[^`]+`\.`people` was missing for \d+ ms$/.test(s))).toBe(true);

    // A failing query: Hive's message, no Java stack, the SQL attached; the old table stays.
    const err = await session.materialize({ ...m, sql: 'SELECT id FROM no_such_table_anywhere' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TargetError);
    const te = err as TargetError;
    expect(te.message).toMatch(/^\[TABLE_OR_VIEW_NOT_FOUND\] The table or view `no_such_table_anywhere` cannot be found/);
    expect(te.message).not.toMatch(/\tat org\.apache|HiveSQLException/);
    expect(te.options.sql).toMatch(/CREATE TABLE `[^`]+`\.`people__tx_new`/);
    expect(await count(session, 'people')).toBe(7);
    expect(await session.relationExists(rel('people__tx_new'))).toBe(false);

    // A broken contract fails before the swap.
    const c = session.materialize({ ...m, sql: 'SELECT id FROM range(0, 3)', contract: { columns: [{ name: 'id', dataType: 'bigint' }, { name: 'name', dataType: 'string' }] } });
    await expect(c).rejects.toThrow(/contract violated: column `name` is missing/);
    expect(await count(session, 'people')).toBe(7);
  });

  test('the swap: another session sees the old rows, the new rows, or briefly no table; never a mix or an empty table', async () => {
    const versions = [100, 200, 300];
    const sql = (n: number) => `SELECT id, ${n} AS version FROM range(0, ${n})`;
    await session.materialize(model('swapped', sql(versions[0]!)));
    const reader = new HiveConnection(
      { host: hive!.host, port: hive!.port, auth: 'NONE', sessionSettings: {}, connectTimeoutMs: 30_000, queryTimeoutMs: 0, retries: 0 },
      captureLog(),
    );
    await reader.open();
    const seen: string[] = [];
    let stop = false;
    const table = d.relationName(rel('swapped'));
    const readLoop = (async () => {
      while (!stop) {
        try {
          const r = (await reader.query(`SELECT count(*) AS n, min(version) AS lo, max(version) AS hi FROM ${table}`))[0]!;
          seen.push(`${r.n}/${r.lo}/${r.hi}`);
        } catch (e) {
          const m = (e as Error).message;
          if (/TABLE_OR_VIEW_NOT_FOUND/.test(m)) seen.push('missing');
          else if (/FileNotFound|does not exist|Encountered error while reading file/.test(m)) {
            // Spark caches a table's file listing per session: a session that read the table
            // before the swap must REFRESH it (README: "What a reader sees during the swap").
            seen.push('stale');
            await reader.execute(`REFRESH TABLE ${table}`).catch(() => undefined);
          } else seen.push(`error: ${m.split('\n')[0]}`);
        }
      }
    })();
    for (const n of versions.slice(1)) await session.materialize(model('swapped', sql(n)));
    stop = true;
    await readLoop;
    const allowed = new Set(['missing', 'stale', ...versions.map((n) => `${n}/${n}/${n}`)]);
    const unexpected = seen.filter((s) => !allowed.has(s));
    const tally = (k: string) => seen.filter((s) => s === k).length;
    console.log(`[swap] reader observations: ${seen.length} (missing ${tally('missing')}, stale ${tally('stale')}, other ${unexpected.length})`);
    expect(unexpected).toEqual([]);
    expect(seen.length).toBeGreaterThan(3);
    // After a REFRESH (or in a session that had not read it), the reader sees the last version.
    await reader.execute(`REFRESH TABLE ${table}`);
    expect(await reader.query(`SELECT count(*) AS n FROM ${table}`)).toEqual([{ n: 300n }]);
    await reader.close();
    expect(await count(session, 'swapped')).toBe(300);
  });

  test('closing a connection leaves no timer behind (a pending one kept the tx process alive 5 s after a build)', async () => {
    const c = new HiveConnection(
      { host: hive!.host, port: hive!.port, auth: 'NONE', sessionSettings: {}, connectTimeoutMs: 30_000, queryTimeoutMs: 0, retries: 0 },
      captureLog(),
    );
    await c.open();
    expect(await c.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    // Every timer close() sets is cleared before it returns (the server answers at once here).
    const set = vi.spyOn(globalThis, 'setTimeout');
    const cleared = vi.spyOn(globalThis, 'clearTimeout');
    try {
      await c.close();
      const timers = set.mock.results.map((r) => r.value as unknown);
      const clearedTimers = new Set(cleared.mock.calls.map((a) => a[0] as unknown));
      expect(timers.filter((t) => !clearedTimers.has(t))).toEqual([]);
    } finally {
      set.mockRestore();
      cleared.mockRestore();
    }
  });

  test('table options: partition_by, clustered_by + buckets, tblproperties, file_format', async () => {
    const m = model('opts', "SELECT id, id % 3 AS grp, concat('d', id % 2) AS dt FROM range(0, 20)", {
      options: { partition_by: 'dt', clustered_by: ['id'], buckets: 2, tblproperties: { owner_team: 'rx', 'tx.note': "it's" }, file_format: 'parquet' },
    });
    await session.materialize(m);
    const intro = (session as unknown as { intro: { details(r: unknown): Promise<{ partitionColumns: string[]; bucketColumns: string[]; provider: string; columns: { name: string }[] }> } }).intro;
    const det = await intro.details(rel('opts'));
    expect(det.partitionColumns).toEqual(['dt']);
    expect(det.bucketColumns).toEqual(['id']);
    expect(det.provider).toBe('parquet');
    // Spark moves partition columns to the end of the table.
    expect(det.columns.map((c) => c.name)).toEqual(['id', 'grp', 'dt']);
    const props = await session.connection.query(`SHOW TBLPROPERTIES ${d.relationName(rel('opts'))}`);
    expect(props).toEqual(expect.arrayContaining([{ key: 'owner_team', value: 'rx' }, { key: 'tx.note', value: "it's" }]));
    const parts = await session.connection.query(`SHOW PARTITIONS ${d.relationName(rel('opts'))}`);
    expect(parts.map((p) => p.partition).sort()).toEqual(['dt=d0', 'dt=d1']);
    await expect(session.materialize({ ...m, options: { clustered_by: 'id' } })).rejects.toThrow(/clustered_by needs `buckets`/);
  });

  test('external tables under location_root: a fresh folder per build, the old one removed', async () => {
    const root = path.join(work, 'ext-root');
    const ext = await openSession({ location_root: root });
    try {
      const m = model('ext_t', 'SELECT id FROM range(0, 5)');
      await ext.session.materialize(m);
      const intro = (ext.session as unknown as { intro: { details(r: unknown): Promise<{ external: boolean; location?: string }> } }).intro;
      const first = await intro.details(rel('ext_t'));
      expect(first.external).toBe(true);
      expect(first.location).toContain(path.join(root, schema, 'ext_t'));
      const firstDir = first.location!.replace(/^file:/, '');
      expect(fs.existsSync(firstDir)).toBe(true);
      await ext.session.materialize({ ...m, sql: 'SELECT id FROM range(0, 8)' });
      const second = await intro.details(rel('ext_t'));
      expect(second.location).not.toBe(first.location);
      expect(fs.existsSync(firstDir)).toBe(false);
      expect(await count(ext.session, 'ext_t')).toBe(8);
      expect(fs.readdirSync(path.join(root, schema, 'ext_t'))).toHaveLength(1);
    } finally {
      await ext.session.close();
    }
  });

  test('incremental append: INSERT INTO the existing table', async () => {
    const m = model('events', 'SELECT id, id * 10 AS v FROM range(0, 5)', { materialized: 'incremental', incremental: { strategy: 'append', uniqueKey: [], onSchemaChange: 'ignore' } });
    expect((await session.materialize(m)).action).toBe('created table');
    const r = await session.materialize({ ...m, sql: `SELECT id + 100 AS id, 0 AS v FROM range(0, 3) WHERE 1 = 1` });
    expect(r).toEqual({ action: 'incremental append', rowsAffected: 3 });
    expect(await count(session, 'events')).toBe(8);
    expect(log.statements.some((s) => /^INSERT INTO TABLE `[^`]+`\.`events`/.test(s))).toBe(true);
    // --full-refresh rebuilds it.
    await session.materialize({ ...m, fullRefresh: true });
    expect(await count(session, 'events')).toBe(5);
    expect(await session.relationExists(rel('events__tx_incr'))).toBe(false);
  });

  test('incremental insert_overwrite on a partitioned table replaces only the partitions in the new rows', async () => {
    const inc = { strategy: 'insert_overwrite' as const, uniqueKey: [], onSchemaChange: 'ignore' as const };
    const first = "SELECT * FROM VALUES (1, 'a', DATE'2021-01-01'), (2, 'b', DATE'2021-01-01'), (3, 'c', DATE'2021-01-02'), (4, 'd', DATE'2021-01-03') AS t(id, name, delivery_date)";
    const m = model('deliveries', first, { materialized: 'incremental', incremental: inc, options: { partition_by: ['delivery_date'] } });
    await session.materialize(m);
    // New data for 2021-01-02 (replaced: c goes, x and y come) and 2021-01-04 (new partition).
    const next = "SELECT * FROM VALUES (10, 'x', DATE'2021-01-02'), (11, 'y', DATE'2021-01-02'), (12, 'z', DATE'2021-01-04') AS t(id, name, delivery_date)";
    const r = await session.materialize({ ...m, sql: next });
    expect(r).toEqual({ action: 'incremental insert_overwrite', rowsAffected: 3 });
    const rows = await session.connection.query(`SELECT id, name, CAST(delivery_date AS STRING) AS dd FROM ${d.relationName(rel('deliveries'))} ORDER BY id`);
    expect(rows).toEqual([
      { id: 1, name: 'a', dd: '2021-01-01' },
      { id: 2, name: 'b', dd: '2021-01-01' },
      { id: 4, name: 'd', dd: '2021-01-03' },
      { id: 10, name: 'x', dd: '2021-01-02' },
      { id: 11, name: 'y', dd: '2021-01-02' },
      { id: 12, name: 'z', dd: '2021-01-04' },
    ]);
    const parts = (await session.connection.query(`SHOW PARTITIONS ${d.relationName(rel('deliveries'))}`)).map((p) => p.partition).sort();
    expect(parts).toEqual(['delivery_date=2021-01-01', 'delivery_date=2021-01-02', 'delivery_date=2021-01-03', 'delivery_date=2021-01-04']);
    expect(log.statements.some((s) => /^INSERT OVERWRITE TABLE `[^`]+`\.`deliveries` PARTITION \(`delivery_date`\)/.test(s))).toBe(true);
  });

  test('incremental merge on plain parquet: a clear error naming the format, table unchanged', async () => {
    const m = model('merged', 'SELECT id, 1 AS v FROM range(0, 4)', { materialized: 'incremental', incremental: { strategy: 'merge', uniqueKey: ['id'], onSchemaChange: 'ignore' } });
    await session.materialize(m);
    const before = log.statements.length;
    await expect(session.materialize({ ...m, sql: 'SELECT id, 2 AS v FROM range(2, 6)' })).rejects.toThrow(
      /incremental_strategy merge needs a table format with MERGE INTO \(delta, iceberg or hudi\), but `[^`]+`\.`merged` is stored as parquet/,
    );
    // Nothing was built or changed: only metadata was read.
    expect(log.statements.slice(before).every((s) => /^(DESCRIBE|SHOW)/.test(s))).toBe(true);
    expect(await session.connection.query(`SELECT sum(v) AS s FROM ${d.relationName(rel('merged'))}`)).toEqual([{ s: 4n }]);
    await expect(session.materialize({ ...m, incremental: { strategy: 'delete+insert', uniqueKey: ['id'], onSchemaChange: 'ignore' } })).rejects.toThrow(/delete\+insert needs a table format .* stored as parquet/);
  });

  test('incremental on_schema_change: fail, append_new_columns, sync_all_columns', async () => {
    const base = model('evolving', 'SELECT id, 1 AS a FROM range(0, 2)', { materialized: 'incremental', incremental: { strategy: 'append', uniqueKey: [], onSchemaChange: 'fail' } });
    await session.materialize(base);
    const wider = 'SELECT id, 2 AS a, 3 AS b FROM range(2, 3)';
    await expect(session.materialize({ ...base, sql: wider })).rejects.toThrow(/on_schema_change is fail and the schema changed: new column b INT/);
    expect(await count(session, 'evolving')).toBe(2);
    await session.materialize({ ...base, sql: wider, incremental: { ...base.incremental!, onSchemaChange: 'append_new_columns' } });
    expect((await session.columns(rel('evolving'))).map((c) => c.name)).toEqual(['id', 'a', 'b']);
    expect(await session.connection.query(`SELECT id, a, b FROM ${d.relationName(rel('evolving'))} ORDER BY id`)).toEqual([
      { id: 0n, a: 1, b: null },
      { id: 1n, a: 1, b: null },
      { id: 2n, a: 2, b: 3 },
    ]);
    // sync_all_columns: `a` is gone and `b` becomes a string: Parquet tables cannot drop or retype columns, so it is rebuilt.
    await session.materialize({
      ...base,
      sql: "SELECT id, CAST(b AS STRING) AS b FROM (SELECT id, 9 AS b FROM range(3, 4))",
      incremental: { ...base.incremental!, onSchemaChange: 'sync_all_columns' },
    });
    expect(await session.columns(rel('evolving'))).toEqual([
      { name: 'id', type: 'BIGINT' },
      { name: 'b', type: 'STRING' },
    ]);
    expect(await session.connection.query(`SELECT id, b FROM ${d.relationName(rel('evolving'))} ORDER BY id`)).toEqual([
      { id: 0n, b: null },
      { id: 1n, b: null },
      { id: 2n, b: '3' },
      { id: 3n, b: '9' },
    ]);
  });

  test('rows out: streamed in fetch batches', async () => {
    const sizes: number[] = [];
    let total = 0n;
    for await (const batch of session.connection.stream('SELECT id FROM range(0, 25000)', { batchSize: 10_000 })) {
      sizes.push(batch.length);
      for (const r of batch) total += r.id as bigint;
    }
    expect(sizes).toEqual([10_000, 10_000, 5_000]);
    expect(total).toBe(BigInt((24_999 * 25_000) / 2));
    // Leaving early closes the operation.
    for await (const batch of session.connection.stream('SELECT id FROM range(0, 25000)', { batchSize: 100 })) {
      expect(batch).toHaveLength(100);
      break;
    }
    expect(await session.connection.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    // Types out as DuckDB gives them: BIGINT as bigint, DECIMAL as number, DATE/TIMESTAMP as Date.
    const [row] = await session.connection.query(
      "SELECT CAST(9007199254740993 AS BIGINT) AS b, CAST(1.25 AS DECIMAL(38,9)) AS dec, DATE'2021-03-04' AS dt, TIMESTAMP'2021-03-04 05:06:07.5' AS ts, CAST(NULL AS INT) AS n",
    );
    expect(row).toEqual({ b: 9007199254740993n, dec: 1.25, dt: new Date(Date.UTC(2021, 2, 4)), ts: new Date(Date.UTC(2021, 2, 4, 5, 6, 7, 500)), n: null });
  });

  test('seeds: typed, through INSERT ... VALUES and through Parquet, replaced atomically', async () => {
    const file = path.join(work, 'prices.csv');
    fs.writeFileSync(file, 'id,item,price,sold_at,ok\n1,apple,1.25,2021-01-02 03:04:05,true\n2,"pear, green",0.5,2021-01-03 00:00:00,false\n3,,,,\n');
    const seed = { uniqueId: 'seed.test.prices', relation: rel('prices'), path: file, delimiter: ',', quote: '"', header: true, columnTypes: { price: 'decimal', sold_at: 'timestamp' } };
    const viaValues = await session.loadSeed(seed);
    expect(viaValues).toEqual({ rowsLoaded: 3, rowsRejected: 0 });
    expect(log.statements.some((s) => /^INSERT INTO TABLE `[^`]+`\.`prices__tx_load` VALUES/.test(s))).toBe(true);
    const expected = [
      { id: 1n, item: 'apple', price: 1.25, sold_at: new Date(Date.UTC(2021, 0, 2, 3, 4, 5)), ok: true },
      { id: 2n, item: 'pear, green', price: 0.5, sold_at: new Date(Date.UTC(2021, 0, 3)), ok: false },
      { id: 3n, item: null, price: null, sold_at: null, ok: null },
    ];
    expect(await session.connection.query(`SELECT * FROM ${d.relationName(rel('prices'))} ORDER BY id`)).toEqual(expected);
    expect(await session.columns(rel('prices'))).toEqual([
      { name: 'id', type: 'BIGINT' },
      { name: 'item', type: 'STRING' },
      { name: 'price', type: 'DECIMAL(38,9)' },
      { name: 'sold_at', type: 'TIMESTAMP' },
      { name: 'ok', type: 'BOOLEAN' },
    ]);
    {
      const plog = captureLog();
      const p2 = await createHiveTarget('hive', targetConfig({ load_method: 'parquet' }), work).open({ log: plog, threads: 1 });
      expect(await p2.loadSeed({ ...seed, relation: rel('prices_pq') })).toEqual({ rowsLoaded: 3, rowsRejected: 0 });
      expect(plog.statements.some((s) => /^CREATE TABLE `[^`]+`\.`prices_pq__tx_stage_b[0-9a-z]+` \(.*\) USING parquet LOCATION 'file:\/\//.test(s))).toBe(true);
      expect(await p2.connection.query(`SELECT * FROM ${d.relationName(rel('prices_pq'))} ORDER BY id`)).toEqual(expected);
      await p2.close();
      // The landing folder is cleaned up.
      expect(fs.readdirSync(path.join(os.tmpdir(), 'tx-hive-landing')).filter((f) => f.includes('prices_pq'))).toEqual([]);
    }
    // Loading again replaces the table.
    fs.writeFileSync(file, 'id,item,price,sold_at,ok\n7,kiwi,2,2021-02-01 00:00:00,true\n');
    await session.loadSeed(seed);
    expect(await count(session, 'prices')).toBe(1);
  });

  test('file sources: typed CSV, Parquet and Avro with rejected rows (file, line, reason) as on DuckDB; max_rejected_rows', async () => {
    const dir = path.join(work, 'vendor');
    fs.mkdirSync(dir, { recursive: true });
    const a = path.join(dir, 'a.csv');
    const b = path.join(dir, 'b.csv');
    fs.writeFileSync(a, 'id,name,amount,day\n1,a,10.5,2021-01-01\nx,b,11,2021-01-02\n3,c,abc,2021-01-03\n');
    fs.writeFileSync(b, 'id,name,amount,day\n4,"d, e",12,2021-13-01\n5,f,13,2021-01-05\n');
    const columns = [
      { name: 'id', type: 'integer' },
      { name: 'name', type: 'string' },
      { name: 'amount', type: 'double' },
      { name: 'day', type: 'date' },
    ];
    const load = {
      uniqueId: 'source.test.vendor.sales',
      relation: rel('sales'),
      files: [a, b],
      format: 'csv' as const,
      columns,
      options: { header: true },
      rejectsRelation: rel('sales__rejects'),
      maxRejectedRows: 10,
    };
    const res = await session.loadFileSource(load);
    expect(res.rowsLoaded).toBe(2);
    expect(res.rowsRejected).toBe(3);
    expect(await session.connection.query(`SELECT id, name, amount, CAST(day AS STRING) AS day FROM ${d.relationName(rel('sales'))} ORDER BY id`)).toEqual([
      { id: 1, name: 'a', amount: 10.5, day: '2021-01-01' },
      { id: 5, name: 'f', amount: 13, day: '2021-01-05' },
    ]);
    const hiveRejects = await session.connection.query(`SELECT source, file, line, column_name, reason FROM ${d.relationName(rel('sales__rejects'))} ORDER BY file, line`);
    expect(hiveRejects.map((r) => [path.basename(String(r.file)), Number(r.line), r.column_name])).toEqual([
      ['a.csv', 3, 'id'],
      ['a.csv', 4, 'amount'],
      ['b.csv', 2, 'day'],
    ]);
    // Exactly what the DuckDB target records for the same files.
    const duck = await createDuckdbTarget('duck', { type: 'duckdb', path: ':memory:' }, work).open({ log: captureLog(), threads: 1 });
    try {
      const dres = await duck.loadFileSource({ ...load, relation: { schema: 'main', identifier: 'sales' }, rejectsRelation: { schema: 'main', identifier: 'sales__rejects' } });
      expect({ loaded: dres.rowsLoaded, rejected: dres.rowsRejected }).toEqual({ loaded: 2, rejected: 3 });
      const duckRejects = await duck.connection.query('SELECT source, file, line, column_name, reason FROM main.sales__rejects ORDER BY file, line');
      expect(hiveRejects.map((r) => ({ ...r, line: Number(r.line) }))).toEqual(duckRejects.map((r) => ({ ...r, line: Number(r.line) })));
    } finally {
      await duck.close();
    }
    // Over the limit: the load fails, naming the rejects table; the previous table stays.
    await expect(session.loadFileSource({ ...load, maxRejectedRows: 1 })).rejects.toThrow(/3 of 5 rows of source\.test\.vendor\.sales were rejected \(max_rejected_rows: 1\); they are in `[^`]+`\.`sales__rejects`/);
    expect(await count(session, 'sales')).toBe(2);

    // A `decimal` column (DECIMAL(38,9)): plain values through the fast read, exact to the last digit;
    // a value it cannot take (1e40) through the exact read, rejected with its line.
    const dec = path.join(dir, 'dec.csv');
    fs.writeFileSync(dec, 'id,amount\n1,12.5\n2,-123456789.000000001\n3,1e40\n4,\n');
    const decLoad = { ...load, relation: rel('sales_dec'), rejectsRelation: rel('sales_dec__rejects'), files: [dec], columns: [columns[0]!, { name: 'amount', type: 'decimal' }] };
    expect(await session.loadFileSource(decLoad)).toMatchObject({ rowsLoaded: 3, rowsRejected: 1 });
    expect(await session.connection.query(`SELECT id, CAST(amount AS STRING) AS amount FROM ${d.relationName(rel('sales_dec'))} ORDER BY id`)).toEqual([
      { id: 1, amount: '12.500000000' },
      { id: 2, amount: '-123456789.000000001' },
      { id: 4, amount: null },
    ]);
    expect((await session.connection.query(`SELECT line FROM ${d.relationName(rel('sales_dec__rejects'))}`)).map((r) => Number(r.line))).toEqual([4]);
    fs.writeFileSync(dec, 'id,amount\n1,12.5\n2,-123456789.000000001\n');
    expect(await session.loadFileSource(decLoad)).toMatchObject({ rowsLoaded: 2, rowsRejected: 0 });
    expect(await session.connection.query(`SELECT CAST(sum(amount) AS STRING) AS s FROM ${d.relationName(rel('sales_dec'))}`)).toEqual([{ s: '-123456776.500000001' }]);

    // Parquet with declared types: values that do not fit are rejected with their row number.
    const pq = path.join(dir, 'c.parquet');
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const inst = await DuckDBInstance.create(':memory:');
    const con = await inst.connect();
    await con.run(`COPY (SELECT * FROM (VALUES ('1', 'x'), ('2', 'y'), ('three', 'z')) t(id, name)) TO '${pq}' (FORMAT parquet)`);
    con.closeSync();
    inst.closeSync();
    const pres = await session.loadFileSource({ ...load, relation: rel('sales_pq'), rejectsRelation: rel('sales_pq__rejects'), files: [pq], format: 'parquet', columns: columns.slice(0, 2) });
    expect({ loaded: pres.rowsLoaded, rejected: pres.rowsRejected }).toEqual({ loaded: 2, rejected: 1 });
    expect(pres.sampleRejects).toEqual([{ file: 'c.parquet', line: 3, reason: 'id: value does not fit INTEGER: three' }]);

    // Avro (streamed with avsc), typed as declared: the same rows and rejects as on DuckDB.
    const av = path.join(dir, 'd.avro');
    const type = avro.Type.forSchema({ type: 'record', name: 'sale', fields: [{ name: 'id', type: 'string' }, { name: 'name', type: ['null', 'string'] }] });
    await new Promise<void>((resolve, reject) => {
      const enc = avro.createFileEncoder(av, type);
      enc.on('finish', resolve).on('error', reject);
      for (const [id, name] of [['7', 'g'], ['eight', 'h'], ['9', null]]) enc.write({ id, name });
      enc.end();
    });
    const aload = { ...load, relation: rel('sales_avro'), rejectsRelation: rel('sales_avro__rejects'), files: [av], format: 'avro' as const, columns: columns.slice(0, 2) };
    const ares = await session.loadFileSource(aload);
    expect({ loaded: ares.rowsLoaded, rejected: ares.rowsRejected }).toEqual({ loaded: 2, rejected: 1 });
    expect(ares.sampleRejects).toEqual([{ file: 'd.avro', line: 2, reason: 'id: value does not fit INTEGER: eight' }]);
    expect(await session.connection.query(`SELECT id, name FROM ${d.relationName(rel('sales_avro'))} ORDER BY id`)).toEqual([
      { id: 7, name: 'g' },
      { id: 9, name: null },
    ]);
    const duck2 = await createDuckdbTarget('duck', { type: 'duckdb', path: ':memory:' }, work).open({ log: captureLog(), threads: 1 });
    try {
      const dres = await duck2.loadFileSource({ ...aload, relation: { schema: 'main', identifier: 'sales_avro' }, rejectsRelation: { schema: 'main', identifier: 'sales_avro__rejects' } });
      expect({ loaded: dres.rowsLoaded, rejected: dres.rowsRejected, sample: dres.sampleRejects }).toEqual({ loaded: 2, rejected: 1, sample: ares.sampleRejects });
    } finally {
      await duck2.close();
    }
  });

  test('server unreachable, wrong auth mode, Kerberos: clear errors', async () => {
    const closedPort = await freePort();
    const unreachable = createHiveTarget('hive', targetConfig({ port: closedPort, retries: 1 }), work);
    await expect(unreachable.ping()).rejects.toThrow(new RegExp(`cannot reach HiveServer2 at 127\\.0\\.0\\.1:${closedPort}: .*ECONNREFUSED.*\\(after 2 attempts\\)`));
    // retries: 1 and no more: the message counts the attempts

    const nosasl = createHiveTarget('hive', targetConfig({ auth: 'NOSASL', connect_timeout: 10, retries: 0 }), work);
    await expect(nosasl.ping()).rejects.toThrow(/HiveServer2 at 127\.0\.0\.1:\d+ closed the connection while opening a session: the server probably expects SASL \(set auth: NONE, PLAIN or LDAP\)/);

    // A server that hangs up on the SASL handshake (what a NOSASL HiveServer2 does), and one that
    // accepts the connection and never answers: each a clear error naming the stage.
    const sockets = new Set<net.Socket>();
    const hangUp = net.createServer((s) => s.once('data', () => s.destroy()));
    const silent = net.createServer((s) => sockets.add(s));
    await new Promise<void>((r) => hangUp.listen(0, '127.0.0.1', r));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const port1 = (hangUp.address() as net.AddressInfo).port;
      await expect(createHiveTarget('hive', targetConfig({ port: port1, retries: 0 }), work).ping()).rejects.toThrow(
        /closed the connection during the SASL PLAIN handshake: the server may not use SASL \(auth: NOSASL\)/,
      );
      const port2 = (silent.address() as net.AddressInfo).port;
      await expect(createHiveTarget('hive', targetConfig({ port: port2, retries: 0, connect_timeout: '1s' }), work).ping()).rejects.toThrow(
        /timed out after 1s authenticating to HiveServer2 at 127\.0\.0\.1:\d+ \(auth NONE: if the server uses another auth mode/,
      );
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => hangUp.close(r));
      await new Promise((r) => silent.close(r));
    }

    expect(() => createHiveTarget('hive', targetConfig({ auth: 'KERBEROS' }), work)).toThrow(/auth KERBEROS is not supported by tx/);
    expect(() => createHiveTarget('hive', targetConfig({ auth: 'LDAP', user: '' }), work)).toThrow(/auth LDAP needs a user/);
    expect(() => createHiveTarget('hive', targetConfig({ auth: 'TOKEN' }), work)).toThrow(/auth must be one of NONE, PLAIN, LDAP, NOSASL/);
  });

  test('a wrong password: a clear authentication error that never shows the password, no retries; the right one connects', async (ctx) => {
    const account = hive!.passwordAccount;
    if (!account) {
      // An external server (TX_TEST_HIVE_URL) that did not say which account it checks: skipped
      // (reported as such, never as passed), or a failure when TX_TEST_REQUIRE names hive.
      serviceUnavailable('hive', 'the HiveServer2 in TX_TEST_HIVE_URL has no known password account (set TX_TEST_HIVE_PASSWORD_ACCOUNT=user:password)');
      return ctx.skip();
    }
    const wrong = `not-${account.password}-at-all`;
    for (const auth of ['PLAIN', 'LDAP']) {
      const log = captureLog();
      const bad = createHiveTarget('hive', targetConfig({ auth, user: account.user, password: wrong, retries: 3 }), work);
      const err = (await bad.open({ log, threads: 1 }).catch((e: unknown) => e)) as Error;
      expect(err).toBeInstanceOf(Error);
      expect(err.message).toMatch(new RegExp(`authentication failed at HiveServer2 at 127\\.0\\.0\\.1:${hive!.port} for user \`${account.user}\` \\(auth ${auth}\\)`));
      // A wrong password is not a transient fault: no retries, so no lock-out of the account.
      expect(err.message).not.toMatch(/after \d+ attempts/);
      const everything = [err.message, String(err.stack), JSON.stringify(err), String((err as { cause?: unknown }).cause ?? ''), ...log.infos, ...log.warnings, ...log.statements].join('\n');
      expect(everything).not.toContain(wrong);
    }
    const good = createHiveTarget('hive', targetConfig({ auth: 'PLAIN', user: account.user, password: account.password }), work);
    expect(await good.ping()).toMatch(/HiveServer2 at 127\.0\.0\.1:\d+, auth PLAIN/);

    // The CLI: exit non-zero before building anything, the password nowhere in its output or logs.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tx-hive-auth-'));
    try {
      fs.mkdirSync(path.join(dir, 'models'));
      fs.writeFileSync(
        path.join(dir, 'project.yml'),
        `name: auth\ntarget: hive\ntargets:\n  hive:\n    type: hive\n    host: 127.0.0.1\n    port: ${hive!.port}\n    schema: ${schema}\n    auth: PLAIN\n    user: ${account.user}\n    password: "{{ env_var('TX_HIVE_PASSWORD') }}"\n`,
      );
      fs.writeFileSync(path.join(dir, 'models', 'auth_probe.sql'), 'select 1 as x');
      const r = await runCli(['build', '--project-dir', dir], { env: { TX_HIVE_PASSWORD: wrong }, timeoutMs: 120_000 });
      expect(r.code, r.output).not.toBe(0);
      expect(r.output).toMatch(/authentication failed/);
      const logs = fs.existsSync(path.join(dir, 'logs')) ? fs.readdirSync(path.join(dir, 'logs')).map((f) => fs.readFileSync(path.join(dir, 'logs', f), 'utf8')).join('\n') : '';
      const target = fs.existsSync(path.join(dir, 'target')) ? fs.readdirSync(path.join(dir, 'target'), { recursive: true }).map(String).filter((f) => fs.statSync(path.join(dir, 'target', f)).isFile()).map((f) => fs.readFileSync(path.join(dir, 'target', f), 'utf8')).join('\n') : '';
      for (const text of [r.output, logs, target]) expect(text).not.toContain(wrong);
      expect(await session.relationExists(rel('auth_probe'))).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);

  test('a query past its timeout is cancelled on the server', async () => {
    const slow = await openSession({ query_timeout: '2s' });
    try {
      // Two tasks sleeping 60 s each: both of the server's cores.
      const err = await slow.session.connection
        .query("SELECT id, reflect('java.lang.Thread', 'sleep', CAST(60000 AS BIGINT)) AS s FROM range(0, 2, 1, 2)")
        .catch((e: unknown) => e as Error);
      expect(err).toBeInstanceOf(TargetError);
      expect((err as Error).message).toMatch(/cancelled on the server after the query timeout of 2s \(the server reports the operation CANCELED\)/);
      // The sleeping tasks were killed: a query that needs both cores runs now, not in a minute.
      const t2 = Date.now();
      expect(await slow.session.connection.query('SELECT count(*) AS n FROM range(0, 1000, 1, 2)')).toEqual([{ n: 1000n }]);
      expect(Date.now() - t2).toBeLessThan(40_000);
      // An aborted signal cancels the same way (Ctrl-C in the runner).
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 500);
      await expect(
        session.connection.query("SELECT id, reflect('java.lang.Thread', 'sleep', CAST(60000 AS BIGINT)) AS s FROM range(0, 2, 1, 2)", { signal: ac.signal }),
      ).rejects.toThrow(/^cancelled/);
    } finally {
      await slow.session.close();
    }
  });

  test('a session dropped mid-run: a statement that is safe to repeat is retried, anything else fails that node cleanly; then it reconnects', async () => {
    const proxy = await tcpProxy(hive!.host, hive!.port);
    const plog = captureLog();
    const p = await openSession({ port: proxy.port, retries: 2 }, plog);
    try {
      const sleepy = (ms: number) => `SELECT id, reflect('java.lang.Thread', 'sleep', CAST(${ms} AS BIGINT)) AS s FROM range(0, 2, 1, 2)`;
      // A read: retried on a new session, the caller just gets the rows.
      setTimeout(() => proxy.cut(), 1000);
      const rows = await p.session.connection.query(sleepy(2500));
      expect(rows.map((r) => r.id)).toEqual([0n, 1n]);
      expect(plog.warnings.some((w) => /session lost while running a statement that is safe to repeat; reconnecting/.test(w))).toBe(true);
      expect(proxy.connections()).toBe(2);

      // A table build: not repeated (the server may have done it); the node fails with a transient error.
      setTimeout(() => proxy.cut(), 1000);
      const err = (await p.session.materialize(model('dropped', sleepy(2500))).catch((e: unknown) => e)) as TargetError;
      expect(err).toBeInstanceOf(TargetError);
      expect(err.message).toMatch(/the HiveServer2 session was lost while running this statement .*tx did not repeat it; the node failed and the next statement reconnects/);
      expect(err.options.transient).toBe(true);
      // The next node works on a fresh session.
      await p.session.materialize(model('after_drop', 'SELECT 1 AS x'));
      expect(await count(p.session, 'after_drop')).toBe(1);
      expect(plog.warnings.some((w) => /reconnected to HiveServer2/.test(w))).toBe(true);
    } finally {
      await p.session.close();
      await proxy.close();
    }
  });
  test('the example project builds on Spark with the CLI, and both reports equal DuckDB’s (as multisets)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tx-hive-project-'));
    try {
      // TX_TEST_PROJECT_DIR: try a modified copy of the project instead of the repository's.
      copyProject(dir, process.env.TX_TEST_PROJECT_DIR ?? REPO_ROOT);
      const env = { TX_HIVE_HOST: hive!.host, TX_HIVE_PORT: String(hive!.port), TX_HIVE_USER: 'tx', TX_HIVE_PASSWORD: 'tx', TX_HIVE_AUTH: 'NONE' };
      const onHive = await runCli(['build', '--project-dir', dir, '--target', 'hive'], { env, timeoutMs: 420_000 });
      console.log(`[timing] example project build on Spark: ${(onHive.ms / 1000).toFixed(1)} s`);
      expect(onHive.code, onHive.output).toBe(0);
      expect(onHive.output).toMatch(/Finished build/);
      const onDuck = await runCli(['build', '--project-dir', dir, '--target', 'duckdb'], { timeoutMs: 150_000 });
      expect(onDuck.code, onDuck.output).toBe(0);
      for (const report of ['city_report', 'top_prescribers']) {
        const fromHive = await session.connection.query(`SELECT * FROM \`prescpipeline\`.${d.quoteIdentifier(report)}`);
        const fromDuck = await queryDuckdb(path.join(dir, 'healthcare.duckdb'), `select * from main.${report}`);
        expect(fromHive.length, report).toBeGreaterThan(0);
        expect(canon(fromHive), report).toEqual(canon(fromDuck));
      }
    } finally {
      await session.connection.execute('DROP DATABASE IF EXISTS `prescpipeline` CASCADE').catch(() => undefined);
      await session.connection.execute('DROP DATABASE IF EXISTS `vendor` CASCADE').catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);
});
