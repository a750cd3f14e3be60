import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { TxError } from '../errors.js';
import type { Catalog, Manifest, RunResults, SourcesResults, TxRun } from './manifest-types.js';

export interface Artifacts {
  manifest: Manifest;
  runResults: RunResults | null;
  catalog: Catalog | null;
  /** target/sources.json from `tx source freshness`, when present. */
  sources?: SourcesResults | null;
  /** target/tx_run.json of the same run as run_results.json, when present: tx's own data about it. */
  txRun?: TxRun | null;
  /** Things a reader of the site should know (shown as banners and printed by the CLI). */
  warnings: string[];
}

function readJson<T>(path: string, what: string, hint: string): T {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new TxError('USAGE', `cannot read ${what} ${path}: ${(e as Error).message}`, { hint });
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new TxError('USAGE', `${what} ${path} is not valid JSON (${(e as Error).message}); it may be half-written or from another tool`, { hint });
  }
}

const time = (s: string | undefined | null) => (s ? Date.parse(s) : NaN);

/**
 * Read target/manifest.json (required), run_results.json and catalog.json (optional),
 * and say clearly what is missing or stale.
 */
export function readArtifacts(targetDir: string, projectDir?: string): Artifacts {
  const warnings: string[] = [];
  const mPath = join(targetDir, 'manifest.json');
  if (!existsSync(mPath)) {
    throw new TxError('USAGE', `no manifest at ${mPath}: the docs site is built from tx's artifacts`, { hint: 'run `tx compile` (or `tx build`) first, then `tx docs generate`' });
  }
  const manifest = readJson<Manifest>(mPath, 'manifest', 'run `tx compile` to write it again');
  if (!manifest || typeof manifest !== 'object' || !manifest.nodes || !manifest.sources || !manifest.metadata) {
    throw new TxError('USAGE', `${mPath} is not a tx manifest (it has no nodes/sources/metadata)`, { hint: 'run `tx compile` to write it again' });
  }

  let runResults: RunResults | null = null;
  let txRun: TxRun | null = null;
  const rPath = join(targetDir, 'run_results.json');
  if (!existsSync(rPath)) {
    warnings.push('No run results (target/run_results.json): statuses, durations and rows are not shown. Run `tx build` and generate the docs again.');
  } else {
    runResults = readJson<RunResults>(rPath, 'run results', 'run `tx build` to write them again');
    if (!Array.isArray(runResults?.results)) throw new TxError('USAGE', `${rPath} has no results list`, { hint: 'run `tx build` to write it again' });
    const mt = time(manifest.metadata.generated_at);
    const rt = time(runResults.metadata?.generated_at);
    if (mt > rt) {
      warnings.push(
        `The run results (${runResults.metadata.generated_at}) are older than the manifest (${manifest.metadata.generated_at}): statuses are from a run of an earlier compile and may not match the SQL shown.`,
      );
    }
    // tx's own data about the run (details, export steps, statuses dbt has no word for) is in
    // target/tx_run.json; it belongs to these results when both come from one invocation
    const tPath = join(targetDir, 'tx_run.json');
    if (existsSync(tPath)) {
      const t = readJson<TxRun>(tPath, 'tx run data', 'run `tx build` to write it again');
      if (Array.isArray(t?.results) && (!runResults.metadata?.invocation_id || t.metadata?.invocation_id === runResults.metadata.invocation_id)) {
        txRun = t;
        const byId = new Map(runResults.results.map((r) => [r.unique_id, r]));
        for (const x of t.results) {
          const r = byId.get(x.unique_id);
          if (r) {
            if (x.details) r.details = x.details;
            if (x.status === 'cancelled') r.status = 'cancelled';
          } else if (x.unique_id.startsWith('after:')) {
            runResults.results.push({ ...x, adapter_response: { rows_affected: x.rows_affected ?? null } });
          }
        }
      }
    }
    const ids = new Set([...Object.keys(manifest.nodes), ...Object.keys(manifest.sources), ...Object.keys(manifest.unit_tests ?? {})]);
    const unknown = runResults.results.filter((r) => !ids.has(r.unique_id) && !r.unique_id.startsWith('after:'));
    if (unknown.length) {
      warnings.push(`${unknown.length} run result(s) are for nodes no longer in the manifest (e.g. ${unknown[0]!.unique_id}): the run results are stale.`);
    }
  }

  let catalog: Catalog | null = null;
  const cPath = join(targetDir, 'catalog.json');
  if (existsSync(cPath)) {
    catalog = readJson<Catalog>(cPath, 'catalog', 'run `tx docs generate` without --no-catalog to write it again');
    // dbt's catalog v1 (columns keyed by name); a catalog of the older tx shape is not used
    if (!catalog?.nodes || Object.values(catalog.nodes).some((e) => !e || Array.isArray(e.columns))) catalog = null;
  }

  let sources: SourcesResults | null = null;
  const sPath = join(targetDir, 'sources.json');
  if (existsSync(sPath)) {
    sources = readJson<SourcesResults>(sPath, 'source freshness results', 'run `tx source freshness` to write them again');
    if (!Array.isArray(sources?.results)) sources = null;
  }

  if (projectDir) {
    const newer = newerThan(projectDir, time(manifest.metadata.generated_at));
    if (newer) warnings.push(`The manifest (${manifest.metadata.generated_at}) is older than ${newer}: run \`tx compile\` or \`tx build\` so the docs show the current project.`);
  }
  return { manifest, runResults, catalog, sources, txRun, warnings };
}

/** The first project file modified after `t` (models, macros, seeds, tests, project.yml), if any. */
function newerThan(projectDir: string, t: number): string | undefined {
  if (!Number.isFinite(t)) return undefined;
  const check = (p: string) => {
    try {
      return statSync(p).mtimeMs > t + 1000;
    } catch {
      return false;
    }
  };
  if (check(join(projectDir, 'project.yml'))) return 'project.yml';
  for (const folder of ['models', 'macros', 'seeds', 'tests', 'snapshots']) {
    const stack = [join(projectDir, folder)];
    let seen = 0;
    while (stack.length && seen < 20000) {
      const dir = stack.pop()!;
      let entries: import('node:fs').Dirent[];
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        continue;
      }
      for (const e of entries) {
        seen++;
        const p = join(dir, e.name);
        if (e.isDirectory()) stack.push(p);
        else if (/\.(sql|ya?ml|csv|md)$/.test(e.name) && check(p)) return relative(projectDir, p);
      }
    }
  }
  return undefined;
}
