/**
 * dbt packages, dispatch and run-time introspection (issue 12):
 *  - dbt-labs' dbt_utils integration tests, copied unchanged, `tx deps && tx build --target postgres`
 *    on a fresh PostgreSQL database (dbt-core 1.10 + dbt-postgres: PASS=237 of 237, see
 *    ../shared/dbt/README.md);
 *  - dispatch's search order, `tx deps` errors, run_query at run time, on embedded DuckDB.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './fixture-project.js';
import { createTestDatabase, startPostgres, type PostgresService, type TestDatabase } from './services/postgres.js';

const SHARED = join(import.meta.dirname, '..', '..', 'shared', 'dbt');
const dirs: string[] = [];
const tmp = (p: string) => {
  const d = mkdtempSync(join(tmpdir(), p));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function project(files: Record<string, string>): string {
  const d = tmp('tx-dbt-pkg-');
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(join(d, f, '..'), { recursive: true });
    writeFileSync(join(d, f), text);
  }
  return d;
}

describe('dbt_utils integration tests on PostgreSQL', () => {
  let svc: PostgresService;
  let db: TestDatabase;
  beforeAll(async () => {
    svc = await startPostgres();
    db = await createTestDatabase(svc, 'tx_dbt_utils');
  }, 120_000);
  afterAll(async () => {
    await db?.drop().catch(() => undefined);
    await svc?.stop();
  });

  it('tx deps installs the local package and tx build runs every node', async () => {
    const root = tmp('tx-dbt-utils-');
    cpSync(join(SHARED, 'dbt_utils'), join(root, 'dbt_utils'), { recursive: true });
    const dir = join(root, 'dbt_utils', 'integration_tests');
    const env = {
      POSTGRES_HOST: svc.host,
      POSTGRES_PORT: String(svc.port),
      POSTGRES_USER: svc.user,
      DBT_ENV_SECRET_POSTGRES_PASS: new URL(svc.url).password || 'unused-password',
      POSTGRES_DATABASE: db.name,
      POSTGRES_SCHEMA: 'dbt_utils_it',
      DBT_PROFILES_DIR: dir,
    };
    const deps = await runCli(['deps', '--project-dir', dir], { cwd: dir, env });
    expect(deps.code, deps.output).toBe(0);
    expect(deps.stdout).toContain('installed dbt_utils');
    const t0 = performance.now();
    const build = await runCli(['build', '--project-dir', dir, '--target', 'postgres'], { cwd: dir, env, timeoutMs: 500_000 });
    const seconds = (performance.now() - t0) / 1000;
    const m = /Finished build of (\d+) nodes.*OK=(\d+) WARN=(\d+) ERROR=(\d+) SKIP=(\d+)/.exec(build.output);
    expect(m, build.output.slice(-3000)).not.toBeNull();
    const [total, ok, , error, skip] = m!.slice(1).map(Number) as [number, number, number, number, number];
    console.log(`dbt_utils integration tests with tx: ${ok} of ${total} pass, ${error} error, ${skip} skipped, ${seconds.toFixed(1)} s (dbt-core 1.10: 237 of 237, 18.5 s)`);
    // dbt-core 1.10 + dbt-postgres (../shared/dbt/README.md): 75 seeds, 50 models, 112 tests, PASS=237 of 237.
    // tx also lists the one ephemeral model as a node (inlined where used), which dbt does not run: 238.
    const count = (re: RegExp) => build.output.split('\n').filter((l) => re.test(l)).length;
    expect({ seeds: count(/^\d+ of \d+ OK loaded seed /), models: count(/^\d+ of \d+ OK created /), tests: count(/^\d+ of \d+ PASS /) }).toEqual({ seeds: 75, models: 50, tests: 112 });
    expect({ error, skip, ok }).toEqual({ error: 0, skip: 0, ok: total });
    expect(build.code, build.output.slice(-3000)).toBe(0);
  }, 600_000);
});

describe('dispatch, deps and run_query on DuckDB', () => {
  const pkg = {
    'pkg/dbt_project.yml': 'name: pkg\nversion: "1.0"\nconfig-version: 2\n',
    'pkg/macros/greet.sql': [
      "{% macro greet() %}{{ return(adapter.dispatch('greet', 'pkg')()) }}{% endmacro %}",
      "{% macro default__greet() %}'default'{% endmacro %}",
      "{% macro duckdb__greet() %}'pkg duckdb'{% endmacro %}",
      "{% macro helper() %}'helper'{% endmacro %}",
      "{% macro uses_helper() %}{{ helper() }}{% endmacro %}",
    ].join('\n'),
  };
  const root = (extra: Record<string, string>) =>
    project({
      ...pkg,
      'app/dbt_project.yml': 'name: app\nversion: "1.0"\nconfig-version: 2\nprofile: none\n' + (extra['dispatch'] ?? ''),
      'app/packages.yml': 'packages:\n  - local: ../pkg\n',
      'app/models/m.sql': "select {{ pkg.greet() }} as g, {{ pkg.uses_helper() }} as h, {{ dbt.dateadd('day', 1, \"date '2024-01-31'\") }} as d",
      ...Object.fromEntries(Object.entries(extra).filter(([k]) => k !== 'dispatch')),
    });

  it('dispatch takes the adapter prefix, then the root project when dispatch: names it', async () => {
    const d = root({});
    const app = join(d, 'app');
    expect((await runCli(['deps', '--project-dir', app], { cwd: app })).code).toBe(0);
    expect((await runCli(['build', '--project-dir', app], { cwd: app })).code).toBe(0);
    const r = await runCli(['show', '--project-dir', app, '--select', 'm', '--output', 'json'], { cwd: app });
    expect(r.code, r.output).toBe(0);
    expect(r.stdout).toContain('pkg duckdb');
    expect(r.stdout).toContain('helper');
    expect(r.stdout).toContain('2024-02-01');

    const d2 = root({
      dispatch: 'dispatch:\n  - macro_namespace: pkg\n    search_order: [app, pkg]\n',
      'app/macros/override.sql': "{% macro default__greet() %}'root default'{% endmacro %}",
    });
    const app2 = join(d2, 'app');
    expect((await runCli(['deps', '--project-dir', app2], { cwd: app2 })).code).toBe(0);
    expect((await runCli(['build', '--project-dir', app2], { cwd: app2 })).code).toBe(0);
    const r2 = await runCli(['show', '--project-dir', app2, '--select', 'm', '--output', 'json'], { cwd: app2 });
    expect(r2.code, r2.output).toBe(0);
    // the root's default__ comes before the package's duckdb__: the search order is by package first
    expect(r2.stdout).toContain('root default');
  }, 120_000);

  it('a package not installed, a hub package and a missing local folder are clear errors', async () => {
    const d = root({});
    const app = join(d, 'app');
    const notInstalled = await runCli(['build', '--project-dir', app], { cwd: app });
    expect(notInstalled.code).toBe(2);
    expect(notInstalled.output).toMatch(/packages\.yml lists 1 package, but 0 are installed[\s\S]*tx deps/);

    writeFileSync(join(app, 'packages.yml'), 'packages:\n  - package: dbt-labs/dbt_utils\n    version: [">=1.0.0"]\n');
    // a hub that cannot be reached (a closed port on this machine; tests reach no other address)
    const hub = await runCli(['deps', '--project-dir', app], { cwd: app, env: { DBT_PACKAGE_HUB_URL: 'http://127.0.0.1:9/' } });
    expect(hub.code).toBe(2);
    expect(hub.output).toContain('dbt-labs/dbt_utils');
    expect(hub.output).toMatch(/cannot reach the dbt package hub at http:\/\/127\.0\.0\.1:9\/api\/v1\/index\.json/);
    expect(hub.output).toMatch(/vendor/);

    writeFileSync(join(app, 'packages.yml'), 'packages:\n  - local: ../nowhere\n');
    const missing = await runCli(['deps', '--project-dir', app], { cwd: app });
    expect(missing.code).toBe(2);
    expect(missing.output).toContain('../nowhere');
  }, 120_000);

  it('run_query runs at build time, in DAG order, with execute true', async () => {
    const d = root({
      'app/models/source_rows.sql': 'select 1 as n union all select 2 union all select 3',
      'app/models/counted.sql': [
        "{% set r = run_query('select count(*) as c from ' ~ ref('source_rows')) %}",
        '{% if execute %}select {{ r.columns[0].values()[0] }} as c{% else %}select 0 as c{% endif %}',
      ].join('\n'),
    });
    const app = join(d, 'app');
    expect((await runCli(['deps', '--project-dir', app], { cwd: app })).code).toBe(0);
    const b = await runCli(['build', '--project-dir', app], { cwd: app });
    expect(b.code, b.output).toBe(0);
    const s = await runCli(['show', '--project-dir', app, '--select', 'counted', '--output', 'json'], { cwd: app });
    expect(s.stdout, s.output).toMatch(/"c":\s*"?3"?/);
  }, 120_000);

  it('a unit test takes its input columns and types from the warehouse when the yml declares none', async () => {
    const d = project({
      'app/dbt_project.yml': 'name: app\nversion: "1.0"\nconfig-version: 2\nprofile: none\n',
      'app/models/orders.sql': "select 1 as id, 'open' as status, cast(12.5 as double) as amount, date '2024-01-02' as ordered_at",
      'app/models/open_orders.sql': "select id, amount, ordered_at from {{ ref('orders') }} where status = 'open' or status is null",
      'app/models/unit.yml': [
        'unit_tests:',
        '  - name: keeps_open_and_unknown',
        '    model: open_orders',
        '    given:',
        "      - input: ref('orders')",
        '        rows:',
        "          - {id: 1, status: open}",
        "          - {id: 2, status: closed}",
        '          - {id: 3}',
        '    expect:',
        '      rows:',
        '        - {id: 1, amount: null}',
        '        - {id: 3, amount: null}',
      ].join('\n'),
    });
    const app = join(d, 'app');
    // the rows name neither amount nor ordered_at, and nothing declares them: they come from the built orders
    const b = await runCli(['build', '--project-dir', app], { cwd: app });
    expect(b.code, b.output).toBe(0);
    expect(b.output).toMatch(/PASS keeps_open_and_unknown/);
    const script = readFileSync(join(app, 'target', 'run', 'app', 'unit_tests', 'open_orders', 'keeps_open_and_unknown.sql'), 'utf8');
    expect(script).toMatch(/ordered_at/);
    expect(script.toLowerCase()).toMatch(/date/);
  }, 120_000);

  it('a git package from a local bare repository installs at a revision; a cycle and a dispatch nobody answers are clear errors', async () => {
    const d = root({});
    const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, stdio: 'pipe', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } });
    const pkgDir = join(d, 'pkg');
    git(pkgDir, 'init', '-q');
    git(pkgDir, 'add', '.');
    git(pkgDir, 'commit', '-q', '-m', 'v1');
    git(pkgDir, 'tag', 'v1');
    writeFileSync(join(pkgDir, 'macros', 'greet.sql'), "{% macro greet() %}'changed after v1'{% endmacro %}");
    git(pkgDir, 'commit', '-q', '-am', 'v2');
    execFileSync('git', ['clone', '-q', '--bare', pkgDir, join(d, 'pkg.git')]);
    const app = join(d, 'app');
    writeFileSync(join(app, 'packages.yml'), `packages:\n  - git: ${join(d, 'pkg.git')}\n    revision: v1\n`);
    const deps = await runCli(['deps', '--project-dir', app], { cwd: app });
    expect(deps.code, deps.output).toBe(0);
    expect(deps.stdout).toMatch(/installed pkg \(cloned/);
    const b = await runCli(['build', '--project-dir', app], { cwd: app });
    expect(b.code, b.output).toBe(0);
    const r = await runCli(['show', '--project-dir', app, '--select', 'm', '--output', 'json'], { cwd: app });
    expect(r.stdout).toContain('pkg duckdb'); // v1, not the later commit

    writeFileSync(join(app, 'packages.yml'), `packages:\n  - git: ${join(d, 'pkg.git')}\n    revision: no-such-tag\n`);
    const badRev = await runCli(['deps', '--project-dir', app], { cwd: app });
    expect(badRev.code).toBe(2);
    expect(badRev.output).toMatch(/no-such-tag/);

    // a package whose own packages.yml names the root project: a cycle
    writeFileSync(join(app, 'packages.yml'), 'packages:\n  - local: ../pkg\n');
    writeFileSync(join(pkgDir, 'packages.yml'), 'packages:\n  - local: ../app\n');
    const cycle = await runCli(['deps', '--project-dir', app], { cwd: app });
    expect(cycle.code).toBe(2);
    expect(cycle.output).toMatch(/depends on itself: app → pkg → app/);
    rmSync(join(pkgDir, 'packages.yml'));

    expect((await runCli(['deps', '--project-dir', app], { cwd: app })).code).toBe(0);
    writeFileSync(join(app, 'models', 'm.sql'), "select {{ adapter.dispatch('nothing', 'pkg')() }} as x");
    const noMacro = await runCli(['build', '--project-dir', app], { cwd: app });
    expect(noMacro.code).toBe(2);
    expect(noMacro.output).toMatch(/No macro named 'nothing' found within namespace: 'pkg'/);
    expect(noMacro.output).toContain("'pkg.duckdb__nothing'");
    expect(noMacro.output).toContain('models/m.sql');
  }, 180_000);
});
