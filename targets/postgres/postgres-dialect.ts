import { TargetError, type Dialect, type LogicalType, type Relation } from '../target.js';

/** Logical types in PostgreSQL. */
const TYPES: Record<LogicalType, string> = {
  string: 'text',
  integer: 'integer',
  bigint: 'bigint',
  double: 'double precision',
  decimal: 'numeric',
  boolean: 'boolean',
  date: 'date',
  timestamp: 'timestamp',
};

/** PostgreSQL keeps at most 63 bytes of an identifier and silently drops the rest. */
export const MAX_IDENTIFIER_BYTES = 63;

/**
 * A type name as a user may write it (`numeric(10, 2)`, `character varying(20)`, `timestamp with time zone`,
 * `int[]`, `"MyEnum"`, `public.my_type`); anything else (a `;`, a comment, a quote mismatch) is refused, since a
 * type goes into DDL unquoted.
 */
const TYPE_NAME = /^(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)(?:\s*\.\s*(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*))?(?:\s+[A-Za-z_][A-Za-z0-9_]*)*\s*(?:\(\s*\d+\s*(?:,\s*-?\d+\s*)?\))?(?:\s+[A-Za-z_][A-Za-z0-9_]*)*(?:\s*\[\s*\d*\s*\])*$/;

/** PostgreSQL: double-quoted identifiers (`"` doubled), `"schema"."table"`, standard string literals. */
export const postgresDialect: Dialect = {
  quoteIdentifier(name: string): string {
    if (name.includes('\0')) throw new TargetError(`identifier ${JSON.stringify(name)} contains a NUL character, which PostgreSQL cannot store`);
    return `"${name.replace(/"/g, '""')}"`;
  },
  relationName(r: Relation): string {
    const q = postgresDialect.quoteIdentifier;
    // PostgreSQL cannot reach across databases: the database is the one connected to.
    return `${q(r.schema)}.${q(r.identifier)}`;
  },
  typeName(type: string): string {
    const t = type.trim();
    const logical = TYPES[t.toLowerCase() as LogicalType];
    if (logical) return logical;
    if (!TYPE_NAME.test(t)) throw new TargetError(`\`${type}\` is not a PostgreSQL type name`);
    return t;
  },
  literal(value: string): string {
    if (value.includes('\0')) throw new TargetError('a string literal contains a NUL character, which PostgreSQL cannot store');
    // standard_conforming_strings is on since 9.1: backslashes are literal, only quotes double.
    return `'${value.replace(/'/g, "''")}'`;
  },
};

/** A relation's identifiers must survive PostgreSQL's 63-byte limit unchanged, or two names could collide. */
export function checkIdentifiers(r: Relation): void {
  for (const [what, name] of [
    ['schema', r.schema],
    ['relation', r.identifier],
  ] as const) {
    if (!name) throw new TargetError(`empty ${what} name`);
    const bytes = Buffer.byteLength(name, 'utf8');
    if (bytes > MAX_IDENTIFIER_BYTES) {
      throw new TargetError(
        `${what} name \`${name}\` is ${bytes} bytes long; PostgreSQL keeps only ${MAX_IDENTIFIER_BYTES} and would silently truncate it (set an alias of at most ${MAX_IDENTIFIER_BYTES} bytes)`,
      );
    }
    if (name.includes('\0')) throw new TargetError(`${what} name ${JSON.stringify(name)} contains a NUL character`);
  }
}

/**
 * The name of a scratch relation beside `identifier` (`<identifier>__tx_<suffix>`), shortened with a hash when
 * that would pass 63 bytes, so it is always distinct from the real name and stable from run to run (a leftover of
 * a killed run is dropped by the next one).
 */
export function scratchName(identifier: string, suffix: string): string {
  const tail = `__tx_${suffix}`;
  const full = `${identifier}${tail}`;
  if (Buffer.byteLength(full, 'utf8') <= MAX_IDENTIFIER_BYTES) return full;
  let h = 0x811c9dc5;
  for (const ch of Buffer.from(identifier, 'utf8')) h = Math.imul(h ^ ch, 0x01000193) >>> 0;
  const hash = h.toString(36);
  const head = Array.from(identifier);
  while (Buffer.byteLength(`${head.join('')}_${hash}${tail}`, 'utf8') > MAX_IDENTIFIER_BYTES) head.pop();
  return `${head.join('')}_${hash}${tail}`;
}
