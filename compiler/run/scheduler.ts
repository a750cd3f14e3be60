import type { NodeResult } from '../artifacts/artifacts.js';

export interface ScheduleOptions {
  /** Ids to run, in a topological order. */
  order: string[];
  /** Ids (among `order`) that `id` must wait for. */
  waitsFor(id: string): string[];
  threads: number;
  failFast: boolean;
  signal: AbortSignal;
  /** Runs `id`; a step that also ran its `members` returns their results too (its own first). */
  run(id: string): Promise<NodeResult | NodeResult[]>;
  /**
   * Ids that `id` runs within its own step (a node and the tests that audit it). A member waits for
   * its step like any node, and runs on its own only if the step returned no result for it.
   */
  members?(id: string): string[];
  /** A result for a node that did not run because `cause` failed (or the run was cancelled). */
  skipped(id: string, cause: string | null): NodeResult;
  onResult(r: NodeResult): void;
}

const BLOCKING = new Set(['error', 'fail', 'cancelled']);

/**
 * Run a DAG with bounded parallelism: a node starts when everything it waits for
 * has succeeded; a failure skips everything that (transitively) waits on it.
 */
export async function schedule(o: ScheduleOptions): Promise<NodeResult[]> {
  const results = new Map<string, NodeResult>();
  const pending = new Set(o.order);
  const inOrder = new Set(o.order);
  const waits = new Map(o.order.map((id) => [id, o.waitsFor(id).filter((d) => inOrder.has(d) && d !== id)]));
  const running = new Map<string, Promise<void>>();
  const busy = new Set<number>();
  let stop = false;
  const member = new Set(o.order.flatMap((id) => o.members?.(id) ?? []).filter((m) => inOrder.has(m)));

  const finish = (r: NodeResult) => {
    results.set(r.uniqueId, r);
    o.onResult(r);
    if (BLOCKING.has(r.status) && o.failFast) stop = true;
  };

  while (pending.size || running.size) {
    if (o.signal.aborted) stop = true;
    // settle nodes that can no longer run
    for (const id of [...pending]) {
      const ws = waits.get(id)!;
      const failed = ws.find((w) => results.has(w) && (BLOCKING.has(results.get(w)!.status) || results.get(w)!.status === 'skipped'));
      if (failed || stop) {
        pending.delete(id);
        finish(o.skipped(id, failed ?? null));
      }
    }
    // start ready nodes, in order
    for (const id of o.order) {
      if (running.size >= o.threads || stop) break;
      if (!pending.has(id) || member.has(id)) continue;
      if (!waits.get(id)!.every((w) => results.has(w))) continue;
      pending.delete(id);
      // the lowest free worker slot runs it: thread ids as dbt writes them in run_results.json
      let slot = 1;
      while (busy.has(slot)) slot++;
      busy.add(slot);
      const started = performance.now();
      const p = o
        .run(id)
        // a node interrupted by Ctrl-C is cancelled, with the time it ran, not an error of 0.00s
        .catch((e: unknown): NodeResult => ({ uniqueId: id, status: o.signal.aborted ? 'cancelled' : 'error', message: (e as Error).message ?? String(e), executionTime: (performance.now() - started) / 1000 }))
        .then((r) => {
          busy.delete(slot);
          for (const x of Array.isArray(r) ? r : [r]) {
            if (x.uniqueId !== id && (!pending.has(x.uniqueId) || results.has(x.uniqueId))) continue;
            pending.delete(x.uniqueId);
            finish({ ...x, threadId: x.threadId ?? `Thread-${slot} (worker)` });
          }
          // members the step did not run (it failed before them) are settled by the loop: skipped, or run alone
          for (const m of o.members?.(id) ?? []) member.delete(m);
          running.delete(id);
        });
      running.set(id, p);
    }
    if (running.size) await Promise.race(running.values());
    else if (pending.size && !stop) {
      // Nothing running and nothing ready: every pending node waits on something outside the plan.
      for (const id of [...pending]) {
        pending.delete(id);
        finish(o.skipped(id, null));
      }
    }
  }
  return o.order.map((id) => results.get(id)!).filter(Boolean);
}
