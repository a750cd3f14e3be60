/**
 * --state: the artifacts of an earlier run (manifest.json, run_results.json, sources.json) and the
 * selector methods that compare against them — `state:new|old|modified[.body|.configs|.relation|
 * .persisted_descriptions|.macros|.contract]|unmodified`, `result:<status>`, `source_status:fresher` —
 * with dbt-core's rules (graph/selector_methods.py StateSelectorMethod, nodes.py same_*). No file access
 * here (load-state.ts reads the folder), so the selector stays a pure module the docs site bundles too.
 */
import { TxError, didYouMean } from '../errors.js';
import type { StateMethod } from './selector.js';

type Obj = Record<string, unknown>;

/** The parts of a dbt manifest.json that state comparison and defer read. */
export interface ManifestJson {
  metadata: { dbt_schema_version?: string; project_name?: string; adapter_type?: string; generated_at?: string };
  nodes: Record<string, Obj>;
  sources: Record<string, Obj>;
  macros: Record<string, Obj>;
  unit_tests?: Record<string, Obj>;
}

export interface ResultsJson {
  results: { unique_id: string; status: string; max_loaded_at?: string }[];
  args?: Obj;
}

export interface SelectState {
  /** The --state folder, as given. */
  dir: string;
  manifest?: ManifestJson;
  runResults?: ResultsJson;
  /** sources.json of the --state run (source freshness). */
  sources?: ResultsJson;
  /** sources.json of the current target path (for source_status:fresher). */
  sourcesCurrent?: ResultsJson;
  /** The current project's manifest, built on first use. */
  current?: () => ManifestJson;
}

const STATE_CHECKS = ['new', 'old', 'modified', 'unmodified', 'modified.body', 'modified.configs', 'modified.persisted_descriptions', 'modified.relation', 'modified.macros', 'modified.contract'];

const canon = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x as Obj).sort(([a], [b]) => a.localeCompare(b))) : x)) ?? 'null';

const entryOf = (m: ManifestJson, id: string): Obj | undefined => m.nodes[id] ?? m.sources[id] ?? m.unit_tests?.[id];
const cfg = (e: Obj): Obj => (e.config as Obj | undefined) ?? {};

/** dbt's same_body: the raw code; seeds compare their file checksum. Sources have no body. */
function sameBody(n: Obj, o: Obj): boolean {
  if (n.resource_type === 'source') return true;
  if (n.resource_type === 'seed') return canon(n.checksum) === canon(o.checksum);
  return n.raw_code === o.raw_code;
}
function sameConfig(n: Obj, o: Obj): boolean {
  return canon(cfg(n)) === canon(cfg(o));
}
/** dbt's same_database_representation: the configured database, schema and alias (sources: the relation). */
function sameRelation(n: Obj, o: Obj): boolean {
  if (n.resource_type === 'source') return ['database', 'schema', 'identifier'].every((k) => n[k] === o[k]);
  return ['database', 'schema', 'alias'].every((k) => (cfg(n)[k] ?? null) === (cfg(o)[k] ?? null));
}
/** dbt's same_persisted_description: descriptions count only where persist_docs writes them to the warehouse. */
function samePersistedDescriptions(n: Obj, o: Obj): boolean {
  const pd = (cfg(n).persist_docs as Obj | undefined) ?? {};
  if (pd.relation && n.description !== o.description) return false;
  if (pd.columns) {
    const descs = (e: Obj) => Object.fromEntries(Object.entries((e.columns as Record<string, Obj> | undefined) ?? {}).map(([k, c]) => [k, c.description]));
    if (canon(descs(n)) !== canon(descs(o))) return false;
  }
  return true;
}
/** dbt's same_contract: an enforced contract changes when its columns, types or enforcement change. */
function sameContract(n: Obj, o: Obj): boolean {
  const enforced = (e: Obj) => (e.contract as Obj | undefined)?.enforced === true || (cfg(e).contract as Obj | undefined)?.enforced === true;
  if (!enforced(n) && !enforced(o)) return true;
  if (enforced(n) !== enforced(o)) return false;
  const cols = (e: Obj) => Object.values((e.columns as Record<string, Obj> | undefined) ?? {}).map((c) => [c.name, c.data_type ?? null]);
  return canon(cols(n)) === canon(cols(o));
}

/** Selector `state:<check>`: nodes compared with the --state manifest. */
export function stateMatches(check: string, nodes: ReadonlyMap<string, unknown>, state: SelectState | undefined, atom: string): Set<string> {
  if (!STATE_CHECKS.includes(check)) {
    throw new TxError('SELECTOR', `unknown state selector \`${atom}\``, { hint: didYouMean(check, STATE_CHECKS) ?? `one of: ${STATE_CHECKS.map((c) => `state:${c}`).join(', ')}` });
  }
  if (!state?.manifest) {
    throw new TxError('USAGE', `\`${atom}\` compares with an earlier manifest, but ${state ? `--state ${state.dir} holds no manifest.json` : 'no --state was given'}`, {
      hint: 'pass --state DIR with the target/ folder of the run to compare with (e.g. production artifacts)',
    });
  }
  const old = state.manifest;
  const cur = state.current!();
  // dbt's _macros_modified: a macro whose SQL changed, a new macro and a removed one
  let modifiedMacros: Set<string> | undefined;
  const macrosModified = (e: Obj): boolean => {
    if (!modifiedMacros) {
      modifiedMacros = new Set();
      for (const [id, m] of Object.entries(cur.macros)) if (!old.macros[id] || old.macros[id]!.macro_sql !== m.macro_sql) modifiedMacros.add(id);
      for (const id of Object.keys(old.macros)) if (!cur.macros[id]) modifiedMacros.add(id);
    }
    if (!modifiedMacros.size) return false;
    // the macros the node calls, and the macros those call, to any depth
    const seen = new Set<string>();
    const stack = [...(((e.depends_on as Obj | undefined)?.macros as string[] | undefined) ?? [])];
    while (stack.length) {
      const id = stack.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      if (modifiedMacros.has(id)) return true;
      stack.push(...((((cur.macros[id]?.depends_on as Obj | undefined)?.macros as string[] | undefined) ?? [])));
    }
    return false;
  };
  const modified = (n: Obj, o: Obj | undefined): boolean =>
    !o || !sameBody(n, o) || !sameConfig(n, o) || !samePersistedDescriptions(n, o) || canon(n.fqn) !== canon(o.fqn) || !sameRelation(n, o) || !sameContract(n, o) || macrosModified(n);
  const out = new Set<string>();
  for (const id of nodes.keys()) {
    const n = entryOf(cur, id);
    if (!n) continue;
    const o = entryOf(old, id);
    let hit: boolean;
    switch (check) {
      case 'new':
        hit = !o;
        break;
      case 'old':
        hit = !!o;
        break;
      case 'modified':
        hit = modified(n, o);
        break;
      case 'unmodified':
        hit = !modified(n, o);
        break;
      case 'modified.body':
        hit = !o || !sameBody(n, o);
        break;
      case 'modified.configs':
        hit = !o || !sameConfig(n, o);
        break;
      case 'modified.persisted_descriptions':
        hit = !o || !samePersistedDescriptions(n, o);
        break;
      case 'modified.relation':
        hit = !o || !sameRelation(n, o);
        break;
      case 'modified.macros':
        hit = macrosModified(n);
        break;
      default:
        hit = !o || !sameContract(n, o);
    }
    if (hit) out.add(id);
  }
  return out;
}

const RESULT_STATUSES = ['success', 'error', 'fail', 'warn', 'pass', 'skipped', 'runtime error'];

/** Selector `result:<status>`: nodes with that status in the --state run_results.json. */
export function resultMatches(status: string, nodes: ReadonlyMap<string, unknown>, state: SelectState | undefined, atom: string): Set<string> {
  if (!RESULT_STATUSES.includes(status)) throw new TxError('SELECTOR', `unknown result status in \`${atom}\``, { hint: didYouMean(status, RESULT_STATUSES) ?? `one of: ${RESULT_STATUSES.join(', ')}` });
  if (!state?.runResults) {
    throw new TxError('USAGE', `\`${atom}\` reads an earlier run_results.json, but ${state ? `--state ${state.dir} holds none` : 'no --state was given'}`, { hint: 'pass --state DIR with the target/ folder of that run' });
  }
  const ids = new Set(state.runResults.results.filter((r) => r.status === status).map((r) => r.unique_id));
  return new Set([...nodes.keys()].filter((id) => ids.has(id)));
}

/** Selector `source_status:fresher`: sources whose newest load (current sources.json) is later than in the --state sources.json. */
export function sourceStatusMatches(value: string, nodes: ReadonlyMap<string, unknown>, state: SelectState | undefined, atom: string): Set<string> {
  if (value !== 'fresher') throw new TxError('SELECTOR', `unknown source status in \`${atom}\``, { hint: 'source_status:fresher' });
  if (!state?.sources) {
    throw new TxError('USAGE', `\`${atom}\` compares with an earlier sources.json, but ${state ? `--state ${state.dir} holds none` : 'no --state was given'}`, { hint: 'run `tx source freshness` in both runs' });
  }
  if (!state.sourcesCurrent) throw new TxError('USAGE', `\`${atom}\` needs target/sources.json of this run`, { hint: 'run `tx source freshness` first' });
  const loaded = (r: ResultsJson) => new Map(r.results.filter((x) => typeof x.max_loaded_at === 'string' && x.status !== 'runtime error').map((x) => [x.unique_id, Date.parse(x.max_loaded_at!)]));
  const before = loaded(state.sources);
  const now = loaded(state.sourcesCurrent);
  const erred = new Set([...state.sources.results, ...state.sourcesCurrent.results].filter((x) => x.status === 'runtime error' || x.max_loaded_at === undefined).map((x) => x.unique_id));
  const out = new Set<string>();
  for (const [id, t] of now) if (nodes.has(id) && !erred.has(id) && (!before.has(id) || t > before.get(id)!)) out.add(id);
  return out;
}

/** The selector methods over `state` (undefined: no --state given, which each method reports), for SelectContext.stateMethods. */
export function stateMethods(state: SelectState | undefined): Record<string, StateMethod> {
  return {
    state: (method, value, atom, nodes) => stateMatches(method === 'state' ? value : `${method.slice(6)}.${value}`, nodes, state, atom),
    result: (_method, value, atom, nodes) => resultMatches(value, nodes, state, atom),
    source_status: (_method, value, atom, nodes) => sourceStatusMatches(value, nodes, state, atom),
  };
}
