import type { ExternalWrite, Relation } from '../../targets/target.js';
import type { ColumnProps, NodeConfig, SourceTable, TestSpec } from '../load/project-types.js';
import type { UnitTestPlan } from '../data-tests/unit-tests.js';

export type ResourceType = 'model' | 'seed' | 'source' | 'test' | 'snapshot' | 'analysis';

/** A node of the DAG, compiled. This is what the manifest stores. */
export interface GraphNode {
  uniqueId: string;
  resourceType: ResourceType;
  name: string;
  /** The installed dbt package the node comes from; undefined for the root project's own. */
  packageName?: string;
  /** A model version: its version, and the model's latest. */
  version?: string;
  latestVersion?: string;
  /** File the node comes from, relative to the project. */
  path: string;
  fqn: string[];
  folders: string[];
  relation?: Relation;
  /** `"schema"."name"` as the target quotes it. */
  relationName?: string;
  /**
   * --defer: the node's own relation in this target, while `relation` above is the state's one that
   * ref() reads. The manifest records this one, as dbt 1.10 does (it writes no `defer_relation`).
   */
  ownRelation?: { relation: Relation; relationName: string };
  config: NodeConfig;
  tags: string[];
  description: string;
  /** The docs blocks its description renders through doc(): dbt's `doc_blocks`. */
  docBlocks?: string[];
  columns: ColumnProps[];
  rawSql?: string;
  compiledSql?: string;
  /** Hash of the compiled SQL file, when known from the compile cache (not in the manifest). */
  compiledSqlHash?: string;
  checksum: string;
  /** dbt's checksum of a model's file (sha256 of its trimmed text), when the compile took it. */
  rawChecksum?: string;
  dependsOn: string[];
  /** Macros used, for the docs site. */
  refs: string[];
  sources: [string, string][];
  source?: SourceTable;
  seedPath?: string;
  test?: TestNodeInfo;
  /** Whether the SQL uses is_incremental(); incremental models re-render at run time. */
  usesIsIncremental?: boolean;
  /** Its template asked the warehouse (dbt's execute, run_query, ...): rendered again when it runs. */
  renderAtRun?: boolean;
  /** `materialized: external` (dbt-duckdb's): the files it writes and the view over them. */
  external?: ExternalWrite;
}

export interface TestNodeInfo {
  kind: 'generic' | 'singular' | 'unit';
  /** Generic tests: the test name (`not_null`, ...), its arguments and the column. */
  testName?: string;
  /** Generic tests of a package (`dbt_utils.accepted_range`): the package. */
  namespace?: string;
  /** Generic tests: dbt's short name (the full one hashed when 64 characters or more), for the compiled file. */
  shortName?: string;
  args?: Record<string, unknown>;
  column?: string;
  /** The node the test is attached to (for selection: a model selects its tests). */
  attachedTo?: string;
  spec?: TestSpec;
  severity: 'error' | 'warn';
  /** Data tests: the relation store_failures writes (dbt's `<target schema>_dbt_test__audit.<test name>` by default). */
  store?: Relation;
  /** Columns each relation must have; checked against the built relation before the test runs. */
  columnChecks?: { nodeId: string; columns: string[] }[];
  /** Unit tests: the model's SQL over fixture tables, the fixtures and the expected rows. */
  unit?: UnitTestPlan;
}
