/**
 * Azure Blob exports against a real Azurite (testing/services/azurite.ts). Credentials reach
 * the exporter only through AZURE_STORAGE_* variables or a SAS on the URL.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BlobServiceClient, ContainerSASPermissions, type ContainerClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type AzuriteService } from '../../testing/services/azurite.js';
import { ExportError, MANIFEST_NAME, SUCCESS_NAME, runExport, type Manifest } from './index.js';
import { CITIES, TYPED, createSampleTables, diffRows, duckdbFixture, request, type DuckdbFixture } from './export-test-support.js';

const MiB = 1024 * 1024;
const BIG = { schema: 'main', identifier: 'big' };
const AZ_VARS = ['AZURE_STORAGE_CONNECTION_STRING', 'AZURE_STORAGE_ACCOUNT', 'AZURE_STORAGE_KEY', 'AZURE_STORAGE_SAS_TOKEN'];

let az: AzuriteService;
let fx: DuckdbFixture;
let container: ContainerClient;
let project: string;
let tmp: string;

function setEnv(vars: Record<string, string | undefined>): void {
  for (const v of AZ_VARS) delete process.env[v];
  Object.assign(process.env, vars);
}

async function names(prefix: string, c: ContainerClient = container): Promise<string[]> {
  const out: string[] = [];
  for await (const b of c.listBlobsFlat({ prefix })) out.push(b.name);
  return out.sort();
}

async function download(name: string, to: string): Promise<Buffer> {
  const buf = await container.getBlockBlobClient(name).downloadToBuffer();
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.writeFileSync(to, buf);
  return buf;
}

/** Runs `fn` once uncommitted blocks exist for `blob`. */
async function whenStaging(c: ContainerClient, blob: string, fn: () => unknown): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const list = await c
      .getBlockBlobClient(blob)
      .getBlockList('uncommitted')
      .catch(() => undefined);
    if ((list?.uncommittedBlocks?.length ?? 0) > 0) {
      fn();
      return;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('no block was staged');
}

beforeAll(async () => {
  az = await startAzurite();
  setEnv({ AZURE_STORAGE_CONNECTION_STRING: az.connectionString });
  container = BlobServiceClient.fromConnectionString(az.connectionString).getContainerClient('exports');
  await container.create();
  fx = await duckdbFixture();
  await createSampleTables(fx.session);
  await fx.session.connection.execute(
    `create table main.big as select range as id, md5(range::varchar) as a, md5((range * 7)::varchar) as b from range(0, 300000)`,
  );
  project = fs.mkdtempSync(path.join(os.tmpdir(), 'tx-exp-az-'));
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tx-exp-az-scratch-'));
  process.env.TX_EXPORT_TMPDIR = tmp;
});
afterAll(async () => {
  await fx?.close();
  await az?.stop();
  for (const d of [project, tmp]) if (d) fs.rmSync(d, { recursive: true, force: true });
});

describe('Azure Blob exports (Azurite)', () => {
  it('round trip with AZURE_STORAGE_CONNECTION_STRING and azure://container/prefix', async () => {
    setEnv({ AZURE_STORAGE_CONNECTION_STRING: az.connectionString });
    const res = await runExport(request(fx, { to: 'azure://exports/runs', path: '{{ this.name }}/{{ run_started_at }}' }, { projectDir: project }));
    const prefix = 'runs/cities/2024-05-01-10-00-00/';
    expect(res.destination).toBe('azure://exports/runs/cities/2024-05-01-10-00-00');
    expect(await names(prefix)).toEqual([`${prefix}${SUCCESS_NAME}`, `${prefix}${MANIFEST_NAME}`, `${prefix}cities.parquet`]);
    const local = path.join(project, 'dl', 'cities.parquet');
    const body = await download(`${prefix}cities.parquet`, local);
    expect(await diffRows(fx.session, CITIES, [local], 'parquet')).toEqual({ missing: 0, extra: 0, readBack: 28338 });
    const m = JSON.parse((await download(`${prefix}${MANIFEST_NAME}`, path.join(project, 'dl', 'm.json'))).toString()) as Manifest;
    expect(m.files[0]).toEqual({ path: 'cities.parquet', rows: 28338, bytes: body.length, sha256: createHash('sha256').update(body).digest('hex') });
    expect(fs.readdirSync(tmp)).toEqual([]);
  });

  it('round trip with an account URL and AZURE_STORAGE_KEY (bzip2 JSON, as the original job)', async () => {
    setEnv({ AZURE_STORAGE_KEY: az.accountKey });
    const res = await runExport(request(fx, { to: `${az.blobEndpoint}/exports/keyed`, format: 'json', compression: 'bzip2' }, { projectDir: project, relation: TYPED }));
    expect(res.destination).toBe(`${az.blobEndpoint}/exports/keyed/typed`);
    const local = path.join(project, 'dl', 'typed.json.bz2');
    await download('keyed/typed/typed.json.bz2', local);
    expect(await diffRows(fx.session, TYPED, [local], 'json')).toEqual({ missing: 0, extra: 0, readBack: 2500 });
  });

  it('round trip with a SAS token on the URL, which never shows in results or logs', async () => {
    setEnv({});
    const sasUrl = await container.generateSasUrl({ permissions: ContainerSASPermissions.parse('racwdl'), expiresOn: new Date(Date.now() + 3600_000) });
    const sas = new URL(sasUrl).search.slice(1);
    const sig = new URLSearchParams(sas).get('sig')!;
    const before = fx.log.lines.length;
    const res = await runExport(request(fx, { to: `${az.blobEndpoint}/exports/sas?${sas}` }, { projectDir: project }));
    expect(res.rows).toBe(28338);
    expect(await names('sas/cities/')).toContain(`sas/cities/${SUCCESS_NAME}`);
    const everything = JSON.stringify(res) + fx.log.lines.slice(before).join('\n');
    expect(everything).not.toContain(sig);
    expect(everything).not.toContain(encodeURIComponent(sig));
  });

  it('uploads a file over 5 MiB as several blocks, committed once', async () => {
    setEnv({ AZURE_STORAGE_CONNECTION_STRING: az.connectionString });
    const res = await runExport(
      request(fx, { to: 'azure://exports/multi', format: 'csv' }, { projectDir: project, relation: BIG, tuning: { partSizeBytes: 4 * MiB, retry: { attempts: 2, baseDelayMs: 50, maxDelayMs: 100 } } }),
    );
    expect(res.bytes).toBeGreaterThan(5 * MiB);
    const blob = container.getBlockBlobClient('multi/big/big.csv');
    const list = await blob.getBlockList('committed');
    expect(list.committedBlocks?.length).toBe(Math.ceil(res.bytes / (4 * MiB)));
    const local = path.join(project, 'dl', 'big.csv');
    const body = await download('multi/big/big.csv', local);
    expect(createHash('sha256').update(body).digest('hex')).toBe(res.files[0]!.sha256);
    expect(await diffRows(fx.session, BIG, [local], 'csv')).toEqual({ missing: 0, extra: 0, readBack: 300000 });
  });

  it('an upload stopped mid-way leaves nothing visible (blocks never committed)', async () => {
    setEnv({ AZURE_STORAGE_CONNECTION_STRING: az.connectionString });
    const ac = new AbortController();
    const p = runExport(
      request(fx, { to: 'azure://exports/stopped', format: 'csv' }, { projectDir: project, relation: BIG, signal: ac.signal, tuning: { partSizeBytes: 1 * MiB, concurrency: 1 } }),
    );
    await whenStaging(container, 'stopped/big/big.csv', () => ac.abort());
    const err = (await p.catch((e: unknown) => e)) as ExportError;
    expect(err).toBeInstanceOf(ExportError);
    expect(err.code).toBe('EXPORT_CANCELLED');
    expect(await names('stopped/')).toEqual([]);
    expect(await container.getBlockBlobClient('stopped/big/big.csv').exists()).toBe(false);
    expect(fs.readdirSync(tmp)).toEqual([]);
  });

  it('a missing container is a clear error', async () => {
    setEnv({ AZURE_STORAGE_CONNECTION_STRING: az.connectionString });
    const err = (await runExport(request(fx, { to: 'azure://no-such-container/x' }, { projectDir: project })).catch((e: unknown) => e)) as ExportError;
    expect(err.code).toBe('EXPORT_NOT_FOUND');
    expect(err.message).toMatch(/container `no-such-container`.*does not exist/);
  });

  it('a wrong account key is a clear auth error that never shows the key', async () => {
    const badKey = Buffer.from('this is not the key of devstoreaccount1, not at all').toString('base64');
    const cs = az.connectionString.replace(az.accountKey, badKey);
    for (const env of [{ AZURE_STORAGE_CONNECTION_STRING: cs }, { AZURE_STORAGE_KEY: badKey }]) {
      setEnv(env);
      const to = env.AZURE_STORAGE_KEY ? `${az.blobEndpoint}/exports/bad` : 'azure://exports/bad';
      const before = fx.log.lines.length;
      const err = (await runExport(request(fx, { to }, { projectDir: project })).catch((e: unknown) => e)) as ExportError;
      expect(err).toBeInstanceOf(ExportError);
      expect(err.code).toBe('EXPORT_AUTH');
      expect(err.message).toMatch(/refused the credentials/);
      const everything = [err.message, err.hint, err.stack, JSON.stringify(err), ...fx.log.lines.slice(before)].join('\n');
      expect(everything).not.toContain(badKey);
      expect(everything).not.toContain(az.accountKey);
    }
    setEnv({});
    const err = (await runExport(request(fx, { to: 'azure://exports/none' }, { projectDir: project })).catch((e: unknown) => e)) as ExportError;
    expect(err.code).toBe('EXPORT_AUTH');
    expect(err.hint).toMatch(/AZURE_STORAGE_CONNECTION_STRING/);
  });

  it('a server killed mid-upload gives a network error and publishes nothing', async () => {
    const doomed = await startAzurite();
    try {
      setEnv({ AZURE_STORAGE_CONNECTION_STRING: doomed.connectionString });
      const c = BlobServiceClient.fromConnectionString(doomed.connectionString).getContainerClient('exports');
      await c.create();
      const p = runExport(
        request(fx, { to: 'azure://exports/killed', format: 'csv' }, { projectDir: project, relation: BIG, tuning: { partSizeBytes: 1 * MiB, concurrency: 1, retry: { attempts: 2, baseDelayMs: 50, maxDelayMs: 100 } } }),
      );
      await whenStaging(c, 'killed/big/big.csv', () => void doomed.stop());
      const err = (await p.catch((e: unknown) => e)) as ExportError;
      expect(err).toBeInstanceOf(ExportError);
      expect(err.code).toBe('EXPORT_NETWORK');
      expect(err.message).toMatch(/killed\/big|big\.csv|exports/);
      expect(fs.readdirSync(tmp)).toEqual([]);
    } finally {
      await doomed.stop();
      setEnv({ AZURE_STORAGE_CONNECTION_STRING: az.connectionString });
    }
  });
});
