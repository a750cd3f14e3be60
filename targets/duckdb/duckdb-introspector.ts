import type { DuckDBConnection } from '@duckdb/node-api';
import type { ColumnInfo, Relation, Row } from '../target.js';
import { duckdbDialect as d } from './duckdb-dialect.js';
import type { DuckdbPool } from './duckdb-connection.js';

export type RelationKind = 'table' | 'view' | undefined;

/** Columns and kinds of DuckDB relations, from information_schema. */
export class DuckdbIntrospector {
  constructor(private readonly pool: DuckdbPool) {}

  private where(r: Relation): string {
    const db = r.database ? ` and table_catalog = ${d.literal(r.database)}` : '';
    return `table_schema = ${d.literal(r.schema)} and table_name = ${d.literal(r.identifier)}${db}`;
  }

  /** On `c` when the caller holds a connection (a nested acquire could deadlock the pool). */
  private q(sql: string, c?: DuckDBConnection): Promise<Row[]> {
    return c ? this.pool.run(c, sql).then((r) => r.rows ?? []) : this.pool.query(sql);
  }

  async kind(r: Relation, c?: DuckDBConnection): Promise<RelationKind> {
    const rows = await this.q(`select table_type from information_schema.tables where ${this.where(r)}`, c);
    if (!rows.length) return undefined;
    return String(rows[0]!.table_type).toUpperCase() === 'VIEW' ? 'view' : 'table';
  }

  async columns(r: Relation, c?: DuckDBConnection): Promise<ColumnInfo[]> {
    const rows = await this.q(`select column_name, data_type from information_schema.columns where ${this.where(r)} order by ordinal_position`, c);
    return rows.map((x) => ({ name: String(x.column_name), type: String(x.data_type).toUpperCase() }));
  }
}
