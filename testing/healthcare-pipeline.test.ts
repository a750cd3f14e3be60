import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFactCsv } from '../bench/generate-fact-data.js';
import { CITY_REPORT_COLUMNS, TOP_PRESCRIBERS_COLUMNS, compareMultisets, referenceFromFiles } from './reference-pipeline.js';
import { copyProject } from './fixture-project.js';

/**
 * The example project must give exactly the original job's results: compared, as multisets,
 * with an independent plain-TypeScript implementation of the semantics (reference-pipeline.ts).
 */
const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist', 'compiler', 'cli.js');
const cities = join(root, 'data', 'us_cities_dimension.parquet');

/** A private copy of the example project, so tests never touch the repo's target/. */
function privateCopy(): string {
  return copyProject(mkdtempSync(join(tmpdir(), 'tx-healthcare-')), root);
}

async function readReport(dir: string, table: string, columns: readonly string[]): Promise<unknown[][]> {
  const inst = await DuckDBInstance.create(join(dir, 'healthcare.duckdb'), { access_mode: 'READ_ONLY' });
  const c = await inst.connect();
  try {
    const r = await c.runAndReadAll(`select ${columns.map((x) => `"${x}"`).join(', ')} from main."${table}"`);
    return r.getRowObjectsJS().map((row) => columns.map((col) => row[col]));
  } finally {
    c.closeSync();
    inst.closeSync();
  }
}

function tx(dir: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args, '--project-dir', dir], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

async function expectSameAsReference(dir: string, factCsv: string): Promise<{ city: number; top: number }> {
  const ref = await referenceFromFiles(factCsv, cities);
  const city = await readReport(dir, 'city_report', CITY_REPORT_COLUMNS);
  const top = await readReport(dir, 'top_prescribers', TOP_PRESCRIBERS_COLUMNS);
  const cityDiff = compareMultisets(city, ref.cityReport.map((r) => CITY_REPORT_COLUMNS.map((c) => (r as unknown as Record<string, unknown>)[c])), [...CITY_REPORT_COLUMNS]);
  expect(cityDiff.text).toBe('');
  const topDiff = compareMultisets(top, ref.topPrescribers.map((r) => TOP_PRESCRIBERS_COLUMNS.map((c) => (r as unknown as Record<string, unknown>)[c])), [...TOP_PRESCRIBERS_COLUMNS]);
  expect(topDiff.text).toBe('');
  return { city: city.length, top: top.length };
}

describe('healthcare pipeline on the 105-row sample', () => {
  let dir: string;
  beforeAll(() => {
    dir = privateCopy();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('builds, with the known results and the reference implementation\'s rows', async () => {
    const b = tx(dir, 'build');
    expect(b.code, b.out).toBe(0);
    // The original job's validations, as a model config: row count, schema and first rows,
    // on the console and in logs/tx.log.
    expect(b.out).toContain('validate city_report: 77 rows');
    expect(b.out).toMatch(/validate city_report: schema city VARCHAR, state_name VARCHAR, county_name VARCHAR, population INTEGER, zip_counts BIGINT, trx_counts BIGINT, presc_counts BIGINT/);
    expect(b.out).toMatch(/validate top_prescribers: first 5 rows/);
    const log = readFileSync(join(dir, 'logs', 'tx.log'), 'utf8');
    expect(log).toContain('validate city_report: 77 rows');
    expect(log).toContain('validate top_prescribers: 34 rows');
    const n = await expectSameAsReference(dir, join(dir, 'data', 'USA_Presc_Medicare_Data_2021.csv'));
    expect(n).toEqual({ city: 77, top: 34 });
    const show = tx(dir, 'show', '--select', 'city_report', '--limit', '-1', '--output', 'json');
    expect(show.code, show.out).toBe(0);
    const rows = JSON.parse(show.out) as Record<string, unknown>[];
    expect(rows).toContainEqual({ city: 'LOS ANGELES', state_name: 'CALIFORNIA', county_name: 'LOS ANGELES', population: 12750807, zip_counts: 196, trx_counts: 26, presc_counts: 2 });
    // columns, in order
    expect(Object.keys(rows[0]!)).toEqual([...CITY_REPORT_COLUMNS]);
  });
});

describe('healthcare pipeline on 1,000,000 generated rows', () => {
  let dir: string;
  let fact: string;
  beforeAll(async () => {
    dir = privateCopy();
    fact = (await generateFactCsv({ rows: 1_000_000, out: join(dir, 'gen'), seed: 42, citiesPath: cities })).path;
  }, 300_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gives the reference implementation\'s rows (ties, nulls, repeated city rows included)', async () => {
    const r = tx(dir, 'run', '--vars', JSON.stringify({ presc_fact_path: fact }));
    expect(r.code, r.out).toBe(0);
    const n = await expectSameAsReference(dir, fact);
    expect(n.city).toBeGreaterThan(1000);
    expect(n.top).toBeGreaterThan(100);
  }, 600_000);
});
