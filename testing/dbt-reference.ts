/**
 * The dbt side of the tests that compare tx with the real dbt-core 1.10 (+ dbt-duckdb, dbt-postgres)
 * from the cached venv (services/dbt-venvs.ts): whether there is a Python to make the venv, the
 * environment both tools run with, running dbt in a project, and reading what tx and dbt write that
 * the tests compare (`ls --output json` ids, run_results.json statuses, manifest.json).
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll } from 'vitest';
import { provisionDbtCore } from './services/dbt-venvs.js';
import { findPython, type Venv } from './services/python-venv.js';
import { serviceUnavailable } from './services/require.js';

export type DbtEnv = Record<string, string | undefined>;

/**
 * Whether no Python (>= 3.8, with venv) can make dbt's venv; if so, reported through serviceUnavailable
 * (never a bare skip). For `describe.skipIf` around the comparisons with dbt.
 */
export async function noPythonFor(what: string): Promise<boolean> {
  const missing = (await findPython()) === null;
  if (missing) serviceUnavailable('python', `no Python >= 3.8 with venv (TX_TEST_PYTHON) for ${what}`);
  return missing;
}

/** The environment tx and dbt run with in a test folder: HOME inside `work`, no user profiles folder, no usage stats, no colour; then `extra`. */
export function dbtEnv(work: string, extra: DbtEnv = {}): DbtEnv {
  return { HOME: join(work, 'home'), DBT_PROFILES_DIR: undefined, DBT_SEND_ANONYMOUS_USAGE_STATS: 'false', DO_NOT_TRACK: '1', NO_COLOR: '1', ...extra };
}

/**
 * dbtEnv for dbt_utils' integration tests (../shared/dbt/dbt_utils/integration_tests), whose
 * profiles.yml reads its PostgreSQL connection from these variables (`dbt ls` and `tx ls` connect to
 * nothing); the password is long enough that neither tool masks it in names and ids.
 */
export function dbtUtilsIntegrationEnv(work: string, schema: string): DbtEnv {
  return dbtEnv(work, {
    POSTGRES_HOST: '127.0.0.1',
    POSTGRES_PORT: '5432',
    POSTGRES_USER: 'postgres',
    DBT_ENV_SECRET_POSTGRES_PASS: 'not-a-real-password-1234',
    POSTGRES_DATABASE: 'test',
    POSTGRES_SCHEMA: schema,
  });
}

/** Called in a describe: dbt-core 1.10's venv is provisioned (or taken from the cache) before its tests; the result gives it to them. */
export function dbtCoreVenv(): () => Venv {
  let venv: Venv | undefined;
  beforeAll(async () => {
    venv = await provisionDbtCore();
  }, 590_000);
  return () => {
    if (!venv) throw new Error('the dbt-core venv is not provisioned yet: call dbtCoreVenv() in a describe and the result in its tests');
    return venv;
  };
}

export interface DbtRunOptions {
  env: DbtEnv;
  /** The folder of profiles.yml; default the project's folder. */
  profilesDir?: string;
  timeoutMs?: number;
}

/**
 * profiles.yml text for dbt-postgres and tx alike: profile `name`, target `dev`, the service's host,
 * port and user, its password (or a placeholder: dbt requires one, trust auth ignores it),
 * database `dbname`, `schema`, one thread.
 */
export function dbtPostgresProfile(name: string, svc: { url: string; host: string; port: number; user: string }, dbname: string, schema: string): string {
  const pass = decodeURIComponent(new URL(svc.url).password) || 'unused-password';
  return `${name}:\n  target: dev\n  outputs:\n    dev:\n      type: postgres\n      host: ${svc.host}\n      port: ${svc.port}\n      user: ${svc.user}\n      pass: "${pass}"\n      dbname: ${dbname}\n      schema: ${schema}\n      threads: 1\n`;
}

/** `dbt <args> --profiles-dir ...` from `venv` in the project `dir`, with `o.env` over this process's environment. */
export function runDbt(venv: Venv, dir: string, args: string[], o: DbtRunOptions): SpawnSyncReturns<string> {
  return spawnSync(join(venv.dir, 'bin', 'dbt'), [...args, '--profiles-dir', o.profilesDir ?? dir], {
    cwd: dir,
    env: { ...process.env, ...o.env },
    encoding: 'utf8',
    timeout: o.timeoutMs ?? 300_000,
  });
}

/** Writes `dir`/profiles.yml (a folder for dbt's --profiles-dir) and returns `dir`. */
export function writeProfiles(dir: string, yaml: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'profiles.yml'), yaml);
  return dir;
}

/** The unique ids in the output of `ls --output json` (tx's or dbt's), sorted. */
export function lsIds(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => (JSON.parse(l) as { unique_id: string }).unique_id)
    .sort();
}

/** `<unique_id> <status>` of every result in the project's target/run_results.json, sorted. */
export function runStatuses(dir: string): string[] {
  return readArtifact<{ results: { unique_id: string; status: string }[] }>(dir, 'run_results.json')
    .results.map((r) => `${r.unique_id} ${r.status}`)
    .sort();
}

/** An artifact of the project in `dir` (target/manifest.json unless named), parsed. */
export function readArtifact<T>(dir: string, name = 'manifest.json'): T {
  return JSON.parse(readFileSync(join(dir, 'target', name), 'utf8')) as T;
}
