/**
 * The whole example project (repository root) built with the CLI on PostgreSQL and on DuckDB:
 * both reports must hold exactly the same rows (compared as multisets).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, copyProject, queryDuckdb, runCli } from '../../testing/fixture-project.js';
import { scratchDatabase, type ScratchDatabase } from '../../testing/postgres-scratch.js';
import { PG_TYPES } from './postgres-connection.js';

let pgdb: ScratchDatabase;
let dir: string;
beforeAll(async () => {
  pgdb = await scratchDatabase('tx_pg_project');
  // A copy of the project, so this run's target/ folder and DuckDB file are its own.
  dir = mkdtempSync(join(tmpdir(), 'tx-pg-project-'));
  // TX_TEST_PROJECT_DIR: try a modified copy of the project instead of the repository's.
  copyProject(dir, process.env.TX_TEST_PROJECT_DIR ?? REPO_ROOT);
});
afterAll(async () => {
  await pgdb?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** One comparable string per row: numbers of any JS type by value, dates as ISO, keys sorted. */
function canon(rows: Record<string, unknown>[]): string[] {
  const value = (v: unknown): unknown => {
    if (typeof v === 'bigint') return Number(v);
    if (typeof v === 'number') return Number.isInteger(v) ? v : Number(v.toPrecision(12));
    if (v instanceof Date) return v.toISOString();
    return v;
  };
  return rows.map((r) => JSON.stringify(Object.keys(r).sort().map((k) => [k, value(r[k])]))).sort();
}

describe('the example project on PostgreSQL', () => {
  it('builds, and both reports equal DuckDB’s', async () => {
    const onPg = await runCli(['build', '--project-dir', dir, '--target', 'postgres'], { env: pgdb.env, timeoutMs: 300_000 });
    expect(onPg.output).toMatch(/Finished build/);
    expect(onPg.code, onPg.output).toBe(0);
    const onDuck = await runCli(['build', '--project-dir', dir, '--target', 'duckdb'], { timeoutMs: 300_000 });
    expect(onDuck.code, onDuck.output).toBe(0);

    const client = new pg.Client({ connectionString: pgdb.db.url, types: PG_TYPES });
    await client.connect();
    try {
      for (const report of ['city_report', 'top_prescribers']) {
        const fromPg = (await client.query(`select * from prescpipeline.${report}`)).rows as Record<string, unknown>[];
        const fromDuck = await queryDuckdb(join(dir, 'healthcare.duckdb'), `select * from main.${report}`);
        expect(fromPg.length, report).toBeGreaterThan(0);
        expect(canon(fromPg), report).toEqual(canon(fromDuck));
      }
    } finally {
      await client.end();
    }
  });
});
