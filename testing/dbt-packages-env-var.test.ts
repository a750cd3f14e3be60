/**
 * env_var() and var() in packages.yml / dependencies.yml (issue 12), as dbt-core 1.10 renders
 * them (PackageRenderer: the command line's --vars and the environment; DBT_ENV_SECRET_*
 * variables allowed). A git package whose URL is built from a secret variable installs, the
 * secret never appears in tx's output, logs or artifacts, package-lock.yml is the one dbt deps
 * writes (the git URL kept unrendered, sha1_hash of the rendered entries), and a second deps
 * installs from the lock. Bad input: a variable that is not set, a git URL that cannot be
 * cloned (the error masks the secret), a template in dependencies.yml (dbt does not render it).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dbtCoreVenv, dbtEnv, noPythonFor, runDbt } from './dbt-reference.js';
import { dedent, runCli, writeFiles } from './fixture-project.js';

const noPython = await noPythonFor('dbt-core 1.10');

const work = mkdtempSync(join(tmpdir(), 'tx-pkg-envvar-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
/** The secret: a folder name (the bare repository's parent), read by env_var() in the git URL. */
const SECRET = 'hush-s3cr3t-token-4711';
const repos = join(work, SECRET);
const env = dbtEnv(work, { DBT_ENV_SECRET_REPO_ROOT: repos, GPKG_REVISION: 'v1' });
const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', ...args], { cwd, encoding: 'utf8' }).trim();

// a bare repository holding package gpkg (tag v1), under the secret folder
{
  const src = join(work, 'gpkg-src');
  writeFiles(src, { 'dbt_project.yml': "name: gpkg\nversion: '1.0'\nconfig-version: 2\n", 'macros/marker.sql': '{% macro marker() %}v1{% endmacro %}\n', 'models/gpkg_model.sql': "select '{{ marker() }}' as m\n" });
  git(src, 'init', '-q', '-b', 'main');
  git(src, 'add', '.');
  git(src, 'commit', '-qm', 'first');
  git(src, 'tag', 'v1');
  writeFileSync(join(src, 'macros', 'marker.sql'), '{% macro marker() %}v2{% endmacro %}\n');
  git(src, 'commit', '-qam', 'second');
  git(work, 'clone', '-q', '--bare', src, join(repos, 'gpkg.git'));
}

const PACKAGES = dedent(`
  packages:
    - git: "file://{{ env_var('DBT_ENV_SECRET_REPO_ROOT') }}/gpkg.git"
      revision: "{{ env_var('GPKG_REVISION', 'main') }}"
    - local: "{{ var('lpkg_dir', '../lpkg') }}"
`);

/** A copy of the root project and its local packages (lpkg, lpkg2) for tx or dbt. */
function copy(name: string, packagesFile = 'packages.yml', packages = PACKAGES): string {
  const base = join(work, name);
  for (const p of ['lpkg', 'lpkg2']) writeFiles(join(base, p), { 'dbt_project.yml': `name: ${p}\nversion: '1.0'\nconfig-version: 2\n` });
  writeFiles(join(base, 'root'), {
    'dbt_project.yml': "name: root\nversion: '1.0'\nconfig-version: 2\nprofile: root\n",
    'profiles.yml': `root:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: ${JSON.stringify(join(base, 'x.duckdb'))}\n`,
    [packagesFile]: packages,
    'models/uses_pkg.sql': "select '{{ gpkg.marker() }}' as marker, * from {{ ref('gpkg_model') }}\n",
  });
  return join(base, 'root');
}
const installed = (dir: string) => readdirSync(join(dir, 'dbt_packages')).sort();
const lockOf = (dir: string) => readFileSync(join(dir, 'package-lock.yml'), 'utf8');

describe.skipIf(noPython)('env_var() and var() in packages.yml: tx deps against dbt-core 1.10 dbt deps', () => {
  const venv = dbtCoreVenv();
  const dbtDeps = (dir: string, ...args: string[]) => {
    const r = runDbt(venv(), dir, ['deps', ...args], { env });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  };

  it('a git URL from a secret variable, a revision and a local path from templates: the lock dbt writes, byte for byte; no secret in any output', async () => {
    const txDir = copy('tx');
    const dbtDir = copy('dbt');
    const r = await runCli(['deps'], { cwd: txDir, env });
    expect(r.code, r.output).toBe(0);
    dbtDeps(dbtDir);
    expect(lockOf(txDir)).toBe(lockOf(dbtDir));
    // the lock keeps the URL's template, never the secret
    expect(lockOf(txDir)).toContain("git: file://{{ env_var('DBT_ENV_SECRET_REPO_ROOT') }}/gpkg.git");
    expect(lockOf(txDir)).not.toContain(SECRET);
    expect(installed(txDir)).toEqual(['gpkg', 'lpkg']);
    expect(installed(txDir)).toEqual(installed(dbtDir));
    expect(readFileSync(join(txDir, 'dbt_packages', 'gpkg', 'macros', 'marker.sql'), 'utf8')).toContain('v1');
    expect(r.output).toContain('installed gpkg (cloned from file://*****/gpkg.git@v1)');
    expect(r.output).not.toContain(SECRET);

    // the project builds with the package (packages.yml rendered again when the project loads); nothing written holds the secret
    const b = await runCli(['build'], { cwd: txDir, env });
    expect(b.code, b.output).toBe(0);
    expect(b.output).not.toContain(SECRET);
    for (const f of ['target/manifest.json', 'target/run_results.json', 'logs/tx.log']) {
      expect(existsSync(join(txDir, f)), f).toBe(true);
      expect(readFileSync(join(txDir, f), 'utf8'), f).not.toContain(SECRET);
    }

    // a second deps installs from the lock (its git URL rendered again), as dbt does
    const again = await runCli(['deps'], { cwd: txDir, env });
    expect(again.code, again.output).toBe(0);
    expect(again.output).toMatch(/installing the packages pinned in package-lock\.yml/);
    expect(again.output).not.toContain(SECRET);
    expect(installed(txDir)).toEqual(['gpkg', 'lpkg']);
  }, 300_000);

  it('--vars reaches var() in packages.yml, as dbt deps --vars: same lock as dbt', async () => {
    const txDir = copy('tx-vars');
    const dbtDir = copy('dbt-vars');
    const vars = '{lpkg_dir: ../lpkg2}';
    const r = await runCli(['deps', '--vars', vars], { cwd: txDir, env });
    expect(r.code, r.output).toBe(0);
    dbtDeps(dbtDir, '--vars', vars);
    expect(lockOf(txDir)).toBe(lockOf(dbtDir));
    expect(lockOf(txDir)).toContain('local: ../lpkg2');
    expect(installed(txDir)).toEqual(['gpkg', 'lpkg2']);
  }, 300_000);

  it('dependencies.yml is not rendered (dbt renders packages.yml only): tx deps refuses its template where dbt fails to clone', async () => {
    const txDir = copy('tx-deps-yml', 'dependencies.yml');
    const dbtDir = copy('dbt-deps-yml', 'dependencies.yml');
    const r = await runCli(['deps'], { cwd: txDir, env });
    expect(r.code, r.output).toBe(2);
    expect(r.output).toMatch(/dependencies\.yml:2/);
    expect(r.output).toMatch(/dbt does not render dependencies\.yml/);
    expect(r.output).toMatch(/move the packages that use env_var\(\) or var\(\) to packages\.yml/);
    expect(existsSync(join(txDir, 'dbt_packages'))).toBe(false);
    // dbt takes the template as the URL and fails
    const d = runDbt(venv(), dbtDir, ['deps'], { env });
    expect(d.status).not.toBe(0);
    expect(d.stdout + d.stderr).toContain("file://{{ env_var('DBT_ENV_SECRET_REPO_ROOT') }}/gpkg.git");
  }, 300_000);
});

describe('env_var() in packages.yml: bad input', () => {
  it('a variable that is not set and has no default: exit 2 naming packages.yml and the variable, nothing installed', async () => {
    const dir = copy('bad-unset', 'packages.yml', "packages:\n  - local: \"{{ env_var('NO_SUCH_PKG_DIR') }}\"\n");
    const r = await runCli(['deps'], { cwd: dir, env });
    expect(r.code, r.output).toBe(2);
    expect(r.output).toMatch(/packages\.yml/);
    expect(r.output).toMatch(/NO_SUCH_PKG_DIR/);
    expect(r.output).toMatch(/not set/);
    expect(existsSync(join(dir, 'dbt_packages'))).toBe(false);
    // the same when the project loads (dbt renders packages.yml for every command)
    const b = await runCli(['build'], { cwd: dir, env });
    expect(b.code, b.output).toBe(2);
    expect(b.output).toMatch(/NO_SUCH_PKG_DIR/);
  });

  it('a git URL from a secret that cannot be cloned: exit 2 naming packages.yml, the secret masked', async () => {
    const dir = copy('bad-clone', 'packages.yml', "packages:\n  - git: \"file://{{ env_var('DBT_ENV_SECRET_REPO_ROOT') }}/missing.git\"\n");
    const r = await runCli(['deps'], { cwd: dir, env });
    expect(r.code, r.output).toBe(2);
    expect(r.output).toMatch(/packages\.yml/);
    expect(r.output).toMatch(/cannot install git package file:\/\/\*{5}\/missing\.git/);
    expect(r.output).not.toContain(SECRET);
    expect(existsSync(join(dir, 'dbt_packages'))).toBe(false);
  });

  it('a secret variable outside packages.yml (a model) is still refused', async () => {
    const dir = copy('bad-model', 'packages.yml', 'packages: []\n');
    writeFileSync(join(dir, 'models', 'uses_pkg.sql'), "select '{{ env_var('DBT_ENV_SECRET_REPO_ROOT') }}' as x\n");
    const r = await runCli(['compile'], { cwd: dir, env });
    expect(r.code, r.output).toBe(2);
    expect(r.output).toMatch(/secret environment variable `DBT_ENV_SECRET_REPO_ROOT`/);
    expect(r.output).not.toContain(SECRET);
  });
});
