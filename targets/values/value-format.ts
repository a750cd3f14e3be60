/**
 * How tx prints a warehouse value, in one place: `tx show` (text, CSV, JSON), unit-test diffs,
 * `validate:` lines and JUnit messages use these two functions, so a value prints the same way
 * whichever target it came from.
 *
 * - DATE `2024-01-01`; TIMESTAMP `2024-01-01 12:34:56` (a fraction only when there is one);
 *   TIMESTAMPTZ in UTC with its offset, `2024-01-01 10:34:56.5+00` (sql-values.ts);
 * - DECIMAL as the exact text the connection gave (`1.50`: its scale kept);
 * - BIGINT exact (`9007199254740993`); DOUBLE as JavaScript's shortest round-trip text (`0.1`);
 * - booleans `true`/`false`; NULL as the caller says (`NULL` in a table, empty in CSV, null in JSON);
 * - BLOB as `\x` and hex; lists and structs as JSON of the same values.
 */
import { isSqlTemporal } from './sql-values.js';

/** One value as text. `nullText`: what NULL prints as. */
export function valueText(v: unknown, nullText = 'NULL'): string {
  if (v === null || v === undefined) return nullText;
  if (typeof v === 'string') return v;
  if (isSqlTemporal(v)) return v.text;
  if (typeof v === 'bigint' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString();
  if (v instanceof Uint8Array) return `\\x${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')}`;
  return JSON.stringify(valueJson(v));
}

/**
 * One value as JSON: temporal values and DECIMAL text as strings, a BIGINT as a number when a
 * double holds it exactly and as a string otherwise, NaN and infinities as strings.
 */
export function valueJson(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'bigint') return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v.toString();
  if (isSqlTemporal(v) || v instanceof Date || v instanceof Uint8Array) return valueText(v);
  if (Array.isArray(v)) return v.map(valueJson);
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, valueJson(x)]));
  return String(v);
}
