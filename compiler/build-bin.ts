/**
 * Build step: bundle the CLI into dist/bin/ (the package's `tx` bin), so a command loads a
 * few files instead of ~170 modules (yaml alone is 72): start-up is what `tx --version` and
 * `tx ls` on a small project spend most of their time on. The entry is bin.ts, which answers
 * `--version` and an unchanged `tx ls` with nothing but Node loaded, and imports the CLI (its own
 * chunk) for everything else. Code that a command loads later
 * (drivers, exporters, the docs site) stays in chunks imported only when needed, and the
 * database drivers and cloud SDKs stay in node_modules. The CLI is also bundled as one CommonJS
 * file, dist/bin/cli.cjs, which the bin runs with a V8 code cache (load/code-cache.ts); its ESM
 * chunk stays for a bin without it. `npm run build` runs it after tsc.
 */
import { renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { packageRoot } from './load/package-root.js';

const root = packageRoot();
const final = join(root, 'dist', 'bin');
// built beside, then swapped in: a tx started meanwhile never finds half a bin
const outdir = `${final}.tmp-${process.pid}`;
rmSync(outdir, { recursive: true, force: true });
// native bindings, drivers and SDKs load from node_modules, and only when a command needs them
const external = ['@duckdb/node-api', 'libpg-query', 'pg', 'pg-copy-streams', 'pg-cursor', 'hive-driver', '@aws-sdk/*', '@azure/*', 'avsc', 'esbuild', 'ajv', 'ajv/*', 'playwright-core', 'markdown-it'];
await build({
  entryPoints: { tx: join(root, 'compiler', 'bin.ts') },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunks/[name]-[hash]',
  external,
  // bundled CommonJS (yaml, commander) calls require() for Node's own modules
  banner: { js: "import { createRequire as __txCreateRequire } from 'node:module'; const require = __txCreateRequire(import.meta.url);" },
  logLevel: 'error',
  legalComments: 'none',
  // less source for V8 to parse at every start; identifiers kept, so stack traces still read
  minifyWhitespace: true,
  minifySyntax: true,
});
// The CLI again as one CommonJS file, which the bin runs through a V8 code cache (load/code-cache.ts:
// vm.Script takes cached data, ES modules cannot in Node 20). Its modules' own code runs only when first
// needed, as esbuild's lazy module wrappers; the drivers' static imports become require() there.
await build({
  entryPoints: [join(root, 'compiler', 'cli.ts')],
  outfile: join(outdir, 'cli.cjs'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external,
  // import() of a driver becomes require(): a vm.Script's import() needs --experimental-vm-modules in Node 20
  // (the drivers and SDKs all have CommonJS entries; build-bin.test.ts runs build and docs through the bin)
  supported: { 'dynamic-import': false },
  // import.meta has no CommonJS counterpart: its url is the bundle's (files beside it are looked up as from the ESM chunks)
  define: { 'import.meta.url': '__txImportMetaUrl' },
  // strict as the ES modules it comes from (the directive must come first)
  banner: { js: "'use strict'; const __txImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'error',
  legalComments: 'none',
  minifyWhitespace: true,
  minifySyntax: true,
});
const old = `${final}.old-${process.pid}`;
try {
  renameSync(final, old);
} catch {
  // first build
}
renameSync(outdir, final);
rmSync(old, { recursive: true, force: true });
console.log(`wrote ${join(final, 'tx.js')}`);
