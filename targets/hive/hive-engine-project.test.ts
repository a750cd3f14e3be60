/**
 * The example project on a real Spark Thrift Server with its vendor files as `file://` URLs under
 * the hive target's `engine_paths` (testing/services/spark.ts runs the server on this machine):
 * both reports equal DuckDB's, both exported by Spark as Parquet and ORC read back equal to
 * `tx show`, no staging Parquet written by tx, and tx's peak memory flat from 100k to 2M rows.
 * A file of its own (its own server) so that each file stays well under 10 minutes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { generateFactCsv } from '../../bench/generate-fact-data.js';
import { REPO_ROOT, copyProject, queryDuckdb, runCli } from '../../testing/fixture-project.js';
import { startSparkThriftServer, type HiveService } from '../../testing/services/spark.js';
import { createDuckdbTarget } from '../duckdb/index.js';
import { readOrcFile } from '../files/orc/index.js';
import type { TargetLog, TargetSession } from '../target.js';
import { hiveDialect as d } from './hive-dialect.js';
import { createHiveTarget } from './index.js';

let hive: HiveService | null = null;
const quiet: TargetLog = { statement: () => {}, info: () => {}, warn: () => {} };

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

describe('hive target: the example project with engine-side reads and writes', () => {
  let session: TargetSession;
  let duck: TargetSession;

  beforeAll(async () => {
    hive = await startSparkThriftServer();
    if (!hive) return;
    session = await createHiveTarget('hive', { type: 'hive', host: hive.host, port: String(hive.port), auth: 'NONE', user: 'tx' }, os.tmpdir()).open({ log: quiet, threads: 1 });
    duck = await createDuckdbTarget('duck', { type: 'duckdb', path: ':memory:' }, os.tmpdir()).open({ log: quiet, threads: 1 });
  }, 600_000);

  afterAll(async () => {
    try {
      await session?.close();
      await duck?.close();
    } finally {
      await hive?.stop();
    }
  });

  // One copy of the project and the generated files for both tests (the build, then the memory check).
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tx-hive-engine-project-'));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tx-hive-engine-tmp-'));
  const rssHook = path.join(tmp, 'rss-hook.mjs');
  const cities = path.join(dir, 'data', 'us_cities_dimension.parquet');
  let small = '';
  const env = (rssFile: string) => ({
    TX_HIVE_HOST: hive!.host,
    TX_HIVE_PORT: String(hive!.port),
    TX_HIVE_AUTH: 'NONE',
    TX_HIVE_ENGINE_PATHS: 'file://',
    // The client loader would land Parquet under $TMPDIR/tx-hive-landing: tx's own temp folder, checked below.
    TMPDIR: tmp,
    TX_TEST_RSS_FILE: rssFile,
    NODE_OPTIONS: `--import ${pathToFileURL(rssHook).href}`,
  });
  const vars = (fact: string) => JSON.stringify({ presc_fact_path: url(fact), city_dim_path: url(cities) });

  beforeAll(async () => {
    if (!hive) return;
    fs.writeFileSync(rssHook, "import fs from 'node:fs';\nprocess.on('exit', () => { if (process.env.TX_TEST_RSS_FILE) fs.writeFileSync(process.env.TX_TEST_RSS_FILE, String(process.resourceUsage().maxRSS)); });\n");
    copyProject(dir, REPO_ROOT);
    // Both reports also exported as Parquet and ORC to a folder the server writes.
    const martsFile = path.join(dir, 'models', 'marts', 'marts.yml');
    const marts = parseYaml(fs.readFileSync(martsFile, 'utf8'));
    for (const m of marts.models) {
      m.config.exports.push({ to: 'output/engine/', format: 'parquet', path: '{{ this.name }}/parquet' }, { to: 'output/engine/', format: 'orc', compression: 'snappy', path: '{{ this.name }}/orc' });
    }
    fs.writeFileSync(martsFile, stringifyYaml(marts));
    small = (await generateFactCsv({ rows: 100_000, out: path.join(dir, 'gen-small'), seed: 7, citiesPath: cities })).path;
  }, 300_000);

  afterAll(async () => {
    await session?.connection.execute('DROP DATABASE IF EXISTS `prescpipeline` CASCADE').catch(() => undefined);
    await session?.connection.execute('DROP DATABASE IF EXISTS `vendor` CASCADE').catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('built with file:// vendor paths: both reports equal DuckDB’s, rejects equal, exported by Spark as Parquet and ORC equal to tx show, no staging Parquet', async () => {
    const smallRun = await runCli(['build', '--project-dir', dir, '--target', 'hive', '--vars', vars(small)], { env: env(path.join(tmp, 'rss-build')), timeoutMs: 560_000 });
    expect(smallRun.code, smallRun.output).toBe(0);
    expect(smallRun.output).toMatch(/file source source\.healthcare\.vendor\.prescribers: read by the Spark server from file:\/\/\/.*gen-small\/USA_Presc_Medicare_Data_2021\.csv \(engine_paths\), no rows through tx/);
    expect(smallRun.output).toMatch(/export city_report → .*output\/engine\/city_report\/parquet: written by the engine \(Spark\), no rows through tx/);
    expect(fs.existsSync(path.join(tmp, 'tx-hive-landing'))).toBe(false);

    // The same files on DuckDB (client-side reads): equal reports, equal rejects.
    const onDuck = await runCli(['build', '--project-dir', dir, '--target', 'duckdb', '--vars', JSON.stringify({ presc_fact_path: small })], { timeoutMs: 300_000 });
    expect(onDuck.code, onDuck.output).toBe(0);
    const db = path.join(dir, 'healthcare.duckdb');
    for (const report of ['city_report', 'top_prescribers']) {
      const fromHive = await session.connection.query(`SELECT * FROM \`prescpipeline\`.${d.quoteIdentifier(report)}`);
      const fromDuck = await queryDuckdb(db, `select * from main.${report}`);
      expect(fromHive.length, report).toBeGreaterThan(10);
      expect(canon(fromHive), report).toEqual(canon(fromDuck));
      // Exports written by Spark read back equal to tx show.
      const show = await runCli(['show', '--project-dir', dir, '--target', 'hive', '--select', report, '--limit', '-1', '--output', 'json'], { env: env(path.join(tmp, 'rss-show')), timeoutMs: 120_000 });
      expect(show.code, show.output).toBe(0);
      const shown = JSON.parse(show.stdout) as Record<string, unknown>[];
      const pq = path.join(dir, 'output', 'engine', report, 'parquet');
      const fromParquet = await duck.connection.query(`select * from read_parquet('${pq}/*.parquet')`);
      expect(canon(fromParquet), `${report} parquet`).toEqual(canon(shown));
      const orcDir = path.join(dir, 'output', 'engine', report, 'orc');
      const fromOrc: Record<string, unknown>[] = [];
      for (const f of fs.readdirSync(orcDir).filter((x) => x.endsWith('.orc'))) fromOrc.push(...(await readOrcFile(path.join(orcDir, f))));
      expect(canon(fromOrc), `${report} orc`).toEqual(canon(shown));
      expect(JSON.parse(fs.readFileSync(path.join(pq, '_manifest.json'), 'utf8')).rows).toBe(shown.length);
    }
    // Rejects: the same rows (none in generated data, which max_rejected_rows: 0 would refuse anyway).
    const rejCols = 'source, file, line, column_name, error_type, reason, raw_line';
    const hiveRejects = await session.connection.query(`SELECT ${rejCols} FROM \`vendor\`.\`prescribers__rejects\``);
    const duckRejects = await queryDuckdb(db, `select ${rejCols} from vendor.prescribers__rejects`);
    expect(canon(hiveRejects)).toEqual(canon(duckRejects));
  }, 600_000);

  test('tx’s peak memory is flat from 100k to 2M rows loaded by Spark (the rows never enter its process), no staging Parquet', async () => {
    // The same command both times: load the vendor file (100k, then 2M rows).
    const loadSource = async (fact: string, rssFile: string) => {
      const r = await runCli(['run', '--project-dir', dir, '--target', 'hive', '--select', 'source:vendor.prescribers', '--vars', vars(fact)], { env: env(rssFile), timeoutMs: 280_000 });
      expect(r.code, r.output).toBe(0);
      expect(r.output).toMatch(/read by the Spark server from file:\/\/\//);
    };
    await loadSource(small, path.join(tmp, 'rss-small'));
    const big = (await generateFactCsv({ rows: 2_000_000, out: path.join(dir, 'gen-big'), seed: 8, citiesPath: cities })).path;
    await loadSource(big, path.join(tmp, 'rss-big'));
    const loaded = await session.connection.query('SELECT count(*) AS n FROM `vendor`.`prescribers`');
    expect(Number(loaded[0]!.n)).toBeGreaterThan(1_900_000);
    const smallRss = Number(fs.readFileSync(path.join(tmp, 'rss-small'), 'utf8')) / 1024;
    const bigRss = Number(fs.readFileSync(path.join(tmp, 'rss-big'), 'utf8')) / 1024;
    console.log(`[engine-side] tx peak RSS loading the vendor file: ${smallRss.toFixed(0)} MiB (100k rows), ${bigRss.toFixed(0)} MiB (2M rows)`);
    expect(bigRss).toBeLessThan(smallRss * 1.15 + 10);
    expect(fs.existsSync(path.join(tmp, 'tx-hive-landing'))).toBe(false);
  }, 600_000);
});
