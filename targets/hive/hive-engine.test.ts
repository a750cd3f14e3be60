/**
 * Engine-side sources and exports on a real Spark Thrift Server (testing/services/spark.ts; the
 * server runs on this machine, so `file://` paths are paths it reads and writes): file sources under
 * `engine_paths` are read by Spark with the client loader's rows and rejects, exports to folders
 * under `engine_paths` are written by Spark, all or nothing; `tx debug` probes the scratch space.
 * The example project on engine-side paths: hive-engine-project.test.ts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { REPO_ROOT, cliPath, copyProject, dedent, runCli, writeFiles } from '../../testing/fixture-project.js';
import { serviceUnavailable } from '../../testing/services/require.js';
import { startSparkThriftServer, type HiveService } from '../../testing/services/spark.js';
import { createDuckdbTarget } from '../duckdb/index.js';
import { runExport } from '../exports/index.js';
import { readOrcFile } from '../files/orc/index.js';
import type { FileSourceLoad, TargetConfig, TargetLog, TargetSession } from '../target.js';
import { hiveDialect as d } from './hive-dialect.js';
import { createHiveTarget } from './index.js';

let hive: HiveService | null = null;
const schema = `tx_eng_${Math.random().toString(36).slice(2, 8)}`;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tx-hive-engine-'));
const quiet: TargetLog = { statement: () => {}, info: () => {}, warn: () => {} };

function targetConfig(extra: Record<string, unknown> = {}): TargetConfig {
  return { type: 'hive', host: hive!.host, port: String(hive!.port), schema, auth: 'NONE', user: 'tx', engine_paths: ['file://'], ...extra };
}

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

const url = (p: string) => pathToFileURL(p).href;

describe('hive target: engine-side sources and exports', () => {
  let session: TargetSession;
  let duck: TargetSession;

  beforeAll(async () => {
    hive = await startSparkThriftServer();
    if (!hive) return;
    session = await createHiveTarget('hive', targetConfig(), work).open({ log: quiet, threads: 2 });
    await session.ensureSchema(schema);
    duck = await createDuckdbTarget('duck', { type: 'duckdb', path: ':memory:' }, work).open({ log: quiet, threads: 1 });
  }, 600_000);

  afterAll(async () => {
    try {
      await session?.connection.execute(`DROP DATABASE IF EXISTS ${d.quoteIdentifier(schema)} CASCADE`).catch(() => undefined);
      await session?.close();
      await duck?.close();
    } finally {
      await hive?.stop();
      fs.rmSync(work, { recursive: true, force: true });
    }
  });

  /** Loads the same files on Spark (engine-side, `location` under engine_paths) and DuckDB (client loader); returns both. */
  async function both(name: string, l: Omit<FileSourceLoad, 'relation' | 'rejectsRelation' | 'uniqueId'>) {
    const uniqueId = `source.test.vendor.${name}`;
    // Local paths tx cannot read: only a read by the server itself (from `location`) can succeed.
    const files = l.files.map((f) => `${f}.not-read-by-tx`);
    const onSpark = await session.loadFileSource({ ...l, files, uniqueId, relation: { schema, identifier: name }, rejectsRelation: { schema, identifier: `${name}__rejects` } });
    const onDuck = await duck.loadFileSource({ ...l, location: undefined, uniqueId, relation: { schema: 'main', identifier: name }, rejectsRelation: { schema: 'main', identifier: `${name}__rejects` } });
    const cols = l.columns!.map((c) => d.quoteIdentifier(c.name)).join(', ');
    const rejCols = 'source, file, line, column_name, error_type, reason, raw_line';
    return {
      spark: {
        res: onSpark,
        rows: await session.connection.query(`SELECT ${cols} FROM ${d.relationName({ schema, identifier: name })}`),
        rejects: await session.connection.query(`SELECT ${rejCols} FROM ${d.relationName({ schema, identifier: `${name}__rejects` })}`),
      },
      duck: {
        res: onDuck,
        rows: await duck.connection.query(`SELECT ${l.columns!.map((c) => `"${c.name}"`).join(', ')} FROM main."${name}"`),
        rejects: await duck.connection.query(`SELECT ${rejCols} FROM main."${name}__rejects"`),
      },
    };
  }

  test('CSV, Parquet, JSON and ORC read by Spark: the client loader’s rows and rejects (file, line, column, type, reason, raw line)', async () => {
    const dir = path.join(work, 'formats');
    fs.mkdirSync(dir, { recursive: true });
    const columns = [
      { name: 'id', type: 'integer' },
      { name: 'name', type: 'string' },
      { name: 'amount', type: 'double' },
      { name: 'day', type: 'date' },
    ];
    // CSV over two files: bad values, too few and too many fields, quoted fields, "" as null, a value DuckDB rounds.
    fs.mkdirSync(path.join(dir, 'csv'));
    fs.writeFileSync(path.join(dir, 'csv', 'a.csv'), 'id,name,amount,day\n1,a,10.5,2021-01-01\nx,b,11,2021-01-02\n3,c,abc,2021-01-03\n4,"d, e",""\n6,f,1,2021-01-06,extra\n');
    fs.writeFileSync(path.join(dir, 'csv', 'b.csv'), 'id,name,amount,day\n7,"g ""q""",12,2021-13-01\n8,,13,2021-01-08\n 9 ,h,14,2021-01-09\n10.5,i,15,2021-01-10\n');
    const csv = await both('sales_csv', { files: [path.join(dir, 'csv', 'a.csv'), path.join(dir, 'csv', 'b.csv')], location: url(path.join(dir, 'csv')), format: 'csv', columns, options: { header: true }, maxRejectedRows: 100 });
    expect({ loaded: csv.spark.res.rowsLoaded, rejected: csv.spark.res.rowsRejected }).toEqual({ loaded: csv.duck.res.rowsLoaded, rejected: csv.duck.res.rowsRejected });
    expect(csv.spark.res.rowsRejected).toBe(5);
    expect(canon(csv.spark.rows)).toEqual(canon(csv.duck.rows));
    expect(canon(csv.spark.rejects)).toEqual(canon(csv.duck.rejects));
    expect(csv.spark.res.sampleRejects).toEqual(csv.duck.res.sampleRejects);

    // Parquet, JSON, ORC: typed by casts; a value that does not fit rejects its row, with its row number.
    const values = `SELECT * FROM VALUES ('1', 'a', '10.5', '2021-01-01'), ('x', 'b', '11', '2021-01-02'), (NULL, 'c', NULL, NULL), ('3000000000', 'd', '1e3', '2021-02-30'), ('5', 'e', 'abc', '2021-01-05') AS t(id, name, amount, day)`;
    for (const format of ['parquet', 'json', 'orc'] as const) {
      const folder = path.join(dir, format);
      // Written by Spark itself (ORC: DuckDB has no ORC writer); two files, so line numbers restart per file.
      await session.connection.execute(`INSERT OVERWRITE DIRECTORY ${d.literal(url(folder))} USING ${format} SELECT /*+ REPARTITION(2) */ * FROM (${values})`);
      const files = fs.readdirSync(folder).filter((f) => !f.startsWith('_') && !f.startsWith('.')).map((f) => path.join(folder, f)).sort();
      const r = await both(`sales_${format}`, { files, location: url(folder), format, columns, options: {}, maxRejectedRows: 100 });
      expect({ format, loaded: r.spark.res.rowsLoaded, rejected: r.spark.res.rowsRejected }).toEqual({ format, loaded: r.duck.res.rowsLoaded, rejected: r.duck.res.rowsRejected });
      expect(r.spark.res.rowsRejected, format).toBe(3);
      expect(canon(r.spark.rows), format).toEqual(canon(r.duck.rows));
      expect(canon(r.spark.rejects), format).toEqual(canon(r.duck.rejects));
    }

    // Over max_rejected_rows: the load fails naming the rejects table, and the previous table stays.
    const before = await session.connection.query(`SELECT count(*) AS n FROM ${d.relationName({ schema, identifier: 'sales_csv' })}`);
    const over = session.loadFileSource({
      uniqueId: 'source.test.vendor.sales_csv',
      relation: { schema, identifier: 'sales_csv' },
      rejectsRelation: { schema, identifier: 'sales_csv__rejects' },
      files: [path.join(dir, 'csv', 'b.csv')],
      location: url(path.join(dir, 'csv', 'b.csv')),
      format: 'csv',
      columns,
      options: { header: true },
      maxRejectedRows: 0,
    });
    await expect(over).rejects.toThrow(/1 of 4 rows of source\.test\.vendor\.sales_csv were rejected \(max_rejected_rows: 0\); they are in `[^`]+`\.`sales_csv__rejects`/);
    expect(await session.connection.query(`SELECT count(*) AS n FROM ${d.relationName({ schema, identifier: 'sales_csv' })}`)).toEqual(before);
  }, 400_000);

  test('a CSV without rejected rows is parsed once: rejects = records - loaded (a count that splits lines only), equal to the client loader with blank lines and quoted fields', async () => {
    const dir = path.join(work, 'clean-csv');
    fs.mkdirSync(dir, { recursive: true });
    const columns = [
      { name: 'id', type: 'integer' },
      { name: 'name', type: 'string' },
      { name: 'amount', type: 'double' },
    ];
    fs.writeFileSync(path.join(dir, 'a.csv'), 'id,name,amount\n1,a,10.5\n\n2,"b, c",11\n3,"d ""q""",\n');
    fs.writeFileSync(path.join(dir, 'b.csv'), 'id,name,amount\n4,,12\n 5 ,e,13\n');
    const statements: string[] = [];
    const log: TargetLog = { statement: (sql) => statements.push(sql), info: () => {}, warn: () => {} };
    const own = await createHiveTarget('hive', targetConfig(), work).open({ log, threads: 1 });
    try {
      const base = { files: [path.join(dir, 'a.csv'), path.join(dir, 'b.csv')], format: 'csv' as const, columns, options: { header: true }, maxRejectedRows: 0 };
      const uniqueId = 'source.test.vendor.clean_csv';
      const onSpark = await own.loadFileSource({ ...base, files: base.files.map((f) => `${f}.not-read-by-tx`), location: url(dir), uniqueId, relation: { schema, identifier: 'clean_csv' }, rejectsRelation: { schema, identifier: 'clean_csv__rejects' } });
      const onDuck = await duck.loadFileSource({ ...base, uniqueId, relation: { schema: 'main', identifier: 'clean_csv' }, rejectsRelation: { schema: 'main', identifier: 'clean_csv__rejects' } });
      expect({ loaded: onSpark.rowsLoaded, rejected: onSpark.rowsRejected }).toEqual({ loaded: onDuck.rowsLoaded, rejected: onDuck.rowsRejected });
      expect(onSpark).toMatchObject({ rowsLoaded: 5, rowsRejected: 0 });
      expect(canon(await own.connection.query(`SELECT id, name, amount FROM ${d.relationName({ schema, identifier: 'clean_csv' })}`))).toEqual(
        canon(await duck.connection.query('SELECT id, name, amount FROM main.clean_csv')),
      );
      expect(await own.connection.query(`SELECT count(*) AS n FROM ${d.relationName({ schema, identifier: 'clean_csv__rejects' })}`)).toEqual([{ n: 0n }]);
      // The typed read (the CTAS) is the only statement that parses the rows' fields; the count of records needs none.
      const parsing = statements.filter((q) => /_corrupt_record/.test(q) && /FROM `tx_src_/.test(q) && !/^CREATE OR REPLACE TEMPORARY VIEW/.test(q));
      expect(parsing.map((q) => q.split('\n')[0])).toEqual([`CREATE TABLE ${d.relationName({ schema, identifier: 'clean_csv__tx_load' })}`]);
      expect(statements.some((q) => /^SELECT count\(\*\) AS n FROM `tx_src_[a-z0-9]+`$/.test(q))).toBe(true);
    } finally {
      await own.close();
    }
  }, 300_000);

  test('bad input: a path the server cannot read, a header that does not match, mixed formats, Avro without spark-avro', async () => {
    const dir = path.join(work, 'bad');
    fs.mkdirSync(dir, { recursive: true });
    const columns = [
      { name: 'id', type: 'integer' },
      { name: 'name', type: 'string' },
    ];
    const good = path.join(dir, 'good.csv');
    fs.writeFileSync(good, 'id,name\n1,a\n2,b\n');
    const base = { uniqueId: 'source.test.vendor.people', relation: { schema, identifier: 'people' }, rejectsRelation: { schema, identifier: 'people__rejects' }, format: 'csv' as const, columns, options: { header: true } };
    await session.loadFileSource({ ...base, files: [good], location: url(good) });
    const count = async () => (await session.connection.query(`SELECT count(*) AS n FROM ${d.relationName(base.relation)}`))[0]!.n;
    expect(Number(await count())).toBe(2);

    // A path the server cannot read: the engine's message, the source named, the table kept.
    const missing = path.join(dir, 'nowhere', 'people.csv');
    await expect(session.loadFileSource({ ...base, files: [missing], location: url(missing) })).rejects.toThrow(
      /^file source source\.test\.vendor\.people: the Spark server cannot read file:\/\/\/.*nowhere\/people\.csv: .*PATH_NOT_FOUND.*does not exist/,
    );
    expect(Number(await count())).toBe(2);

    // A header that does not match: the client loader's message, word for word.
    const wrong = path.join(dir, 'wrong.csv');
    fs.writeFileSync(wrong, 'id,full_name,extra\n1,a,x\n');
    const onSpark = (await session.loadFileSource({ ...base, files: [wrong], location: url(wrong) }).catch((e: unknown) => e)) as Error;
    const onDuck = (await duck.loadFileSource({ ...base, relation: { schema: 'main', identifier: 'people' }, rejectsRelation: { schema: 'main', identifier: 'people__rejects' }, files: [wrong] }).catch((e: unknown) => e)) as Error;
    expect(onDuck.message).toMatch(/the header does not match the declared columns/);
    expect(onSpark.message).toBe(onDuck.message);
    expect(Number(await count())).toBe(2);

    // A folder mixing formats.
    const mixed = path.join(dir, 'mixed');
    fs.mkdirSync(mixed);
    fs.copyFileSync(good, path.join(mixed, 'a.csv'));
    fs.copyFileSync(path.join(REPO_ROOT, 'data', 'us_cities_dimension.parquet'), path.join(mixed, 'b.parquet'));
    await expect(session.loadFileSource({ ...base, files: [path.join(mixed, 'a.csv')], location: url(mixed) })).rejects.toThrow(
      /file source source\.test\.vendor\.people: file:\/\/\/.*mixed holds files of another format than the declared csv: csv \(.*a\.csv\), parquet \(.*b\.parquet\)/,
    );
    expect(Number(await count())).toBe(2);

    // Avro: the test server has no spark-avro package: a clear error saying so.
    const avroFile = path.join(dir, 'x.avro');
    fs.writeFileSync(avroFile, 'Obj\x01');
    await expect(session.loadFileSource({ ...base, format: 'avro', files: [avroFile], location: url(avroFile) })).rejects.toThrow(/the Spark server has no Avro reader \(the spark-avro package is not on its class path\)/);
  }, 300_000);

  test('exports written by Spark: all or nothing, manifest from the engine listing; foreign files refused unless mode: overwrite; a cancelled write leaves no folder', async () => {
    const rel = { schema, identifier: 'exp_src' };
    await session.materialize({ uniqueId: 'model.test.exp_src', relation: rel, sql: 'SELECT id, CAST(id * 1.5 AS DOUBLE) AS v, concat(\'n\', id) AS s FROM range(0, 1000)', materialized: 'table', fullRefresh: false, options: {} });
    const roots = [path.join(work, 'out')];
    const logs: string[] = [];
    const log: TargetLog = { statement: () => {}, info: (m) => logs.push(m), warn: (m) => logs.push(m) };
    const req = (spec: Record<string, unknown>, signal?: AbortSignal) => ({
      spec,
      node: { name: 'exp_src', uniqueId: 'model.test.exp_src', relation: rel, relationName: d.relationName(rel) },
      session,
      projectDir: work,
      exportRoots: roots,
      renderTemplate: (s: string) => s,
      openTarget: () => Promise.reject(new Error('no')),
      log,
      signal,
    });
    const dest = path.join(roots[0]!, 'pq');
    const res = await runExport(req({ to: url(roots[0]!), path: 'pq', format: 'parquet' }));
    expect(logs.some((m) => /written by the engine \(Spark\), no rows through tx/.test(m))).toBe(true);
    expect(res.rows).toBe(1000);
    const manifest = JSON.parse(fs.readFileSync(path.join(dest, '_manifest.json'), 'utf8'));
    expect(fs.existsSync(path.join(dest, '_SUCCESS'))).toBe(true);
    // Every listed file is there with its size; rows add up.
    for (const f of manifest.files) expect(fs.statSync(path.join(dest, f.path)).size).toBe(f.bytes);
    expect(manifest.rows).toBe(1000);
    expect(Number((await duck.connection.query(`select count(*) as n, sum(id) as s from read_parquet('${dest}/*.parquet')`))[0]!.s)).toBe(499500);

    // A folder holding files tx did not write: refused, untouched; with mode: overwrite, replaced.
    const foreign = path.join(roots[0]!, 'foreign');
    fs.mkdirSync(foreign, { recursive: true });
    fs.writeFileSync(path.join(foreign, 'keep.txt'), 'mine');
    await expect(runExport(req({ to: url(roots[0]!), path: 'foreign', format: 'orc' }))).rejects.toThrow(/already holds files tx did not write \(keep\.txt…\); refused/);
    expect(fs.readdirSync(foreign)).toEqual(['keep.txt']);
    await runExport(req({ to: url(roots[0]!), path: 'foreign', format: 'orc', mode: 'overwrite' }));
    expect(fs.existsSync(path.join(foreign, 'keep.txt'))).toBe(false);
    const orcRows = fs
      .readdirSync(foreign)
      .filter((f) => f.endsWith('.orc'))
      .map((f) => path.join(foreign, f));
    let orcCount = 0;
    for (const f of orcRows) orcCount += (await readOrcFile(f)).length;
    expect(orcCount).toBe(1000);

    // Cancelled half-way (a slow relation): no folder under the final name, no temporary left behind.
    const slow = { schema, identifier: 'exp_slow' };
    await session.connection.execute(`CREATE OR REPLACE VIEW ${d.relationName(slow)} AS SELECT id, reflect('java.lang.Thread', 'sleep', CAST(20000 AS BIGINT)) AS s FROM range(0, 4, 1, 4)`);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 3000);
    const slowReq = { ...req({ to: url(roots[0]!), path: 'cancelled', format: 'parquet' }, ac.signal), node: { name: 'exp_slow', uniqueId: 'model.test.exp_slow', relation: slow, relationName: d.relationName(slow) } };
    await expect(runExport(slowReq)).rejects.toThrow();
    expect(fs.existsSync(path.join(roots[0]!, 'cancelled'))).toBe(false);
    expect(fs.readdirSync(roots[0]!).filter((f) => f.startsWith('.tx-tmp-cancelled'))).toEqual([]);
  }, 300_000);

  /** An export request for runExport on this file's Spark session (or another session). */
  function exportReq(rel: { schema: string; identifier: string }, spec: Record<string, unknown>, roots: string[], log: TargetLog, o: { signal?: AbortSignal; on?: TargetSession } = {}) {
    return {
      spec,
      node: { name: rel.identifier, uniqueId: `model.test.${rel.identifier}`, relation: rel, relationName: d.relationName(rel) },
      session: o.on ?? session,
      projectDir: work,
      exportRoots: roots,
      renderTemplate: (s: string) => s,
      openTarget: () => Promise.reject(new Error('no')),
      log,
      signal: o.signal,
    };
  }

  /** Data files under `dir` (recursive, `/`-separated, no `_`/`.` names), sorted. */
  function dataFiles(dir: string): string[] {
    return (fs.readdirSync(dir, { recursive: true }) as string[])
      .map((f) => f.split(path.sep).join('/'))
      .filter((f) => fs.statSync(path.join(dir, f)).isFile() && !path.basename(f).startsWith('_') && !path.basename(f).startsWith('.'))
      .sort();
  }

  /** The manifest lists every data file on disk, with its size and SHA-256; returns it. */
  function checkManifest(dir: string): { rows: number; partition_by: string[]; files: { path: string; rows: number; bytes: number; sha256: string }[] } {
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, '_manifest.json'), 'utf8'));
    expect(fs.existsSync(path.join(dir, '_SUCCESS'))).toBe(true);
    expect(manifest.files.map((f: { path: string }) => f.path).sort()).toEqual(dataFiles(dir));
    for (const f of manifest.files) {
      const bytes = fs.readFileSync(path.join(dir, f.path));
      expect({ path: f.path, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') }).toEqual({ path: f.path, bytes: f.bytes, sha256: f.sha256 });
    }
    return manifest;
  }

  test('partition_by and file_size_mb written by Spark: col=value/ folders as tx’s own writer names them, files near the size, the manifest lists every file', async () => {
    // 3 regions, one with a `/` (escaped in its folder name), and nulls (Hive's default partition).
    const rel = { schema, identifier: 'exp_part' };
    const sql = `SELECT id, concat('name_', id, '_', repeat('x', CAST(id % 17 AS INT))) AS s, CAST(id * 1.5 AS DOUBLE) AS v,
      CASE WHEN id % 10 = 0 THEN NULL WHEN id % 3 = 0 THEN 'north' WHEN id % 3 = 1 THEN 'south' ELSE 'far/east' END AS region
      FROM range(0, 60000)`;
    await session.materialize({ uniqueId: 'model.test.exp_part', relation: rel, sql, materialized: 'table', fullRefresh: false, options: {} });
    const roots = [path.join(work, 'out-part')];
    const logs: string[] = [];
    const log: TargetLog = { statement: () => {}, info: (m) => logs.push(m), warn: (m) => logs.push(m) };
    const all = canon(await session.connection.query(`SELECT * FROM ${d.relationName(rel)}`));
    const regions = ['region=__HIVE_DEFAULT_PARTITION__', 'region=far%2Feast', 'region=north', 'region=south'];

    // Parquet by region: one file per region (one task per value), the folder names tx's own writer uses.
    const pq = path.join(roots[0]!, 'by_region');
    await runExport(exportReq(rel, { to: url(roots[0]!), path: 'by_region', format: 'parquet', partition_by: 'region' }, roots, log));
    expect(logs.filter((m) => /by_region.*written by the engine \(Spark\), no rows through tx/.test(m)), logs.join('\n')).toHaveLength(1);
    const m1 = checkManifest(pq);
    expect(m1.partition_by).toEqual(['region']);
    expect(m1.rows).toBe(60000);
    expect([...new Set(m1.files.map((f) => f.path.split('/')[0]))].sort()).toEqual(regions);
    expect(m1.files.every((f) => f.path.split('/').length === 2)).toBe(true);
    const back = await duck.connection.query(`select * from read_parquet('${pq}/**/*.parquet', hive_partitioning = true)`);
    // DuckDB reads Hive's null folder and the escape as the values they stand for.
    expect(canon(back.map((r) => ({ ...r, region: r.region === '__HIVE_DEFAULT_PARTITION__' || r.region === null ? null : decodeURIComponent(String(r.region)) })))).toEqual(all);
    for (const f of m1.files) expect(Number((await duck.connection.query(`select count(*) as n from read_parquet('${path.join(pq, f.path)}')`))[0]!.n), f.path).toBe(f.rows);

    // The same export streamed through tx (a session without engine_paths): the same folders, the same rows in each.
    const plain = await createHiveTarget('hive_plain', targetConfig({ engine_paths: [] }), work).open({ log: quiet, threads: 1 });
    try {
      await runExport(exportReq(rel, { to: url(roots[0]!), path: 'by_region_streamed', format: 'parquet', partition_by: 'region' }, roots, log, { on: plain }));
    } finally {
      await plain.close();
    }
    const streamed = checkManifest(path.join(roots[0]!, 'by_region_streamed'));
    const perFolder = (m: typeof m1) => Object.entries(m.files.reduce<Record<string, number>>((a, f) => ({ ...a, [f.path.split('/')[0]!]: (a[f.path.split('/')[0]!] ?? 0) + f.rows }), {})).sort();
    expect(perFolder(m1)).toEqual(perFolder(streamed));

    // CSV by region with file_size_mb: several files per region, none far over the size; rows add up.
    const target = 0.1 * 1024 * 1024;
    const csvDir = path.join(roots[0]!, 'sized');
    await runExport(exportReq(rel, { to: url(roots[0]!), path: 'sized', format: 'csv', partition_by: ['region'], file_size_mb: 0.1 }, roots, log));
    const m2 = checkManifest(csvDir);
    expect(m2.rows).toBe(60000);
    for (const r of regions) {
      // Each region holds more than the size: several files, each under the size, and not one per task (few small ones).
      const files = m2.files.filter((f) => f.path.startsWith(`${r}/`));
      const bytes = files.reduce((a, f) => a + f.bytes, 0);
      expect(bytes, r).toBeGreaterThan(target);
      expect(files.length, r).toBeGreaterThanOrEqual(2);
      expect(files.length, r).toBeLessThanOrEqual(Math.ceil(bytes / (target * 0.5)) + 1);
    }
    for (const f of m2.files) expect(f.bytes, f.path).toBeLessThan(target * 1.25);
    const csvBack = await duck.connection.query(`select * from read_csv('${csvDir}/**/*.csv', hive_partitioning = true, header = true)`);
    expect(csvBack.length).toBe(60000);
    for (const f of m2.files) {
      const lines = fs.readFileSync(path.join(csvDir, f.path), 'utf8').trimEnd().split('\n');
      expect(lines[0], f.path).toBe('id,s,v'); // the partition column left the file
      expect(lines.length - 1, f.path).toBe(f.rows);
    }

    // JSON lines, not partitioned, file_size_mb with an extra column: files near the size, each row with the extra column.
    const jsonDir = path.join(roots[0]!, 'json_sized');
    await runExport(exportReq(rel, { to: url(roots[0]!), path: 'json_sized', format: 'json', compression: 'gzip', file_size_mb: 0.1, extra_columns: { delivery_date: { value: '2026-12-05', type: 'date' } } }, roots, log));
    const m3 = checkManifest(jsonDir);
    expect(m3.rows).toBe(60000);
    expect(m3.files.length).toBeGreaterThan(2);
    for (const f of m3.files) expect(f.bytes, f.path).toBeLessThan(target * 1.25);
    const small = m3.files.filter((f) => f.bytes < target * 0.3);
    expect(small.length, JSON.stringify(m3.files.map((f) => f.bytes))).toBeLessThanOrEqual(1); // near the size, not one file per task
    const jsonBack = await duck.connection.query(`select count(*) as n, count(distinct delivery_date) as d, min(delivery_date)::varchar as dd, sum(id) as s from read_json('${jsonDir}/*.json.gz')`);
    expect(canon(jsonBack)).toEqual(canon([{ n: 60000, d: 1, dd: '2026-12-05', s: 1799970000 }]));

    // A partition column the model lacks: the streamed path's message, nothing written.
    await expect(runExport(exportReq(rel, { to: url(roots[0]!), path: 'nope', format: 'parquet', partition_by: 'state' }, roots, log))).rejects.toThrow(/partition_by column `state` is not a column of /);
    expect(fs.existsSync(path.join(roots[0]!, 'nope'))).toBe(false);
  }, 400_000);

  test('an export whose folder turns read-only while Spark writes it: a clear error, nothing half written, the previous delivery intact; a path under a file is refused', async (ctx) => {
    const disk = fs.mkdtempSync(path.join(os.tmpdir(), 'tx-hive-ro-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', disk], { stdio: 'pipe' });
    } catch (e) {
      fs.rmSync(disk, { recursive: true, force: true });
      serviceUnavailable('disk-full', `cannot mount a tmpfs for the read-only export test (not root?): ${String((e as { stderr?: unknown }).stderr ?? (e as Error).message).trim()}`);
      return ctx.skip();
    }
    const roots = [disk];
    const logs: string[] = [];
    const log: TargetLog = { statement: () => {}, info: (m) => logs.push(m), warn: (m) => logs.push(m) };
    /** Every file under the folder (manifest and markers too) with its content's hash. */
    const snapshot = (dir: string) =>
      (fs.readdirSync(dir, { recursive: true }) as string[])
        .filter((f) => fs.statSync(path.join(dir, f)).isFile())
        .sort()
        .map((f) => [f, createHash('sha256').update(fs.readFileSync(path.join(dir, f))).digest('hex')]);
    try {
      const rel = { schema, identifier: 'exp_ro' };
      await session.materialize({ uniqueId: 'model.test.exp_ro', relation: rel, sql: 'SELECT id, id % 3 AS k, concat(\'v\', id) AS s FROM range(0, 3000)', materialized: 'table', fullRefresh: false, options: {} });
      const spec = { to: url(disk), path: 'delivery', format: 'parquet', partition_by: 'k' };
      await runExport(exportReq(rel, spec, roots, log));
      const delivery = path.join(disk, 'delivery');
      const before = snapshot(delivery);
      expect(checkManifest(delivery).rows).toBe(3000);

      // A path under a file: refused by tx before the engine is asked, the delivery untouched.
      fs.writeFileSync(path.join(disk, 'afile'), 'x');
      await expect(runExport(exportReq(rel, { ...spec, path: 'afile/sub' }, roots, log))).rejects.toThrow(/local export folder .*afile\/sub: .*afile is a file, not a folder/);

      // The next delivery, from a relation whose rows take a while (its first stage sleeps): once Spark
      // has set up its job in the hidden folder, the file system turns read-only under it.
      const slow = { schema, identifier: 'exp_ro_slow' };
      await session.connection.execute(
        `CREATE OR REPLACE VIEW ${d.relationName(slow)} AS SELECT id, id % 3 AS k, concat('w', reflect('java.lang.Thread', 'sleep', CAST(3000 AS BIGINT))) AS s FROM range(0, 6, 1, 2)`,
      );
      const pending = runExport(exportReq(slow, spec, roots, log)).then(
        () => null,
        (e: unknown) => e as Error,
      );
      // tx has made its scratch folder and removed the stage name for Spark to create: from here on it only
      // waits for the statement, whose first stage sleeps for seconds before Spark writes any file.
      const handedToSpark = () => {
        const names = fs.readdirSync(disk);
        return names.some((f) => f.startsWith('.tx-scratch-delivery')) && !names.some((f) => f.startsWith('.tx-tmp-delivery'));
      };
      let ready = false;
      for (let i = 0; i < 6000 && !ready; i++) {
        ready = handedToSpark();
        if (!ready) await new Promise((r) => setTimeout(r, 20));
      }
      expect(ready, 'tx handed the write to Spark').toBe(true);
      execFileSync('mount', ['-o', 'remount,ro', disk], { stdio: 'pipe' });
      const err = await pending;
      expect(err).toBeInstanceOf(Error);
      expect(err!.message).toMatch(/^export exp_ro_slow → .*: the Spark server could not write file:\/\/\/.*\/\.tx-tmp-delivery-[^ ]+ \(the previous .*\/delivery is kept\): /);
      expect(String(err!.message).length).toBeLessThan(2000);
      // The previous delivery, byte for byte; nothing new visible (only hidden temporaries, which the next export sweeps).
      expect(snapshot(delivery)).toEqual(before);
      expect(fs.readdirSync(disk).filter((f) => !f.startsWith('.')).sort()).toEqual(['afile', 'delivery']);

      // Writable again: the next delivery replaces the old one whole.
      execFileSync('mount', ['-o', 'remount,rw', disk], { stdio: 'pipe' });
      await runExport(exportReq(slow, spec, roots, log));
      const after = checkManifest(delivery);
      expect(after.rows).toBe(6);
      expect(await duck.connection.query(`select count(*) as n from read_parquet('${delivery}/**/*.parquet', hive_partitioning = true) where s like 'w%'`)).toEqual([{ n: 6n }]);
    } finally {
      execFileSync('umount', [disk], { stdio: 'pipe' });
      fs.rmSync(disk, { recursive: true, force: true });
    }
  }, 400_000);

  test('tx moves no data bytes: engine-side source and exports from the CLI open no data file and stage nothing in TMPDIR (strace), and its peak memory is flat from 100k to 1M rows', async (ctx) => {
    const strace = spawnSync('strace', ['-V'], { encoding: 'utf8' });
    if (strace.status !== 0) {
      serviceUnavailable('hive', 'strace is not installed (Debian package strace), needed to watch which files tx opens');
      return ctx.skip();
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tx-hive-nobytes-'));
    try {
      const data = path.join(dir, 'drops');
      const tmp = path.join(dir, 'tmp');
      fs.mkdirSync(tmp);
      const hook = path.join(dir, 'rss-hook.mjs');
      fs.writeFileSync(hook, "import fs from 'node:fs';\nprocess.on('exit', () => { if (process.env.TX_TEST_RSS_FILE) fs.writeFileSync(process.env.TX_TEST_RSS_FILE, String(process.resourceUsage().maxRSS)); });\n");
      const src = `${schema}_drop`;
      writeFiles(dir, {
        'project.yml': `name: nobytes\ntarget: hive\ntargets:\n  hive:\n    type: hive\n    host: ${hive!.host}\n    port: ${hive!.port}\n    schema: ${schema}\n    auth: NONE\n    user: tx\n    engine_paths: ['file://']\n`,
        'models/sources.yml': dedent(`
          version: 2
          sources:
            - name: ${src}
              tables:
                - name: events
                  path: "{{ var('events_path') }}"
                  format: csv
                  columns:
                    - {name: id, data_type: bigint}
                    - {name: who, data_type: string}
                    - {name: amount, data_type: double}
                    - {name: day, data_type: date}
        `),
        'models/events_copy.sql': `select * from {{ source('${src}', 'events') }}`,
        'models/models.yml': dedent(`
          version: 2
          models:
            - name: events_copy
              config:
                materialized: table
                exports:
                  - {to: output/, format: parquet, partition_by: day, path: events/parquet}
                  - {to: output/, format: csv, file_size_mb: 1, path: events/csv}
        `),
      });
      const run = async (rows: number) => {
        // The vendor drop, written by Spark itself (a folder of CSV part files).
        const drop = path.join(data, `rows-${rows}`);
        await session.connection.execute(
          `INSERT OVERWRITE DIRECTORY ${d.literal(url(drop))} USING csv OPTIONS (header 'true') SELECT id, concat('user_', id % 997) AS who, CAST(id % 1000 AS DOUBLE) * 1.25 AS amount, date_add(DATE'2026-01-01', CAST(id % 7 AS INT)) AS day FROM range(0, ${rows}, 1, 2)`,
        );
        const traceFile = path.join(dir, `trace-${rows}`);
        const rssFile = path.join(dir, `rss-${rows}`);
        const args = ['-f', '-qq', '--seccomp-bpf', '-e', 'trace=open,openat,openat2,creat,mkdir,mkdirat,rename,renameat,renameat2', '-o', traceFile, process.execPath, cliPath()];
        args.push('build', '--project-dir', dir, '--vars', JSON.stringify({ events_path: url(drop) }));
        const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', TMPDIR: tmp, TX_TEST_RSS_FILE: rssFile, NODE_OPTIONS: `--import ${url(hook)}` };
        delete env.TX_TARGET;
        const r = spawnSync('strace', args, { env, encoding: 'utf8', timeout: 400_000, maxBuffer: 64 << 20 });
        const output = `${r.stdout}\n${r.stderr}`;
        expect(r.status, output).toBe(0);
        expect(output).toMatch(new RegExp(`file source source\\.nobytes\\.${src}\\.events: read by the Spark server from file:///.*rows-${rows} \\(engine_paths\\), no rows through tx`));
        expect(output).toMatch(/export events_copy → .*events\/parquet: written by the engine \(Spark\), no rows through tx/);
        expect(output).toMatch(/export events_copy → .*events\/csv: written by the engine \(Spark\), no rows through tx/);
        for (const e of ['parquet', 'csv']) expect(checkManifest(path.join(dir, 'output', 'events', e)).rows, e).toBe(rows);
        // What tx's process (all its threads) opened or created, from strace.
        const calls = fs
          .readFileSync(traceFile, 'utf8')
          .split('\n')
          .map((l) => /^\d+\s+(\w+)\((?:[^"]*?)"([^"]+)"(.*)$/.exec(l))
          .filter((m): m is RegExpExecArray => m !== null)
          .map((m) => ({ call: m[1]!, file: m[2]!, rest: m[3]! }));
        expect(calls.some((c) => c.file.includes('node_modules')), 'strace saw tx open its own modules').toBe(true);
        const under = (root: string) => calls.filter((c) => c.file === root || c.file.startsWith(`${root}/`));
        // The vendor drop: no file of it opened by tx (it lists the folder: a file:// path it sees is expanded as a local one).
        expect(under(data).filter((c) => !/O_DIRECTORY/.test(c.rest)).map((c) => `${c.call} ${c.file}${c.rest}`)).toEqual([]);
        // The export folders: tx only lists them, renames them into place and writes _manifest.json and _SUCCESS.
        // (Folders are opened to be synced: the export folders, and the hidden ones renamed into place or removed since.)
        const opened = under(path.join(dir, 'output')).filter((c) => /^open/.test(c.call) && !/O_DIRECTORY/.test(c.rest));
        const folder = (f: string) => /^\.tx-(?:tmp|scratch|old)-[^/]+$/.test(path.basename(f)) || (fs.existsSync(f) && fs.statSync(f).isDirectory());
        expect(opened.filter((c) => !['_SUCCESS', '_manifest.json'].includes(path.basename(c.file)) && !folder(c.file)).map((c) => `${c.call} ${c.file}${c.rest}`)).toEqual([]);
        expect(opened.filter((c) => path.basename(c.file) === '_manifest.json').length).toBeGreaterThanOrEqual(2);
        // No staging in tx's temp folder (no landing Parquet, no stage database, no CSV).
        expect(under(tmp).filter((c) => c.call.startsWith('mkdir') || c.call === 'creat' || /O_CREAT/.test(c.rest)).map((c) => `${c.call} ${c.file}`)).toEqual([]);
        expect(fs.readdirSync(tmp)).toEqual([]);
        return Number(fs.readFileSync(rssFile, 'utf8')) / 1024;
      };
      const small = await run(100_000);
      const big = await run(1_000_000);
      console.log(`[engine-side] tx peak RSS for the whole build (source, model, two exports): ${small.toFixed(0)} MiB (100k rows), ${big.toFixed(0)} MiB (1M rows)`);
      expect(big).toBeLessThan(small * 1.15 + 10);
    } finally {
      await session.connection.execute(`DROP DATABASE IF EXISTS ${d.quoteIdentifier(`${schema}_drop`)} CASCADE`).catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);

  test('tx debug --target hive: a tiny write and read in scratch_dir; a scratch space the server cannot write is a clear error', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tx-hive-engine-debug-'));
    try {
      copyProject(dir, REPO_ROOT);
      const env = (scratch: string) => ({ TX_HIVE_HOST: hive!.host, TX_HIVE_PORT: String(hive!.port), TX_HIVE_AUTH: 'NONE', TX_HIVE_ENGINE_PATHS: 'file://', TX_HIVE_SCRATCH_DIR: scratch });
      const scratch = path.join(dir, 'scratch');
      const ok = await runCli(['debug', '--project-dir', dir, '--target', 'hive'], { env: env(url(scratch)), timeoutMs: 120_000 });
      expect(ok.code, ok.output).toBe(0);
      expect(ok.output).toContain(`engine-side write: OK (${url(scratch)}/_tx_probe)`);
      expect(ok.output).toContain(`engine-side read: OK (${url(scratch)}/_tx_probe)`);
      expect(fs.readdirSync(path.join(scratch, '_tx_probe')).some((f) => f.endsWith('.parquet'))).toBe(true);
      // A file where the scratch folder should be: the server cannot create it (whoever it runs as).
      fs.writeFileSync(path.join(dir, 'blocked'), 'a file');
      const bad = await runCli(['debug', '--project-dir', dir, '--target', 'hive'], { env: env(url(path.join(dir, 'blocked', 'scratch'))), timeoutMs: 120_000 });
      expect(bad.code, bad.output).not.toBe(0);
      expect(bad.output).toMatch(/engine-side write: FAILED, the Spark server cannot write file:\/\/\/.*blocked\/scratch\/_tx_probe: /);
      expect(bad.output).toMatch(/engine-side reads or writes are not possible for the configured paths/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
