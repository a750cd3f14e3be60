/**
 * A ref() the compile does not see: inside `{% if execute %}` or `is_incremental()`, with a name the
 * template computes (in a singular test, any name), so neither dbt's parse nor tx's capture records
 * the dependency. Then the DAG
 * does not order the two models, and the model could read its parent's previous version (or none).
 * dbt-core refuses it as the model runs (RefBadContextError: "unable to infer all dependencies ...
 * add -- depends_on: {{ ref(...) }}"); so does tx. The same project built by tx and by dbt-core 1.10
 * + dbt-duckdb: the same status for every node, across a first and an incremental second build, and
 * with the `-- depends_on:` hint the same rows.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dbtCoreVenv, dbtEnv, noPythonFor, readArtifact, runDbt, runStatuses, writeProfiles } from './dbt-reference.js';
import { queryDuckdb, runCli, writeFiles } from './fixture-project.js';

const noPython = await noPythonFor('dbt-core 1.10 + dbt-duckdb');
const work = mkdtempSync(join(tmpdir(), 'tx-runtime-refs-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const env = dbtEnv(work);

// a name computed by the template: neither tool sees a literal to record
const computed = "{% set parent = 'a' ~ '' %}";
const files = (withHint: boolean): Record<string, string> => ({
  'dbt_project.yml': "name: rr\nversion: '1.0'\nprofile: rr\nconfig-version: 2\n",
  'models/a.sql': "{{ config(materialized='table') }}\nselect 1 as id union all select 2\n",
  // refers to a only as it runs
  'models/c.sql': `${withHint ? "-- depends_on: {{ ref('a') }}\n" : ''}{{ config(materialized='table') }}\n${computed}\n{% if execute %}\nselect id from {{ ref(parent) }}\n{% else %}\nselect 0 as id\n{% endif %}\n`,
  // a singular test: its refs are what its render calls while compiling, so even a literal one here is unseen
  'tests/a_has_no_negative_ids.sql': `${withHint ? "-- depends_on: {{ ref('a') }}\n" : ''}{% if execute %}\nselect * from {{ ref('a') }} where id < 0\n{% endif %}\n`,
  // refers to a only in its incremental branch (the second build)
  'models/e.sql': `${withHint ? "-- depends_on: {{ ref('a') }}\n" : ''}{{ config(materialized='incremental') }}\n${computed}\nselect 10 as id\n{% if is_incremental() %}\nunion all select id + 100 from {{ ref(parent) }}\n{% endif %}\n`,
});

function project(name: string, withHint: boolean): string {
  const dir = join(work, name);
  writeFiles(dir, files(withHint));
  writeProfiles(dir, `rr:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: ${join(dir, 'rr.duckdb')}\n      threads: 2\n`);
  return dir;
}

/** Each result's message of the last run, by node name. */
function messages(dir: string): Record<string, string> {
  const r = readArtifact<{ results: { unique_id: string; message: string | null }[] }>(dir, 'run_results.json');
  return Object.fromEntries(r.results.map((x) => [x.unique_id.split('.').pop()!, x.message ?? '']));
}

describe.skipIf(noPython)('a ref() seen only as the model runs: tx against dbt-core 1.10 + dbt-duckdb', () => {
  const venv = dbtCoreVenv();
  const dbt = (dir: string, args: string[]) => runDbt(venv(), dir, args, { env });
  const tx = (dir: string, args: string[]) => runCli([...args, '--profiles-dir', dir], { cwd: dir, env });

  it('is refused as it runs, naming the fix, on the first build (execute) and the incremental second (is_incremental)', async () => {
    const txDir = project('tx', false);
    const dbtDir = project('dbt', false);
    const t1 = await tx(txDir, ['build']);
    const d1 = dbt(dbtDir, ['build']);
    // a data test that errors for its project's sake is exit 2 in tx (test-report.ts), dbt says 1
    expect(t1.code, t1.output).toBe(2);
    expect(d1.status, d1.stdout + d1.stderr).toBe(1);
    expect(runStatuses(txDir)).toEqual(runStatuses(dbtDir));
    expect(runStatuses(txDir)).toEqual(['model.rr.a success', 'model.rr.c error', 'model.rr.e success', 'test.rr.a_has_no_negative_ids error']);
    expect(messages(dbtDir).c).toMatch(/unable to infer all dependencies for the model "c"[\s\S]*-- depends_on: \{\{ ref\('a'\) \}\}/);
    expect(messages(txDir).c).toMatch(/model `c` refers to `a` only as it runs[\s\S]*-- depends_on: \{\{ ref\('a'\) \}\}/);
    expect(messages(dbtDir).a_has_no_negative_ids).toMatch(/unable to infer all dependencies for the model "a_has_no_negative_ids"/);
    expect(messages(txDir).a_has_no_negative_ids).toMatch(/test `a_has_no_negative_ids` refers to `a` only as it runs[\s\S]*-- depends_on: \{\{ ref\('a'\) \}\}/);

    const t2 = await tx(txDir, ['build', '--select', 'e']);
    const d2 = dbt(dbtDir, ['build', '--select', 'e']);
    expect(t2.code, t2.output).toBe(1);
    expect(d2.status, d2.stdout + d2.stderr).toBe(1);
    expect(runStatuses(txDir)).toEqual(runStatuses(dbtDir));
    expect(runStatuses(txDir)).toEqual(['model.rr.e error']);
    expect(messages(txDir).e).toMatch(/model `e` refers to `a` only as it runs/);
  }, 300_000);

  it('with the `-- depends_on:` hint both build, in order, to the same rows', async () => {
    const txDir = project('tx-hint', true);
    const dbtDir = project('dbt-hint', true);
    for (let i = 0; i < 2; i++) {
      const t = await tx(txDir, ['build']);
      const d = dbt(dbtDir, ['build']);
      expect(t.code, t.output).toBe(0);
      expect(d.status, d.stdout + d.stderr).toBe(0);
      expect(runStatuses(txDir)).toEqual(runStatuses(dbtDir));
    }
    const ids = async (table: string) => (await queryDuckdb(join(txDir, 'rr.duckdb'), `select id from main.${table} order by id`)).map((r) => Number(r.id));
    // dbt-duckdb's file is read by its own duckdb (a newer storage version than tx's)
    const script = `import duckdb, json\nc = duckdb.connect(${JSON.stringify(join(dbtDir, 'rr.duckdb'))}, read_only=True)\nprint(json.dumps({t: [r[0] for r in c.execute(f'select id from main.{t} order by id').fetchall()] for t in ['c', 'e']}))\n`;
    const dbtRows = JSON.parse(execFileSync(join(venv().dir, 'bin', 'python'), ['-c', script], { encoding: 'utf8' })) as Record<string, number[]>;
    const got = { c: await ids('c'), e: await ids('e') };
    expect(got).toEqual(dbtRows);
    expect(got).toEqual({ c: [1, 2], e: [10, 10, 101, 102] });
  }, 300_000);
});
