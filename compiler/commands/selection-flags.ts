/**
 * The selection flags every selecting command shares (--selector, --resource-type,
 * --exclude-resource-type, --indirect-selection, --state, --defer, --favor-state, --warn-error,
 * --warn-error-options), and what the CLI does with them: load the state, select, report
 * criteria that match nothing, and work out which relations --defer reads instead.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { manifestOf } from '../artifacts/dbt-manifest.js';
import type { CompiledProject } from '../compile/compile-project.js';
import { TxError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { selectFor } from '../select/selection.js';
import { loadState } from '../select/load-state.js';
import type { ManifestJson, SelectState } from '../select/state.js';
import type { Relation } from '../../targets/target.js';
import { createTarget } from '../../targets/registry.js';

export interface SelectionCliOpts {
  select?: string[];
  exclude?: string[];
  selector?: string;
  resourceType?: string[];
  excludeResourceType?: string[];
  indirectSelection?: string;
  state?: string;
  deferState?: string;
  defer?: boolean;
  favorState?: boolean;
  warnError?: boolean;
  warnErrorOptions?: string;
  projectDir?: string;
}

/** Flags of every selecting command, beyond -s/--select and --exclude. */
export function addSelectionFlags(cmd: Command): Command {
  return cmd
    .option('--selector <name>', 'a selector defined in selectors.yml (instead of --select/--exclude)')
    .option('--resource-type <type...>', 'only these resource types: model, seed, source, test, unit_test, snapshot, all')
    .option('--exclude-resource-type <type...>', 'leave out these resource types')
    .option('--indirect-selection <mode>', 'tests a selected node brings along: eager (default), cautious, buildable, empty')
    .option('--state <dir>', 'artifacts of an earlier run (manifest.json, run_results.json, sources.json) for state:, result: and source_status: selectors')
    .option('--warn-error', 'treat warnings as errors (exit 1)')
    .option('--warn-error-options <yaml>', 'which warnings are errors: {error: all | [names], warn: [names]} (or include/exclude)');
}

/** --defer, --defer-state, --favor-state (commands that build or test). */
export function addDeferFlags(cmd: Command): Command {
  return cmd
    .option('--defer', 'ref() of nodes not selected reads the relations recorded in the --state manifest when they are missing here')
    .option('--defer-state <dir>', 'the artifacts --defer reads (default: --state)')
    .option('--favor-state', 'with --defer: always read unselected nodes from the state, even where they exist here');
}

/** dbt's warn_error / warn_error_options: which named warnings become errors. */
export class WarnPolicy {
  private readonly all: boolean;
  private readonly error: Set<string>;
  private readonly warn: Set<string>;
  private readonly silence: Set<string>;
  constructor(warnError: boolean | undefined, options: string | undefined) {
    let opts: Record<string, unknown> = {};
    if (options) {
      let v: unknown;
      try {
        v = parseYaml(options);
      } catch (e) {
        throw new TxError('USAGE', `--warn-error-options is not valid YAML: ${(e as Error).message.split('\n')[0]}`, { hint: `e.g. --warn-error-options '{error: all, warn: [NoNodesForSelectionCriteria]}'` });
      }
      if (!v || typeof v !== 'object' || Array.isArray(v)) throw new TxError('USAGE', '--warn-error-options must be a mapping', { hint: `e.g. '{error: all, warn: [LogTestResult]}'` });
      opts = v as Record<string, unknown>;
      for (const k of Object.keys(opts)) {
        if (!['error', 'warn', 'silence', 'include', 'exclude'].includes(k)) throw new TxError('USAGE', `--warn-error-options: unknown key \`${k}\``, { hint: 'keys: error (or include), warn (or exclude), silence' });
      }
      if ('error' in opts && 'include' in opts) throw new TxError('USAGE', '--warn-error-options: give `error` or `include`, not both');
      if ('warn' in opts && 'exclude' in opts) throw new TxError('USAGE', '--warn-error-options: give `warn` or `exclude`, not both');
    }
    const list = (v: unknown): string[] => (v == null ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);
    const error = list(opts.error ?? opts.include);
    this.all = !!warnError || error.includes('all') || error.includes('*');
    this.error = new Set(error);
    this.warn = new Set(list(opts.warn ?? opts.exclude));
    this.silence = new Set(list(opts.silence));
  }
  /** Whether warning `name` (dbt's event name) is an error. */
  isError(name: string): boolean {
    if (this.warn.has(name) || this.silence.has(name)) return false;
    return this.all || this.error.has(name);
  }
  isSilenced(name: string): boolean {
    return this.silence.has(name);
  }
}

/** Report a named warning: an error (exit 1) under --warn-error, else a warning line. */
export function warnOrError(policy: WarnPolicy, logger: Logger, name: string, message: string, hint?: string): void {
  if (policy.isError(name)) {
    const e = new TxError('SELECTOR', `${message} (a warning, an error under --warn-error)`, { hint });
    Object.defineProperty(e, 'exitCode', { value: 1 });
    throw e;
  }
  if (!policy.isSilenced(name)) logger.warn(hint ? `${message} (${hint})` : message);
}

export function stateFor(c: CompiledProject, dir: string | undefined): SelectState | undefined {
  if (!dir) return undefined;
  const state = loadState(dir, { projectDir: c.project.dir, projectName: c.project.name, currentSourcesPath: join(c.project.dir, c.project.targetPath, 'sources.json') });
  let current: ManifestJson | undefined;
  state.current = () => (current ??= manifestOf(c) as unknown as ManifestJson);
  return state;
}

/** The CLI's one selection: every selecting command calls this. */
export function selectForCli(c: CompiledProject, command: string, o: SelectionCliOpts, logger: Logger, policy = new WarnPolicy(o.warnError, o.warnErrorOptions)): { ids: string[]; resources: string[]; state?: SelectState } {
  const state = stateFor(c, o.state);
  const sel = selectFor(c, command, {
    select: o.select,
    exclude: o.exclude,
    selector: o.selector,
    resourceTypes: o.resourceType,
    excludeResourceTypes: o.excludeResourceType,
    indirectSelection: o.indirectSelection,
    state,
  });
  for (const m of sel.noMatch) warnOrError(policy, logger, 'NoNodesForSelectionCriteria', `The selection criterion \`${m.criterion}\` does not match any enabled nodes`, m.hint);
  return { ids: sel.ids, resources: sel.resources, state };
}

/** Model, seed and snapshot nodes --defer reads from the state's relations: unselected ones present there and (without --favor-state) missing here. */
export async function deferRelations(c: CompiledProject, selected: Set<string>, state: SelectState, o: { favorState?: boolean; logger: Logger }): Promise<Map<string, Relation>> {
  const m = state.manifest!;
  const candidates = new Map<string, Relation>();
  for (const n of c.nodes.values()) {
    if (selected.has(n.uniqueId) || !n.relation || !['model', 'seed', 'snapshot'].includes(n.resourceType)) continue;
    const e = m.nodes[n.uniqueId];
    if (!e || !['model', 'seed', 'snapshot'].includes(String(e.resource_type))) continue;
    if ((e.config as { materialized?: string } | undefined)?.materialized === 'ephemeral') continue;
    const rel: Relation = { schema: String(e.schema), identifier: String(e.alias ?? e.name) };
    if (e.database != null && e.database !== '') rel.database = String(e.database);
    candidates.set(n.uniqueId, rel);
  }
  if (o.favorState || !candidates.size) return candidates;
  // dbt: without --favor-state a node is deferred only where its own relation does not exist in this target
  const target = await createTarget(c.target.name, c.target.config, c.project.dir);
  const session = await target.open({ log: o.logger, threads: 1 });
  try {
    for (const [id] of [...candidates]) if (await session.relationExists(c.nodes.get(id)!.relation!)) candidates.delete(id);
  } finally {
    await session.close();
  }
  return candidates;
}
