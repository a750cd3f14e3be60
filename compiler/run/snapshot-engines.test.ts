/**
 * Snapshots (SCD type 2) through the CLI on DuckDB, PostgreSQL and Hive (Spark Thrift Server): the
 * same project and the same four source versions on each engine, and the version history each
 * snapshot must hold after each run, written out by hand from dbt's documented semantics:
 * inserts, updates, deletes under hard_deletes ignore / invalidate (the legacy
 * invalidate_hard_deletes) / new_record, a composite unique_key, a check strategy on a column
 * subset, a timestamp strategy that does not see a change with an equal timestamp, a rerun with no
 * change that adds no row, a YAML snapshot (relation:) with dbt_valid_to_current and renamed meta
 * columns, a model that refs a snapshot (built after it), and dbt_scd_id = md5("<id>|<updated_at>").
 * Then SIGKILL inside the merge (a failpoint stops tx after the statement that closes the changed
 * rows, inside the transaction; on Hive after the new table is written and inside the swap): the
 * snapshot table holds its complete previous state, and the next run goes on from it.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath, fixtureProject, type FixtureProject } from '../../testing/fixture-project.js';
import { openHiveSession, type HiveSessionHandle } from '../../testing/services/hive-client.js';
import { createTestDatabase, startPostgres, type TestDatabase } from '../../testing/services/postgres.js';
import { skipEachWithout } from '../../testing/services/service-suite.js';
import { startSparkThriftServer, type HiveService } from '../../testing/services/spark.js';

import { R1, R2, R4, SNAPSHOT_FILES, T1, T2, type Src } from '../../testing/snapshot-fixture.js';

/** A query on an engine whose values come back as text. */
export interface Engine {
  name: string;
  target: string;
  schema: string;
  /** The string type for casts. */
  str: string;
  query(sql: string): Promise<Record<string, unknown>[]>;
}

const TS_COLS = ['id', 'name', 'status', 'updated_at', 'dbt_scd_id', 'dbt_updated_at', 'dbt_valid_from', 'dbt_valid_to'];

/** Rows of a table as sorted text tuples; run-time timestamps (this year's) become NOW. */
async function rows(e: Engine, table: string, cols: string[]): Promise<string[][]> {
  // the test's own Spark session caches file listings: tx replaced the table since
  if (e.name === 'hive') await e.query(`refresh table ${e.schema}.${table}`);
  const got = await e.query(`select ${cols.map((c) => `cast(${c} as ${e.str}) as ${c}`).join(', ')} from ${e.schema}.${table}`);
  return got
    .map((r) => cols.map((c) => normalize(r[c])))
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

function normalize(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  const s = String(v);
  // now()-valued timestamps (dbt_valid_to of a delete, check-strategy times) differ per run
  if (/^(20(2[5-9]|[3-9]\d))-\d\d-\d\d[ T]/.test(s)) return 'NOW';
  return s.replace(/\.0+$/, '');
}

const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const scd = (id: number, ts: string) => md5(`${id}|${ts}`);

/** The history a timestamp snapshot (id, name, status, updated_at + meta) must hold. */
function tsRow(id: number, name: string, status: string, ts: string, validTo: string): string[] {
  return [String(id), name, status, ts, scd(id, ts), ts, ts, validTo];
}

async function run(fx: FixtureProject, e: Engine, rowsVar: Src[], command = 'build', extraEnv: Record<string, string> = {}) {
  return fx.txWith({ timeoutMs: 600_000, env: extraEnv }, command, '--target', e.name, '--vars', JSON.stringify({ rows: rowsVar }));
}

async function expectHistory(e: Engine, step: 'R1' | 'R2' | 'R4'): Promise<void> {
  const ignore = [tsRow(1, 'n1', 's1', T1, step === 'R1' ? 'NULL' : T2), tsRow(2, 'n2', 's1', T1, 'NULL'), tsRow(3, 'n3', 's1', T1, 'NULL')];
  if (step !== 'R1') ignore.push(tsRow(1, 'n1b', 's1', T2, 'NULL'), tsRow(4, 'n4', 's1', T2, 'NULL'));
  const sort = (x: string[][]) => [...x].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  expect(await rows(e, 's_ignore', TS_COLS), `${e.name} s_ignore after ${step}`).toEqual(sort(ignore));

  // invalidate: id 3's version closed at the snapshot time; back in R4 as a new current version
  const invalidate = ignore.map((r) => (r[0] === '3' && step !== 'R1' ? [...r.slice(0, 7), 'NOW'] : r));
  if (step === 'R4') invalidate.push(tsRow(3, 'n3', 's1', T1, 'NULL'));
  expect(await rows(e, 's_invalidate', TS_COLS), `${e.name} s_invalidate after ${step}`).toEqual(sort(invalidate));

  // new_record: as invalidate, plus a deletion record (dbt_is_deleted True) that R4's return closes at updated_at
  const nrCols = [...TS_COLS, 'dbt_is_deleted'];
  const newRecord = invalidate.map((r) => [...r, 'False']);
  if (step !== 'R1') newRecord.push(['3', 'n3', 's1', T1, 'ID', 'NOW', 'NOW', step === 'R4' ? T1 : 'NULL', 'True']);
  const got = await rows(e, 's_new_record', nrCols);
  const deletion = got.find((r) => r[8] === 'True');
  if (deletion) {
    // md5(old dbt_scd_id | snapshot time): not the original row's id, and a 32-hex md5
    expect(deletion[4]).toMatch(/^[0-9a-f]{32}$/);
    expect(deletion[4]).not.toBe(scd(3, T1));
    deletion[4] = 'ID';
  }
  expect(sort(got), `${e.name} s_new_record after ${step}`).toEqual(sort(newRecord));

  // check on status, key (id, k2): (1,a)'s name change is not a change; (1,b) and (2,a) get new versions
  const checkRows = await rows(e, 's_check', ['id', 'k2', 'status', 'dbt_valid_from', 'dbt_valid_to']);
  const byKey = (id: string, k2: string) => checkRows.filter((r) => r[0] === id && r[1] === k2).map((r) => `${r[2]}:${r[4] === 'NULL' ? 'current' : 'closed'}`).sort();
  const expectCheck: Record<string, string[]> =
    step === 'R1'
      ? { '1a': ['s1:current'], '1b': ['s1:current'], '2a': ['s1:current'], '3a': ['s1:current'] }
      : {
          '1a': ['s1:current'],
          '1b': ['s1:closed', 's2:current'],
          '2a': ['s1:closed', 's2:current'],
          '3a': step === 'R4' ? ['s1:closed', 's1:current'] : ['s1:closed'],
          '4a': ['s1:current'],
        };
  for (const [k, v] of Object.entries(expectCheck)) expect(byKey(k[0]!, k[1]!), `${e.name} s_check ${k} after ${step}`).toEqual(v);
  expect(checkRows.length).toBe(Object.values(expectCheck).flat().length);

  // YAML snapshot: renamed meta columns, dbt_valid_to_current for current rows, every column checked
  const yamlRows = await rows(e, 's_yaml', ['id', 'name', 'status', 'valid_to']);
  const yamlExpected =
    step === 'R1'
      ? [['1', 'n1', 's1', '9999-12-31 00:00:00'], ['2', 'n2', 's1', '9999-12-31 00:00:00'], ['3', 'n3', 's1', '9999-12-31 00:00:00']]
      : [
          ['1', 'n1', 's1', 'NOW'],
          ['1', 'n1b', 's1', '9999-12-31 00:00:00'],
          ['2', 'n2', 's1', 'NOW'],
          ['2', 'n2', 's2', '9999-12-31 00:00:00'],
          ['3', 'n3', 's1', '9999-12-31 00:00:00'],
          ['4', 'n4', 's1', '9999-12-31 00:00:00'],
        ];
  expect(yamlRows, `${e.name} s_yaml after ${step}`).toEqual(sort(yamlExpected));

  // the model that refs s_invalidate ran after it
  const current = (await rows(e, 'current_a', ['id', 'name'])).map((r) => r.join(':'));
  expect(current, `${e.name} current_a after ${step}`).toEqual(
    step === 'R1' ? ['1:n1', '2:n2', '3:n3'] : step === 'R2' ? ['1:n1b', '2:n2', '4:n4'] : ['1:n1b', '2:n2', '3:n3', '4:n4'],
  );
}

/** Every snapshot table's rows, for "nothing changed" checks. */
async function state(e: Engine): Promise<Record<string, string[][]>> {
  return {
    s_ignore: await rows(e, 's_ignore', TS_COLS),
    s_invalidate: await rows(e, 's_invalidate', TS_COLS),
    s_new_record: await rows(e, 's_new_record', [...TS_COLS, 'dbt_is_deleted']),
    s_check: await rows(e, 's_check', ['id', 'k2', 'status', 'dbt_scd_id', 'dbt_valid_from', 'dbt_valid_to']),
    s_yaml: await rows(e, 's_yaml', ['id', 'name', 'status', 'dbt_scd_id', 'valid_from', 'valid_to']),
  };
}

/** Run tx with a failpoint after the statement matching `pause`, SIGKILL it there. */
async function killAfter(fx: FixtureProject, e: Engine, rowsVar: Src[], pause: RegExp): Promise<string[]> {
  const log = join(fx.dir, 'logs', 'tx.log');
  const statements = (): string[] =>
    existsSync(log)
      ? readFileSync(log, 'utf8')
          .split('\n')
          .filter((l) => l.includes('"msg":"statement"'))
          .map((l) => (JSON.parse(l) as { sql: string }).sql)
      : [];
  const before = statements().length;
  const env = { ...process.env, NO_COLOR: '1', TX_TEST_PAUSE_AFTER: pause.source };
  const child = spawn(process.execPath, [cliPath(), 'snapshot', '--select', 's_invalidate', '--target', e.name, '--project-dir', fx.dir, '--vars', JSON.stringify({ rows: rowsVar })], {
    cwd: fx.dir,
    env,
    stdio: 'ignore',
  });
  const t0 = Date.now();
  while (!statements().slice(before).some((s) => pause.test(s)) && child.exitCode === null && Date.now() - t0 < 300_000) await new Promise((r) => setTimeout(r, 50));
  const ran = statements().slice(before);
  expect(child.exitCode, 'tx must be stopped at the failpoint, not finished').toBe(null);
  child.kill('SIGKILL');
  await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)));
  return ran;
}

/** The whole scenario on one engine. */
async function scenario(fx: FixtureProject, e: Engine): Promise<void> {
  const r1 = await run(fx, e, R1);
  expect(r1.code, r1.output).toBe(0);
  expect(r1.stdout).toMatch(/created snapshot/);
  await expectHistory(e, 'R1');

  const r2 = await run(fx, e, R2);
  expect(r2.code, r2.output).toBe(0);
  await expectHistory(e, 'R2');

  // no change: not one row added or altered (tx snapshot after a build of the models)
  const before = await state(e);
  const r3 = await run(fx, e, R2, 'snapshot');
  expect(r3.code, r3.output).toBe(0);
  expect(r3.stdout).toMatch(/Running snapshot .*: 5 nodes/);
  expect(await state(e)).toEqual(before);

  // SIGKILL inside the merge: the previous complete state, then the next run goes on from it
  await killInsideMerge(fx, e);
  expect(await state(e)).toEqual(before);

  const r4 = await run(fx, e, R4);
  expect(r4.code, r4.output).toBe(0);
  await expectHistory(e, 'R4');
}

async function killInsideMerge(fx: FixtureProject, e: Engine): Promise<void> {
  // the models must hold R4 for the snapshot to have changes to merge
  const models = await fx.txWith({ timeoutMs: 600_000 }, 'run', '--target', e.name, '--select', 'src', 'src_a', '--vars', JSON.stringify({ rows: R4 }));
  expect(models.code, models.output).toBe(0);
  if (e.name === 'hive') {
    // killed after the new table is written, before the swap
    const ran = await killAfter(fx, e, R4, /^CREATE TABLE `[^`]+`\.`s_invalidate__tx_new`/);
    expect(ran.some((s) => /RENAME TO/.test(s))).toBe(false);
    // killed between the two renames: the table is aside; the next run renames it back first
    const ran2 = await killAfter(fx, e, R4, /^ALTER TABLE `[^`]+`\.`s_invalidate` RENAME TO `[^`]+`\.`s_invalidate__tx_old`$/);
    expect(ran2.some((s) => /s_invalidate__tx_new` RENAME TO/.test(s))).toBe(false);
    const aside = await e.query(`show tables in ${e.schema} like 's_invalidate*'`);
    expect(aside.map((r) => String(r.tableName ?? r.tablename ?? Object.values(r)[1])).sort()).toContain('s_invalidate__tx_old');
    // the next run of the snapshot renames it back before anything else (and is killed again before its swap)
    const again = await killAfter(fx, e, R4, /^CREATE TABLE `[^`]+`\.`s_invalidate__tx_new`/);
    expect(again.some((s) => /RENAME TO `[^`]+`\.`s_invalidate`$/.test(s)), 'the table put aside by the killed swap is renamed back').toBe(true);
  } else {
    const ran = await killAfter(fx, e, R4, /^update \S+ as DBT_INTERNAL_TARGET/);
    // where tx stood: inside the transaction, the changed rows closed, nothing inserted or committed
    expect(ran.lastIndexOf('begin transaction') >= 0 || ran.lastIndexOf('BEGIN') >= 0).toBe(true);
    expect(ran.some((s) => /^insert into/.test(s))).toBe(false);
  }
  // put the models back to R2, as the snapshot last saw them
  const back = await fx.txWith({ timeoutMs: 600_000 }, 'run', '--target', e.name, '--select', 'src', 'src_a', 'current_a', '--vars', JSON.stringify({ rows: R2 }));
  expect(back.code, back.output).toBe(0);
}

describe('snapshots on DuckDB', () => {
  it('inserts, updates, deletes (ignore, invalidate, new_record), composite key, check subset, equal timestamps, no-change rerun, YAML snapshot, SIGKILL in the merge', async () => {
    const fx = fixtureProject({ ...SNAPSHOT_FILES, 'project.yml': 'name: snaps\ntargets:\n  duckdb: {type: duckdb, path: snaps.duckdb}\n' }, { dbFile: 'snaps.duckdb' });
    try {
      const e: Engine = { name: 'duckdb', target: 'duckdb', schema: 'main', str: 'varchar', query: (sql) => fx.query(sql) };
      await scenario(fx, e);
    } finally {
      fx.cleanup();
    }
  }, 600_000);
});

describe('snapshots on PostgreSQL', () => {
  let db: TestDatabase | undefined;
  let admin: pg.Client | undefined;
  beforeAll(async () => {
    const svc = await startPostgres();
    db = await createTestDatabase(svc, 'tx_snapshots');
    admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
  }, 120_000);
  afterAll(async () => {
    await admin?.end();
    await db?.drop();
  });

  it('inserts, updates, deletes (ignore, invalidate, new_record), composite key, check subset, equal timestamps, no-change rerun, YAML snapshot, SIGKILL in the merge', async () => {
    const u = new URL(db!.url);
    const target = `target: postgres\ntargets:\n  postgres: {type: postgres, host: ${u.hostname}, port: ${u.port || 5432}, user: ${decodeURIComponent(u.username)}, password: "${decodeURIComponent(u.password)}", database: ${u.pathname.slice(1)}, schema: snaps, sslmode: disable}\n`;
    const fx = fixtureProject({ ...SNAPSHOT_FILES, 'project.yml': `name: snaps\n${target}` });
    try {
      const e: Engine = { name: 'postgres', target: 'postgres', schema: 'snaps', str: 'varchar', query: async (sql) => (await admin!.query(sql)).rows };
      await scenario(fx, e);
      // the merge ran in a transaction that the killed client's server session rolled back: no lock or transaction left
      const open = await admin!.query("select count(*)::int as n from pg_stat_activity where datname = current_database() and state like 'idle in transaction%'");
      expect(open.rows[0].n).toBe(0);
    } finally {
      fx.cleanup();
    }
  }, 600_000);
});

describe('snapshots on Hive (Spark Thrift Server)', () => {
  let hive: HiveService | null = null;
  let session: HiveSessionHandle | undefined;
  const schema = `tx_snap_${Math.random().toString(36).slice(2, 8)}`;
  beforeAll(async () => {
    hive = await startSparkThriftServer();
    if (!hive) return;
    session = await openHiveSession(hive.host, hive.port);
  }, 600_000);
  afterAll(async () => {
    try {
      await session?.query(`drop database if exists \`${schema}\` cascade`);
      await session?.close();
    } finally {
      await hive?.stop();
    }
  }, 120_000);
  skipEachWithout(() => hive);

  it('inserts, updates, deletes (ignore, invalidate, new_record), composite key, check subset, equal timestamps, no-change rerun, YAML snapshot, SIGKILL in the rewrite and the swap', async () => {
    const target = `target: hive\ntargets:\n  hive: {type: hive, host: ${hive!.host}, port: ${hive!.port}, schema: ${schema}, auth: NONE, user: tx}\n`;
    const fx = fixtureProject({ ...SNAPSHOT_FILES, 'project.yml': `name: snaps\n${target}` });
    try {
      const query = async (sql: string) => {
        try {
          return await session!.query(sql);
        } catch (err) {
          throw new Error(`${(err as Error).message}: ${sql}`, { cause: err });
        }
      };
      const e: Engine = { name: 'hive', target: 'hive', schema: `\`${schema}\``, str: 'string', query };
      await scenario(fx, e);
    } finally {
      fx.cleanup();
    }
  }, 600_000);
});
