/**
 * package-lock.yml, as dbt-core 1.10's `dbt deps` writes and reads it (dbt/task/deps.py):
 * - `sha1_hash`: the sha1 of the packages.yml (or dependencies.yml) entries, each as dbt's
 *   PackageSpec.to_dict() (its fields with dbt's defaults, plus `unrendered`: the entry as
 *   written) dumped by Python's json.dumps(sort_keys=True), sorted, joined by newlines;
 * - `packages`: every resolved package, direct ones first then theirs (breadth first), each as
 *   its pinned package's to_dict() plus `name`: `local`, `git` + `revision` (the commit) +
 *   `subdirectory`, `package` + `version`, `tarball`; written by PyYAML with sorted keys and
 *   indented lists. `git` and `tarball` are written as in packages.yml, unrendered (an
 *   env_var() holding a token stays a template), the others rendered, as dbt writes them; the
 *   lock's entries are rendered again when installed from it.
 * When the lock's hash differs from the packages file's, `tx deps` resolves again and rewrites it.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TxError } from '../errors.js';
import { PACKAGE_FILES, packageValueRenderer, type PackageRenderOptions } from '../load/packages.js';
import { jsonDumps } from '../template/context/python-json.js';
import { yamlSafeDump } from '../template/context/python-yaml-dump.js';
import { yamlSafeLoad } from '../template/context/python-yaml-load.js';

export const PACKAGE_LOCK_FILE = 'package-lock.yml';

/** One entry of package-lock.yml's `packages:`. */
export type LockEntry = Map<string, unknown>;

const get = (m: unknown, k: string): unknown => (m instanceof Map ? m.get(k) : undefined);

/** The entries of the packages file dbt reads (packages.yml, else dependencies.yml), with Python's value types. */
function packageEntries(projectDir: string): { file: string; entries: Map<string, unknown>[] } {
  for (const f of PACKAGE_FILES) {
    const abs = join(projectDir, f);
    if (!existsSync(abs)) continue;
    const list = get(yamlSafeLoad(readFileSync(abs, 'utf8')), 'packages');
    if (Array.isArray(list)) return { file: f, entries: list.filter((e): e is Map<string, unknown> => e instanceof Map) };
  }
  return { file: '', entries: [] };
}

/** dbt's PackageSpec.to_dict() of one entry (rendered): its kind's fields and defaults, and `unrendered`: the entry as written. */
function specDict(e: Map<string, unknown>, unrendered: Map<string, unknown>): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const copy = (k: string, dflt?: unknown): void => {
    if (e.has(k)) out.set(k, e.get(k));
    else if (dflt !== undefined) out.set(k, dflt);
  };
  if (e.has('local')) copy('local');
  else if (e.has('tarball')) copy('tarball');
  else if (e.has('git') || e.has('private')) {
    copy(e.has('git') ? 'git' : 'private');
    if (e.has('private')) copy('provider', null);
    copy('revision', null);
    copy('subdirectory', null);
    copy('warn-unpinned', null);
  } else if (e.has('package')) {
    copy('package');
    copy('version');
    copy('install_prerelease', false);
  }
  copy('name');
  out.set('unrendered', unrendered);
  return out;
}

/** The `sha1_hash` dbt writes for the project's packages file (of its rendered entries, each with the entry as written). */
export function packagesHash(projectDir: string, opts: PackageRenderOptions = {}): string {
  const { file, entries } = packageEntries(projectDir);
  // dbt renders packages.yml, not dependencies.yml
  const render = file === 'dependencies.yml' ? (v: unknown) => v : packageValueRenderer(opts);
  const lines = entries
    .map((e, i) => jsonDumps(specDict(render(e, `packages[${i}]`) as Map<string, unknown>, e), true))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha1').update(lines.join('\n'), 'utf8').digest('hex');
}

/** package-lock.yml of the project, or undefined when there is none. */
export function readLock(projectDir: string): { hash?: string; packages: LockEntry[] } | undefined {
  const abs = join(projectDir, PACKAGE_LOCK_FILE);
  if (!existsSync(abs)) return undefined;
  let v: unknown;
  try {
    v = yamlSafeLoad(readFileSync(abs, 'utf8'));
  } catch (e) {
    throw new TxError('PROJECT', `${PACKAGE_LOCK_FILE} is not valid YAML: ${(e as Error).message}`, { file: PACKAGE_LOCK_FILE, hint: `delete ${PACKAGE_LOCK_FILE} and run tx deps to write it again` });
  }
  const list = get(v, 'packages');
  const hash = get(v, 'sha1_hash');
  if (v != null && !(v instanceof Map)) throw new TxError('PROJECT', `${PACKAGE_LOCK_FILE} must be a map with \`packages:\` and \`sha1_hash:\``, { file: PACKAGE_LOCK_FILE, line: 1 });
  if (list != null && !Array.isArray(list)) throw new TxError('PROJECT', `\`packages:\` in ${PACKAGE_LOCK_FILE} must be a list`, { file: PACKAGE_LOCK_FILE });
  return { hash: typeof hash === 'string' ? hash : undefined, packages: ((list as unknown[] | undefined) ?? []).filter((e): e is LockEntry => e instanceof Map) };
}

/** The text of package-lock.yml, byte for byte as dbt writes it. */
export function lockText(entries: LockEntry[], hash: string): string {
  return yamlSafeDump(new Map<string, unknown>([['packages', entries], ['sha1_hash', hash]]), true, { indentSequences: true });
}
