/**
 * dbt packages: `packages.yml` / `dependencies.yml` read as dbt-core 1.10 reads them, and the
 * packages installed in `dbt_packages/` (by `tx deps` or by `dbt deps`) loaded for their macros
 * and vars. `tx deps` itself is in compiler/commands/deps.ts.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { TxError, didYouMean } from '../errors.js';
import type { SqlFile } from './project-types.js';
import { loadResources, type Resources } from './resources.js';
import { readYaml, type YamlFile } from './yaml-file.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** One entry of `packages:` in packages.yml or dependencies.yml. */
export interface PackageSpec {
  kind: 'local' | 'git' | 'hub' | 'tarball';
  /** What the entry names: the local path, git URL, hub package or tarball URL. */
  source: string;
  raw: Obj;
  /** The file (relative to the project) and line of the entry. */
  file: string;
  line?: number;
}

/** A package installed under `dbt_packages/`, as the compiler uses it. */
export interface LoadedPackage {
  name: string;
  /** Absolute folder of the package. */
  dir: string;
  /** Its macros (macro-paths and tests/generic), paths relative to the root project. */
  macros: SqlFile[];
  /** Vars its dbt_project.yml declares (the root project's vars win). */
  vars: Obj;
  /** Its models, seeds, singular tests, snapshots, sources and properties (files tagged with the package). */
  resources: Resources;
  /** The `models:` / `seeds:` / `data_tests:` / `snapshots:` config blocks of its own dbt_project.yml. */
  modelsConfig: Obj;
  seedsConfig: Obj;
  testsConfig: Obj;
  snapshotsConfig: Obj;
}

export const PACKAGE_FILES = ['packages.yml', 'dependencies.yml'] as const;

/** `packages-install-path` of a project (dbt's default `dbt_packages`). */
export function packagesInstallPath(projectDir: string, raw: Obj): string {
  return resolve(projectDir, String(raw['packages-install-path'] ?? 'dbt_packages'));
}

/** The `packages:` entries of a project (packages.yml, else dependencies.yml); both with packages is an error, as in dbt. */
export function readPackageSpecs(projectDir: string, displayDir = ''): PackageSpec[] {
  const found: { file: string; yf: YamlFile }[] = [];
  for (const f of PACKAGE_FILES) {
    const abs = join(projectDir, f);
    if (!existsSync(abs)) continue;
    const display = displayDir ? `${displayDir}/${f}` : f;
    const yf = readYaml(abs, display);
    if (yf.value == null) continue;
    if (!isObj(yf.value)) throw new TxError('PROJECT', `${display} must be a map with \`packages:\``, { file: display, line: 1 });
    if (yf.value.packages != null) found.push({ file: display, yf });
  }
  if (found.length > 1) {
    throw new TxError('PROJECT', `both ${found[0]!.file} and ${found[1]!.file} list \`packages:\``, {
      file: found[1]!.file,
      hint: 'dbt reads one of them: keep the packages in one file (dependencies.yml or packages.yml)',
    });
  }
  if (!found.length) return [];
  const { file, yf } = found[0]!;
  const list = (yf.value as Obj).packages;
  if (!Array.isArray(list)) throw new TxError('PROJECT', `\`packages:\` in ${file} must be a list`, { file, line: yf.lineOf(['packages']) });
  return list.map((e, i) => {
    const line = yf.lineOf(['packages', i]);
    if (!isObj(e)) throw new TxError('PROJECT', `entry ${i + 1} of \`packages:\` in ${file} must be a map (local:, git:, package: or tarball:)`, { file, line });
    if (typeof e.local === 'string') return { kind: 'local', source: e.local, raw: e, file, line };
    if (typeof e.git === 'string') return { kind: 'git', source: e.git, raw: e, file, line };
    if (typeof e.package === 'string') return { kind: 'hub', source: e.package, raw: e, file, line };
    if (typeof e.tarball === 'string') return { kind: 'tarball', source: e.tarball, raw: e, file, line };
    const keys = Object.keys(e);
    throw new TxError('PROJECT', `entry ${i + 1} of \`packages:\` in ${file} names no package (keys: ${keys.join(', ') || 'none'})`, {
      file,
      line,
      hint: didYouMean(keys[0] ?? '', ['local', 'git', 'package', 'tarball']) ?? 'use local:, git:, package: or tarball:',
    });
  }) as PackageSpec[];
}

/** A package folder's `name:` from its dbt_project.yml. */
export function packageNameIn(dir: string, display: string): string {
  const pf = join(dir, 'dbt_project.yml');
  if (!existsSync(pf)) throw new TxError('PROJECT', `${display} holds no dbt_project.yml, so it is not a dbt package`, { file: display });
  const yf = readYaml(pf, `${display}/dbt_project.yml`);
  const name = isObj(yf.value) ? yf.value.name : undefined;
  if (typeof name !== 'string' || !name) throw new TxError('PROJECT', `${display}/dbt_project.yml has no \`name:\``, { file: `${display}/dbt_project.yml`, line: 1 });
  return name;
}

const asList = (v: unknown, d: string[]): string[] => (v == null ? d : Array.isArray(v) ? v.map(String) : [String(v)]);

/**
 * The packages installed under the install path, each loaded for its macros and vars. When
 * packages.yml lists more packages than are installed, the build stops and says to run `tx deps`,
 * as dbt does.
 */
export function loadInstalledPackages(projectDir: string, raw: Obj, rootName: string): LoadedPackage[] {
  const specs = readPackageSpecs(projectDir);
  const installDir = packagesInstallPath(projectDir, raw);
  const installed: string[] = [];
  if (existsSync(installDir) && statSync(installDir).isDirectory()) {
    for (const e of readdirSync(installDir).sort()) {
      if (e.startsWith('.')) continue;
      const d = join(installDir, e);
      if (statSync(d).isDirectory() && existsSync(join(d, 'dbt_project.yml'))) installed.push(d);
    }
  }
  if (specs.length > installed.length) {
    throw new TxError('PROJECT', `${specs[0]!.file} lists ${specs.length} package${specs.length > 1 ? 's' : ''}, but ${installed.length} ${installed.length === 1 ? 'is' : 'are'} installed in ${relative(projectDir, installDir) || '.'}/`, {
      file: specs[0]!.file,
      hint: 'run `tx deps` to install them',
    });
  }
  const out: LoadedPackage[] = [];
  const seen = new Map<string, string>();
  for (const d of installed) {
    const display = relative(projectDir, d).split('\\').join('/');
    const yf = readYaml(join(d, 'dbt_project.yml'), `${display}/dbt_project.yml`);
    const pr = (isObj(yf.value) ? yf.value : {}) as Obj;
    const name = typeof pr.name === 'string' ? pr.name : '';
    if (!name) throw new TxError('PROJECT', `${display}/dbt_project.yml has no \`name:\``, { file: `${display}/dbt_project.yml`, line: 1 });
    if (name === rootName) continue; // a package's integration tests installing their own project: the root wins
    if (seen.has(name)) throw new TxError('DUPLICATE', `two installed packages are named \`${name}\`: ${seen.get(name)} and ${display}`, { file: `${display}/dbt_project.yml` });
    seen.set(name, display);
    const under = (key: string, d: string[]): string[] => asList(pr[key], d).map((m) => `${display}/${m}`);
    const modelPaths = under('model-paths', ['models']);
    const resources = loadResources(
      projectDir,
      {
        models: modelPaths,
        seeds: under('seed-paths', ['seeds']),
        macros: under('macro-paths', ['macros']),
        tests: under('test-paths', ['tests']),
        docs: under('docs-paths', asList(pr['model-paths'], ['models'])),
        snapshots: under('snapshot-paths', ['snapshots']),
      },
      true,
      name,
    );
    const macros = resources.macros;
    const vars: Obj = {};
    if (isObj(pr.vars)) {
      for (const [k, v] of Object.entries(pr.vars)) if (k !== name) vars[k] = v;
      if (isObj(pr.vars[name])) Object.assign(vars, pr.vars[name]);
    }
    const block = (k: string): Obj => (isObj(pr[k]) ? (pr[k] as Obj) : {});
    out.push({
      name,
      dir: d,
      macros,
      vars,
      resources,
      modelsConfig: block('models'),
      seedsConfig: block('seeds'),
      testsConfig: isObj(pr.data_tests) ? pr.data_tests : block('tests'),
      snapshotsConfig: block('snapshots'),
    });
  }
  return out;
}
