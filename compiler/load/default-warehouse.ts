/**
 * Where the default DuckDB warehouse lives: `<project>/<name>.duckdb`, beside project.yml, as
 * dbt-duckdb users keep theirs, and out of the way of `tx clean` (which removes `target/`).
 * A project built before this moved keeps its warehouse at `target/<name>.duckdb`: while that file
 * exists and the new one does not, it is still read, with a one-line notice saying how to move it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export interface DefaultWarehouse {
  /** Relative to the project folder. */
  path: string;
  /** The one-line notice when the old location is read. */
  notice?: string;
}

export function defaultDuckdbPath(projectDir: string, name: string, targetPath = 'target'): DefaultWarehouse {
  const path = `${name}.duckdb`;
  const old = `${targetPath}/${name}.duckdb`;
  if (!existsSync(join(projectDir, path)) && existsSync(join(projectDir, old))) {
    return {
      path: old,
      notice: `the DuckDB warehouse is read from its old place ${old}; its default place is now ${path} (out of tx clean's way): move it there with \`mv ${old} ${path}\``,
    };
  }
  return { path };
}
