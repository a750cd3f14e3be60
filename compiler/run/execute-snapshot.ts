import { join } from 'node:path';
import { compiledPathOf, writeFileAtomic, type NodeResult } from '../artifacts/artifacts.js';
import type { GraphNode } from '../compile/nodes.js';
import { snapshotSpec } from '../load/snapshots.js';
import { allowSecretEnvVars } from '../log/scrub.js';
import type { Audit, SnapshotBuild } from '../../targets/target.js';
import { TargetError } from '../../targets/target.js';
import type { ExecContext } from './execute-node.js';

const list = (v: unknown): string[] => (v == null ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);
const now = () => new Date().toISOString();

/** Take one snapshot (SCD type 2) through the target's snapshot materialization; with `audit`, its new state is tested before it is committed. */
export async function takeSnapshot(ctx: ExecContext, n: GraphNode, audit?: Audit): Promise<NodeResult> {
  const t0 = performance.now();
  const startedAt = now();
  const take = ctx.session.snapshot;
  if (!take) throw new TargetError(`target ${ctx.compiled.target.name} (${String(ctx.compiled.target.config.type)}) cannot take snapshots`);
  // checked at compile time; read again here for the typed settings
  const spec = snapshotSpec(n.name, n.config, { file: n.path });
  const relation = n.relation!;
  await ctx.session.ensureSchema(relation.schema, relation.database);
  // its query under target/run, as a model's (a failed snapshot's message points there)
  writeFileAtomic(join(ctx.compiled.project.dir, compiledPathOf(ctx.compiled, n, 'run')), `${n.compiledSql}\n`);
  const build: SnapshotBuild = {
    uniqueId: n.uniqueId,
    relation,
    sql: n.compiledSql!,
    ...spec,
    options: n.config,
    signal: ctx.signal,
    audit,
  };
  const hooks = async (key: 'pre_hook' | 'post_hook') => {
    for (const h of list(n.config[key])) {
      const sql = allowSecretEnvVars(() => ctx.compiled.renderString(h, `${n.path} (${key})`, n)).trim();
      if (sql) await ctx.session.connection.execute(sql, { signal: ctx.signal, node: n.uniqueId });
    }
  };
  await hooks('pre_hook');
  const r = await take.call(ctx.session, build);
  await hooks('post_hook');
  return {
    uniqueId: n.uniqueId,
    status: 'success',
    message: `${r.action} ${ctx.session.dialect.relationName(relation).replace(/["`]/g, '')}`,
    executionTime: (performance.now() - t0) / 1000,
    startedAt,
    completedAt: now(),
    rowsAffected: r.rowsAffected,
  };
}
