/**
 * The example project builds green (exit 0) on generated vendor files of several seeds, where
 * repeated (city, state) pairs of the cities dimension repeat report rows as the original job does:
 * its claims test states that truth. A report that drops the repeats fails the test.
 * (The 2,000,000-row runs of issue 13 are measured outside the suite; see the issue note.)
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFactCsv, loadCities, type CityEntry } from '../bench/generate-fact-data.js';
import { REPO_ROOT, copyProject, queryDuckdb, runCli } from './fixture-project.js';

const SEEDS = [1, 2, 3];
const ROWS = 40_000;
const work = mkdtempSync(join(tmpdir(), 'tx-example-seeds-'));
let cities: CityEntry[];
beforeAll(async () => {
  cities = await loadCities(join(REPO_ROOT, 'data', 'us_cities_dimension.parquet'));
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function buildOn(seed: number, edit?: (dir: string) => void) {
  const dir = join(work, `p${seed}${edit ? '-edited' : ''}`);
  copyProject(dir);
  edit?.(dir);
  const fact = (await generateFactCsv({ rows: ROWS, out: join(work, `fact${seed}`), seed, cities })).path;
  const r = await runCli(['build', '--project-dir', dir, '--vars', JSON.stringify({ presc_fact_path: fact })], { cwd: dir, timeoutMs: 300_000 });
  const db = join(dir, 'healthcare.duckdb');
  return { r, dir, db };
}

describe('the example project on generated files', () => {
  it.each(SEEDS)('seed %i: exit 0, with repeated (city, state) report rows present', async (seed) => {
    const { r, db } = await buildOn(seed);
    expect(r.code, r.output).toBe(0);
    expect(r.stdout).toMatch(/^\d+ of \d+ PASS assert_city_report_claims_match_staging\b/m);
    // the case the old claims test failed on: the dimension's repeated pairs repeat report rows
    const repeated = await queryDuckdb(db, `select count(*) as n from (select city, state_name from main.city_report group by 1, 2 having count(*) > 1) t`);
    expect(Number(repeated[0]!.n)).toBeGreaterThan(0);
  }, 300_000);

  it('a report that drops the repeated rows fails the claims test', async () => {
    const { r } = await buildOn(SEEDS[0]!, (dir) => {
      const p = join(dir, 'models', 'marts', 'city_report.sql');
      writeFileSync(p, readFileSync(p, 'utf8').replace(`from {{ ref('stg_cities') }} as c`, `from (select distinct on (state_id, city) * from {{ ref('stg_cities') }}) as c`));
    });
    expect(r.code, r.output).toBe(1);
    expect(r.stderr).toMatch(/^\d+ of \d+ FAIL .*assert_city_report_claims_match_staging\b/m);
  }, 300_000);
});
