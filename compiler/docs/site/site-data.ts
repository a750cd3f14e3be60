/**
 * The data files of the docs site, shared by the generator and the browser.
 *
 * `data/index.js` holds what the first screen needs for every node (names,
 * types, statuses, layout, selector fields) in column arrays, so a 10,000-node
 * project parses in milliseconds. Details (SQL, columns, lineage) sit in
 * `data/nodes/c<k>.js` chunks loaded when a page opens. Each `.js` file assigns
 * its data to `window.__tx.data[key]`, so the site works from file:// where
 * fetch() is not allowed: the index as `JSON.parse("...")`, each chunk as
 * `{gz: "<base64 of gzipped JSON>"}` (JSON of SQL and columns shrinks ~10x;
 * the browser inflates it with DecompressionStream). For machines, the index is
 * also written as `data/index.json`; the manifest with lineage is
 * target/manifest.json (`tx docs serve` serves it as `/manifest.json`).
 */

export const CHUNK_SIZE = 200;

export type NodeType = 'model' | 'source' | 'seed' | 'test' | 'export';

export interface SiteMeta {
  project: string;
  tx_version: string;
  generated_at: string;
  manifest_generated_at: string | null;
  run_results_generated_at: string | null;
  run_command: string | null;
  run_elapsed: number | null;
  catalog_generated_at: string | null;
  target: string | null;
  /** Problems with the artifacts a reader should know: missing run results, stale files. */
  warnings: string[];
  layout: { engine: string; ms: number; width: number; height: number };
}

export interface SiteIndex {
  meta: SiteMeta;
  nodes: {
    id: string[];
    name: string[];
    type: NodeType[];
    /** Last run status (success, error, skipped, pass, fail, warn, ...) or null when not run. */
    status: (string | null)[];
    /** Layout: centre of each node in the whole-DAG view (null for tests, which it leaves out). */
    x: (number | null)[];
    y: (number | null)[];
    fqn: string[][];
    path: string[];
    tags: string[][];
    /** Config for `config.key:value` selectors (materialized and the rest). */
    config: Record<string, unknown>[];
    testKind: (string | null)[];
    testName: (string | null)[];
    /** The node a test is attached to (index), or -1. */
    attached: number[];
    /** Seconds of the last run, or null. */
    time: (number | null)[];
  };
  /** Edges as a flat list of index pairs [from, to, from, to, ...]. */
  edges: number[];
  overview: Overview;
}

export interface Overview {
  counts: Record<string, number>;
  statusCounts: Record<string, Record<string, number>>;
  /** Failing or erroring nodes (index) with their message. */
  problems: { node: number; status: string; message: string }[];
  freshness: FreshnessRow[];
  slowest: { node: number; time: number }[];
}

export interface FreshnessRow {
  node: number;
  /** When tx last landed the source (from run_results), ISO. */
  loaded_at: string | null;
  rows: number | null;
  /** Newest `loaded_at_field` value in the warehouse (from the catalog), ISO. */
  max_loaded_at: string | null;
  /** warn_after / error_after as text, e.g. "warn after 12 hours". */
  rule: string | null;
  /** pass | warn | error | unknown (no rule or no time) */
  status: string;
  /** Age in seconds at generation time. */
  age_s: number | null;
}

export interface SiteColumn {
  name: string;
  type: string | null;
  description_html: string;
  declared: boolean;
  tests: { node: number; name: string; status: string | null }[];
  lineage: {
    /** `node` is an index into the site index; -1 with `id` for a node outside it. */
    depends_on: { node: number; id?: string; column: string }[];
    transform: string;
    untraced?: string;
  } | null;
  /** Downstream columns that read this one. */
  used_by: { node: number; column: string }[];
}

export interface SiteRun {
  status: string;
  message: string;
  execution_time: number;
  rows: number | null;
  failures: number | null;
  completed_at: string | null;
  details?: Record<string, unknown>;
}

export interface SiteNode {
  id: string;
  name: string;
  type: NodeType;
  description_html: string;
  path: string;
  relation: string | null;
  materialized: string | null;
  tags: string[];
  config: Record<string, unknown>;
  raw_sql: string | null;
  compiled_sql: string | null;
  depends_on: number[];
  referenced_by: number[];
  run: SiteRun | null;
  columns: SiteColumn[];
  tests: { node: number; name: string; column: string | null; status: string | null }[];
  lineage_note: string | null;
  source?: { source_name: string; source_description_html: string; location: string | null; format: string | null; loaded_at_field: string | null; freshness: FreshnessRow | null };
  test?: { kind: string; test_name: string | null; column: string | null; kwargs: Record<string, unknown>; attached: number; severity: string | null };
  export?: { model: number; to: string; format: string | null; compression: string | null; options: Record<string, unknown> };
  exports: { node: number; to: string; format: string | null }[];
}

export interface TxWindow {
  __tx?: { data: Record<string, unknown>; onload?: (key: string) => void };
}

/** The JS text of a data file: works from file:// (no fetch) and any static host. */
export function dataScript(key: string, json: string): string {
  return `(window.__tx=window.__tx||{data:{}}).data[${JSON.stringify(key)}]=JSON.parse(${JSON.stringify(json)});\n`;
}

/** A data file holding gzipped JSON as base64 (`gzBase64`), for `unpackData` to inflate in the browser. */
export function packedDataScript(key: string, gzBase64: string): string {
  return `(window.__tx=window.__tx||{data:{}}).data[${JSON.stringify(key)}]={gz:${JSON.stringify(gzBase64)}};\n`;
}

/** The value a data file assigned: itself, or the JSON inflated from a `{gz}` one (browser: DecompressionStream). */
export async function unpackData<T>(v: unknown): Promise<T> {
  const gz = (v as { gz?: unknown } | null)?.gz;
  if (typeof gz !== 'string') return v as T;
  const bin = atob(gz);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  const text = await new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'))).text();
  return JSON.parse(text) as T;
}
