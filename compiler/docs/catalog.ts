/**
 * target/catalog.json: column names and types of every relation the manifest
 * names, as the warehouse reports them. The only step of `tx docs generate`
 * that opens the target; `--no-catalog` skips it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../artifacts/artifacts.js';
import { artifactMetadata } from '../artifacts/dbt-meta.js';
import { TxError } from '../errors.js';
import type { TargetConfig, TargetLog } from '../../targets/target.js';
import { createTarget } from '../../targets/registry.js';
import type { Catalog, CatalogEntry, Manifest } from './manifest-types.js';

export interface CatalogOptions {
  manifest: Manifest;
  projectDir: string;
  targetDir: string;
  /** Target name and resolved config (with secrets); the manifest's copy has none. */
  target: { name: string; config: TargetConfig };
  log?: (msg: string) => void;
}

const quietLog: TargetLog = { statement: () => {}, info: () => {}, warn: () => {} };

export async function buildCatalog(o: CatalogOptions): Promise<Catalog> {
  const meta = artifactMetadata('catalog');
  const dbPath = o.target.config.path;
  if (o.target.config.type === 'duckdb' && typeof dbPath === 'string' && dbPath !== ':memory:' && !existsSync(dbPath)) {
    // opening it would create an empty database file: there is nothing to read yet
    o.log?.(`catalog: skipped, the DuckDB file ${dbPath} does not exist yet (run \`tx build\`)`);
    return { metadata: meta, nodes: {}, sources: {}, errors: [`${dbPath} does not exist`] };
  }
  let target;
  try {
    target = await createTarget(o.target.name, o.target.config, o.projectDir);
  } catch (e) {
    throw new TxError('TARGET', `cannot open target ${o.target.name} to read column types: ${(e as Error).message}`, { hint: 'use `tx docs generate --no-catalog` to build the site without a warehouse' });
  }
  let session;
  try {
    session = await target.open({ log: quietLog, threads: 1 });
  } catch (e) {
    throw new TxError('TARGET', `cannot connect to target ${o.target.name} to read column types: ${(e as Error).message}`, { hint: 'use `tx docs generate --no-catalog` to build the site without a warehouse' });
  }
  const nodes: Record<string, CatalogEntry> = {};
  const sources: Record<string, CatalogEntry> = {};
  const errors: string[] = [];
  try {
    for (const n of [...Object.values(o.manifest.nodes), ...Object.values(o.manifest.sources)]) {
      if (!n.schema || !(n.alias ?? n.identifier) || n.resource_type === 'test') continue;
      const relation = { database: n.database ?? undefined, schema: n.schema, identifier: n.alias ?? n.identifier ?? n.name };
      try {
        const cols = await session.columns(relation);
        if (!cols.length) continue; // not built yet
        // dbt's catalog v1 entry: table metadata, columns by name with their position, stats
        const entry: CatalogEntry = {
          metadata: {
            type: n.resource_type === 'model' && n.config?.materialized === 'view' ? 'VIEW' : 'BASE TABLE',
            schema: relation.schema,
            name: relation.identifier,
            database: relation.database ?? null,
            comment: null,
            owner: null,
          },
          columns: Object.fromEntries(cols.map((c, i) => [c.name, { type: c.type, index: i + 1, name: c.name, comment: null }])),
          stats: { has_stats: { id: 'has_stats', label: 'Has Stats?', value: false, include: false, description: 'Indicates whether there are statistics for this table' } },
          unique_id: n.unique_id,
        };
        if (n.resource_type === 'source' && n.loaded_at_field && n.relation_name) {
          try {
            const rows = await session.connection.query(`select max(${n.loaded_at_field}) as m from ${n.relation_name}`);
            const v = rows[0]?.m;
            const at = v == null ? null : v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString();
            // the newest `loaded_at_field`, as a stat dbt's schema allows (value: string)
            entry.stats.max_loaded_at = { id: 'max_loaded_at', label: 'Max loaded at', value: at, include: true, description: `max(${n.loaded_at_field}) when the catalog was read` };
            entry.stats.has_stats = { ...entry.stats.has_stats!, value: true };
          } catch (e) {
            errors.push(`${n.unique_id}: max(${n.loaded_at_field}): ${(e as Error).message}`);
          }
        }
        (n.resource_type === 'source' ? sources : nodes)[n.unique_id] = entry;
      } catch (e) {
        errors.push(`${n.unique_id}: ${(e as Error).message}`);
      }
    }
  } finally {
    await session.close();
  }
  const catalog: Catalog = { metadata: meta, nodes, sources, errors: errors.length ? errors : null };
  writeFileAtomic(join(o.targetDir, 'catalog.json'), JSON.stringify(catalog, null, 1));
  o.log?.(`catalog: ${Object.keys(nodes).length + Object.keys(sources).length} relations introspected${errors.length ? `, ${errors.length} errors` : ''}`);
  return catalog;
}
