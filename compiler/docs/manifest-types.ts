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
  tests?: string[];
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
  depends_on: { nodes: string[] };
  refs?: unknown[];
  sources?: unknown[];
  source_name?: string;
  source_description?: string;
  identifier?: string;
  external?: { location?: string; format?: string } | null;
  loaded_at_field?: string | null;
  freshness?: Record<string, unknown> | null;
  test_metadata?: { name: string; kwargs: Record<string, unknown>; column_name: string | null } | null;
  attached_node?: string | null;
  severity?: string;
  original_file_path?: string;
}

export interface Manifest {
  metadata: {
    tx_version?: string;
    generated_at?: string;
    project_name?: string;
    target?: Record<string, unknown>;
    [k: string]: unknown;
  };
  nodes: Record<string, ManifestNode>;
  sources: Record<string, ManifestNode>;
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
  details?: Record<string, unknown>;
}

export interface RunResults {
  metadata: { tx_version?: string; generated_at?: string; command?: string };
  elapsed_time?: number;
  args?: Record<string, unknown>;
  results: RunResult[];
}

/** target/catalog.json: what introspecting the warehouse found, per node. */
export interface Catalog {
  metadata: { generated_at: string; tx_version: string; target: string; target_type: string };
  nodes: Record<string, CatalogEntry>;
  errors?: { unique_id: string; message: string }[];
}

export interface CatalogEntry {
  unique_id: string;
  relation: string;
  /** Columns in warehouse order, with the warehouse's type names. */
  columns: { name: string; type: string; index: number }[];
  /** Sources with `loaded_at_field`: the newest value of that field, ISO text. */
  max_loaded_at?: string | null;
}

/** target/sources.json, written by `tx source freshness`. */
export interface SourcesResults {
  metadata: { generated_at?: string };
  results: {
    unique_id: string;
    status: string;
    max_loaded_at: string | null;
    snapshotted_at?: string;
    max_loaded_at_time_ago_in_s: number | null;
    criteria?: { warn_after?: { count: number; period: string } | null; error_after?: { count: number; period: string } | null };
    message?: string;
  }[];
}
