/**
 * Audit before publish (`tx build`, on unless --no-audit or `audit: false`): a node's new version is
 * built beside the old one, the tests that gate it run against that side version, and only when they
 * pass is it swapped in. The node and its audited tests run as one step of the scheduler; each test
 * still has its own result.
 */
import type { NodeResult } from '../artifacts/artifacts.js';
import type { CompiledProject } from '../compile/compile-project.js';
import type { GraphNode } from '../compile/nodes.js';
import { AuditError, type Audit } from '../../targets/target.js';
import { executeNode, type ExecContext } from './execute-node.js';
import { prepareAuditSchemas, publishedTestSql, runTest, storeFailuresView } from './execute-test.js';

/** Whether `n` is published through a side version tx can audit: tables, incremental models, views, seeds, file sources, snapshots. */
export function auditable(n: GraphNode): boolean {
  if (n.config.audit === false) return false;
  if (n.resourceType === 'seed' || n.resourceType === 'snapshot') return true;
  if (n.resourceType === 'source') return !!n.source?.path;
  if (n.resourceType !== 'model') return false;
  return ['table', 'incremental', 'view'].includes(String(n.config.materialized ?? 'view'));
}

/**
 * The tests that gate each node's publish: error-severity data tests (generic or singular) whose only
 * parent is that node. A test reading several nodes keeps the rule of a build without audit (it runs
 * after its parents and gates what is downstream of all of them); warn-severity tests never block.
 */
export function auditPlan(c: CompiledProject, order: string[]): Map<string, string[]> {
  const inPlan = new Set(order);
  const plan = new Map<string, string[]>();
  for (const id of order) {
    const t = c.nodes.get(id)!;
    if (t.resourceType !== 'test' || !t.test || t.test.kind === 'unit' || t.test.severity !== 'error') continue;
    if (t.dependsOn.length !== 1) continue;
    const parent = t.dependsOn[0]!;
    if (!inPlan.has(parent) || !auditable(c.nodes.get(parent)!)) continue;
    plan.set(parent, [...(plan.get(parent) ?? []), id]);
  }
  return plan;
}

/** Thrown from inside the target's build: the new version failed its audit and is discarded. */
export class AuditFailed extends AuditError {
  constructor(readonly failed: NodeResult[]) {
    super(`audit failed: ${failed.map((r) => r.uniqueId).join(', ')}`);
  }
}

const relationText = (ctx: ExecContext, n: GraphNode) => (n.relation ? ctx.session.dialect.relationName(n.relation).replace(/["`]/g, '') : n.name);

/**
 * Builds `n` with its `tests` as the audit: results for the node and for each test, node first. A
 * failing or erroring test keeps the previous version (the node is an error, so what is downstream
 * and its exports are skipped). A build error before the audit is thrown, as without audit.
 */
export async function executeAudited(ctx: ExecContext, n: GraphNode, tests: GraphNode[]): Promise<NodeResult[]> {
  const t0 = performance.now();
  const startedAt = new Date().toISOString();
  let results: NodeResult[] = [];
  let called = false;
  const audit: Audit = async (side, conn) => {
    // a retried build (transient error) audits again from scratch
    called = true;
    results = [];
    const over = new Map([[n.uniqueId, side]]);
    // Tests read the side version only, so a connection that runs statements at once (Hive's session) takes
    // several: their round trips overlap instead of adding up. Results keep the tests' order.
    const width = Math.max(1, Math.min(tests.length, Math.floor(conn.concurrency ?? 1)));
    const slots: (NodeResult | undefined)[] = new Array(tests.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < tests.length && !ctx.signal.aborted) {
        const i = next++;
        slots[i] = await runTest(ctx, tests[i]!, { over, conn });
      }
    };
    await Promise.all(Array.from({ length: width }, worker));
    results = slots.filter((r): r is NodeResult => r !== undefined);
    const failed = results.filter((r) => r.status === 'fail' || r.status === 'error');
    if (failed.length || ctx.signal.aborted) throw new AuditFailed(failed);
  };
  try {
    await prepareAuditSchemas(ctx, tests);
    const r = await executeNode(ctx, n, audit);
    if (!called) {
      // a way of publishing with no side version (a file source read in place as a view): tested after, as without audit
      const after: NodeResult[] = [];
      for (const t of tests) after.push(await runTest(ctx, t));
      return [{ ...r, message: `${r.message} (tested after publish: no side version to audit)` }, ...after];
    }
    return [{ ...r, message: `${r.message} (audited: ${tests.length} test${tests.length === 1 ? '' : 's'} passed before publish)` }, ...(await viewsAfterPublish(ctx, results, true))];
  } catch (e) {
    if (!(e instanceof AuditFailed)) throw e;
    const names = e.failed.map((r) => `${ctx.compiled.nodes.get(r.uniqueId)?.name ?? r.uniqueId} ${r.status === 'error' ? 'errored' : 'failed'}`);
    // after the refused publish the relation is as it was: absent, this was its first build (unsure: it says kept)
    const existed = n.relation && !ctx.signal.aborted ? await ctx.session.relationExists(n.relation).catch(() => true) : true;
    const outcome = existed ? `the previous version of ${relationText(ctx, n)} is kept` : `${relationText(ctx, n)} was not created`;
    const message = ctx.signal.aborted ? `cancelled during the audit: not published, ${outcome}` : `the new version failed its audit (${names.join('; ')}): not published, ${outcome}`;
    const node: NodeResult = {
      uniqueId: n.uniqueId,
      status: 'error',
      message,
      executionTime: (performance.now() - t0) / 1000,
      startedAt,
      completedAt: new Date().toISOString(),
      details: { audit: { failed: e.failed.map((r) => r.uniqueId), published: false } },
    };
    return [node, ...(await viewsAfterPublish(ctx, results, false))];
  }
}

/**
 * store_failures_as: view under an audit: the view of each test's query over the published relations,
 * made once the new version is published (over the side version it would outlive what it reads); none
 * when the new version was refused, and the test's line says so.
 */
async function viewsAfterPublish(ctx: ExecContext, results: NodeResult[], published: boolean): Promise<NodeResult[]> {
  const out: NodeResult[] = [];
  for (const r of results) {
    const details = r.details as Record<string, unknown> | undefined;
    if (details?.failures_view !== 'after publish') {
      out.push(r);
      continue;
    }
    const { failures_view: _pending, ...rest } = details;
    const pending = /; a view of the failing rows is made in \S+ once the new version is published$/;
    const t = ctx.compiled.nodes.get(r.uniqueId)!;
    if (!published || ctx.signal.aborted) {
      out.push({ ...r, details: rest, message: r.message.replace(pending, '; no view of the failing rows: the new version was not published') });
      continue;
    }
    try {
      const name = await storeFailuresView(ctx, t, await publishedTestSql(ctx, t));
      out.push({ ...r, details: { ...rest, failures_relation: name, failures_as: 'view' }, message: r.message.replace(pending, `; failing rows in the view ${name}`) });
    } catch (e) {
      out.push({ ...r, status: 'error', details: rest, message: `${r.message.replace(pending, '')}; the view of its failing rows could not be made: ${(e as Error).message}` });
    }
  }
  return out;
}
