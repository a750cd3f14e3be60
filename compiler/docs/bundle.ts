import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { packageRoot } from '../load/package-root.js';

let cached: string | undefined;

/**
 * The site's script: compiler/docs/site/main (as tsc emitted it to dist/, or the
 * TypeScript source under vitest) bundled with dagre into one classic script,
 * because browsers refuse ES modules from file://.
 */
export async function bundleSiteScript(): Promise<string> {
  if (cached) return cached;
  const js = fileURLToPath(new URL('./site/main.js', import.meta.url));
  const ts = fileURLToPath(new URL('./site/main.ts', import.meta.url));
  // from the bundled CLI (dist/bin/), the site's script is where tsc put it
  const entry = [js, ts, join(packageRoot(), 'dist', 'compiler', 'docs', 'site', 'main.js')].find((f) => existsSync(f))!;
  const r = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    minify: true,
    write: false,
    legalComments: 'eof',
    logLevel: 'silent',
    sourcemap: false,
  });
  cached = r.outputFiles[0]!.text;
  return cached;
}
