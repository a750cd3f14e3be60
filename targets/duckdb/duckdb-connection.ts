import {
  DuckDBTypeId,
  JSDuckDBValueConverter,
  type DuckDBConnection,
  type DuckDBDateValue,
  type DuckDBDecimalValue,
  type DuckDBTimestampValue,
  type DuckDBInstance,
  type DuckDBTimestampTZValue,
  type DuckDBValueConverter,
  type JS,
} from '@duckdb/node-api';
import { TargetError, type Row, type TargetConnection, type TargetLog } from '../target.js';
import { SqlDate, SqlTimestamp, SqlTimestampTz } from '../values/sql-values.js';

/**
 * DuckDB values as tx's connections hand them out (targets/values/sql-values.ts): DATE,
 * TIMESTAMP and TIMESTAMPTZ as SqlDate, SqlTimestamp and SqlTimestampTz (exact to the microsecond,
 * where DuckDB's JS conversion makes a zoned JS Date of each and fails on infinity), TIME as its
 * text; DECIMAL as exact text with its scale (`'1.50'`) in `stream`, as a number in `query` (small
 * results: counts and metadata); everything else as DuckDB's JS conversion gives it.
 */
function valueConverter(decimals: 'text' | 'number'): DuckDBValueConverter<unknown> {
  const convert: DuckDBValueConverter<unknown> = (value, type, converter) => {
    if (value === null || value === undefined) return null;
    switch (type.typeId) {
      case DuckDBTypeId.DATE:
        return SqlDate.fromDays((value as DuckDBDateValue).days) ?? SqlDate.fromText(String(value));
      case DuckDBTypeId.TIMESTAMP:
        return SqlTimestamp.fromMicros((value as DuckDBTimestampValue).micros) ?? SqlTimestamp.fromText(String(value));
      case DuckDBTypeId.TIMESTAMP_S:
      case DuckDBTypeId.TIMESTAMP_MS:
      case DuckDBTypeId.TIMESTAMP_NS:
        return SqlTimestamp.fromText(String(value));
      case DuckDBTypeId.TIMESTAMP_TZ:
        return SqlTimestampTz.fromMicros((value as DuckDBTimestampTZValue).micros);
      case DuckDBTypeId.TIME:
      case DuckDBTypeId.TIME_NS:
        return String(value);
      case DuckDBTypeId.DECIMAL:
        return decimals === 'text' ? String(value) : (value as DuckDBDecimalValue).toDouble();
      default:
        return JSDuckDBValueConverter(value, type, converter as DuckDBValueConverter<JS>);
    }
  };
  return convert;
}
const QUERY_VALUES = valueConverter('number');
const STREAM_VALUES = valueConverter('text');

/** Column names told apart (`a`, `a_1`, as DuckDB names them in a subquery) so no value overwrites another in a row object. */
function distinctNames(names: string[]): string[] {
  const taken = new Set(names.map((n) => n.toLowerCase()));
  const seen = new Set<string>();
  return names.map((n) => {
    if (!seen.has(n.toLowerCase())) {
      seen.add(n.toLowerCase());
      return n;
    }
    let k = 1;
    while (taken.has(`${n}_${k}`.toLowerCase())) k++;
    const name = `${n}_${k}`;
    taken.add(name.toLowerCase());
    seen.add(name.toLowerCase());
    return name;
  });
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
  async run(c: DuckDBConnection, sql: string, opts: { signal?: AbortSignal; node?: string; exact?: boolean } = {}): Promise<{ rowsAffected?: number; rows?: Row[] }> {
    const { signal } = opts;
    if (signal?.aborted) throw new TargetError('cancelled before it started', { sql });
    const onAbort = () => c.interrupt();
    signal?.addEventListener('abort', onAbort, { once: true });
    const t0 = performance.now();
    try {
      const reader = await c.runAndReadAll(sql);
      // exact: values as `stream` gives them (rows to print)
      const rows = reader.convertRowObjects(opts.exact ? STREAM_VALUES : QUERY_VALUES) as Row[];
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
   * Rows in batches, with exact values: DECIMAL as text with its scale (`'1.10'`), as PostgreSQL's
   * driver gives NUMERIC, dates and timestamps as targets/values; columns of the same name apart.
   */
  async *stream(sql: string, opts: { batchSize?: number; signal?: AbortSignal } = {}): AsyncIterable<Row[]> {
    const c = await this.acquire();
    const t0 = performance.now();
    try {
      const result = await c.stream(sql);
      const names = distinctNames(result.columnNames());
      const batch = opts.batchSize ?? 2048;
      let buf: Row[] = [];
      for await (const rows of result.yieldConvertedRows(STREAM_VALUES)) {
        if (opts.signal?.aborted) throw new TargetError('cancelled', { sql });
        for (const values of rows) {
          const r: Row = {};
          for (let i = 0; i < names.length; i++) r[names[i]!] = values[i];
          buf.push(r);
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
