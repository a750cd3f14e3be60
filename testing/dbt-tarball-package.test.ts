/**
 * `tarball:` packages (issue 12): `tx deps` downloads a package archive over HTTP (a server
 * started here on 127.0.0.1 serving a .tar.gz built with `tar` from a fixture package), unpacks
 * it under its `name:` as dbt-core 1.10 does (dbt/deps/tarball.py: one top-level folder, renamed
 * to the name), and writes the package-lock.yml `dbt deps` writes for the same packages.yml, byte
 * for byte (compared with dbt-core 1.10 run on a copy against the same server). The package's
 * macro and model are then used by `tx build`. Bad input: no `name:`, a URL that answers 404,
 * an archive with two top-level folders: exit 2 naming packages.yml, the installed packages kept.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dedent, queryDuckdb, runCli, writeFiles } from './fixture-project.js';
import { provisionDbtCore } from './services/dbt-venvs.js';
import { findPython, type Venv } from './services/python-venv.js';
import { serviceUnavailable } from './services/require.js';

const noPython = (await findPython()) === null;
if (noPython) serviceUnavailable('python', 'no Python >= 3.8 with venv (TX_TEST_PYTHON) for dbt-core 1.10');

const work = mkdtempSync(join(tmpdir(), 'tx-tarball-'));
const env = { HOME: join(work, 'home'), DBT_PROFILES_DIR: undefined, DBT_SEND_ANONYMOUS_USAGE_STATS: 'false', DO_NOT_TRACK: '1', NO_COLOR: '1' };

// the package, archived as dbt's hub archives are: one top-level folder (named unlike the package)
writeFiles(join(work, 'src', 'tpkg-1.2.0'), {
  'dbt_project.yml': "name: tpkg\nversion: '1.2.0'\nconfig-version: 2\n",
  'macros/greet.sql': "{% macro greet(who) %}'hello ' || {{ who }}{% endmacro %}\n",
  'models/tpkg_numbers.sql': 'select 1 as n union all select 2 as n union all select 3 as n\n',
});
execFileSync('tar', ['-czf', join(work, 'tpkg.tar.gz'), '-C', join(work, 'src'), 'tpkg-1.2.0']);
writeFiles(join(work, 'src2', 'a'), { 'dbt_project.yml': "name: a\nversion: '1'\nconfig-version: 2\n" });
writeFiles(join(work, 'src2', 'b'), { 'dbt_project.yml': "name: b\nversion: '1'\nconfig-version: 2\n" });
execFileSync('tar', ['-czf', join(work, 'two.tar.gz'), '-C', join(work, 'src2'), 'a', 'b']);

let server: Server;
let base = '';
const served: string[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    served.push(req.url ?? '');
    const file = join(work, (req.url ?? '').replace(/^\/files\//, ''));
    if (!req.url?.startsWith('/files/') || !existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/gzip' }).end(readFileSync(file));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/files`;
});
afterAll(async () => {
  await new Promise((r) => server?.close(r));
  rmSync(work, { recursive: true, force: true });
});

function rootProject(name: string, packagesYml: string): string {
  const dir = join(work, name);
  writeFiles(dir, {
    'dbt_project.yml': "name: root\nversion: '1.0'\nconfig-version: 2\nprofile: root\n",
    'profiles.yml': `root:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: ${JSON.stringify(join(dir, 'x.duckdb'))}\n`,
    'packages.yml': packagesYml,
    'models/greeted.sql': dedent(`
      select n, {{ tpkg.greet("'n' || cast(n as varchar)") }} as greeting from {{ ref('tpkg_numbers') }}
    `),
  });
  return dir;
}
const packagesYml = () => `packages:\n  - tarball: ${base}/tpkg.tar.gz\n    name: tpkg\n`;
const lockOf = (dir: string) => readFileSync(join(dir, 'package-lock.yml'), 'utf8');
const installed = (dir: string) => readdirSync(join(dir, 'dbt_packages')).sort();

describe.skipIf(noPython)('tarball packages: tx deps against dbt-core 1.10 dbt deps', () => {
  let venv: Venv;
  let txDir = '';
  beforeAll(async () => {
    venv = await provisionDbtCore();
  }, 590_000);

  /** dbt deps without blocking this process's event loop (the HTTP server answers from it). */
  const dbtDeps = (dir: string) =>
    new Promise<void>((resolve, reject) => {
      execFile(join(venv.dir, 'bin', 'dbt'), ['deps', '--profiles-dir', dir], { cwd: dir, env: { ...process.env, ...env, HOME: env.HOME } as NodeJS.ProcessEnv, encoding: 'utf8', timeout: 300_000 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`dbt deps failed: ${stdout}${stderr}`));
        else resolve();
      });
    });

  it('tx deps downloads and installs the tarball under its name, writing the lock dbt writes, byte for byte', async () => {
    txDir = rootProject('tx', packagesYml());
    const dbtDir = rootProject('dbt', packagesYml());
    served.length = 0;
    const r = await runCli(['deps'], { cwd: txDir, env });
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/installed tpkg \(downloaded from http:\/\/127\.0\.0\.1:\d+\/files\/tpkg\.tar\.gz\)/);
    expect(served).toContain('/files/tpkg.tar.gz');
    await dbtDeps(dbtDir);
    expect(lockOf(txDir)).toBe(lockOf(dbtDir));
    expect(lockOf(txDir)).toContain(`tarball: ${base}/tpkg.tar.gz`);
    expect(installed(txDir)).toEqual(['tpkg']);
    expect(installed(txDir)).toEqual(installed(dbtDir));
    expect(readdirSync(join(txDir, 'dbt_packages', 'tpkg')).sort()).toEqual(readdirSync(join(dbtDir, 'dbt_packages', 'tpkg')).sort());
    expect(readFileSync(join(txDir, 'dbt_packages', 'tpkg', 'macros', 'greet.sql'), 'utf8')).toBe(readFileSync(join(work, 'src', 'tpkg-1.2.0', 'macros', 'greet.sql'), 'utf8'));
  }, 300_000);

  it('tx build uses the tarball package\'s macro and model', async () => {
    const b = await runCli(['build', '--project-dir', txDir], { cwd: txDir, env, timeoutMs: 120_000 });
    expect(b.code, b.output).toBe(0);
    const rows = await queryDuckdb(join(txDir, 'x.duckdb'), 'select n, greeting from main.greeted order by n');
    expect(rows).toEqual([
      { n: 1, greeting: 'hello n1' },
      { n: 2, greeting: 'hello n2' },
      { n: 3, greeting: 'hello n3' },
    ]);
  }, 120_000);

  it('deps again installs from the lock (same bytes, package reinstalled from the URL)', async () => {
    const before = lockOf(txDir);
    served.length = 0;
    const r = await runCli(['deps'], { cwd: txDir, env });
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/installing the packages pinned in package-lock\.yml/);
    expect(lockOf(txDir)).toBe(before);
    expect(served).toEqual(['/files/tpkg.tar.gz']);
    expect(installed(txDir)).toEqual(['tpkg']);
  });

  const bad: [string, (b: string) => string, RegExp][] = [
    ['no name:', (b) => `packages:\n  - tarball: ${b}/tpkg.tar.gz\n`, /packages\.yml:2.*has no `name:`|has no `name:`[\s\S]*packages\.yml:2/],
    ['a URL answering 404', (b) => `packages:\n  - tarball: ${b}/nosuch.tar.gz\n    name: nosuch\n`, /cannot download tarball package `nosuch` from http:\/\/127\.0\.0\.1:\d+\/files\/nosuch\.tar\.gz[\s\S]*HTTP 404/],
    ['two top-level folders', (b) => `packages:\n  - tarball: ${b}/two.tar.gz\n    name: two\n`, /holds 2 top-level entries; dbt needs exactly one folder/],
  ];
  for (const [what, yml, message] of bad) {
    it(`${what}: exit 2 naming packages.yml, the installed packages untouched`, async () => {
      const lock = lockOf(txDir);
      writeFileSync(join(txDir, 'packages.yml'), yml(base));
      const r = await runCli(['deps'], { cwd: txDir, env });
      expect(r.code, r.output).toBe(2);
      expect(r.output).toMatch(/packages\.yml:2/);
      expect(r.output).toMatch(message);
      expect(installed(txDir)).toEqual(['tpkg']);
      expect(lockOf(txDir)).toBe(lock);
    });
  }
});
