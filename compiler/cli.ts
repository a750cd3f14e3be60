#!/usr/bin/env node
import { installDeps } from './commands/deps-command.js';
import { existsSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { parse as parseYamlText } from 'yaml';
import { applyArtifactOptions, writeJsonEnabled } from './artifacts/artifact-options.js';
import { writeCompileArtifactsAsync, writeFileAtomic } from './artifacts/artifacts.js';
import { compileProject, type CompiledProject, type CompileOptions } from './compile/compile-project.js';
import { semanticGraph } from './compile/semantic-nodes.js';
import { propertiesFolders } from './compile/compile-tests.js';
import { TxError } from './errors.js';
import { findProjectDir, loadProject } from './load/load-project.js';
import { DBT_COMPATIBLE_TEXT, projectFileIn } from './load/dbt-project.js';
import { enableYamlCache } from './load/yaml-cache.js';
import { parseYaml } from './load/yaml-file.js';
import { compileInputs, compileInputsInBackground, compileKey, compileTargetDir, deterministic, hasCompileState, saveCompileState, upToDate } from './compile/up-to-date.js';
import { txVersion } from './load/package-root.js';
import { Logger, type LogFormat } from './log/logger.js';
import { anySecrets, containsSecret, scrub } from './log/scrub.js';
import { ignoredFlagsNote, stripDbtGlobalFlags } from './dbt-global-flags.js';
import { lsKey, saveLs, takenInputs } from './commands/ls-cache.js';
import { dbtLsJson } from './commands/ls-output-keys.js';
import { runProject, type RunCommand } from './run/run-project.js';
import { addDeferFlags, addSelectionFlags, deferRelations, selectForCli, stateFor, WarnPolicy, type SelectionCliOpts } from './commands/selection-flags.js';
import type { SelectState } from './select/state.js';
import { parseSampleWindow, pythonUtc, type SampleWindow } from './compile/sample-window.js';
import { registerWorkflowCommands } from './commands/workflow-commands.js';
import { formatRows, type OutputFormat } from './commands/show-output.js';
import { registerSourceCommand } from './commands/source-command.js';
import { reportFailedNodes, reportTestRun } from './commands/test-report.js';
import { createTarget } from '../targets/registry.js';
import { registerDocsCommand } from './commands/docs-command.js';
import { warehouseFiles, warehousesInside } from './commands/clean-guard.js';

interface CommonOpts {
  projectDir?: string;
  targetPath?: string;
  logPath?: string;
  writeJson?: boolean;
  target?: string;
  vars?: string;
  logFormat: LogFormat;
  debug?: boolean;
  quiet?: boolean;
  profilesDir?: string;
  profile?: string;
}

/** --vars: YAML (or JSON); in a dbt project read as dbt reads it (PyYAML: `{flag: yes}` is true). */
function parseVars(text: string | undefined, projectDir: string | undefined): Record<string, unknown> {
  if (!text) return {};
  let dbt = false;
  try {
    const dir = projectDirOrNone(projectDir);
    dbt = dir !== undefined && projectFileIn(dir) === 'dbt_project.yml';
  } catch {
    // a folder with both project files: loading the project says so
  }
  let v: unknown;
  try {
    v = dbt ? parseYaml(text, '--vars', 'pyyaml').value : parseYamlText(text);
  } catch (e) {
    throw new TxError('USAGE', `--vars is not valid YAML or JSON: ${(e as Error).message.split('\n')[0]}`, { hint: `e.g. --vars '{presc_fact_path: /data/fact.csv}'` });
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new TxError('USAGE', '--vars must be a mapping', { hint: `e.g. --vars '{key: value}'` });
  return v as Record<string, unknown>;
}

/** The project folder, or undefined where findProjectDir fails (the command reports that itself). */
function projectDirOrNone(dir: string | undefined): string | undefined {
  try {
    return findProjectDir(dir);
  } catch {
    return undefined;
  }
}

function makeLogger(o: CommonOpts, projectDir?: string, logPath = 'logs'): Logger {
  return new Logger({ format: o.logFormat, file: projectDir ? join(projectDir, logPath, 'tx.log') : undefined, debug: o.debug, quiet: o.quiet });
}

async function compileFrom(o: CommonOpts, command = 'compile', extra: Partial<CompileOptions> = {}, sayNotes = true): Promise<{ compiled: CompiledProject; logger: Logger }> {
  const project = loadProject(o.projectDir, { vars: parseVars(o.vars, o.projectDir), profilesDir: o.profilesDir, profile: o.profile, target: o.target });
  applyArtifactOptions(project, o); // --target-path, --log-path, --no-write-json
  const logger = makeLogger(o, project.dir, project.logPath);
  if (sayNotes) for (const note of project.notes ?? []) logger.warn(note);
  const compiled = await compileProject(project, {
    target: o.target,
    vars: parseVars(o.vars, o.projectDir),
    log: (msg, info) => (info ? logger.info(msg) : logger.debug(msg)),
    command,
    fullRefresh: !!(o as { fullRefresh?: boolean }).fullRefresh,
    ...extra,
  });
  return { compiled, logger };
}

function addCommon(cmd: Command): Command {
  return cmd
    .option('--project-dir <dir>', 'folder holding project.yml or dbt_project.yml (default: the nearest one above the current folder)')
    .option('--profiles-dir <dir>', 'dbt projects: the folder holding profiles.yml (default: DBT_PROFILES_DIR, the project folder, ~/.dbt/)')
    .option('--profile <name>', 'dbt projects: the profile to use instead of dbt_project.yml\'s `profile:`')
    .option('-t, --target <name>', 'target from project.yml (default: its `target`, else duckdb)')
    .option('--vars <yaml>', 'variables as YAML or JSON, e.g. \'{presc_fact_path: /x/fact.csv}\'')
    .addOption(new Option('--log-format <format>', 'console output').choices(['text', 'json']).default('text'))
    .option('--debug', 'show stack traces and debug lines')
    .option('-q, --quiet', 'only errors on the console')
    .option('--target-path <dir>', 'where artifacts go instead of the project\'s target-path (relative to the project)')
    .option('--log-path <dir>', 'where tx.log goes instead of the project\'s log-path (relative to the project)')
    .option('--no-write-json', 'do not write the JSON artifacts (manifest.json, run_results.json, tx_run.json, sources.json)');
}

function addSelection(cmd: Command): Command {
  return addSelectionFlags(
    cmd
      .option('-s, --select <selector...>', 'nodes to include: name, +name, name+, @name, tag:x, path:x, config.materialized:x, source:x, resource_type:x, state:modified, result:error')
      .option('--exclude <selector...>', 'nodes to leave out'),
  );
}

function addRunOptions(cmd: Command): Command {
  return cmd
    .option('--threads <n>', 'parallel nodes (default: number of cores, or the target\'s threads)')
    .option('-x, --fail-fast', 'stop at the first failure')
    .option('--full-refresh', 'rebuild incremental models from scratch');
}

type RunCliOpts = CommonOpts &
  SelectionCliOpts & { threads?: string; failFast?: boolean; fullRefresh?: boolean; junitXml?: string; audit?: boolean; empty?: boolean; sample?: string };

let exitCode = 0;
/** Whether commander parses the command line as typed (no dbt global flag moved or dropped). */
let argvAsTyped = false;
const controller = new AbortController();

/** The flags of a run, as run_results.json `args` keeps them for `tx retry` (dbt's names). */
function runArgs(o: RunCliOpts, sample?: SampleWindow): Record<string, unknown> {
  return {
    // the window itself (a relative one resolved), so that retry reads the same rows
    sample: sample ? { start: sample.start.toISOString(), end: sample.end.toISOString() } : null,
    selector: o.selector ?? null,
    resource_types: o.resourceType ?? [],
    exclude_resource_types: o.excludeResourceType ?? [],
    indirect_selection: o.indirectSelection ?? 'eager',
    state: o.state ?? null,
    defer: !!o.defer,
    defer_state: o.deferState ?? null,
    favor_state: !!o.favorState,
    empty: !!o.empty,
    fail_fast: !!o.failFast,
    vars: parseVars(o.vars, o.projectDir),
    warn_error: !!o.warnError,
    warn_error_options: o.warnErrorOptions ?? null,
    audit: o.audit !== false,
  };
}

/**
 * --defer: compile again with ref() of the unselected nodes that the state holds (and that are missing
 * here, unless --favor-state) resolved to the state's relations. build, run, compile and show use it.
 */
async function withDefer(compiled: CompiledProject, picked: { ids: string[]; state?: SelectState }, o: RunCliOpts, logger: Logger, command: string, extra: Partial<CompileOptions> = {}): Promise<CompiledProject> {
  const dir = o.deferState ?? o.state;
  if (!dir) throw new TxError('USAGE', '--defer needs --state DIR (or --defer-state DIR): the artifacts of the run whose relations unselected nodes are read from');
  const state = o.deferState || !picked.state ? stateFor(compiled, dir) : picked.state;
  if (!state?.manifest) throw new TxError('USAGE', `--defer: \`${dir}\` holds no manifest.json`, { hint: 'save target/manifest.json of the production run there' });
  const rels = await deferRelations(compiled, new Set(picked.ids), state, { favorState: o.favorState, logger });
  if (!rels.size) return compiled;
  const deferred = await compileProject(compiled.project, {
    target: o.target,
    vars: parseVars(o.vars, o.projectDir),
    log: (msg, info) => (info ? logger.info(msg) : logger.debug(msg)),
    command,
    ...extra,
    deferRelations: rels,
  });
  logger.info(`Deferring ${rels.size} unselected node${rels.size === 1 ? '' : 's'} to the relations in ${dir}: ${[...rels].map(([id, r]) => `${deferred.nodes.get(id)?.name ?? id} → ${deferred.dialect.relationName(r)}`).join(', ')}`);
  return deferred;
}

/** build, run, seed, test, export — and `tx retry`, which passes the nodes to re-run. */
async function runCommand(command: RunCommand, o: RunCliOpts, retryIds?: string[]): Promise<void> {
  const policy = new WarnPolicy(o.warnError, o.warnErrorOptions);
  const sample = o.sample !== undefined ? parseSampleWindow(o.sample) : undefined;
  let { compiled, logger } = await compileFrom(o, command, { empty: !!o.empty, sample });
  const threads = o.threads ? Number(o.threads) : Number(compiled.target.config.threads ?? cpus().length);
  if (!Number.isInteger(threads) || threads < 1) throw new TxError('USAGE', `--threads must be a positive integer, got ${o.threads}`);
  const picked = retryIds ? { ids: compiled.dag.order(new Set(retryIds.filter((id) => compiled.nodes.has(id)))), state: undefined } : selectForCli(compiled, command, o, logger, policy);
  if (sample) logger.info(`Sample mode: ref() and source() of nodes with event_time read ${pythonUtc(sample.start)} to ${pythonUtc(sample.end)}`);
  if (o.defer) compiled = await withDefer(compiled, picked, o, logger, command, { fullRefresh: !!o.fullRefresh, empty: !!o.empty, sample });
  const { afterNodeHooks } = await import('./run/export-steps.js');
  const outcome = await runProject(compiled, {
    command,
    select: o.select,
    exclude: o.exclude,
    plan: picked.ids,
    threads,
    failFast: !!o.failFast,
    fullRefresh: !!o.fullRefresh,
    audit: o.audit !== false,
    warnAsError: policy.isError('LogTestResult'),
    args: runArgs(o, sample),
    logger,
    signal: controller.signal,
    afterNode: command === 'build' || command === 'export' ? afterNodeHooks(compiled, logger, controller.signal) : undefined,
  });
  if (command === 'test' || command === 'build') exitCode = reportTestRun(compiled, outcome, { command, junitXml: o.junitXml, logger });
  else {
    // run, seed, snapshot, export: the same list of failed nodes at the end as build prints
    reportFailedNodes(compiled, outcome, logger);
    exitCode = outcome.exitCode;
  }
}

function main(argv: string[]): Command {
  const program = new Command('tx')
    .description('tx: a SQL-first pipeline compiler and runner (DuckDB, PostgreSQL, Hive)')
    .version(txVersion(), '-v, --version')
    .showHelpAfterError()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  program.exitOverride();

  for (const [name, desc] of [
    ['build', 'seed, load sources, run models, test them, and export: everything in DAG order'],
    ['run', 'load file sources and build models'],
    ['seed', 'load seeds/*.csv into tables'],
    ['test', 'run data tests (generic and singular) and unit tests'],
    ['export', 're-run the exports of the selected models (built earlier) without rebuilding them'],
    ['snapshot', 'take the snapshots (SCD type 2) in snapshots/ and properties files'],
  ] as const) {
    const cmd = addRunOptions(addSelection(addCommon(program.command(name).description(desc))));
    if (name === 'test' || name === 'build') cmd.option('--junit-xml <path>', 'write the test results as JUnit XML (one test case per data test and unit test)');
    addDeferFlags(cmd);
    if (name === 'build' || name === 'run') {
      cmd.option('--empty', 'build every model with zero rows: ref() and source() read none (schema-only CI)');
      cmd.option('--sample <window>', 'ref() and source() of nodes with event_time read only this window: "3 days" (hour, day, month, year) or "{start: ..., end: ...}"');
    }
    if (name === 'build') cmd.option('--no-audit', 'publish each new version first and test it after (default: its error tests run on the new version before it is swapped in)');
    cmd.action(async (o: RunCliOpts) => runCommand(name, o));
  }
  registerWorkflowCommands<RunCliOpts>(program, { addCommon, addSelection, compileFrom, runCommand: (command, o, ids) => runCommand(command, o, ids) });
  registerSourceCommand<RunCliOpts>(program, { addCommon, addSelection, compileFrom, setExitCode: (c) => (exitCode = c), signal: controller.signal });

  addDeferFlags(addSelection(addCommon(program.command('compile').description('render every model to SQL and write target/manifest.json (no database; --defer asks it which relations exist)')))).action(async (o: RunCliOpts) => {
    const t0 = performance.now();
    const summary = (counts: [string, number][], targetDir: string, note = '') =>
      `Compiled ${counts.length ? counts.map(([k, v]) => `${v} ${v === 1 ? k : k === 'analysis' ? 'analyses' : `${k}s`}`).join(', ') : 'no selected nodes'} in ${((performance.now() - t0) / 1000).toFixed(2)}s${note} → ${relative(process.cwd(), targetDir) || '.'}/`;
    // nothing changed since the last compile (as make decides it): its output is still exact
    // (--defer asks the warehouse which relations exist: never the shortcut)
    const fingerprintOpts = { ...o, argv: process.argv.slice(2) };
    // (--state reads another run's artifacts, which the fingerprint does not cover: never the shortcut either)
    const projectDir = o.writeJson !== false && !o.defer && !o.state ? findProjectDir(o.projectDir) : undefined;
    const stateDir = projectDir ? compileTargetDir(projectDir, o) : undefined;
    // With a saved state the fingerprint is taken first (it may make the compile unnecessary);
    // without one (a first compile, a clean target/) it is taken while the compile runs.
    let inputs = projectDir && stateDir && hasCompileState(stateDir) ? compileInputs(projectDir, fingerprintOpts) : undefined;
    const background = projectDir && !inputs ? compileInputsInBackground(projectDir, fingerprintOpts) : undefined;
    const fresh = inputs && upToDate(inputs.targetDir, compileKey(inputs));
    if (inputs && fresh) {
      makeLogger(o, dirname(inputs.targetDir), relative(dirname(inputs.targetDir), inputs.logDir)).info(summary(Object.entries(fresh.counts), inputs.targetDir, ' (nothing changed since the last compile)'));
      return;
    }
    let { compiled, logger } = await compileFrom(o);
    // the same selection as every command: bad selectors are errors, criteria that match nothing warn
    const picked = selectForCli(compiled, 'compile', o, logger);
    const { ids } = picked;
    if (o.defer) compiled = await withDefer(compiled, picked, o, logger, 'compile');
    const targetDir = join(compiled.project.dir, compiled.project.targetPath);
    await writeCompileArtifactsAsync(compiled, targetDir);
    const counts = new Map<string, number>();
    for (const id of ids) {
      const n = compiled.nodes.get(id)!;
      counts.set(n.resourceType, (counts.get(n.resourceType) ?? 0) + 1);
    }
    // analyses (compiled, never run) are selected through the selection graph, as exposures are
    const analyses = picked.resources.filter((id) => id.startsWith('analysis.')).length;
    if (analyses) counts.set('analysis', analyses);
    logger.info(summary([...counts], targetDir));
    inputs ??= await background;
    if (inputs && !inputs.racy && writeJsonEnabled() && inputs.targetDir === targetDir && !logger.warnings && deterministic(compiled)) saveCompileState(targetDir, compileKey(inputs), Object.fromEntries(counts));
  });

  addSelection(addCommon(program.command('ls').alias('list').description('list the selected nodes')))
    .addOption(new Option('--output <format>', 'text or json').choices(['text', 'json', 'name', 'path']).default('text'))
    .option('--output-keys <keys...>', "with --output json: print these keys of each node's manifest.json entry, as dbt ls prints them (e.g. name unique_id depends_on config)")
    .action(async (o: RunCliOpts & { output: string; outputKeys?: string[] }) => {
      // the fingerprint of what this listing reads, taken while it runs: its output is saved under
      // it for the bin's shortcut (commands/ls-cache.ts); never with --state (artifacts outside the project)
      const projectDir = o.writeJson !== false && !o.state ? projectDirOrNone(o.projectDir) : undefined;
      // (the bin's lookup took one already when it found nothing saved: that one, not a second walk)
      const argv = process.argv.slice(2);
      const taken = projectDir ? takenInputs(projectDir, o, argv) : undefined;
      const background = taken ? Promise.resolve(taken) : projectDir ? compileInputsInBackground(projectDir, { ...o, argv }) : undefined;
      // (dbt's flags.WHICH of `dbt ls` is list)
      const { compiled, logger } = await compileFrom(o, 'list');
      const { ids, resources } = selectForCli(compiled, 'ls', o, logger);
      let out = '';
      // as dbt ls: a package's files by their path inside the package (original_file_path)
      const pkgDirs = new Map((compiled.project.packages ?? []).map((x) => [x.name, relative(compiled.project.dir, x.dir).split('\\').join('/')]));
      const original = (file: string, pkg?: string): string => {
        const d = pkg ? pkgDirs.get(pkg) : undefined;
        return d && file.startsWith(`${d}/`) ? file.slice(d.length + 1) : file;
      };
      // --output-keys: dbt ls's own lines (commands/ls-output-keys.ts)
      const dbtLines = o.output === 'json' && o.outputKeys?.length ? dbtLsJson(compiled, [...ids, ...resources], o.outputKeys) : undefined;
      if (dbtLines !== undefined) out = dbtLines;
      else {
        for (const id of ids) {
          const n = compiled.nodes.get(id)!;
          if (o.output === 'json') {
            out += `${JSON.stringify({ name: n.name, resource_type: n.resourceType, package_name: n.packageName ?? compiled.project.name, ...(n.source ? { source_name: n.source.sourceName } : {}), unique_id: n.uniqueId, original_file_path: original(n.path, n.packageName), path: n.path, tags: n.tags, config: { materialized: n.config.materialized ?? null }, relation_name: n.relationName ?? null, depends_on: n.dependsOn })}\n`;
          } else if (o.output === 'name') out += `${n.resourceType === 'source' && n.source ? `${n.source.sourceName}.` : ''}${n.name}\n`;
          else if (o.output === 'path') out += `${original(n.path, n.packageName)}\n`;
          // as dbt ls: sources and unit tests by their selector, everything else by its fqn
          else if (n.resourceType === 'source' && n.source) out += `source:${n.packageName ?? compiled.project.name}.${n.source.sourceName}.${n.name}\n`;
          else if (n.test?.kind === 'unit') out += `unit_test:${n.packageName ?? compiled.project.name}.${n.name}\n`;
          else if (n.test?.kind === 'generic') out += `${[n.fqn[0], ...propertiesFolders(n.path, [...compiled.project.paths.models, ...compiled.project.paths.seeds]), n.name].join('.')}\n`;
          else out += `${n.fqn.join('.')}\n`;
        }
        // exposures, metrics, semantic models and saved queries after the nodes, as dbt ls names them
        const sem = semanticGraph(compiled).nodes;
        for (const id of resources) {
          const n = sem.get(id)!;
          if (o.output === 'json') out += `${JSON.stringify({ name: n.name, resource_type: n.resourceType, package_name: n.packageName, unique_id: n.uniqueId, original_file_path: original(n.path, n.packageName), path: n.path, tags: n.tags, config: n.config, depends_on: n.dependsOn })}\n`;
          else if (o.output === 'name') out += `${n.name}\n`;
          else if (o.output === 'path') out += `${original(n.path, n.packageName)}\n`;
          else if (n.resourceType === 'analysis') out += `${n.fqn.join('.')}\n`;
          else out += `${n.resourceType}:${n.packageName}.${n.name}\n`;
        }
      }
      process.stdout.write(out);
      const inputs = await background;
      const p = compiled.project;
      if (
        inputs &&
        argvAsTyped &&
        !inputs.racy &&
        p.dir === projectDir &&
        inputs.targetDir === join(p.dir, p.targetPath) &&
        inputs.logDir === join(p.dir, p.logPath) &&
        !logger.lines &&
        deterministic(compiled) &&
        !(anySecrets() && containsSecret(out)) &&
        // (a node's created_at is this run's clock)
        !o.outputKeys?.includes('created_at')
      ) {
        saveLs(inputs.targetDir, lsKey(inputs, projectDir!), out, writeFileAtomic);
      }
    });

  addDeferFlags(addCommon(program.command('show').description('preview rows of a model or an inline query')))
    .option('--state <dir>', 'with --defer: artifacts of the run whose relations ref() of nodes missing here reads')
    .option('-s, --select <model>', 'model, seed or source to show')
    .option('--inline <sql>', 'a query; ref() and source() work')
    .option('--limit <n>', 'rows to show, -1 for all', '5')
    .addOption(new Option('--output <format>', 'text, json or csv').choices(['text', 'json', 'csv']).default('text'))
    .action(async (o: RunCliOpts & { select?: string; inline?: string; limit: string; output: OutputFormat }) => {
      let { compiled, logger } = await compileFrom(o);
      const limit = Number(o.limit);
      if (!Number.isInteger(limit) || limit < -1) throw new TxError('USAGE', `--limit must be an integer >= -1, got ${o.limit}`);
      let sql: string;
      const select = (c: CompiledProject) => (o.select ? selectForCli(c, 'show', { select: [o.select], indirectSelection: 'empty' }, logger).ids.filter((id) => c.nodes.get(id)!.resourceType !== 'test') : []);
      let ids = select(compiled);
      if (o.defer) {
        compiled = await withDefer(compiled, { ids }, o, logger, 'show');
        ids = select(compiled);
      }
      // A trailing `;` (as typed in a SQL console) would break the query tx wraps around it.
      if (o.inline) sql = compiled.renderString(o.inline, '--inline').replace(/;\s*$/, '');
      else if (o.select) {
        if (ids.length !== 1) throw new TxError('SELECTOR', `--select must name exactly one model, seed or source; \`${o.select}\` matched ${ids.length}`);
        const n = compiled.nodes.get(ids[0]!)!;
        // under --defer a model runs its SQL, its refs read the state's relations (as dbt show does)
        sql = n.relationName && !(o.defer && n.resourceType === 'model' && n.compiledSql) ? `select * from ${n.relationName}` : n.compiledSql!;
      } else throw new TxError('USAGE', 'tx show needs --select MODEL or --inline "SQL"');
      const target = await createTarget(compiled.target.name, compiled.target.config, compiled.project.dir);
      const session = await target.open({ log: logger, threads: 1 });
      try {
        const q = limit === -1 ? sql : `select * from (\n${sql}\n) as tx_show limit ${limit}`;
        await formatRows(session.connection.stream(q, { batchSize: 1000, signal: controller.signal }), o.output, process.stdout);
      } catch (e) {
        throw new TxError('EXECUTION', (e as Error).message, { cause: e });
      } finally {
        await session.close();
      }
    });

  addCommon(program.command('debug').description('show versions, the project found, and whether the target is reachable')).action(async (o: CommonOpts) => {
    const out = (s: string) => process.stdout.write(`${s}\n`);
    out(`tx ${txVersion()}  node ${process.version}  ${process.platform}-${process.arch}`);
    const project = loadProject(o.projectDir, { vars: parseVars(o.vars, o.projectDir), profilesDir: o.profilesDir, profile: o.profile, target: o.target });
    out(`project: ${project.name} at ${project.dir} (${project.projectFile ?? 'project.yml'})`);
    out(`  ${project.models.length} models, ${project.seeds.length} seeds, ${project.sources.length} sources, ${project.macros.length} macro files, ${project.singularTests.length} singular tests`);
    out(`  targets: ${Object.keys(project.targets).join(', ')} (default: ${project.defaultTarget})`);
    if (project.projectFile === 'dbt_project.yml') {
      // the migration report: what tx found of the dbt project, and each note once (what it will not run or use)
      out(`migration report (a dbt project, read as dbt-core ${DBT_COMPATIBLE_TEXT} reads it):`);
      out(`  dbt_project.yml: ${join(project.dir, 'dbt_project.yml')}`);
      out(`  profiles.yml: ${project.profilesFile ?? 'none found: the embedded DuckDB database'}`);
      const pkgs = project.packages ?? [];
      out(`  packages: ${pkgs.length ? pkgs.map((x) => `${x.name} (${relative(project.dir, x.dir)})`).join(', ') : 'none installed'}`);
      const notes = project.notes ?? [];
      out(notes.length ? `  notes (${notes.length}):` : '  notes: none, tx reads and runs all of it');
      for (const n of notes) out(`    - ${n}`);
    }
    const { compiled } = await compileFrom(o, 'compile', {}, project.projectFile !== 'dbt_project.yml');
    const target = await createTarget(compiled.target.name, compiled.target.config, project.dir);
    try {
      out(`target ${compiled.target.name}: OK, ${await target.ping()}`);
    } catch (e) {
      const logger = makeLogger(o);
      logger.addSecret(compiled.target.config.password as string | undefined);
      throw new TxError('TARGET', logger.mask(`target ${compiled.target.name} is not reachable: ${(e as Error).message}`));
    }
    if (target.engineCheck) {
      const check = await target.engineCheck();
      for (const line of check.lines) out(`  ${line}`);
      if (!check.ok) throw new TxError('TARGET', `target ${compiled.target.name}: engine-side reads or writes are not possible for the configured paths (see above)`, { hint: 'check engine_paths and scratch_dir in the target config' });
    }
  });

  program
    .command('deps')
    .description('install the packages of packages.yml / dependencies.yml into dbt_packages/ (local, git, tarball and hub packages)')
    .option('--project-dir <dir>', 'folder holding dbt_project.yml')
    .option('--vars <yaml>', "vars for packages.yml's var() (YAML or JSON)")
    .action(async (o: { projectDir?: string; vars?: string }) => {
      // a git URL may hold a token read by env_var(): every line goes through the scrubber
      await installDeps(o.projectDir, (line) => process.stdout.write(scrub(`${line}\n`)), { vars: parseVars(o.vars, o.projectDir) });
    });

  program
    .command('clean')
    .description('remove target/ and logs/ (the project\'s clean-targets)')
    .option('--project-dir <dir>', 'folder holding project.yml')
    .action((o: { projectDir?: string }) => {
      const project = loadProject(o.projectDir);
      // every entry is checked before anything is deleted: a warehouse file stops the whole clean
      const warehouses = warehouseFiles(project);
      for (const t of project.cleanTargets) {
        const abs = resolve(project.dir, t);
        const rel = relative(project.dir, abs);
        if (!rel || rel.startsWith('..') || isAbsolute(rel)) {
          throw new TxError('PROJECT', `clean-targets entry \`${t}\` is outside the project; refusing to delete it`, { file: 'project.yml' });
        }
        const held = warehousesInside(abs, warehouses);
        if (held.length) {
          const list = held.map((w) => `target \`${w.target}\` (${relative(project.dir, w.file)})`).join(', ');
          throw new TxError('PROJECT', `clean-targets entry \`${t}\` holds the warehouse of ${list}; refusing to delete it, nothing was removed`, {
            file: project.projectFile ?? 'project.yml',
            hint: `move the file beside project.yml (the default place, \`mv ${relative(project.dir, held[0]!.file)} ${project.name}.duckdb\`) or set the target's \`path:\` outside ${t}`,
          });
        }
      }
      for (const t of project.cleanTargets) {
        const abs = resolve(project.dir, t);
        const rel = relative(project.dir, abs);
        if (existsSync(abs)) {
          rmSync(abs, { recursive: true, force: true });
          process.stdout.write(`removed ${rel}/\n`);
        }
      }
    });

  registerDocsCommand(program);
  void argv;
  return program;
}

async function entry(): Promise<void> {
  let interrupts = 0;
  process.on('SIGINT', () => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    process.stderr.write('\nCancelling: interrupting running statements (Ctrl-C again to quit at once)...\n');
    controller.abort();
  });
  process.on('SIGTERM', () => controller.abort());
  // `tx show ... | head`: the reader went away; stop quietly, as Unix tools do.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  const program = main(process.argv);
  // a project's parsed YAML files kept between runs (load/yaml-cache.ts)
  enableYamlCache();
  const debug = process.argv.includes('--debug');
  // dbt's global flags pasted from a dbt command line: kept where the command has them, else one note
  const { argv, ignored, command } = stripDbtGlobalFlags(process.argv, program);
  // a command line rewritten (flags moved, a note written) is not the one `tx ls` saves its output under
  argvAsTyped = !ignored.length && argv.length === process.argv.length && argv.every((a, i) => a === process.argv[i]);
  if (ignored.length) process.stderr.write(`${ignoredFlagsNote(ignored, command)}\n`);
  // Node ends a process whose event loop is empty with exit code 0, even while the command still
  // awaits something that can no longer happen: a wait nobody will answer must not pass for success
  let settled = false;
  process.once('beforeExit', () => {
    if (settled) return;
    process.stderr.write('Error: tx stopped before the command finished: it was waiting for something nothing was left to do (an internal deadlock in tx). What the output above reports is done; nothing after it ran. Please report this with the command and --debug output.\n');
    process.exit(1);
  });
  try {
    await program.parseAsync(argv);
    settled = true;
    process.exitCode = controller.signal.aborted ? 130 : exitCode;
  } catch (e) {
    settled = true;
    const err = e as { code?: string; exitCode?: number };
    if (typeof err.code === 'string' && err.code.startsWith('commander.')) {
      process.exitCode = err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : 2;
      return;
    }
    if (e instanceof TxError) {
      process.stderr.write(scrub(`Error: ${e.format()}\n`));
      if (debug && e.stack) process.stderr.write(scrub(`${e.stack}\n`));
      process.exitCode = e.exitCode;
      return;
    }
    process.stderr.write(scrub(`Error: ${(e as Error).message ?? String(e)}\n`));
    if (debug) process.stderr.write(scrub(`${(e as Error).stack}\n`));
    process.exitCode = controller.signal.aborted ? 130 : 1;
  }
}

// not awaited: the bundled bin runs this file as CommonJS (load/code-cache.ts), which has no
// top-level await; a rejection is an uncaught error (printed, exit code 1), as it was awaited
void entry();
