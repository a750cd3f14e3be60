/**
 * The cached Python venv holding dbt-core 1.10 (with the duckdb and postgres adapters), shared by
 * every differential test that compares tx's Jinja2 with dbt's: the name and the requirements are
 * the same everywhere so that one install serves them all.
 */
import { ensureVenv, type Venv } from '../../../testing/services/python-venv.js';

export const DBT_VENV_NAME = 'dbt-core';
export const DBT_VENV_REQUIREMENTS = ['dbt-core>=1.10,<1.11', 'dbt-duckdb>=1.10,<1.11', 'dbt-postgres>=1.9,<1.11'] as const;

/** Ensures ~/.cache/tx/dbt-core exists (minutes the first time, a second after). */
export async function ensureDbtVenv(): Promise<Venv> {
  return await ensureVenv({
    name: DBT_VENV_NAME,
    requirements: DBT_VENV_REQUIREMENTS,
    description: 'dbt-core 1.10 with dbt-duckdb and dbt-postgres (reference Jinja2 for differential tests)',
    probe: [
      'import json, jinja2, dbt.version, dbt.context.base',
      'print(json.dumps({"dbt": dbt.version.__version__, "jinja2": jinja2.__version__}))',
    ].join('\n'),
  });
}
