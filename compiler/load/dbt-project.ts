/**
 * dbt projects as they are: `dbt_project.yml` read with dbt-core 1.10's keys and mapped onto
 * tx's project model, `require-dbt-version` checked against the dbt version tx is compatible
 * with, templated values rendered with --vars and env_var() (as dbt's project renderer does), and
 * `profiles.yml` found where dbt looks for it.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { TxError, closest, didYouMean } from '../errors.js';
import { makeEnvVar, makeVar } from '../compile/template-context.js';
import { baseContextMembers } from '../template/context/base-context.js';
import { TemplateEngine } from '../template/template-engine.js';
import { renderNative, useNativeFilters } from './properties-render.js';
import { configKeys } from './config-hierarchy.js';
import { readYaml, type YamlFile } from './yaml-file.js';
import { defaultDuckdbPath } from './default-warehouse.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The dbt-core version tx's dbt support follows. */
export const DBT_COMPATIBLE = { major: 1, minor: 10 } as const;
export const DBT_COMPATIBLE_TEXT = `${DBT_COMPATIBLE.major}.${DBT_COMPATIBLE.minor}`;

/** Keys of dbt_project.yml tx reads. */
const USED = [
  'name',
  'version',
  'config-version',
  'profile',
  'model-paths',
  'seed-paths',
  'test-paths',
  'macro-paths',
  'docs-paths',
  'target-path',
  'log-path',
  'clean-targets',
  'require-dbt-version',
  'vars',
  'models',
  'seeds',
  'tests',
  'data_tests',
  'sources',
  'snapshot-paths',
  'analysis-paths',
  'snapshots',
  'on-run-start',
  'on-run-end',
  'dispatch',
  'packages-install-path',
  'exposures',
  'metrics',
  'semantic-models',
  'saved-queries',
] as const;

/** Keys dbt-core 1.10 documents that tx accepts and does not act on (yet). */
const IGNORED = [
  'asset-paths',
  'quoting',
  'flags',
  'query-comment',
  'dbt-cloud',
  'unit_tests',
  'restrict-access',
  'functions',
  'function-paths',
] as const;

export const DBT_PROJECT_KEYS: readonly string[] = [...USED, ...IGNORED];

/** The project file in `dir`: tx's own or dbt's; both at once is an error. */
export function projectFileIn(dir: string): 'project.yml' | 'dbt_project.yml' | undefined {
  const tx = existsSync(join(dir, 'project.yml'));
  const dbt = existsSync(join(dir, 'dbt_project.yml'));
  if (tx && dbt) {
    throw new TxError('PROJECT', `${dir} holds both project.yml and dbt_project.yml; tx reads one project file per folder`, {
      file: 'dbt_project.yml',
      hint: 'keep dbt_project.yml (tx reads it as dbt does) or project.yml (tx\'s own format), and remove or rename the other',
    });
  }
  return tx ? 'project.yml' : dbt ? 'dbt_project.yml' : undefined;
}

export interface DbtProjectOptions {
  /** --vars from the command line: they override the project's, for rendering too. */
  vars?: Obj;
  /** --profiles-dir */
  profilesDir?: string;
  /** --profile: instead of dbt_project.yml's `profile:` */
  profile?: string;
  /** --target: the target properties files' templates see as `target` */
  target?: string;
  env?: NodeJS.ProcessEnv;
  /** for tests: where `~/.dbt/` is */
  home?: string;
}

export interface DbtProjectTranslation {
  /** the project as tx's project.yml would say it */
  raw: Obj;
  /** said once, as warnings: what tx accepted and does not act on */
  notes: string[];
  /** the profiles.yml used, if any */
  profilesFile?: string;
  /** config keys tx does not know, per block (`models`, `seeds`, ...), as hierarchies: they go into the nodes' config */
  extraConfig?: Obj;
}

/** dbt's project renderer leaves these unrendered (they render at run time). */
const UNRENDERED_TOP = new Set(['on-run-start', 'on-run-end', 'query-comment', 'vars']);
const HOOK_KEYS = new Set(['pre-hook', 'post-hook', '+pre-hook', '+post-hook', 'pre_hook', 'post_hook', '+pre_hook', '+post_hook']);

/** dbt_project.yml → tx's project model; errors name the file and the key. */
export function translateDbtProject(pf: YamlFile, dir: string, opts: DbtProjectOptions = {}): DbtProjectTranslation {
  const src = pf.value as Obj;
  const notes: string[] = [];
  const fail = (path: (string | number)[], msg: string, hint?: string): never => {
    throw new TxError('PROJECT', msg, { file: pf.path, line: pf.lineOf(path), hint });
  };
  if (typeof src.name !== 'string') fail(['name'], 'dbt_project.yml needs `name:` (the project name)');
  const name = src.name as string;

  // Top-level keys: dbt's own are accepted; a near miss is a typo; anything else is kept and said.
  const ignored: string[] = [];
  const kept: string[] = [];
  for (const k of Object.keys(src)) {
    if ((USED as readonly string[]).includes(k)) continue;
    if ((IGNORED as readonly string[]).includes(k)) {
      ignored.push(k);
      continue;
    }
    const near = closest(k, DBT_PROJECT_KEYS);
    if (near.length) fail([k], `unknown key \`${k}\` in dbt_project.yml`, didYouMean(k, DBT_PROJECT_KEYS));
    kept.push(k);
  }
  if (kept.length) notes.push(`dbt_project.yml: ${plural(kept.length, 'key')} dbt-core ${DBT_COMPATIBLE_TEXT} does not document, kept and not used: ${kept.map((k) => `\`${k}\``).join(', ')}`);

  if (src['require-dbt-version'] != null) checkRequireDbtVersion(src['require-dbt-version'], pf);

  // Vars: the root project's scope (`vars: {<name>: {...}}`) over the global ones.
  const vars: Obj = {};
  const srcVars = isObj(src.vars) ? src.vars : {};
  for (const [k, v] of Object.entries(srcVars)) if (k !== name) vars[k] = v;
  if (isObj(srcVars[name])) Object.assign(vars, srcVars[name]);

  // rendered as dbt renders dbt_project.yml: --vars only (the project's own vars are not visible here)
  const rendered = renderDbtProjectYaml(src, pf.path, { vars: opts.vars, env: opts.env });

  const raw: Obj = { name };
  const copy = (from: string, to: string = from): void => {
    if (rendered[from] !== undefined) raw[to] = rendered[from];
  };
  copy('version');
  copy('config-version');
  copy('profile');
  copy('target-path');
  copy('log-path');
  copy('clean-targets');
  copy('on-run-start');
  copy('on-run-end');
  copy('sources');
  // config blocks of the dbt-only resources: applied to them in manifest.json (compiler/compile/dbt-semantic.ts)
  for (const k of ['exposures', 'metrics', 'semantic-models', 'saved-queries']) {
    if (rendered[k] == null) continue;
    if (!isObj(rendered[k])) fail([k], `\`${k}\` in dbt_project.yml must be a map of config`);
    raw[k] = rendered[k];
  }
  const paths: Obj = {};
  const pathKey = (from: string, to: string): void => {
    if (rendered[from] !== undefined) paths[to] = rendered[from];
  };
  pathKey('model-paths', 'models');
  pathKey('seed-paths', 'seeds');
  pathKey('test-paths', 'tests');
  pathKey('macro-paths', 'macros');
  pathKey('docs-paths', 'docs');
  pathKey('snapshot-paths', 'snapshots');
  if (Object.keys(paths).length) raw.paths = paths;
  if (Object.keys(vars).length) raw.vars = vars;

  const extraConfig: Obj = {};
  for (const kind of ['models', 'seeds', 'tests', 'data_tests'] as const) {
    const tree = rendered[kind];
    if (tree == null) continue;
    if (!isObj(tree)) fail([kind], `\`${kind}\` in dbt_project.yml must be a map of config`);
    const extra: Obj = {};
    raw[kind] = configBlock(kind, tree as Obj, name, notes, (k) => existsSync(join(resolve(dir, String(src['packages-install-path'] ?? 'dbt_packages')), k, 'dbt_project.yml')), extra);
    if (Object.keys(extra).length) extraConfig[kind] = extra;
  }

  if (rendered.snapshots != null) {
    if (!isObj(rendered.snapshots)) fail(['snapshots'], '`snapshots` in dbt_project.yml must be a map of config');
    raw.snapshots = rendered.snapshots;
  }

  if (ignored.length) notes.push(`dbt_project.yml: tx reads and does not act on ${ignored.map((k) => `\`${k}\``).join(', ')}`);

  const profile = profileTargets(src, dir, name, opts, notes);
  if (profile.targets) {
    raw.targets = profile.targets;
    raw.target = profile.target;
  }
  return { raw, notes, profilesFile: profile.file, extraConfig };
}

/**
 * A `models:` / `seeds:` / `tests:` block: config keys may carry `+`; a block naming an installed
 * package configures that package's nodes (kept); a block naming another project is a warning (dbt warns too: its packages are not installed here); a key far from
 * every config key tx knows is dropped with a note (a near one stays, for did-you-mean).
 */
function configBlock(kind: 'models' | 'seeds' | 'tests' | 'data_tests', tree: Obj, project: string, notes: string[], installed: (name: string) => boolean = () => false, extra: Obj = {}): Obj {
  const keys = new Set(configKeys(kind === 'data_tests' ? 'tests' : kind));
  const bare = (k: string): string => {
    const b = k.startsWith('+') ? k.slice(1) : k;
    return b === 'pre-hook' ? 'pre_hook' : b === 'post-hook' ? 'post_hook' : b;
  };
  const dropped: string[] = [];
  const walk = (node: Obj, path: string[]): Obj => {
    const out: Obj = {};
    for (const [k, v] of Object.entries(node)) {
      const b = bare(k);
      if (k.startsWith('+') || !isObj(v)) {
        // a config value: unknown and far from every known key → not applied, said once
        if (!keys.has(b) && !closest(b, keys).length) {
          dropped.push([kind, ...path, k].join('.'));
          // kept for the node's config (config.get, manifest.json), as dbt keeps a key it does not know
          let at = extra;
          for (const part of path) at = (at[part] ??= {}) as Obj;
          at[k.startsWith('+') ? k : `+${k}`] = v;
        } else out[k] = v;
      } else if (keys.has(b)) {
        out[k] = v; // a map-valued config (meta, docs, ...) or a folder of that name: the hierarchy check decides
      } else if (path.length === 0 && k !== project && !installed(k)) {
        notes.push(`dbt_project.yml: \`${kind}.${k}\` configures project \`${k}\`, which is not this project (\`${project}\`) and is not installed: ignored`);
      } else {
        out[k] = walk(v, [...path, k]);
      }
    }
    return out;
  };
  const result = walk(tree, []);
  if (dropped.length) notes.push(`dbt_project.yml: config tx does not know, kept in the nodes' config (config.get, manifest.json) and not acted on: ${dropped.map((d) => `\`${d}\``).join(', ')}`);
  return result;
}

/**
 * A dbt project's properties file: `config:` keys of models and seeds far from every key tx
 * knows (an adapter's or a package's own) are taken out before validation and returned as
 * `file: models.x.config.key`; a key near a known one stays, for the did-you-mean error.
 */
/** Where a properties entry keeps the config keys taken out for validation. */
export const EXTRA_CONFIG = Symbol('tx.extraConfig');

export function dropUnknownPropertyConfig(file: YamlFile): string[] {
  const dropped: string[] = [];
  if (!isObj(file.value)) return dropped;
  for (const kind of ['models', 'seeds'] as const) {
    const list = file.value[kind];
    if (!Array.isArray(list)) continue;
    const keys = new Set(configKeys(kind));
    for (const entry of list) {
      if (!isObj(entry) || !isObj(entry.config)) continue;
      for (const k of Object.keys(entry.config)) {
        if (keys.has(k) || closest(k, keys).length) continue;
        dropped.push(`${file.path}: ${kind}.${String(entry.name)}.config.${k}`);
        // kept for the node's config, out of validation's way
        Object.defineProperty(entry, EXTRA_CONFIG, { value: { ...((entry as Record<symbol, Obj>)[EXTRA_CONFIG] ?? {}), [k]: entry.config[k] }, configurable: true, enumerable: false });
        delete entry.config[k];
      }
    }
  }
  return dropped;
}

/** The top-level keys of a properties file (schemas/properties.schema.json). */
const PROPERTIES_TOP_LEVEL = new Set(['version', 'models', 'seeds', 'sources', 'macros', 'exposures', 'semantic_models', 'metrics', 'saved_queries', 'groups', 'analyses', 'snapshots', 'unit_tests']);

/**
 * Other top-level keys of a dbt properties file (often a holder of YAML anchors, `_defaults: &d`)
 * are taken out, as dbt-core 1.10 ignores them (with its custom-top-level-key deprecation); their
 * `file: key` names are returned for a note.
 */
export function dropCustomTopLevelKeys(file: YamlFile): string[] {
  if (!isObj(file.value)) return [];
  // a near miss of a known key (`modles`) stays, for validation's did-you-mean error
  const dropped = Object.keys(file.value).filter((k) => !PROPERTIES_TOP_LEVEL.has(k) && !closest(k, PROPERTIES_TOP_LEVEL).length);
  for (const k of dropped) delete file.value[k];
  return dropped.map((k) => `${file.path}: ${k}`);
}

// ---------------------------------------------------------------- require-dbt-version

type Ver = [number, number, number];
const cmp = (a: Ver, b: Ver): number => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

/**
 * `require-dbt-version` as dbt reads it (a string, comma-separated specifiers, or a list of
 * them): an error unless some 1.10.x satisfies every specifier.
 */
export function checkRequireDbtVersion(value: unknown, pf: YamlFile): void {
  const specs = (Array.isArray(value) ? value.map(String) : String(value).split(',')).map((s) => s.trim()).filter(Boolean);
  // the interval of compatible versions, narrowed by each specifier: [lo, hi)
  let lo: Ver = [DBT_COMPATIBLE.major, DBT_COMPATIBLE.minor, 0];
  let loIncl = true;
  let hi: Ver = [DBT_COMPATIBLE.major, DBT_COMPATIBLE.minor + 1, 0];
  let hiIncl = false;
  for (const spec of specs) {
    const m = /^(>=|<=|>|<|=|==)?\s*v?(\d+)(?:\.(\d+|\*|x))?(?:\.(\d+|\*|x))?(?:[-+][0-9A-Za-z.-]+)?$/.exec(spec);
    if (!m) {
      throw new TxError('PROJECT', `require-dbt-version: \`${spec}\` is not a version specifier`, {
        file: pf.path,
        line: pf.lineOf(['require-dbt-version']),
        hint: 'e.g. ">=1.0.0", "<2.0.0", or a list of them',
      });
    }
    const op = m[1] ?? '=';
    const wild = (s: string | undefined): boolean => s === undefined || s === '*' || s === 'x';
    const v: Ver = [Number(m[2]), wild(m[3]) ? 0 : Number(m[3]), wild(m[4]) ? 0 : Number(m[4])];
    const tighterLo = (x: Ver, incl: boolean): void => {
      const c = cmp(x, lo);
      if (c > 0 || (c === 0 && !incl)) {
        lo = x;
        loIncl = incl;
      }
    };
    const tighterHi = (x: Ver, incl: boolean): void => {
      const c = cmp(x, hi);
      if (c < 0 || (c === 0 && !incl)) {
        hi = x;
        hiIncl = incl;
      }
    };
    if (op === '>=') tighterLo(v, true);
    else if (op === '>') tighterLo(v, false);
    else if (op === '<=') tighterHi(v, true);
    else if (op === '<') tighterHi(v, false);
    else if (wild(m[3])) {
      tighterLo([v[0], 0, 0], true);
      tighterHi([v[0] + 1, 0, 0], false);
    } else if (wild(m[4])) {
      tighterLo([v[0], v[1], 0], true);
      tighterHi([v[0], v[1] + 1, 0], false);
    } else {
      tighterLo(v, true);
      tighterHi(v, true);
    }
  }
  const c = cmp(lo, hi);
  if (c > 0 || (c === 0 && !(loIncl && hiIncl))) {
    throw new TxError('PROJECT', `require-dbt-version ${JSON.stringify(value)} excludes dbt ${DBT_COMPATIBLE_TEXT}, the dbt version tx is compatible with`, {
      file: pf.path,
      line: pf.lineOf(['require-dbt-version']),
      hint: `tx builds dbt projects as dbt-core ${DBT_COMPATIBLE_TEXT} does; widen the range to include ${DBT_COMPATIBLE_TEXT} (e.g. [">=1.0.0", "<2.0.0"])`,
    });
  }
}

// ---------------------------------------------------------------- rendering

/** dbt's DbtProjectYamlRenderer.should_render_keypath: what dbt leaves for later (hooks, vars) or never renders. */
function shouldRenderProjectKeypath(path: (string | number)[]): boolean {
  const first = path[0];
  if (first === undefined) return true;
  if (UNRENDERED_TOP.has(String(first))) return false;
  if (['seeds', 'models', 'snapshots', 'tests', 'data_tests'].includes(String(first))) {
    // dbt strips "+ " from every part of the keypath and looks for a hook key anywhere in it
    for (const part of path) if (typeof part === 'string' && HOOK_KEYS.has(part.replace(/^[+ ]+/, ''))) return false;
  }
  return true;
}

/**
 * A dbt_project.yml (the root's or an installed package's) rendered as dbt-core 1.10's
 * DbtProjectYamlRenderer renders it when the project is loaded: every string value except hooks,
 * `vars`, `on-run-*` and `query-comment`, with the base context, `var()` of the command line's
 * vars only (neither the project's `vars:` nor a package's own are visible there; dbt loads a
 * package's dbt_project.yml with no vars at all) and `env_var()`. One `{{ expression }}` keeps its
 * value's type (`{{ var('x', false) }}` is false), constant text stays text (`{{ 3 }}` is "3"),
 * and an env var is text (`as_number`, `as_bool` convert it), as dbt's native renderer gives them.
 */
export function renderDbtProjectYaml(src: Obj, file: string, opts: { vars?: Obj; env?: NodeJS.ProcessEnv } = {}): Obj {
  let engine: TemplateEngine | undefined;
  const get = (): TemplateEngine => {
    if (!engine) {
      engine = new TemplateEngine();
      Object.assign(engine.env.globals, baseContextMembers());
      engine.setGlobal('var', makeVar(opts.vars ?? {}));
      engine.setGlobal('env_var', makeEnvVar(opts.env ?? process.env));
      useNativeFilters(engine);
    }
    return engine;
  };
  const render = (v: unknown, path: (string | number)[]): unknown => {
    if (typeof v === 'string') {
      if (!v.includes('{{') && !v.includes('{%')) return v;
      if (!shouldRenderProjectKeypath(path)) return v;
      return renderNative(get(), v, `${file} (${path.join('.')})`);
    }
    if (Array.isArray(v)) return v.map((x, i) => render(x, [...path, i]));
    if (isObj(v)) {
      const out: Obj = {};
      for (const [k, x] of Object.entries(v)) out[k] = render(x, [...path, k]);
      return out;
    }
    return v;
  };
  return render(src, []) as Obj;
}

// ---------------------------------------------------------------- profiles.yml

/** Where dbt looks for profiles.yml, in its order: --profiles-dir, DBT_PROFILES_DIR, the project folder, ~/.dbt/. */
export function findProfilesFile(dir: string, opts: DbtProjectOptions = {}): { file?: string; searched: string[] } {
  const env = opts.env ?? process.env;
  const candidates: string[] = [];
  if (opts.profilesDir) candidates.push(resolve(opts.profilesDir));
  else if (env.DBT_PROFILES_DIR) candidates.push(resolve(env.DBT_PROFILES_DIR));
  else {
    candidates.push(dir);
    candidates.push(join(opts.home ?? env.HOME ?? homedir(), '.dbt'));
  }
  for (const c of candidates) {
    for (const f of ['profiles.yml', 'profiles.yaml']) if (existsSync(join(c, f))) return { file: join(c, f), searched: candidates };
  }
  return { searched: candidates };
}

/** dbt's profile keys → tx's target keys, per adapter. */
const PROFILE_KEYS: Record<string, Record<string, string>> = {
  duckdb: { type: 'type', path: 'path', schema: 'schema', database: 'database', threads: 'threads', extensions: 'extensions', settings: 'settings', attach: 'attach', external_root: 'external_root' },
  postgres: { type: 'type', host: 'host', port: 'port', user: 'user', pass: 'password', password: 'password', dbname: 'database', database: 'database', schema: 'schema', threads: 'threads', sslmode: 'sslmode', connect_timeout: 'connect_timeout' },
  // dbt-spark, `method: thrift`: tx's Hive target (HiveServer2 / Spark Thrift Server), see sparkTarget()
  spark: { type: 'type', method: 'method', host: 'host', port: 'port', user: 'user', password: 'password', schema: 'schema', database: 'database', auth: 'auth', threads: 'threads', use_ssl: 'use_ssl', connect_retries: 'retries', connect_timeout: 'connect_timeout', query_timeout: 'query_timeout', server_side_parameters: 'session_settings' },
};

/** dbt-duckdb keys tx cannot honour (Python objects, or secrets it does not create): said once each, with what to do. */
const DUCKDB_OWN_NOTES: Record<string, string> = {
  plugins: 'are not supported: tx runs no Python plugins, so a source with `meta.plugin` reads the relation of its name',
  filesystems: 'are not supported: they are Python fsspec filesystems and tx runs no Python; read remote files through DuckDB\'s own httpfs/azure extensions (`extensions:` and `settings:` in the output)',
  secrets: 'are not created: tx does not turn them into DuckDB secrets; give S3 credentials as `settings:` (s3_region, s3_access_key_id, s3_secret_access_key from env_var())',
};

/** Every key dbt-core 1.10's adapters accept in an output (credential fields, aliases, type, threads). */
const DBT_PROFILE_KEYS: Record<string, string[]> = {
  duckdb: ['type', 'threads', 'database', 'schema', 'path', 'config_options', 'extensions', 'settings', 'secrets', 'external_root', 'use_credential_provider', 'attach', 'filesystems', 'remote', 'plugins', 'disable_transactions', 'keep_open', 'module_paths', 'retries', 'is_ducklake'],
  postgres: ['type', 'threads', 'database', 'dbname', 'schema', 'host', 'user', 'port', 'password', 'pass', 'connect_timeout', 'role', 'search_path', 'keepalives_idle', 'sslmode', 'sslcert', 'sslkey', 'sslrootcert', 'application_name', 'retries'],
  spark: ['type', 'threads', 'method', 'host', 'port', 'user', 'password', 'schema', 'database', 'auth', 'kerberos_service_name', 'use_ssl', 'cluster', 'endpoint', 'token', 'organization', 'driver', 'connection_string_suffix', 'connect_retries', 'connect_timeout', 'retry_all', 'server_side_parameters', 'poll_interval', 'query_timeout', 'query_retries'],
};

/**
 * A dbt-spark output as tx's Hive target, as dbt-spark reads it: `method: thrift` only (http, odbc
 * and session need Databricks or a local Spark: left out with a note); `port` 443 when not given,
 * dbt-spark's default; `database`, when given, must equal `schema`; `auth` as PyHive takes it
 * (none given: NONE, SASL PLAIN; CUSTOM: PLAIN with the password); TLS (`use_ssl`) is refused.
 * Returns the reason when the output is left out.
 */
function sparkTarget(t: Obj, at: { file: string; line?: number }, what: string): string | undefined {
  const method = String(t.method ?? '');
  delete t.method;
  if (method !== 'thrift') return `method ${method || 'missing'}: tx connects with the thrift method only`;
  const fail = (msg: string, hint?: string): never => {
    throw new TxError('PROJECT', `${what}: ${msg}`, { ...at, hint });
  };
  if (t.schema == null || t.schema === '') fail('dbt-spark needs `schema` (the database to build in)');
  if (t.database != null && String(t.database) !== String(t.schema)) fail(`on Spark, database must be omitted or have the same value as schema (schema ${String(t.schema)}, database ${String(t.database)})`);
  delete t.database;
  if (t.use_ssl === true || String(t.use_ssl).toLowerCase() === 'true') fail('use_ssl: tx\'s Hive target does not connect over TLS', 'reach the Thrift server over a TLS tunnel (stunnel, an SSH tunnel) and point host/port at it');
  delete t.use_ssl;
  if (t.port == null) t.port = 443;
  const auth = t.auth == null ? 'NONE' : String(t.auth).toUpperCase();
  t.auth = auth === 'CUSTOM' ? 'PLAIN' : auth;
  t.type = 'hive';
  return undefined;
}

function profileTargets(src: Obj, dir: string, name: string, opts: DbtProjectOptions, notes: string[]): { targets?: Obj; target?: string; file?: string } {
  const found = findProfilesFile(dir, opts);
  if (!found.file) {
    notes.push(`no profiles.yml found (looked in ${found.searched.join(', ')}): building on the embedded DuckDB database ${defaultDuckdbPath(dir, name).path}`);
    return {};
  }
  const file = found.file;
  const py = readYaml(file, file, 'pyyaml');
  const profileName = opts.profile ?? (typeof src.profile === 'string' ? src.profile : name);
  const all = isObj(py.value) ? py.value : {};
  const profile = all[profileName];
  if (!isObj(profile)) {
    throw new TxError('PROJECT', `profiles.yml has no profile \`${profileName}\` (${opts.profile ? '--profile' : 'the `profile:` of dbt_project.yml'})`, {
      file,
      hint: didYouMean(profileName, Object.keys(all).filter((k) => k !== 'config')) ?? `profiles in the file: ${Object.keys(all).join(', ') || '(none)'}`,
    });
  }
  const outputs = isObj(profile.outputs) ? profile.outputs : {};
  const targets: Obj = {};
  const unmapped: string[] = [];
  const unused: string[] = [];
  // outputs tx cannot build on: an error when it is the one this command uses (--target, else the profile's target)
  const leftOut = new Map<string, { reason: string; hint: string }>();
  const duckdbOwn: Record<string, string[]> = {};
  for (const [tname, out] of Object.entries(outputs)) {
    if (!isObj(out)) continue;
    const type = String(out.type ?? '');
    const keys = PROFILE_KEYS[type];
    if (!keys) {
      unmapped.push(`${tname} (type ${type || 'missing'})`);
      const near = didYouMean(type, Object.keys(PROFILE_KEYS));
      leftOut.set(tname, {
        reason: type === 'hive' ? 'type hive (dbt-hive): tx does not read dbt-hive outputs' : `type ${type || 'missing'}: tx builds on duckdb, postgres and spark (thrift) outputs`,
        hint: near && type ? near : type === 'hive' ? 'point a dbt-spark output at the HiveServer2/Thrift server instead: `type: spark`, `method: thrift`, host, port, schema, user (tx\'s Hive target)' : 'use a duckdb, postgres or spark (method: thrift) output, or pass --target with one',
      });
      continue;
    }
    const t: Obj = {};
    for (const [k, v] of Object.entries(out)) {
      const to = keys[k];
      if (to) t[to] = v;
      else if (type === 'duckdb' && DUCKDB_OWN_NOTES[k]) (duckdbOwn[k] ??= []).push(tname);
      else if (DBT_PROFILE_KEYS[type]!.includes(k)) unused.push(`${tname}.${k}`);
      else {
        const hint = didYouMean(k, DBT_PROFILE_KEYS[type]!);
        if (hint) throw new TxError('PROJECT', `unknown key \`${k}\` in output \`${tname}\` of profile \`${profileName}\` (type ${type})`, { file, line: py.lineOf([profileName, 'outputs', tname, k]), hint });
        unused.push(`${tname}.${k}`);
      }
    }
    if (type === 'spark') {
      const left = sparkTarget(t, { file, line: py.lineOf([profileName, 'outputs', tname]) }, `output \`${tname}\` of profile \`${profileName}\` (type spark)`);
      if (left) {
        unmapped.push(`${tname} (type spark, ${left})`);
        leftOut.set(tname, {
          reason: `type spark, ${left}`,
          hint: 'http and odbc reach Databricks and session runs a local Spark: tx reaches Spark through its Thrift server; add an output with `method: thrift` (host, port, schema) and pass --target with it',
        });
        continue;
      }
    }
    if (type === 'duckdb') {
      if (t.path == null || t.path === ':memory:') t.path = defaultDuckdbPath(dir, name).path;
      if (t.schema == null) t.schema = 'main';
      // dbt-duckdb names the database after the file; tx addresses relations without it
      delete t.database;
      // dbt-duckdb's attach: a relative path is relative to the project folder, as tx's own path
      if (t.attach != null) t.attach = duckdbAttach(t.attach, dir, { file, line: py.lineOf([profileName, 'outputs', tname, 'attach']) }, `output \`${tname}\` of profile \`${profileName}\``);
    }
    targets[tname] = t;
  }
  if (unmapped.length) notes.push(`${file}: outputs tx cannot build on (yet), left out: ${unmapped.join(', ')}`);
  if (unused.length) notes.push(`${file}: keys tx does not use (yet): ${unused.map((k) => `\`${k}\``).join(', ')}`);
  // dbt-duckdb's Python-side keys: one note each, naming the outputs (never a value: secrets hold credentials)
  for (const [k, outs] of Object.entries(duckdbOwn)) notes.push(`${file}: dbt-duckdb \`${k}\` (${outs.join(', ')}) ${DUCKDB_OWN_NOTES[k]}`);
  const chosen = opts.target ?? (typeof profile.target === 'string' ? profile.target : undefined);
  const bad = chosen !== undefined ? leftOut.get(chosen) : undefined;
  if (bad) {
    throw new TxError('PROJECT', `output \`${chosen}\` of profile \`${profileName}\` is one tx cannot build on: ${bad.reason}`, {
      file,
      line: py.lineOf([profileName, 'outputs', chosen!, 'type']),
      hint: bad.hint,
    });
  }
  if (!Object.keys(targets).length) {
    notes.push(`${file}: profile \`${profileName}\` has no duckdb, postgres or spark (thrift) output: building on the embedded DuckDB database ${defaultDuckdbPath(dir, name).path}`);
    return { file };
  }
  if (typeof profile.target === 'string' && !(profile.target in outputs)) {
    throw new TxError('PROJECT', `profile \`${profileName}\` names target \`${profile.target}\`, which is not among its outputs`, {
      file,
      line: py.lineOf([profileName, 'target']),
      hint: didYouMean(profile.target, Object.keys(outputs)) ?? `outputs: ${Object.keys(outputs).join(', ') || '(none)'}`,
    });
  }
  const target = typeof profile.target === 'string' && profile.target in targets ? profile.target : Object.keys(targets)[0]!;
  notes.push(`using profile \`${profileName}\` from ${file} (default target \`${target}\`)`);
  return { targets, target, file };
}

function plural(n: number, w: string): string {
  return `${n} ${w}${n === 1 ? '' : 's'}`;
}

/**
 * dbt-duckdb's `attach:` list ({path, alias, type, secret, read_only, options}) as the ATTACH
 * statements dbt-duckdb runs when it opens the database (Attachment.to_sql).
 */
function duckdbAttach(v: unknown, dir: string, at: { file: string; line?: number }, what: string): string[] {
  const fail = (msg: string): never => {
    throw new TxError('PROJECT', `${what}: attach ${msg}`, at);
  };
  if (!Array.isArray(v)) fail('must be a list of {path, alias, type, read_only, ...}');
  return (v as unknown[]).map((a, i) => {
    if (!isObj(a) || typeof a.path !== 'string' || !a.path) return fail(`entry ${i + 1} needs a \`path\``);
    const known = ['path', 'alias', 'type', 'secret', 'read_only', 'options', 'is_ducklake'];
    for (const k of Object.keys(a)) if (!known.includes(k)) fail(`entry ${i + 1}: unknown key \`${k}\`${didYouMean(k, known) ? ` (${didYouMean(k, known)})` : ''}`);
    const remote = /^[a-z][a-z0-9+.-]*:/i.test(a.path) && !/^[a-z]:[\\/]/i.test(a.path);
    const path = remote || a.path === ':memory:' ? a.path : resolve(dir, a.path);
    let sql = `ATTACH IF NOT EXISTS '${path.replace(/'/g, "''")}'`;
    if (typeof a.alias === 'string' && a.alias) sql += ` AS ${a.alias}`;
    const opts: string[] = [];
    if (typeof a.type === 'string' && a.type) opts.push(`TYPE ${a.type}`);
    if (typeof a.secret === 'string' && a.secret) opts.push(`SECRET ${a.secret}`);
    if (a.read_only === true) opts.push('READ_ONLY');
    if (isObj(a.options)) for (const [k, x] of Object.entries(a.options)) opts.push(`${k.toUpperCase()} ${typeof x === 'string' ? `'${x.replace(/'/g, "''")}'` : String(x)}`);
    if (opts.length) sql += ` (${opts.join(', ')})`;
    return sql;
  });
}
