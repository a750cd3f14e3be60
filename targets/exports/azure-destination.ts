/**
 * Azure Blob Storage as an export destination.
 *
 * Credentials only from the standard places: AZURE_STORAGE_CONNECTION_STRING; or
 * AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY (account key) or AZURE_STORAGE_SAS_TOKEN; or a
 * SAS query string on an https destination URL. None of them is ever logged or returned.
 *
 * Each file is uploaded as blocks (Put Block), and the block list is committed only when every
 * block is in: until then nothing is visible at the blob's name, and an interrupted upload
 * leaves only uncommitted blocks, which Azure discards by itself (after 7 days).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { BlobServiceClient, StorageSharedKeyCredential, type ContainerClient, type StoragePipelineOptions } from '@azure/storage-blob';
import { ExportError, errorMessage, registerSecret } from './export-error.js';
import { joinKey, type Destination } from './export-spec.js';
import type { ObjectSink } from './object-sink.js';
import { httpStatus, isTransient, withRetry, type RetryOptions } from './retry.js';

export const DEFAULT_BLOCK_SIZE = 8 * 1024 * 1024;

type AzureDestination = Extract<Destination, { kind: 'azure' }>;

function parseConnectionString(cs: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const kv of cs.split(';')) {
    const i = kv.indexOf('=');
    if (i > 0) m.set(kv.slice(0, i).trim().toLowerCase(), kv.slice(i + 1).trim());
  }
  return m;
}

const PIPELINE: StoragePipelineOptions = {
  retryOptions: { maxTries: 3, retryDelayInMs: 500, maxRetryDelayInMs: 4000, tryTimeoutInMs: 120_000 },
};

function withSas(url: string, sas: string): string {
  const q = sas.startsWith('?') ? sas.slice(1) : sas;
  registerSecret(q);
  return `${url}?${q}`;
}

const noCredentials = (account: string | undefined): ExportError =>
  new ExportError('EXPORT_AUTH', `no Azure Storage credentials found${account ? ` for account \`${account}\`` : ''}`, {
    hint: 'set AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN, or put a SAS token on the https URL',
  });

/** A service client from the destination and the standard environment variables. */
export function createBlobServiceClient(dest: AzureDestination, env: NodeJS.ProcessEnv = process.env): BlobServiceClient {
  const cs = env.AZURE_STORAGE_CONNECTION_STRING;
  const envAccount = env.AZURE_STORAGE_ACCOUNT;
  const key = env.AZURE_STORAGE_KEY || env.AZURE_STORAGE_ACCESS_KEY;
  const envSas = env.AZURE_STORAGE_SAS_TOKEN;
  registerSecret(key);
  registerSecret(envSas);
  try {
    if (dest.serviceUrl) {
      const account = dest.account!;
      if (dest.sas) return new BlobServiceClient(withSas(dest.serviceUrl, dest.sas), undefined, PIPELINE);
      if (cs) {
        const parts = parseConnectionString(cs);
        if ((parts.get('accountname') ?? '').toLowerCase() === account.toLowerCase()) {
          registerSecret(parts.get('accountkey'));
          return BlobServiceClient.fromConnectionString(cs, PIPELINE);
        }
      }
      if (key && (!envAccount || envAccount.toLowerCase() === account.toLowerCase())) {
        return new BlobServiceClient(dest.serviceUrl, new StorageSharedKeyCredential(account, key), PIPELINE);
      }
      if (envSas) return new BlobServiceClient(withSas(dest.serviceUrl, envSas), undefined, PIPELINE);
      throw noCredentials(account);
    }
    if (cs) {
      const parts = parseConnectionString(cs);
      registerSecret(parts.get('accountkey'));
      registerSecret(parts.get('sharedaccesssignature'));
      return BlobServiceClient.fromConnectionString(cs, PIPELINE);
    }
    if (envAccount) {
      const url = `https://${envAccount}.blob.core.windows.net`;
      if (key) return new BlobServiceClient(url, new StorageSharedKeyCredential(envAccount, key), PIPELINE);
      if (envSas) return new BlobServiceClient(withSas(url, envSas), undefined, PIPELINE);
    }
    throw noCredentials(envAccount);
  } catch (e) {
    if (e instanceof ExportError) throw e;
    throw new ExportError('EXPORT_AUTH', `Azure Storage credentials are not usable: ${errorMessage(e)}`, {
      hint: 'check AZURE_STORAGE_CONNECTION_STRING (AccountName, AccountKey or SharedAccessSignature, BlobEndpoint)',
    });
  }
}

/** Turn an Azure SDK failure into an error a user can act on. */
export function azureError(err: unknown, container: string, what: string): ExportError {
  if (err instanceof ExportError) return err;
  const e = err as { name?: string; code?: string; details?: { errorCode?: string } };
  const code = e?.details?.errorCode ?? e?.code ?? '';
  const status = httpStatus(err);
  const where = `azure container \`${container}\``;
  if (e?.name === 'AbortError') return new ExportError('EXPORT_CANCELLED', `${what} ${where}: cancelled`);
  if (code === 'ContainerNotFound' || (status === 404 && what === 'checking')) {
    return new ExportError('EXPORT_NOT_FOUND', `${what} ${where}: the container does not exist`, { hint: 'create the container first, or fix its name in `to:`' });
  }
  if (status === 403 || status === 401 || /^(AuthenticationFailed|AuthorizationFailure|AuthorizationPermissionMismatch|InvalidAuthenticationInfo)/.test(code)) {
    return new ExportError('EXPORT_AUTH', `${what} ${where}: Azure Storage refused the credentials (${code || status})`, {
      hint: 'check the account key, connection string or SAS token (and that it allows create and write)',
    });
  }
  if (isTransient(err) || status === undefined) {
    return new ExportError('EXPORT_NETWORK', `${what} ${where}: ${errorMessage(err)}`, { hint: 'is the storage endpoint reachable?', transient: true });
  }
  return new ExportError('EXPORT_FAILED', `${what} ${where}: ${errorMessage(err)}`);
}

function contentType(name: string): string {
  if (name.endsWith('.parquet')) return 'application/vnd.apache.parquet';
  if (name.endsWith('.csv')) return 'text/csv';
  if (name.endsWith('_manifest.json')) return 'application/json';
  if (name.endsWith('.json')) return 'application/x-ndjson';
  return 'application/octet-stream';
}

export class AzureSink implements ObjectSink {
  readonly display: string;
  private readonly container: ContainerClient;

  constructor(
    service: BlobServiceClient,
    private readonly dest: AzureDestination,
    private readonly retry: RetryOptions,
    private readonly blockSize = DEFAULT_BLOCK_SIZE,
    private readonly concurrency = 4,
  ) {
    this.container = service.getContainerClient(dest.container);
    this.display = dest.serviceUrl ? `${dest.serviceUrl}/${dest.container}/${dest.prefix}` : `azure://${dest.container}/${dest.prefix}`;
  }

  private name(rel: string): string {
    return joinKey(this.dest.prefix, rel);
  }

  /**
   * Listing checks the container and the credentials in one call. A SAS without list
   * permission (write-only) cannot list: then nothing is known to be there, and the export
   * still writes whole blobs, manifest and `_SUCCESS` last; it just cannot remove stale ones.
   */
  async list(): Promise<string[]> {
    const base = this.dest.prefix ? `${this.dest.prefix}/` : '';
    const out: string[] = [];
    try {
      for await (const b of this.container.listBlobsFlat({ prefix: base })) out.push(b.name.slice(base.length));
    } catch (e) {
      const code = (e as { details?: { errorCode?: string }; code?: string }).details?.errorCode ?? (e as { code?: string }).code;
      if (code === 'AuthorizationPermissionMismatch' && (this.dest.sas || process.env.AZURE_STORAGE_SAS_TOKEN)) return [];
      throw azureError(e, this.dest.container, 'checking');
    }
    return out;
  }

  async putFile(rel: string, file: string, bytes: number, onBytes: (n: number) => void, signal?: AbortSignal): Promise<void> {
    const blob = this.container.getBlockBlobClient(this.name(rel));
    const nonce = randomBytes(6).toString('hex');
    const count = Math.ceil(bytes / this.blockSize);
    // Same-length ids, unique per attempt, so a retried upload never mixes with an earlier one.
    const ids = Array.from({ length: count }, (_, i) => Buffer.from(`${nonce}-${String(i).padStart(6, '0')}`).toString('base64'));
    const fh = await fs.promises.open(file, 'r');
    try {
      let next = 0;
      let failed: unknown;
      const worker = async (): Promise<void> => {
        while (failed === undefined && next < count) {
          const i = next++;
          const len = Math.min(this.blockSize, bytes - i * this.blockSize);
          const buf = Buffer.allocUnsafe(len);
          const { bytesRead } = await fh.read(buf, 0, len, i * this.blockSize);
          if (bytesRead !== len) throw new ExportError('EXPORT_IO', `${file} changed while uploading`);
          try {
            await withRetry(() => blob.stageBlock(ids[i]!, buf, len, { abortSignal: signal }), { ...this.retry, signal });
            onBytes(len);
          } catch (e) {
            if (failed === undefined) failed = e;
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(this.concurrency, Math.max(count, 1)) }, worker));
      if (failed !== undefined) throw failed;
      if (signal?.aborted) throw Object.assign(new Error('cancelled'), { name: 'AbortError' });
      // The one step that makes the blob visible, whole.
      await blob.commitBlockList(ids, { blobHTTPHeaders: { blobContentType: contentType(rel) }, abortSignal: signal });
    } catch (e) {
      throw azureError(e, this.dest.container, `uploading ${rel} to`);
    } finally {
      await fh.close();
    }
  }

  async putBytes(rel: string, data: Buffer, signal?: AbortSignal): Promise<void> {
    try {
      await this.container
        .getBlockBlobClient(this.name(rel))
        .upload(data, data.length, { blobHTTPHeaders: { blobContentType: contentType(rel) }, abortSignal: signal });
    } catch (e) {
      throw azureError(e, this.dest.container, `writing ${rel} to`);
    }
  }

  async remove(rels: string[]): Promise<void> {
    for (const rel of rels) {
      try {
        await this.container.getBlockBlobClient(this.name(rel)).deleteIfExists();
      } catch (e) {
        throw azureError(e, this.dest.container, 'deleting blobs in');
      }
    }
  }

  close(): void {
    /* the Azure SDK keeps no handles that need closing */
  }
}
