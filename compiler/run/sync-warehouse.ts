/**
 * A synchronous view of the warehouse for templates (run_query, statement, adapter.get_relation,
 * get_columns_in_relation, ...). Templates render synchronously, and the drivers are async, so a
 * worker thread holds its own session and the rendering thread waits on a SharedArrayBuffer
 * (Atomics.wait) for each answer. The worker is unref'd: it never keeps the process alive.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { TxError } from '../errors.js';
import { packageRoot } from '../load/package-root.js';
import type { ColumnInfo, Relation, TargetConfig, TargetSession } from '../../targets/target.js';
import { answerOn } from './warehouse-answers.js';
import type { WarehouseBridge } from '../compile/dbt-context.js';

const BODY_BYTES = 64 * 1024 * 1024;
const WAIT_MS = 10 * 60 * 1000;

function workerFile(): string {
  const here = fileURLToPath(new URL('./sync-warehouse-worker.js', import.meta.url));
  if (existsSync(here)) return here;
  // from the TypeScript sources (vitest): the built worker
  return join(packageRoot(), 'dist', 'compiler', 'run', 'sync-warehouse-worker.js');
}

export class SyncWarehouse implements WarehouseBridge {
  private readonly worker: Worker;
  private readonly header: Int32Array;
  private readonly body: Uint8Array;
  private dead: string | undefined;

  constructor(name: string, config: TargetConfig, projectDir: string) {
    const sab = new SharedArrayBuffer(8 + BODY_BYTES);
    this.header = new Int32Array(sab, 0, 2);
    this.body = new Uint8Array(sab, 8);
    this.worker = new Worker(workerFile(), { workerData: { name, config, projectDir, sab } });
    this.worker.on('error', (e) => (this.dead = e.message));
    this.worker.unref();
  }

  private call(msg: { op: string; sql?: string; relation?: Relation }): unknown {
    if (this.dead) throw new TxError('TARGET', `the warehouse connection for templates failed: ${this.dead}`);
    Atomics.store(this.header, 0, 0);
    this.worker.postMessage(msg);
    const r = Atomics.wait(this.header, 0, 0, WAIT_MS);
    if (r === 'timed-out') throw new TxError('TARGET', `a query from a template did not answer within ${WAIT_MS / 60000} minutes`, { hint: msg.sql?.slice(0, 200) });
    const n = Atomics.load(this.header, 1);
    const out = JSON.parse(Buffer.from(this.body.subarray(0, n)).toString('utf8')) as { ok: boolean; value?: unknown; error?: string };
    if (!out.ok) {
      throw new TxError('TARGET', `a query from a template failed in the warehouse: ${out.error}`, { hint: msg.sql ? `the query: ${msg.sql.trim().slice(0, 300)}` : undefined });
    }
    return out.value;
  }

  query(sql: string): { columns: string[]; rows: unknown[][] } {
    return this.call({ op: 'query', sql }) as { columns: string[]; rows: unknown[][] };
  }
  execute(sql: string): { rowsAffected?: number } {
    return this.call({ op: 'execute', sql }) as { rowsAffected?: number };
  }
  columns(relation: Relation): ColumnInfo[] {
    return this.call({ op: 'columns', relation }) as ColumnInfo[];
  }
  relationType(relation: Relation): string | null {
    return this.call({ op: 'relationType', relation }) as string | null;
  }
  drop(relation: Relation): void {
    this.call({ op: 'drop', relation });
  }
  createSchema(relation: Relation): void {
    this.call({ op: 'createSchema', relation });
  }
  /** Close the worker's session and end the worker. */
  async close(): Promise<void> {
    try {
      if (!this.dead) this.call({ op: 'close' });
    } catch {
      // closing is best effort
    }
    await this.worker.terminate();
  }
}

const bridges = new WeakMap<object, SyncWarehouse>();

/** The bridge of one compiled project's run (opened on first use, one worker per run). */
export function bridgeFor(compiled: { target: { name: string; config: TargetConfig }; project: { dir: string } }): SyncWarehouse {
  let b = bridges.get(compiled);
  if (!b) {
    b = new SyncWarehouse(compiled.target.name, compiled.target.config, compiled.project.dir);
    bridges.set(compiled, b);
  }
  return b;
}

/** Raised inside a render when the replay bridge has no answer yet: the render is run again once it has one. */
class NeedsWarehouse extends Error {}

type Op = { op: string; sql?: string; relation?: Relation };

/**
 * The warehouse for a render on a target whose driver has no worker bridge (DuckDB, Hive): a
 * request without an answer stops the render; the runner asks the warehouse on its own session,
 * keeps the answer and renders again, until the render asks nothing new. Templates are
 * deterministic given the answers, so each round answers one more request; a statement with side
 * effects runs once (its answer is kept for the next rounds).
 */
class ReplayBridge implements WarehouseBridge {
  readonly answers = new Map<string, { ok: boolean; value?: unknown; error?: string }>();
  pending: Op | undefined;
  private ask(m: Op): unknown {
    const a = this.answers.get(JSON.stringify(m));
    if (!a) {
      this.pending = m;
      throw new NeedsWarehouse('tx: the warehouse is being asked');
    }
    if (!a.ok) throw new TxError('TARGET', `a query from a template failed in the warehouse: ${a.error}`, { hint: m.sql ? `the query: ${m.sql.trim().slice(0, 300)}` : undefined });
    return a.value;
  }
  query(sql: string): { columns: string[]; rows: unknown[][] } {
    return this.ask({ op: 'query', sql }) as { columns: string[]; rows: unknown[][] };
  }
  execute(sql: string): { rowsAffected?: number } {
    return this.ask({ op: 'execute', sql }) as { rowsAffected?: number };
  }
  columns(relation: Relation): ColumnInfo[] {
    return this.ask({ op: 'columns', relation }) as ColumnInfo[];
  }
  relationType(relation: Relation): string | null {
    return this.ask({ op: 'relationType', relation }) as string | null;
  }
  drop(relation: Relation): void {
    this.ask({ op: 'drop', relation });
  }
  createSchema(relation: Relation): void {
    this.ask({ op: 'createSchema', relation });
  }
}

const MAX_ROUNDS = 10_000;

/**
 * Render with `execute` true and the warehouse reachable: on PostgreSQL through the worker
 * bridge (one render), on other targets by replay on the run's own session. `replay`: by replay on
 * PostgreSQL too, for a session whose connection the worker cannot share (an audit inside a build
 * transaction: only that connection sees the new version).
 */
export async function renderWithWarehouse(
  ctx: { compiled: { target: { name: string; config: TargetConfig }; project: { dir: string } }; session: TargetSession },
  render: (bridge: WarehouseBridge) => string,
  opts: { replay?: boolean } = {},
): Promise<string> {
  if (ctx.compiled.target.config.type === 'postgres' && !opts.replay) return render(bridgeFor(ctx.compiled));
  const bridge = new ReplayBridge();
  for (let round = 0; round < MAX_ROUNDS; round++) {
    try {
      return render(bridge);
    } catch (e) {
      const m = bridge.pending;
      if (!m) throw e;
      bridge.pending = undefined;
      let answer: { ok: boolean; value?: unknown; error?: string };
      try {
        answer = { ok: true, value: JSON.parse(JSON.stringify(await answerOn(ctx.session, m), (_k, v: unknown) => (typeof v === 'bigint' ? (Number.isSafeInteger(Number(v)) ? Number(v) : v.toString()) : v))) };
      } catch (err) {
        answer = { ok: false, error: (err as Error)?.message ?? String(err) };
      }
      bridge.answers.set(JSON.stringify(m), answer);
    }
  }
  throw new TxError('TEMPLATE', `a template asked the warehouse more than ${MAX_ROUNDS} times while rendering`);
}
