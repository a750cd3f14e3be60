/**
 * castStaged: text into a wide DECIMAL through DECIMAL(18, s) where it fits gives exactly what DuckDB's own cast
 * gives (value, rounding, errors), on edge values and on random ones, in a real DuckDB.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalDuckdb, quoteLiteral } from './local-duckdb.js';
import { castSelect, castStaged, mapWarehouseType } from './row-stager.js';

let db: LocalDuckdb;
beforeAll(async () => {
  db = await LocalDuckdb.open();
});
afterAll(() => db?.close());

/** The cast's text, or ERR when DuckDB refuses it. */
async function value(expr: string): Promise<string> {
  try {
    const r = await db.query(`SELECT CAST(${expr} AS VARCHAR) AS v`);
    return r[0]!.v === null ? 'NULL' : String(r[0]!.v);
  } catch {
    return 'ERR';
  }
}

const EDGE = [
  '0', '-0', '+1.5', '000123.4500', '.5', '5.', ' 7 ', '1e3', 'abc', '', '-', '1.0000000005', '-1.0000000005', '1.00000000049',
  '999999999.999999999', '999999999.9999999995', '-999999999.9999999995', '1000000000', '999999999999999999', '9999999999999999999',
  '99999999999999999.5', '0.000000000000000001', '0.0000000000000000005', '12345678901234567890.123456789',
  '99999999999999999999999999999.999999999', '99999999999999999999999999999.9999999995', '-99999999999999999999999999999999999999',
  '99999999999999999999999999999999999999', '999999999999999999999999999999999999999',
];

/** Random numeric texts: up to 30 integer digits and 20 fraction digits, signs, leading zeros. */
function randomTexts(n: number, seed: number): string[] {
  let s = seed;
  const rnd = (k: number) => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s % k;
  };
  const digits = (k: number) => Array.from({ length: k }, () => String(rnd(10))).join('');
  return Array.from({ length: n }, () => {
    const sign = ['', '-', '+'][rnd(3)]!;
    const int = digits(rnd(31)) || '0';
    const frac = rnd(3) === 0 ? '' : `.${digits(1 + rnd(20))}`;
    return `${sign}${int}${frac}`;
  });
}

describe('castStaged', () => {
  it.each(['DECIMAL(38,9)', 'DECIMAL(38,0)', 'DECIMAL(20,2)', 'DECIMAL(38,18)', 'DECIMAL(19,18)', 'DECIMAL(38,10)'])(
    'text into %s: the same value or the same refusal as DuckDB\'s own cast',
    async (type) => {
      const texts = [...EDGE, ...randomTexts(400, type.length * 7919)];
      const c = { type, stage: 'VARCHAR' as const };
      // Checked together in one query per text batch would hide which failed: one by one, in DuckDB.
      const diffs: string[] = [];
      for (const t of texts) {
        const exact = await value(`CAST(${quoteLiteral(t)} AS ${type})`);
        const fast = await value(castStaged(quoteLiteral(t), c));
        if (exact !== fast) diffs.push(`${JSON.stringify(t)}: ${exact} against ${fast}`);
      }
      expect(diffs).toEqual([]);
      expect(await value(castStaged('NULL', c))).toBe('NULL');
    },
    60_000,
  );

  it('is used for text into decimals wider than 18 digits only', () => {
    expect(castStaged('"x"', { type: 'DECIMAL(38,9)', stage: 'VARCHAR' })).toContain('TRY_CAST("x" AS DECIMAL(18,9))');
    expect(castStaged('"x"', { type: 'DECIMAL(18,2)', stage: 'VARCHAR' })).toBe('CAST("x" AS DECIMAL(18,2))');
    expect(castStaged('"x"', { type: 'DECIMAL(38,20)', stage: 'VARCHAR' })).toBe('CAST("x" AS DECIMAL(38,20))');
    expect(castSelect('rows', [{ name: 'n', ...mapWarehouseType('NUMERIC') }])).toContain('TRY_CAST("n" AS DECIMAL(18,');
  });
});
