/**
 * An S3-compatible server for tests: moto's standalone server (`moto[server]` from PyPI, in a
 * venv under ~/.cache/tx/moto), in memory, on 127.0.0.1 with `-p 0` (werkzeug binds a free port
 * and logs "Running on http://127.0.0.1:PORT", so there is no port race). Stopped by killing its
 * process group.
 *
 * Why moto and not s3rver: moto is maintained and behaves like real S3 for what tx uses
 * (buckets, PutObject, GetObject, multipart Upload, ListObjectsV2), and it understands the
 * aws-chunked encoding that current AWS SDKs use by default for streamed PutObject, so clients
 * need no test-only setting. s3rver 3.7 (unmaintained since 2021) stores the chunk framing
 * inside the object unless the client sets `requestChecksumCalculation: 'WHEN_REQUIRED'`,
 * which would let a test pass with a client configuration users never run. moto starts in ~1 s.
 * Quirks seen: moto validates bucket names like S3 does (3-63 chars, so "b1" is rejected).
 *
 * `TX_TEST_S3_ENDPOINT` (with optional TX_TEST_S3_REGION, TX_TEST_S3_ACCESS_KEY_ID,
 * TX_TEST_S3_SECRET_ACCESS_KEY) uses an already running endpoint instead (stop is a no-op).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnDetached } from './process.js';
import { provisionMoto, type MotoInstall } from './provision.js';
import { findPython } from './python-venv.js';
import { serviceUnavailable } from './require.js';

export { provisionMoto, type MotoInstall } from './provision.js';

export interface S3Service {
  /** e.g. `http://127.0.0.1:41234` */
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** PID (and process group) of the server; null for an external endpoint. */
  pid: number | null;
  /** Ready to pass to `new S3Client(...)` (path-style addressing, as S3-compatible servers need). */
  clientConfig: {
    endpoint: string;
    region: string;
    forcePathStyle: true;
    credentials: { accessKeyId: string; secretAccessKey: string };
  };
  stop(): Promise<void>;
}

function service(endpoint: string, region: string, accessKeyId: string, secretAccessKey: string, pid: number | null, stop: () => Promise<void>): S3Service {
  return {
    endpoint,
    region,
    accessKeyId,
    secretAccessKey,
    pid,
    clientConfig: { endpoint, region, forcePathStyle: true, credentials: { accessKeyId, secretAccessKey } },
    stop,
  };
}

/**
 * Starts (or, with TX_TEST_S3_ENDPOINT, points at) an S3-compatible server. Returns null after a
 * loud line when Python is missing or moto cannot be provisioned; throws instead when
 * TX_TEST_REQUIRE names `s3`.
 */
export async function startS3(): Promise<S3Service | null> {
  const external = process.env.TX_TEST_S3_ENDPOINT;
  if (external) {
    return service(
      external,
      process.env.TX_TEST_S3_REGION ?? 'us-east-1',
      process.env.TX_TEST_S3_ACCESS_KEY_ID ?? 'tx-test',
      process.env.TX_TEST_S3_SECRET_ACCESS_KEY ?? 'tx-test-secret',
      null,
      async () => {},
    );
  }
  if (!(await findPython())) {
    serviceUnavailable('s3', 'no Python >= 3.8 with venv found to provision moto (set TX_TEST_PYTHON)');
    return null;
  }
  let install: MotoInstall;
  try {
    install = await provisionMoto();
  } catch (err) {
    serviceUnavailable('s3', `provisioning moto failed: ${err instanceof Error ? err.message : String(err)}`);
    return null;
  }
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tx-moto-'));
  const t0 = Date.now();
  const proc = spawnDetached(install.motoServer, ['-H', '127.0.0.1', '-p', '0'], {
    cwd: workDir,
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
    logFile: path.join(workDir, 'moto.log'),
  });
  const cleanup = async (): Promise<void> => {
    await proc.stop(10_000);
    fs.rmSync(workDir, { recursive: true, force: true });
  };
  let port: number;
  try {
    port = Number((await proc.waitForLog(/Running on http:\/\/127\.0\.0\.1:(\d+)/, 60_000))[1]);
  } catch (err) {
    await cleanup();
    throw err;
  }
  console.warn(`[tx services] moto S3 ready on 127.0.0.1:${port} (pid ${proc.pid}) after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  let stopped = false;
  return service(`http://127.0.0.1:${port}`, 'us-east-1', 'tx-test', 'tx-test-secret', proc.pid, async () => {
    if (stopped) return;
    stopped = true;
    await cleanup();
  });
}
