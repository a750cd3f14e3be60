import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../load/package-root.js';

let cached: string | undefined;

/** How esbuild builds the site's script: one minified classic script for browsers, no Node APIs to resolve. */
export const BROWSER_BUILD = {
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2020',
  minify: true,
  write: false,
  legalComments: 'eof',
  logLevel: 'silent',
  sourcemap: false,
} as const;

/**
 * The site's script: compiler/docs/site/main (as tsc emitted it to dist/, or the
 * TypeScript source under vitest) bundled with dagre into one classic script,
 * because browsers refuse ES modules from file://.
 *
 * From dist/, the bundle is kept beside the site's modules as `.app-bundle-<hash>.js`, the hash
 * taken over those modules, dagre and esbuild's version: the next `tx docs generate` reads it
 * instead of loading esbuild and bundling again (a few hundred ms).
 */
export async function bundleSiteScript(): Promise<string> {
  if (cached) return cached;
  const js = fileURLToPath(new URL('./site/main.js', import.meta.url));
  const ts = fileURLToPath(new URL('./site/main.ts', import.meta.url));
  // from the bundled CLI (dist/bin/), the site's script is where tsc put it
  const entry = [js, ts, join(packageRoot(), 'dist', 'compiler', 'docs', 'site', 'main.js')].find((f) => existsSync(f))!;
  const onDisk = entry.endsWith('.js') ? bundleCacheFile(dirname(entry)) : undefined;
  if (onDisk && existsSync(onDisk)) return (cached = readFileSync(onDisk, 'utf8'));
  const { build } = await import('esbuild');
  const r = await build({ ...BROWSER_BUILD, entryPoints: [entry] });
  cached = r.outputFiles[0]!.text;
  if (onDisk) saveBundle(onDisk, cached);
  return cached;
}

/**
 * `.app-bundle-<hash>.js` in `dir`: the hash of the modules the bundle takes in (main.js and what it imports,
 * to any depth: the site's modules and the compiler's selector), dagre's code and esbuild's package.json.
 */
function bundleCacheFile(dir: string): string | undefined {
  try {
    const h = createHash('sha256');
    for (const f of importedModules(join(dir, 'main.js'))) {
      h.update(`${relative(dir, f)}\0`);
      h.update(readFileSync(f));
    }
    const req = createRequire(join(dir, 'main.js'));
    h.update(readFileSync(req.resolve('@dagrejs/dagre')));
    h.update(readFileSync(join(dirname(req.resolve('esbuild')), '..', 'package.json')));
    return join(dir, `.app-bundle-${h.digest('hex').slice(0, 20)}.js`);
  } catch {
    return undefined; // no cache: bundle every time
  }
}

/** `file` and the modules it imports by relative path (tsc's output: `from './x.js'`), to any depth, sorted. */
function importedModules(file: string): string[] {
  const seen = new Set<string>();
  const stack = [file];
  while (stack.length) {
    const f = stack.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    for (const m of readFileSync(f, 'utf8').matchAll(/\b(?:from|import)\s*['"](\.\.?\/[^'"]+)['"]/g)) stack.push(resolve(dirname(f), m[1]!));
  }
  return [...seen].sort();
}

/** Write the bundle atomically and drop older ones; a folder tx cannot write to just means no cache. */
function saveBundle(file: string, text: string): void {
  const dir = dirname(file);
  try {
    for (const f of readdirSync(dir)) if (f.startsWith('.app-bundle-') && join(dir, f) !== file) rmSync(join(dir, f), { force: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  } catch {
    /* read-only install: bundle again next time */
  }
}
