import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { hash } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { CompiledProject } from '../compile/compile-project.js';
import type { GraphNode } from '../compile/nodes.js';
import { packageRoot, txVersion } from '../load/package-root.js';
import { scrub } from '../log/scrub.js';
import { writeJsonEnabled } from './artifact-options.js';
import { artifactJson, jsonReplacer } from './artifact-json.js';
import { compiledRelPath, manifestStream } from './dbt-manifest.js';

export { artifactJson, jsonReplacer };

export { compiledRelPath };
import { artifactMetadata, invocationId } from './dbt-meta.js';

/** The hash of a compiled SQL file's content (`target/compiled/**.sql`, which ends with a newline). */
export const sqlFileHash = (sql: string): string => hash('sha1', `${sql}\n`, 'base64');

/** Write a file atomically (temp name, then rename), so a reader never sees half of it. */
export function writeFileAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, scrub(text)); // no secret reaches a file (compiler/log/scrub.ts)
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

export interface NodeResult {
  uniqueId: string;
  status: 'success' | 'error' | 'skipped' | 'pass' | 'fail' | 'warn' | 'cancelled';
  message: string;
  executionTime: number;
  startedAt?: string;
  completedAt?: string;
  rowsAffected?: number;
  failures?: number;
  /** Files written by exports, rejected rows, and the like (target/tx_run.json, not run_results.json). */
  details?: Record<string, unknown>;
  /** The scheduler's worker slot that ran it (`Thread-1 (worker)`, as dbt names them). */
  threadId?: string;
}

/**
 * target/manifest.json: dbt's manifest v12 (see dbt-manifest.ts), so tools that read dbt's
 * manifest read tx's.
 */
export function writeManifest(c: CompiledProject, targetDir: string): string {
  const path = join(targetDir, 'manifest.json');
  if (!writeJsonEnabled()) return path; // --no-write-json
  const tmp = `${path}.tmp-${process.pid}`;
  mkdirSync(targetDir, { recursive: true });
  try {
    writeManifestFile(tmp, c); // no secret reaches a file (compiler/log/scrub.ts)
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  return path;
}

/** manifest.json's bytes (scrubbed) into a new file, written as they are made (manifestStream). */
function writeManifestFile(path: string, c: CompiledProject): void {
  const fd = openSync(path, 'w');
  try {
    manifestStream(c, scrub, (bytes) => {
      // a short write (a full disk says ENOSPC on the next call): the rest, as many times as it takes
      for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done);
    });
  } finally {
    closeSync(fd);
  }
}

/** What a compile writes under target/compiled/: the files that changed (scrubbed) and the index beside them. */
interface CompiledSqlPlan {
  /** Path, text, path, text, ...: each file to write, in node order. */
  files: string[];
  indexPath: string;
  indexText: string;
}

function planCompiledSql(c: CompiledProject, targetDir: string): CompiledSqlPlan {
  const root = join(targetDir, 'compiled');
  const indexPath = join(root, '.index.json');
  let index: Record<string, string> = {};
  try {
    if (existsSync(indexPath)) index = JSON.parse(readFileSync(indexPath, 'utf8')) as Record<string, string>;
  } catch {
    index = {};
  }
  const next: Record<string, string> = {};
  const files: string[] = [];
  // The index lives inside the folder: if the folder is gone, so is the index.
  const haveRoot = existsSync(root);
  for (const n of [...c.nodes.values(), ...(c.analyses ?? [])]) {
    if (!n.compiledSql) continue;
    const rel = compiledRelPath(c.project.name, n, c.project.paths.snapshots ?? ['snapshots']);
    const sum = n.compiledSqlHash ?? sqlFileHash(n.compiledSql);
    next[rel] = sum;
    if (index[rel] === sum && haveRoot) continue;
    files.push(join(root, rel), scrub(`${n.compiledSql}\n`));
  }
  return { files, indexPath, indexText: scrub(JSON.stringify(next)) };
}

/** Write a file atomically whose text is already scrubbed. */
function writeScrubbedAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** Write what planCompiledSql planned, on this thread. */
function writePlan(plan: CompiledSqlPlan): void {
  const dirs = new Set<string>();
  for (let i = 0; i < plan.files.length; i += 2) {
    const abs = plan.files[i]!;
    const dir = dirname(abs);
    if (!dirs.has(dir)) {
      mkdirSync(dir, { recursive: true });
      dirs.add(dir);
    }
    writeFileSync(abs, plan.files[i + 1]!);
  }
  writeScrubbedAtomic(plan.indexPath, plan.indexText);
}

/**
 * target/compiled/<path>.sql for every node with SQL. A checksum index beside them means a
 * compile rewrites only what changed, which matters at 10,000 models.
 */
export function writeCompiledSql(c: CompiledProject, targetDir: string): void {
  writePlan(planCompiledSql(c, targetDir));
}

/** What every compile writes: the compiled SQL files, then target/manifest.json. */
export function writeCompileArtifacts(c: CompiledProject, targetDir: string): void {
  writeCompiledSql(c, targetDir);
  writeManifest(c, targetDir);
}

/**
 * From this many compiled files to write, writeCompileArtifactsAsync writes them on a worker
 * thread: below it, the worker's start-up (~30 ms of the other core, and the texts
 * copied to it) is not won back.
 */
export const WRITE_WORKER_MIN = 2000;

/** The write worker's file: beside this module when built; from the bundled bin or the TypeScript sources (vitest), the built one. */
function writeWorkerFile(): string {
  const here = fileURLToPath(new URL('./write-worker.js', import.meta.url));
  return existsSync(here) ? here : join(packageRoot(), 'dist', 'compiler', 'artifacts', 'write-worker.js');
}

/** A system error as the worker reported it (code, syscall and path kept, as writeFileSync throws it). */
function workerError(e: { message: string; stack?: string; code?: string; errno?: number; syscall?: string; path?: string }): Error {
  const err = new Error(e.message) as NodeJS.ErrnoException;
  for (const k of ['code', 'errno', 'syscall', 'path'] as const) if (e[k] !== undefined) Object.assign(err, { [k]: e[k] });
  if (e.stack) err.stack = e.stack;
  return err;
}

/**
 * writeCompileArtifacts with the same files, bytes and order of completion (the compiled files
 * and their index, then manifest.json), on a large project with a worker thread
 * (write-worker.ts) writing target/compiled/ while this thread builds, serializes and writes
 * manifest.json (to its temporary name, renamed once the worker is done). The files' text goes to
 * the worker as UTF-8 bytes in transferred buffers (nothing copied, no string built there). A
 * write error of the worker is thrown here, and manifest.json is then left as it was.
 */
export async function writeCompileArtifactsAsync(c: CompiledProject, targetDir: string, min = WRITE_WORKER_MIN): Promise<void> {
  const plan = planCompiledSql(c, targetDir);
  const n = plan.files.length / 2;
  let worker: Worker | undefined;
  if (n >= min) {
    try {
      worker = new Worker(writeWorkerFile());
    } catch {
      worker = undefined;
    }
  }
  if (!worker) {
    writePlan(plan);
    writeManifest(c, targetDir);
    return;
  }
  const w = worker;
  // a write error (thrown as it is), or the worker itself failed (its file missing, out of memory): written here then
  const done = new Promise<{ writeError?: Error; crashed?: true }>((resolve) => {
    w.once('message', (m: { ok?: true; error?: Parameters<typeof workerError>[0] }) => resolve(m.error ? { writeError: workerError(m.error) } : {}));
    w.once('error', () => resolve({ crashed: true }));
    w.once('exit', () => resolve({ crashed: true })); // a no-op after the message
  });
  // batches: the worker writes the first while later ones are encoded
  const BATCH = 1000;
  for (let i = 0; i < n; i += BATCH) {
    const end = Math.min(n, i + BATCH);
    let bytes = 0;
    for (let j = i; j < end; j++) bytes += Buffer.byteLength(plan.files[2 * j + 1]!);
    const buf = Buffer.allocUnsafeSlow(bytes);
    const paths: string[] = [];
    const ends = new Uint32Array(end - i);
    let at = 0;
    for (let j = i; j < end; j++) {
      paths.push(plan.files[2 * j]!);
      at += buf.write(plan.files[2 * j + 1]!, at);
      ends[j - i] = at;
    }
    w.postMessage({ paths, ends, bytes: buf.buffer }, [buf.buffer]);
  }
  w.postMessage({ atomic: [plan.indexPath, plan.indexText] });
  w.postMessage({ end: true });
  const manifestPath = join(targetDir, 'manifest.json');
  let tmp: string | undefined;
  try {
    if (writeJsonEnabled()) {
      mkdirSync(targetDir, { recursive: true });
      tmp = `${manifestPath}.tmp-${process.pid}`;
      writeManifestFile(tmp, c);
    }
    const r = await done;
    if (r.writeError) throw r.writeError;
    if (r.crashed) writePlan(plan);
  } catch (e) {
    await done;
    if (tmp) rmSync(tmp, { force: true });
    throw e;
  }
  if (!tmp) return;
  try {
    renameSync(tmp, manifestPath);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

export function compiledPathOf(c: CompiledProject, n: GraphNode, kind: 'compiled' | 'run'): string {
  const rel = compiledRelPath(c.project.name, n, c.project.paths.snapshots ?? ['snapshots']);
  return join(c.project.targetPath, kind, rel);
}

/** run_results.json statuses: dbt's enum has no `cancelled` (an interrupted node is an error there). */
function dbtStatus(s: NodeResult['status']): string {
  return s === 'cancelled' ? 'error' : s;
}

/**
 * target/run_results.json as dbt's run_results v6 (status, timing, thread, adapter response with
 * rows affected, compiled SQL per node), and target/tx_run.json with what only tx knows: each
 * result's details (rejected rows, validations, test samples, export files), the export steps
 * (`after:<node>`), tx's own statuses (`cancelled`) and the target (without secrets).
 */
export function writeRunResults(
  c: CompiledProject | null,
  targetDir: string,
  command: string,
  results: NodeResult[],
  elapsed: number,
  args: Record<string, unknown>,
): string {
  const now = new Date();
  if (!writeJsonEnabled()) return join(targetDir, 'run_results.json'); // --no-write-json
  const nodeResults = results.filter((r) => !r.uniqueId.startsWith('after:'));
  const body = {
    metadata: artifactMetadata('run_results', now),
    results: nodeResults.map((r) => {
      const n = c?.nodes.get(r.uniqueId);
      const rows = r.rowsAffected;
      return {
        status: dbtStatus(r.status),
        timing: r.startedAt ? [{ name: 'execute', started_at: r.startedAt, completed_at: r.completedAt ?? r.startedAt }] : [],
        thread_id: r.threadId ?? 'MainThread',
        execution_time: r.executionTime,
        adapter_response: { _message: r.message, ...(rows !== undefined ? { rows_affected: rows } : {}) },
        message: r.message,
        failures: r.failures ?? (r.status === 'pass' ? 0 : null),
        unique_id: r.uniqueId,
        compiled: n ? (n.compiledSql ? true : n.resourceType === 'seed' || n.resourceType === 'source' ? null : false) : null,
        compiled_code: n?.compiledSql ?? null,
        relation_name: n?.relationName ?? null,
        batch_results: null,
      };
    }),
    elapsed_time: elapsed,
    args: { which: command, invocation_command: `tx ${command}`, ...args },
  };
  const path = join(targetDir, 'run_results.json');
  writeFileAtomic(path, JSON.stringify(body, jsonReplacer, 1));
  const txRun = {
    metadata: {
      tx_version: txVersion(),
      invocation_id: invocationId(),
      generated_at: now.toISOString(),
      command,
      project_name: c?.project.name ?? null,
      target: c?.target.public ?? null,
    },
    elapsed_time: elapsed,
    results: results.map((r) => ({
      unique_id: r.uniqueId,
      status: r.status,
      message: r.message,
      execution_time: r.executionTime,
      thread_id: r.threadId ?? 'MainThread',
      timing: r.startedAt ? [{ name: 'execute', started_at: r.startedAt, completed_at: r.completedAt ?? r.startedAt }] : [],
      rows_affected: r.rowsAffected ?? null,
      failures: r.failures ?? null,
      ...(r.details ? { details: r.details } : {}),
    })),
  };
  writeFileAtomic(join(targetDir, 'tx_run.json'), JSON.stringify(txRun, jsonReplacer, 1));
  return path;
}
