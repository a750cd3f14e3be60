/**
 * A unit test's inputs whose properties declare no columns take their columns from the warehouse
 * when the test runs, as dbt does: every column of the input's relation, in order, with its type;
 * the given rows fill the columns they name and the others are null.
 */
import { TxError, didYouMean } from '../errors.js';
import type { ColumnInfo, TargetSession } from '../../targets/target.js';
import type { FixtureTable, UnitTestPlan } from './unit-tests.js';

/** A warehouse type as the unit test's private DuckDB database spells it. */
export function duckdbTypeOf(type: string): string {
  const t = type.trim().toLowerCase();
  if (/^(character varying|varchar|character|char|bpchar|text|string)\b/.test(t)) return 'varchar';
  if (t === 'timestamp without time zone') return 'timestamp';
  if (t === 'timestamp with time zone') return 'timestamptz';
  if (t === 'time without time zone') return 'time';
  if (t === 'double precision') return 'double';
  return type;
}

export async function withWarehouseColumns(plan: UnitTestPlan, session: TargetSession): Promise<UnitTestPlan> {
  if (!plan.given.some((f) => f.columnsFrom)) return plan;
  const given: FixtureTable[] = [];
  for (const f of plan.given) {
    if (!f.columnsFrom) {
      given.push(f);
      continue;
    }
    const cols: ColumnInfo[] = await session.columns(f.columnsFrom);
    if (!cols.length) {
      if (f.columns.length) {
        given.push(f); // not built yet: the rows' own columns, as before
        continue;
      }
      throw new TxError('PROJECT', `unit test \`${plan.name}\`: ${f.input} has no rows and declares no columns, and its relation ${f.columnsFrom.schema}.${f.columnsFrom.identifier} does not exist yet to name them`, {
        file: f.file,
        line: f.line,
        hint: `build ${f.input} first (tx build runs it before this test), or declare its columns in its properties file`,
      });
    }
    const names = cols.map((c) => c.name);
    const byLower = new Map(f.columns.map((c, i) => [c.name.toLowerCase(), i]));
    for (const c of f.columns) {
      if (!names.some((n) => n.toLowerCase() === c.name.toLowerCase())) {
        throw new TxError('PROJECT', `unit test \`${plan.name}\`: the given rows for ${f.input} name column \`${c.name}\`, which ${f.columnsFrom.schema}.${f.columnsFrom.identifier} does not have (its columns: ${names.join(', ')})`, {
          file: f.file,
          line: f.line,
          hint: didYouMean(c.name, names),
        });
      }
    }
    given.push({
      ...f,
      columns: cols.map((c) => {
        const i = byLower.get(c.name.toLowerCase());
        return { name: c.name, type: (i === undefined ? undefined : f.columns[i]!.type) ?? duckdbTypeOf(c.type) };
      }),
      rows: f.rows.map((r) => cols.map((c) => {
        const i = byLower.get(c.name.toLowerCase());
        return i === undefined ? null : r[i]!;
      })),
    });
  }
  return { ...plan, given };
}
