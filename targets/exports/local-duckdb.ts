/**
 * A private DuckDB the exporters use for themselves: staging streamed rows, writing files
 * with COPY, counting rows in produced files, reading a Parquet schema. Never the user's
 * warehouse. Disk-backed when given a folder, so large stages spill instead of growing RSS.
 */
import path from 'node:path';
import { DuckDBInstance, type DuckDBAppender, type DuckDBConnection } from '@duckdb/node-api';

export class LocalDuckdb {
  private constructor(
    private readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
  ) {}

  /** In memory, or in `<dir>/stage.duckdb` with a bounded buffer pool. */
  static async open(dir?: string, memoryLimit = '512MB'): Promise<LocalDuckdb> {
    const file = dir ? path.join(dir, 'stage.duckdb') : ':memory:';
    const options: Record<string, string> = { threads: '2', memory_limit: memoryLimit };
    if (dir) options.temp_directory = path.join(dir, 'stage.tmp');
    const instance = await DuckDBInstance.create(file, options);
    const connection = await instance.connect();
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
