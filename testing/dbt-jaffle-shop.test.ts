/**
 * A dbt project builds unchanged (issue 12): ../shared/dbt/jaffle_shop, copied as it is into a
 * temporary folder with no profiles.yml anywhere, builds with `tx build` on the embedded DuckDB
 * (28 of 28 nodes: 3 seeds, 5 models, 20 tests). The same copy is then built by dbt-core 1.10
 * with dbt-duckdb (the cached venv ~/.cache/tx/dbt-core; its profiles.yml in a folder of its
 * own, pointing at its own .duckdb file), and every table of the two databases is compared:
 * the same tables, the same column names and types, the same rows in any order.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dedent, fixtureProject, queryDuckdb, REPO_ROOT, runCli, type FixtureProject, type Row, type TxRun } from './fixture-project.js';
import { provisionDbtCore } from './services/dbt-venvs.js';
import { findPython, type Venv } from './services/python-venv.js';
import { serviceUnavailable } from './services/require.js';

const FIXTURE = resolve(REPO_ROOT, '..', 'shared', 'dbt', 'jaffle_shop');
const noPython = (await findPython()) === null;
if (noPython) serviceUnavailable('python', 'no Python >= 3.8 with venv and ensurepip (TX_TEST_PYTHON) for dbt-core 1.10 + dbt-duckdb');

const work = mkdtempSync(join(tmpdir(), 'tx-jaffle-'));
const project = join(work, 'jaffle_shop');
const home = join(work, 'home'); // HOME without ~/.dbt: no profile anywhere
const dbtProfiles = join(work, 'dbt-profiles');
const dbtDb = join(work, 'dbt-profiles', 'dbt.duckdb');
const txDb = join(project, 'jaffle_shop.duckdb');

let tx: TxRun;
afterAll(() => rmSync(work, { recursive: true, force: true }));

beforeAll(async () => {
  cpSync(FIXTURE, project, { recursive: true });
  tx = await runCli(['build'], { cwd: project, env: { HOME: home, DBT_PROFILES_DIR: undefined }, timeoutMs: 180_000 });
}, 200_000);

describe('jaffle_shop, unchanged, with tx', () => {
  it('the fixture is a dbt project with no profiles.yml', () => {
    expect(existsSync(join(FIXTURE, 'dbt_project.yml'))).toBe(true);
    expect(existsSync(join(FIXTURE, 'profiles.yml'))).toBe(false);
    expect(existsSync(join(FIXTURE, 'project.yml'))).toBe(false);
  });

  it('tx build: 28 of 28 nodes pass on the embedded DuckDB, said in one line', () => {
    expect(tx.code, tx.output).toBe(0);
    expect(tx.output).toMatch(/28 nodes/);
    expect(tx.output).toMatch(/OK=28 WARN=0 ERROR=0 SKIP=0/);
    expect(tx.output.match(/no profiles\.yml found.*embedded DuckDB/g)).toHaveLength(1);
    const results = JSON.parse(readFileSync(join(project, 'target', 'run_results.json'), 'utf8')) as { results: { unique_id: string; status: string }[] };
    const kinds = (p: string) => results.results.filter((r) => r.unique_id.startsWith(`${p}.`)).length;
    expect([kinds('seed'), kinds('model'), kinds('test')]).toEqual([3, 5, 20]);
    expect(results.results.every((r) => r.status === 'success' || r.status === 'pass')).toBe(true);
    console.log(`[jaffle_shop] tx build: ${results.results.length} nodes in ${(tx.ms / 1000).toFixed(2)} s wall`);
  });
});

describe.skipIf(noPython)('jaffle_shop: tx equals dbt-core 1.10 + dbt-duckdb', () => {
  let venv: Venv;
  let dbt: { code: number | null; output: string; ms: number };

  beforeAll(async () => {
    venv = await provisionDbtCore();
    mkdirSync(dbtProfiles, { recursive: true });
    writeFileSync(
      join(dbtProfiles, 'profiles.yml'),
      // the venv's duckdb (2.x) writes a newer storage format than @duckdb/node-api 1.5 reads
      `jaffle_shop:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: ${JSON.stringify(dbtDb)}\n      threads: 2\n      config_options: {storage_compatibility_version: v1.5.0}\n`,
    );
    dbt = await runDbt(venv, ['build', '--profiles-dir', dbtProfiles], project);
  }, 590_000);

  it('dbt build passes 28 of 28 on the same copy', () => {
    expect(dbt.code, dbt.output).toBe(0);
    expect(dbt.output).toMatch(/PASS=28 WARN=0 ERROR=0 SKIP=0/);
    console.log(`[jaffle_shop] dbt build (dbt-core ${String(venv.info.dbtCore)}, dbt-duckdb ${String(venv.info.dbtDuckdb)}): 28 nodes in ${(dbt.ms / 1000).toFixed(2)} s wall`);
  });

  it('every table equals dbt\'s: names, column names and types, rows in any order', async () => {
    const tables = async (db: string) =>
      (await queryDuckdb(db, "select table_name, table_type from information_schema.tables where table_schema = 'main' order by table_name")).map((r) => `${String(r.table_name)} ${String(r.table_type)}`);
    const txTables = await tables(txDb);
    expect(txTables).toEqual(await tables(dbtDb));
    expect(txTables).toHaveLength(8);
    for (const entry of txTables) {
      const name = entry.split(' ')[0]!;
      const columns = async (db: string) =>
        (await queryDuckdb(db, `select column_name, data_type from information_schema.columns where table_schema = 'main' and table_name = '${name}' order by ordinal_position`)).map(
          (r) => `${String(r.column_name)} ${String(r.data_type)}`,
        );
      const cols = await columns(txDb);
      expect(cols, name).toEqual(await columns(dbtDb));
      const rows = async (db: string): Promise<string[]> => (await queryDuckdb(db, `select * from main."${name}"`)).map(canonical).sort();
      const txRows = await rows(txDb);
      expect(txRows.length, name).toBeGreaterThan(0);
      expect(txRows, name).toEqual(await rows(dbtDb));
    }
  });
});

describe('dbt projects through the CLI', () => {
  const made: FixtureProject[] = [];
  afterAll(() => {
    for (const f of made) f.cleanup();
  });
  const dbtProject = (files: Record<string, string>): FixtureProject => {
    const fx = fixtureProject(files);
    made.push(fx);
    return fx;
  };
  const noProfile = { env: { HOME: home, DBT_PROFILES_DIR: undefined } };

  it('seeds typed as dbt types them, `null` read as null; a templated +enabled renders with --vars only, as dbt renders dbt_project.yml', async () => {
    const fx = dbtProject({
      'dbt_project.yml': dedent(`
        name: shop
        vars: {load_extra: false}
        models:
          shop:
            extra:
              +enabled: "{{ var('load_extra', true) }}"
      `),
      'seeds/s.csv': 'id,price,day,name,flag\n1,1.5,2020-01-02,a,true\nnull,2,2020-01-03,null,false\n',
      'models/base.sql': "select * from {{ ref('s') }}",
      'models/extra/more.sql': "select 1 as x",
    });
    // --vars reach dbt_project.yml's templates: `more` is disabled
    const r = await fx.txWith(noProfile, 'build', '--vars', '{load_extra: false}');
    expect(r.code, r.output).toBe(0);
    const cols = await fx.query("select column_name, data_type from information_schema.columns where table_name = 's' order by ordinal_position");
    expect(cols.map((c) => `${String(c.column_name)} ${String(c.data_type)}`)).toEqual(['id INTEGER', 'price DOUBLE', 'day DATE', 'name VARCHAR', 'flag BOOLEAN']);
    expect(await fx.query('select count(*) as n from main.s where id is null and name is null')).toEqual([{ n: 1 }]);
    expect(await fx.query("select count(*) as n from information_schema.tables where table_name = 'more'")).toEqual([{ n: 0 }]);
    // the project's own vars are not visible in dbt_project.yml (dbt renders it with --vars only): the default, true
    const again = await fx.txWith(noProfile, 'build');
    expect(again.code, again.output).toBe(0);
    expect(await fx.query('select x from main.more')).toEqual([{ x: 1 }]);
  });

  it('bad input: both project files, a typo\'d key, a range without 1.10: exit 2 naming the file, nothing built', async () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ 'dbt_project.yml': 'name: fx\n', 'project.yml': 'name: fx\n' }, /holds both project\.yml and dbt_project\.yml/],
      [{ 'dbt_project.yml': 'name: fx\nseed-path: [seeds]\n' }, /dbt_project\.yml:2: unknown key `seed-path` in dbt_project\.yml\n\s+hint: did you mean `seed-paths`/],
      [{ 'dbt_project.yml': 'name: fx\nrequire-dbt-version: ">=1.11.0"\n' }, /dbt_project\.yml:2: require-dbt-version .* excludes dbt 1\.10/],
    ];
    for (const [files, message] of cases) {
      const fx = dbtProject({ ...files, 'models/a.sql': 'select 1 as id' });
      const r = await fx.txWith(noProfile, 'build');
      expect(r.code, r.output).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(fx.exists('fx.duckdb')).toBe(false);
    }
  });

  it('properties for a model that does not exist: a note and the rest builds, as dbt warns', async () => {
    const fx = dbtProject({
      'dbt_project.yml': 'name: fx\n',
      'models/a.sql': 'select 1 as id',
      'models/schema.yml': 'version: 2\nmodels:\n  - name: gone\n    columns: [{name: id, tests: [not_null]}]\n  - name: a\n    columns: [{name: id, tests: [unique]}]\n',
    });
    const r = await fx.txWith(noProfile, 'build');
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/models\/schema\.yml:3: properties describe model `gone`, but no gone\.sql exists: ignored, as dbt does/);
    expect(r.output).toMatch(/OK=2 /);
  });

  it('a profiles.yml found with --profiles-dir: its duckdb output is the target', async () => {
    const fx = dbtProject({ 'dbt_project.yml': 'name: fx\nprofile: p\n', 'models/a.sql': 'select 1 as id' });
    fx.write({ 'prof/profiles.yml': 'p:\n  target: dev\n  outputs:\n    dev: {type: duckdb, path: other.duckdb}\n' });
    const r = await fx.txWith(noProfile, 'build', '--profiles-dir', fx.path('prof'));
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/using profile `p` from .*profiles\.yml \(default target `dev`\)/);
    expect(await fx.query('select id from main.a', fx.path('other.duckdb'))).toEqual([{ id: 1 }]);
    // a target the profile does not have: exit 2 naming profiles.yml
    const bad = await fx.txWith(noProfile, 'build', '--profiles-dir', fx.path('prof'), '--target', 'prd');
    expect(bad.code, bad.output).toBe(2);
    expect(bad.stderr).toMatch(/profiles\.yml: unknown target `prd`/);
  });
});

/** A row as a string that compares equal exactly when the values are equal. */
function canonical(r: Row): string {
  return JSON.stringify(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? `${v}n` : v instanceof Date ? v.toISOString() : v === null ? null : typeof v === 'object' ? String(v) : v]));
}

async function runDbt(venv: Venv, args: string[], cwd: string): Promise<{ code: number | null; output: string; ms: number }> {
  const t0 = performance.now();
  return await new Promise((done, fail) => {
    const child = spawn(join(venv.dir, 'bin', 'dbt'), args, {
      cwd,
      env: { ...process.env, HOME: home, DBT_PROFILES_DIR: undefined, DBT_SEND_ANONYMOUS_USAGE_STATS: 'false', DO_NOT_TRACK: '1', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, output, ms: performance.now() - t0 });
    });
  });
}
