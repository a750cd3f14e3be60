/**
 * dbt's `graph` context variable: the project's nodes and sources as plain dicts, with the keys
 * macros read (unique_id, name, resource_type, package_name, database, schema, alias, config,
 * depends_on, refs, sources, fqn, tags, columns, original_file_path, raw_code); and the project's
 * exposures, metrics, semantic models, saved queries and groups as manifest.json holds them (dbt's
 * flat_graph), read when a template first asks for one of them (the models are known by then).
 */
import type { Project } from '../load/project-types.js';
import type { GraphNode } from './nodes.js';
import { semanticResourcesOf } from './semantic-nodes.js';

export function dbtGraph(project: Project, nodes: Map<string, GraphNode>): Record<string, unknown> {
  const out = { nodes: {} as Record<string, unknown>, sources: {} as Record<string, unknown> } as Record<string, Record<string, unknown>>;
  let semantic: ReturnType<typeof semanticResourcesOf> | undefined;
  for (const key of ['exposures', 'metrics', 'groups', 'semantic_models', 'saved_queries'] as const) {
    Object.defineProperty(out, key, {
      enumerable: true,
      configurable: true,
      get: () => {
        try {
          return (semantic ??= semanticResourcesOf(project, nodes))[key];
        } catch {
          // asked before every model is known (a reference not resolvable yet): empty for now, as dbt's
          // graph is while it parses; a reference to nothing is reported by selection and the manifest
          return {};
        }
      },
    });
  }
  for (const n of nodes.values()) {
    const entry: Record<string, unknown> = {
      unique_id: n.uniqueId,
      name: n.name,
      resource_type: n.resourceType,
      package_name: project.name,
      database: n.relation?.database ?? null,
      schema: n.relation?.schema ?? null,
      alias: n.relation?.identifier ?? n.name,
      identifier: n.relation?.identifier ?? n.name,
      relation_name: n.relationName ?? null,
      config: { ...n.config },
      tags: [...n.tags],
      fqn: [...n.fqn],
      description: n.description,
      columns: Object.fromEntries(n.columns.map((c) => [c.name, { name: c.name, description: c.description, data_type: c.dataType ?? null }])),
      depends_on: { nodes: [...n.dependsOn], macros: [] },
      refs: n.refs.map((r) => ({ name: r, package: null, version: null })),
      sources: n.sources.map(([a, b]) => [a, b]),
      path: n.path,
      original_file_path: n.path,
      raw_code: n.rawSql ?? '',
    };
    if (n.resourceType === 'source') {
      entry.source_name = n.source?.sourceName;
      out.sources[n.uniqueId] = entry;
    } else out.nodes[n.uniqueId] = entry;
  }
  return out;
}
