import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { TxError } from '../errors.js';
import { configFromHierarchy, validateHierarchy } from './config-hierarchy.js';
import { projectFileIn, translateDbtProject, type DbtProjectOptions } from './dbt-project.js';
import type { Project, SqlFile } from './project-types.js';
import { loadResources } from './resources.js';
import { scanFiles } from './scan-files.js';
import { loadInstalledPackages } from './packages.js';
import { validateYaml } from './validate.js';
import { defaultDuckdbPath } from './default-warehouse.js';
import { duplicateKeyNotes, readYaml } from './yaml-file.js';
import { openYamlCache } from './yaml-cache.js';
import { useNativeFilters } from './properties-render.js';
import { makeEnvVar, makeVar } from '../compile/template-context.js';
import { isSecretConfigKey } from '../log/scrub.js';
import { baseContextMembers } from '../template/context/base-context.js';
import { TemplateEngine } from '../template/template-engine.js';

type Obj = Record<string, unknown>;
const list = (v: unknown, dflt: string[]): string[] => (v == null ? dflt : Array.isArray(v) ? v.map(String) : [String(v)]);

/** The folder holding project.yml or dbt_project.yml: `dir` itself, or the nearest ancestor of the cwd. */
export function findProjectDir(dir?: string): string {
  if (dir) {
    const abs = resolve(dir);
    if (!projectFileIn(abs)) {
      throw new TxError('PROJECT', `no project.yml or dbt_project.yml in ${abs}`, { hint: 'pass --project-dir pointing at the folder that holds project.yml or dbt_project.yml' });
    }
    return abs;
  }
  let cur = process.cwd();
  for (;;) {
    if (projectFileIn(cur)) return cur;
    const up = dirname(cur);
    if (up === cur) throw new TxError('PROJECT', `no project.yml or dbt_project.yml in ${process.cwd()} or any parent folder`, { hint: 'run tx inside a project or pass --project-dir' });
    cur = up;
  }
}

/** files → Project: read and validate project.yml, properties files, SQL, macros, seeds, docs. */
export function loadProject(projectDir?: string, opts: DbtProjectOptions = {}): Project {
  const dir = findProjectDir(projectDir);
  const projectFile = projectFileIn(dir)!;
  const dbt = projectFile === 'dbt_project.yml';
  openYamlCache(dir);
  let pf = readYaml(join(dir, projectFile), projectFile, dbt ? 'pyyaml' : 'yaml-1.2', true);
  if (pf.value == null || typeof pf.value !== 'object') throw new TxError('PROJECT', `${projectFile} is empty; it needs at least \`name:\``, { file: projectFile, line: 1 });
  const notes: string[] = [];
  notes.push(...duplicateKeyNotes(pf));
  let profilesFile: string | undefined;
  let extraConfig: Obj | undefined;
  const original = pf.value as Obj;
  if (dbt) {
    const t = translateDbtProject(pf, dir, opts);
    pf = { ...pf, value: t.raw };
    notes.push(...t.notes);
    profilesFile = t.profilesFile;
    extraConfig = t.extraConfig;
  }
  const raw = pf.value as Obj;
  const name = String(raw.name);
  // errors name dbt_project.yml when that is the file
  const asDbt = <T>(f: () => T): T => (dbt ? renameFileInErrors(f) : f());
  asDbt(() => validateYaml('project', pf));
  const paths = (raw.paths ?? {}) as Obj;
  const p = {
    models: list(paths.models, ['models']),
    seeds: list(paths.seeds, ['seeds']),
    macros: list(paths.macros, ['macros']),
    tests: list(paths.tests, ['tests']),
    docs: list(paths.docs, list(paths.models, ['models'])),
    snapshots: list(paths.snapshots, ['snapshots']),
  };

  const walked = new Map<string, string[]>();
  const propertiesEngine = dbt ? propertiesEngines(raw, name, opts) : undefined;
  const own = loadResources(dir, p, dbt, undefined, walked, propertiesEngine?.(name, {}));
  // dbt packages installed in dbt_packages/ (tx deps or dbt deps): their macros, vars and resources
  const packages = dbt ? loadInstalledPackages(dir, original, name, { vars: opts.vars, env: opts.env, propertiesEngine }) : [];
  const models = [...own.models, ...packages.flatMap((x) => x.resources.models)];
  const seeds = [...own.seeds, ...packages.flatMap((x) => x.resources.seeds)];
  const macros = own.macros;
  const singularTests = [...own.singularTests, ...packages.flatMap((x) => x.resources.singularTests)];
  const analyses = dbt ? scanFiles(dir, list(original['analysis-paths'], ['analyses']), ['.sql'], walked) : [];
  const snapshots = [...own.snapshots, ...packages.flatMap((x) => x.resources.snapshots)];
  const docs = own.docs;
  for (const x of packages) for (const [k, v] of x.resources.docs) if (!docs.has(k)) docs.set(k, v);
  const modelProps = new Map([...own.modelProps, ...packages.flatMap((x) => [...x.resources.modelProps])]);
  const seedProps = new Map([...own.seedProps, ...packages.flatMap((x) => [...x.resources.seedProps])]);
  const sources = [...own.sources, ...packages.flatMap((x) => x.resources.sources)];
  const unitTests = [...own.unitTests, ...packages.flatMap((x) => x.resources.unitTests)];
  const ymlFiles = [...own.ymlFiles, ...packages.flatMap((x) => x.resources.ymlFiles)];
  const dbtOnly = own.dbtOnly;
  const unknownConfigKeys = own.unknownConfigKeys;
  notes.push(...own.duplicateKeys, ...packages.flatMap((x) => x.resources.duplicateKeys));
  if (own.customTopLevelKeys.length) notes.push(`properties files: top-level keys that are not properties, ignored as dbt ignores them: ${own.customTopLevelKeys.map((k) => `\`${k}\``).join(', ')}`);
  if (unknownConfigKeys.length) notes.push(`properties files: config tx does not know, kept in the node's config (config.get, manifest.json) and not acted on: ${unknownConfigKeys.map((k) => `\`${k}\``).join(', ')}`);
  // groups, exposures, metrics, semantic models and saved queries go to manifest.json as dbt writes them (compiler/compile/dbt-semantic.ts)
  const listed = (keep: (k: string) => boolean) =>
    [...dbtOnly]
      .filter(([k]) => keep(k))
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, e]) => `${e.length} ${k}`)
      .join(', ');
  if ([...dbtOnly.keys()].some((k) => k !== 'analyses')) notes.push(`properties files: tx writes to manifest.json and does not run ${listed((k) => k !== 'analyses')}`);
  if (dbtOnly.has('analyses')) notes.push(`properties files: tx reads and does not use ${listed((k) => k === 'analyses')}`);

  const knownModelPaths = hierarchyPaths(own.models);
  const knownSeedPaths = hierarchyPaths(own.seeds);
  // a root block naming an installed package (`models: dbt_utils: ...`) is checked against that package's folders
  const pkgPaths = (files: (x: (typeof packages)[number]) => SqlFile[]) => new Map(packages.map((x) => [x.name, hierarchyPaths(files(x))]));
  const modelsConfig = (raw.models ?? {}) as Obj;
  const seedsConfig = (raw.seeds ?? {}) as Obj;
  const testsConfig = (raw.data_tests ?? raw.tests ?? {}) as Obj;
  asDbt(() => validateHierarchy('models', modelsConfig, pf, name, knownModelPaths, pkgPaths((x) => x.resources.models)));
  asDbt(() => validateHierarchy('seeds', seedsConfig, pf, name, knownSeedPaths, pkgPaths((x) => x.resources.seeds)));

  const targetPath = String(raw['target-path'] ?? 'target');
  // the default warehouse sits beside project.yml, out of tx clean's way (target/<name>.duckdb still read when it is there)
  const warehouse = defaultDuckdbPath(dir, name, targetPath);
  if (!raw.targets && warehouse.notice) notes.push(warehouse.notice);
  const targets = (raw.targets as Record<string, Obj> | undefined) ?? {
    duckdb: { type: 'duckdb', path: warehouse.path },
  };
  if (!raw.targets) (targets.duckdb as Obj).schema = 'main';
  const defaultTarget = String(raw.target ?? (targets.duckdb ? 'duckdb' : Object.keys(targets)[0]));
  // the dispatch search order
  const dispatch = dbt ? readDispatch(original, pf) : [];

  return {
    dir,
    name,
    version: raw.version == null ? undefined : String(raw.version),
    raw,
    paths: p,
    targetPath,
    logPath: String(raw['log-path'] ?? 'logs'),
    cleanTargets: list(raw['clean-targets'], [targetPath, String(raw['log-path'] ?? 'logs')]),
    vars: packageVars(packages, (raw.vars ?? {}) as Obj),
    targets,
    defaultTarget,
    modelsConfig,
    seedsConfig,
    ...(extraConfig && Object.keys(extraConfig).length ? { extraConfig } : {}),
    testsConfig,
    onRunStart: list(raw['on-run-start'], []),
    onRunEnd: list(raw['on-run-end'], []),
    hookLines: {
      onRunStart: list(raw['on-run-start'], []).map((_, i) => (Array.isArray(original['on-run-start']) ? pf.lineOf(['on-run-start', i]) : pf.lineOf(['on-run-start']))),
      onRunEnd: list(raw['on-run-end'], []).map((_, i) => (Array.isArray(original['on-run-end']) ? pf.lineOf(['on-run-end', i]) : pf.lineOf(['on-run-end']))),
    },
    exportRoots: list(raw.export_roots, ['output']),
    models,
    seeds,
    macros,
    singularTests,
    analyses,
    docs,
    modelProps,
    seedProps,
    sources,
    unitTests,
    propertyFiles: ymlFiles.map((f) => f.path),
    projectFile,
    profilesFile,
    notes,
    dbtOnly: Object.fromEntries(dbtOnly),
    snapshots,
    snapshotsConfig: (raw.snapshots ?? {}) as Obj,
    packages,
    dispatch,
  };
}

/**
 * The root project's vars as a root node sees them. As in dbt, a package's own vars (its
 * dbt_project.yml) and the root's blocks scoped to a package (`vars: {dbt_date: {...}}`) apply to
 * that package's nodes only, never to the root's: they are left out here.
 */
/**
 * The engines that render a dbt project's properties files (dbt's SchemaYamlContext): the base
 * context, `var()` (--vars, then the root project's vars, for a package the root's block for it,
 * then the package's own), `env_var()` (no secret variables), `target` (the --target output, no
 * secrets) and `project_name`. Each is made when a file first holds a template.
 */
function propertiesEngines(raw: Obj, rootName: string, opts: DbtProjectOptions): (pkg: string, pkgVars: Obj) => () => TemplateEngine {
  const env = opts.env ?? process.env;
  const rootVars = (raw.vars ?? {}) as Obj;
  let target: Obj | undefined;
  const targetValue = (e: TemplateEngine): Obj => {
    if (target) return target;
    const targets = (raw.targets ?? {}) as Record<string, Obj>;
    const tname = opts.target ?? env.TX_TARGET ?? String(raw.target ?? Object.keys(targets)[0] ?? 'duckdb');
    const t = targets[tname] ?? { type: 'duckdb', schema: 'main' };
    target = { name: tname, profile_name: String(raw.profile ?? rootName) };
    for (const [k, v] of Object.entries(t)) {
      if (isSecretConfigKey(k) || k === 'password') continue;
      if (typeof v !== 'string' || !v.includes('{')) target[k] = v;
      else if (!v.includes('SECRET')) {
        try {
          target[k] = e.renderString(v, `target ${k}`);
        } catch {
          /* a value that cannot render here is left out */
        }
      }
    }
    if (target.type === 'duckdb') target.schema ??= 'main';
    if (target.type === 'postgres' && target.dbname === undefined && target.database !== undefined) target.dbname = target.database;
    return target;
  };
  return (pkg, pkgVars) => {
    let engine: TemplateEngine | undefined;
    return () => {
      if (engine) return engine;
      const e = new TemplateEngine();
      Object.assign(e.env.globals, baseContextMembers());
      const scoped = pkg !== rootName && isObj(rootVars[pkg]) ? (rootVars[pkg] as Obj) : {};
      const global = Object.fromEntries(Object.entries(rootVars).filter(([, v]) => !isObj(v)));
      const vars = pkg === rootName ? { ...rootVars, ...(opts.vars ?? {}) } : { ...pkgVars, ...global, ...scoped, ...(opts.vars ?? {}) };
      e.setGlobal('var', makeVar(vars));
      e.setGlobal('env_var', makeEnvVar(env));
      e.setGlobal('project_name', rootName);
      e.setGlobal('target', targetValue(e));
      useNativeFilters(e);
      engine = e;
      return e;
    };
  };
}

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

function packageVars(packages: { name: string; vars: Obj }[], rootVars: Obj): Obj {
  if (!packages.length) return rootVars;
  const scoped = new Set(packages.map((p) => p.name));
  return Object.fromEntries(Object.entries(rootVars).filter(([k, v]) => !(scoped.has(k) && v !== null && typeof v === 'object' && !Array.isArray(v))));
}

/** `dispatch:` of dbt_project.yml: a list of `{macro_namespace, search_order}`. */
function readDispatch(original: Obj, pf: { path: string; lineOf(p: (string | number)[]): number | undefined }): { macroNamespace: string; searchOrder: string[] }[] {
  const d = original.dispatch;
  if (d == null) return [];
  if (!Array.isArray(d)) throw new TxError('PROJECT', '`dispatch` in dbt_project.yml must be a list of {macro_namespace, search_order}', { file: pf.path, line: pf.lineOf(['dispatch']) });
  return d.map((e, i) => {
    const o = (e ?? {}) as Obj;
    if (typeof o.macro_namespace !== 'string' || !Array.isArray(o.search_order) || !o.search_order.length) {
      throw new TxError('PROJECT', `entry ${i + 1} of \`dispatch\` needs \`macro_namespace\` (a package name) and \`search_order\` (a list of package names)`, { file: pf.path, line: pf.lineOf(['dispatch', i]) });
    }
    return { macroNamespace: o.macro_namespace, searchOrder: o.search_order.map(String) };
  });
}

/** Errors about the project file say dbt_project.yml when the project is a dbt project. */
function renameFileInErrors<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (!(e instanceof TxError) || !e.message.includes('project.yml')) throw e;
    throw new TxError(e.code, e.message.replace(/(?<!dbt_)project\.yml/g, 'dbt_project.yml'), { ...e.location, hint: e.hint, cause: e.cause });
  }
}

/** Folder paths and node paths, relative to their resource root, for hierarchy validation. */
function hierarchyPaths(files: SqlFile[]): Set<string> {
  const out = new Set<string>();
  let folder: string | undefined;
  for (const f of files) {
    const folders = f.folders;
    out.add(f.name);
    if (folders.length < 2) continue;
    // the folders under the root as a path, and each of its parents: once per run of a folder's files (they are sorted)
    const sub = folders.length === 2 ? folders[1]! : folders.slice(1).join('/');
    if (sub !== folder) {
      folder = sub;
      for (let i = 2; i < folders.length; i++) out.add(folders.slice(1, i).join('/'));
      out.add(sub);
    }
    out.add(`${sub}/${f.name}`);
  }
  return out;
}

export { configFromHierarchy };
export function isDirectory(p: string): boolean {
  return existsSync(p) && statSync(p).isDirectory();
}
