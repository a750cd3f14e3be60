/**
 * Generic tests get dbt's names and unique ids (compile/test-names.ts), checked against dbt-core
 * 1.10 itself: `dbt ls` and `tx ls` on the same copies of ../shared/dbt/jaffle_shop (20 tests:
 * accepted_values and relationships spell their arguments out) and of dbt_utils' integration
 * tests (112 tests: package tests, source tests, names of 64 characters and more, expressions,
 * lists and maps as arguments) list the same unique ids and names.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dbtCoreVenv, dbtUtilsIntegrationEnv, noPythonFor, runDbt } from '../../testing/dbt-reference.js';
import { REPO_ROOT, runCli } from '../../testing/fixture-project.js';
import type { Venv } from '../../testing/services/python-venv.js';
import { synthesizeTestNames } from './test-names.js';

const SHARED = resolve(REPO_ROOT, '..', 'shared', 'dbt');
const noPython = await noPythonFor('dbt-core 1.10');

const work = mkdtempSync(join(tmpdir(), 'tx-test-names-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const env = dbtUtilsIntegrationEnv(work, 'dbt_utils_it');

function dbtIds(venv: Venv, dir: string, pre: string[][] = []): string[] {
  const run = (args: string[]) => runDbt(venv, dir, args, { env });
  for (const a of pre) expect(run(a).status, a.join(' ')).toBe(0);
  const r = run(['ls', '--resource-type', 'test', '--output', 'json', '--output-keys', 'unique_id', 'name']);
  expect(r.status, r.stdout + r.stderr).toBe(0);
  return r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { unique_id: string; name: string })
    .map((x) => `${x.unique_id} ${x.name}`)
    .sort();
}

async function txIds(dir: string): Promise<string[]> {
  const r = await runCli(['ls', '--resource-type', 'test', '--output', 'json'], { cwd: dir, env, timeoutMs: 120_000 });
  expect(r.code, r.stderr).toBe(0);
  return r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { unique_id: string; name: string })
    .map((x) => `${x.unique_id} ${x.name}`)
    .sort();
}

describe('synthesized names (dbt rules)', () => {
  it('spells arguments out in sorted order; lists and maps by their values; 64 characters and more get a hash', () => {
    expect(synthesizeTestNames('accepted_values', 'orders', { column_name: 'status', values: ['placed', 'shipped'] })).toEqual({
      full: 'accepted_values_orders_status__placed__shipped',
      short: 'accepted_values_orders_status__placed__shipped',
    });
    expect(synthesizeTestNames('relationships', 'orders', { to: "ref('customers')", field: 'id', column_name: 'customer_id' }).full).toBe('relationships_orders_customer_id__id__ref_customers_');
    const long = synthesizeTestNames('dbt_utils_expression_is_true', 'a_rather_long_model_name', { expression: 'col_a + col_b = col_c and col_d >= 0' });
    expect(long.full).toBe('dbt_utils_expression_is_true_a_rather_long_model_name_col_a_col_b_col_c_and_col_d_0');
    expect(long.short).toMatch(/^dbt_utils_expression_is_true_a_[0-9a-f]{32}$/);
    expect(synthesizeTestNames('t', 'm', { flag: true, n: 5, none: null }).full).toBe('t_m_True__5__None');
  });
});

describe.skipIf(noPython)('unique ids equal dbt-core 1.10\'s', () => {
  const venv = dbtCoreVenv();

  it('jaffle_shop: the 20 tests', async () => {
    const dir = join(work, 'jaffle_shop');
    cpSync(join(SHARED, 'jaffle_shop'), dir, { recursive: true });
    writeFileSync(join(dir, 'profiles.yml'), `jaffle_shop:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: ${JSON.stringify(join(dir, 'dbt.duckdb'))}\n`);
    const dbt = dbtIds(venv(), dir);
    expect(dbt).toHaveLength(20);
    expect(dbt.some((l) => l.startsWith('test.jaffle_shop.accepted_values_orders_status__placed__shipped__completed__return_pending__returned.'))).toBe(true);
    expect(await txIds(dir)).toEqual(dbt);
  }, 600_000);

  it('dbt_utils integration tests: the 112 tests, package and source tests and long names among them', async () => {
    const root = join(work, 'dbt_utils');
    cpSync(join(SHARED, 'dbt_utils'), root, { recursive: true });
    const dir = join(root, 'integration_tests');
    // `dbt deps` installs the local package (../) into dbt_packages/, which tx then reads
    const dbt = dbtIds(venv(), dir, [['deps']]);
    expect(dbt.length).toBeGreaterThanOrEqual(100);
    expect(dbt.some((l) => / dbt_utils_/.test(l))).toBe(true);
    expect(dbt.some((l) => l.split(' ')[1]!.length >= 64)).toBe(true);
    expect(await txIds(dir)).toEqual(dbt);
  }, 600_000);
});
