/**
 * Build step: bundle the CLI into dist/bin/ (the package's `tx` bin), so a command loads a
 * few files instead of ~170 modules (yaml alone is 72): start-up is what `tx --version` and
 * `tx ls` on a small project spend most of their time on. The entry is bin.ts, which answers
 * `--version` and an unchanged `tx ls` with nothing but Node loaded, and imports the CLI (its own
 * chunk) for everything else. Code that a command loads later
 * (drivers, exporters, the docs site) stays in chunks imported only when needed, and the
 * database drivers and cloud SDKs stay in node_modules. `npm run build` runs it after tsc.
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
await build({
  entryPoints: { tx: join(root, 'compiler', 'bin.ts') },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunks/[name]-[hash]',
  // native bindings, drivers and SDKs load from node_modules, and only when a command needs them
  external: ['@duckdb/node-api', 'libpg-query', 'pg', 'pg-copy-streams', 'pg-cursor', 'hive-driver', '@aws-sdk/*', '@azure/*', 'avsc', 'esbuild', 'ajv', 'ajv/*', 'playwright-core', 'markdown-it'],
  // bundled CommonJS (yaml, commander) calls require() for Node's own modules
  banner: { js: "import { createRequire as __txCreateRequire } from 'node:module'; const require = __txCreateRequire(import.meta.url);" },
  logLevel: 'error',
  legalComments: 'none',
  // less source for V8 to parse at every start; identifiers kept, so stack traces still read
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
