import net from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../testing/services/free-port.js';
import { createTestDatabase, startPostgres, type PostgresService } from '../../testing/services/postgres.js';
import type { Row } from '../target.js';
import { SqlDate, SqlTimestamp } from '../values/sql-values.js';
import { createPostgresTarget } from './index.js';
import { postgresSettings } from './postgres-config.js';
import { build, configFor, pgFixture, recordingLog, rel, type PgFixture } from './postgres-test-support.js';

let f: PgFixture;
beforeAll(async () => {
  f = await pgFixture('tx_pg_conn');
  await f.session.ensureSchema('tx_test');
});
afterAll(async () => f?.close());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Backends of the test database currently running a statement that contains `marker`. */
async function running(marker: string): Promise<{ pid: number; state: string }[]> {
  return f.rows(`select pid, state from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and query like $1`, [`%${marker}%`]);
}

async function waitFor<T>(fn: () => Promise<T | undefined | null | false>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('waitFor timed out');
    await sleep(20);
  }
}

describe('rows out', () => {
  it('streams through a server-side cursor in bounded batches, with the values every target gives (NUMERIC as exact text, dates as dates)', async () => {
    const sql = `select g as id, g::bigint * 10000000000 as big, (g / 4.0)::numeric(10,2) as dec, date '2021-03-04' + g as day,
                 timestamp '2021-03-04 05:06:07.891' as ts, g % 2 = 0 as even, 'n' || g as name /* cursor-marker */
                 from generate_series(1, 50000) g`;
    let n = 0;
    let batches = 0;
    let first: Row | undefined;
    let midStream: { state: string }[] = [];
    for await (const rows of f.session.connection.stream(sql, { batchSize: 1000 })) {
      expect(rows.length).toBeLessThanOrEqual(1000);
      first ??= rows[0];
      n += rows.length;
      batches++;
      // the query is still open on the server while we hold the first batch: not a whole-table fetch
      if (batches === 1) midStream = await running('cursor-marker');
    }
    expect(n).toBe(50000);
    expect(batches).toBe(50);
    expect(midStream.length).toBe(1);
    expect(midStream[0]!.state).not.toBe('idle');
    expect(first).toEqual({
      id: 1,
      big: 10000000000n,
      dec: '0.25',
      day: new Date('2021-03-05T00:00:00Z'),
      ts: new Date('2021-03-04T05:06:07.891Z'),
      even: false,
      name: 'n1',
    });
    // targets/values: the engine's text, no zone, printed as DuckDB prints it.
    expect(first!.day).toBeInstanceOf(SqlDate);
    expect(String(first!.day)).toBe('2021-03-05');
    expect(first!.ts).toBeInstanceOf(SqlTimestamp);
    expect(String(first!.ts)).toBe('2021-03-04 05:06:07.891');
    expect((await running('cursor-marker')).map((r) => r.state)).toEqual(['idle']);
  });

  it('stopping early closes the cursor and gives the connection back', async () => {
    const s = await f.open({ pool_size: 1 });
    for await (const rows of s.connection.stream('select g from generate_series(1, 100000) g', { batchSize: 10 })) {
      expect(rows.length).toBe(10);
      break;
    }
    // with one pooled connection, this would hang if the stream had kept it
    expect(await s.connection.query('select 42 as x')).toEqual([{ x: 42 }]);
  });

  it('an aborted stream cancels the statement on the server', async () => {
    const ac = new AbortController();
    // Far longer than any wait below: the statement is gone from the server only if it was cancelled there.
    const it = f.session.connection.stream(`select pg_sleep(300) /* stream-abort-marker */`, { signal: ac.signal });
    const consumed = (async () => {
      for await (const _ of it) void _;
    })();
    await waitFor(async () => (await running('stream-abort-marker')).some((r) => r.state === 'active'));
    ac.abort();
    await expect(consumed).rejects.toThrow(/cancel/);
    await waitFor(async () => (await running('stream-abort-marker')).every((r) => r.state !== 'active'));
  });
});

describe('errors and cancellation', () => {
  it('reports SQL errors with SQLSTATE and the position', async () => {
    await expect(f.session.connection.query('select 1 +\n from nowhere')).rejects.toThrow(/syntax error at or near "from" \[SQLSTATE 42601\]\n {2}at line 2:  from nowhere/);
  });

  it('a statement past statement_timeout is cancelled on the server; the previous table stays', async () => {
    const s = await f.open({ statement_timeout: '300ms' });
    const t = rel('t_timeout');
    await s.materialize(build(t, 'select 1 as a'));
    // pg_sleep(300): without the timeout this would outlast the test's own limit
    await expect(s.materialize(build(t, 'select 2 as a from pg_sleep(300) /* timeout-marker */'))).rejects.toThrow(
      /ran past statement_timeout \(300 ms\) and was cancelled on the server/,
    );
    expect((await running('timeout-marker')).filter((r) => r.state === 'active')).toEqual([]);
    expect(await f.rows('select a from tx_test.t_timeout')).toEqual([{ a: 1 }]);
  });

  it('an AbortSignal cancels the running statement on the server', async () => {
    const t = rel('t_abort');
    await f.session.materialize(build(t, 'select 1 as a'));
    const ac = new AbortController();
    const p = f.session.materialize(build(t, 'select 2 as a from pg_sleep(10) /* abort-marker */', { signal: ac.signal }));
    await waitFor(async () => (await running('abort-marker')).some((r) => r.state === 'active'));
    ac.abort();
    await expect(p).rejects.toThrow(/cancelled/);
    await waitFor(async () => (await running('abort-marker')).every((r) => r.state !== 'active'), 2000);
    expect(await f.rows('select a from tx_test.t_abort')).toEqual([{ a: 1 }]);
  });

  it('a connection killed mid-statement (pg_terminate_backend) fails cleanly with retries: 0, previous table intact', async () => {
    const s = await f.open({ retries: 0 });
    const t = rel('t_killed');
    await s.materialize(build(t, 'select 1 as a'));
    const p = s.materialize(build(t, 'select 2 as a from pg_sleep(3) /* kill-marker-0 */'));
    // it may reject while the kill below is still awaited, before expect() holds it: handled from the start
    p.catch(() => undefined);
    const [victim] = await waitFor(async () => {
      const r = await running('kill-marker-0');
      return r.length ? r : undefined;
    });
    await f.admin.query('select pg_terminate_backend($1)', [victim!.pid]);
    await expect(p).rejects.toThrow(/connection to PostgreSQL .* was lost: terminating connection due to administrator command/);
    expect(await f.rows('select a from tx_test.t_killed')).toEqual([{ a: 1 }]);
    // the session goes on working with a fresh connection
    await s.materialize(build(t, 'select 3 as a'));
    expect(await f.rows('select a from tx_test.t_killed')).toEqual([{ a: 3 }]);
  });

  it('a connection killed mid-statement is retried with retries: 2 and the build succeeds', async () => {
    const s = await f.open({ retries: 2 });
    const t = rel('t_killed_retry');
    await s.materialize(build(t, 'select 1 as a'));
    const warnings = f.log.warnings.length;
    const p = s.materialize(build(t, 'select 2 as a from pg_sleep(1) /* kill-marker-2 */'));
    const [victim] = await waitFor(async () => {
      const r = await running('kill-marker-2');
      return r.length ? r : undefined;
    });
    await f.admin.query('select pg_terminate_backend($1)', [victim!.pid]);
    await expect(p).resolves.toEqual({ action: 'created table', rowsAffected: 1 });
    expect(await f.rows('select a from tx_test.t_killed_retry')).toEqual([{ a: 2 }]);
    expect(f.log.warnings.slice(warnings).join('\n')).toMatch(/transient error, retrying/);
  });

  it('a swap stuck behind a long reader fails after lock_timeout, and is retried once the reader is gone', async () => {
    const t = rel('t_locked');
    await f.session.materialize(build(t, 'select 1 as a'));
    const reader = new pg.Client({ connectionString: f.db.url });
    await reader.connect();
    try {
      await reader.query('begin');
      await reader.query('select * from tx_test.t_locked'); // holds ACCESS SHARE until commit
      const noRetry = await f.open({ lock_timeout: '200ms', retries: 0 });
      await expect(noRetry.materialize(build(t, 'select 2 as a'))).rejects.toThrow(/waited longer than lock_timeout \(200 ms\) for a lock/);
      const retrying = await f.open({ lock_timeout: '200ms', retries: 3, retry_backoff: '300ms' });
      const p = retrying.materialize(build(t, 'select 3 as a'));
      await sleep(400);
      await reader.query('commit');
      await expect(p).resolves.toMatchObject({ action: 'created table' });
      expect(await f.rows('select a from tx_test.t_locked')).toEqual([{ a: 3 }]);
    } finally {
      await reader.end();
    }
  });

  it('serialization failures (40001) are retried', async () => {
    const s = await f.open({ retries: 1 });
    await f.admin.query('create sequence tx_test.attempts');
    const sql = `do $$ begin if nextval('tx_test.attempts') = 1 then raise exception 'conflict' using errcode = 'serialization_failure'; end if; end $$`;
    await s.connection.execute(sql);
    expect((await f.rows(`select last_value::int as n from tx_test.attempts`))[0]).toEqual({ n: 2 });
    const none = await f.open({ retries: 0 });
    await f.admin.query(`select setval('tx_test.attempts', 1, false)`);
    await expect(none.connection.execute(sql)).rejects.toThrow(/conflict \[SQLSTATE 40001\]/);
  });

  it('server unreachable: a clear error, after the configured retries', async () => {
    const port = await freePort();
    const target = createPostgresTarget('pg', configFor(`postgres://postgres@127.0.0.1:${port}/postgres`, { retries: 1 }), process.cwd());
    const log = recordingLog();
    await expect(target.open({ log, threads: 1 })).rejects.toThrow(new RegExp(`cannot connect to PostgreSQL at 127\\.0\\.0\\.1:${port}: connection refused.*failed 2 times`));
    expect(log.warnings.length).toBe(1);
    await expect(target.ping()).rejects.toThrow(/connection refused/);
  });

  it('a server that accepts but never answers: fails after connect_timeout', async () => {
    const silent = net.createServer(() => undefined); // accepts, says nothing
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const target = createPostgresTarget('pg', configFor(`postgres://postgres@127.0.0.1:${port}/postgres`, { connect_timeout: '300ms' }), process.cwd());
      // the silent server never answers: only the connect_timeout ends the wait (else the test's own limit)
      await expect(target.open({ log: recordingLog(), threads: 1 })).rejects.toThrow(/cannot connect to PostgreSQL at 127\.0\.0\.1:\d+: no answer within connect_timeout \(0\.3 s\)/);
    } finally {
      silent.close();
    }
  });

  it('database missing: names the database', async () => {
    const target = createPostgresTarget('pg', { ...f.config, database: 'tx_no_such_db' }, process.cwd());
    await expect(target.open({ log: recordingLog(), threads: 1 })).rejects.toThrow(/database "tx_no_such_db" does not exist on .* \(create it/);
  });

  it('ping returns the server version', async () => {
    const target = createPostgresTarget('pg', f.config, process.cwd());
    expect(await target.ping()).toMatch(/^PostgreSQL \d+\.\d+.*\(127\.0\.0\.1:\d+\/tx_pg_conn/);
  });
});

describe('against a server with password authentication (embedded)', () => {
  let svc: PostgresService;
  let url: string;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    svc = await startPostgres({ mode: 'embedded' });
    const db = await createTestDatabase(svc, 'tx_pg_auth');
    url = db.url;
    drop = db.drop;
    const admin = createPostgresTarget('pg', configFor(svc.url), process.cwd());
    const s = await admin.open({ log: recordingLog(), threads: 1 });
    await s.connection.execute(`create role tx_secret_user login password 'S3cr3t-Passw0rd!'`);
    await s.close();
  });
  afterAll(async () => {
    await drop?.().catch(() => undefined);
    await svc?.stop();
  });

  it('the right password connects', async () => {
    const target = createPostgresTarget('pg', configFor(url, { user: 'tx_secret_user', password: 'S3cr3t-Passw0rd!' }), process.cwd());
    expect(await target.ping()).toMatch(/^PostgreSQL 17/);
  });

  it('a wrong password fails clearly, and the error never contains the password', async () => {
    const password = 'Wr0ng-Pa55word-xyz';
    const target = createPostgresTarget('pg', configFor(url, { user: 'tx_secret_user', password, retries: 1 }), process.cwd());
    const log = recordingLog();
    const err = await target.open({ log, threads: 1 }).then(() => null, (e: Error) => e);
    expect(err?.message).toMatch(/password authentication failed for user "tx_secret_user" on 127\.0\.0\.1:\d+ \(check password, or PGPASSWORD\)/);
    const everything = JSON.stringify({ m: err?.message, s: err?.stack, o: (err as { options?: unknown }).options, log });
    expect(everything).not.toContain(password);
    expect(log.warnings).toEqual([]); // not a transient error: no retry
    const pingErr = await target.ping().then(() => null, (e: Error) => e);
    expect(pingErr?.message).toMatch(/password authentication failed/);
    expect(`${pingErr?.message}${pingErr?.stack}`).not.toContain(password);
  });

  it('sslmode require against a server without SSL fails with a clear error', async () => {
    const target = createPostgresTarget('pg', configFor(url, { sslmode: 'require' }), process.cwd());
    await expect(target.ping()).rejects.toThrow(/sslmode is require but the PostgreSQL server at .* does not support SSL/);
    // prefer (libpq's default) falls back to a plain connection
    const prefer = createPostgresTarget('pg', configFor(url, { sslmode: 'prefer' }), process.cwd());
    expect(await prefer.ping()).toMatch(/^PostgreSQL/);
  });
});

describe('config', () => {
  it('falls back to the libpq environment variables, and config wins over them', () => {
    const saved = { ...process.env };
    try {
      Object.assign(process.env, { PGHOST: 'db.example', PGPORT: '6543', PGUSER: 'envuser', PGPASSWORD: 'envpw', PGDATABASE: 'envdb' });
      const s = postgresSettings({ type: 'postgres', password: '', port: '' }, '/p');
      expect(s).toMatchObject({ host: 'db.example', port: 6543, user: 'envuser', password: 'envpw', database: 'envdb', schema: 'public', sslmode: 'prefer', retries: 2 });
      const t = postgresSettings({ type: 'postgres', host: 'h', database: 'd', connect_timeout: 3, statement_timeout: '2min', threads: 8 }, '/p');
      expect(t).toMatchObject({ host: 'h', database: 'd', connectTimeoutMs: 3000, statementTimeoutMs: 120000, poolSize: 8 });
      expect(() => postgresSettings({ type: 'postgres', sslmode: 'sometimes' }, '/p')).toThrow(/sslmode `sometimes` is not one of/);
      expect(() => postgresSettings({ type: 'postgres', statement_timeout: 'soon' }, '/p')).toThrow(/statement_timeout `soon` is not a duration/);
    } finally {
      process.env = saved;
    }
  });
});
