/**
 * `tx clean` never deletes a warehouse: the DuckDB files of every configured target (templates
 * rendered with the project's vars and the environment), and the default warehouse where a project
 * built before its move keeps it (`target/<name>.duckdb`), with their write-ahead logs.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { Project } from '../load/project-types.js';
import { defaultDuckdbPath } from '../load/default-warehouse.js';
import { makeEnvVar, makeVar } from '../compile/template-context.js';
import { TemplateEngine } from '../template/template-engine.js';

export interface WarehouseFile {
  target: string;
  /** Absolute. */
  file: string;
}

/** The DuckDB files of the project's targets that exist. */
export function warehouseFiles(project: Project): WarehouseFile[] {
  const engine = new TemplateEngine();
  engine.setGlobal('var', makeVar(project.vars));
  engine.setGlobal('env_var', makeEnvVar(process.env));
  const out: WarehouseFile[] = [];
  const add = (target: string, path: string): void => {
    if (!path || path === ':memory:') return;
    const file = isAbsolute(path) ? path : resolve(project.dir, path);
    if ((existsSync(file) || existsSync(`${file}.wal`)) && !out.some((w) => w.file === file)) out.push({ target, file });
  };
  for (const [name, t] of Object.entries(project.targets)) {
    let type = t.type;
    let path = t.path;
    try {
      if (typeof type === 'string' && type.includes('{{')) type = engine.renderString(type, `targets.${name}.type`).trim();
      if (type !== 'duckdb') continue;
      if (typeof path === 'string' && path.includes('{{')) path = engine.renderString(path, `targets.${name}.path`).trim();
    } catch {
      continue; // a value that cannot be rendered here (an unset variable) names no file tx could find
    }
    add(name, path == null ? defaultDuckdbPath(project.dir, project.name, project.targetPath).path : String(path));
  }
  // the default target's old place, when a project built before the move still has it
  add('duckdb (default, old place)', join(project.targetPath, `${project.name}.duckdb`));
  return out;
}

/** The warehouse files inside `path` (absolute), or `path` itself when it is one. */
export function warehousesInside(path: string, files: WarehouseFile[]): WarehouseFile[] {
  return files.filter((w) => {
    const rel = relative(path, w.file);
    return !rel.startsWith('..') && !isAbsolute(rel);
  });
}
