import type { CompiledProject } from '../compile/compile-project.js';
import type { GraphNode } from '../compile/nodes.js';
import type { Logger } from '../log/logger.js';
import type { AfterNodeHooks } from './run-project.js';

/** The exports of a model, run after the model and its tests pass (wired in with the exports issue). */
export function afterNodeHooks(_c: CompiledProject, _logger: Logger, _signal: AbortSignal): AfterNodeHooks | undefined {
  return undefined;
}

export function exportsOf(n: GraphNode): Record<string, unknown>[] {
  return Array.isArray(n.config.exports) ? (n.config.exports as Record<string, unknown>[]) : [];
}
