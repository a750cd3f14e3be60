/**
 * The artifacts the docs site reads, as JSON types. These mirror what
 * `compiler/artifacts/artifacts.ts` writes (target/manifest.json and
 * target/run_results.json) plus the docs-only catalog (target/catalog.json).
 */

export interface ManifestColumn {
  name: string;
  description: string;
  data_type: string | null;
  meta?: Record<string, unknown>;
  /** Column lineage, written by `tx docs generate` (extra column keys are allowed by dbt's schema). */
  depends_on?: unknown;
  lineage?: unknown;
  [k: string]: unknown;
}

export interface ManifestNode {
  unique_id: string;
  resource_type: string;
  name: string;
  path: string;
  fqn: string[];
  relation_name: string | null;
  database: string | null;
  schema: string | null;
  alias: string | null;
  config: Record<string, unknown>;
  tags: string[];
  description: string;
  columns: Record<string, ManifestColumn>;
  raw_code: string | null;
  compiled_code: string | null;
  depends_on: { nodes?: string[]; macros?: string[] };
  refs?: unknown[];
  sources?: unknown[];
  source_name?: string;
  source_description?: string;
  identifier?: string;
  external?: { location?: string; file_format?: string | null; format?: string } | null;
  loaded_at_field?: string | null;
  freshness?: Record<string, unknown> | null;
  /** dbt's test_metadata (name, kwargs, namespace); tx manifests before dbt's schema also had column_name here. */
  test_metadata?: { name: string; kwargs: Record<string, unknown>; namespace?: string | null; column_name?: string | null } | null;
  /** A generic test's column. */
  column_name?: string | null;
  attached_node?: string | null;
  severity?: string;
  original_file_path?: string;
}

export interface Manifest {
  metadata: {
    dbt_schema_version?: string;
    /** `1.10.0+tx.<tx version>` when tx wrote it. */
    dbt_version?: string;
    generated_at?: string;
    invocation_id?: string;
    project_name?: string;
    adapter_type?: string;
    [k: string]: unknown;
  };
  nodes: Record<string, ManifestNode>;
  sources: Record<string, ManifestNode>;
  /** Unit tests (dbt keeps them apart from nodes). */
  unit_tests?: Record<string, ManifestNode & { model?: string }>;
  disabled?: Record<string, unknown[]>;
  docs?: Record<string, unknown>;
  parent_map?: Record<string, string[]>;
  child_map?: Record<string, string[]>;
}

export interface RunResult {
  unique_id: string;
  status: string;
  message: string;
  execution_time: number;
  timing?: { name: string; started_at?: string; completed_at?: string }[];
  adapter_response?: { rows_affected?: number | null };
  failures?: number | null;
  /** From target/tx_run.json: rejected rows, validations, test samples, export files. */
  details?: Record<string, unknown>;
  thread_id?: string;
}

export interface RunResults {
  metadata: { dbt_version?: string; generated_at?: string; invocation_id?: string; [k: string]: unknown };
  elapsed_time?: number;
  args?: Record<string, unknown> & { which?: string };
  results: RunResult[];
}

/** target/tx_run.json: what only tx knows about a run, beside dbt's run_results.json. */
export interface TxRun {
  metadata: { tx_version?: string; invocation_id?: string; generated_at?: string; command?: string; project_name?: string | null; target?: Record<string, unknown> | null };
  elapsed_time?: number;
  /** Every result, export steps (`after:<node>`) included, with tx's statuses and details. */
  results: (RunResult & { rows_affected?: number | null })[];
}

/** target/catalog.json: dbt's catalog v1, what introspecting the warehouse found, per relation. */
export interface Catalog {
  metadata: { generated_at?: string; dbt_version?: string; invocation_id?: string; [k: string]: unknown };
  nodes: Record<string, CatalogEntry>;
  sources?: Record<string, CatalogEntry>;
  errors?: string[] | null;
}

export interface CatalogStat {
  id: string;
  label: string;
  value: boolean | string | number | null;
  include: boolean;
  description?: string | null;
}

export interface CatalogEntry {
  metadata: { type: string; schema: string; name: string; database?: string | null; comment?: string | null; owner?: string | null };
  /** Columns by name, each with its 1-based position and the warehouse's type name. */
  columns: Record<string, { type: string; index: number; name: string; comment?: string | null }>;
  /** `has_stats`; for sources with `loaded_at_field`, `max_loaded_at` (ISO text). */
  stats: Record<string, CatalogStat>;
  unique_id?: string;
}

/** A catalog entry's columns in warehouse order and its newest load time: what the site and lineage use. */
export interface CatalogView {
  columns: { name: string; type: string; index: number }[];
  max_loaded_at: string | null;
}

/** The catalog entry of a node or source (dbt keeps sources apart), in the form the site uses. */
export function catalogView(catalog: Catalog | null | undefined, id: string): CatalogView | undefined {
  const e = catalog?.nodes?.[id] ?? catalog?.sources?.[id];
  if (!e || !e.columns || typeof e.columns !== 'object') return undefined;
  const columns = Object.values(e.columns)
    .map((c) => ({ name: c.name, type: c.type, index: c.index }))
    .sort((a, b) => a.index - b.index);
  const v = e.stats?.max_loaded_at?.value;
  return { columns, max_loaded_at: typeof v === 'string' ? v : null };
}

/** target/sources.json, written by `tx source freshness`. */
export interface SourcesResults {
  metadata: { generated_at?: string; [k: string]: unknown };
  /** dbt's sources v3: a measured result, or a `runtime error` with `error` and no measurement. */
  results: {
    unique_id: string;
    status: string;
    max_loaded_at?: string | null;
    snapshotted_at?: string;
    max_loaded_at_time_ago_in_s?: number | null;
    criteria?: { warn_after?: { count: number | null; period: string | null } | null; error_after?: { count: number | null; period: string | null } | null };
    adapter_response?: Record<string, unknown>;
    error?: string | null;
  }[];
}
