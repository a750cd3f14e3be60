/**
 * `{{ value | literal }}` and `{{ literal(value) }}`: a template value as a SQL literal of the
 * target, so a var or an env_var can go into SQL without becoming SQL. Text is quoted by the
 * target's dialect (PostgreSQL and DuckDB double the quote; Hive and Spark escape with a
 * backslash); numbers stay numbers, booleans are true/false, None is null; a list is a
 * parenthesised list of literals, for `in (...)`.
 */
import type { Dialect } from '../../targets/target.js';
import { TxError } from '../errors.js';
import { Markup, PyFloat } from '../template/jinja/values.js';

export function sqlLiteral(value: unknown, dialect: Dialect): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number' || value instanceof PyFloat) {
    const n = typeof value === 'number' ? value : value.value;
    if (!Number.isFinite(n)) throw new TxError('TEMPLATE', `literal: ${n} has no SQL literal`);
    return String(n);
  }
  if (typeof value === 'string' || value instanceof Markup) return dialect.literal(String(value));
  if (Array.isArray(value) || value instanceof Set) {
    const items = [...value];
    if (!items.length) throw new TxError('TEMPLATE', 'literal: an empty list has no SQL literal (`in ()` is not SQL)');
    return `(${items.map((v) => sqlLiteral(v, dialect)).join(', ')})`;
  }
  throw new TxError('TEMPLATE', `literal: a ${value?.constructor?.name ?? typeof value} has no SQL literal; give text, a number, a boolean, none or a list`);
}
