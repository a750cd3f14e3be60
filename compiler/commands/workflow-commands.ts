/**
 * The daily-workflow commands around build: `tx retry` (re-run what failed or was skipped in the
 * last run, with its flags), `tx parse` (the manifest without a database) and `tx init` (a new
 * project that builds at once).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { applyArtifactOptions } from '../artifacts/artifact-options.js';
import { writeManifest } from '../artifacts/artifacts.js';
import type { CompiledProject, CompileOptions } from '../compile/compile-project.js';
import { TxError } from '../errors.js';
import { loadProject } from '../load/load-project.js';
import type { Logger } from '../log/logger.js';
import type { RunCommand } from '../run/run-project.js';
import { selectForCli, type SelectionCliOpts } from './selection-flags.js';

export interface WorkflowDeps<O> {
  addCommon(cmd: Command): Command;
  addSelection(cmd: Command): Command;
  compileFrom(o: O, command?: string, extra?: Partial<CompileOptions>): Promise<{ compiled: CompiledProject; logger: Logger }>;
  /** Run a command with these options on exactly these nodes. */
  runCommand(command: RunCommand, o: O, ids: string[]): Promise<void>;
}

const RETRYABLE = new Set(['error', 'fail', 'skipped', 'runtime error']);
const RETRY_COMMANDS = ['build', 'run', 'seed', 'test', 'snapshot', 'export'];

/** The last run, from run_results.json: its command, its flags, and the nodes to run again. */
export function previousRun(path: string, o: { warnError?: boolean }): { which: RunCommand; args: Record<string, unknown>; ids: string[] } {
  if (!existsSync(path)) {
    throw new TxError('USAGE', `tx retry: no previous run: ${path} does not exist`, { hint: 'run tx build (or run, seed, test) first; retry re-runs what failed or was skipped there' });
  }
  let rr: { args?: Record<string, unknown>; results?: { unique_id: string; status: string }[] };
  try {
    rr = JSON.parse(readFileSync(path, 'utf8')) as typeof rr;
  } catch (e) {
    throw new TxError('USAGE', `tx retry: ${path} is not valid JSON: ${(e as Error).message}`);
  }
  const which = String(rr.args?.which ?? '');
  if (!RETRY_COMMANDS.includes(which)) {
    throw new TxError('USAGE', `tx retry: the last run was \`${which || 'unknown'}\`, which retry cannot repeat`, { hint: `retry repeats ${RETRY_COMMANDS.join(', ')}` });
  }
  const statuses = new Set(RETRYABLE);
  if (o.warnError) statuses.add('warn');
  const ids = (rr.results ?? []).filter((r) => statuses.has(r.status)).map((r) => r.unique_id);
  return { which: which as RunCommand, args: rr.args ?? {}, ids };
}

type RetryOpts = { projectDir?: string; targetPath?: string; logPath?: string; writeJson?: boolean; vars?: string; threads?: string; state?: string; warnError?: boolean; logFormat: string; debug?: boolean; quiet?: boolean; profilesDir?: string; profile?: string };

/** The options of the previous run, as the CLI parsed them, with this invocation's paths, --vars and --threads (dbt's retry rules). */
function optionsFrom(args: Record<string, unknown>, now: RetryOpts): Record<string, unknown> {
  const list = (v: unknown) => (Array.isArray(v) && v.length ? v.map(String) : undefined);
  const str = (v: unknown) => (v == null || v === '' ? undefined : String(v));
  return {
    ...now,
    select: list(args.select),
    exclude: list(args.exclude),
    selector: str(args.selector),
    resourceType: list(args.resource_types),
    excludeResourceType: list(args.exclude_resource_types),
    indirectSelection: str(args.indirect_selection),
    state: str(args.state),
    defer: args.defer === true,
    deferState: str(args.defer_state),
    favorState: args.favor_state === true,
    empty: args.empty === true,
    sample: args.sample && typeof args.sample === 'object' ? JSON.stringify(args.sample) : undefined,
    failFast: args.fail_fast === true,
    fullRefresh: args.full_refresh === true,
    audit: args.audit !== false,
    target: str(args.target),
    threads: now.threads ?? str(args.threads),
    vars: now.vars ?? (args.vars && typeof args.vars === 'object' && Object.keys(args.vars).length ? JSON.stringify(args.vars) : undefined),
    warnError: now.warnError ?? args.warn_error === true,
    warnErrorOptions: str(args.warn_error_options),
  };
}

export function registerWorkflowCommands<O>(program: Command, deps: WorkflowDeps<O>): void {
  deps
    .addCommon(program.command('retry').description('re-run what failed or was skipped in the last build/run/seed/test, with the same flags'))
    .option('--threads <n>', 'parallel nodes (default: the last run\'s)')
    .option('--warn-error', 'treat warnings as errors (and retry tests that warned)')
    .option('--state <dir>', 'read run_results.json from this folder instead of the target path')
    .action(async (o: RetryOpts) => {
      const project = loadProject(o.projectDir, { profilesDir: o.profilesDir, profile: o.profile, target: (o as { target?: string }).target });
      applyArtifactOptions(project, o);
      const dir = o.state ? resolve(project.dir, o.state) : join(project.dir, project.targetPath);
      const prev = previousRun(join(dir, 'run_results.json'), o);
      if (!prev.ids.length) {
        if (!o.quiet) process.stdout.write(`Nothing to retry: every node of the last \`tx ${prev.which}\` succeeded.\n`);
        return;
      }
      // the state flag of this command names where the run results are; the previous run's --state is kept
      const opts = optionsFrom(prev.args, { ...o, state: undefined }) as O;
      await deps.runCommand(prev.which, opts, prev.ids);
    });

  deps
    .addCommon(program.command('parse').description('read and render the project and write target/manifest.json, without a database'))
    .action(async (o: O) => {
      const t0 = performance.now();
      const { compiled, logger } = await deps.compileFrom(o, 'parse');
      const targetDir = join(compiled.project.dir, compiled.project.targetPath);
      const path = writeManifest(compiled, targetDir);
      logger.info(`Parsed ${compiled.nodes.size} nodes in ${((performance.now() - t0) / 1000).toFixed(2)}s → ${relative(process.cwd(), path)}`);
    });

  deps
    .addCommon(program.command('run-operation').description('call a macro with execute true against the target (run_query, statement, adapter calls reach the warehouse)'))
    .argument('<macro>', 'the macro to call')
    .option('--args <yaml>', 'the macro\'s arguments as a YAML or JSON mapping, e.g. \'{table: orders}\'')
    .action(async (macro: string, o: O & { args?: string }) => {
      // dbt's global macros (run_query, statement, dbt.*) in a tx project too, as an operation needs them
      const { compiled, logger } = await deps.compileFrom(o, 'run-operation', { dbtGlobalMacros: true });
      const { runOperation } = await import('./run-operation.js');
      await runOperation(compiled, macro, o.args, logger);
    });

  deps
    .addSelection(deps.addCommon(program.command('clone').description('make the selected models, seeds and snapshots of the --state run appear in this target (views over the state\'s relations)')))
    .option('--full-refresh', 'replace relations that already exist in this target')
    .action(async (o: O & SelectionCliOpts & { fullRefresh?: boolean }) => {
      if (!o.state) throw new TxError('USAGE', 'tx clone needs --state DIR: the artifacts of the run whose relations are cloned');
      const { compiled, logger } = await deps.compileFrom(o, 'clone');
      const { ids, state } = selectForCli(compiled, 'clone', o, logger);
      const { cloneFromState } = await import('./clone-command.js');
      await cloneFromState(compiled, ids, state, { fullRefresh: !!o.fullRefresh, logger });
    });

  program
    .command('init')
    .description('create a new project (DuckDB target, an example model, a seed, a test) that builds at once')
    .argument('[name]', 'the project folder to create (default: the current folder)')
    .action((name: string | undefined) => {
      const dir = resolve(name ?? '.');
      const projectName = (name ? basename(dir) : basename(process.cwd())).toLowerCase().replace(/[^a-z0-9_]/g, '_').replace(/^(\d)/, '_$1');
      for (const f of ['project.yml', 'dbt_project.yml']) {
        if (existsSync(join(dir, f))) throw new TxError('USAGE', `tx init: ${join(dir, f)} already exists; refusing to overwrite a project`, { hint: 'choose a new folder: tx init NAME' });
      }
      if (name && existsSync(dir) && readdirSync(dir).length) throw new TxError('USAGE', `tx init: folder ${dir} exists and is not empty`, { hint: 'choose a new name, or run tx init inside an empty folder' });
      const files = initFiles(projectName);
      for (const f of Object.keys(files)) if (existsSync(join(dir, f))) throw new TxError('USAGE', `tx init: ${join(dir, f)} already exists; refusing to overwrite it`);
      for (const [f, text] of Object.entries(files)) {
        mkdirSync(join(dir, f, '..'), { recursive: true });
        writeFileSync(join(dir, f), text, { flag: 'wx' });
      }
      const where = relative(process.cwd(), dir) || '.';
      process.stdout.write(`Created project ${projectName} in ${where}/ (${Object.keys(files).length} files).\nNext: ${where === '.' ? '' : `cd ${where} && `}tx build\n`);
    });
}

/** The files of a new project: every one of them exercised by the first `tx build`. */
export function initFiles(name: string): Record<string, string> {
  return {
    'project.yml': [
      '# A tx project: `tx build` seeds, builds and tests it on the DuckDB file below.',
      `name: ${name}`,
      'version: "1.0"',
      '',
      'target: dev',
      'targets:',
      '  dev:',
      '    type: duckdb',
      `    path: target/${name}.duckdb`,
      '    schema: main',
      '',
      'models:',
      `  ${name}:`,
      '    +materialized: view',
      '',
    ].join('\n'),
    'seeds/countries.csv': 'code,name,population_millions\nFR,France,68.4\nDE,Germany,84.5\nJP,Japan,124.5\nUS,United States,334.9\n',
    'models/example/countries_by_size.sql': [
      "{{ config(materialized='table') }}",
      '-- an example model: edit it, or add more .sql files beside it; ref() names another model or seed',
      'select',
      '    code,',
      '    name,',
      '    population_millions,',
      '    case when population_millions >= 100 then \'large\' else \'medium\' end as size',
      "from {{ ref('countries') }}",
      '',
    ].join('\n'),
    'models/example/schema.yml': [
      'version: 2',
      'models:',
      '  - name: countries_by_size',
      '    description: Each country with a size class.',
      '    columns:',
      '      - name: code',
      '        tests: [not_null, unique]',
      '      - name: size',
      '        tests:',
      '          - accepted_values:',
      "              values: ['large', 'medium']",
      '',
    ].join('\n'),
    'tests/assert_population_positive.sql': "-- a singular test: the rows it returns are failures\nselect * from {{ ref('countries_by_size') }} where population_millions <= 0\n",
    'macros/.gitkeep': '',
    '.gitignore': 'target/\nlogs/\n',
    'README.md': `# ${name}\n\nA tx project. Build it with \`tx build\` (models in models/, seeds in seeds/, tests in tests/).\n`,
  };
}
