/**
 * Shared setup for the PostgreSQL target's tests: a real server (testing/services/postgres.ts), a fresh
 * database per suite, a session of the target on it, and an independent admin client for assertions.
 */
import pg from 'pg';
import { createTestDatabase, startPostgres, type PostgresService, type TestDatabase } from '../../testing/services/postgres.js';
import type { ModelBuild, Relation, TargetConfig, TargetLog } from '../target.js';
import { createPostgresTarget, type PostgresSession } from './index.js';

export interface RecordingLog extends TargetLog {
  statements: string[];
  infos: string[];
  warnings: string[];
}

export function recordingLog(): RecordingLog {
  const log: RecordingLog = {
    statements: [],
    infos: [],
    warnings: [],
    statement: (sql) => void log.statements.push(sql),
    info: (m) => void log.infos.push(m),
    warn: (m) => void log.warnings.push(m),
  };
  return log;
}

export interface PgFixture {
  svc: PostgresService;
  db: TestDatabase;
  /** Target config pointing at the test database. */
  config: TargetConfig;
  session: PostgresSession;
  log: RecordingLog;
  admin: pg.Client;
  /** Rows of a query on the admin connection. */
  rows<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
  /** Opens another session with config overrides (closed by close()). */
  open(overrides?: Record<string, unknown>, threads?: number): Promise<PostgresSession>;
  close(): Promise<void>;
}

/** The connection settings of a postgres target for a server URL (tests and benchmarks). */
export function connectionConfig(url: string, schema: string): TargetConfig {
  const u = new URL(url);
  return {
    type: 'postgres',
    host: u.hostname,
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password) || undefined,
    database: decodeURIComponent(u.pathname.slice(1)),
    schema,
    sslmode: 'disable',
  };
}

export function configFor(url: string, overrides: Record<string, unknown> = {}): TargetConfig {
  return { ...connectionConfig(url, 'tx_test'), retries: 0, retry_backoff: '50ms', ...overrides };
}

export async function pgFixture(prefix: string, overrides: Record<string, unknown> = {}): Promise<PgFixture> {
  const svc = await startPostgres();
  const db = await createTestDatabase(svc, prefix);
  const config = configFor(db.url, overrides);
  const sessions: PostgresSession[] = [];
  const log = recordingLog();
  const open = async (o: Record<string, unknown> = {}, threads = 4) => {
    const target = createPostgresTarget('pg', { ...config, ...o }, process.cwd());
    const s = (await target.open({ log, threads })) as PostgresSession;
    sessions.push(s);
    return s;
  };
  const session = await open();
  const admin = new pg.Client({ connectionString: db.url });
  admin.on('error', () => undefined);
  await admin.connect();
  return {
    svc,
    db,
    config,
    session,
    log,
    admin,
    rows: async <R>(sql: string, params?: unknown[]) => (await admin.query(sql, params)).rows as R[],
    open,
    close: async () => {
      for (const s of sessions) await s.close().catch(() => undefined);
      await admin.end().catch(() => undefined);
      await db.drop().catch(() => undefined);
      await svc.stop();
    },
  };
}

export function rel(identifier: string, schema = 'tx_test'): Relation {
  return { schema, identifier };
}

export function build(relation: Relation, sql: string, extra: Partial<ModelBuild> = {}): ModelBuild {
  return {
    uniqueId: `model.test.${relation.identifier}`,
    relation,
    sql,
    materialized: 'table',
    fullRefresh: false,
    options: {},
    ...extra,
  };
}
