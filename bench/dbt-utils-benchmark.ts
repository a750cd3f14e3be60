/**
 * dbt-labs' dbt_utils integration tests (../shared/dbt/dbt_utils, copied unchanged) on PostgreSQL:
 * `tx deps && tx build --target postgres` against dbt-core 1.10 + dbt-postgres's
 * `dbt deps && dbt build --target postgres`, each on a fresh database, in the same run. Prints
 * the pass counts and the wall time of each (median of 3 fresh processes), the load average at
 * start and end.
 *   node dist/bench/dbt-utils-benchmark.js [--runs 3] [--pg postgres://postgres@127.0.0.1:5432/postgres]
 * Needs the cached dbt venv (testing/services/dbt-venvs.ts: ~/.cache/tx/dbt-core).
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { argValue, loadLine, median, runProcess } from './bench-support.js';
import { provisionDbtCore } from '../testing/services/dbt-venvs.js';

const args = process.argv.slice(2);
const runs = Number(argValue(args, '--runs', '3'));
const pgUrl = argValue(args, '--pg', 'postgres://postgres@127.0.0.1:5432/postgres');
const cli = fileURLToPath(new URL('../compiler/cli.js', import.meta.url));
const fixture = fileURLToPath(new URL('../../../shared/dbt/dbt_utils', import.meta.url));

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: pgUrl });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

async function once(tool: 'tx' | 'dbt', dbt: string, i: number): Promise<{ s: number; pass: string }> {
  const db = `bench_dbt_utils_${tool}_${process.pid}_${i}`;
  await admin(`create database ${db}`);
  const root = mkdtempSync(join(tmpdir(), `bench-dbt-utils-${tool}-`));
  try {
    cpSync(fixture, join(root, 'dbt_utils'), { recursive: true });
    const dir = join(root, 'dbt_utils', 'integration_tests');
    const u = new URL(pgUrl);
    const env = {
      ...process.env,
      POSTGRES_HOST: u.hostname,
      POSTGRES_PORT: u.port || '5432',
      POSTGRES_USER: decodeURIComponent(u.username),
      DBT_ENV_SECRET_POSTGRES_PASS: decodeURIComponent(u.password) || 'unused-password',
      POSTGRES_DATABASE: db,
      POSTGRES_SCHEMA: 'dbt_utils_it',
      DBT_PROFILES_DIR: dir,
      DBT_SEND_ANONYMOUS_USAGE_STATS: 'false',
      DO_NOT_TRACK: '1',
    };
    const [cmd, pre] = tool === 'tx' ? [process.execPath, [cli]] : [dbt, []];
    const t0 = performance.now();
    const deps = await runProcess(cmd, [...pre, 'deps'], { cwd: dir, env });
    const build = await runProcess(cmd, [...pre, 'build', '--target', 'postgres'], { cwd: dir, env });
    const s = (performance.now() - t0) / 1000;
    const out = build.output;
    const pass = tool === 'tx' ? (/OK=(\d+) WARN=\d+ ERROR=(\d+) SKIP=(\d+)/.exec(out)?.slice(1, 4).join('/') ?? `exit ${build.status}`) : (/PASS=(\d+) WARN=\d+ ERROR=(\d+) SKIP=(\d+)/.exec(out)?.slice(1, 4).join('/') ?? `exit ${build.status}`);
    if (deps.status !== 0) return { s, pass: `deps exit ${deps.status}` };
    return { s, pass };
  } finally {
    rmSync(root, { recursive: true, force: true });
    await admin(`drop database if exists ${db}`).catch(() => undefined);
  }
}

console.log(loadLine('start'));
const venv = await provisionDbtCore();
const dbt = join(venv.dir, 'bin', 'dbt');
const results: Record<string, { s: number; pass: string }[]> = { tx: [], dbt: [] };
for (let i = 0; i < runs; i++) {
  for (const tool of ['tx', 'dbt'] as const) results[tool].push(await once(tool, dbt, i));
}
console.log('| tool | pass / error / skip | wall, median of %d (s) | runs (s) |', runs);
console.log('|---|---|---|---|');
for (const tool of ['tx', 'dbt'] as const) {
  const r = results[tool];
  console.log(`| ${tool === 'tx' ? 'tx deps && tx build' : 'dbt deps && dbt build (dbt-core 1.10)'} | ${r.map((x) => x.pass).join(', ')} | ${median(r.map((x) => x.s)).toFixed(1)} | ${r.map((x) => x.s.toFixed(1)).join(', ')} |`);
}
console.log(loadLine('end'));
