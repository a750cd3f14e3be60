/**
 * Engine-side sources and exports on a real Spark Thrift Server (testing/services/spark.ts; the
 * server runs on this machine, so `file://` paths are paths it reads and writes): file sources under
 * `engine_paths` are read by Spark with the client loader's rows and rejects, exports to folders
 * under `engine_paths` are written by Spark, all or nothing; `tx debug` probes the scratch space.
 * The example project on engine-side paths: hive-engine-project.test.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { REPO_ROOT, copyProject, runCli } from '../../testing/fixture-project.js';
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
