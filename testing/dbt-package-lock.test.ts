/**
 * package-lock.yml (issue 12): `tx deps` writes it as dbt-core 1.10's `dbt deps` writes it (same
 * bytes: the resolved packages, breadth first, git revisions pinned to the commit, and dbt's
 * sha1_hash of packages.yml), installs from it while it matches packages.yml (a git package
 * stays at the pinned commit when its branch moves on), and resolves again and rewrites it when
 * packages.yml changes, removing packages no longer listed. Every step is done by tx and by dbt
 * on two copies of the same projects, and the results compared.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dedent, runCli, writeFiles } from './fixture-project.js';
import { provisionDbtCore } from './services/dbt-venvs.js';
import { findPython, type Venv } from './services/python-venv.js';
import { serviceUnavailable } from './services/require.js';

const noPython = (await findPython()) === null;
if (noPython) serviceUnavailable('python', 'no Python >= 3.8 with venv (TX_TEST_PYTHON) for dbt-core 1.10');

const work = mkdtempSync(join(tmpdir(), 'tx-pkg-lock-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const env = { HOME: join(work, 'home'), DBT_PROFILES_DIR: undefined, DBT_SEND_ANONYMOUS_USAGE_STATS: 'false', DO_NOT_TRACK: '1', NO_COLOR: '1' };
const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', ...args], { cwd, encoding: 'utf8' }).trim();

/** A bare repository holding a dbt package (in `sub` when given); returns its file:// URL and a function adding a commit. */
function bareRepo(name: string, sub = ''): { url: string; commit(marker: string): void } {
  const src = join(work, `${name}-src`);
  writeFiles(join(src, sub), { 'dbt_project.yml': `name: ${name}\nversion: '1.0'\nconfig-version: 2\n`, 'macros/marker.sql': '{% macro marker() %}first{% endmacro %}\n' });
  git(src, 'init', '-q', '-b', 'main');
  git(src, 'add', '.');
  git(src, 'commit', '-qm', 'first');
  git(src, 'tag', 'v1');
  const bare = join(work, `${name}.git`);
  git(work, 'clone', '-q', '--bare', src, bare);
  git(src, 'remote', 'add', 'origin', bare);
  return {
    url: `file://${bare}`,
    commit(marker) {
      writeFileSync(join(src, sub, 'macros', 'marker.sql'), `{% macro marker() %}${marker}{% endmacro %}\n`);
      git(src, 'commit', '-qam', marker);
      git(src, 'push', '-q', 'origin', 'main');
    },
  };
}

const gpkg = bareRepo('gpkg');
const hpkg = bareRepo('hpkg', 'sub');

/** Two copies (tx's and dbt's) of: a root project, a local package that needs gpkg@v1, and hpkg (HEAD, in a subdirectory). */
function copy(name: string): string {
  const base = join(work, name);
  writeFiles(join(base, 'lpkg'), {
    'dbt_project.yml': "name: lpkg\nversion: '1.0'\nconfig-version: 2\n",
    'packages.yml': `packages:\n  - git: "${gpkg.url}"\n    revision: v1\n`,
  });
  writeFiles(join(base, 'root'), {
    'dbt_project.yml': "name: root\nversion: '1.0'\nconfig-version: 2\nprofile: root\n",
    'profiles.yml': `root:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: ${JSON.stringify(join(base, 'x.duckdb'))}\n`,
    'packages.yml': dedent(`
      packages:
        - local: ../lpkg
        - git: "${hpkg.url}"
          subdirectory: sub
    `),
  });
  return join(base, 'root');
}
const txDir = copy('tx');
const dbtDir = copy('dbt');
const lockOf = (dir: string) => readFileSync(join(dir, 'package-lock.yml'), 'utf8');
const marker = (dir: string, pkg: string) => readFileSync(join(dir, 'dbt_packages', pkg, 'macros', 'marker.sql'), 'utf8');
const installed = (dir: string) => readdirSync(join(dir, 'dbt_packages')).sort();
const txDeps = async () => {
  const r = await runCli(['deps'], { cwd: txDir, env });
  expect(r.code, r.output).toBe(0);
  return r.output;
};

describe.skipIf(noPython)('package-lock.yml: tx deps against dbt-core 1.10 dbt deps', () => {
  let venv: Venv;
  const dbtDeps = () => {
    const r = spawnSync(join(venv.dir, 'bin', 'dbt'), ['deps', '--profiles-dir', dbtDir], { cwd: dbtDir, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 300_000 });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  };
  beforeAll(async () => {
    venv = await provisionDbtCore();
  }, 590_000);

  it('the first tx deps writes the lock dbt writes, byte for byte, and installs the same packages', async () => {
    expect(existsSync(join(txDir, 'package-lock.yml'))).toBe(false);
    expect(await txDeps()).toMatch(/wrote package-lock\.yml/);
    dbtDeps();
    expect(lockOf(txDir)).toBe(lockOf(dbtDir));
    const head = git(join(work, 'hpkg.git'), 'rev-parse', 'HEAD');
    expect(lockOf(txDir)).toContain(`revision: ${head}`);
    expect(lockOf(txDir)).toMatch(/^sha1_hash: [0-9a-f]{40}$/m);
    expect(installed(txDir)).toEqual(['gpkg', 'hpkg', 'lpkg']);
    expect(installed(txDir)).toEqual(installed(dbtDir));
  }, 300_000);

  it('while the lock matches packages.yml, deps installs the pinned commit, not the branch\'s new head', async () => {
    hpkg.commit('second');
    const before = lockOf(txDir);
    expect(await txDeps()).toMatch(/installing the packages pinned in package-lock\.yml/);
    dbtDeps();
    expect(lockOf(txDir)).toBe(before);
    expect(marker(txDir, 'hpkg')).toContain('first');
    expect(marker(txDir, 'hpkg')).toBe(marker(dbtDir, 'hpkg'));
  }, 300_000);

  it('packages.yml changed: deps resolves again, rewrites the lock as dbt does, and removes the package no longer listed', async () => {
    for (const dir of [txDir, dbtDir]) writeFileSync(join(dir, 'packages.yml'), `packages:\n  - git: "${hpkg.url}"\n    subdirectory: sub\n    revision: main\n`);
    expect(await txDeps()).toMatch(/resolving them again/);
    dbtDeps();
    expect(lockOf(txDir)).toBe(lockOf(dbtDir));
    expect(lockOf(txDir)).toContain(`revision: ${git(join(work, 'hpkg.git'), 'rev-parse', 'main')}`);
    expect(installed(txDir)).toEqual(['hpkg']);
    expect(installed(dbtDir)).toEqual(['hpkg']);
    expect(marker(txDir, 'hpkg')).toContain('second');
  }, 300_000);

  it('a lock entry naming no package: exit 2 naming package-lock.yml, the installed packages untouched', async () => {
    const good = lockOf(txDir);
    writeFileSync(join(txDir, 'package-lock.yml'), good.replace(/- git: .*\n(\s+name: hpkg\n)/, '- gti: nowhere\n$1'));
    const r = await runCli(['deps'], { cwd: txDir, env });
    expect(r.code, r.output).toBe(2);
    expect(r.output).toMatch(/package-lock\.yml/);
    expect(r.output).toMatch(/names no package/);
    expect(installed(txDir)).toEqual(['hpkg']);
  });
});
