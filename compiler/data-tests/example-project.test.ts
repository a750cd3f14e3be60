/**
 * The healthcare example project (the repository root) as a fresh clone would run it: every data
 * test, unit test and contract passes; breaking a cleansing rule or the ranking makes its unit test fail.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, cli } from './test-fixture.js';
import { copyProject } from '../../testing/fixture-project.js';

let dir: string;
const tx = (...args: string[]) => {
  const r = spawnSync(process.execPath, [cli(), ...args, '--project-dir', dir], { encoding: 'utf8', cwd: dir, env: { ...process.env, NO_COLOR: '1' }, timeout: 180_000 });
  return { code: r.status, output: `${r.stdout}\n${r.stderr}` };
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tx-example-'));
  copyProject(dir, REPO);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the example project', () => {
  it('builds green with generic tests on staging and reports, singular tests, unit tests and contracts', () => {
    const r = tx('build', '--junit-xml', 'junit.xml');
    expect(r.code, r.output).toBe(0);
    const xml = readFileSync(join(dir, 'junit.xml'), 'utf8');
    expect(xml).toMatch(/failures="0" errors="0" skipped="0"/);
    const names = [...xml.matchAll(/<testcase classname="([^"]+)" name="([^"]+)"/g)].map((m) => `${m[1]} ${m[2]}`);
    for (const model of ['stg_prescribers', 'stg_cities', 'city_report', 'top_prescribers']) {
      expect(names.some((n) => n.startsWith(`healthcare.data_test.${model} `)), `generic tests on ${model}`).toBe(true);
    }
    expect(names.filter((n) => n.startsWith('healthcare.singular.')).length).toBeGreaterThanOrEqual(1);
    expect(names).toEqual(
      expect.arrayContaining([
        'healthcare.unit_test.stg_prescribers stg_prescribers_imputes_missing_trx_cnt',
        'healthcare.unit_test.stg_prescribers stg_prescribers_parses_years_of_exp',
        'healthcare.unit_test.top_prescribers top_prescribers_dense_rank_keeps_ties',
      ]),
    );
    const manifest = JSON.parse(readFileSync(join(dir, 'target', 'manifest.json'), 'utf8')) as { nodes: Record<string, { config: { contract?: { enforced?: boolean } }; columns: Record<string, { data_type: string | null }> }> };
    for (const report of ['city_report', 'top_prescribers']) {
      const n = manifest.nodes[`model.healthcare.${report}`]!;
      expect(n.config.contract?.enforced).toBe(true);
      expect(Object.values(n.columns).every((c) => !!c.data_type)).toBe(true);
    }
  });

  it('unit tests catch a broken imputation (floor instead of round half up) and a rank instead of a dense rank', () => {
    const stg = join(dir, 'models', 'staging', 'stg_prescribers.sql');
    const top = join(dir, 'models', 'marts', 'top_prescribers.sql');
    const [s0, t0] = [readFileSync(stg, 'utf8'), readFileSync(top, 'utf8')];
    try {
      writeFileSync(stg, s0.replace('round(avg(trx_cnt)', 'floor(avg(trx_cnt)'));
      writeFileSync(top, t0.replace('dense_rank()', 'rank()'));
      const r = tx('test', '--select', 'test_type:unit');
      expect(r.code, r.output).toBe(1);
      expect(r.output).toMatch(/FAIL stg_prescribers_imputes_missing_trx_cnt: unit test of stg_prescribers failed/);
      expect(r.output).toMatch(/FAIL top_prescribers_dense_rank_keeps_ties: unit test of top_prescribers failed: 1 expected row missing/);
      expect(r.output).toMatch(/PASS stg_prescribers_parses_years_of_exp/);
    } finally {
      writeFileSync(stg, s0);
      writeFileSync(top, t0);
    }
  });

  it('a city whose state disagrees with the us_states seed stops city_report before it is built or shipped', () => {
    const seed = join(dir, 'seeds', 'us_states.csv');
    const s0 = readFileSync(seed, 'utf8');
    try {
      expect(s0).toContain('CA,California,West');
      writeFileSync(seed, s0.replace('CA,California,West', 'CA,Californa,West'));
      const before = readdirSync(join(dir, 'output', 'city_report')).length;
      const r = tx('build');
      expect(r.code, r.output).toBe(1);
      expect(r.output).toMatch(/FAIL assert_cities_agree_with_us_states/);
      expect(r.output).toMatch(/SKIP model city_report: skipped because assert_cities_agree_with_us_states failed/);
      // nothing new was exported
      expect(readdirSync(join(dir, 'output', 'city_report')).length).toBe(before);
    } finally {
      writeFileSync(seed, s0);
    }
  });
});
