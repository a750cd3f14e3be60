/**
 * Audit before publish on DuckDB: a failing new version is never visible (a reader on another
 * connection of the same database polls throughout), its export and downstream do not run, the
 * previous version stays; a test that errors, Ctrl-C and a full disk during the audit keep it too.
 * Snapshots: their tests run on the new snapshot state inside the merge's transaction.
 * The same proof on PostgreSQL and Hive: targets/postgres/postgres-audit.test.ts, targets/hive/hive-audit.test.ts.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditProject, exported, outcomeOf, pollingReader, removeExports, snapshotFiles, snapshotReader, snapshotStateOf, stateOf, type AuditEngine, type Row } from '../../testing/audit-proof.js';
import { dedent, queryDuckdb, runCli } from '../../testing/fixture-project.js';
import { serviceUnavailable } from '../../testing/services/require.js';
import { skipEachWithout } from '../../testing/services/service-suite.js';
import { duckdbDialect } from '../../targets/duckdb/duckdb-dialect.js';
import { createDuckdbTarget } from '../../targets/duckdb/index.js';
import { registerTargetType } from '../../targets/registry.js';
import type { Target, TargetSession } from '../../targets/target.js';
import { compileProject } from '../compile/compile-project.js';
import { loadProject } from '../load/load-project.js';
import { Logger } from '../log/logger.js';
import { afterNodeHooks } from './export-steps.js';
import { runProject } from './run-project.js';

// In this process, DuckDB sessions are watched: the reader needs a connection of the same database
// (DuckDB lets one process at a time write a file), and the build must not close it under the reader.
let onOpen: ((s: TargetSession) => Promise<void>) | undefined;
let beforeClose: (() => Promise<void>) | undefined;
registerTargetType('duckdb', {
  dialect: async () => duckdbDialect,
  factory: async () => (name, config, dir) => {
    const t = createDuckdbTarget(name, config, dir);
    const wrapped: Target = {
      name: t.name,
      info: t.info,
      dialect: t.dialect,
      ping: () => t.ping(),
      open: async (o) => {
        const s = await t.open(o);
        const watched = new Proxy(s, {
          get: (target, key, recv) =>
            key === 'close'
              ? async () => {
                  await beforeClose?.();
                  return target.close();
                }
              : Reflect.get(target, key, recv),
        });
        await onOpen?.(watched);
        return watched;
      },
    };
    return wrapped;
  },
});

const dbOf = (dir: string) => join(dir, 'warehouse.duckdb');

const duck: AuditEngine = {
  targetYml: 'target: dev\ntargets:\n  dev:\n    type: duckdb\n    path: warehouse.duckdb',
  schema: 'main',
  rows: (n) => `select i from range(${n}) t(i)`,
  async build(dir, vars, reader) {
    const project = loadProject(dir, { vars });
    const compiled = await compileProject(project, { vars, command: 'build' });
    const logger = new Logger({ format: 'text', quiet: true, file: join(dir, 'logs', 'tx.log') });
    const ac = new AbortController();
    let finished = false;
    let reading: Promise<void> | undefined;
    onOpen = async (s) => {
      if (reader) reading = reader((sql) => s.connection.query(sql), () => finished);
    };
    beforeClose = async () => {
      finished = true;
      await reading;
    };
    try {
      const out = await runProject(compiled, { command: 'build', threads: 2, failFast: false, fullRefresh: false, logger, signal: ac.signal, afterNode: afterNodeHooks(compiled, logger, ac.signal) });
      return { code: out.exitCode, output: '' };
    } finally {
      onOpen = undefined;
      beforeClose = undefined;
    }
  },
  query: (dir, sql) => queryDuckdb(dbOf(dir), sql),
};

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const project = (extra: Record<string, string> = {}) => {
  const d = auditProject(duck, extra);
  dirs.push(d);
  return d;
};

describe('audit before publish on DuckDB', () => {
  it('a failing new version is never visible, not exported, and nothing downstream runs; a passing one publishes', async () => {
    const dir = project();
    expect((await duck.build(dir, { ver: 1 })).code).toBe(0);
    expect(await stateOf(duck, dir)).toEqual({ m: [1], mRows: 50, view: [1], inc: [1], incRows: 3, down: [1] });
    expect(exported(dir).length).toBeGreaterThan(0);
    removeExports(dir);

    const r = pollingReader('main');
    const bad = await duck.build(dir, { ver: 666 }, r.reader);
    expect(bad.code).toBe(1);
    expect(r.polls()).toBeGreaterThan(0);
    expect(r.errors).toEqual([]);
    expect([...r.seen]).toEqual([1]);
    const o = outcomeOf(dir);
    for (const m of ['m', 'm_view', 'm_inc']) {
      expect(o.status[m], m).toBe('error');
      expect(o.message[m]).toMatch(/failed its audit .*accepted_values_\w+ failed.*not published, the previous version of main\.\w+ is kept/);
    }
    // each audited test keeps its own result, with the failing rows
    const failedTests = Object.entries(o.status).filter(([k, v]) => k.startsWith('accepted_values') && v === 'fail');
    expect(failedTests.length).toBe(3);
    expect(o.status.down).toBe('skipped');
    expect(o.status['after:m']).toBe('skipped');
    expect(exported(dir)).toEqual([]);
    expect(await stateOf(duck, dir)).toEqual({ m: [1], mRows: 50, view: [1], inc: [1], incRows: 3, down: [1] });
    // the tests ran against the side versions, never the published relations
    const log = readFileSync(join(dir, 'logs', 'tx.log'), 'utf8');
    expect(log).toMatch(/m__tx_new/);
    expect(log).toMatch(/m_view__tx_audit/);

    const good = await duck.build(dir, { ver: 2 }, pollingReader('main').reader);
    expect(good.code).toBe(0);
    expect(await stateOf(duck, dir)).toEqual({ m: [2], mRows: 50, view: [2], inc: [1, 2], incRows: 6, down: [2] });
    expect(exported(dir).length).toBeGreaterThan(0);
    const after = outcomeOf(dir);
    expect(after.message.m).toMatch(/audited: 1 test passed before publish/);
    // the warn-severity test fails on version 2 and blocks nothing
    expect(Object.entries(after.status).filter(([k, v]) => k.startsWith('accepted_values_m_ver') && v === 'warn').length).toBe(1);
  }, 120_000);

  it('--no-audit publishes first and tests after (the failing version is visible, downstream still skipped)', async () => {
    const dir = project();
    expect((await runCli(['build', '--project-dir', dir, '-q'], { cwd: dir })).code).toBe(0);
    const run = await runCli(['build', '--project-dir', dir, '--no-audit', '--vars', '{ver: 666}'], { cwd: dir });
    expect(run.code).toBe(1);
    const o = outcomeOf(dir);
    expect(o.status.m).toBe('success');
    expect(o.status.down).toBe('skipped');
    expect((await stateOf(duck, dir)).m).toEqual([666]);
  }, 120_000);

  it('config audit: false on one model tests it after publish; the others are still audited', async () => {
    const dir = project();
    writeFileSync(join(dir, 'project.yml'), `${readFileSync(join(dir, 'project.yml'), 'utf8')}models:\n  auditproof:\n    m:\n      +audit: false\n`);
    expect((await duck.build(dir, { ver: 1 })).code).toBe(0);
    expect((await duck.build(dir, { ver: 666 })).code).toBe(1);
    const o = outcomeOf(dir);
    expect(o.status.m).toBe('success');
    expect(o.status.down).toBe('skipped');
    expect(o.status.m_view).toBe('error');
    expect(await stateOf(duck, dir)).toMatchObject({ m: [666], view: [1], inc: [1], down: [1] });
  }, 120_000);

  it('seeds and file sources: a failing new load keeps the previous table and skips what reads it', async () => {
    const dir = project({
      'seeds/codes.csv': 'code\n1\n2\n',
      'data/feed.csv': 'n\n10\n20\n',
      'models/uses_codes.sql': "{{ config(materialized='table') }}\nselect c.code, f.n from {{ ref('codes') }} c, {{ source('vendor', 'feed') }} f\n",
      'models/sources.yml': dedent(`
        version: 2
        sources:
          - name: vendor
            tables:
              - name: feed
                path: data/feed.csv
                columns:
                  - {name: n, data_type: integer, tests: [{accepted_values: {values: [10, 20, 30], quote: false}}]}
        seeds:
          - name: codes
            columns:
              - name: code
                tests: [{accepted_values: {values: [1, 2, 3], quote: false}}]
      `),
    });
    expect((await duck.build(dir, { ver: 1 })).code).toBe(0);
    writeFileSync(join(dir, 'seeds', 'codes.csv'), 'code\n1\n9\n');
    writeFileSync(join(dir, 'data', 'feed.csv'), 'n\n10\n99\n');
    expect((await duck.build(dir, { ver: 1 })).code).toBe(1);
    const o = outcomeOf(dir);
    expect(o.status.codes).toBe('error');
    expect(o.message.codes).toMatch(/failed its audit .*not published, the previous version of main\.codes is kept/);
    expect(o.status['vendor.feed']).toBe('error');
    expect(o.status.uses_codes).toBe('skipped');
    expect((await duck.query(dir, 'select code from main.codes order by 1')).map((r) => Number(r.code))).toEqual([1, 2]);
    expect((await duck.query(dir, 'select n from vendor.feed order by 1')).map((r) => Number(r.n))).toEqual([10, 20]);
    writeFileSync(join(dir, 'seeds', 'codes.csv'), 'code\n1\n3\n');
    writeFileSync(join(dir, 'data', 'feed.csv'), 'n\n10\n30\n');
    expect((await duck.build(dir, { ver: 1 })).code).toBe(0);
    expect((await duck.query(dir, 'select code, n from main.uses_codes order by 1, 2')).map((r) => `${r.code}:${r.n}`)).toEqual(['1:10', '1:30', '3:10', '3:30']);
  }, 120_000);

  it('snapshots: a failing new snapshot state is never visible, keeps the previous table, skips downstream; a passing one publishes', async () => {
    const dir = project(snapshotFiles(duck));
    expect((await duck.build(dir, { ver: 1 })).code).toBe(0);
    expect((await duck.build(dir, { ver: 2 })).code).toBe(0);
    const before = { snap: [1, 2], snapRows: 10, current: [2], cur: [2] };
    expect(await snapshotStateOf(duck, dir)).toEqual(before);
    expect(outcomeOf(dir).message.snap).toMatch(/audited: 2 tests passed before publish/);

    const r = snapshotReader('main');
    expect((await duck.build(dir, { ver: 666 }, r.reader)).code).toBe(1);
    expect(r.polls()).toBeGreaterThan(0);
    expect(r.errors).toEqual([]);
    expect([...r.seen].sort()).toEqual([1, 2]);
    const o = outcomeOf(dir);
    expect(o.status.src).toBe('success');
    expect(o.status.snap).toBe('error');
    expect(o.message.snap).toMatch(/failed its audit \(accepted_values_snap_ver_\w+ failed\): not published, the previous version of main\.snap is kept/);
    const failing = Object.entries(o.status).filter(([k, v]) => k.startsWith('accepted_values_snap_ver') && v === 'fail');
    expect(failing.length).toBe(1);
    // the failing rows are reported: the value 666 (on 5 rows) in snap.ver
    expect(o.message[failing[0]![0]]).toMatch(/1 failing row in snap\.ver \(snapshots\/snap\.yml:\d+\)/);
    const run = JSON.parse(readFileSync(join(dir, 'target', 'tx_run.json'), 'utf8')) as { results: { unique_id: string; details?: { sample?: Row[] } }[] };
    const sample = run.results.find((x) => x.unique_id.includes('accepted_values_snap_ver'))!.details!.sample!;
    expect(sample.map((x) => Object.values(x).map(String))).toEqual([['666', '5']]);
    expect(o.status.not_null_snap_id).toBe('pass');
    expect(o.status.cur).toBe('skipped');
    expect(await snapshotStateOf(duck, dir)).toEqual(before);
    expect(await duck.query(dir, "select table_name from information_schema.tables where table_name like '%__tx_%'")).toEqual([]);

    expect((await duck.build(dir, { ver: 3 }, snapshotReader('main').reader)).code).toBe(0);
    expect(await snapshotStateOf(duck, dir)).toEqual({ snap: [1, 2, 3], snapRows: 15, current: [3], cur: [3] });
  }, 120_000);

  it('snapshots: a first snapshot that fails its audit is not created', async () => {
    const dir = project(snapshotFiles(duck));
    expect((await duck.build(dir, { ver: 666 })).code).toBe(1);
    expect(outcomeOf(dir).status.snap).toBe('error');
    // no previous version to keep: the message says the relation was not created
    expect(outcomeOf(dir).message.snap).toMatch(/failed its audit \(accepted_values_snap_ver_\w+ failed\): not published, main\.snap was not created$/);
    expect(await duck.query(dir, "select table_name from information_schema.tables where table_name like 'snap%'")).toEqual([]);
    // tx build --no-audit takes the snapshot and tests it after
    const run = await runCli(['build', '--project-dir', dir, '--no-audit', '--select', 'src', 'snap+', '--vars', '{ver: 666}'], { cwd: dir });
    expect(run.code, run.output).toBe(1);
    expect(outcomeOf(dir).status.snap).toBe('success');
    expect((await duck.query(dir, 'select distinct ver from main.snap')).map((x) => Number(x.ver))).toEqual([666]);
  }, 120_000);

  it('store_failures inside the build transaction (incremental): the line says the failing rows were rolled back, and they were', async () => {
    const dir = project({ 'project.yml': `name: auditproof\nvars:\n  ver: 1\n${duck.targetYml}\ndata_tests:\n  +store_failures: true\n` });
    expect((await duck.build(dir, { ver: 1 })).code, JSON.stringify(outcomeOf(dir).message)).toBe(0);
    const run = await runCli(['build', '--project-dir', dir, '--select', 'm_inc+', '--vars', '{ver: 666}'], { cwd: dir });
    expect(run.code, run.output).toBe(1);
    expect(run.output).toMatch(/FAIL accepted_values_m_inc_ver\w*: 1 failing row in m_inc\.ver .*; failing rows not kept in main_dbt_test__audit\.accepted_values_m_inc_ver\w*: the audit ran inside the build's transaction, which rolled back/);
    const stored = await duck.query(dir, "select table_name from information_schema.tables where table_schema = 'main_dbt_test__audit' and table_name like 'accepted_values_m_inc%'");
    expect(stored.length).toBe(1);
    expect(await duck.query(dir, `select * from main_dbt_test__audit.${String(stored[0]!.table_name)}`)).toEqual([]);
    // a table's audit runs outside any transaction: its failing rows are stored
    const t = await runCli(['build', '--project-dir', dir, '--select', 'm', '--vars', '{ver: 666}'], { cwd: dir });
    expect(t.output).toMatch(/FAIL accepted_values_m_ver\w*: .*; failing rows stored in main_dbt_test__audit\.accepted_values_m_ver/);
  }, 120_000);

  it('store_failures on many nodes audited at once: the audit schema is created once, before any build transaction (a race failed CI)', async () => {
    // Eight incremental models and eight tables, each with a store_failures test, built by 4 threads on a fresh database:
    // every audit wants main_dbt_test__audit; two transactions creating it at once conflict in DuckDB's catalog.
    const files: Record<string, string> = { 'project.yml': `name: auditproof\nvars:\n  ver: 1\n${duck.targetYml}\ndata_tests:\n  +store_failures: true\n` };
    const yml: string[] = ['version: 2', 'models:'];
    for (let i = 0; i < 8; i++) {
      files[`models/inc_${i}.sql`] = `{{ config(materialized='incremental') }}\nselect {{ var('ver') }} as ver, ${i} as id\n`;
      files[`models/tab_${i}.sql`] = `{{ config(materialized='table') }}\nselect {{ var('ver') }} as ver, ${i} as id\n`;
      for (const m of [`inc_${i}`, `tab_${i}`]) yml.push(`  - name: ${m}`, '    columns:', '      - name: ver', '        tests:', '          - accepted_values: {values: [1, 2], quote: false}');
    }
    files['models/schema.yml'] = `${yml.join('\n')}\n`;
    for (let round = 0; round < 3; round++) {
      const dir = project(files);
      const run = await runCli(['build', '--project-dir', dir, '--threads', '4', '--select', 'inc_*', 'tab_*'], { cwd: dir });
      expect(run.code, run.output).toBe(0);
      const stored = await duck.query(dir, "select count(*) as n from information_schema.tables where table_schema = 'main_dbt_test__audit'");
      expect(Number(stored[0]!.n)).toBe(16);
      // deterministic: the schema is created by one statement, not by each audit on its own connection
      const creates = readFileSync(join(dir, 'logs', 'tx.log'), 'utf8').split('\n').filter((l) => l.includes('create schema if not exists \\"main_dbt_test__audit\\"'));
      expect(creates.length).toBe(1);
    }
  }, 180_000);

  it('a test that errors during the audit: the node fails naming the test, the old version stays', async () => {
    const dir = project({
      'tests/broken_check.sql': "{{ config(enabled=var('broken', false)) }}\nselect * from {{ ref('m') }} where no_such_column = 1\n",
    });
    expect((await duck.build(dir, { ver: 1 })).code).toBe(0);
    const run = await runCli(['build', '--project-dir', dir, '--vars', '{ver: 2, broken: true}'], { cwd: dir });
    expect(run.code).toBe(1);
    const o = outcomeOf(dir);
    expect(o.status.broken_check).toBe('error');
    expect(o.message.broken_check).toMatch(/no_such_column/);
    expect(o.status.m).toBe('error');
    expect(o.message.m).toMatch(/broken_check errored/);
    expect(run.output).toMatch(/broken_check errored/);
    expect((await stateOf(duck, dir)).m).toEqual([1]);
    // m_view and m_inc, whose tests passed, were published
    expect((await stateOf(duck, dir)).view).toEqual([2]);
  }, 120_000);

  it('Ctrl-C during the audit: exit 130, the previous version intact', async () => {
    const dir = project({
      // a slow test: seconds of work, cancelled by the interrupt
      'tests/slow_check.sql': "{{ config(enabled=var('slow', false)) }}\nselect * from {{ ref('m') }} where (select count(*) from range(20000000000) t(x) where x % 7 = 8) > 0\n",
    });
    expect((await duck.build(dir, { ver: 1 })).code).toBe(0);
    const log = join(dir, 'logs', 'tx.log');
    writeFileSync(log, '');
    const cli = new URL('../../dist/compiler/cli.js', import.meta.url).pathname;
    const child = spawn(process.execPath, [cli, 'build', '--project-dir', dir, '--threads', '1', '--vars', '{ver: 2, slow: true}'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += String(d)));
    child.stderr!.on('data', (d) => (out += String(d)));
    const t0 = Date.now();
    // the side version of m is built (its row count is taken just before the audit)
    while (!/select count\(\*\) as n from \\"main\\"\.\\"m__tx_new\\"/.test(readFileSync(log, 'utf8')) && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 700));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => (child.exitCode !== null ? r(child.exitCode) : child.once('exit', (c) => r(c))));
    expect(code, out).toBe(130);
    expect(out).toMatch(/Cancel/i);
    expect(await stateOf(duck, dir)).toMatchObject({ m: [1], mRows: 50, down: [1] });
    expect(readFileSync(log, 'utf8')).not.toMatch(/alter table \\"main\\"\.\\"m__tx_new\\" rename/);
  }, 120_000);
});

/** A tiny tmpfs for the warehouse (needs root, as on CI and the dev machines); false when mounting is not allowed. */
function mountTinyDisk(dir: string, size: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
    return true;
  } catch (e) {
    serviceUnavailable('disk-full', `cannot mount a tmpfs for the disk-full audit test (not root?): ${String((e as { stderr?: unknown }).stderr ?? (e as Error).message).trim()}`);
    return false;
  }
}

describe('audit before publish on DuckDB: the disk fills during the audit', () => {
  let disk = '';
  let mounted = false;
  beforeAll(() => {
    disk = mkdtempSync(join(tmpdir(), 'tx-audit-full-'));
    mounted = mountTinyDisk(disk, '24m');
  });
  skipEachWithout(() => (mounted ? true : null));
  afterAll(() => {
    if (mounted) execFileSync('umount', [disk]);
    if (disk) rmSync(disk, { recursive: true, force: true });
  });

  it('a test storing its failing rows fills the disk: clear error, the previous version intact', async () => {
    const wh = join(disk, 'warehouse.duckdb');
    const dir = project({
      'project.yml': `name: auditproof\nvars:\n  ver: 1\ntarget: dev\ntargets:\n  dev:\n    type: duckdb\n    path: ${wh}\n`,
      // with `fill`, the audit stores 2,000,000 distinct failing rows (~190 MB of text) in the warehouse: more than the disk holds
      'tests/fill_check.sql':
        "{{ config(enabled=var('fill', false), store_failures=true) }}\nselect m.*, md5(cast(t.x * 100 + m.id as varchar)) || md5(cast(t.x * 100 + m.id + 1 as varchar)) || md5(cast(t.x * 100 + m.id + 2 as varchar)) as pad from {{ ref('m') }} m, range(40000) t(x)\n",
    });
    const first = await runCli(['build', '--project-dir', dir, '-q'], { cwd: dir });
    expect(first.code, first.output).toBe(0);
    const run = await runCli(['build', '--project-dir', dir, '--threads', '1', '--vars', '{ver: 2, fill: true}'], { cwd: dir, timeoutMs: 120_000 });
    expect(run.code, run.output).toBe(1);
    const o = outcomeOf(dir);
    expect(o.status.fill_check, o.message.fill_check).toBe('error');
    expect(o.message.fill_check).toMatch(/No space left on device|disk is full|could not write|out of space/i);
    expect(o.status.m).toBe('error');
    expect(o.message.m).toMatch(/fill_check errored.*previous version of main\.m is kept/);
    expect(existsSync(wh)).toBe(true);
    const rows: Row[] = await queryDuckdb(wh, 'select distinct ver from main.m');
    expect(rows.map((r) => Number(r.ver))).toEqual([1]);
  }, 180_000);
});
