/**
 * What every artifact of one tx invocation shares, in dbt's conventions: one invocation id (a
 * UUID, as dbt's), when the invocation started, the `env` of `DBT_ENV_CUSTOM_ENV_*` /
 * `TX_ENV_CUSTOM_ENV_*` variables, and the version string written as `dbt_version`.
 *
 * `dbt_version` is `1.10.0+tx.<tx version>`: consumers gate features on the dbt version whose
 * artifact schemas a file follows (manifest v12, run_results v6, catalog v1, sources v3 are what
 * dbt-core 1.10 writes); the build metadata after `+` (valid in SemVer and PEP 440) says that tx,
 * not dbt, wrote it, and which tx.
 */
import { randomUUID } from 'node:crypto';
import { txVersion } from '../load/package-root.js';

export const DBT_SCHEMA_VERSIONS = {
  manifest: 'https://schemas.getdbt.com/dbt/manifest/v12.json',
  run_results: 'https://schemas.getdbt.com/dbt/run-results/v6.json',
  catalog: 'https://schemas.getdbt.com/dbt/catalog/v1.json',
  sources: 'https://schemas.getdbt.com/dbt/sources/v3.json',
} as const;

export type ArtifactKind = keyof typeof DBT_SCHEMA_VERSIONS;

/** The dbt release whose artifact schemas tx writes. */
export const DBT_COMPAT_VERSION = '1.10.0';

const started = new Date();
let invocation: string | undefined;

/** One UUID per tx process; `TX_INVOCATION_ID` (a UUID) pins it, e.g. for an orchestrator. */
export function invocationId(): string {
  if (invocation) return invocation;
  const given = process.env.TX_INVOCATION_ID;
  invocation = given && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(given) ? given.toLowerCase() : randomUUID();
  return invocation;
}

export function invocationStartedAt(): string {
  return started.toISOString();
}

export function dbtVersion(): string {
  return `${DBT_COMPAT_VERSION}+tx.${txVersion()}`;
}

/** tx's version from a `dbt_version` that tx wrote (`1.10.0+tx.0.1.0` → `0.1.0`), else undefined. */
export function txVersionOf(dbtVersionField: unknown): string | undefined {
  const m = /\+tx\.(.+)$/.exec(String(dbtVersionField ?? ''));
  return m?.[1];
}

/**
 * dbt's `metadata.env`: variables named `DBT_ENV_CUSTOM_ENV_<KEY>` (or `TX_ENV_CUSTOM_ENV_<KEY>`),
 * keyed by `<KEY>`. Opt-in by name, as in dbt: nothing else from the environment is written.
 */
export function customEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const prefix of ['DBT_ENV_CUSTOM_ENV_', 'TX_ENV_CUSTOM_ENV_']) {
    for (const [k, v] of Object.entries(env)) if (k.startsWith(prefix) && k.length > prefix.length && v !== undefined) out[k.slice(prefix.length)] = v;
  }
  return out;
}

/** The metadata block every dbt artifact starts with. */
export function artifactMetadata(kind: ArtifactKind, generatedAt: Date = new Date()): {
  dbt_schema_version: string;
  dbt_version: string;
  generated_at: string;
  invocation_id: string;
  invocation_started_at: string;
  env: Record<string, string>;
} {
  return {
    dbt_schema_version: DBT_SCHEMA_VERSIONS[kind],
    dbt_version: dbtVersion(),
    generated_at: generatedAt.toISOString(),
    invocation_id: invocationId(),
    invocation_started_at: invocationStartedAt(),
    env: customEnv(),
  };
}
