/**
 * Cached Python venvs (txCacheDir()) for checking tx's artifacts against the dbt ecosystem:
 *   dbt-artifacts/  dbt-artifacts-parser (pydantic models of dbt's artifact schemas, extra keys
 *                   forbidden) and openlineage-python (the OpenLineage event models and schema)
 *   dbt-core/       dbt-core 1.10 with dbt-duckdb and dbt-postgres, to write real dbt artifacts
 *                   to compare with (shared with other tests: same name, same requirements)
 */
import { ensureVenv, type Venv } from './python-venv.js';

export const DBT_ARTIFACTS_PARSER_REQUIREMENT = 'dbt-artifacts-parser==0.15.0';
export const OPENLINEAGE_PYTHON_REQUIREMENT = 'openlineage-python==1.54.0';

/** ~/.cache/tx/dbt-artifacts: dbt-artifacts-parser and openlineage-python. */
export async function provisionDbtArtifacts(): Promise<Venv> {
  return await ensureVenv({
    name: 'dbt-artifacts',
    requirements: [DBT_ARTIFACTS_PARSER_REQUIREMENT, OPENLINEAGE_PYTHON_REQUIREMENT],
    description: `${DBT_ARTIFACTS_PARSER_REQUIREMENT} and ${OPENLINEAGE_PYTHON_REQUIREMENT} (artifact and lineage validation)`,
    probe: [
      'import json',
      'from importlib.metadata import version',
      'from dbt_artifacts_parser.parsers.manifest.manifest_v12 import ManifestV12',
      'from dbt_artifacts_parser.parsers.run_results.run_results_v6 import RunResultsV6',
      'from dbt_artifacts_parser.parsers.catalog.catalog_v1 import CatalogV1',
      'from dbt_artifacts_parser.parsers.sources.sources_v3 import SourcesV3',
      'import openlineage.client',
      'print(json.dumps({"dbtArtifactsParser": version("dbt-artifacts-parser"), "openlineage": version("openlineage-python")}))',
    ].join('\n'),
  });
}

/** The requirements of the shared `dbt-core` venv (exactly; a different list would rebuild it). */
export const DBT_CORE_REQUIREMENTS = ['dbt-core>=1.10,<1.11', 'dbt-duckdb>=1.10,<1.11', 'dbt-postgres>=1.9,<1.11'] as const;

/** ~/.cache/tx/dbt-core: dbt-core 1.10 with the duckdb and postgres adapters. */
export async function provisionDbtCore(): Promise<Venv> {
  return await ensureVenv({
    name: 'dbt-core',
    requirements: DBT_CORE_REQUIREMENTS,
    description: 'dbt-core 1.10 with dbt-duckdb and dbt-postgres',
    probe: [
      'import json',
      'from importlib.metadata import version',
      'print(json.dumps({"dbtCore": version("dbt-core"), "dbtDuckdb": version("dbt-duckdb")}))',
    ].join('\n'),
  });
}
