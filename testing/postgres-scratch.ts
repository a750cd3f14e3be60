/**
 * A scratch PostgreSQL database for a suite that runs tx (or dbt) on PostgreSQL: the server of
 * testing/services/postgres.ts, a fresh database on it, the PG* variables a project's target reads
 * through env_var(), the target's YAML, and rows of a query for assertions.
 */
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { dedent } from './fixture-project.js';
import { createTestDatabase, startPostgres, type PostgresService, type TestDatabase } from './services/postgres.js';

export interface ScratchDatabase {
  svc: PostgresService;
  db: TestDatabase;
  /** PGHOST, PGPORT, PGUSER, PGPASSWORD and PGDATABASE of the database (for postgresTarget's env_var() calls). */
  env: Record<string, string>;
  /** The rows of one query, on a connection of its own. */
  rows(sql: string): Promise<Record<string, unknown>[]>;
  /** Drops the database and stops the server if the suite started it. */
  close(): Promise<void>;
}

/** A fresh database named after `prefix` (see createTestDatabase) on the test server. */
export async function scratchDatabase(prefix: string, svc?: PostgresService): Promise<ScratchDatabase> {
  const server = svc ?? (await startPostgres());
  const db = await createTestDatabase(server, prefix);
  return {
    svc: server,
    db,
    env: postgresEnv(db.url),
    rows: (sql) => queryRows(db.url, sql),
    close: async () => {
      await db.drop().catch(() => undefined);
      if (!svc) await server.stop();
    },
  };
}

/**
 * Called in a describe: the test server started before its tests (or found) and stopped after them,
 * and scratch databases on it that are dropped after them.
 */
export function postgresForSuite(): { svc: () => PostgresService; scratch: (prefix: string) => Promise<ScratchDatabase> } {
  let server: PostgresService | undefined;
  const made: ScratchDatabase[] = [];
  beforeAll(async () => {
    server = await startPostgres();
  }, 120_000);
  afterAll(async () => {
    for (const x of made) await x.close();
    await server?.stop();
  });
  const svc = (): PostgresService => {
    if (!server) throw new Error('PostgreSQL is not started yet: call postgresForSuite() in a describe and its functions in the tests');
    return server;
  };
  return {
    svc,
    scratch: async (prefix) => {
      const x = await scratchDatabase(prefix, svc());
      made.push(x);
      return x;
    },
  };
}

/** The PG* variables of a database URL. */
export function postgresEnv(url: string): Record<string, string> {
  const u = new URL(url);
  return {
    PGHOST: u.hostname,
    PGPORT: u.port || '5432',
    PGUSER: decodeURIComponent(u.username),
    PGPASSWORD: decodeURIComponent(u.password),
    PGDATABASE: decodeURIComponent(u.pathname.slice(1)),
  };
}

/** The rows of `sql` on the database at `url`, on a connection opened and closed for it. */
export async function queryRows(url: string, sql: string): Promise<Record<string, unknown>[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql)).rows as Record<string, unknown>[];
  } finally {
    await c.end();
  }
}

/** A project.yml target `name` on schema `schema` of the database in the PG* variables (postgresEnv), as YAML lines (not indented). */
export function postgresTarget(name: string, schema: string): string {
  return dedent(`
    ${name}:
      type: postgres
      host: "{{ env_var('PGHOST') }}"
      port: "{{ env_var('PGPORT') }}"
      user: "{{ env_var('PGUSER') }}"
      password: "{{ env_var('PGPASSWORD', '') }}"
      database: "{{ env_var('PGDATABASE') }}"
      schema: ${schema}
  `);
}

/** `targets:` entries of a project.yml, indented under it: each `[name, schema]` a postgresTarget. */
export function postgresTargets(targets: [name: string, schema: string][]): string {
  return targets.map(([name, schema]) => postgresTarget(name, schema).replace(/^/gm, '  ')).join('\n');
}
