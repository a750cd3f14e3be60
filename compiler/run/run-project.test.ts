/**
 * Execution through the built CLI on real DuckDB files: failures and what they skip, --fail-fast,
 * --threads, progress and summary lines, logs/tx.log, --log-format json, hooks, and a second
 * tx on a DuckDB file that is in use.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dedent, fixtureProject, once, snapshot, type FixtureProject, type Row } from '../../testing/fixture-project.js';

const fixtures: FixtureProject[] = [];
const project = (files: Record<string, string>) => {
  const fx = fixtureProject(files);
  fixtures.push(fx);
  return fx;
};

// bad fails in DuckDB; bad_child and bad_grandchild depend on it; indep, ok_table and ok_view do not.
const EXEC_FILES = {
  'project.yml': dedent(`
    name: exec
    on-run-start:
      - "create table if not exists main.audit (event varchar, target varchar)"
      - "insert into main.audit values ('start', '{{ target.name }}')"
    on-run-end: "insert into main.audit values ('end', '{{ target.name }}')"
  `),
  'models/ok_table.sql': "{{ config(materialized='table') }}select * from range(3) t(id)",
  'models/ok_view.sql': "{{ log('rendering ok_view for ' ~ target.name, info=True) }}{{ log('a quiet detail of ok_view') }}select 1 as id",
  'models/bad.sql': "{{ config(materialized='table') }}select 'oops'::integer as n",
  'models/bad_child.sql': "select * from {{ ref('bad') }}",
  'models/bad_grandchild.sql': "select * from {{ ref('bad_child') }}",
  'models/indep.sql': "{{ config(materialized='table') }}select 7 as x",
};

const failing = once(async () => {
  const fx = project(EXEC_FILES);
  const run = await fx.tx('run', '--threads', '1');
  const db = await snapshot(fx.dbFile, {
    relations: "select table_name as name from information_schema.tables where table_schema = 'main' order by 1",
    audit: 'select * from main.audit',
  });
  const log = fx.read('logs/tx.log');
  const runResults = fx.json<{ results: Row[] }>('target/run_results.json');
  const executedBadSql = fx.exists('target/run/exec/models/bad.sql') ? fx.read('target/run/exec/models/bad.sql') : null;
  return { run, db, log, runResults, executedBadSql };
});

const failFast = once(async () => {
  const fx = project(EXEC_FILES);
  const run = await fx.tx('run', '--threads', '1', '--fail-fast');
  const relations = await fx.relations();
  const runResults = fx.json<{ results: Row[] }>('target/run_results.json');
  return { run, relations, runResults };
});

const jsonLog = once(async () => {
  const fx = project(EXEC_FILES);
  // NO_COLOR unset: output that is not a TTY must still have no colour codes
  const run = await fx.txWith({ env: { NO_COLOR: undefined } }, 'run', '--log-format', 'json', '--threads', '2');
  return { run };
});

// Two independent models that take a moment each: with 2 threads they overlap in time, with 1 they do not.
const SLOW = "{{ config(materialized='table') }}select count(*) as n from range(60000000) t(i) where i % 7 = 3";
const threads = once(async () => {
  const fx = project({ 'project.yml': 'name: thr\n', 'models/slow_a.sql': SLOW, 'models/slow_b.sql': SLOW });
  const one = await fx.tx('run', '--threads', '1');
  const oneResults = fx.json<{ results: Row[] }>('target/run_results.json');
  const two = await fx.tx('run', '--threads', '2');
  const twoResults = fx.json<{ results: Row[] }>('target/run_results.json');
  return { one, oneResults, two, twoResults };
});

/** [start, end] in ms of a node from run_results.json. */
function interval(results: Row[], id: string): [number, number] {
  const r = results.find((x) => x.unique_id === id)!;
  const t = (r.timing as { started_at: string; completed_at: string }[])[0]!;
  return [Date.parse(t.started_at), Date.parse(t.completed_at)];
}
const overlaps = (a: [number, number], b: [number, number]) => a[0] < b[1] && b[0] < a[1];

beforeAll(() => {
  for (const p of [failing, failFast, jsonLog, threads]) void p();
});
afterAll(() => {
  for (const f of fixtures) f.cleanup();
});

describe('a model that fails in DuckDB', () => {
  it('exits 1 and names the node, its error and the path of its compiled SQL', async () => {
    const { run, executedBadSql } = await failing();
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/\d+ of 6 ERROR model bad: Conversion Error: Could not convert string 'oops'/);
    expect(run.stderr).toContain('compiled SQL: target/run/exec/models/bad.sql');
    expect(executedBadSql).toContain("select 'oops'::integer as n");
    expect(run.stderr).not.toMatch(/\n\s+at .*\.js:\d+/); // no stack trace without --debug
  });

  it('skips everything downstream and reports each skipped node', async () => {
    const { run, runResults } = await failing();
    expect(run.stdout).toMatch(/\d+ of 6 SKIP model bad_child: skipped because bad did not succeed/);
    expect(run.stdout).toMatch(/\d+ of 6 SKIP model bad_grandchild: skipped because bad_child did not succeed/);
    const status = Object.fromEntries(runResults.results.map((r) => [r.unique_id, r.status]));
    expect(status).toEqual({
      'model.exec.bad': 'error',
      'model.exec.bad_child': 'skipped',
      'model.exec.bad_grandchild': 'skipped',
      'model.exec.indep': 'success',
      'model.exec.ok_table': 'success',
      'model.exec.ok_view': 'success',
    });
  });

  it('still builds the independent nodes', async () => {
    const { db } = await failing();
    expect(db.relations.map((r) => r.name)).toEqual(['audit', 'indep', 'ok_table', 'ok_view']);
  });

  it('prints one progress line per node and a summary line', async () => {
    const { run } = await failing();
    expect(run.stdout).toMatch(/^Running run on target duckdb \(duckdb\) with 1 thread: 6 nodes$/m);
    expect(run.stdout).toMatch(/^\d of 6 OK created table main\.ok_table \.\.\. \[3 rows in \d+\.\d\ds\]$/m);
    expect(run.stdout).toMatch(/^\d of 6 OK created view main\.ok_view \.\.\. \[\d+\.\d\ds\]$/m);
    expect(run.stdout).toMatch(/^\d of 6 OK created table main\.indep \.\.\. \[1 rows in \d+\.\d\ds\]$/m);
    expect(run.stdout).toMatch(/^Finished run of 6 nodes in \d+\.\d\ds\. OK=3 WARN=0 ERROR=1 SKIP=2$/m);
    // every node has exactly one numbered line, 1..6
    const numbers = run.output.match(/^(\d+) of 6 /gm)!.map((l) => Number(l.split(' ')[0])).sort((a, b) => a - b);
    expect(numbers).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('runs on-run-start before and on-run-end after the nodes, with templating', async () => {
    const { db, log } = await failing();
    expect(db.audit).toEqual([
      { event: 'start', target: 'duckdb' },
      { event: 'end', target: 'duckdb' },
    ]);
    const order = log
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Row)
      .filter((l) => l.msg === 'statement')
      .map((l) => String(l.sql));
    const start = order.findIndex((s) => s.includes("values ('start'"));
    const end = order.findIndex((s) => s.includes("values ('end'"));
    const model = order.findIndex((s) => s.includes('select 7 as x'));
    expect(start).toBeGreaterThanOrEqual(0);
    expect(start).toBeLessThan(model);
    expect(model).toBeLessThan(end);
  });

  it('log() prints with info=True and only writes to logs/tx.log without it', async () => {
    const { run, log } = await failing();
    expect(run.stdout).toContain('rendering ok_view for duckdb');
    expect(run.output).not.toContain('a quiet detail of ok_view');
    expect(log).toContain('a quiet detail of ok_view');
  });

  it('logs/tx.log holds every statement with its timing, the failing one included', async () => {
    const { log } = await failing();
    const lines = log
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Row);
    const statements = lines.filter((l) => l.msg === 'statement');
    expect(statements.length).toBeGreaterThan(10);
    for (const s of statements) {
      expect(typeof s.sql).toBe('string');
      expect(typeof s.ms).toBe('number');
      expect(s.ts).toMatch(/^\d{4}-\d\d-\d\dT/);
    }
    const sqls = statements.map((s) => String(s.sql));
    expect(sqls.some((s) => /create table .*"ok_table__tx_new" as\s+select \* from range\(3\)/s.test(s))).toBe(true);
    expect(sqls.some((s) => /create or replace view "main"\."ok_view" as/.test(s))).toBe(true);
    expect(sqls.some((s) => s.includes("select 'oops'::integer as n"))).toBe(true);
    expect(statements.find((s) => String(s.sql).includes('select 7 as x'))?.node).toBe('model.exec.indep');
    // the progress and summary lines are in the log file too
    expect(lines.some((l) => /Finished run of 6 nodes/.test(String(l.msg)))).toBe(true);
  });
});

describe('--fail-fast', () => {
  it('stops at the first failure: nothing else starts, the rest is reported as skipped', async () => {
    const { run, relations, runResults } = await failFast();
    expect(run.code).toBe(1);
    // with one thread in DAG order (stable by id), `bad` runs first
    const status = Object.fromEntries(runResults.results.map((r) => [r.unique_id, r.status]));
    expect(status['model.exec.bad']).toBe('error');
    for (const id of ['model.exec.bad_child', 'model.exec.bad_grandchild', 'model.exec.indep', 'model.exec.ok_table', 'model.exec.ok_view']) {
      expect(status[id]).toBe('skipped');
    }
    expect(run.stdout).toMatch(/SKIP model indep: skipped after an earlier failure \(--fail-fast\)/);
    expect(run.stdout).toMatch(/OK=0 WARN=0 ERROR=1 SKIP=5/);
    expect(relations.map((r) => r.name)).toEqual(['audit']);
  });
});

describe('--log-format json', () => {
  it('every line on stdout and stderr is JSON with level and message; node lines carry node, status and timing', async () => {
    const { run } = await jsonLog();
    expect(run.code).toBe(1);
    const lines = [...run.stdout.trim().split('\n'), ...run.stderr.trim().split('\n')].filter(Boolean);
    const parsed = lines.map((l) => JSON.parse(l) as Row);
    for (const p of parsed) {
      expect(['info', 'warn', 'error', 'debug']).toContain(p.level);
      expect(typeof p.msg).toBe('string');
    }
    const ok = parsed.find((p) => p.node === 'model.exec.ok_table')!;
    expect(ok).toMatchObject({ status: 'success', rows: 3 });
    expect(typeof ok.seconds).toBe('number');
    expect(parsed.find((p) => p.node === 'model.exec.bad')).toMatchObject({ level: 'error', status: 'error' });
    expect(parsed.find((p) => p.node === 'model.exec.bad_child')).toMatchObject({ status: 'skipped' });
    const summary = parsed.find((p) => p.summary)!;
    expect(summary.summary).toMatchObject({ ok: 3, error: 1, skipped: 2, warn: 0 });
  });

  it('writes no colour codes when the output is not a terminal', async () => {
    const { run } = await jsonLog();
    expect(run.output).not.toContain('\x1b[');
  });
});

describe('--threads', () => {
  it('with 1 thread nodes run one after the other, with 2 they overlap', async () => {
    const { one, oneResults, two, twoResults } = await threads();
    expect(one.code).toBe(0);
    expect(two.code).toBe(0);
    expect(one.stdout).toContain('with 1 thread: 2 nodes');
    expect(two.stdout).toContain('with 2 threads: 2 nodes');
    expect(overlaps(interval(oneResults.results, 'model.thr.slow_a'), interval(oneResults.results, 'model.thr.slow_b'))).toBe(false);
    expect(overlaps(interval(twoResults.results, 'model.thr.slow_a'), interval(twoResults.results, 'model.thr.slow_b'))).toBe(true);
  });

  it('rejects a thread count that is not a positive integer (exit 2)', async () => {
    const fx = project({ 'models/a.sql': 'select 1' });
    const r = await fx.tx('run', '--threads', '0');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--threads must be a positive integer/);
    expect(fx.exists('fx.duckdb')).toBe(false);
  });
});

describe.concurrent('a second tx on a DuckDB file that is in use', () => {
  const LOCK_FILES = {
    'project.yml': dedent(`
      name: lock
      targets:
        duckdb:
          type: duckdb
          path: target/lock.duckdb
          lock_timeout: "{{ env_var('TX_FX_LOCK_TIMEOUT', '10') }}"
    `),
    'models/v.sql': "{{ config(materialized='table') }}select {{ var('v', 1) }} as v",
  };

  it('stops with a clear message after lock_timeout, leaves the file intact, and builds once the file is free', async () => {
    const fx = project(LOCK_FILES);
    expect((await fx.tx('build')).code).toBe(0);
    // another process (this test) holds the file open for writing
    let holder: DuckDBInstance | undefined = await DuckDBInstance.create(fx.path('target/lock.duckdb'));
    try {
      const blocked = await fx.txWith({ env: { TX_FX_LOCK_TIMEOUT: '1' } }, 'build', '--vars', '{v: 2}');
      expect(blocked.code).not.toBe(0);
      expect(blocked.code).not.toBeNull(); // it stopped by itself, it was not killed
      expect(blocked.stderr).toMatch(/the DuckDB file .*lock\.duckdb is in use by another process.*waited 1s/);
      expect(blocked.stderr).toMatch(/Another tx build is probably running/);
      expect(blocked.stderr).not.toMatch(/\n\s+at /);
      holder.closeSync();
      holder = undefined;
      expect(await fx.query('select v from main.v', fx.path('target/lock.duckdb'))).toEqual([{ v: 1 }]);
      const free = await fx.tx('build', '--vars', '{v: 2}');
      expect(free.code).toBe(0);
      expect(await fx.query('select v from main.v', fx.path('target/lock.duckdb'))).toEqual([{ v: 2 }]);
    } finally {
      holder?.closeSync();
    }
  });

  it('waits for the file to be released when lock_timeout allows it', async () => {
    const fx = project(LOCK_FILES);
    expect((await fx.tx('build')).code).toBe(0);
    let holder: DuckDBInstance | undefined = await DuckDBInstance.create(fx.path('target/lock.duckdb'));
    try {
      const starts = () => (fx.read('logs/tx.log').match(/Running build on target/g) ?? []).length;
      const before = starts();
      const pending = fx.txWith({ env: { TX_FX_LOCK_TIMEOUT: '60' } }, 'build', '--vars', '{v: 3}');
      // release only once the second tx has started and is trying to open the file
      const t0 = Date.now();
      while (starts() === before && Date.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 100));
      expect(starts()).toBe(before + 1);
      await new Promise((r) => setTimeout(r, 1000));
      holder.closeSync();
      holder = undefined;
      const r = await pending;
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(await fx.query('select v from main.v', fx.path('target/lock.duckdb'))).toEqual([{ v: 3 }]);
    } finally {
      holder?.closeSync();
    }
  });
});
