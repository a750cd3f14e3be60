import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { hash } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { CompiledProject } from '../compile/compile-project.js';
import type { GraphNode } from '../compile/nodes.js';
import { txVersion } from '../load/package-root.js';

/** The hash of a compiled SQL file's content (`target/compiled/**.sql`, which ends with a newline). */
export const sqlFileHash = (sql: string): string => hash('sha1', `${sql}\n`, 'base64');

/** JSON.stringify replacer: bigints as numbers when exact, else strings. */
export function jsonReplacer(_k: string, v: unknown): unknown {
  if (typeof v === 'bigint') return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v.toString();
  return v;
}

/** Write a file atomically (temp name, then rename), so a reader never sees half of it. */
export function writeFileAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
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
  /** Files written by exports, rejected rows, and the like. */
  details?: Record<string, unknown>;
}

function nodeJson(n: GraphNode): Record<string, unknown> {
  return {
    unique_id: n.uniqueId,
    resource_type: n.resourceType,
    name: n.name,
    path: n.path,
    fqn: n.fqn,
    relation_name: n.relationName ?? null,
    database: n.relation?.database ?? null,
    schema: n.relation?.schema ?? null,
    alias: n.relation?.identifier ?? null,
    config: n.config,
    tags: n.tags,
    description: n.description,
    columns: Object.fromEntries(
      n.columns.map((c) => [c.name, { name: c.name, description: c.description, data_type: c.dataType ?? null, meta: c.meta, tests: c.tests.map((t) => t.name) }]),
    ),
    raw_code: n.rawSql ?? null,
    compiled_code: n.compiledSql ?? null,
    checksum: { name: 'sha256', checksum: n.checksum },
    depends_on: { nodes: n.dependsOn },
    refs: n.refs,
    sources: n.sources,
    ...(n.source
      ? {
          source_name: n.source.sourceName,
          source_description: n.source.sourceDescription,
          identifier: n.source.identifier,
          external: n.source.path ? { location: n.source.path, format: n.source.format } : null,
          loaded_at_field: n.source.loadedAtField ?? null,
          freshness: n.source.freshness ?? null,
        }
      : {}),
    ...(n.test
      ? {
          test_metadata: n.test.kind === 'generic' ? { name: n.test.testName, kwargs: n.test.args ?? {}, column_name: n.test.column ?? null } : null,
          attached_node: n.test.attachedTo ?? null,
          severity: n.test.severity,
        }
      : {}),
    original_file_path: n.path,
  };
}

/** target/manifest.json: every node with type, config, depends_on, raw and compiled SQL, checksum. */
export function writeManifest(c: CompiledProject, targetDir: string): string {
  const nodes: Record<string, unknown> = {};
  const sources: Record<string, unknown> = {};
  for (const n of c.nodes.values()) (n.resourceType === 'source' ? sources : nodes)[n.uniqueId] = nodeJson(n);
  const parents: Record<string, string[]> = {};
  const children: Record<string, string[]> = {};
  for (const n of c.nodes.values()) {
    parents[n.uniqueId] = n.dependsOn;
    children[n.uniqueId] = c.dag.children(n.uniqueId);
  }
  const manifest = {
    metadata: {
      tx_schema_version: 'https://tx.dev/schemas/manifest/v1.json',
      tx_version: txVersion(),
      generated_at: new Date().toISOString(),
      project_name: c.project.name,
      target: c.target.public,
    },
    nodes,
    sources,
    docs: Object.fromEntries([...c.project.docs].map(([k, v]) => [k, { name: k, block_contents: v.text, path: v.file }])),
    macros: {},
    parent_map: parents,
    child_map: children,
  };
  const path = join(targetDir, 'manifest.json');
  writeFileAtomic(path, JSON.stringify(manifest));
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
  for (const n of c.nodes.values()) {
    if (!n.compiledSql) continue;
    const rel = n.resourceType === 'test' && n.test?.kind === 'generic' ? `${c.project.name}/tests/generic/${n.name}.sql` : `${c.project.name}/${n.path}`;
    const sum = n.compiledSqlHash ?? sqlFileHash(n.compiledSql);
    next[rel] = sum;
    const abs = join(root, rel);
    if (index[rel] === sum && haveRoot) continue;
    const dir = dirname(abs);
    if (!dirs.has(dir)) {
      mkdirSync(dir, { recursive: true });
      dirs.add(dir);
    }
    writeFileSync(abs, `${n.compiledSql}\n`);
  }
  writeFileAtomic(indexPath, JSON.stringify(next));
}

export function compiledPathOf(c: CompiledProject, n: GraphNode, kind: 'compiled' | 'run'): string {
  const rel = n.resourceType === 'test' && n.test?.kind === 'generic' ? `${c.project.name}/tests/generic/${n.name}.sql` : `${c.project.name}/${n.path}`;
  return join(c.project.targetPath, kind, rel);
}

/** target/run_results.json: status, timing, rows affected and message per node. */
export function writeRunResults(targetDir: string, command: string, results: NodeResult[], elapsed: number, args: Record<string, unknown>): string {
  const body = {
    metadata: { tx_version: txVersion(), generated_at: new Date().toISOString(), command },
    elapsed_time: elapsed,
    args,
    results: results.map((r) => ({
      unique_id: r.uniqueId,
      status: r.status,
      message: r.message,
      execution_time: r.executionTime,
      timing: r.startedAt ? [{ name: 'execute', started_at: r.startedAt, completed_at: r.completedAt }] : [],
      adapter_response: { rows_affected: r.rowsAffected ?? null },
      failures: r.failures ?? null,
      ...(r.details ? { details: r.details } : {}),
    })),
  };
  const path = join(targetDir, 'run_results.json');
  writeFileAtomic(path, JSON.stringify(body, jsonReplacer, 1));
  return path;
}
