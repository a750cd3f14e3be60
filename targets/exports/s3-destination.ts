/**
 * S3 (and S3-compatible servers) as an export destination.
 *
 * Credentials, region and endpoint come only from the SDK's standard sources: AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION / AWS_DEFAULT_REGION, AWS_PROFILE and the
 * shared config files, and AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL for S3-compatible servers
 * (then path-style addressing, which those servers need). Nothing is read from project files.
 *
 * Each file goes up with lib-storage's `Upload`: one PutObject below the part size, else a
 * multipart upload that is completed only when every part is in, and aborted on failure (we
 * also abort it ourselves and sweep the key's incomplete uploads, so no orphan parts stay).
 */
import fs from 'node:fs';
import {
  AbortMultipartUploadCommand,
  DeleteObjectsCommand,
  HeadBucketCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { ExportError, errorMessage } from './export-error.js';
import { joinKey } from './export-spec.js';
import type { ObjectSink } from './object-sink.js';
import { httpStatus, isTransient } from './retry.js';

export const DEFAULT_PART_SIZE = 8 * 1024 * 1024;

/** The endpoint of an S3-compatible server, when the environment names one. */
export function s3EndpointFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
}

export function createS3Client(env: NodeJS.ProcessEnv = process.env): S3Client {
  // tx pins its SDK version and runs on Node 20: the SDK's notice that *later* SDK versions need
  // Node 22 would land in the middle of a build's output. A user who wants it sets the variable to false.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const endpoint = s3EndpointFromEnv(env);
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || (endpoint ? 'us-east-1' : undefined);
  const config: S3ClientConfig = {
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 10_000, requestTimeout: 120_000 },
  };
  if (region) config.region = region;
  if (endpoint) {
    config.endpoint = endpoint;
    config.forcePathStyle = true;
  }
  return new S3Client(config);
}

function contentType(key: string): string {
  if (key.endsWith('.parquet')) return 'application/vnd.apache.parquet';
  if (key.endsWith('.csv')) return 'text/csv';
  if (key.endsWith('.json')) return key.endsWith('_manifest.json') ? 'application/json' : 'application/x-ndjson';
  return 'application/octet-stream';
}

/** Turn an SDK failure into an error a user can act on. */
export function s3Error(err: unknown, bucket: string, what: string): ExportError {
  if (err instanceof ExportError) return err;
  const e = err as { name?: string; Code?: string };
  const name = e?.name ?? '';
  const status = httpStatus(err);
  const where = `s3://${bucket}`;
  if (name === 'AbortError') return new ExportError('EXPORT_CANCELLED', `${what} ${where}: cancelled`);
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(errorMessage(err))) {
    return new ExportError('EXPORT_AUTH', `${what} ${where}: no AWS credentials found`, {
      hint: 'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE with a profile in ~/.aws/credentials',
    });
  }
  if (/Region is missing/i.test(errorMessage(err))) {
    return new ExportError('EXPORT_CONFIG', `${what} ${where}: no AWS region configured`, { hint: 'set AWS_REGION (or a region in your AWS profile)' });
  }
  if (['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'InvalidToken', 'ExpiredToken', 'AccessDenied', 'Forbidden', 'AuthorizationHeaderMalformed'].includes(name) || status === 403 || status === 401) {
    return new ExportError('EXPORT_AUTH', `${what} ${where}: S3 refused the credentials (${name || status})`, {
      hint: 'check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) and that they may write to this bucket',
    });
  }
  if (name === 'NoSuchBucket' || ((name === 'NotFound' || status === 404) && what === 'checking')) {
    return new ExportError('EXPORT_NOT_FOUND', `${what} ${where}: the bucket \`${bucket}\` does not exist`, {
      hint: 'create the bucket first, or fix the bucket name in `to:`',
    });
  }
  if (isTransient(err) || status === undefined) {
    const endpoint = s3EndpointFromEnv();
    return new ExportError('EXPORT_NETWORK', `${what} ${where}: ${errorMessage(err)}`, {
      hint: endpoint ? `is the S3 endpoint ${endpoint} up?` : 'check the network and the AWS region',
      transient: true,
    });
  }
  return new ExportError('EXPORT_FAILED', `${what} ${where}: ${errorMessage(err)}`);
}

export class S3Sink implements ObjectSink {
  readonly display: string;
  private readonly started = new Date(Date.now() - 60_000);

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly prefix: string,
    private readonly partSize = DEFAULT_PART_SIZE,
    private readonly queueSize = 4,
  ) {
    this.display = `s3://${bucket}/${prefix}`;
  }

  private key(rel: string): string {
    return joinKey(this.prefix, rel);
  }

  async list(): Promise<string[]> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (e) {
      throw s3Error(e, this.bucket, 'checking');
    }
    const out: string[] = [];
    const base = this.prefix ? `${this.prefix}/` : '';
    let token: string | undefined;
    try {
      do {
        const r = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: base, ContinuationToken: token }));
        for (const o of r.Contents ?? []) if (o.Key) out.push(o.Key.slice(base.length));
        token = r.IsTruncated ? r.NextContinuationToken : undefined;
      } while (token);
    } catch (e) {
      throw s3Error(e, this.bucket, 'listing');
    }
    return out;
  }

  async putFile(rel: string, file: string, bytes: number, onBytes: (n: number) => void, signal?: AbortSignal): Promise<void> {
    const key = this.key(rel);
    const abortController = new AbortController();
    const onAbort = (): void => abortController.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    // A Buffer for small files (one PutObject with a known length); a stream for the rest.
    const body = bytes <= this.partSize ? await fs.promises.readFile(file) : fs.createReadStream(file, { highWaterMark: 1 << 20 });
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: key, Body: body, ContentType: contentType(key), ContentLength: bytes },
      partSize: this.partSize,
      queueSize: this.queueSize,
      leavePartsOnError: false,
      abortController,
    });
    let last = 0;
    upload.on('httpUploadProgress', (p) => {
      const loaded = p.loaded ?? 0;
      if (loaded > last) {
        onBytes(loaded - last);
        last = loaded;
      }
    });
    try {
      await upload.done();
    } catch (e) {
      if (upload.uploadId) {
        await this.client
          .send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: upload.uploadId }))
          .catch(() => undefined);
      }
      throw s3Error(e, this.bucket, `uploading ${rel} to`);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (!Buffer.isBuffer(body)) body.destroy();
    }
  }

  async cleanupIncomplete(rel: string): Promise<void> {
    const key = this.key(rel);
    const r = await this.client.send(new ListMultipartUploadsCommand({ Bucket: this.bucket, Prefix: key }));
    for (const u of r.Uploads ?? []) {
      if (u.Key === key && u.UploadId && (!u.Initiated || u.Initiated >= this.started)) {
        await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: u.UploadId })).catch(() => undefined);
      }
    }
  }

  async putBytes(rel: string, data: Buffer, signal?: AbortSignal): Promise<void> {
    const key = this.key(rel);
    try {
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: data, ContentType: contentType(key), ContentLength: data.length }), {
        abortSignal: signal,
      });
    } catch (e) {
      throw s3Error(e, this.bucket, `writing ${rel} to`);
    }
  }

  async remove(rels: string[]): Promise<void> {
    for (let i = 0; i < rels.length; i += 1000) {
      const batch = rels.slice(i, i + 1000).map((r) => ({ Key: this.key(r) }));
      try {
        const r = await this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch, Quiet: true } }));
        if (r.Errors?.length) throw new Error(`${r.Errors.length} object(s) not deleted: ${r.Errors[0]?.Code ?? ''} ${r.Errors[0]?.Message ?? ''}`);
      } catch (e) {
        throw s3Error(e, this.bucket, 'deleting objects in');
      }
    }
  }

  close(): void {
    this.client.destroy();
  }
}
