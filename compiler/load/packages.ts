/**
 * dbt packages: `packages.yml` / `dependencies.yml` read as dbt-core 1.10 reads them, and the
 * packages installed in `dbt_packages/` (by `tx deps` or by `dbt deps`) loaded for their macros
 * and vars. `tx deps` itself is in compiler/commands/deps.ts.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { TxError, didYouMean } from '../errors.js';
import { makeEnvVar, makeVar } from '../compile/template-context.js';
import { allowSecretEnvVars } from '../log/scrub.js';
import { baseContextMembers } from '../template/context/base-context.js';
import { TemplateEngine } from '../template/template-engine.js';
import type { SqlFile } from './project-types.js';
import { loadResources, type Resources } from './resources.js';
import { renderDbtProjectYaml } from './dbt-project.js';
import { readYaml, type YamlFile } from './yaml-file.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** One entry of `packages:` in packages.yml or dependencies.yml. */
export interface PackageSpec {
  kind: 'local' | 'git' | 'hub' | 'tarball';
  /** What the entry names: the local path, git URL, hub package or tarball URL (rendered). */
  source: string;
  /** The entry with its templates rendered (env_var(), var() of --vars). */
  raw: Obj;
  /** The entry as written (package-lock.yml keeps git and tarball URLs unrendered, as dbt does). */
  unrendered?: Obj;
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

/** What packages.yml renders with: dbt's PackageRenderer context (--vars and the environment). */
export interface PackageRenderOptions {
  /** `--vars` (dbt renders packages.yml with the command line's vars only, not dbt_project.yml's). */
  vars?: Obj;
  env?: NodeJS.ProcessEnv;
  /** `tx deps`: a template in the root project's dependencies.yml is an error (dbt leaves it unrendered). */
  refuseDependenciesTemplates?: boolean;
  /** The engine that renders a package's properties files (its own vars under the root's), made on first use. */
  propertiesEngine?: (pkg: string, pkgVars: Obj) => () => TemplateEngine;
}

const hasTemplate = (v: unknown): boolean =>
  typeof v === 'string' ? v.includes('{{') || v.includes('{%') : Array.isArray(v) ? v.some(hasTemplate) : isObj(v) ? Object.values(v).some(hasTemplate) : false;

/**
 * Renders packages.yml / dependencies.yml / package-lock.yml values as dbt-core 1.10's
 * PackageRenderer (a SecretRenderer): every string value (keys are not rendered) with the base
 * context, `var()` of the command line's vars and `env_var()`, where secret variables
 * (DBT_ENV_SECRET_*) may be read: their values are registered with the scrubber, so a git URL
 * holding a token is masked in every log line and error. The result is a native value as dbt's
 * native renderer gives it for `True`/`False`/`None`; digits stay text (a revision or version).
 */
export function packageValueRenderer(opts: PackageRenderOptions = {}): (v: unknown, where: string) => unknown {
  let engine: TemplateEngine | undefined;
  const get = (): TemplateEngine => {
    if (!engine) {
      engine = new TemplateEngine();
      Object.assign(engine.env.globals, baseContextMembers());
      engine.setGlobal('var', makeVar(opts.vars ?? {}));
      engine.setGlobal('env_var', makeEnvVar(opts.env ?? process.env));
    }
    return engine;
  };
  const render = (v: unknown, where: string): unknown => {
    if (typeof v === 'string') {
      if (!v.includes('{{') && !v.includes('{%')) return v;
      const out = allowSecretEnvVars(() => get().renderString(v, where));
      const t = out.trim();
      if (t === 'True' || t === 'true') return true;
      if (t === 'False' || t === 'false') return false;
      if (t === 'None' || t === 'none') return null;
      return out;
    }
    if (Array.isArray(v)) return v.map((x, i) => render(x, `${where}[${i}]`));
    if (v instanceof Map) return new Map([...v].map(([k, x]) => [k, render(x, `${where}.${String(k)}`)]));
    if (isObj(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, render(x, `${where}.${k}`)]));
    return v;
  };
  return render;
}

/**
 * The `packages:` entries of a project (packages.yml, else dependencies.yml), rendered; both with
 * packages is an error, as in dbt. As dbt-core 1.10 (DbtProjectYamlRenderer.render_packages), the
 * root project's dependencies.yml is not rendered; an installed package's is (`displayDir` set).
 */
export function readPackageSpecs(projectDir: string, displayDir = '', opts: PackageRenderOptions = {}): PackageSpec[] {
  const renderer = packageValueRenderer(opts);
  const found: { file: string; yf: YamlFile }[] = [];
  for (const f of PACKAGE_FILES) {
    const abs = join(projectDir, f);
    if (!existsSync(abs)) continue;
    const display = displayDir ? `${displayDir}/${f}` : f;
    const yf = readYaml(abs, display, 'pyyaml');
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
  const rootDependencies = !displayDir && file === 'dependencies.yml';
  const render = rootDependencies ? (v: unknown) => v : renderer;
  const list = (yf.value as Obj).packages;
  if (!Array.isArray(list)) throw new TxError('PROJECT', `\`packages:\` in ${file} must be a list`, { file, line: yf.lineOf(['packages']) });
  return list.map((u, i) => {
    const line = yf.lineOf(['packages', i]);
    if (!isObj(u)) throw new TxError('PROJECT', `entry ${i + 1} of \`packages:\` in ${file} must be a map (local:, git:, package: or tarball:)`, { file, line });
    if (rootDependencies && opts.refuseDependenciesTemplates && hasTemplate(u)) {
      throw new TxError('PROJECT', `entry ${i + 1} of \`packages:\` in dependencies.yml holds a template ({{ ... }}): dbt does not render dependencies.yml, so it would be used as written`, {
        file,
        line,
        hint: 'move the packages that use env_var() or var() to packages.yml, which dbt and tx render (dependencies.yml takes no Jinja)',
      });
    }
    const e = render(u, `${file}${line ? `:${line}` : ''} (packages[${i}])`) as Obj;
    const base = { raw: e, unrendered: u, file, line };
    if (typeof e.local === 'string') return { kind: 'local', source: e.local, ...base };
    if (typeof e.git === 'string') return { kind: 'git', source: e.git, ...base };
    if (typeof e.package === 'string') return { kind: 'hub', source: e.package, ...base };
    if (typeof e.tarball === 'string') return { kind: 'tarball', source: e.tarball, ...base };
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
  const yf = readYaml(pf, `${display}/dbt_project.yml`, 'pyyaml', true);
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
export function loadInstalledPackages(projectDir: string, raw: Obj, rootName: string, opts: PackageRenderOptions = {}): LoadedPackage[] {
  const specs = readPackageSpecs(projectDir, '', opts);
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
    const yf = readYaml(join(d, 'dbt_project.yml'), `${display}/dbt_project.yml`, 'pyyaml', true);
    // rendered as dbt loads a package's dbt_project.yml: env_var() and no vars at all (not even --vars)
    const pr = (isObj(yf.value) ? renderDbtProjectYaml(yf.value, `${display}/dbt_project.yml`, { env: opts.env }) : {}) as Obj;
    const name = typeof pr.name === 'string' ? pr.name : '';
    if (!name) throw new TxError('PROJECT', `${display}/dbt_project.yml has no \`name:\``, { file: `${display}/dbt_project.yml`, line: 1 });
    if (name === rootName) continue; // a package's integration tests installing their own project: the root wins
    if (seen.has(name)) throw new TxError('DUPLICATE', `two installed packages are named \`${name}\`: ${seen.get(name)} and ${display}`, { file: `${display}/dbt_project.yml` });
    seen.set(name, display);
    const vars: Obj = {};
    if (isObj(pr.vars)) {
      for (const [k, v] of Object.entries(pr.vars)) if (k !== name) vars[k] = v;
      if (isObj(pr.vars[name])) Object.assign(vars, pr.vars[name]);
    }
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
      undefined,
      opts.propertiesEngine?.(name, vars),
    );
    const macros = resources.macros;
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
