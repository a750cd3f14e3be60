import { existsSync, readFileSync } from 'node:fs';
import { hash } from 'node:crypto';
import { join } from 'node:path';
import { writeFileAtomic } from '../artifacts/artifacts.js';
import type { Project } from '../load/project-types.js';
import { txVersion } from '../load/package-root.js';
import { anySecrets, containsSecret } from '../log/scrub.js';

/**
 * A content-hash cache of compiled models in target/cache/compile.json. A model is reused
 * when its text is unchanged and everything that could change its output is too: tx's
 * version, every macro, vars, the target, project.yml and properties files (the global key),
 * and the relation names of what it refers to (the dependency key). Models that read the
 * environment or the clock are never cached.
 */
export interface CachedModel {
  textHash: string;
  capture: { config: Record<string, unknown>; refs: string[]; sources: [string, string][]; usesIsIncremental: boolean };
  render?: { depKey: string; sql: string; sqlHash: string };
}

interface CacheFile {
  globalKey: string;
  models: Record<string, CachedModel>;
}

export const quickHash = (s: string): string => hash('sha1', s, 'base64');

export function globalCacheKey(project: Project, parts: unknown[]): string {
  const h: string[] = [txVersion(), JSON.stringify(project.raw), JSON.stringify(project.extraConfig ?? null)];
  for (const m of project.macros) h.push(m.path, m.text);
  for (const [k, v] of project.modelProps) h.push(k, JSON.stringify(v.config), JSON.stringify(v.extraConfig ?? null));
  for (const s of project.sources) h.push(`${s.sourceName}.${s.name}`, s.schema, s.identifier, s.database ?? '');
  for (const p of parts) h.push(JSON.stringify(p));
  return quickHash(h.join('\u0000'));
}

export class CompileCache {
  private readonly next: Record<string, CachedModel> = {};
  private changed = false;

  private constructor(
    private readonly path: string,
    private readonly globalKey: string,
    private readonly prev: Record<string, CachedModel>,
  ) {}

  static open(project: Project, globalKey: string): CompileCache {
    const path = join(project.dir, project.targetPath, 'cache', 'compile.json');
    let prev: Record<string, CachedModel> = {};
    try {
      if (existsSync(path)) {
        const f = JSON.parse(readFileSync(path, 'utf8')) as CacheFile;
        if (f.globalKey === globalKey) prev = f.models;
      }
    } catch {
      prev = {};
    }
    const c = new CompileCache(path, globalKey, prev);
    c.changed = Object.keys(prev).length === 0;
    return c;
  }

  /** The cached capture of a model whose text hash matches. */
  capture(path: string, textHash: string): CachedModel['capture'] | undefined {
    const e = this.prev[path];
    return e && e.textHash === textHash ? e.capture : undefined;
  }

  /** The cached SQL (and its file hash) of a model whose text and dependencies match. */
  render(path: string, textHash: string, depKey: string): { sql: string; sqlHash: string } | undefined {
    const e = this.prev[path];
    return e && e.textHash === textHash && e.render?.depKey === depKey && e.render.sqlHash ? e.render : undefined;
  }

  put(path: string, entry: CachedModel): void {
    // an entry holding a secret is not cached: the file is scrubbed, and would serve *****
    if (anySecrets() && containsSecret(JSON.stringify(entry))) return;
    const e = this.prev[path];
    if (!e || e.textHash !== entry.textHash || e.render?.depKey !== entry.render?.depKey) this.changed = true;
    this.next[path] = entry;
  }

  save(): void {
    if (!this.changed && Object.keys(this.next).length === Object.keys(this.prev).length) return;
    writeFileAtomic(this.path, JSON.stringify({ globalKey: this.globalKey, models: this.next } satisfies CacheFile));
  }
}
