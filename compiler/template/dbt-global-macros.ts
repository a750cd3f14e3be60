/**
 * dbt's global macros as tx ships them (compiler/template/dbt-global-macros/*.sql): the `dbt`
 * namespace of a dbt project (cross-database macros, statement/run_query, ...). Read once per process.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../load/package-root.js';

let cached: { path: string; text: string }[] | undefined;

/** The macro files, in name order, with a display path (`<dbt global macros>/dates.sql`). */
export function dbtGlobalMacroFiles(): { path: string; text: string }[] {
  if (cached) return cached;
  // beside the built module (dist/, copied by the build), else in the sources
  const built = join(dirname(fileURLToPath(import.meta.url)), 'dbt-global-macros');
  const dir = existsSync(built) ? built : join(packageRoot(), 'compiler', 'template', 'dbt-global-macros');
  cached = readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((f) => ({ path: `<dbt global macros>/${f}`, text: readFileSync(join(dir, f), 'utf8') }));
  return cached;
}
