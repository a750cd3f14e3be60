/**
 * target/catalog.json: column names and types of every relation the manifest
 * names, as the warehouse reports them. The only step of `tx docs generate`
 * that opens the target; `--no-catalog` skips it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../artifacts/artifacts.js';
import { TxError } from '../errors.js';
import { txVersion } from '../load/package-root.js';
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
  const meta = { generated_at: new Date().toISOString(), tx_version: txVersion(), target: o.target.name, target_type: o.target.config.type };
  const dbPath = o.target.config.path;
  if (o.target.config.type === 'duckdb' && typeof dbPath === 'string' && dbPath !== ':memory:' && !existsSync(dbPath)) {
    // opening it would create an empty database file: there is nothing to read yet
    o.log?.(`catalog: skipped, the DuckDB file ${dbPath} does not exist yet (run \`tx build\`)`);
    return { metadata: meta, nodes: {}, errors: [{ unique_id: '', message: `${dbPath} does not exist` }] };
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
  const errors: { unique_id: string; message: string }[] = [];
  try {
    for (const n of [...Object.values(o.manifest.nodes), ...Object.values(o.manifest.sources)]) {
      if (!n.schema || !(n.alias ?? n.identifier) || n.resource_type === 'test') continue;
      const relation = { database: n.database ?? undefined, schema: n.schema, identifier: n.alias ?? n.identifier ?? n.name };
      try {
        const cols = await session.columns(relation);
        if (!cols.length) continue; // not built yet
        const entry: CatalogEntry = { unique_id: n.unique_id, relation: n.relation_name ?? `${relation.schema}.${relation.identifier}`, columns: cols.map((c, i) => ({ name: c.name, type: c.type, index: i + 1 })) };
        if (n.resource_type === 'source' && n.loaded_at_field && n.relation_name) {
          try {
            const rows = await session.connection.query(`select max(${n.loaded_at_field}) as m from ${n.relation_name}`);
            const v = rows[0]?.m;
            entry.max_loaded_at = v == null ? null : v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString();
          } catch (e) {
            errors.push({ unique_id: n.unique_id, message: `max(${n.loaded_at_field}): ${(e as Error).message}` });
          }
        }
        nodes[n.unique_id] = entry;
      } catch (e) {
        errors.push({ unique_id: n.unique_id, message: (e as Error).message });
      }
    }
  } finally {
    await session.close();
  }
  const catalog: Catalog = {
    metadata: meta,
    nodes,
    ...(errors.length ? { errors } : {}),
  };
  writeFileAtomic(join(o.targetDir, 'catalog.json'), JSON.stringify(catalog, null, 1));
  o.log?.(`catalog: ${Object.keys(nodes).length} relations introspected${errors.length ? `, ${errors.length} errors` : ''}`);
  return catalog;
}
