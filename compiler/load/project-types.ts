import type { LoadedPackage } from './packages.js';
/** The typed, validated project that `load` returns and every later stage reads. */

export type Materialization = 'view' | 'table' | 'ephemeral' | 'incremental' | 'external';

/** Model/seed/test config as merged from project.yml, properties files and config() calls. */
export type NodeConfig = Record<string, unknown> & {
  materialized?: Materialization;
  enabled?: boolean;
  schema?: string;
  database?: string;
  alias?: string;
  tags?: string[];
};

export interface ColumnProps {
  name: string;
  description: string;
  dataType?: string;
  /** dbt's `granularity` of a time spine column (day, hour, ...): kept for the manifest. */
  granularity?: string;
  tests: TestSpec[];
  meta: Record<string, unknown>;
  /** its tags, then its config's (dbt 1.10) */
  tags?: string[];
  line?: number;
  /** The docs blocks its description renders through doc(): dbt's `doc_blocks` (`doc.<package>.<name>`). */
  docBlocks?: string[];
  /** `quote: true | false` as written (dbt's manifest `quote`; unset is null). */
  quote?: boolean;
}

/** A data test as written in a properties file, before it becomes a graph node. */
export interface TestSpec {
  /** e.g. `not_null`, `accepted_values`, `my_package.custom` */
  name: string;
  args: Record<string, unknown>;
  config: Record<string, unknown>;
  file: string;
  line?: number;
  column?: string;
  /** The column's `quote:` (dbt: a generic test gets the column name quoted only when it is true). */
  columnQuote?: boolean;
}

export interface ModelProps {
  name: string;
  description: string;
  config: Record<string, unknown>;
  /** dbt projects: config keys tx does not know, kept for the node's config (not validated) */
  extraConfig?: Record<string, unknown>;
  columns: ColumnProps[];
  tests: TestSpec[];
  meta: Record<string, unknown>;
  /** dbt's `time_spine:` of a model (MetricFlow), as written: kept for the manifest. */
  timeSpine?: Record<string, unknown>;
  file: string;
  line?: number;
  /** Declared in an installed package's properties file. */
  package?: string;
  /** Model versions (`versions:`), as written; expanded per version file at load (compiler/load/model-versions.ts). */
  versions?: ModelVersionProps[];
  latestVersion?: string;
}

/** One entry of a model's `versions:`. */
export interface ModelVersionProps {
  /** `v`, as Python's str() prints it. */
  v: string;
  definedIn?: string;
  config: Record<string, unknown>;
  description?: string;
  /** Absent: the model's columns. Present: its own, and `include`/`exclude` of the model's. */
  columns?: (ColumnProps | { include: 'all' | string[]; exclude: string[] })[];
  /** Absent: the model's tests. */
  tests?: TestSpec[];
  line?: number;
}

export interface SourceTable {
  sourceName: string;
  name: string;
  description: string;
  sourceDescription: string;
  schema: string;
  database?: string;
  identifier: string;
  /** File sources: path (file, folder or glob) relative to the project, and format. */
  path?: string;
  format?: 'csv' | 'parquet' | 'json' | 'avro' | 'orc';
  options: Record<string, unknown>;
  maxRejectedRows?: number;
  columns: ColumnProps[];
  tests: TestSpec[];
  freshness?: Record<string, unknown> | null;
  loadedAtField?: string;
  /** config.event_time: the column --sample filters on. */
  eventTime?: string;
  meta: Record<string, unknown>;
  /** The source's and table's `config:` merged (table wins), as written; dbt-duckdb reads `external_location` from it. */
  config?: Record<string, unknown>;
  tags: string[];
  file: string;
  line?: number;
  /** Declared in an installed package's properties file. */
  package?: string;
}

export interface SqlFile {
  /** Name: the file name without extension. */
  name: string;
  /** Path relative to the project dir, with forward slashes. */
  path: string;
  absPath: string;
  text: string;
  /** Folder parts under the resource root, for the config hierarchy and `path:` selectors. */
  folders: string[];
  /** The installed dbt package the file belongs to; undefined for the root project's own. */
  package?: string;
  /** A version of a versioned model: the model's name, this file's version and the model's latest. */
  versionOf?: string;
  version?: string;
  latestVersion?: string;
}

/** Key of a model's or seed's properties: its name in the root project, `<package>/<name>` in a package. */
export function propsKey(pkg: string | undefined, name: string): string {
  return pkg ? `${pkg}/${name}` : name;
}

export interface UnitTestSpec {
  name: string;
  model: string;
  raw: Record<string, unknown>;
  file: string;
  line?: number;
  /** The installed package whose properties file declares it (undefined: the root project). */
  package?: string;
}

export interface Project {
  dir: string;
  name: string;
  version?: string;
  /** project.yml as validated, for artifacts. */
  raw: Record<string, unknown>;
  paths: { models: string[]; seeds: string[]; macros: string[]; tests: string[]; docs: string[]; snapshots?: string[] };
  targetPath: string;
  logPath: string;
  cleanTargets: string[];
  vars: Record<string, unknown>;
  targets: Record<string, Record<string, unknown>>;
  defaultTarget: string;
  /** dbt-style config hierarchies from project.yml. */
  modelsConfig: Record<string, unknown>;
  seedsConfig: Record<string, unknown>;
  /** dbt projects: dbt_project.yml's config keys tx does not know, as hierarchies per block (models, seeds) */
  extraConfig?: Record<string, unknown>;
  testsConfig: Record<string, unknown>;
  onRunStart: string[];
  onRunEnd: string[];
  /** The project file's line of each on-run-start / on-run-end hook (errors point at it). */
  hookLines?: { onRunStart: (number | undefined)[]; onRunEnd: (number | undefined)[] };
  exportRoots: string[];
  models: SqlFile[];
  seeds: SqlFile[];
  macros: SqlFile[];
  singularTests: SqlFile[];
  /** dbt analyses: `.sql` files under `analysis-paths` (compiled, never run). */
  analyses?: SqlFile[];
  /** Generic test definitions under tests/generic are macros too; they are in `macros`. */
  docs: Map<string, { text: string; file: string }>;
  modelProps: Map<string, ModelProps>;
  seedProps: Map<string, ModelProps>;
  sources: SourceTable[];
  unitTests: UnitTestSpec[];
  /** Every properties file, for checksums and the cache key. */
  propertyFiles: string[];
  /** Which file the project came from: tx's own project.yml or dbt's dbt_project.yml. */
  projectFile?: 'project.yml' | 'dbt_project.yml';
  /** dbt projects: the profiles.yml its targets come from. */
  profilesFile?: string;
  /** Said once as warnings when a command starts: what tx read and does not act on. */
  notes?: string[];
  /** Snapshots (`{% snapshot %}` blocks and properties entries with `relation:`), and their project-level config tree. */
  snapshots?: import('./snapshots.js').SnapshotFile[];
  snapshotsConfig?: Record<string, unknown>;
  /** dbt-only properties (semantic_models, metrics, saved_queries, groups, analyses, exposures, snapshots) as written, with their file, for the manifest. */
  dbtOnly?: Record<string, Record<string, unknown>[]>;
  /** dbt packages installed in dbt_packages/, for their macros and vars. */
  packages?: LoadedPackage[];
  /** dbt_project.yml `dispatch:`: per macro namespace, the packages searched in order. */
  dispatch?: { macroNamespace: string; searchOrder: string[] }[];
}
