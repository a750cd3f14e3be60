import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { SqlFile } from './project-types.js';

/** Every file under `roots` (relative to `dir`) whose name ends with one of `exts`, sorted by path. */
export function scanFiles(dir: string, roots: string[], exts: string[]): SqlFile[] {
  const out: SqlFile[] = [];
  for (const root of roots) {
    const absRoot = join(dir, root);
    if (!existsSync(absRoot) || !statSync(absRoot).isDirectory()) continue;
    const entries = readdirSync(absRoot, { recursive: true, withFileTypes: false }) as string[];
    for (const rel of entries) {
      const ext = exts.find((e) => rel.endsWith(e));
      if (!ext) continue;
      const parts = rel.split(sep);
      if (parts.some((p) => p.startsWith('.'))) continue;
      const absPath = join(absRoot, rel);
      if (!statSync(absPath).isFile()) continue;
      const base = parts[parts.length - 1]!;
      out.push({
        name: base.slice(0, base.length - ext.length),
        path: relative(dir, absPath).split(sep).join('/'),
        absPath,
        text: readFileSync(absPath, 'utf8'),
        folders: [root.replace(/\/+$/, ''), ...parts.slice(0, -1)],
      });
    }
  }
  out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return out;
}
