import { resolve } from 'node:path';
import type { NodeResult } from '../artifacts/artifacts.js';
import type { CompiledProject } from '../compile/compile-project.js';
import type { GraphNode } from '../compile/nodes.js';
import type { Logger } from '../log/logger.js';
import { allowSecretEnvVars } from '../log/scrub.js';
import { runExport } from '../../targets/exports/index.js';
import type { TargetSession } from '../../targets/target.js';
import { createTarget } from '../../targets/registry.js';
import type { AfterNodeHooks } from './run-project.js';

/** The export entries of a node that are not disabled. */
export function exportsOf(n: GraphNode): Record<string, unknown>[] {
  const list = Array.isArray(n.config.exports) ? (n.config.exports as Record<string, unknown>[]) : [];
  return list.filter((e) => e && e.enabled !== false);
}

const mb = (b: number) => `${(b / 1048576).toFixed(b < 10 * 1048576 ? 2 : 0)} MB`;

/**
 * A model's exports, run after the model and its tests passed (so failing data never ships).
 * Sessions on other targets (`to: target:NAME`) are opened once and closed by `close()`.
 */
export function afterNodeHooks(c: CompiledProject, logger: Logger, signal: AbortSignal): AfterNodeHooks & { close(): Promise<void> } {
  const others = new Map<string, Promise<TargetSession>>();
  const openTarget = (name: string): Promise<TargetSession> => {
    let p = others.get(name);
    if (!p) {
      p = (async () => {
        const t = c.resolveOtherTarget(name);
        logger.addSecret(t.config.password as string | undefined);
        const target = await createTarget(t.name, t.config, c.project.dir);
        return target.open({ log: logger, threads: 1 });
      })();
      others.set(name, p);
    }
    return p;
  };
  const exportRoots = c.project.exportRoots.map((r) => resolve(c.project.dir, r));
  return {
    has: (n) => n.resourceType !== 'test' && !!n.relation && exportsOf(n).length > 0,
    async run(n: GraphNode, session: TargetSession): Promise<NodeResult> {
      const t0 = performance.now();
      const startedAt = new Date().toISOString();
      const done: { destination: string; rows: number; bytes: number; files: number }[] = [];
      // every entry by its place in `exports:`, skipped ones too (the docs site shows each one's outcome)
      const entries: { index: number; status: 'success' | 'skipped'; destination?: string }[] = [];
      const all = Array.isArray(n.config.exports) ? (n.config.exports as Record<string, unknown>[]) : [];
      for (const [index, spec] of all.entries()) {
        if (!spec || spec.enabled === false) {
          entries.push({ index, status: 'skipped' });
          continue;
        }
        const r = await runExport({
          spec,
          node: { name: n.name, uniqueId: n.uniqueId, relation: n.relation!, relationName: n.relationName! },
          session,
          projectDir: c.project.dir,
          exportRoots,
          renderTemplate: (tpl) => allowSecretEnvVars(() => c.renderString(tpl, `${n.path} (exports of ${n.name})`, n)),
          openTarget,
          log: logger,
          signal,
        });
        if (!r.skipped) done.push({ destination: r.destination, rows: r.rows, bytes: r.bytes, files: r.files.length });
        entries.push({ index, status: r.skipped ? 'skipped' : 'success', ...(r.skipped ? {} : { destination: r.destination }) });
      }
      const skipped = entries.filter((e) => e.status === 'skipped').length;
      return {
        uniqueId: `after:${n.uniqueId}`,
        status: 'success',
        message: done.length
          ? `exported ${n.name} to ${done.map((d) => `${d.destination} (${d.files} file${d.files === 1 ? '' : 's'}, ${mb(d.bytes)})`).join(', ')}`
          : `no export of ${n.name} ran (${skipped} skipped: not enabled)`,
        executionTime: (performance.now() - t0) / 1000,
        startedAt,
        completedAt: new Date().toISOString(),
        rowsAffected: done[0]?.rows,
        details: { exports: done, entries },
      };
    },
    async close(): Promise<void> {
      for (const p of others.values()) await (await p.catch(() => null))?.close().catch(() => undefined);
    },
  };
}
