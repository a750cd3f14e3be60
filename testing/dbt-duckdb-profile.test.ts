/**
 * dbt-duckdb's profile keys `extensions` and `attach` (issue 12): a duckdb output that loads the
 * json extension and attaches another DuckDB file read-only under an alias builds a model reading
 * `other.main.people`; tx and dbt-core 1.10 + dbt-duckdb build the same rows (dbt's copy without
 * `extensions`: dbt-duckdb downloads them, and this machine is offline). A bad `attach`
 * entry is an error naming profiles.yml.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryDuckdb, runCli, writeFiles, type Row, type TxRun } from './fixture-project.js';
import { provisionDbtCore } from './services/dbt-venvs.js';
import { findPython, type Venv } from './services/python-venv.js';
import { serviceUnavailable } from './services/require.js';

const noPython = (await findPython()) === null;
if (noPython) serviceUnavailable('python', 'no Python >= 3.8 with venv (TX_TEST_PYTHON) for dbt-core 1.10 + dbt-duckdb');

const work = mkdtempSync(join(tmpdir(), 'tx-duckprof-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const env = { HOME: join(work, 'home'), DBT_PROFILES_DIR: undefined, DBT_SEND_ANONYMOUS_USAGE_STATS: 'false', DO_NOT_TRACK: '1', NO_COLOR: '1' };
const otherDb = join(work, 'source', 'source.duckdb');
mkdirSync(env.HOME, { recursive: true }); // DuckDB's INSTALL needs a home folder

const profile = (db: string, extensions: boolean, attach = `        - path: ${JSON.stringify(otherDb)}\n          alias: other\n          read_only: true\n`) =>
  `att:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: ${JSON.stringify(db)}\n      threads: 1\n${extensions ? '      extensions: [json]\n' : ''}      config_options: {storage_compatibility_version: v1.5.0}\n      attach:\n${attach}`;
function copyOf(name: string, attach?: string, extensions = true): { dir: string; db: string } {
  const dir = join(work, name);
  const db = join(dir, 'att.duckdb');
  writeFiles(dir, {
    'dbt_project.yml': "name: att\nversion: '1.0'\nconfig-version: 2\nprofile: att\nmodels:\n  att:\n    +materialized: table\n",
    'models/people_json.sql': 'select id, name, to_json(name) as j, json_extract_string(to_json(id), \'$\') as s from other.main.people\n',
    'profiles.yml': profile(db, extensions, attach),
  });
  return { dir, db };
}
const rows = async (db: string) => (await queryDuckdb(db, 'select * from main.people_json order by id')).map((r: Row) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)));

const tx = copyOf('tx');
let build: TxRun;
beforeAll(async () => {
  // the attached file: built by tx from a tiny project of its own
  writeFiles(join(work, 'source'), { 'project.yml': 'name: source\n', 'models/people.sql': "select * from (values (1, 'ann'), (2, 'bob')) t(id, name)\n" });
  const src = await runCli(['build'], { cwd: join(work, 'source'), env });
  expect(src.code, src.output).toBe(0);
  build = await runCli(['build'], { cwd: tx.dir, env, timeoutMs: 180_000 });
}, 240_000);

describe('extensions and attach with tx', () => {
  it('the model reads the attached database with the json extension loaded', async () => {
    expect(build.code, build.output).toBe(0);
    expect(build.output).not.toMatch(/`dev\.attach`|`dev\.extensions`/);
    expect(await rows(tx.db)).toEqual(['{"id":1,"name":"ann","j":"\\"ann\\"","s":"1"}', '{"id":2,"name":"bob","j":"\\"bob\\"","s":"2"}']);
  });

  it('an extension DuckDB cannot load: the build fails naming it', async () => {
    const bad = copyOf('badext');
    writeFiles(bad.dir, { 'profiles.yml': profile(bad.db, true).replace('[json]', '[nosuchext]') });
    const r = await runCli(['build'], { cwd: bad.dir, env });
    expect(r.code, r.output).not.toBe(0);
    expect(r.output).toMatch(/cannot load DuckDB extension nosuchext/);
  });

  it('an attach entry without a path: exit 2 naming profiles.yml, nothing built', async () => {
    const bad = copyOf('bad', '        - alias: other\n');
    const r = await runCli(['build'], { cwd: bad.dir, env });
    expect(r.code, r.output).toBe(2);
    expect(r.stderr).toMatch(/profiles\.yml:\d+: output `dev` of profile `att`: attach entry 1 needs a `path`/);
    await expect(queryDuckdb(bad.db, 'select 1')).rejects.toThrow(/no DuckDB file/);
  });
});

describe.skipIf(noPython)('extensions and attach: tx equals dbt-core 1.10 + dbt-duckdb', () => {
  let venv: Venv;
  // dbt-duckdb INSTALLs every listed extension, which downloads it even when it is built in (and this
  // machine is offline): dbt's copy lists none; the json functions are built into its DuckDB
  const dbt = copyOf('dbt', undefined, false);
  beforeAll(async () => {
    venv = await provisionDbtCore();
  }, 590_000);

  it('dbt build reads the same attached file: the same rows', async () => {
    const r = spawnSync(join(venv.dir, 'bin', 'dbt'), ['build', '--profiles-dir', dbt.dir], { cwd: dbt.dir, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 300_000 });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const mine = await rows(tx.db);
    expect(mine).toHaveLength(2);
    expect(mine).toEqual(await rows(dbt.db));
  }, 300_000);
});
