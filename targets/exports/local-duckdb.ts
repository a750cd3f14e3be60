/**
 * A private DuckDB the exporters use for themselves: staging streamed rows, writing files
 * with COPY, counting rows in produced files, reading a Parquet schema. Never the user's
 * warehouse. Given a folder, large stages spill there instead of growing RSS.
 */
import path from 'node:path';
import { DuckDBInstance, type DuckDBAppender, type DuckDBConnection } from '@duckdb/node-api';

export class LocalDuckdb {
  private constructor(
    private readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
  ) {}

  /**
   * In memory with a bounded buffer pool; given `spillDir`, blocks beyond the limit spill to
   * files there (no database file: nothing to checkpoint when the stage is thrown away).
   */
  static async open(spillDir?: string, memoryLimit = '512MB'): Promise<LocalDuckdb> {
    const options: Record<string, string> = { threads: '2', memory_limit: memoryLimit };
    if (spillDir) options.temp_directory = path.join(spillDir, 'spill');
    const instance = await DuckDBInstance.create(':memory:', options);
    const connection = await instance.connect();
    // TIMESTAMPTZ values are written in UTC (`+00`), as tx show prints them, whatever the machine's
    // zone. Without ICU (the only way DuckDB knows other zones) they are UTC already.
    await connection.run(`load icu; set TimeZone = 'UTC'`).catch(() => undefined);
    return new LocalDuckdb(instance, connection);
  }

  async run(sql: string): Promise<number> {
    const r = await this.connection.runAndReadAll(sql);
    return r.rowsChanged;
  }

  async query(sql: string): Promise<Record<string, unknown>[]> {
    const r = await this.connection.runAndReadAll(sql);
    return r.getRowObjectsJS() as Record<string, unknown>[];
  }

  appender(table: string): Promise<DuckDBAppender> {
    return this.connection.createAppender(table);
  }

  interrupt(): void {
    this.connection.interrupt();
  }

  close(): void {
    try {
      this.connection.closeSync();
    } finally {
      this.instance.closeSync();
    }
  }
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
