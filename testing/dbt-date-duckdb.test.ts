/**
 * dbt_date (../shared/dbt/dbt_date, a package that dispatches to DuckDB) installed with `tx deps`
 * as a local package: its date dimension and calendar macros build on embedded DuckDB, and every
 * table equals, value for value (compared as DuckDB's own text of each value), what dbt-core 1.10
 * + dbt-duckdb builds from the same project.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { queryDuckdb, REPO_ROOT, runCli } from './fixture-project.js';
import { provisionDbtCore } from './services/dbt-venvs.js';
import { findPython } from './services/python-venv.js';
import { serviceUnavailable } from './services/require.js';

const noPython = (await findPython()) === null;
if (noPython) serviceUnavailable('python', 'no Python >= 3.8 with venv and ensurepip (TX_TEST_PYTHON) for dbt-core 1.10 + dbt-duckdb');

const FIXTURE = resolve(REPO_ROOT, '..', 'shared', 'dbt', 'dbt_date');
const work = mkdtempSync(join(tmpdir(), 'tx-dbt-date-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const MODELS: Record<string, string> = {
  'dates.sql': "{{ dbt_date.get_date_dimension('2015-01-01', '2016-12-31') }}",
  'date_funcs.sql': [
    'select',
    `  {{ dbt_date.day_name("cast('2024-03-15' as date)") }} as day_name,`,
    `  {{ dbt_date.month_name("cast('2024-03-15' as date)", short=false) }} as month_name,`,
    `  {{ dbt_date.day_of_week("cast('2024-03-15' as date)", isoweek=true) }} as dow,`,
    `  {{ dbt_date.iso_week_of_year("cast('2024-03-15' as date)") }} as iso_week,`,
    `  {{ dbt_date.to_unixtimestamp("cast('2024-03-15 10:00:00' as timestamp)") }} as unix_ts,`,
    '  {{ dbt_date.from_unixtimestamp(1710496800) }} as from_unix,',
    `  {{ dbt_date.n_days_away(3, "cast('2024-03-15' as date)") }} as in_3_days,`,
    `  {{ dbt_date.round_timestamp("cast('2024-03-15 13:00:00' as timestamp)") }} as rounded,`,
    `  {{ dbt_date.week_start("cast('2024-03-15' as date)") }} as week_start,`,
    `  {{ dbt_date.week_end("cast('2024-03-15' as date)") }} as week_end,`,
    `  {{ dbt_date.iso_week_start("cast('2024-03-15' as date)") }} as iso_week_start,`,
    `  {{ dbt.datediff("cast('2024-01-01' as date)", "cast('2024-03-15' as date)", 'week') }} as weeks,`,
    `  {{ dbt.last_day("cast('2024-02-10' as date)", 'month') }} as last_day_feb,`,
    `  {{ dbt.split_part("'a,b,c'", "','", 2) }} as part2,`,
    '  {{ dbt_date.last_month_name(short=true) }} is not null as has_last_month',
  ].join('\n'),
};

function makeProject(dir: string, profile: string | undefined): string {
  cpSync(FIXTURE, join(dir, 'dbt_date'), { recursive: true });
  const app = join(dir, 'app');
  mkdirSync(join(app, 'models'), { recursive: true });
  writeFileSync(join(app, 'dbt_project.yml'), "name: app\nversion: '1.0'\nconfig-version: 2\nprofile: app\nmodels:\n  app:\n    +materialized: table\nvars:\n  'dbt_date:time_zone': 'America/Los_Angeles'\n");
  writeFileSync(join(app, 'packages.yml'), 'packages:\n  - local: ../dbt_date\n');
  for (const [f, text] of Object.entries(MODELS)) writeFileSync(join(app, 'models', f), `${text}\n`);
  if (profile) writeFileSync(join(app, 'profiles.yml'), profile);
  return app;
}

const asText = (t: string) => `select columns(*)::varchar from main.${t} order by all`;

describe.skipIf(noPython)('dbt_date on DuckDB: tx equals dbt-core 1.10 + dbt-duckdb', () => {
  it('get_date_dimension and the calendar macros build the same tables', async () => {
    const txApp = makeProject(join(work, 'tx'), undefined);
    const home = join(work, 'home');
    mkdirSync(home, { recursive: true });
    const env = { HOME: home, DBT_PROFILES_DIR: undefined };
    expect((await runCli(['deps'], { cwd: txApp, env })).code).toBe(0);
    const b = await runCli(['build'], { cwd: txApp, env, timeoutMs: 180_000 });
    expect(b.code, b.output).toBe(0);
    expect(b.output).toMatch(/OK=2 WARN=0 ERROR=0 SKIP=0/);

    const venv = await provisionDbtCore();
    const dbtDb = join(work, 'dbt.duckdb');
    const dbtApp = makeProject(join(work, 'dbt'), `app:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: ${dbtDb}\n      threads: 1\n`);
    for (const args of [['deps'], ['build']]) {
      const r = await run(join(venv.dir, 'bin', 'dbt'), [...args, '--profiles-dir', dbtApp], dbtApp, home);
      expect(r.code, r.output).toBe(0);
    }
    // dbt-duckdb's DuckDB may be newer than tx's: its Python reads its own file
    const script = `import duckdb,json,sys\nc=duckdb.connect(${JSON.stringify(dbtDb)},read_only=True)\nprint(json.dumps({t:c.execute(sys.argv[1].replace('@',t)).fetchall() for t in ['dates','date_funcs']}))`;
    const py = await run(join(venv.dir, 'bin', 'python'), ['-c', script, asText('@')], dbtApp, home);
    expect(py.code, py.output).toBe(0);
    const dbtRows = JSON.parse(py.stdout) as Record<string, (string | null)[][]>;
    for (const t of ['dates', 'date_funcs']) {
      const txRows = (await queryDuckdb(join(txApp, 'app.duckdb'), asText(t))).map((r) => Object.values(r));
      expect(txRows.length, t).toBe(dbtRows[t]!.length);
      expect(txRows, t).toEqual(dbtRows[t]);
    }
    const cols = `select table_name, column_name, data_type from information_schema.columns where table_name in ('dates', 'date_funcs') order by table_name, ordinal_position`;
    const txCols = (await queryDuckdb(join(txApp, 'app.duckdb'), cols)).map((r) => Object.values(r));
    const pyCols = await run(join(venv.dir, 'bin', 'python'), ['-c', `import duckdb,json\nc=duckdb.connect(${JSON.stringify(dbtDb)},read_only=True)\nprint(json.dumps(c.execute(${JSON.stringify(cols)}).fetchall()))`], dbtApp, home);
    expect(txCols).toEqual(JSON.parse(pyCols.stdout));
    expect(readFileSync(join(txApp, 'target', 'run_results.json'), 'utf8')).toContain('model.app.dates');
  }, 600_000);
});

async function run(cmd: string, args: string[], cwd: string, home: string): Promise<{ code: number | null; stdout: string; output: string }> {
  return await new Promise((done, fail) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, HOME: home, DBT_PROFILES_DIR: undefined, DBT_SEND_ANONYMOUS_USAGE_STATS: 'false', DO_NOT_TRACK: '1', NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => ((stdout += d), (output += d)));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 400_000);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, output });
    });
  });
}
