import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { BlobServiceClient } from '@azure/storage-blob';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type AzuriteService } from './services/azurite.js';
import { openHiveSession } from './services/hive-client.js';
import { createTestDatabase, startPostgres, type PostgresService, type TestDatabase } from './services/postgres.js';
import { startS3, type S3Service } from './services/s3.js';
import { startSparkThriftServer, type HiveService } from './services/spark.js';
import { copyProject } from './fixture-project.js';
import { openOrcFile } from '../targets/files/orc/index.js';

/**
 * Issue 7's end to end: the example project, built with TX_S3_URI, TX_AZURE_URI and
 * TX_PERSIST_TARGETS set, sends its two reports where the original job did: local files, an S3
 * bucket and an Azure container under a timestamped folder, and appended (with delivery_date) to
 * PostgreSQL and Hive tables. Unset, those exports are skipped.
 */
const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist', 'compiler', 'cli.js');
const id = Math.random().toString(36).slice(2, 8);
const bucket = `tx-ship-${id}`;
const container = `tx-ship-${id}`;
const hiveSchema = `prescpipeline_${id}`;

let dir: string;
let s3: S3Service | null;
let az: AzuriteService;
let pgSvc: PostgresService;
let db: TestDatabase;
let hive: HiveService | null;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tx-ship-'));
  copyProject(dir, root);
  [s3, az, pgSvc, hive] = await Promise.all([startS3(), startAzurite(), startPostgres(), startSparkThriftServer()]);
  db = await createTestDatabase(pgSvc, 'tx_ship');
  if (s3) await new S3Client(s3.clientConfig).send(new CreateBucketCommand({ Bucket: bucket }));
  await BlobServiceClient.fromConnectionString(az.connectionString).createContainer(container);
}, 600_000);

afterAll(async () => {
  await Promise.all([s3?.stop(), az?.stop(), db?.drop(), hive?.stop()]);
  rmSync(dir, { recursive: true, force: true });
}, 120_000);

describe('the example project ships its reports like the original job', () => {
  it('to local files, S3, Azure, PostgreSQL and Hive', async (ctx) => {
    if (!s3 || !hive) return ctx.skip();
    const url = new URL(db.url);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
      AWS_REGION: s3.region,
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AZURE_STORAGE_CONNECTION_STRING: az.connectionString,
      TX_S3_URI: `s3://${bucket}/reports`,
      TX_AZURE_URI: `azure://${container}/reports`,
      TX_PERSIST_TARGETS: 'postgres, hive',
      PGHOST: url.hostname,
      PGPORT: url.port || '5432',
      PGUSER: decodeURIComponent(url.username) || 'postgres',
      PGPASSWORD: decodeURIComponent(url.password),
      PGDATABASE: url.pathname.slice(1),
      TX_HIVE_HOST: hive.host,
      TX_HIVE_PORT: String(hive.port),
    };
    // tx must silence the SDK's notice itself, whatever this worker's environment holds.
    delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
    // The persisted tables go to a schema of this test's own (the Spark server is shared by the run).
    const vars = JSON.stringify({ persist_schema: hiveSchema });
    const r = spawnSync(process.execPath, [cli, 'build', '--project-dir', dir, '--vars', vars], { encoding: 'utf8', env, maxBuffer: 64 << 20 });
    const out = `${r.stdout}${r.stderr}`;
    expect(r.status, out).toBe(0);
    for (const secret of [s3.secretAccessKey, az.accountKey]) expect(out).not.toContain(secret);
    // no SDK notices in the middle of the build's output
    expect(out).not.toMatch(/NodeVersionSupportWarning/);

    // Local: output/<model>/<timestamp>/ with the data file, the manifest and _SUCCESS.
    for (const [model, file] of [
      ['city_report', 'city_report.json.bz2'],
      ['top_prescribers', 'top_prescribers.orc'],
    ] as const) {
      const stamps = readdirSync(join(dir, 'output', model));
      expect(stamps).toHaveLength(1);
      expect(stamps[0]).toMatch(/^\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}$/);
      expect(readdirSync(join(dir, 'output', model, stamps[0]!)).sort()).toEqual(['_SUCCESS', '_manifest.json', file].sort());
    }
    // top_prescribers is ORC (snappy), as the original job wrote it: 34 rows in the report's columns.
    const topDir = join(dir, 'output', 'top_prescribers', readdirSync(join(dir, 'output', 'top_prescribers'))[0]!);
    const orc = await openOrcFile(join(topDir, 'top_prescribers.orc'));
    expect({ compression: orc.compression, rows: orc.rows, columns: orc.fields.map((f) => f.name) }).toEqual({
      compression: 'snappy',
      rows: 34,
      columns: ['presc_id', 'presc_fullname', 'presc_state', 'country_name', 'years_of_exp', 'trx_cnt', 'total_day_supply', 'total_drug_cost'],
    });

    // S3 and Azure: <prefix>/<model>/<timestamp>/<file>, _manifest.json, _SUCCESS.
    const keys = ((await new S3Client(s3.clientConfig).send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).map((o) => o.Key!).sort();
    const blobs: string[] = [];
    for await (const b of BlobServiceClient.fromConnectionString(az.connectionString).getContainerClient(container).listBlobsFlat()) blobs.push(b.name);
    for (const names of [keys, blobs.sort()]) {
      expect(names.filter((k) => k.endsWith('/_SUCCESS')).length, names.join('\n')).toBe(2);
      expect(names.some((k) => /^reports\/city_report\/\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}\/city_report\.json\.bz2$/.test(k))).toBe(true);
      expect(names.some((k) => /^reports\/top_prescribers\/\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}\/top_prescribers\.orc$/.test(k))).toBe(true);
    }

    // PostgreSQL: appended with delivery_date.
    const today = new Date().toISOString().slice(0, 10);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const c = await client.query(`select count(*)::int as n, min(delivery_date)::text as d from ${hiveSchema}.city_report`);
      expect(c.rows[0]).toEqual({ n: 77, d: today });
      const t = await client.query(`select count(*)::int as n from ${hiveSchema}.top_prescribers`);
      expect(t.rows[0].n).toBe(34);
    } finally {
      await client.end();
    }

    // Hive: appended, partitioned by delivery_date.
    const s = await openHiveSession(hive.host, hive.port);
    try {
      const rows = await s.query(`SELECT count(*) AS n, min(CAST(delivery_date AS STRING)) AS d FROM ${hiveSchema}.city_report`);
      expect(rows).toEqual([{ n: 77, d: today }]);
      const parts = await s.query(`SHOW PARTITIONS ${hiveSchema}.top_prescribers`);
      expect(JSON.stringify(parts)).toContain(`delivery_date=${today}`);
    } finally {
      await s.execute(`DROP DATABASE IF EXISTS ${hiveSchema} CASCADE`).catch(() => undefined);
      await s.close();
    }
  }, 600_000);

  it('ships nowhere but output/ when the variables are unset, and refuses a persist target it does not know', () => {
    const env = { ...process.env, TX_S3_URI: '', TX_AZURE_URI: '', TX_PERSIST_TARGETS: '' };
    const quiet = spawnSync(process.execPath, [cli, 'build', '--project-dir', dir, '--select', '+city_report'], { encoding: 'utf8', env });
    expect(quiet.status, quiet.stdout + quiet.stderr).toBe(0);
    expect(quiet.stdout).toMatch(/export city_report → \{\{ var\('s3_uri'\) \}\} \(renders empty\): disabled, skipped/);
    expect(quiet.stdout).toMatch(/export city_report → target:postgres: disabled, skipped/);
    const typo = spawnSync(process.execPath, [cli, 'build', '--project-dir', dir], { encoding: 'utf8', env: { ...env, TX_PERSIST_TARGETS: 'postgres,hvie' } });
    expect(typo.status).toBe(2);
    expect(typo.stderr).toMatch(/persist_targets \(TX_PERSIST_TARGETS\) names `hvie`: the reports can be persisted to postgres and hive/);
    expect(typo.stdout).not.toMatch(/ OK /);
  }, 300_000);
});
