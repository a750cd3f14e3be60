/**
 * tx's CommonJS bundles run with a V8 code cache: the bundled CLI (dist/bin/cli.cjs, built by
 * build-bin.ts) and the precompiled validators (dist/validators.cjs). Node 20 has no
 * module.enableCompileCache, so they are compiled here (vm.Script) with the bytecode a previous
 * run saved, and V8 skips parsing and compiling the functions that run used. A first `tx ls`
 * spends about a quarter of its time compiling tx's code otherwise.
 *
 * The cache is a file under $XDG_CACHE_HOME/tx/code-cache (~/.cache/tx/code-cache) named by the
 * bundle's name and the hash of its text, Node's and V8's versions, the architecture and Node's flags (another
 * tx, another Node or other flags read another file), and by the command, whose functions it
 * holds. V8 checks the data itself as well (its version, flags and the source); data it rejects
 * is ignored and written again. The cache is written when a run found none (or a rejected one),
 * when the process exits, so it holds the functions that run compiled. Any error reading or
 * writing it is ignored: the bundle then runs as it would without. TX_NO_CODE_CACHE=1 runs
 * without reading or writing it.
 *
 * This file imports nothing but Node (and user-cache.ts, which imports nothing but Node).
 */
import { hash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { Script } from 'node:vm';
import { DEAD_TMP_MS, isTempOf, userCacheDir, writeCacheFile } from './user-cache.js';

/** The folder of the cache files. */
export function codeCacheDir(): string {
  return userCacheDir('code-cache');
}

/**
 * The cache file of a bundle (`cli.cjs`) and its text, for this Node, V8, architecture and flags,
 * and the command (`ls`, `compile`, ...: each compiles other functions; anything else is `other`).
 */
export function codeCacheFile(file: string, source: string, command: string | undefined): string {
  // sha1 of the 1.5 MB text: 1.5 ms, half of sha256's (a key, not a signature: V8 checks the source too)
  const key = hash('sha256', [hash('sha1', source, 'hex'), process.version, process.versions.v8, process.arch, process.execArgv.join(' ')].join('\n'), 'hex');
  const cmd = command && /^[a-z][a-z-]{0,23}$/.test(command) ? command : 'other';
  return join(codeCacheDir(), `${basename(file).replace(/\.c?js$/, '')}-${key.slice(0, 32)}-${cmd}.bin`);
}

/** Cache files of other bundles or Nodes unused this long are removed when a new one is written. */
const STALE_MS = 30 * 24 * 3600 * 1000;

function save(file: string, data: Buffer): void {
  // a read-only or full home: run without the cache
  if (!writeCacheFile(file, data)) return;
  try {
    const dir = dirname(file);
    const now = Date.now();
    for (const f of readdirSync(dir)) {
      const p = join(dir, f);
      if (p === file) continue;
      if (f.endsWith('.bin') ? now - statSync(p).atimeMs > STALE_MS : isTempOf(f, '.bin') && now - statSync(p).mtimeMs > DEAD_TMP_MS) rmSync(p, { force: true });
    }
  } catch {
    // another process removing the same files: theirs to finish
  }
}

/**
 * The exports of the CommonJS file `file`, run as Node's require would (its own require, module,
 * __filename, __dirname; not in require's cache) through the code cache. Undefined when there is
 * no such file (the bin run from dist/compiler/, a checkout without a build): the caller loads
 * the module otherwise.
 */
export function requireCached(file: string): unknown {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  let cacheFile: string | undefined;
  let cachedData: Buffer | undefined;
  if (process.env.TX_NO_CODE_CACHE !== '1') {
    try {
      cacheFile = codeCacheFile(file, source, process.argv[2]); // homedir() throws without a home
      cachedData = readFileSync(cacheFile);
    } catch {
      cachedData = undefined;
    }
  }
  // the same wrapper as Node's CommonJS loader (a shebang line is no JavaScript)
  const wrapped = `(function (exports, require, module, __filename, __dirname) { ${source.startsWith('#!') ? `//${source}` : source}\n});`;
  const script = new Script(wrapped, {
    filename: file,
    cachedData,
  }); // no importModuleDynamically: the bundles have no import() (build-bin.ts), which Node 20 would run only with --experimental-vm-modules
  if (cacheFile && (!cachedData || script.cachedDataRejected)) {
    const to = cacheFile;
    process.once('exit', () => {
      try {
        save(to, script.createCachedData());
      } catch {
        // nothing to save
      }
    });
  }
  const fn = script.runInThisContext() as (exports: object, require: NodeJS.Require, module: { exports: unknown }, filename: string, dirname: string) => void;
  const module: { exports: unknown } = { exports: {} };
  fn.call(module.exports, module.exports as object, createRequire(file), module, file, dirname(file));
  return module.exports;
}
