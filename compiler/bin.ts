#!/usr/bin/env node
/**
 * The package's `tx` (bundled into dist/bin/tx.js by build-bin.ts). Two commands answer before the
 * CLI (cli.ts, with commander, YAML, the template engine and the compiler) is loaded, because
 * start-up is most of what they cost: `tx --version`, and a `tx ls` whose saved output is still
 * exact (commands/ls-cache.ts). Everything else, and an `ls` that has changed, is cli.ts's, which the
 * bin runs as one CommonJS file with a V8 code cache (load/code-cache.ts).
 */
import { fileURLToPath } from 'node:url';
import { lsFromCache } from './commands/ls-cache.js';
import { requireCached } from './load/code-cache.js';
import { txVersion } from './load/package-root.js';

const argv = process.argv.slice(2);
// commander's answer to -v/--version: the version on stdout, exit 0
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) process.stdout.write(`${txVersion()}\n`);
// the CLI: the bundle beside this file through the code cache (load/code-cache.ts); from dist/compiler/ (no bundle), the module
else if (!(await lsFromCache(argv)) && requireCached(fileURLToPath(new URL('./cli.cjs', import.meta.url))) === undefined) await import('./cli.js');
