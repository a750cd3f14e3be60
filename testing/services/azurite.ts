/**
 * Azure Blob Storage for tests: Azurite 3.35 (npm) blob service, in memory, on 127.0.0.1.
 * Started as its own process (`node .../azurite/dist/src/blob/main.js`) with `--blobPort 0`;
 * the kernel picks the port and we read it from Azurite's "successfully listens on" log line,
 * so there is no race for a free port. Stopped by killing its process group.
 *
 * `TX_TEST_AZURE_CONNECTION_STRING` uses an already running endpoint instead (stop is a no-op).
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { spawnDetached } from './process.js';

export interface AzuriteService {
  connectionString: string;
  accountName: string;
  accountKey: string;
  /** e.g. `http://127.0.0.1:41234/devstoreaccount1` */
  blobEndpoint: string;
  /** PID (and process group) of the Azurite process; null for an external endpoint. */
  pid: number | null;
  stop(): Promise<void>;
}

/** Azurite's documented well-known development account. */
export const AZURITE_ACCOUNT_NAME = 'devstoreaccount1';
export const AZURITE_ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export function azuriteConnectionString(blobEndpoint: string, accountName = AZURITE_ACCOUNT_NAME, accountKey = AZURITE_ACCOUNT_KEY): string {
  return `DefaultEndpointsProtocol=http;AccountName=${accountName};AccountKey=${accountKey};BlobEndpoint=${blobEndpoint};`;
}

function fromConnectionString(cs: string): AzuriteService {
  const parts = new Map<string, string>();
  for (const kv of cs.split(';')) {
    const i = kv.indexOf('=');
    if (i > 0) parts.set(kv.slice(0, i).trim().toLowerCase(), kv.slice(i + 1).trim());
  }
  const accountName = parts.get('accountname') ?? AZURITE_ACCOUNT_NAME;
  return {
    connectionString: cs,
    accountName,
    accountKey: parts.get('accountkey') ?? AZURITE_ACCOUNT_KEY,
    blobEndpoint: parts.get('blobendpoint') ?? `http://127.0.0.1:10000/${accountName}`,
    pid: null,
    stop: async () => {},
  };
}

export async function startAzurite(): Promise<AzuriteService> {
  const external = process.env.TX_TEST_AZURE_CONNECTION_STRING;
  if (external) return fromConnectionString(external);

  const require = createRequire(import.meta.url);
  const mainJs = path.join(path.dirname(require.resolve('azurite/package.json')), 'dist', 'src', 'blob', 'main.js');
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tx-azurite-'));
  const t0 = Date.now();
  const proc = spawnDetached(
    process.execPath,
    [
      mainJs,
      '--blobHost', '127.0.0.1',
      '--blobPort', '0',
      '--inMemoryPersistence',
      '--skipApiVersionCheck',
      '--disableTelemetry',
    ],
    { cwd: workDir, logFile: path.join(workDir, 'azurite.log') },
  );
  const cleanup = async (): Promise<void> => {
    await proc.stop(10_000);
    fs.rmSync(workDir, { recursive: true, force: true });
  };
  let port: number;
  try {
    const m = await proc.waitForLog(/successfully listens on http:\/\/127\.0\.0\.1:(\d+)/, 60_000);
    port = Number(m[1]);
  } catch (err) {
    await cleanup();
    throw err;
  }
  console.warn(`[tx services] Azurite blob ready on 127.0.0.1:${port} (pid ${proc.pid}) after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const blobEndpoint = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT_NAME}`;
  let stopped = false;
  return {
    connectionString: azuriteConnectionString(blobEndpoint),
    accountName: AZURITE_ACCOUNT_NAME,
    accountKey: AZURITE_ACCOUNT_KEY,
    blobEndpoint,
    pid: proc.pid,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await cleanup();
    },
  };
}
