/**
 * What an object store (S3, Azure Blob) must offer an export, and the one publishing sequence
 * both use: remove the old `_SUCCESS` → upload data files (each one atomic: multipart completed
 * or blocks committed only when whole) → remove stale objects → `_manifest.json` → `_SUCCESS`.
 * On failure, objects this export completed are deleted again (best effort) and no `_SUCCESS`
 * is written, so a reader never trusts a half-written folder.
 */
import type { TargetLog } from '../target.js';
import { errorMessage, toExportError } from './export-error.js';
import type { ProducedFile } from './file-writer.js';
import { MANIFEST_NAME, SUCCESS_BYTES, SUCCESS_NAME } from './manifest.js';
import { createProgress } from './progress.js';
import { withRetry, type RetryOptions } from './retry.js';

export interface ObjectSink {
  /** e.g. `s3://bucket/prefix` (no secrets). */
  readonly display: string;
  /** Check access; return the names (relative to the prefix) already there. */
  list(): Promise<string[]>;
  /** Upload one local file atomically; `onBytes` hears progress. */
  putFile(rel: string, file: string, bytes: number, onBytes: (n: number) => void, signal?: AbortSignal): Promise<void>;
  /** Upload a small object in one request. */
  putBytes(rel: string, data: Buffer, signal?: AbortSignal): Promise<void>;
  remove(rels: string[]): Promise<void>;
  /** After a failed putFile: make sure no incomplete upload is left behind for `rel`. */
  cleanupIncomplete?(rel: string): Promise<void>;
  close(): void;
}

async function pool<T>(items: T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async (): Promise<void> => {
    while (failed === undefined && next < items.length) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (e) {
        if (failed === undefined) failed = e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, worker));
  if (failed !== undefined) throw failed;
}

export async function publishToObjectStore(opts: {
  sink: ObjectSink;
  files: ProducedFile[];
  manifest: Buffer;
  label: string;
  log: TargetLog;
  retry: RetryOptions;
  /** Files uploaded at once (each also uploads its parts in parallel). */
  concurrency?: number;
  signal?: AbortSignal;
}): Promise<void> {
  const { sink, files, log, signal } = opts;
  const existing = new Set(await withRetry(() => sink.list(), { ...opts.retry, signal }));
  if (existing.has(SUCCESS_NAME)) await sink.remove([SUCCESS_NAME]);
  const completed: string[] = [];
  const total = files.reduce((a, f) => a + f.bytes, 0);
  const progress = createProgress(opts.label, total);
  const onRetry = (what: string) => (message: string, delay: number, attempt: number) =>
    log.warn(`export ${opts.label}: ${what} failed (${message}); retry ${attempt} in ${delay} ms`);
  try {
    await pool(files, opts.concurrency ?? 3, async (f) => {
      let sent = 0;
      await withRetry(
        async () => {
          progress.add(-sent);
          sent = 0;
          try {
            await sink.putFile(f.path, f.absPath, f.bytes, (n) => {
              sent += n;
              progress.add(n);
            }, signal);
          } catch (e) {
            await sink.cleanupIncomplete?.(f.path).catch(() => undefined);
            throw e;
          }
        },
        { ...opts.retry, signal, onRetry: onRetry(`upload of ${f.path}`) },
      );
      completed.push(f.path);
    });
    const keep = new Set([...files.map((f) => f.path), MANIFEST_NAME, SUCCESS_NAME]);
    const stale = [...existing].filter((k) => !keep.has(k));
    if (stale.length) {
      log.info(`export ${opts.label}: removing ${stale.length} object(s) of an earlier export`);
      await sink.remove(stale);
    }
    await withRetry(() => sink.putBytes(MANIFEST_NAME, opts.manifest, signal), { ...opts.retry, signal, onRetry: onRetry('manifest') });
    completed.push(MANIFEST_NAME);
    await withRetry(() => sink.putBytes(SUCCESS_NAME, SUCCESS_BYTES, signal), { ...opts.retry, signal, onRetry: onRetry('_SUCCESS') });
  } catch (err) {
    const e = toExportError(err, `uploading to ${sink.display}`);
    if (completed.length) {
      await sink.remove(completed).catch((re: unknown) =>
        log.warn(`export ${opts.label}: could not remove ${completed.length} uploaded object(s) after the failure (${errorMessage(re)}); no _SUCCESS was written`),
      );
    }
    throw e;
  } finally {
    progress.done();
  }
}
