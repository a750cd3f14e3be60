/**
 * Hub packages (issue 12): `package: ns/name` with `version:` ranges, resolved through the
 * registry `DBT_PACKAGE_HUB_URL` names, as dbt-core 1.10 resolves them. A registry with dbt's JSON
 * shape (api/v1/index.json, api/v1/<ns>/<name>.json: versions with name, packages,
 * downloads.tarball, require_dbt_version) is served here on 127.0.0.1 with tarballs built by
 * `tar`; tx deps and dbt deps (cached dbt-core 1.10 venv) are pointed at it on two copies of one
 * project and compared: the lock (byte for byte) and the versions installed. The ranges of the
 * root project and of a package requiring the same package are intersected (the packages of a
 * version resolved before the range narrowed are gathered too, as dbt does); a prerelease and a
 * version whose require_dbt_version excludes dbt 1.10 are passed over. A version-range conflict
 * between two packages: exit 2 with dbt's message, naming both requirers, nothing installed.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryDuckdb, runCli, writeFiles } from './fixture-project.js';
import { provisionDbtCore } from './services/dbt-venvs.js';
import { findPython, type Venv } from './services/python-venv.js';
import { serviceUnavailable } from './services/require.js';

const noPython = (await findPython()) === null;
if (noPython) serviceUnavailable('python', 'no Python >= 3.8 with venv (TX_TEST_PYTHON) for dbt-core 1.10');

const work = mkdtempSync(join(tmpdir(), 'tx-hub-'));
let server: Server;
let hub = '';
const served: string[] = [];

/** A package version as an archive with one top-level folder, as GitHub's archives are. */
function archive(name: string, version: string, files: Record<string, string>): string {
  const folder = `tx-test-${name}-${version.replace(/\W/g, '')}`;
  writeFiles(join(work, 'src', folder), { 'dbt_project.yml': `name: ${name}\nversion: '${version}'\nconfig-version: 2\n`, ...files });
  const file = `${name}-${version}.tar.gz`;
  execFileSync('tar', ['-czf', join(work, file), '-C', join(work, 'src'), folder]);
  return file;
}

const marker = (v: string) => ({ 'macros/base_version.sql': `{% macro base_version() %}'${v}'{% endmacro %}\n` });
const versions: Record<string, Record<string, { packages: object[]; require_dbt_version?: string[]; files: Record<string, string> }>> = {
  'tx-test/base': {
    '1.0.0': { packages: [], files: marker('1.0.0') },
    '1.1.0': { packages: [], files: marker('1.1.0') },
    // passed over: dbt 1.10 is outside its require_dbt_version
    '1.2.0': { packages: [], require_dbt_version: ['>=99.0.0'], files: marker('1.2.0') },
    // resolved first (before hello narrows the range): dbt gathers its packages then, so extra is installed too
    '2.0.0': { packages: [{ package: 'tx-test/extra', version: '1.0.0' }], files: marker('2.0.0') },
    // passed over: a prerelease, not asked for
    '2.1.0-b1': { packages: [], files: marker('2.1.0-b1') },
  },
  'tx-test/extra': {
    '1.0.0': { packages: [], files: {} },
  },
  'tx-test/hello': {
    '1.0.0': {
      packages: [{ package: 'tx-test/base', version: ['>=1.0.0', '<2.0.0'] }],
      files: { 'macros/greet.sql': "{% macro greet() %}'hello from base ' || {{ base.base_version() }}{% endmacro %}\n" },
    },
  },
};

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = req.url ?? '';
    served.push(url);
    const json = (v: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(v));
    if (url === '/api/v1/index.json') return json(Object.keys(versions));
    const m = /^\/api\/v1\/(.+)\.json$/.exec(url);
    if (m && versions[m[1]!]) {
      const [namespace, name] = m[1]!.split('/') as [string, string];
      const out: Record<string, object> = {};
      for (const [v, spec] of Object.entries(versions[m[1]!]!)) {
        out[v] = { id: `${m[1]}/${v}`, name, version: v, packages: spec.packages, require_dbt_version: spec.require_dbt_version ?? [], downloads: { tarball: `${hub}tarballs/${archive(name, v, spec.files)}` } };
      }
      return json({ name, namespace, latest: Object.keys(out).at(-1), versions: out });
    }
    const t = /^\/tarballs\/([\w.-]+)$/.exec(url);
    if (t && existsSync(join(work, t[1]!))) return res.writeHead(200, { 'content-type': 'application/gzip' }).end(readFileSync(join(work, t[1]!)));
    res.writeHead(404).end('not found');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  hub = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(async () => {
  await new Promise((r) => server?.close(r));
  rmSync(work, { recursive: true, force: true });
});

const env = () => ({ HOME: join(work, 'home'), DBT_PROFILES_DIR: undefined, DBT_PACKAGE_HUB_URL: hub, DBT_SEND_ANONYMOUS_USAGE_STATS: 'false', DO_NOT_TRACK: '1', NO_COLOR: '1' });

function rootProject(name: string, packagesYml: string): string {
  const dir = join(work, name);
  writeFiles(dir, {
    'dbt_project.yml': "name: root\nversion: '1.0'\nconfig-version: 2\nprofile: root\n",
    'profiles.yml': `root:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: ${JSON.stringify(join(dir, 'x.duckdb'))}\n`,
    'packages.yml': packagesYml,
    'models/greeting.sql': 'select {{ hello.greet() }} as greeting\n',
  });
  return dir;
}
const lockOf = (dir: string) => readFileSync(join(dir, 'package-lock.yml'), 'utf8');
const installedVersion = (dir: string, pkg: string) => /version: '([^']+)'/.exec(readFileSync(join(dir, 'dbt_packages', pkg, 'dbt_project.yml'), 'utf8'))![1];

const ranges = 'packages:\n  - package: tx-test/hello\n    version: 1.0.0\n  - package: tx-test/base\n    version: [">=1.0.0", "<3.0.0"]\n';
const conflict = 'packages:\n  - package: tx-test/base\n    version: ">=2.0.0"\n  - package: tx-test/hello\n    version: 1.0.0\n';

describe.skipIf(noPython)('hub packages: tx deps against dbt-core 1.10 dbt deps, one local registry', () => {
  let venv: Venv;
  beforeAll(async () => {
    venv = await provisionDbtCore();
  }, 590_000);
  /** dbt deps without blocking this process's event loop (the registry answers from it). */
  const dbtDeps = (dir: string) =>
    new Promise<{ code: number; output: string }>((resolve) => {
      execFile(join(venv.dir, 'bin', 'dbt'), ['deps', '--profiles-dir', dir], { cwd: dir, env: { ...process.env, ...env() } as NodeJS.ProcessEnv, encoding: 'utf8', timeout: 300_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, output: stdout + stderr });
      });
    });

  it('ranges of the root and of a package intersect; the lock and the versions installed are dbt\'s', async () => {
    const txDir = rootProject('tx', ranges);
    const dbtDir = rootProject('dbt', ranges);
    served.length = 0;
    const r = await runCli(['deps'], { cwd: txDir, env: env() });
    expect(r.code, r.output).toBe(0);
    expect(served).toContain('/api/v1/tx-test/base.json');
    const d = await dbtDeps(dbtDir);
    expect(d.code, d.output).toBe(0);
    expect(lockOf(txDir)).toBe(lockOf(dbtDir));
    expect(lockOf(txDir)).toMatch(/package: tx-test\/base\n\s+version: 1\.1\.0/);
    expect(readdirSync(join(txDir, 'dbt_packages')).sort()).toEqual(readdirSync(join(dbtDir, 'dbt_packages')).sort());
    expect(readdirSync(join(txDir, 'dbt_packages')).sort()).toEqual(['base', 'extra', 'hello']);
    expect(installedVersion(txDir, 'base')).toBe('1.1.0');
    expect(installedVersion(txDir, 'base')).toBe(installedVersion(dbtDir, 'base'));
    expect(installedVersion(txDir, 'hello')).toBe(installedVersion(dbtDir, 'hello'));

    const b = await runCli(['build', '--project-dir', txDir], { cwd: txDir, env: env(), timeoutMs: 120_000 });
    expect(b.code, b.output).toBe(0);
    expect(await queryDuckdb(join(txDir, 'x.duckdb'), 'select greeting from main.greeting')).toEqual([{ greeting: 'hello from base 1.1.0' }]);

    // from the lock: the same versions, the lock unchanged
    const again = await runCli(['deps'], { cwd: txDir, env: env() });
    expect(again.code, again.output).toBe(0);
    expect(again.output).toMatch(/installing the packages pinned in package-lock\.yml/);
    expect(lockOf(txDir)).toBe(lockOf(dbtDir));
    expect(installedVersion(txDir, 'base')).toBe('1.1.0');
  }, 300_000);

  it('a version-range conflict between two packages: exit 2, dbt\'s message naming both requirers, nothing installed', async () => {
    const txDir = rootProject('tx-conflict', conflict);
    const dbtDir = rootProject('dbt-conflict', conflict);
    const r = await runCli(['deps'], { cwd: txDir, env: env() });
    const d = await dbtDeps(dbtDir);
    expect(d.code, d.output).not.toBe(0);
    const dbtMessage = /Version error for package tx-test\/base: Could not find a satisfactory version from options: \[[^\]]*\]/.exec(d.output);
    expect(dbtMessage, d.output).not.toBeNull();
    expect(r.code, r.output).toBe(2);
    expect(r.output).toContain(dbtMessage![0]);
    expect(r.output).toMatch(/packages\.yml:2 asks for ">=2\.0\.0"; tx-test\/hello@1\.0\.0 asks for ">=1\.0\.0", "<2\.0\.0"/);
    for (const dir of [txDir, dbtDir]) {
      expect(existsSync(join(dir, 'dbt_packages'))).toBe(false);
      expect(existsSync(join(dir, 'package-lock.yml'))).toBe(false);
    }
  }, 300_000);
});
