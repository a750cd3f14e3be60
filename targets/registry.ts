import { duckdbDialect } from './duckdb/duckdb-dialect.js';
import { hiveDialect } from './hive/hive-dialect.js';
import { postgresDialect } from './postgres/postgres-dialect.js';
import type { Dialect, Target, TargetConfig, TargetFactory } from './target.js';

/**
 * Target types. The dialect is loaded apart from the driver, so `tx compile`
 * never loads a database driver it does not need. The built-in dialects (a few KB, no
 * imports) are bundled with the compiler: a dynamic import of one cost a first `tx ls` ~10 ms.
 */
interface TargetType {
  dialect(): Promise<Dialect>;
  factory(): Promise<TargetFactory>;
}

const TYPES: Record<string, TargetType> = {
  duckdb: {
    dialect: async () => duckdbDialect,
    factory: async () => (await import('./duckdb/index.js')).createDuckdbTarget,
  },
  hive: {
    dialect: async () => hiveDialect,
    factory: async () => (await import('./hive/index.js')).createHiveTarget,
  },
  postgres: {
    dialect: async () => postgresDialect,
    factory: async () => (await import('./postgres/index.js')).createPostgresTarget,
  },
};

export function targetTypes(): string[] {
  return Object.keys(TYPES);
}

/** Add a target type (each target folder's index registers itself here). */
export function registerTargetType(type: string, t: TargetType): void {
  TYPES[type] = t;
}

function typeOf(type: string): TargetType {
  const t = TYPES[type];
  if (!t) throw new Error(`unknown target type \`${type}\` (known: ${targetTypes().join(', ')})`);
  return t;
}

export async function loadDialect(type: string): Promise<Dialect> {
  return typeOf(type).dialect();
}

export async function createTarget(name: string, config: TargetConfig, projectDir: string): Promise<Target> {
  return (await typeOf(config.type).factory())(name, config, projectDir);
}
