/**
 * `tx docs generate` and `tx docs serve`.
 *
 *   tx docs generate [--no-catalog] [--out DIR]   artifacts → target/docs/ (static site)
 *   tx docs serve [--port N] [--host H]           serve target/docs/ on 127.0.0.1
 */
import { join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { applyArtifactOptions } from '../artifacts/artifact-options.js';
import { TxError } from '../errors.js';
import { loadProject } from '../load/load-project.js';
import { selectFor } from '../select/selection.js';
import { addSelectionFlags, stateFor, WarnPolicy, type SelectionCliOpts } from './selection-flags.js';

interface DocsOpts extends SelectionCliOpts {
  projectDir?: string;
  target?: string;
  vars?: string;
  catalog: boolean;
  out?: string;
  targetPath?: string;
  quiet?: boolean;
}

function parseVars(text: string | undefined): Record<string, unknown> {
  if (!text) return {};
  let v: unknown;
  try {
    v = parseYaml(text);
  } catch (e) {
    throw new TxError('USAGE', `--vars is not valid YAML or JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new TxError('USAGE', '--vars must be a mapping');
  return v as Record<string, unknown>;
}

export function registerDocsCommand(program: Command): void {
  const docs = program.command('docs').description('a static documentation site: every node, its lineage down to columns, and its last run and test results');

  docs
    .command('generate')
    .description('write target/docs/ from target/manifest.json, run_results.json and the warehouse catalog')
    .option('--project-dir <dir>', 'folder holding project.yml (default: the nearest one above the current folder)')
    .option('-t, --target <name>', 'target to read column types from (default: the project\'s)')
    .option('--vars <yaml>', 'variables as YAML or JSON (for resolving the target)')
    .option('--no-catalog', 'do not connect to the warehouse for column types (CI without a warehouse); an existing target/catalog.json is still used')
    .option('--out <dir>', 'output folder (default: <target-path>/docs)')
    .option('--target-path <dir>', 'where the artifacts are instead of the project\'s target-path (relative to the project)')
    .option('-q, --quiet', 'print only errors')
    .option('-s, --select <selector...>', 'read column types only for these nodes (the catalog); the site still shows every node')
    .option('--exclude <selector...>', 'leave these nodes out of the catalog');
  addSelectionFlags(docs.commands[docs.commands.length - 1]!).action(async (o: DocsOpts) => {
      const t0 = performance.now();
      const project = loadProject(o.projectDir);
      applyArtifactOptions(project, { targetPath: o.targetPath });
      const targetDir = join(project.dir, project.targetPath);
      const say = (s: string) => {
        if (!o.quiet) process.stdout.write(`${s}\n`);
      };
      const { generateDocs } = await import('../docs/generate.js');
      const report = await generateDocs({
        targetDir,
        projectDir: project.dir,
        outDir: o.out ? resolve(o.out) : undefined,
        log: (m) => say(m),
        catalog: o.catalog
          ? async () => {
              const { compileProject } = await import('../compile/compile-project.js');
              const { buildCatalog } = await import('../docs/catalog.js');
              const { readArtifacts } = await import('../docs/read-artifacts.js');
              const compiled = await compileProject(project, { target: o.target, vars: parseVars(o.vars) });
              const manifest = readArtifacts(targetDir).manifest;
              if (o.select?.length || o.exclude?.length || o.selector || o.resourceType?.length || o.excludeResourceType?.length) {
                // the one selection of every command: the catalog covers the selected nodes (as dbt docs generate --select)
                const sel = selectFor(compiled, 'docs', { select: o.select, exclude: o.exclude, selector: o.selector, resourceTypes: o.resourceType, excludeResourceTypes: o.excludeResourceType, indirectSelection: o.indirectSelection, state: stateFor(compiled, o.state) });
                const policy = new WarnPolicy(o.warnError, o.warnErrorOptions);
                for (const m of sel.noMatch) {
                  const msg = `The selection criterion \`${m.criterion}\` does not match any enabled nodes${m.hint ? ` (${m.hint})` : ''}`;
                  if (policy.isError('NoNodesForSelectionCriteria')) throw Object.defineProperty(new TxError('SELECTOR', msg), 'exitCode', { value: 1 });
                  say(msg);
                }
                const keep = new Set(sel.ids);
                manifest.nodes = Object.fromEntries(Object.entries(manifest.nodes).filter(([id]) => keep.has(id)));
                manifest.sources = Object.fromEntries(Object.entries(manifest.sources).filter(([id]) => keep.has(id)));
              }
              return buildCatalog({
                manifest,
                projectDir: project.dir,
                targetDir,
                target: { name: compiled.target.name, config: compiled.target.config },
                log: say,
              });
            }
          : undefined,
      });
      const where = relative(process.cwd(), report.outDir) || '.';
      say(
        `Docs for ${report.nodes} nodes written to ${where}/ in ${((performance.now() - t0) / 1000).toFixed(2)}s ` +
          `(layout: ${report.layoutEngine}; ${Object.entries(report.timings).map(([k, v]) => `${k} ${v}ms`).join(', ')}).`,
      );
      say(`Open ${join(where, 'index.html')} in a browser, or run \`tx docs serve\`.`);
    });

  docs
    .command('serve')
    .description('serve the generated site on 127.0.0.1 (run `tx docs generate` first)')
    .option('--project-dir <dir>', 'folder holding project.yml')
    .option('--port <n>', 'port (0 picks a free one)', '8080')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--dir <dir>', 'site folder (default: <target-path>/docs)')
    .action(async (o: { projectDir?: string; port: string; host: string; dir?: string }) => {
      const port = Number(o.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new TxError('USAGE', `--port must be an integer from 0 to 65535, got ${o.port}`);
      let dir = o.dir ? resolve(o.dir) : undefined;
      if (!dir) {
        const project = loadProject(o.projectDir);
        dir = join(project.dir, project.targetPath, 'docs');
      }
      const { serveDocs } = await import('../docs/server.js');
      const { server, url } = await serveDocs({ dir, port, host: o.host });
      process.stdout.write(`Serving ${relative(process.cwd(), dir) || '.'}/ at ${url} (Ctrl-C to stop)\n`);
      await new Promise<void>((done) => {
        const stop = () => server.close(() => done());
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
