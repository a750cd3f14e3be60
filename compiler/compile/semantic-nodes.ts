/**
 * The dbt-only resources (exposures, metrics, semantic models, saved queries) as members of the
 * selection graph, as dbt-core's linker adds them: each is a node whose parents are its
 * `depends_on.nodes`. They stay out of `CompiledProject.nodes` and its DAG, which hold only what tx
 * builds (planning, the manifest's nodes and the docs iterate those); selection works on
 * `semanticGraph(c).dag`, the project's DAG with them added.
 */
import { Dag } from '../graph/dag.js';
import type { Project } from '../load/project-types.js';
import type { GraphNode } from './nodes.js';
import { semanticResources, type SemanticResources } from './dbt-semantic.js';

export type SemanticType = 'exposure' | 'metric' | 'semantic_model' | 'saved_query';
export const SEMANTIC_TYPES: SemanticType[] = ['exposure', 'metric', 'semantic_model', 'saved_query'];

/** What selection reads of an exposure, metric, semantic model or saved query. */
export interface SemanticNode {
  uniqueId: string;
  /** `analysis`: dbt's analyses join the selection graph too (compiled, never run). */
  resourceType: SemanticType | 'analysis';
  name: string;
  packageName: string;
  fqn: string[];
  /** The properties file it is declared in (dbt's original_file_path). */
  path: string;
  tags: string[];
  config: Record<string, unknown>;
  dependsOn: string[];
}

export interface SemanticGraph {
  /** As dbt writes them into manifest.json (and into the `graph` template variable). */
  resources: SemanticResources;
  nodes: Map<string, SemanticNode>;
  /** The project's DAG with the semantic nodes added (the project's own DAG when there are none). */
  dag: Dag;
}

type Obj = Record<string, unknown>;

/** dbt's dict form of the resources, from the compiled nodes (refs and sources resolve to them). */
export function semanticResourcesOf(project: Project, nodes: ReadonlyMap<string, GraphNode>): SemanticResources {
  const byId: Obj = {};
  const sources: Obj = {};
  for (const n of nodes.values()) {
    if (n.resourceType === 'source') sources[n.uniqueId] = { source_name: n.source?.sourceName, name: n.name };
    else byId[n.uniqueId] = { name: n.name, resource_type: n.resourceType, alias: n.relation?.identifier ?? n.name, schema: n.relation?.schema ?? null, database: n.relation?.database ?? null, relation_name: n.relationName ?? null };
  }
  const paths = project.paths;
  return semanticResources(
    { project },
    { project: project.name, createdAt: 0, targetDatabase: null, targetSchema: 'main', nodes: byId, sources, roots: [...paths.models, ...paths.seeds, ...(paths.snapshots ?? []), ...paths.tests] },
  );
}

const cache = new WeakMap<object, SemanticGraph>();

/** The selection graph of a compiled project (computed once per compile). */
export function semanticGraph(c: { project: Project; nodes: Map<string, GraphNode>; dag: Dag; analyses?: GraphNode[] }): SemanticGraph {
  const hit = cache.get(c);
  if (hit) return hit;
  const empty = !Object.values(c.project.dbtOnly ?? {}).some((l) => l.length) ;
  const resources: SemanticResources = empty
    ? { exposures: {}, metrics: {}, groups: {}, semantic_models: {}, saved_queries: {}, disabled: {} }
    : semanticResourcesOf(c.project, c.nodes);
  const nodes = new Map<string, SemanticNode>();
  for (const kind of [resources.exposures, resources.metrics, resources.semantic_models, resources.saved_queries]) {
    for (const [id, raw] of Object.entries(kind)) {
      const o = raw as Obj;
      nodes.set(id, {
        uniqueId: id,
        resourceType: o.resource_type as SemanticType,
        name: String(o.name),
        packageName: String(o.package_name),
        fqn: (o.fqn as string[]) ?? [],
        path: String(o.original_file_path),
        tags: Array.isArray(o.tags) ? (o.tags as unknown[]).map(String) : [],
        config: (o.config as Obj) ?? {},
        dependsOn: ((o.depends_on as { nodes?: string[] } | undefined)?.nodes ?? []).map(String),
      });
    }
  }
  for (const a of c.analyses ?? []) {
    nodes.set(a.uniqueId, { uniqueId: a.uniqueId, resourceType: 'analysis', name: a.name, packageName: a.packageName ?? c.project.name, fqn: a.fqn, path: a.path, tags: a.tags, config: a.config, dependsOn: a.dependsOn });
  }
  let dag = c.dag;
  if (nodes.size) {
    dag = new Dag();
    for (const id of c.dag.nodes()) dag.add(id, c.dag.parents(id));
    for (const n of nodes.values()) dag.add(n.uniqueId, n.dependsOn);
  }
  const out = { resources, nodes, dag };
  cache.set(c, out);
  return out;
}
