import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * `mkdir -p` that fails instead of spinning: Node's `mkdirSync(dir, { recursive: true })` loops
 * forever under /proc (the kernel refuses the folder with ENOENT although its parent exists).
 * Creates each missing folder below the nearest existing one, one call each, so a refusal is an
 * error. Returns the top-most folder it created, or undefined when `dir` existed.
 */
export function makeDirs(dir: string): string | undefined {
  const missing: string[] = [];
  let cur = resolve(dir);
  while (!existsSync(cur)) {
    missing.push(cur);
    const up = dirname(cur);
    if (up === cur) break;
    cur = up;
  }
  if (existsSync(cur) && !statSync(cur).isDirectory()) {
    throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${missing.at(-1) ?? cur}' (${cur} is a file)`), { code: 'ENOTDIR' });
  }
  const top = missing.at(-1);
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d);
    } catch (e) {
      // made meanwhile by another process: fine
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(d).isDirectory()) throw e;
    }
  }
  return top;
}
