/**
 * Run one unit test: fixture tables in a private in-memory DuckDB, the model's SQL over them,
 * and a multiset comparison of its output with the expected rows (EXCEPT ALL both ways).
 */
import { TxError, didYouMean } from '../errors.js';
import type { Dialect, Row, TargetConnection, TargetLog } from '../../targets/target.js';
import { createTarget } from '../../targets/registry.js';
import { valueText } from '../../targets/values/value-format.js';
import type { FixtureColumn, FixtureTable, FixtureValue, UnitTestPlan } from './unit-tests.js';

export interface UnitTestOutcome {
  passed: boolean;
  /** Expected rows the model did not return, and rows it returned that were not expected (a sample of each). */
  missing: Row[];
  unexpected: Row[];
  nMissing: number;
  nUnexpected: number;
  actualRows: number;
  expectedRows: number;
  /** The columns compared. */
  columns: string[];
  /** Every statement run, for target/run/. */
  script: string[];
}

const SAMPLE = 10;

/** A SQL literal for a fixture value: typed columns cast from text, untyped ones take the value's own type. */
function literal(d: Dialect, v: FixtureValue, type: string | undefined, fromText: boolean): string {
  if (type) return v === null ? `cast(null as ${type})` : `cast(${d.literal(String(v))} as ${type})`;
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : `cast(${d.literal(String(v))} as double)`;
  if (fromText && /^-?\d{1,18}$/.test(v)) return v;
  if (fromText && /^-?(\d+\.\d*|\.\d+)([eE][-+]?\d+)?$/.test(v)) return `cast(${d.literal(v)} as double)`;
  return d.literal(v);
}

/** `select ... union all select ...` for rows of typed or untyped columns. */
function rowsQuery(d: Dialect, columns: (FixtureColumn & { type?: string })[], rows: FixtureValue[][], fromText: boolean): string {
  const q = (c: string) => d.quoteIdentifier(c);
  if (!rows.length) return `select ${columns.map((c) => `${literal(d, null, c.type, fromText)} as ${q(c.name)}`).join(', ')} limit 0`;
  return rows.map((r) => `select ${columns.map((c, i) => `${literal(d, r[i] ?? null, c.type, fromText)} as ${q(c.name)}`).join(', ')}`).join('\nunion all\n');
}

/**
 * A failing unit test's diff as text lines: `- ` expected but missing, `+ ` returned but not
 * expected; values print as `tx show` prints them (targets/values/value-format.ts).
 */
export function formatDiff(o: Pick<UnitTestOutcome, 'columns' | 'missing' | 'unexpected' | 'nMissing' | 'nUnexpected'>): string[] {
  const lines = [`  ${o.columns.join(' | ')}`];
  for (const r of o.missing) lines.push(`- ${o.columns.map((c) => valueText(r[c])).join(' | ')}`);
  if (o.nMissing > o.missing.length) lines.push(`- ... ${o.nMissing - o.missing.length} more`);
  for (const r of o.unexpected) lines.push(`+ ${o.columns.map((c) => valueText(r[c])).join(' | ')}`);
  if (o.nUnexpected > o.unexpected.length) lines.push(`+ ... ${o.nUnexpected - o.unexpected.length} more`);
  return lines;
}

export async function runUnitTest(plan: UnitTestPlan, opts: { projectDir: string; log: TargetLog; signal?: AbortSignal; node: string }): Promise<UnitTestOutcome> {
  const target = await createTarget('unit_test', { type: 'duckdb', path: ':memory:', threads: 1 }, opts.projectDir);
  const session = await target.open({ log: opts.log, threads: 1 });
  const d = session.dialect;
  const c: TargetConnection = session.connection;
  const script: string[] = [];
  const qopts = { signal: opts.signal, node: opts.node };
  const exec = async (sql: string) => {
    script.push(`${sql};`);
    await c.execute(sql, qopts);
  };
  const query = async (sql: string) => {
    script.push(`${sql};`);
    return c.query(sql, qopts);
  };
  /** Rows with exact values (DECIMAL with its scale), for the diff. */
  const rowsOf = async (sql: string) => {
    script.push(`${sql};`);
    const rows: Row[] = [];
    for await (const b of c.stream(sql, { signal: opts.signal })) rows.push(...b);
    return rows;
  };
  const fixtureError = (f: FixtureTable, e: unknown) =>
    new TxError('PROJECT', `unit test \`${plan.name}\`: the given rows for ${f.input} do not load: ${firstLine(e)}`, {
      file: f.file,
      line: f.line,
      hint: 'check the values against the column types declared for this input',
    });
  try {
    // ---- fixtures
    for (const f of plan.given) {
      const cols = f.columns.map((col) => ({ ...col, type: col.type ? d.typeName(col.type) : undefined }));
      const body = f.sql ?? rowsQuery(d, cols, f.rows, false);
      try {
        await exec(`create table ${d.quoteIdentifier(f.table)} as\n${body}`);
      } catch (e) {
        throw fixtureError(f, e);
      }
    }
    // ---- the model
    try {
      await exec(`create table "__tx_actual" as\nselect * from (\n${plan.sql}\n) as tx_model`);
    } catch (e) {
      const msg = firstLine(e);
      if (/^(Binder|Catalog|Parser) Error/i.test(msg) || /not found|does not exist/i.test(msg)) {
        throw new TxError('PROJECT', `unit test \`${plan.name}\`: model \`${plan.modelName}\` does not run on the given rows: ${msg}`, {
          file: plan.file,
          line: plan.line,
          hint: 'the given rows must hold every column the model reads from each input (declare the inputs\' columns to have missing ones filled with null)',
        });
      }
      throw new TxError('EXECUTION', `unit test \`${plan.name}\`: model \`${plan.modelName}\` failed on the given rows: ${msg}`, { file: plan.file, line: plan.line, cause: e });
    }
    const actualCols = (await query(`select column_name, data_type from information_schema.columns where table_name = '__tx_actual' order by ordinal_position`)).map((r) => ({
      name: String(r.column_name),
      type: String(r.data_type),
    }));
    const byLower = new Map(actualCols.map((x) => [x.name.toLowerCase(), x]));

    // ---- the expected rows, typed like the model's output
    let columns: { name: string; type: string }[];
    if (plan.expect.sql) {
      try {
        await exec(`create table "__tx_expected" as\n${plan.expect.sql}`);
      } catch (e) {
        throw new TxError('PROJECT', `unit test \`${plan.name}\`: the expected rows do not load: ${firstLine(e)}`, { file: plan.expect.file, line: plan.expect.line });
      }
      const names = (await query(`select column_name from information_schema.columns where table_name = '__tx_expected' order by ordinal_position`)).map((r) => String(r.column_name));
      columns = names.map((n) => resolveColumn(plan, n, byLower, actualCols));
    } else {
      columns = plan.expect.columns.length ? plan.expect.columns.map((n) => resolveColumn(plan, n, byLower, actualCols)) : actualCols;
      const body = columns.length
        ? rowsQuery(
            d,
            columns.map((x) => ({ name: x.name, type: x.type })),
            plan.expect.rows,
            true,
          )
        : 'select 1 limit 0';
      try {
        await exec(`create table "__tx_expected" as\n${body}`);
      } catch (e) {
        throw new TxError('PROJECT', `unit test \`${plan.name}\`: an expected value does not fit the model's column type: ${firstLine(e)}`, {
          file: plan.expect.file,
          line: plan.expect.line,
          hint: `the model returns ${actualCols.map((x) => `${x.name} ${x.type}`).join(', ')}`,
        });
      }
    }

    // ---- compare as multisets; floating point compared to 9 decimal places
    const cmp = columns
      .map((x) => {
        const q = d.quoteIdentifier(x.name);
        return /^(DOUBLE|FLOAT|REAL)/i.test(x.type) ? `round(${q}, ${/^DOUBLE/i.test(x.type) ? 9 : 5}) as ${q}` : q;
      })
      .join(', ');
    const actualRows = Number((await query(`select count(*) as n from "__tx_actual"`))[0]?.n ?? 0);
    const expectedRows = Number((await query(`select count(*) as n from "__tx_expected"`))[0]?.n ?? 0);
    let missing: Row[] = [];
    let unexpected: Row[] = [];
    let nMissing = 0;
    let nUnexpected = 0;
    if (columns.length) {
      const e = `select ${cmp} from "__tx_expected"`;
      const a = `select ${cmp} from "__tx_actual"`;
      nMissing = Number((await query(`select count(*) as n from (${e} except all ${a}) as m`))[0]?.n ?? 0);
      nUnexpected = Number((await query(`select count(*) as n from (${a} except all ${e}) as u`))[0]?.n ?? 0);
      const order = columns.map((_, i) => String(i + 1)).join(', ');
      if (nMissing) missing = await rowsOf(`select * from (${e} except all ${a}) as m order by ${order} limit ${SAMPLE}`);
      if (nUnexpected) unexpected = await rowsOf(`select * from (${a} except all ${e}) as u order by ${order} limit ${SAMPLE}`);
    } else {
      nUnexpected = actualRows;
    }
    return {
      passed: nMissing === 0 && nUnexpected === 0,
      missing,
      unexpected,
      nMissing,
      nUnexpected,
      actualRows,
      expectedRows,
      columns: columns.map((x) => x.name),
      script,
    };
  } finally {
    await session.close().catch(() => undefined);
  }
}

function resolveColumn(plan: UnitTestPlan, name: string, byLower: Map<string, { name: string; type: string }>, actual: { name: string; type: string }[]): { name: string; type: string } {
  const col = byLower.get(name.toLowerCase());
  if (!col) {
    throw new TxError('PROJECT', `unit test \`${plan.name}\`: \`expect\` names column \`${name}\`, which model \`${plan.modelName}\` does not return (it returns ${actual.map((x) => x.name).join(', ')})`, {
      file: plan.expect.file,
      line: plan.expect.line,
      hint: didYouMean(name, actual.map((x) => x.name)),
    });
  }
  return col;
}

function firstLine(e: unknown): string {
  return String((e as Error).message ?? e)
    .split('\n')
    .filter((l) => l.trim())
    .slice(0, 2)
    .join(' ')
    .trim();
}
