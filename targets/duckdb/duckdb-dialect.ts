import type { Dialect, LogicalType, Relation } from '../target.js';

const TYPES: Record<LogicalType, string> = {
  string: 'VARCHAR',
  integer: 'INTEGER',
  bigint: 'BIGINT',
  double: 'DOUBLE',
  decimal: 'DECIMAL(38,9)',
  boolean: 'BOOLEAN',
  date: 'DATE',
  timestamp: 'TIMESTAMP',
};

/** DuckDB quoting and types: double-quoted identifiers, `catalog.schema.table`. */
export const duckdbDialect: Dialect = {
  quoteIdentifier(name: string): string {
    return `"${name.replace(/"/g, '""')}"`;
  },
  relationName(r: Relation): string {
    const q = duckdbDialect.quoteIdentifier;
    return r.database ? `${q(r.database)}.${q(r.schema)}.${q(r.identifier)}` : `${q(r.schema)}.${q(r.identifier)}`;
  },
  typeName(type: string): string {
    return TYPES[type.toLowerCase() as LogicalType] ?? type.toUpperCase();
  },
  literal(value: string): string {
    return `'${value.replace(/'/g, "''")}'`;
  },
};
