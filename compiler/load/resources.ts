/**
 * The resources of one project folder (the root project or an installed package): models, seeds,
 * macros, singular tests, snapshots, docs and properties files, read from its resource paths.
 * Paths stay relative to the root project; a package's files carry `package` (its name), and its
 * properties are keyed by `propsKey(package, name)` so two packages may name a model alike.
 */
import { TxError } from '../errors.js';
import { dropCustomTopLevelKeys, dropUnknownPropertyConfig } from './dbt-project.js';
import { parseDocsBlocks } from './docs-blocks.js';
import { parseProperties } from './properties.js';
import { renderPropertiesFile } from './properties-render.js';
import type { TemplateEngine } from '../template/template-engine.js';
import { propsKey, type ModelProps, type SourceTable, type SqlFile, type UnitTestSpec } from './project-types.js';
import { scanFiles } from './scan-files.js';
import { loadSnapshots, type SnapshotFile } from './snapshots.js';
import { expandModelVersions } from './model-versions.js';
import { duplicateKeyNotes, readYaml } from './yaml-file.js';

type Obj = Record<string, unknown>;

export interface ResourcePaths {
  models: string[];
  seeds: string[];
  macros: string[];
  tests: string[];
  docs: string[];
  snapshots: string[];
}

export interface Resources {
  models: SqlFile[];
  seeds: SqlFile[];
  macros: SqlFile[];
  singularTests: SqlFile[];
  snapshots: SnapshotFile[];
  docs: Map<string, { text: string; file: string }>;
  modelProps: Map<string, ModelProps>;
  seedProps: Map<string, ModelProps>;
  sources: SourceTable[];
  unitTests: UnitTestSpec[];
  ymlFiles: SqlFile[];
  dbtOnly: Map<string, Obj[]>;
  unknownConfigKeys: string[];
  /** dbt projects: properties files' top-level keys dbt ignores (`file: key`) */
  customTopLevelKeys: string[];
  /** dbt projects: keys written twice in a properties file (dbt-core's warning text) */
  duplicateKeys: string[];
}

/**
 * Read the resources under `paths` (relative to `dir`, the root project's folder). `pkg`: the
 * package they belong to (undefined for the root project's own).
 */
export function loadResources(dir: string, paths: ResourcePaths, dbt: boolean, pkg?: string, walked: Map<string, string[]> = new Map(), propertiesEngine?: () => TemplateEngine): Resources {
  const tag = <T extends SqlFile>(files: T[]): T[] => (pkg ? files.map((f) => ({ ...f, package: pkg })) : files);
  const models = tag(scanFiles(dir, paths.models, ['.sql'], walked));
  const seeds = tag(scanFiles(dir, paths.seeds, ['.csv', '.tsv'], walked));
  const macros = [...scanFiles(dir, paths.macros, ['.sql'], walked), ...scanFiles(dir, paths.tests.map((t) => `${t}/generic`), ['.sql'], walked)];
  const singularTests = tag(scanFiles(dir, paths.tests, ['.sql'], walked).filter((f) => !f.path.includes('/generic/')));
  const snapshotFiles = scanFiles(dir, paths.snapshots, ['.sql'], walked);
  const docs = parseDocsBlocks(scanFiles(dir, [...new Set([...paths.docs, ...paths.models])], ['.md'], walked));

  checkUnique(models, 'model');
  checkUnique(seeds, 'seed');

  // Properties files: every .yml/.yaml under models, seeds, tests and snapshots.
  const ymlFiles = scanFiles(dir, [...new Set([...paths.models, ...paths.seeds, ...paths.tests, ...paths.snapshots])], ['.yml', '.yaml'], walked);
  const modelProps = new Map<string, ModelProps>();
  const seedProps = new Map<string, ModelProps>();
  const sources: SourceTable[] = [];
  const unitTests: UnitTestSpec[] = [];
  const sourceKeys = new Map<string, string>();
  const dbtOnly = new Map<string, Obj[]>();
  const unknownConfigKeys: string[] = [];
  const customTopLevelKeys: string[] = [];
  const duplicateKeys: string[] = [];
  for (const f of ymlFiles) {
    let yf = readYaml(f.absPath, f.path, dbt ? 'pyyaml' : 'yaml-1.2', true);
    duplicateKeys.push(...duplicateKeyNotes(yf));
    // dbt renders properties files' values when it reads them (properties-render.ts)
    if (dbt && propertiesEngine) yf = { ...yf, value: renderPropertiesFile(yf.value, f.path, propertiesEngine) };
    if (dbt) customTopLevelKeys.push(...dropCustomTopLevelKeys(yf));
    if (dbt) unknownConfigKeys.push(...dropUnknownPropertyConfig(yf));
    const parsed = parseProperties(yf);
    for (const m of parsed.models) {
      const key = propsKey(pkg, m.name);
      const prev = modelProps.get(key);
      if (prev) throw new TxError('DUPLICATE', `model \`${m.name}\` is described twice (also in ${prev.file})`, { file: m.file, line: m.line });
      modelProps.set(key, pkg ? { ...m, package: pkg } : m);
    }
    for (const s of parsed.seeds) seedProps.set(propsKey(pkg, s.name), pkg ? { ...s, package: pkg } : s);
    for (const s of parsed.sources) {
      const key = `${s.sourceName}.${s.name}`;
      if (sourceKeys.has(key)) throw new TxError('DUPLICATE', `source table \`${key}\` is defined twice (also in ${sourceKeys.get(key)})`, { file: s.file, line: s.line });
      sourceKeys.set(key, s.file);
      sources.push(pkg ? { ...s, package: pkg } : s);
    }
    unitTests.push(...(pkg ? parsed.unitTests.map((u) => ({ ...u, package: pkg })) : parsed.unitTests));
    for (const [k, entries] of Object.entries(parsed.dbtOnly)) dbtOnly.set(k, [...(dbtOnly.get(k) ?? []), ...entries.map((e) => ({ ...(e as Obj), original_file_path: f.path }))]);
  }
  // model versions: one model file per version (compiler/load/model-versions.ts)
  const versioned = expandModelVersions(models, modelProps, pkg);
  // snapshots: run by tx (compiler/load/snapshots.ts), so not among the dbt-only entries
  const snapshots = tag(loadSnapshots(dir, snapshotFiles, dbtOnly.get('snapshots') ?? []));
  dbtOnly.delete('snapshots');
  return { models: versioned, seeds, macros, singularTests, snapshots, docs, modelProps, seedProps, sources, unitTests, ymlFiles, dbtOnly, unknownConfigKeys, customTopLevelKeys, duplicateKeys };
}

function checkUnique(files: SqlFile[], kind: string): void {
  const seen = new Map<string, string>();
  for (const f of files) {
    const prev = seen.get(f.name);
    if (prev) throw new TxError('DUPLICATE', `two ${kind}s are named \`${f.name}\`: ${prev} and ${f.path}`, { file: f.path, hint: `${kind} names must be unique across the project; rename one` });
    seen.set(f.name, f.path);
  }
}
