/**
 * S3 exports against a real S3-compatible server (moto, from testing/services/s3.ts).
 * Credentials and endpoint reach the exporter only through the standard AWS_* variables.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3, type S3Service } from '../../testing/services/s3.js';
import { skipEachWithout } from '../../testing/services/service-suite.js';
import { ExportError, MANIFEST_NAME, SUCCESS_NAME, runExport, type Manifest } from './index.js';
import { CITIES, createSampleTables, diffRows, duckdbFixture, request, type DuckdbFixture } from './export-test-support.js';

// Started in beforeAll, not at import: listing the tests starts no server.
let s3: S3Service | null = null;
const BUCKET = 'tx-exports';
const BIG = { schema: 'main', identifier: 'big' };
const MiB = 1024 * 1024;

let fx: DuckdbFixture;
let admin: S3Client;
let project: string;
let tmp: string;

function useServer(svc: S3Service, creds?: { id: string; secret: string }): void {
  process.env.AWS_ENDPOINT_URL_S3 = svc.endpoint;
  process.env.AWS_REGION = svc.region;
  process.env.AWS_ACCESS_KEY_ID = creds?.id ?? svc.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = creds?.secret ?? svc.secretAccessKey;
}

async function keys(client: S3Client, prefix: string): Promise<string[]> {
  const r = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  return (r.Contents ?? []).map((o) => o.Key!).sort();
}

async function download(client: S3Client, key: string, to: string): Promise<Buffer> {
  const r = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  const buf = Buffer.from(await r.Body!.transformToByteArray());
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.writeFileSync(to, buf);
  return buf;
}

async function multipartUploads(client: S3Client, prefix: string): Promise<number> {
  const r = await client.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: prefix }));
  return (r.Uploads ?? []).length;
}

/** Resolves once a multipart upload under `prefix` is in progress, then runs `fn`. */
async function whenUploading(client: S3Client, prefix: string, fn: () => unknown): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if ((await multipartUploads(client, prefix).catch(() => 0)) > 0) {
      fn();
      return;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('no multipart upload started');
}

// At the top level, so a run filtered to one suite still starts and stops the server.
// null (after a loud line) when moto cannot be had; throws when TX_TEST_REQUIRE names s3.
beforeAll(async () => {
  s3 = await startS3();
}, 600_000);
afterAll(async () => {
  await s3?.stop();
});

describe('S3 exports (moto)', () => {
  skipEachWithout(() => s3);
  beforeAll(async () => {
    if (!s3) return;
    process.env.AWS_EC2_METADATA_DISABLED = 'true';
    delete process.env.AWS_PROFILE;
    useServer(s3!);
    admin = new S3Client(s3!.clientConfig);
    await admin.send(new CreateBucketCommand({ Bucket: BUCKET }));
    fx = await duckdbFixture();
    await createSampleTables(fx.session);
    // ~48 MB of CSV: big enough for several 5 MiB parts.
    await fx.session.connection.execute(
      `create table main.big as select range as id, md5(range::varchar) as a, md5((range * 7)::varchar) as b, range % 97 as c from range(0, 500000)`,
    );
    project = fs.mkdtempSync(path.join(os.tmpdir(), 'tx-exp-s3-'));
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tx-exp-s3-scratch-'));
    process.env.TX_EXPORT_TMPDIR = tmp;
  });
  afterAll(async () => {
    await fx?.close();
    admin?.destroy();
    for (const d of [project, tmp]) if (d) fs.rmSync(d, { recursive: true, force: true });
  });

  it('round trip: parquet, manifest and _SUCCESS under the prefix; same rows when read back', async () => {
    const res = await runExport(request(fx, { to: `s3://${BUCKET}/exports`, path: '{{ this.name }}/{{ run_started_at }}' }, { projectDir: project }));
    const prefix = 'exports/cities/2024-05-01-10-00-00/';
    expect(res.destination).toBe(`s3://${BUCKET}/exports/cities/2024-05-01-10-00-00`);
    expect(await keys(admin, prefix)).toEqual([`${prefix}${SUCCESS_NAME}`, `${prefix}${MANIFEST_NAME}`, `${prefix}cities.parquet`]);
    const local = path.join(project, 'dl', 'cities.parquet');
    const body = await download(admin, `${prefix}cities.parquet`, local);
    expect(await diffRows(fx.session, CITIES, [local], 'parquet')).toEqual({ missing: 0, extra: 0, readBack: 28338 });
    const manifest = JSON.parse((await download(admin, `${prefix}${MANIFEST_NAME}`, path.join(project, 'dl', 'm.json'))).toString()) as Manifest;
    expect(manifest.files).toEqual([{ path: 'cities.parquet', rows: 28338, bytes: body.length, sha256: createHash('sha256').update(body).digest('hex') }]);
    expect(fs.readdirSync(tmp)).toEqual([]);
  });

  it('uploads a file over 5 MiB in several parts and completes it whole', async () => {
    const res = await runExport(
      request(fx, { to: `s3://${BUCKET}/multi`, format: 'csv' }, { projectDir: project, relation: BIG, tuning: { partSizeBytes: 5 * MiB, retry: { attempts: 2, baseDelayMs: 50, maxDelayMs: 100 } } }),
    );
    expect(res.bytes).toBeGreaterThan(20 * MiB);
    const key = 'multi/big/big.csv';
    const head = await admin.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(head.ContentLength).toBe(res.bytes);
    // A multipart ETag is "<md5 of part md5s>-<part count>".
    expect(head.ETag).toMatch(new RegExp(`-${Math.ceil(res.bytes / (5 * MiB))}"$`));
    const local = path.join(project, 'dl', 'big.csv');
    const body = await download(admin, key, local);
    expect(createHash('sha256').update(body).digest('hex')).toBe(res.files[0]!.sha256);
    expect(await diffRows(fx.session, BIG, [local], 'csv')).toEqual({ missing: 0, extra: 0, readBack: 500000 });
    expect(await multipartUploads(admin, 'multi/')).toBe(0);
  });

  it('an upload stopped mid-way leaves nothing at the final key and no multipart upload behind', async () => {
    const ac = new AbortController();
    const p = runExport(request(fx, { to: `s3://${BUCKET}/stopped`, format: 'csv' }, { projectDir: project, relation: BIG, signal: ac.signal, tuning: { partSizeBytes: 5 * MiB } }));
    await whenUploading(admin, 'stopped/', () => ac.abort());
    const err = (await p.catch((e: unknown) => e)) as ExportError;
    expect(err).toBeInstanceOf(ExportError);
    expect(err.code).toBe('EXPORT_CANCELLED');
    expect(await keys(admin, 'stopped/')).toEqual([]);
    // lib-storage aborts asynchronously too; both end in no incomplete upload.
    await new Promise((r) => setTimeout(r, 500));
    expect(await multipartUploads(admin, 'stopped/')).toBe(0);
    expect(fs.readdirSync(tmp)).toEqual([]);
  });

  it('replaces an earlier export under the same prefix: stale parts are removed', async () => {
    await runExport(request(fx, { to: `s3://${BUCKET}/again`, format: 'csv', file_size_mb: 0.5 }, { projectDir: project }));
    expect((await keys(admin, 'again/')).length).toBeGreaterThan(4);
    await runExport(request(fx, { to: `s3://${BUCKET}/again` }, { projectDir: project }));
    expect(await keys(admin, 'again/')).toEqual(['again/cities/_SUCCESS', 'again/cities/_manifest.json', 'again/cities/cities.parquet']);
  });

  it('a missing bucket is a clear error', async () => {
    const err = (await runExport(request(fx, { to: 's3://no-such-bucket-tx/x' }, { projectDir: project })).catch((e: unknown) => e)) as ExportError;
    expect(err.code).toBe('EXPORT_NOT_FOUND');
    expect(err.message).toMatch(/bucket `no-such-bucket-tx` does not exist/);
  });

  it('a server killed mid-upload gives a network error, publishes nothing and cleans up locally', async () => {
    const doomed = (await startS3())!;
    try {
      useServer(doomed);
      const client = new S3Client(doomed.clientConfig);
      await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
      // retries are bounded (attempts: 2): a hang or endless retrying runs into the test's own limit
      const p = runExport(request(fx, { to: `s3://${BUCKET}/killed`, format: 'csv' }, { projectDir: project, relation: BIG, tuning: { partSizeBytes: 5 * MiB, retry: { attempts: 2, baseDelayMs: 50, maxDelayMs: 100 } } }));
      await whenUploading(client, 'killed/', () => void doomed.stop());
      const err = (await p.catch((e: unknown) => e)) as ExportError;
      client.destroy();
      expect(err).toBeInstanceOf(ExportError);
      expect(err.code).toBe('EXPORT_NETWORK');
      expect(err.message).toMatch(/killed\/big\/big\.csv|s3:\/\/tx-exports/);
      expect(err.hint).toMatch(new RegExp(`S3 endpoint ${doomed.endpoint.replace(/[.]/g, '\\.')}`));
      expect(fs.readdirSync(tmp)).toEqual([]);
    } finally {
      await doomed.stop();
      useServer(s3!);
    }
  });
});

/** An IAM call to moto (routed by the credential scope; not verified while INITIAL_NO_AUTH_ACTION_COUNT lets it through). */
function iam(endpoint: string, params: Record<string, string>): Promise<string> {
  const u = new URL(endpoint);
  const body = new URLSearchParams({ ...params, Version: '2010-05-08' }).toString();
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: u.hostname, port: Number(u.port), method: 'POST', path: '/', headers: { Authorization: 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0', 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(body) } },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => (res.statusCode === 200 ? resolve(text) : reject(new Error(`IAM ${params.Action}: ${res.statusCode} ${text}`))));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('S3 exports with credentials checked (moto with IAM auth)', () => {
  let authed: S3Service | null = null;
  let good: { id: string; secret: string };
  skipEachWithout(() => s3 && authed);

  beforeAll(async () => {
    if (!s3) return;
    process.env.AWS_EC2_METADATA_DISABLED = 'true';
    // moto checks signatures once this many unauthenticated calls have been made.
    process.env.INITIAL_NO_AUTH_ACTION_COUNT = '3';
    try {
      authed = await startS3();
    } finally {
      delete process.env.INITIAL_NO_AUTH_ACTION_COUNT;
    }
    if (!authed) return;
    await iam(authed!.endpoint, { Action: 'CreateUser', UserName: 'tx' });
    const xml = await iam(authed!.endpoint, { Action: 'CreateAccessKey', UserName: 'tx' });
    good = { id: /<AccessKeyId>([^<]+)</.exec(xml)![1]!, secret: /<SecretAccessKey>([^<]+)</.exec(xml)![1]! };
    const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] });
    await iam(authed!.endpoint, { Action: 'PutUserPolicy', UserName: 'tx', PolicyName: 'all', PolicyDocument: policy });
    const client = new S3Client({ ...authed!.clientConfig, credentials: { accessKeyId: good.id, secretAccessKey: good.secret } });
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    client.destroy();
    // Its own fixture and scratch: the suite above removes its own in afterAll.
    delete process.env.TX_EXPORT_TMPDIR;
    fx = await duckdbFixture();
    await createSampleTables(fx.session);
    project = fs.mkdtempSync(path.join(os.tmpdir(), 'tx-exp-s3-auth-'));
  });
  afterAll(async () => {
    await fx?.close();
    if (project) fs.rmSync(project, { recursive: true, force: true });
    await authed?.stop();
  });

  it('works with the right key', async () => {
    useServer(authed!, good);
    const res = await runExport(request(fx, { to: `s3://${BUCKET}/ok` }, { projectDir: project }));
    expect(res.rows).toBe(28338);
  });

  it('a wrong secret is a clear auth error that never shows the secret', async () => {
    const secret = 'Sup3rSecretValue/with+chars0123456789abcd';
    useServer(authed!, { id: good.id, secret });
    const log = fx.log;
    const before = log.lines.length;
    const err = (await runExport(request(fx, { to: `s3://${BUCKET}/bad` }, { projectDir: project })).catch((e: unknown) => e)) as ExportError;
    expect(err).toBeInstanceOf(ExportError);
    expect(err.code).toBe('EXPORT_AUTH');
    expect(err.message).toMatch(/refused the credentials/);
    expect(err.hint).toMatch(/AWS_SECRET_ACCESS_KEY/);
    const everything = [err.message, err.hint, err.stack, JSON.stringify(err), ...log.lines.slice(before)].join('\n');
    expect(everything).not.toContain(secret);
    expect(everything).not.toContain(good.secret);
  });

  it('an unknown access key is an auth error too', async () => {
    useServer(authed!, { id: 'AKIAUNKNOWNKEY000000', secret: 'whatever-secret-value' });
    const err = (await runExport(request(fx, { to: `s3://${BUCKET}/bad` }, { projectDir: project })).catch((e: unknown) => e)) as ExportError;
    expect(err.code).toBe('EXPORT_AUTH');
    expect(`${err.message} ${err.hint} ${err.stack}`).not.toContain('whatever-secret-value');
  });
});
