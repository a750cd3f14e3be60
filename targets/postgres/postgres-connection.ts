import { createWriteStream, readFileSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ConnectionOptions } from 'node:tls';
import pg from 'pg';
import Cursor from 'pg-cursor';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { TargetError, type Row, type TargetConnection, type TargetLog } from '../target.js';
import { pauseAfter } from '../failpoint.js';
import { SqlDate, SqlTimestamp, SqlTimestampTz } from '../values/sql-values.js';

/** libpq's sslmode values. `prefer` (libpq's default) tries TLS first and falls back to plain when the server has none. */
export type SslMode = 'disable' | 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';

/** Everything needed to reach one PostgreSQL database; built by index.ts from the target config. */
export interface PgSettings {
  host: string;
  port: number;
  user: string;
  /** Undefined: pg reads ~/.pgpass (like libpq). */
  password?: string;
  database: string;
  sslmode: SslMode;
  /** Paths (already resolved) of the CA, client certificate and key, for verify-ca/verify-full and client auth. */
  sslrootcert?: string;
  sslcert?: string;
  sslkey?: string;
  connectTimeoutMs: number;
  /** Server-side limit per statement; the server cancels a statement that runs longer. */
  statementTimeoutMs?: number;
  /** Server-side limit on waiting for a lock (e.g. the swap waiting for a long reader); retried as transient. */
  lockTimeoutMs?: number;
  /** Extra attempts for transient errors (connection lost, serialization failure, deadlock). */
  retries: number;
  /** First backoff delay; doubles each attempt (with jitter), capped at 10 s. */
  retryBaseMs: number;
  poolSize: number;
  applicationName: string;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// Values out, as every target gives them (targets/values/sql-values.ts): BIGINT -> bigint,
// DATE/TIMESTAMP/TIMESTAMPTZ -> SqlDate/SqlTimestamp/SqlTimestampTz from PostgreSQL's own text
// (to the microsecond, no zone added to a TIMESTAMP), NUMERIC -> exact text with its scale from
// `stream` and a number from `query` (counts, metadata). Parsers are given to each client, query
// and cursor of this target: pg's global parsers are never changed.
// ---------------------------------------------------------------------------------------------

const OID = { int8: 20, numeric: 1700, date: 1082, timestamp: 1114, timestamptz: 1184 } as const;

function typesWith(numeric: (s: string) => unknown): pg.CustomTypesConfig {
  return {
    getTypeParser: ((oid: number, format?: string) => {
      if (format === undefined || format === 'text') {
        if (oid === OID.int8) return (s: string) => BigInt(s);
        if (oid === OID.numeric) return numeric;
        if (oid === OID.date) return (s: string) => SqlDate.fromText(s); // BC dates and infinity stay text
        if (oid === OID.timestamp) return (s: string) => SqlTimestamp.fromText(s);
        if (oid === OID.timestamptz) return (s: string) => SqlTimestampTz.fromText(s);
      }
      return pg.types.getTypeParser(oid, format as 'text');
    }) as pg.CustomTypesConfig['getTypeParser'],
  };
}

/** Type parsers for clients and `query`: NUMERIC as a number. */
export const PG_TYPES: pg.CustomTypesConfig = typesWith((s) => (s === 'NaN' ? NaN : Number(s)));
/** Type parsers for `stream` (rows out to `tx show` and exports): NUMERIC as its exact text. */
export const PG_EXACT_TYPES: pg.CustomTypesConfig = typesWith((s) => s);

// ---------------------------------------------------------------------------------------------
// Errors: one TargetError, with the SQLSTATE, the server's detail and hint, never the password.
// ---------------------------------------------------------------------------------------------

interface PgErrorFields {
  code?: string;
  severity?: string;
  detail?: string;
  hint?: string;
  position?: string;
  where?: string;
  schema?: string;
  table?: string;
  column?: string;
  constraint?: string;
  errno?: number;
  syscall?: string;
  address?: string;
  port?: number;
}

/** SQLSTATEs worth a retry: the statement never took effect and may succeed on a new attempt. */
const TRANSIENT_SQLSTATES = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '57P01', // admin_shutdown (pg_terminate_backend, smart/fast shutdown)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, recovery)
  '53300', // too_many_connections
  '55P03', // lock_not_available (lock_timeout)
]);
const TRANSIENT_NODE_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNABORTED']);
const TRANSIENT_MESSAGES = /Connection terminated|connection timeout|Client has encountered a connection error|terminating connection|server closed the connection/i;

/** True when `e` is worth another attempt. */
export function isTransient(e: unknown): boolean {
  if (e instanceof TargetError) return e.options.transient === true;
  const f = e as PgErrorFields & { message?: string };
  if (f?.code && /^08/.test(f.code)) return true; // connection_exception class
  if (f?.code && (TRANSIENT_SQLSTATES.has(f.code) || TRANSIENT_NODE_CODES.has(f.code))) return true;
  return TRANSIENT_MESSAGES.test(String(f?.message ?? ''));
}

/** Replaces every occurrence of the password (and its URL-encoded form) with `***`. */
export function makeScrubber(password: string | undefined): (text: string) => string {
  if (!password) return (t) => t;
  const forms = [...new Set([password, encodeURIComponent(password)])].sort((a, b) => b.length - a.length);
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // A very short password would garble every message if replaced everywhere: only as a whole token then.
  const re = password.length >= 4 ? new RegExp(forms.map(esc).join('|'), 'g') : new RegExp(`(?<![A-Za-z0-9])(?:${forms.map(esc).join('|')})(?![A-Za-z0-9])`, 'g');
  return (t) => t.replace(re, '***');
}

/** The line of `sql` at a 1-based character `position`, with a caret, for syntax errors. */
function pointAt(sql: string, position: number): string {
  const before = sql.slice(0, position - 1);
  const lineNo = before.split('\n').length;
  const line = sql.split('\n')[lineNo - 1] ?? '';
  const col = position - 1 - before.lastIndexOf('\n') - 1;
  return `line ${lineNo}: ${line.trimEnd()}\n${' '.repeat(Math.max(0, col) + `line ${lineNo}: `.length)}^`;
}

export interface ErrorContext {
  settings: PgSettings;
  sql?: string;
  /** Set when the caller aborted (Ctrl-C, node timeout). */
  aborted?: boolean;
  connecting?: boolean;
}

/** Turns whatever pg or the socket threw into a TargetError a user can act on. */
export function toTargetError(e: unknown, ctx: ErrorContext): TargetError {
  if (e instanceof TargetError) return e;
  const s = ctx.settings;
  const scrub = makeScrubber(s.password);
  const f = (e ?? {}) as PgErrorFields & { message?: string };
  const raw = String(f.message ?? e);
  const where = `${s.host}:${s.port}`;
  const transient = isTransient(e);
  let message: string;
  switch (f.code) {
    case 'ECONNREFUSED':
      message = `cannot connect to PostgreSQL at ${where}: connection refused (is the server running there? check host and port, or PGHOST and PGPORT)`;
      break;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      message = `cannot connect to PostgreSQL: host \`${s.host}\` not found (check host, or PGHOST)`;
      break;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      message = `cannot connect to PostgreSQL at ${where}: host unreachable`;
      break;
    case '28P01':
      message = `password authentication failed for user "${s.user}" on ${where} (check password, or PGPASSWORD)`;
      break;
    case '28000':
      message = `PostgreSQL at ${where} refused user "${s.user}": ${raw}`;
      break;
    case '3D000':
      message = `database "${s.database}" does not exist on ${where} (create it, e.g. \`createdb ${s.database}\`, or set database / PGDATABASE)`;
      break;
    case '57014':
      message = ctx.aborted
        ? 'cancelled: the statement was cancelled on the server'
        : /statement timeout/.test(raw) && s.statementTimeoutMs
          ? `the statement ran past statement_timeout (${s.statementTimeoutMs} ms) and was cancelled on the server`
          : `the statement was cancelled on the server: ${raw}`;
      break;
    case '55P03':
      message = /lock timeout/.test(raw) ? `waited longer than lock_timeout (${s.lockTimeoutMs} ms) for a lock: ${raw}` : raw;
      break;
    default:
      if (/does not support SSL/i.test(raw)) {
        message = `sslmode is ${s.sslmode} but the PostgreSQL server at ${where} does not support SSL (enable ssl on the server, or use sslmode prefer/disable)`;
      } else if (/no pg_hba\.conf entry .* no encryption/i.test(raw)) {
        message = `PostgreSQL at ${where} requires SSL for user "${s.user}" (set sslmode: require): ${raw}`;
      } else if (/timeout/i.test(raw) && ctx.connecting) {
        message = `cannot connect to PostgreSQL at ${where}: no answer within connect_timeout (${s.connectTimeoutMs / 1000} s)`;
      } else if (ctx.connecting && !f.code?.match(/^[0-9A-Z]{5}$/)) {
        message = `cannot connect to PostgreSQL at ${where}: ${raw}`;
      } else if (f.code === '57P01' || /Connection terminated/i.test(raw)) {
        message = `the connection to PostgreSQL at ${where} was lost: ${raw}`;
      } else {
        message = raw;
      }
  }
  if (f.code && /^[0-9A-Z]{5}$/.test(f.code) && !message.includes(f.code)) message += ` [SQLSTATE ${f.code}]`;
  if (f.detail) message += `\n  detail: ${f.detail}`;
  if (f.hint) message += `\n  hint: ${f.hint}`;
  if (f.position && ctx.sql) message += `\n  at ${pointAt(ctx.sql, Number(f.position))}`;
  if (f.where && !/^PL\/pgSQL|SQL statement/.test(f.where)) message += `\n  where: ${f.where}`;
  // The cause is a plain copy of the server's fields: the driver's error object stays out of logs.
  const cause = { code: f.code, severity: f.severity, detail: f.detail ? scrub(f.detail) : undefined, hint: f.hint, position: f.position };
  const err = new TargetError(scrub(message), { transient, sql: ctx.sql === undefined ? undefined : scrub(ctx.sql), cause });
  (err as TargetError & { code?: string }).code = f.code;
  return err;
}

// ---------------------------------------------------------------------------------------------
// SSL
// ---------------------------------------------------------------------------------------------

function tlsOptions(s: PgSettings): ConnectionOptions {
  const read = (p: string | undefined) => (p ? readFileSync(p) : undefined);
  const base: ConnectionOptions = { ca: read(s.sslrootcert), cert: read(s.sslcert), key: read(s.sslkey) };
  if (s.sslmode === 'verify-full') return { ...base, rejectUnauthorized: true };
  if (s.sslmode === 'verify-ca') return { ...base, rejectUnauthorized: true, checkServerIdentity: () => undefined };
  return { ...base, rejectUnauthorized: false }; // require/prefer/allow: encrypted, not verified (as libpq without a root cert)
}

/** The pg client config for `s`, with `ssl` decided. */
function clientConfig(s: PgSettings, ssl: false | ConnectionOptions): pg.ClientConfig {
  return {
    host: s.host,
    port: s.port,
    user: s.user,
    password: s.password,
    database: s.database,
    ssl,
    connectionTimeoutMillis: s.connectTimeoutMs,
    statement_timeout: s.statementTimeoutMs,
    lock_timeout: s.lockTimeoutMs,
    application_name: s.applicationName,
    types: PG_TYPES,
    keepAlive: true,
  };
}

/**
 * Resolves sslmode to a concrete pg `ssl` option. `prefer` and `allow` try one way, then the other, the way
 * libpq does; the answer is kept for the life of the connection pool.
 */
export async function resolveSsl(s: PgSettings): Promise<false | ConnectionOptions> {
  if (s.sslmode === 'disable') return false;
  const tls = tlsOptions(s);
  if (s.sslmode !== 'prefer' && s.sslmode !== 'allow') return tls;
  const first: false | ConnectionOptions = s.sslmode === 'prefer' ? tls : false;
  const second: false | ConnectionOptions = s.sslmode === 'prefer' ? false : tls;
  const probe = new pg.Client(clientConfig(s, first));
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return first;
  } catch (e) {
    const msg = String((e as Error).message);
    if (s.sslmode === 'prefer' && /does not support SSL/i.test(msg)) return second;
    if (s.sslmode === 'allow' && /no pg_hba\.conf entry|SSL/i.test(msg)) return second;
    throw toTargetError(e, { settings: s, connecting: true });
  } finally {
    await probe.end().catch(() => undefined);
  }
}

/** Opens one plain (unpooled) client: for ping and for cancelling a busy backend. */
export async function connectClient(s: PgSettings, ssl: false | ConnectionOptions): Promise<pg.Client> {
  const c = new pg.Client(clientConfig(s, ssl));
  c.on('error', () => undefined);
  try {
    await c.connect();
    return c;
  } catch (e) {
    await c.end().catch(() => undefined);
    throw toTargetError(e, { settings: s, connecting: true });
  }
}

// ---------------------------------------------------------------------------------------------
// One checked-out client: statements logged, cancelled on abort, errors translated.
// ---------------------------------------------------------------------------------------------

export interface RunOptions {
  params?: unknown[];
  /** Values as `stream` gives them (NUMERIC as its exact text): rows to print. */
  exact?: boolean;
  signal?: AbortSignal;
  node?: string;
}

/** A pooled client held for a unit of work (a whole materialization runs on one, so transactions and temp tables work). */
export class PgClient {
  /** The connection died or is in an unknown state: destroy instead of returning it to the pool. */
  broken = false;
  private inTransaction = false;

  constructor(
    readonly raw: pg.PoolClient,
    private readonly owner: PostgresConnection,
    private readonly defaults: { signal?: AbortSignal; node?: string } = {},
  ) {}

  /** The server process id of this session (for pg_cancel_backend). */
  get pid(): number | undefined {
    return (this.raw as unknown as { processID?: number }).processID ?? undefined;
  }

  private async guarded<T>(sql: string, opts: RunOptions, fn: () => Promise<T>): Promise<T> {
    const signal = opts.signal ?? this.defaults.signal;
    const node = opts.node ?? this.defaults.node;
    const settings = this.owner.settings;
    if (signal?.aborted) throw new TargetError('cancelled before the statement started', { sql });
    let cancelled = false;
    const onAbort = () => {
      cancelled = true;
      void this.owner.cancelBackend(this.pid);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const t0 = performance.now();
    try {
      return await fn();
    } catch (e) {
      const err = toTargetError(e, { settings, sql, aborted: cancelled || signal?.aborted });
      if (isTransient(e) || !(e as PgErrorFields)?.code?.match(/^[0-9A-Z]{5}$/)) this.broken = true;
      throw err;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.owner.log.statement(this.owner.scrub(sql), performance.now() - t0, node);
      pauseAfter(sql);
    }
  }

  /** One statement (or a `;`-separated script when there are no params). */
  async run(sql: string, opts: RunOptions = {}): Promise<pg.QueryResult> {
    return this.guarded(sql, opts, () => this.raw.query({ text: sql, values: opts.params, types: opts.exact ? PG_EXACT_TYPES : PG_TYPES }));
  }

  async rows<R = Row>(sql: string, params?: unknown[], opts: RunOptions = {}): Promise<R[]> {
    return (await this.run(sql, { ...opts, params })).rows as R[];
  }

  /** `COPY ... FROM STDIN` fed by `source`, with backpressure; returns the rows copied. */
  async copyIn(sql: string, source: Readable, opts: RunOptions = {}): Promise<number> {
    return this.guarded(sql, opts, async () => {
      const stream = this.raw.query(copyFrom(sql));
      await pipeline(source, stream);
      return stream.rowCount;
    });
  }

  /** `COPY ... TO STDOUT` into `dest`, with backpressure; returns the rows copied. */
  async copyOut(sql: string, dest: Writable, opts: RunOptions = {}): Promise<number> {
    return this.guarded(sql, opts, async () => {
      const stream = this.raw.query(copyTo(sql));
      try {
        await pipeline(stream, dest);
      } catch (e) {
        this.broken = true; // a COPY cut short (destination failed, or cancelled): do not reuse this session
        throw e;
      }
      return stream.rowCount;
    });
  }

  /** Rows out through a server-side cursor, `batchSize` at a time. */
  async *cursor(sql: string, batchSize: number, opts: RunOptions = {}): AsyncGenerator<Row[]> {
    const signal = opts.signal ?? this.defaults.signal;
    if (signal?.aborted) throw new TargetError('cancelled before the statement started', { sql });
    const cur = this.raw.query(new Cursor<Row>(sql, opts.params as unknown[] | undefined, { types: PG_EXACT_TYPES }));
    let cancelled = false;
    const onAbort = () => {
      cancelled = true;
      void this.owner.cancelBackend(this.pid);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const t0 = performance.now();
    let done = false;
    try {
      for (;;) {
        let rows: Row[];
        try {
          rows = await cur.read(batchSize);
        } catch (e) {
          if (isTransient(e) || !(e as PgErrorFields)?.code) this.broken = true;
          throw toTargetError(e, { settings: this.owner.settings, sql, aborted: cancelled || signal?.aborted });
        }
        if (!rows.length) break;
        yield rows;
        if (signal?.aborted) throw new TargetError('cancelled', { sql });
      }
      done = true;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (!this.broken) {
        // Closing an unfinished cursor ends its portal; a failure here means the session is unusable.
        await cur.close().catch(() => {
          this.broken = true;
        });
      }
      this.owner.log.statement(this.owner.scrub(sql), performance.now() - t0, opts.node ?? this.defaults.node);
      void done;
    }
  }

  /** Runs `fn` inside BEGIN/COMMIT; rolls back on any error. */
  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    if (this.inTransaction) return fn();
    await this.run('BEGIN');
    this.inTransaction = true;
    try {
      const r = await fn();
      await this.run('COMMIT');
      return r;
    } catch (e) {
      if (!this.broken) await this.run('ROLLBACK').catch(() => (this.broken = true));
      throw e;
    } finally {
      this.inTransaction = false;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The pool: TargetConnection for the runner, plus withClient/retrying for materializations.
// ---------------------------------------------------------------------------------------------

export class PostgresConnection implements TargetConnection {
  private pool: pg.Pool | undefined;
  private ssl: false | ConnectionOptions | undefined;
  private closed = false;
  readonly scrub: (text: string) => string;

  constructor(
    readonly settings: PgSettings,
    readonly log: TargetLog,
  ) {
    this.scrub = makeScrubber(settings.password);
  }

  /** Probes sslmode once and creates the pool. */
  async connect(): Promise<void> {
    if (this.pool) return;
    this.ssl = await this.retrying(() => resolveSsl(this.settings));
    const s = this.settings;
    // connect_timeout bounds connecting only: waiting for a free pooled client is unbounded (the runner holds at most
    // `threads` clients), so the client config carries the timeout and the pool's own is off.
    const cfg = clientConfig(s, this.ssl);
    const Client = class extends pg.Client {
      constructor() {
        super(cfg);
      }
    };
    this.pool = new pg.Pool({ ...cfg, connectionTimeoutMillis: 0, max: Math.max(1, s.poolSize), idleTimeoutMillis: 30_000, Client });
    // An idle client killed by the server must not crash the process; the pool drops it.
    this.pool.on('error', (e) => this.log.warn(`postgres: an idle connection was closed: ${this.scrub(String(e.message))}`));
    this.pool.on('connect', (c) => c.on('error', () => undefined));
  }

  /** Runs `fn` with one client held for its whole duration; the client is destroyed if it broke. */
  async withClient<T>(fn: (c: PgClient) => Promise<T>, opts: { signal?: AbortSignal; node?: string } = {}): Promise<T> {
    if (this.closed) throw new TargetError('the PostgreSQL session is closed');
    await this.connect();
    let raw: pg.PoolClient;
    try {
      raw = await this.pool!.connect();
    } catch (e) {
      throw toTargetError(e, { settings: this.settings, connecting: true });
    }
    const c = new PgClient(raw, this, opts);
    try {
      return await fn(c);
    } finally {
      raw.release(c.broken ? true : undefined);
    }
  }

  /** Runs `fn` again after a backoff while it fails with a transient error, up to `retries` more times. */
  async retrying<T>(fn: (attempt: number) => Promise<T>, opts: { signal?: AbortSignal; what?: string } = {}): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn(attempt);
      } catch (e) {
        const transient = isTransient(e);
        if (!transient || attempt >= this.settings.retries || opts.signal?.aborted) {
          if (transient && this.settings.retries > 0 && e instanceof TargetError && !opts.signal?.aborted) {
            e.message += ` (failed ${attempt + 1} times; retries: ${this.settings.retries})`;
          }
          throw e;
        }
        const delay = Math.min(10_000, this.settings.retryBaseMs * 2 ** attempt) * (0.75 + Math.random() * 0.5);
        this.log.warn(`postgres: ${opts.what ?? 'statement'} failed with a transient error, retrying in ${Math.round(delay)} ms: ${this.scrub(String((e as Error).message).split('\n')[0]!)}`);
        await sleep(delay);
      }
    }
  }

  /** Asks the server to cancel whatever `pid` is running (from a separate connection: the busy one cannot talk). */
  async cancelBackend(pid: number | undefined): Promise<void> {
    if (pid === undefined) return;
    try {
      const c = await connectClient(this.settings, this.ssl ?? false);
      try {
        await c.query('SELECT pg_cancel_backend($1)', [pid]);
        this.log.info(`postgres: cancelled the statement of backend ${pid}`);
      } finally {
        await c.end().catch(() => undefined);
      }
    } catch (e) {
      this.log.warn(`postgres: could not cancel backend ${pid}: ${this.scrub(String((e as Error).message))}`);
    }
  }

  async execute(sql: string, opts: { signal?: AbortSignal; node?: string } = {}): Promise<{ rowsAffected?: number }> {
    return this.retrying(
      () =>
        this.withClient(async (c) => {
          const r = await c.run(sql, opts);
          const last = Array.isArray(r) ? (r[r.length - 1] as pg.QueryResult) : r;
          return { rowsAffected: last?.rowCount ?? undefined };
        }, opts),
      { signal: opts.signal },
    );
  }

  async query(sql: string, opts: { signal?: AbortSignal; node?: string } = {}): Promise<Row[]> {
    return this.retrying(
      () =>
        this.withClient(async (c) => {
          const r = await c.run(sql, opts);
          const last = Array.isArray(r) ? (r[r.length - 1] as pg.QueryResult) : r;
          return (last?.rows ?? []) as Row[];
        }, opts),
      { signal: opts.signal },
    );
  }

  /**
   * A query's rows as CSV into a local file, for the exporters: `COPY (sql) TO STDOUT (FORMAT csv, FORCE_QUOTE *)`,
   * so every non-null value is quoted and NULL is an unquoted empty field, values in PostgreSQL's own text. Bytes
   * only, no row crosses into JavaScript. Retried whole (the file written again) on transient errors.
   */
  async copyCsvToFile(sql: string, file: string, opts: { signal?: AbortSignal; node?: string } = {}): Promise<number> {
    return this.retrying(
      () => this.withClient((c) => c.copyOut(`COPY (${sql}) TO STDOUT (FORMAT csv, FORCE_QUOTE *)`, createWriteStream(file, { highWaterMark: 1 << 20 }), opts), opts),
      { signal: opts.signal, what: 'exporting rows' },
    );
  }

  /** `COPY (sql) TO STDOUT` as CSV into `dest`, as copyCsvToFile writes it, but never retried: bytes may be gone. */
  async copyCsvOut(sql: string, dest: Writable, opts: { signal?: AbortSignal; node?: string } = {}): Promise<number> {
    return this.withClient((c) => c.copyOut(`COPY (${sql}) TO STDOUT (FORMAT csv, FORCE_QUOTE *)`, dest, opts), opts);
  }

  /** Rows out through a server-side cursor; a retry happens only before the first batch was handed out. */
  async *stream(sql: string, opts: { batchSize?: number; signal?: AbortSignal; node?: string } = {}): AsyncIterable<Row[]> {
    if (this.closed) throw new TargetError('the PostgreSQL session is closed');
    await this.retrying(() => this.connect(), { signal: opts.signal });
    const batch = Math.max(1, opts.batchSize ?? 2048);
    let raw: pg.PoolClient | undefined;
    let c: PgClient | undefined;
    let started = false;
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          raw = await this.pool!.connect();
        } catch (e) {
          const err = toTargetError(e, { settings: this.settings, connecting: true });
          if (isTransient(err) && attempt < this.settings.retries && !opts.signal?.aborted) {
            await sleep(this.settings.retryBaseMs * 2 ** attempt);
            continue;
          }
          throw err;
        }
        c = new PgClient(raw, this, opts);
        const it = c.cursor(sql, batch, opts);
        try {
          for await (const rows of it) {
            started = true;
            yield rows;
          }
          return;
        } catch (e) {
          if (!started && isTransient(e) && attempt < this.settings.retries && !opts.signal?.aborted) {
            raw.release(true);
            raw = undefined;
            await sleep(this.settings.retryBaseMs * 2 ** attempt);
            continue;
          }
          throw e;
        }
      }
    } finally {
      raw?.release(c?.broken ? true : undefined);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool?.end().catch(() => undefined);
  }
}
