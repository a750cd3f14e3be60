/** `tx source freshness`: wiring for the CLI (the work is in testing/source-freshness.ts). */
import type { Command } from 'commander';
import type { CompiledProject } from '../compile/compile-project.js';
import type { Logger } from '../log/logger.js';
import { sourceFreshness } from '../data-tests/source-freshness.js';
import { selectForCli, type SelectionCliOpts } from './selection-flags.js';

export interface SourceCommandDeps<O> {
  addCommon(cmd: Command): Command;
  addSelection(cmd: Command): Command;
  compileFrom(o: O): Promise<{ compiled: CompiledProject; logger: Logger }>;
  setExitCode(code: number): void;
  signal: AbortSignal;
}

export function registerSourceCommand<O extends { select?: string[]; exclude?: string[] }>(program: Command, deps: SourceCommandDeps<O>): void {
  const source = program.command('source').description('commands about sources');
  deps
    .addSelection(deps.addCommon(source.command('freshness').description('check that source tables were loaded recently (freshness: warn_after, error_after; loaded_at_field)')))
    .action(async (o: O) => {
      const { compiled, logger } = await deps.compileFrom(o);
      // the one selection of every command (selectors.yml, --state, criteria that match nothing warn)
      const { ids } = selectForCli(compiled, 'ls', o as SelectionCliOpts, logger);
      const { exitCode } = await sourceFreshness(compiled, { ids, logger, signal: deps.signal });
      deps.setExitCode(exitCode);
    });
}
