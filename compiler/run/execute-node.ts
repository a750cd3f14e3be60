import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NodeResult } from '../artifacts/artifacts.js';
import { compiledPathOf, writeFileAtomic } from '../artifacts/artifacts.js';
import type { CompiledProject } from '../compile/compile-project.js';
import type { GraphNode } from '../compile/nodes.js';
import { inferDbtSeedTypes } from '../load/dbt-seed-types.js';
import type { Logger } from '../log/logger.js';
import { allowSecretEnvVars } from '../log/scrub.js';
import type { Audit, ModelBuild, Relation, TargetSession } from '../../targets/target.js';
import { firstRows, runTest } from './execute-test.js';
import { renderWithWarehouse } from './sync-warehouse.js';
import { TxError } from '../errors.js';
import { takeSnapshot } from './execute-snapshot.js';
import { valueText } from '../../targets/values/value-format.js';

export interface ExecContext {
  compiled: CompiledProject;
  session: TargetSession;
  logger: Logger;
  fullRefresh: boolean;
  signal: AbortSignal;
  /** Files of each selected file source, expanded before anything ran. */
  sourceFiles: Map<string, string[]>;
}

const list = (v: unknown): string[] => (v == null ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);
const now = () => new Date().toISOString();

function quoteRel(ctx: ExecContext, r: Relation): string {
  return ctx.session.dialect.relationName(r);
}

async function runHooks(ctx: ExecContext, n: GraphNode, key: 'pre_hook' | 'post_hook'): Promise<void> {
  for (const h of list(n.config[key])) {
    // hooks render when they run: execute is true and the warehouse reachable
    const sql = (
      await renderWithWarehouse(ctx, (b) => {
        ctx.compiled.useWarehouse(() => b);
        try {
          return allowSecretEnvVars(() => ctx.compiled.renderString(h, `${n.path} (${key})`, n));
        } finally {
          ctx.compiled.useWarehouse(undefined);
        }
      })
    ).trim();
    if (sql) await ctx.session.connection.execute(sql, { signal: ctx.signal, node: n.uniqueId });
  }
}

/** After a model builds: log its row count, schema and first rows when `validate:` asks for it. */
async function validateOutput(ctx: ExecContext, n: GraphNode): Promise<Record<string, unknown> | undefined> {
  const v = n.config.validate;
  if (!v || !n.relation) return undefined;
  const o = v === true ? { row_count: true, schema: true, head: 10 } : (v as { row_count?: boolean; schema?: boolean; head?: number });
  const rel = quoteRel(ctx, n.relation);
  const out: Record<string, unknown> = {};
  // Lines are printed with the node's result line, so parallel nodes do not interleave.
  const lines: string[] = [];
  if (o.row_count) {
    const rows = await ctx.session.connection.query(`select count(*) as n from ${rel}`, { node: n.uniqueId });
    out.row_count = Number(rows[0]?.n ?? 0);
    lines.push(`validate ${n.name}: ${String(out.row_count)} rows`);
  }
  if (o.schema) {
    const cols = await ctx.session.columns(n.relation);
    out.schema = cols;
    lines.push(`validate ${n.name}: schema ${cols.map((c) => `${c.name} ${c.type}`).join(', ')}`);
  }
  if (o.head) {
    const limit = Math.max(0, Math.floor(o.head));
    const rows = await firstRows(ctx.session, `select * from ${rel} limit ${limit}`, limit, ctx.signal);
    out.head = rows;
    const cols = rows.length ? Object.keys(rows[0]!) : [];
    lines.push(`validate ${n.name}: first ${rows.length} rows`);
    if (cols.length) lines.push(`  ${cols.join(' | ')}`);
    for (const r of rows) lines.push(`  ${Object.values(r).map((x) => valueText(x)).join(' | ')}`);
  }
  out.lines = lines;
  return out;
}

async function buildModel(ctx: ExecContext, n: GraphNode, audit?: Audit): Promise<NodeResult> {
  const t0 = performance.now();
  const startedAt = now();
  const mat = String(n.config.materialized ?? 'view');
  if (mat === 'ephemeral') {
    return { uniqueId: n.uniqueId, status: 'success', message: `ephemeral model ${n.name} (inlined where used)`, executionTime: 0, startedAt, completedAt: now() };
  }
  const relation = n.relation!;
  await ctx.session.ensureSchema(relation.schema, relation.database);
  let sql = n.compiledSql!;
  const fullRefresh = n.config.full_refresh === false ? false : ctx.fullRefresh || n.config.full_refresh === true;
  const incrementalNow = !!(mat === 'incremental' && n.usesIsIncremental && !fullRefresh && (await ctx.session.relationExists(relation)));
  // a dbt model that asks the warehouse while rendering renders now, in DAG order, with execute true
  if (n.renderAtRun) {
    sql = await renderWithWarehouse(ctx, (b) => ctx.compiled.renderAtRun(n.uniqueId, b, { isIncremental: incrementalNow })).catch((e: unknown) => {
      // the node's result names where its template failed (file:line), the run_query's own message after it
      if (!(e instanceof TxError)) throw e;
      const loc = e.location;
      if (loc.file && !e.message.startsWith(loc.file)) throw new TxError(e.code, `${loc.file}${loc.line ? `:${loc.line}` : ''}: ${e.message}`, { hint: e.hint, cause: e });
      throw e;
    });
    await ctx.compiled.oneStatement(n.uniqueId, sql);
  } else if (incrementalNow) sql = await ctx.compiled.renderModel(n.uniqueId, { isIncremental: true });
  writeFileAtomic(join(ctx.compiled.project.dir, compiledPathOf(ctx.compiled, n, 'run')), `${sql}\n`);
  const contractCfg = n.config.contract as { enforced?: boolean } | undefined;
  const build: ModelBuild = {
    uniqueId: n.uniqueId,
    relation,
    sql,
    materialized: mat as ModelBuild['materialized'],
    fullRefresh,
    external: n.external,
    incremental:
      mat === 'incremental'
        ? {
            strategy: (n.config.incremental_strategy as NonNullable<ModelBuild['incremental']>['strategy']) ?? (n.config.unique_key ? 'merge' : 'append'),
            uniqueKey: list(n.config.unique_key),
            onSchemaChange: (n.config.on_schema_change as NonNullable<ModelBuild['incremental']>['onSchemaChange']) ?? 'ignore',
          }
        : undefined,
    contract: contractCfg?.enforced ? { columns: n.columns.map((c) => ({ name: c.name, dataType: c.dataType ?? '' })) } : undefined,
    options: n.config,
    signal: ctx.signal,
    audit,
  };
  await runHooks(ctx, n, 'pre_hook');
  const r = await ctx.session.materialize(build);
  await runHooks(ctx, n, 'post_hook');
  const validation = await validateOutput(ctx, n);
  return {
    uniqueId: n.uniqueId,
    status: 'success',
    message: `${r.action} ${quoteRel(ctx, relation).replace(/"/g, '')}`,
    executionTime: (performance.now() - t0) / 1000,
    startedAt,
    completedAt: now(),
    rowsAffected: r.rowsAffected,
    details: validation ? { validation } : undefined,
  };
}

async function loadSeed(ctx: ExecContext, n: GraphNode, audit?: Audit): Promise<NodeResult> {
  const t0 = performance.now();
  const startedAt = now();
  await ctx.session.ensureSchema(n.relation!.schema, n.relation!.database);
  const c = n.config;
  const delimiter = String(c.delimiter ?? (n.seedPath!.endsWith('.tsv') ? '\t' : ','));
  const quote = String(c.quote ?? '"');
  // a dbt project's seeds get the column types dbt infers (integer, double, date, ...); column_types win
  const dbt = ctx.compiled.project.projectFile === 'dbt_project.yml';
  const inferred = dbt && c.header !== false ? inferDbtSeedTypes(readFileSync(n.seedPath!, 'utf8'), delimiter, quote) : {};
  const r = await ctx.session.loadSeed({
    uniqueId: n.uniqueId,
    relation: n.relation!,
    path: n.seedPath!,
    delimiter,
    quote,
    header: c.header !== false,
    columnTypes: { ...inferred, ...((c.column_types as Record<string, string>) ?? {}) },
    // dbt reads `null` (any case) as null in every column
    nullStrings: dbt ? ['null', 'NULL', 'Null'] : undefined,
    signal: ctx.signal,
    audit,
  });
  await runHooks(ctx, n, 'post_hook');
  return {
    uniqueId: n.uniqueId,
    status: 'success',
    message: `loaded seed ${quoteRel(ctx, n.relation!).replace(/"/g, '')}`,
    executionTime: (performance.now() - t0) / 1000,
    startedAt,
    completedAt: now(),
    rowsAffected: r.rowsLoaded,
  };
}

async function loadFileSource(ctx: ExecContext, n: GraphNode, audit?: Audit): Promise<NodeResult> {
  const t0 = performance.now();
  const startedAt = now();
  const s = n.source!;
  await ctx.session.ensureSchema(n.relation!.schema, n.relation!.database);
  const r = await ctx.session.loadFileSource({
    uniqueId: n.uniqueId,
    relation: n.relation!,
    files: ctx.sourceFiles.get(n.uniqueId)!,
    location: s.path,
    format: s.format!,
    columns: s.columns.some((c) => c.dataType) ? s.columns.map((c) => ({ name: c.name, type: c.dataType ?? 'string' })) : undefined,
    options: s.options as { delimiter?: string; quote?: string; header?: boolean; compression?: string },
    rejectsRelation: { ...n.relation!, identifier: `${n.relation!.identifier}__rejects` },
    maxRejectedRows: s.maxRejectedRows,
    signal: ctx.signal,
    audit,
  });
  const rej = r.rowsRejected ? `, ${r.rowsRejected} rejected` : '';
  if (r.rowsRejected) {
    ctx.logger.warn(`    ${r.rowsRejected} rows of ${s.sourceName}.${s.name} rejected (kept in ${quoteRel(ctx, { ...n.relation!, identifier: `${n.relation!.identifier}__rejects` }).replace(/"/g, '')})`);
    for (const x of r.sampleRejects ?? []) ctx.logger.warn(`      ${x.file}${x.line ? `:${x.line}` : ''}: ${x.reason}`);
  }
  return {
    uniqueId: n.uniqueId,
    status: 'success',
    message: `loaded source ${quoteRel(ctx, n.relation!).replace(/"/g, '')}${rej}`,
    executionTime: (performance.now() - t0) / 1000,
    startedAt,
    completedAt: now(),
    rowsAffected: r.rowsLoaded,
    details: { rows_rejected: r.rowsRejected, sample_rejects: r.sampleRejects ?? [] },
  };
}

/**
 * Execute one node against the session. Throws on failure; the scheduler records it. With `audit`
 * (models, seeds, file sources, snapshots) the new version is published only when the audit passes.
 */
export async function executeNode(ctx: ExecContext, n: GraphNode, audit?: Audit): Promise<NodeResult> {
  switch (n.resourceType) {
    case 'model':
      return buildModel(ctx, n, audit);
    case 'seed':
      return loadSeed(ctx, n, audit);
    case 'source':
      if (n.source?.path) return loadFileSource(ctx, n, audit);
      return { uniqueId: n.uniqueId, status: 'success', message: 'database source', executionTime: 0 };
    case 'test':
      return runTest(ctx, n);
    case 'snapshot':
      return takeSnapshot(ctx, n, audit);
    case 'analysis':
      throw new Error(`analysis \`${n.name}\` is compiled, never run`);
  }
}
