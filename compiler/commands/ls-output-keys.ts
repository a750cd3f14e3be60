/**
 * `tx ls --output json --output-keys k1 k2 ...`: the lines dbt-core 1.10's `dbt ls` prints for the
 * same flags, for the tools that run it and read its output (Astronomer Cosmos' `dbt ls` load mode
 * asks for `name unique_id resource_type depends_on original_file_path tags config ...`). As dbt's
 * ListTask.generate_json: the selected unique ids sorted, each node's manifest.json entry (the same
 * object tx writes to target/manifest.json) with only the keys asked for, in the entry's own key
 * order (a key the entry lacks is left out, as dbt leaves it out), written as Python's json.dumps
 * writes it (`", "` and `": "`, non-ASCII escaped). The text is scrubbed of secrets like every
 * artifact.
 */
import type { CompiledProject } from '../compile/compile-project.js';
import { manifestOf } from '../artifacts/dbt-manifest.js';
import { jsonDumps } from '../template/context/python-json.js';
import { scrub } from '../log/scrub.js';
import { strCmp } from '../template/jinja/py.js';

/** The manifest's sections that hold what `tx ls` selects, in the order dbt's ListTask looks in them. */
const SECTIONS = ['nodes', 'sources', 'exposures', 'metrics', 'semantic_models', 'saved_queries', 'unit_tests'] as const;

/** dbt ls's JSON lines (each ending in a newline) for the selected `ids`, with `keys` of each entry. */
export function dbtLsJson(compiled: CompiledProject, ids: readonly string[], keys: readonly string[]): string {
  const manifest = manifestOf(compiled) as Record<string, Record<string, Record<string, unknown>> | undefined>;
  const wanted = new Set(keys);
  let out = '';
  // (dbt sorts the unique ids as Python sorts str: by code point)
  for (const id of [...new Set(ids)].sort(strCmp)) {
    const entry = SECTIONS.map((s) => manifest[s]?.[id]).find((e) => e !== undefined);
    if (!entry) continue;
    const picked: Record<string, unknown> = {};
    for (const k of Object.keys(entry)) if (wanted.has(k)) picked[k] = entry[k];
    out += `${jsonDumps(picked, false)}\n`;
  }
  return scrub(out);
}
