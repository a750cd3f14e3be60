import { join } from 'node:path';
import { writeCompileArtifacts, writeRunResults, compiledPathOf, type NodeResult } from '../artifacts/artifacts.js';
import type { CompiledProject } from '../compile/compile-project.js';
import type { GraphNode } from '../compile/nodes.js';
import { TxError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { allowSecretEnvVars } from '../log/scrub.js';
import { selectFor } from '../select/selection.js';
import type { TargetSession } from '../../targets/target.js';
import { createTarget } from '../../targets/registry.js';
import { manifestOf } from '../artifacts/dbt-manifest.js';
import { openLineageFor, type LineageColumns } from '../artifacts/openlineage.js';
import type { Manifest } from '../docs/manifest-types.js';
import { executeNode, type ExecContext } from './execute-node.js';
import { renderWithWarehouse } from './sync-warehouse.js';
import { auditPlan, executeAudited } from './audit.js';
import { expandSourceFiles } from './file-source-files.js';
import { schedule } from './scheduler.js';
import { valueText } from '../../targets/values/value-format.js';

export type RunCommand = 'run' | 'seed' | 'test' | 'build' | 'export' | 'snapshot';

export interface RunOptions {
  command: RunCommand;
  select?: string[];
  exclude?: string[];
  threads: number;
  failFast: boolean;
  fullRefresh: boolean;
  logger: Logger;
  signal: AbortSignal;
  /** Extra steps after a node succeeded (exports): ids `after:<node>` scheduled like nodes. */
  afterNode?: AfterNodeHooks;
  /** build: test each node's new version before publishing it (default true; --no-audit: false). */
  audit?: boolean;
  /** The nodes to run, in DAG order, when the caller selected them (the CLI's one selection); else --select/--exclude. */
  plan?: string[];
  /** --warn-error: tests that warn fail instead. */
  warnAsError?: boolean;
  /** More invocation flags for run_results.json `args` (what `tx retry` replays). */
  args?: Record<string, unknown>;
}

export interface AfterNodeHooks {
  /** Whether node `n` has after-steps (e.g. exports) in this command. */
  has(n: GraphNode): boolean;
  run(n: GraphNode, session: TargetSession): Promise<NodeResult>;
  /** Release what the steps opened (sessions on other targets). */
  close?(): Promise<void>;
}

export interface RunOutcome {
  results: NodeResult[];
  exitCode: number;
}

/** Which nodes a command runs, from --select/--exclude. */
export function planNodes(c: CompiledProject, command: RunCommand, select?: string[], exclude?: string[]): string[] {
  return selectFor(c, command, { select, exclude }).ids;
}

function statusWord(r: NodeResult, logger: Logger): string {
  switch (r.status) {
    case 'success':
      return logger.paint('OK', 'green');
    case 'pass':
      return logger.paint('PASS', 'green');
    case 'warn':
      return logger.paint('WARN', 'yellow');
    case 'skipped':
      return logger.paint(r.message === 'skipped: cancelled' ? 'CANCELLED' : 'SKIP', 'yellow');
    case 'fail':
      return logger.paint('FAIL', 'red');
    case 'cancelled':
      return logger.paint('CANCELLED', 'yellow');
    default:
      return logger.paint('ERROR', 'red');
  }
}

/** Plan → execute(Target) → results and artifacts. */
export async function runProject(c: CompiledProject, o: RunOptions): Promise<RunOutcome> {
  const t0 = performance.now();
  const { logger } = o;
  const order = o.plan ?? planNodes(c, o.command, o.select, o.exclude);
  const targetDir = join(c.project.dir, c.project.targetPath);
  writeCompileArtifacts(c, targetDir);

  // Everything that can be checked without the warehouse is checked before it is touched.
  const sourceFiles = new Map<string, string[]>();
  for (const id of order) {
    const n = c.nodes.get(id)!;
    if (n.resourceType === 'source' && n.source?.path) {
      sourceFiles.set(id, expandSourceFiles(n.source.path, c.project.dir, { file: n.source.file, line: n.source.line, source: `${n.source.sourceName}.${n.name}` }));
    }
  }

  // after-steps (exports) run once a node and its tests have passed
  // `tx export` runs the after-steps alone, on relations built earlier.
  const steps = o.command === 'export' ? [] : [...order];
  const afterOf = new Map<string, string>();
  if (o.afterNode) {
    for (const id of order) {
      const n = c.nodes.get(id)!;
      if (n.resourceType !== 'test' && o.afterNode.has(n)) {
        const aid = `after:${id}`;
        afterOf.set(aid, id);
        steps.push(aid);
      }
    }
  }
  const inPlan = new Set(steps);
  const testsOf = new Map<string, string[]>();
  // In build, unit tests run before their model (they read fixtures, never the warehouse):
  // a failing unit test keeps the model's previous table and skips everything downstream.
  const unitTestsOf = new Map<string, string[]>();
  const unitFirst = o.command === 'build';
  for (const id of order) {
    const n = c.nodes.get(id)!;
    if (n.resourceType !== 'test') continue;
    if (unitFirst && n.test?.kind === 'unit' && n.test.attachedTo) unitTestsOf.set(n.test.attachedTo, [...(unitTestsOf.get(n.test.attachedTo) ?? []), id]);
    else for (const d of n.dependsOn) testsOf.set(d, [...(testsOf.get(d) ?? []), id]);
  }

  // Audit before publish (build): a node and the error tests on it alone run as one step, the tests
  // on the new version before it is swapped in; each test keeps its own result.
  const audited = o.command === 'build' && o.audit !== false ? auditPlan(c, order) : new Map<string, string[]>();

  const ancestors = new Map<string, Set<string>>();
  const allUpstream = (test: string, node: string): boolean => {
    let a = ancestors.get(node);
    if (!a) ancestors.set(node, (a = c.dag.upstream(node)));
    return c.nodes.get(test)!.dependsOn.every((x) => a.has(x));
  };

  const targetCfg = c.target.config;
  logger.addSecret(targetCfg.password as string | undefined);
  const total = steps.length;
  if (!total) {
    logger.warn(`Nothing to ${o.command}: the selection matched no nodes.`);
    writeRunResults(c, targetDir, o.command, [], 0, { select: o.select ?? [], exclude: o.exclude ?? [], target: c.target.name, threads: o.threads, full_refresh: o.fullRefresh, ...o.args });
    return { results: [], exitCode: 0 };
  }
  logger.info(`Running ${o.command} on target ${c.target.name} (${targetCfg.type}) with ${o.threads} thread${o.threads === 1 ? '' : 's'}: ${total} node${total === 1 ? '' : 's'}`);

  const target = await createTarget(c.target.name, targetCfg, c.project.dir);
  let session: TargetSession;
  try {
    session = await target.open({ log: logger, threads: o.threads });
  } catch (e) {
    throw new TxError('TARGET', logger.mask(`cannot open target ${c.target.name}: ${(e as Error).message}`), { cause: e });
  }
  const ctx: ExecContext = { compiled: c, session, logger, fullRefresh: o.fullRefresh, signal: o.signal, sourceFiles };
  // OpenLineage events (target/openlineage.jsonl, and a receiver when configured); column lineage
  // of the models is computed beside the build and awaited only by their COMPLETE events
  const lineage = openLineageFor({
    compiled: c,
    command: o.command,
    targetDir,
    log: logger,
    lineage: order.some((id) => c.nodes.get(id)!.resourceType === 'model')
      ? import('../docs/column-lineage.js').then(({ computeColumnLineage }) => computeColumnLineage({ manifest: manifestOf(c) as unknown as Manifest }) as Promise<Map<string, LineageColumns>>)
      : undefined,
  });
  lineage?.runStarted();
  const lineageStarted = new Set<string>();
  let done = 0;
  let results: NodeResult[] = [];
  try {
    // before any node: a hook that fails (its run_query included) stops the run with exit 2, nothing built
    for (const [i, h] of c.project.onRunStart.entries()) await runProjectHook(ctx, 'on-run-start', i, h);
    // A unit test whose inputs all declare their columns reads nothing of the warehouse (its fixtures
    // are in a private database): it is worked out ahead, one at a time, while the inputs build, and
    // its step, still after the inputs as in dbt (skipped when one fails), only takes the result.
    const ahead = new Map<string, Promise<NodeResult>>();
    if (unitFirst) {
      let chain: Promise<unknown> = Promise.resolve();
      for (const id of steps) {
        const n = c.nodes.get(id);
        if (n?.test?.kind !== 'unit' || !n.test.unit || n.test.unit.given.some((f) => f.columnsFrom)) continue;
        const p = chain.then(() => (o.signal.aborted ? Promise.reject(new Error('cancelled')) : executeNode(ctx, n)));
        p.catch(() => undefined); // awaited (and reported) by its step, or never when it is skipped
        chain = p.catch(() => undefined);
        ahead.set(id, p);
      }
    }
    results = await schedule({
      order: steps,
      threads: o.threads,
      failFast: o.failFast,
      signal: o.signal,
      waitsFor: (id) => {
        if (afterOf.has(id)) {
          const base = afterOf.get(id)!;
          return [base, ...(testsOf.get(base) ?? [])];
        }
        const n = c.nodes.get(id)!;
        // a unit test waits for its model's inputs (their columns come from the warehouse when undeclared), as in dbt
        if (unitFirst && n.test?.kind === 'unit') return (c.nodes.get(n.test.attachedTo ?? '')?.dependsOn ?? []).filter((d) => inPlan.has(d));
        const deps = [...n.dependsOn, ...(unitTestsOf.get(id) ?? [])];
        // In build, a node waits for its parents' tests: bad data never flows on.
        // A test on several nodes (relationships, singular) counts only when all of them are upstream of this node (as in dbt).
        if (o.command === 'build' && n.resourceType !== 'test') {
          for (const d of n.dependsOn) deps.push(...(testsOf.get(d) ?? []).filter((t) => c.nodes.get(t)!.dependsOn.length < 2 || allUpstream(t, id)));
        }
        return deps.filter((d) => inPlan.has(d));
      },
      members: (id) => audited.get(id) ?? [],
      run: async (id) => {
        lineageStarted.add(id);
        lineage?.nodeStarted(id);
        if (afterOf.has(id)) return o.afterNode!.run(c.nodes.get(afterOf.get(id)!)!, session);
        const tests = audited.get(id);
        if (tests) return executeAudited(ctx, c.nodes.get(id)!, tests.map((t) => c.nodes.get(t)!));
        const r = await (ahead.get(id) ?? executeNode(ctx, c.nodes.get(id)!));
        // --warn-error (or LogTestResult in --warn-error-options): a test that would warn fails, as in dbt
        return r.status === 'warn' && o.warnAsError ? { ...r, status: 'fail' as const, message: r.message.replace(/^WARN\b/, 'FAIL') } : r;
      },
      skipped: (id, cause) => ({
        uniqueId: id,
        status: 'skipped',
        message: cause ? `skipped because ${c.nodes.get(cause)?.name ?? cause} ${c.nodes.get(cause)?.resourceType === 'test' ? 'failed' : 'did not succeed'}` : o.signal.aborted ? 'skipped: cancelled' : 'skipped after an earlier failure (--fail-fast)',
        executionTime: 0,
      }),
      onResult: (r) => {
        done++;
        // a test run inside its node's audit step gets its own START (and COMPLETE/FAIL) too
        if (!lineageStarted.has(r.uniqueId) && r.status !== 'skipped' && c.nodes.has(r.uniqueId)) {
          lineageStarted.add(r.uniqueId);
          lineage?.nodeStarted(r.uniqueId);
        }
        lineage?.nodeFinished(r);
        const n = c.nodes.get(r.uniqueId) ?? c.nodes.get(afterOf.get(r.uniqueId) ?? '');
        const rows = r.rowsAffected !== undefined ? `${r.rowsAffected} rows in ` : '';
        const msg = r.status === 'error' && n?.compiledSql ? `${r.message}\n      compiled SQL: ${compiledPathOf(c, n, 'run')}` : r.message;
        const label = r.status === 'error' || r.status === 'skipped' || r.status === 'cancelled' ? `${n?.resourceType ?? 'step'} ${n?.name ?? r.uniqueId}: ` : '';
        // a node that did not run (skipped, cancelled before it started, ephemeral) has no timing to show
        const cancelled = r.status === 'cancelled' || (r.status === 'skipped' && r.message === 'skipped: cancelled');
        const timing = cancelled
          ? r.executionTime > 0 ? ` ... [cancelled after ${r.executionTime.toFixed(2)}s]` : ''
          : r.status === 'skipped' || (r.status === 'success' && r.message.startsWith('ephemeral')) ? '' : ` ... [${rows}${r.executionTime.toFixed(2)}s]`;
        logger.line(r.status === 'error' || r.status === 'fail' ? 'error' : 'info', `${done} of ${total} ${statusWord(r, logger)} ${label}${logger.mask(msg)}${timing}`, {
          node: r.uniqueId,
          status: r.status,
          rows: r.rowsAffected,
          seconds: r.executionTime,
        });
        const validation = r.details?.validation as { lines?: string[] } | undefined;
        for (const l of validation?.lines ?? []) logger.info(`    ${l}`);
        if ((r.status === 'fail' || r.status === 'warn') && Array.isArray(r.details?.sample)) {
          for (const row of (r.details.sample as Record<string, unknown>[]).slice(0, 5)) {
            logger.info(`      ${Object.entries(row).map(([k, v]) => `${k}=${valueText(v)}`).join(', ')}`);
          }
        }
      },
    });
    if (!o.signal.aborted) {
      for (const [i, h] of c.project.onRunEnd.entries()) await runProjectHook(ctx, 'on-run-end', i, h);
    }
  } finally {
    await o.afterNode?.close?.().catch(() => undefined);
    await session.close().catch(() => undefined);
    if (lineage) {
      const failed = results.filter((r) => ['error', 'fail', 'cancelled'].includes(r.status)).length;
      lineage.runEnded(!failed && !o.signal.aborted && results.length > 0, o.signal.aborted ? 'cancelled' : `${failed} node(s) failed`);
      await lineage.close().catch(() => undefined);
    }
  }
  const elapsed = (performance.now() - t0) / 1000;
  writeRunResults(c, targetDir, o.command, results, elapsed, { select: o.select ?? [], exclude: o.exclude ?? [], target: c.target.name, threads: o.threads, full_refresh: o.fullRefresh, ...o.args });
  const count = (s: string) => results.filter((r) => r.status === s).length;
  const ok = count('success') + count('pass');
  const errors = count('error') + count('fail') + count('cancelled');
  logger.info(
    `Finished ${o.command} of ${total} node${total === 1 ? '' : 's'} in ${elapsed.toFixed(2)}s. OK=${ok} WARN=${count('warn')} ERROR=${errors} SKIP=${count('skipped')}`,
    { summary: { ok, warn: count('warn'), error: errors, skipped: count('skipped'), elapsed } },
  );
  if (o.signal.aborted) logger.error('Cancelled: running statements were interrupted; tables being replaced keep their previous version.');
  return { results, exitCode: errors || o.signal.aborted ? 1 : 0 };
}

/**
 * One on-run-start / on-run-end hook, rendered as dbt renders it: when it runs, `execute` true and
 * the warehouse reachable (run_query, statement, adapter.*). A failure, in its templates or in
 * the warehouse, names the project file and the hook's line; on-run-start fails before any node
 * ran (exit 2, nothing built), on-run-end after the nodes (exit 1).
 */
async function runProjectHook(ctx: ExecContext, kind: 'on-run-start' | 'on-run-end', i: number, hook: string): Promise<void> {
  const c = ctx.compiled;
  const file = c.project.projectFile ?? 'project.yml';
  const line = (kind === 'on-run-start' ? c.project.hookLines?.onRunStart : c.project.hookLines?.onRunEnd)?.[i];
  const fail = (e: unknown): never => {
    const inner = e instanceof TxError ? e : undefined;
    const msg = ctx.logger.mask(inner ? inner.message : String((e as Error)?.message ?? e));
    const at = inner?.location.line && inner.location.file === file ? ` (line ${inner.location.line} of the hook)` : '';
    throw new TxError(kind === 'on-run-start' ? 'TARGET' : 'EXECUTION', `${kind} hook ${i + 1} failed${at}: ${msg}`, {
      file,
      line,
      hint: inner?.hint ?? (kind === 'on-run-start' ? 'nothing was built: fix the hook (or the query it runs) and run again' : undefined),
      cause: e,
    });
  };
  let sql: string;
  try {
    sql = (
      await renderWithWarehouse(ctx, (b) => {
        c.useWarehouse(() => b);
        try {
          return allowSecretEnvVars(() => c.renderString(hook, file));
        } finally {
          c.useWarehouse(undefined);
        }
      })
    ).trim();
  } catch (e) {
    return fail(e);
  }
  if (!sql) return;
  try {
    await ctx.session.connection.execute(sql, { signal: ctx.signal, node: kind });
  } catch (e) {
    fail(e);
  }
}
