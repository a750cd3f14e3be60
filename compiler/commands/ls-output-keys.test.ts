/**
 * `tx ls --output json --output-keys ...` prints what dbt-core 1.10's `dbt ls` prints for the same
 * flags (commands/ls-output-keys.ts), checked against dbt itself on copies of
 * ../shared/dbt/jaffle_shop and of dbt_utils' integration tests (238 nodes: models, seeds, sources,
 * generic tests with long names, package tests, a seed's post-hook, tests that ref() other nodes):
 * the same lines, byte for byte, in the same order, for the keys tools ask for (Cosmos' `dbt ls`
 * load mode asks for these). `depends_on` is compared whole, nodes and macros, but for the nodes
 * STATIC_MACROS names (their macros are compared in manifest-macros-dbt.test.ts).
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dbtCoreVenv, dbtUtilsIntegrationEnv, noPythonFor, runDbt } from '../../testing/dbt-reference.js';
import { REPO_ROOT, runCli } from '../../testing/fixture-project.js';

const SHARED = resolve(REPO_ROOT, '..', 'shared', 'dbt');
const noPython = await noPythonFor('dbt-core 1.10');

const work = mkdtempSync(join(tmpdir(), 'tx-ls-output-keys-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const env = dbtUtilsIntegrationEnv(work, 'dbt_utils_ls');

/** The keys Cosmos asks for, and the rest of dbt ls's default keys. */
const KEYS = ['name', 'unique_id', 'resource_type', 'original_file_path', 'tags', 'config', 'package_name', 'alias', 'source_name'];

/**
 * dbt_utils' integration-test nodes whose depends_on.macros tx's reading of the text cannot give
 * as dbt's parse-time render does: it lists calls inside a loop over values a query returns, or a
 * branch under `{% if execute %}`, which dbt's render never runs at parse time.
 */
const STATIC_MACROS = new Set([
  'model.dbt_utils_integration_tests.test_get_column_values',
  'model.dbt_utils_integration_tests.test_get_column_values_where',
  'test.dbt_utils_integration_tests.assert_get_query_results_as_dict_objects_equal',
]);

const jsonLines = (stdout: string): string[] => stdout.split('\n').filter((l) => l.startsWith('{'));

async function txLs(dir: string, args: string[]): Promise<string> {
  const r = await runCli(['ls', '-q', ...args], { cwd: dir, env, timeoutMs: 120_000 });
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

describe.skipIf(noPython)("dbt ls's JSON lines, as dbt-core 1.10 prints them", () => {
  const venv = dbtCoreVenv();
  const dbtLs = (dir: string, args: string[]): string => {
    const r = runDbt(venv(), dir, ['ls', ...args], { env });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    return r.stdout;
  };

  async function expectSame(dir: string, minLines: number, staticMacros: ReadonlySet<string> = new Set()): Promise<void> {
    const keys = ['--output', 'json', '--output-keys', ...KEYS];
    const dbt = jsonLines(dbtLs(dir, keys));
    expect(dbt.length).toBeGreaterThanOrEqual(minLines);
    // every line as dbt writes it: keys in dbt's order, Python's separators, the same config
    expect(jsonLines(await txLs(dir, keys))).toEqual(dbt);
    // the nodes each depends on, in dbt's order (a test's ref()'d arguments before the node it
    // tests), and the macros its template calls
    const deps = (lines: string[]) =>
      lines
        .map((l) => JSON.parse(l) as { unique_id: string; depends_on?: { nodes?: string[]; macros?: string[] } })
        .map((x) => [x.unique_id, x.depends_on?.nodes ?? null, staticMacros.has(x.unique_id) ? 'not compared' : x.depends_on?.macros ?? null]);
    const depKeys = ['--output', 'json', '--output-keys', 'unique_id', 'depends_on'];
    expect(deps(jsonLines(await txLs(dir, depKeys)))).toEqual(deps(jsonLines(dbtLs(dir, depKeys))));
  }

  it('jaffle_shop: models, seeds and tests', async () => {
    const dir = join(work, 'jaffle_shop');
    cpSync(join(SHARED, 'jaffle_shop'), dir, { recursive: true });
    writeFileSync(join(dir, 'profiles.yml'), `jaffle_shop:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: ${JSON.stringify(join(dir, 'dbt.duckdb'))}\n`);
    await expectSame(dir, 28);
  }, 600_000);

  it("dbt_utils' integration tests: package and source tests, long names, hooks, several refs", async () => {
    const root = join(work, 'dbt_utils');
    cpSync(join(SHARED, 'dbt_utils'), root, { recursive: true });
    const dir = join(root, 'integration_tests');
    // `dbt deps` installs the local package (../) into dbt_packages/, which tx then reads
    expect(runDbt(venv(), dir, ['deps'], { env }).status).toBe(0);
    await expectSame(dir, 200, STATIC_MACROS);
    // a key no node has is left out, as dbt leaves it out; without --output json the keys change nothing
    const one = ['--select', 'test_width_bucket', '--resource-type', 'model'];
    const names = jsonLines(await txLs(dir, [...one, '--output', 'json', '--output-keys', 'name', 'no_such_key']));
    expect(names).toEqual(jsonLines(dbtLs(dir, [...one, '--output', 'json', '--output-keys', 'name', 'no_such_key'])));
    expect(names).toEqual(['{"name": "test_width_bucket"}']);
    expect(await txLs(dir, [...one, '--output-keys', 'name'])).toBe(await txLs(dir, one));
  }, 600_000);
});
