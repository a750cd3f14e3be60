/**
 * `format: orc` exports through the real exporter: local folders (DuckDB sessions and the
 * streamed path of PostgreSQL/Hive sessions), partitions, part sizes, several stripes, S3
 * (moto) and Azure (Azurite), all or nothing. Files are checked with pyarrow (converted to
 * Parquet by pyarrow, then compared row for row with the source table in DuckDB) and with tx's reader.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type AzuriteService } from '../../../testing/services/azurite.js';
import { startS3, type S3Service } from '../../../testing/services/s3.js';
import { CITIES, TYPED, createSampleTables, diffRows, duckdbFixture, listTree, request, streamOnly, type DuckdbFixture } from '../../exports/export-test-support.js';
import { ExportError, MANIFEST_NAME, SUCCESS_NAME, runExport, type Manifest } from '../../exports/index.js';
import { openOrcFile, readOrcFile } from './index.js';
import { runPython } from './pyarrow-support.js';

let fx: DuckdbFixture;
let project: string;
let tmp: string;

const PY_TO_PARQUET = String.raw`
import sys, pyarrow.orc as orc, pyarrow.parquet as pq
f = orc.ORCFile(sys.argv[1])
pq.write_table(f.read(), sys.argv[2])
print(f.nrows, f.nstripes, f.compression)
`;

/** pyarrow reads `orcFile` and writes it as Parquet; returns the Parquet path and what pyarrow saw. */
async function viaPyarrow(orcFile: string): Promise<{ parquet: string; rows: number; stripes: number; compression: string }> {
  const out = path.join(tmp, `${path.basename(orcFile)}-${Math.random().toString(36).slice(2)}.parquet`);
  const [rows, stripes, compression] = (await runPython(PY_TO_PARQUET, [orcFile, out])).trim().split(/\s+/);
  return { parquet: out, rows: Number(rows), stripes: Number(stripes), compression: compression! };
}

beforeAll(async () => {
  fx = await duckdbFixture();
  await createSampleTables(fx.session);
  project = fs.mkdtempSync(path.join(os.tmpdir(), 'tx-orc-exp-'));
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tx-orc-exp-scratch-'));
  process.env.TX_EXPORT_TMPDIR = tmp;
});
afterAll(async () => {
  await fx?.close();
  for (const d of [project, tmp]) if (d) fs.rmSync(d, { recursive: true, force: true });
});

describe('ORC exports to local folders', () => {
  it('snappy ORC that pyarrow reads back as the same rows (every column type of the sample), with manifest and _SUCCESS', async () => {
    const res = await runExport(request(fx, { to: 'output/', format: 'orc', path: 'typed_orc' }, { projectDir: project, relation: TYPED }));
    const dir = path.join(project, 'output', 'typed_orc');
    expect(listTree(dir)).toEqual([SUCCESS_NAME, MANIFEST_NAME, 'typed.orc']);
    expect(res.rows).toBe(2500);
    const file = path.join(dir, 'typed.orc');
    const py = await viaPyarrow(file);
    expect(py).toMatchObject({ rows: 2500, compression: 'SNAPPY' });
    expect(await diffRows(fx.session, TYPED, [py.parquet], 'parquet')).toEqual({ missing: 0, extra: 0, readBack: 2500 });
    const m = JSON.parse(fs.readFileSync(path.join(dir, MANIFEST_NAME), 'utf8')) as Manifest;
    expect(m).toMatchObject({ format: 'orc', compression: 'snappy', rows: 2500 });
    expect(m.files).toEqual([expect.objectContaining({ path: 'typed.orc', rows: 2500, bytes: fs.statSync(file).size })]);
    // tx's reader agrees on the schema it wrote.
    const info = await openOrcFile(file);
    expect(info.fields.map((f) => `${f.name}:${f.type.kind}`)).toEqual(['id:int', 'big:long', 'ratio:double', 'amount:decimal', 'day:date', 'ts:timestamp', 'flag:boolean', 'note:string', 'state:string']);
    expect(info.compression).toBe('snappy');
  });

  it('zlib, several stripes, parts by size, and the streamed path of non-DuckDB sessions', async () => {
    // DuckDB cuts parts at row groups (122,880 rows): 300,000 rows give several.
    await fx.session.connection.execute(`create or replace table main.many as select i as id, md5(i::varchar) as h, i % 97 as c from range(0, 300000) t(i)`);
    const MANY = { schema: 'main', identifier: 'many' };
    const res = await runExport(
      request(fx, { to: 'output/', format: 'orc', compression: 'zlib', stripe_size_mb: 1, file_size_mb: 1, path: 'many_orc' }, { projectDir: project, relation: MANY }),
    );
    const dir = path.join(project, 'output', 'many_orc');
    const files = listTree(dir).filter((f) => f.endsWith('.orc'));
    expect(files.length).toBeGreaterThan(1);
    expect(files.every((f) => /^many-\d{5}\.orc$/.test(f))).toBe(true);
    expect(res.files.reduce((a, f) => a + f.rows, 0)).toBe(300000);
    const parquets: string[] = [];
    for (const f of files) {
      const py = await viaPyarrow(path.join(dir, f));
      expect(py.compression).toBe('ZLIB');
      expect(py.rows).toBe(res.files.find((x) => x.path === f)!.rows);
      parquets.push(py.parquet);
    }
    expect(await diffRows(fx.session, MANY, parquets, 'parquet')).toEqual({ missing: 0, extra: 0, readBack: 300000 });

    const big = await runExport(request(fx, { to: 'output/', format: 'orc', stripe_size_mb: 1, path: 'cities_one' }, { projectDir: project }));
    const one = path.join(project, 'output', 'cities_one', 'cities.orc');
    expect(big.rows).toBe(28338);
    // 1 MiB stripes of 28,338 cities: more than one stripe, read back whole by tx.
    expect((await openOrcFile(one)).stripes.length).toBeGreaterThan(1);
    expect((await readOrcFile(one)).length).toBe(28338);

    const streamed = await runExport(
      request({ session: streamOnly(fx.session), log: fx.log }, { to: 'output/', format: 'orc', path: 'streamed_orc' }, { projectDir: project, relation: TYPED }),
    );
    expect(streamed.rows).toBe(2500);
    const py = await viaPyarrow(path.join(project, 'output', 'streamed_orc', 'typed.orc'));
    expect(await diffRows(fx.session, TYPED, [py.parquet], 'parquet')).toEqual({ missing: 0, extra: 0, readBack: 2500 });
  });

  it('partitioned by a column: Hive-style folders of ORC files', async () => {
    const res = await runExport(request(fx, { to: 'output/', format: 'orc', partition_by: 'state', path: 'by_state' }, { projectDir: project, relation: TYPED }));
    const dir = path.join(project, 'output', 'by_state');
    const files = listTree(dir).filter((f) => f.endsWith('.orc'));
    expect(files.map((f) => f.split('/')[0])).toEqual(['state=CA', 'state=NY', 'state=TX']);
    expect(res.rows).toBe(2500);
    let total = 0;
    for (const f of files) {
      const rows = await readOrcFile(path.join(dir, f));
      // As with Parquet (DuckDB's PARTITION_BY), each file holds only its folder's value.
      expect(new Set(rows.map((r) => `state=${String(r.state)}`))).toEqual(new Set([f.split('/')[0]]));
      total += rows.length;
      expect(res.files.find((x) => x.path === f)!.rows).toBe(rows.length);
    }
    expect(total).toBe(2500);
  });

  it('a value ORC cannot hold fails the export: a clear error naming the column, nothing delivered, no leftovers', async () => {
    await fx.session.connection.execute(`create or replace table main.bad_ts as select i as id, case when i = 1500 then timestamp '10000-01-01 00:00:00' else timestamp '2024-01-01' end as ts from range(0, 3000) t(i)`);
    const before = fs.readdirSync(tmp);
    const e = await runExport(request(fx, { to: 'output/', format: 'orc', path: 'bad_ts' }, { projectDir: project, relation: { schema: 'main', identifier: 'bad_ts' } })).then(
      () => undefined,
      (x: unknown) => x as ExportError,
    );
    expect(e).toBeInstanceOf(ExportError);
    expect(e!.message).toMatch(/row 1501: column ts \(timestamp\): "10000-01-01 00:00:00" is outside the timestamp range ORC readers share/);
    expect(fs.existsSync(path.join(project, 'output', 'bad_ts'))).toBe(false);
    expect(fs.readdirSync(path.join(project, 'output')).filter((n) => n.startsWith('.tx-'))).toEqual([]);
    expect(fs.readdirSync(tmp).filter((n) => !before.includes(n) && !n.endsWith('.parquet'))).toEqual([]);
  });
});

describe('ORC exports to S3 and Azure', () => {
  let s3: S3Service | null = null;
  let az: AzuriteService | null = null;
  beforeAll(async () => {
    s3 = await startS3();
    az = await startAzurite();
  }, 600_000);
  afterAll(async () => {
    await s3?.stop();
    await az?.stop();
  });

  it('S3: the ORC file, manifest and _SUCCESS under the prefix; pyarrow reads the same rows', async (ctx) => {
    // startS3() announced why (serviceUnavailable; a failure under TX_TEST_REQUIRE)
    if (!s3) return ctx.skip();
    Object.assign(process.env, { AWS_ENDPOINT_URL_S3: s3.endpoint, AWS_REGION: s3.region, AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey, AWS_EC2_METADATA_DISABLED: 'true' });
    const admin = new S3Client(s3.clientConfig);
    try {
      await admin.send(new CreateBucketCommand({ Bucket: 'tx-orc' }));
      const res = await runExport(request(fx, { to: 's3://tx-orc/reports', format: 'orc', path: 'typed' }, { projectDir: project, relation: TYPED }));
      expect(res.rows).toBe(2500);
      const listed = await admin.send(new ListObjectsV2Command({ Bucket: 'tx-orc', Prefix: 'reports/typed/' }));
      expect((listed.Contents ?? []).map((o) => o.Key).sort()).toEqual(['reports/typed/_SUCCESS', 'reports/typed/_manifest.json', 'reports/typed/typed.orc']);
      const body = await admin.send(new GetObjectCommand({ Bucket: 'tx-orc', Key: 'reports/typed/typed.orc' }));
      const local = path.join(tmp, 's3-typed.orc');
      fs.writeFileSync(local, Buffer.from(await body.Body!.transformToByteArray()));
      const py = await viaPyarrow(local);
      expect(await diffRows(fx.session, TYPED, [py.parquet], 'parquet')).toEqual({ missing: 0, extra: 0, readBack: 2500 });
    } finally {
      admin.destroy();
    }
  });

  it('Azure: the ORC file, manifest and _SUCCESS under the prefix; pyarrow reads the same rows', async (ctx) => {
    if (!az) return ctx.skip();
    process.env.AZURE_STORAGE_CONNECTION_STRING = az!.connectionString;
    const container = BlobServiceClient.fromConnectionString(az!.connectionString).getContainerClient('orc');
    await container.createIfNotExists();
    const res = await runExport(request(fx, { to: 'azure://orc/daily', format: 'orc', compression: 'zlib', path: 'cities' }, { projectDir: project }));
    expect(res.rows).toBe(28338);
    const names: string[] = [];
    for await (const b of container.listBlobsFlat({ prefix: 'daily/cities/' })) names.push(b.name);
    expect(names.sort()).toEqual(['daily/cities/_SUCCESS', 'daily/cities/_manifest.json', 'daily/cities/cities.orc']);
    const local = path.join(tmp, 'az-cities.orc');
    await container.getBlobClient('daily/cities/cities.orc').downloadToFile(local);
    const py = await viaPyarrow(local);
    expect(py.compression).toBe('ZLIB');
    expect(await diffRows(fx.session, CITIES, [py.parquet], 'parquet')).toEqual({ missing: 0, extra: 0, readBack: 28338 });
  });
});
