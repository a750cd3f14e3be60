/**
 * Audit before publish on Hive (a real Spark Thrift Server, testing/services/spark.ts; skipped loudly
 * without Java/Python, a failure when TX_TEST_REQUIRE names hive): a failing new version of a table, a
 * view and an incremental model (merged into a side copy) is never visible to a reader polling on
 * another session; its export and what is downstream do not run; the previous version stays; a passing
 * version then publishes. Bad input: a test that errors during the audit, Ctrl-C during the audit.
 * Snapshots: their tests run on the rewritten table before the swap.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditProject, exported, outcomeOf, pollingReader, removeExports, snapshotProject, snapshotReader, snapshotStateOf, stateOf, type AuditEngine, type Row } from '../../testing/audit-proof.js';
import { cliPath, runCli } from '../../testing/fixture-project.js';
import { skipEachWithout } from '../../testing/services/service-suite.js';
import { startSparkThriftServer, type HiveService } from '../../testing/services/spark.js';
import type { TargetLog, TargetSession } from '../target.js';
import { createHiveTarget } from './index.js';

let hive: HiveService | null = null;
let reader: TargetSession | undefined;
const schema = `tx_audit_${Math.random().toString(36).slice(2, 8)}`;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tx-hive-audit-'));
const quiet: TargetLog = { statement: () => undefined, info: () => undefined, warn: () => undefined };
const dirs: string[] = [];

const env = (): Record<string, string> => ({ TX_HIVE_HOST: hive!.host, TX_HIVE_PORT: String(hive!.port) });

/**
 * A reader in its own Spark session: it runs REFRESH TABLE before each read, as any other session must
 * after a swap (Spark caches a table's file listing per session: targets/hive/README.md).
 */
async function read(sql: string): Promise<Row[]> {
  const rel = /\bfrom\s+(\S+)/i.exec(sql)?.[1];
  if (rel) await reader!.connection.execute(`REFRESH TABLE ${rel}`).catch(() => undefined);
  return reader!.connection.query(sql) as Promise<Row[]>;
}

const engineFor = (schema: string): AuditEngine => ({
  targetYml: [
    'target: hive',
    'targets:',
    '  hive:',
    '    type: hive',
    "    host: \"{{ env_var('TX_HIVE_HOST') }}\"",
    "    port: \"{{ env_var('TX_HIVE_PORT') }}\"",
    '    user: tx',
    '    auth: NONE',
    `    schema: ${schema}`,
  ].join('\n'),
  schema,
  rows: (n) => `select id as i from range(${n})`,
  async build(dir, vars, poll) {
    const run = runCli(['build', '--project-dir', dir, '--threads', '2', '--vars', JSON.stringify(vars)], { cwd: dir, env: env(), timeoutMs: 420_000 });
    if (!poll) return run;
    let finished = false;
    const reading = poll(read, () => finished);
    const out = await run;
    finished = true;
    await reading;
    return out;
  },
  query: (_dir, sql) => read(sql),
});
const hiveEngine = engineFor(schema);
/** The Ctrl-C and snapshot projects build in schemas of their own. */
const schema2 = `${schema}_b`;

describe('audit before publish on Hive (Spark Thrift Server)', () => {
  beforeAll(async () => {
    hive = await startSparkThriftServer();
    if (!hive) return;
    const target = createHiveTarget('hive', { type: 'hive', host: hive.host, port: String(hive.port), schema, auth: 'NONE', user: 'tx', connect_timeout: 30 }, work);
    reader = await target.open({ log: quiet, threads: 1 });
  }, 600_000);
  skipEachWithout(() => hive);
  afterAll(async () => {
    try {
      for (const db of [schema, schema2, `${schema}_c`]) await reader?.connection.execute(`DROP DATABASE IF EXISTS \`${db}\` CASCADE`).catch(() => undefined);
      await reader?.close();
    } finally {
      await hive?.stop();
      for (const d of [...dirs, work]) fs.rmSync(d, { recursive: true, force: true });
    }
  });

  it('a failing new version is never visible, not exported, and nothing downstream runs; a passing one publishes', async () => {
    const dir = auditProject(hiveEngine, {
      'tests/broken_check.sql': "{{ config(enabled=var('broken', false)) }}\nselect * from {{ ref('m') }} where no_such_column = 1\n",
    });
    dirs.push(dir);
    const first = await hiveEngine.build(dir, { ver: 1 });
    expect(first.code, first.output).toBe(0);
    expect(await stateOf(hiveEngine, dir)).toEqual({ m: [1], mRows: 50, view: [1], inc: [1], incRows: 3, down: [1] });
    expect(exported(dir).length).toBeGreaterThan(0);
    removeExports(dir);

    const r = pollingReader(schema);
    const bad = await hiveEngine.build(dir, { ver: 666 }, r.reader);
    expect(bad.code, bad.output).toBe(1);
    expect(r.polls()).toBeGreaterThan(0);
    // no swap happened, so not even Hive's short "table not found" window between two renames
    expect(r.errors).toEqual([]);
    expect([...r.seen]).toEqual([1]);
    const o = outcomeOf(dir);
    for (const m of ['m', 'm_view', 'm_inc']) {
      expect(o.status[m], m).toBe('error');
      expect(o.message[m]).toMatch(new RegExp(`failed its audit .*accepted_values_\\w+ failed.*not published, the previous version of ${schema}\\.\\w+ is kept`));
    }
    expect(Object.entries(o.status).filter(([k, v]) => k.startsWith('accepted_values') && v === 'fail').length).toBe(3);
    expect(o.status.down).toBe('skipped');
    expect(o.status['after:m']).toBe('skipped');
    expect(exported(dir)).toEqual([]);
    expect(await stateOf(hiveEngine, dir)).toEqual({ m: [1], mRows: 50, view: [1], inc: [1], incRows: 3, down: [1] });
    const tables = (await reader!.connection.query(`SHOW TABLES IN \`${schema}\``)).map((x) => String(x.tableName ?? x.tab_name ?? Object.values(x)[1]));
    expect(tables.filter((t) => t.includes('__tx_'))).toEqual([]);

    // a test that itself errors: the node fails naming it, the old version stays
    const broken = await runCli(['build', '--project-dir', dir, '--vars', JSON.stringify({ ver: 2, broken: true })], { cwd: dir, env: env(), timeoutMs: 420_000 });
    expect(broken.code, broken.output).toBe(1);
    const ob = outcomeOf(dir);
    expect(ob.status.broken_check).toBe('error');
    expect(ob.message.broken_check).toMatch(/no_such_column/);
    expect(ob.message.m).toMatch(/broken_check errored/);
    expect((await stateOf(hiveEngine, dir)).m).toEqual([1]);

    // (m_view and m_inc, whose tests passed, were published at version 2)
    expect(await stateOf(hiveEngine, dir)).toMatchObject({ view: [2], inc: [1, 2], incRows: 6 });

    const good = await hiveEngine.build(dir, { ver: 3 }, pollingReader(schema).reader);
    expect(good.code, good.output).toBe(0);
    expect(await stateOf(hiveEngine, dir)).toEqual({ m: [3], mRows: 50, view: [3], inc: [1, 2, 3], incRows: 9, down: [3] });
    expect(exported(dir).length).toBeGreaterThan(0);
    expect(outcomeOf(dir).message.m_inc).toMatch(/audited: 1 test passed before publish/);
  }, 600_000);
  it('Ctrl-C during the audit: exit 130, the previous version intact, the next build publishes', async () => {
    const e = engineFor(schema2);
    const dir = auditProject(e, {
      // a slow test: minutes of work on 2 cores, cancelled on the server by the interrupt
      'tests/slow_check.sql': "{{ config(enabled=var('slow', false)) }}\nselect * from {{ ref('m') }} where (select count(*) from range(100000000000) where id % 7 = 8) > 0\n",
    });
    dirs.push(dir);
    const first = await e.build(dir, { ver: 1 });
    expect(first.code, first.output).toBe(0);
    const log = path.join(dir, 'logs', 'tx.log');
    fs.writeFileSync(log, '');
    const child = spawn(process.execPath, [cliPath(), 'build', '--project-dir', dir, '--threads', '1', '--select', 'm+', '--vars', JSON.stringify({ ver: 2, slow: true })], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env() },
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += String(d)));
    child.stderr!.on('data', (d) => (out += String(d)));
    const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    const t0 = Date.now();
    // m's side version is built (its row count is taken just before the audit); then the slow test runs
    const counted = /count\(\*\) AS n FROM \\?`[^`]+\\?`\.\\?`m__tx_new\\?`/;
    while (!counted.test(fs.readFileSync(log, 'utf8')) && child.exitCode === null && Date.now() - t0 < 300_000) await new Promise((r) => setTimeout(r, 100));
    expect(child.exitCode, out).toBe(null);
    await new Promise((r) => setTimeout(r, 3000));
    child.kill('SIGINT');
    const code = await exited;
    expect(code, out).toBe(130);
    expect(out).toMatch(/Cancel/i);
    expect(fs.readFileSync(log, 'utf8')).not.toMatch(/RENAME TO \\?`[^`]+\\?`\.\\?`m\\?`/);
    expect(await stateOf(e, dir)).toMatchObject({ m: [1], mRows: 50, down: [1] });
    const again = await e.build(dir, { ver: 3 });
    expect(again.code, again.output).toBe(0);
    expect(await stateOf(e, dir)).toMatchObject({ m: [3], mRows: 50, down: [3] });
  }, 600_000);

  it('snapshots: a failing new snapshot state is never visible, keeps the previous table, skips downstream; a passing one publishes', async () => {
    const s3 = `${schema}_c`;
    const e = engineFor(s3);
    const dir = snapshotProject(e);
    dirs.push(dir);
    const first = await e.build(dir, { ver: 1 });
    expect(first.code, first.output).toBe(0);
    expect(await snapshotStateOf(e, dir)).toEqual({ snap: [1], snapRows: 5, current: [1], cur: [1] });

    const r = snapshotReader(s3);
    const bad = await e.build(dir, { ver: 666 }, r.reader);
    expect(bad.code, bad.output).toBe(1);
    expect(r.polls()).toBeGreaterThan(0);
    expect(r.errors).toEqual([]);
    expect([...r.seen]).toEqual([1]);
    const o = outcomeOf(dir);
    expect(o.status.snap).toBe('error');
    expect(o.message.snap).toMatch(new RegExp(`failed its audit \\(accepted_values_snap_ver_\\w+ failed\\): not published, the previous version of ${s3}\\.snap is kept`));
    expect(bad.output).toMatch(/666/);
    expect(o.status.cur).toBe('skipped');
    expect(await snapshotStateOf(e, dir)).toEqual({ snap: [1], snapRows: 5, current: [1], cur: [1] });
    const tables = (await reader!.connection.query(`SHOW TABLES IN \`${s3}\``)).map((x) => String(x.tableName ?? x.tab_name ?? Object.values(x)[1]));
    expect(tables.filter((t) => t.includes('__tx_'))).toEqual([]);

    const good = await e.build(dir, { ver: 2 }, snapshotReader(s3).reader);
    expect(good.code, good.output).toBe(0);
    expect(await snapshotStateOf(e, dir)).toEqual({ snap: [1, 2], snapRows: 10, current: [2], cur: [2] });
    expect(outcomeOf(dir).message.snap).toMatch(/audited: 2 tests passed before publish/);
  }, 600_000);
});
