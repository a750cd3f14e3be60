import type { Dialect, LogicalType, Relation } from '../target.js';

/** Logical types as Hive / Spark SQL spell them. */
const TYPES: Record<LogicalType, string> = {
  string: 'STRING',
  integer: 'INT',
  bigint: 'BIGINT',
  double: 'DOUBLE',
  decimal: 'DECIMAL(38,9)',
  boolean: 'BOOLEAN',
  date: 'DATE',
  timestamp: 'TIMESTAMP',
};

/**
 * Warehouse type names from other engines that Hive spells differently. Hive's VARCHAR needs a
 * length, so a bare `varchar`/`text` becomes STRING.
 */
const ALIASES: Record<string, string> = {
  VARCHAR: 'STRING',
  TEXT: 'STRING',
  INTEGER: 'INT',
  INT4: 'INT',
  INT8: 'BIGINT',
  LONG: 'BIGINT',
  INT2: 'SMALLINT',
  FLOAT8: 'DOUBLE',
  'DOUBLE PRECISION': 'DOUBLE',
  FLOAT4: 'FLOAT',
  REAL: 'FLOAT',
  BOOL: 'BOOLEAN',
  DATETIME: 'TIMESTAMP',
  NUMERIC: 'DECIMAL(38,9)',
  DECIMAL: 'DECIMAL(38,9)',
};

/**
 * Hive and Spark SQL: backtick-quoted identifiers (a backtick inside is doubled), relations are
 * `database`.`table` (tx's schema is the Hive database; Relation.database is not used), string
 * literals escape with a backslash: Spark reads `'it''s'` as two adjacent literals, `its`.
 */
export const hiveDialect: Dialect = {
  quoteIdentifier(name: string): string {
    return `\`${name.replace(/`/g, '``')}\``;
  },
  relationName(r: Relation): string {
    const q = hiveDialect.quoteIdentifier;
    return `${q(r.schema)}.${q(r.identifier)}`;
  },
  typeName(type: string): string {
    const t = type.trim();
    const logical = TYPES[t.toLowerCase() as LogicalType];
    if (logical) return logical;
    const u = t.toUpperCase().replace(/\s+/g, ' ');
    return ALIASES[u] ?? u;
  },
  literal(value: string): string {
    const escaped = value
      .replace(/\\/g, '\\\\')
      .replace(/'/g, "\\'")
      .replace(/\n/g, '\\n')
      .replace(/\r/g, '\\r')
      .replace(/\t/g, '\\t')
      .replace(/\0/g, '\\0');
    return `'${escaped}'`;
  },
};

/** Types that mean the same to Hive (`INTEGER` = `INT`, `VARCHAR` = `STRING`, ...), upper-case. */
export function normalizeHiveType(t: string): string {
  return hiveDialect.typeName(t).replace(/\s*,\s*/g, ',').replace(/\s*\(\s*/g, '(').replace(/\s*\)/g, ')');
}
