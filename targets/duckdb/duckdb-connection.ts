import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { TargetError, type Row, type TargetConnection, type TargetLog } from '../target.js';
import { duckdbDialect as d } from './duckdb-dialect.js';

/**
 * `sql` rewritten so that every value survives the trip into JS rows: DECIMAL columns cast to
 * text, and columns of the same name told apart (`a`, `a_1`, as DuckDB names them in a subquery)
 * instead of one overwriting the other in the row object. `sql` itself when neither applies or
 * it cannot be described.
 */
async function exactDecimalsSql(c: DuckDBConnection, sql: string): Promise<string> {
  const body = sql.replace(/;\s*$/, '');
  const describe = async (q: string) => (await c.runAndReadAll(`describe ${q}`)).getRowObjectsJS();
  try {
    const described = await describe(body);
    const names = described.map((r) => String(r.column_name));
    const duplicated = new Set(names.map((n) => n.toLowerCase())).size < names.length;
    const source = duplicated ? `(select * from (${body}))` : `(${body})`;
    const typed = duplicated ? await describe(`select * from ${source}`) : described;
    const decimals = typed.filter((r) => /^DECIMAL\b/i.test(String(r.column_type))).map((r) => String(r.column_name));
    if (!decimals.length) return duplicated ? `select * from ${source}` : sql;
    return `select * replace (${decimals.map((n) => `cast(${d.quoteIdentifier(n)} as varchar) as ${d.quoteIdentifier(n)}`).join(', ')}) from ${source}`;
  } catch {
    return sql;
  }
}

/** A small pool of DuckDB connections on one instance; each statement runs on a free one. */
export class DuckdbPool implements TargetConnection {
  private readonly free: DuckDBConnection[] = [];
  private readonly waiters: ((c: DuckDBConnection) => void)[] = [];
  private created = 0;

  constructor(
    private readonly instance: DuckDBInstance,
    private readonly size: number,
    private readonly log: TargetLog,
  ) {}

  async acquire(): Promise<DuckDBConnection> {
    const c = this.free.pop();
    if (c) return c;
    if (this.created < this.size) {
      this.created++;
      return this.instance.connect();
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  release(c: DuckDBConnection): void {
    const w = this.waiters.shift();
    if (w) w(c);
    else this.free.push(c);
  }

  /** Run `fn` with one connection held for its whole duration (transactions need that). */
  async with<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    const c = await this.acquire();
    try {
      return await fn(c);
    } finally {
      this.release(c);
    }
  }

  /** Run one statement on `c`, logged, cancellable (and a failpoint for tests: see pauseAfter). */
  async run(c: DuckDBConnection, sql: string, opts: { signal?: AbortSignal; node?: string } = {}): Promise<{ rowsAffected?: number; rows?: Row[] }> {
    const { signal } = opts;
    if (signal?.aborted) throw new TargetError('cancelled before it started', { sql });
    const onAbort = () => c.interrupt();
    signal?.addEventListener('abort', onAbort, { once: true });
    const t0 = performance.now();
    try {
      const reader = await c.runAndReadAll(sql);
      const rows = reader.getRowObjectsJS() as Row[];
      return { rowsAffected: reader.rowsChanged, rows };
    } catch (e) {
      const msg = (e as Error).message;
      throw new TargetError(signal?.aborted ? `cancelled: ${msg}` : msg, { sql, cause: e });
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.log.statement(sql, performance.now() - t0, opts.node);
      pauseAfter(sql);
    }
  }

  async execute(sql: string, opts: { signal?: AbortSignal; node?: string } = {}): Promise<{ rowsAffected?: number }> {
    const r = await this.with((c) => this.run(c, sql, opts));
    return { rowsAffected: r.rowsAffected };
  }

  async query(sql: string, opts: { signal?: AbortSignal; node?: string } = {}): Promise<Row[]> {
    return (await this.with((c) => this.run(c, sql, opts))).rows ?? [];
  }

  /**
   * Rows in batches. DECIMAL values come as exact text (`'1.10'`), as PostgreSQL's driver gives
   * NUMERIC: DuckDB's JS conversion would make them doubles and drop digits and scale.
   */
  async *stream(sql: string, opts: { batchSize?: number; signal?: AbortSignal } = {}): AsyncIterable<Row[]> {
    const c = await this.acquire();
    const t0 = performance.now();
    try {
      const exact = await exactDecimalsSql(c, sql);
      // A statement the rewrite does not suit (a trailing `;`, duplicate column names) runs as written.
      const result = await c.stream(exact).catch((e: unknown) => (exact === sql ? Promise.reject(e) : c.stream(sql)));
      const batch = opts.batchSize ?? 2048;
      let buf: Row[] = [];
      for await (const rows of result.yieldRowObjectJs()) {
        if (opts.signal?.aborted) throw new TargetError('cancelled', { sql });
        for (const r of rows) {
          buf.push(r as Row);
          if (buf.length >= batch) {
            yield buf;
            buf = [];
          }
        }
      }
      if (buf.length) yield buf;
    } catch (e) {
      if (e instanceof TargetError) throw e;
      throw new TargetError((e as Error).message, { sql, cause: e });
    } finally {
      this.log.statement(sql, performance.now() - t0);
      this.release(c);
    }
  }

  async close(): Promise<void> {
    for (const c of this.free.splice(0)) c.closeSync();
  }
}

/**
 * A failpoint for tests: with TX_TEST_PAUSE_AFTER set to a regular expression, tx stops dead (its
 * thread blocks, nothing more runs or commits) right after a statement matching it has run and
 * been logged to logs/tx.log, so a test can SIGKILL it at an exact point, such as between the
 * drop and the rename of a table swap (compiler/run/kill-during-build.test.ts). Unset: one
 * environment lookup per statement.
 */
function pauseAfter(sql: string): void {
  const re = process.env.TX_TEST_PAUSE_AFTER;
  if (re && new RegExp(re).test(sql)) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
}
