import type { Relation } from '../../targets/target.js';

/**
 * Where a snapshot lives: as dbt-core's snapshot parser sets it, the legacy `target_schema` and
 * `target_database` configs name the schema and database as written (no generate_schema_name);
 * without them (dbt 1.9+) the snapshot is named as a model is.
 */
export function snapshotRelation(named: Relation, config: Record<string, unknown>): Relation {
  const ts = config.target_schema == null ? '' : String(config.target_schema).trim();
  const td = config.target_database == null ? '' : String(config.target_database).trim();
  return { ...named, schema: ts || named.schema, database: td || named.database };
}
