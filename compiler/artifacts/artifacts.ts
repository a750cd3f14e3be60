import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { hash } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { CompiledProject } from '../compile/compile-project.js';
import type { GraphNode } from '../compile/nodes.js';
import { txVersion } from '../load/package-root.js';
import { scrub } from '../log/scrub.js';
import { writeJsonEnabled } from './artifact-options.js';
import { compiledRelPath, manifestOf } from './dbt-manifest.js';

export { compiledRelPath };
import { artifactMetadata, invocationId } from './dbt-meta.js';

/** The hash of a compiled SQL file's content (`target/compiled/**.sql`, which ends with a newline). */
export const sqlFileHash = (sql: string): string => hash('sha1', `${sql}\n`, 'base64');

/** JSON.stringify replacer: bigints as numbers when exact, else strings. */
export function jsonReplacer(_k: string, v: unknown): unknown {
  if (typeof v === 'bigint') return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v.toString();
  return v;
}

/**
 * JSON text of an artifact: V8's plain stringify (several times faster than one with a replacer
 * over a 30 MB manifest), and the bigint-aware replacer only when a bigint is in there.
 */
export function artifactJson(v: unknown): string {
  try {
    return JSON.stringify(v);
  } catch (e) {
    if (e instanceof TypeError && /BigInt/i.test(e.message)) return JSON.stringify(v, jsonReplacer);
    throw e;
  }
}

/** Write a file atomically (temp name, then rename), so a reader never sees half of it. */
export function writeFileAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, scrub(text)); // no secret reaches a file (compiler/log/scrub.ts)
  renameSync(tmp, path);
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
  writeFileAtomic(path, artifactJson(manifestOf(c)));
  return path;
}
/**
 * target/compiled/<path>.sql for every node with SQL. A checksum index beside them means a
 * compile rewrites only what changed, which matters at 10,000 models.
 */
export function writeCompiledSql(c: CompiledProject, targetDir: string): void {
  const root = join(targetDir, 'compiled');
  const indexPath = join(root, '.index.json');
  let index: Record<string, string> = {};
  try {
    if (existsSync(indexPath)) index = JSON.parse(readFileSync(indexPath, 'utf8')) as Record<string, string>;
  } catch {
    index = {};
  }
  const next: Record<string, string> = {};
  const dirs = new Set<string>();
  // The index lives inside the folder: if the folder is gone, so is the index.
  const haveRoot = existsSync(root);
  for (const n of [...c.nodes.values(), ...(c.analyses ?? [])]) {
    if (!n.compiledSql) continue;
    const rel = compiledRelPath(c.project.name, n, c.project.paths.snapshots ?? ['snapshots']);
    const sum = n.compiledSqlHash ?? sqlFileHash(n.compiledSql);
    next[rel] = sum;
    const abs = join(root, rel);
    if (index[rel] === sum && haveRoot) continue;
    const dir = dirname(abs);
    if (!dirs.has(dir)) {
      mkdirSync(dir, { recursive: true });
      dirs.add(dir);
    }
    writeFileSync(abs, scrub(`${n.compiledSql}\n`));
  }
  writeFileAtomic(indexPath, JSON.stringify(next));
}

/** What every compile writes: the compiled SQL files, then target/manifest.json. */
export function writeCompileArtifacts(c: CompiledProject, targetDir: string): void {
  writeCompiledSql(c, targetDir);
  writeManifest(c, targetDir);
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
