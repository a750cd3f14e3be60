import { cpus, userInfo } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { TargetError, type TargetConfig } from '../target.js';
import type { PgSettings, SslMode } from './postgres-connection.js';

/** Config keys of a `postgres` target (besides `type`). */
export const POSTGRES_CONFIG_KEYS = [
  'host',
  'port',
  'user',
  'password',
  'database',
  'dbname',
  'schema',
  'sslmode',
  'sslrootcert',
  'sslcert',
  'sslkey',
  'connect_timeout',
  'statement_timeout',
  'lock_timeout',
  'retries',
  'retry_backoff',
  'pool_size',
  'threads',
  'application_name',
  'load_threads',
  'load_memory_limit',
] as const;

/** How the loader's in-process DuckDB reads files (threads, memory_limit). */
export interface LoadSettings {
  threads: number;
  memoryLimit: string;
}

const SSL_MODES: SslMode[] = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];

/** A value from config, else from the environment; empty strings count as absent (an unset `env_var()` with default ''). */
function pick(config: TargetConfig, key: string, env?: string): string | undefined {
  const v = config[key];
  if (v !== undefined && v !== null && String(v) !== '') return String(v);
  const e = env ? process.env[env] : undefined;
  return e !== undefined && e !== '' ? e : undefined;
}

/**
 * A duration in milliseconds: a number counts in `unit` (libpq's connect_timeout is seconds, PostgreSQL's
 * statement_timeout is milliseconds), or a string with a unit: `500ms`, `30s`, `5min`, `1h`.
 */
export function parseDuration(v: string, unit: 's' | 'ms', key: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|sec|min|m|h)?\s*$/i.exec(v);
  if (!m) throw new TargetError(`postgres target: ${key} \`${v}\` is not a duration (e.g. 30, "30s", "500ms", "5min")`);
  const n = Number(m[1]);
  const u = (m[2] ?? unit).toLowerCase();
  const factor = u === 'ms' ? 1 : u === 's' || u === 'sec' ? 1000 : u === 'min' || u === 'm' ? 60_000 : 3_600_000;
  return Math.round(n * factor);
}

function int(v: string | undefined, key: string, dflt: number, min: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new TargetError(`postgres target: ${key} must be an integer >= ${min}, got \`${v}\``);
  return n;
}

/** Resolves a target config (env_var() already applied) plus libpq's environment variables into connection settings. */
export function postgresSettings(config: TargetConfig, projectDir: string): PgSettings & { schema: string; load: LoadSettings } {
  const unknown = Object.keys(config).filter((k) => k !== 'type' && k !== 'name' && !(POSTGRES_CONFIG_KEYS as readonly string[]).includes(k));
  if (unknown.length) {
    throw new TargetError(`postgres target: unknown config key${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `\`${k}\``).join(', ')} (known: ${POSTGRES_CONFIG_KEYS.join(', ')})`);
  }
  const user = pick(config, 'user', 'PGUSER') ?? userInfo().username;
  const sslmode = (pick(config, 'sslmode', 'PGSSLMODE') ?? 'prefer') as SslMode;
  if (!SSL_MODES.includes(sslmode)) throw new TargetError(`postgres target: sslmode \`${sslmode}\` is not one of ${SSL_MODES.join(', ')}`);
  const file = (key: string, env: string) => {
    const p = pick(config, key, env);
    return p === undefined ? undefined : isAbsolute(p) ? p : resolve(projectDir, p);
  };
  const statement = pick(config, 'statement_timeout');
  const statementTimeoutMs = statement === undefined ? undefined : parseDuration(statement, 'ms', 'statement_timeout');
  const lock = pick(config, 'lock_timeout');
  const lockTimeoutMs = lock === undefined ? undefined : parseDuration(lock, 'ms', 'lock_timeout');
  const poolSize = int(pick(config, 'pool_size') ?? pick(config, 'threads'), 'pool_size', 4, 1);
  return {
    host: pick(config, 'host', 'PGHOST') ?? 'localhost',
    port: int(pick(config, 'port', 'PGPORT'), 'port', 5432, 1),
    user,
    password: pick(config, 'password', 'PGPASSWORD'),
    database: pick(config, 'database') ?? pick(config, 'dbname', 'PGDATABASE') ?? user,
    schema: pick(config, 'schema') ?? 'public',
    sslmode,
    sslrootcert: file('sslrootcert', 'PGSSLROOTCERT'),
    sslcert: file('sslcert', 'PGSSLCERT'),
    sslkey: file('sslkey', 'PGSSLKEY'),
    connectTimeoutMs: parseDuration(pick(config, 'connect_timeout', 'PGCONNECT_TIMEOUT') ?? '10', 's', 'connect_timeout'),
    statementTimeoutMs: statementTimeoutMs || undefined,
    lockTimeoutMs: lockTimeoutMs || undefined,
    retries: int(pick(config, 'retries'), 'retries', 2, 0),
    retryBaseMs: parseDuration(pick(config, 'retry_backoff') ?? '500ms', 'ms', 'retry_backoff'),
    poolSize,
    applicationName: pick(config, 'application_name', 'PGAPPNAME') ?? 'tx',
    load: {
      // Leave a core to the server when it runs on this machine: on 2 cores DuckDB with 2 threads only competes
      // with the PostgreSQL backend parsing the COPY stream (and doubles the reader's memory).
      threads: int(pick(config, 'load_threads'), 'load_threads', Math.min(4, Math.max(1, cpus().length - 1)), 1),
      memoryLimit: pick(config, 'load_memory_limit') ?? '1GB',
    },
  };
}
