/**
 * A dbt package's unit tests (issue 12): declared in the package's properties files, they test
 * the package's model (rendered with the package's macros unprefixed), get dbt's ids
 * (`unit_test.<package>.<model>.<name>`) and run in `tx build` before the model, as dbt-core 1.10
 * runs them. tx and dbt + dbt-duckdb build copies of the same project: `tx ls` and `dbt ls` list
 * the same ids, each with the same package_name and original_file_path (a package's file relative
 * to the package's folder, also in `ls --output path`), and run_results.json gives every node the same status, also when the package's
 * unit test fails (its model is skipped, the root's model after it too).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dbtCoreVenv, dbtEnv, lsIds, noPythonFor, readArtifact, runDbt, runStatuses } from './dbt-reference.js';
import { dedent, runCli, writeFiles } from './fixture-project.js';

const noPython = await noPythonFor('dbt-core 1.10 + dbt-duckdb');

const work = mkdtempSync(join(tmpdir(), 'tx-pkg-unit-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const env = dbtEnv(work);

const UNIT = (expected: number) =>
  dedent(`
    version: 2
    unit_tests:
      - name: doubles_x
        model: pkg_doubled
        given:
          - input: ref('pkg_numbers')
            rows:
              - {id: 1, x: 2}
              - {id: 2, x: 5}
        expect:
          rows:
            - {id: 1, x2: 4}
            - {id: 2, x2: ${expected}}
  `);

const PACKAGE = {
  'dbt_project.yml': "name: upkg\nversion: '1.0'\nconfig-version: 2\nmodels:\n  upkg:\n    +materialized: table\n",
  'seeds/pkg_numbers.csv': 'id,x\n1,3\n2,4\n',
  'macros/double.sql': '{% macro double(col) %}({{ col }} * 2){% endmacro %}\n',
  'models/pkg_doubled.sql': "select id, {{ double('x') }} as x2 from {{ ref('pkg_numbers') }}\n",
  'models/unit.yml': UNIT(10),
  'models/schema.yml': 'version: 2\nmodels:\n  - name: pkg_doubled\n    columns:\n      - name: x2\n        data_tests: [not_null]\n',
};

const ROOT = (db: string) => ({
  'dbt_project.yml': "name: uroot\nversion: '1.0'\nconfig-version: 2\nprofile: uroot\n",
  'profiles.yml': `uroot:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: ${JSON.stringify(db)}\n      threads: 1\n`,
  'packages.yml': 'packages:\n  - local: ../upkg\n',
  'models/total.sql': "select sum(x2) as total from {{ ref('pkg_doubled') }}\n",
  'models/unit.yml': dedent(`
    version: 2
    unit_tests:
      - name: sums
        model: total
        given:
          - input: ref('pkg_doubled')
            rows: [{x2: 1}, {x2: 2}]
        expect:
          rows: [{total: 3}]
  `),
});

function copyOf(name: string): string {
  const base = join(work, name);
  writeFiles(join(base, 'upkg'), PACKAGE);
  writeFiles(join(base, 'root'), ROOT(join(base, `${name}.duckdb`)));
  return join(base, 'root');
}


describe.skipIf(noPython)("a package's unit tests: tx against dbt-core 1.10 + dbt-duckdb", () => {
  const venv = dbtCoreVenv();
  const dbt = (dir: string, args: string[]) => runDbt(venv(), dir, args, { env });

  it('the package\'s unit test is listed with dbt\'s id and passes; every node\'s status equals dbt\'s', async () => {
    const txDir = copyOf('tx');
    const dbtDir = copyOf('dbt');
    expect((await runCli(['deps'], { cwd: txDir, env })).code).toBe(0);
    const ls = await runCli(['ls', '--output', 'json'], { cwd: txDir, env });
    expect(ls.code, ls.output).toBe(0);
    expect(dbt(dbtDir, ['deps']).status).toBe(0);
    const dls = dbt(dbtDir, ['ls', '--output', 'json', '--output-keys', 'unique_id']);
    expect(dls.status, dls.stdout + dls.stderr).toBe(0);
    expect(lsIds(ls.stdout)).toEqual(lsIds(dls.stdout));
    expect(lsIds(ls.stdout)).toContain('unit_test.upkg.pkg_doubled.doubles_x');
    // each node's file as dbt ls names it: a package's relative to the package's folder
    const fileOf = (stdout: string) =>
      stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { unique_id: string; original_file_path: string; package_name: string })
        .map((x) => `${x.unique_id} ${x.package_name} ${x.original_file_path}`)
        .sort();
    const dfiles = dbt(dbtDir, ['ls', '--output', 'json']);
    expect(dfiles.status, dfiles.stdout + dfiles.stderr).toBe(0);
    expect(fileOf(ls.stdout)).toEqual(fileOf(dfiles.stdout));
    expect(fileOf(ls.stdout)).toContain('model.upkg.pkg_doubled upkg models/pkg_doubled.sql');
    const paths = await runCli(['ls', '--output', 'path'], { cwd: txDir, env });
    const dpaths = dbt(dbtDir, ['ls', '--output', 'path', '--quiet']);
    const lines = (t: string) => t.split('\n').filter((l) => /\.(sql|yml|csv)$/.test(l)).sort();
    expect(lines(paths.stdout)).toEqual(lines(dpaths.stdout));
    expect(lines(paths.stdout)).not.toContain('dbt_packages/upkg/models/pkg_doubled.sql');

    const b = await runCli(['build'], { cwd: txDir, env });
    expect(b.code, b.output).toBe(0);
    const d = dbt(dbtDir, ['build']);
    expect(d.status, d.stdout + d.stderr).toBe(0);
    expect(runStatuses(txDir)).toEqual(runStatuses(dbtDir));
    expect(runStatuses(txDir)).toContain('unit_test.upkg.pkg_doubled.doubles_x pass');
    const manifest = readArtifact<{ unit_tests: Record<string, { package_name: string; original_file_path: string }> }>(txDir);
    const dm = readArtifact<typeof manifest>(dbtDir);
    const pick = (m: typeof manifest) => {
      const u = m.unit_tests['unit_test.upkg.pkg_doubled.doubles_x']!;
      return { package_name: u.package_name, original_file_path: u.original_file_path };
    };
    expect(pick(manifest)).toEqual(pick(dm));
  }, 300_000);

  it('a failing package unit test: its model and the root model after it are skipped, as dbt does', async () => {
    const txDir = copyOf('tx-fail');
    const dbtDir = copyOf('dbt-fail');
    for (const dir of [txDir, dbtDir]) writeFileSync(join(dir, '..', 'upkg', 'models', 'unit.yml'), UNIT(11));
    expect((await runCli(['deps'], { cwd: txDir, env })).code).toBe(0);
    const b = await runCli(['build'], { cwd: txDir, env });
    expect(b.code, b.output).toBe(1);
    expect(b.output).toMatch(/doubles_x/);
    expect(dbt(dbtDir, ['deps']).status).toBe(0);
    const d = dbt(dbtDir, ['build']);
    expect(d.status).toBe(1);
    expect(runStatuses(txDir)).toEqual(runStatuses(dbtDir));
    expect(runStatuses(txDir)).toContain('unit_test.upkg.pkg_doubled.doubles_x fail');
    expect(runStatuses(txDir)).toContain('model.upkg.pkg_doubled skipped');
  }, 300_000);
});

describe("a package's unit tests: bad input", () => {
  it('a package unit test naming a model that does not exist: exit 2 naming the package file', async () => {
    const dir = copyOf('bad-model');
    writeFileSync(join(dir, '..', 'upkg', 'models', 'unit.yml'), UNIT(10).replace('model: pkg_doubled', 'model: pkg_doubeld'));
    expect((await runCli(['deps'], { cwd: dir, env })).code).toBe(0);
    const r = await runCli(['build'], { cwd: dir, env });
    expect(r.code, r.output).toBe(2);
    expect(r.output).toMatch(/dbt_packages\/upkg\/models\/unit\.yml/);
    expect(r.output).toMatch(/pkg_doubeld/);
    expect(r.output).toMatch(/pkg_doubled/);
  });
});
