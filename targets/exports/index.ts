/**
 * Exports: ship a built model to a local folder, S3, Azure Blob Storage or another target.
 *
 * The runner calls `runExport` once per entry of a model's `exports:` config, after the model
 * and its tests passed. Every destination is all or nothing (see local-destination.ts,
 * object-sink.ts, target-destination.ts), and every error is an `ExportError` with a code, a
 * hint and no secrets in it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Relation, TargetLog, TargetSession } from '../target.js';
import { createBlobServiceClient, AzureSink, DEFAULT_BLOCK_SIZE } from './azure-destination.js';
import { ExportError, errorMessage, toExportError } from './export-error.js';
import { parseExportSpec, type ExportSpec } from './export-spec.js';
import { produceFiles, type ProducedFiles } from './file-writer.js';
import { engineRefusal, localUrl, toLocalByEngine } from './engine-destination.js';
import { discardLocal, planLocal, publishLocal } from './local-destination.js';
import { buildManifest, manifestBytes } from './manifest.js';
import { publishToObjectStore, type ObjectSink } from './object-sink.js';
import { formatBytes } from './progress.js';
import { DEFAULT_RETRY, type RetryOptions } from './retry.js';
import { createS3Client, DEFAULT_PART_SIZE, S3Sink } from './s3-destination.js';
import { loadIntoTarget } from './target-destination.js';

export { ExportError, scrubSecrets, type ExportErrorCode } from './export-error.js';
export { parseExportSpec, type ExportSpec, type Destination } from './export-spec.js';
export { MANIFEST_NAME, SUCCESS_NAME, type Manifest } from './manifest.js';

export interface ExportRequest {
  /** One entry of the model's `exports:` config, as written. */
  spec: Record<string, unknown>;
  node: { name: string; uniqueId: string; relation: Relation; relationName: string };
  /** The session the model was built in. */
  session: TargetSession;
  projectDir: string;
  /** Absolute, resolved. */
  exportRoots: string[];
  /** Renders {{ this.name }}, {{ run_started_at.strftime(...) }}, vars. */
  renderTemplate(template: string): string;
  /** A session on another configured target, for `to: target:NAME`. The runner owns (and closes) it. */
  openTarget(name: string): Promise<TargetSession>;
  log: TargetLog;
  signal?: AbortSignal;
  /** Tuning, mostly for tests and benchmarks. */
  tuning?: {
    retry?: Partial<RetryOptions>;
    /** S3 part size / Azure block size (S3 needs ≥ 5 MiB). */
    partSizeBytes?: number;
    /** Files uploaded at once. */
    concurrency?: number;
  };
}

export interface ExportResult {
  /** Where the export went (no secrets): a folder, `s3://…`, `azure://…`, `target:NAME/schema.table`. */
  destination: string;
  files: { path: string; rows: number; bytes: number; sha256: string }[];
  rows: number;
  bytes: number;
  ms: number;
  /** True when the entry has `enabled: false`: nothing ran. */
  skipped?: boolean;
}

/** Parse an entry without running it (for `tx compile`/`tx debug` validation). */
export function validateExport(req: Pick<ExportRequest, 'spec' | 'node' | 'projectDir' | 'renderTemplate'>): ExportSpec {
  return parseExportSpec(req.spec, { projectDir: req.projectDir, nodeName: req.node.name, renderTemplate: req.renderTemplate });
}

function scratchRoot(): string {
  return process.env.TX_EXPORT_TMPDIR || os.tmpdir();
}

function result(destination: string, produced: ProducedFiles, t0: number): ExportResult {
  const files = produced.files.map(({ path: p, rows, bytes, sha256 }) => ({ path: p, rows, bytes, sha256 }));
  return { destination, files, rows: produced.rows, bytes: files.reduce((a, f) => a + f.bytes, 0), ms: Date.now() - t0 };
}

function manifestFor(req: ExportRequest, spec: ExportSpec, produced: ProducedFiles, destination: string): Buffer {
  return manifestBytes(
    buildManifest({
      model: req.node.uniqueId,
      relation: req.node.relationName,
      destination,
      format: spec.format,
      compression: spec.compression,
      partitionBy: spec.partitionBy,
      files: produced.files,
    }),
  );
}

async function toLocal(req: ExportRequest, spec: ExportSpec, dir: string, t0: number): Promise<ExportResult> {
  const plan = await planLocal(dir, req.exportRoots);
  try {
    const produced = await produceFiles({ ...fileArgs(req, spec), outDir: plan.stageDir, scratchDir: plan.scratchDir });
    await publishLocal(plan, manifestFor(req, spec, produced, plan.finalDir));
    // Paths in the result point at the published folder.
    for (const f of produced.files) f.absPath = path.join(plan.finalDir, f.path);
    return result(plan.finalDir, produced, t0);
  } finally {
    await discardLocal(plan);
  }
}

function fileArgs(req: ExportRequest, spec: ExportSpec) {
  return { session: req.session, relation: req.node.relation, relationName: req.node.relationName, spec, log: req.log, signal: req.signal };
}

async function withScratch<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await fs.promises.mkdtemp(path.join(scratchRoot(), 'tx-export-'));
  try {
    return await fn(dir);
  } finally {
    await fs.promises.rm(dir, { recursive: true, force: true });
  }
}

async function toObjectStore(req: ExportRequest, spec: ExportSpec, sink: ObjectSink, retry: RetryOptions, t0: number): Promise<ExportResult> {
  try {
    return await withScratch(async (dir) => {
      const outDir = path.join(dir, 'out');
      const work = path.join(dir, 'work');
      await fs.promises.mkdir(outDir);
      await fs.promises.mkdir(work);
      // Check access before spending time on the files.
      await sink.list();
      const produced = await produceFiles({ ...fileArgs(req, spec), outDir, scratchDir: work });
      await publishToObjectStore({
        sink,
        files: produced.files,
        manifest: manifestFor(req, spec, produced, sink.display),
        label: spec.label,
        log: req.log,
        retry,
        concurrency: req.tuning?.concurrency,
        signal: req.signal,
      });
      return result(sink.display, produced, t0);
    });
  } finally {
    sink.close();
  }
}

async function toTarget(req: ExportRequest, spec: ExportSpec, targetName: string, t0: number): Promise<ExportResult> {
  let other: TargetSession;
  try {
    other = await req.openTarget(targetName);
  } catch (e) {
    throw new ExportError('EXPORT_NOT_FOUND', `export to target \`${targetName}\`: ${errorMessage(e)}`, {
      hint: 'name a target configured in project.yml or your profile (`tx debug` lists them)',
    });
  }
  return withScratch(async (dir) => {
    const outDir = path.join(dir, 'out');
    const work = path.join(dir, 'work');
    await fs.promises.mkdir(outDir);
    await fs.promises.mkdir(work);
    // One Parquet file (no partitions: the target partitions its table itself).
    const fileSpec: ExportSpec = { ...spec, format: 'parquet', compression: 'snappy', partitionBy: [], fileSizeBytes: undefined };
    const produced = await produceFiles({ ...fileArgs(req, fileSpec), outDir, scratchDir: work });
    const loaded = await loadIntoTarget({
      spec,
      other,
      targetName,
      node: req.node,
      parquetFile: produced.files[0]!.absPath,
      log: req.log,
      signal: req.signal,
    });
    req.log.info(`export ${spec.label}: ${loaded.action} ${loaded.display}`);
    return { destination: loaded.display, files: [], rows: produced.rows, bytes: produced.files[0]!.bytes, ms: Date.now() - t0 };
  });
}

/** Run one export entry of a built model. Throws `ExportError`. */
export async function runExport(req: ExportRequest): Promise<ExportResult> {
  const t0 = Date.now();
  let label = `${req.node.name} export`;
  try {
    const spec = validateExport(req);
    label = spec.label;
    if (!spec.enabled) {
      req.log.info(`export ${label}: disabled, skipped`);
      return { destination: spec.display, files: [], rows: 0, bytes: 0, ms: 0, skipped: true };
    }
    if (req.signal?.aborted) throw new ExportError('EXPORT_CANCELLED', `export ${label}: cancelled before it started`);
    const retry: RetryOptions = { ...DEFAULT_RETRY, ...req.tuning?.retry };
    const part = req.tuning?.partSizeBytes;
    req.log.info(`export ${label}: start (${spec.format}${spec.compression !== 'none' ? `, ${spec.compression}` : ''})`);
    const dest = spec.destination;
    let res: ExportResult;
    switch (dest.kind) {
      case 'local': {
        // Written by the engine when it reaches the folder (Hive engine_paths), else streamed through tx.
        const refusal = req.session.engineReaches ? engineRefusal(req, spec, localUrl(dest.dir)) : 'n/a';
        if (req.session.engineReaches) req.log.info(`export ${label}: ${refusal ? `streamed through tx (${refusal})` : 'written by the engine (Spark), no rows through tx'}`);
        res = refusal ? await toLocal(req, spec, dest.dir, t0) : await toLocalByEngine(req, spec, dest.dir, t0);
        break;
      }
      case 's3':
        if (req.session.engineReaches) req.log.info(`export ${label}: streamed through tx (engine-side exports go to local folders only; tx uploads to object stores itself)`);
        res = await toObjectStore(req, spec, new S3Sink(createS3Client(), dest.bucket, dest.prefix, Math.max(part ?? DEFAULT_PART_SIZE, 5 * 1024 * 1024)), retry, t0);
        break;
      case 'azure':
        if (req.session.engineReaches) req.log.info(`export ${label}: streamed through tx (engine-side exports go to local folders only; tx uploads to object stores itself)`);
        res = await toObjectStore(req, spec, new AzureSink(createBlobServiceClient(dest), dest, retry, part ?? DEFAULT_BLOCK_SIZE), retry, t0);
        break;
      case 'target':
        res = await toTarget(req, spec, dest.target, t0);
        break;
    }
    const rate = res.ms > 0 ? `, ${formatBytes((res.bytes / res.ms) * 1000)}/s` : '';
    req.log.info(`export ${label}: ${res.rows} rows, ${res.files.length} file(s), ${formatBytes(res.bytes)} in ${res.ms} ms${rate}`);
    return res;
  } catch (err) {
    const e = toExportError(err, `export ${label}`);
    if (!e.message.startsWith(`export ${label}`)) {
      // Keep the label at the front so a user sees which export failed.
      const wrapped = new ExportError(e.code, `export ${label}: ${e.message}`, { hint: e.hint, transient: e.options.transient });
      req.log.warn(wrapped.message);
      throw wrapped;
    }
    req.log.warn(e.message);
    throw e;
  }
}
