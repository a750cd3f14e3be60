/**
 * Reading the --state folder (manifest.json, run_results.json, sources.json of an earlier run) into the
 * SelectState that the state:, result: and source_status: selector methods compare against (state.ts).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TxError } from '../errors.js';
import type { ManifestJson, ResultsJson, SelectState } from './state.js';

/** The newest manifest schema tx reads (dbt 1.8–1.10 write v12). */
export const MANIFEST_SCHEMA_MAX = 12;

function readJson<T>(path: string, what: string): T {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (e) {
    throw new TxError('USAGE', `--state: ${what} is not valid JSON: ${(e as Error).message.split('\n')[0]}`, { file: path, hint: 'point --state at the target/ folder of a finished tx or dbt run' });
  }
}

/** Read the --state folder; a missing, empty, foreign or too-new state is a usage error (exit 2), never "select everything". */
export function loadState(dir: string, o: { projectDir: string; projectName: string; currentSourcesPath?: string }): SelectState {
  const abs = resolve(o.projectDir, dir);
  if (!existsSync(abs) || !statSync(abs).isDirectory()) {
    throw new TxError('USAGE', `--state folder \`${dir}\` does not exist`, { hint: 'save the target/ folder of a production run (manifest.json, run_results.json) and pass its path' });
  }
  const state: SelectState = { dir };
  const mf = join(abs, 'manifest.json');
  if (existsSync(mf)) {
    const m = readJson<ManifestJson>(mf, 'manifest.json');
    if (!m || typeof m !== 'object' || !m.metadata || typeof m.nodes !== 'object') {
      throw new TxError('USAGE', `--state: \`${join(dir, 'manifest.json')}\` is not a dbt/tx manifest (no metadata or nodes)`);
    }
    const v = /manifest\/v(\d+)\.json/.exec(m.metadata.dbt_schema_version ?? '');
    if (!v) throw new TxError('USAGE', `--state: \`${join(dir, 'manifest.json')}\` names no manifest schema version`, { hint: 'it must come from tx or dbt 1.5+' });
    if (Number(v[1]) > MANIFEST_SCHEMA_MAX) {
      throw new TxError('USAGE', `--state: the manifest has schema version v${v[1]}, newer than the v${MANIFEST_SCHEMA_MAX} this tx reads`, { hint: 'use a tx (or dbt) of the same version for both runs' });
    }
    if (m.metadata.project_name && m.metadata.project_name !== o.projectName) {
      throw new TxError('USAGE', `--state holds the manifest of project \`${m.metadata.project_name}\`, not of \`${o.projectName}\``, { hint: 'point --state at artifacts of this project' });
    }
    m.sources ??= {};
    m.macros ??= {};
    state.manifest = m;
  }
  const rr = join(abs, 'run_results.json');
  if (existsSync(rr)) state.runResults = readJson<ResultsJson>(rr, 'run_results.json');
  const sj = join(abs, 'sources.json');
  if (existsSync(sj)) state.sources = readJson<ResultsJson>(sj, 'sources.json');
  if (o.currentSourcesPath && existsSync(o.currentSourcesPath)) state.sourcesCurrent = readJson<ResultsJson>(o.currentSourcesPath, 'sources.json');
  if (!state.manifest && !state.runResults && !state.sources) {
    throw new TxError('USAGE', `--state folder \`${dir}\` holds no manifest.json, run_results.json or sources.json`, { hint: 'an empty state would select everything; save the target/ folder of a finished run there' });
  }
  return state;
}
